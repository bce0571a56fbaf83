"""Names both backends give to what a user did not name."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def source_label(data: Any) -> str | None:
    """The file name of a path input (shown as the job's input), None for tables."""
    return Path(data).name if isinstance(data, str | os.PathLike) else None


def training_dataset_name(model_name: str | None, label: str | None, model_type: str) -> str:
    """The dataset that training data is ingested into: ``<model>-training-data`` for a named model (so two
    models trained from files both called train.csv do not become versions of one dataset), else the file's stem,
    else ``<type>-training-data``."""
    if model_name:
        return f"{model_name}-training-data"
    if label:
        return Path(label).stem
    return f"{model_type}-training-data"


def model_name(
    model_type: str, label_column: str | None, dataset_name: str, label_of: Callable[[str], str | bool | None]
) -> str:
    """The name of a model trained without one: ``<type>-<dataset>`` for a stored dataset or a file, and for a table
    ``<type>-<label>`` (prediction) or ``<type>-model``. ``label_of(name)``: the label of the model of that name
    (False when there is none); when it predicts another label, the name takes the label too
    (``<type>-<dataset>-<label>``), so a second unnamed label is a model of its own, not a refused version."""
    if dataset_name == training_dataset_name(None, None, model_type):  # a table, given no name
        return f"{model_type}-{label_column}" if label_column else f"{model_type}-model"
    name = f"{model_type}-{dataset_name}"
    existing = label_of(name)
    if label_column and existing is not False and existing not in (None, label_column):
        return f"{name}-{label_column}"
    return name
