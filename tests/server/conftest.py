"""Fixtures for the server tests: pytest-jupyter's in-process server (``jp_fetch``) with only this extension, and
one real ``jupyter server`` subprocess per session for the SDK, auth, worker and schemathesis tests."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403 - the jp_* fixtures and the async test runner

from tests._helpers import TERMINAL
from tests._server import Live, start_server


@pytest.fixture
def jp_server_config(tmp_path: Path) -> dict[str, Any]:
    """Only this extension; jobs on the server's threads (the worker process is tested with a real server)."""
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_infer": True}},
        "JupyterInfer": {"worker": False, "home": str(tmp_path / "store")},
    }


def multipart(fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = b""
    for k, v in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
    for k, (name, data) in files.items():
        out += (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + b"\r\n"
        )
    out += f"--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


class Api:
    """jp_fetch with the API prefix, JSON bodies, multipart files, and no exception on error statuses."""

    def __init__(self, jp_fetch: Any) -> None:
        self.fetch = jp_fetch

    async def __call__(self, method: str, path: str, json_body: Any = None, params: dict[str, Any] | None = None,
                       fields: dict[str, Any] | None = None, files: dict[str, tuple[str, bytes]] | None = None,
                       headers: dict[str, str] | None = None) -> Any:  # fmt: skip
        kw: dict[str, Any] = {"method": method, "raise_error": False, "params": params or {}}
        hdrs = dict(headers or {})
        if files is not None or fields is not None:
            body, ctype = multipart(fields or {}, files or {})
            kw["body"] = body
            hdrs["Content-Type"] = ctype
        elif json_body is not None:
            kw["body"] = json.dumps(json_body)
            hdrs["Content-Type"] = "application/json"
        elif method in ("POST", "PUT"):
            kw["body"] = b""
        kw["headers"] = hdrs
        kw["allow_nonstandard_methods"] = True
        return await self.fetch("jupyter-infer", "api", *[p for p in path.split("/") if p], **kw)

    async def json(self, method: str, path: str, expect: int | tuple[int, ...] = (200, 201, 202), **kw: Any) -> Any:
        r = await self(method, path, **kw)
        codes = (expect,) if isinstance(expect, int) else expect
        assert r.code in codes, (r.code, r.body[:500])
        return json.loads(r.body) if r.body else None

    async def wait(self, job_id: str, timeout: float = 120) -> dict[str, Any]:
        import asyncio

        deadline = time.monotonic() + timeout
        while True:
            job = await self.json("GET", f"/jobs/{job_id}", expect=200)
            if job["status"] in TERMINAL:
                return job  # type: ignore[no-any-return]
            assert time.monotonic() < deadline, f"job {job_id} still {job['status']}"
            await asyncio.sleep(0.1)


@pytest.fixture
def api(jp_fetch: Any) -> Api:
    return Api(jp_fetch)


# ---- a real server subprocess -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """One jupyter server with only this extension and its worker process; a short stale threshold."""
    home = tmp_path_factory.mktemp("live-store")
    root = tmp_path_factory.mktemp("live-root")
    api, token, stop = start_server(home, root, env={"JUPYTER_INFER_STALE_SECONDS": "4"})
    try:
        yield Live(api, token, root, home, stop)
    finally:
        stop()
