"""Planning a Dask inference job (in the job's process): the Parquet files of its input (a file, a directory, a glob,
any fsspec URL whose filesystem package is installed, or a stored dataset's file) in the order
``pyarrow.parquet.read_table`` reads them, read from their footers only, and grouped into partitions of consecutive
row groups of about ``partition_rows`` rows, each knowing its global row offset (``id`` stays the 0-based position in
the whole input)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..._exceptions import InferError, InputError
from ...engine.io import is_hidden_part

PARTITION_ROWS = 262_144  # target rows per partition (consecutive row groups of one file)
GLOB_CHARS = "*?["


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


def filesystem(url: str) -> tuple[Any, str]:
    import fsspec.core

    try:
        found: tuple[Any, str] = fsspec.core.url_to_fs(url)
        return found
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
    fs, path = filesystem(source)
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
        fs, path = filesystem(url)
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
