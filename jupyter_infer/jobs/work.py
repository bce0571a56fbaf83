"""What a job does, from its stored request: ingest a dataset, train a model version, or stream inference over a
file or dataset into a result file. Any process that can open the store can run any queued job."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._exceptions import InputError
from ..engine import persist
from ..engine.io import BATCH_ROWS, BatchReader, read_file
from ..engine.model import Artifact, BatchScorer, train
from ..engine.options import InferOptions
from ..engine.outputs import metadata_for, read_metadata, read_result_table, write_result
from ..engine.schema import kind_of
from ..engine.tables import to_arrow
from ..store import Store
from ..store._errors import dataset_file_label, read_stored_table, stored_file
from ._confine import confined_input, confined_write, recheck, result_writer
from ._runner import CANCEL_POLL, JobContext, Work

FIRST_BATCH_ROWS = 8_192  # then x4 a batch up to BATCH_ROWS: progress within a second, throughput kept
FRAME_BATCH_ROWS = 262_144  # rows per batch when scoring an in-memory table
# Loaded artifacts, per process, by model version id (artifacts never change). Bounded by their size in bytes (the
# model file's size: its arrays are stored raw), least recently used first out. JUPYTER_INFER_MODEL_CACHE_MB sets it.
CACHE_BYTES = int(float(os.environ.get("JUPYTER_INFER_MODEL_CACHE_MB") or 1024) * (1 << 20))
_cache: OrderedDict[str, tuple[Artifact, int]] = OrderedDict()
_cache_lock = threading.Lock()


def remember_artifact(version_id: str, art: Artifact, size: int) -> None:
    """Keep ``art`` for the next inference with this version in this process (the training just built it)."""
    if size > CACHE_BYTES:
        return
    with _cache_lock:
        _cache[version_id] = (art, size)
        _cache.move_to_end(version_id)
        total = sum(n for _, n in _cache.values())
        while total > CACHE_BYTES:
            total -= _cache.popitem(last=False)[1][1]


def load_artifact(version: dict[str, Any]) -> Artifact:
    """A model version's artifact, loaded safely once per process (artifacts are immutable)."""
    key = version["id"]
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit[0]
    path = version.get("path")
    if not path or not Path(path).exists():
        raise InputError(f"The file of model version {key} is missing from the store; retrain the model.")
    art = persist.load(path)
    remember_artifact(key, art, Path(path).stat().st_size)
    return art


def work_for(
    store: Store,
    job: dict[str, Any],
    frame: pd.DataFrame | None = None,
    keep: Callable[[pd.DataFrame], None] | None = None,
) -> Work:
    """The work of a queued job. ``frame``: its data, held in memory by this process (ingest, train and infer jobs
    of the embedded engine run in the process that submitted them; their requests then name no file). ``keep``:
    given an inference's whole output once it is stored, so this process can hand it over without reading it."""
    op = job["request"].get("op")
    if op == "ingest":
        return lambda ctx: ingest(store, job, ctx, frame)
    if op == "train":
        return lambda ctx: train_job(store, job, ctx, frame)
    if op == "infer":
        return lambda ctx: infer_job(store, job, ctx, frame, keep)
    raise ValueError(f"job {job['id']} has an unknown operation {op!r}")


# ---- ingest ---------------------------------------------------------------------------------------------------
def _in_memory(job: dict[str, Any]) -> InputError:
    return InputError(
        f"Job {job['id']} was given its data in memory by the process that submitted it; only that process can run "
        "it. Submit the data again."
    )


