"""``jupyter_infer.upload()``: pick a file in the browser, pick a model and a format, Run; then live progress, the
result table and a download link.

Browser uploads travel over the kernel's websocket, whose messages Jupyter caps (10 MiB by default); a larger file
never reaches the kernel, so the widget says so up front and refuses anything over ``max_mb``: pass a path to
``%%infer`` instead, which streams files of any size.
"""

from __future__ import annotations

import base64
import html
import tempfile
import threading
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from .._exceptions import InferError
from ..client import OUTPUT_TYPES, Client
from . import _session
from ._display import ResultView
from ._progress import ProgressView, Watcher

MAX_MB = 10.0
INLINE_DOWNLOAD_MB = 20.0
MIME = {"csv": "text/csv", "json": "application/json", "parquet": "application/vnd.apache.parquet"}


class UploadWidget(widgets.VBox):
    """The widget; ``run()`` does what the Run button does (the button's handler only starts the worker)."""

    def __init__(self, client: Client | None = None, max_mb: float = MAX_MB, max_rows: int = 20) -> None:
        self.client = client or _session.configured()
        self.max_mb, self.max_rows = max_mb, max_rows
        self.picker = widgets.FileUpload(accept=".csv,.parquet,.json,.jsonl", multiple=False, description="File")
        names = [(f"{m.name} ({m.model_type} v{m.version})", m.name) for m in self.client.models.list()]
        self.model = widgets.Dropdown(options=names, description="Model")
        self.format = widgets.Dropdown(options=sorted(OUTPUT_TYPES), value="csv", description="Format")
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.message = widgets.HTML(
            value=f"<small>Files up to {max_mb:g} MB (the browser upload limit). For larger files pass a path: "
            "<code>%%infer MODEL</code> with the path in the cell.</small>"
        )
        self.progress = widgets.VBox()
        self.output = widgets.HTML()
        self.worker: threading.Thread | None = None
        self.run_button.on_click(lambda _b: self.start())
        super().__init__(
            children=[
                widgets.HBox([self.picker, self.model, self.format, self.run_button]),
                self.message,
                self.progress,
                self.output,
            ]
        )

    def __repr__(self) -> str:
        return f"jupyter-infer upload widget: pick a csv/parquet/json file up to {self.max_mb:g} MB, a model, Run."

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        return bundle

    def start(self) -> None:
        if self.worker is not None and self.worker.is_alive():
            return
        self.worker = threading.Thread(target=self.run, name="jupyter-infer-upload", daemon=True)
        self.worker.start()

    def _say(self, text: str, error: bool = False) -> None:
        color = "#c00" if error else "inherit"
        self.message.value = f'<span style="color:{color}">{html.escape(text)}</span>'

    def run(self) -> None:
        """Check the file, stage it, run the job with live progress, show the table and a download link."""
        self.run_button.disabled = True
        try:
            self._run()
        except InferError as e:
            self._say(str(e), error=True)
        except Exception as e:  # shown in the widget: a thread has no cell to fail
            self._say(f"{type(e).__name__}: {e}", error=True)
        finally:
            self.run_button.disabled = False

    def _run(self) -> None:
        files = list(self.picker.value or ())
        if not files:
            raise InferError("Choose a file first.")
        f = files[0]
        name, size = str(f["name"]), int(f.get("size") or len(f["content"]))
        if size > self.max_mb * 1024 * 1024:
            raise InferError(
                f"{name} is {size / 1048576:.1f} MB, over the {self.max_mb:g} MB browser upload limit. Pass its path "
                "instead: %%infer MODEL with the path (e.g. data/big.csv) in the cell; files of any size stream."
            )
        if not self.model.value:
            raise InferError("No model to run: train one with %%infer_train first.")
        output_type = str(self.format.value)
        with tempfile.TemporaryDirectory(prefix="jupyter-infer-upload-") as tmp:
            path = Path(tmp) / Path(name).name
            path.write_bytes(bytes(f["content"]))
            self._say(f"Running {self.model.value} on {name} ({size / 1024:,.1f} kB)…")
            job = self.client.models.infer_async(self.model.value, str(path), output_type=output_type)
            view = ProgressView(f"Inference with {self.model.value!r} on {name}", job.id)
            self.progress.children = (view,)
            view.accept_clicks_while_busy()
            watcher = Watcher(job, view)
            watcher.run()  # this worker thread polls and renders
        if watcher.error is not None:
            raise watcher.error
        job.raise_for_status()
        result = job.result()
        data = result.encode(output_type)
        stem = f"{Path(name).stem}-{result.model_name}-results.{output_type}"
        if len(data) <= INLINE_DOWNLOAD_MB * 1024 * 1024:
            href = f"data:{MIME[output_type]};base64,{base64.b64encode(data).decode()}"
            link = f'<a download="{html.escape(stem, quote=True)}" href="{href}">Download {html.escape(stem)}</a>'
        else:
            out = Path.cwd() / stem
            result.save(out, output_type)
            link = f'<a href="{html.escape(stem, quote=True)}" target="_blank" download>{html.escape(stem)}</a>'
        view_html = ResultView(result, result.to_pandas(), None, watcher.record, self.max_rows)._repr_html_()
        self.output.value = f"<p>{link} ({len(data) / 1024:,.1f} kB)</p>{view_html}"
        self._say(f"Done: {len(result):,} result rows from {name}.")


def upload(client: Client | None = None, max_mb: float = MAX_MB, max_rows: int = 20) -> UploadWidget:
    """Show a file picker, a model picker, a format choice and Run; the result table and a download link follow.

    ``max_mb``: the largest file accepted (the browser upload limit, 10 MB under Jupyter's defaults)."""
    return UploadWidget(client, max_mb=max_mb, max_rows=max_rows)
