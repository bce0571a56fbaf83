"""Training params (SPEC §5): which model types each applies to, what training_mode does per type, and their check;
and the text of the ``--param`` and ``--columns`` flags, parsed once for the magics and the command line."""

from __future__ import annotations

import json
from typing import Any

from .._exceptions import OptionError
from ._choices import MODEL_TYPES, did_you_mean
from ._choices import show as _short

# param name -> the model types it applies to
PARAMS: dict[str, tuple[str, ...]] = {
    "training_mode": MODEL_TYPES,
    "task": ("prediction",),
    "n_clusters": ("clustering",),
    "contamination": ("anomaly",),
    "n_factors": ("factors",),
    "n_components": ("embedding", "search"),
}


TRAINING_MODE_NAMES = ("fast", "best")
# What params training_mode does per model type (default "best"); the magics' help and the README show it.
TRAINING_MODES: dict[str, str] = {
    "prediction": "best compares gradient boosting, a random forest and a regularized linear model on 3-fold "
    "cross-validation (one holdout of 20 percent above 20,000 rows) and keeps the best single model or equal-weight "
    "blend of two or three; fast fits one gradient boosting: for classes on every row (a 20 percent holdout stops it "
    "early above 10,000 rows), for numbers from a linear start with its rounds stopped on a 20 percent holdout",
    "clustering": "fast chooses k on a sample of at most 5,000 rows (best: 20,000)",
    "anomaly": "fast grows 100 isolation trees instead of 200",
    "embedding": "fast checks the kept neighbourhoods on 300 sampled rows instead of 1,000",
    "search": "fast checks the kept neighbourhoods on 300 rows and skips timing the index kinds",
    "factors": "fast runs parallel analysis with 5 shuffles instead of 20",
}
TRAINING_MODE_HELP = "training_mode=fast|best (default best): " + "; ".join(
    f"{t}: {text}" for t, text in TRAINING_MODES.items()
)


def _as_int(key: str, v: Any, lo: int, hi: int | None = None) -> int:
    try:
        i = int(v)
        if float(v) != i:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise OptionError(f"params {key} must be a whole number, not {_short(v)}.") from None
    if i < lo or (hi is not None and i > hi):
        rng = f"from {lo} to {hi}" if hi is not None else f"at least {lo}"
        raise OptionError(f"params {key} must be {rng}; got {i}.")
    return i


def check_params(model_type: str, params: dict[str, Any] | None) -> dict[str, Any]:
    """Validate and normalize training params (SPEC §5): unknown or inapplicable keys are errors."""
    out: dict[str, Any] = {}
    for key, value in (params or {}).items():
        if key not in PARAMS:
            raise OptionError(
                f'Unknown training param "{key}". Known params: {", ".join(PARAMS)}.' + did_you_mean(key, list(PARAMS))
            )
        if model_type not in PARAMS[key]:
            raise OptionError(
                f'The param "{key}" applies to {" and ".join(PARAMS[key])} models, not to {model_type} models.'
            )
        if key == "training_mode":
            if value not in TRAINING_MODE_NAMES:
                raise OptionError(f'params training_mode must be "fast" or "best", not {_short(value)}.')
        elif key == "task":
            if value not in ("classification", "regression"):
                raise OptionError(f'params task must be "classification" or "regression", not {_short(value)}.')
        elif key == "contamination":
            try:
                value = float(value)
            except (TypeError, ValueError, OverflowError):
                raise OptionError(f"params contamination must be a number in (0, 0.5], not {_short(value)}.") from None
            if not 0 < value <= 0.5:
                raise OptionError(f"params contamination must lie in (0, 0.5]; got {value}.")
        elif key == "n_clusters":
            value = _as_int(key, value, 2, 100)
        else:
            value = _as_int(key, value, 1, 256)
        out[key] = value
    out.setdefault("training_mode", "best")
    return out


def parse_params(items: list[list[str]] | list[str] | None) -> dict[str, Any]:
    """``--param KEY=VALUE`` (repeatable, several per flag); values parse as JSON when they can."""
    out: dict[str, Any] = {}
    flat: list[str] = []
    for it in items or []:
        flat.extend(it if isinstance(it, list) else [it])
    for item in flat:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise OptionError(f'--param takes KEY=VALUE (e.g. --param n_clusters=3); got "{item}".')
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        out[key.strip()] = value
    return out


def parse_columns(text: str | None) -> list[str] | None:
    """``--columns a,b,c`` as a list of names (spaces around a name dropped); None when the flag was not given."""
    if text is None:
        return None
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols:
        raise OptionError("--columns takes a comma-separated list of column names, e.g. --columns a,b,c.")
    return cols
