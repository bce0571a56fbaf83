"""The inference options and the executor of a request, parsed from a form or a JSON body (strings or typed values)
into the client's ``InferRequest``: the one place the routes read them."""

from __future__ import annotations

import os
from typing import Any

from ..._exceptions import OptionError
from ...client._requests import InferRequest
from ...engine.options import (
    DASK_SCHEDULER_ENV,
    InferOptions,
    check_output_type,
    output_type_for,
    resolve_executor,
)


def infer_options(src: dict[str, Any], default_output: str) -> tuple[InferOptions, str | None]:
    """Inference options from a form or JSON body (strings or typed values), and the pinned model version."""
    mv = src.get("model_version_id") or None
    if mv is not None and not isinstance(mv, str):
        raise OptionError("model_version_id must be a string.")
    return InferOptions.build(src, text=True, defaults={"output_type": default_output}), mv


def written_as(output_path: str | None) -> str:
    """The output type of a file written under the root when the request names none: what the output_path's
    extension says (.csv, .json/.jsonl, .parquet/.pq), parquet for a name with no extension; another extension
    (.xlsx) is refused rather than filled with Parquet bytes."""
    if output_path and os.path.splitext(output_path)[1]:
        return output_type_for(output_path, how="give output_type")
    return "parquet"


def response_format(src: dict[str, Any], opts: InferOptions) -> str:
    """Sync inference's extension: the reply's encoding when it differs from the output_type recorded on the job
    (our remote client always takes parquet, whose types survive the trip)."""
    return check_output_type(src.get("response_format") or opts.output_type, "response_format")


def executor_of(src: dict[str, Any]) -> tuple[str, str | None]:
    """executor/scheduler of a request, at the top level or inside "params"; what is not chosen falls back to
    this server's $JUPYTER_INFER_DASK_SCHEDULER, else the local engine."""
    raw = src.get("params")  # {"params": {"executor": "dask", "scheduler": ...}} as well as top-level fields
    params: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ex = src.get("executor") or params.get("executor") or None
    sched = src.get("scheduler") or params.get("scheduler") or None
    if ex is not None and not isinstance(ex, str):
        raise OptionError(f'executor must be "local" or "dask", not {ex!r}.')
    executor, scheduler = resolve_executor(ex, sched, os.environ.get(DASK_SCHEDULER_ENV))
    return executor or "local", scheduler


def background_request(ref: str, src: dict[str, Any], default_output: str) -> InferRequest:
    """A background inference request of a form or JSON body: the options, the pinned version and the executor."""
    opts, mv = infer_options(src, default_output)
    executor, scheduler = executor_of(src)
    return InferRequest(ref, opts, mv, executor, scheduler)
