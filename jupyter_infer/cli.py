"""The ``jupyter-infer`` command line (also ``python -m jupyter_infer``): train, infer, jobs, models and a demo
that runs every model type on a bundled dataset with the embedded engine (no server, no account).

The commands read like the magics: ``jupyter-infer train TYPE DATA`` as ``%%infer_train TYPE``, ``jupyter-infer
infer MODEL DATA`` as ``%%infer MODEL``. Only what a command needs is imported: listing models or jobs never loads
scikit-learn or pandas.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._exceptions import ConflictError, InferError, OptionError
from .engine.options import MODEL_TYPES, InferOptions, check_model_type, output_type_for
from .engine.params import parse_columns, parse_params
from .store import STATUSES

CANCEL_WAIT = 15.0  # seconds `jobs --cancel` waits for the job to stop, as Ctrl-C on `infer --async` does

if TYPE_CHECKING:
    import pandas as pd

    from .client import Client


# ---- output -------------------------------------------------------------------------------------------------------
def width() -> int:
    """The terminal's width ($COLUMNS wins); 120 when the output is not a terminal."""
    return shutil.get_terminal_size((120, 24)).columns


def cell(value: Any) -> str:
    """A value as a table shows it: empty for missing (never ``NaN``/``None``), floats to 4 significant digits."""
    if value is None or type(value).__name__ in ("NAType", "NaTType") or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):  # 4 decimals (0.99999 is not "1"), scientific only for the very small or large
        return f"{value:.4f}" if value == 0 or 1e-4 <= abs(value) < 1e6 else f"{value:.4g}"
    return " ".join(str(value).split())  # one line per row


