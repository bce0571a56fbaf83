"""The embedded store (SPEC §9): datasets, models and jobs in SQLite, their files beside it.

Records come out as typed dicts shaped like the HTTP API's JSON (``_records``), so the local client, the server and
the remote client all speak the same nouns. This module holds the datasets and the models; ``_jobs`` the jobs,
``_home`` the folder and the database.
"""

from __future__ import annotations

import functools
import json
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._exceptions import ConflictError, NotFoundError
from . import _files
from . import _lifecycle as L
from ._db import marks
from ._home import default_home
from ._jobs import Commit, JobStore
from ._lifecycle import OPEN
from ._queries import Queries
from ._records import (
    dataset_record,
    dataset_version_record,
    model_record,
    model_version_record,
)

__all__ = ["Store", "check_retrain", "default_home", "process_owner"]


def process_owner(kind: str = "kernel") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"


def check_retrain(existing: Mapping[str, Any] | None, name: str, model_type: str, label_column: str | None) -> None:
    """A new version under an existing model name must be the same kind of model: same type, same label."""
    if existing is None:
        return
    if existing["model_type"] != model_type:
        raise ConflictError(
            f'A {existing["model_type"]} model is already named "{name}"; a new version must be of the same type. '
            "Choose another name."
        )
    old = existing.get("label_column")
    if old and label_column and old != label_column:
        raise ConflictError(
            f'Model "{name}" predicts "{old}"; this request\'s label is "{label_column}". A new version must predict '
            "the same label: choose another name."
        )


