"""The job worker the server extension starts and supervises: ``python -m jupyter_infer.server.worker --home H``.

It claims the jobs the server queued (owner ``server-queue:...``) and runs them with the same Runner and work
functions as a kernel, so a heavy job never stalls the Jupyter server and an out-of-memory kill takes down only this
process. It heartbeats the queued jobs it is responsible for (a dead worker lets them go stale and fail, SPEC §9),
wakes on a newline on stdin (the server's nudge) or every ``--poll`` seconds, and exits when stdin closes (the
server is gone).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from typing import Any

from ._owners import QUEUE_OWNER_KIND, WORKER_OWNER_KIND


def queued_server_jobs(store: Any, limit: int = 50) -> list[dict[str, Any]]:
    return [store.get_job(job_id) for job_id in store.queued_job_ids(QUEUE_OWNER_KIND, limit)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jupyter_infer.server.worker")
    parser.add_argument("--home", required=True, help="the store (JUPYTER_INFER_HOME)")
    parser.add_argument("--threads", type=int, default=2, help="jobs run at once")
    parser.add_argument("--poll", type=float, default=0.5, help="seconds between looks at the queue")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[jupyter-infer worker %(process)d] %(message)s")
    log = logging.getLogger("jupyter_infer.worker")

    from ..jobs import Runner, work_for
    from ..jobs._runner import HEARTBEAT_SECONDS
    from ..store import Store

    store = Store(args.home)
    runner = Runner(store, workers=max(1, args.threads), owner_kind=WORKER_OWNER_KIND)
    wake = threading.Event()
    stop = threading.Event()

    def watch_stdin() -> None:
        try:
            while True:
                line = sys.stdin.buffer.readline()
                if not line:
                    break
                wake.set()
        except (OSError, ValueError):
            pass
        stop.set()
        wake.set()

    threading.Thread(target=watch_stdin, name="stdin-watch", daemon=True).start()
    log.info("started on %s with %d threads", store.home, args.threads)
    last_beat = 0.0
    while not stop.is_set():
        try:
            waiting = queued_server_jobs(store)
            for job in waiting:
                if len(runner.active) >= args.threads:
                    break
                if job["id"] in runner.active:
                    continue
                runner.submit(job["id"], work_for(store, job))
            now = time.monotonic()
            if now - last_beat >= HEARTBEAT_SECONDS:
                last_beat = now
                store.heartbeat([j["id"] for j in waiting if j["id"] not in runner.active])
        except Exception:  # a busy or briefly locked database must not end the worker
            log.exception("worker loop")
        wake.wait(args.poll)
        wake.clear()
    log.info("server gone; stopping")
    os._exit(0)  # jobs still running die with the process; the server marks them failed


if __name__ == "__main__":
    sys.exit(main())
