"""Running jobs: a small thread pool per process, progress written to the store (throttled), cancel checked
between steps, a heartbeat for every active job, and one place that decides how a job ends.

A job's work registers what it made (``ctx.on_success``) and the files it wrote (``ctx.produced``); the end of the
job is one compare-and-set in the store (``Store.finish_job``). If another process ended the job first (a cancel,
the stale sweep, a deleted model), the work is discarded: its files are removed and nothing is registered."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .._exceptions import ConflictError, InferError, JobCanceled
from ..store import TERMINAL, JobStatus, Store, ended_error, process_owner
from ..store._errors import storage_error
from ..store._files import remove
from ..store._jobs import STALE_SECONDS, Commit

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
        self.commits: list[Commit] = []
        self.files: list[Path] = []

    def on_success(self, commit: Commit) -> None:
        """Register what the job made (e.g. ``store.model_ready(...)``) in the transaction that ends it succeeded;
        it is never registered if the job ends any other way."""
        self.commits.append(commit)

    def produced(self, path: str | Path) -> None:
        """A file the job wrote into place: kept if the job succeeds, removed otherwise."""
        self.files.append(Path(path))

    def discard(self) -> None:
        """The job did not succeed (or lost the race to end it): remove what it wrote."""
        for p in self.files:
            remove(p)
        self.files.clear()
        self.commits.clear()
        self._pending.clear()

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
            if not self.store.report_progress(self.job_id, **self._pending):
                self.cancel_event.set()  # the job ended elsewhere: stop at the next check
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
            if not self.store.should_stop(self.job_id):
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
                return self._ended_elsewhere(job_id)
            ctx = JobContext(self.store, job_id, event)
            try:
                extra = work(ctx) or {}
                ctx.flush()
                if self.store.finish_job(job_id, JobStatus.SUCCEEDED, commit=ctx.commits, **extra):
                    return None
                ctx.discard()
                return self._ended_elsewhere(job_id)
            except JobCanceled as e:
                return self._end(ctx, JobStatus.CANCELED, "canceled by request") or (
                    JobCanceled(f"Job {job_id} was canceled.") if str(e) == "canceled" else e
                )
            except InferError as e:
                return self._end(ctx, JobStatus.FAILED, e.message) or e
            except KeyboardInterrupt:
                self._end(ctx, JobStatus.CANCELED, "interrupted")
                raise
            except BaseException as e:
                err = storage_error(e, self.store.home)  # a full disk or a read-only store, in words
                if err is not None:
                    return self._end(ctx, JobStatus.FAILED, err.message) or err
                if _exiting(e):
                    return self._end(ctx, JobStatus.FAILED, "worker stopped (its process exited)") or e
                tb = traceback.format_exc(limit=3)
                lost = self._end(ctx, JobStatus.FAILED, f"internal error: {type(e).__name__}: {e}")
                if not isinstance(e, Exception):
                    raise
                if lost is None:
                    _log_internal(job_id, tb)
                return lost or e
        finally:
            self.active.pop(job_id, None)

    def _end(self, ctx: JobContext, status: str, message: str) -> InferError | None:
        """End a job that did not succeed and discard its work; None if this call ended it, else the error that
        says how it had already ended."""
        ctx.discard()
        if self.store.finish_job(ctx.job_id, status, error_message=message):
            return None
        return self._ended_elsewhere(ctx.job_id)

    def _ended_elsewhere(self, job_id: str) -> InferError:
        """The error for a job another process (or a cancel) ended first."""
        job = self.store.get_job(job_id)
        if job["status"] not in TERMINAL:
            return ConflictError(f"Job {job_id} is already {job['status']} in another process.")
        return ended_error(job) or ConflictError(f"Job {job_id} already succeeded in another process.")

    def cancel(self, job_id: str) -> None:
        ev = self.active.get(job_id)
        if ev is not None:
            ev.set()
        self.store.request_cancel(job_id)


def _exiting(e: BaseException) -> bool:
    """The process is exiting under the job (a kernel shut down, a script ended): Python has closed its thread
    pools, so the job's next batch could not start."""
    return sys.is_finalizing() or (isinstance(e, RuntimeError) and "cannot schedule new futures after" in str(e))


def _log_internal(job_id: str, tb: str) -> None:
    import logging

    logging.getLogger("jupyter_infer").error("job %s failed with an internal error:\n%s", job_id, tb)
