"""The Dask executor (``executor="dask"``): batch inference on a Dask cluster, with the same outputs, progress and
cancel as the local executor.

How a job runs:

1. **Plan** (job process): list the parquet files of the input (a file, a directory, a glob, any fsspec URL whose
   filesystem package is installed, or a stored dataset's file), in the order ``pyarrow.parquet.read_table`` reads
   them (lexical), and read only their footers. Consecutive row groups of a file are grouped into partitions of
   about ``partition_rows`` rows, so a partition is bounded by row groups (a single file is not one partition), and
   each partition knows its global row offset: ``id`` stays the 0-based position in the whole input.
2. **Ship the model safely**: the model file's bytes (the skops payload inside our zip) are scattered to the
   workers once; each worker loads them with the allow-list (``persist.loads``) once per model version and keeps
   the artifact in a module-level cache. No pickled estimator crosses the wire.
3. **Score** (workers): each task reads its row groups itself, runs the engine's ``BatchScorer.score`` (the same
   I/O-free function the local engine uses) batch by batch, and writes ``part-NNNNN.parquet`` into the job's
   temporary result directory. A worker that cannot see that directory (no shared filesystem) returns the
   part's parquet bytes instead and the job process writes it. Each task also returns what must be merged:
   reconciliation, factor statistics and the anomaly top-50.
4. **Merge and commit** (job process): merge the per-partition states into one scorer, write its trailing rows
   (the per-factor table) and ``_common_metadata`` (the §4 metadata: model ids, job id, descriptions,
   reconciliation), then rename the directory into place. ``result_path`` is that directory;
   ``engine.outputs.read_result_table`` reads it as one table with the merged metadata.

Planning is ``_dask_plan``, the workers' side ``_dask_worker``, reaching a cluster ``_dask_cluster``; this module
runs the job. Progress follows completed partitions; cancel releases the futures; Dask retries a task whose worker died
(``RETRIES``), and a task that still fails ends the job ``failed`` with the worker's error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..._exceptions import InferError, InputError, JobFailed, OptionError
from ...engine.outputs import metadata_for
from .._confine import recheck
from .._results import result_meta
from .._runner import JobContext
from ._base import Inference, Scored
from ._dask_cluster import connect
from ._dask_plan import PARTITION_ROWS, Part, plan
from ._dask_worker import TOKEN_FILE, PartProgress, score_part
from .local import source_path

if TYPE_CHECKING:
    from ...engine.model import BatchScorer
    from ...store import Store

RETRIES = 2  # extra attempts per partition (on top of Dask re-running tasks whose worker died)
POLL_SECONDS = 0.25  # how often the job loop wakes up to check cancel when no partition completes


def partition_rows(req: dict[str, Any]) -> int:
    """Target rows per partition: the request's ``partition_rows``, else JUPYTER_INFER_DASK_PARTITION_ROWS."""
    value = req.get("partition_rows") or os.environ.get("JUPYTER_INFER_DASK_PARTITION_ROWS") or PARTITION_ROWS
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise OptionError(f"partition_rows must be a whole number of rows, not {value!r}.") from None
    if n < 1:
        raise OptionError(f"partition_rows must be at least 1; got {n}.")
    return n


def _worker_error(exc: BaseException, part: Part) -> InferError:
    if isinstance(exc, InferError):
        return exc
    detail = str(exc).strip() or type(exc).__name__
    return JobFailed(f"A Dask worker failed on {part.describe()}: {type(exc).__name__}: {detail}")


