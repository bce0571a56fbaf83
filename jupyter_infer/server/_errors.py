"""The one error shape of the API, ``{"detail": "..."}`` with ``x-should-retry: false`` where retrying cannot help,
and log lines that name a request without its secrets."""

from __future__ import annotations

import json
from http.client import responses
from typing import Any

from jupyter_server.log import _scrub_uri
from tornado import web
from tornado.log import app_log, gen_log

from .._exceptions import InferError

FORBIDDEN = "Forbidden: a valid Jupyter token (Authorization: token|Bearer <token>) is required."


def error_reply(handler: web.RequestHandler, status_code: int, exc: BaseException | None) -> None:
    """Answer with the error: its ``detail`` (paths redacted), ``X-Infer-Error`` (its class) and whether to retry."""
    retry: bool | None = None
    if isinstance(exc, InferError):
        detail = exc.message
        retry = exc.should_retry
        handler.set_header("X-Infer-Error", type(exc).__name__)
    elif isinstance(exc, web.HTTPError):
        detail = exc.log_message or exc.reason or responses.get(status_code, "Error")
        if exc.log_message and exc.args:
            try:
                detail = exc.log_message % exc.args
            except (TypeError, ValueError):
                pass
    elif exc is not None:
        detail = f"internal error: {type(exc).__name__}: {exc}"
    else:
        detail = responses.get(status_code, "Error")
    ctx = handler.settings.get("jupyter_infer")
    if ctx is not None:
        detail = ctx.redact(detail)
    if status_code == 403 and not isinstance(exc, InferError) and detail in ("Forbidden", ""):
        detail = FORBIDDEN
    if retry is None:
        retry = status_code in (408, 429, 502, 503, 504) or (status_code >= 500 and not isinstance(exc, InferError))
    handler.clear_header("Content-Disposition")
    handler.set_header("Content-Type", "application/json")
    if not retry:
        handler.set_header("x-should-retry", "false")
    handler.finish(json.dumps({"detail": detail}))


class ScrubbedLogs(web.RequestHandler):
    """Log lines name the request without its secrets: tornado's own (an error's ``GET /x?token=...`` summary and
    its ``repr(request)``) carry the query string, where a token, an upload URL's or a download URL's signature
    may be; jupyter_server's access log already scrubs it the same way."""

    def _request_summary(self) -> str:
        uri = _scrub_uri(self.request.uri or "", self.settings.get("extra_log_scrub_param_keys", []))
        return f"{self.request.method} {uri} ({self.request.remote_ip})"

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, web.HTTPError):
            message = value.get_message()
            if message:
                gen_log.warning("%d %s: %s", value.status_code, self._request_summary(), message)
            return
        app_log.error("Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))


class SignedURLHandler(ScrubbedLogs):
    """The two routes without Jupyter's auth (the upload PUT, the result download): the signed token in the URL is
    the credential, so no XSRF cookie either; errors in the API's shape, refusals not logged as failures."""

    @property
    def ctx(self) -> Any:
        return self.settings["jupyter_infer"]

    def check_xsrf_cookie(self) -> None:  # the signed token is the credential, not a cookie
        return

    def check_signature(self, purpose: str, ident: str) -> None:
        why = self.ctx.signer.check(purpose, ident, self.get_query_argument("token", None))
        if why:
            raise web.HTTPError(403, f"Forbidden: {why}.")

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, InferError):
            status_code = exc.status
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        error_reply(self, status_code, (kwargs.get("exc_info") or (None, None, None))[1])

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, InferError | web.HTTPError):
            return
        super().log_exception(typ, value, tb)
