"""Result tables to the three output formats of SPEC §4, and back.

A result is an Arrow table in the output shape of its model type, plus metadata (model ids, descriptions,
reconciliation). Parquet carries the metadata in its file-level key/value metadata.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .._exceptions import ConflictError, InputError
from .options import output_type_for

META_PLAIN = ("model_id", "model_name", "model_version_id", "model_type", "job_id")


def to_json(table: pa.Table, model_type: str) -> dict[str, Any]:
    """The bare §4 JSON: column-oriented, except search (a map) and anomaly ids_only ({"anomalous_ids": [...]})."""
    cols: dict[str, Any] = table.to_pydict()
    if model_type == "search" and "match_id" in cols:
        out: dict[str, Any] = {}
        ranked = "rank" in cols
        for rid, mid in zip(cols["id"], cols["match_id"], strict=True):
            key, val = str(rid), str(mid)
            if ranked:
                out.setdefault(key, []).append(val)
            else:
                out[key] = val
        return out
    for name, values in cols.items():
        if pa.types.is_floating(table.schema.field(name).type):
            cols[name] = [None if v is None or math.isnan(v) else v for v in values]
    return cols


def to_csv_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, write_options=pacsv.WriteOptions(quoting_style="needed"))
    data = buf.getvalue()
    # pyarrow quotes every header name; a plain header is what people and tools expect
    nl = data.find(b"\n")
    header = data[:nl].decode()
    names = table.column_names
    plain = ",".join(n if all(ch not in n for ch in ',"\n') else '"' + n.replace('"', '""') + '"' for n in names)
    if header.replace('"', "") == ",".join(names).replace('"', ""):
        data = plain.encode() + data[nl:]
    return data


def metadata_for(meta: dict[str, Any]) -> dict[bytes, bytes]:
    """Parquet key/value metadata: plain ids, JSON-encoded descriptions and reconciliation."""
    kv: dict[bytes, bytes] = {}
    for key in META_PLAIN:
        if meta.get(key) is not None:
            kv[key.encode()] = str(meta[key]).encode()
    for name, desc in (meta.get("descriptions") or {}).items():
        kv[name.encode()] = json.dumps(desc).encode()
    kv[b"reconciliation"] = json.dumps(
        meta.get("reconciliation") or {"dropped": [], "missing": [], "coerced": []}
    ).encode()
    if meta.get("drift"):  # the columns whose distribution moved from the training data (engine/drift.py)
        kv[b"drift"] = json.dumps(meta["drift"]).encode()
    return kv


def with_metadata(table: pa.Table, meta: dict[str, Any]) -> pa.Table:
    existing = dict(table.schema.metadata or {})
    existing.pop(b"pandas", None)
    existing.update(metadata_for(meta))
    return table.replace_schema_metadata(existing)


def to_parquet_bytes(table: pa.Table, meta: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    pq.write_table(with_metadata(table, meta), buf)
    return buf.getvalue()


def read_metadata(kv: dict[bytes, bytes] | None) -> dict[str, Any]:
    """The inverse of ``metadata_for``."""
    out: dict[str, Any] = {"descriptions": {}}
    for k, v in (kv or {}).items():
        key, val = k.decode(), v.decode()
        if key in META_PLAIN:
            out[key] = val
        elif key.endswith("_descriptions"):
            out["descriptions"][key] = json.loads(val)
        elif key in ("reconciliation", "drift"):
            out[key] = json.loads(val)
    return out


def read_result_table(path: str | os.PathLike[str]) -> pa.Table:
    """A stored result: one Parquet file, or a directory of part files (the Dask executor) read as one table in
    file order, with the merged metadata of its ``_common_metadata``."""
    p = Path(path)
    table = pq.read_table(p)
    common = p / "_common_metadata"
    if p.is_dir() and common.exists():
        table = table.replace_schema_metadata(pq.read_schema(common).metadata)
    return table


def format_of(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """The output format: given, else the one the file extension names (checked by ``options.output_type_for``)."""
    return output_type_for(path, fmt or None)


def encode(table: pa.Table, meta: dict[str, Any], fmt: str) -> bytes:
    if fmt == "parquet":
        return to_parquet_bytes(table, meta)
    if fmt == "csv":
        return to_csv_bytes(table)
    return json.dumps(to_json(table, meta.get("model_type", "")), default=_json_default).encode()


def _json_default(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


def write_result(
    table: pa.Table,
    meta: dict[str, Any],
    path: str | os.PathLike[str],
    fmt: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write a result file atomically (temporary name, then rename), so no half-written file is ever seen."""
    dest = Path(path)
    fmt = format_of(dest, fmt)
    if dest.exists() and not overwrite:
        raise ConflictError(f"{dest} already exists; pass force/overwrite to replace it.")
    if dest.is_dir():
        raise ConflictError(f"{dest} is a directory; name a file to write.")
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "parquet":
            pq.write_table(with_metadata(table, meta), tmp)
        else:
            tmp.write_bytes(encode(table, meta, fmt))
        os.replace(tmp, dest)
    except OSError as e:  # a folder that cannot be created or written, a full disk: name the file asked for
        where = f" ({e.filename})" if e.filename and str(e.filename) != str(tmp) else ""
        raise InputError(f"Cannot write {dest}: {e.strerror or e}{where}.") from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return dest
