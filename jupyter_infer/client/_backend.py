"""The seam between the client facade and where the work happens: this process (local) or a server (http).

A backend speaks in plain dicts shaped like the HTTP API's JSON and in InferenceResults; the facade turns them
into Dataset, Model and Job objects. Both backends implement exactly this protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from ..engine.options import InferOptions

if TYPE_CHECKING:
    from ._result import InferenceResult


class Backend(Protocol):
    @property
    def url(self) -> str | None:  # None for the embedded engine
        ...

    def create_dataset(self, data: Any, name: str | None, description: str | None = None) -> dict[str, Any]: ...
    def list_datasets(self) -> list[dict[str, Any]]: ...
    def get_dataset(self, ref: str) -> dict[str, Any]: ...
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
    ) -> dict[str, Any]: ...
    def list_models(self) -> list[dict[str, Any]]: ...
    def get_model(self, ref: str) -> dict[str, Any]: ...
    def delete_model(self, ref: str) -> None: ...
    def model_versions(self, ref: str) -> list[dict[str, Any]]: ...

    def infer(self, model: str, data: Any, options: InferOptions, model_version_id: str | None) -> InferenceResult: ...
    def infer_async(
        self,
        model: str,
        data: Any,
        options: InferOptions,
        model_version_id: str | None,
        executor: str | None,
        scheduler: str | None,
    ) -> dict[str, Any]: ...
    def infer_batch(
        self,
        model: str,
        source: Any,
        options: InferOptions,
        model_version_id: str | None,
        executor: str | None,
        scheduler: str | None,
    ) -> dict[str, Any]: ...

    def get_job(self, job_id: str) -> dict[str, Any]: ...
    def list_jobs(self, status: str | None, type: str | None, limit: int) -> list[dict[str, Any]]: ...
    def cancel_job(self, job_id: str) -> dict[str, Any]: ...
    def prune_jobs(self, older_than_days: float) -> int: ...
    def job_result(self, job_id: str) -> InferenceResult: ...
