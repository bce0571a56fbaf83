"""The local executor: score a file, a stored dataset or an in-memory table in this process, batch by batch, into
one result file; small first batches report progress early, then batches grow to keep throughput."""

from __future__ import annotations

import contextlib
import os
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq

from ..._exceptions import InputError
from ...engine.batches import BATCH_ROWS, BatchReader
from ...store._errors import dataset_file_label, stored_file
from .._confine import confined_input
from .._results import FRAME_BATCH_ROWS, ResultWriter, equal_batch_rows, result_meta
from .._runner import CANCEL_POLL, JobContext
from ._base import Inference, Scored

if TYPE_CHECKING:
    from ...engine.model import BatchScorer
    from ...store import Store

FIRST_BATCH_ROWS = 8_192  # then x4 a batch up to BATCH_ROWS: progress within a second, throughput kept


def in_memory_elsewhere(job: dict[str, Any]) -> InputError:
    """A job whose data another process held in memory: only that process could run it."""
    return InputError(
        f"Job {job['id']} was given its data in memory by the process that submitted it; only that process can run "
        "it. Submit the data again."
    )


def source_path(store: Store, source: dict[str, Any]) -> str:
    """The file an inference job reads: its path, or its dataset version's file (checked: a missing or damaged
    dataset file is named by its dataset)."""
    if "dataset_version_id" not in source:
        return str(source["path"])
    dsv = store.dataset_version(source["dataset_version_id"])
    with stored_file(dataset_file_label(dsv), "create the dataset again"):
        pq.ParquetFile(dsv["path"]).close()  # the footer only
    return str(dsv["path"])


def _reader(store: Store, inf: Inference, first: int, confined: contextlib.ExitStack) -> BatchReader:
    source = inf.request["source"]
    if inf.frame is not None:
        return BatchReader(inf.frame, batch_rows=first)
    if "dataset_version_id" not in source and "path" not in source:
        raise in_memory_elsewhere(inf.job)
    path = source_path(store, source)
    if "path" in source:  # a path the server accepted: reached again from its root, without links
        path = confined.enter_context(confined_input(path, inf.request.get("root")))
    return BatchReader(path, batch_rows=first)


def run(store: Store, inference: Inference, ctx: JobContext) -> Scored:
    """Score the job's input here into ``inference.final``."""
    inf, scorer = inference, inference.scorer
    # Test-only: JUPYTER_INFER_TEST_ROWS_PER_SECOND caps the scoring rate (small batches, sleeps that still check
    # cancel) so tests can watch and cancel a running job on small generated data. Unset in normal use.
    rps = float(os.environ.get("JUPYTER_INFER_TEST_ROWS_PER_SECOND") or 0)
    first = max(1, int(rps / 10)) if rps > 0 else FIRST_BATCH_ROWS
    with contextlib.ExitStack() as confined:
        reader = _reader(store, inf, first, confined)
        ctx.begin("scoring", rows_total=reader.rows_total)
        t0 = time.monotonic()
        out = ResultWriter(inf.final, store.tmp_path(inf.final), keep_frames=inf.keep is not None)
        pool = ThreadPoolExecutor(1, thread_name_prefix=f"jupyter-infer-score-{inf.job['id']}")
        try:
            for batch in reader:
                ctx.check_cancel()
                out.write(_score(pool, ctx, scorer, batch, from_text=reader.format == "csv"))
                ctx.progress(rows_done=scorer.rows_in, rows_total=reader.rows_total, fraction=reader.fraction_done())
                if rps <= 0:  # small first batches report progress early; then the batch that keeps throughput
                    reader.batch_rows = _next_batch_rows(reader, in_memory=inf.frame is not None)
                while rps > 0 and scorer.rows_in > rps * (time.monotonic() - t0):
                    ctx.check_cancel()
                    time.sleep(0.02)
            ctx.check_cancel()
            out.write(scorer.finish())
            if reader.format == "json":  # JSON Lines: a key absent from the first lines but seen later is not missing
                scorer.reconciliation.missing = [c for c in scorer.reconciliation.missing if c not in reader.columns]
            meta = result_meta(inf.model, inf.version, inf.job["id"], scorer)
            ctx.produced(out.commit(meta))  # kept only if the job ends succeeded
            if inf.keep is not None and out.frames:
                inf.keep(out.frames[0] if len(out.frames) == 1 else pd.concat(out.frames, ignore_index=True))
        except BaseException:
            ctx.flush()  # a failed or cancelled job keeps the progress and rows it really reached
            out.abort()
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
    return Scored(meta, scorer.rows_in)


def _next_batch_rows(reader: BatchReader, in_memory: bool) -> int:
    """Batches grow x4 up to ``BATCH_ROWS``; after its first batch, the rest of an in-memory table goes in equal
    batches of up to ``FRAME_BATCH_ROWS``, as sync inference scores it (a batch under the engine's ``threads_for``
    bound is scored on one thread: growing batches left 41k of a 300k-row table on one core)."""
    if in_memory and reader.rows_total:
        return equal_batch_rows(max(1, reader.rows_total - reader.rows_read), FRAME_BATCH_ROWS)
    return min(BATCH_ROWS, reader.batch_rows * 4)


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
