"""The inference options and the executor of a request, parsed from a form or a JSON body (strings or typed values):
the one place the routes read them."""

from __future__ import annotations

import os
from typing import Any

from ..._exceptions import OptionError
from ...engine.options import DASK_SCHEDULER_ENV, OUTPUT_TYPES, InferOptions, resolve_executor
from ..schemas import parse_bool, parse_int


def infer_options(src: dict[str, Any], default_output: str) -> tuple[InferOptions, str | None]:
    """Inference options from a form or JSON body (strings or typed values), and the pinned model version."""
    out = src.get("output_type") or default_output
    if not isinstance(out, str) or out not in OUTPUT_TYPES:
        raise OptionError(f'Unknown output_type "{out}". Use json, csv or parquet.')
    af = src.get("anomaly_format") or None
    if af is not None and not isinstance(af, str):
        raise OptionError("anomaly_format must be a string: ids_only or per_row.")
    idc = src.get("id_column") or None
    if idc is not None and not isinstance(idc, str):
        raise OptionError("id_column must be a column name.")
    mv = src.get("model_version_id") or None
    if mv is not None and not isinstance(mv, str):
        raise OptionError("model_version_id must be a string.")
    opts = InferOptions(
        output_type=out,
        anomaly_format=af,
        k=parse_int("k", src.get("k"), lo=1, hi=10_000),
        exclude_self_matches=parse_bool("exclude_self_matches", src.get("exclude_self_matches")),
        id_column=idc,
        factor_scores=parse_bool("factor_scores", src.get("factor_scores")),
        prob_columns=parse_bool("prob_columns", src.get("prob_columns")),
    )
    return opts, mv


def response_format(src: dict[str, Any], opts: InferOptions) -> str:
    """Sync inference's extension: the reply's encoding when it differs from the output_type recorded on the job
    (our remote client always takes parquet, whose types survive the trip)."""
    wire = src.get("response_format") or opts.output_type
    if wire not in OUTPUT_TYPES:
        raise OptionError(f'Unknown response_format "{wire}". Use json, csv or parquet.')
    return str(wire)


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
