"""Checking a word against the words it may be: the model types, a did-you-mean, values shown short in messages."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any, Literal, cast, get_args

from .._exceptions import InputError, OptionError

ModelType = Literal["prediction", "clustering", "anomaly", "embedding", "search", "factors"]
MODEL_TYPES: tuple[ModelType, ...] = get_args(ModelType)


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """' Did you mean "x"?' or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""


def show(v: Any) -> str:
    """A value for a message: its repr, cut short (a 5000-digit number has no repr at all)."""
    try:
        text = repr(v)
    except ValueError:
        return f"a {type(v).__name__} too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


def choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """``value`` if it is one of ``choices``; else an OptionError that lists them and suggests the closest."""
    if not isinstance(value, str):
        raise OptionError(f"{name} must be one of {', '.join(choices)}, not {show(value)}.")
    if value not in choices:
        raise OptionError(f'Unknown {name} "{value}". Use one of: {", ".join(choices)}.' + did_you_mean(value, choices))
    return value


def check_model_type(model_type: Any) -> ModelType:
    """One of the six model types (an OptionError with a did-you-mean otherwise)."""
    return cast(ModelType, choice("model type", model_type, MODEL_TYPES))


def check_columns(columns: Sequence[Any], names: Sequence[str], what: str) -> None:
    """Each of ``names`` is one of the training data's ``columns``; else an InputError with a did-you-mean."""
    known = [str(c) for c in columns]
    for c in names:
        if c not in columns:
            raise InputError(f'{what} "{c}" is not a column of the training data.' + did_you_mean(c, known))
