"""Fixtures of the hostile-input tests: real ``jupyter server`` subprocesses on 127.0.0.1 (with the worker
process), each with a store and a root of its own, and helpers to call them as an attacker would."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

import jupyter_infer as ji
from tests._server import Live, start_server


class Server(Live):
    timeout = 120.0

    def client(self) -> ji.Client:
        return ji.connect(self.api, token=self.token)


def serve(tmp: pytest.TempPathFactory, name: str, args: list[str] | None = None,
          env: dict[str, str] | None = None) -> Iterator[Server]:  # fmt: skip
    home = tmp.mktemp(f"{name}-store")
    root = tmp.mktemp(f"{name}-root")
    api, token, stop = start_server(home, root, extra_args=args, env=env)
    try:
        yield Server(api, token, root, home, stop)
    finally:
        stop()


@pytest.fixture(scope="module", name="server")
def server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with the default settings (limits included). Import ``server_fixture`` to use ``server``."""
    yield from serve(tmp_path_factory, "hostile")


def detail_of(resp: httpx.Response) -> str:
    """The ``detail`` of an error reply (and that it is one: JSON, a non-empty string)."""
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("detail"), str) and body["detail"], resp.text[:300]
    return str(body["detail"])
