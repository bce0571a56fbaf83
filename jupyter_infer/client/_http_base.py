"""The HTTP backend's plumbing: the connection, requests under the retry policy (``_transport``), payloads (a
table travels as a temporary Parquet file), multipart bodies, the signed-URL upload flow for large datasets, waiting
for a job and reading every page of a list. ``HttpBackend`` builds the Backend protocol on it."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyarrow.parquet as pq

from .._exceptions import (
    InputError,
)
from ..engine.io import to_frame
from ..engine.tables import to_arrow
from ..store import ENDED, JobStatus, ended_error, new_id
from ..store._records import JobRecord
from ._naming import source_label
from ._transport import send

PREVIEW_PAGE = 10_000  # rows per GET /datasets/{id}/preview
DIRECT_LIMIT = 25 << 20  # bytes; under the server's 30 MiB default cap with room for the multipart envelope


_CONTENT_TYPES = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".pq": "application/vnd.apache.parquet",
}


class HttpConnection:
    """A Wood Wide-compatible API at ``url`` (e.g. ``http://127.0.0.1:8888/jupyter-infer/api``), reached with
    ``token`` over one ``httpx.Client``."""

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

    # ---- transport ----------------------------------------------------------------------------------------------
    def _send(
        self,
        method: str,
        path: str,
        build: Callable[[], dict[str, Any]] | None = None,
        stream: bool = False,
        safe_to_repeat: bool | None = None,
        url: str | None = None,
        client: httpx.Client | None = None,
    ) -> httpx.Response:
        """One request under the retry policy of ``_transport`` (``url``/``client``: another host, e.g. an upload
        URL that carries its own credential)."""
        return send(
            client or self.http,
            method,
            url or path,
            build,
            stream=stream,
            safe_to_repeat=safe_to_repeat,
            retries=self.max_retries,
            sleep=self._sleep,
            where=self.url,
        )

    def _sleep(self, seconds: float) -> None:
        """The wait between attempts (tests replace it)."""
        time.sleep(seconds)

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

    def get_job(self, job_id: str) -> JobRecord:
        job: JobRecord = self._json("GET", f"/jobs/{_q(job_id)}")
        return job

    def _wait(self, job_id: str, timeout: float | None = None) -> JobRecord:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.get_job(job_id)
            if job["status"] in ENDED:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job['status']} after {timeout} s")
            time.sleep(self.poll_interval)

    # ---- datasets: uploading ------------------------------------------------------------------------------------
    def _ingest(self, data: Any, name: str | None, description: str | None) -> JobRecord:
        """Upload a table and wait for its ingest job; returns the job (its dataset and version ids)."""
        label = source_label(data)
        name = name or (Path(label).stem if label else f"dataset-{new_id('')[:6].lower()}")
        with self._payload(data, "the dataset") as (path, filename):
            size = path.stat().st_size
            if size <= self.direct_limit:
                sub = self._multipart(
                    "/datasets",
                    path,
                    filename,
                    {"dataset_name": name, "description": description},
                    safe_to_repeat=False,
                ).json()
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
        prep = self._json(
            "POST",
            "/datasets/upload",
            json={
                "file": {"filename": filename, "bytes": size, "content_type": ctype},
                "dataset_name": name,
                "description": description,
            },
            safe_to_repeat=False,
        )
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

    def _all(self, path: str, params: dict[str, Any] | None = None, limit: int | None = None) -> list[Any]:
        """Every item of a paged list (at most ``limit``), following ``next_cursor``."""
        items: list[Any] = []
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


def _q(ref: str) -> str:
    return quote(str(ref), safe="")


def _form(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)
