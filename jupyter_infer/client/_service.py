"""The service methods the local backend and the HTTP routes share: train on a stored dataset version, score a
stored dataset (reusing an equal job), score a file in the background, and pages of datasets, models and jobs.

Mixed into ``LocalBackend``; the server's routes call them on its queue backend. Each is the one code path for
what it does: ``LocalBackend.train`` ends in ``start_training`` as the train route does.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConflictError, InferError, InputError, NotFoundError, OptionError
from ..engine.options import MODEL_TYPES, check_model_type, check_params, choice
from ..store import TERMINAL, JobStatus, JobType, new_id
from ..store._errors import read_stored_table
from ..store._lifecycle import LISTED_JOB_TYPES as JOB_TYPES
from ..store._lifecycle import LISTED_STATUSES as JOB_STATUSES
from ._naming import model_name
from ._parts import BackendParts, dataset_columns, model_columns
from ._requests import InferRequest, TrainSpec
from ._uploads import KNOWN_EXT, with_known_extension

if TYPE_CHECKING:
    import pandas as pd

    from ._result import InferenceResult

ALL = 10_000  # datasets and models listed before a page is cut from them


class Forbidden(InferError):
    """A path outside the server root."""

    status = 403


def in_root(root: Path, rel: str, what: str = "path", must_exist: bool = True) -> Path:
    """A client-given path, resolved (symlinks too) and refused unless it lies under ``root``."""
    if not isinstance(rel, str) or not rel.strip() or "\x00" in rel:
        raise Forbidden(f"{what} must be a non-empty path under the server root.")
    p = (root / rel.strip().lstrip("/")).resolve() if not os.path.isabs(rel) else Path(rel).resolve()
    if p != root and not p.is_relative_to(root):
        raise Forbidden(f"{what} {rel!r} is outside the server root; only files under it can be used.")
    try:
        exists = p.exists()
    except OSError as e:  # a name longer than the filesystem allows (ENAMETOOLONG), ...: the request's fault
        raise OptionError(f"{what} cannot be used: {e.strerror or e}.") from None
    if must_exist and not exists:
        raise NotFoundError(f"No such file under the server root: {rel}.")
    return p


def relative(root: Path, p: str | os.PathLike[str] | None) -> str | None:
    """A path as relative to ``root`` (None if it is not under it)."""
    if not p:
        return None
    try:
        return Path(p).resolve().relative_to(root).as_posix()
    except ValueError:
        return None


def cursor_offset(cursor: str | None) -> int:
    """The offset a cursor of this server stands for (cursors are offsets, given out as text)."""
    if not cursor:
        return 0
    try:
        n = int(cursor)
    except ValueError:
        raise OptionError(f'cursor "{cursor}" is not one this server gave out.') from None
    if not 0 <= n <= 10**12:
        raise OptionError(f'cursor "{cursor}" is not one this server gave out.')
    return n


def page(items: list[Any], cursor: str | None, limit: int) -> dict[str, Any]:
    """``{"items", "next_cursor"}``: ``limit`` items from the cursor's offset."""
    offset = cursor_offset(cursor)
    nxt = str(offset + limit) if len(items) > offset + limit else None
    return {"items": items[offset : offset + limit], "next_cursor": nxt}


def free_output_name(src: Path, model_name: str, fmt: str) -> Path:
    """``<stem>.<model name>.<format>`` beside the input, or ``-1``, ``-2``, ... when taken."""
    safe = "".join("_" if c in '/\\:*?"<>|' or ord(c) < 32 else c for c in model_name)
    for n in range(10_000):
        cand = src.with_name(f"{src.stem}.{safe}{'' if n == 0 else f'-{n}'}.{fmt}")
        if not cand.exists():
            return cand
    raise ConflictError(f"No free output file name next to {src.name}.")


