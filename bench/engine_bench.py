"""Engine benchmarks: every figure is a ratio against a baseline measured in the same run.

(a) ``models.infer`` on an in-memory DataFrame (1M rows x 12 mixed columns) through ``to_pandas()``, against the raw
    estimator on the already-preprocessed array and against the plain scikit-learn pipeline a user would write.
(b) streaming (``infer_async``) over 1M- and 4M-row parquet files: rows/s and peak RSS, each in its own process.

Run: ``python bench/engine_bench.py`` (``--rows 200000`` for a quick look). Not run by CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


def make_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """12 mixed columns: 7 numeric (5% missing), 4 text categoricals (3 to 200 levels), 1 boolean; a binary label."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"num_{i}": rng.normal(size=n) for i in range(7)})
    for i in range(7):
        df.loc[rng.random(n) < 0.05, f"num_{i}"] = np.nan
    for i, card in enumerate((3, 10, 50, 200)):
        df[f"cat_{i}"] = pd.Series(rng.integers(0, card, n)).map(lambda v, i=i: f"c{i}_{v}").astype(str)
    df["flag"] = rng.random(n) < 0.3
    score = df["num_0"].fillna(0) + 0.5 * df["num_1"].fillna(0) * df["flag"] + (df["cat_0"] == "c0_1") * 0.8
    df["label"] = np.where(score + rng.normal(scale=0.5, size=n) > 0.3, "yes", "no")
    return df


def best_of(fn: Callable[[], object], repeat: int = 3, clock: Callable[[], float] = time.perf_counter) -> float:
    """The shortest of ``repeat`` runs of ``fn`` by ``clock`` (wall time by default)."""
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return min(times)


def user_pipeline(train: pd.DataFrame) -> object:
    """What a data scientist writes by hand: ordinal-encode the text columns, boost, same estimator settings."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    cats = [c for c in train.columns if c.startswith("cat_")]
    nums = [c for c in train.columns if c.startswith("num_")] + ["flag"]
    pre = ColumnTransformer(
        [
            ("num", "passthrough", nums),
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan), cats),
        ]
    )
    hgb = HistGradientBoostingClassifier(
        max_iter=300,
        early_stopping=True,
        random_state=0,
        categorical_features=list(range(len(nums), len(nums) + len(cats))),
    )
    return Pipeline([("pre", pre), ("hgb", hgb)]).fit(train.drop(columns="label"), train["label"])


def in_memory(rows: int, home: Path) -> dict[str, float]:
    import jupyter_infer as ji
    from jupyter_infer.engine.schema import align
    from jupyter_infer.jobs import load_artifact

    client = ji.connect(home=home)
    train = make_frame(100_000, seed=1)
    model = client.models.train(
        train, "prediction", label_column="label", name="bench", params={"training_mode": "fast"}
    )
    data = make_frame(rows, seed=2).drop(columns="label")
    art = load_artifact(model.record["current_version"])
    aligned, _ = align(data, art.featurizer.schema)
    X = np.ascontiguousarray(art.featurizer.tree_matrix(aligned))
    est = art.core["estimator"]
    pipe = user_pipeline(train)

    def raw() -> None:
        proba = est.predict_proba(X)
        est.classes_[proba.argmax(1)]

    def by_hand() -> None:
        proba = pipe.predict_proba(data)  # type: ignore[attr-defined]
        pd.DataFrame(
            {"id": np.arange(len(data)), "prediction": pipe.classes_[proba.argmax(1)], "prediction_prob": proba.max(1)}
        )  # type: ignore[attr-defined]

    def ours() -> None:
        client.models.infer(model, data).to_pandas()

    ours()  # warm: model load, caches
    t_raw, t_pipe, t_ours = best_of(raw), best_of(by_hand), best_of(ours)
    return {
        "rows": rows,
        "trees": int(est.n_iter_),
        "raw_s": t_raw,
        "pipeline_s": t_pipe,
        "ours_s": t_ours,
        "ours_vs_raw_throughput": t_raw / t_ours,
        "ours_vs_pipeline_throughput": t_pipe / t_ours,
    }


# The start of each child script: a store client, and peak_mb() for what the child itself used at its peak
CHILD = """
import json, sys, time

def peak_mb():
    # VmHWM: this process's own peak RSS. (ru_maxrss survives exec on Linux, so a child would report the
    # benchmark parent's peak instead of its own.)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
