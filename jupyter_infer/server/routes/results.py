"""A finished job's results: what it made and a signed download URL (``/results``), a page of rows, the result in
any format (``/results/file``), and the signed download itself (``/results/download``, no Authorization header)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from tornado import web

from .._errors import SignedURLHandler
from .._handler import BaseHandler, authenticated
from ..schemas import responses as R
from ..schemas._fields import Request, Shown, Str, Whole
from ..schemas.requests import OUTPUT_TYPES
from ._op import Op

FILE = ("application/octet-stream",)
OutputType = Annotated[Any, Shown({"type": "string", "enum": list(OUTPUT_TYPES)})]


class JobResultsHandler(BaseHandler):
    ops = {"get": Op("Result metadata and a signed download URL", R.JobResults)}

    @authenticated
    async def get(self, job_id: str) -> None:
        out = await self.ctx.run(self.ctx.queue.job_results, job_id)
        if "output_type" in out:  # an inference: its file, signed for a client without the token
            fmt = out["output_type"]
            token = self.ctx.signer.sign("result", f"{job_id}:{fmt}", self.ctx.config.signed_url_seconds)
            out["inference_results_uri"] = self.api_url(
                f"/jobs/{job_id}/results/download?output_type={fmt}&token={token}"
            )
            out["output_path"] = self.ctx.relative(out["output_path"])
        self.reply(R.JobResults, out)


def _columns(values: Any) -> list[str]:
    """``?columns=a,b&columns=c``: every value, split at its commas."""
    return [name.strip() for v in values or [] for name in str(v).split(",") if name.strip()]


Columns = Annotated[list[str], BeforeValidator(_columns), WithJsonSchema({"type": "string"})]


class RowsQuery(Request):
    limit: Annotated[int | None, Whole(1, None, 100, shown={"type": "integer", "minimum": 1, "maximum": 500})] = 100
    offset: Annotated[int | None, Whole(0, 10**12, 0, shown={"type": "integer", "minimum": 0})] = 0
    columns: Columns = []
    search: Str = None
    filter_column: Str = None
    filter_value: str | None = None
    sort_by: Str = None
    sort_dir: Annotated[str | None, Shown({"type": "string", "enum": ["asc", "desc"]})] = None


class JobResultRowsHandler(BaseHandler):
    ops = {"get": Op("A page of result rows", R.ResultRows, query=RowsQuery)}

    @authenticated
    async def get(self, job_id: str) -> None:
        q = self.parse_query(RowsQuery)
        out = await self.ctx.run(
            self.ctx.queue.result_rows,
            job_id,
            q.limit or 100,
            q.offset or 0,
            q.columns,
            q.search,
            q.filter_column,
            q.filter_value,
            q.sort_by,
            q.sort_dir or "asc",
        )
        self.reply(R.ResultRows, out)


async def send_result(h: web.RequestHandler, job: Mapping[str, Any], fmt: str) -> None:
    """Stream a result in ``fmt``; every chunk is read or encoded on the thread pool, not the event loop."""
    ctx = h.settings["jupyter_infer"]
    stream = await ctx.run(ctx.queue.result_stream, job, fmt)
    h.set_header("Content-Disposition", f'attachment; filename="{stream.filename}"')
    h.set_header("Content-Type", stream.content_type)
    if stream.length is not None:
        h.set_header("Content-Length", str(stream.length))
    while (chunk := await ctx.run(next, stream.chunks, None)) is not None:
        h.write(chunk)
        await h.flush()
    web.RequestHandler.finish(h)  # keep the content type set for the format


class FileQuery(Request):
    output_type: OutputType = None


class JobResultFileHandler(BaseHandler):
    ops = {"get": Op("The result in any format", query=FileQuery, media=FILE)}

    @authenticated
    async def get(self, job_id: str) -> None:
        fmt = self.parse_query(FileQuery).output_type
        job = self.ctx.queue.get_job(job_id)
        await send_result(self, job, fmt or job.get("output_type") or "parquet")


class DownloadQuery(Request):
    output_type: OutputType = None
    token: Str = None


class JobResultDownloadHandler(SignedURLHandler):
    """``inference_results_uri``: the one route without Jupyter auth; its signed, expiring token names the job
    and the format (the SDK fetches it with a bare HTTP client)."""

    ops = {
        "get": Op(
            "The result file (inference_results_uri; signed token, no Authorization header)",
            query=DownloadQuery,
            media=FILE,
            auth=False,
        )
    }

    async def get(self, job_id: str) -> None:
        fmt = self.get_query_argument("output_type", None) or "parquet"
        self.check_signature("result", f"{job_id}:{fmt}")
        self.set_header("Cache-Control", "no-store")
        await send_result(self, self.ctx.queue.get_job(job_id), fmt)
