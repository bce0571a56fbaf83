"""What runs on the Dask workers: the model, loaded from its skops bytes with the allow-list once per worker process
(no pickled estimator crosses the wire), and ``score_part``, which reads a partition's row groups, scores them with
the engine's ``BatchScorer`` (the I/O-free code the local executor uses) and writes ``part-NNNNN.parquet`` into
the job's temporary result directory, or returns its bytes when the worker cannot see that directory."""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..._exceptions import InputError
from ...engine import persist
from ...engine.batches import BATCH_ROWS
from ...engine.model import Artifact
from ...engine.options import InferOptions
from ._dask_plan import Part, filesystem

TOKEN_FILE = ".jupyter-infer-token"


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
    fs, path = filesystem(part.url)
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
