"""The magics of SPEC §6: ``%%infer_train``, ``%%infer``, ``%infer_status``, ``%infer_models``.

They call only the client (``connect()``, or ``connect(url, token)`` for a remote service), so they behave the
same on the embedded engine and on a Wood Wide-compatible server. Configure with ``%config InferMagics.<name>``.
This module holds the settings and each magic's arguments; what a cell does is in ``_cell_train``, ``_cell_infer``
and ``_cell_status``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display
from traitlets import Bool, Float, Int, TraitError, Unicode, validate

from ..client import TRAINING_MODE_HELP, Client, InferOptions, Job, JobStatus
from . import _cell_infer, _cell_status, _cell_train, _errors, _session
from ._display import BackgroundJob
from ._progress import BACKGROUND, ProgressView, Watcher
from ._status import ModelsTable


def _options(name: str) -> list[str]:
    parser = getattr(getattr(InferMagics, name, None), "parser", None)
    return [s for a in getattr(parser, "_actions", []) for s in a.option_strings]


def _dest(help: str) -> Callable[[Any], Any]:
    """The optional DEST variable of the cell magics."""
    return argument("dest", metavar="DEST", nargs="?", help=help)


def _background(what: str) -> Callable[[Any], Any]:
    """``--background`` of the cell magics: a job handle at once, DEST set when ``what`` succeeds."""
    return argument(
        "--background", action="store_true", help=f"Return a job handle at once; DEST is set when {what} succeeds."
    )


def _option_arguments(**help: str) -> Callable[[Any], Any]:
    """``%%infer``'s flag for every inference option, from ``InferOptions.fields()`` (``help``: a magic's own
    wording of an option's help). IPython adds arguments in the reverse order of their decorators."""

    def add(func: Any) -> Any:
        for spec in reversed(InferOptions.fields()):
            flag, kw = spec.as_flag(help.get(spec.name))
            kw["help"] = kw["help"][0].upper() + kw["help"][1:].rstrip(".") + "."
            func = argument(flag, **kw)(func)
        return func

    return add


