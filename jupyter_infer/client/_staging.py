"""The embedded backend's data staging: what a job reads, made from what the caller gave (a file as it is, a table
written once into the store's uploads), an in-memory snapshot of a table, and a page of a stored Parquet file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import InputError
from ..store import Store, new_id

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow.parquet as pq

# pandas, pyarrow and the engine are imported by the functions that read or write data, so that listing models and
# jobs (the command line, the panel's server) does not pay for them.


def workers_read(source: str) -> bool:
    """A glob or an fsspec URL: the Dask workers list and read it themselves."""
    return "://" in source or any(c in source for c in "*?[")


def stage(store: Store, data: Any, what: str) -> tuple[str, bool, str | None]:
    """A path a job can read, whether to delete it after, and the input's file name: a file as it is, a table
    written to the store's uploads (deleted after)."""
    if isinstance(data, str | os.PathLike):
        p = Path(data)
        if not p.exists():
            raise InputError(f"No such file: {p}.")
        return str(p.resolve()), False, p.name
    import pyarrow.parquet as pq

    from ..engine.io import to_frame
    from ..engine.tables import to_arrow

    df = to_frame(data, what)
    dest = store.path("uploads", f"{new_id('up_')}.parquet")
    tmp = store.tmp_path(dest)
    try:
        with store.writing("uploads/"):
            pq.write_table(to_arrow(df), tmp)
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return str(dest), True, None


def snapshot(data: Any, what: str) -> pd.DataFrame:
    """A table as a DataFrame this process can score later: changing the caller's frame in the next cell does not
    change it (a shallow copy under copy-on-write: pandas 3, or 2.x with the option on; else a deep one)."""
    import pandas as pd

    from ..engine.io import to_frame

    copy_on_write = int(pd.__version__.split(".")[0]) >= 3 or pd.get_option("mode.copy_on_write") is True
    return to_frame(data, what).copy(deep=not copy_on_write)


def rows(pf: pq.ParquetFile, offset: int, n: int) -> pd.DataFrame:
    """Rows offset..offset+n of a Parquet file, reading only the row groups that hold them."""
    groups, start, first = [], 0, None
    for i in range(pf.metadata.num_row_groups):
        size = pf.metadata.row_group(i).num_rows
        if start + size > offset and start < offset + n:
            first = start if first is None else first
            groups.append(i)
        start += size
    if not groups:
        return pf.schema_arrow.empty_table().to_pandas()
    assert first is not None
    return pf.read_row_groups(groups).slice(offset - first, n).to_pandas()
