"""Sync inference on the embedded engine: score a table as a job, hand the result to the caller the moment it is
scored, and store it (SPEC §2: sync results are kept) right after, off the caller's path. The job succeeds only
once its result file is in place."""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..engine.batches import BatchReader
from ..engine.options import InferOptions
from ..engine.outputs import with_metadata
from ..jobs import JobContext, Runner, load_artifact
from ..jobs._results import equal_batch_rows, result_meta
from ..store import Store
from ._result import InferenceResult

_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads that run sync jobs for their callers (not daemons: a result being stored when Python exits is
    finished first)."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=4, thread_name_prefix="jupyter-infer-sync"))
        return _POOL[0]


def infer(
    store: Store,
    runner: Runner,
    job: dict[str, Any],
    df: pd.DataFrame,
    model: dict[str, Any],
    version: dict[str, Any],
    opts: InferOptions,
    background: bool,
) -> tuple[InferenceResult, Future[None] | None]:
    """Run the queued sync job ``job`` over ``df``; returns its result and, with ``background``, the future of
    the storing still under way (None when it was stored before returning)."""
    handoff: Future[InferenceResult] = Future()

    def work(ctx: JobContext) -> dict[str, Any]:
        scorer = load_artifact(version).scorer(opts)
        parts = []
        for batch in BatchReader(df, batch_rows=equal_batch_rows(len(df))):
            ctx.check_cancel()
            out = scorer.score(batch)
            if out is not None:
                parts.append(out)
            if scorer.rows_in < len(df):  # the last batch's count is written when the job finishes
                ctx.progress(rows_done=scorer.rows_in, phase="scoring")
        tail = scorer.finish()
        if tail is not None:
            parts.append(tail)
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        meta = result_meta(model, version, job["id"], scorer)
        kept = frame.copy(deep=False)  # a snapshot (copy-on-write): the caller may change its frame meanwhile
        handoff.set_result(InferenceResult(meta, frame=frame))
        final = store.path("results", f"{job['id']}.parquet")
        tmp = store.tmp_path(final)
        table = pa.Table.from_pandas(kept, preserve_index=False, nthreads=1)  # no pool: Python may be exiting
        try:
            pq.write_table(with_metadata(table, meta), tmp)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        ctx.produced(final)  # kept only if the job ends succeeded
        return {"result_path": str(final), "result_meta": meta, "rows_done": scorer.rows_in}

    if not background:
        err = runner.run(job["id"], work)
        store.apply_retention()  # sync results are kept, within the retention policy (SPEC §8)
        if err is not None:
            raise err
        return handoff.result(), None

    def run() -> None:
        try:
            err: BaseException | None = runner.run(job["id"], work)
            store.apply_retention()
        except BaseException as e:
            err = e
        if not handoff.done():
            handoff.set_exception(err or RuntimeError(f"job {job['id']} ended without a result"))

    storing = _pool().submit(run)
    try:
        return handoff.result(), storing
    except KeyboardInterrupt:
        runner.cancel(job["id"])
        raise
