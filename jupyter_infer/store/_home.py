"""The store's place on disk: its folder (made on first use), the SQLite database in it, the paths of its files,
and finding a dataset or a model by id, name or version id. ``Store`` builds on it (``_jobs``, ``_store``)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from .._exceptions import InputError, NotFoundError
from ..engine.options import did_you_mean
from ._db import Database, new_id
from ._errors import storage_error, writing
from ._retention import Retention


def default_home() -> Path:
    env = os.environ.get("JUPYTER_INFER_HOME")
    if env:
        return Path(env).expanduser()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "infer"


class StoreHome:
    """The folder and the database of a store."""

    def __init__(self, home: str | os.PathLike[str] | None = None) -> None:
        self.home = Path(home).expanduser() if home is not None else default_home()
        try:
            for sub in ("datasets", "models", "results", "uploads", "tmp"):
                (self.home / sub).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            err = storage_error(e, self.home)
            if err is not None:
                raise err from None
            raise InputError(
                f"Cannot use {self.home} as the jupyter-infer store ({e.strerror or e}). Point JUPYTER_INFER_HOME "
                "(or --home, or connect(home=...)) at a folder you can write to."
            ) from None
        self.db = Database(self.home / "store.sqlite")
        self.retention = Retention.from_env()
        self._last_orphan_sweep = 0.0
        self._sweeping = threading.Lock()

    # ---- paths -----------------------------------------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        return self.home.joinpath(*parts)

    def tmp_path(self, final: Path) -> Path:
        """Where to write before the atomic rename to ``final``."""
        return final.with_name(f".{final.name}.tmp-{os.getpid()}-{new_id('')}")

    def writing(self, what: str) -> Any:
        """``with store.writing("results/"):`` a full disk or a read-only folder there raises a StoreError."""
        return writing(self.home, what)

    def discard_staged(self, path: str | Path) -> None:
        """Remove a staged upload once its job is done with it, and the per-upload folder it came in (if empty).
        Only files under ``uploads/`` are touched: a user's own file is never staged."""
        p = Path(path)
        uploads = self.path("uploads").resolve()
        if not p.resolve().is_relative_to(uploads):
            return
        p.unlink(missing_ok=True)
        parent = p.parent.resolve()
        if parent != uploads and parent.parent == uploads:
            try:
                parent.rmdir()  # fails (harmlessly) while another file is still in it
            except OSError:
                pass

    # ---- resolving names and ids -------------------------------------------------------------------------------
    def _resolve(self, table: str, noun: str, ref: str) -> Any:
        row = self.db.one(f"SELECT * FROM {table} WHERE id = ? OR name = ?", (ref, ref))
        if row is None and table == "models":
            row = self.db.one(
                "SELECT m.* FROM models m JOIN model_versions v ON v.model_id = m.id WHERE v.id = ?", (ref,)
            )
        if row is None and table == "datasets":
            row = self.db.one(
                "SELECT d.* FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id WHERE v.id = ?",
                (ref,),
            )
        if row is None:
            names = [r["name"] for r in self.db.query(f"SELECT name FROM {table}")]
            hint = did_you_mean(ref, names)
            if not hint and not names:
                hint = f" There are no {noun}s yet."
            raise NotFoundError(f'No {noun} named or with id "{ref}".{hint}')
        return row
