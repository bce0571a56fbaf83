"""Broken storage in words: a full disk, a read-only folder or database, a damaged store file become one
``StoreError`` that names the store's folder (over HTTP, a 507), never a raw ``OSError`` or ``sqlite3`` error."""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._exceptions import ConflictError, InferError, NotFoundError, StoreError

if TYPE_CHECKING:
    import pandas as pd

_FULL = {errno.ENOSPC, errno.EDQUOT}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
# what the C libraries (pyarrow, SQLite) put in their messages when they do not set errno
_FULL_TEXT = ("no space left", "disk is full", "disk quota exceeded", "file too large")
_READ_ONLY_TEXT = ("read-only file system", "readonly database", "permission denied")


def _why(e: BaseException) -> str | None:
    code = getattr(e, "errno", None)
    text = str(e).lower()
    if code in _FULL or code == errno.EFBIG or any(t in text for t in _FULL_TEXT):
        return "full"
    if code in _READ_ONLY or any(t in text for t in _READ_ONLY_TEXT):
        return "read-only"
    if isinstance(e, sqlite3.OperationalError) and "unable to open database file" in text:
        return "read-only"
    if isinstance(e, sqlite3.DatabaseError) and ("malformed" in text or "not a database" in text):
        return "damaged"
    return None


def storage_error(e: BaseException, home: Path, what: str = "") -> StoreError | None:
    """The StoreError that says why the store at ``home`` could not be used (``what``: the file or folder under
    it, e.g. ``results/``), or None when ``e`` is not a storage failure."""
    if isinstance(e, StoreError):
        return e
    if not isinstance(e, OSError | sqlite3.DatabaseError):
        return None
    why = _why(e)
    if why is None:
        return None
    if why == "read-only" and isinstance(e, OSError) and not _under(e, home):
        return None  # a user's own file that cannot be read or written: not the store's problem
    where = f" (writing {what})" if what else ""
    if why == "full":
        return StoreError(
            f"The jupyter-infer store at {home} is full: no space left on its disk{where}. Free some space there "
            "(prune old jobs with jobs.prune or POST /jobs/prune, delete models or datasets), or point "
            "JUPYTER_INFER_HOME at a folder on a larger disk."
        )
    if why == "read-only":
        return StoreError(
            f"The jupyter-infer store at {home} is read-only{where}: its folder or store.sqlite cannot be written. "
            "Make them writable by this user, or point JUPYTER_INFER_HOME at a folder you can write to."
        )
    return StoreError(
        f"The jupyter-infer store's database ({home}/store.sqlite) is damaged and cannot be read. Move the folder "
        "aside and start with a new store (JUPYTER_INFER_HOME)."
    )


def _under(e: OSError, home: Path) -> bool:
    name = getattr(e, "filename", None)
    if name:
        try:
            return Path(name).resolve().is_relative_to(home.resolve())
        except (OSError, ValueError):
            return False
    return str(home) in str(e)


@contextmanager
def writing(home: Path, what: str) -> Iterator[None]:
    """Run a write under the store; a full disk or a read-only folder comes out as a StoreError naming it."""
    try:
        yield
    except (OSError, sqlite3.DatabaseError) as e:
        err = storage_error(e, home, what)
        if err is None:
            raise
        raise err from None


@contextmanager
def stored_file(what: str, fix: str) -> Iterator[None]:
    """Reading a file the store keeps (a dataset's data, a result): missing is a NotFoundError, unreadable a
    ConflictError, each naming ``what`` (``the result of job X``) and what to do, never the file's path."""
    try:
        yield
    except FileNotFoundError:
        raise NotFoundError(f"{what[0].upper()}{what[1:]} is missing from the store; {fix}.") from None
    except (OSError, ValueError) as e:  # pyarrow's ArrowInvalid is a ValueError, its IO errors OSErrors
        if isinstance(e, InferError):
            raise
        raise ConflictError(f"{what[0].upper()}{what[1:]} is damaged (not a readable Parquet file); {fix}.") from None


def dataset_file_label(dsv: dict[str, Any]) -> str:
    """How errors name a dataset version's file: by its dataset and version, never its path."""
    return f'the file of dataset "{dsv.get("dataset_name") or dsv["dataset_id"]}" version {dsv["version"]}'


def read_stored_table(dsv: dict[str, Any]) -> pd.DataFrame:
    """A dataset version's stored table; a missing or damaged file is named by its dataset, not its path."""
    import pandas as pd

    with stored_file(dataset_file_label(dsv), "create the dataset again"):
        return pd.read_parquet(dsv["path"])
