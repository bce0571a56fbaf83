"""Running jobs: a small thread pool per process, progress written to the store (throttled), cancel checked
between steps, a heartbeat for every active job, and one place that decides how a job ends."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from .._exceptions import InferError, JobCanceled
from ..store import Store, process_owner
from ..store._store import STALE_SECONDS

HEARTBEAT_SECONDS = min(5.0, STALE_SECONDS / 4)  # several beats fit in the stale window
WRITE_INTERVAL = 0.25  # at most ~4 progress writes a second per job
CANCEL_POLL = 0.2
ETA_AFTER = 0.5  # seconds of a measured stretch before its rate predicts an ETA


class JobContext:
    """Handed to the work function: report progress, check for cancel.

    The ETA is the rate of the current measured stretch (since ``begin``, else since the job started) applied to
    the work left. Whatever is reported is written before the job ends, so a failed or cancelled job keeps the
    progress and rows it really reached."""

    def __init__(self, store: Store, job_id: str, cancel_event: threading.Event) -> None:
        self.store = store
        self.job_id = job_id
        self.cancel_event = cancel_event
        self._last_write = 0.0
        self._last_cancel_check = 0.0
        self._t0 = time.monotonic()
        self._eta_from = (self._t0, 0.0)  # (time, fraction) the rate is measured from
        self._rows_total: int | None = None
        self._pending: dict[str, Any] = {}

    def begin(self, phase: str, rows_total: int | None = None) -> None:
        """A stretch of work whose rate predicts the rest starts now (scoring, after loading a model or planning):
        the ETA counts from here; written at once."""
        self._eta_from = (time.monotonic(), 0.0)
        self._pending["estimated_seconds_remaining"] = None  # unknown until this stretch is measured
        self.progress(rows_done=0, rows_total=rows_total, phase=phase, fraction=0.0, force=True)

    def progress(
        self,
        rows_done: int | None = None,
        rows_total: int | None = None,
        phase: str | None = None,
        fraction: float | None = None,
        force: bool = False,
    ) -> None:
        """Record progress; ``fraction`` (0..1) is used when the row count is unknown (training, CSV)."""
        if rows_total is not None:
            self._rows_total = rows_total
            self._pending["rows_total"] = rows_total
        if rows_done is not None:
            self._pending["rows_done"] = rows_done
            if self._rows_total:
                fraction = rows_done / self._rows_total if fraction is None else fraction
        if phase is not None:
            self._pending["current_phase"] = phase
        now = time.monotonic()
        if fraction is not None:
            fraction = min(max(fraction, 0.0), 1.0)
            self._pending["progress"] = round(100.0 * fraction, 2)
            t_from, f_from = self._eta_from
            if fraction > f_from and now - t_from >= ETA_AFTER:
                rate = (fraction - f_from) / (now - t_from)
                self._pending["estimated_seconds_remaining"] = round((1 - fraction) / rate, 1)
        if force or now - self._last_write >= WRITE_INTERVAL:
            self.flush()
            self._last_write = now

    def flush(self) -> None:
        if self._pending:
            self.store.update_job(self.job_id, **self._pending)
            self._pending = {}

    def report(self, phase: str, fraction: float) -> None:
        """The engine's training callback: (phase, fraction done)."""
        self.progress(phase=phase, fraction=fraction)

    def check_cancel(self) -> None:
        """Raise JobCanceled if anyone (this process or another) asked to cancel this job; what was reported so
        far is written first."""
        if not self.cancel_event.is_set():
            now = time.monotonic()
            if now - self._last_cancel_check < CANCEL_POLL:
                return
            self._last_cancel_check = now
            if not self.store.cancel_requested(self.job_id):
                return
            self.cancel_event.set()
        self.flush()
        raise JobCanceled("canceled")


Work = Callable[[JobContext], dict[str, Any] | None]


class Runner:
    """One per store per process. Jobs run on ``workers`` threads; the heartbeat runs on its own thread."""

    _instances: dict[tuple[str, str], Runner] = {}
    _lock = threading.Lock()

    def __init__(self, store: Store, workers: int = 2, owner_kind: str = "kernel") -> None:
        self.store = store
        self.owner = process_owner(owner_kind)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jupyter-infer-job")
        self.active: dict[str, threading.Event] = {}
        self._hb = threading.Thread(target=self._beat, name="jupyter-infer-heartbeat", daemon=True)
        self._hb.start()

    @classmethod
    def for_store(cls, store: Store, owner_kind: str = "kernel") -> Runner:
        key = (str(store.home), owner_kind)
        with cls._lock:
            r = cls._instances.get(key)
            if r is None:
                r = cls._instances[key] = cls(store, owner_kind=owner_kind)
            return r

    def _beat(self) -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            try:
                self.store.heartbeat(list(self.active))
            except Exception:  # a busy database must not kill the heartbeat
                pass

    def submit(self, job_id: str, work: Work) -> Future[BaseException | None]:
        event = self.active.setdefault(job_id, threading.Event())
        self.store.heartbeat([job_id])
        return self.pool.submit(self.run, job_id, work, event)

    def run(self, job_id: str, work: Work, event: threading.Event | None = None) -> BaseException | None:
        """Run ``work`` for a queued job in this thread and record how it ended. Returns the exception that ended
        it (None on success) instead of raising, except for KeyboardInterrupt, which cancels and propagates."""
        event = event or self.active.setdefault(job_id, threading.Event())
        self.active[job_id] = event
        try:
            if not self.store.start_job(job_id, self.owner):
                return JobCanceled(f"Job {job_id} was canceled before it started.")
            ctx = JobContext(self.store, job_id, event)
            try:
                extra = work(ctx) or {}
                ctx.flush()
                self.store.finish_job(job_id, "succeeded", **extra)
                return None
            except JobCanceled as e:
                ctx._pending.clear()
                self.store.finish_job(job_id, "canceled", error_message="canceled by request")
                return JobCanceled(f"Job {job_id} was canceled.") if str(e) == "canceled" else e
            except InferError as e:
                ctx._pending.clear()
                self.store.finish_job(job_id, "failed", error_message=e.message)
                return e
            except KeyboardInterrupt:
                self.store.finish_job(job_id, "canceled", error_message="interrupted")
                raise
            except BaseException as e:
                tb = traceback.format_exc(limit=3)
                self.store.finish_job(job_id, "failed", error_message=f"internal error: {type(e).__name__}: {e}")
                if not isinstance(e, Exception):
                    raise
                _log_internal(job_id, tb)
                return e
        finally:
            self.active.pop(job_id, None)

    def cancel(self, job_id: str) -> None:
        ev = self.active.get(job_id)
        if ev is not None:
            ev.set()
        self.store.request_cancel(job_id)


def _log_internal(job_id: str, tb: str) -> None:
    import logging

    logging.getLogger("jupyter_infer").error("job %s failed with an internal error:\n%s", job_id, tb)
