"""The client's arguments other than inference options (``InferOptions`` checks those), checked once at the facade
before either backend sees them, so that the same bad argument raises the same exception class (an
``OptionError``) on the embedded engine and over HTTP."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from .._exceptions import OptionError
from ..engine.options import choice, flag, show, whole
from ..store import JOB_TYPES, STATUSES

PRUNE_MAX_DAYS = 36_500


def text(name: str, v: Any, choices: tuple[str, ...] | None = None) -> str | None:
    """None, or a string (one of ``choices`` when given)."""
    if v is None:
        return None
    if not isinstance(v, str):
        raise OptionError(f"{name} must be a string, not {show(v)}.")
    return choice(name, v, choices) if choices is not None else v


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
        raise OptionError(f"input_columns must be a list of column names, not {show(input_columns)}.")
    if params is not None:
        if not isinstance(params, Mapping):
            raise OptionError(f"params must be a dict of training parameters, not {show(params)}.")
        for key, value in params.items():
            if not isinstance(key, str):
                raise OptionError(f"params keys must be strings, not {show(key)}.")
            if isinstance(value, float) and not math.isfinite(value):
                raise OptionError(f"params {key} must be a finite number, not {value}.")


def list_args(status: Any, type: Any, limit: Any) -> None:
    text("job status", status, STATUSES)
    text("job type", type, JOB_TYPES)
    whole("limit", limit, 1)


def prune_days(older_than_days: Any) -> float:
    v = older_than_days
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
        raise OptionError(f"older_than_days must be a number of days, not {show(v)}.")
    if not 0 <= float(v) <= PRUNE_MAX_DAYS:
        raise OptionError(f"older_than_days must be from 0 to {PRUNE_MAX_DAYS}; got {float(v):g}.")
    return float(v)
