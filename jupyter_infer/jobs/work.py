"""What a job does, from its stored request: ingest a dataset, train a model version, or stream inference over a
file or dataset into a result file. Any process that can open the store can run any queued job."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..engine import persist
from ..engine.io import read_file
from ..engine.model import train
from ..engine.options import InferOptions
from ..engine.schema import kind_of
from ..engine.tables import to_arrow
from ..store import Store
from ..store._errors import read_stored_table
from ._artifacts import load_artifact, remember_artifact
from ._results import export_result, finish
from ._runner import JobContext, Work
from .executors import Inference, executor
from .executors.local import in_memory_elsewhere

__all__ = ["export_result", "infer_job", "ingest", "load_artifact", "train_job", "work_for"]


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
            raise in_memory_elsewhere(job)
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
        df,
        req["model_type"],
        label_column=req.get("label_column"),
        input_columns=req.get("input_columns"),
        params=req.get("params"),
        id_column=req.get("id_column"),
        report=ctx.report,
        check_cancel=ctx.check_cancel,
    )
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
    ctx.on_success(
        store.model_ready(
            mdlv,
            path=str(path),
            metrics=art.metrics,
            descriptions=art.descriptions,
            info=info,
            params=art.info.get("params", {}),
            input_columns=art.input_columns,
            library_versions=persist.library_versions(),
        )
    )
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


# ---- infer ----------------------------------------------------------------------------------------------------
def infer_job(
    store: Store,
    job: dict[str, Any],
    ctx: JobContext,
    frame: pd.DataFrame | None = None,
    keep: Callable[[pd.DataFrame], None] | None = None,
) -> dict[str, Any]:
    """Score on the executor the request names, then end the job the same way for every executor."""
    req = job["request"]
    model, version = store.model_version(req["model_id"], req["model_version_id"])
    options = InferOptions(**req["options"]).resolve(model["model_type"])
    scorer = load_artifact(version).scorer(options)  # checks the options against the model before any work
    final = store.path("results", f"{job['id']}.parquet")
    inference = Inference(job, model, version, options, scorer, final, frame, keep)
    try:
        scored = executor(req.get("executor") or "local").run(store, inference, ctx)
    finally:
        if req["source"].get("delete_after") and req["source"].get("path"):  # a staged upload, not the user's file
            store.discard_staged(req["source"]["path"])
    return finish(ctx, req, final, scored.meta, scored.rows)
