"""One request to a Wood Wide-compatible API, sent under our retry policy, and an error response turned into the
exception the embedded engine raises.

The retry policy (tenacity runs it): a request is sent again after a connection that was never made (nothing
reached the server), after 408, 429, 502, 503 or 504 (the server did not take it), and, for a request that is safe
to repeat (GET, HEAD, PUT, DELETE, or one its caller marks so), after a timeout, another transport error or any
other 5xx. The server's ``x-should-retry: true|false`` overrides the status. Between attempts it waits what the
server's ``Retry-After-Ms`` or ``Retry-After`` (seconds or an HTTP date) says, at most 60 s, else 0.5 s doubling
to at most 8 s, each with +-25 % jitter. A request that creates a job is never repeated after it may have arrived.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, retry_if_result, stop_after_attempt

from .._exceptions import ConflictError, InferError, InputError, NotFoundError, RemoteError, TooLargeError

RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})  # the server did not take the request: send it again
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)  # the request never left
SAFE_METHODS = frozenset({"GET", "HEAD", "DELETE", "PUT"})
MAX_BACKOFF, MAX_RETRY_AFTER = 8.0, 60.0


def _error_classes() -> dict[str, type[InferError]]:
    """InferError and every subclass by name: a server's error class name maps back to the same class here."""
    out: dict[str, type[InferError]] = {}
    todo: list[type[InferError]] = [InferError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return out


_CLASSES = _error_classes()
_BY_STATUS: dict[int, type[InferError]] = {404: NotFoundError, 409: ConflictError, 413: TooLargeError, 422: InputError}


def error_from_response(resp: httpx.Response) -> InferError:
    """An error response as the exception the embedded engine would raise (``X-Infer-Error`` names the class
    when the server is ours; otherwise the status decides)."""
    try:
        body = resp.json()
        detail = body.get("detail", body) if isinstance(body, dict) else body
    except ValueError:
        detail = resp.text.strip() or resp.reason_phrase
    if isinstance(detail, list):  # FastAPI-style validation errors
        detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    msg = str(detail)
    cls = _CLASSES.get(resp.headers.get("x-infer-error", ""))
    if cls is None:
        cls = RemoteError if resp.status_code >= 500 else _BY_STATUS.get(resp.status_code, InferError)
    err = cls(msg)
    if cls is InferError or (cls is RemoteError and resp.status_code < 500):
        err.status = resp.status_code
    if resp.status_code in (401, 403):
        err.message = f"Not authorized by {resp.request.url.host}: {msg} (check the token)."
        err.should_retry = False
    return err


def should_retry(resp: httpx.Response, idempotent: bool) -> bool:
    """Whether an error response is worth sending the request again for."""
    hint = str(resp.headers.get("x-should-retry", ""))
    if hint in ("true", "false"):
        return hint == "true"
    return resp.status_code in RETRY_STATUSES or (resp.status_code >= 500 and idempotent)


def retry_after(resp: httpx.Response) -> float | None:
    """The wait the server asks for (``Retry-After-Ms``, else ``Retry-After`` in seconds or as an HTTP date),
    at most ``MAX_RETRY_AFTER``; None when it asks for nothing readable."""
    ms, sec = resp.headers.get("retry-after-ms"), resp.headers.get("retry-after")
    delay: float | None = None
    if ms and ms.replace(".", "", 1).isdigit():
        delay = float(ms) / 1000
    elif sec and sec.replace(".", "", 1).isdigit():
        delay = float(sec)
    elif sec:
        try:
            delay = email.utils.parsedate_to_datetime(sec).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return None if delay is None else min(max(delay, 0.0), MAX_RETRY_AFTER)


def backoff(attempt: int) -> float:
    """The wait before retry number ``attempt`` + 1 (0-based) when the server asks for none."""
    return min(MAX_BACKOFF, 0.5 * 2.0**attempt) * (0.75 + 0.5 * random.random())


def _wait(state: RetryCallState) -> float:
    outcome = state.outcome
    resp = outcome.result() if outcome is not None and not outcome.failed else None
    asked = retry_after(resp) if isinstance(resp, httpx.Response) else None
    return asked if asked is not None else backoff(state.attempt_number - 1)


def _close_before_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        outcome.result().close()


def send(
    http: httpx.Client,
    method: str,
    url: str,
    build: Callable[[], dict[str, Any]] | None = None,
    *,
    stream: bool = False,
    safe_to_repeat: bool | None = None,
    retries: int = 3,
    sleep: Callable[[float], None] = time.sleep,
    where: str = "",
) -> httpx.Response:
    """Send ``method url`` (``build`` makes the request's arguments anew for every attempt: a body is sent whole
    each time) with up to ``retries`` retries under the policy above. A success comes back (streamed when
    ``stream``); a failure raises the engine's exception: the server's error class, or ``RemoteError`` naming
    ``where`` (the API's base URL) when it could not be reached."""
    idempotent = method in SAFE_METHODS if safe_to_repeat is None else safe_to_repeat

    def attempt() -> httpx.Response:
        resp = http.send(http.build_request(method, url, **(build() if build else {})), stream=stream)
        if resp.status_code >= 400 and stream:
            resp.read()
        return resp

    def worth_retrying(e: BaseException) -> bool:
        return isinstance(e, NEVER_SENT) or (idempotent and isinstance(e, httpx.TransportError))

    retrying = Retrying(
        stop=stop_after_attempt(retries + 1),
        wait=_wait,
        retry=retry_if_exception(worth_retrying)
        | retry_if_result(lambda r: r.status_code >= 400 and should_retry(r, idempotent)),
        before_sleep=_close_before_retry,
        sleep=sleep,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome is not None else None,
        reraise=True,
    )
    try:
        resp: httpx.Response = retrying(attempt)
    except NEVER_SENT as e:
        raise RemoteError(f"Could not reach {where}: {e}") from None
    except httpx.TimeoutException as e:
        raise RemoteError(f"{method} {url} timed out: {e}") from None
    except httpx.TransportError as e:
        raise RemoteError(f"{method} {url} failed: {type(e).__name__}: {e}") from None
    if resp.status_code >= 400:
        raise error_from_response(resp)
    return resp
