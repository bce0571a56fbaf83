"""Reaching a Dask cluster: a client on a scheduler's address (failing fast, naming it), or on this machine's
LocalCluster (``scheduler="local-cluster"``), started on first use with the worker settings of ``WORKER_CONFIG`` and
shared by every Dask job of the process."""

from __future__ import annotations

import atexit
import copy
import logging
import os
import sys
import threading
from typing import Any

from ..._exceptions import InferError, OptionError
from ...engine.options import is_local_cluster

CONNECT_TIMEOUT = 5.0  # seconds to reach a scheduler; JUPYTER_INFER_DASK_TIMEOUT overrides


_CLUSTER: Any = None
_CLUSTER_LOCK = threading.Lock()


def connect_timeout() -> float:
    try:
        return float(os.environ.get("JUPYTER_INFER_DASK_TIMEOUT", CONNECT_TIMEOUT))
    except ValueError:
        return CONNECT_TIMEOUT


# Worker settings for the clusters jupyter-infer starts itself. Scoring tasks are CPU-bound and long; Dask's
# statistical profiler (a stack sample of the task thread every 10 ms) and its 100 ms memory/system polls cost each
# worker's event loop about 6 % of a core, which on a machine with one worker per core comes out of the scoring
# (measured on a 2M-row job, 2 workers on 2 cores: 112k rows/s with them, 120k without; bench/dask_scaling.py
# prints what the workers' other threads use for every run).
# A cluster you run yourself keeps its own settings; see the README for the same lines in its Dask config.
WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}


def new_local_cluster(n_workers: int | None = None) -> Any:
    """A LocalCluster of single-threaded worker processes (one per core by default) with ``WORKER_CONFIG``."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):
        # ``config``: every nanny (also one the cluster starts later, to replace a lost worker) starts its workers
        # with this whole configuration; a nanny takes only the current configuration otherwise, and that no
        # longer holds WORKER_CONFIG once this block has ended.
        try:
            return LocalCluster(
                n_workers=n_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
                config=copy.deepcopy(dask.config.config),
            )
        except Exception as e:
            script = getattr(sys.modules.get("__main__"), "__file__", None)
            hint = (
                f" Each worker process imports the main module again: the code of {os.path.basename(script)} must run "
                'under `if __name__ == "__main__":`.'
                if script
                else ""
            )
            why = str(e).rstrip(".")
            raise InferError(f"Dask's LocalCluster could not start its worker processes ({why}).{hint}") from e


def local_cluster() -> Any:
    """This machine's LocalCluster (``new_local_cluster``), started on first use and shared by every Dask job of
    this process; closed at exit."""
    global _CLUSTER

    with _CLUSTER_LOCK:
        status = getattr(_CLUSTER, "status", None)
        if status is not None and status.name in ("running", "created"):
            return _CLUSTER
        _CLUSTER = new_local_cluster()
        atexit.register(_close_cluster)
        return _CLUSTER


def _close_cluster() -> None:
    global _CLUSTER
    with _CLUSTER_LOCK:
        if _CLUSTER is not None:
            try:
                _CLUSTER.close()
            except Exception:
                pass
            _CLUSTER = None


def connect(scheduler: str | None) -> Any:
    """A Dask client on ``scheduler`` (fails fast, naming the address), or on this machine's LocalCluster."""
    from distributed import Client

    if not scheduler or is_local_cluster(scheduler):
        return Client(local_cluster(), set_as_default=False)
    timeout = connect_timeout()
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except Exception as e:
        detail = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise OptionError(
            f'Could not connect to the Dask scheduler at "{scheduler}" within {timeout:g} s ({detail}). Check '
            "the address (tcp://host:port) and that the scheduler is running, or leave scheduler unset to use a "
            "local cluster."
        ) from None