def ingest(
    store: Store, job: dict[str, Any], ctx: JobContext, frame: pd.DataFrame | None = None, table: pa.Table | None = None
) -> dict[str, Any]:
    """Store a dataset version: from the request's file, or from ``frame`` in memory (``table``: the same rows as
    Arrow, when the caller has them already)."""
    req = job["request"]
    dsv = req["dataset_version_id"]
    try:
        if frame is not None:  # in memory: written once, straight to the store
            df = frame
        elif not req.get("source"):
            raise _in_memory(job)
        else:
            ctx.progress(phase="reading", fraction=0.1, force=True)
            df = read_file(req["source"])
        ctx.check_cancel()
        ctx.progress(phase="writing", fraction=0.6, rows_total=len(df))
        final = store.path("datasets", f"{dsv}.parquet")
        tmp = store.tmp_path(final)
        try:
            pq.write_table(table if table is not None else to_arrow(df), tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        ctx.produced(final)
        schema = {str(c): (kind_of(df[c]) or "unusable") for c in df.columns}
        ctx.on_success(store.dataset_ready(dsv, final, len(df), schema))  # its version is ready when it succeeds
    finally:
        if req.get("delete_source") and req.get("source"):
            store.discard_staged(req["source"])
    return {"rows_done": len(df), "rows_total": len(df)}


# ---- train ----------------------------------------------------------------------------------------------------
def train_job(store: Store, job: dict[str, Any], ctx: JobContext, frame: pd.DataFrame | None = None) -> dict[str, Any]:
    """Phases (the job's ``current_phase``): ingest (read the rows, schema, features), validate and fit (the
    engine's), save; the seconds spent in each are recorded on the model version (``info.phase_seconds``).
    ``frame``: the rows of the request's dataset version, as its ingest just stored them (no read back)."""
    req = job["request"]
    mdlv = req["model_version_id"]  # a failed or canceled job removes it (the store's lifecycle)
    t0 = time.perf_counter()
    ctx.progress(phase="ingest", fraction=0.0, force=True)
    if frame is not None:
        df = frame
    else:  # the version its own ingest made, never "the latest"
        df = read_stored_table(store.dataset_version(req["dataset_version_id"]))
    ctx.progress(rows_total=len(df))
    read = time.perf_counter() - t0
    throttle(len(df), ctx)
    art = train(
        df, req["model_type"], label_column=req.get("label_column"), input_columns=req.get("input_columns"),
        params=req.get("params"), id_column=req.get("id_column"), report=ctx.report,
        check_cancel=ctx.check_cancel,
    )  # fmt: skip
    ctx.check_cancel()
    ctx.progress(phase="save", fraction=0.98, force=True)
    t_save = time.perf_counter()
    path = store.path("models", f"{mdlv}.jimodel")
    ctx.produced(path)
    size = persist.save(art, path)
    seconds = dict(art.info.get("phase_seconds") or {})
    seconds["ingest"] = round(seconds.get("ingest", 0.0) + read, 4)
    seconds["save"] = round(time.perf_counter() - t_save, 4)
    seconds["total"] = round(time.perf_counter() - t0, 4)
    info = {**art.info, "phase_seconds": seconds}
    ctx.on_success(store.model_ready(
        mdlv, path=str(path), metrics=art.metrics, descriptions=art.descriptions, info=info,
        params=art.info.get("params", {}), input_columns=art.input_columns,
        library_versions=persist.library_versions(),
    ))  # fmt: skip
    remember_artifact(mdlv, art, size)  # the next inference in this process needs no load (unused if the job loses)
    return {"rows_done": len(df)}


def throttle(rows: int, ctx: JobContext) -> None:
    """Test-only: with JUPYTER_INFER_TEST_TRAIN_ROWS_PER_SECOND set, training takes rows / rate seconds more
    (checking cancel), so fault tests can pause, kill or race a process in the middle of a training. Unset in
    normal use."""
    rps = float(os.environ.get("JUPYTER_INFER_TEST_TRAIN_ROWS_PER_SECOND") or 0)
    if rps <= 0:
        return
    end = time.monotonic() + rows / rps
    while time.monotonic() < end:
        ctx.check_cancel()
        time.sleep(0.02)


def source_path(store: Store, source: dict[str, Any]) -> str:
    """The file an inference job reads: its path, or its dataset version's file (checked: a missing or damaged
    dataset file is named by its dataset)."""
    if "dataset_version_id" not in source:
        return str(source["path"])
    dsv = store.dataset_version(source["dataset_version_id"])
    with stored_file(dataset_file_label(dsv), "create the dataset again"):
        pq.ParquetFile(dsv["path"]).close()  # the footer only
    return str(dsv["path"])


# ---- infer ----------------------------------------------------------------------------------------------------
class ResultWriter:
    """Streams result batches to one Parquet file under a temporary name; ``commit`` renames it into place."""

    def __init__(self, final: Path, tmp: Path, keep_frames: bool = False) -> None:
        self.final, self.tmp = final, tmp
        self.frames: list[pd.DataFrame] | None = [] if keep_frames else None  # what was written, if asked
        self.writer: pq.ParquetWriter | None = None
        self.schema: pa.Schema | None = None
        self.rows = 0

    def write(self, df: pd.DataFrame | None) -> None:
        if df is None:
            return
        if self.frames is not None:
            self.frames.append(df)
        table = pa.Table.from_pandas(df, preserve_index=False)
        if self.writer is None:
            self.schema = table.schema.remove_metadata()
            self.writer = pq.ParquetWriter(self.tmp, self.schema)
        elif table.schema.remove_metadata() != self.schema:
            assert self.schema is not None
            table = table.cast(self.schema)
        if table.num_rows or self.rows == 0:
            self.writer.write_table(table.replace_schema_metadata(None))
        self.rows += table.num_rows

    def commit(self, meta: dict[str, Any]) -> Path:
        if self.writer is None:
            raise InputError("The input produced no rows to score.")
        self.writer.add_key_value_metadata(metadata_for(meta))
        self.writer.close()
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:
                pass
        self.tmp.unlink(missing_ok=True)


def result_meta(model: dict[str, Any], version: dict[str, Any], job_id: str, scorer: Any) -> dict[str, Any]:
    return {
        "model_id": model["id"],
        "model_name": model["name"],
        "model_version_id": version["id"],
        "model_version": version["version"],
        "model_type": model["model_type"],
        "job_id": job_id,
        "descriptions": scorer.descriptions(),
        "reconciliation": scorer.reconciliation.to_dict(),
        "drift": scorer.drift_report(),
        "options": scorer.options.to_dict(),
    }


def equal_batch_rows(rows: int, most: int = FRAME_BATCH_ROWS) -> int:
    """Rows per batch that split ``rows`` into equal batches of at most ``most`` (a small last batch would be
    scored on one thread: engine ``threads_for``)."""
    return max(1, -(-rows // max(1, -(-rows // most))))


def infer_job(
    store: Store,
    job: dict[str, Any],
    ctx: JobContext,
    frame: pd.DataFrame | None = None,
    keep: Callable[[pd.DataFrame], None] | None = None,
) -> dict[str, Any]:
    req = job["request"]
    model, version = store.model_version(req["model_id"], req["model_version_id"])
    if req.get("executor", "local") == "dask":
        from . import dask_executor  # optional dependency

        if "path" in req["source"]:  # the workers open it themselves: resolved again now, under the root
            recheck(req["source"]["path"], req.get("root"))

        return dask_executor.run(store, job, ctx, model, version)
    art = load_artifact(version)
    scorer = art.scorer(InferOptions(**req["options"]))
    source = req["source"]
    # Test-only: JUPYTER_INFER_TEST_ROWS_PER_SECOND caps the scoring rate (small batches, sleeps that still check
    # cancel) so tests can watch and cancel a running job on small generated data. Unset in normal use.
    rps = float(os.environ.get("JUPYTER_INFER_TEST_ROWS_PER_SECOND") or 0)
    first = max(1, int(rps / 10)) if rps > 0 else FIRST_BATCH_ROWS
    confined = contextlib.ExitStack()  # a path the server accepted: reached again from its root, without links
    try:
        if frame is not None:
            reader = BatchReader(frame, batch_rows=first)
        elif "dataset_version_id" not in source and "path" not in source:
            raise _in_memory(job)
        else:
            path = source_path(store, source)
            if "path" in source:
                path = confined.enter_context(confined_input(path, req.get("root")))
            reader = BatchReader(path, batch_rows=first)
    except BaseException:
        confined.close()
        raise
    ctx.begin("scoring", rows_total=reader.rows_total)
    t0 = time.monotonic()
    final = store.path("results", f"{job['id']}.parquet")
    out = ResultWriter(final, store.tmp_path(final), keep_frames=keep is not None)
    pool = ThreadPoolExecutor(1, thread_name_prefix=f"jupyter-infer-score-{job['id']}")
    try:
        for batch in reader:
            ctx.check_cancel()
            out.write(_score(pool, ctx, scorer, batch, from_text=reader.format == "csv"))
            ctx.progress(rows_done=scorer.rows_in, rows_total=reader.rows_total, fraction=reader.fraction_done())
            if rps <= 0:  # small first batches report progress early; then the batch that keeps throughput
                reader.batch_rows = min(BATCH_ROWS, reader.batch_rows * 4)
            while rps > 0 and scorer.rows_in > rps * (time.monotonic() - t0):
                ctx.check_cancel()
                time.sleep(0.02)
        ctx.check_cancel()
        out.write(scorer.finish())
        if reader.format == "json":  # JSON Lines: a key absent from the first lines but seen later is not missing
            scorer.reconciliation.missing = [c for c in scorer.reconciliation.missing if c not in reader.columns]
        meta = result_meta(model, version, job["id"], scorer)
        ctx.produced(out.commit(meta))  # kept only if the job ends succeeded
        if keep is not None and out.frames:
            keep(out.frames[0] if len(out.frames) == 1 else pd.concat(out.frames, ignore_index=True))
    except BaseException:
        ctx.flush()  # a failed or cancelled job keeps the progress and rows it really reached
        out.abort()
        raise
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        confined.close()
        if source.get("delete_after") and source.get("path"):  # a staged upload, not the user's file
            store.discard_staged(source["path"])
    if req.get("output_path"):
        written = export_result(
            final,
            req["output_path"],
            req["options"].get("output_type", "parquet"),
            model["model_type"],
            no_clobber=True,
            root=req.get("root"),
        )
        ctx.produced(written)
        meta = {**meta, "output_path": str(written)}
    return {
        "result_path": str(final),
        "result_meta": meta,
        "rows_done": scorer.rows_in,
        "rows_total": scorer.rows_in,
    }


def _score(pool: ThreadPoolExecutor, ctx: JobContext, scorer: BatchScorer, batch: pd.DataFrame, from_text: bool) -> Any:
    """Score a batch on the job's scoring thread while this one keeps checking for cancel: a cancel ends the job
    within ``CANCEL_POLL`` even while a slow model scores a big batch (that batch finishes in the background
    and is dropped)."""
    fut = pool.submit(scorer.score, batch, from_text=from_text)
    while True:
        try:
            return fut.result(timeout=CANCEL_POLL)
        except FutureTimeout:
            ctx.check_cancel()
            ctx.progress()  # writes the last batch's figures if the throttle held them back


def export_result(
    result: Path, dest: str | os.PathLike[str], output_type: str, model_type: str, no_clobber: bool = False,
    root: str | None = None,
) -> Path:  # fmt: skip
    """Write a stored result in a format to ``dest`` atomically (temporary name, then rename). ``no_clobber``:
    never replace an existing file; take the next free ``<stem>-1<ext>``, ``-2``, ... instead. ``root``: ``dest``
    must be reached from it without links when it is written (never clobbers). Returns the path written."""
    table = read_result_table(result)  # a file, or a directory of parts (Dask executor)
    meta = read_metadata(table.schema.metadata)
    if root:
        return confined_write(dest, root, result_writer(table.replace_schema_metadata(None), meta, output_type))
    dest = Path(dest)
    if not no_clobber:
        return write_result(table.replace_schema_metadata(None), meta, dest, output_type)
    tmp = dest.with_name(f".{dest.name}.export-{os.getpid()}-{threading.get_ident()}")
    write_result(table.replace_schema_metadata(None), meta, tmp, output_type)
    try:
        for n in range(10_000):
            cand = dest if n == 0 else dest.with_name(f"{dest.stem}-{n}{dest.suffix}")
            try:
                os.link(tmp, cand)  # atomic, and fails if the name is taken
                return cand
            except FileExistsError:
                continue
            except OSError:  # a filesystem without hard links: check, then rename
                if not cand.exists():
                    os.replace(tmp, cand)
                    return cand
        raise FileExistsError(f"no free file name next to {dest}")
    finally:
        tmp.unlink(missing_ok=True)
