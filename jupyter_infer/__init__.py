"""jupyter-infer: tabular ML inference from the notebook.

``connect()`` gives the Python API (SPEC §7) on the embedded engine or a remote service; ``%load_ext
jupyter_infer`` registers the ``%%infer_train``, ``%%infer``, ``%infer_status`` and ``%infer_models`` magics.
"""

from __future__ import annotations

from typing import Any

from ._exceptions import (
    ConflictError,
    IncompatibleModelError,
    InferError,
    InputError,
    JobCanceled,
    JobFailed,
    NotFoundError,
    OptionError,
    RemoteError,
    StoreError,
    TooLargeError,
    UnsafeModelError,
)
from .client import Client, Dataset, InferenceResult, Job, Model, connect
from .notebook import upload

__version__ = "0.1.0"

__all__ = [
    "Client",
    "ConflictError",
    "Dataset",
    "IncompatibleModelError",
    "InferError",
    "InferenceResult",
    "InputError",
    "Job",
    "JobCanceled",
    "JobFailed",
    "Model",
    "NotFoundError",
    "OptionError",
    "RemoteError",
    "StoreError",
    "TooLargeError",
    "UnsafeModelError",
    "__version__",
    "connect",
    "upload",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_infer``."""
    from .notebook import load_ipython_extension as _load

    _load(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_infer.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-infer"}]
