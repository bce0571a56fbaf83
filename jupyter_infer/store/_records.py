"""The records the store hands out, typed: a job, a model and its versions, a dataset and its versions. They cross
every layer (the client's objects hold them, the server shapes its replies from them) and are shaped like the HTTP
API's JSON; rows of the SQLite tables become records here and nowhere else."""

from __future__ import annotations

import functools
import json
import sqlite3
import typing
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict


class JobRecord(TypedDict):
    id: str
    job_id: str
    type: str  # a JobType
    status: str  # a JobStatus (or, from a remote service, one of Wood Wide's)
    progress: float
    rows_done: int
    rows_total: int | None
    current_phase: str | None
    estimated_seconds_remaining: float | None
    error_message: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    heartbeat_at: str | None
    input_filename: str | None
    model_id: str | None
    model_name: str | None
    model_version_id: str | None
    model_version: int | None
    model_type: str | None
    dataset_id: str | None
    dataset_name: str | None
    dataset_version_id: str | None
    dataset_version: int | None
    cancel_requested: bool
    owner: str | None
    output_type: str | None
    request: dict[str, Any]  # what the job does (``op``, its source, options...): jobs.work reads it
    result_meta: dict[str, Any] | None
    has_result: bool
    result_path: str | None


class DatasetVersionRecord(TypedDict):
    id: str
    dataset_version_id: str
    dataset_id: str
    version: int
    status: str  # a VersionStatus
    row_count: int | None
    byte_size: int | None
    schema_json: dict[str, str] | None
    source_label: str | None
    ingest_job_id: str | None
    created_at: str
    ready_at: str | None
    error_message: str | None
    path: str | None
    dataset_name: NotRequired[str]  # Store.dataset_version adds it


class DatasetRecord(TypedDict):
    id: str
    dataset_id: str
    name: str
    description: str | None
    created_at: str
    updated_at: str
    is_archived: bool
    current_version: DatasetVersionRecord | None


class ModelVersionRecord(TypedDict):
    id: str
    model_version_id: str
    version_id: str
    model_id: str
    version: int
    status: str  # a VersionStatus
    path: str | None
    params: dict[str, Any]
    input_columns: list[str]
    metrics: dict[str, Any]
    descriptions: dict[str, Any]
    info: dict[str, Any]
    library_versions: dict[str, str]
    dataset_id: str | None
    dataset_version_id: str | None
    dataset_name: str | None
    training_job_id: str | None
    created_at: str
    ready_at: str | None


class ModelRecord(TypedDict):
    id: str
    model_id: str
    name: str
    model_type: str  # a ModelType
    label_column: str | None
    created_at: str
    updated_at: str
    status: str
    current_version: ModelVersionRecord | None
    current_metrics: dict[str, Any]
    n_versions: int
    training_dataset_id: str | None
    training_dataset_name: str | None


def _loads(s: str | None, default: Any = None) -> Any:
    return json.loads(s) if s else default


# Rows become records here. The store returns them as plain dicts (``dict[str, Any]``: what the server's handlers
# take today); the client's seam (``client._backend.Backend``) hands them on typed as the TypedDicts above.
def job_record(r: sqlite3.Row) -> dict[str, Any]:
    """A ``JobRecord``: the jobs table's columns (``job_id`` repeats ``id``), ``has_result`` when a file is there."""
    d = _row_record(r, JobRecord, {"job_id": "id", "has_result": "result_path"}, {"request": {}, "result_meta": None})
    d["cancel_requested"] = bool(d["cancel_requested"])
    d["has_result"] = bool(d["has_result"])
    return d


@functools.cache
def _required(record: Any) -> tuple[str, ...]:
    """A TypedDict's keys but the ``NotRequired`` ones, in order (with postponed annotations, Python 3.11's
    ``__required_keys__`` counts those too)."""
    hints = typing.get_type_hints(record, include_extras=True)
    return tuple(k for k, t in hints.items() if typing.get_origin(t) is not NotRequired)


def _row_record(row: sqlite3.Row, record: Any, same: Mapping[str, str], decoded: Mapping[str, Any]) -> dict[str, Any]:
    """The ``record`` (a TypedDict) of a table's row: each of its required keys is the column of that name, or the
    one it repeats (``same``: key -> column); ``decoded``: the JSON columns -> their value when empty."""
    return {k: _loads(row[k], decoded[k]) if k in decoded else row[same.get(k, k)] for k in _required(record)}


def dataset_version_record(v: sqlite3.Row) -> dict[str, Any]:
    """A ``DatasetVersionRecord``."""
    return _row_record(v, DatasetVersionRecord, {"dataset_version_id": "id"}, {"schema_json": None})


def dataset_record(d: sqlite3.Row, current: sqlite3.Row | None) -> dict[str, Any]:
    """A ``DatasetRecord``; ``current``: the row of the version it shows."""
    return {
        "id": d["id"],
        "dataset_id": d["id"],
        "name": d["name"],
        "description": d["description"],
        "created_at": d["created_at"],
        "updated_at": d["updated_at"],
        "is_archived": False,
        "current_version": dataset_version_record(current) if current is not None else None,
    }  # fmt: skip (a table: record key -> column)


def model_version_record(v: sqlite3.Row) -> dict[str, Any]:
    """A ``ModelVersionRecord``."""
    decoded: dict[str, Any] = {
        "params": {},
        "input_columns": [],
        "metrics": {},
        "descriptions": {},
        "info": {},
        "library_versions": {},
    }
    return _row_record(v, ModelVersionRecord, {"model_version_id": "id", "version_id": "id"}, decoded)


def model_record(m: sqlite3.Row, current: sqlite3.Row | None, n_versions: int) -> dict[str, Any]:
    """A ``ModelRecord``; ``current``: the row of the version it shows."""
    cur = model_version_record(current) if current is not None else None
    return {
        "id": m["id"],
        "model_id": m["id"],
        "name": m["name"],
        "model_type": m["model_type"],
        "label_column": m["label_column"],
        "created_at": m["created_at"],
        "updated_at": m["updated_at"],
        "status": cur["status"] if cur else "processing",
        "current_version": cur,
        "current_metrics": cur["metrics"] if cur else {},
        "n_versions": n_versions,
        "training_dataset_id": cur["dataset_id"] if cur else None,
        "training_dataset_name": cur["dataset_name"] if cur else None,
    }  # fmt: skip (a table: record key -> column)