def table(rows: list[dict[str, Any]], max_width: int | None = None) -> str:
    """Rows as aligned columns that fit ``max_width`` (default: the terminal). When they do not, the rightmost
    columns (the least important: errors, training data) are cut first, with '…', down to their header's width."""
    if not rows:
        return ""
    cols = list(rows[0])
    cells = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    room = (max_width or width()) - 2 * (len(cols) - 1)
    floor = [max(len(c), 4) for c in cols]
    for i in reversed(range(len(cols))):
        widths[i] -= min(max(0, sum(widths) - room), widths[i] - min(floor[i], widths[i]))

    def fit(text: str, w: int) -> str:
        return text if len(text) <= w else text[: w - 1] + "…"

    numeric = [all(_is_number(row[i]) for row in cells) for i in range(len(cols))]
    lines = []
    for row in [cols, *cells]:
        parts = [
            fit(v, w).rjust(w) if num else fit(v, w).ljust(w) for v, w, num in zip(row, widths, numeric, strict=True)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return text == ""
    return True


def say(text: str, indent: str = "") -> None:
    """Print a paragraph wrapped to the terminal."""
    print(
        textwrap.fill(
            text,
            width=width(),
            initial_indent=indent,
            subsequent_indent=indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
    )  # a path stays whole


def local_time(stamp: str | None) -> str:
    if not stamp:
        return ""
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    return stamp


# ---- commands -----------------------------------------------------------------------------------------------------
def _client(args: argparse.Namespace) -> Client:
    from .client import connect

    return connect(args.url, token=args.token) if args.url else connect(home=args.home)


def train_order(first: str, second: str) -> tuple[str, str]:
    """``TYPE DATA`` (as ``%%infer_train TYPE``); the old ``DATA TYPE`` still works, with a warning."""
    if first in MODEL_TYPES:
        return first, second
    if second in MODEL_TYPES:
        print(
            f"warning: `jupyter-infer train DATA TYPE` is deprecated; write the type first, as %%infer_train "
            f"does: jupyter-infer train {second} {first}",
            file=sys.stderr,
        )
        return second, first
    check_model_type(first)  # raises, with a did-you-mean
    raise AssertionError  # pragma: no cover


def cmd_train(args: argparse.Namespace) -> None:
    model_type, data = train_order(args.model_type, args.data)
    c = _client(args)
    t0 = time.perf_counter()
    model: Any = c.models.train(
        data,
        model_type,
        label_column=args.label,
        name=args.name,
        input_columns=parse_columns(args.columns),
        params=parse_params(args.param),
    )
    print(
        f"trained {model.name} ({model.model_type}, version {model.version}, {model.id}) in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    for k, v in model.metrics.items():
        if isinstance(v, int | float):
            print(f"  {k}: {v:.4g}")
        elif k in ("model", "validation"):  # what was chosen and how it was judged (fast: maybe not at all)
            print(f"  {k}: {v}")


def _progress_line(job: Any) -> str:
    total = f"{job.rows_total:,}" if job.rows_total else "?"
    return f"{job.status} {job.rows_done or 0:,}/{total} rows {job.progress or 0:.0f}%"


def cmd_infer(args: argparse.Namespace) -> None:
    kw: dict[str, Any] = {name: getattr(args, name) for name in InferOptions.names() if name != "output_type"}
    if args.output_type == "parquet" and not args.output:  # --format arrives as output_type (the flag's dest)
        raise OptionError("--format parquet writes a binary file; add --output FILE.parquet.")
    if args.force and not args.output:
        raise OptionError("--force applies to --output; add --output FILE.")
    if args.output and Path(args.output).is_dir():
        raise ConflictError(f"{args.output} is a folder; --output names the file to write.")
    if args.output and Path(args.output).exists() and not args.force:  # before any work, as %%infer --export
        raise ConflictError(f"{args.output} already exists; add --force to replace it.")
    output_type = args.output_type or (output_type_for(args.output, how="add --format") if args.output else "csv")
    c = _client(args)
    if args.use_async:
        job = c.models.infer_async(args.model, args.data, output_type=output_type, **kw)
        try:
            while not job.done:
                print(f"\r{_progress_line(job)}", end="", file=sys.stderr, flush=True)
                time.sleep(0.5)
        except KeyboardInterrupt:  # Ctrl-C: the job goes with the command, as a kernel interrupt does in a cell
            job.cancel()
            with contextlib.suppress(InferError, TimeoutError):
                job.wait(timeout=CANCEL_WAIT)  # the job ends canceled (it stops at its next batch)
            print(
                f"\ninterrupted: job {job.id} is {job.status} at {job.progress or 0:.0f}% "
                f"({job.rows_done or 0:,} rows done)",
                file=sys.stderr,
            )
            raise
        print(f"\r{_progress_line(job)}", file=sys.stderr)  # the final state: where a failed job stopped
        res = job.result()
    else:
        res = c.models.infer(args.model, args.data, output_type=output_type, **kw)
    if args.output:
        path = res.save(args.output, output_type, overwrite=args.force)
        print(f"wrote {len(res):,} rows to {path}", file=sys.stderr)
    elif output_type == "json":
        print(json.dumps(res.to_json(), default=str))
    else:
        sys.stdout.write(res.to_csv() or "")


def cmd_jobs(args: argparse.Namespace) -> None:
    c = _client(args)
    if args.cancel:
        job = c.jobs.cancel(args.cancel)
        with contextlib.suppress(TimeoutError):
            job.wait(timeout=CANCEL_WAIT)  # a running job stops at its next batch, in whichever process runs it
        if job.status == "canceled":
            print(f"{job.id}: canceled at {job.progress or 0:.0f}% ({job.rows_done or 0:,} rows done)")
        elif job.done:  # it ended some other way before the cancel reached it
            print(f"{job.id}: {job.status} (it ended before the cancel)")
        else:
            print(
                f"{job.id}: cancel requested; still {job.status} after {CANCEL_WAIT:.0f} s (it stops at its next batch)"
            )
        return
    rows = []
    for j in c.jobs.list(status=args.status, limit=args.limit):
        r = j.record  # the stored figures: a canceled or failed job shows where it stopped
        done, total = r.get("rows_done"), r.get("rows_total")
        rows.append(
            {
                "id": j.id,
                "type": r.get("type"),
                "status": r.get("status"),
                "progress": "" if r.get("progress") is None else f"{r['progress']:.0f}%",
                "rows": "" if done is None else f"{done:,}" + (f"/{total:,}" if total and total != done else ""),
                "model": r.get("model_name"),
                "created": local_time(r.get("created_at")),
                "error": r.get("error_message"),
            }
        )
    print(table(rows) if rows else "no jobs")


METRIC_KEYS = ("accuracy", "r2", "silhouette_score", "explained_variance")


def cmd_models(args: argparse.Namespace) -> None:
    c = _client(args)
    rows = [
        {
            "name": m.name,
            "type": m.model_type,
            "version": m.version,
            "id": m.id,
            "metric": next((f"{k}={v:.3g}" for k, v in m.metrics.items() if k in METRIC_KEYS), ""),
            "trained_on": m.training_dataset_name,
        }
        for m in c.models.list()
    ]
    print(table(rows) if rows else "no models")


def demo_data() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


def cmd_demo(args: argparse.Namespace) -> None:
    """Train and score every model type on the penguins dataset; print what happened."""
    c = _client(args)
    df = demo_data()
    label = "species"
    where = getattr(c.backend, "store", None)
    say(
        f"jupyter-infer demo on {len(df)} penguins x {df.shape[1]} columns; store: "
        f"{where.home if where is not None else c.backend.url}"
    )
    existing = {m.name: m.version for m in c.models.list() if m.name.startswith("demo-")}
    if existing:
        say(
            f"The store already has the demo's models (version {max(v or 0 for v in existing.values())}); this run "
            "trains a new version of each. Older versions are kept: `jupyter-infer models` lists the latest."
        )
    print()
    new = df.sample(frac=0.25, random_state=1).drop(columns=[label])
    for t in MODEL_TYPES:
        t0 = time.perf_counter()
        model: Any = c.models.train(df, t, label_column=label if t == "prediction" else None, name=f"demo-{t}")
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        kw = {"k": 2} if t == "search" else ({"anomaly_format": "per_row"} if t == "anomaly" else {})
        res = c.models.infer(model, new, **kw)
        out = res.to_pandas()
        new_version = f" (a new version; version {existing[model.name]} is kept)" if model.name in existing else ""
        say(f"== {t}: {model.name}, version {model.version}{new_version}")
        say(
            f"trained in {fit_s:.1f} s; scored {len(new)} rows in {time.perf_counter() - t0:.2f} s -> {len(out)} "
            f"rows of {', '.join(map(str, out.columns))}",
            "   ",
        )
        metrics = [f"{k} {v:.3g}" for k, v in model.metrics.items() if isinstance(v, float)]
        if metrics:
            say("metrics: " + ", ".join(metrics), "   ")
        for key, desc in res.descriptions.items():
            for label_key, d in list(desc.items())[:3]:
                say(f"{key.removesuffix('_descriptions')} {label_key}: {d.get('summary')}", "   ")
        print(textwrap.indent(table(out.head(3).to_dict("records"), width() - 3), "   "))
        print()
    say("Every model type trained and scored on the embedded engine. Try: jupyter-infer models; jupyter-infer jobs")
    if args.notebook:
        from ._demo_notebook import run_notebook

        html = run_notebook(Path(args.notebook), Path(args.out), home=getattr(where, "home", None))
        say(
            f"The notebook {args.notebook} ran on the same store; to look at it, open {html} in a browser (or "
            f"`jupyter lab {args.notebook}`, where the Inference panel lists these models and jobs)."
        )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jupyter-infer",
        description="Tabular ML inference on the embedded engine (or a remote API with --url): train a model, score "
        "files and stored datasets, list models and jobs, or run the demo. Errors are one line and exit 2.",
    )
    p.add_argument("--home", help="store directory (default: $JUPYTER_INFER_HOME or Jupyter's data dir/infer)")
    p.add_argument("--url", help="a remote Wood Wide-compatible API base instead of the embedded engine")
    p.add_argument("--token", help="token for --url")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser(
        "train",
        help="train a model (a new version if the name exists)",
        description="Train a model, as %%infer_train TYPE does: jupyter-infer train clustering "
        "penguins.csv --name groups",
    )
    t.add_argument("model_type", metavar="TYPE", help=f"model type: {', '.join(MODEL_TYPES)}")
    t.add_argument("data", metavar="DATA", help="csv, parquet or json file, or dataset:NAME")
    t.add_argument("--label", help="label column (prediction)")
    t.add_argument("--name", help="model name")
    t.add_argument("--columns", help="comma-separated input columns")
    t.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="training param (repeatable)")
    t.set_defaults(fn=cmd_train)

    i = sub.add_parser(
        "infer",
        help="score a file or dataset with a model",
        description="Score a file or stored dataset, as %%infer MODEL does.",
    )
    i.add_argument("model", metavar="MODEL", help="model name or id")
    i.add_argument("data", metavar="DATA", help="csv, parquet or json file, or dataset:NAME")
    i.add_argument(
        "--output",
        "-o",
        help="write the result here (format from the extension); an existing file is kept unless --force",
    )
    i.add_argument("--force", action="store_true", help="with --output: replace the file if it exists")
    for spec in InferOptions.fields():  # a flag for every inference option, as %%infer has
        flag, kw = spec.as_flag(
            "the result's format (default: the one --output names, else csv)" if spec.name == "output_type" else None
        )
        i.add_argument(flag, **kw)
    i.add_argument("--async", dest="use_async", action="store_true", help="stream the file as a background job")
    i.set_defaults(fn=cmd_infer)

    j = sub.add_parser("jobs", help="list recent jobs, or cancel one")
    j.add_argument("--status", choices=STATUSES)
    j.add_argument("--limit", type=int, default=20)
    j.add_argument("--cancel", metavar="JOB_ID")
    j.set_defaults(fn=cmd_jobs)

    m = sub.add_parser("models", help="list models")
    m.set_defaults(fn=cmd_models)

    d = sub.add_parser("demo", help="train and score every model type on a bundled dataset")
    d.add_argument("--notebook", metavar="IPYNB", help="then run this notebook on the same store and save it as HTML")
    d.add_argument("--out", default="jupyter-infer-demo", help="folder for the notebook's HTML (with --notebook)")
    d.set_defaults(fn=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.fn(args)
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
    except InferError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `jupyter-infer jobs | head`: the reader has what it wanted (Python's own recipe)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit would raise again
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
