"""The client's arguments, checked once at the facade before either backend sees them, so that the same bad
argument raises the same exception class (an ``OptionError``) on the embedded engine and over HTTP."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from .._exceptions import OptionError
from ..engine.options import ANOMALY_FORMATS, OUTPUT_TYPES, did_you_mean
from ..engine.options import _short as _show
from ..store import JOB_TYPES, STATUSES

K_MAX = 10_000  # nearest matches per row; the HTTP API's bound too
PRUNE_MAX_DAYS = 36_500


def whole(name: str, v: Any, lo: int, hi: int | None = None) -> int:
    """An int (Python or numpy, never a bool or a float) within [lo, hi]."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise OptionError(f"{name} must be a whole number, not {_show(v)}.")
    i = int(v)
    if i < lo:
        raise OptionError(f"{name} must be at least {lo}; got {_show(i)}.")
    if hi is not None and i > hi:
        raise OptionError(f"{name} must be at most {hi}; got {_show(i)}.")
    return i


def flag(name: str, v: Any) -> bool:
    if isinstance(v, bool) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "b"):
        return bool(v)
    raise OptionError(f"{name} must be True or False, not {_show(v)}.")


def text(name: str, v: Any, choices: tuple[str, ...] | None = None) -> str | None:
    """None, or a string (one of ``choices`` when given)."""
    if v is None:
        return None
    if not isinstance(v, str):
        raise OptionError(f"{name} must be a string, not {_show(v)}.")
    if choices is not None and v not in choices:
        raise OptionError(f'Unknown {name} "{v}". Use one of: {", ".join(choices)}.' + did_you_mean(v, choices))
    return v


def infer_args(
    output_type: Any, anomaly_format: Any, k: Any, exclude_self_matches: Any, id_column: Any, factor_scores: Any,
    prob_columns: Any, model_version_id: Any = None,
) -> None:  # fmt: skip
    text("output type", output_type, OUTPUT_TYPES)
    text("anomaly_format", anomaly_format, ANOMALY_FORMATS)
    if k is not None:
        whole("k", k, 1, K_MAX)
    flag("exclude_self_matches", exclude_self_matches)
    flag("factor_scores", factor_scores)
    flag("prob_columns", prob_columns)
    text("id_column", id_column)
    text("model_version_id", model_version_id)


def train_args(
    model_type: Any, label_column: Any, name: Any, input_columns: Any, params: Any, id_column: Any, wait: Any
) -> None:
    text("model_type", model_type)
    text("label_column", label_column)
    text("name", name)
    text("id_column", id_column)
    flag("wait", wait)
    columns_ok = isinstance(input_columns, list | tuple) and all(isinstance(c, str) for c in input_columns)
    if input_columns is not None and not isinstance(input_columns, str) and not columns_ok:
        raise OptionError(f"input_columns must be a list of column names, not {_show(input_columns)}.")
    if params is not None:
        if not isinstance(params, Mapping):
            raise OptionError(f"params must be a dict of training parameters, not {_show(params)}.")
        for key, value in params.items():
            if not isinstance(key, str):
                raise OptionError(f"params keys must be strings, not {_show(key)}.")
            if isinstance(value, float) and not math.isfinite(value):
                raise OptionError(f"params {key} must be a finite number, not {value}.")


def list_args(status: Any, type: Any, limit: Any) -> None:
    text("job status", status, STATUSES)
    text("job type", type, JOB_TYPES)
    whole("limit", limit, 1)


def prune_days(older_than_days: Any) -> float:
    v = older_than_days
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        raise OptionError(f"older_than_days must be a number of days, not {_show(v)}.")
    if not 0 <= float(v) <= PRUNE_MAX_DAYS:
        raise OptionError(f"older_than_days must be from 0 to {PRUNE_MAX_DAYS}; got {float(v):g}.")
    return float(v)
