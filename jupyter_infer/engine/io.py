"""Reading inputs whole: DataFrames, Arrow tables and csv/parquet/json files (``batches`` reads them as bounded
batches). Files are checked against what their extension says, and every failure names the file and what is wrong.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .._exceptions import InputError
from .schema import check_frame, quote

FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
}


def file_format_or_none(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def file_format(path: str | os.PathLike[str]) -> str:
    p = Path(path)
    fmt = file_format_or_none(p)
    if fmt is None:
        raise InputError(f"{p.name}: unsupported file type {p.suffix or '(none)'}; use .csv, .parquet or .json.")
    return fmt


def is_hidden_part(relative: str) -> bool:
    """A name inside a Parquet dataset that is not data: any part starting with ``.`` or ``_`` (``_SUCCESS``,
    ``_metadata``, temporary files), the rule pyarrow's dataset discovery applies."""
    return any(part.startswith((".", "_")) for part in relative.replace(os.sep, "/").split("/") if part)


def parquet_dataset_files(directory: Path) -> list[Path]:
    """The data files of a local Parquet directory, in lexical order of their relative paths (the order
    ``pyarrow.parquet.read_table`` and ``pandas.read_parquet`` concatenate them)."""
    files = sorted(
        (f for f in directory.rglob("*") if f.is_file() and not is_hidden_part(str(f.relative_to(directory)))),
        key=lambda f: f.relative_to(directory).as_posix(),
    )
    if not files:
        raise InputError(f"{directory} holds no data files.")
    others = [f.name for f in files if file_format_or_none(f) != "parquet"]
    if others:
        raise InputError(
            f"{directory} is read as a Parquet dataset, but {others[0]} is not a Parquet file; a directory input "
            "must hold only .parquet files."
        )
    return files


def check_file(path: str | os.PathLike[str]) -> tuple[Path, str]:
    """The file exists, is a file, and its first bytes agree with its extension."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"No such file: {p}.")
    if not p.is_file():
        raise InputError(f"{p} is a directory, not a data file.")
    fmt = file_format(p)
    with open(p, "rb") as f:
        head = f.read(4096)
    if not head.strip():
        raise InputError(f"{p.name} is empty.")
    is_parquet = head[:4] == b"PAR1"
    if fmt == "parquet" and not is_parquet:
        raise InputError(f"{p.name} is not a Parquet file (it does not start with the Parquet magic bytes).")
    if fmt != "parquet":
        if is_parquet:
            raise InputError(f"{p.name} is a Parquet file, not {fmt.upper()} as its extension says; rename it.")
        if b"\x00" in head:
            raise InputError(f"{p.name} is binary, not {fmt.upper()} text as its extension says.")
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as e:
            if e.start < len(head) - 4:  # not just a multibyte char cut by the 4096-byte window
                raise InputError(
                    f"{p.name} is not valid UTF-8 text (byte 0x{head[e.start]:02x} at position {e.start}); "
                    "save it as UTF-8 and try again."
                ) from None
    return p, fmt


def arrow_error(p: Path, e: Exception) -> InputError:
    msg = str(e).splitlines()[0]
    if "utf8" in msg.lower() or "utf-8" in msg.lower():
        return InputError(f"{p.name} is not valid UTF-8 text ({msg}); save it as UTF-8 and try again.")
    return InputError(f"{p.name} could not be read: {msg}.")


def _read_json(p: Path) -> pd.DataFrame:
    text = p.read_text(encoding="utf-8")
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        if "Extra data" in str(e):  # JSON Lines
            try:
                return pd.read_json(p, lines=True)
            except (ValueError, TypeError) as e2:  # TypeError: a line that is not an object
                raise InputError(f"{p.name} is not valid JSON Lines: {e2}.") from None
        raise InputError(f"{p.name} is not valid JSON ({e}).") from None
    except (RecursionError, ValueError) as e:  # nested past the parser's depth, or a number past 4300 digits
        why = "its lists and objects nest too deeply" if isinstance(e, RecursionError) else str(e).split(";")[0]
        raise InputError(f"{p.name} cannot be read as a table: {why}.") from None
    if isinstance(obj, list):
        if obj and not all(isinstance(r, dict) for r in obj):
            raise InputError(f"{p.name}: a JSON list must hold one object per row (records).")
        return pd.DataFrame.from_records(obj)
    if isinstance(obj, dict):
        if "data" in obj and isinstance(obj["data"], dict):  # a sync-infer envelope
            obj = obj["data"]
        if obj and all(isinstance(v, list) for v in obj.values()):
            lengths = {len(v) for v in obj.values()}
            if len(lengths) > 1:
                raise InputError(f"{p.name}: the columns of this column-oriented JSON have different lengths.")
            return pd.DataFrame(obj)
        if obj and all(isinstance(v, dict) for v in obj.values()):  # pandas' own to_json(): {col: {row: value}}
            return pd.DataFrame(obj).reset_index(drop=True)
        return pd.DataFrame([obj])
    raise InputError(f"{p.name}: JSON must be column-oriented ({{col: [values]}}), records ([{{...}}]) or lines.")


def read_file(path: str | os.PathLike[str]) -> pd.DataFrame:
    """A whole file as a DataFrame (for training and sync inference)."""
    p, fmt = check_file(path)
    try:
        if fmt == "parquet":
            df = pq.read_table(p).to_pandas()
        elif fmt == "csv":
            try:
                df = pacsv.read_csv(p, read_options=pacsv.ReadOptions(block_size=1 << 26)).to_pandas()
            except pa.ArrowInvalid as e:
                if "CSV parse error" in str(e) or "UTF" in str(e) or "utf" in str(e):
                    raise
                df = pd.read_csv(p, low_memory=False)  # a column whose type changes deep in the file
        else:
            df = _read_json(p)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError, pd.errors.ParserError) as e:
        raise arrow_error(p, e) from None
    if fmt == "csv":
        check_csv_header(p)
    check_frame(df, p.name)
    return df


def csv_header(p: Path) -> list[str]:
    """A CSV file's column names as its readers see them: a byte-order mark dropped, quotes honoured (a name may
    hold a comma), spaces kept."""
    with open(p, encoding="utf-8-sig", errors="replace", newline="") as f:
        return next(csv.reader(f), [])


def check_csv_header(p: Path) -> None:
    names = csv_header(p)
    if len(names) == 1 and ";" in names[0]:  # Excel in many locales: one column "a;b;c" would train on nonsense
        raise InputError(
            f"{p.name} looks separated by semicolons ({quote(names[0])}); CSV is read comma-separated here: "
            'save it with commas (pandas: to_csv(path, sep=","); Excel: "CSV UTF-8").'
        )
    seen: set[str] = set()
    dups: set[str] = set()
    for n in names:
        (dups if n in seen else seen).add(n)
    if dups:
        raise InputError(
            f"{p.name} has duplicate column names: {', '.join(sorted(dups))}. Rename them so each is unique."
        )


def to_frame(data: Any, what: str = "the input") -> pd.DataFrame:
    """DataFrame, Arrow table, or a path to a csv/parquet/json file, as a checked DataFrame."""
    if isinstance(data, pd.DataFrame):
        df = data
    elif isinstance(data, pa.Table | pa.RecordBatch):
        df = data.to_pandas()
    elif isinstance(data, str | os.PathLike):
        return read_file(data)
    else:
        raise InputError(
            f"{what} must be a pandas DataFrame, a pyarrow Table, or a path to a csv, parquet or json file; "
            f"got {type(data).__name__}."
        )
    check_frame(df, what)
    return df
