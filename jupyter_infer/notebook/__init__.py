"""The notebook front end: the magics of SPEC §6, live progress widgets, rich result displays, the upload widget.

``%load_ext jupyter_infer`` registers ``%%infer_train``, ``%%infer``, ``%infer_status`` and ``%infer_models``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["load_ipython_extension", "unload_ipython_extension", "upload"]


def load_ipython_extension(ipython: Any) -> None:
    from . import _session
    from ._magics import InferMagics

    magics = InferMagics(shell=ipython, config=ipython.config)
    ipython.register_magics(magics)
    _session.loaded(magics)
    if magics not in ipython.configurables:
        ipython.configurables.append(magics)  # so %config InferMagics.<name> reaches it


def unload_ipython_extension(ipython: Any) -> None:
    from ._magics import InferMagics

    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, InferMagics)]


def upload(*args: Any, **kwargs: Any) -> Any:
    """The upload widget: pick a file and a model, choose a format, Run; see ``jupyter_infer.notebook._upload``."""
    from ._upload import upload as _upload

    return _upload(*args, **kwargs)
