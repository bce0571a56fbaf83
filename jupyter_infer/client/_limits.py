"""The limits of sync inference, which runs in the server process: decoded input rows and output size, both known
before any scoring starts (a Parquet file's row count is in its footer; a text file's rows are counted from its
bytes), each refused with a 413 that points to the async path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .._exceptions import InferError, TooLargeError
from ..engine.io import file_format_or_none, read_file

CHUNK = 1 << 22
CELL_BYTES = 8  # one output value in memory (a float64, an int64, a pointer to a string)
ASYNC_HINT = (
    "Use the async path, which streams in bounded memory: POST /models/{id}/infer-async (a multipart upload, or "
    'JSON {"path": "<file under the server root>"}), then GET /jobs/{job_id}/results.'
)


def _count(path: Path, byte: bytes) -> int:
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            n += chunk.count(byte)
    return n


def _exact_text_rows(path: Path, fmt: str) -> int | None:
    """The rows of a CSV or JSON file by reading it (only when the cheap bound is over the limit)."""
    try:
        if fmt == "csv":
            with pacsv.open_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 24)) as reader:
                return int(sum(batch.num_rows for batch in reader))
        return len(read_file(path))
    except (InferError, pa.ArrowException, OSError, ValueError):
        return None


def input_rows(path: Path, limit: int) -> int | None:
    """The rows of an uploaded input: exact for Parquet (its footer), else a cheap upper bound (line breaks for CSV
    and JSON Lines, commas for a JSON document), made exact by reading the file only when that bound is over
    ``limit``. None when the file cannot tell (the inference then reports what is wrong with it)."""
    fmt = file_format_or_none(path)
    if fmt == "parquet":
        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except (pa.ArrowException, OSError):
            return None
    if fmt not in ("csv", "json"):
        return None
    lines = path.suffix.lower() in (".jsonl", ".ndjson")
    bound = _count(path, b"\n") + 1 if fmt == "csv" or lines else _count(path, b",") + 1
    if bound <= limit:
        return bound
    exact = _exact_text_rows(path, fmt)
    return bound if exact is None else exact


def output_cells(rows: int, model: dict[str, Any], version: dict[str, Any], opts: Any) -> int:
    """How many values the output of ``rows`` input rows holds, from the model's type, metrics and the options."""
    metrics = version.get("metrics") or {}
    info = version.get("info") or {}
    t = model.get("model_type")
    if t == "search":
        k = int(opts.k or 1)
        k = min(k, int(metrics.get("n_indexed") or k))
        return rows * k * (4 if k > 1 else 3)
    if t == "embedding":
        return rows * (1 + int(metrics.get("n_components") or 16))
    if t == "factors":
        return rows * (1 + int(metrics.get("n_factors") or 16)) if opts.factor_scores else 3 * 256
    if t == "prediction":
        return rows * (3 + (int(info.get("n_classes") or 100) if opts.prob_columns else 0))
    if t == "anomaly" and opts.anomaly_format != "per_row":
        return rows
    return rows * 3


def check_sync(
    path: Path, model: dict[str, Any], version: dict[str, Any], opts: Any, max_rows: int, max_output_bytes: int
) -> None:
    """Refuse (413) a sync inference over ``max_rows`` input rows or ``max_output_bytes`` of output, before the
    input is decoded. A limit of 0 is no limit."""
    limit = max_rows if max_rows > 0 else 1 << 62
    rows = input_rows(path, limit)
    if rows is None:
        return
    if rows > limit:
        raise TooLargeError(
            f"This input has {rows:,} rows, over this server's limit of {max_rows:,} rows for sync inference "
            f"(JupyterInfer.max_sync_rows). {ASYNC_HINT}"
        )
    size = output_cells(rows, model, version, opts) * CELL_BYTES
    if max_output_bytes > 0 and size > max_output_bytes:
        what = f"k={opts.k} matches per row" if model.get("model_type") == "search" else f"{rows:,} rows"
        raise TooLargeError(
            f"The output of this request ({what}) would be about {size / (1 << 20):,.0f} MiB, over this server's "
            f"limit of {max_output_bytes / (1 << 20):g} MiB for sync inference (JupyterInfer.max_sync_output_mb). "
            f"{ASYNC_HINT}"
        )
