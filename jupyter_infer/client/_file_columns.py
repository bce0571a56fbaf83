"""The column names of a data file, read from its header (CSV first line, Parquet schema, JSON keys) without loading
the file: ``GET /files/columns``, so that "Run inference..." can rank the models by the columns they need."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from .._exceptions import InputError
from ..engine.io import check_file

HEAD_BYTES = 1 << 20  # enough for any header and for the first record of JSON records or JSON Lines
JSON_WHOLE_BYTES = 16 << 20  # a column-oriented JSON file is parsed whole up to this size to list its keys


def _csv_columns(p: Path) -> tuple[list[str], str | None]:
    with open(p, "rb") as f:
        raw = f.read(HEAD_BYTES)
        cut = len(raw) == HEAD_BYTES and b"\n" not in raw and f.read(1) != b""
    row = next(csv.reader(io.StringIO(raw.decode("utf-8", errors="replace").lstrip("\ufeff"))), [])
    columns = [c.strip() for c in row]
    if cut:  # the last name may be cut in two: leave it out and say so
        columns = columns[:-1]
        return (
            columns,
            f"its header is longer than {HEAD_BYTES >> 20} MiB; only its first {len(columns):,} names were read",
        )
    return columns, None


def _parquet_columns(p: Path) -> list[str]:
    try:
        names = pq.read_schema(p).names
    except (pa.ArrowInvalid, OSError) as e:
        raise InputError(f"{p.name} could not be read as Parquet: {str(e).splitlines()[0]}.") from None
    return [n for n in names if not n.startswith("__index_level_")]


def _json_columns(p: Path) -> tuple[list[str] | None, str | None]:
    with open(p, "rb") as f:
        head = f.read(HEAD_BYTES).decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    decoder = json.JSONDecoder()
    first: Any = None
    if head.startswith("["):  # records: the keys of the first one
        rest = head[1:].lstrip()
        if rest.startswith("]"):
            return [], None
        try:
            first, _ = decoder.raw_decode(rest)
        except json.JSONDecodeError:
            return None, "its first record is too long to read its keys"
        if not isinstance(first, dict):
            raise InputError(f"{p.name}: a JSON list must hold one object per row (records).")
        return [str(k) for k in first], None
    try:  # one object: column-oriented, a sync-infer envelope, or the first line of JSON Lines
        first, _ = decoder.raw_decode(head)
    except json.JSONDecodeError:
        if p.stat().st_size > JSON_WHOLE_BYTES:
            return None, f"it is larger than {JSON_WHOLE_BYTES >> 20} MiB of column-oriented JSON"
        try:
            first = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"{p.name} is not valid JSON ({e}).") from None
    if not isinstance(first, dict):
        raise InputError(f"{p.name}: JSON must be column-oriented ({{col: [values]}}), records ([{{...}}]) or lines.")
    if isinstance(first.get("data"), dict):
        first = first["data"]
    return [str(k) for k in first], None


def file_columns(p: Path) -> dict[str, Any]:
    """``{"format", "columns", "note"}``: ``columns`` is None (and ``note`` says why) when the header cannot be read
    without loading the whole file."""
    p, fmt = check_file(p)
    note = None
    columns: list[str] | None
    if fmt == "csv":
        columns, note = _csv_columns(p)
    elif fmt == "parquet":
        columns = _parquet_columns(p)
    else:
        columns, note = _json_columns(p)
    return {"format": fmt, "columns": columns, "note": note}
