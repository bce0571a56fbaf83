"""Names both backends give to what a user did not name."""

from __future__ import annotations

import os
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


def model_name(model_type: str, label_column: str | None, dataset_name: str) -> str:
    """The name of a model trained without one: ``<type>-<dataset>`` for a stored dataset or a file, and for a table
    ``<type>-<label>`` (prediction) or ``<type>-model``, so unnamed predictions of different labels are different
    models instead of one that refuses the second label."""
    if dataset_name == training_dataset_name(None, None, model_type):  # a table, given no name
        return f"{model_type}-{label_column}" if label_column else f"{model_type}-model"
    return f"{model_type}-{dataset_name}"
