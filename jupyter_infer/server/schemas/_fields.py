"""The field types of the request schemas: each declares what openapi.json says about a field and parses it as the
API always has (form strings and JSON values alike), failing with the API's own words (a 422 naming the field).

Validators raise ``OptionError`` directly (pydantic passes exceptions that are not ``ValueError`` through), so a
request is refused with the same ``detail`` whether it comes from a form, a query string or a JSON body.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from annotated_types import GroupedMetadata
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from ..._exceptions import InferError, OptionError
from ...engine.options import flag_from_text

M = TypeVar("M", bound=BaseModel)


class Request(BaseModel):
    """A request's fields: unknown ones are ignored, as the API always has."""

    model_config = ConfigDict(extra="ignore", arbitrary_types_allowed=True)


class Missing:
    """Field metadata: the error (and its ``detail``) of a request without this required field."""

    def __init__(self, detail: str, error: type[InferError] = OptionError) -> None:
        self.detail = detail
        self.error = error


def parse_bool(name: str, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if v is None:
        return False
    return flag_from_text(name, v)


def parse_int(
    name: str, v: Any, lo: int | None = None, hi: int | None = None, default: int | None = None
) -> int | None:
    if v is None or v == "":
        return default
    if isinstance(v, bool):
        raise OptionError(f"{name} must be a whole number, not {v!r}.")
    try:
        i = int(str(v).strip())
    except ValueError:
        raise OptionError(f'{name} must be a whole number, not "{v}".') from None
    if lo is not None and i < lo:
        raise OptionError(f"{name} must be at least {lo}; got {i}.")
    if hi is not None and i > hi:
        raise OptionError(f"{name} must be at most {hi}; got {i}.")
    return i


def _text(v: Any, info: Any) -> str | None:
    if v is None or v == "":
        return None
    if not isinstance(v, str):
        raise OptionError(f"{info.field_name} must be a string.")
    return v


Str = Annotated[str | None, BeforeValidator(_text)]
"""An optional string: empty means not given; anything else but a string is refused."""


@dataclass(frozen=True)
class Whole(GroupedMetadata):
    """Field metadata: a whole number from JSON or text, in [lo, hi], else ``default`` when not given; ``shown``:
    what openapi.json says instead of the bounds (a route may cut a value to a maximum rather than refuse it)."""

    lo: int | None = None
    hi: int | None = None
    default: int | None = None
    shown: dict[str, Any] | None = None

    def __iter__(self) -> Iterator[Any]:
        if self.shown is not None:
            yield WithJsonSchema(self.shown)
        else:
            yield Field(ge=self.lo, le=self.hi)
        yield BeforeValidator(lambda v, info: parse_int(info.field_name, v, self.lo, self.hi, self.default))


def _flag(v: Any, info: Any) -> bool:
    return parse_bool(info.field_name, v)


Flag = Annotated[bool, BeforeValidator(_flag)]
"""A boolean from JSON or text (true/false, 1/0, yes/no, on/off; empty is false)."""

Shown = WithJsonSchema
"""Field metadata of a field (typed ``Any``) that openapi.json describes with this schema and that one function
elsewhere parses (the inference options, the executor, the training params): passed through here as sent."""


def _missing(model: type[BaseModel], loc: tuple[Any, ...]) -> Missing | None:
    for i, key in enumerate(loc):
        field = model.model_fields.get(str(key))
        if field is None:
            return None
        if i == len(loc) - 1:
            return next((m for m in field.metadata if isinstance(m, Missing)), None)
        inner = field.annotation
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            return None
        model = inner
    return None


def validate(model: type[M], data: dict[str, Any]) -> M:
    """``data`` as a ``model``, or a 422 whose ``detail`` names the field and what is wrong with it."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(x) for x in err["loc"]) or "the body"
        missing = _missing(model, err["loc"]) if err["type"] == "missing" else None
        if missing is not None:
            raise missing.error(missing.detail) from None
        if err["type"] == "missing":
            raise OptionError(f"{where} is required.") from None
        raise OptionError(f"{where}: {err['msg']}.") from None
