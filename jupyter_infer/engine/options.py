"""The inference options, each written once: name, type, choices, default and help (``InferOptions.fields()``).

``InferOptions`` is the one options type of inference, frozen and typed with ``Literal``s. ``InferOptions.build`` is
the one way a front end makes it from what it received (keyword arguments, a JSON body, a form's text fields, an
argparse namespace); the constructor checks every value (the one place an option's type and choices are checked)
and ``resolve`` checks the options against a model type, once. The HTTP schemas, the magics' and the command line's
help derive from ``InferOptions.fields()``. Training params live in ``engine.params``; their names stay importable
from here, as do the model types and ``did_you_mean`` (``engine._choices``).
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal, cast, get_args, get_type_hints

from .._exceptions import OptionError
from ._choices import MODEL_TYPES, ModelType, check_model_type, choice, did_you_mean, show
from .params import PARAMS, TRAINING_MODE_HELP, TRAINING_MODES, check_params

OutputType = Literal["json", "csv", "parquet"]
AnomalyFormat = Literal["ids_only", "per_row"]
ExecutorName = Literal["local", "dask"]

OUTPUT_TYPES: tuple[OutputType, ...] = get_args(OutputType)
ANOMALY_FORMATS: tuple[AnomalyFormat, ...] = get_args(AnomalyFormat)
EXECUTORS: tuple[ExecutorName, ...] = get_args(ExecutorName)
K_MAX = 10_000  # nearest matches per row, on every front end
SUFFIXES: dict[str, OutputType] = {
    ".json": "json",
    ".jsonl": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}

__all__ = [
    "ANOMALY_FORMATS",
    "DASK_SCHEDULER_ENV",
    "EXECUTORS",
    "K_MAX",
    "LOCAL_CLUSTER",
    "MODEL_TYPES",
    "OUTPUT_TYPES",
    "PARAMS",
    "TRAINING_MODES",
    "TRAINING_MODE_HELP",
    "InferOptions",
    "ModelType",
    "OptionSpec",
    "OutputType",
    "check_model_type",
    "check_output_type",
    "check_params",
    "choice",
    "did_you_mean",
    "output_type_for",
    "resolve_executor",
    "show",
]


def check_output_type(value: Any, name: str = "output type") -> OutputType:
    """The one check of an output type, whatever a front end calls it (``output_type``, the magic's and the command
    line's ``--format``, the HTTP ``response_format``): json, csv or parquet."""
    return cast(OutputType, choice(name, value, OUTPUT_TYPES))


def output_type_for(path: Any, given: Any = None, how: str = "name the format") -> OutputType:
    """The output type of a file to write: ``given``, else the one its extension names (.json/.jsonl, .csv,
    .parquet/.pq). ``how``: what the message tells a person to do when the name says nothing (e.g. "add --format")."""
    if given is not None:
        return check_output_type(given)
    name = str(path).replace("\\", "/").rsplit("/", 1)[-1]
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in SUFFIXES:
        raise OptionError(f"Cannot tell the format from the file name {name}; use .json, .csv or .parquet or {how}.")
    return SUFFIXES[suffix]


# ---- the options ------------------------------------------------------------------------------------------------
_SPECS: dict[type, tuple[OptionSpec, ...]] = {}


@dataclass(frozen=True)
class OptionSpec:
    """One option as a front end needs it; the HTTP schemas, the magics' and the CLI's help derive from it.
    ``python_type`` is the field's annotation (a ``Literal``, ``int | None``, ``bool``, ``str | None``)."""

    name: str
    python_type: Any
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    applies_to: tuple[ModelType, ...] = MODEL_TYPES  # the model types it may be given for
    flag: str | None = None  # its command-line flag when not --<name-with-dashes>
    metavar: str | None = None  # how a flag's help names its value, when not its choices or N

    def as_flag(self, help: str | None = None) -> tuple[str, dict[str, Any]]:
        """This option as a command-line flag: the flag and argparse's keywords (its dest is the option's name).
        ``%%infer`` and ``jupyter-infer infer`` add every option this way: a new option is a flag on both."""
        kw: dict[str, Any] = {"dest": self.name, "help": help or self.help}
        if self.python_type is bool:
            kw["action"] = "store_true"
        elif self.choices is not None:
            kw["metavar"] = "{" + ",".join(self.choices) + "}"
        elif self.minimum is not None:
            kw.update(type=int, metavar=self.metavar or "N")
        else:
            kw["metavar"] = self.metavar or self.name.upper()
        return self.flag or "--" + self.name.replace("_", "-"), kw


def _meta(help: str, **more: Any) -> dict[str, Any]:
    """A field's metadata: its help, and its choices, bounds and model types where it has them."""
    return {"help": help, **more}


def whole(name: str, v: Any, lo: int, hi: int | None = None) -> int:
    """A Python or numpy int (never a bool or a float) within [lo, hi] (no upper bound when ``hi`` is None)."""
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise OptionError(f"{name} must be a whole number, not {show(v)}.")
    i = int(v)
    if i < lo:
        raise OptionError(f"{name} must be at least {lo}; got {show(i)}.")
    if hi is not None and i > hi:
        raise OptionError(f"{name} must be at most {hi}; got {show(i)}.")
    return i


def flag(name: str, v: Any) -> bool:
    """True or False (a numpy bool too)."""
    if isinstance(v, bool) or (hasattr(v, "dtype") and getattr(v.dtype, "kind", "") == "b"):
        return bool(v)
    raise OptionError(f"{name} must be True or False, not {show(v)}.")


def flag_from_text(name: str, v: Any) -> bool:
    """A form's or a query string's yes or no ("true", "1", "on", "off", "" ...) as True or False."""
    text = str(v).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise OptionError(f'{name} must be true or false, not "{v}".')


def _from_text(spec: OptionSpec, v: Any) -> Any:
    """A form's or a query string's value as its option's type ("3" -> 3, "true" -> True); typed values pass."""
    if spec.python_type is bool and isinstance(v, str | int) and not isinstance(v, bool):
        return flag_from_text(spec.name, v)
    if spec.minimum is not None and isinstance(v, str):
        try:
            return int(v.strip())
        except ValueError:
            raise OptionError(f'{spec.name} must be a whole number, not "{v}".') from None
    return v


@dataclass(frozen=True)
class InferOptions:
    """How to score. Every value is checked when the options are made; ``resolve`` checks them against a model
    type and fills in that type's defaults, once."""

    output_type: OutputType = field(
        default="json",
        metadata=_meta("the result's format: json, csv or parquet", choices=OUTPUT_TYPES, flag="--format"),
    )
    anomaly_format: AnomalyFormat | None = field(
        default=None,
        metadata=_meta(
            "anomaly models: ids_only (default: the anomalous ids) or per_row (a flag and a score per row)",
            choices=ANOMALY_FORMATS,
            applies_to=("anomaly",),
        ),
    )
    k: int | None = field(
        default=None,
        metadata=_meta(
            "search models: the k nearest matches per row (default 1)",
            minimum=1,
            maximum=K_MAX,
            applies_to=("search",),
            flag="-k",
        ),
    )
    exclude_self_matches: bool = field(
        default=False,
        metadata=_meta(
            "search models: a query row may not match itself", applies_to=("search",), flag="--exclude-self"
        ),
    )
    id_column: str | None = field(
        default=None,
        metadata=_meta("use this column's values as the output id instead of the row position", metavar="COL"),
    )
    factor_scores: bool = field(
        default=False,
        metadata=_meta(
            "factors models: per-row factor scores instead of the per-factor table", applies_to=("factors",)
        ),
    )
    prob_columns: bool = field(
        default=False,
        metadata=_meta(
            "prediction models (classification): a prob_<class> column per class", applies_to=("prediction",)
        ),
    )
    _resolved_for: str | None = field(default=None, init=False, repr=False, compare=False)  # see resolve

    def __post_init__(self) -> None:
        """The one check of each option's value (its type, choices and bounds); numpy scalars become Python's."""
        for spec in self.fields():
            v = getattr(self, spec.name)
            if v is None:
                v = spec.default
            elif spec.choices is not None:
                v = choice("output type" if spec.name == "output_type" else spec.name, v, spec.choices)
            elif spec.python_type is bool:
                v = flag(spec.name, v)
            elif spec.minimum is not None:
                v = whole(spec.name, v, spec.minimum, spec.maximum or K_MAX)
            elif not isinstance(v, str):
                raise OptionError(f"{spec.name} must be a string, not {show(v)}.")
            object.__setattr__(self, spec.name, v)

    @classmethod
    def build(
        cls,
        values: Mapping[str, Any] | Any = None,
        /,
        *,
        text: bool = False,
        defaults: Mapping[str, Any] | None = None,
        **given: Any,
    ) -> InferOptions:
        """The one way a front end makes options from what it received: ``values`` is a mapping (a JSON body, a
        form's fields) or an argparse namespace (its dests named as the options), ``given`` keyword arguments on
        top. Keys that are not options are ignored; an option left out (None, or "" in text) takes ``defaults``,
        else its default. ``text``: the values may come as text, as a form or a query string sends them ("3",
        "true"); otherwise each must already have its type (k an int, the flags True or False)."""
        src = {**(values if isinstance(values, Mapping) else vars(values) if values is not None else {}), **given}
        kw: dict[str, Any] = {}
        for spec in cls.fields():
            v = src.get(spec.name)
            if v is None or (text and v == "" and spec.python_type is not bool):
                v = (defaults or {}).get(spec.name)
            if v is not None:
                kw[spec.name] = _from_text(spec, v) if text else v
        return cls(**kw)

    @classmethod
    def fields(cls) -> list[OptionSpec]:
        """Every option described: name, type, default, help, choices, bounds and the model types it applies to."""
        specs = _SPECS.get(cls)
        if specs is None:  # described once per process: reading the annotations took ~0.3 ms, several times a job
            specs = _SPECS[cls] = cls._describe()
        return list(specs)

    @classmethod
    def _describe(cls) -> tuple[OptionSpec, ...]:
        hints = get_type_hints(cls)
        return tuple(
            OptionSpec(
                f.name,
                hints[f.name],
                None if f.default is MISSING else f.default,
                f.metadata["help"],
                f.metadata.get("choices"),
                f.metadata.get("minimum"),
                f.metadata.get("maximum"),
                f.metadata.get("applies_to", MODEL_TYPES),
                f.metadata.get("flag"),
                f.metadata.get("metavar"),
            )
            for f in fields(cls)
            if "help" in f.metadata
        )

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(spec.name for spec in cls.fields())

    def resolve(self, model_type: str) -> InferOptions:
        """These options for a model of ``model_type``: one that does not apply to it is an error, and the type's
        defaults are filled in (anomaly_format ids_only, k 1). Options resolved for this type come back as they
        are, so the check runs once however many layers a job passes through."""
        if self._resolved_for == model_type:
            return self
        for spec in self.fields():
            if model_type not in spec.applies_to and getattr(self, spec.name) not in (None, False):
                only = " and ".join(spec.applies_to)
                raise OptionError(f"{spec.name} applies to {only} models only; this is a {model_type} model.")
        out = copy.copy(self)  # checked already: no second pass through the constructor
        if model_type == "anomaly" and self.anomaly_format is None:
            object.__setattr__(out, "anomaly_format", "ids_only")
        if model_type == "search" and self.k is None:
            object.__setattr__(out, "k", 1)
        object.__setattr__(out, "_resolved_for", model_type)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The options by name: what a job's request stores and a result's metadata records."""
        return {name: getattr(self, name) for name in self.names()}


# ---- where a batch job runs ---------------------------------------------------------------------------------------
DASK_SCHEDULER_ENV = "JUPYTER_INFER_DASK_SCHEDULER"
# scheduler="local-cluster": a Dask LocalCluster started on this machine (executor="local" is the embedded engine, no
# Dask at all). "local" is its older spelling, still accepted everywhere.
LOCAL_CLUSTER = "local-cluster"
LOCAL_CLUSTER_ALIASES = (LOCAL_CLUSTER, "local")


def is_local_cluster(scheduler: str | None) -> bool:
    """True for a scheduler that names a LocalCluster on this machine ("local-cluster", or "local")."""
    return scheduler in LOCAL_CLUSTER_ALIASES


def resolve_executor(
    executor: str | None, scheduler: str | None, default_scheduler: str | None = None
) -> tuple[ExecutorName | None, str | None]:
    """Where a batch job runs, from what the caller asked and this process's default scheduler
    (``$JUPYTER_INFER_DASK_SCHEDULER``): ``("local", None)`` (the embedded engine), ``("dask", address)``,
    ``("dask", None)`` for a LocalCluster sized to the machine (scheduler "local-cluster"), or ``(None, None)`` when
    nothing was asked and there is no default here (the process that runs the job applies its own default: a
    server's environment, else the embedded engine).

    An explicit ``executor="local"`` wins over the default; a scheduler alone implies ``executor="dask"``."""
    chosen = None if executor in (None, "") else choice("executor", executor, EXECUTORS)
    if scheduler is not None and not isinstance(scheduler, str):
        raise OptionError(f"scheduler must be an address string such as tcp://host:8786, not {show(scheduler)}.")
    scheduler = scheduler.strip() if scheduler else None
    if chosen == "local":
        if scheduler:
            raise OptionError(f'scheduler "{scheduler}" applies to executor="dask"; drop it or use executor="dask".')
        return "local", None
    default = default_scheduler.strip() if default_scheduler else None
    address = scheduler or default
    if address:
        return "dask", None if is_local_cluster(address) else address
    return ("dask", None) if chosen == "dask" else (None, None)
