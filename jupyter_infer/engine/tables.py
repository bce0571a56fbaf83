"""A DataFrame as an Arrow table that Parquet can store, whatever its object columns hold: a column Arrow cannot
type (dicts mixed with numbers, empty dicts) keeps its meaning instead of failing the request."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

_SCALARS = (str, int, float, bool, np.generic)


def _no_fields(t: pa.DataType) -> bool:
    """A type Parquet cannot write: a struct without fields, at any depth."""
    if pa.types.is_struct(t):
        return t.num_fields == 0 or any(_no_fields(t.field(i).type) for i in range(t.num_fields))
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return _no_fields(t.value_type)
    if pa.types.is_map(t):
        return _no_fields(t.key_type) or _no_fields(t.item_type)
    return False


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or v is pd.NA or v is pd.NaT


def _column(s: pd.Series) -> pa.Array:
    """One column: as Arrow types it; else text when every value is a scalar (as the embedded engine reads a
    mixed column), else each value as JSON bytes (binary: not a feature, as dicts and lists are not)."""
    try:
        arr = pa.array(s, from_pandas=True)
        if not _no_fields(arr.type):
            return arr
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        pass
    values = s.to_numpy(dtype=object)
    if all(_missing(v) or isinstance(v, _SCALARS) for v in values):
        return pa.array([None if _missing(v) else str(v) for v in values], type=pa.string())
    return pa.array([None if _missing(v) else json.dumps(v, default=str).encode() for v in values], type=pa.binary())


def to_arrow(df: pd.DataFrame) -> pa.Table:
    """``pa.Table.from_pandas(df, preserve_index=False)``, with columns it cannot convert or Parquet cannot write
    made storable (see ``_column``)."""
    try:
        table = pa.Table.from_pandas(df, preserve_index=False)
        if not any(_no_fields(f.type) for f in table.schema):
            return table
    except (pa.ArrowException, ValueError, TypeError, OverflowError):
        pass
    return pa.table({str(c): _column(df.iloc[:, i]) for i, c in enumerate(df.columns)})
