"""Loopback load test of the HTTP API, with a fault in the middle (not run by CI).

20 concurrent clients send a mix of sync inference, async inference and training for 60 s against one jupyter
server; halfway through, the server's job worker is killed (SIGKILL). Then every job the clients were answered with
is checked once the server has settled: none lost (every job id still answers), none stuck (nothing left queued or
running), no orphan files in the store (temporaries, results of failed jobs, abandoned uploads), and the sync
results kept stay within the retention policy. Last, the REST sync-infer time for 100k rows is compared with the
embedded engine's on the same store (target: REST / local <= 1.3).

    python bench/load.py                      # starts its own server on 127.0.0.1 (and its own store)
    python bench/load.py --url http://127.0.0.1:8888/jupyter-infer/api --token TOKEN --home STORE

Lost, stuck and orphan must be 0 (exit status 1 otherwise). The machine it runs on matters: run it on a quiet one.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jupyter_infer as ji

MIX = {"sync": 0.75, "async": 0.17, "train": 0.08}  # the share of each request kind
TERMINAL = ("succeeded", "failed", "canceled")


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.integers(0, 50, n),
        "d": rng.choice(["red", "green", "blue", "grey"], n), "e": rng.exponential(size=n),
    })  # fmt: skip
    df["label"] = np.where(df["a"] + 0.5 * df["b"] + rng.normal(scale=0.5, size=n) > 0, "yes", "no")
    return df


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="an API base to test instead of starting a server")
    ap.add_argument("--token")
    ap.add_argument("--home", help="the server's store (for the orphan census and the local comparison)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rows", type=int, default=200, help="rows per sync request")
    ap.add_argument("--async-rows", type=int, default=20_000, help="rows per async request")
    ap.add_argument("--train-rows", type=int, default=1000, help="rows per training")
    ap.add_argument("--no-kill", action="store_true", help="do not kill the worker halfway")
    ap.add_argument("--keep", type=int, help="the server's sync_results_keep (default: its own default, 500)")
    ap.add_argument("--settle", type=float, default=120.0, help="seconds to wait for every job to end")
    ap.add_argument("--big-rows", type=int, default=100_000, help="rows for the REST vs local comparison (0: skip)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    stop = None
    home = Path(args.home) if args.home else None
    if args.url:
        url, token = args.url, args.token
    else:
        from tests._server import start_server

        home = Path(tempfile.mkdtemp(prefix="ji-bench-store-"))
        extra = [f"--JupyterInfer.sync_results_keep={args.keep}"] if args.keep is not None else []
        url, token, stop = start_server(home, Path(tempfile.mkdtemp(prefix="ji-bench-root-")), extra_args=extra)
    try:
        return run(args, url, token, home)
    finally:
        if stop is not None:
            stop()


class Tally:
    """What the clients saw, shared between their threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.killed: list[str] = []  # requests whose job the worker kill ended (expected, not an error)
        self.jobs: dict[str, str] = {}  # job id -> kind, for every job a client was answered with

    def ok(self, kind: str, seconds: float, job_id: str | None) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            if job_id:
                self.jobs[job_id] = kind

    def error(self, text: str) -> None:
        with self.lock:
            (self.killed if "worker stopped" in text else self.errors).append(text)


