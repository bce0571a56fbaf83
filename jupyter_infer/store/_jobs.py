"""The jobs of the store: created, claimed, reported on, ended (through the lifecycle's compare-and-set only),
swept when their worker stopped, canceled, listed and pruned."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from .._exceptions import NotFoundError, OptionError
from ..engine.options import choice
from . import _files
from . import _lifecycle as L
from ._db import ago, encode, marks, new_id, now
from ._home import StoreHome
from ._lifecycle import ACTIVE, JOB_TYPES, OPEN, STATUSES, TERMINAL, JobStatus
from ._records import job_record

# Seconds without a heartbeat before a running job counts as orphaned; JUPYTER_INFER_STALE_SECONDS overrides
# it (tests use a few seconds so they need not wait 30).
STALE_SECONDS = float(os.environ.get("JUPYTER_INFER_STALE_SECONDS") or 30.0)
# Work done inside a job's finishing transaction (registering the version it made); raises L.Lost to refuse.
Commit = Callable[[sqlite3.Connection], None]


class JobStore(StoreHome):
    """The job methods of ``Store``."""

    def create_job(self, type: str, status: str = JobStatus.QUEUED, **fields: Any) -> dict[str, Any]:
        assert status in OPEN, status
        t = now()
        job_id = fields.pop("id", None) or new_id("job_")
        row = {"id": job_id, "type": type, "status": status, "created_at": t, "heartbeat_at": t, **fields}
        if status == JobStatus.RUNNING:
            row.setdefault("started_at", t)
        with self.db.tx() as c:
            c.execute(
                f"INSERT INTO jobs ({','.join(row)}) VALUES ({marks(row)})",
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
                f"UPDATE jobs SET {sets} WHERE id=? AND status IN ({marks(ACTIVE)})",
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
                f"UPDATE jobs SET heartbeat_at=? WHERE id IN ({marks(job_ids)}) AND status IN ({marks(ACTIVE)})",
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
                        ok = L.end_job(
                            c,
                            r["id"],
                            JobStatus.FAILED,
                            "the upload URL expired before the upload was completed; prepare a new upload",
                            where=expired,
                            args=(t,),
                        )
                    else:
                        ok = L.end_job(
                            c,
                            r["id"],
                            JobStatus.FAILED,
                            f"worker stopped (no heartbeat for {STALE_SECONDS:.0f} s)",
                            only_from=ACTIVE,
                            where="heartbeat_at < ?",
                            args=(cutoff,),
                        )
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
        rows = self.db.query(f"SELECT id FROM jobs WHERE owner=? AND status IN ({marks(ACTIVE)})", (owner, *ACTIVE))
        ended = []
        with self.db.tx() as c:
            for r in rows:
                if L.end_job(c, r["id"], JobStatus.FAILED, message, only_from=ACTIVE):
                    ended.append(r["id"])
        _files.release(self, ended)
        return ended

    def get_job(self, job_id: str) -> dict[str, Any]:
        self.sweep_stale()
        r = self.db.one("SELECT * FROM jobs WHERE id=?", (job_id,))
        if r is None:
            raise NotFoundError(f'No job with id "{job_id}".')
        return job_record(r)

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
            if val:
                choice(f"job {what}", val, known)
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
        return [job_record(r) for r in rows]

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
            f"UPDATE jobs SET cancel_requested=1 WHERE id=? AND status IN ({marks(OPEN)})",
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
            return L.move(
                c,
                "jobs",
                job_id,
                JobStatus.QUEUED,
                {"request": request, "heartbeat_at": now()},
                only_from=(JobStatus.WAITING_FOR_UPLOAD,),
            )

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
            f"SELECT id FROM jobs WHERE status IN ({marks(TERMINAL)}) AND created_at < ?",
            (*TERMINAL, ago(days * 86400)),
        )
        return self.delete_jobs([r["id"] for r in rows])

    def delete_jobs(self, job_ids: list[str]) -> int:
        """Delete ended jobs and their result files (open ones are left alone); returns how many."""
        gone: list[tuple[str, str | None]] = []
        with self.db.tx() as c:
            for jid in job_ids:
                r = c.execute(
                    f"DELETE FROM jobs WHERE id=? AND status IN ({marks(TERMINAL)}) RETURNING result_path",
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
