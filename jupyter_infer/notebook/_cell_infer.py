"""``%%infer MODEL [DEST]``: score the cell's data as a job, with live progress, then show or export the result."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from IPython.display import display

from .._exceptions import ConflictError, OptionError
from ..client import Dataset, InferenceResult, InferOptions, Job, output_type_for, read_table
from . import _resolve
from ._display import ExportNote, ResultView, join_input

if TYPE_CHECKING:
    from argparse import Namespace

    import pandas as pd

    from ._magics import InferMagics


def run(magics: InferMagics, args: Namespace, cell: str) -> Any:
    """The cell. ``--format`` arrives as ``args.output_type`` (the flag's dest): the one name from here on."""
    dest = _resolve.check_dest(args.dest)
    if args.force and not args.export:
        raise OptionError("--force applies to --export; add --export PATH.")
    if args.output_type and not args.export:
        raise OptionError("--format chooses the --export file format; add --export PATH.")
    export = Path(args.export).expanduser() if args.export else None
    if export is not None:
        args.output_type = args.output_type or output_type_for(export, how="add --format")
        if export.exists() and not args.force:
            raise ConflictError(f"{export} already exists; add --force to replace it.")
    client = magics.client
    model = _resolve.resolve_model(client, args.model, magics.user_ns)
    data = _resolve.resolve_data(cell, magics.user_ns, "infer")
    _resolve.check_path(data)
    opts: dict[str, Any] = {name: getattr(args, name, None) for name in InferOptions.names()}  # the dests it has
    opts["output_type"] = args.output_type or "parquet"
    opts["model_version_id"] = args.version
    if args.dask:  # the workers read the file or dataset themselves (a DataFrame is staged as Parquet first)
        opts.update(executor="dask", scheduler=args.dask)
    if data.kind == "dataset":
        job = client.models.infer_batch(model, data.value, **opts)
    else:
        job = client.models.infer_async(model, data.value, **opts)
    magics.claim(dest, job)
    title = f"Inference with {model.model_type} model {model.name!r}"
    threshold = model.metrics.get("threshold") if model.model_type == "anomaly" else None

    def finish(j: Job, rec: dict[str, Any]) -> tuple[ResultView, ExportNote | None]:
        result: InferenceResult = j.result()
        df = result.to_pandas()
        if args.join:
            df = join_input(input_frame(magics, data), df, result.model_type, args.id_column)
        note = None
        if export is not None:
            target = InferenceResult(result.meta, frame=df) if args.join else result
            written = target.save(export, args.output_type, overwrite=args.force)
            note = ExportNote(Path(written), str(args.output_type), len(df))
        view = ResultView(
            result,
            df,
            model,
            rec,
            magics.max_rows,
            show_table=dest is None,
            charts=magics.charts,
            dest=dest,
            threshold=threshold,
        )
        magics.push(dest, df, j)
        return view, note

    if args.background:

        def succeeded(j: Job, rec: dict[str, Any]) -> tuple[Any, str]:
            rv, note = finish(j, rec)
            return rv.df, rv._repr_html_() + (note._repr_html_() if note else "")

        return magics.background(job, title, dest, succeeded)
    rv, note = finish(job, magics.block(job, title))
    if note is not None:
        display(note)
    if dest:
        display(rv)
        return None
    return rv


def input_frame(magics: InferMagics, data: _resolve.Data) -> pd.DataFrame:
    """The input as a DataFrame, for ``--join``."""
    import pandas as pd
    import pyarrow as pa

    if data.kind == "frame":
        return data.value.to_pandas() if isinstance(data.value, pa.Table) else data.value
    if data.kind == "path":
        return read_table(data.value)
    ds = data.value if isinstance(data.value, Dataset) else magics.client.datasets.get(data.value)
    return pd.DataFrame(ds.preview(max_rows=int(ds.row_count or 0) or 1))
