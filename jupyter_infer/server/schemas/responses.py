"""What each route answers, declared once: the routes shape their replies through these models (their fields, in
this order; what a store record holds beyond them, such as file paths, is left out) and openapi.json and the lab
extension's TypeScript types are generated from them. Flat and nested ids side by side, as Wood Wide's shapes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ...store import JobStatus, JobType

Json = Any  # any JSON value: metrics, schemas, params, descriptions


class Reply(BaseModel):
    """A JSON object; clients must accept fields added later."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, json_schema_extra={"additionalProperties": True})


class Error(Reply):
    detail: str


class Ref(Reply):
    """A dataset or model and one of its versions."""

    id: str
    version_id: str
    version_number: int
    name: str | None


# ---- datasets -------------------------------------------------------------------------------------------------
class DatasetVersion(Reply):
    id: str
    dataset_version_id: str
    dataset_id: str
    version: int
    status: str
    row_count: int | None
    byte_size: int | None
    schema_: dict[str, str] | None = Field(alias="schema_json")  # (BaseModel has a schema_json)
    source_label: str | None
    ingest_job_id: str | None
    created_at: str
    ready_at: str | None
    error_message: str | None
    version_number: int


class Dataset(Reply):
    id: str
    dataset_id: str
    name: str
    description: str | None
    created_at: str
    updated_at: str
    is_archived: bool
    current_version: DatasetVersion | None


class DatasetPage(Reply):
    items: list[Dataset]
    next_cursor: str | None


class DatasetVersions(Reply):
    items: list[DatasetVersion]


class DatasetPreview(Reply):
    headers: list[str]
    rows: list[dict[str, Json]]


class IngestSubmitted(Reply):
    """A dataset version being made and its ingest job (``POST /datasets``, ``/complete``)."""

    id: str
    dataset_id: str
    version_id: str
    dataset_version_id: str
    job_id: str
    status: str
    name: str | None = None
    dataset: Ref


class UploadTarget(Reply):
    filename: str
    bytes: int
    content_type: str
    upload_url: str


class UploadPrepared(IngestSubmitted):
    upload: UploadTarget


class UploadReceived(Reply):
    version_id: str
    bytes: int
    status: str


# ---- models ---------------------------------------------------------------------------------------------------
class ModelVersion(Reply):
    id: str
    model_version_id: str
    version_id: str
    model_id: str
    version: int
    status: str
    params: dict[str, Json]
    input_columns: list[str]
    metrics: dict[str, Json]
    descriptions: dict[str, Json]
    info: dict[str, Json]
    library_versions: dict[str, Json]
    dataset_id: str | None
    dataset_version_id: str | None
    dataset_name: str | None
    training_job_id: str | None
    created_at: str
    ready_at: str | None
    version_number: int


class Model(Reply):
    id: str
    model_id: str
    name: str
    model_type: str
    label_column: str | None
    created_at: str
    updated_at: str
    status: str
    current_version: ModelVersion | None
    current_metrics: dict[str, Json]
    n_versions: int
    training_dataset_id: str | None
    training_dataset_name: str | None


class ModelPage(Reply):
    items: list[Model]
    next_cursor: str | None


class ModelVersions(Reply):
    items: list[ModelVersion]


class TrainSubmitted(Reply):
    id: str
    model_id: str
    version_id: str
    model_version_id: str
    job_id: str
    status: str
    name: str
    woodwide_runtime_version: str
    model: Ref


# ---- inference ------------------------------------------------------------------------------------------------
class InferEnvelope(Reply):
    """The JSON answer of sync inference; the output's descriptions (``<kind>_descriptions``) beside these."""

    data: Json
    model_id: str | None
    model_name: str | None
    model_version_id: str | None
    model_type: str | None
    job_id: str | None
    status: str
    latency_ms: float
    reconciliation: Json
    rows: int


class InferSubmitted(Reply):
    job_id: str
    id: str
    status: str
    model_version_id: str
    model: Ref
    type: str


# ---- jobs -----------------------------------------------------------------------------------------------------
class JobOutput(Reply):
    output_type: str | None
    reconciliation: Json


class Job(Reply):
    """JobDetail: the job of any process, with Wood Wide's ``resources``, ``input`` and ``output``, and our
    ``model``, ``dataset`` and ``output_path`` (relative to the server root)."""

    id: str
    type: JobType
    status: JobStatus
    progress: float | None
    rows_done: int | None
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
    output_type: str | None
    job_id: str
    result_meta: dict[str, Json] | None
    has_result: bool
    output_path: str | None
    model: Ref | None
    dataset: Ref | None
    resources: dict[str, str | Ref | None] | None  # {"type", and the dataset and/or model it is about}
    input: dict[str, Json] | None
    output: JobOutput | None
    woodwide_runtime_version: str


class JobPage(Reply):
    items: list[Job]
    next_cursor: str | None


class Pruned(Reply):
    deleted: int


class JobResults(Reply):
    """What a succeeded job made: ``training_results``, ``dataset_ingest_results``, or an inference's
    ``inference_results_uri`` (signed: fetch it with no header) and summary."""

    job_type: str
    job_id: str
    status: str
    training_results: dict[str, Json] | None = None
    dataset_ingest_results: dict[str, Json] | None = None
    inference_results_uri: str | None = None
    output_type: str | None = None
    row_paginatable: bool | None = None
    summary: dict[str, Json] | None = None
    descriptions: dict[str, str] | None = None
    reconciliation: Json = None
    output_path: str | None = None


class ResultRows(Reply):
    rows: list[dict[str, Json]]
    limit: int
    offset: int
    total: int
    total_filtered: int
    columns: list[str]


# ---- meta -----------------------------------------------------------------------------------------------------
class FileColumns(Reply):
    """A data file's column names from its header; ``columns`` is null when only reading the whole file would
    tell, and ``note`` says why."""

    path: str
    format: str | None
    columns: list[str] | None
    note: str | None


class Worker(Reply):
    mode: str
    pid: int | None = None
    alive: bool | None = None
    restarts: int | None = None


class Status(Reply):
    version: str
    store: str
    root_dir: str
    worker: Worker
    jobs: dict[str, int]
    max_body_bytes: int


class OpenAPI(Reply):
    openapi: str
    info: dict[str, Json]
    paths: dict[str, Json]
