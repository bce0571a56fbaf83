"""The client of SPEC §7: one interface; the embedded engine or a remote Wood Wide-compatible API behind it."""

from __future__ import annotations

import os
from typing import Any

from ._client import Client
from ._objects import Dataset, Job, Model
from ._result import InferenceResult

__all__ = ["Client", "Dataset", "InferenceResult", "Job", "Model", "connect"]


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
