"""A finished job's stored result as the HTTP API serves it: what it holds (``/results``), a filtered, sorted page of
its rows, and its bytes in any output format, streamed. Mixed into ``LocalBackend``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._exceptions import ConflictError, NotFoundError, OptionError
from ..engine.options import check_output_type
from ..store import JobStatus, JobType
from ..store._errors import stored_file
from ._parts import BackendParts

CHUNK = 1 << 20
CSV_BATCH = 65_536
ROWS_MAX = 500


@dataclass
class ResultStream:
    """A result's bytes in one format: ``chunks`` are produced lazily (read them off the event loop)."""

    content_type: str
    filename: str
    length: int | None
    chunks: Iterator[bytes]


def _result_file(job: dict[str, Any]) -> Any:
    return stored_file(f"the result of job {job['id']}", "run the job again")


class Results(BackendParts):
    """Mixed into ``LocalBackend``."""

    def result_path(self, job: dict[str, Any]) -> Path:
        """The stored result of a succeeded inference job, checked readable (a damaged file is a 409 naming the
        job, before any byte of it is sent)."""
        import pyarrow.dataset as pads
        import pyarrow.parquet as pq

        if job["status"] != JobStatus.SUCCEEDED:
            raise ConflictError(f"Job {job['id']} has no results: it is {job['status']}.")
        if job["type"] not in (JobType.INFER_SYNC, JobType.INFER_BATCH):
            raise ConflictError(f"Job {job['id']} is a {job['type']} job; only inference jobs have result files.")
        p = job.get("result_path")
        if not p or not Path(p).exists():
            raise NotFoundError(f"The result of job {job['id']} is no longer stored (pruned or deleted).")
        with _result_file(job):
            if Path(p).is_dir():  # a Dask job's Parquet dataset of parts
                pads.dataset(p, format="parquet").count_rows()
            else:
                pq.ParquetFile(p).close()
        return Path(p)

    def job_results(self, job_id: str) -> dict[str, Any]:
        """What a succeeded job made: a training's metrics, an ingest's size and schema, or an inference's output
        type, row count, descriptions, reconciliation and ``output_path`` (the file it wrote, if any)."""
        job = self.store.get_job(job_id)
        if job["status"] != JobStatus.SUCCEEDED:
            raise ConflictError(f"Job {job_id} has no results: it is {job['status']}.")
        out: dict[str, Any] = {"job_type": job["type"], "job_id": job_id, "status": job["status"]}
        if job["type"] == JobType.TRAIN:
            v = self.store.model_version(job["model_id"], job["model_version_id"])[1]
            out["training_results"] = {
                "metrics": v.get("metrics"),
                "model_id": job["model_id"],
                "model_version_id": job["model_version_id"],
            }
        elif job["type"] == JobType.DATASET_INGEST:
            dsv = self.store.dataset_version(job["dataset_version_id"])
            out["dataset_ingest_results"] = {
                "row_count": dsv.get("row_count"),
                "byte_size": dsv.get("byte_size"),
                "schema": dsv.get("schema_json"),
            }
        else:
            import pyarrow.dataset as pads

            path = self.result_path(job)
            out["output_type"] = job.get("output_type") or "parquet"
            out["row_paginatable"] = True
            with _result_file(job):
                out["summary"] = {"total_row_count": pads.dataset(str(path), format="parquet").count_rows()}
            meta = job.get("result_meta") or {}
            out["descriptions"] = {k: json.dumps(v) for k, v in (meta.get("descriptions") or {}).items()}
            out["reconciliation"] = meta.get("reconciliation")
            out["output_path"] = meta.get("output_path")
        return out

    def result_rows(
        self,
        job_id: str,
        limit: int,
        offset: int,
        columns: list[str],
        search: str | None,
        filter_column: str | None,
        filter_value: str | None,
        sort_by: str | None,
        sort_dir: str,
    ) -> dict[str, Any]:
        """A page of a result's rows: those where ``filter_column`` equals ``filter_value`` and any column holds
        ``search`` (case-insensitive), sorted, cut to ``columns``; with the totals before and after filtering."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        job = self.store.get_job(job_id)
        path = self.result_path(job)
        limit = min(limit, ROWS_MAX)
        sort_dir = sort_dir.lower()
        if sort_dir not in ("asc", "desc", "ascending", "descending"):
            raise OptionError(f'sort_dir must be asc or desc, not "{sort_dir}".')
        with _result_file(job):
            t = pq.read_table(path).replace_schema_metadata(None)
        total = t.num_rows
        mask = None
        if filter_column and filter_column in t.column_names and filter_value is not None:
            mask = _eq_str(t[filter_column], filter_value)
        if search:
            hit = None
            for name in t.column_names:
                col = _as_str(t[name])
                if col is None:
                    continue
                m = pc.fill_null(pc.match_substring(col, search, ignore_case=True), False)
                hit = m if hit is None else pc.or_(hit, m)
            hit = hit if hit is not None else pa.array([False] * total)
            mask = hit if mask is None else pc.and_(mask, hit)
        if mask is not None:
            t = t.filter(mask)
        if sort_by and sort_by in t.column_names:
            order = "descending" if sort_dir.startswith("desc") else "ascending"
            try:
                t = t.take(pc.sort_indices(t, sort_keys=[(sort_by, order)]))
            except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
                raise OptionError(f'Cannot sort by "{sort_by}" (its values are not comparable).') from None
        keep = [c for c in columns if c in t.column_names]
        if keep:
            t = t.select(keep)
        rows = t.slice(offset, limit)
        return {
            "rows": rows.to_pylist(),
            "limit": limit,
            "offset": offset,
            "total": total,
            "total_filtered": t.num_rows,
            "columns": t.column_names,
        }

    def result_stream(self, job: dict[str, Any], fmt: str) -> ResultStream:
        """A result in ``fmt``: parquet as stored (a Dask job's parts as one file), csv batch by batch, json whole.
        Checks run and whole-file encodings are made here, so call it off the event loop."""
        import pyarrow as pa
        import pyarrow.dataset as pads

        from ..engine import outputs

        fmt = check_output_type(fmt)
        path = self.result_path(job)
        name = f"{job['id']}.{fmt}"
        if fmt == "parquet":
            if path.is_dir():  # a Dask job's Parquet dataset (parts + _common_metadata): sent as one file
                t = outputs.read_result_table(path)
                body = outputs.to_parquet_bytes(t, outputs.read_metadata(t.schema.metadata))
                return ResultStream("application/octet-stream", name, len(body), iter([body]))
            return ResultStream("application/octet-stream", name, path.stat().st_size, _file_chunks(path))
        if fmt == "csv":
            dataset = pads.dataset(str(path), format="parquet")  # one file, or a Dask job's directory of parts

            def csv_chunks() -> Iterator[bytes]:
                first = True
                for rb in dataset.to_batches(batch_size=CSV_BATCH):
                    data = outputs.to_csv_bytes(pa.Table.from_batches([rb]))
                    yield data if first else data[data.find(b"\n") + 1 :]
                    first = False
                if first:  # no rows: the header alone
                    yield outputs.to_csv_bytes(dataset.schema.empty_table())

            return ResultStream("text/csv; charset=utf-8", name, None, csv_chunks())
        with _result_file(job):
            t = outputs.read_result_table(path)  # a file, or a Dask job's directory of parts
        meta = outputs.read_metadata(t.schema.metadata)
        body = outputs.encode(t.replace_schema_metadata(None), {**meta, "model_type": job.get("model_type")}, "json")
        return ResultStream("application/json", name, len(body), iter([body]))


def _file_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _as_str(col: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return pc.cast(col, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return None


def _eq_str(col: Any, value: str) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    s = _as_str(col)
    if s is None:
        return pa.array([False] * len(col))
    if pa.types.is_boolean(col.type):
        value = value.lower()
    return pc.fill_null(pc.equal(s, value), False)
