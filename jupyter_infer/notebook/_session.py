"""The one client of the notebook front end: the magics and the upload widget both get theirs here, one per
configuration (``%config InferMagics.url/token/home``, else IPython's config, else $JUPYTER_INFER_URL,
$JUPYTER_INFER_TOKEN and $JUPYTER_INFER_HOME; no URL: the embedded engine)."""

from __future__ import annotations

import os
from typing import Any, Protocol

from ..client import Client, connect


class Settings(Protocol):
    """Where the client connects (``InferMagics`` has these traits)."""

    url: str | None
    token: str | None
    home: str | None


_CLIENTS: dict[tuple[str | None, str | None, str | None], Client] = {}
_LOADED: list[Settings] = []  # the magics of this kernel, once %load_ext made them


def client(url: str | None = None, token: str | None = None, home: str | None = None) -> Client:
    """The client for these settings (each falls back to its environment variable), made once per configuration."""
    url = url or os.environ.get("JUPYTER_INFER_URL") or None
    token = token or os.environ.get("JUPYTER_INFER_TOKEN") or None
    home = None if url else home or os.environ.get("JUPYTER_INFER_HOME") or None
    key = (url, token, home)
    if key not in _CLIENTS:
        _CLIENTS[key] = connect(url, token=token) if url else connect(home=home)
    return _CLIENTS[key]


def loaded(settings: Settings) -> None:
    """``%load_ext jupyter_infer`` made these magics: their settings are this kernel's from now on."""
    _LOADED[:] = [settings]


def configured() -> Client:
    """This kernel's client: the loaded magics' settings, else ``c.InferMagics`` in IPython's config, else the
    environment."""
    if _LOADED:
        s = _LOADED[-1]
        return client(s.url, s.token, s.home)
    cfg: Any = {}
    try:
        from IPython import get_ipython

        shell = get_ipython()
        cfg = shell.config.get("InferMagics", {}) if shell is not None else {}
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass
    return client(cfg.get("url"), cfg.get("token"), cfg.get("home"))
