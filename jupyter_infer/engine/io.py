"""Reading inputs: DataFrames, Arrow tables and csv/parquet/json files, whole or as bounded batches.

Files are checked against what their extension says, and every failure names the file and what is wrong.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .._exceptions import InputError
from .schema import check_frame

BATCH_ROWS = 131_072
MAX_CSV_BLOCK = 128 << 20  # bytes: the widest CSV row read
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


def _arrow_error(p: Path, e: Exception) -> InputError:
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
        raise _arrow_error(p, e) from None
    if fmt == "csv":
        _check_csv_header(p, df)
    check_frame(df, p.name)
    return df


def _check_csv_header(p: Path, df: pd.DataFrame) -> None:
    with open(p, encoding="utf-8", errors="replace") as f:
        header = next(iter(f), "")
    names = [h.strip().strip('"') for h in header.rstrip("\r\n").split(",")]
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


class BatchReader:
    """A csv/parquet/json file, Parquet directory, DataFrame or Arrow table as batches of ``batch_rows`` rows (the
    last may be shorter; it may change between batches), and ``fraction_done``: the share of the input behind the
    last batch, in rows of a known total (Parquet footers, tables, JSON documents) or else in bytes of the file
    (CSV, JSON Lines), so a file of unknown length reports a true fraction from its first batch."""

    def __init__(self, source: str | os.PathLike[str] | pd.DataFrame | pa.Table, batch_rows: int = BATCH_ROWS) -> None:
        self.batch_rows = batch_rows
        self.rows_total: int | None = None
        self.rows_read = 0
        self.columns: list[str] = []
        self._bytes_done = 0.0
        self._bytes_total = 0
        self._files: list[pq.ParquetFile] = []
        self._frame: pd.DataFrame | None = None
        if isinstance(source, pd.DataFrame | pa.Table):
            self._frame = to_frame(source)
            self.path, self.format = Path(""), "frame"
            self.rows_total = len(self._frame)
            self.columns = [str(c) for c in self._frame.columns]
            return
        if Path(source).is_dir():  # a Parquet dataset: its files one after the other
            self.path, self.format = Path(source), "parquet"
            paths = parquet_dataset_files(self.path)
        else:
            self.path, self.format = check_file(source)
            paths = [self.path]
        self._bytes_total = sum(os.path.getsize(p) for p in paths)
        if self.format == "parquet":
            for p in paths:
                try:
                    self._files.append(pq.ParquetFile(p, pre_buffer=False))
                except (pa.ArrowInvalid, OSError) as e:
                    raise _arrow_error(p, e) from None
            self.rows_total = sum(f.metadata.num_rows for f in self._files)
            self.columns = list(self._files[0].schema_arrow.names)
        elif self.format == "csv":
            with open(self.path, encoding="utf-8", errors="replace") as f:
                header = next(iter(f), "")
            self.columns = [h.strip().strip('"') for h in header.rstrip("\r\n").split(",")]
            _check_csv_header(self.path, pd.DataFrame(columns=range(1)))

    def fraction_done(self) -> float | None:
        if self.rows_total:
            return min(1.0, self.rows_read / self.rows_total)
        if self._bytes_total <= 0:
            return None
        return min(1.0, self._bytes_done / self._bytes_total)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        batches: Iterator[tuple[pd.DataFrame, float]]
        try:
            if self.format == "parquet":
                if self.rows_total == 0:
                    raise InputError(f"{self.path.name} has no rows.")
                blocks = ((rb, None) for f in self._files for rb in f.iter_batches(batch_size=BATCH_ROWS))
                batches = ((rb.to_pandas(), 0.0) for rb, _ in _rebatch(blocks, self._rows))
            elif self.format == "csv":
                batches = ((rb.to_pandas(), pos) for rb, pos in _rebatch(self._csv_blocks(), self._rows))
            elif self.format == "json" and _is_json_lines(self.path):
                batches = self._json_lines()
            else:
                frame = self._frame if self._frame is not None else read_file(self.path)
                self.rows_total = len(frame)
                batches = self._slices(frame)
            for df, pos in batches:
                self.rows_read += len(df)
                self._bytes_done = max(self._bytes_done, pos)
                yield df
            self._bytes_done = self._bytes_total
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError) as e:
            raise _arrow_error(self.path, e) from None

    def _rows(self) -> int:
        return max(1, int(self.batch_rows))

    def _slices(self, frame: pd.DataFrame) -> Iterator[tuple[pd.DataFrame, float]]:
        start = 0
        while start < len(frame):
            end = start + self._rows()
            yield frame.iloc[start:end], 0.0
            start = end

    def _csv_blocks(self) -> Iterator[tuple[pa.RecordBatch, np.ndarray | None]]:
        """The parsed blocks, each with the file position after each of its rows. pyarrow parses ahead of us, so
        the bytes it has read say nothing; but block ``i`` holds the rows of bytes ``[i, i + 1) * block_size``
        (the last one cut short goes with the next), shared here by their text length. Blocks start small (a fast
        first batch); a row wider than a block makes us read on with bigger ones from where we were."""
        # Every column is read as text and converted by the schema, so a value that does not parse becomes null
        # (Wood Wide's rule) instead of failing a batch deep in the file.
        convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in self.columns}, strings_can_be_null=True)
        block, passed = _csv_block_size(self.path), 0
        while True:
            seen = 0
            try:
                reader = pacsv.open_csv(str(self.path), pacsv.ReadOptions(block_size=block), convert_options=convert)
                for i, rb in enumerate(reader):
                    if seen + rb.num_rows > passed:
                        start, end = min(i * block, self._bytes_total), min((i + 1) * block, self._bytes_total)
                        ends, cut = start + (end - start) * _row_shares(rb), passed - seen
                        yield (rb.slice(cut), ends[cut:]) if cut > 0 else (rb, ends)
                        passed = seen + rb.num_rows
                    seen += rb.num_rows
                break
            except pa.ArrowInvalid as e:
                if "straddl" not in str(e) or block >= MAX_CSV_BLOCK:
                    raise
                block = min(MAX_CSV_BLOCK, block * 8)
        if not passed:
            raise InputError(f"{self.path.name} has no rows (only a header).")

    def _json_lines(self) -> Iterator[tuple[pd.DataFrame, float]]:
        """JSON Lines as batches of lines, each parsed as pandas does the whole file; a key absent from a batch
        but seen before is a column of nulls there, as it is when the whole file is read."""
        seen: dict[str, None] = {}
        pos = number = 0
        with open(self.path, "rb") as f:
            while True:
                lines: list[bytes] = []
                numbers: list[int] = []
                want = self._rows()
                for line in f:
                    pos, number = pos + len(line), number + 1
                    if line.strip():
                        lines.append(line)
                        numbers.append(number)
                        if len(lines) == want:
                            break
                if not lines:
                    break
                try:
                    df = pd.read_json(io.BytesIO(b"".join(lines)), lines=True)
                except ValueError as e:
                    raise InputError(
                        f"{self.path.name} is not valid JSON Lines: {_bad_line(lines, numbers, e)}."
                    ) from None
                seen.update(dict.fromkeys(map(str, df.columns)))
                self.columns = list(seen)
                if len(df.columns) < len(seen):
                    df = df.reindex(columns=self.columns)
                yield df, float(pos)
        if not seen:
            raise InputError(f"{self.path.name} has no rows.")


def _bad_line(lines: list[bytes], numbers: list[int], error: ValueError) -> str:
    """Which line of a batch of JSON Lines does not parse, and why (pandas only says where in the batch)."""
    for line, number in zip(lines, numbers, strict=True):
        try:
            json.loads(line)
        except ValueError as e:
            return f"line {number}: {e}"
    return str(error)


def _row_shares(rb: pa.RecordBatch) -> np.ndarray:
    """The share of a block's text up to and including each row: its fields' lengths plus a separator each."""
    widths = np.full(rb.num_rows, float(rb.num_columns))
    for col in rb.columns:
        widths += pc.fill_null(pc.binary_length(col), 0).to_numpy(zero_copy_only=False)
    ends = np.cumsum(widths)
    return ends / ends[-1] if len(ends) else ends


def _rebatch(
    blocks: Iterator[tuple[pa.RecordBatch, np.ndarray | None]], size: Callable[[], int]
) -> Iterator[tuple[pa.RecordBatch | pa.Table, float]]:
    """Record batches (or tables of them) of ``size()`` rows cut from ``blocks``, each with the input position after its last row
    (blocks come with the position after each of their rows, or None: then 0)."""
    parts: list[pa.RecordBatch] = []
    have = 0
    pos = 0.0
    for rb, ends in blocks:
        off = 0
        while off < rb.num_rows:
            take = min(size() - have, rb.num_rows - off)
            parts.append(rb if take == rb.num_rows else rb.slice(off, take))
            have, off = have + take, off + take
            pos = float(ends[off - 1]) if ends is not None else 0.0
            if have >= size():
                yield _joined(parts), pos
                parts, have = [], 0
    if parts:
        yield _joined(parts), pos


def _joined(parts: list[pa.RecordBatch]) -> pa.RecordBatch | pa.Table:
    return parts[0] if len(parts) == 1 else pa.Table.from_batches(parts)  # pa.concat_batches needs pyarrow 19


def _csv_block_size(path: Path) -> int:
    """About ``BATCH_ROWS`` rows a block, from the line lengths of the file's first MiB; 1 to 16 MiB."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    return int(min(16 << 20, max(1 << 20, len(head) // (head.count(b"\n") or 1) * BATCH_ROWS)))


def _is_json_lines(path: Path) -> bool:
    """A first line that is a whole JSON object, and another line after it that starts one: JSON Lines (reading
    the whole file as one document would fail with "Extra data"). Anything else is read as one document."""
    with open(path, "rb") as f:
        first = f.readline(1 << 20)
        try:
            if not first.endswith(b"\n") or not isinstance(json.loads(first), dict):
                return False
        except ValueError:
            return False
        for line in f:
            if line.strip():
                return line.lstrip().startswith(b"{")
    return False
