"""What a person waits on in a notebook, as ratios measured in the same run (issue 11's table).

Every row is one of ours against its baseline, timed in turn (ours, baseline, ours, ...), and the figure is the
median of the pairwise ratios, so a machine that speeds up or slows down mid-run moves both sides alike:

- training wine (178 rows), ``fast`` and default mode, ingest included, vs ``HistGradientBoostingClassifier().fit``;
- loading a 900-tree model in a new process vs ``pickle.loads`` of the same artifact (each in its own process);
- the first inference right after training vs a warm call;
- one-row ``models.infer`` vs the plain scikit-learn pipeline's one-row predict and the raw estimator;
- ``%%infer MODEL dest`` on 300k rows in a real IPython shell vs ``models.infer(...).to_pandas()``;
- ``models.infer(df).to_pandas()`` on 300k rows vs the plain pipeline;
- ``jupyter-infer models`` / ``jobs`` / ``--help`` (new processes) vs ``python -c pass``;
- CSV ``infer_async``: when progress first moves, how far it strays from elapsed time, how long cancel takes;
- one-row latency of the remote client (a real Jupyter server on 127.0.0.1) vs the embedded one.

Run: ``python bench/interactive.py`` (``--runs 3 --rows 100000`` for a quick look). Not run by CI. It uses only the
public API, so the same file measures an older checkout: ``PYTHONPATH=<checkout> python bench/interactive.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent))  # tests._server; jupyter_infer comes from PYTHONPATH
from _timing import ROWS, fastest_threads, median_of, paired, report, timed
from engine_bench import make_frame, user_pipeline


def wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).frame


# ---- 1. training ------------------------------------------------------------------------------------------------
def training(client: Any, runs: int) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    df = wine()
    X, y = df.drop(columns="target"), df["target"]
    for mode in ("fast", "best"):

        def ours_fit(mode: str = mode) -> Any:
            return client.models.train(
                df, "prediction", label_column="target", name=f"wine-{mode}", params={"training_mode": mode}
            )

        ours, base, ratio = paired(ours_fit, fastest_threads(lambda: HistGradientBoostingClassifier().fit(X, y)), runs)
        goal = "<= 1.5" if mode == "fast" else "<= 3"
        report(f"train wine (178 rows), {mode}", "HistGradientBoostingClassifier.fit", ratio, goal,
               f"({ours:.3f} s vs {base:.3f} s)")  # fmt: skip


# ---- 2. loading a big model in a new process ----------------------------------------------------------------------
LOAD_CHILD = """
import pickle, sys, time
import jupyter_infer as ji
import sklearn.ensemble
from jupyter_infer.engine import model, persist  # the engine's imports, done before either clock starts
from jupyter_infer.jobs import load_artifact
what, home, name, pk = sys.argv[1:5]
c = ji.connect(home=home)
version = None if what == "file" else c.models.get(name).record["current_version"]
data = open(pk, "rb").read()
t0 = time.perf_counter()
if what == "ours":
    load_artifact(version)
elif what == "pickle":
    pickle.loads(data)
elif what == "file":  # a model file written by the bench itself (the forest), read from bytes like a store's
    persist.loads(open(name, "rb").read())
else:
    c.models.infer(name, __import__("sklearn.datasets").datasets.load_wine(as_frame=True).frame.head(1))
