"""What the service mixins (``_service``, ``_uploads``, ``_result_files``) use of the ``LocalBackend`` they are
mixed into: its store, its job runner and how it starts a queued job; and the columns by which a job names the
model version and the dataset version it is about."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ..jobs import Runner
    from ..store import Store


class BackendParts:
    store: Store
    runner: Runner

    if TYPE_CHECKING:  # defined by LocalBackend

        def _submit(self, job: dict[str, Any], frame: pd.DataFrame | None = None) -> None: ...


def model_columns(m: Mapping[str, Any], v: Mapping[str, Any]) -> dict[str, Any]:
    """A job's columns that name its model version (``m`` and ``v`` as ``Store.model_version`` gives them, or their
    ``id``, ``name``, ``model_type`` and ``id``, ``version`` alone): every job names it the same way."""
    return {
        "model_id": m["id"],
        "model_name": m["name"],
        "model_version_id": v["id"],
        "model_version": v["version"],
        "model_type": m["model_type"],
    }


def dataset_columns(dsv: Mapping[str, Any]) -> dict[str, Any]:
    """A job's columns that name its dataset version (``dsv`` as ``Store.dataset_version`` gives it, or its
    ``dataset_id``, ``dataset_name``, ``id`` and ``version`` alone): every job names it the same way."""
    return {
        "dataset_id": dsv["dataset_id"],
        "dataset_name": dsv["dataset_name"],
        "dataset_version_id": dsv["id"],
        "dataset_version": dsv["version"],
    }
