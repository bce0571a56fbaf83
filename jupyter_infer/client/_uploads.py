"""Files that arrive over HTTP and become datasets: the per-request folder they are staged in, their names, and the
ingest job of a direct upload or of the upload flow (prepare, accept the PUT, complete). Mixed into
``LocalBackend``; the server's routes call these on its queue backend."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from .._exceptions import ConflictError, NotFoundError
from ..store import JobStatus, JobType, new_id
from ..store._db import ago
from ._parts import BackendParts, dataset_columns

KNOWN_EXT = (".csv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


def safe_filename(name: str, default: str = "upload") -> str:
    """A client-given file name as one safe name (no folders, no odd characters)."""
    base = Path(name.replace("\\", "/")).name.strip()
    base = re.sub(r"[^\w.\- ]+", "_", base)[:120].strip(" .")
    return base or default


def sniff_extension(path: Path) -> str:
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:4] == b"PAR1":
        return ".parquet"
    if b"\x00" in head:  # no table format: the file keeps its name, which the reader's error then shows
        return ""
    stripped = head.lstrip()
    if stripped[:1] in (b"{", b"["):
        return ".json"
    return ".csv"


def with_known_extension(path: Path) -> Path:
    """Uploads are read by their extension: give the file the one its bytes say when its name has none we know
    (a name that lies about its content is kept, so the reader reports it as the embedded engine does)."""
    if path.suffix.lower() in KNOWN_EXT:
        return path
    ext = sniff_extension(path)
    if not ext:
        return path
    fixed = path.with_name(path.name + ext)
    os.replace(path, fixed)
    return fixed


class Uploads(BackendParts):
    """Mixed into ``LocalBackend``."""

    def upload_folder(self) -> Path:
        """A new folder under the store's ``uploads/`` for one request's files (removed with its last file)."""
        folder = self.store.path("uploads", new_id("up_"))
        with self.store.writing("uploads/"):
            folder.mkdir(parents=True, exist_ok=True)
        return folder

    def ingest_file(
        self,
        source: Path,
        filename: str,
        dataset: str | None,
        name: str | None,
        description: str | None,
        status: str = JobStatus.QUEUED,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new dataset version (of ``dataset``, or of the dataset ``name``, else one named after the file) and
        its ingest job of ``source``, which it deletes when done. Queued at once, or ``waiting_for_upload``."""
        if dataset:
            name = self.store.get_dataset(dataset)["name"]
        name = name or Path(safe_filename(filename, "dataset")).stem
        job = self.new_ingest(name, description, filename, str(source), True, status, extra)
        if status == JobStatus.QUEUED:
            self._submit(job)
        return job

    def new_ingest(
        self,
        name: str,
        description: str | None,
        filename: str | None,
        source: str | None,
        delete_source: bool,
        status: str = JobStatus.QUEUED,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A new version of the dataset ``name`` (made if there is none) and its ingest job of ``source`` (None: a
        table the caller hands to the job), not yet started."""
        job_id = new_id("job_")
        ds_id, dsv_id, version = self.store.create_dataset_version(name, description, filename, job_id)
        request = {
            "op": "ingest",
            "source": source,
            "dataset_version_id": dsv_id,
            "delete_source": delete_source,
            **(extra or {}),
        }
        return self.store.create_job(
            JobType.DATASET_INGEST,
            status=status,
            id=job_id,
            **dataset_columns({"dataset_id": ds_id, "dataset_name": name, "id": dsv_id, "version": version}),
            input_filename=filename,
            owner=self.runner.owner,
            request=request,
        )

    def ingest_upload(
        self, path: Path, filename: str | None, dataset: str | None, name: str | None, description: str | None
    ) -> dict[str, Any]:
        """A direct upload (a file staged in the store): its ingest job, queued."""
        path = with_known_extension(path)
        return self.ingest_file(path, filename or path.name, dataset, name, description)

    def prepare_upload(
        self,
        filename: str,
        size: int,
        content_type: str,
        dataset: str | None,
        name: str | None,
        description: str | None,
        expires_seconds: float,
    ) -> dict[str, Any]:
        """The upload flow's first step: a dataset version whose ingest job waits for ``size`` bytes (the PUT),
        failed with its bytes removed if not completed within ``expires_seconds``."""
        source = self.upload_folder() / safe_filename(filename)
        extra = {"expected_bytes": size, "content_type": content_type, "upload_expires_at": ago(-expires_seconds)}
        return self.ingest_file(source, filename, dataset, name, description, JobStatus.WAITING_FOR_UPLOAD, extra)

    def waiting_upload(self, dataset_version_id: str) -> dict[str, Any]:
        """The ingest job that waits for the upload of this dataset version (404 if none, 409 once it has it)."""
        job_id = self.store.ingest_job_of(dataset_version_id)
        if job_id is None:
            raise NotFoundError(f'No upload is waiting for dataset version "{dataset_version_id}".')
        job = self.store.get_job(job_id)
        if job["status"] != JobStatus.WAITING_FOR_UPLOAD:
            raise ConflictError(
                f"The upload for {dataset_version_id} is already complete (its ingest job is {job['status']})."
            )
        return job

    def upload_part(self, job: dict[str, Any]) -> Path:
        """Where one PUT of this upload writes before ``accept_upload`` puts it in place (two PUTs racing each
        write their own)."""
        final = Path(job["request"]["source"])
        return final.with_name(f".{final.name}.part-{new_id('')}")

    def accept_upload(self, job: dict[str, Any], part: Path) -> None:
        """Put a PUT's file (``part``) in place for its ingest, unless the upload was completed, canceled or expired
        meanwhile (a 409; the part is removed)."""
        if not self.store.accept_upload(job["id"], part, Path(job["request"]["source"])):
            status = self.store.get_job(job["id"])["status"]
            raise ConflictError(
                f"The upload for {job['dataset_version_id']} is already complete or ended (its ingest job is "
                f"{status}); this PUT was not used. Prepare a new upload to send the file again."
            )

    def complete_upload(self, ref: str) -> dict[str, Any]:
        """``/complete``: queue the ingest of an uploaded file once all its declared bytes arrived. ``ref`` is a
        dataset version id, or a dataset (id or name) whose newest version is meant. Returns the ingest job."""
        v = self.store.upload_version(ref)
        if v is None or not v["ingest_job_id"]:
            raise NotFoundError(f'No dataset version "{ref}" is waiting for an upload.')
        job = self.store.get_job(v["ingest_job_id"])
        if job["status"] == JobStatus.WAITING_FOR_UPLOAD:
            req = dict(job["request"])
            src = Path(req["source"])
            got = src.stat().st_size if src.exists() else 0
            want = int(req.get("expected_bytes") or 0)
            if got == 0 or (want and got != want):
                raise ConflictError(
                    f"The upload for {v['id']} is incomplete: {got} of {want} bytes arrived. PUT the file to its "
                    "upload_url first."
                )
            req["source"] = str(with_known_extension(src))
            queued = self.store.queue_upload(job["id"], req)
            job = self.store.get_job(job["id"])
            if queued:
                self._submit(job)
        if job["status"] in (JobStatus.FAILED, JobStatus.CANCELED):  # canceled, or its URL expired, before /complete
            raise ConflictError(f"The upload for {v['id']} ended {job['status']}: {job['error_message']}.")
        return job
