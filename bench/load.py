"""Loopback load test of the HTTP API (not run by CI).

20 concurrent clients do sync inference for 60 s against one jupyter server; then every job they were answered with
is checked (none lost, none stuck), and the REST sync-infer time for 100k rows is compared with the embedded
engine's on the same store (target: REST / local <= 1.3).

    python bench/load.py                      # starts its own server on 127.0.0.1
    python bench/load.py --url http://127.0.0.1:8888/jupyter-infer/api --token TOKEN
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jupyter_infer as ji


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
    ap.add_argument("--home", help="the server's store (for the local-engine comparison; default: its own)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rows", type=int, default=200, help="rows per sync request during the load phase")
    ap.add_argument("--big-rows", type=int, default=100_000, help="rows for the REST vs local comparison")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    stop = None
    home = Path(args.home) if args.home else None
    if args.url:
        url, token = args.url, args.token
    else:
        from tests._server import start_server

        home = Path(tempfile.mkdtemp(prefix="ji-bench-store-"))
        url, token, stop = start_server(home, Path(tempfile.mkdtemp(prefix="ji-bench-root-")))
    try:
        return run(args, url, token, home)
    finally:
        if stop is not None:
            stop()


def run(args: argparse.Namespace, url: str, token: str | None, home: Path | None) -> int:
    remote = ji.connect(url, token=token)
    print(f"server: {url}")
    model = remote.models.train(frame(5000), "prediction", label_column="label", name="bench",
                                params={"training_mode": "fast"})  # fmt: skip
    small = frame(args.rows, seed=1).drop(columns="label")
    latencies: list[float] = []
    errors: list[str] = []
    job_ids: list[str] = []
    lock = threading.Lock()
    t_end = time.monotonic() + args.seconds

    def client_loop(i: int) -> None:
        c = ji.connect(url, token=token)
        while time.monotonic() < t_end:
            t0 = time.perf_counter()
            try:
                res = c.models.infer(model.id, small)
                dt = time.perf_counter() - t0
                ok = len(res) == len(small)
                with lock:
                    latencies.append(dt)
                    if res.job_id:
                        job_ids.append(res.job_id)
                    if not ok:
                        errors.append(f"client {i}: {len(res)} rows for {len(small)}")
            except Exception as e:  # counted, not fatal
                with lock:
                    errors.append(f"client {i}: {type(e).__name__}: {e}")

    print(f"load: {args.clients} clients x sync infer of {args.rows} rows for {args.seconds:.0f} s ...")
    threads = [threading.Thread(target=client_loop, args=(i,)) for i in range(args.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0

    # every job the clients were answered with must exist and have succeeded; nothing may be left active
    lost, not_ok = [], []
    for jid in job_ids:
        try:
            j = remote.jobs.get(jid)
            if j.status != "succeeded":
                not_ok.append(f"{jid}: {j.status}")
        except ji.NotFoundError:
            lost.append(jid)
    time.sleep(1.0)
    stuck = [j.id for j in remote.jobs.list(limit=1000) if j.status in ("queued", "running")]

    # REST vs the embedded engine, 100k rows, same model and store
    big = frame(args.big_rows, seed=2).drop(columns="label")
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

    n = len(latencies)
    print()
    print(f"requests:          {n} in {wall:.1f} s  ({n / wall:.1f} req/s, {n * args.rows / wall:,.0f} rows/s)")
    print(f"latency p50 / p95: {1000 * pct(latencies, 50):.0f} ms / {1000 * pct(latencies, 95):.0f} ms")
    print(f"errors:            {len(errors)}")
    for e in errors[:10]:
        print(f"  {e}")
    print(f"jobs answered:     {len(job_ids)}; lost {len(lost)}; not succeeded {len(not_ok)}; stuck {len(stuck)}")
    print(f"REST sync infer {args.big_rows:,} rows: median {statistics.median(rest_t):.3f} s")
    ratio = None
    if local_t:
        ratio = statistics.median(rest_t) / statistics.median(local_t)
        print(f"local engine    {args.big_rows:,} rows: median {statistics.median(local_t):.3f} s")
        print(f"REST / local:      {ratio:.2f}  (target <= 1.3)")
    else:
        print("REST / local:      (no --home for the server's store; skipped)")
    bad = bool(errors or lost or not_ok or stuck) or (ratio is not None and ratio > 1.3)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
