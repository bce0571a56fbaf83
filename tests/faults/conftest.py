"""The fault suite's tools: real servers on 127.0.0.1 started per test with the settings a fault needs, kernel-like
child processes on a shared store (to pause with SIGSTOP, kill with SIGKILL), a small full-able disk (a tmpfs), and
a census of the store's files that no record owns. Short stale thresholds and a test-only row rate keep it fast."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._helpers import eventually
from tests._server import Live, start_server

STALE = 3.0  # seconds without a heartbeat before a job counts as orphaned, in every process a fault test starts
FAULT_ENV = {"JUPYTER_INFER_STALE_SECONDS": str(STALE)}


@dataclass
class Server(Live):
    """A real ``jupyter server`` with this extension, on its own store and root; its clients closed at the end."""

    clients: list[httpx.Client] = field(default_factory=list)

    @property
    def proc(self) -> subprocess.Popen[bytes]:
        return self.stop.proc  # type: ignore[no-any-return]

    def http(self, token: str | None = "default") -> httpx.Client:
        c = super().http(token)
        self.clients.append(c)
        return c

    # on the way to ``status`` a job may only be queued, running or waiting for its upload
    def wait_reaches(self, job_id: str, status: str, timeout: float = 60.0) -> dict[str, Any]:
        def check() -> Any:
            j = self.job(job_id)
            assert j["status"] in (status, "queued", "running", "waiting_for_upload"), j
            return j["status"] == status and j

        return eventually(check, f"job {job_id} to be {status}", timeout)  # type: ignore[no-any-return]

    def worker_pid(self) -> int:
        return int(self.http().get("/status").json()["worker"]["pid"])

    def close(self) -> None:
        for c in self.clients:
            c.close()
        self.stop()


def launch(
    where: Path, env: dict[str, str] | None = None, args: list[str] | None = None, home: Path | None = None
) -> Server:
    """Start a server with its store (``home``, default ``where/store``) and root (``where/root``)."""
    home = home or where / "store"
    root = where / "root"
    root.mkdir(parents=True, exist_ok=True)
    api, token, stop = start_server(home, root, extra_args=args, env={**FAULT_ENV, **(env or {})})
    return Server(api, token, root, home, stop)


INFER_RATE = "JUPYTER_INFER_TEST_ROWS_PER_SECOND"  # test-only: rows/s an inference job scores
TRAIN_RATE = "JUPYTER_INFER_TEST_TRAIN_ROWS_PER_SECOND"  # test-only: rows/s a training job adds (as a wait)


def module_server(name: str, rate: int | None = None, args: list[str] | None = None) -> Any:
    """A module-scoped fixture: one server for a test module (``rate``: the test-only rows/s of its inference
    and training jobs)."""

    @pytest.fixture(scope="module")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
        env = {INFER_RATE: str(rate), TRAIN_RATE: str(rate)} if rate else {}
        s = launch(tmp_path_factory.mktemp(name), env=env, args=args)
        yield s
        s.close()

    return server


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``serve(env={...}, args=[...], home=...)``: start a server for this test (stopped at its end)."""
    started: list[Server] = []

    def start(env: dict[str, str] | None = None, args: list[str] | None = None, home: Path | None = None) -> Server:
        s = launch(tmp_path / f"server{len(started)}", env, args, home)
        started.append(s)
        return s

    yield start
    for s in started:
        s.close()


@dataclass
class Child:
    """A kernel-like Python process on a store; it prints lines the test reads."""

    proc: subprocess.Popen[str]

    def line(self, timeout: float = 60.0) -> str:
        """The next line it printed (AssertionError with its stderr if it ended first)."""
        import selectors

        assert self.proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError(f"the child printed nothing in {timeout} s")
        out = self.proc.stdout.readline().strip()
        if not out:
            self.proc.wait(timeout=30)
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise AssertionError(f"the child ended ({self.proc.returncode}) without a line:\n{err[-3000:]}")
        return out

    def signal(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def finish(self, timeout: float = 120.0) -> tuple[str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return out, err


@pytest.fixture
def child() -> Iterator[Callable[..., Child]]:
    """``child(home, code, env={...})``: a Python process with ``c = ji.connect(home=home)`` then ``code``."""
    procs: list[Child] = []

    def start(home: Path, code: str, env: dict[str, str] | None = None) -> Child:
        script = f"import jupyter_infer as ji\nc = ji.connect(home={str(home)!r})\n" + textwrap.dedent(code)
        p = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **FAULT_ENV, **(env or {})},
        )  # fmt: skip
        ch = Child(p)
        procs.append(ch)
        return ch

    yield start
    for ch in procs:
        if ch.proc.poll() is None:
            ch.proc.send_signal(signal.SIGCONT)
            ch.proc.kill()
            ch.proc.wait(timeout=30)


