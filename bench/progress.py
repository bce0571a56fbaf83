"""How truthful an async inference job's progress is, measured while it runs (not run by CI).

Runs async inference on a generated file (default: 1M-row CSV) through the embedded engine, samples the job every
0.2 s (time, progress, rows_done, ETA), then starts the same job again and cancels it a quarter of the way in.

    python bench/progress.py                       # 1M-row CSV
    python bench/progress.py --format jsonl --rows 300000
    python bench/progress.py --format parquet
    python bench/progress.py --heavy --rows 300000    # a 900-tree model: slow batches

Every figure is printed against a baseline measured in the same run:
- time to the first progress above 0, as a share of the job's duration (goal: well under the first batch's share);
- the first progress figure and the largest jump between two samples, in points (100 = one jump to the end);
- the ETA at 25 % and 50 %: predicted remaining time / the remaining time the job really took (1.00 = exact);
- cancel latency: seconds from ``job.cancel()`` to the ``canceled`` status, and as a ratio to the 1 s goal; the
  progress and rows the cancelled job reports against those it had reached when cancel was asked;
- the job's duration against scoring the same rows in memory in one batch (``read_file`` + one ``score`` call):
  what the batch size costs in throughput.

``measure_progress(client, model, path)`` and ``measure_cancel(client, model, path, after)`` are the two parts,
for bench/interactive.py. Run it on a quiet machine: the figures move with the load.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from load import frame  # bench/load.py: generated rows with a label

import jupyter_infer as ji

TERMINAL = ("succeeded", "failed", "canceled")
SAMPLE = 0.2


def write_input(df: pd.DataFrame, fmt: str, directory: Path) -> Path:
    path = directory / f"input.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    elif fmt == "jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_parquet(path, row_group_size=131_072)
    return path


def _record(client: ji.Client, job_id: str) -> dict[str, Any]:
    return dict(client.jobs.get(job_id)._record)


def measure_progress(client: ji.Client, model: Any, path: str | Path) -> dict[str, Any]:
    """Run one async job on ``path`` and sample it every 0.2 s: the figures of the module docstring."""
    t0 = time.monotonic()
    job = client.models.infer_async(model, str(path), output_type="parquet")
    samples: list[tuple[float, float, int, float | None]] = []
    while True:
        rec = _record(client, job.id)
        t = time.monotonic() - t0
        if rec["status"] in TERMINAL:
            break
        if rec["status"] == "running":
            eta = rec.get("estimated_seconds_remaining")
            samples.append((t, float(rec.get("progress") or 0), int(rec.get("rows_done") or 0), eta))
        time.sleep(SAMPLE)
    if rec["status"] != "succeeded":
        raise RuntimeError(f"the job {job.id} ended {rec['status']}: {rec.get('error_message')}")
    end = t
    first = next(((t, p) for t, p, _, _ in samples if p > 0), None)
    points = [0.0] + [p for _, p, _, _ in samples] + [100.0]
    jumps = [b - a for a, b in itertools.pairwise(points)]
    out: dict[str, Any] = {
        "job_seconds": end,
        "samples": len(samples),
        "first_progress_seconds": first[0] if first else None,
        "first_progress": first[1] if first else None,
        "largest_jump": max(jumps),
        "monotonic": all(j >= 0 for j in jumps),
        "rows": int(rec.get("rows_done") or 0),
        "trace": samples,
    }
    for mark in (25, 50):
        hit = next(((t, p, eta) for t, p, _, eta in samples if mark <= p < 100 and eta is not None), None)
        out[f"eta_ratio_{mark}"] = (hit[2] / (end - hit[0])) if hit and end > hit[0] else None
        out[f"eta_at_{mark}"] = hit
    return out


def measure_cancel(client: ji.Client, model: Any, path: str | Path, after: float) -> dict[str, Any]:
    """Start a job on ``path``, cancel it ``after`` seconds into its run, and time the cancel."""
    job = client.models.infer_async(model, str(path), output_type="parquet")
    while _record(client, job.id)["status"] == "queued":
        time.sleep(0.02)
    time.sleep(after)
    before = _record(client, job.id)
    t = time.monotonic()
    job.cancel()
    while (rec := _record(client, job.id))["status"] not in TERMINAL:
        time.sleep(0.02)
    return {
        "latency": time.monotonic() - t,
        "status": rec["status"],
        "progress_before": before.get("progress"),
        "rows_before": before.get("rows_done"),
        "progress_after": rec.get("progress"),
        "rows_after": rec.get("rows_done"),
    }


def one_batch_seconds(client: ji.Client, model: Any, path: Path) -> float:
    """The baseline: the whole file read into memory and scored in one call of the engine's scorer."""
    from jupyter_infer.engine.io import read_file
    from jupyter_infer.engine.options import InferOptions
    from jupyter_infer.jobs import load_artifact

    backend: Any = client.backend
    _, version = backend.store.model_version(model.id, None)
    t = time.perf_counter()
    df = read_file(path)
    load_artifact(version).scorer(InferOptions(output_type="parquet")).score(df, from_text=path.suffix == ".csv")
    return time.perf_counter() - t


