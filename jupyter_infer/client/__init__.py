"""The client of SPEC §7: one interface; the embedded engine or a remote Wood Wide-compatible API behind it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..store import ENDED, JobStatus, JobType
from ._client import Client
from ._objects import Dataset, Job, Model

if TYPE_CHECKING:
    from ._result import InferenceResult

__all__ = ["ENDED", "Client", "Dataset", "InferenceResult", "Job", "JobStatus", "JobType", "Model", "connect"]


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
    """``InferenceResult`` (pandas, pyarrow) is imported on first use: listing models and jobs does without it."""
    if name == "InferenceResult":
        from ._result import InferenceResult

        return InferenceResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:  # tab completion lists the lazy names too
    return sorted({*globals(), *__all__})
