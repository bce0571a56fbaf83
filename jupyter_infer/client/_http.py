"""The remote backend: the same Backend protocol over a Wood Wide-compatible HTTP API (ours or the service's).

Tables travel as Parquet (types survive), files as they are; inputs over the direct-upload size go through the
async path (inference) or the signed-URL upload flow (datasets). Requests are retried with backoff on 429, 5xx
and connection errors (only where a retry cannot run a job twice), results are streamed to disk, and error
responses come back as the exception classes the embedded engine raises.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyarrow as pa
import pyarrow.parquet as pq

from .._exceptions import (
    ConflictError,
    InferError,
    InputError,
    NotFoundError,
    RemoteError,
    TooLargeError,
)
from ..engine.io import to_frame
from ..engine.model import validate_training
from ..engine.options import InferOptions, check_model_type, check_params
from ..engine.tables import to_arrow
from ..store import ENDED, JobStatus, ended_error, new_id
from ._naming import source_label, training_dataset_name
from ._objects import Dataset
from ._refs import DatasetRef
from ._result import InferenceResult

PREVIEW_PAGE = 10_000  # rows per GET /datasets/{id}/preview
DIRECT_LIMIT = 25 << 20  # bytes; under the server's 30 MiB default cap with room for the multipart envelope


def _error_classes() -> dict[str, type[InferError]]:
    """InferError and every subclass by name: a server's error class name maps back to the same class here."""
    out: dict[str, type[InferError]] = {}
    todo: list[type[InferError]] = [InferError]
    while todo:
        cls = todo.pop()
        out[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return out


_CLASSES = _error_classes()
_BY_STATUS: dict[int, type[InferError]] = {404: NotFoundError, 409: ConflictError, 413: TooLargeError, 422: InputError}
_CONTENT_TYPES = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".pq": "application/vnd.apache.parquet",
}


def error_from_response(resp: httpx.Response) -> InferError:
    """An error response as the exception the embedded engine would raise (``X-Infer-Error`` names the class
    when the server is ours; otherwise the status decides)."""
    try:
        body = resp.json()
        detail = body.get("detail", body) if isinstance(body, dict) else body
    except ValueError:
        detail = resp.text.strip() or resp.reason_phrase
    if isinstance(detail, list):  # FastAPI-style validation errors
        detail = "; ".join(str(d.get("msg", d)) if isinstance(d, dict) else str(d) for d in detail)
    msg = str(detail)
    cls = _CLASSES.get(resp.headers.get("x-infer-error", ""))
    if cls is None:
        if resp.status_code >= 500:
            cls = RemoteError
        else:
            cls = _BY_STATUS.get(resp.status_code, InferError)
    err = cls(msg)
    if cls is InferError or (cls is RemoteError and resp.status_code < 500):
        err.status = resp.status_code
    if resp.status_code in (401, 403):
        err.message = f"Not authorized by {resp.request.url.host}: {msg} (check the token)."
        err.should_retry = False
    return err


