"""The API about itself: its description (``/openapi.json``), the store, worker and queue at a glance
(``/status``), a 404 in the API's shape for any other path, and a 507 for every route while the store is
unusable."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..._version import __version__
from ...store import JobStatus
from .._handler import BaseHandler, authenticated
from ..schemas import responses as R
from ._op import Op


class OpenAPIHandler(BaseHandler):
    ops = {"get": Op("This description", R.OpenAPI)}

    @authenticated
    def get(self) -> None:
        self.reply(None, self.settings["jupyter_infer_openapi"]())


class StatusHandler(BaseHandler):
    """Extension: the store, the worker process and the queue at a glance."""

    ops = {"get": Op("The store, the worker process and the queue", R.Status)}

    @authenticated
    def get(self) -> None:
        ctx = self.ctx
        sup = ctx.supervisor
        worker: dict[str, Any] = {"mode": "threads"}
        if sup is not None:
            alive = sup.proc is not None and sup.proc.poll() is None
            worker = {"mode": "process", "pid": sup.pid, "alive": alive, "restarts": sup.restarts}
        counts = ctx.queue.count_jobs((JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.WAITING_FOR_UPLOAD))
        self.reply(
            R.Status,
            {
                "version": __version__,
                "store": str(ctx.store.home),
                "root_dir": str(ctx.root),
                "worker": worker,
                "jobs": counts,
                "max_body_bytes": ctx.max_body_bytes,
            },
        )


class NotFoundRoute(BaseHandler):
    body = "none"

    def _nf(self, *args: Any) -> None:
        raise web.HTTPError(404, f"No route {self.request.method} {self.request.path} in the jupyter-infer API.")

    get = post = put = delete = patch = authenticated(_nf)


class StoreUnavailableHandler(APIHandler):
    """Every route but ``/openapi.json`` while the store cannot be opened (read-only, full): a 507 that says why,
    after Jupyter's auth."""

    def initialize(self, message: str) -> None:
        self.message = message

    @web.authenticated
    def _unavailable(self, *args: Any) -> None:
        self.set_header("Content-Type", "application/json")
        describe = self.settings["jupyter_infer_openapi"]
        if self.request.method == "GET" and self.request.path == describe.args[0] + "/openapi.json":
            self.finish(json.dumps(describe()))
            return
        self.set_status(507)
        self.set_header("x-should-retry", "false")
        self.finish(json.dumps({"detail": self.message}))

    get = post = put = delete = patch = _unavailable
