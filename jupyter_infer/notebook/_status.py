"""``%infer_status`` and ``%infer_models``: a live, paged table of jobs, one job in detail, and the model list.

The table widget is refreshed by its own thread while a job on the shown page is active; the paging buttons only
record the page asked for and wake that thread. Static renderers get the same table as HTML.
"""

from __future__ import annotations

import html
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import ipywidgets as widgets
import pandas as pd

from ..client import ENDED, OPEN, Client, Job, JobStatus, Model
from ._progress import _seconds, describe, fmt_seconds

RECENT = timedelta(hours=24)
LIVE_FOR = 3600.0  # a table stops refreshing after an hour


def _esc(v: Any) -> str:
    return html.escape("" if v is None else str(v))


def origin(owner: str | None) -> str:
    if not owner:
        return ""
    kind, _, rest = owner.partition(":")
    host, _, pid = rest.rpartition(":")
    if kind == "kernel" and host == socket.gethostname() and pid == str(os.getpid()):
        return "this kernel"
    return f"{kind} {pid}" if host == socket.gethostname() else f"{kind} {pid}@{host}"


def _bar(rec: dict[str, Any]) -> str:
    pct = 100.0 if rec.get("status") == JobStatus.SUCCEEDED else float(rec.get("progress") or 0)
    color = {"failed": "#e45756", "canceled": "#f2a541", "succeeded": "#54a24b"}.get(str(rec.get("status")), "#4c78a8")
    return (
        f'<div style="width:90px;background:#eee;height:10px;display:inline-block">'
        f'<div style="width:{pct:.0f}%;background:{color};height:10px"></div></div> {pct:.0f}%'
    )


def _subject(rec: dict[str, Any]) -> str:
    model = rec.get("model_name") or ""
    data = rec.get("input_filename") or rec.get("dataset_name") or ""
    return f"{model} ← {data}" if model and data else (model or data)


def _parse_time(iso: str | None) -> datetime | None:
    try:
        t = datetime.fromisoformat(str(iso).replace("Z", "+00:00")) if iso else None
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


def relative_time(iso: str | None, now: datetime | None = None) -> str:
    """``just now``, ``42 s ago``, ``2 min ago``, ``5 h ago``, ``3 days ago``; the date past 30 days; '' if unknown."""
    t = _parse_time(iso)
    if t is None:
        return ""
    s = max(0.0, ((now or datetime.now(UTC)) - t).total_seconds())
    if s < 10:
        return "just now"
    if s < 60:
        return f"{int(s)} s ago"
    if s < 3600:
        return f"{int(s // 60)} min ago"
    if s < 86400:
        return f"{int(s // 3600)} h ago"
    days = int(s // 86400)
    return f"{days} day{'s' if days > 1 else ''} ago" if days <= 30 else t.strftime("%Y-%m-%d")


def _time_html(iso: str | None) -> str:
    """A relative time, with the full UTC time on hover."""
    t = _parse_time(iso)
    if t is None:
        return ""
    full = t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f'<time datetime="{_esc(t.isoformat())}" title="{full}">{_esc(relative_time(iso))}</time>'


_CELL = ' style="white-space:nowrap;padding:2px 8px;vertical-align:top"'
_DETAIL = ' style="min-width:16em;padding:2px 8px;vertical-align:top"'


def jobs_html(recs: list[dict[str, Any]], footer: str = "") -> str:
    """The jobs as a table whose names, ids and dates stay on one line (the detail text wraps; the table scrolls
    sideways in a narrow notebook)."""
    if not recs:
        return f"<p>No jobs. {_esc(footer)}</p>"
    rows = "".join(
        f"<tr><td{_CELL}><code>{_esc(r['id'])}</code></td><td{_CELL}>{_esc(r.get('type'))}</td>"
        f"<td{_CELL}>{_esc(_subject(r))}</td><td{_CELL}>{_bar(r)}</td><td{_DETAIL}>{_esc(describe(r))}</td>"
        f"<td{_CELL}>{_time_html(r.get('created_at'))}</td><td{_CELL}>{_esc(origin(r.get('owner')))}</td></tr>"
        for r in recs
    )
    head = "".join(
        f'<th style="text-align:left;padding:2px 8px">{h}</th>'
        for h in ("job", "type", "model ← data", "progress", "status", "created", "where")
    )
    foot = f"<p><small>{_esc(footer)}</small></p>" if footer else ""
    return (
        f'<div class="ji-jobs" style="overflow-x:auto;max-width:100%"><table><tr>{head}</tr>{rows}</table>{foot}</div>'
    )


def jobs_text(recs: list[dict[str, Any]], footer: str = "") -> str:
    lines = [
        f"{r['id']}  {r.get('type', ''):<14} {relative_time(r.get('created_at')):>10}  {_subject(r)}  {describe(r)}"
        for r in recs
    ]
    return "\n".join([*(lines or ["No jobs."]), *([footer] if footer else [])])


class JobsTable(widgets.VBox):
    """``%infer_status``: recent jobs (``all_jobs``: every stored job), ``page_size`` a page, live while active."""

    def __init__(self, client: Client, page_size: int = 10, all_jobs: bool = False, poll: float = 0.5) -> None:
        self.client, self.page_size, self.all_jobs, self.poll = client, max(1, page_size), all_jobs, max(0.1, poll)
        self.page = 0
        self.recs: list[dict[str, Any]] = []
        self.more = False
        self._wake = threading.Event()
        self._want: int | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.fetch()
        self.table = widgets.HTML(value=jobs_html(self.recs, self.footer()))
        self.prev = widgets.Button(description="◀ Newer", layout=widgets.Layout(width="100px"), disabled=True)
        self.next = widgets.Button(description="Older ▶", layout=widgets.Layout(width="100px"), disabled=not self.more)
        self.prev.on_click(lambda _b: self.request(self.page - 1))
        self.next.on_click(lambda _b: self.request(self.page + 1))
        super().__init__(children=[self.table, widgets.HBox([self.prev, self.next])])

    def fetch(self) -> None:
        want = (self.page + 1) * self.page_size + 1
        jobs = self.client.jobs.list(limit=want)
        if not self.all_jobs and len(jobs) == want:  # more jobs stored: an open one may be older than these
            jobs += [j for s in OPEN for j in self.client.jobs.list(status=s, limit=want)]
        by_id: dict[str, dict[str, Any]] = {j.id: dict(j.record) for j in jobs}
        recs = sorted(by_id.values(), key=lambda r: (str(r.get("created_at") or ""), r["id"]), reverse=True)
        if not self.all_jobs:  # ended jobs older than a day are left out
            cutoff = (datetime.now(UTC) - RECENT).isoformat()
            recs = [r for r in recs if r.get("status") not in ENDED or (r.get("created_at") or "") >= cutoff[:23]]
        start = self.page * self.page_size
        self.more = len(recs) > start + self.page_size
        self.recs = recs[start : start + self.page_size]

    def footer(self) -> str:
        scope = "all stored jobs" if self.all_jobs else "jobs of the last 24 hours and every active job (--all: all)"
        return f"Page {self.page + 1} of {scope}, newest first."

    def active(self) -> bool:
        return any(r.get("status") not in ENDED for r in self.recs)

    # ---- buttons: record the page and wake the refresher ----------------------------------------------------
    def request(self, page: int) -> None:
        self._want = max(0, page)
        self._wake.set()
        self.start()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="jupyter-infer-status", daemon=True)
                self._thread.start()

    # ---- the refresher thread: the only writer of the widgets once displayed --------------------------------
    def _run(self) -> None:
        t0 = time.monotonic()
        while True:
            if self._want is not None:
                self.page, self._want = self._want, None
            self._wake.clear()
            try:
                self.fetch()
            except Exception:
                return
            with self.hold_sync():
                self.table.value = jobs_html(self.recs, self.footer())
                self.prev.disabled = self.page == 0
                self.next.disabled = not self.more
            if (not self.active() and self._want is None) or time.monotonic() - t0 > LIVE_FOR:
                return
            self._wake.wait(self.poll)

    def __repr__(self) -> str:
        return jobs_text(self.recs, self.footer())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = jobs_html(self.recs, self.footer())
        return bundle