@pytest.fixture
def short_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """This test process sweeps stale jobs after ``STALE`` seconds and heartbeats its own jobs often enough, as its
    children do (request it before connecting: a store's runner reads the beat interval as it starts)."""
    from jupyter_infer.jobs import _runner
    from jupyter_infer.store import _jobs as _store

    monkeypatch.setattr(_store, "STALE_SECONDS", STALE)
    monkeypatch.setattr(_runner, "HEARTBEAT_SECONDS", STALE / 4)


# ---- a small disk ---------------------------------------------------------------------------------------------------
class SmallDisk:
    """A tmpfs of a few MiB: fill it to make the store's disk full, remount it read-only."""

    def __init__(self, path: Path, size_mb: int) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
                           capture_output=True, text=True)  # fmt: skip
        if r.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs to fill ({r.stderr.strip()}); needs root, as CI runs")
        self.filler = path / "filler.bin"

    def fill(self) -> None:
        """Take every free byte (the store's next write fails with ENOSPC)."""
        # unbuffered: a buffered file would try its failed write again on close and raise there
        for name, block in (("filler.bin", 1 << 16), ("filler-small.bin", 512)):  # then the last partial block
            with open(self.path / name, "ab", buffering=0) as f:
                try:
                    while True:
                        f.write(b"\0" * block)
                except OSError:
                    pass

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)
        (self.path / "filler-small.bin").unlink(missing_ok=True)

    def read_only(self) -> None:
        r = subprocess.run(["mount", "-o", "remount,ro", str(self.path)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr

    def writable(self) -> None:
        subprocess.run(["mount", "-o", "remount,rw", str(self.path)], capture_output=True, text=True)

    def unmount(self) -> None:
        if subprocess.run(["umount", str(self.path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(self.path)], capture_output=True)  # a test's store is still open


@pytest.fixture
def small_disk() -> Iterator[Callable[[int], SmallDisk]]:
    """``small_disk(size_mb)``: a tmpfs mounted for this test (unmounted at its end; skipped where mounting is not
    allowed, i.e. not root)."""
    disks: list[SmallDisk] = []
    base = Path(tempfile.mkdtemp(prefix="ji-small-disk-"))

    def make(size_mb: int) -> SmallDisk:
        d = SmallDisk(base / f"disk{len(disks)}", size_mb)
        disks.append(d)
        return d

    yield make
    for d in disks:
        d.unmount()
    shutil.rmtree(base, ignore_errors=True)


# ---- what the store holds that nothing owns -------------------------------------------------------------------------
def store_files(home: Path) -> dict[str, list[str]]:
    """Every file under the store's folders, by folder (uploads: the entries)."""
    return {
        sub: sorted(p.name for p in (home / sub).iterdir()) if (home / sub).exists() else []
        for sub in ("results", "datasets", "models", "uploads")
    }


def orphan_files(home: Path) -> list[str]:
    """Files no record owns, checked against the database directly (not with the code under test): temporaries,
    results of jobs that did not succeed, files of versions that do not exist or failed, uploads no open job
    reads."""
    import json
    import sqlite3

    con = sqlite3.connect(home / "store.sqlite")
    con.row_factory = sqlite3.Row
    jobs = {r["id"]: r for r in con.execute("SELECT id, status, result_path, request FROM jobs")}
    versions = {
        r["id"]: r["status"]
        for t in ("dataset_versions", "model_versions")
        for r in con.execute(f"SELECT id, status FROM {t}")
    }
    con.close()
    bad: list[str] = []
    files = store_files(home)
    for name in files["results"]:
        status = jobs[jid]["status"] if (jid := name.lstrip(".").split(".")[0]) in jobs else None
        if status not in (("queued", "running") if name.startswith(".") else ("queued", "running", "succeeded")):
            bad.append(f"results/{name}")
    for sub in ("datasets", "models"):
        for name in files[sub]:
            vid = name.split(".")[0]
            if name.startswith(".") or versions.get(vid) not in ("ready", "processing"):
                bad.append(f"{sub}/{name}")
    open_inputs = []
    for j in jobs.values():
        if j["status"] in ("waiting_for_upload", "queued", "running") and j["request"]:
            req = json.loads(j["request"])
            src = req.get("source")
            src = src.get("path") if isinstance(src, dict) else src
            if src:
                open_inputs.append(str(src))
    for name in files["uploads"]:
        if not any(f"/uploads/{name}" in s for s in open_inputs):
            bad.append(f"uploads/{name}")
    return bad


def open_jobs(home: Path) -> list[tuple[str, str]]:
    import sqlite3

    con = sqlite3.connect(home / "store.sqlite")
    rows = con.execute("SELECT id, status FROM jobs WHERE status IN ('queued','running','waiting_for_upload')")
    out = [(r[0], r[1]) for r in rows]
    con.close()
    return out
