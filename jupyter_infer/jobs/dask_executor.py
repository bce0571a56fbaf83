"""Batch inference on a Dask cluster (``executor="dask"``): the same outputs, progress and cancel as a local job.

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

Progress follows completed partitions; cancel releases the futures; Dask retries a task whose worker died
(``RETRIES``), and a task that still fails ends the job ``failed`` with the worker's error.
"""

from __future__ import annotations

import atexit
import io
import logging
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .._exceptions import InferError, InputError, JobFailed, OptionError
from ..engine import persist
from ..engine.io import BATCH_ROWS, is_hidden_part
from ..engine.model import Artifact, BatchScorer
from ..engine.options import InferOptions, is_local_cluster
from ..engine.outputs import metadata_for
from ..store import Store
from ._runner import JobContext

PARTITION_ROWS = 262_144  # target rows per partition (consecutive row groups of one file)
RETRIES = 2  # extra attempts per partition (on top of Dask re-running tasks whose worker died)
CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler; JUPYTER_INFER_DASK_TIMEOUT overrides
POLL_SECONDS = 0.25  # how often the job loop wakes up to check cancel when no partition completes
TOKEN_FILE = ".jupyter-infer-token"
GLOB_CHARS = "*?["


# ---- planning --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """One partition: consecutive row groups of one file, and where its rows start in the whole input."""

    index: int
    url: str  # how a worker opens the file (a local path or a full fsspec URL)
    row_groups: tuple[int, ...]
    start: int
    rows: int

    def describe(self) -> str:
        name = self.url.rstrip("/").rsplit("/", 1)[-1]
        return f"partition {self.index} ({name}, rows {self.start}-{self.start + self.rows - 1})"


def _filesystem(url: str) -> tuple[Any, str]:
    import fsspec.core

    try:
        return fsspec.core.url_to_fs(url)
    except ImportError as e:
        raise InputError(
            f'Cannot read "{url}": its filesystem needs a package that is not installed ({e}). Install it on the '
            "machine that runs the job and on the Dask workers."
        ) from None
    except ValueError as e:
        raise InputError(f'Cannot read "{url}": {e}.') from None


def _hidden(path: str, root: str) -> bool:
    rel = path[len(root) :].lstrip("/") if path.startswith(root) else path.rsplit("/", 1)[-1]
    return is_hidden_part(rel)


def list_files(source: str) -> list[str]:
    """The data files of a parquet file, directory or glob, as URLs a worker can open, in lexical order (the
    order ``pyarrow.parquet.read_table`` and ``pandas.read_parquet`` concatenate them). Names starting with ``.``
    or ``_`` (``_metadata``, ``_SUCCESS``, temporary files) are skipped, as pyarrow does."""
    fs, path = _filesystem(source)
    local = _is_local(fs)
    try:
        if any(ch in path for ch in GLOB_CHARS):
            found = [p for p in fs.glob(path) if fs.isfile(p)]
            root = ""
        elif fs.isdir(path):
            found = list(fs.find(path))
            root = path.rstrip("/")
        elif fs.isfile(path):
            found, root = [path], ""
        else:
            raise InputError(f"No such file or directory: {source}.")
    except InferError:
        raise
    except Exception as e:  # network filesystems raise their own errors (credentials, permissions)
        raise InputError(f"Cannot list {source}: {type(e).__name__}: {e}.") from None
    files = sorted(p for p in found if not _hidden(p, root))
    if not files:
        raise InputError(f"{source} holds no data files.")
    return [p if local else fs.unstrip_protocol(p) for p in files]