FIELDS = (
    "type", "status", "model_name", "model_version", "model_type", "dataset_name", "input_filename", "output_type",
    "rows_done", "rows_total", "current_phase", "error_message", "created_at", "started_at", "finished_at", "owner",
)  # fmt: skip


class JobCard:
    """One job in detail."""

    def __init__(self, job: Job, note: str = "") -> None:
        self.rec: dict[str, Any] = dict(job.record)
        self.note = note

    def _items(self) -> list[tuple[str, str]]:
        out = [(k, str(self.rec.get(k))) for k in FIELDS if self.rec.get(k) not in (None, "")]
        took = _seconds(self.rec.get("started_at"), self.rec.get("finished_at"))
        if took is not None:
            out.append(("took", fmt_seconds(took)))
        return out

    def __repr__(self) -> str:
        head = f"Job {self.rec['id']}: {describe(self.rec)}"
        return "\n".join([head, *(f"  {k}: {v}" for k, v in self._items()), *([self.note] if self.note else [])])

    def _repr_html_(self) -> str:
        def value(k: str, v: str) -> str:
            return _time_html(v) if k.endswith("_at") else _esc(v)

        rows = "".join(f"<tr><td>{_esc(k)}</td><td>{value(k, v)}</td></tr>" for k, v in self._items())
        note = f"<p>{_esc(self.note)}</p>" if self.note else ""
        return (
            f'<div class="ji-job"><p>Job <code>{_esc(self.rec["id"])}</code>: {_esc(describe(self.rec))}</p>'
            f"<table>{rows}</table>{note}</div>"
        )


class ModelsTable:
    """``%infer_models``: every model with type, latest version, metrics and training data."""

    def __init__(self, models: list[Model]) -> None:
        self.models = models

    @staticmethod
    def _metrics(m: Model, n: int = 3) -> str:
        vals = [
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in m.metrics.items()
            if isinstance(v, int | float) and not isinstance(v, bool) and not k.startswith(("n_", "cv_"))
        ]
        return ", ".join(vals[:n])

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": m.name,
                "type": m.model_type,
                "version": m.version,
                "status": m.status,
                "metrics": self._metrics(m),
                "label": m.label_column or "",
                "training data": m.training_dataset_name,
                "id": m.id,
            }
            for m in self.models
        ]

    def to_pandas(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.rows(), columns=["name", "type", "version", "status", "metrics", "label", "training data", "id"]
        )

    def __len__(self) -> int:
        return len(self.models)

    def __repr__(self) -> str:
        if not self.models:
            return "No models yet; train one with %%infer_train."
        return self.to_pandas().to_string(index=False)

    def _repr_html_(self) -> str:
        if not self.models:
            return "<p>No models yet; train one with <code>%%infer_train</code>.</p>"
        return f'<div class="ji-models">{self.to_pandas().to_html(index=False)}</div>'
