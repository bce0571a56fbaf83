"""Bodies over the configured cap get a 413 whose detail points to the async path and the upload flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Api


@pytest.fixture
def jp_server_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_infer": True}},
        "JupyterInfer": {"worker": False, "home": str(tmp_path / "store"), "max_body_mb": 0.01},  # ~10 KB
    }


async def test_over_the_cap_is_413_pointing_to_the_async_path(api: Api, penguins_csv: bytes, tmp_path: Path) -> None:
    assert len(penguins_csv) > 11_000
    for path in ("/models/anything/infer", "/datasets"):
        r = await api("POST", path, files={"file": ("big.csv", penguins_csv)}, fields={"output_type": "json"})
        assert r.code == 413, (path, r.code, r.body)
        detail = json.loads(r.body)["detail"]
        assert "infer-async" in detail and "/datasets/upload" in detail
        assert r.headers["x-should-retry"] == "false"
    # nothing of the refused bodies stays on disk
    uploads = tmp_path / "store" / "uploads"
    assert not any(p.is_file() for p in uploads.rglob("*"))
    # a body under the cap still works (and reaches the model lookup)
    r = await api("POST", "/models/anything/infer", files={"file": ("small.csv", penguins_csv[:2000])})
    assert r.code == 404 and "anything" in json.loads(r.body)["detail"]