@magics_class
class InferMagics(Magics):
    """jupyter-infer magics. Settings: ``%config InferMagics`` lists them."""

    url = Unicode(
        None,
        allow_none=True,
        help="Base URL of a remote Wood Wide-compatible API (default: $JUPYTER_INFER_URL; unset: the embedded engine).",
    ).tag(config=True)
    token = Unicode(None, allow_none=True, help="Token for the remote API (default: $JUPYTER_INFER_TOKEN).").tag(
        config=True
    )
    home = Unicode(
        None,
        allow_none=True,
        help="Store directory of the embedded engine (default: $JUPYTER_INFER_HOME, else Jupyter's data dir /infer).",
    ).tag(config=True)
    max_rows = Int(20, help="Rows shown in a result table (the rest are in the DEST variable).").tag(config=True)
    short_errors = Bool(True, help="Show errors as one line; False shows the full traceback.").tag(config=True)
    poll_interval = Float(0.1, help="Seconds between progress updates (at least 0.1: at most 10 a second).").tag(
        config=True
    )
    charts = Bool(True, help="Draw the per-type picture above a result table.").tag(config=True)
    status_page_size = Int(10, help="Jobs per page in %infer_status.").tag(config=True)

    @validate("poll_interval")
    def _poll_floor(self, proposal: Any) -> float:
        return max(0.1, float(proposal["value"]))

    @validate("max_rows", "status_page_size")
    def _positive(self, proposal: Any) -> int:
        if proposal["value"] < 1:  # TraitError: traitlets then keeps the previous value
            raise TraitError(f"InferMagics.{proposal['trait'].name} must be at least 1, not {proposal['value']}.")
        return int(proposal["value"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._dest_job: dict[str, str] = {}  # DEST -> the job of the newest cell that assigns it

    # ---- what the cells share ------------------------------------------------------------------------------------
    @property
    def client(self) -> Client:
        """The client of these settings (``_session``: one per distinct configuration)."""
        return _session.client(self.url, self.token, self.home)

    @property
    def user_ns(self) -> dict[str, Any]:
        return self.shell.user_ns if self.shell is not None else {}

    def claim(self, dest: str | None, job: Job) -> None:
        """``job``'s cell assigns ``dest``: an older cell's job, ending later, no longer does."""
        if dest:
            self._dest_job[dest] = job.id

    def owns(self, dest: str | None, job: Job) -> bool:
        return not dest or self._dest_job.get(dest, job.id) == job.id

    def push(self, dest: str | None, value: Any, job: Job) -> None:
        """Assign ``value`` to the user's variable ``dest`` (nothing without one, or when a newer cell claimed it)."""
        if dest and self.shell is not None and self.owns(dest, job):
            self.shell.user_ns[dest] = value

    def watch(
        self, job: Job, title: str, on_done: Callable[[Job], None] | None = None
    ) -> tuple[ProgressView, Watcher, Any]:
        """Show a progress widget for ``job`` and start the thread that updates it."""
        view = ProgressView(title, job.id)
        view.render(dict(job.record), None)  # as the job is now (a job already running shows so at once)
        handle = display(view, display_id=True)
        view.accept_clicks_while_busy()
        watcher = Watcher(job, view, self.poll_interval, on_done)
        watcher.start()
        if on_done is not None:
            BACKGROUND[job.id] = watcher  # so %infer_status JOB --wait also waits for DEST to be assigned
        return view, watcher, handle

    @staticmethod
    def final(view: ProgressView, handle: Any) -> None:
        """Refresh the stored text/plain and HTML of the progress output with the final state (cell thread)."""
        if handle is not None:
            handle.update(view)

    def block(self, job: Job, title: str) -> dict[str, Any]:
        """Watch ``job`` in the cell until it ends (an interrupt cancels it); its final record if it succeeded,
        else its JobFailed or JobCanceled."""
        view, watcher, handle = self.watch(job, title)
        try:
            record = watcher.block()
        finally:
            self.final(view, handle)
        job.raise_for_status()
        return record

    def background(
        self, job: Job, title: str, dest: str | None, succeeded: Callable[[Job, dict[str, Any]], tuple[Any, str]]
    ) -> BackgroundJob:
        """``--background``: watch ``job`` on its thread and return its handle at once. When it succeeds,
        ``succeeded(job, record)`` gives the handle's value and the HTML shown under the progress bar."""
        box: dict[str, Any] = {}
        built = threading.Event()  # the watcher may see the job end before the cell has built the handle

        def done(j: Job) -> None:
            rec: dict[str, Any] = dict(j.refresh().record)
            if rec.get("status") == JobStatus.SUCCEEDED:
                built.wait()
                value, html = succeeded(j, rec)
                if dest and not self.owns(dest, j):
                    newer = self._dest_job[dest]
                    html += f"<p>Not stored in <code>{dest}</code>: a newer cell's job ({newer}) holds it.</p>"
                box["handle"].value, view.result.value = value, html

        view, watcher, _ = self.watch(job, title, done)
        try:
            handle = box["handle"] = BackgroundJob(job, title, dest, watcher)
        finally:
            built.set()
        return handle

    # ---- %%infer_train -------------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("type", metavar="TYPE", help="Model type: prediction, clustering, anomaly, embedding, search or factors.")
    @_dest("Variable that receives the trained Model.")
    @argument("--label", metavar="COL", help="Label column (prediction models need one).")
    @argument(
        "--name",
        metavar="NAME",
        help="Model name (default: DEST, else TYPE-<data>). An existing name gets a new version.",
    )
    @argument("--columns", metavar="A,B,...", help="Input columns to train on (default: every column but the label).")
    @argument(
        "--param",
        metavar="KEY=VALUE",
        nargs="+",
        action="append",
        help="Training parameter, repeatable: task, n_clusters, contamination, n_factors, n_components, training_mode. "
        "Values are parsed as JSON when they can be (3, 0.1, true), else taken as text. " + TRAINING_MODE_HELP + ".",
    )
    @_background("training")
    @cell_magic
    @_errors.short_errors("%infer_train", lambda: _options("infer_train"))
    def infer_train(self, line: str, cell: str) -> Any:
        """Train a model on the cell's data.

        The cell body is the data: a Python expression (a pandas DataFrame, a pyarrow Table, or a str/Path of a
        csv, parquet or json file), a bare path such as ``data/train.csv``, or ``dataset:NAME`` for a stored
        dataset. The cell blocks with a live progress widget (a kernel interrupt or the Cancel button cancels the
        job) and shows the trained model; ``--background`` returns a job handle instead.
        """
        return _cell_train.run(self, parse_argstring(self.infer_train, line), cell)

    # ---- %%infer -------------------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("model", metavar="MODEL", help="A variable holding a Model, a model id, or a model name.")
    @_dest("Variable that receives the result DataFrame (then the table is not shown).")
    @argument("--export", metavar="PATH", help="Also write the result to PATH (json, csv or parquet) and show a link.")
    @argument("--force", action="store_true", help="With --export: replace PATH if it exists.")
    @_option_arguments(output_type="Format for --export (default: the one PATH's extension names).")
    @argument("--version", metavar="MODEL_VERSION_ID", help="Use this model version instead of the latest ready one.")
    @argument("--join", action="store_true", help="Return the input columns with the output columns beside them.")
    @_background("the job")
    @argument(
        "--dask",
        metavar="SCHEDULER",
        help="Run the job on a Dask cluster: its scheduler address (tcp://host:port), or 'local-cluster' (also "
        "'local') for a local cluster sized to this machine. Default: $JUPYTER_INFER_DASK_SCHEDULER when set, else "
        "the embedded engine.",
    )
    @cell_magic
    @_errors.short_errors("%infer", lambda: _options("infer"))
    def infer(self, line: str, cell: str) -> Any:
        """Run inference with MODEL on the cell's data.

        The cell body is the data: a Python expression (a pandas DataFrame, a pyarrow Table, or a str/Path of a
        csv, parquet or json file), a bare path such as ``data/new.csv``, or ``dataset:NAME`` for a stored
        dataset. Every input runs as a job on the engine (the embedded engine scores a DataFrame straight from
        memory; a remote service is sent it as a file), so the cell shows live progress with a Cancel button; a
        kernel interrupt cancels the job too. The result is shown as a table under a header (model, rows, time,
        reconciliation) with a per-type picture; with DEST the DataFrame goes to that variable and the table is
        not shown.
        """
        return _cell_infer.run(self, parse_argstring(self.infer, line), cell)

    # ---- %infer_status -------------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("job_id", metavar="JOB_ID", nargs="?", help="One job in detail (default: a live table of recent jobs).")
    @argument("--wait", action="store_true", help="Block until JOB_ID ends and return its result.")
    @argument("--cancel", action="store_true", help="Cancel JOB_ID.")
    @argument("--all", action="store_true", help="List every stored job, not only recent and active ones.")
    @line_magic
    @_errors.short_errors("infer_status", lambda: _options("infer_status"))
    def infer_status(self, line: str) -> Any:
        """Jobs of this kernel, other kernels and the server, from the store: a live table with progress bars
        and paging, or one job (JOB_ID) in detail."""
        return _cell_status.run(self, parse_argstring(self.infer_status, line))

    # ---- %infer_models -------------------------------------------------------------------------------------------
    @magic_arguments()
    @line_magic
    @_errors.short_errors("infer_models", lambda: _options("infer_models"))
    def infer_models(self, line: str) -> ModelsTable:
        """Every model in the store: type, latest version, key metrics, label and training data."""
        parse_argstring(self.infer_models, line)
        return ModelsTable(self.client.models.list())


# magic_arguments names every magic "%name" in its usage line; the cell magics are "%%name".
for _name in ("infer", "infer_train"):
    _fn = getattr(InferMagics, _name)
    _fn.parser.prog = f"%%{_name}"
    _fn.__doc__ = (_fn.__doc__ or "").replace(f"%{_name} ", f"%%{_name} ", 1)