def _completed(ac: Any, timeout: float) -> list[Any]:
    """Futures of ``ac`` (an ``as_completed``) that finished since the last call, waiting at most ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if ac.has_ready():
            return list(ac.next_batch(block=False))
        if ac.is_empty() or time.monotonic() >= deadline:
            return []
        time.sleep(0.02)


def run(store: Store, inference: Inference, ctx: JobContext) -> Scored:
    """Score the job's input on a Dask cluster into ``inference.final`` (a directory of parts)."""
    inf, req, scorer = inference, inference.request, inference.scorer
    job, model, version = inf.job, inf.model, inf.version
    if "path" in req["source"]:  # the workers open it themselves: resolved again now, under the root
        recheck(req["source"]["path"], req.get("root"))
    model_path = version.get("path")
    if not model_path or not Path(model_path).exists():
        raise InputError(f"The file of model version {version['id']} is missing from the store; retrain the model.")

    t_start = time.monotonic()
    ctx.progress(phase="planning partitions", fraction=0.0, force=True)
    parts = plan(source_path(store, req["source"]), partition_rows(req))
    rows_total = sum(p.rows for p in parts)
    by_index = {p.index: p for p in parts}
    ctx.check_cancel()

    ctx.progress(phase="connecting to Dask", rows_done=0, rows_total=rows_total, force=True)
    client = connect(req.get("scheduler"))
    final = inf.final
    tmp_dir = store.tmp_path(final)
    tmp_dir.mkdir(parents=True)
    token = uuid.uuid4().hex
    (tmp_dir / TOKEN_FILE).write_text(token, encoding="utf-8")
    base = {
        "model_id": model["id"],
        "model_name": model["name"],
        "model_version_id": version["id"],
        "model_type": model["model_type"],
        "job_id": job["id"],
    }
    file_meta = metadata_for(base)
    # Test-only, as in the local executor: JUPYTER_INFER_TEST_ROWS_PER_SECOND caps each task's scoring rate.
    rps = float(os.environ.get("JUPYTER_INFER_TEST_ROWS_PER_SECOND") or 0)
    futures: list[Any] = []
    topic = f"jupyter-infer-progress-{job['id']}"
    done_rows = PartProgress()
    try:
        ctx.check_cancel()
        client.subscribe_topic(topic, done_rows.event)
        model_future = client.scatter(Path(model_path).read_bytes(), broadcast=True)
        futures = [
            client.submit(
                score_part,
                p,
                model_future,
                version["id"],
                inf.options.to_dict(),
                str(tmp_dir),
                token,
                file_meta,
                rps,
                topic,
                key=f"jupyter-infer-{job['id']}-{p.index:05d}",
                retries=RETRIES,
            )
            for p in parts
        ]
        key_index = {f.key: p.index for f, p in zip(futures, parts, strict=True)}
        ctx.begin(f"scoring on Dask (0/{len(parts)} partitions)", rows_total=rows_total)
        from distributed import as_completed

        ac = as_completed(futures, loop=client.loop)
        results: list[dict[str, Any]] = []
        t0 = time.monotonic()
        while len(results) < len(futures):
            ctx.check_cancel()
            for f in _completed(ac, POLL_SECONDS):
                part = by_index[key_index[f.key]]
                if f.status != "finished":
                    raise _worker_error(f.exception(), part)
                r = f.result()
                results.append(r)
                done_rows.reached(part.index, r["rows"])
            rows_done = done_rows.total()
            elapsed = time.monotonic() - t0
            ctx.progress(
                rows_done=rows_done,
                phase=f"scoring on Dask ({len(results)}/{len(parts)} partitions, "
                f"{rows_done / max(elapsed, 1e-9):,.0f} rows/s)",
            )
        ctx.check_cancel()
        t_scored = time.monotonic()
        ctx.progress(phase="merging partitions", force=True)
        scorer.merge([r["state"] for r in sorted(results, key=lambda r: r["index"])])
        meta = _commit(tmp_dir, final, results, scorer, result_meta(model, version, job["id"], scorer), file_meta)
        # where the time went: before the first task (plan, connect, ship the model), scoring, merge and commit
        meta["dask"].update(
            setup_seconds=round(t0 - t_start, 3),
            scoring_seconds=round(t_scored - t0, 3),
            commit_seconds=round(time.monotonic() - t_scored, 3),
        )
    except BaseException:
        if futures:  # a failed or cancelled job keeps the rows its partitions really reached
            ctx.progress(rows_done=done_rows.total())
        ctx.flush()
        _release(client, futures)
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    finally:
        with contextlib.suppress(Exception):
            client.unsubscribe_topic(topic)
        with contextlib.suppress(Exception):
            client.close()
    ctx.produced(final)
    return Scored(meta, scorer.rows_in)


def _release(client: Any, futures: list[Any]) -> None:
    if not futures:
        return
    try:
        client.cancel(futures, force=True)
    except Exception:
        pass


def _commit(
    tmp_dir: Path,
    final: Path,
    results: list[dict[str, Any]],
    scorer: BatchScorer,
    meta: dict[str, Any],
    file_meta: dict[bytes, bytes],
) -> dict[str, Any]:
    """Write what the job process owns (parts the workers could not write, the trailing rows, the merged
    metadata), give every part the first part's schema, and rename the directory into place."""
    results = sorted(results, key=lambda r: r["index"])
    written = [r for r in results if r["file"]]
    for r in written:
        if not r["written"]:
            (tmp_dir / r["file"]).write_bytes(r["data"])
    tail = scorer.finish()
    schema: pa.Schema | None = written[0]["schema"] if written else None
    if tail is not None:
        table = pa.Table.from_pandas(tail, preserve_index=False).replace_schema_metadata(None)
        if schema is not None and table.schema != schema:
            table = table.cast(schema)
        schema = schema or table.schema
        if table.num_rows or not written:
            pq.write_table(table.replace_schema_metadata(file_meta), tmp_dir / f"part-{len(results):05d}.parquet")
    if schema is None:
        raise InputError("The input produced no rows to score.")
    for r in written[1:]:  # as the local writer does: later batches take the first batch's types
        if r["schema"] != schema:
            path = tmp_dir / r["file"]
            t = pq.read_table(path).replace_schema_metadata(None).cast(schema)
            pq.write_table(t.replace_schema_metadata(file_meta), path)
    meta = dict(meta)
    meta["executor"] = "dask"
    meta["partitions"] = len(results)
    meta["dask"] = {
        "workers": len({r["worker_pid"] for r in results}),
        "task_seconds": round(sum(r["seconds"] for r in results), 3),
        "task_cpu_seconds": round(sum(r["cpu_seconds"] for r in results), 3),
    }
    pq.write_metadata(schema.with_metadata(metadata_for(meta)), tmp_dir / "_common_metadata")
    (tmp_dir / TOKEN_FILE).unlink(missing_ok=True)
    os.replace(tmp_dir, final)
    return meta
