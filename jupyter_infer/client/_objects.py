"""Dataset, Model and Job: thin, readable views over the backend's records."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .._exceptions import NotFoundError
from ..store import ENDED, ended_error
from ..store._records import DatasetRecord, JobRecord, ModelRecord, ModelVersionRecord

if TYPE_CHECKING:
    import pandas as pd

    from ._client import Client
    from ._result import InferenceResult


class _Stored:
    """What a Dataset and a Model share: the backend's record, its id and name, and the version it shows."""

    def __init__(self, client: Client, record: DatasetRecord | ModelRecord) -> None:
        self._client = client
        self.record = record

    @property
    def id(self) -> str:
        return str(self.record["id"])

    @property
    def name(self) -> str:
        return str(self.record["name"])

    @property
    def _cv(self) -> Mapping[str, Any]:
        """The version this object shows (a remote service's record may lack it)."""
        return self.record.get("current_version") or {}

    @property
    def version_id(self) -> str | None:
        return self._cv.get("id")


class Dataset(_Stored):
    """A stored table (one name, several versions)."""

    record: DatasetRecord

    def __init__(self, client: Client, record: DatasetRecord) -> None:
        super().__init__(client, record)

    @property
    def row_count(self) -> int | None:
        return self._cv.get("row_count")

    @property
    def schema(self) -> dict[str, str]:
        return dict(self._cv.get("schema_json") or {})

    def preview(self, max_rows: int = 10) -> pd.DataFrame:
        import pandas as pd

        p = self._client.backend.preview_dataset(self.id, max_rows)
        return pd.DataFrame(p["rows"], columns=p["headers"])

    def __repr__(self) -> str:
        return f"<Dataset {self.name!r} id={self.id} rows={self.row_count}>"


class Model(_Stored):
    """A trained model: its latest version unless one is pinned (the Model a training job returns is pinned to the
    version that job made, and infers with it)."""

    record: ModelRecord

    def __init__(self, client: Client, record: ModelRecord, pinned: bool = False) -> None:
        super().__init__(client, record)
        self.pinned = pinned

    def at_version(self, version_id: str) -> Model:
        """This model pinned to one of its versions (NotFoundError if the version no longer exists)."""
        for v in self._client.backend.model_versions(self.id):
            if v.get("id") == version_id:
                return Model(self._client, {**self.record, "current_version": v}, pinned=True)
        raise NotFoundError(f'The model "{self.name}" no longer has the version {version_id} (it was deleted).')

    @property
    def model_type(self) -> str:
        return str(self.record["model_type"])

    @property
    def status(self) -> str:
        return str(self.record.get("status"))

    @property
    def version(self) -> int | None:
        return self._cv.get("version")

    @property
    def label_column(self) -> str | None:
        return self.record.get("label_column")

    @property
    def metrics(self) -> dict[str, Any]:
        return dict(self._cv.get("metrics") or {})

    @property
    def descriptions(self) -> dict[str, Any]:
        return dict(self._cv.get("descriptions") or {})

    @property
    def input_columns(self) -> list[str]:
        return list(self._cv.get("input_columns") or [])

    @property
    def dropped_columns(self) -> list[dict[str, str]]:
        """Training columns the model does not use, each with the reason (id-like, constant, lists, ...)."""
        return list((self._cv.get("info") or {}).get("dropped_columns") or [])

    @property
    def training_dataset_name(self) -> str | None:
        return self.record.get("training_dataset_name")

    def versions(self) -> list[ModelVersionRecord]:
        return self._client.backend.model_versions(self.id)

    def infer(self, data: Any, **kwargs: Any) -> InferenceResult:
        return self._client.models.infer(self, data, **kwargs)

    def __repr__(self) -> str:
        pin = " (pinned)" if self.pinned else ""
        return f"<Model {self.name!r} {self.model_type} v{self.version}{pin} id={self.id}>"

    def _repr_html_(self) -> str:
        metrics = ", ".join(
            f"{k}={v:.3g}" for k, v in self.metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)
        )
        return (
            f"<div><b>{html.escape(self.name)}</b> &middot; {html.escape(self.model_type)} model, version "
            f"{self.version} (<code>{html.escape(str(self.version_id))}</code>)<br>trained on "
            f"{html.escape(str(self.training_dataset_name))}; {html.escape(metrics)}</div>"
        )


