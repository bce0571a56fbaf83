"""Column roles inferred at training, and Wood Wide's reconciliation rules applied at inference.

A :class:`Schema` is plain data (names, kinds, category lists) so it persists safely and travels to any worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError

NUMERIC, BOOLEAN, CATEGORICAL, DATETIME, TEXT = "numeric", "boolean", "categorical", "datetime", "text"
DATETIME_PARTS = ("year", "month", "dayofweek", "hour", "days")
MAX_CATEGORIES = 254  # HistGradientBoosting allows 255 bins per categorical feature, one is kept for "missing"
QUOTE_LIMIT = 40  # characters of a value a description quotes
DURATION_NOTE = "duration: its number of seconds"
MAX_CLASSES_INT_LABEL = 20


@dataclass
class Reconciliation:
    """What inference had to change to make the input fit the training schema (SPEC §5)."""

    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    coerced: list[str] = field(default_factory=list)

    def merge(self, other: Reconciliation) -> None:
        for mine, theirs in (
            (self.dropped, other.dropped),
            (self.missing, other.missing),
            (self.coerced, other.coerced),
        ):
            mine.extend(c for c in theirs if c not in mine)

    def to_dict(self) -> dict[str, list[str]]:
        return {"dropped": list(self.dropped), "missing": list(self.missing), "coerced": list(self.coerced)}


@dataclass
class Column:
    name: str
    kind: str
    categories: list[str] = field(default_factory=list)  # categorical: the kept levels, most frequent first

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "categories": list(self.categories)}


@dataclass
class Schema:
    """The training-time contract: which input columns are features and of what kind."""

    columns: list[Column]
    dropped: list[dict[str, str]] = field(default_factory=list)  # {"name", "reason"} for columns not used
    notes: dict[str, str] = field(default_factory=dict)  # column -> how it is used, where that is not obvious

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def of_kind(self, *kinds: str) -> list[Column]:
        return [c for c in self.columns if c.kind in kinds]

    def to_dict(self) -> dict[str, Any]:
        return {"columns": [c.to_dict() for c in self.columns], "dropped": list(self.dropped), "notes": self.notes}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schema:
        return cls([Column(**c) for c in d["columns"]], list(d.get("dropped", [])), dict(d.get("notes") or {}))


def check_frame(df: pd.DataFrame, what: str = "the input") -> None:
    """Refuse tables that no model can use: no rows, no columns, duplicate column names."""
    if df.columns.duplicated().any():
        dups = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise InputError(f"{what} has duplicate column names: {', '.join(dups)}. Rename them so each is unique.")
    if df.shape[1] == 0:
        raise InputError(f"{what} has no columns.")
    if len(df) == 0:
        raise InputError(f"{what} has no rows (only a header, or an empty table).")


def _is_unusable(s: pd.Series) -> bool:
    """Lists, dicts, structs and bytes cannot be features."""
    if isinstance(s.dtype, pd.ArrowDtype):
        import pyarrow as pa

        t = s.dtype.pyarrow_dtype
        return bool(pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t))
    if s.dtype == object:
        sample = s.dropna().head(100)
        return any(isinstance(v, list | tuple | dict | set | bytes | np.ndarray) for v in sample)
    return False


def _is_text(s: pd.Series) -> bool:
    """AutoGluon's rule: many distinct values that average three words or more."""
    sample = s.dropna().astype(str).head(5000)
    if len(sample) < 20:
        return False
    if sample.nunique() / len(sample) <= 0.01:
        return False
    return bool(sample.str.split().str.len().mean() >= 3)


HIGH_CARDINALITY = 0.5  # distinct values per row above which a category is mostly unseen at inference
SHARED_WORDS = 0.5  # share of rows whose value has a word that another distinct value also has
_WORD = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's default tokens


def _share_words(s: pd.Series) -> bool:
    """Whether most rows' values share a word with some other distinct values ("ford pinto", "ford torino"),
    counting only words that at most half of the distinct values have."""
    values = s.dropna().astype(str)
    distinct = values.drop_duplicates().head(20_000)
    seen: dict[str, int] = {}
    for v in distinct:
        for w in set(_WORD.findall(v.lower())):
            seen[w] = seen.get(w, 0) + 1
    # a word in most values ("cust" in "cust-00017") tells them apart no more than none does
    shared = {w for w, c in seen.items() if 2 <= c <= SHARED_WORDS * len(distinct)}
    if not shared:
        return False
    hits = values.head(20_000).map(lambda v: any(w in shared for w in _WORD.findall(v.lower())))
    return bool(hits.mean() >= SHARED_WORDS)


def _looks_datetime(s: pd.Series) -> bool:
    sample = s.dropna().astype(str).head(500)
    if len(sample) < 5 or not sample.str.contains(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{2,4}").mean() > 0.9:
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() > 0.9)


