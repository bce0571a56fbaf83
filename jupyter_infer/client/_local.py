"""The embedded backend: engine, store and job runner in this process, no server, no account."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .._exceptions import ConflictError, InputError, NotFoundError
from ..engine.options import check_model_type, check_params
from ..jobs import Runner
from ..store import JobStatus, Store, new_id
from ..store._errors import dataset_file_label, read_stored_table, stored_file
from ..store._records import DatasetRecord, JobRecord, ModelRecord, ModelVersionRecord
from ._naming import source_label, training_dataset_name
from ._objects import Dataset
from ._parts import model_columns
from ._refs import DatasetRef
from ._requests import InferRequest, TrainSpec
from ._result_files import Results
from ._service import Service
from ._staging import rows, snapshot, stage, workers_read
from ._uploads import Uploads

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from ._result import InferenceResult

# pandas, pyarrow and the engine are imported by the methods that read or score data, so that listing models and
# jobs (the command line, the panel's server) does not pay for them. Staging data is in _staging, scoring a table
# at once in _sync.

KEPT_RESULTS = 4


def _work_for(store: Store, job: dict[str, Any], frame: pd.DataFrame | None = None, keep: Any = None) -> Any:
    """The job's work; ``jobs.work`` imports the engine (scikit-learn), so listing models and jobs never does."""
    from ..jobs.work import work_for

    return work_for(store, job, frame, keep)


