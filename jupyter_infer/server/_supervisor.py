"""Starts the job worker process, restarts it when it dies, fails the jobs a dead worker was running and removes its
temporaries, and keeps the store tidy on a timer: the stale sweep, orphan files, and the sync-result retention."""

from __future__ import annotations

import atexit
import logging
import os
import socket
import subprocess
import sys
import threading
import time

from ..jobs._runner import HEARTBEAT_SECONDS
from ..store import Store
from ._owners import QUEUE_OWNER_KIND, WORKER_OWNER_KIND

log = logging.getLogger("jupyter_infer.server")

_all: list[WorkerSupervisor] = []


MAINTENANCE_SECONDS = 60.0  # the stale sweep, orphan files and retention, when no request triggered them sooner


class WorkerSupervisor:
    def __init__(self, store: Store, threads: int = 2, check_seconds: float = 0.5) -> None:
        self.store = store
        self.threads = threads
        self.check_seconds = check_seconds
        self.maintenance_seconds = MAINTENANCE_SECONDS
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._recent_deaths: list[float] = []
        _all.append(self)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def start(self) -> None:
        self._spawn()
        self._thread = threading.Thread(target=self._watch, name="jupyter-infer-supervisor", daemon=True)
        self._thread.start()

    def _spawn(self) -> None:
        env = dict(os.environ, JUPYTER_INFER_HOME=str(self.store.home), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_infer.server.worker",
                "--home",
                str(self.store.home),
                "--threads",
                str(self.threads),
            ],
            stdin=subprocess.PIPE,
            env=env,
            close_fds=True,
        )
        log.info("jupyter-infer: job worker started (pid %s)", self.proc.pid)

    def nudge(self) -> None:
        """Tell the worker there is a new job (it also looks on its own twice a second)."""
        with self._lock:
            p = self.proc
            if p is None or p.stdin is None or p.poll() is not None:
                return
            try:
                p.stdin.write(b"\n")
                p.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass

    def heartbeat_queued(self) -> None:
        """Queued jobs are this server's to run while it lives, even while its worker starts (importing the
        engine takes seconds) or restarts: keep them from going stale. If the server dies, they do."""
        queued = self.store.queued_job_ids(QUEUE_OWNER_KIND)
        if queued:
            self.store.heartbeat(queued)

    def maintain(self) -> None:
        """Fail stale jobs and expired uploads, remove orphan files, apply the sync-result retention."""
        self.store.sweep_stale()
        removed = self.store.sweep_orphans(force=True)
        if removed:
            log.info(
                "jupyter-infer: removed %d orphan file(s) from the store: %s", len(removed), ", ".join(removed[:5])
            )
        self.store.apply_retention()

    def _watch(self) -> None:
        last_beat = 0.0
        last_maintenance = time.monotonic()
        while not self._stopped.wait(self.check_seconds):
            if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                try:
                    self.heartbeat_queued()
                except Exception:  # a busy database must not stop the supervisor
                    log.exception("jupyter-infer: heartbeat of queued jobs")
            if time.monotonic() - last_maintenance >= self.maintenance_seconds:
                last_maintenance = time.monotonic()
                try:
                    self.maintain()
                except Exception:  # a full disk or a busy database must not stop the supervisor
                    log.exception("jupyter-infer: store maintenance")
            with self._lock:
                p = self.proc
                if p is None or p.poll() is None:
                    continue
                code = p.returncode
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                log.warning("jupyter-infer: job worker %s stopped (%s); restarting it", p.pid, how)
                try:
                    self.fail_jobs_of(p.pid, f"worker stopped ({how})")
                except Exception:
                    log.exception("jupyter-infer: could not mark the dead worker's jobs failed")
                t = time.monotonic()
                self._recent_deaths = [d for d in self._recent_deaths if t - d < 60] + [t]
                if len(self._recent_deaths) > 5:  # crashing at start: back off instead of spinning
                    time.sleep(min(30.0, 2.0 ** (len(self._recent_deaths) - 5)))
                if self._stopped.is_set():
                    return
                self.restarts += 1
                self._spawn()

    def fail_jobs_of(self, pid: int, message: str) -> int:
        """A dead worker's running jobs cannot finish: fail them now (the heartbeat sweep would, 30 s later), with
        the versions they were making, and remove its temporaries."""
        return len(self.store.fail_jobs_of(f"{WORKER_OWNER_KIND}:{socket.gethostname()}:{pid}", message))

    def stop(self) -> None:
        self._stopped.set()
        with self._lock:
            p = self.proc
            if p is None or p.poll() is not None:
                return
            try:
                if p.stdin:
                    p.stdin.close()
            except OSError:
                pass
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.terminate()
                try:
                    p.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    p.kill()
            if self.pid is not None:
                try:
                    self.fail_jobs_of(self.pid, "worker stopped (the server shut down)")
                except Exception:
                    pass


def stop_all() -> None:
    while _all:
        _all.pop().stop()


atexit.register(stop_all)