import jupyter_infer as ji
c = ji.connect(home=sys.argv[1])
"""

STREAM_CHILD = (
    CHILD
    + """
t0 = time.perf_counter()
job = c.models.infer_async("bench", sys.argv[2])
job.wait()
dt = time.perf_counter() - t0
assert job.status == "succeeded", job.error_message
print(json.dumps({"rows": job.rows_done, "seconds": dt, "peak_rss_mb": peak_mb()}))
"""
)

BASE_CHILD = (
    CHILD
    + """
from jupyter_infer.jobs import load_artifact
load_artifact(c.models.get("bench").record["current_version"])
print(json.dumps({"peak_rss_mb": peak_mb()}))
"""
)


def streaming(home: Path, sizes: list[int]) -> dict[str, object]:
    out: dict[str, object] = {}
    base = json.loads(
        subprocess.run([sys.executable, "-c", BASE_CHILD, str(home)], capture_output=True, text=True, check=True).stdout
    )
    out["process_with_model_loaded_rss_mb"] = base["peak_rss_mb"]
    for n in sizes:
        path = home / f"stream_{n}.parquet"
        # written in chunks so the generator itself stays small
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = None
        for start in range(0, n, 500_000):
            part = make_frame(min(500_000, n - start), seed=start).drop(columns="label")
            table = pa.Table.from_pandas(part, preserve_index=False)
            writer = writer or pq.ParquetWriter(path, table.schema)
            writer.write_table(table, row_group_size=131_072)
        assert writer is not None
        writer.close()
        r = subprocess.run([sys.executable, "-c", STREAM_CHILD, str(home), str(path)], capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(r.stderr)
        res = json.loads(r.stdout)
        out[f"{n}"] = {
            "rows_per_s": res["rows"] / res["seconds"],
            "seconds": res["seconds"],
            "peak_rss_mb": res["peak_rss_mb"],
        }
        path.unlink()
    if len(sizes) == 2:
        small, big = (out[str(s)] for s in sizes)
        out["peak_rss_ratio_big_vs_small"] = big["peak_rss_mb"] / small["peak_rss_mb"]  # type: ignore[index]
        out["rows_per_s_ratio_big_vs_small"] = big["rows_per_s"] / small["rows_per_s"]  # type: ignore[index]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows for the in-memory benchmark")
    ap.add_argument("--stream", type=int, nargs="*", default=[1_000_000, 4_000_000], help="streamed file sizes")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        os.environ["JUPYTER_INFER_HOME"] = str(home)
        a = in_memory(args.rows, home)
        print("(a) in-memory DataFrame -> models.infer -> to_pandas()")
        print(f"    rows {a['rows']:,}, trees {a['trees']}")
        print(
            f"    raw estimator on the preprocessed array : {a['raw_s']:.2f} s  ({a['rows'] / a['raw_s']:,.0f} rows/s) = 1.00"
        )
        print(
            f"    scikit-learn pipeline written by hand   : {a['pipeline_s']:.2f} s  ratio vs raw {a['raw_s'] / a['pipeline_s']:.2f}"
        )
        print(
            f"    jupyter-infer models.infer + to_pandas  : {a['ours_s']:.2f} s  ratio vs raw {a['ours_vs_raw_throughput']:.2f}"
            f" (target >= 0.80), vs hand pipeline {a['ours_vs_pipeline_throughput']:.2f}"
        )
        if args.stream:
            b = streaming(home, args.stream)
            print("(b) streaming infer_async over parquet (own process each)")
            print(
                f"    a process with the model loaded, no data : peak RSS {b['process_with_model_loaded_rss_mb']:.0f} MB"
            )
            for n in args.stream:
                r = b[str(n)]
                print(
                    f"    {n:>9,} rows: {r['rows_per_s']:,.0f} rows/s ({r['rows_per_s'] / (a['rows'] / a['raw_s']):.2f} of raw), "  # type: ignore[index]
                    f"peak RSS {r['peak_rss_mb']:.0f} MB"
                )  # type: ignore[index]
            if "peak_rss_ratio_big_vs_small" in b:
                print(
                    f"    peak RSS {args.stream[1]:,} vs {args.stream[0]:,} rows: {b['peak_rss_ratio_big_vs_small']:.2f}x (target <= 1.2)"
                )


if __name__ == "__main__":
    main()
