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


class JobContext:
    """Handed to the work function: report progress, check for cancel."""

    def __init__(self, store: Store, job_id: str, cancel_event: threading.Event) -> None:
        self.store = store
        self.job_id = job_id
        self.cancel_event = cancel_event
        self._last_write = 0.0
        self._last_cancel_check = 0.0
        self._t0 = time.monotonic()
        self._rows_total: int | None = None
        self._pending: dict[str, Any] = {}

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
        if fraction is not None:
            fraction = min(max(fraction, 0.0), 1.0)
            self._pending["progress"] = round(100.0 * fraction, 2)
            elapsed = time.monotonic() - self._t0
            if fraction > 0.01 and elapsed > 0.5:
                self._pending["estimated_seconds_remaining"] = round(elapsed * (1 - fraction) / fraction, 1)
        now = time.monotonic()
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
        """Raise JobCanceled if anyone (this process or another) asked to cancel this job."""
        if self.cancel_event.is_set():
            raise JobCanceled("canceled")
        now = time.monotonic()
        if now - self._last_cancel_check >= CANCEL_POLL:
            self._last_cancel_check = now
            if self.store.cancel_requested(self.job_id):
                self.cancel_event.set()
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
