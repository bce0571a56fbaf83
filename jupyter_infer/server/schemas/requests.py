"""What each route takes: JSON bodies, multipart forms and query strings, declared once. The routes validate their
requests with these models and openapi.json is generated from them.

The inference option fields are derived from ``engine.options.InferOptions.fields()`` (names, choices, bounds); like the executor fields they are parsed by one function each in
``routes/_options.py``, so here they only say what openapi.json shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, create_model
from pydantic.json_schema import SkipJsonSchema

from ..._exceptions import InputError, OptionError
from ...client._args import PRUNE_MAX_DAYS, prune_days
from ...engine.options import EXECUTORS, MODEL_TYPES, OUTPUT_TYPES, InferOptions, OptionSpec
from ...engine.params import TRAINING_MODE_NAMES
from .._multipart import UploadedFile
from ._fields import Flag, Missing, Request, Shown, Str, parse_int

M = TypeVar("M", bound=BaseModel)
STRING = {"type": "string"}
BOOLEAN = {"type": "boolean"}
OBJECT = {"type": "object"}
NEEDS_FILE = 'The multipart body needs a non-empty "file" part (CSV, Parquet or JSON).'


# ---- the inference options, from InferOptions -----------------------------------------------------------------
def option_schema(spec: OptionSpec) -> dict[str, Any]:
    """openapi.json's schema of one inference option: its choices, else its type (and lower bound)."""
    if spec.choices is not None:
        return {"type": "string", "enum": list(spec.choices)}
    if spec.python_type is bool:
        return dict(BOOLEAN)
    if spec.minimum is not None:
        return {"type": "integer", "minimum": spec.minimum}
    return dict(STRING)


def shown(schema: dict[str, Any]) -> Any:
    """A field typed ``Any`` that openapi.json describes with ``schema``."""
    return Annotated[Any, Shown(schema)]


OPTION_FIELDS: dict[str, Any] = {spec.name: (shown(option_schema(spec)), None) for spec in InferOptions.fields()}
OPTION_FIELDS["model_version_id"] = (shown(STRING), None)  # the version to score with (default: the newest ready)
EXECUTOR_FIELDS: dict[str, Any] = {
    "executor": (shown({"type": "string", "enum": list(EXECUTORS)}), None),
    "scheduler": (shown({**STRING, "description": "a Dask scheduler address (tcp://host:port), or local"}), None),
}


def with_options(*, executor: bool = False, params: bool = False, sync: bool = False) -> Callable[[type[M]], type[M]]:
    """Add the inference option fields to a request model (``executor``: where a background job runs, also
    inside ``params`` when ``params``; ``sync``: the reply's ``response_format``)."""
    fields = dict(OPTION_FIELDS)
    if executor:
        fields.update(EXECUTOR_FIELDS)
    if params:  # {"params": {"executor": ..., "scheduler": ...}} as well as top-level fields
        fields["params"] = (shown(OBJECT), None)
    if sync:  # extension: the reply's encoding when it differs from the output_type recorded on the job
        fields["response_format"] = (shown({"type": "string", "enum": list(OUTPUT_TYPES)}), None)

    def add(model: type[M]) -> type[M]:
        made = create_model(
            model.__name__, __base__=model, __module__=model.__module__, __doc__=model.__doc__, **fields
        )
        return cast("type[M]", made)

    return add


# ---- fields of several requests -------------------------------------------------------------------------------
def _file(v: Any) -> UploadedFile:
    if not isinstance(v, UploadedFile) or not v.size:
        raise InputError(NEEDS_FILE)
    return v


FilePart = Annotated[
    UploadedFile,
    BeforeValidator(_file),
    WithJsonSchema({"type": "string", "format": "binary"}),
    Missing(NEEDS_FILE, InputError),
]
"""A multipart file part, streamed to the store's uploads/ (it must not be empty)."""


class DatasetFields(Request):
    """Where an upload goes: a new version of ``dataset_id``, else of the dataset ``dataset_name``, else a new
    dataset named after the file."""

    dataset_name: Str = None
    description: Str = None
    dataset_id: Str = None
    override: Annotated[Any, Shown(BOOLEAN)] = None
    name: SkipJsonSchema[Str] = None  # an older spelling of dataset_name


# ---- datasets -------------------------------------------------------------------------------------------------
class DatasetForm(DatasetFields):
    """``POST /datasets``: a file up to the body cap."""

    file: FilePart


