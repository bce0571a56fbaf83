"""The Python API of SPEC §7: one facade over a local or remote backend."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConflictError, NotFoundError, OptionError
from ..engine._choices import check_columns
from ..engine.options import DASK_SCHEDULER_ENV, InferOptions, check_model_type, resolve_executor
from ..store import check_retrain
from . import _args
from ._backend import Backend
from ._objects import Dataset, Job, Model
from ._refs import DatasetRef
from ._requests import InferRequest, TrainSpec

if TYPE_CHECKING:
    from ..store._records import ModelRecord
    from ._result import InferenceResult


def _label_is_a_column(data: Any, label: str | None) -> None:
    """An InputError with a did-you-mean when ``label`` is not a column of ``data``: a table's columns, or a file's
    header (read without loading the file). Other data (a stored dataset) is checked when the job validates it."""
    if not label:
        return
    columns = getattr(data, "column_names", None) or getattr(data, "columns", None)  # a pyarrow Table, a DataFrame
    if columns is None and isinstance(data, str | os.PathLike) and os.path.isfile(data):
        from ._file_columns import file_columns

        columns = file_columns(Path(data))["columns"]
    if columns is not None:
        check_columns(list(columns), [label], "The label column")


def ref(obj: Any) -> str:
    """A model or dataset given as an object, id, name or ``dataset:NAME``, as the string the backend resolves."""
    if isinstance(obj, Model | Dataset):
        return obj.id
    if isinstance(obj, str | DatasetRef):
        named = DatasetRef.parse(obj)
        return named.ref if named is not None else str(obj)
    raise OptionError(f"expected a Model, a Dataset, an id or a name; got {type(obj).__name__}.")


def pinned_version(model: Any, model_version_id: str | None) -> str | None:
    """The version to infer with: the one asked for, else the one a pinned Model holds, else None (the latest)."""
    if model_version_id is None and isinstance(model, Model) and model.pinned:
        return model.version_id
    return model_version_id


def is_dataset_ref(obj: Any) -> bool:
    """True for a Dataset, a DatasetRef (``dataset:NAME``), or a string that is not an existing file."""
    if isinstance(obj, Dataset | DatasetRef):
        return True
    if isinstance(obj, str):
        return DatasetRef.parse(obj) is not None or (obj.startswith("ds_") and not Path(obj).exists())
    return False


class Datasets:
    def __init__(self, client: Client) -> None:
        self._c = client

    def create(self, data: Any, name: str | None = None, description: str | None = None) -> Dataset:
        """Store a table (DataFrame, Arrow table or file) as a dataset; waits for the ingest job."""
        _args.text("name", name)
        _args.text("description", description)
        return Dataset(self._c, self._c.backend.create_dataset(data, name, description))

    def list(self) -> list[Dataset]:
        return [Dataset(self._c, d) for d in self._c.backend.list_datasets()]

    def get(self, dataset: Any) -> Dataset:
        return Dataset(self._c, self._c.backend.get_dataset(ref(dataset)))

    def delete(self, dataset: Any) -> None:
        self._c.backend.delete_dataset(ref(dataset))


class Models:
    def __init__(self, client: Client) -> None:
        self._c = client

    def train(
        self,
        data_or_dataset: Any,
        model_type: str,
        label_column: str | None = None,
        name: str | None = None,
        input_columns: list[str] | None = None,
        params: dict[str, Any] | None = None,
        wait: bool = True,
        id_column: str | None = None,
    ) -> Model | Job:
        """Train a model (a new version when the name exists). ``wait=False`` returns the training Job."""
        _args.train_args(model_type, label_column, name, input_columns, params, id_column, wait)
        data = data_or_dataset
        if name and not is_dataset_ref(data):  # a name taken by another kind of model fails before data is stored
            # or sent (a stored dataset is checked by the backend, columns first: nothing is stored before)
            check_model_type(model_type)
            try:
                existing: ModelRecord | None = self._c.backend.get_model(name)
            except NotFoundError:
                existing = None
            try:
                check_retrain(existing, name, model_type, label_column)
            except ConflictError:
                _label_is_a_column(data, label_column)  # a misspelt label is named as such, not as another label
                raise
        if is_dataset_ref(data) and not isinstance(data, Dataset):  # a Dataset object keeps its version
            data = Dataset(self._c, self._c.backend.get_dataset(ref(data)))
        spec = TrainSpec(model_type, label_column, name, input_columns, params, id_column)
        job = Job(self._c, self._c.backend.train(data, spec))
        if not wait:
            return job
        model: Model = job.result()
        return model

    def list(self) -> list[Model]:
        return [Model(self._c, m) for m in self._c.backend.list_models()]

    def get(self, model: Any) -> Model:
        return Model(self._c, self._c.backend.get_model(ref(model)))

    def delete(self, model: Any) -> None:
        self._c.backend.delete_model(ref(model))

    def infer(
        self,
        model: Any,
        data: Any,
        output_type: str = "json",
        anomaly_format: str | None = None,
        k: int | None = None,
        exclude_self_matches: bool = False,
        model_version_id: str | None = None,
        id_column: str | None = None,
        factor_scores: bool = False,
        prob_columns: bool = False,
    ) -> InferenceResult:
        """Sync inference on a DataFrame, Arrow table, file or dataset; the result comes back at once.
        ``anomaly_format`` defaults to ids_only and ``k`` to 1 for the model types they apply to."""
        opts = InferOptions.build(locals())  # the option arguments, by name; the others are not options
        _args.text("model_version_id", model_version_id)
        if is_dataset_ref(data) and not isinstance(data, Dataset):  # a Dataset object keeps its version
            data = Dataset(self._c, self._c.backend.get_dataset(ref(data)))
        return self._c.backend.infer(InferRequest(ref(model), opts, pinned_version(model, model_version_id)), data)

    def infer_async(
        self,
        model: Any,
        path_or_data: Any,
        output_type: str = "parquet",
        anomaly_format: str | None = None,
        k: int | None = None,
        exclude_self_matches: bool = False,
        model_version_id: str | None = None,
        id_column: str | None = None,
        factor_scores: bool = False,
        prob_columns: bool = False,
        executor: str | None = None,
        scheduler: str | None = None,
    ) -> Job:
        """Score a file (streamed, may be larger than memory) or an in-memory table in the background.
        ``executor="dask"`` with ``scheduler="tcp://host:port"`` (or ``"local-cluster"`` for a LocalCluster on
        this machine; ``"local"`` is its older name) runs it on a Dask cluster, for a Parquet path the workers can
        read; the default is ``$JUPYTER_INFER_DASK_SCHEDULER`` when set, else the embedded engine
        (``executor="local"``)."""
        return self._background("async", model, path_or_data, locals())

    def infer_batch(
        self,
        model: Any,
        dataset_or_parquet_path: Any,
        output_type: str = "parquet",
        anomaly_format: str | None = None,
        k: int | None = None,
        exclude_self_matches: bool = False,
        model_version_id: str | None = None,
        id_column: str | None = None,
        factor_scores: bool = False,
        prob_columns: bool = False,
        executor: str | None = None,
        scheduler: str | None = None,
    ) -> Job:
        """Score a stored dataset (a Dataset, ``dataset:NAME``, a name or id) or a parquet file, directory, glob or
        fsspec URL in the background. ``executor`` and ``scheduler`` as for ``infer_async``."""
        return self._background("batch", model, dataset_or_parquet_path, locals())

    def _background(self, how: str, model: Any, source: Any, args: dict[str, Any]) -> Job:
        """``infer_async`` and ``infer_batch``: the options checked once, then the backend's job."""
        opts = InferOptions.build(args)  # the option arguments, by name; the others are not options
        mv = _args.text("model_version_id", args["model_version_id"])
        executor, scheduler = resolve_executor(args["executor"], args["scheduler"], os.environ.get(DASK_SCHEDULER_ENV))
        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        req = InferRequest(ref(model), opts, pinned_version(model, mv), executor, scheduler)
        if how == "async":
            rec = self._c.backend.infer_async(req, source)
        else:
            source = DatasetRef(source.id) if isinstance(source, Dataset) else DatasetRef.parse(source) or source
            rec = self._c.backend.infer_batch(req, source)
        return Job(self._c, rec)


class Jobs:
    def __init__(self, client: Client) -> None:
        self._c = client

    def get(self, job_id: str) -> Job:
        return Job(self._c, self._c.backend.get_job(job_id))

    def list(self, status: str | None = None, type: str | None = None, limit: int = 50) -> list[Job]:
        _args.list_args(status, type, limit)
        return [Job(self._c, j) for j in self._c.backend.list_jobs(status, type, limit)]

    def cancel(self, job_id: str) -> Job:
        return Job(self._c, self._c.backend.cancel_job(job_id))

    def prune(self, older_than_days: float) -> int:
        """Delete finished jobs and their results older than this many days; returns how many."""
        return self._c.backend.prune_jobs(_args.prune_days(older_than_days))


class Client:
    """``client.datasets``, ``client.models``, ``client.jobs``; the same on every backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.datasets = Datasets(self)
        self.models = Models(self)
        self.jobs = Jobs(self)

    @property
    def url(self) -> str | None:
        return self.backend.url

    def __repr__(self) -> str:
        where = self.backend.url or f"embedded engine at {getattr(self.backend, 'home', '?')}"
        return f"<jupyter_infer.Client {where}>"
