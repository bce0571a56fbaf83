"""The remote backend: the same Backend protocol over a Wood Wide-compatible HTTP API (ours or the service's).

Tables travel as Parquet (types survive), files as they are; inputs over the direct-upload size go through the
async path (inference) or the signed-URL upload flow (datasets). Requests go through ``_transport``: retried with
backoff on 429, 5xx and connection errors (only where a retry cannot run a job twice), error responses turned into
the exception classes the embedded engine raises. Results are streamed to disk.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .._exceptions import (
    ConflictError,
    InputError,
    TooLargeError,
)
from ..engine.io import to_frame
from ..engine.options import check_model_type, check_params
from ..store import JobStatus, ended_error
from ..store._records import DatasetRecord, JobRecord, ModelRecord, ModelVersionRecord
from ._http_base import PREVIEW_PAGE, HttpConnection, _q
from ._naming import source_label, training_dataset_name
from ._objects import Dataset
from ._refs import DatasetRef
from ._requests import InferRequest, TrainSpec
from ._result import InferenceResult


class HttpBackend(HttpConnection):
    """``connect(url, token=...)``: ``url`` is the API base, e.g. ``http://127.0.0.1:8888/jupyter-infer/api``."""

    def __repr__(self) -> str:
        return f"<HttpBackend {self.url}>"

    # ---- datasets ------------------------------------------------------------------------------------------------
    def create_dataset(self, data: Any, name: str | None, description: str | None = None) -> DatasetRecord:
        """Ingest a table; the record's ``current_version`` is the version this ingest made (another client may
        have made a newer one meanwhile)."""
        job = self._ingest(data, name, description)
        ds_id, made = str(job["dataset_id"]), job["dataset_version_id"]
        d = self.get_dataset(ds_id)
        current = d.get("current_version")
        if not current or current.get("id") != made:
            for v in self._json("GET", f"/datasets/{_q(ds_id)}/versions")["items"]:
                if v.get("id") == made:
                    d["current_version"] = v
        return d

    def list_datasets(self) -> list[DatasetRecord]:
        return self._all("/datasets")

    def get_dataset(self, ref: str) -> DatasetRecord:
        d: DatasetRecord = self._json("GET", f"/datasets/{_q(ref)}")
        return d

    def delete_dataset(self, ref: str) -> None:
        self._json("DELETE", f"/datasets/{_q(ref)}")

    def preview_dataset(self, ref: str, max_rows: int = 10, offset: int = 0) -> dict[str, Any]:
        """The rows, a page of at most PREVIEW_PAGE at a time (the server's bound per request)."""
        out: dict[str, Any] = {"headers": [], "rows": []}
        while True:
            n = min(PREVIEW_PAGE, max_rows - len(out["rows"]))
            page = self._json(
                "GET", f"/datasets/{_q(ref)}/preview", params={"max_rows": n, **({"offset": offset} if offset else {})}
            )
            out["headers"] = page["headers"]
            out["rows"] += page["rows"]
            offset += len(page["rows"])
            if len(page["rows"]) < n or len(out["rows"]) >= max_rows:
                return out

    # ---- models --------------------------------------------------------------------------------------------------
    def train(self, data: Any, spec: TrainSpec) -> JobRecord:
        check_model_type(spec.model_type)
        check_params(spec.model_type, spec.params)  # fail before any data is sent
        dataset_id: str | None
        version_id: str | None
        if isinstance(data, Dataset):  # the server checks the request against the stored data
            dataset_id, version_id = data.id, data.version_id  # the version the caller holds (None: the latest)
        else:  # train on exactly the version this ingest made
            frame = to_frame(data, "the training data")
            spec.validate(frame)
            job = self._ingest(frame, training_dataset_name(spec.name, source_label(data), spec.model_type), None)
            dataset_id, version_id = job["dataset_id"], job["dataset_version_id"]
        sub = self._json(
            "POST",
            "/models/train",
            json={
                "model_type": spec.model_type,
                "dataset_id": dataset_id,
                "dataset_version_id": version_id,
                "label_column": spec.label_column,
                "input_columns": spec.input_columns,
                "params": spec.params or {},
                "model_name": spec.name,
                "id_column": spec.id_column,
            },
            safe_to_repeat=False,
        )
        return self.get_job(sub["job_id"])

    def list_models(self) -> list[ModelRecord]:
        return self._all("/models")

    def get_model(self, ref: str) -> ModelRecord:
        m: ModelRecord = self._json("GET", f"/models/{_q(ref)}")
        return m

    def delete_model(self, ref: str) -> None:
        self._json("DELETE", f"/models/{_q(ref)}")

    def model_versions(self, ref: str) -> list[ModelVersionRecord]:
        return list(self._json("GET", f"/models/{_q(ref)}/versions")["items"])

    # ---- inference -----------------------------------------------------------------------------------------------
    @staticmethod
    def _fields(req: InferRequest) -> dict[str, Any]:
        o = req.options
        return {
            "output_type": o.output_type,
            "anomaly_format": o.anomaly_format,
            "k": o.k,
            "exclude_self_matches": o.exclude_self_matches or None,
            "id_column": o.id_column,
            "factor_scores": o.factor_scores or None,
            "prob_columns": o.prob_columns or None,
            "model_version_id": req.model_version_id,
        }

    def infer(self, req: InferRequest, data: Any) -> InferenceResult:
        if isinstance(data, Dataset):
            job = self.infer_batch(req.run_here(), DatasetRef(data.id))
            return self._finished_result(job["id"])
        with self._payload(data, "the inference data") as (path, filename):
            if path.stat().st_size <= self.direct_limit:
                try:
                    resp = self._multipart(
                        f"/models/{_q(req.model)}/infer",
                        path,
                        filename,
                        {**self._fields(req), "response_format": "parquet"},
                        safe_to_repeat=False,
                    )
                    return InferenceResult.from_parquet(resp.content)
                except TooLargeError:  # over the server's sync limits (rows, output size): as below
                    pass
            # too big for one request: the async path, then fetch
            job = self.infer_async(req.run_here(), path)
        return self._finished_result(job["id"])

    def _finished_result(self, job_id: str) -> InferenceResult:
        err = ended_error(self._wait(job_id))
        if err is not None:
            raise err
        res = self.job_result(job_id)
        res.table  # noqa: B018 - fetch now, as a sync call would
        return res

    def infer_async(self, req: InferRequest, data: Any) -> JobRecord:
        fields = {**self._fields(req), **_executor_fields(req)}
        with self._payload(data, "the inference data") as (path, filename):
            sub = self._multipart(f"/models/{_q(req.model)}/infer-async", path, filename, fields, safe_to_repeat=False)
        return self.get_job(sub.json()["job_id"])

    def infer_batch(self, req: InferRequest, source: Any) -> JobRecord:
        if isinstance(source, DatasetRef):
            ref = source.ref
        elif isinstance(source, str | os.PathLike) and Path(source).exists():
            return self.infer_async(req, source)
        elif isinstance(source, str):
            ref = source
        else:
            raise InputError("infer_batch takes a stored dataset (name, id or Dataset) or a parquet path.")
        body = {**self._fields(req), "dataset_id": ref, "force_rerun": True, **_executor_fields(req)}
        sub = self._json(
            "POST",
            f"/models/{_q(req.model)}/infer-batch",
            json={k: v for k, v in body.items() if v is not None},
            safe_to_repeat=False,
        )
        return self.get_job(sub["job_id"])

    # ---- jobs ------------------------------------------------------------------------------------------------
    def list_jobs(self, status: str | None, type: str | None, limit: int) -> list[JobRecord]:
        params = {k: v for k, v in (("status", status), ("type", type)) if v}
        return self._all("/jobs", params, limit=max(0, int(limit)))

    def cancel_job(self, job_id: str) -> JobRecord:
        try:
            job: JobRecord = self._json("POST", f"/jobs/{_q(job_id)}/cancel", safe_to_repeat=True)
            return job
        except ConflictError:  # it had already ended: as the embedded engine, answer with the job
            return self.get_job(job_id)

    def prune_jobs(self, older_than_days: float) -> int:
        return int(self._json("POST", "/jobs/prune", json={"older_than_days": older_than_days})["deleted"])

    def job_result(self, job_id: str) -> InferenceResult:
        job = self.get_job(job_id)
        if job["status"] != JobStatus.SUCCEEDED:
            raise ConflictError(f"Job {job_id} has no result: it is {job['status']}.")
        meta = dict(job.get("result_meta") or {})

        def load() -> pa.Table:
            with tempfile.TemporaryDirectory(prefix="jupyter-infer-") as d:
                dest = Path(d) / f"{job_id}.parquet"
                self.download(job_id, dest, "parquet")
                t = pq.read_table(dest, memory_map=False)
            from ..engine.outputs import read_metadata

            meta.update({k: v for k, v in read_metadata(t.schema.metadata).items() if k not in meta or not meta[k]})
            res.meta.update(meta)
            return t.replace_schema_metadata(None)

        res = InferenceResult(meta, loader=load)
        return res

    def download(self, job_id: str, dest: str | os.PathLike[str], output_type: str = "parquet") -> Path:
        """Stream a job's result in a format to a file (temporary name, then rename)."""
        dest = Path(dest)
        tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
        resp = self._send(
            "GET", f"/jobs/{_q(job_id)}/results/file", lambda: {"params": {"output_type": output_type}}, stream=True
        )
        try:
            with open(tmp, "wb") as f:
                for chunk in resp.iter_bytes(1 << 20):
                    f.write(chunk)
            os.replace(tmp, dest)
        finally:
            resp.close()
            tmp.unlink(missing_ok=True)
        return dest

    def close(self) -> None:
        self.http.close()


def _executor_fields(req: InferRequest) -> dict[str, str | None]:
    """Nothing when the caller chose nothing (the server's default applies). A LocalCluster is named, so the server's
    default scheduler does not replace it, as "local": the spelling servers of every version accept."""
    if req.executor == "dask":
        return {"executor": "dask", "scheduler": req.scheduler or "local"}
    return {"executor": req.executor, "scheduler": None}
