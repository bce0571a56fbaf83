"""jupyter-infer: tabular ML inference from the notebook.

``connect()`` gives the Python API (SPEC §7) on the embedded engine or a remote service; ``%load_ext
jupyter_infer`` registers the ``%%infer_train``, ``%%infer``, ``%infer_status`` and ``%infer_models`` magics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _exceptions
from ._exceptions import *  # noqa: F403 (every exception, as _exceptions.__all__ names them)
from ._version import __version__

if TYPE_CHECKING:
    from .client import Client, Dataset, InferenceResult, Job, Model, connect
    from .notebook import upload

# The client (pandas, pyarrow) and the notebook front end are imported on first use, so that ``import
# jupyter_infer`` stays cheap for the command line (``jupyter-infer --help``, ``models``, ``jobs``).
_LAZY = {name: ".client" for name in ("Client", "Dataset", "InferenceResult", "Job", "Model", "connect")}
_LAZY["upload"] = ".notebook"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:  # tab completion lists the lazy names too
    return sorted({*globals(), *__all__})


__all__ = [
    "Client",
    "Dataset",
    "InferenceResult",
    "Job",
    "Model",
    "__version__",
    "connect",
    "upload",
]
__all__ += _exceptions.__all__  # the exception hierarchy, named once there


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_infer``."""
    from .notebook import load_ipython_extension as _load

    _load(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_infer.server"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-infer"}]
