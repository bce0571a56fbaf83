"""What a magic's words name: the ``<data>`` of a cell body, the MODEL, ``--param KEY=VALUE`` and ``--columns``.

Data is a Python expression in the user namespace (DataFrame, Arrow table, str/Path of a csv/parquet/json file),
a bare path that is not a valid expression, or ``dataset:NAME_OR_ID``.
"""

from __future__ import annotations

import keyword
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .._exceptions import InputError, OptionError
from ..client import Client, Dataset, DatasetRef, Model, did_you_mean

DATA_SUFFIXES = (".csv", ".parquet", ".pq", ".json", ".jsonl", ".ndjson")


@dataclass
class Data:
    """A resolved cell body: ``value`` is a DataFrame, an Arrow table, a path string, a Dataset or a DatasetRef."""

    kind: str  # "frame" | "path" | "dataset"
    value: Any
    expr: str

    @property
    def label(self) -> str:
        """Short text for default names: the variable, the file stem or the dataset name."""
        if self.kind == "path":
            return Path(str(self.value)).stem
        if self.kind == "dataset":
            return str(self.value.name if isinstance(self.value, Dataset) else self.value.ref)
        return slug(self.expr)


def slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text.strip()).strip("_") or "data"


def cell_expression(cell: str | None) -> str:
    """The body without blank and comment lines, joined (a parenthesised expression may span lines)."""
    lines = [ln for ln in (cell or "").splitlines() if ln.strip() and not ln.strip().startswith("#")]
    return "\n".join(lines).strip()


def _looks_like_path(text: str) -> bool:
    return "\n" not in text and (text.lower().endswith(DATA_SUFFIXES) or "/" in text or os.sep in text)


def resolve_data(cell: str | None, user_ns: dict[str, Any], magic: str) -> Data:
    expr = cell_expression(cell)
    if not expr:
        raise InputError(f"%%{magic} needs data in the cell body: a DataFrame variable, a file path, or dataset:NAME.")
    named = DatasetRef.parse(expr)
    if named is not None:
        return Data("dataset", named, expr)
    try:
        code = compile(expr, "<data>", "eval")
    except SyntaxError:
        return Data("path", expr, expr)  # e.g. data/new-rows.csv
    try:
        value = eval(code, user_ns)  # the user's own expression, in the user's namespace
    except (NameError, AttributeError) as e:
        if _looks_like_path(expr):
            return Data("path", expr, expr)
        frames = [k for k, v in user_ns.items() if not k.startswith("_") and isinstance(v, pd.DataFrame | pa.Table)]
        hint = did_you_mean(getattr(e, "name", None) or expr, frames) if isinstance(e, NameError) else ""
        raise InputError(f"The data `{expr}` is neither a variable nor a file ({e}).{hint}") from None
    except Exception as e:
        raise InputError(f"Evaluating the data `{expr}` raised {type(e).__name__}: {e}") from None
    return _classify(value, expr)


def _classify(value: Any, expr: str) -> Data:
    if isinstance(value, pd.DataFrame | pa.Table):
        return Data("frame", value, expr)
    named = value if isinstance(value, Dataset) else DatasetRef.parse(value)
    if named is not None:
        return Data("dataset", named, expr)
    if isinstance(value, str | os.PathLike):
        return Data("path", os.fspath(value), expr)
    if isinstance(value, pd.Series):
        raise InputError(f"`{expr}` is a pandas Series; pass a DataFrame (e.g. `{expr}.to_frame()`).")
    raise InputError(
        f"`{expr}` is a {type(value).__name__}; %%infer takes a pandas DataFrame, a pyarrow Table, a path to a "
        "csv, parquet or json file, or dataset:NAME."
    )


def check_path(data: Data) -> None:
    """Fail before any job starts when a named file does not exist (with a did-you-mean from its folder)."""
    if data.kind != "path":
        return
    p = Path(str(data.value)).expanduser()
    if p.exists():
        return
    folder = p.parent if str(p.parent) else Path(".")
    near = [c.name for c in folder.iterdir()] if folder.is_dir() else []
    raise InputError(f"No such file: {p}.{did_you_mean(p.name, near)}")


def resolve_model(client: Client, word: str, user_ns: dict[str, Any]) -> Model:
    """A user variable holding a Model, then a model id, then a model name (the client offers did-you-mean)."""
    value = user_ns.get(word) if word.isidentifier() else None
    if isinstance(value, Model):
        return client.models.get(value.id)  # fresh record: the latest version
    return client.models.get(word)


def check_dest(dest: str | None) -> str | None:
    if dest is not None and not dest.isidentifier():
        raise OptionError(f'"{dest}" cannot be a variable name (DEST must be a Python identifier).')
    if dest is not None and keyword.iskeyword(dest):
        raise OptionError(f'"{dest}" cannot be a variable name (it is a Python keyword).')
    return dest
