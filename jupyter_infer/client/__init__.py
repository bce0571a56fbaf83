"""The client of SPEC §7: one interface; the embedded engine or a remote Wood Wide-compatible API behind it.

Besides ``connect`` and the objects it returns, the vocabulary every front end shares is public here: the job
statuses and types, the inference options and their choices, ``dataset:NAME`` references, and ``read_table``
(a data file as a DataFrame), so that the notebook and the command line need nothing below the client.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..engine.options import (
    ANOMALY_FORMATS,
    MODEL_TYPES,
    OUTPUT_TYPES,
    TRAINING_MODE_HELP,
    InferOptions,
    did_you_mean,
    output_type_for,
)
from ..store import ENDED, OPEN, JobStatus, JobType
from ._client import Client
from ._objects import Dataset, Job, Model
from ._refs import DatasetRef

if TYPE_CHECKING:
    from ..engine.io import read_file as read_table
    from ._result import InferenceResult

__all__ = [
    "ANOMALY_FORMATS",
    "ENDED",
    "MODEL_TYPES",
    "OPEN",
    "OUTPUT_TYPES",
    "TRAINING_MODE_HELP",
    "Client",
    "Dataset",
    "DatasetRef",
    "InferOptions",
    "InferenceResult",
    "Job",
    "JobStatus",
    "JobType",
    "Model",
    "connect",
    "did_you_mean",
    "output_type_for",
    "read_table",
]


def connect(
    url: str | None = None,
    token: str | None = None,
    home: str | os.PathLike[str] | None = None,
    **kwargs: Any,
) -> Client:
    """``connect()``: the embedded engine on the default store (``home`` or $JUPYTER_INFER_HOME).
    ``connect(url, token=...)``: a remote Wood Wide-compatible API (e.g. ``http://127.0.0.1:8888/jupyter-infer/api``)."""
    if url:
        from ._http import HttpBackend

        return Client(HttpBackend(url, token=token, **kwargs))
    from ._local import LocalBackend

    return Client(LocalBackend(home, **kwargs))


def __getattr__(name: str) -> Any:
    """``InferenceResult`` and ``read_table`` (pandas, pyarrow) are imported on first use: listing models and jobs
    does without them."""
    if name == "InferenceResult":
        from ._result import InferenceResult

        return InferenceResult
    if name == "read_table":
        from ..engine.io import read_file

        return read_file
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:  # tab completion lists the lazy names too
    return sorted({*globals(), *__all__})
