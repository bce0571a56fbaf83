"""Inference routes: sync on an upload (``/infer``: runs on the server's small thread pool, within the sync
limits), and in the background on an upload or a file under the server root (``/infer-async``) or on a stored
dataset (``/infer-batch``)."""

from __future__ import annotations

import time
from typing import Any

from ..._exceptions import OptionError
from ...client._requests import InferRequest
from .._handler import BaseHandler, authenticated
from .._json import dumps
from ..schemas import requests as Q
from ..schemas import responses as R
from ._op import Op
from ._options import background_request, infer_options, response_format, written_as
from ._replies import infer_submitted

SYNC_MEDIA = ("application/json", "text/csv", "application/octet-stream")


def envelope(res: Any, started: float) -> str:
    """Sync inference's JSON answer (``InferEnvelope``): the output and what made it, with its descriptions.
    Written as it is, not through the model: ``data`` may be large."""
    meta = res.meta
    env: dict[str, Any] = {
        "data": res.to_json(),
        "model_id": meta.get("model_id"),
        "model_name": meta.get("model_name"),
        "model_version_id": meta.get("model_version_id"),
        "model_type": meta.get("model_type"),
        "job_id": meta.get("job_id"),
        "status": "succeeded",
        "latency_ms": round(1000 * (time.monotonic() - started), 1),
        "reconciliation": res.reconciliation,
        "rows": len(res),
    }
    env.update(res.descriptions)
    return dumps(env)


class InferHandler(BaseHandler):
    """Sync inference on an uploaded CSV/Parquet/JSON file (≤ the body cap). It runs in the server process on a
    small thread pool, so it never blocks the event loop; larger inputs belong on the async path."""

    body = "multipart"
    ops = {
        "post": Op(
            "Sync inference on an uploaded file (≤ the body cap); csv by default",
            R.InferEnvelope,
            form=Q.InferForm,
            media=SYNC_MEDIA,
        )
    }

    @authenticated
    async def post(self, ref: str) -> None:
        form = self.parse_form(Q.InferForm)
        fields = form.model_dump(exclude={"file"})
        opts, mv = infer_options(fields, default_output="csv")
        wire = response_format(fields, opts)
        started = time.monotonic()
        cfg = self.ctx.config
        # rows and output size, known before any decoding or scoring (the body cap bounds compressed bytes only)
        res = await self.ctx.run(
            self.ctx.sync.infer_upload,
            InferRequest(ref, opts, mv),
            form.file.path,
            cfg.max_sync_rows,
            int(cfg.max_sync_output_mb * (1 << 20)),
        )
        if wire == "json":
            self.finish(await self.ctx.run(envelope, res, started))
            return
        data = await self.ctx.run(res.encode, wire)
        self.set_header("Content-Disposition", f'attachment; filename="{res.job_id}.{wire}"')
        ctype = "text/csv; charset=utf-8" if wire == "csv" else "application/octet-stream"
        self.finish(data, set_content_type=ctype)


class InferAsyncHandler(BaseHandler):
    """A background ``infer_batch`` job on an uploaded file (multipart, streamed to disk) or, our extension, on a
    file under the server root (JSON ``{"path": ..., "output_path": ...}``)."""

    body = "either"
    ops = {
        "post": Op(
            "Async inference on an uploaded file, or on a file under the server root (JSON)",
            R.InferSubmitted,
            202,
            body=Q.InferAsyncBody,
            form=Q.InferAsyncForm,
        )
    }

    def prepare(self) -> Any:  # type: ignore[override]
        self.body_limit = self.ctx.max_upload_bytes or (1 << 62)
        return super().prepare()

    @authenticated
    def post(self, ref: str) -> None:
        queue = self.ctx.queue
        if self.is_multipart():
            form = self.parse_form(Q.InferAsyncForm)
            req = background_request(ref, form.model_dump(exclude={"file"}), default_output="parquet")
            job = queue.infer_upload_async(req, form.file.path, form.file.filename)
            self.keep_upload()
        else:
            body = self.parse_body(Q.InferAsyncBody)
            fields = body.model_dump()
            written = fields.get("output_type") or written_as(body.output_path)  # a given output_type wins
            req = background_request(ref, fields, default_output=written)
            job = queue.infer_file_async(req, self.ctx.root, body.path, body.output_path)
        self.reply(R.InferSubmitted, infer_submitted(job), 202)


class InferBatchHandler(BaseHandler):
    ops = {"post": Op("Batch inference on a stored dataset", R.InferSubmitted, 202, body=Q.InferBatchBody)}

    @authenticated
    def post(self, ref: str) -> None:
        body = self.parse_body(Q.InferBatchBody)
        req = background_request(ref, body.model_dump(), default_output="parquet")
        dataset = body.dataset_id or body.dataset_name
        if not dataset and not body.dataset_version_id:
            raise OptionError("Name the data to score: dataset_id (or its name) or dataset_version_id.")
        job, new = self.ctx.queue.infer_stored(
            req, dataset or body.dataset_version_id or "", body.dataset_version_id, body.force_rerun
        )
        self.reply(R.InferSubmitted, infer_submitted(job), 202 if new else 200)