class Service(BackendParts):
    """Mixed into ``LocalBackend``."""

    if TYPE_CHECKING:  # defined by LocalBackend

        def infer(self, req: InferRequest, data: Any) -> InferenceResult: ...

    # ---- pages -------------------------------------------------------------------------------------------------
    def datasets_page(self, q: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
        return page(self.store.list_datasets(q=q, limit=ALL), cursor, limit)

    def dataset_versions(self, ref: str) -> list[dict[str, Any]]:
        """A dataset's versions, newest first."""
        return self.store.dataset_versions(ref)

    def models_page(self, q: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
        return page(self.store.list_models(q=q, limit=ALL), cursor, limit)

    def jobs_page(
        self,
        cursor: str | None,
        limit: int,
        status: str | None = None,
        type: str | None = None,
        model: str | None = None,
        **filters: str | None,
    ) -> dict[str, Any]:
        """Jobs of every process, newest first, filtered by status, type, model (id, version id or name) and the
        ids in ``filters`` (``model_version_id``, ``dataset_version_id``, ``dataset_id``)."""
        offset = cursor_offset(cursor)
        if status:
            choice("job status", status, JOB_STATUSES)
        if type:
            choice("job type", type, JOB_TYPES)
        if model and not model.startswith("mdl_"):
            model = self.store.get_model(model)["id"]
        items, more = self.store.page_jobs(limit, offset, status=status, type=type, model_id=model, **filters)
        return {"items": items, "next_cursor": str(offset + limit) if more else None}

    def count_jobs(self, statuses: tuple[str, ...]) -> dict[str, int]:
        """How many jobs of every process are in each of ``statuses``."""
        return {str(s): self.store.count_jobs(status=s) for s in statuses}

    def cancel_open_job(self, job_id: str) -> dict[str, Any]:
        """Cancel a queued or running job (a job waiting for its upload ends at once, its bytes removed); a
        ConflictError if it has already ended."""
        job = self.store.get_job(job_id)
        if job["status"] in TERMINAL:
            raise ConflictError(f"Job {job_id} already ended: it is {job['status']}.")
        self.runner.cancel(job_id)
        return self.store.get_job(job_id)

    # ---- training ----------------------------------------------------------------------------------------------
    def train_stored(
        self, dataset: str | None, version_id: str | None, spec: TrainSpec, model: str | None = None
    ) -> dict[str, Any]:
        """Train on a stored dataset version (``version_id``, else ``dataset``'s newest ready one); ``model``
        names an existing model to retrain (its name, type and label are the defaults). Every check that can
        fail runs before a model version or job exists. Returns the queued job."""
        if model:
            m = self.store.get_model(model)
            spec = replace(
                spec,
                name=m["name"],
                model_type=spec.model_type or m["model_type"],
                label_column=spec.label_column or m["label_column"],
            )
        if not spec.model_type:
            raise OptionError(f"model_type is required: one of {', '.join(MODEL_TYPES)}.")
        check_model_type(spec.model_type)
        check_params(spec.model_type, spec.params)  # the params are stored as given; the job applies the defaults
        if not dataset and not version_id:
            raise OptionError("Name the training data: dataset_id (or its name) or dataset_version_id.")
        dsv = self.store.dataset_version(dataset or version_id or "", version_id)
        if dsv["status"] != "ready":
            raise ConflictError(f"Dataset version {dsv['id']} is not ready ({dsv['status']}).")
        spec.validate(read_stored_table(dsv))
        return self.start_training(dsv, spec)

    def _label_of(self, name: str) -> str | bool | None:
        """The label of the model called ``name`` (None: it has none), False when there is no such model."""
        try:
            return self.store.get_model(name).get("label_column")
        except NotFoundError:
            return False

    def start_training(self, dsv: dict[str, Any], spec: TrainSpec, frame: pd.DataFrame | None = None) -> dict[str, Any]:
        """The model version and its training job, for a validated request on a stored dataset version
        (``frame``: its rows, when this process has them in memory)."""
        name = spec.name or model_name(spec.model_type, spec.label_column, dsv["dataset_name"], self._label_of)
        job_id = new_id("job_")
        mdl_id, mdlv_id, version = self.store.create_model_version(
            name,
            spec.model_type,
            spec.label_column,
            dataset_id=dsv["dataset_id"],
            dataset_version_id=dsv["id"],
            dataset_name=dsv["dataset_name"],
            training_job_id=job_id,
            params=spec.params or {},
        )
        job = self.store.create_job(
            JobType.TRAIN,
            id=job_id,
            **model_columns(
                {"id": mdl_id, "name": name, "model_type": spec.model_type}, {"id": mdlv_id, "version": version}
            ),
            **dataset_columns(dsv),
            owner=self.runner.owner,
            request={
                "op": "train",
                "dataset_version_id": dsv["id"],
                "model_version_id": mdlv_id,
                "model_type": spec.model_type,
                "label_column": spec.label_column,
                "input_columns": spec.input_columns,
                "params": spec.params or {},
                "id_column": spec.id_column,
            },
        )
        self._submit(job, frame)
        return job

    # ---- files under the server root, uploads --------------------------------------------------------------
    def file_columns(self, root: Path, path: str) -> dict[str, Any]:
        """``{"path", "format", "columns", "note"}`` of a data file under ``root``, from its header alone."""
        from ._file_columns import file_columns

        p = in_root(root, path, "path")
        if not p.is_file():
            raise InputError(f"{path} is a directory, not a data file.")
        return {"path": relative(root, p) or path, **file_columns(p)}

    def infer_upload(self, req: InferRequest, path: Path, max_rows: int, max_output_bytes: int) -> InferenceResult:
        """Sync inference on an uploaded file, refused (413) before anything is decoded when its rows or its
        output would pass ``max_rows`` or ``max_output_bytes`` (0: no limit)."""
        from ._limits import check_sync

        m, v = self.store.model_version(req.model, req.model_version_id)
        opts = req.options.resolve(m["model_type"])
        path = with_known_extension(path)
        check_sync(path, m, v, opts, max_rows, max_output_bytes)
        return self.infer(req.pinned(m["id"], v["id"], opts), str(path))

    # ---- inference in the background ---------------------------------------------------------------------------
    def _infer_job(
        self,
        req: InferRequest,
        source: dict[str, Any],
        label: str | None,
        extra: dict[str, Any] | None = None,
        frame: pd.DataFrame | None = None,
    ) -> dict[str, Any]:
        """A background inference job of ``source`` (``frame``: its rows, in memory), queued and started."""
        m, v = self.store.model_version(req.model, req.model_version_id)
        opts = req.options.resolve(m["model_type"])
        ds: dict[str, Any] = {"rows_total": len(frame)} if frame is not None else {}
        if "dataset_version_id" in source:
            dsv = self.store.dataset_version(source["dataset_version_id"])
            ds = {**dataset_columns(dsv), "rows_total": dsv["row_count"]}
        job = self.store.create_job(
            JobType.INFER_BATCH,
            **model_columns(m, v),
            input_filename=label,
            output_type=opts.output_type,
            owner=self.runner.owner,
            request={
                "op": "infer",
                "model_id": m["id"],
                "model_version_id": v["id"],
                "source": source,
                "options": opts.to_dict(),
                "executor": req.executor or "local",
                "scheduler": req.scheduler,
                **(extra or {}),
            },
            **ds,
        )
        self._submit(job, frame)
        return job

    def infer_stored(
        self, req: InferRequest, dataset: str, version_id: str | None, force_rerun: bool = False
    ) -> tuple[dict[str, Any], bool]:
        """Score a stored dataset version in the background. Unless ``force_rerun``, an equal request (same model
        version, data version, options and executor) that is queued, running or succeeded is answered with its
        job, as Wood Wide does. Returns (the job, whether it is new)."""
        m, v = self.store.model_version(req.model, req.model_version_id)
        opts = req.options.resolve(m["model_type"])
        dsv = self.store.dataset_version(dataset, version_id)
        if dsv["status"] != "ready":
            raise ConflictError(f"Dataset version {dsv['id']} is not ready ({dsv['status']}).")
        if not force_rerun:
            for j in self.store.list_jobs(type=JobType.INFER_BATCH, limit=200, model_id=m["id"]):
                r = j.get("request") or {}
                if (
                    j["status"] in (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED)
                    and j["model_version_id"] == v["id"]
                    and (r.get("source") or {}).get("dataset_version_id") == dsv["id"]
                    and r.get("options") == opts.to_dict()
                    and r.get("executor", "local") == req.executor
                ):
                    return j, False
        source = {"dataset_version_id": dsv["id"]}
        return self._infer_job(req.pinned(m["id"], v["id"], opts), source, dsv["dataset_name"]), True

    def infer_upload_async(self, req: InferRequest, path: Path, filename: str | None) -> dict[str, Any]:
        """Score an uploaded file (staged in the store, removed when the job is done with it) in the background."""
        m, _v = self.store.model_version(req.model, req.model_version_id)
        req.options.resolve(m["model_type"])  # a wrong option fails the request, not the job
        path = with_known_extension(path)
        source = {"path": str(path), "delete_after": True}
        return self._infer_job(req.pinned(m["id"], req.model_version_id), source, filename or path.name)

    def infer_file_async(self, req: InferRequest, root: Path, path: str, output_path: str | None) -> dict[str, Any]:
        """Score a file under ``root`` in the background, written to ``output_path`` (under ``root``; never over
        an existing file), else to ``<stem>.<model name>.<format>`` beside it."""
        m, _v = self.store.model_version(req.model, req.model_version_id)
        opts = req.options.resolve(m["model_type"])
        src = in_root(root, path, "path")
        if not src.is_file():
            raise InputError(f"{path} is a directory, not a data file.")
        if src.suffix.lower() not in KNOWN_EXT:
            raise InputError(f"{path}: unsupported file type {src.suffix or '(none)'}; use .csv, .parquet or .json.")
        if not output_path:
            dest = free_output_name(src, m["name"], opts.output_type)
        else:
            dest = in_root(root, output_path, "output_path", must_exist=False)
            if dest.exists():
                raise ConflictError(f"Output file exists: {output_path}")
            if not dest.parent.is_dir():
                raise NotFoundError(f"The folder of output_path does not exist: {Path(output_path).parent}")
        # the root travels with the job: the worker opens both paths again from it, following no link
        extra = {"output_path": str(dest), "root": str(root)}
        return self._infer_job(req.pinned(m["id"], req.model_version_id, opts), {"path": str(src)}, src.name, extra)
