"""The magics of SPEC §6: ``%%infer_train``, ``%%infer``, ``%infer_status``, ``%infer_models``.

They call only the client (``connect()``, or ``connect(url, token)`` for a remote service), so they behave the
same on the embedded engine and on a Wood Wide-compatible server. Configure with ``%config InferMagics.<name>``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display
from traitlets import Bool, Float, Int, TraitError, Unicode, validate

from .._exceptions import ConflictError, InputError, OptionError
from ..client import Client, Dataset, InferenceResult, Job, JobStatus, connect
from ..engine.io import read_file
from ..engine.options import OUTPUT_TYPES, TRAINING_MODE_HELP
from . import _errors, _resolve
from ._display import BackgroundJob, ExportNote, ModelView, ResultView, join_input
from ._progress import ProgressView, Watcher
from ._status import JobCard, JobsTable, ModelsTable

BACKGROUND: dict[str, Watcher] = {}  # this kernel's --background jobs, by job id


def _options(name: str) -> list[str]:
    parser = getattr(getattr(InferMagics, name, None), "parser", None)
    return [s for a in getattr(parser, "_actions", []) for s in a.option_strings]


@magics_class
class InferMagics(Magics):
    """jupyter-infer magics. Settings: ``%config InferMagics`` lists them."""

    url = Unicode(
        None, allow_none=True, help="Base URL of a remote Wood Wide-compatible API (default: $JUPYTER_INFER_URL; "
        "unset: the embedded engine)."
    ).tag(config=True)  # fmt: skip
    token = Unicode(None, allow_none=True, help="Token for the remote API (default: $JUPYTER_INFER_TOKEN).").tag(
        config=True
    )
    home = Unicode(
        None, allow_none=True, help="Store directory of the embedded engine (default: $JUPYTER_INFER_HOME, else "
        "Jupyter's data dir /infer)."
    ).tag(config=True)  # fmt: skip
    max_rows = Int(20, help="Rows shown in a result table (the rest are in the DEST variable).").tag(config=True)
    short_errors = Bool(True, help="Show errors as one line; False shows the full traceback.").tag(config=True)
    poll_interval = Float(0.1, help="Seconds between progress updates (at least 0.1: at most 10 a second).").tag(
        config=True
    )
    charts = Bool(True, help="Draw the per-type picture above a result table.").tag(config=True)
    status_page_size = Int(10, help="Jobs per page in %infer_status.").tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._client: Client | None = None
        self._client_key: tuple[Any, ...] | None = None

    @validate("poll_interval")
    def _poll_floor(self, proposal: Any) -> float:
        return max(0.1, float(proposal["value"]))

    @validate("max_rows", "status_page_size")
    def _positive(self, proposal: Any) -> int:
        if proposal["value"] < 1:  # TraitError: traitlets then keeps the previous value
            raise TraitError(f"InferMagics.{proposal['trait'].name} must be at least 1, not {proposal['value']}.")
        return int(proposal["value"])

    # ---- the client ----------------------------------------------------------------------------------------------
    @property
    def client(self) -> Client:
        """``connect()`` on the configured backend, made once per distinct configuration."""
        url = self.url or os.environ.get("JUPYTER_INFER_URL") or None
        token = self.token or os.environ.get("JUPYTER_INFER_TOKEN") or None
        home = self.home or os.environ.get("JUPYTER_INFER_HOME") or None
        key = (url, token, None if url else home)
        if self._client is None or key != self._client_key:
            self._client = connect(url, token=token) if url else connect(home=home)
            self._client_key = key
        return self._client

    @property
    def user_ns(self) -> dict[str, Any]:
        return self.shell.user_ns if self.shell is not None else {}

    def _push(self, dest: str | None, value: Any) -> None:
        if dest and self.shell is not None:
            self.shell.user_ns[dest] = value

    def _watch(self, job: Job, title: str, on_done: Any = None) -> tuple[ProgressView, Watcher, Any]:
        view = ProgressView(title, job.id)
        handle = display(view, display_id=True)
        view.accept_clicks_while_busy()
        watcher = Watcher(job, view, self.poll_interval, on_done)
        watcher.start()
        if on_done is not None:
            BACKGROUND[job.id] = watcher  # so %infer_status JOB --wait also waits for DEST to be assigned
        return view, watcher, handle

    @staticmethod
    def _final(view: ProgressView, handle: Any) -> None:
        """Refresh the stored text/plain and HTML of the progress output with the final state (cell thread)."""
        if handle is not None:
            handle.update(view)

    # ---- %%infer_train -------------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("type", metavar="TYPE", help="Model type: prediction, clustering, anomaly, embedding, search or factors.")
    @argument("dest", metavar="DEST", nargs="?", help="Variable that receives the trained Model.")
    @argument("--label", metavar="COL", help="Label column (prediction models need one).")
    @argument(
        "--name",
        metavar="NAME",
        help="Model name (default: DEST, else TYPE-<data>). An existing name gets a new version.",
    )
    @argument("--columns", metavar="A,B,...", help="Input columns to train on (default: every column but the label).")
    @argument(
        "--param", metavar="KEY=VALUE", nargs="+", action="append",
        help="Training parameter, repeatable: task, n_clusters, contamination, n_factors, n_components, training_mode. "
        "Values are parsed as JSON when they can be (3, 0.1, true), else taken as text. " + TRAINING_MODE_HELP + ".",
    )  # fmt: skip
    @argument(
        "--background", action="store_true", help="Return a job handle at once; DEST is set when training succeeds."
    )
    @cell_magic
    @_errors.short_errors("%infer_train", lambda: _options("infer_train"))
    def infer_train(self, line: str, cell: str) -> Any:
        """Train a model on the cell's data.

        The cell body is the data: a Python expression (a pandas DataFrame, a pyarrow Table, or a str/Path of a
        csv, parquet or json file), a bare path such as ``data/train.csv``, or ``dataset:NAME`` for a stored
        dataset. The cell blocks with a live progress widget (a kernel interrupt or the Cancel button cancels the
        job) and shows the trained model; ``--background`` returns a job handle instead.
        """
        args = parse_argstring(self.infer_train, line)
        dest = _resolve.check_dest(args.dest)
        params = _resolve.parse_params(args.param)
        columns = _resolve.parse_columns(args.columns)
        data = _resolve.resolve_data(cell, self.user_ns, "infer_train")
        _resolve.check_path(data)
        name = args.name or dest or f"{args.type}-{data.label}"
        source: Any = data.value
        if data.kind == "dataset" and not isinstance(source, Dataset):
            source = _resolve.DATASET_PREFIX + str(source)
        job = self.client.models.train(
            source, args.type, label_column=args.label, name=name, input_columns=columns, params=params, wait=False
        )
        assert isinstance(job, Job)
        title = f"Training {args.type} model {name!r}"

        if args.background:
            box: dict[str, Any] = {}

            def done(j: Job) -> None:
                rec = j.refresh().record
                if rec.get("status") == JobStatus.SUCCEEDED:
                    model = j.result()
                    box["handle"].value = model
                    self._push(dest, model)
                    view.result.value = ModelView(model, rec, dest)._repr_html_()

            view, watcher, _ = self._watch(job, title, done)
            handle = box["handle"] = BackgroundJob(job, title, dest, watcher)
            return handle

        view, watcher, dh = self._watch(job, title)
        try:
            record = watcher.block()
        finally:
            self._final(view, dh)
        job.raise_for_status()
        model = job.result()
        self._push(dest, model)
        display(ModelView(model, record, dest))
        return None

    # ---- %%infer -------------------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("model", metavar="MODEL", help="A variable holding a Model, a model id, or a model name.")
    @argument(
        "dest",
        metavar="DEST",
        nargs="?",
        help="Variable that receives the result DataFrame (then the table is not shown).",
    )
    @argument("--export", metavar="PATH", help="Also write the result to PATH (json, csv or parquet) and show a link.")
    @argument("--force", action="store_true", help="With --export: replace PATH if it exists.")
    @argument("--format", choices=OUTPUT_TYPES, help="Format for --export (default: the one PATH's extension names).")
    @argument(
        "--anomaly-format", choices=("ids_only", "per_row"), help="Anomaly models: ids_only (default) or per_row."
    )
    @argument("-k", type=int, metavar="N", help="Search models: the N nearest matches per row (default 1).")
    @argument("--exclude-self", action="store_true", help="Search models: a query row may not match itself.")
    @argument("--version", metavar="MODEL_VERSION_ID", help="Use this model version instead of the latest ready one.")
    @argument("--id-column", metavar="COL", help="Use COL's values as the output id instead of the row position.")
    @argument("--join", action="store_true", help="Return the input columns with the output columns beside them.")
    @argument(
        "--background", action="store_true", help="Return a job handle at once; DEST is set when the job succeeds."
    )
    @argument(
        "--dask",
        metavar="SCHEDULER",
        help="Run the job on a Dask cluster: its scheduler address (tcp://host:port), or 'local' for a local cluster "
        "sized to this machine. Default: $JUPYTER_INFER_DASK_SCHEDULER when set, else the embedded engine.",
    )
    @cell_magic
    @_errors.short_errors("%infer", lambda: _options("infer"))
    def infer(self, line: str, cell: str) -> Any:
        """Run inference with MODEL on the cell's data.

        The cell body is the data: a Python expression (a pandas DataFrame, a pyarrow Table, or a str/Path of a
        csv, parquet or json file), a bare path such as ``data/new.csv``, or ``dataset:NAME`` for a stored
        dataset. Every input runs as a job on the engine (the embedded engine scores a DataFrame straight from
        memory; a remote service is sent it as a file), so the cell
        shows live progress with a Cancel button; a kernel interrupt cancels the job too. The result is shown as
        a table under a header (model, rows, time, reconciliation) with a per-type picture; with DEST the
        DataFrame goes to that variable and the table is not shown.
        """
        args = parse_argstring(self.infer, line)
        dest = _resolve.check_dest(args.dest)
        if args.force and not args.export:
            raise OptionError("--force applies to --export; add --export PATH.")
        if args.format and not args.export:
            raise OptionError("--format chooses the --export file format; add --export PATH.")
        export = Path(args.export).expanduser() if args.export else None
        fmt = None
        if export is not None:
            fmt = args.format or _format_of(export)
            if export.exists() and not args.force:
                raise ConflictError(f"{export} already exists; add --force to replace it.")
        client = self.client
        model = _resolve.resolve_model(client, args.model, self.user_ns)
        data = _resolve.resolve_data(cell, self.user_ns, "infer")
        _resolve.check_path(data)
        opts = dict(
            output_type=fmt or "parquet", anomaly_format=args.anomaly_format, k=args.k,
            exclude_self_matches=args.exclude_self, model_version_id=args.version, id_column=args.id_column,
        )  # fmt: skip
        if args.dask:  # the workers read the file or dataset themselves (a DataFrame is staged as Parquet first)
            opts.update(executor="dask", scheduler=args.dask)  # "local": a LocalCluster
        if data.kind == "dataset":
            src = data.value if isinstance(data.value, Dataset) else _resolve.DATASET_PREFIX + str(data.value)
            job = client.models.infer_batch(model, src, **opts)
        else:
            job = client.models.infer_async(model, data.value, **opts)
        title = f"Inference with {model.model_type} model {model.name!r}"
        threshold = model.metrics.get("threshold") if model.model_type == "anomaly" else None

        def finish(j: Job, rec: dict[str, Any]) -> tuple[ResultView, ExportNote | None]:
            result: InferenceResult = j.result()
            df = result.to_pandas()
            if args.join:
                df = join_input(self._input_frame(data), df, result.model_type, args.id_column)
            note = None
            if export is not None:
                target = InferenceResult(result.meta, frame=df) if args.join else result
                written = target.save(export, format=fmt, overwrite=args.force)
                note = ExportNote(Path(written), str(fmt), len(df))
            view = ResultView(
                result, df, model, rec, self.max_rows, show_table=dest is None, charts=self.charts, dest=dest,
                threshold=threshold,
            )  # fmt: skip
            self._push(dest, df)
            return view, note

        if args.background:
            box: dict[str, Any] = {}

            def done(j: Job) -> None:
                rec = j.refresh().record
                if rec.get("status") == JobStatus.SUCCEEDED:
                    rv, note = finish(j, rec)
                    box["handle"].value = rv.df
                    pview.result.value = rv._repr_html_() + (note._repr_html_() if note else "")

            pview, watcher, _ = self._watch(job, title, done)
            handle = box["handle"] = BackgroundJob(job, title, dest, watcher)
            return handle

        pview, watcher, dh = self._watch(job, title)
        try:
            record = watcher.block()
        finally:
            self._final(pview, dh)
        job.raise_for_status()
        rv, note = finish(job, record)
        if note is not None:
            display(note)
        if dest:
            display(rv)
            return None
        return rv

    def _input_frame(self, data: _resolve.Data) -> Any:
        """The input as a DataFrame, for ``--join``."""
        import pandas as pd
        import pyarrow as pa

        if data.kind == "frame":
            return data.value.to_pandas() if isinstance(data.value, pa.Table) else data.value
        if data.kind == "path":
            return read_file(data.value)
        ds = data.value if isinstance(data.value, Dataset) else self.client.datasets.get(data.value)
        out = ds.preview(max_rows=int(ds.row_count or 0) or 1)
        return pd.DataFrame(out)

    # ---- %infer_status -------------------------------------------------------------------------------------------
    @magic_arguments()
    @argument("job_id", metavar="JOB_ID", nargs="?", help="One job in detail (default: a live table of recent jobs).")
    @argument("--wait", action="store_true", help="Block until JOB_ID ends and return its result.")
    @argument("--cancel", action="store_true", help="Cancel JOB_ID.")
    @argument("--all", action="store_true", help="List every stored job, not only recent and active ones.")
    @line_magic
    @_errors.short_errors("infer_status", lambda: _options("infer_status"))
    def infer_status(self, line: str) -> Any:
        """Jobs of this kernel, other kernels and the server, from the store: a live table with progress bars
        and paging, or one job (JOB_ID) in detail."""
        args = parse_argstring(self.infer_status, line)
        client = self.client
        if args.job_id is None:
            if args.wait or args.cancel:
                raise OptionError("--wait and --cancel need a JOB_ID (see %infer_status for the ids).")
            table = JobsTable(client, self.status_page_size, all_jobs=args.all, poll=max(0.5, self.poll_interval))
            display(table)
            if table.active():
                table.start()
            return None
        if args.all:
            raise OptionError("--all lists jobs; it does not go with a JOB_ID.")
        if args.wait and args.cancel:
            raise OptionError("Choose one of --wait and --cancel.")
        job = client.jobs.get(args.job_id)
        if args.cancel:
            job.cancel()
            note = "Cancel requested; the job stops at its next check." if not job.done else ""
            display(JobCard(job.refresh(), note))
            return None
        if job.done and not args.wait:
            display(JobCard(job))
            return None
        if not job.done:
            what = f"{job.type} job" + (f" on {job.model_name!r}" if job.model_name else "")
            view = ProgressView(what, job.id)
            dh = display(view, display_id=True)
            view.accept_clicks_while_busy()
            watcher = Watcher(job, view, self.poll_interval)
            watcher.start()
            if not args.wait:
                return None
            record = _wait_no_cancel(watcher)
            self._final(view, dh)
        else:
            record = job.refresh().record
        background = BACKGROUND.get(job.id)
        if background is not None:  # started here with --background: its DEST is assigned before we return
            _wait_no_cancel(background)
        job.raise_for_status()
        value = job.result()
        if isinstance(value, InferenceResult):
            return ResultView(value, value.to_pandas(), None, record, self.max_rows, charts=self.charts)
        return value  # the Model of a training job, the Dataset of an ingest

    # ---- %infer_models -------------------------------------------------------------------------------------------
    @magic_arguments()
    @line_magic
    @_errors.short_errors("infer_models", lambda: _options("infer_models"))
    def infer_models(self, line: str) -> ModelsTable:
        """Every model in the store: type, latest version, key metrics, label and training data."""
        parse_argstring(self.infer_models, line)
        return ModelsTable(self.client.models.list())


# magic_arguments names every magic "%name" in its usage line; the cell magics are "%%name".
for _name in ("infer", "infer_train"):
    _fn = getattr(InferMagics, _name)
    _fn.parser.prog = f"%%{_name}"
    _fn.__doc__ = (_fn.__doc__ or "").replace(f"%{_name} ", f"%%{_name} ", 1)


def _wait_no_cancel(watcher: Watcher) -> dict[str, Any]:
    """``%infer_status JOB --wait``: an interrupt stops waiting and leaves the job running."""
    try:
        while not watcher.done.wait(0.1):
            pass
    except KeyboardInterrupt:
        raise InputError(
            f"Stopped waiting; job {watcher.job.id} is still running. Cancel it with %infer_status {watcher.job.id} "
            "--cancel."
        ) from None
    if watcher.error is not None:
        raise watcher.error
    return watcher.record


def _format_of(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    ext = {"pq": "parquet", "jsonl": "json"}.get(ext, ext)
    if ext not in OUTPUT_TYPES:
        raise OptionError(
            f"Cannot tell the format from {path.name}; name the file .json, .csv or .parquet or add --format."
        )
    return ext
