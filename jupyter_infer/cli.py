"""The ``jupyter-infer`` command line (also ``python -m jupyter_infer``): train, infer, jobs, models and a demo
that runs every model type on a bundled dataset with the embedded engine (no server, no account)."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import Any

import pandas as pd

from . import connect
from ._exceptions import InferError, OptionError

MODEL_TYPES = ("prediction", "clustering", "anomaly", "embedding", "search", "factors")


def _params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InferError(f'--param takes KEY=VALUE, not "{pair}".')
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _client(args: argparse.Namespace) -> Any:
    return connect(args.url, token=args.token) if args.url else connect(home=args.home)


def cmd_train(args: argparse.Namespace) -> None:
    c = _client(args)
    t0 = time.perf_counter()
    model = c.models.train(
        args.data, args.model_type, label_column=args.label, name=args.name,
        input_columns=[c.strip() for c in args.columns.split(",") if c.strip()] if args.columns else None,
        params=_params(args.param),
    )  # fmt: skip
    print(f"trained {model.name} ({model.model_type}, version {model.version}, {model.id}) in "
          f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
    for k, v in model.metrics.items():
        if isinstance(v, int | float):
            print(f"  {k}: {v:.4g}")


def cmd_infer(args: argparse.Namespace) -> None:
    c = _client(args)
    kw: dict[str, Any] = {}
    if args.anomaly_format:
        kw["anomaly_format"] = args.anomaly_format
    if args.k is not None:
        kw["k"] = args.k
    fmt = args.format or (args.output.rsplit(".", 1)[-1] if args.output and "." in args.output else "csv")
    if fmt == "parquet" and not args.output:
        raise OptionError("--format parquet writes a binary file; add --output FILE.parquet.")
    if args.use_async:
        job = c.models.infer_async(args.model, args.data, output_type=fmt, **kw)
        try:
            while not job.done:
                print(f"\r{job.status} {job.rows_done or 0:,}/{job.rows_total or '?'} rows {job.progress or 0:.0f}%",
                      end="", file=sys.stderr, flush=True)  # fmt: skip
                time.sleep(0.5)
        except KeyboardInterrupt:  # Ctrl-C: the job goes with the command, as a kernel interrupt does in a cell
            job.cancel()
            with contextlib.suppress(InferError, TimeoutError):
                job.wait(timeout=15)  # the job ends canceled (it stops at its next batch)
            print(f"\ninterrupted: job {job.id} is {job.status}", file=sys.stderr)
            raise
        print(file=sys.stderr)
        res = job.result()
    else:
        res = c.models.infer(args.model, args.data, output_type=fmt, **kw)
    if args.output:
        path = res.save(args.output, format=fmt)
        print(f"wrote {len(res):,} rows to {path}", file=sys.stderr)
    elif fmt == "json":
        print(json.dumps(res.to_json(), default=str))
    else:
        sys.stdout.write(res.to_csv() or "")


def cmd_jobs(args: argparse.Namespace) -> None:
    c = _client(args)
    if args.cancel:
        job = c.jobs.cancel(args.cancel)
        print(f"{job.id}: {job.status}")
        return
    rows = [
        {"id": j.id, "type": j.type, "status": j.status, "progress": j.progress, "rows": j.rows_done,
         "model": j.model_name, "created": j.created_at, "error": j.error_message}
        for j in c.jobs.list(status=args.status, limit=args.limit)
    ]  # fmt: skip
    print(pd.DataFrame(rows).to_string(index=False) if rows else "no jobs")


def cmd_models(args: argparse.Namespace) -> None:
    c = _client(args)
    rows = [
        {"name": m.name, "type": m.model_type, "version": m.version, "id": m.id,
         "trained_on": m.training_dataset_name,
         "metric": next((f"{k}={v:.3g}" for k, v in m.metrics.items() if k in ("accuracy", "r2", "silhouette_score",
                                                                                 "explained_variance")), "")}
        for m in c.models.list()
    ]  # fmt: skip
    print(pd.DataFrame(rows).to_string(index=False) if rows else "no models")


def demo_data() -> pd.DataFrame:
    try:
        from palmerpenguins import load_penguins

        return load_penguins()
    except ImportError:  # pragma: no cover - palmerpenguins is a dependency
        from sklearn.datasets import load_wine

        return load_wine(as_frame=True).frame


def cmd_demo(args: argparse.Namespace) -> None:
    """Train and score every model type on the penguins dataset; print what happened."""
    c = _client(args)
    df = demo_data()
    label = "species" if "species" in df.columns else "target"
    print(
        f"jupyter-infer demo on {len(df)} penguins x {df.shape[1]} columns; store: {getattr(c.backend, 'home', c.url)}\n"
    )
    new = df.sample(frac=0.25, random_state=1).drop(columns=[label])
    for t in MODEL_TYPES:
        t0 = time.perf_counter()
        model = c.models.train(df, t, label_column=label if t == "prediction" else None, name=f"demo-{t}")
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        kw = {"k": 2} if t == "search" else ({"anomaly_format": "per_row"} if t == "anomaly" else {})
        res = c.models.infer(model, new, **kw)
        out = res.to_pandas()
        print(f"== {t}: trained {model.name} v{model.version} in {fit_s:.1f} s, scored {len(new)} rows in "
              f"{time.perf_counter() - t0:.2f} s -> {len(out)} rows, columns {list(out.columns)}")  # fmt: skip
        metrics = {k: round(v, 3) for k, v in model.metrics.items() if isinstance(v, float)}
        if metrics:
            print(f"   metrics: {metrics}")
        for key, desc in res.descriptions.items():
            for label_key, d in list(desc.items())[:3]:
                print(f"   {key[:-13]} {label_key}: {d.get('summary')}")
        with pd.option_context("display.width", 120, "display.max_columns", 8):
            print("   " + out.head(3).to_string(index=False).replace("\n", "\n   "))
        print()
    print("Every model type trained and scored on the embedded engine. Try: jupyter-infer models; jupyter-infer jobs")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jupyter-infer", description=__doc__)
    p.add_argument("--home", help="store directory (default: $JUPYTER_INFER_HOME or Jupyter's data dir/infer)")
    p.add_argument("--url", help="a remote Wood Wide-compatible API base instead of the embedded engine")
    p.add_argument("--token", help="token for --url")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a model (a new version if the name exists)")
    t.add_argument("data", help="csv, parquet or json file, or dataset:NAME")
    t.add_argument("model_type", choices=MODEL_TYPES)
    t.add_argument("--label", help="label column (prediction)")
    t.add_argument("--name", help="model name")
    t.add_argument("--columns", help="comma-separated input columns")
    t.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="training param (repeatable)")
    t.set_defaults(fn=cmd_train)

    i = sub.add_parser("infer", help="score a file or dataset with a model")
    i.add_argument("model", help="model name or id")
    i.add_argument("data", help="csv, parquet or json file, or dataset:NAME")
    i.add_argument("--output", "-o", help="write the result here (format from the extension)")
    i.add_argument("--format", choices=("json", "csv", "parquet"))
    i.add_argument("--anomaly-format", choices=("ids_only", "per_row"))
    i.add_argument("-k", type=int, help="neighbours per row (search)")
    i.add_argument("--async", dest="use_async", action="store_true", help="stream the file as a background job")
    i.set_defaults(fn=cmd_infer)

    j = sub.add_parser("jobs", help="list recent jobs, or cancel one")
    j.add_argument("--status", choices=("queued", "running", "succeeded", "failed", "canceled"))
    j.add_argument("--limit", type=int, default=20)
    j.add_argument("--cancel", metavar="JOB_ID")
    j.set_defaults(fn=cmd_jobs)

    m = sub.add_parser("models", help="list models")
    m.set_defaults(fn=cmd_models)

    d = sub.add_parser("demo", help="train and score every model type on a bundled dataset")
    d.set_defaults(fn=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.fn(args)
    except InferError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