def _is_local(fs: Any) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def plan(source: str, partition_rows: int = PARTITION_ROWS) -> list[Part]:
    """Partitions bounded by row groups, with global row offsets, from the files' footers only."""
    parts: list[Part] = []
    start = 0
    for url in list_files(source):
        fs, path = _filesystem(url)
        name = url.rsplit("/", 1)[-1]
        try:
            with fs.open(path, "rb") as f:
                md = pq.ParquetFile(f).metadata
        except (pa.ArrowInvalid, OSError) as e:
            raise InputError(
                f"{name} is not a Parquet file the Dask executor can read ({str(e).splitlines()[0]}). "
                'The Dask executor reads Parquet; use executor="local" for csv or json.'
            ) from None
        group: list[int] = []
        rows = 0
        for rg in range(md.num_row_groups):
            n = md.row_group(rg).num_rows
            if group and rows + n > partition_rows:
                parts.append(Part(len(parts), url, tuple(group), start, rows))
                start += rows
                group, rows = [], 0
            group.append(rg)
            rows += n
        if rows:
            parts.append(Part(len(parts), url, tuple(group), start, rows))
            start += rows
    if start == 0:
        raise InputError(f"{source} has no rows.")
    return parts


# ---- on the workers ----------------------------------------------------------------------------------------------
_MODELS: OrderedDict[str, Artifact] = OrderedDict()
_MODELS_LOCK = threading.Lock()
_MODELS_MAX = 4
LOADS = {"count": 0}  # how many times this process loaded a model (tests check "once per worker")


def worker_model(version_id: str, data: bytes) -> Artifact:
    """The artifact of a model version, loaded from its skops bytes with the allow-list once per worker process."""
    with _MODELS_LOCK:
        art = _MODELS.get(version_id)
        if art is not None:
            _MODELS.move_to_end(version_id)
            return art
        art = persist.loads(data, name=f"The model file of version {version_id}")
        LOADS["count"] += 1
        _MODELS[version_id] = art
        while len(_MODELS) > _MODELS_MAX:
            _MODELS.popitem(last=False)
        return art


def model_loads() -> dict[str, Any]:
    """Per worker: how many loads, and which versions are cached (for ``client.run`` in tests)."""
    return {"count": LOADS["count"], "cached": list(_MODELS)}


def _out_dir_visible(out_dir: str | None, token: str) -> bool:
    if not out_dir:
        return False
    try:
        with open(os.path.join(out_dir, TOKEN_FILE), encoding="utf-8") as f:
            return f.read() == token
    except OSError:
        return False


def score_part(
    part: Part,
    model_bytes: bytes,
    version_id: str,
    options: dict[str, Any],
    out_dir: str | None,
    token: str,
    file_meta: dict[bytes, bytes],
    rows_per_second: float = 0.0,
    progress_topic: str | None = None,
) -> dict[str, Any]:
    """Runs on a worker: read the partition's row groups, score them, write ``part-NNNNN.parquet``; after each
    batch, tell ``progress_topic`` how many rows of the partition are done. ``rows_per_second`` (tests only) caps
    the rate, so a test can watch and cancel a running job."""
    t_wall, t_cpu = time.perf_counter(), time.thread_time()
    art = worker_model(version_id, model_bytes)
    scorer = art.scorer(InferOptions(**options))
    name = f"part-{part.index:05d}.parquet"
    visible = _out_dir_visible(out_dir, token)
    sink: Any = os.path.join(out_dir, f".{name}.tmp-{uuid.uuid4().hex}") if visible and out_dir else io.BytesIO()
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    out_rows = 0
    fs, path = _filesystem(part.url)
    try:
        with fs.open(path, "rb") as f:
            pf = pq.ParquetFile(f)
            pos = part.start
            t0 = time.monotonic()
            batch_rows = max(1, int(rows_per_second / 10)) if rows_per_second > 0 else BATCH_ROWS
            for rb in pf.iter_batches(batch_size=batch_rows, row_groups=list(part.row_groups)):
                while rows_per_second > 0 and pos - part.start > rows_per_second * (time.monotonic() - t0):
                    time.sleep(0.02)
                df = rb.to_pandas()
                out = scorer.score(df, pos)
                pos += len(df)
                _tell(progress_topic, part.index, pos - part.start)
                if out is None:
                    continue
                table = pa.Table.from_pandas(out, preserve_index=False)
                if writer is None:
                    schema = table.schema.remove_metadata().with_metadata(file_meta)
                    writer = pq.ParquetWriter(sink, schema)
                else:
                    assert schema is not None
                    if table.schema.remove_metadata() != schema.remove_metadata():
                        table = table.cast(schema.remove_metadata())
                if table.num_rows or out_rows == 0:
                    writer.write_table(table.replace_schema_metadata(schema.metadata))
                out_rows += table.num_rows
        if writer is not None:
            writer.close()
            writer = None
        if scorer.rows_in != part.rows:
            raise InputError(
                f"{part.describe()}: read {scorer.rows_in} rows where the file's footer says {part.rows}; "
                "was the file changed while the job ran?"
            )
        written = schema is not None and isinstance(sink, str)
        if written:
            os.replace(sink, os.path.join(str(out_dir), name))
    except BaseException:
        if writer is not None:
            try:
                writer.close()
            except Exception:
                pass
        if isinstance(sink, str):
            Path(sink).unlink(missing_ok=True)
        raise
    return {
        "index": part.index,
        "rows": scorer.rows_in,
        "out_rows": out_rows,
        "file": name if schema is not None else None,
        "written": written,
        "data": sink.getvalue() if schema is not None and not written else None,
        "schema": schema.remove_metadata() if schema is not None else None,
        "state": scorer.state(),
        "worker_pid": os.getpid(),
        "seconds": time.perf_counter() - t_wall,  # the task's wall time, and the CPU time its thread got
        "cpu_seconds": time.thread_time() - t_cpu,
    }


