"""JSON in and out of the API: request bodies parsed within this server's limits (size, depth, number length, no
NaN or infinities), replies written with NaN and infinities as null."""

from __future__ import annotations

import json
from typing import Any

from .._exceptions import InferError

MAX_JSON_BYTES = 1 << 20
MAX_JSON_DEPTH = 32  # objects and arrays inside each other in a request body
MAX_JSON_NUMBER_CHARS = 40  # digits (and sign, point, exponent) of one number in a request body


class BodyJSONError(InferError):
    """A request body that is not JSON, or JSON past this server's depth and number limits."""

    status = 400


def _json_default(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if hasattr(v, "item"):
        return v.item()
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, set | frozenset | tuple):
        return list(v)
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


def dumps(obj: Any) -> str:
    """JSON with NaN and infinities as null (JSON has neither)."""
    try:
        return json.dumps(obj, default=_json_default, allow_nan=False)
    except ValueError:
        return _dumps_nan(obj)


def _dumps_nan(obj: Any) -> str:
    def fix(o: Any) -> Any:
        if (isinstance(o, float) and o != o) or o in (float("inf"), float("-inf")):
            return None
        if isinstance(o, dict):
            return {k: fix(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [fix(v) for v in o]
        return o

    return json.dumps(fix(obj), default=_json_default)


def _number(text: str) -> str:
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise BodyJSONError(
            f"the JSON body has a number of {len(text)} characters; numbers may have at most {MAX_JSON_NUMBER_CHARS}."
        )
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    v = float(_number(text))
    if v in (float("inf"), float("-inf")):
        raise BodyJSONError(f"the JSON body has the number {text}, too large for a 64-bit float.")
    return v


def _constant(name: str) -> Any:
    raise BodyJSONError(f"the JSON body has {name}, which is not JSON; send null or a number.")


def _depth(obj: Any) -> int:
    """How deeply lists and objects nest (iterative: no recursion on hostile input)."""
    deepest, todo = 0, [(obj, 1)]
    while todo:
        o, d = todo.pop()
        if isinstance(o, dict | list):
            deepest = max(deepest, d)
            todo.extend((v, d + 1) for v in (o.values() if isinstance(o, dict) else o))
    return deepest


def loads_body(raw: bytes) -> Any:
    """A request body's JSON, within the limits (depth, number size, no NaN or infinities); else a 400 that says
    which."""
    try:
        obj = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        obj = None
        depth = MAX_JSON_DEPTH + 1
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BodyJSONError(f"the body is not valid JSON: {e}") from None
    else:
        depth = _depth(obj)
    if depth > MAX_JSON_DEPTH:
        raise BodyJSONError(f"the JSON body nests lists and objects more than {MAX_JSON_DEPTH} levels deep.")
    return obj