def kind_of(s: pd.Series) -> str | None:
    """The broad kind of a column, or None when it cannot be a feature."""
    if _is_unusable(s):
        return None
    if pd.api.types.is_bool_dtype(s.dtype):
        return BOOLEAN
    if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(s.dtype):
        return NUMERIC  # a duration is its number of seconds
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return DATETIME
    nonnull = s.dropna()
    if len(nonnull) and nonnull.map(type).isin([bool, np.bool_]).all():
        return BOOLEAN
    if _looks_datetime(s):
        return DATETIME
    if _is_text(s):
        return TEXT
    return CATEGORICAL


def infer_schema(df: pd.DataFrame, exclude: set[str]) -> Schema:
    """Decide each column's role from the training table; report what is dropped and why."""
    cols: list[Column] = []
    dropped: list[dict[str, str]] = []
    notes: dict[str, str] = {}
    n = len(df)
    for name in df.columns:
        if name in exclude:
            continue
        s = df[name]
        kind = kind_of(s)
        if kind is None:
            dropped.append({"name": str(name), "reason": "values are lists, structs or bytes"})
            continue
        nonnull = s.dropna()
        if len(nonnull) == 0:
            dropped.append({"name": str(name), "reason": "every value is missing"})
            continue
        nunique = nonnull.nunique()
        if nunique <= 1:
            dropped.append({"name": str(name), "reason": "constant"})
            continue
        if kind == CATEGORICAL and n >= 20 and nunique / len(nonnull) > HIGH_CARDINALITY:
            # mostly unseen at inference as a category: words it shares make it text; else it is an id
            if _share_words(nonnull):
                kind = TEXT
                notes[str(name)] = f"text: {nunique} distinct values that share words, used through word features"
            else:
                dropped.append({"name": str(name), "reason": "id-like (distinct values that share no words)"})
                continue
        if kind == NUMERIC and pd.api.types.is_integer_dtype(s.dtype) and n >= 20 and _is_row_counter(s):
            dropped.append({"name": str(name), "reason": "id-like (a row counter)"})
            continue
        if pd.api.types.is_timedelta64_dtype(s.dtype):
            notes[str(name)] = DURATION_NOTE
        categories: list[str] = []
        if kind == CATEGORICAL:
            counts = nonnull.astype(str).value_counts()
            categories = [str(v) for v in counts.index[:MAX_CATEGORIES]]
        cols.append(Column(str(name), kind, categories))
    if not cols:
        reasons = "; ".join(f"{d['name']}: {d['reason']}" for d in dropped) or "no columns given"
        raise InputError(f"No usable feature columns ({reasons}).")
    return Schema(cols, dropped, notes)


def _is_row_counter(s: pd.Series) -> bool:
    v = s.to_numpy()
    if s.isna().any() or len(v) < 2:
        return False
    d = np.diff(v.astype(np.int64))
    return bool((d == 1).all())


def quote(value: object) -> str:
    """A value as a description quotes it: its text, cut to ``QUOTE_LIMIT`` characters."""
    text = str(value)
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


def _to_numeric(s: pd.Series) -> tuple[np.ndarray, bool]:
    """Floats; an infinity (a division by zero upstream) is missing, as no model can use it: reported coerced."""
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        out, coerced = s.to_numpy(dtype="float64", na_value=np.nan), False
    elif pd.api.types.is_timedelta64_dtype(s.dtype):
        out, coerced = s.dt.total_seconds().to_numpy(dtype="float64", na_value=np.nan), False
    else:
        out, coerced = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan), True
    infinite = np.isinf(out)
    if infinite.any():
        out = np.where(infinite, np.nan, out)
        coerced = True
    return out, coerced


_TRUE = {"true", "1", "yes", "y", "t", "1.0"}
_FALSE = {"false", "0", "no", "n", "f", "0.0"}


def _to_seconds(s: pd.Series) -> tuple[np.ndarray, bool]:
    """A duration column: durations and numbers as seconds; text (a CSV's "0 days 00:00:12", ISO "P0DT0H0M12S")
    parsed as durations where it is not a number."""
    if s.dtype != object and not pd.api.types.is_string_dtype(s.dtype):
        return _to_numeric(s)
    out, _ = _to_numeric(s)
    given = s.notna().to_numpy()
    # text with a unit or a clock ("5m", "0 days 00:00:12", "P0DT12S"); bare digits ("1,000") are no duration
    text = np.isnan(out) & given & s.astype(str).str.contains(r"[A-Za-z:]").to_numpy()
    if text.any():
        parsed = pd.to_timedelta(s[text].astype(str), errors="coerce").dt.total_seconds()
        out = np.array(out, dtype="float64")  # a writable copy
        out[text] = parsed.to_numpy(dtype="float64", na_value=np.nan)
    return out, bool((np.isnan(out) & given).any())  # coerced: only where a value was lost


def _to_bool_float(s: pd.Series) -> tuple[np.ndarray, bool]:
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_numeric_dtype(s.dtype):
        out = s.to_numpy(dtype="float64", na_value=np.nan)
        if not pd.api.types.is_bool_dtype(s.dtype):
            out = np.where((out == 0.0) | (out == 1.0), out, np.nan)  # other numbers are not a boolean
        return out, False
    low = s.astype("string").str.strip().str.lower()
    return np.where(low.isin(_TRUE), 1.0, np.where(low.isin(_FALSE), 0.0, np.nan)), True