def _tell(topic: str | None, index: int, rows: int) -> None:
    """Rows done in a partition, as a Dask event the job process subscribes to (nothing outside a worker)."""
    if topic is None:
        return
    try:
        from distributed import get_worker

        get_worker().log_event(topic, {"part": index, "rows": rows})
    except ValueError:  # not on a worker (a test calling score_part directly)
        pass


class PartProgress:
    """Rows done per partition, from the workers' events while they score and from each finished partition:
    the job's rows_done counts rows inside running partitions too. A partition that is run again (its worker
    died) keeps the most it reached, so progress never goes back."""

    def __init__(self) -> None:
        self._rows: dict[int, int] = {}
        self._lock = threading.Lock()

    def event(self, event: tuple[float, dict[str, Any]]) -> None:
        msg = event[1]
        self.reached(int(msg["part"]), int(msg["rows"]))

    def reached(self, index: int, rows: int) -> None:
        with self._lock:
            self._rows[index] = max(rows, self._rows.get(index, 0))

    def total(self) -> int:
        with self._lock:
            return sum(self._rows.values())


# ---- connecting ---------------------------------------------------------------------------------------------------
_CLUSTER: Any = None
_CLUSTER_LOCK = threading.Lock()


def connect_timeout() -> float:
    try:
        return float(os.environ.get("JUPYTER_INFER_DASK_TIMEOUT", CONNECT_TIMEOUT))
    except ValueError:
        return CONNECT_TIMEOUT


