"""``dataset:NAME``: how a user names a stored dataset where a file path or a table could also stand (a cell body,
the command line, a Python call). ``DatasetRef`` is its one home: the only place the prefix is added or taken off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._exceptions import InputError

DATASET_PREFIX = "dataset:"


@dataclass(frozen=True)
class DatasetRef:
    """A stored dataset by name, id or version id (its latest ready version unless a version id is given)."""

    ref: str

    def __str__(self) -> str:
        return DATASET_PREFIX + self.ref

    @classmethod
    def parse(cls, value: Any) -> DatasetRef | None:
        """``"dataset:NAME"`` (or a DatasetRef) as a DatasetRef; None for anything else (a path, a table...)."""
        if isinstance(value, DatasetRef):
            return value
        if not isinstance(value, str) or not value.startswith(DATASET_PREFIX):
            return None
        name = value.removeprefix(DATASET_PREFIX).strip()
        if not name:
            raise InputError("dataset: needs a dataset name or id, e.g. dataset:penguins.")
        return cls(name)
