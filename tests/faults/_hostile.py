"""Fixtures of the hostile-input tests: real ``jupyter server`` subprocesses on 127.0.0.1 (with the worker
process), each with a store and a root of its own, and helpers to call them as an attacker would."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import jupyter_infer as ji
from tests._server import start_server

TERMINAL = ("succeeded", "failed", "canceled")


@dataclass
class Server:
    api: str
    token: str
    root: Path
    home: Path
    log: Path

    def http(self, token: str | None = "default") -> httpx.Client:
        headers = {"Authorization": f"token {self.token if token == 'default' else token}"} if token else {}
        return httpx.Client(base_url=self.api, headers=headers, timeout=120)

    def client(self) -> ji.Client:
        return ji.connect(self.api, token=self.token)

    def job(self, job_id: str) -> dict[str, Any]:
        with self.http() as c:
            return c.get(f"/jobs/{job_id}").json()  # type: ignore[no-any-return]

    def wait(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in TERMINAL:
                return job
            assert time.monotonic() < deadline, f"job {job_id} is still {job['status']}"
            time.sleep(0.1)

    def wait_status(self, job_id: str, statuses: tuple[str, ...], timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["status"] in statuses:
                return job
            assert time.monotonic() < deadline, f"job {job_id} is {job['status']}, not {statuses}"
            time.sleep(0.05)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def serve(tmp: pytest.TempPathFactory, name: str, args: list[str] | None = None,
          env: dict[str, str] | None = None) -> Iterator[Server]:  # fmt: skip
    home = tmp.mktemp(f"{name}-store")
    root = tmp.mktemp(f"{name}-root")
    api, token, stop = start_server(home, root, extra_args=args, env=env)
    try:
        yield Server(api, token, root, home, stop.log_path)  # type: ignore[attr-defined]
    finally:
        stop()


@pytest.fixture(scope="module", name="server")
def server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with the default settings (limits included). Import ``server_fixture`` to use ``server``."""
    yield from serve(tmp_path_factory, "hostile")


def csv_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode()


def detail_of(resp: httpx.Response) -> str:
    """The ``detail`` of an error reply (and that it is one: JSON, a non-empty string)."""
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"], resp.text[:300]
    return str(body["detail"])