def _fmt(v: Any, spec: str = ".2f") -> str:
    return "n/a" if v is None else format(v, spec)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv")
    ap.add_argument("--mode", choices=("fast", "best"), default="fast", help="training_mode of the model")
    ap.add_argument("--heavy", action="store_true", help="a 3-class model of 900 trees (slow to score)")
    ap.add_argument("--trace", action="store_true", help="print every sample (seconds, progress, rows, ETA)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="ji-progress-") as tmp:
        d = Path(tmp)
        client = ji.connect(home=d / "store")
        df = frame(args.rows)
        path = write_input(df.drop(columns="label"), args.format, d)
        train = df.head(20_000 if args.heavy else 5000).copy()
        if args.heavy:  # a label boosting keeps learning for all 300 rounds: 3 classes x 300 = 900 trees
            z = np.sin(3 * train["a"]) * train["b"] + np.cos(train["e"] * 2) + (train["c"] % 7) / 7
            train["label"] = np.select([z < -0.3, z < 0.6], ["low", "mid"], "high")
        model = client.models.train(train, "prediction", label_column="label", name="progress",
                                    params={"training_mode": args.mode})  # fmt: skip
        print(f"{args.rows:,} rows of {args.format}, {path.stat().st_size / 2**20:.0f} MiB; code: {ji.__file__}")
        base = one_batch_seconds(client, model, path)
        run = measure_progress(client, model, path)
        job_s = run["job_seconds"]
        print(f"job: {job_s:.2f} s = {job_s / base:.2f}x reading and scoring it in one batch ({base:.2f} s)")
        print(f"samples while running: {run['samples']}, progress monotonic: {run['monotonic']}")
        if args.trace:
            print("  ".join(f"{t:.1f}s {p:.0f}% {r} eta={_fmt(e, '.1f')}" for t, p, r, e in run["trace"]))
        ft = run["first_progress_seconds"]
        print(f"first progress > 0 after {_fmt(ft)} s = {_fmt(ft / job_s if ft else None)} of the job; "
              f"its figure: {_fmt(run['first_progress'], '.1f')} %")  # fmt: skip
        print(f"largest jump between two samples: {run['largest_jump']:.1f} points")
        for mark in (25, 50):
            hit = run[f"eta_at_{mark}"]
            where = f" (at {hit[1]:.0f} %, {hit[0]:.1f} s: ETA {hit[2]:.1f} s)" if hit else ""
            print(f"ETA at {mark} %: predicted / real remaining = {_fmt(run[f'eta_ratio_{mark}'])}{where}")
        c = measure_cancel(client, model, path, after=0.25 * job_s)
        print(f"cancel: {c['latency']:.2f} s = {c['latency'] / 1.0:.2f}x the 1 s goal; status {c['status']}; "
              f"before cancel {_fmt(c['progress_before'], '.1f')} % / {c['rows_before']} rows, "
              f"after {_fmt(c['progress_after'], '.1f')} % / {c['rows_after']} rows")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
