"""The embedded store (SPEC §9): datasets, models and jobs in SQLite, their files beside it.

Records come out as plain dicts shaped like the HTTP API's JSON, so the local client, the server and the remote
client all speak the same nouns.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .._exceptions import ConflictError, InputError, NotFoundError, OptionError
from ..engine.options import did_you_mean
from . import _files
from . import _lifecycle as L
from ._db import Database, ago, encode, new_id, now
from ._errors import storage_error, writing
from ._lifecycle import ACTIVE, JOB_TYPES, OPEN, STATUSES, TERMINAL, JobStatus, VersionStatus
from ._queries import Queries
from ._retention import Retention

# Seconds without a heartbeat before a running job counts as orphaned; JUPYTER_INFER_STALE_SECONDS overrides
# it (tests use a few seconds so they need not wait 30).
STALE_SECONDS = float(os.environ.get("JUPYTER_INFER_STALE_SECONDS") or 30.0)
__all__ = ["ACTIVE", "JOB_TYPES", "OPEN", "STATUSES", "TERMINAL", "Commit", "Store"]
# Work done inside a job's finishing transaction (registering the version it made); raises L.Lost to refuse.
Commit = Callable[[sqlite3.Connection], None]
JOB_FIELDS = (
    "id", "type", "status", "progress", "rows_done", "rows_total", "current_phase", "estimated_seconds_remaining",
    "error_message", "created_at", "started_at", "finished_at", "heartbeat_at", "input_filename", "model_id",
    "model_name", "model_version_id", "model_version", "model_type", "dataset_id", "dataset_name",
    "dataset_version_id", "dataset_version", "cancel_requested", "owner", "output_type",
)  # fmt: skip


def default_home() -> Path:
    env = os.environ.get("JUPYTER_INFER_HOME")
    if env:
        return Path(env).expanduser()
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "infer"


def process_owner(kind: str = "kernel") -> str:
    return f"{kind}:{socket.gethostname()}:{os.getpid()}"


def _loads(s: str | None, default: Any = None) -> Any:
    return json.loads(s) if s else default


def check_retrain(existing: dict[str, Any] | None, name: str, model_type: str, label_column: str | None) -> None:
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


class Store(Queries):
    """Shared by every kernel and the Jupyter server on the machine; safe for several processes at once."""

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

    # ---- datasets ------------------------------------------------------------------------------------------------
    def create_dataset_version(
        self,
        name: str,
        description: str | None = None,
        source_label: str | None = None,
        job_id: str | None = None,
    ) -> tuple[str, str, int]:
        """A new dataset (or a new version of the one with this name) in status ``processing``."""
        t = now()
        with self.db.tx() as c:
            row = c.execute("SELECT id FROM datasets WHERE name = ?", (name,)).fetchone()
            if row is None:
                ds_id = new_id("ds_")
                c.execute("INSERT INTO datasets VALUES (?,?,?,?,?)", (ds_id, name, description, t, t))
            else:
                ds_id = row["id"]
                c.execute("UPDATE datasets SET updated_at = ? WHERE id = ?", (t, ds_id))
            version = c.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM dataset_versions WHERE dataset_id = ?", (ds_id,)
            ).fetchone()[0]
            dsv_id = new_id("dsv_")
            c.execute(
                "INSERT INTO dataset_versions (id, dataset_id, version, status, source_label, ingest_job_id, "
                "created_at) VALUES (?,?,?,?,?,?,?)",
                (dsv_id, ds_id, version, VersionStatus.PROCESSING, source_label, job_id, t),
            )
        return ds_id, dsv_id, version

    def dataset_ready(self, dsv_id: str, path: Path, row_count: int, schema: dict[str, str]) -> Commit:
        """Registers an ingested file as the version's data, when (and only if) its ingest job succeeds."""
        fields = {"path": str(path), "row_count": row_count, "byte_size": path.stat().st_size,
                  "schema_json": json.dumps(schema)}  # fmt: skip
        return lambda c: L.finish_version(c, "dataset_versions", dsv_id, **fields)

    def _dataset_version_dict(self, v: Any) -> dict[str, Any]:
        return {
            "id": v["id"], "dataset_version_id": v["id"], "dataset_id": v["dataset_id"], "version": v["version"],
            "status": v["status"], "row_count": v["row_count"], "byte_size": v["byte_size"],
            "schema_json": _loads(v["schema_json"]), "source_label": v["source_label"],
            "ingest_job_id": v["ingest_job_id"], "created_at": v["created_at"], "ready_at": v["ready_at"],
            "error_message": v["error_message"], "path": v["path"],
        }  # fmt: skip

    def _dataset_dict(self, d: Any) -> dict[str, Any]:
        v = self.db.one(
            "SELECT * FROM dataset_versions WHERE dataset_id = ? ORDER BY (status='ready') DESC, version DESC LIMIT 1",
            (d["id"],),
        )
        return {
            "id": d["id"], "dataset_id": d["id"], "name": d["name"], "description": d["description"],
            "created_at": d["created_at"], "updated_at": d["updated_at"], "is_archived": False,
            "current_version": self._dataset_version_dict(v) if v else None,
        }  # fmt: skip

    def get_dataset(self, ref: str, version_id: str | None = None) -> dict[str, Any]:
        """A dataset with its latest ready version as ``current_version``, or the version ``version_id``."""
        d = self._dataset_dict(self._resolve("datasets", "dataset", ref))
        if version_id:
            d["current_version"] = self._dataset_version_dict(
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
        out = self._dataset_version_dict(v)
        out["dataset_name"] = self.db.scalar("SELECT name FROM datasets WHERE id=?", (v["dataset_id"],))
        return out

    def dataset_versions(self, ref: str) -> list[dict[str, Any]]:
        d = self._resolve("datasets", "dataset", ref)
        rows = self.db.query("SELECT * FROM dataset_versions WHERE dataset_id=? ORDER BY version DESC", (d["id"],))
        return [self._dataset_version_dict(v) for v in rows]

    def list_datasets(self, q: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM datasets ORDER BY created_at DESC LIMIT ?", (limit,))
        return [self._dataset_dict(d) for d in rows if not q or q.lower() in d["name"].lower()]

    def delete_dataset(self, ref: str) -> list[str]:
        """Delete a dataset, its versions and files. Its open work (ingest, training on it, inference over it) is
        canceled first, in the same transaction; returns those job ids."""
        d = self._resolve("datasets", "dataset", ref)
        return self._delete("datasets", d["id"], f'the dataset "{d["name"]}" was deleted')

    def _delete(self, table: str, rec_id: str, why: str) -> list[str]:
        col, vtable = ("dataset_id", "dataset_versions") if table == "datasets" else ("model_id", "model_versions")
        with self.db.tx() as c:
            paths = [r["path"] for r in c.execute(f"SELECT path FROM {vtable} WHERE {col}=?", (rec_id,))]
            work = [r["id"] for r in c.execute(
                f"SELECT id FROM jobs WHERE {col}=? AND status IN ({','.join('?' * len(OPEN))})", (rec_id, *OPEN)
            )]  # fmt: skip
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
        """A new model (or a new version under this name) in status ``processing``."""
        t = now()
        with self.db.tx() as c:
            row = c.execute("SELECT id, model_type, label_column FROM models WHERE name = ?", (name,)).fetchone()
            if row is None:
                mdl_id = new_id("mdl_")
                c.execute("INSERT INTO models VALUES (?,?,?,?,?,?)", (mdl_id, name, model_type, label_column, t, t))
            else:
                check_retrain(dict(row), name, model_type, label_column)
                mdl_id = row["id"]
                c.execute("UPDATE models SET updated_at=?, label_column=? WHERE id=?", (t, label_column, mdl_id))
            version = c.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model_id = ?", (mdl_id,)
            ).fetchone()[0]
            mdlv_id = new_id("mdlv_")
            cols = ["id", "model_id", "version", "status", "created_at", *fields]
            vals = [mdlv_id, mdl_id, version, VersionStatus.PROCESSING, t, *map(encode, fields.values())]
            c.execute(f"INSERT INTO model_versions ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})", vals)
        return mdl_id, mdlv_id, version

    def model_ready(self, mdlv_id: str, **fields: Any) -> Commit:
        """Registers a trained model file as the version's, when (and only if) its training job succeeds."""
        return lambda c: L.finish_version(c, "model_versions", mdlv_id, **fields)

    def _model_version_dict(self, v: Any) -> dict[str, Any]:
        return {
            "id": v["id"], "model_version_id": v["id"], "version_id": v["id"], "model_id": v["model_id"],
            "version": v["version"], "status": v["status"], "path": v["path"], "params": _loads(v["params"], {}),
            "input_columns": _loads(v["input_columns"], []), "metrics": _loads(v["metrics"], {}),
            "descriptions": _loads(v["descriptions"], {}), "info": _loads(v["info"], {}),
            "library_versions": _loads(v["library_versions"], {}), "dataset_id": v["dataset_id"],
            "dataset_version_id": v["dataset_version_id"], "dataset_name": v["dataset_name"],
            "training_job_id": v["training_job_id"], "created_at": v["created_at"], "ready_at": v["ready_at"],
        }  # fmt: skip

    def _model_dict(self, m: Any) -> dict[str, Any]:
        v = self.db.one(
            "SELECT * FROM model_versions WHERE model_id=? ORDER BY (status='ready') DESC, version DESC LIMIT 1",
            (m["id"],),
        )
        cur = self._model_version_dict(v) if v else None
        n_versions = self.db.scalar("SELECT COUNT(*) FROM model_versions WHERE model_id=?", (m["id"],))
        return {
            "id": m["id"], "model_id": m["id"], "name": m["name"], "model_type": m["model_type"],
            "label_column": m["label_column"], "created_at": m["created_at"], "updated_at": m["updated_at"],
            "status": cur["status"] if cur else "processing", "current_version": cur,
            "current_metrics": cur["metrics"] if cur else {}, "n_versions": n_versions,
            "training_dataset_id": cur["dataset_id"] if cur else None,
            "training_dataset_name": cur["dataset_name"] if cur else None,
        }  # fmt: skip

    def get_model(self, ref: str) -> dict[str, Any]:
        return self._model_dict(self._resolve("models", "model", ref))

    def list_models(self, q: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        rows = self.db.query("SELECT * FROM models ORDER BY updated_at DESC LIMIT ?", (limit,))
        return [self._model_dict(m) for m in rows if not q or q.lower() in (m["name"] + m["id"]).lower()]

    def model_versions(self, ref: str) -> list[dict[str, Any]]:
        m = self._resolve("models", "model", ref)
        rows = self.db.query("SELECT * FROM model_versions WHERE model_id=? ORDER BY version DESC", (m["id"],))
        return [self._model_version_dict(v) for v in rows]

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
        return self._model_dict(m), self._model_version_dict(v)

    def delete_model(self, ref: str) -> list[str]:
        """Delete a model, its versions and files. Its open work (training a version, inference with it) is
        canceled first, in the same transaction; returns those job ids."""
        m = self._resolve("models", "model", ref)
        return self._delete("models", m["id"], f'the model "{m["name"]}" was deleted')

    # ---- jobs ----------------------------------------------------------------------------------------------------
    def create_job(self, type: str, status: str = JobStatus.QUEUED, **fields: Any) -> dict[str, Any]:
        assert status in OPEN, status
        t = now()
        job_id = fields.pop("id", None) or new_id("job_")
        row = {"id": job_id, "type": type, "status": status, "created_at": t, "heartbeat_at": t, **fields}
        if status == JobStatus.RUNNING:
            row.setdefault("started_at", t)
        with self.db.tx() as c:
            c.execute(
                f"INSERT INTO jobs ({','.join(row)}) VALUES ({','.join('?' * len(row))})",
                [encode(v) for v in row.values()],
            )
        return self.get_job(job_id)

    def update_job(self, job_id: str, **fields: Any) -> None:
        """Set fields of a job other than its status (a status changes only through the lifecycle)."""
        assert "status" not in fields, "status changes go through start_job, finish_job, request_cancel, ..."
        if not fields:
            return
        sets = ", ".join(f"{k}=?" for k in fields)
        with self.db.tx() as c:
            c.execute(f"UPDATE jobs SET {sets} WHERE id=?", [*map(encode, fields.values()), job_id])

    def report_progress(self, job_id: str, **fields: Any) -> bool:
        """Progress of a job that is still active; False (and nothing written) once it has ended."""
        assert "status" not in fields
        sets = ", ".join(f"{k}=?" for k in fields)
        with self.db.tx() as c:
            cur = c.execute(
                f"UPDATE jobs SET {sets} WHERE id=? AND status IN ({','.join('?' * len(ACTIVE))})",
                [*map(encode, fields.values()), job_id, *ACTIVE],
            )
            return cur.rowcount == 1

    def start_job(self, job_id: str, owner: str) -> bool:
        """Claim a queued job for this process; False if someone else has it or it was canceled."""
        t = now()
        with self.db.tx() as c:
            fields = {"started_at": t, "heartbeat_at": t, "owner": owner}
            return L.move(c, "jobs", job_id, JobStatus.RUNNING, fields, where="cancel_requested=0")

    def finish_job(
        self, job_id: str, status: str, error_message: str | None = None, commit: Sequence[Commit] = (), **fields: Any
    ) -> bool:
        """The one way a running job ends. ``commit`` registers what it made (the version's data) in the same
        transaction. True if this call ended the job. False if it had already ended (canceled, failed by the stale
        sweep, its model deleted: someone else decided first) or if the version it made was removed meanwhile
        (then the job fails): the caller discards its work."""
        try:
            with self.db.tx() as c:
                ended = L.end_job(c, job_id, status, error_message, **fields)
                for fn in commit if ended else ():
                    fn(c)
        except L.Lost as e:
            with self.db.tx() as c:
                L.end_job(c, job_id, JobStatus.FAILED, f"{e}; its work was discarded")
            ended = False
        _files.release(self, [job_id])
        return ended

    def heartbeat(self, job_ids: list[str]) -> None:
        if not job_ids:
            return
        with self.db.tx() as c:
            c.execute(
                f"UPDATE jobs SET heartbeat_at=? WHERE id IN ({','.join('?' * len(job_ids))}) AND status IN "
                f"({','.join('?' * len(ACTIVE))})",
                [now(), *job_ids, *ACTIVE],
            )

    def sweep_stale(self) -> int:
        """Fail active jobs whose worker stopped refreshing the heartbeat, and uploads whose URL expired before
        they were completed (SPEC §9); remove what they leave behind. Cheap: every read of jobs runs it."""
        cutoff, t = ago(STALE_SECONDS), now()
        expired = "json_extract(request, '$.upload_expires_at') < ?"
        rows = self.db.query(
            f"SELECT id, status FROM jobs WHERE (status IN ('queued','running') AND heartbeat_at < ?) "
            f"OR (status='waiting_for_upload' AND {expired})",
            (cutoff, t),
        )
        ended = []
        if rows:
            with self.db.tx() as c:
                for r in rows:
                    if r["status"] == JobStatus.WAITING_FOR_UPLOAD:
                        ok = L.end_job(c, r["id"], JobStatus.FAILED, "the upload URL expired before the upload was "
                                       "completed; prepare a new upload", where=expired, args=(t,))  # fmt: skip
                    else:
                        ok = L.end_job(c, r["id"], JobStatus.FAILED, f"worker stopped (no heartbeat for "
                                       f"{STALE_SECONDS:.0f} s)", only_from=ACTIVE, where="heartbeat_at < ?",
                                       args=(cutoff,))  # fmt: skip
                    if ok:
                        ended.append(r["id"])
            _files.release(self, ended)
        self.sweep_orphans(force=bool(ended))
        return len(ended)

    def sweep_orphans(self, force: bool = False) -> list[str]:
        """Remove the store files no live job or record owns (see ``_files``); at most once per stale period per
        process unless ``force``. Returns what was removed (``folder/name``)."""
        t = time.monotonic()
        if not force and t - self._last_orphan_sweep < STALE_SECONDS:
            return []
        if not self._sweeping.acquire(blocking=False):
            return []
        try:
            self._last_orphan_sweep = t
            return _files.remove_orphans(self, grace_seconds=max(2 * STALE_SECONDS, 10.0))
        finally:
            self._sweeping.release()

    def fail_jobs_of(self, owner: str, message: str) -> list[str]:
        """A dead process's open jobs cannot finish: fail them now (the stale sweep would, 30 s later), and remove
        its temporaries. Returns the job ids failed."""
        rows = self.db.query(
            f"SELECT id FROM jobs WHERE owner=? AND status IN ({','.join('?' * len(ACTIVE))})", (owner, *ACTIVE)
        )
        ended = []
        with self.db.tx() as c:
            for r in rows:
                if L.end_job(c, r["id"], JobStatus.FAILED, message, only_from=ACTIVE):
                    ended.append(r["id"])
        _files.release(self, ended)
        return ended

    def _job_dict(self, r: Any) -> dict[str, Any]:
        d = {k: r[k] for k in JOB_FIELDS}
        d["job_id"] = d["id"]
        d["cancel_requested"] = bool(d["cancel_requested"])
        d["request"] = _loads(r["request"], {})
        d["result_meta"] = _loads(r["result_meta"])
        d["has_result"] = bool(r["result_path"])
        d["result_path"] = r["result_path"]
        return d

    def get_job(self, job_id: str) -> dict[str, Any]:
        self.sweep_stale()
        r = self.db.one("SELECT * FROM jobs WHERE id=?", (job_id,))
        if r is None:
            raise NotFoundError(f'No job with id "{job_id}".')
        return self._job_dict(r)

    def list_jobs(
        self,
        status: str | None = None,
        type: str | None = None,
        limit: int = 50,
        before: str | None = None,
        model_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Newest first; ``before`` is a created_at cursor for paging."""
        for what, val, known in (("status", status, STATUSES), ("type", type, JOB_TYPES)):
            if val and val not in known:
                raise OptionError(
                    f'Unknown job {what} "{val}". Use one of: {", ".join(known)}.' + did_you_mean(val, known)
                )
        self.sweep_stale()
        where, args = [], []
        for col, val in (("status", status), ("type", type), ("model_id", model_id)):
            if val:
                where.append(f"{col}=?")
                args.append(val)
        if before:
            where.append("created_at < ?")
            args.append(before)
        sql = "SELECT * FROM jobs" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = self.db.query(sql + " ORDER BY created_at DESC, id DESC LIMIT ?", [*args, int(limit)])
        return [self._job_dict(r) for r in rows]

    def count_jobs(self, status: str | None = None, type: str | None = None) -> int:
        where, args = [], []
        for col, val in (("status", status), ("type", type)):
            if val:
                where.append(f"{col}=?")
                args.append(val)
        sql = "SELECT COUNT(*) FROM jobs" + (f" WHERE {' AND '.join(where)}" if where else "")
        return int(self.db.scalar(sql, args))

    def request_cancel(self, job_id: str) -> dict[str, Any]:
        """Any process may ask; the worker stops at its next check. A queued job, or one waiting for its upload,
        is canceled at once (its dataset version fails with it and its staged bytes are removed)."""
        job = self.get_job(job_id)
        if job["status"] in TERMINAL:
            return job
        with self.db.tx() as c:
            ended = self._cancel_in(c, job_id, "canceled before it started", (JobStatus.QUEUED,))
            ended = ended or self._cancel_in(
                c, job_id, "canceled before the upload was completed", (JobStatus.WAITING_FOR_UPLOAD,)
            )
        if ended:
            _files.release(self, [job_id])
        return self.get_job(job_id)

    def _cancel_in(self, c: sqlite3.Connection, job_id: str, message: str, only_from: Iterable[str]) -> bool:
        """In a transaction: flag the job for cancel (its worker stops at the next check) and end it canceled if
        it is in ``only_from``."""
        c.execute(
            f"UPDATE jobs SET cancel_requested=1 WHERE id=? AND status IN ({','.join('?' * len(OPEN))})",
            (job_id, *OPEN),
        )
        return L.end_job(c, job_id, JobStatus.CANCELED, message, only_from=only_from)

    def should_stop(self, job_id: str) -> bool:
        """True once a cancel was asked for, or the job ended elsewhere (failed by the stale sweep, its model
        deleted): the worker stops and its work is discarded."""
        r = self.db.one("SELECT cancel_requested, status FROM jobs WHERE id=?", (job_id,))
        return r is None or bool(r["cancel_requested"]) or r["status"] not in ACTIVE

    def queue_upload(self, job_id: str, request: dict[str, Any]) -> bool:
        """``/complete``: the ingest waiting for its upload is queued (False if it is no longer waiting)."""
        with self.db.tx() as c:
            return L.move(c, "jobs", job_id, JobStatus.QUEUED, {"request": request, "heartbeat_at": now()},
                          only_from=(JobStatus.WAITING_FOR_UPLOAD,))  # fmt: skip

    def accept_upload(self, job_id: str, part: Path, dest: Path) -> bool:
        """Put an uploaded file in place for its ingest, only while the job still waits for it (atomically with
        ``/complete``); False (the part is removed) once it was completed, canceled or expired."""
        with self.db.tx() as c:
            row = c.execute("SELECT status FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is not None and row["status"] == JobStatus.WAITING_FOR_UPLOAD:
                with self.writing("uploads/"):
                    os.replace(part, dest)
                return True
        part.unlink(missing_ok=True)
        return False

    def prune_jobs(self, older_than_days: float) -> int:
        """Delete finished jobs (and their result files) older than this many days."""
        try:
            days = float(older_than_days)
        except (TypeError, ValueError):
            raise OptionError(f"older_than_days must be a number of days, not {older_than_days!r}.") from None
        if not days >= 0:  # also refuses NaN
            raise OptionError(f"older_than_days must be 0 or more; got {older_than_days}.")
        rows = self.db.query(
            f"SELECT id FROM jobs WHERE status IN ({','.join('?' * len(TERMINAL))}) AND created_at < ?",
            (*TERMINAL, ago(days * 86400)),
        )
        return self.delete_jobs([r["id"] for r in rows])

    def delete_jobs(self, job_ids: list[str]) -> int:
        """Delete ended jobs and their result files (open ones are left alone); returns how many."""
        gone: list[tuple[str, str | None]] = []
        with self.db.tx() as c:
            for jid in job_ids:
                r = c.execute(
                    f"DELETE FROM jobs WHERE id=? AND status IN ({','.join('?' * len(TERMINAL))}) RETURNING result_path",
                    (jid, *TERMINAL),
                ).fetchone()
                if r is not None:
                    gone.append((jid, r["result_path"]))
        for _jid, path in gone:
            if path:
                _files.remove(Path(path))
        return len(gone)

    def apply_retention(self) -> int:
        """Delete the sync results the retention policy no longer keeps; returns how many jobs were deleted."""
        return self.delete_jobs(self.retention.expired(self.db))


def _missing(message: str) -> Any:
    raise NotFoundError(message)