print(time.perf_counter() - t0)
"""


def load_in_new_process(home: Path, runs: int) -> None:
    from jupyter_infer.jobs import load_artifact

    client = connect(home)
    version = client.models.get("wine-fast").record["current_version"]
    art = load_artifact(version)
    est = art.core["estimator"]
    trees = int(est.n_iter_ * est.n_trees_per_iteration_)
    pk = home / "wine-fast.pickle"
    pk.write_bytes(pickle.dumps(art))

    def child(what: str) -> float:
        cmd = [sys.executable, "-c", LOAD_CHILD, what, str(home), "wine-fast", str(pk)]
        return float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip())

    ours, base, ratios = [], [], []
    for _ in range(runs):
        ours.append(child("ours"))
        base.append(child("pickle"))
        ratios.append(ours[-1] / base[-1])
    first = statistics.median(child("infer") for _ in range(max(1, runs // 2)))
    report(f"load a {trees}-tree model in a new process", "pickle.loads of the same artifact",
           statistics.median(ratios), "<= 5",
           f"({statistics.median(ours) * 1000:.1f} ms vs {statistics.median(base) * 1000:.1f} ms; first one-row "
           f"models.infer in a new process {first * 1000:.0f} ms)")  # fmt: skip
    forest_load(home, runs)


def forest_load(home: Path, runs: int) -> None:
    """The random forest ``best`` can choose (the engine's own forest settings, 200 trees on wine), saved in the
    model format, loaded in a new process vs ``pickle.loads`` of the same artifact."""
    import dataclasses

    from jupyter_infer.engine import persist
    from jupyter_infer.engine.schema import align
    from jupyter_infer.engine.types import _select
    from jupyter_infer.jobs import load_artifact

    art = load_artifact(connect(home).models.get("wine-best").record["current_version"])
    df = wine()
    aligned, _ = align(df.drop(columns="target"), art.featurizer.schema)
    est = _select.forest("classification", len(df), 200).fit(art.featurizer.tree_matrix(aligned), df["target"])
    core = {"estimator": est.set_params(warm_start=False), "kind": "forest", "task": "classification",
            "classes": [int(c) for c in est.classes_], "class_type": "int"}  # fmt: skip
    forest = dataclasses.replace(art, core=core)
    path, pk = home / "forest.model", home / "forest.pickle"
    persist.save(forest, path)
    pk.write_bytes(pickle.dumps(forest))

    def child(what: str) -> float:
        cmd = [sys.executable, "-c", LOAD_CHILD, what, str(home), str(path) if what == "file" else "wine-best", str(pk)]
        return float(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip())

    ours, base = [], []
    for _ in range(runs):
        ours.append(child("file"))
        base.append(child("pickle"))
    report("load a 200-tree random forest in a new process", "pickle.loads of the same artifact",
           statistics.median(a / b for a, b in zip(ours, base, strict=True)), "<= 5",
           f"({statistics.median(ours) * 1000:.1f} ms vs {statistics.median(base) * 1000:.1f} ms)")  # fmt: skip


# ---- 3. first inference right after training ----------------------------------------------------------------------
def first_after_training(client: Any, runs: int) -> None:
    df = wine()
    rows = df.drop(columns="target").head(5)
    ratios, firsts, warms = [], [], []
    for _ in range(runs):
        m = client.models.train(
            df, "prediction", label_column="target", name="wine-fresh", params={"training_mode": "fast"}
        )
        firsts.append(timed(lambda m=m: client.models.infer(m, rows)))
        warms.append(median_of(lambda m=m: client.models.infer(m, rows), 5))
        ratios.append(firsts[-1] / warms[-1])
    report("first infer right after training (5 rows)", "a warm call", statistics.median(ratios), "<= 1.2",
           f"({statistics.median(firsts) * 1000:.1f} ms vs {statistics.median(warms) * 1000:.1f} ms)")  # fmt: skip


# ---- 4-6. one row, 300k rows, %%infer ---------------------------------------------------------------------------
def scoring(client: Any, home: Path, rows: int, runs: int) -> None:
    from jupyter_infer.engine.schema import align
    from jupyter_infer.jobs import load_artifact

    train = make_frame(20_000, seed=1)
    model = client.models.train(
        train, "prediction", label_column="label", name="bench", params={"training_mode": "fast"}
    )
    pipe: Any = user_pipeline(train)
    art = load_artifact(model.record["current_version"])
    est = art.core["estimator"]

    def by_hand(frame: pd.DataFrame) -> pd.DataFrame:
        proba = pipe.predict_proba(frame)
        return pd.DataFrame(
            {"id": np.arange(len(frame)), "prediction": pipe.classes_[proba.argmax(1)], "prediction_prob": proba.max(1)}
        )

    one = make_frame(1, seed=3).drop(columns="label")
    aligned, _ = align(one, art.featurizer.schema)
    X1 = np.ascontiguousarray(art.featurizer.tree_matrix(aligned))
    # one-row calls take milliseconds, so a busy machine's spikes swamp medians: each figure is the ratio of the
    # fastest of many interleaved calls (as timeit does); a baseline runs with default threads and with one thread
    from threadpoolctl import threadpool_limits

    def one_thread(fn: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with threadpool_limits(1):
                return fn()

        return run

    calls = {
        "ours": lambda: client.models.infer(model, one).to_pandas(),
        "pipeline": lambda: by_hand(one),
        "pipeline, 1 thread": one_thread(lambda: by_hand(one)),
        "raw": lambda: est.predict_proba(X1),
        "raw, 1 thread": one_thread(lambda: est.predict_proba(X1)),
    }
    best = {k: float("inf") for k in calls}
    for _ in range(40 * runs):
        for k, fn in calls.items():
            best[k] = min(best[k], timed(fn))
    by_pipe, raw = min(best["pipeline"], best["pipeline, 1 thread"]), min(best["raw"], best["raw, 1 thread"])
    ours_ms = best["ours"] * 1000
    report("one-row models.infer, model warm", "plain pipeline one-row predict", best["ours"] / by_pipe, "<= 1.0",
           f"(fastest of {40 * runs}: {ours_ms:.2f} ms vs {by_pipe * 1000:.2f} ms)")  # fmt: skip
    report("one-row models.infer, model warm", "raw estimator predict_proba", best["ours"] / raw, "<= 2",
           f"(raw {raw * 1000:.2f} ms)")  # fmt: skip

    data = make_frame(rows, seed=2).drop(columns="label")

    def settle() -> None:  # a sync result is stored in the background; listing jobs waits for it
        client.jobs.list(limit=1)

    ours, base, ratio = paired(
        lambda: client.models.infer(model, data).to_pandas(), fastest_threads(lambda: by_hand(data)), runs, settle
    )
    report(f"models.infer(df).to_pandas(), {rows // 1000}k rows", "plain pipeline predict", ratio, "<= 0.95",
           f"({ours:.3f} s vs {base:.3f} s)")  # fmt: skip

    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "jupyter_infer")
    shell.user_ns["df"] = data

    def magic() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            res = shell.run_cell("%%infer bench result\ndf")
        if not res.success or len(shell.user_ns["result"]) != rows:
            raise RuntimeError(f"%%infer failed: {res.error_in_exec or res.error_before_exec}")

    magic()  # warm: the magic's client
    ours, base, ratio = paired(magic, lambda: client.models.infer("bench", data).to_pandas(), runs, settle)
    report(f"%%infer MODEL dest, {rows // 1000}k-row DataFrame", "models.infer(...).to_pandas()", ratio, "<= 1.05",
           f"({ours:.3f} s vs {base:.3f} s)")  # fmt: skip


# ---- 7. the command line ------------------------------------------------------------------------------------------
def command_line(home: Path, runs: int) -> None:
    script = Path(sys.executable).with_name("jupyter-infer")
    prog = [str(script)] if script.exists() else [sys.executable, "-m", "jupyter_infer"]
    env = {**os.environ, "JUPYTER_INFER_HOME": str(home)}

    def run(cmd: list[str]) -> Callable[[], None]:
        return lambda: subprocess.run(cmd, env=env, capture_output=True, check=True)

    for args, goal in ((["models"], 0.5), (["jobs"], 0.5), (["--help"], 0.3)):
        ours, base, ratio = paired(run([*prog, *args]), run([sys.executable, "-c", "pass"]), runs)
        report(f"jupyter-infer {' '.join(args)} (new process)", "python -c pass", ratio, f"<= {goal} s",
               f"({ours:.2f} s vs {base:.2f} s)")  # fmt: skip


# ---- 8. CSV progress and cancel -----------------------------------------------------------------------------------
def csv_progress(client: Any, home: Path, rows: int) -> None:
    path = home / "progress.csv"
    make_frame(rows, seed=4).drop(columns="label").to_csv(path, index=False)
    t0 = time.monotonic()
    job = client.models.infer_async("bench", str(path))
    seen: list[tuple[float, float]] = []
    while job.refresh().status not in ("succeeded", "failed", "canceled"):
        seen.append((time.monotonic() - t0, float(job.progress or 0)))
        time.sleep(0.05)
    total = time.monotonic() - t0
    moving = [(t, p) for t, p in seen if p > 0]
    first_t, first_p = moving[0] if moving else (total, 100.0)
    stray = max((abs(p / 100 - t / total) for t, p in seen), default=0.0)
    rises = all(b[1] >= a[1] for a, b in itertools.pairwise(seen))
    print(
        f"  CSV infer_async, {rows:,} rows in {total:.1f} s ({job.status}): progress first moves at "
        f"{first_t:.2f} s to {first_p:.0f} %; largest gap between progress and elapsed time {stray * 100:.0f} "
        f"points; rises monotonically: {rises}",
        flush=True,
    )
    report("CSV progress: first update, share of the run", "the whole run", first_t / total, "small")
    job = client.models.infer_async("bench", str(path))
    while job.refresh().status == "queued":
        time.sleep(0.02)
    time.sleep(min(1.0, total / 3))
    t_cancel = time.monotonic()
    job.cancel()
    while job.refresh().status not in ("succeeded", "failed", "canceled"):
        time.sleep(0.01)
    waited = time.monotonic() - t_cancel
    print(
        f"  cancel during CSV scoring: ended {job.status} after {waited:.2f} s, progress {job.progress}, "
        f"rows_done {job.rows_done}",
        flush=True,
    )
    report("CSV cancel latency", "1 s", waited, "<= 1")
    path.unlink()


# ---- 9. remote vs embedded ----------------------------------------------------------------------------------------
def remote(client: Any, home: Path, runs: int) -> None:
    import jupyter_infer as ji
    from tests._server import start_server

    root = home / "server-root"
    root.mkdir(exist_ok=True)
    url, token, stop = start_server(home, root)
    try:
        remote_client = ji.connect(url, token=token)
        one = make_frame(1, seed=3).drop(columns="label")
        remote_client.models.infer("bench", one)  # warm: the server's model cache
        ours, base, ratio = paired(
            lambda: remote_client.models.infer("bench", one).to_pandas(),
            lambda: client.models.infer("bench", one).to_pandas(),
            10 * runs,
        )
        report("one-row infer, remote client (127.0.0.1)", "the embedded client", ratio, "-",
               f"({ours * 1000:.1f} ms vs {base * 1000:.1f} ms)")  # fmt: skip
    finally:
        stop()


def connect(home: Path) -> Any:
    import jupyter_infer as ji

    return ji.connect(home=home)


SECTIONS = ("train", "load", "fresh", "scoring", "cli", "csv", "remote")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="paired runs per figure (default 5)")
    ap.add_argument("--rows", type=int, default=300_000, help="rows for the big-frame figures (default 300k)")
    ap.add_argument("--csv-rows", type=int, default=1_000_000, help="rows of the CSV for progress (default 1M)")
    ap.add_argument("--only", nargs="*", choices=SECTIONS, help="run only these sections")
    args = ap.parse_args()
    only = set(args.only or SECTIONS)
    with tempfile.TemporaryDirectory(prefix="ji-interactive-") as tmp:
        home = Path(tmp)
        os.environ["JUPYTER_INFER_HOME"] = str(home)
        import jupyter_infer

        print(
            f"jupyter_infer from {Path(jupyter_infer.__file__).parent.parent}; {os.cpu_count()} CPUs; "
            f"load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        client = connect(home)
        if only & {"train", "load", "fresh"}:
            training(client, args.runs)
        if "load" in only:
            load_in_new_process(home, args.runs)
        if "fresh" in only:
            first_after_training(client, args.runs)
        if only & {"scoring", "csv", "remote"}:
            scoring(client, home, args.rows, args.runs)
        if "cli" in only:
            command_line(home, args.runs)
        if "csv" in only:
            csv_progress(client, home, args.csv_rows)
        if "remote" in only:
            remote(client, home, args.runs)
    print("\nsummary (ratio, goal):")
    for what, against, ratio, goal in ROWS:
        print(f"  {ratio:7.2f}x  {goal:<8}  {what} vs {against}")


if __name__ == "__main__":
    main()
