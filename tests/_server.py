"""A real ``jupyter server`` subprocess on 127.0.0.1 with only the jupyter-infer extension, for the tests that
need the whole thing (HTTP client backend, the official SDK, schemathesis, killing the worker)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Container
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx

from tests._helpers import TERMINAL, eventually


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    home: Path,
    root_dir: Path,
    extra_args: list[str] | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[str, str, Callable[[], None]]:
    """Start ``jupyter server`` with JUPYTER_INFER_HOME=home and the given root; returns (api_base_url, token,
    stop). No config from the machine is read (JUPYTER_NO_CONFIG), so no other server extension loads."""
    port = free_port()
    token = secrets.token_hex(16)
    cfg = Path(tempfile.mkdtemp(prefix="ji-jupyter-config-"))
    log = open(cfg / "server.log", "wb")  # noqa: SIM115 - closed by stop()
    full_env = dict(os.environ)
    full_env.update(
        JUPYTER_INFER_HOME=str(home),
        JUPYTER_NO_CONFIG="1",
        JUPYTER_CONFIG_DIR=str(cfg),
        JUPYTER_RUNTIME_DIR=str(cfg / "runtime"),
        PYTHONUNBUFFERED="1",
    )
    full_env.update(env or {})
    cmd = [
        sys.executable, "-m", "jupyter_server", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
        '--ServerApp.jpserver_extensions={"jupyter_infer": True}', "--ServerApp.open_browser=False", "--allow-root",
        *(extra_args or []),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    api = f"{base}/jupyter-infer/api"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            log.close()
            raise RuntimeError(
                f"jupyter server exited ({proc.returncode}):\n{(cfg / 'server.log').read_text()[-4000:]}"
            )
        try:
            req = urllib.request.Request(f"{api}/openapi.json", headers={"Authorization": f"token {token}"})
            with urllib.request.urlopen(req, timeout=2) as r:
                json.load(r)
            break
        except Exception as e:
            if time.monotonic() > deadline:
                proc.kill()
                log.close()
                raise RuntimeError(f"jupyter server did not answer:\n{(cfg / 'server.log').read_text()[-4000:]}") from e
            time.sleep(0.2)

    def stop() -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()

    stop.log_path = cfg / "server.log"  # type: ignore[attr-defined]
    stop.proc = proc  # type: ignore[attr-defined]
    return api, token, stop


@dataclass
class Live:
    """A running server (``start_server``'s) on its own store and root, and what the tests ask of it over HTTP."""

    api: str
    token: str
    root: Path
    home: Path
    stop: Any  # start_server's stop(), with its ``proc`` and ``log_path``
    timeout: ClassVar[float] = 60.0  # of one HTTP request

    def http(self, token: str | None = "default") -> httpx.Client:
        """A client of the API with this server's token, another ``token``, or none (``None``)."""
        headers = {"Authorization": f"token {self.token if token == 'default' else token}"} if token else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=self.timeout)

    def job(self, job_id: str) -> dict[str, Any]:
        with self.http() as c:
            r = c.get(f"/jobs/{job_id}")
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def wait_status(
        self, job_id: str, statuses: Container[str], timeout: float = 60, every: float = 0.05
    ) -> dict[str, Any]:
        """The job once its status is one of ``statuses`` (AssertionError after ``timeout`` seconds)."""
        return eventually(  # type: ignore[no-any-return]
            lambda: (job := self.job(job_id))["status"] in statuses and job, f"job {job_id} to be in {statuses}",
            timeout, every
        )  # fmt: skip

    def wait(self, job_id: str, timeout: float = 180) -> dict[str, Any]:
        """The job once it has ended."""
        return self.wait_status(job_id, TERMINAL, timeout, every=0.1)

    def log_text(self) -> str:
        return Path(self.stop.log_path).read_text(errors="replace")
