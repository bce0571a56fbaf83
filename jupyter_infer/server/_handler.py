"""The handler of every authenticated route: Jupyter's auth before any body byte is read, bodies streamed (JSON in
memory up to a small cap, multipart to disk), requests validated by their schema, replies shaped by theirs, every
error as ``{"detail": ...}``."""

from __future__ import annotations

import contextlib
import functools
import logging
import shutil
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from jupyter_server.base.handlers import APIHandler
from pydantic import BaseModel
from tornado import web

from .._exceptions import InferError, OptionError, TooLargeError
from ..store._errors import storage_error
from ._errors import FORBIDDEN, ScrubbedLogs, error_reply
from ._json import MAX_JSON_BYTES, dumps, loads_body
from ._multipart import BodyError, FormStream, multipart_boundary
from .schemas import validate

if TYPE_CHECKING:
    from ._context import ServerContext
    from .routes._op import Op

log = logging.getLogger("jupyter_infer.server")
M = TypeVar("M", bound=BaseModel)


def _exc_status(exc: BaseException | None, default: int) -> int:
    if isinstance(exc, InferError):
        return exc.status
    if isinstance(exc, BodyError):
        return 400
    return default


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
    """All authenticated routes. ``ops`` describes each method (openapi.json); ``body = "json" | "multipart" |
    "either" | "none"`` says what a POST may carry."""

    ops: typing.ClassVar[dict[str, Op]] = {}
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
        self._form: FormStream | None = None
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

    def is_multipart(self) -> bool:
        if self.body == "either":
            return (self.request.headers.get("Content-Type") or "").lower().startswith("multipart/")
        return self.body == "multipart"

    def _setup_body(self) -> None:
        if self.is_multipart():
            self._limit = self.body_limit if self.body_limit is not None else self.ctx.max_body_bytes
            boundary = multipart_boundary(self.request.headers.get("Content-Type", ""))
            if boundary is None:
                self._body_error = "expected a multipart/form-data body with a boundary"
            else:
                try:
                    self._upload_dir = self.ctx.queue.upload_folder()
                    self._form = FormStream(boundary, self._upload_dir)
                except InferError as e:  # a full disk: answered (507) once the body has been read, not a reset
                    self._deferred = e
        elif self.body == "none":
            self._limit = 0
        else:
            self._limit = MAX_JSON_BYTES
        if self._limit:
            # lift tornado's connection cap (Jupyter's max_body_size) so an oversize body can be answered with
            # a 413 instead of a dropped connection
            self.request.connection.set_max_body_size(max(self._limit, self.ctx.max_body_bytes) * 4 + (1 << 20))  # type: ignore[union-attr]
        length = self.request.headers.get("Content-Length")
        if length and length.isdigit() and self._limit and int(length) > self._limit:
            self._mark_too_large()

    def _mark_too_large(self) -> None:
        self._too_large = True
        if self._form is not None:
            self._form.close()
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
            if self._form is not None:
                with self.ctx.store.writing("uploads/"):
                    self._form.feed(chunk)
            elif self._limit:
                self._json_buf += chunk
        except BodyError as e:
            self._body_error = str(e)
            if self._form is not None:
                self._form.close()
        except InferError as e:  # a full disk: answered (507) once the body has been read, not a reset
            self._deferred = e
            self._limit = 0
            if self._form is not None:
                with contextlib.suppress(OSError):  # flushing the part's buffer fails the same way
                    self._form.close()
            self._discard_uploads()

    def check_body(self) -> None:
        if self._deferred is not None:
            raise self._deferred
        if self._too_large:
            raise TooLargeError(self.too_large_detail())
        if self._body_error:
            raise web.HTTPError(400, self._body_error)
        if self._form is not None and not self._form.complete:
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
        """The JSON object of the body (an empty body is ``{}``)."""
        self.check_body()
        raw = bytes(self._json_buf).strip()
        if not raw:
            return {}
        obj = loads_body(raw)
        if not isinstance(obj, dict):
            raise OptionError("the JSON body must be an object")
        return obj

    # ---- requests as their schemas ------------------------------------------------------------------------------
    def parse_body(self, model: type[M]) -> M:
        """The JSON body as ``model``."""
        return validate(model, self.json_body())

    def parse_form(self, model: type[M]) -> M:
        """The multipart body (its fields and files) as ``model``."""
        self.check_body()
        assert self._form is not None
        return validate(model, {**self._form.fields, **self._form.files})

    def parse_query(self, model: type[M]) -> M:
        """The query string as ``model`` (a list field takes every value of its name)."""
        args: dict[str, Any] = {}
        for name, field in model.model_fields.items():
            if typing.get_origin(field.annotation) is list:
                args[name] = self.get_query_arguments(name)
            elif (value := self.get_query_argument(name, None)) is not None:
                args[name] = value
        return validate(model, args)

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
    def reply(self, model: type[BaseModel] | None, obj: Any, status: int = 200) -> None:
        """Answer with ``obj`` as ``model`` says (its fields, in its order); None: ``obj`` as it is."""
        if model is not None:
            obj = model.model_validate(obj).model_dump(by_alias=True, exclude_unset=True)
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