class Job:
    """A unit of work. Attributes read the current state (refreshed at most every 0.1 s while it runs)."""

    def __init__(self, client: Client, record: JobRecord) -> None:
        self._client = client
        self._record = record
        self._fetched = time.monotonic()

    def refresh(self) -> Job:
        self._record = self._client.backend.get_job(self.id)
        self._fetched = time.monotonic()
        return self

    @property
    def record(self) -> JobRecord:
        if self._record.get("status") not in ENDED and time.monotonic() - self._fetched > 0.1:
            self.refresh()
        return self._record

    @property
    def id(self) -> str:
        return str(self._record["id"])

    def _get(self, key: str) -> Any:
        return self.record.get(key)

    type = property(lambda self: self._get("type"))
    status = property(lambda self: self._get("status"))
    progress = property(lambda self: self._get("progress"))
    rows_done = property(lambda self: self._get("rows_done"))
    rows_total = property(lambda self: self._get("rows_total"))
    current_phase = property(lambda self: self._get("current_phase"))
    estimated_seconds_remaining = property(lambda self: self._get("estimated_seconds_remaining"))
    error_message = property(lambda self: self._get("error_message"))
    model_name = property(lambda self: self._get("model_name"))
    created_at = property(lambda self: self._get("created_at"))
    started_at = property(lambda self: self._get("started_at"))
    finished_at = property(lambda self: self._get("finished_at"))

    @property
    def done(self) -> bool:
        return self.status in ENDED

    def wait(self, timeout: float | None = None, poll: float = 0.1) -> Job:
        """Block until the job ends (TimeoutError after ``timeout`` seconds); returns the job. Polls every 10 ms at
        first, then less often up to ``poll`` seconds, so a short job is not made to wait for a long poll."""
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = min(0.01, poll)
        while self.refresh()._record["status"] not in ENDED:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {self.id} is still {self._record['status']} after {timeout} s")
            self.pause(interval)  # returns at once when this process runs the job and it ends
            interval = min(poll, interval * 1.5)
        return self

    def pause(self, seconds: float, wake: threading.Event | None = None) -> None:
        """Sleep ``seconds``, or only until the job ends when this process runs it (no polling delay), else until
        ``wake`` is set."""
        ended = getattr(self._client.backend, "job_ended", lambda _: None)(self.id)
        if ended is None or wake is None:
            (ended or wake or threading.Event()).wait(seconds)
            return
        deadline = time.monotonic() + seconds
        while not ended.wait(0.02) and not wake.is_set() and time.monotonic() < deadline:
            pass

    def raise_for_status(self) -> Job:
        """Raise JobFailed or JobCanceled (saying why) if the job, as last fetched, ended other than succeeded;
        returns the job otherwise. Fetches nothing: ``job.refresh().raise_for_status()`` checks the current state."""
        err = ended_error(self._record)
        if err is not None:
            raise err
        return self

    def result(self, timeout: float | None = None) -> Any:
        """Wait, then: an InferenceResult for inference, the Model for training, the Dataset for ingest.
        Raises JobFailed or JobCanceled if it did not succeed."""
        rec = self.wait(timeout).raise_for_status()._record
        if rec["type"] == "train":  # the version this job made, not whichever is latest now
            return self._client.models.get(rec["model_id"]).at_version(str(rec["model_version_id"]))
        if rec["type"] == "dataset_ingest":
            return self._client.datasets.get(rec["dataset_id"])
        return self._client.backend.job_result(self.id)

    def cancel(self) -> Job:
        self._record = self._client.backend.cancel_job(self.id)
        self._fetched = time.monotonic()
        return self

    def __repr__(self) -> str:
        r = self.record
        return f"<Job {self.id} {r.get('type')} {r.get('status')} {r.get('progress', 0):.0f}%>"
