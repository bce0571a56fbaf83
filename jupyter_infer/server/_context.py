"""What every handler shares: the configuration, the store, the two backends (in-process for sync inference, the
worker queue for everything else), the signer, the server root and the thread pool."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from traitlets import Bool, Float, Int, Unicode
from traitlets.config import Configurable

from ..client._local import LocalBackend
from ..client._service import relative
from ..store import Retention, Store
from ._owners import QUEUE_OWNER_KIND
from ._signer import Signer
from ._supervisor import WorkerSupervisor


class JupyterInfer(Configurable):
    """Settings of the jupyter-infer server extension (``c.JupyterInfer.<name>`` in jupyter_server_config.py)."""

    max_body_mb = Float(
        30.0,
        config=True,
        help="Largest request body, in MiB, for sync inference and direct (multipart) dataset uploads; larger "
        "bodies get a 413 that points to the async path and the upload flow.",
    )
    max_sync_rows = Int(
        1_000_000,
        config=True,
        help="Most input rows one sync inference may decode (a Parquet file's count is read from its footer before "
        "anything else); more get a 413 that points to the async path. 0: no limit.",
    )
    max_sync_output_mb = Float(
        256.0,
        config=True,
        help="Largest output, in MiB (8 bytes per value: rows x k x 4 for search, rows x dimensions for "
        "embeddings, ...), of one sync inference, estimated before it starts; larger gets a 413 that points to the "
        "async path. 0: no limit.",
    )
    max_upload_gb = Float(
        0.0,
        config=True,
        help="Largest file, in GiB, for the upload flow and multipart infer-async (0: no limit but the disk).",
    )
    worker = Bool(
        True,
        config=True,
        help="Run background jobs in a supervised worker process (True) or on threads of the server (False).",
    )
    worker_threads = Int(2, config=True, help="Background jobs the worker runs at once.")
    sync_threads = Int(4, config=True, help="Threads of the server that run sync inference (≤ the body cap).")
    signed_url_seconds = Float(
        3600.0,
        config=True,
        help="Lifetime of the signed upload and result download URLs. A prepared upload not completed within it is "
        "failed and its bytes removed.",
    )
    sync_results_keep = Int(
        Retention.keep,
        config=True,
        help="Sync inference results kept: the newest N (0: no count limit). The server prunes older ones itself; "
        "async and batch results are kept until deleted or pruned (POST /jobs/prune).",
    )
    sync_results_max_age_hours = Float(
        Retention.max_age_hours,
        config=True,
        help="Sync inference results older than this many hours are pruned by the server itself (0: no age limit).",
    )
    home = Unicode(
        "",
        config=True,
        help="The store directory; default $JUPYTER_INFER_HOME, else infer/ in Jupyter's data directory.",
    )


T = TypeVar("T")


class ServerContext:
    def __init__(self, config: JupyterInfer, root_dir: str, base_url: str) -> None:
        self.config = config
        home = config.home or os.environ.get("JUPYTER_INFER_HOME") or None
        self.store = Store(home)
        self.root = Path(root_dir).expanduser().resolve()
        self.api_base = base_url.rstrip("/") + "/jupyter-infer/api"
        self.max_body_bytes = int(config.max_body_mb * (1 << 20))
        self.max_upload_bytes = int(config.max_upload_gb * (1 << 30)) or None
        self.signer = Signer(secrets.token_bytes(32))
        self.pool = ThreadPoolExecutor(max_workers=max(1, config.sync_threads), thread_name_prefix="jupyter-infer-sync")
        self.store.retention = Retention(config.sync_results_keep, config.sync_results_max_age_hours).checked()
        # one store for the server and its two backends: the sync one replies once the result is stored
        self.sync = LocalBackend(owner_kind="server", background_results=False, store=self.store)
        self.supervisor: WorkerSupervisor | None = None
        if config.worker:
            self.supervisor = WorkerSupervisor(self.store, threads=config.worker_threads)
        dispatch = self._dispatch if self.supervisor is not None else None
        self.queue = LocalBackend(owner_kind=QUEUE_OWNER_KIND, dispatch=dispatch, store=self.store)

    def start(self) -> None:
        # startup: what a previous server left (stale jobs, a killed worker's temporaries, abandoned uploads)
        self.store.sweep_stale()
        self.store.sweep_orphans(force=True)
        self.store.apply_retention()
        if self.supervisor is not None:
            self.supervisor.start()

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _dispatch(self, job: dict[str, Any]) -> None:
        if self.supervisor is not None:
            self.supervisor.nudge()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the server's thread pool (reading and scoring data never blocks the event loop)."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)

    # ---- the server root ---------------------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """A message as a client may see it: files under the server root named relative to it, files of the store
        by their name alone, no other part of either path."""
        if not text:
            return text
        if not hasattr(self, "_redactors"):
            home = {str(self.store.home), str(Path(self.store.home).resolve())}
            root = {str(self.root), os.path.realpath(self.root)}
            tail = r"((?:/[^\s'\"`,;:()\[\]{}<>]*)*)"
            homes = "|".join(re.escape(h) for h in sorted(home, key=len, reverse=True))
            self._redactors = [
                (re.compile(rf"\bstore at (?:{homes})(?=[\s:.,;)]|$)"), lambda m: "store"),
                (re.compile(homes + tail), lambda m: Path(m.group(1)).name if m.group(1).strip("/") else "the store"),
                (
                    re.compile("|".join(re.escape(r) for r in sorted(root, key=len, reverse=True)) + tail),
                    lambda m: m.group(1).lstrip("/") or ".",
                ),
            ]
        for rx, fix in self._redactors:
            text = rx.sub(fix, text)
        return text

    def relative(self, p: str | os.PathLike[str] | None) -> str | None:
        """A path as relative to the server root (None if it is not under it)."""
        return relative(self.root, p)