def epoch_nanoseconds(v: np.ndarray) -> np.ndarray:
    """Date-times written as numbers since 1970, in nanoseconds: each value's unit by its own size (so a row reads
    the same whatever the rest of its batch holds): seconds below 1e11 (the year 5138), then milliseconds (what
    pandas' ``to_json`` writes), microseconds, nanoseconds."""
    size = np.abs(v)
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(v * np.select([size < 1e11, size < 1e14, size < 1e17], [1e9, 1e6, 1e3], 1.0))


def _to_datetime(s: pd.Series) -> tuple[np.ndarray, bool]:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s
        coerced = False
    elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        ns = epoch_nanoseconds(s.to_numpy(dtype="float64", na_value=np.nan))
        out = pd.to_datetime(pd.Series(ns, index=s.index), unit="ns", errors="coerce")
        coerced = True
    else:
        out = pd.to_datetime(s, errors="coerce", format="mixed")
        coerced = True
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert("UTC").dt.tz_localize(None)
    return out.to_numpy(), coerced


def _to_category_str(s: pd.Series) -> tuple[np.ndarray, bool]:
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        # a mixed object column: numbers become their text, and dicts, lists or bytes cannot be a category
        # (reported coerced only when such a value was lost: numbers as text is how the column was trained)
        odd = (dict, list, set, tuple, bytes, bytearray)
        lost = any(isinstance(v, odd) for v in s)
        return _objects([None if isinstance(v, odd) or _missing(v) else str(v) for v in s]), lost
    if pd.api.types.is_string_dtype(s.dtype) or isinstance(s.dtype, pd.CategoricalDtype):
        # one pass to objects with None for missing (astype + where took 3x longer on a one-row batch)
        return s.to_numpy(dtype=object, na_value=None), False
    coerced = s.dtype != object
    if pd.api.types.is_float_dtype(s.dtype):
        # 3.0 and "3" name the same level when a float column carries integer codes
        return _objects(
            [None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)) for v in s]
        ), coerced
    return _objects([None if pd.isna(v) else str(v) for v in s]), coerced


def _objects(values: list[str | None]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _missing(v: object) -> bool:
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):  # an array-like value
        return False


def _absent(kind: str, n: int) -> np.ndarray:
    """A column the input does not have: every value missing, in the kind's canonical type."""
    if kind == DATETIME:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if kind in (NUMERIC, BOOLEAN):
        return np.full(n, np.nan)
    return np.full(n, None, dtype=object)


def align(
    df: pd.DataFrame, schema: Schema, keep: tuple[str, ...] = (), from_text: bool = False
) -> tuple[pd.DataFrame, Reconciliation]:
    """Make an inference table fit the training schema, Wood Wide's way.

    Extra columns are dropped, missing ones become null, mismatched types are coerced (unparseable values become
    null); unseen categories are left for the encoders to treat as missing. Returns the features in the
    canonical form ``featurize`` expects: float64 for numeric/boolean, datetime64 for dates, str-or-None objects
    for categorical and text. ``from_text`` (a CSV read as text) reports a coercion only where a value was lost.
    """
    rec = Reconciliation()
    names = schema.names
    present = set(df.columns)
    wanted = set(names) | set(keep)
    rec.dropped = [str(c) for c in df.columns if c not in wanted]
    if not present.intersection(names):
        raise InputError(
            "The inference data shares no column with the training data. The model expects: "
            + ", ".join(names[:12])
            + ("…" if len(names) > 12 else "")
            + "."
        )
    out: dict[str, np.ndarray | pd.Series] = {}
    convert = {NUMERIC: _to_numeric, BOOLEAN: _to_bool_float, DATETIME: _to_datetime}
    for col in schema.columns:
        if col.name not in present:
            rec.missing.append(col.name)
            out[col.name] = _absent(col.kind, len(df))
            continue
        s = df[col.name]
        duration = col.kind == NUMERIC and schema.notes.get(col.name) == DURATION_NOTE
        conv, coerced = (_to_seconds if duration else convert.get(col.kind, _to_category_str))(s)
        if coerced and (not from_text or int(pd.isna(conv).sum()) > int(s.isna().sum())):
            rec.coerced.append(col.name)
        out[col.name] = conv
    for name, values in out.items():
        if values.dtype == object:  # kept as objects (a frame would make them pandas strings, NaN for None)
            out[name] = pd.Series(values, index=df.index, dtype=object, copy=False)
    return pd.DataFrame(out, index=df.index), rec


def datetime_parts(s: pd.Series) -> dict[str, np.ndarray]:
    """A date column as numbers a model can split on."""
    dt = s.dt
    days = (s - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return {
        "year": dt.year.to_numpy(dtype="float64", na_value=np.nan),
        "month": dt.month.to_numpy(dtype="float64", na_value=np.nan),
        "dayofweek": dt.day_of_week.to_numpy(dtype="float64", na_value=np.nan),
        "hour": dt.hour.to_numpy(dtype="float64", na_value=np.nan),
        "days": days.to_numpy(dtype="float64", na_value=np.nan),
    }
