"""Reading inputs as bounded batches: ``BatchReader`` streams a csv, parquet or json file (or walks a table in
memory) batch by batch, saying how far it got, so a job scores a file of any size in bounded memory."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .._exceptions import InputError
from .io import arrow_error, check_csv_header, check_file, csv_header, parquet_dataset_files, read_file, to_frame

BATCH_ROWS = 131_072
MAX_CSV_BLOCK = 128 << 20  # bytes: the widest CSV row read


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
                    raise arrow_error(p, e) from None
            self.rows_total = sum(f.metadata.num_rows for f in self._files)
            self.columns = list(self._files[0].schema_arrow.names)
        elif self.format == "csv":
            self.columns = csv_header(self.path)
            check_csv_header(self.path)

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
            raise arrow_error(self.path, e) from None

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
