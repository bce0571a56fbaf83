"""``%%infer_train TYPE [DEST]``: train a model on the cell's data, with live progress, or in the background."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.display import display

from .._exceptions import NotFoundError
from ..client import Job
from ..client._naming import model_name
from ..engine.params import parse_columns, parse_params
from . import _resolve
from ._display import ModelView

if TYPE_CHECKING:
    from argparse import Namespace

    from ._magics import InferMagics


def _label_of(magics: InferMagics, name: str) -> str | bool | None:
    """The label of the model called ``name`` (None: it has none), False when there is no such model."""
    try:
        return magics.client.models.get(name).label_column
    except NotFoundError:
        return False


def run(magics: InferMagics, args: Namespace, cell: str) -> Any:
    """The cell: resolve the data, start the training job, then watch it (or hand back its ``--background`` job)."""
    dest = _resolve.check_dest(args.dest)
    params = parse_params(args.param)
    columns = parse_columns(args.columns)
    data = _resolve.resolve_data(cell, magics.user_ns, "infer_train")
    _resolve.check_path(data)
    name = args.name or dest or model_name(args.type, args.label, data.label, lambda n: _label_of(magics, n))
    job = magics.client.models.train(
        data.value, args.type, label_column=args.label, name=name, input_columns=columns, params=params, wait=False
    )
    assert isinstance(job, Job)
    magics.claim(dest, job)
    title = f"Training {args.type} model {name!r}"

    if args.background:

        def succeeded(j: Job, rec: dict[str, Any]) -> tuple[Any, str]:
            model = j.result()
            magics.push(dest, model, j)
            return model, ModelView(model, rec, dest)._repr_html_()

        return magics.background(job, title, dest, succeeded)
    record = magics.block(job, title)
    model = job.result()
    magics.push(dest, model, job)
    display(ModelView(model, record, dest))
    return None
