"""The Jupyter server extension: the Wood Wide-compatible HTTP API of SPEC §8 at ``<base_url>jupyter-infer/api``.

Every route but the two signed URLs (upload PUT, result download) requires Jupyter's auth. Background jobs run in a
worker process this extension starts and supervises (``jupyter_infer.server.worker``); sync inference runs on a
small thread pool of the server. Settings: ``c.JupyterInfer.<name>`` (see ``JupyterInfer``).
"""

from __future__ import annotations

import functools
from typing import Any

from .._exceptions import StoreError
from ._context import JupyterInfer, ServerContext
from ._supervisor import stop_all
from .routes.meta import StoreUnavailableHandler

__all__ = ["JupyterInfer", "ServerContext", "stop_all"]

API_PREFIX = "jupyter-infer/api"


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.utils import url_path_join

    from .openapi import openapi
    from .routes import ROUTES

    config = JupyterInfer(parent=serverapp)
    root_dir = getattr(serverapp.contents_manager, "root_dir", None) or serverapp.root_dir
    web_app = serverapp.web_app
    base_url = web_app.settings.get("base_url", "/")
    prefix = url_path_join(base_url, API_PREFIX)
    # GET openapi.json describes the route table; the route that serves it takes it from here (no import circle)
    web_app.settings["jupyter_infer_openapi"] = functools.partial(openapi, prefix.rstrip("/"))
    try:
        ctx = ServerContext(config, root_dir, url_path_join(base_url, ""))
    except StoreError as e:  # a read-only or full store: every route says so (507) instead of vanishing
        serverapp.log.error("jupyter-infer: %s", e.message)
        args = {"message": e.message}
        web_app.add_handlers(".*$", [(prefix + r"(?:/.*)?", StoreUnavailableHandler, args)])
        return
    web_app.settings["jupyter_infer"] = ctx
    web_app.add_handlers(".*$", [(prefix + pattern, handler) for pattern, handler in ROUTES])
    ctx.start()
    serverapp.log.info(
        "jupyter-infer: API at %s over the store %s (worker: %s)",
        prefix,
        ctx.store.home,
        "process" if config.worker else "threads",
    )
    # function-style extensions get no stop hook: stop the worker when the server cleans up its extensions
    original = serverapp.cleanup_extensions

    async def cleanup_extensions() -> None:
        ctx.stop()
        await original()

    serverapp.cleanup_extensions = cleanup_extensions


# the name jupyter_server also looks for
load_jupyter_server_extension = _load_jupyter_server_extension
