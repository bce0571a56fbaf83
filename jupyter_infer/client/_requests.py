"""The requests that cross the client's internal seam: what to train (``TrainSpec``) and what to score with
(``InferRequest``), each built once (by ``Client`` from its keyword arguments, or by a server route from its form or
JSON body) and handed whole through the ``Backend`` protocol, both backends and the service layer, instead of the
same six or seven parameters written out again at every step."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..engine.options import InferOptions

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class TrainSpec:
    """What to train: the model's type, label and name, the columns it reads, its parameters and the id column.

    ``model_type`` is empty only in a server retrain request (``model_id`` given): the model's own type fills it.
    ``params`` as given (None: the defaults); the training job applies the defaults."""

    model_type: str
    label_column: str | None = None
    name: str | None = None
    input_columns: list[str] | None = None
    params: dict[str, Any] | None = None
    id_column: str | None = None

    def validate(self, frame: pd.DataFrame) -> None:
        """Fail, naming the column or parameter, when these training rows cannot train this model."""
        from ..engine.model import validate_training  # scikit-learn: imported when work needs it

        validate_training(
            frame,
            self.model_type,
            label_column=self.label_column,
            input_columns=self.input_columns,
            params=self.params,
            id_column=self.id_column,
        )


@dataclass(frozen=True)
class InferRequest:
    """What to score with: the model (id or name), its options, the version pinned (None: the latest) and, for a
    background job, where it runs (``executor`` "local" or "dask", ``scheduler`` a Dask address; None: the default
    of the process that runs it)."""

    model: str
    options: InferOptions
    model_version_id: str | None = None
    executor: str | None = None
    scheduler: str | None = None

    def pinned(self, model_id: str, version_id: str | None, options: InferOptions | None = None) -> InferRequest:
        """The same request, its model (and version, and options once resolved) as the store found them."""
        return replace(
            self, model=model_id, model_version_id=version_id, options=self.options if options is None else options
        )

    def run_here(self) -> InferRequest:
        """The same request, run by the embedded engine of the process it is sent to (no Dask)."""
        return replace(self, executor="local", scheduler=None)
