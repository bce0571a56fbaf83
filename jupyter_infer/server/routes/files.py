"""``/files``: what the lab extension reads of a data file under the server root before running a model on it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from ..._exceptions import OptionError
from .._handler import BaseHandler, authenticated
from ..schemas import responses as R
from ..schemas._fields import Missing, Request
from ._op import Op

NEEDS_PATH = 'Give the file as ?path=<path under the server root> (e.g. "data/new.csv").'


def _path(v: Any) -> str:
    if not v:
        raise OptionError(NEEDS_PATH)
    return str(v)


class ColumnsQuery(Request):
    path: Annotated[
        str, BeforeValidator(_path), Missing(NEEDS_PATH), Field(description="the file, relative to the server root")
    ]


class FileColumnsHandler(BaseHandler):
    """Extension: the columns of a csv/parquet/json file under the server root (for ranking models)."""

    ops = {
        "get": Op(
            "The column names of a csv/parquet/json file under the server root, from its header (CSV first line, "
            "Parquet schema, JSON keys): {path, format, columns, note}; columns is null when only reading the whole "
            "file would tell, and note says why",
            R.FileColumns,
            query=ColumnsQuery,
        )
    }

    @authenticated
    async def get(self) -> None:
        q = self.parse_query(ColumnsQuery)
        self.reply(R.FileColumns, await self.ctx.run(self.ctx.queue.file_columns, self.ctx.root, q.path))
