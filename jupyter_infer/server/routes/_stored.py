"""``/datasets/{dataset_id}`` and ``/models/{model_id}``: one stored dataset or model, by id, version id or name."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from .._handler import BaseHandler, authenticated
from ._op import Op
from ._replies import record_out


class StoredHandler(BaseHandler):
    """GET a stored record of ``kind`` (the service's ``get_<kind>``) as ``shape``; DELETE it (``delete_<kind>``:
    its queued and running work is canceled first). A subclass names them: ``class DatasetHandler(StoredHandler,
    kind="dataset", shape=R.Dataset, deletes="its files")``."""

    kind: ClassVar[str]  # "dataset" or "model"
    shape: ClassVar[type[BaseModel]]

    def __init_subclass__(cls, kind: str, shape: type[BaseModel], deletes: str, **more: Any) -> None:
        super().__init_subclass__(**more)
        cls.kind, cls.shape = kind, shape
        cls.ops = {"get": Op(f"A {kind}", shape), "delete": Op(f"Delete a {kind} and {deletes}", status=204, media=())}

    @authenticated
    def get(self, ref: str) -> None:
        self.reply(self.shape, record_out(getattr(self.ctx.queue, f"get_{self.kind}")(ref)))

    @authenticated
    def delete(self, ref: str) -> None:
        getattr(self.ctx.queue, f"delete_{self.kind}")(ref)
        self.set_status(204)
        self.finish()
