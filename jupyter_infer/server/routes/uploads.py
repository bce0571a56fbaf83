"""The upload flow for large files: prepare (``POST /datasets/upload``), ``PUT`` the bytes to the signed
``upload_url`` (no Authorization header; streamed to disk, at most the declared size), then
``POST /datasets/{version_id}/complete``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tornado import web

from ..._exceptions import InferError, TooLargeError
from .._errors import SignedURLHandler
from .._handler import BaseHandler, authenticated
from ..schemas import requests as Q
from ..schemas import responses as R
from ..schemas._fields import Request, Str
from ._op import Op
from ._replies import ingest_submitted


class DatasetUploadHandler(BaseHandler):
    """Prepare a signed-URL upload: a dataset version and its ingest job, ``waiting_for_upload``."""

    ops = {"post": Op("Prepare a signed-URL upload for a large file", R.UploadPrepared, 201, body=Q.UploadBody)}

    @authenticated
    def post(self) -> None:
        body = self.parse_body(Q.UploadBody)
        f = body.file
        cap = self.ctx.max_upload_bytes
        if cap is not None and f.bytes > cap:
            raise TooLargeError(f"The file is {f.bytes} bytes, over this server's upload limit of {cap} bytes.")
        ctype = f.content_type or "application/octet-stream"
        seconds = self.ctx.config.signed_url_seconds
        job = self.ctx.queue.prepare_upload(
            f.filename, f.bytes, ctype, body.dataset_id, body.dataset_name or body.name, body.description, seconds
        )
        dsv = job["dataset_version_id"]
        token = self.ctx.signer.sign("upload", dsv, seconds)
        upload = {
            "filename": f.filename,
            "bytes": f.bytes,
            "content_type": ctype,
            "upload_url": self.api_url(f"/datasets/uploads/{dsv}?token={token}"),
        }
        self.reply(R.UploadPrepared, ingest_submitted(job, name=job["dataset_name"], upload=upload), 201)


class TokenQuery(Request):
    token: Str = None


@web.stream_request_body
class UploadPutHandler(SignedURLHandler):
    """``PUT upload_url``: no Authorization header (the SDK sends none); the signed token in the URL is the
    credential. The body streams to disk and may not exceed the size declared when the upload was prepared."""

    ops = {
        "put": Op(
            "Upload the file (the signed upload_url; no Authorization header)",
            R.UploadReceived,
            query=TokenQuery,
            raw=True,
            auth=False,
        )
    }

    def prepare(self) -> None:
        self._file: Any = None
        self._tmp: Path | None = None
        self._received = 0
        self._too_large = False
        self._deferred: BaseException | None = None
        self.set_header("Cache-Control", "no-store")
        try:
            self._prepare_upload()
        except (web.HTTPError, InferError) as e:
            # answered when the method runs, after the body was read and dropped (see BaseHandler.prepare)
            self._deferred = e
            self._too_large = False
            self._file = None
            self._expected = 1 << 20
            self.request.connection.set_max_body_size(1 << 20)  # type: ignore[union-attr]

    def _prepare_upload(self) -> None:
        if self.request.method != "PUT":
            raise web.HTTPError(405, f"{self.request.method} is not allowed here; PUT the file.")
        dsv = self.path_args[0] if self.path_args else ""
        self.check_signature("upload", dsv)
        job = self.ctx.queue.waiting_upload(dsv)
        self._job = job
        self._expected = int(job["request"].get("expected_bytes") or 0)
        self.request.connection.set_max_body_size(self._expected + (1 << 20))  # type: ignore[union-attr]
        length = self.request.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > self._expected:
            self._too_large = True
            return
        self._tmp = self.ctx.queue.upload_part(job)
        with self.ctx.store.writing("uploads/"):
            self._file = open(self._tmp, "wb")  # noqa: SIM115 - closed in put / on_connection_close

    def data_received(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._too_large or self._deferred is not None:
            return
        if self._received > self._expected:
            self._too_large = True
            self._cleanup()
            return
        if self._file is not None:
            try:
                with self.ctx.store.writing("uploads/"):
                    self._file.write(chunk)
            except InferError as e:  # a full disk: answered (507) once the body has been read, not a reset
                self._deferred = e
                self._cleanup()

    def _refuse(self, *args: Any) -> None:
        raise self._deferred or web.HTTPError(405, f"{self.request.method} is not allowed here; PUT the file.")

    _refuse.refusal = True  # type: ignore[attr-defined]  # answers 405 (or the deferred refusal), not a route
    get = post = patch = delete = _refuse

    def put(self, dsv: str) -> None:
        if self._deferred is not None:
            raise self._deferred
        if self._too_large:
            raise TooLargeError(
                f"The upload is larger than the {self._expected} bytes declared in POST /datasets/upload; "
                "prepare a new upload with the right size."
            )
        assert self._file is not None and self._tmp is not None
        with self.ctx.store.writing("uploads/"):
            self._file.close()
        self._file = None
        self.ctx.queue.accept_upload(self._job, self._tmp)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(R.UploadReceived(version_id=dsv, bytes=self._received, status="uploaded").model_dump()))

    def _cleanup(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            except OSError:  # a full disk fails the flush too; the part is removed below
                pass
            self._file = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)

    def on_connection_close(self) -> None:
        self._cleanup()

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        self._cleanup()
        super().send_error(status_code, **kwargs)


class DatasetCompleteHandler(BaseHandler):
    ops = {"post": Op("Start ingesting an uploaded file", R.IngestSubmitted)}

    @authenticated
    def post(self, ref: str) -> None:
        self.json_body()  # no body expected; a stray one must still be valid
        self.reply(R.IngestSubmitted, ingest_submitted(self.ctx.queue.complete_upload(ref)))
