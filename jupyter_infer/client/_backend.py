"""The seam between the client facade and where the work happens: this process (local) or a server (http).

A backend speaks in the store's records (``JobRecord``, ``ModelRecord``, ``DatasetRecord``... shaped like the HTTP
API's JSON) and in InferenceResults; the facade turns them into Dataset, Model and Job objects. Both backends
implement exactly this protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..engine.options import InferOptions
from ..store._records import DatasetRecord, JobRecord, ModelRecord, ModelVersionRecord

if TYPE_CHECKING:
    from ._result import InferenceResult


class Backend(Protocol):
    @property
    def url(self) -> str | None:  # None for the embedded engine
        ...

    def create_dataset(self, data: Any, name: str | None, description: str | None = None) -> DatasetRecord: ...
    def list_datasets(self) -> list[DatasetRecord]: ...
    def get_dataset(self, ref: str) -> DatasetRecord: ...
    def delete_dataset(self, ref: str) -> None: ...
    def preview_dataset(self, ref: str, max_rows: int = 10, offset: int = 0) -> dict[str, Any]: ...

    def train(
        self,
        data: Any,
        model_type: str,
        label_column: str | None,
        name: str | None,
        input_columns: list[str] | None,
        params: dict[str, Any] | None,
        id_column: str | None,
    ) -> JobRecord: ...
    def list_models(self) -> list[ModelRecord]: ...
    def get_model(self, ref: str) -> ModelRecord: ...
    def delete_model(self, ref: str) -> None: ...
    def model_versions(self, ref: str) -> list[ModelVersionRecord]: ...

    def infer(self, model: str, data: Any, options: InferOptions, model_version_id: str | None) -> InferenceResult: ...
    def infer_async(
        self,
        model: str,
        data: Any,
        options: InferOptions,
        model_version_id: str | None,
        executor: str | None,
        scheduler: str | None,
    ) -> JobRecord: ...
    def infer_batch(
        self,
        model: str,
        source: Any,  # a DatasetRef, or a Parquet path, directory, glob or fsspec URL
        options: InferOptions,
        model_version_id: str | None,
        executor: str | None,
        scheduler: str | None,
    ) -> JobRecord: ...

    def get_job(self, job_id: str) -> JobRecord: ...
    def list_jobs(self, status: str | None, type: str | None, limit: int) -> list[JobRecord]: ...
    def cancel_job(self, job_id: str) -> JobRecord: ...
    def prune_jobs(self, older_than_days: float) -> int: ...
    def job_result(self, job_id: str) -> InferenceResult: ...
