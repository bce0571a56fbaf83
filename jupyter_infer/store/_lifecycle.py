"""The lifecycle of jobs, dataset versions and model versions (SPEC §2): the statuses and types, the allowed
transitions written down once, and the one compare-and-set that applies them.

Every status change in the store is ``UPDATE ... SET status = <to> WHERE id = ? AND status IN (<allowed from>)``
inside a write transaction. Whoever moves a record first decides; the loser sees ``False`` (or ``Lost``) and
discards its work. A terminal status has no way out, so it never changes again.

    job:      waiting_for_upload -> queued | failed | canceled
              queued             -> running | failed | canceled
              running            -> succeeded | failed | canceled
    version:  processing         -> ready | failed     (a model version that fails is removed, not kept)

A job that ends other than ``succeeded`` takes the version it was making with it in the same transaction: an
ingest job its dataset version, a training job its model version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from typing import Any

from .._exceptions import InferError, JobCanceled, JobFailed
from ._db import encode, marks, new_id, now


class JobStatus(StrEnum):
    WAITING_FOR_UPLOAD = "waiting_for_upload"  # an ingest of the upload flow, before its bytes arrive
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class JobType(StrEnum):
    DATASET_INGEST = "dataset_ingest"
    TRAIN = "train"
    INFER_SYNC = "infer_sync"
    INFER_BATCH = "infer_batch"


class VersionStatus(StrEnum):
    """Of a dataset version or a model version."""

    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class WoodWideStatus(StrEnum):
    """Job statuses of the Wood Wide service that our store never gives: a remote client may see them, and the
    HTTP job list accepts them as filters (SPEC §8)."""

    INITIALIZING = "initializing"
    PENDING = "pending"
    REJECTED = "rejected"  # ended: the service refused the job


class WoodWideJobType(StrEnum):
    """Job types of the Wood Wide service that our store never makes (accepted as HTTP list filters)."""

    EVALUATE = "evaluate"
    EXPORT = "export"
    CONNECTOR_IMPORT = "connector_import"
    INFER_EXPLAIN = "infer_explain"


J, V, W = JobStatus, VersionStatus, WoodWideStatus
JOB_TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    J.WAITING_FOR_UPLOAD: frozenset({J.QUEUED, J.FAILED, J.CANCELED}),
    J.QUEUED: frozenset({J.RUNNING, J.FAILED, J.CANCELED}),
    J.RUNNING: frozenset({J.SUCCEEDED, J.FAILED, J.CANCELED}),
}
VERSION_TRANSITIONS: dict[VersionStatus, frozenset[VersionStatus]] = {
    V.PROCESSING: frozenset({V.READY, V.FAILED}),
}
TERMINAL: tuple[JobStatus, ...] = (J.SUCCEEDED, J.FAILED, J.CANCELED)
ACTIVE: tuple[JobStatus, ...] = (J.QUEUED, J.RUNNING)  # a worker owes them a heartbeat
OPEN: tuple[JobStatus, ...] = (J.WAITING_FOR_UPLOAD, *ACTIVE)  # not ended yet
STATUSES: tuple[JobStatus, ...] = tuple(JobStatus)
JOB_TYPES: tuple[JobType, ...] = tuple(JobType)
# What a remote service may answer: a job has ended once its status is one of these (ours, and "rejected").
ENDED: tuple[str, ...] = (*TERMINAL, W.REJECTED)
# The filters the HTTP job list accepts (in the order its error message lists them).
LISTED_STATUSES: tuple[str, ...] = (
    W.INITIALIZING,
    W.PENDING,
    J.QUEUED,
    J.RUNNING,
    J.SUCCEEDED,
    J.FAILED,
    J.CANCELED,
    W.REJECTED,
    J.WAITING_FOR_UPLOAD,
)
LISTED_JOB_TYPES: tuple[str, ...] = (*JobType, *WoodWideJobType)
VERSION_TABLES = ("dataset_versions", "model_versions")


def ended_error(job: Mapping[str, Any]) -> InferError | None:
    """How a job that ended other than ``succeeded`` reads to the person who asked for it (None while it is open or
    once it succeeded): ``JobCanceled`` with why it was canceled, else ``JobFailed`` with its error message. The one
    wording every front end shows (the client's ``Job.result``, the magics, the runner of another process)."""
    status, jid = job.get("status"), job.get("id") or job.get("job_id")
    message = str(job.get("error_message") or "")
    if status not in ENDED or status == J.SUCCEEDED:
        return None
    if status == J.CANCELED:
        if message.startswith("canceled: "):  # "canceled: the model M was deleted"
            why = ": " + message.removeprefix("canceled: ")
        elif message.startswith("canceled before "):  # before it started, before its upload was completed
            why = message.removeprefix("canceled")
        elif job.get("cancel_requested") or message == "canceled by request":
            why = " by a Cancel request"
        else:
            why = f": {message}" if message else " before it finished"
        return JobCanceled(f"Job {jid} was canceled{why}.")
    if status == W.REJECTED:
        return JobFailed(f"Job {jid} was rejected: {message or 'no reason given'}")
    return JobFailed(f"Job {jid} failed: {message or 'unknown error'}")


class Lost(Exception):
    """A compare-and-set found the record in another state: another process or thread decided first."""


def sources(to: str, table: str = "jobs") -> tuple[str, ...]:
    """The statuses from which a record of ``table`` may move to ``to``."""
    moves: dict[Any, frozenset[Any]] = JOB_TRANSITIONS if table == "jobs" else VERSION_TRANSITIONS
    return tuple(sorted(str(frm) for frm, tos in moves.items() if to in tos))


def move(
    c: sqlite3.Connection,
    table: str,
    record_id: str,
    to: str,
    fields: dict[str, Any] | None = None,
    only_from: Iterable[str] | None = None,
    where: str = "",
    args: tuple[Any, ...] = (),
) -> bool:
    """The compare-and-set: ``record_id`` of ``table`` moves to ``to`` (setting ``fields`` too) if its status is one
    the transition table allows (narrowed to ``only_from``) and the extra ``where`` holds. True if it moved."""
    assert table == "jobs" or table in VERSION_TABLES
    frm = [s for s in sources(to, table) if only_from is None or s in set(only_from)]
    if not frm:
        return False
    sets = {"status": str(to), **(fields or {})}
    sql = f"UPDATE {table} SET {', '.join(f'{k}=?' for k in sets)} WHERE id=? AND status IN ({marks(frm)})" + (
        f" AND ({where})" if where else ""
    )
    cur = c.execute(sql, [*map(encode, sets.values()), record_id, *frm, *args])
    return cur.rowcount == 1


def end_job(
    c: sqlite3.Connection,
    job_id: str,
    to: str,
    message: str | None = None,
    only_from: Iterable[str] | None = None,
    where: str = "",
    args: tuple[Any, ...] = (),
    **fields: Any,
) -> bool:
    """Move a job to a terminal status (finish time, ETA cleared, 100% on success). When it did not succeed, the
    version it was making fails in the same transaction. False if the job had already ended (or was not in
    ``only_from``): then nothing changed."""
    assert to in TERMINAL, to
    done = to == J.SUCCEEDED
    sets = {
        "error_message": message,
        "finished_at": now(),
        "estimated_seconds_remaining": 0.0 if done else None,
        **({"progress": 100.0} if done else {}),
        **fields,
    }
    if not move(c, "jobs", job_id, to, sets, only_from, where, args):
        return False
    if not done:
        row = c.execute("SELECT type, dataset_version_id, model_version_id FROM jobs WHERE id=?", (job_id,)).fetchone()
        if row["type"] == JobType.DATASET_INGEST and row["dataset_version_id"]:
            fail_version(c, "dataset_versions", row["dataset_version_id"], message)
        elif row["type"] == JobType.TRAIN and row["model_version_id"]:
            fail_version(c, "model_versions", row["model_version_id"], message)
    return True


def new_version(
    c: sqlite3.Connection, table: str, parent: str, parent_id: str, prefix: str, **fields: Any
) -> tuple[str, int]:
    """A new version of a dataset or model (``parent``: the column naming it in ``table``), numbered after its last
    one, in ``processing``; ``fields``: its other columns. Its id and number."""
    version = c.execute(f"SELECT COALESCE(MAX(version), 0) + 1 FROM {table} WHERE {parent} = ?", (parent_id,))
    row = {"id": new_id(prefix), parent: parent_id, "version": version.fetchone()[0], "status": V.PROCESSING, **fields}
    c.execute(f"INSERT INTO {table} ({','.join(row)}) VALUES ({marks(row)})", [*map(encode, row.values())])
    return row["id"], row["version"]


ID_PREFIXES = {"dataset": ("ds_", "dsv_"), "model": ("mdl_", "mdlv_")}  # a kind's ids, and its versions'


def new_named_version(
    c: sqlite3.Connection,
    kind: str,
    name: str,
    made: Mapping[str, Any],
    updated: Mapping[str, Any] | None = None,
    check: Callable[[Mapping[str, Any]], None] | None = None,
    **fields: Any,
) -> tuple[str, str, int]:
    """A new version of the dataset or model (``kind``: "dataset" or "model") named ``name``. When none has that
    name one is made (``made``: its columns besides id, name and times); else the one there is checked (``check``
    raises to refuse it) and takes ``updated``. ``fields``: the version's columns. Its id, the version's id and
    number."""
    t, (prefix, version_prefix) = now(), ID_PREFIXES[kind]
    row = c.execute(f"SELECT * FROM {kind}s WHERE name = ?", (name,)).fetchone()
    if row is None:
        parent_id = new_id(prefix)
        new = {"id": parent_id, "name": name, **made, "created_at": t, "updated_at": t}
        c.execute(f"INSERT INTO {kind}s ({','.join(new)}) VALUES ({marks(new)})", [*new.values()])
    else:
        if check is not None:
            check(dict(row))
        parent_id = row["id"]
        sets = {**(updated or {}), "updated_at": t}
        c.execute(f"UPDATE {kind}s SET {', '.join(f'{k} = ?' for k in sets)} WHERE id = ?", [*sets.values(), parent_id])
    version_id, version = new_version(
        c, f"{kind}_versions", f"{kind}_id", parent_id, version_prefix, created_at=t, **fields
    )
    return parent_id, version_id, version


def finish_version(c: sqlite3.Connection, table: str, version_id: str, **fields: Any) -> None:
    """processing -> ready; raises Lost if the version was failed or removed meanwhile."""
    if not move(c, table, version_id, V.READY, {**fields, "ready_at": now()}):
        raise Lost(f"{table[:-1].replace('_', ' ')} {version_id} was removed before it was ready")


def fail_version(c: sqlite3.Connection, table: str, version_id: str, message: str | None) -> bool:
    """processing -> failed. A model version is removed instead (it must never shadow a ready one), and its model
    too when it was the model's only version. False if the version had already left ``processing``."""
    if table == "dataset_versions":
        return move(c, table, version_id, V.FAILED, {"error_message": message})
    row = c.execute(
        "SELECT model_id FROM model_versions WHERE id=? AND status=?", (version_id, V.PROCESSING)
    ).fetchone()
    if row is None:
        return False
    c.execute("DELETE FROM model_versions WHERE id=? AND status=?", (version_id, V.PROCESSING))
    if c.execute("SELECT COUNT(*) FROM model_versions WHERE model_id=?", (row["model_id"],)).fetchone()[0] == 0:
        c.execute("DELETE FROM models WHERE id=?", (row["model_id"],))
    return True
