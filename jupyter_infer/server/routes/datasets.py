"""``/datasets``: list, direct upload (multipart, up to the body cap), read, preview, versions, delete."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .._handler import BaseHandler, authenticated
from ..schemas import requests as Q
from ..schemas import responses as R
from ..schemas._fields import Request, Str, Whole
from ._op import Op
from ._replies import ingest_submitted, record_out, version_out
from ._stored import StoredHandler


class ListQuery(Request):
    cursor: Str = None
    limit: Annotated[int | None, Whole(1, 200, 50)] = 50
    q: Str = None


class PreviewQuery(Request):
    max_rows: Annotated[int | None, Whole(1, 10_000, 10)] = 10
    offset: Annotated[int | None, Whole(0, 10**12, 0, shown={"type": "integer", "minimum": 0})] = Field(
        0, description="rows to skip first (extension)"
    )


class DatasetsHandler(BaseHandler):
    body = "multipart"
    ops = {
        "get": Op("List datasets", R.DatasetPage, query=ListQuery),
        "post": Op(
            "Create a dataset (or a new version) from a CSV/Parquet/JSON file up to the body cap",
            R.IngestSubmitted,
            201,
            form=Q.DatasetForm,
        ),
    }

    @authenticated
    def get(self) -> None:
        q = self.parse_query(ListQuery)
        page = self.ctx.queue.datasets_page(q.q, q.cursor, q.limit or 50)
        self.reply(R.DatasetPage, {**page, "items": [record_out(d) for d in page["items"]]})

    @authenticated
    def post(self) -> None:
        """Direct upload (multipart ``file`` ≤ the body cap): a new dataset, or a new version of ``dataset_id``."""
        form = self.parse_form(Q.DatasetForm)
        job = self.ctx.queue.ingest_upload(
            form.file.path, form.file.filename, form.dataset_id, form.dataset_name or form.name, form.description
        )
        self.keep_upload()
        self.reply(R.IngestSubmitted, ingest_submitted(job, name=job["dataset_name"]), 201)


class DatasetHandler(StoredHandler, kind="dataset", shape=R.Dataset, deletes="its files"):
    """``/datasets/{dataset_id}``: read a dataset, or delete it."""


class DatasetPreviewHandler(BaseHandler):
    ops = {"get": Op("The first rows (from offset: extension)", R.DatasetPreview, query=PreviewQuery)}

    @authenticated
    def get(self, ref: str) -> None:
        q = self.parse_query(PreviewQuery)
        self.reply(R.DatasetPreview, self.ctx.sync.preview_dataset(ref, q.max_rows or 10, q.offset or 0))


class DatasetVersionsHandler(BaseHandler):
    ops = {"get": Op("A dataset's versions, newest first", R.DatasetVersions)}

    @authenticated
    def get(self, ref: str) -> None:
        self.reply(R.DatasetVersions, {"items": [version_out(v) for v in self.ctx.queue.dataset_versions(ref)]})
