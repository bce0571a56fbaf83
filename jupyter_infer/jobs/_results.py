"""What every inference job writes, whichever executor scored it: the result file (streamed under a temporary name,
renamed into place), its metadata, and the end of the job (the export to ``output_path``, the job's figures)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._exceptions import InputError
from ..engine.outputs import metadata_for, read_metadata, read_result_table
from ._confine import confined_write, new_file, result_writer
from ._runner import JobContext

FRAME_BATCH_ROWS = 262_144  # rows per batch when scoring an in-memory table


class ResultWriter:
    """Streams result batches to one Parquet file under a temporary name; ``commit`` renames it into place."""

    def __init__(self, final: Path, tmp: Path, keep_frames: bool = False) -> None:
        self.final, self.tmp = final, tmp
        self.frames: list[pd.DataFrame] | None = [] if keep_frames else None  # what was written, if asked
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.rows = 0

    def write(self, df: pd.DataFrame | None) -> None:
        if df is None:
            return
        if self.frames is not None:
            self.frames.append(df)
        table = pa.Table.from_pandas(df, preserve_index=False)
        if self.writer is None:
            self.schema = table.schema.remove_metadata()
            self.writer = pq.ParquetWriter(self.tmp, self.schema)
        elif table.schema.remove_metadata() != self.schema:
            assert self.schema is not None
            table = table.cast(self.schema)
        if table.num_rows or self.rows == 0:
            self.writer.write_table(table.replace_schema_metadata(None))
        self.rows += table.num_rows

    def commit(self, meta: dict[str, Any]) -> Path:
        if self.writer is None:
            raise InputError("The input produced no rows to score.")
        self.writer.add_key_value_metadata(metadata_for(meta))
        self.writer.close()
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:
                pass
        self.tmp.unlink(missing_ok=True)


def result_meta(model: dict[str, Any], version: dict[str, Any], job_id: str, scorer: Any) -> dict[str, Any]:
    """The §4 metadata of a result: model ids, job id, descriptions, reconciliation, drift, options."""
    return {
        "model_id": model["id"],
        "model_name": model["name"],
        "model_version_id": version["id"],
        "model_version": version["version"],
        "model_type": model["model_type"],
        "job_id": job_id,
        "descriptions": scorer.descriptions(),
        "reconciliation": scorer.reconciliation.to_dict(),
        "drift": scorer.drift_report(),
        "options": scorer.options.to_dict(),
    }


def equal_batch_rows(rows: int, most: int = FRAME_BATCH_ROWS) -> int:
    """Rows per batch that split ``rows`` into equal batches of at most ``most`` (a small last batch would be
    scored on one thread: engine ``threads_for``)."""
    return max(1, -(-rows // max(1, -(-rows // most))))


def finish(ctx: JobContext, request: dict[str, Any], final: Path, meta: dict[str, Any], rows: int) -> dict[str, Any]:
    """The end of an inference job, for every executor: the result (at ``final``) exported to the request's
    ``output_path`` when it names one (never clobbering; the path written goes in the metadata), and the figures
    the job ends with."""
    if request.get("output_path"):
        output_type = request["options"].get("output_type", "parquet")
        written = export_result(final, request["output_path"], output_type, root=request.get("root"), meta=meta)
        ctx.produced(written)
        meta = {**meta, "output_path": str(written)}
    return {"result_path": str(final), "result_meta": meta, "rows_done": rows, "rows_total": rows}


def export_result(
    result: Path,
    dest: str | os.PathLike[str],
    output_type: str,
    root: str | os.PathLike[str] | None = None,
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write a stored result as ``output_type`` to a new file at ``dest``, never replacing one: a name taken gives
    the next free ``<stem>-1<ext>``, ``-2``, ... ``root``: ``dest`` must be reached from it without links when it is
    written. ``meta``: the job's §4 metadata (ids, descriptions), over what the stored file holds. Returns the path
    written."""
    table = read_result_table(result)  # a file, or a directory of parts (Dask executor)
    stored = read_metadata(table.schema.metadata)
    write = result_writer(table.replace_schema_metadata(None), {**stored, **(meta or {})}, output_type)
    return confined_write(dest, root, write) if root else new_file(dest, write)
