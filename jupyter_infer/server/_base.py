"""The handler base: Jupyter's auth before any body byte is read, bodies streamed (JSON in memory up to a small
cap, multipart and raw uploads to disk), every error as ``{"detail": ...}`` with ``x-should-retry``."""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import shutil
import sys
from http.client import responses
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.log import _scrub_uri
from tornado import web
from tornado.log import app_log, gen_log

from .._exceptions import InferError, OptionError, TooLargeError
from ..store import new_id
from ..store._errors import storage_error
from ._bodies import BodyError, MultipartParser, multipart_boundary

if TYPE_CHECKING:
    from ._context import ServerContext

log = logging.getLogger("jupyter_infer.server")

MAX_JSON_BYTES = 1 << 20
MAX_JSON_DEPTH = 32  # objects and arrays inside each other in a request body
MAX_JSON_NUMBER_CHARS = 40  # digits (and sign, point, exponent) of one number in a request body
KNOWN_EXT = (".csv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


def _json_default(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, set | frozenset | tuple):
        return list(v)
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


def dumps(obj: Any) -> str:
    """JSON with NaN and infinities as null (JSON has neither)."""
    try:
        return json.dumps(obj, default=_json_default, allow_nan=False)
    except ValueError:
        return _dumps_nan(obj)


def _dumps_nan(obj: Any) -> str:
    def fix(o: Any) -> Any:
        if (isinstance(o, float) and o != o) or o in (float("inf"), float("-inf")):
            return None
        if isinstance(o, dict):
            return {k: fix(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [fix(v) for v in o]
        return o

    return json.dumps(fix(obj), default=_json_default)


def safe_filename(name: str, default: str = "upload") -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    base = re.sub(r"[^\w.\- ]+", "_", base)[:120].strip(" .")
    return base or default


def sniff_extension(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:4] == b"PAR1":
        return ".parquet"
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return ".json"
    return ".csv"


def with_known_extension(path: Path) -> Path:
    """Uploads are read by their extension: give the file the one its bytes say when its name has none we know
    (a name that lies about its content is kept, so the reader reports it as the embedded engine does)."""
    if path.suffix.lower() in KNOWN_EXT:
        return path
    fixed = path.with_name(path.name + sniff_extension(path))
    os.replace(path, fixed)
    return fixed


def parse_bool(name: str, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    s = str(v).strip().lower()
    if s in ("true", "1", "yes", "on"):
        return True
    if s in ("false", "0", "no", "off", ""):
        return False
    raise OptionError(f'{name} must be true or false, not "{v}".')


def parse_int(
    name: str, v: Any, lo: int | None = None, hi: int | None = None, default: int | None = None
) -> int | None:
    if v is None or v == "":
        return default
    if isinstance(v, bool):
        raise OptionError(f"{name} must be a whole number, not {v!r}.")
    try:
        i = int(str(v).strip())
    except ValueError:
        raise OptionError(f'{name} must be a whole number, not "{v}".') from None
    if lo is not None and i < lo:
        raise OptionError(f"{name} must be at least {lo}; got {i}.")
    if hi is not None and i > hi:
        raise OptionError(f"{name} must be at most {hi}; got {i}.")
    return i


class BodyJSONError(InferError):
    """A request body that is not JSON, or JSON past this server's depth and number limits."""

    status = 400


def _number(text: str) -> str:
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise BodyJSONError(
            f"the JSON body has a number of {len(text)} characters; numbers may have at most {MAX_JSON_NUMBER_CHARS}."
        )
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    v = float(_number(text))
    if v in (float("inf"), float("-inf")):
        raise BodyJSONError(f"the JSON body has the number {text}, too large for a 64-bit float.")
    return v


def _constant(name: str) -> Any:
    raise BodyJSONError(f"the JSON body has {name}, which is not JSON; send null or a number.")


def _depth(obj: Any) -> int:
    """How deeply lists and objects nest (iterative: no recursion on hostile input)."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        o, d = todo.pop()
        if isinstance(o, dict | list):
            deepest = max(deepest, d)
            todo.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return deepest


def loads_body(raw: bytes) -> Any:
    """A request body's JSON, within the limits (depth, number size, no NaN or infinities); else a 400 that says
    which."""
    try:
        obj = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        obj = None
        depth = MAX_JSON_DEPTH + 1
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BodyJSONError(f"the body is not valid JSON: {e}") from None
    else:
        depth = _depth(obj)
    if depth > MAX_JSON_DEPTH:
        raise BodyJSONError(f"the JSON body nests lists and objects more than {MAX_JSON_DEPTH} levels deep.")
    return obj


def error_reply(handler: web.RequestHandler, status_code: int, exc: BaseException | None) -> None:
    """The one error shape: ``{"detail": "..."}``, ``x-should-retry: false`` where retrying cannot help."""
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
        detail = "Forbidden: a valid Jupyter token (Authorization: token|Bearer <token>) is required."
    if retry is None:
        retry = status_code in (408, 429, 502, 503, 504) or (status_code >= 500 and not isinstance(exc, InferError))
    handler.clear_header("Content-Disposition")
    handler.set_header("Content-Type", "application/json")
    if not retry:
        handler.set_header("x-should-retry", "false")
    handler.finish(json.dumps({"detail": detail}))


def _exc_status(exc: BaseException | None, default: int) -> int:
    if isinstance(exc, InferError):
        return exc.status
    if isinstance(exc, BodyError):
        return 400
    return default


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


FORBIDDEN = "Forbidden: a valid Jupyter token (Authorization: token|Bearer <token>) is required."


def authenticated(method: Any) -> Any:
    """``web.authenticated``, after any refusal that prepare() deferred (see ``BaseHandler.prepare``)."""
    guarded = web.authenticated(method)

    @functools.wraps(method)
    def wrapper(self: BaseHandler, *args: Any, **kwargs: Any) -> Any:
        if self._deferred is not None:
            raise self._deferred
        return guarded(self, *args, **kwargs)

    return wrapper


@web.stream_request_body
class BaseHandler(ScrubbedLogs, APIHandler):
    """All API routes. ``body = "json" | "multipart" | "either" | "none"`` says what a POST may carry."""

    body = "json"
    body_limit: int | None = None  # bytes; None = MAX_JSON_BYTES for JSON, the configured cap for files
    auth_resource = "jupyter_infer"

    @property
    def ctx(self) -> ServerContext:
        return self.settings["jupyter_infer"]

    # ---- auth and body --------------------------------------------------------------------------------------
    async def prepare(self) -> None:  # type: ignore[override]
        self._received = 0
        self._too_large = False
        self._body_error: str | None = None
        self._json_buf = bytearray()
        self._parser: MultipartParser | None = None
        self._upload_dir: Path | None = None
        self._kept = False
        self._limit = MAX_JSON_BYTES
        self._deferred: BaseException | None = None
        method = (self.request.method or "GET").lower()
        try:
            await super().prepare()
            if method == "options":  # CORS preflight, as Jupyter answers it
                return
            xsrf = getattr(self, "_xsrf_error", None)
            if xsrf is not None:
                raise xsrf
            if self.current_user is None:
                raise web.HTTPError(403, FORBIDDEN)
            action = {"get": "read", "head": "read"}.get(method, "write")
            if not self.authorizer.is_authorized(self, self.current_user, action, self.auth_resource):
                raise web.HTTPError(403, f"Forbidden: not authorized to {action} {self.auth_resource}.")
        except web.HTTPError as e:
            # A streaming handler that answers from prepare(), before tornado has finished reading the request,
            # makes tornado close the keep-alive connection without saying so, and the client's next request on
            # it is reset. So the refusal is answered when the method runs, after the body (up to 1 MiB) has been
            # read and dropped.
            self._deferred = e
            self._limit = 0
            if self._has_body():
                self.request.connection.set_max_body_size(1 << 20)  # type: ignore[union-attr]
            return
        if method in ("post", "put", "patch"):
            self._setup_body()

    def check_xsrf_cookie(self) -> None:
        """Tornado checks XSRF before ``prepare``; a refusal there would drop the connection too (see
        ``prepare``), so it is answered when the method runs."""
        try:
            super().check_xsrf_cookie()
        except web.HTTPError as e:
            self._xsrf_error = e

    def _has_body(self) -> bool:
        h = self.request.headers
        return bool(h.get("Transfer-Encoding")) or (h.get("Content-Length", "0") not in ("", "0"))

    def _mode(self) -> str:
        ctype = (self.request.headers.get("Content-Type") or "").lower()
        if self.body == "either":
            return "multipart" if ctype.startswith("multipart/") else "json"
        return self.body

    def _setup_body(self) -> None:
        mode = self._mode()
        if mode == "multipart":
            self._limit = self.body_limit if self.body_limit is not None else self.ctx.max_body_bytes
            boundary = multipart_boundary(self.request.headers.get("Content-Type", ""))
            if boundary is None:
                self._body_error = "expected a multipart/form-data body with a boundary"
            else:
                self._upload_dir = self.ctx.store.path("uploads", new_id("up_"))
                self._upload_dir.mkdir(parents=True, exist_ok=True)
                self._parser = MultipartParser(boundary, self._open_part)
        elif mode == "json":
            self._limit = MAX_JSON_BYTES
        else:
            self._limit = 0
        if self._limit:
            # lift tornado's connection cap (Jupyter's max_body_size) so an oversize body can be answered with
            # a 413 instead of a dropped connection
            self.request.connection.set_max_body_size(max(self._limit, self.ctx.max_body_bytes) * 4 + (1 << 20))  # type: ignore[union-attr]
        length = self.request.headers.get("Content-Length")
        if length and length.isdigit() and self._limit and int(length) > self._limit:
            self._mark_too_large()

    def _open_part(self, field: str, filename: str) -> tuple[IO[bytes], Path]:
        assert self._upload_dir is not None
        name = safe_filename(filename, default=field)
        path = self._upload_dir / name
        return open(path, "wb"), path

    def _mark_too_large(self) -> None:
        self._too_large = True
        if self._parser is not None:
            self._parser.close()
        self._json_buf = bytearray()
        self._discard_uploads()

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._too_large or self._body_error or self._deferred is not None:
            return
        if self._limit and self._received > self._limit:
            self._mark_too_large()
            return
        try:
            if self._parser is not None:
                with self.ctx.store.writing("uploads/"):
                    self._parser.feed(chunk)
            elif self._limit:
                self._json_buf += chunk
        except BodyError as e:
            self._body_error = str(e)
            if self._parser is not None:
                self._parser.close()
        except InferError as e:  # a full disk: answered (507) once the body has been read, not a reset
            self._deferred = e
            self._limit = 0
            if self._parser is not None:
                with contextlib.suppress(OSError):  # flushing the part's buffer fails the same way
                    self._parser.close()
            self._discard_uploads()

    def check_body(self) -> None:
        if self._deferred is not None:
            raise self._deferred
        if self._too_large:
            raise TooLargeError(self.too_large_detail())
        if self._body_error:
            raise web.HTTPError(400, self._body_error)
        if self._parser is not None and not self._parser.complete:
            raise web.HTTPError(400, "the multipart body ended before its closing boundary")

    def too_large_detail(self) -> str:
        mib = self._limit / (1 << 20)
        return (
            f"The request body is over the {mib:g} MiB limit for sync inference and direct uploads. For larger "
            "inputs use the async path: POST /models/{id}/infer-async (a multipart upload, or JSON "
            '{"path": "<file under the server root>"}), or for datasets the upload flow: POST /datasets/upload, '
            "PUT the file to its upload_url, then POST /datasets/{version_id}/complete."
        )

    def json_body(self) -> dict[str, Any]:
        self.check_body()
        raw = bytes(self._json_buf).strip()
        if not raw:
            return {}
        obj = loads_body(raw)
        if not isinstance(obj, dict):
            raise OptionError("the JSON body must be an object")
        return obj

    def form(self) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        self.check_body()
        assert self._parser is not None
        return self._parser.fields, self._parser.files

    def keep_upload(self) -> None:
        """The uploaded files now belong to a job (which deletes them); do not clean them up."""
        self._kept = True

    def _discard_uploads(self) -> None:
        if self._upload_dir is not None and not self._kept:
            shutil.rmtree(self._upload_dir, ignore_errors=True)

    def on_finish(self) -> None:
        self._discard_uploads_safe()

    def on_connection_close(self) -> None:
        self._discard_uploads_safe()
        super().on_connection_close()

    def _discard_uploads_safe(self) -> None:
        if getattr(self, "_upload_dir", None) is not None and not getattr(self, "_kept", False):
            self._discard_uploads()

    # ---- replies -----------------------------------------------------------------------------------------------
    def reply(self, obj: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(dumps(obj))

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        err = storage_error(exc, self.ctx.store.home) if exc is not None else None
        if err is not None and err is not exc:  # a full disk or a read-only store met anywhere: a 507 in words
            kwargs["exc_info"] = (type(err), err, None)
            exc = err
        super().send_error(_exc_status(exc, status_code), **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        error_reply(self, status_code, exc)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, InferError | BodyError):
            log.info("%s %s -> %s: %s", self.request.method, self.request.path, _exc_status(value, 400), value)
            return
        super().log_exception(typ, value, tb)

    def api_url(self, path: str) -> str:
        """An absolute URL under the API, as the client reached this server."""
        return f"{self.request.protocol}://{self.request.host}{self.ctx.api_base}{path}"


class StoreUnavailableHandler(APIHandler):
    """Every route but ``/openapi.json`` while the store cannot be opened (read-only, full): a 507 that says why,
    after Jupyter's auth."""

    def initialize(self, message: str, api_base: str) -> None:
        self.message = message
        self.api_base = api_base

    @web.authenticated
    def _unavailable(self, *args: Any) -> None:
        self.set_header("Content-Type", "application/json")
        if self.request.method == "GET" and self.request.path == self.api_base + "/openapi.json":
            from ._openapi import openapi

            self.finish(json.dumps(openapi(self.api_base)))
            return
        self.set_status(507)
        self.set_header("x-should-retry", "false")
        self.finish(json.dumps({"detail": self.message}))

    get = post = put = delete = patch = _unavailable


def exc_info_now() -> Any:
    return sys.exc_info()
