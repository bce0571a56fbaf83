"""Store records as Wood Wide's response shapes: flat and nested ids side by side, alias keys, no internal paths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._version import __version__

if TYPE_CHECKING:
    from ._context import ServerContext

RUNTIME_VERSION = f"jupyter-infer {__version__}"
_INTERNAL = ("path", "request", "result_path", "owner")


def _strip(d: dict[str, Any] | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {k: v for k, v in d.items() if k not in _INTERNAL}


def dataset_version_out(v: dict[str, Any]) -> dict[str, Any]:
    out = _strip(v) or {}
    out["version_number"] = v.get("version")
    return out


def dataset_out(d: dict[str, Any]) -> dict[str, Any]:
    out = dict(d)
    cv = d.get("current_version")
    out["current_version"] = dataset_version_out(cv) if cv else None
    return out


def model_version_out(v: dict[str, Any]) -> dict[str, Any]:
    out = _strip(v) or {}
    out["version_number"] = v.get("version")
    return out


def model_out(m: dict[str, Any]) -> dict[str, Any]:
    out = dict(m)
    cv = m.get("current_version")
    out["current_version"] = model_version_out(cv) if cv else None
    return out


def dataset_ref(ds_id: str, dsv_id: str, version: int, name: str | None = None) -> dict[str, Any]:
    return {"id": ds_id, "version_id": dsv_id, "version_number": version, "name": name}


def model_ref(mdl_id: str, mdlv_id: str, version: int, name: str | None = None) -> dict[str, Any]:
    return {"id": mdl_id, "version_id": mdlv_id, "version_number": version, "name": name}


def job_out(job: dict[str, Any], ctx: ServerContext) -> dict[str, Any]:
    """JobDetail: the store's job plus Wood Wide's ``resources``/``input``/``output`` and our ``model``,
    ``dataset`` and ``output_path`` (server-root-relative)."""
    out = _strip(job) or {}
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
    model = None
    if job.get("model_id"):
        model = model_ref(job["model_id"], job.get("model_version_id") or "", job.get("model_version") or 0,
                          job.get("model_name"))  # fmt: skip
    dataset = None
    if job.get("dataset_id"):
        dataset = dataset_ref(job["dataset_id"], job.get("dataset_version_id") or "", job.get("dataset_version") or 0,
                              job.get("dataset_name"))  # fmt: skip
    out["model"] = model
    out["dataset"] = dataset
    t = job.get("type")
    res: dict[str, Any] = {"type": t}
    if t == "dataset_ingest":
        res["dataset"] = dataset
    elif t == "train":
        res.update(dataset=dataset, model=model)
    elif t == "infer_sync":
        res["model"] = model
    elif t == "infer_batch":
        res.update(model=model, dataset=dataset)
    out["resources"] = res if (model or dataset) else None
    opts = req.get("options")
    out["input"] = {"options": opts} if opts else None
    if job.get("status") == "succeeded" and meta:
        out["output"] = {"output_type": job.get("output_type"), "reconciliation": meta.get("reconciliation")}
    else:
        out["output"] = None
    out["woodwide_runtime_version"] = RUNTIME_VERSION
    return out
