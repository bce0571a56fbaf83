"""InferenceResult: one inference output with its metadata, convertible to every format of SPEC §4."""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..engine import outputs


class InferenceResult:
    """The output table (Arrow, or the pandas frame it was scored as) plus model ids, descriptions and
    reconciliation. Loaded lazily when it lives in a file or behind a remote URL."""

    def __init__(
        self,
        meta: dict[str, Any],
        table: pa.Table | None = None,
        frame: pd.DataFrame | None = None,
        loader: Callable[[], pa.Table] | None = None,
    ) -> None:
        self.meta = dict(meta)
        self._table = table
        self._frame = frame
        self._loader = loader

    @classmethod
    def from_parquet(cls, source: str | os.PathLike[str] | bytes) -> InferenceResult:
        """A result file written by jupyter-infer (or Wood Wide): metadata from the file itself."""
        if isinstance(source, bytes):
            table = pq.read_table(pa.BufferReader(source))
        else:
            table = outputs.read_result_table(source)  # a file, or a directory of parts (Dask executor)
        meta = outputs.read_metadata(table.schema.metadata)
        return cls(meta, table=table.replace_schema_metadata(None))

    # ---- metadata --------------------------------------------------------------------------------------------
    @property
    def model_id(self) -> str | None:
        return self.meta.get("model_id")

    @property
    def model_name(self) -> str | None:
        return self.meta.get("model_name")

    @property
    def model_version_id(self) -> str | None:
        return self.meta.get("model_version_id")

    @property
    def model_type(self) -> str:
        return str(self.meta.get("model_type", ""))

    @property
    def job_id(self) -> str | None:
        return self.meta.get("job_id")

    @property
    def descriptions(self) -> dict[str, dict[str, Any]]:
        return dict(self.meta.get("descriptions") or {})

    @property
    def reconciliation(self) -> dict[str, list[str]]:
        return dict(self.meta.get("reconciliation") or {"dropped": [], "missing": [], "coerced": []})

    @property
    def drift(self) -> dict[str, Any]:
        """The columns whose distribution moved from the training data: ``{"moved": [{"column", "psi"}...],
        "psi": {column: value}, "rows", "threshold"}`` (population stability index per column)."""
        return dict(self.meta.get("drift") or {"moved": [], "psi": {}, "rows": None, "threshold": None})

    # ---- data --------------------------------------------------------------------------------------------------
    @property
    def table(self) -> pa.Table:
        if self._table is None:
            if self._frame is not None:
                self._table = pa.Table.from_pandas(self._frame, preserve_index=False).replace_schema_metadata(None)
            elif self._loader is not None:
                self._table = self._loader()
            else:
                raise RuntimeError("this result has no data")
        return self._table

    def __len__(self) -> int:
        return len(self._frame) if self._frame is not None else self.table.num_rows

    @property
    def columns(self) -> list[str]:
        return list(self._frame.columns) if self._frame is not None else list(self.table.column_names)

    def to_pandas(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = self.table.to_pandas()
        return self._frame

    def to_json(self) -> dict[str, Any]:
        """The bare output of SPEC §4 (no envelope)."""
        return outputs.to_json(self.table, self.model_type)

    def to_csv(self, path: str | os.PathLike[str] | None = None) -> str | None:
        if path is None:
            return outputs.to_csv_bytes(self.table).decode()
        self.save(path, "csv")
        return None

    def to_parquet(self, path: str | os.PathLike[str] | None = None) -> bytes | None:
        if path is None:
            return outputs.to_parquet_bytes(self.table, self.meta)
        self.save(path, "parquet")
        return None

    def encode(self, output_type: str) -> bytes:
        """The result as the bytes of a json, csv or parquet file."""
        return outputs.encode(self.table, self.meta, output_type)

    def save(
        self,
        path: str | os.PathLike[str],
        output_type: str | None = None,
        overwrite: bool = True,
        *,
        format: str | None = None,
    ) -> Path:
        """Write the result atomically, as ``output_type`` or else the type the file's extension names (``format``:
        the older name of ``output_type``, still accepted)."""
        return outputs.write_result(self.table, self.meta, path, output_type or format, overwrite=overwrite)

    # ---- display ---------------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<InferenceResult {self.model_type} model={self.model_name!r} rows={len(self)} columns={self.columns}>"

    def _repr_html_(self, max_rows: int = 20) -> str:
        df = self.to_pandas()
        head = (
            f"<b>{html.escape(self.model_type)}</b> result of <code>{html.escape(str(self.model_name))}</code>: "
            f"{len(df):,} rows"
        )
        foot = f"<p><i>showing the first {max_rows} of {len(df):,} rows</i></p>" if len(df) > max_rows else ""
        return f"<div><p>{head}</p>{df.head(max_rows).to_html(index=False)}{foot}</div>"
