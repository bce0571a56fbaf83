"""Training params and inference options: their names, defaults and which model types they apply to."""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass
from typing import Any

from .._exceptions import OptionError

MODEL_TYPES = ("prediction", "clustering", "anomaly", "embedding", "search", "factors")
OUTPUT_TYPES = ("json", "csv", "parquet")
ANOMALY_FORMATS = ("ids_only", "per_row")

# param name -> the model types it applies to
PARAMS: dict[str, tuple[str, ...]] = {
    "training_mode": MODEL_TYPES,
    "task": ("prediction",),
    "n_clusters": ("clustering",),
    "contamination": ("anomaly",),
    "n_factors": ("factors",),
    "n_components": ("embedding", "search"),
}


# What params training_mode does per model type (default "best"); the magics' help and the README show it.
TRAINING_MODES: dict[str, str] = {
    "prediction": "best compares gradient boosting, a random forest and a regularized linear model on 3-fold "
    "cross-validation (one holdout of 20 percent above 20,000 rows) and keeps the best or a blend of the top two; fast fits "
    "one gradient boosting, fitted once on 80 percent of the rows and stopped early on the other 20",
    "clustering": "fast chooses k on a sample of at most 5,000 rows (best: 20,000)",
    "anomaly": "fast grows 100 isolation trees instead of 200",
    "embedding": "fast checks the kept neighbourhoods on 300 sampled rows instead of 1,000",
    "search": "fast checks the kept neighbourhoods on 300 rows and skips timing the index kinds",
    "factors": "fast runs parallel analysis with 5 shuffles instead of 20",
}
TRAINING_MODE_HELP = "training_mode=fast|best (default best): " + "; ".join(
    f"{t}: {text}" for t, text in TRAINING_MODES.items()
)


def did_you_mean(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """' Did you mean "x"?' or an empty string."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f' Did you mean "{close[0]}"?' if close else ""


def check_model_type(model_type: str) -> str:
    if model_type not in MODEL_TYPES:
        raise OptionError(
            f'Unknown model type "{model_type}". Use one of: {", ".join(MODEL_TYPES)}.'
            + did_you_mean(model_type, MODEL_TYPES)
        )
    return model_type


def _short(v: Any) -> str:
    """A value for a message: its repr, cut short (a 5000-digit number has no repr at all)."""
    try:
        text = repr(v)
    except ValueError:
        return f"a {type(v).__name__} too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


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
            if value not in ("fast", "best"):
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


@dataclass
class InferOptions:
    """How to score: what the caller asked for, validated against the model type by ``resolve``."""

    output_type: str = "json"
    anomaly_format: str | None = None  # default ids_only (anomaly only)
    k: int | None = None  # default 1 (search only)
    exclude_self_matches: bool = False  # search only
    id_column: str | None = None
    factor_scores: bool = False  # factors only: per-row scores instead of the per-factor table
    prob_columns: bool = False  # prediction (classification) only: prob_<class> per class

    def resolve(self, model_type: str) -> InferOptions:
        if self.output_type not in OUTPUT_TYPES:
            raise OptionError(
                f'Unknown output type "{self.output_type}". Use json, csv or parquet.'
                + did_you_mean(self.output_type, OUTPUT_TYPES)
            )
        o = InferOptions(**asdict(self))
        if o.anomaly_format is not None and model_type != "anomaly":
            raise OptionError(f"anomaly_format applies to anomaly models only; this is a {model_type} model.")
        if model_type == "anomaly":
            o.anomaly_format = o.anomaly_format or "ids_only"
            if o.anomaly_format not in ANOMALY_FORMATS:
                raise OptionError(
                    f'Unknown anomaly_format "{o.anomaly_format}". Use ids_only or per_row.'
                    + did_you_mean(o.anomaly_format, ANOMALY_FORMATS)
                )
        if o.k is not None and model_type != "search":
            raise OptionError(f"k applies to search models only; this is a {model_type} model.")
        if o.exclude_self_matches and model_type != "search":
            raise OptionError(f"exclude_self_matches applies to search models only; this is a {model_type} model.")
        if model_type == "search":
            k = 1 if o.k is None else o.k
            try:
                k = int(k)
            except (TypeError, ValueError, OverflowError):
                raise OptionError(f"k must be a whole number, not {o.k!r}.") from None
            if k <= 0:
                raise OptionError(f"k must be at least 1; got {k}.")
            o.k = k
        if o.factor_scores and model_type != "factors":
            raise OptionError(f"factor_scores applies to factors models only; this is a {model_type} model.")
        if o.prob_columns and model_type != "prediction":
            raise OptionError(f"prob_columns applies to prediction models only; this is a {model_type} model.")
        return o

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


EXECUTORS = ("local", "dask")
DASK_SCHEDULER_ENV = "JUPYTER_INFER_DASK_SCHEDULER"
LOCAL_CLUSTER = "local"  # scheduler="local": a LocalCluster on this machine


def resolve_executor(
    executor: str | None, scheduler: str | None, default_scheduler: str | None = None
) -> tuple[str | None, str | None]:
    """Where a batch job runs, from what the caller asked and this process's default scheduler
    (``$JUPYTER_INFER_DASK_SCHEDULER``): ``("local", None)``, ``("dask", address)``, ``("dask", None)`` for a
    LocalCluster sized to the machine, or ``(None, None)`` when nothing was asked and there is no default here
    (the process that runs the job applies its own default: a server's environment, else the local engine).

    An explicit ``executor="local"`` wins over the default; a scheduler alone implies ``executor="dask"``."""
    if executor in (None, ""):
        executor = None
    elif executor not in EXECUTORS:
        raise OptionError(
            f'Unknown executor "{executor}"; use "local" or "dask".' + did_you_mean(str(executor), EXECUTORS)
        )
    if scheduler is not None and not isinstance(scheduler, str):
        raise OptionError(f"scheduler must be an address string such as tcp://host:8786, not {scheduler!r}.")
    scheduler = scheduler.strip() if scheduler else None
    if executor == "local":
        if scheduler:
            raise OptionError(f'scheduler "{scheduler}" applies to executor="dask"; drop it or use executor="dask".')
        return "local", None
    if scheduler == LOCAL_CLUSTER:
        return "dask", None
    if scheduler:
        return "dask", scheduler
    default = default_scheduler.strip() if default_scheduler else None
    if default:
        return "dask", None if default == LOCAL_CLUSTER else default
    return ("dask", None) if executor == "dask" else (None, None)