class HttpBackend:
    """``connect(url, token=...)``: ``url`` is the API base, e.g. ``http://127.0.0.1:8888/jupyter-infer/api``."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 3,
        direct_limit: int = DIRECT_LIMIT,
        poll_interval: float = 0.2,
        verify: bool | str = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        token = token if token is not None else os.environ.get("JUPYTER_INFER_TOKEN")
        headers = {"User-Agent": "jupyter-infer"}
        if token:
            headers["Authorization"] = f"token {token}"
        self.max_retries = max_retries
        self.direct_limit = direct_limit
        self.poll_interval = poll_interval
        self.timeout = httpx.Timeout(timeout, connect=10.0)
        self.verify = verify
        self.http = httpx.Client(
            base_url=self.url, headers=headers, timeout=self.timeout, verify=verify, transport=transport
        )

    def __repr__(self) -> str:
        return f"<HttpBackend {self.url}>"

    # ---- transport ----------------------------------------------------------------------------------------------
    def _send(
        self, method: str, path: str, build: Callable[[], dict[str, Any]] | None = None, stream: bool = False,
        safe_to_repeat: bool | None = None, url: str | None = None, client: httpx.Client | None = None,
    ) -> httpx.Response:  # fmt: skip
        """One request with retries: on connection failures before anything was sent, and on 429/502/503/504
        (and any 5xx for reads) unless the server says ``x-should-retry: false``."""
        idempotent = method in ("GET", "HEAD", "DELETE", "PUT") if safe_to_repeat is None else safe_to_repeat
        attempt = 0
        while True:
            kwargs = build() if build else {}
            try:
                http = client or self.http
                req = http.build_request(method, url or path, **kwargs)
                resp = http.send(req, stream=stream)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as e:
                if attempt < self.max_retries:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                raise RemoteError(f"Could not reach {self.url}: {e}") from None
            except httpx.TimeoutException as e:
                if idempotent and attempt < self.max_retries:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                raise RemoteError(f"{method} {path} timed out: {e}") from None
            except httpx.TransportError as e:
                if idempotent and attempt < self.max_retries:
                    self._sleep(attempt, None)
                    attempt += 1
                    continue
                raise RemoteError(f"{method} {path} failed: {type(e).__name__}: {e}") from None
            if resp.status_code < 400:
                return resp
            if stream:
                resp.read()
            if attempt < self.max_retries and self._should_retry(resp, idempotent):
                resp.close()
                self._sleep(attempt, resp)
                attempt += 1
                continue
            raise error_from_response(resp)

    @staticmethod
    def _should_retry(resp: httpx.Response, idempotent: bool) -> bool:
        hint = resp.headers.get("x-should-retry")
        if hint == "false":
            return False
        if hint == "true":
            return True
        code = resp.status_code
        return code in (408, 429, 502, 503, 504) or (code >= 500 and idempotent)

    @staticmethod
    def _sleep(attempt: int, resp: httpx.Response | None) -> None:
        delay = min(8.0, 0.5 * 2**attempt) * (0.75 + 0.5 * random.random())
        if resp is not None:
            ra = resp.headers.get("retry-after-ms")
            if ra and ra.replace(".", "", 1).isdigit():
                delay = float(ra) / 1000
            else:
                ra = resp.headers.get("retry-after")
                if ra:
                    if ra.replace(".", "", 1).isdigit():
                        delay = float(ra)
                    else:
                        when = email.utils.parsedate_to_datetime(ra) if ra else None
                        if when is not None:
                            delay = max(0.0, when.timestamp() - time.time())
            delay = min(max(delay, 0.0), 60.0)
        time.sleep(delay)

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        body = kw.pop("json", None)
        params = kw.pop("params", None)
        resp = self._send(method, path, lambda: {"json": body, "params": params}, **kw)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    # ---- payloads ------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _payload(self, data: Any, what: str) -> Iterator[tuple[Path, str]]:
        """A file to upload: the user's file as it is, or a table as a temporary Parquet file."""
        if isinstance(data, str | os.PathLike):
            p = Path(data)
            if not p.exists():
                raise InputError(f"No such file: {p}.")
            if p.is_dir():
                table = pq.read_table(p)
                with tempfile.TemporaryDirectory(prefix="jupyter-infer-") as d:
                    tmp = Path(d) / f"{p.name}.parquet"
                    pq.write_table(table, tmp)
                    yield tmp, tmp.name
                return
            yield p, p.name
            return
        df = to_frame(data, what)
        with tempfile.TemporaryDirectory(prefix="jupyter-infer-") as d:
            tmp = Path(d) / "data.parquet"
            pq.write_table(to_arrow(df), tmp)
            yield tmp, tmp.name

    @staticmethod
    def _file_part(path: Path, name: str) -> tuple[str, Any, str]:
        ctype = _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        return (name, open(path, "rb"), ctype)

    def _multipart(
        self, path_: str, file: Path, filename: str, fields: dict[str, Any], safe_to_repeat: bool
    ) -> httpx.Response:
        opened: list[Any] = []

        def build() -> dict[str, Any]:
            for f in opened:
                f.close()
            part = self._file_part(file, filename)
            opened.append(part[1])
            data = {k: _form(v) for k, v in fields.items() if v is not None}
            return {"files": {"file": part}, "data": data}

        try:
            return self._send("POST", path_, build, safe_to_repeat=safe_to_repeat)
        finally:
            for f in opened:
                f.close()

    def _wait(self, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get_job(job_id)
            if job["status"] in ENDED:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job['status']} after {timeout} s")
            time.sleep(self.poll_interval)

    # ---- datasets ------------------------------------------------------------------------------------------------
    def create_dataset(self, data: Any, name: str | None, description: str | None = None) -> dict[str, Any]:
        """Ingest a table; the record's ``current_version`` is the version this ingest made (another client may
        have made a newer one meanwhile)."""
        job = self._ingest(data, name, description)
        d = self.get_dataset(job["dataset_id"])
        if (d.get("current_version") or {}).get("id") != job["dataset_version_id"]:
            for v in self._json("GET", f"/datasets/{_q(job['dataset_id'])}/versions")["items"]:
                if v.get("id") == job["dataset_version_id"]:
                    d["current_version"] = v
        return d

    def _ingest(self, data: Any, name: str | None, description: str | None) -> dict[str, Any]:
        """Upload a table and wait for its ingest job; returns the job (its dataset and version ids)."""
        label = source_label(data)
        name = name or (Path(label).stem if label else f"dataset-{new_id('')[:6].lower()}")
        with self._payload(data, "the dataset") as (path, filename):
            size = path.stat().st_size
            if size <= self.direct_limit:
                sub = self._multipart("/datasets", path, filename, {"dataset_name": name, "description": description},
                                      safe_to_repeat=False).json()  # fmt: skip
                job_id = sub["job_id"]
            else:
                job_id = self._upload_dataset(path, filename, name, description)
        job = self._wait(job_id)
        if job["status"] == JobStatus.FAILED:  # the data could not be ingested: an input error, as on the engine
            raise InputError(job.get("error_message") or f"Ingesting the dataset failed (job {job_id}).")
        err = ended_error(job)
        if err is not None:
            raise err
        return job

    def _upload_dataset(self, path: Path, filename: str, name: str, description: str | None) -> str:
        """The signed-URL flow: prepare, PUT the bytes (streamed), complete."""
        ctype = _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        size = path.stat().st_size
        prep = self._json("POST", "/datasets/upload", json={
            "file": {"filename": filename, "bytes": size, "content_type": ctype},
            "dataset_name": name, "description": description,
        }, safe_to_repeat=False)  # fmt: skip
        upload_url = prep["upload"]["upload_url"]

        def build() -> dict[str, Any]:
            def chunks() -> Iterator[bytes]:
                with open(path, "rb") as f:
                    while chunk := f.read(1 << 20):
                        yield chunk

            return {"content": chunks(), "headers": {"Content-Type": ctype, "Content-Length": str(size)}}

        # the upload URL carries its own credential: send it with no Authorization header (it may be storage
        # that is not this API) and no read timeout (a large file takes as long as it takes)
        with httpx.Client(timeout=httpx.Timeout(None, connect=10.0), verify=self.verify) as bare:
            self._send("PUT", upload_url, build, url=upload_url, client=bare)
        done = self._json("POST", f"/datasets/{quote(prep['version_id'], safe='')}/complete", safe_to_repeat=True)
        return str(done["job_id"])

    def list_datasets(self) -> list[dict[str, Any]]:
        return self._all("/datasets")

    def _all(self, path: str, params: dict[str, Any] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        if limit is not None and limit <= 0:
            return items
        size = 200 if limit is None else min(200, limit)
        while True:
            page = self._json(
                "GET", path, params={**(params or {}), "limit": size, **({"cursor": cursor} if cursor else {})}
            )
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor or (limit is not None and len(items) >= limit):
                return items[:limit] if limit is not None else items

    def get_dataset(self, ref: str) -> dict[str, Any]:
        return self._json("GET", f"/datasets/{_q(ref)}")

    def delete_dataset(self, ref: str) -> None:
        self._json("DELETE", f"/datasets/{_q(ref)}")

    def preview_dataset(self, ref: str, max_rows: int = 10, offset: int = 0) -> dict[str, Any]:
        """The rows, a page of at most PREVIEW_PAGE at a time (the server's bound per request)."""
        out: dict[str, Any] = {"headers": [], "rows": []}
        while True:
            n = min(PREVIEW_PAGE, max_rows - len(out["rows"]))
            page = self._json("GET", f"/datasets/{_q(ref)}/preview",
                              params={"max_rows": n, **({"offset": offset} if offset else {})})  # fmt: skip
            out["headers"] = page["headers"]
            out["rows"] += page["rows"]
            offset += len(page["rows"])
            if len(page["rows"]) < n or len(out["rows"]) >= max_rows:
                return out

    # ---- models --------------------------------------------------------------------------------------------------
    def train(
        self, data: Any, model_type: str, label_column: str | None, name: str | None,
        input_columns: list[str] | None, params: dict[str, Any] | None, id_column: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        check_model_type(model_type)
        check_params(model_type, params)  # fail before any data is sent
        if isinstance(data, Dataset):  # the server checks the request against the stored data
            dataset_id, version_id = data.id, data.version_id  # the version the caller holds
        else:  # train on exactly the version this ingest made
            frame = to_frame(data, "the training data")
            validate_training(frame, model_type, label_column, input_columns, params, id_column)
            job = self._ingest(frame, training_dataset_name(name, source_label(data), model_type), None)
            dataset_id, version_id = job["dataset_id"], job["dataset_version_id"]
        sub = self._json("POST", "/models/train", json={
            "model_type": model_type, "dataset_id": dataset_id, "dataset_version_id": version_id,
            "label_column": label_column,
            "input_columns": input_columns, "params": params or {}, "model_name": name, "id_column": id_column,
        }, safe_to_repeat=False)  # fmt: skip
        return self.get_job(sub["job_id"])

    def list_models(self) -> list[dict[str, Any]]:
        return self._all("/models")

    def get_model(self, ref: str) -> dict[str, Any]:
        return self._json("GET", f"/models/{_q(ref)}")

    def delete_model(self, ref: str) -> None:
        self._json("DELETE", f"/models/{_q(ref)}")

    def model_versions(self, ref: str) -> list[dict[str, Any]]:
        return list(self._json("GET", f"/models/{_q(ref)}/versions")["items"])

    # ---- inference -----------------------------------------------------------------------------------------------
    @staticmethod
    def _fields(options: InferOptions, model_version_id: str | None) -> dict[str, Any]:
        return {
            "output_type": options.output_type, "anomaly_format": options.anomaly_format, "k": options.k,
            "exclude_self_matches": options.exclude_self_matches or None, "id_column": options.id_column,
            "factor_scores": options.factor_scores or None, "prob_columns": options.prob_columns or None,
            "model_version_id": model_version_id,
        }  # fmt: skip

    def infer(self, model: str, data: Any, options: InferOptions, model_version_id: str | None) -> InferenceResult:
        fields = self._fields(options, model_version_id)
        if isinstance(data, Dataset):
            job = self.infer_batch(model, DatasetRef(data.id), options, model_version_id, "local", None)
            return self._finished_result(job["id"])
        with self._payload(data, "the inference data") as (path, filename):
            if path.stat().st_size <= self.direct_limit:
                try:
                    resp = self._multipart(f"/models/{_q(model)}/infer", path, filename,
                                           {**fields, "response_format": "parquet"}, safe_to_repeat=False)  # fmt: skip
                    return InferenceResult.from_parquet(resp.content)
                except TooLargeError:  # over the server's sync limits (rows, output size): as below
                    pass
            # too big for one request: the async path, then fetch
            job = self.infer_async(model, path, options, model_version_id, "local", None)
        return self._finished_result(job["id"])

    def _finished_result(self, job_id: str) -> InferenceResult:
        err = ended_error(self._wait(job_id))
        if err is not None:
            raise err
        res = self.job_result(job_id)
        res.table  # noqa: B018 - fetch now, as a sync call would
        return res

    def infer_async(
        self, model: str, data: Any, options: InferOptions, model_version_id: str | None, executor: str | None,
        scheduler: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        fields = {**self._fields(options, model_version_id), **_executor_fields(executor, scheduler)}
        with self._payload(data, "the inference data") as (path, filename):
            sub = self._multipart(f"/models/{_q(model)}/infer-async", path, filename, fields, safe_to_repeat=False)
        return self.get_job(sub.json()["job_id"])

    def infer_batch(
        self, model: str, source: Any, options: InferOptions, model_version_id: str | None, executor: str | None,
        scheduler: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        if isinstance(source, DatasetRef):
            ref = source.ref
        elif isinstance(source, str | os.PathLike) and Path(source).exists():
            return self.infer_async(model, source, options, model_version_id, executor, scheduler)
        elif isinstance(source, str):
            ref = source
        else:
            raise InputError("infer_batch takes a stored dataset (name, id or Dataset) or a parquet path.")
        body = {**self._fields(options, model_version_id), "dataset_id": ref, "force_rerun": True,
                **_executor_fields(executor, scheduler)}  # fmt: skip
        sub = self._json("POST", f"/models/{_q(model)}/infer-batch",
                         json={k: v for k, v in body.items() if v is not None}, safe_to_repeat=False)  # fmt: skip
        return self.get_job(sub["job_id"])

    # ---- jobs ------------------------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> dict[str, Any]:
        return self._json("GET", f"/jobs/{_q(job_id)}")

    def list_jobs(self, status: str | None, type: str | None, limit: int) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("status", status), ("type", type)) if v}
        return self._all("/jobs", params, limit=max(0, int(limit)))

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        try:
            return self._json("POST", f"/jobs/{_q(job_id)}/cancel", safe_to_repeat=True)
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
        resp = self._send("GET", f"/jobs/{_q(job_id)}/results/file", lambda: {"params": {"output_type": output_type}},
                          stream=True)  # fmt: skip
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


def _q(ref: str) -> str:
    return quote(str(ref), safe="")


def _form(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _executor_fields(executor: str | None, scheduler: str | None) -> dict[str, str | None]:
    """Nothing when the caller chose nothing (the server's default applies). A LocalCluster is named, so the server's
    default scheduler does not replace it, as "local": the spelling servers of every version accept."""
    if executor == "dask":
        return {"executor": "dask", "scheduler": scheduler or "local"}
    return {"executor": executor, "scheduler": None}
