"""Replies built from store records: the nested references Wood Wide's shapes carry beside the flat ids, and a job
as the API shows it (paths relative to the server root, never into the store)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..._version import __version__
from ...store import JobType

if TYPE_CHECKING:
    from .._context import ServerContext

RUNTIME_VERSION = f"jupyter-infer {__version__}"


def ref(rec_id: str, version_id: str | None, version: int | None, name: str | None) -> dict[str, Any]:
    """A dataset or model and one of its versions (``Ref``)."""
    return {"id": rec_id, "version_id": version_id or "", "version_number": version or 0, "name": name}


def version_out(version: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset or model version with Wood Wide's ``version_number``."""
    return {**version, "version_number": version.get("version")}


def record_out(record: Mapping[str, Any]) -> dict[str, Any]:
    """A dataset or model with its current version as ``version_out``."""
    current = record.get("current_version")
    return {**record, "current_version": version_out(current) if current else None}


def ingest_submitted(job: dict[str, Any], **more: Any) -> dict[str, Any]:
    """``IngestSubmitted``: the dataset version an ingest job makes."""
    ds, dsv = job["dataset_id"], job["dataset_version_id"]
    return {
        "id": ds,
        "dataset_id": ds,
        "version_id": dsv,
        "dataset_version_id": dsv,
        "job_id": job["id"],
        "status": job["status"],
        **more,
        "dataset": ref(ds, dsv, job["dataset_version"], job["dataset_name"]),
    }


def infer_submitted(job: dict[str, Any]) -> dict[str, Any]:
    """``InferSubmitted``: a background inference job."""
    model = ref(job["model_id"], job["model_version_id"], job.get("model_version"), job["model_name"])
    return {
        "job_id": job["id"],
        "id": job["id"],
        "status": job["status"],
        "model_version_id": job["model_version_id"],
        "model": model,
        "type": job["type"],
    }


def job_detail(job: Mapping[str, Any], ctx: ServerContext) -> dict[str, Any]:
    """``Job`` (JobDetail): the store's job plus Wood Wide's ``resources``/``input``/``output`` and our ``model``,
    ``dataset`` and ``output_path`` (server-root-relative)."""
    out = dict(job)
    if out.get("error_message"):  # a failure may name the file it read: relative to the root, never the store
        out["error_message"] = ctx.redact(out["error_message"])
    req = job.get("request") or {}
    meta = dict(job.get("result_meta") or {})
    written = meta.pop("output_path", None)
    meta.pop("options", None)
    out["result_meta"] = meta or None
    # the file written (succeeded), the one planned (queued, running), none (failed, canceled)
    status = job.get("status")
    planned = req.get("output_path") if status in ("queued", "running") else None
    out["output_path"] = ctx.relative(written if status == "succeeded" else planned)
    model = dataset = None
    if job.get("model_id"):
        model = ref(job["model_id"], job.get("model_version_id"), job.get("model_version"), job.get("model_name"))
    if job.get("dataset_id"):
        dataset = ref(
            job["dataset_id"], job.get("dataset_version_id"), job.get("dataset_version"), job.get("dataset_name")
        )
    out["model"], out["dataset"] = model, dataset
    t = job.get("type")
    about: dict[str | None, dict[str, Any]] = {
        JobType.DATASET_INGEST: {"dataset": dataset},
        JobType.TRAIN: {"dataset": dataset, "model": model},
        JobType.INFER_SYNC: {"model": model},
        JobType.INFER_BATCH: {"model": model, "dataset": dataset},
    }
    out["resources"] = {"type": t, **about.get(t, {})} if (model or dataset) else None
    opts = req.get("options")
    out["input"] = {"options": opts} if opts else None
    if status == "succeeded" and meta:
        out["output"] = {"output_type": job.get("output_type"), "reconciliation": meta.get("reconciliation")}
    else:
        out["output"] = None
    out["woodwide_runtime_version"] = RUNTIME_VERSION
    return out