def _upload_name(v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise OptionError("file.filename must be a non-empty string.")
    return v


def _upload_size(v: Any) -> int:
    size = parse_int("file.bytes", v, lo=1, hi=1 << 50)
    if size is None:
        raise OptionError("file.bytes (the file size) is required.")
    return size


def _content_type(v: Any) -> str | None:
    if v is not None and not isinstance(v, str):
        raise OptionError("file.content_type must be a string.")
    return v


class UploadSpec(Request):
    filename: Annotated[str, BeforeValidator(_upload_name), Missing("file.filename must be a non-empty string.")]
    bytes: Annotated[
        int, Field(ge=1), BeforeValidator(_upload_size), Missing("file.bytes (the file size) is required.")
    ]
    content_type: Annotated[str | None, BeforeValidator(_content_type)] = None


UPLOAD_SPEC = 'The body needs "file": {"filename", "bytes", "content_type"}.'


def _upload_spec(v: Any) -> Any:
    if not isinstance(v, dict):
        raise OptionError(UPLOAD_SPEC)
    return v


class UploadBody(DatasetFields):
    """``POST /datasets/upload``: the file to expect at the signed upload URL."""

    file: Annotated[UploadSpec, BeforeValidator(_upload_spec), Missing(UPLOAD_SPEC)]


# ---- models ---------------------------------------------------------------------------------------------------
def _columns(v: Any) -> list[str] | None:
    if v is not None and (not isinstance(v, list) or not all(isinstance(c, str) for c in v)):
        raise OptionError("input_columns must be a list of column names.")
    return v


def _params(v: Any) -> dict[str, Any]:
    if not v:
        return {}
    if not isinstance(v, dict):
        raise OptionError("params must be an object of training parameters.")
    return dict(v)


class TrainBody(Request):
    """``POST /models/train``. ``model_type`` may be left out when ``model_id`` names the model to retrain."""

    model_config = ConfigDict(json_schema_extra={"required": ["model_type"]})

    model_type: Annotated[Str, Shown({"type": "string", "enum": list(MODEL_TYPES)})] = None
    dataset_id: Str = None
    dataset_version_id: Str = None
    label_column: Str = None
    input_columns: Annotated[list[str] | None, BeforeValidator(_columns)] = None
    training_mode: Annotated[Any, Shown({"type": "string", "enum": list(TRAINING_MODE_NAMES)})] = None
    params: Annotated[dict[str, Any], BeforeValidator(_params), WithJsonSchema(OBJECT)] = {}
    model_name: Str = None
    model_id: Str = None
    id_column: Str = None
    force_retrain: Annotated[Any, Shown(BOOLEAN)] = None
    name: SkipJsonSchema[Str] = None  # older spellings of model_name and dataset_id
    dataset_name: SkipJsonSchema[Str] = None


# ---- inference ------------------------------------------------------------------------------------------------
@with_options(sync=True)
class InferForm(Request):
    """``POST /models/{model_id}/infer``: sync inference on a file up to the body cap; csv by default."""

    file: FilePart


@with_options(executor=True)
class InferAsyncForm(Request):
    """``POST /models/{model_id}/infer-async`` with a multipart upload."""

    file: FilePart


NEEDS_PATH = 'Send a multipart "file" or JSON {"path": "<file under the server root>"}.'


def _path(v: Any) -> str:
    if not isinstance(v, str) or not v:
        raise OptionError(NEEDS_PATH)
    return v


def _output_path(v: Any) -> str | None:
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        raise OptionError("output_path must be a path under the server root.")
    return v


@with_options(executor=True, params=True)
class InferAsyncBody(Request):
    """``POST /models/{model_id}/infer-async`` on a file under the server root, written to ``output_path``."""

    path: Annotated[str, BeforeValidator(_path), Missing(NEEDS_PATH)]
    output_path: Annotated[str | None, BeforeValidator(_output_path)] = None


@with_options(executor=True, params=True)
class InferBatchBody(Request):
    """``POST /models/{model_id}/infer-batch`` on a stored dataset."""

    dataset_id: Str = None
    dataset_version_id: Str = None
    force_rerun: Flag = False
    dataset_name: SkipJsonSchema[Str] = None  # an older spelling of dataset_id


# ---- jobs -----------------------------------------------------------------------------------------------------
PRUNE_DAYS = f"older_than_days must be a number of days from 0 to {PRUNE_MAX_DAYS}."


class PruneBody(Request):
    """``POST /jobs/prune``."""

    older_than_days: Annotated[float, Field(ge=0, le=PRUNE_MAX_DAYS), BeforeValidator(prune_days), Missing(PRUNE_DAYS)]
