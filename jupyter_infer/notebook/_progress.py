"""Live progress for one job: a widget (bar, rows, rate, ETA, phase, Cancel) and the one thread that writes it.

The watcher thread polls the Job through the client (at most ``1/poll`` updates a second) and is the only writer
of the widget; the Cancel button's handler only sets an event. The cell's own thread blocks on an Event (which a
kernel interrupt can break, unlike ``Thread.join``) and turns an interrupt into a cancel.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import ipywidgets as widgets

from .._exceptions import JobCanceled
from ..client import ENDED, Job, JobStatus

MARK = "[jupyter-infer job]"  # text/plain prefix (the nbval sanitizer keys on it)
BACKGROUND: dict[str, Watcher] = {}  # this kernel's --background jobs, by job id


def _seconds(a: str | None, b: str | None) -> float | None:
    try:
        if a and b:
            return (
                datetime.fromisoformat(b.replace("Z", "+00:00")) - datetime.fromisoformat(a.replace("Z", "+00:00"))
            ).total_seconds()
    except ValueError:
        pass
    return None


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "?"
    if s < 60:
        return f"{s:.1f} s"
    m, sec = divmod(round(s), 60)
    return f"{m} min {sec:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def describe(rec: dict[str, Any], rate: float | None = None) -> str:
    """One line of plain text for a job record: what a person wants to know at a glance."""
    status = rec.get("status") or "?"
    done, total = rec.get("rows_done") or 0, rec.get("rows_total")
    rows = f"{done:,} / {total:,} rows" if total else f"{done:,} rows"
    if status == JobStatus.SUCCEEDED:
        took = _seconds(rec.get("started_at"), rec.get("finished_at"))
        infer = str(rec.get("type") or "").startswith("infer")
        speed = f" ({done / took:,.0f} rows/s)" if took and done >= 10_000 and infer else ""
        return f"succeeded: {done:,} rows in {fmt_seconds(took)}{speed}"
    if status in (JobStatus.FAILED, JobStatus.CANCELED):  # where it stopped, as the job reported it (never a full bar)
        pct = float(rec.get("progress") or 0)
        where = f" at {pct:.0f}%" + (f" after {rows}" if done else "") if pct or done else ""
        error = f": {rec.get('error_message') or 'unknown error'}" if status == JobStatus.FAILED else ""
        return f"{status}{where}{error}"
    parts = [status, rows, f"{rec.get('progress') or 0:.0f}%"]
    if rate:
        parts.append(f"{rate:,.0f} rows/s")
    eta = rec.get("estimated_seconds_remaining")
    if eta is not None and status == JobStatus.RUNNING:
        parts.append(f"ETA {fmt_seconds(eta)}")
    if rec.get("current_phase"):
        parts.append(str(rec["current_phase"]))
    if rec.get("cancel_requested"):
        parts.append("canceling…")
    return " · ".join(parts)


class ProgressView(widgets.VBox):
    """The progress widget. Its ``text/plain`` and ``text/html`` describe the job for frontends without widgets."""

    def __init__(self, title: str, job_id: str, cancellable: bool = True) -> None:
        self.title = title
        self.job_id = job_id
        self.record: dict[str, Any] = {"status": "queued", "id": job_id}
        self.rate: float | None = None
        self.cancel_event = threading.Event()
        self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=100.0, layout=widgets.Layout(width="320px"))
        self.label = widgets.HTML(value=self._label_html())
        self.cancel_button = widgets.Button(
            description="Cancel",
            icon="stop",
            button_style="warning",
            layout=widgets.Layout(width="90px"),
            disabled=not cancellable,
        )
        self.cancel_button.on_click(self._on_cancel)
        self.result = widgets.HTML(value="")
        head = widgets.HTML(value=f"<b>{html.escape(title)}</b> <code>{html.escape(job_id)}</code>")
        super().__init__(children=[head, widgets.HBox([self.bar, self.cancel_button]), self.label, self.result])

    # ---- the Cancel button: runs on whichever thread delivers the click; it only sets an event -------------
    def _on_cancel(self, _button: Any = None) -> None:
        self.cancel_event.set()

    def accept_clicks_while_busy(self) -> None:
        """Let a Cancel click reach the kernel while the cell still runs (JupyterLab >= 4.4 sends widget messages
        on a kernel subshell). ipykernel >= 7.4 routes a comm's incoming messages back to the subshell that last
        published on it, which for this button is the busy main shell (it was opened by the cell); forgetting
        that lets the click use the subshell the frontend chose. Private to ipykernel, hence the guard: without
        it a click simply waits for the cell to finish, and a kernel interrupt still cancels."""
        comm = getattr(self.cancel_button, "comm", None)
        lock = getattr(comm, "_reply_subshell_lock", None)
        if comm is None or lock is None:
            return
        with lock:
            comm.__dict__.pop("_reply_subshell_id", None)

    # ---- text for people and static renderers -------------------------------------------------------------
    def text(self) -> str:
        return f"{MARK} {self.title} {self.job_id}: {describe(self.record, self.rate)}"

    def _label_html(self) -> str:
        return f"<span>{html.escape(describe(self.record, self.rate))}</span>"

    def static_html(self) -> str:
        pct = 100.0 if self.record.get("status") == JobStatus.SUCCEEDED else float(self.record.get("progress") or 0)
        return (
            f"<!--ji-progress--><div><b>{html.escape(self.title)}</b> <code>{html.escape(self.job_id)}</code><br>"
            f'<progress max="100" value="{pct:.0f}"></progress> {self._label_html()}</div><!--/ji-progress-->'
        )

    def __repr__(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = self.text()
        bundle["text/html"] = self.static_html()
        return bundle

    # ---- called only from the watcher thread ----------------------------------------------------------------
    def show_error(self, message: str) -> None:
        with self.hold_sync():
            self.bar.bar_style = "danger"
            self.result.value = f'<span style="color:#c00">{html.escape(message)}</span>'

    def render(self, record: dict[str, Any], rate: float | None) -> None:
        self.record, self.rate = dict(record), rate
        status = record.get("status")
        with self.hold_sync():
            self.bar.value = 100.0 if status == JobStatus.SUCCEEDED else float(record.get("progress") or 0.0)
            self.bar.bar_style = {"succeeded": "success", "failed": "danger", "canceled": "warning"}.get(
                str(status), ""
            )
            self.label.value = self._label_html()
            if status in ENDED:
                self.cancel_button.disabled = True
                self.cancel_button.layout.display = "none"


class Watcher(threading.Thread):
    """Polls one job, renders it, forwards a Cancel click to the job, and runs ``on_done`` when it ends."""

    def __init__(
        self,
        job: Job,
        view: ProgressView,
        poll: float = 0.1,
        on_done: Callable[[Job], None] | None = None,
    ) -> None:
        super().__init__(name=f"jupyter-infer-watch-{job.id}", daemon=True)
        self.job = job
        self.view = view
        self.poll = max(0.1, float(poll))  # at most ~10 updates a second
        self.on_done = on_done
        self.done = threading.Event()
        self.error: BaseException | None = None
        self.record: dict[str, Any] = dict(job.record)
        self._cancel_sent = False
        self._seen: tuple[float, int] | None = None

    def _rate(self, rec: dict[str, Any]) -> float | None:
        rows = int(rec.get("rows_done") or 0)
        if rec.get("status") != JobStatus.RUNNING:
            return None
        now = time.monotonic()
        if self._seen is None:
            self._seen = (now, rows)
            return None
        t0, r0 = self._seen
        return (rows - r0) / (now - t0) if now - t0 > 0.5 and rows > r0 else None

    def run(self) -> None:
        try:
            while True:
                if self.view.cancel_event.is_set() and not self._cancel_sent:
                    self._cancel_sent = True
                    self.job.cancel()
                rec = dict(self.job.refresh().record)
                self.record = rec
                self.view.render(rec, self._rate(rec))
                if rec.get("status") in ENDED:
                    break
                # woken early by the job's end when this process runs it, else by a Cancel click
                self.job.pause(self.poll, wake=None if self._cancel_sent else self.view.cancel_event)
            if self.on_done is not None:
                self.on_done(self.job)
        except BaseException as e:  # kept for the waiting cell and shown in the widget: a thread cannot raise
            self.error = e
            try:
                self.view.show_error(f"{type(e).__name__}: {e}")
            except Exception:
                pass
        finally:
            self.done.set()

    def block(self) -> dict[str, Any]:
        """Wait in the cell's thread; a kernel interrupt cancels the job and fails the cell."""
        try:
            while not self.done.wait(0.1):
                pass
        except KeyboardInterrupt:
            self.job.cancel()
            self.view.cancel_event.set()
            deadline = time.monotonic() + 30
            while not self.done.is_set() and time.monotonic() < deadline:
                try:
                    self.done.wait(0.1)
                except KeyboardInterrupt:
                    break
            raise JobCanceled(f"Job {self.job.id} was canceled by a kernel interrupt.") from None
        if self.error is not None:
            raise self.error
        return self.record