class LocalBackend(Service, Uploads, Results):
    url: str | None = None

    def __init__(
        self,
        home: str | os.PathLike[str] | None = None,
        owner_kind: str = "kernel",
        dispatch: Callable[[dict[str, Any]], None] | None = None,
        background_results: bool = True,
        store: Store | None = None,
    ) -> None:
        """``dispatch``: called with each queued background job instead of running it on this process's runner
        (the server hands its jobs to a worker process this way). ``background_results``: sync inference returns
        its result as soon as it is scored and stores it right after (the job succeeds then); False waits for
        the stored result (the server's sync endpoint reports the job as succeeded). ``store``: one already open
        on ``home`` (the server shares its own between its two backends)."""
        self.store = store if store is not None else Store(home)
        self.home = self.store.home
        self.runner = Runner.for_store(self.store, owner_kind)
        self.dispatch = dispatch
        self.background_results = background_results
        self._ended: dict[str, threading.Event] = {}  # background jobs this process runs, set when each ends
        self._storing: set[Future[None]] = set()  # sync jobs still storing their results (background_results)
        self._results: dict[str, pd.DataFrame] = {}  # see _remember_result
        self._lock = threading.Lock()

    def _submit(self, job: dict[str, Any], frame: pd.DataFrame | None = None) -> None:
        """Run a queued job in the background: on this process's runner (``frame``: its data, in memory), or
        handed to ``dispatch`` (then its data must be on disk: another process runs it)."""
        if self.dispatch is not None:
            assert frame is None, "a dispatched job reads its data from the store"
            self.dispatch(job)
        else:
            ended = self._ended[job["id"]] = threading.Event()
            keep = (lambda out: self._remember_result(job["id"], out)) if frame is not None else None
            future = self.runner.submit(job["id"], _work_for(self.store, job, frame, keep))

            def done(_: object) -> None:
                self._ended.pop(job["id"], None)
                ended.set()

            future.add_done_callback(done)

    def job_ended(self, job_id: str) -> threading.Event | None:
        """An event set when a background job of this process ends (its final state is then stored), so waiting
        needs no polling; None for jobs another process runs or that have ended."""
        return self._ended.get(job_id)

    def _remember_result(self, job_id: str, frame: pd.DataFrame) -> None:
        """The output of an in-memory job, for its first ``job_result`` here (the latest few, unfetched)."""
        with self._lock:
            self._results[job_id] = frame
            while len(self._results) > KEPT_RESULTS:
                self._results.pop(next(iter(self._results)))

    def _settle(self) -> None:
        """Wait for the sync results this process is still storing, so what it reads next about jobs is final."""
        if self._storing:
            wait(self._storing.copy())  # copy(): atomic, while callbacks discard entries

    @property
    def in_process(self) -> bool:
        """Background jobs run in this process, so they can take their data from memory."""
        return self.dispatch is None

    # ---- datasets --------------------------------------------------------------------------------------------
    def create_dataset(self, data: Any, name: str | None, description: str | None = None) -> DatasetRecord:
        """Ingest a table; the record's ``current_version`` is the version this ingest made (another process may
        have made a newer one meanwhile)."""
        return cast(DatasetRecord, self._ingest(data, name, description)[0])

    def _ingest(
        self, data: Any, name: str | None, description: str | None = None
    ) -> tuple[dict[str, Any], str, pd.DataFrame | None]:
        """Store ``data`` as a new dataset version, in this thread. A table is written once, from memory, straight
        into the store (the ingest job runs here). Returns the dataset (its ``current_version`` the one made), the
        version made and, for a table, its rows as the store gives them back (what training on that version sees),
        else None."""
        from ..engine.io import to_frame
        from ..engine.tables import to_arrow
        from ..jobs.work import ingest

        table = stored = None
        if isinstance(data, str | os.PathLike):
            source, label = stage(self.store, data, "the dataset")[0], Path(data).name
        else:
            source, label = None, None
            table = to_arrow(to_frame(data, "the dataset"))
            stored = table.to_pandas()
        name = name or (Path(label).stem if label else f"dataset-{new_id('')[:6].lower()}")
        job = self.new_ingest(name, description, label, source, delete_source=False)
        err = self.runner.run(job["id"], lambda ctx: ingest(self.store, job, ctx, stored, table))
        if err is not None:
            raise err
        dsv_id = str(job["dataset_version_id"])
        return self.store.get_dataset(str(job["dataset_id"]), version_id=dsv_id), dsv_id, stored

    def list_datasets(self) -> list[DatasetRecord]:
        return cast(list[DatasetRecord], self.store.list_datasets())

    def get_dataset(self, ref: str) -> DatasetRecord:
        return cast(DatasetRecord, self.store.get_dataset(ref))

    def delete_dataset(self, ref: str) -> None:
        self._settle()
        self.store.delete_dataset(ref)

    def preview_dataset(self, ref: str, max_rows: int = 10, offset: int = 0) -> dict[str, Any]:
        import pandas as pd
        import pyarrow.parquet as pq

        v = self.store.dataset_version(ref)
        with stored_file(dataset_file_label(v), "create the dataset again"):
            pf = pq.ParquetFile(v["path"])
            df = rows(pf, int(offset), max(1, int(max_rows))) if pf.metadata.num_rows else pd.DataFrame()
        df = df.astype(object).where(df.notna(), None)
        return {"headers": [str(c) for c in df.columns], "rows": df.to_dict(orient="records")}

    # ---- models ----------------------------------------------------------------------------------------------
    def train(self, data: Any, spec: TrainSpec) -> JobRecord:
        if isinstance(data, Dataset):  # the version the caller holds, not whatever is latest now
            return cast(JobRecord, self.train_stored(data.id, data.version_id, spec))
        check_model_type(spec.model_type)
        check_params(spec.model_type, spec.params)  # fail before any data is stored
        from ..engine.io import to_frame

        frame = to_frame(data, "the training data")
        spec.validate(frame)
        # train on exactly the version this ingest makes; in this process, on the rows just stored, as the store
        # gives them back (no re-read)
        _, dsv_id, stored = self._ingest(frame, training_dataset_name(spec.name, source_label(data), spec.model_type))
        job = self.start_training(self.store.dataset_version(dsv_id), spec, stored if self.in_process else None)
        return cast(JobRecord, job)

    def list_models(self) -> list[ModelRecord]:
        return cast(list[ModelRecord], self.store.list_models())

    def get_model(self, ref: str) -> ModelRecord:
        return cast(ModelRecord, self.store.get_model(ref))

    def delete_model(self, ref: str) -> None:
        self._settle()
        self.store.delete_model(ref)

    def model_versions(self, ref: str) -> list[ModelVersionRecord]:
        return cast(list[ModelVersionRecord], self.store.model_versions(ref))

    # ---- inference -------------------------------------------------------------------------------------------
    def infer(self, req: InferRequest, data: Any) -> InferenceResult:
        from ..engine.io import read_file, to_frame

        m, v = self.store.model_version(req.model, req.model_version_id)
        opts = req.options.resolve(m["model_type"])
        label = data.name if isinstance(data, Dataset) else source_label(data)
        if isinstance(data, Dataset):
            df = read_stored_table(self.store.dataset_version(data.id, data.version_id))
        elif isinstance(data, str | os.PathLike):
            df = read_file(data)
        else:
            df = to_frame(data, "the inference data")
        job = self.store.create_job(
            "infer_sync",
            **model_columns(m, v),
            input_filename=label,
            output_type=opts.output_type,
            rows_total=len(df),
            owner=self.runner.owner,
            request={"op": "infer_sync", "options": opts.to_dict()},
        )
        from . import _sync  # pandas, pyarrow and the engine

        result, storing = _sync.infer(self.store, self.runner, job, df, m, v, opts, self.background_results)
        if storing is not None:
            self._storing.add(storing)
            storing.add_done_callback(self._storing.discard)
        return result

    def infer_async(self, req: InferRequest, data: Any) -> JobRecord:
        self.store.model_version(req.model, req.model_version_id)  # unknown model: fail before staging data
        if req.executor == "dask" and isinstance(data, str) and workers_read(data):
            return self.infer_batch(req, data)
        frame, label = None, None
        source: dict[str, Any]
        if self.in_process and req.executor != "dask" and not isinstance(data, str | os.PathLike):
            frame = snapshot(data, "the inference data")  # scored from memory by this process's runner
            source = {"in_memory": True}
        else:
            path, delete, label = stage(self.store, data, "the inference data")
            source = {"path": path, "delete_after": delete}
        return cast(JobRecord, self._infer_job(req, source, label, frame=frame))

    def infer_batch(self, req: InferRequest, source: Any) -> JobRecord:
        where, label = self._batch_source(source, req.executor)
        return cast(JobRecord, self._infer_job(req, where, label))

    def _batch_source(self, source: Any, executor: str | None) -> tuple[dict[str, Any], str | None]:
        """What an ``infer_batch`` job reads, and its label: a stored dataset's version, a file or directory, or (on
        Dask) a glob or fsspec URL the workers list and read themselves."""
        if isinstance(source, DatasetRef | str) and not (isinstance(source, str) and Path(source).exists()):
            if not isinstance(source, DatasetRef) and executor == "dask" and workers_read(source):
                return {"path": source}, source.rstrip("/").rsplit("/", 1)[-1]
            dsv = self.store.dataset_version(source.ref if isinstance(source, DatasetRef) else source)
            return {"dataset_version_id": dsv["id"]}, dsv["dataset_name"]  # by DatasetRef, else by name or id
        if isinstance(source, str | os.PathLike) and Path(source).exists():
            return {"path": str(Path(source).resolve())}, Path(source).name
        raise InputError("infer_batch takes a stored dataset (name, id or Dataset) or a parquet path.")

    # ---- jobs ------------------------------------------------------------------------------------------------
    def get_job(self, job_id: str) -> JobRecord:
        self._settle()
        return cast(JobRecord, self.store.get_job(job_id))

    def list_jobs(self, status: str | None, type: str | None, limit: int) -> list[JobRecord]:
        self._settle()
        return cast(list[JobRecord], self.store.list_jobs(status=status, type=type, limit=limit))

    def cancel_job(self, job_id: str) -> JobRecord:
        self.runner.cancel(job_id)
        return cast(JobRecord, self.store.get_job(job_id))

    def prune_jobs(self, older_than_days: float) -> int:
        self._settle()
        return self.store.prune_jobs(older_than_days)

    def job_result(self, job_id: str) -> InferenceResult:
        from ..engine.outputs import read_metadata, read_result_table
        from ._result import InferenceResult

        self._settle()
        job = self.store.get_job(job_id)
        if job["status"] != JobStatus.SUCCEEDED:
            raise ConflictError(f"Job {job_id} has no result: it is {job['status']}.")
        path = job.get("result_path")
        if not path or not Path(path).exists():
            raise NotFoundError(f"The result of job {job_id} is no longer stored (pruned or deleted).")
        meta = job.get("result_meta") or {}
        with self._lock:
            frame = self._results.pop(job_id, None)
        if frame is not None:  # scored from memory here a moment ago: handed over once, not read back
            return InferenceResult(meta, frame=frame)

        def load() -> pa.Table:
            with stored_file(f"the result of job {job_id}", "run the job again"):
                t = read_result_table(path)  # a file, or a directory of parts (Dask executor)
            meta.update({k: v for k, v in read_metadata(t.schema.metadata).items() if k not in meta})
            return t.replace_schema_metadata(None)

        return InferenceResult(meta, loader=load)