class Store(JobStore, Queries):
    """Shared by every kernel and the Jupyter server on the machine; safe for several processes at once. Its jobs
    are ``JobStore``'s, its folder and database ``StoreHome``'s; the datasets and models are here."""

    # ---- datasets ------------------------------------------------------------------------------------------------
    def create_dataset_version(
        self,
        name: str,
        description: str | None = None,
        source_label: str | None = None,
        job_id: str | None = None,
    ) -> tuple[str, str, int]:
        """A new dataset (or a new version of the one with this name) in status ``processing``."""
        with self.db.tx() as c:
            made = {"description": description}
            return L.new_named_version(c, "dataset", name, made, source_label=source_label, ingest_job_id=job_id)

    def dataset_ready(self, dsv_id: str, path: Path, row_count: int, schema: dict[str, str]) -> Commit:
        """Registers an ingested file as the version's data, when (and only if) its ingest job succeeds."""
        fields = {
            "path": str(path),
            "row_count": row_count,
            "byte_size": path.stat().st_size,
            "schema_json": json.dumps(schema),
        }
        return lambda c: L.finish_version(c, "dataset_versions", dsv_id, **fields)

    def _dataset_record(self, d: Any) -> dict[str, Any]:
        v = self.db.one(
            "SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY (status='ready') DESC, version DESC LIMIT 1",
            (d["id"],),
        )
        return dataset_record(d, v)

    def get_dataset(self, ref: str, version_id: str | None = None) -> dict[str, Any]:
        """A dataset with its latest ready version as ``current_version``, or the version ``version_id``."""
        d = self._dataset_record(self._resolve("datasets", "dataset", ref))
        if version_id:
            d["current_version"] = dataset_version_record(
                self.db.one("SELECT * FROM dataset_versions WHERE id=? AND dataset_id=?", (version_id, d["id"]))
                or _missing(f'The dataset "{d["name"]}" has no version "{version_id}".')
            )
        return d

    def dataset_version(self, ref: str, version_id: str | None = None) -> dict[str, Any]:
        """The pinned version, or the latest ready version of a dataset named by id, name or version id."""
        if version_id or ref.startswith("dsv_"):
            v = self.db.one("SELECT * FROM dataset_versions WHERE id = ?", (version_id or ref,))
            if v is None:
                raise NotFoundError(f'No dataset version with id "{version_id or ref}".')
        else:
            d = self._resolve("datasets", "dataset", ref)
            v = self.db.one(
                "SELECT * FROM dataset_versions WHERE dataset_id = ? AND status='ready' ORDER BY version DESC LIMIT 1",
                (d["id"],),
            )
            if v is None:
                raise ConflictError(f'The dataset "{d["name"]}" has no ready version yet.')
        out = dataset_version_record(v)
        out["dataset_name"] = self.db.scalar("SELECT name FROM datasets WHERE id=?", (v["dataset_id"],))
        return out

    def dataset_versions(self, ref: str) -> list[dict[str, Any]]:
        d = self._resolve("datasets", "dataset", ref)
        rows = self.db.query("SELECT * FROM dataset_versions WHERE dataset_id=? ORDER BY version DESC", (d["id"],))
        return [dataset_version_record(v) for v in rows]

    def list_datasets(self, q: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM datasets ORDER BY created_at DESC LIMIT ?", (limit,))
        return [self._dataset_record(d) for d in rows if not q or q.lower() in d["name"].lower()]

    def delete_dataset(self, ref: str) -> list[str]:
        """Delete a dataset, its versions and files. Its open work (ingest, training on it, inference over it) is
        canceled first, in the same transaction; returns those job ids."""
        d = self._resolve("datasets", "dataset", ref)
        return self._delete("datasets", d["id"], f'the dataset "{d["name"]}" was deleted')

    def _delete(self, table: str, rec_id: str, why: str) -> list[str]:
        col, vtable = ("dataset_id", "dataset_versions") if table == "datasets" else ("model_id", "model_versions")
        with self.db.tx() as c:
            paths = [r["path"] for r in c.execute(f"SELECT path FROM {vtable} WHERE {col}=?", (rec_id,))]
            work = [
                r["id"]
                for r in c.execute(f"SELECT id FROM jobs WHERE {col}=? AND status IN ({marks(OPEN)})", (rec_id, *OPEN))
            ]
            canceled = [j for j in work if self._cancel_in(c, j, f"canceled: {why}", OPEN)]
            c.execute(f"DELETE FROM {table} WHERE id=?", (rec_id,))
        for p in paths:
            if p:
                _files.remove(Path(p))
        _files.release(self, canceled)
        return canceled

    # ---- models --------------------------------------------------------------------------------------------------
    def create_model_version(
        self, name: str, model_type: str, label_column: str | None, **fields: Any
    ) -> tuple[str, str, int]:
        """A new model (or a new version under this name) in status ``processing``; a new version must be of the same
        type and label (``check_retrain``)."""
        with self.db.tx() as c:
            made, updated = {"model_type": model_type, "label_column": label_column}, {"label_column": label_column}
            check = functools.partial(check_retrain, name=name, model_type=model_type, label_column=label_column)
            return L.new_named_version(c, "model", name, made, updated, check, **fields)

    def model_ready(self, mdlv_id: str, **fields: Any) -> Commit:
        """Registers a trained model file as the version's, when (and only if) its training job succeeds."""
        return lambda c: L.finish_version(c, "model_versions", mdlv_id, **fields)

    def _model_record(self, m: Any) -> dict[str, Any]:
        v = self.db.one(
            "SELECT * FROM model_versions WHERE model_id=? ORDER BY (status='ready') DESC, version DESC LIMIT 1",
            (m["id"],),
        )
        n_versions = self.db.scalar("SELECT COUNT(*) FROM model_versions WHERE model_id=?", (m["id"],))
        return model_record(m, v, int(n_versions))

    def get_model(self, ref: str) -> dict[str, Any]:
        return self._model_record(self._resolve("models", "model", ref))

    def list_models(self, q: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM models ORDER BY updated_at DESC LIMIT ?", (limit,))
        return [self._model_record(m) for m in rows if not q or q.lower() in (m["name"] + m["id"]).lower()]

    def model_versions(self, ref: str) -> list[dict[str, Any]]:
        m = self._resolve("models", "model", ref)
        rows = self.db.query("SELECT * FROM model_versions WHERE model_id=? ORDER BY version DESC", (m["id"],))
        return [model_version_record(v) for v in rows]

    def model_version(self, ref: str, version_id: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
        """(model, version): the pinned version, else the latest ready one."""
        m = self._resolve("models", "model", ref)
        if ref.startswith("mdlv_") and not version_id:
            version_id = ref
        if version_id:
            v = self.db.one("SELECT * FROM model_versions WHERE id=? AND model_id=?", (version_id, m["id"]))
            if v is None:
                known = [r["id"] for r in self.db.query("SELECT id FROM model_versions WHERE model_id=?", (m["id"],))]
                raise NotFoundError(
                    f'The model "{m["name"]}" has no version "{version_id}". Its versions: {", ".join(known)}.'
                )
            if v["status"] != "ready":
                raise ConflictError(f'Version {v["version"]} of the model "{m["name"]}" is not ready ({v["status"]}).')
        else:
            v = self.db.one(
                "SELECT * FROM model_versions WHERE model_id=? AND status='ready' ORDER BY version DESC LIMIT 1",
                (m["id"],),
            )
            if v is None:
                raise ConflictError(f'The model "{m["name"]}" has no ready version yet (is it still training?).')
        return self._model_record(m), model_version_record(v)

    def delete_model(self, ref: str) -> list[str]:
        """Delete a model, its versions and files. Its open work (training a version, inference with it) is
        canceled first, in the same transaction; returns those job ids."""
        m = self._resolve("models", "model", ref)
        return self._delete("models", m["id"], f'the model "{m["name"]}" was deleted')


def _missing(message: str) -> Any:
    raise NotFoundError(message)