# Worker settings for the clusters jupyter-infer starts itself. Scoring tasks are CPU-bound and long; Dask's
# statistical profiler (a stack sample of the task thread every 10 ms) and its 100 ms memory/system polls cost each
# worker's event loop about 6 % of a core, which on a machine with one worker per core comes out of the scoring
# (measured on a 2M-row job, 2 workers on 2 cores: 112k rows/s with them, 120k without; bench/dask_scaling.py
# prints what the workers' other threads use for every run).
# A cluster you run yourself keeps its own settings; see the README for the same lines in its Dask config.
WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def new_local_cluster(n_workers: int | None = None) -> Any:
    """A LocalCluster of single-threaded worker processes (one per core by default) with ``WORKER_CONFIG``."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):  # the nannies keep this config for the workers they (re)start
        return LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )


def local_cluster() -> Any:
    """This machine's LocalCluster (``new_local_cluster``), started on first use and shared by every Dask job of
    this process; closed at exit."""
    global _CLUSTER

    with _CLUSTER_LOCK:
        status = getattr(_CLUSTER, "status", None)
        if status is not None and status.name in ("running", "created"):
            return _CLUSTER
        _CLUSTER = new_local_cluster()
        atexit.register(_close_cluster)
        return _CLUSTER


def _close_cluster() -> None:
    global _CLUSTER
    with _CLUSTER_LOCK:
        if _CLUSTER is not None:
            try:
                _CLUSTER.close()
            except Exception:
                pass
            _CLUSTER = None


def connect(scheduler: str | None) -> Any:
    """A Dask client on ``scheduler`` (fails fast, naming the address), or on this machine's LocalCluster."""
    from distributed import Client

    if not scheduler or is_local_cluster(scheduler):
        return Client(local_cluster(), set_as_default=False)
    timeout = connect_timeout()
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except Exception as e:
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise OptionError(
            f'Could not connect to the Dask scheduler at "{scheduler}" within {timeout:g} s ({detail}). Check '
            "the address (tcp://host:port) and that the scheduler is running, or leave scheduler unset to use a "
            "local cluster."
        ) from None


# ---- the job ---------------------------------------------------------------------------------------------------------
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


def _source_of(store: Store, req: dict[str, Any]) -> str:
    source = req["source"]
    if "dataset_version_id" in source:
        return str(store.dataset_version(source["dataset_version_id"])["path"])
    return str(source["path"])


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


def run(store: Store, job: dict[str, Any], ctx: JobContext, model: dict[str, Any], version: dict[str, Any]) -> dict:
    """Score the job's input on a Dask cluster; the same return contract as the local ``infer_job``."""
    from .work import export_result, load_artifact, result_meta

    req = job["request"]
    opts = InferOptions(**req["options"]).resolve(model["model_type"])
    model_path = version.get("path")
    if not model_path or not Path(model_path).exists():
        raise InputError(f"The file of model version {version['id']} is missing from the store; retrain the model.")
    scorer = load_artifact(version).scorer(opts)  # checks options against the model before any work is shipped

    t_start = time.monotonic()
    ctx.progress(phase="planning partitions", fraction=0.0, force=True)
    source = _source_of(store, req)
    parts = plan(source, partition_rows(req))
    rows_total = sum(p.rows for p in parts)
    by_index = {p.index: p for p in parts}
    ctx.check_cancel()

    ctx.progress(phase="connecting to Dask", rows_done=0, rows_total=rows_total, force=True)
    client = connect(req.get("scheduler"))
    final = store.path("results", f"{job['id']}.parquet")
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
    # Test-only, as in the local job: JUPYTER_INFER_TEST_ROWS_PER_SECOND caps each task's scoring rate.
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
                opts.to_dict(),
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
            done = _completed(ac, POLL_SECONDS)
            for f in done:
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
        meta = _commit(tmp_dir, final, results, scorer, model, version, job["id"], file_meta, result_meta)
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
        try:
            client.unsubscribe_topic(topic)
        except Exception:
            pass
        try:
            client.close()
        except Exception:
            pass
        if req["source"].get("delete_after") and req["source"].get("path"):  # a staged upload, not the user's
            store.discard_staged(req["source"]["path"])
    if req.get("output_path"):  # as the local job: never clobber, the path written is in the metadata
        written = export_result(
            final, req["output_path"], req["options"].get("output_type", "parquet"), model["model_type"],
            no_clobber=True, root=req.get("root"),
        )  # fmt: skip
        meta = {**meta, "output_path": str(written)}
    return {
        "result_path": str(final),
        "result_meta": meta,
        "rows_done": scorer.rows_in,
        "rows_total": scorer.rows_in,
    }


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
    model: dict[str, Any],
    version: dict[str, Any],
    job_id: str,
    file_meta: dict[bytes, bytes],
    result_meta: Any,
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
    meta = dict(result_meta(model, version, job_id, scorer))
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
