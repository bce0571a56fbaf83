"""The HTTP backend's retry policy, pinned: which failures are retried (and which never are, so that a job is never
created twice), how long it waits between attempts (exponential backoff with jitter, or what the server's
Retry-After says, at most 60 s) and how many attempts it makes. Waits are recorded, not slept."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import jupyter_infer as ji
from jupyter_infer.client._http import HttpBackend

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait between attempts, in seconds (nothing really sleeps): the client's own sleep hook, so threads
    other tests left running are not counted."""
    seen: list[float] = []
    monkeypatch.setattr(HttpBackend, "_sleep", lambda self, seconds: seen.append(seconds))
    return seen


def backend(handler: Handler, **kw: Any) -> HttpBackend:
    return HttpBackend("http://test/api", token="t", transport=httpx.MockTransport(handler), **kw)


def answers(*replies: httpx.Response | type[Exception]) -> tuple[Handler, list[httpx.Request]]:
    """A handler that gives these replies in turn (an exception class is raised instead), then 200 {}."""
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if len(seen) <= len(replies):
            r = replies[len(seen) - 1]
            if isinstance(r, httpx.Response):
                return r
            raise r("boom", request=req)  # type: ignore[call-arg]
        return httpx.Response(200, json={"id": "job_1", "status": "running"})

    return handler, seen


def test_backoff_doubles_from_half_a_second_with_a_quarter_of_jitter(waits: list[float]) -> None:
    handler, seen = answers(*[httpx.Response(503)] * 3)
    assert backend(handler).get_job("job_1")["status"] == "running"
    assert len(seen) == 4 and len(waits) == 3
    for wait, base in zip(waits, (0.5, 1.0, 2.0), strict=True):
        assert 0.75 * base <= wait <= 1.25 * base


def test_the_backoff_stops_growing_at_eight_seconds(waits: list[float]) -> None:
    handler, seen = answers(*[httpx.Response(502)] * 6)
    backend(handler, max_retries=6).get_job("job_1")
    assert len(seen) == 7 and 0.75 * 8 <= waits[-1] <= 1.25 * 8 and 0.75 * 8 <= waits[-2] <= 1.25 * 8


def test_three_retries_then_the_error(waits: list[float]) -> None:
    handler, seen = answers(*[httpx.Response(503, json={"detail": "busy"})] * 10)
    with pytest.raises(ji.RemoteError, match="busy"):
        backend(handler).get_job("job_1")
    assert len(seen) == 4 and len(waits) == 3


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "1500", "retry-after": "9"}, 1.5),  # the finer one wins
        ({"retry-after": "120"}, 60.0),  # never more than a minute
    ],
)
def test_the_server_says_how_long_to_wait(waits: list[float], headers: dict[str, str], expected: float) -> None:
    handler, _ = answers(httpx.Response(429, headers=headers))
    backend(handler).get_job("job_1")
    assert waits == [expected]


def test_retry_after_as_an_http_date(waits: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    handler, _ = answers(httpx.Response(503, headers={"retry-after": when}))
    backend(handler).get_job("job_1")
    assert 25 <= waits[0] <= 31


@pytest.mark.parametrize("status", [408, 429, 502, 503, 504])
def test_a_job_creating_post_is_retried_when_the_server_did_not_take_it(waits: list[float], status: int) -> None:
    handler, seen = answers(httpx.Response(status))
    backend(handler)._json("POST", "/models/m/infer-batch", json={}, safe_to_repeat=False)
    assert len(seen) == 2


@pytest.mark.parametrize("status", [500, 501, 507])
def test_other_server_errors_are_retried_for_reads_only(waits: list[float], status: int) -> None:
    handler, seen = answers(httpx.Response(status))
    backend(handler).get_job("job_1")
    assert len(seen) == 2
    handler, seen = answers(httpx.Response(status))
    with pytest.raises(ji.InferError):
        backend(handler)._json("POST", "/models/m/infer-batch", json={}, safe_to_repeat=False)
    assert len(seen) == 1


def test_client_errors_are_never_retried(waits: list[float]) -> None:
    for status in (400, 404, 409, 413, 422):
        handler, seen = answers(httpx.Response(status, json={"detail": "no"}))
        with pytest.raises(ji.InferError):
            backend(handler).get_job("job_1")
        assert len(seen) == 1 and not waits


def test_the_server_decides_with_x_should_retry(waits: list[float]) -> None:
    handler, seen = answers(httpx.Response(500, headers={"x-should-retry": "true"}))
    backend(handler)._json("POST", "/models/m/infer-batch", json={}, safe_to_repeat=False)
    assert len(seen) == 2
    handler, seen = answers(httpx.Response(503, headers={"x-should-retry": "false"}))
    with pytest.raises(ji.RemoteError):
        backend(handler).get_job("job_1")
    assert len(seen) == 1


def test_a_connection_never_made_is_retried_even_for_a_post(waits: list[float]) -> None:
    handler, seen = answers(httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    backend(handler)._json("POST", "/models/m/infer-batch", json={}, safe_to_repeat=False)
    assert len(seen) == 4 and len(waits) == 3


def test_a_request_that_may_have_reached_the_server_is_retried_only_when_safe(waits: list[float]) -> None:
    for exc, words in ((httpx.ReadTimeout, "timed out"), (httpx.ReadError, "failed: ReadError")):
        handler, seen = answers(exc)
        assert backend(handler).get_job("job_1")["status"] == "running"
        assert len(seen) == 2
        handler, seen = answers(exc)
        with pytest.raises(ji.RemoteError, match=words):
            backend(handler)._json("POST", "/models/m/infer-batch", json={}, safe_to_repeat=False)
        assert len(seen) == 1


def test_a_server_never_reached_is_named(waits: list[float]) -> None:
    handler, seen = answers(*[httpx.ConnectError] * 10)
    with pytest.raises(ji.RemoteError, match=r"Could not reach http://test/api"):
        backend(handler, max_retries=1).get_job("job_1")
    assert len(seen) == 2 and len(waits) == 1


def test_each_attempt_rebuilds_the_request(waits: list[float]) -> None:
    """A retried upload sends its whole body again (the body is made anew for every attempt)."""
    handler, seen = answers(httpx.Response(503))
    b = backend(handler)
    built: list[int] = []

    def build() -> dict[str, Any]:
        built.append(1)
        return {"content": b"abc"}

    b._send("PUT", "/datasets/uploads/x", build)
    assert len(built) == 2 and [r.content for r in seen] == [b"abc", b"abc"]
