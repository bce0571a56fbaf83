"""``/models``: train (JSON), list, read, versions, delete."""

from __future__ import annotations

from ...client._requests import TrainSpec
from .._handler import BaseHandler, authenticated
from ..schemas import requests as Q
from ..schemas import responses as R
from ._op import Op
from ._replies import RUNTIME_VERSION, record_out, ref, version_out
from ._stored import StoredHandler
from .datasets import ListQuery


class TrainHandler(BaseHandler):
    ops = {"post": Op("Train a model (a new version when the name exists)", R.TrainSubmitted, 201, body=Q.TrainBody)}

    @authenticated
    async def post(self) -> None:
        b = self.parse_body(Q.TrainBody)
        params = dict(b.params)
        if b.training_mode is not None:
            params["training_mode"] = b.training_mode
        spec = TrainSpec(
            b.model_type or "", b.label_column, b.model_name or b.name, b.input_columns, params, b.id_column
        )
        job = await self.ctx.run(
            self.ctx.queue.train_stored, b.dataset_id or b.dataset_name, b.dataset_version_id, spec, b.model_id
        )
        model = ref(job["model_id"], job["model_version_id"], job["model_version"], job["model_name"])
        self.reply(
            R.TrainSubmitted,
            {
                "id": job["model_id"],
                "model_id": job["model_id"],
                "version_id": job["model_version_id"],
                "model_version_id": job["model_version_id"],
                "job_id": job["id"],
                "status": job["status"],
                "name": job["model_name"],
                "woodwide_runtime_version": RUNTIME_VERSION,
                "model": model,
            },
            201,
        )


class ModelsHandler(BaseHandler):
    ops = {"get": Op("List models", R.ModelPage, query=ListQuery)}

    @authenticated
    def get(self) -> None:
        q = self.parse_query(ListQuery)
        page = self.ctx.queue.models_page(q.q, q.cursor, q.limit or 50)
        self.reply(R.ModelPage, {**page, "items": [record_out(m) for m in page["items"]]})


class ModelHandler(StoredHandler, kind="model", shape=R.Model, deletes="all its versions"):
    """``/models/{model_id}``: read a model, or delete it."""


class ModelVersionsHandler(BaseHandler):
    ops = {"get": Op("A model's versions, newest first", R.ModelVersions)}

    @authenticated
    def get(self, ref: str) -> None:
        self.reply(R.ModelVersions, {"items": [version_out(v) for v in self.ctx.queue.model_versions(ref)]})
