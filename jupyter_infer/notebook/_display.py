"""Rich displays: an inference result (header, reconciliation, picture, truncated table), a trained model, an
export note, and the handle a ``--background`` cell returns. Each has ``_repr_html_`` and a readable ``__repr__``.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import OptionError
from ..client import InferenceResult, Job, Model
from . import _charts
from ._progress import fmt_seconds


def _esc(v: Any) -> str:
    return html.escape(str(v))


def drift_summary(drift: dict[str, Any]) -> str:
    """One header line naming the columns whose distribution moved from the training data, or nothing."""
    moved = drift.get("moved") or []
    cols = ", ".join(f"{m['column']} (PSI {m['psi']:.2f})" for m in moved[:6]) + (" and more" if len(moved) > 6 else "")
    return f"Drift: the distribution moved from the training data in {cols}." if moved else ""


def reconciliation_text(rec: dict[str, list[str]]) -> str:
    parts = [f"{k}: {', '.join(map(str, v))}" for k, v in rec.items() if v]
    return "; ".join(parts) if parts else "nothing to reconcile (the columns matched the training data)"


def join_input(inp: pd.DataFrame, out: pd.DataFrame, model_type: str, id_column: str | None) -> pd.DataFrame:
    """The input columns with the output columns beside them (``--join``)."""
    if model_type == "factors" or "anomalous_ids" in out.columns:
        what = "one row per factor" if model_type == "factors" else "one row per flagged id (ids_only)"
        hint = " Use --anomaly-format per_row to join anomaly results." if model_type == "anomaly" else ""
        raise OptionError(f"--join needs one result row per input row; {model_type} results here are {what}.{hint}")
    extra = [c for c in out.columns if c != "id"]
    if model_type == "search" and len(out) != len(inp):  # k rows per input: repeat each input row
        ids = out["id"].astype(str)
        keys = inp[id_column].astype(str) if id_column else pd.Series(range(len(inp))).astype(str)
        pos = pd.Index(keys).get_indexer(ids)
        base = inp.iloc[pos].reset_index(drop=True)
    else:
        base = inp.reset_index(drop=True).copy()
    joined = base.copy()
    for c in extra:
        name = c if c not in joined.columns else f"{c}_result"
        joined[name] = out[c].to_numpy()
    if len(joined) == len(inp):
        joined.index = inp.index
    return joined


class ResultView:
    """An inference result as a person reads it; ``.df`` is the DataFrame (joined when ``--join``)."""

    def __init__(
        self,
        result: InferenceResult,
        df: pd.DataFrame,
        model: Model | None = None,
        record: dict[str, Any] | None = None,
        max_rows: int = 20,
        show_table: bool = True,
        charts: bool = True,
        dest: str | None = None,
        threshold: float | None = None,
    ) -> None:
        self.result, self.df, self.model, self.record = result, df, model, record or {}
        self.max_rows, self.show_table, self.charts, self.dest = max_rows, show_table, charts, dest
        self.threshold = threshold

    # a little of DataFrame's surface, so ``_`` is handy
    def to_pandas(self) -> pd.DataFrame:
        return self.df

    def __len__(self) -> int:
        return len(self.df)

    def __getitem__(self, key: Any) -> Any:
        return self.df[key]

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.df.columns]

    def _version(self) -> str:
        v = self.result.meta.get("model_version") or self.record.get("model_version")
        if v is None and self.model is not None and self.model.version_id == self.result.model_version_id:
            v = self.model.version
        return f"v{v}" if v is not None else str(self.result.model_version_id)

    def _took(self) -> str:
        from ._progress import _seconds

        return fmt_seconds(_seconds(self.record.get("started_at"), self.record.get("finished_at")))

    def summary(self) -> str:
        r = self.result
        return (
            f"{r.model_type} model {r.model_name!r} {self._version()}: {len(self.df):,} rows, "
            f"columns {', '.join(self.columns)}; took {self._took()}"
        )

    def __repr__(self) -> str:
        lines = [self.summary(), "reconciliation: " + reconciliation_text(self.result.reconciliation)]
        lines += [t for t in [drift_summary(self.result.drift)] if t]
        if self.show_table:
            with pd.option_context("display.max_rows", self.max_rows, "display.max_columns", 20):
                lines.append(repr(self.df.head(self.max_rows)))
            if len(self.df) > self.max_rows:
                lines.append(f"[showing the first {self.max_rows} of {len(self.df):,} rows]")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        r = self.result
        head = (
            f"<b>{_esc(r.model_name)}</b> &middot; {_esc(r.model_type)} model {_esc(self._version())} &middot; "
            f"{len(self.df):,} rows &middot; {len(self.df.columns)} columns &middot; "
            f'<span class="ji-time">{_esc(self._took())}</span>'
        )
        recon = f"<br><small>Reconciliation: {_esc(reconciliation_text(r.reconciliation))}</small>"
        if drift_summary(r.drift):
            recon += f'<br><small class="ji-drift">{_esc(drift_summary(r.drift))}</small>'
        where = f"<br><small>Stored in <code>{_esc(self.dest)}</code>.</small>" if self.dest else ""
        parts = [f'<div class="ji-result"><p>{head}{recon}{where}</p>']
        if self.charts:
            rows_in = self.record.get("rows_done") or self.record.get("rows_total")
            # the model's output, not the --join table (an input column may share an output column's name)
            pic = _charts.for_result(r.model_type, r.to_pandas(), r.descriptions, rows_in, self.threshold)
            if pic:
                parts.append(f'<div style="display:flex;gap:24px;flex-wrap:wrap">{pic}</div>')
        if self.show_table:
            parts.append(table_html(self.df.head(self.max_rows)))
            if len(self.df) > self.max_rows:
                parts.append(
                    f"<p><small>Showing the first {self.max_rows} of {len(self.df):,} rows "
                    f"(<code>%config InferMagics.max_rows</code>; give a DEST variable for the full table).</small></p>"
                )
        parts.append("</div>")
        return "".join(parts)


def _float(v: float) -> str:
    """A float for reading: 4 significant digits (probabilities 0.9731), whole numbers past 10,000 with thousands
    separators; the DataFrame and every export keep full precision."""
    a = abs(v)
    if a >= 1e4 and a < 1e15:
        return f"{v:,.0f}"
    return f"{v:.4g}"


def table_html(df: pd.DataFrame) -> str:
    """An HTML table whose rows stay on one line and that scrolls sideways when wider than the notebook."""
    t = df.to_html(index=False, max_cols=30, float_format=_float)
    t = t.replace("<table ", '<table style="white-space:nowrap" ', 1)
    return f'<div class="ji-table" style="overflow-x:auto;max-width:100%">{t}</div>'


class ModelView:
    """A trained model: type, version, metrics, training data, descriptions."""

    def __init__(self, model: Model, record: dict[str, Any] | None = None, dest: str | None = None) -> None:
        self.model, self.record, self.dest = model, record or {}, dest

    def _metrics(self) -> list[tuple[str, str]]:
        out = []
        for k, v in self.model.metrics.items():
            if isinstance(v, (bool, dict | list)):
                continue
            out.append((k, f"{v:.4g}" if isinstance(v, float) else str(v)))
        return out

    def __repr__(self) -> str:
        m = self.model
        metrics = ", ".join(f"{k}={v}" for k, v in self._metrics())
        dropped = "".join(f"; dropped {d['name']} ({d['reason']})" for d in m.dropped_columns)
        return (
            f"Trained {m.model_type} model {m.name!r} v{m.version} ({m.id}) on {m.training_dataset_name}; {metrics}"
            + dropped
        )

    def _repr_html_(self) -> str:
        m = self.model
        from ._progress import _seconds

        took = fmt_seconds(_seconds(self.record.get("started_at"), self.record.get("finished_at")))
        label = f" &middot; label <code>{_esc(m.label_column)}</code>" if m.label_column else ""
        head = (
            f"<b>{_esc(m.name)}</b> &middot; {_esc(m.model_type)} model v{_esc(m.version)} "
            f'<code class="ji-id">{_esc(m.id)}</code>{label} &middot; trained on {_esc(m.training_dataset_name)} '
            f'&middot; <span class="ji-time">{_esc(took)}</span>'
        )
        where = f"<br><small>Stored in <code>{_esc(self.dest)}</code>.</small>" if self.dest else ""
        metrics = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in self._metrics())
        table = f"<table><tr><th>metric</th><th>value</th></tr>{metrics}</table>" if metrics else ""
        desc = ""
        for kind, items in m.descriptions.items():
            lis = "".join(
                f"<li><b>{_esc(k)}</b>: {_esc(d.get('summary', ''))}</li>" for k, d in list(items.items())[:12]
            )
            desc += f"<p><small>{_esc(kind.replace('_', ' '))}</small></p><ul>{lis}</ul>"
        cols = ", ".join(m.input_columns)
        dropped = ""
        if m.dropped_columns:
            items = "; ".join(f"{d['name']} ({d['reason']})" for d in m.dropped_columns)
            dropped = f"<br><small>Dropped columns: {_esc(items)}</small>"
        return (
            f'<div class="ji-model"><p>{head}{where}<br><small>Input columns: {_esc(cols)}</small>{dropped}</p>'
            f"{table}{desc}</div>"
        )


class ExportNote:
    """``Wrote N rows as csv to out.csv`` with a link the notebook can open (relative to the notebook)."""

    def __init__(self, path: Path, fmt: str, rows: int) -> None:
        self.path, self.fmt, self.rows = path, fmt, rows

    def _href(self) -> str | None:
        try:
            return os.path.relpath(self.path.resolve(), Path.cwd()).replace(os.sep, "/")
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"Wrote {self.rows:,} rows as {self.fmt} to {self._href() or self.path}"

    def _repr_html_(self) -> str:
        href = self._href()
        shown = _esc(href or self.path)
        link = (
            f'<a href="{html.escape(href, quote=True)}" target="_blank" download>{shown}</a>'
            if href and not href.startswith("..")
            else f"<code>{shown}</code>"
        )
        return f"<p>Wrote {self.rows:,} rows as {_esc(self.fmt)} to {link}.</p>"


class BackgroundJob:
    """What a ``--background`` cell returns: the job, and ``DEST`` filled when it succeeds."""

    def __init__(self, job: Job, what: str, dest: str | None, watcher: Any) -> None:
        self.job, self.what, self.dest, self._watcher = job, what, dest, watcher
        self.value: Any = None

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def status(self) -> str:
        return str(self.job.status)

    def wait(self, timeout: float | None = None) -> BackgroundJob:
        self._watcher.done.wait(timeout)
        return self

    def result(self, timeout: float | None = None) -> Any:
        """Wait, then the DataFrame (inference) or the Model (training); raises if the job did not succeed."""
        if not self._watcher.done.wait(timeout):
            raise TimeoutError(f"job {self.id} is still {self.status} after {timeout} s")
        if self._watcher.error is not None:
            raise self._watcher.error
        self.job.raise_for_status()
        return self.value

    def cancel(self) -> BackgroundJob:
        self.job.cancel()
        return self

    def _where(self) -> str:
        return f"`{self.dest}` is set when it succeeds" if self.dest else "no DEST variable given"

    def __repr__(self) -> str:
        return (
            f"{self.what} running in the background as job {self.id}; {self._where()}. "
            f"%infer_status {self.id} shows it, --wait waits for it, --cancel cancels it."
        )

    def _repr_html_(self) -> str:
        return (
            f"<p>{_esc(self.what)} running in the background as job <code>{_esc(self.id)}</code>; "
            f"{_esc(self._where())}. <code>%infer_status {_esc(self.id)}</code> shows it "
            "(<code>--wait</code> waits, <code>--cancel</code> cancels).</p>"
        )
