"""Every route refuses a request without a valid Jupyter token: a real server with only this extension."""

from __future__ import annotations

import re

import httpx
import pytest

from jupyter_infer.server.openapi import openapi
from tests.server.conftest import Live

PATHS = openapi()["paths"]
METHODS = ("get", "post", "put", "delete", "patch")


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x_1", path)


@pytest.mark.parametrize("token", [None, "not-the-token"])
def test_every_route_refuses_a_request_without_a_valid_token(live: Live, token: str | None) -> None:
    checked = 0
    with live.http(token=token) as c:
        for path, ops in PATHS.items():
            for method in METHODS:
                kwargs = {"json": {}} if method in ("post", "put", "patch") else {}
                r = c.request(method.upper(), concrete(path), **kwargs)
                if method not in ops:
                    assert r.status_code in (401, 403, 405), (method, path, r.status_code)
                else:
                    assert r.status_code in (401, 403), (method, path, r.status_code, r.text[:200])
                    checked += 1
                assert isinstance(r.json().get("detail"), str) and r.json()["detail"], (method, path, r.text)
                assert r.headers["x-should-retry"] == "false"
        # paths that match no route are refused before they are looked up
        r = c.get("/no/such/route")
        assert r.status_code in (401, 403) and "detail" in r.json()
    assert checked == sum(len(ops) for ops in PATHS.values())


def test_a_valid_token_is_accepted_as_token_or_bearer(live: Live) -> None:
    for scheme in ("token", "Bearer"):
        r = httpx.get(f"{live.api}/jobs", headers={"Authorization": f"{scheme} {live.token}"})
        assert r.status_code == 200 and "items" in r.json()


def test_signed_urls_need_their_own_token_not_the_jupyter_one(live: Live) -> None:
    """The two routes without Jupyter auth take only a signed token for that very URL."""
    with live.http() as c:  # even a valid Jupyter token does not open them
        r = c.get("/jobs/job_X/results/download", params={"output_type": "parquet"})
        assert r.status_code == 403 and "signed" in r.json()["detail"]
        r = c.put("/datasets/uploads/dsv_X", content=b"a,b\n1,2\n", params={"token": "123.abc"})
        assert r.status_code == 403 and "detail" in r.json()
