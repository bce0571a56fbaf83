"""The remote backend's own behaviour: retries and backoff, error mapping, and the paths it takes for big inputs."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer.client._http import HttpBackend
from tests.server.conftest import Live


def backend(handler: Any, **kw: Any) -> HttpBackend:
    b = HttpBackend("http://test/jupyter-infer/api", token="t", transport=httpx.MockTransport(handler), **kw)
    b._sleep = lambda seconds: None  # type: ignore[method-assign]  # no real waiting in tests
    return b


def test_reads_are_retried_on_5xx_and_429_then_succeed() -> None:
    calls: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req.headers["Authorization"])
        if len(calls) == 1:
            return httpx.Response(503, json={"detail": "busy"})
        if len(calls) == 2:
            return httpx.Response(429, json={"detail": "slow down"}, headers={"retry-after": "0"})
        return httpx.Response(200, json={"id": "job_1", "status": "running"})

    assert backend(handler).get_job("job_1")["status"] == "running"
    assert calls == ["token t"] * 3


def test_no_retry_when_the_server_says_so_and_errors_map_to_the_engine_classes() -> None:
    n = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal n
        n += 1
        if req.url.path.endswith("/jobs/job_1"):
            return httpx.Response(
                500, json={"detail": "job failed"}, headers={"x-should-retry": "false", "X-Infer-Error": "JobFailed"}
            )
        if req.url.path.endswith("/models/nope"):
            return httpx.Response(404, json={"detail": 'No model named "nope". Did you mean "yes"?'})
        if req.url.path.endswith("/models/bad"):
            return httpx.Response(
                422, json={"detail": "k applies to search models only"}, headers={"X-Infer-Error": "OptionError"}
            )
        return httpx.Response(403, json={"detail": "Forbidden"})

    b = backend(handler)
    with pytest.raises(ji.JobFailed, match="job failed"):
        b.get_job("job_1")
    assert n == 1
    with pytest.raises(ji.NotFoundError, match="Did you mean"):
        b.get_model("nope")
    with pytest.raises(ji.OptionError):
        b.get_model("bad")
    with pytest.raises(ji.InferError, match="check the token") as e:
        b.list_models()
    assert e.value.status == 403 and not e.value.should_retry


def test_job_creating_posts_are_not_repeated_after_a_server_error() -> None:
    n = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal n
        n += 1
        return httpx.Response(500, text="boom")

    with pytest.raises(ji.RemoteError):
        backend(handler)._json("POST", "/models/m/infer-batch", json={}, safe_to_repeat=False)
    assert n == 1


def test_an_unreachable_server_is_a_remote_error_after_retries() -> None:
    n = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal n
        n += 1
        raise httpx.ConnectError("refused", request=req)

    with pytest.raises(ji.RemoteError, match="Could not reach"):
        backend(handler, max_retries=2).list_jobs(None, None, 5)
    assert n == 3


class Recording(httpx.HTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(f"{request.method} {request.url.path.split('/jupyter-infer/api')[1]}")
        return super().handle_request(request)


def test_big_inputs_take_the_upload_flow_and_the_async_path(live: Live, penguins: pd.DataFrame) -> None:
    rec = Recording()
    small_cap = ji.Client(HttpBackend(live.api, token=live.token, direct_limit=2_000, transport=rec))
    ds = small_cap.datasets.create(penguins, name="via-upload")
    assert ds.row_count == 344
    assert "POST /datasets/upload" in rec.paths and "POST /datasets" not in rec.paths
    assert any(p.endswith("/complete") for p in rec.paths)
    model = small_cap.models.train(ds, "clustering", name="http-big", params={"training_mode": "fast"})
    rec.paths.clear()
    res = small_cap.models.infer(model, penguins)  # over the cap: async job + streamed result, same answer
    assert any(p.endswith("/infer-async") for p in rec.paths) and not any(p.endswith("/infer") for p in rec.paths)
    direct = ji.connect(live.api, token=live.token).models.infer(model, penguins)
    pd.testing.assert_frame_equal(res.to_pandas(), direct.to_pandas())
    assert res.model_name == direct.model_name == "http-big" and res.descriptions == direct.descriptions


def test_parquet_on_the_wire_keeps_types(live: Live) -> None:
    c = ji.connect(live.api, token=live.token)
    df = pd.DataFrame({"n": [1, 2, 3, 4] * 25, "f": [0.5, 1.5, None, 2.5] * 25,
                       "when": pd.date_range("2024-01-01", periods=100, freq="D"),
                       "s": ["a", "b", "c", "d"] * 25, "flag": [True, False] * 50})  # fmt: skip
    ds = c.datasets.create(df, name="typed")
    assert ds.schema and ds.row_count == 100
    prev = ds.preview(5)
    assert list(prev.columns) == list(df.columns)
    assert json.loads(json.dumps(prev.to_dict(orient="list"), default=str))["n"] == [1, 2, 3, 4, 1]