def run(args: argparse.Namespace, url: str, token: str | None, home: Path | None) -> int:
    remote = ji.connect(url, token=token)
    print(f"server: {url}  store: {home or '(unknown: no orphan census)'}")
    model = remote.models.train(frame(5000), "prediction", label_column="label", name="bench",
                                params={"training_mode": "fast"})  # fmt: skip
    sync_in = frame(args.rows, seed=1).drop(columns="label")
    async_in = frame(args.async_rows, seed=2).drop(columns="label")
    tally = Tally()
    t_end = time.monotonic() + args.seconds

    def client_loop(i: int) -> None:
        c = ji.connect(url, token=token)
        rnd = random.Random(i)
        while time.monotonic() < t_end:
            kind = rnd.choices(list(MIX), weights=list(MIX.values()))[0]
            t0 = time.perf_counter()
            try:
                if kind == "sync":
                    res = c.models.infer(model.id, sync_in)
                    if len(res) != len(sync_in):
                        tally.error(f"client {i}: {len(res)} rows for {len(sync_in)}")
                    tally.ok(kind, time.perf_counter() - t0, res.job_id)
                elif kind == "async":
                    job = c.models.infer_async(model.id, async_in)
                    tally.ok(kind, time.perf_counter() - t0, job.id)
                else:  # a new version of a model of this client's own (its ingest, then its training job)
                    job = c.models.train(frame(args.train_rows, seed=1000 + i), "prediction", label_column="label",
                                         name=f"bench-client-{i}", params={"training_mode": "fast"}, wait=False)  # fmt: skip
                    tally.ok(kind, time.perf_counter() - t0, job.id)
            except Exception as e:  # counted, not fatal
                tally.error(f"client {i} {kind}: {type(e).__name__}: {e}")

    print(f"load: {args.clients} clients, mix {MIX}, {args.seconds:.0f} s"
          + ("" if args.no_kill else "; the worker is killed (SIGKILL) halfway"))  # fmt: skip
    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    killed = None
    if not args.no_kill:
        time.sleep(args.seconds / 2)
        killed = kill_worker(url, token, remote)
    for t in threads:
        t.join()
    wall = time.monotonic() - t0

    # settle: every job the clients were answered with must still answer, and end
    deadline = time.monotonic() + args.settle
    lost: list[str] = []
    final: dict[str, dict[str, Any]] = {}
    pending = [j for j, kind in tally.jobs.items() if kind != "sync"]
    while pending and time.monotonic() < deadline:
        still = []
        for jid in pending:
            try:
                job = remote.backend.get_job(jid)
            except ji.NotFoundError:
                lost.append(jid)
                continue
            if job["status"] in TERMINAL:
                final[jid] = job
            else:
                still.append(jid)
        pending = still
        if pending:
            time.sleep(1.0)
    stuck = list(pending)
    stuck += [j.id for j in remote.jobs.list(limit=200, status="running") if j.id not in stuck]
    stuck += [j.id for j in remote.jobs.list(limit=200, status="queued") if j.id not in stuck]
    failed = defaultdict(list)
    for jid, job in final.items():
        if job["status"] != "succeeded":
            failed[(job["error_message"] or job["status"]).split(" (")[0]].append(jid)
    time.sleep(2.0)  # the supervisor's sweep of what a killed worker left
    orphans, kept = census(home)

    n = sum(len(v) for v in tally.latency.values())
    print()
    print(f"requests:          {n} in {wall:.1f} s ({n / wall:.1f} req/s): "
          + ", ".join(f"{k} {len(v)}" for k, v in tally.latency.items()))  # fmt: skip
    for kind, xs in tally.latency.items():
        print(f"  {kind:6s} p50 / p95: {1000 * pct(xs, 50):6.0f} ms / {1000 * pct(xs, 95):6.0f} ms")
    print(f"errors:            {len(tally.errors)}")
    for e in tally.errors[:10]:
        print(f"  {e}")
    print(f"worker killed:     {'no' if killed is None else f'pid {killed} at {args.seconds / 2:.0f} s'}; "
          f"{len(tally.killed)} requests waited on a job it ended (an ingest before a training)")  # fmt: skip
    print(f"background jobs:   {len(final) + len(lost) + len(pending)} answered; "
          f"{sum(1 for j in final.values() if j['status'] == 'succeeded')} succeeded, "
          f"{sum(len(v) for v in failed.values())} did not")  # fmt: skip
    for why, ids in failed.items():
        print(f"  {len(ids)} {why}")
    print(f"lost jobs:         {len(lost)}")
    print(f"stuck jobs:        {len(stuck)}")
    print(f"orphan files:      {'?' if orphans is None else len(orphans)}")
    for o in (orphans or [])[:10]:
        print(f"  {o}")
    if kept is not None:
        policy = f"newest {args.keep}" if args.keep is not None else "newest 500"
        print(f"sync results kept: {kept} of {len(tally.latency['sync'])} sync inferences (retention: {policy}, "
              "24 h)")  # fmt: skip

    ratio = compare(args, remote, model, home) if args.big_rows else None
    bad = bool(tally.errors or lost or stuck or orphans) or (ratio is not None and ratio > 1.3)
    return 1 if bad else 0


def kill_worker(url: str, token: str | None, remote: ji.Client) -> int | None:
    """SIGKILL the server's worker while it writes an async result (waiting up to 10 s for one to be running)."""
    headers = {"Authorization": f"token {token}"} if token else {}
    status = httpx.get(f"{url}/status", headers=headers, timeout=30).json()
    pid = (status.get("worker") or {}).get("pid")
    if not pid:
        print("  (no worker process to kill: the server runs jobs on threads)")
        return None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(j.rows_done for j in remote.jobs.list(status="running", type="infer_batch", limit=20)):
            break
        time.sleep(0.05)
    os.kill(int(pid), signal.SIGKILL)
    print(f"  killed the worker (pid {pid})")
    return int(pid)


def census(home: Path | None) -> tuple[list[str] | None, int | None]:
    """Orphan files (by an independent reading of the store's database) and how many sync results are kept."""
    if home is None:
        return None, None
    from tests.faults.conftest import orphan_files

    con = sqlite3.connect(home / "store.sqlite")
    kept = con.execute("SELECT COUNT(*) FROM jobs WHERE type='infer_sync' AND result_path IS NOT NULL").fetchone()[0]
    con.close()
    return orphan_files(home), int(kept)


def compare(args: argparse.Namespace, remote: ji.Client, model: ji.Model, home: Path | None) -> float | None:
    """REST vs the embedded engine, on the same model and store."""
    big = frame(args.big_rows, seed=3).drop(columns="label")
    local = ji.connect(home=home) if home is not None else None
    rest_t, local_t = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        r = remote.models.infer(model.id, big)
        rest_t.append(time.perf_counter() - t)
        assert len(r) == len(big)
        if local is not None:
            t = time.perf_counter()
            r = local.models.infer(model.id, big)
            local_t.append(time.perf_counter() - t)
            assert len(r) == len(big)
    print(f"REST sync infer {args.big_rows:,} rows: median {statistics.median(rest_t):.3f} s")
    if not local_t:
        print("REST / local:      (no --home for the server's store; skipped)")
        return None
    ratio = statistics.median(rest_t) / statistics.median(local_t)
    print(f"local engine    {args.big_rows:,} rows: median {statistics.median(local_t):.3f} s")
    print(f"REST / local:      {ratio:.2f}  (target <= 1.3)")
    return ratio


if __name__ == "__main__":
    sys.exit(main())
