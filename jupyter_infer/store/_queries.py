"""Named reads of the store for the server and its worker: the upload a dataset version waits for, the jobs the
server queued for its worker, and a filtered page of jobs. Their SQL lives here so that no layer above writes any.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lifecycle import JobStatus
from ._records import dataset_version_record, job_record

if TYPE_CHECKING:
    from ._db import Database

# the columns a page of jobs can be filtered on (equality), in the order the HTTP API lists them
JOB_FILTERS = ("status", "type", "model_id", "model_version_id", "dataset_version_id", "dataset_id")


class Queries:
    """Mixed into ``Store``: each method is one question the layers above ask, answered with one query."""

    db: Database

    if TYPE_CHECKING:  # defined by Store

        def _resolve(self, table: str, noun: str, ref: str) -> Any: ...
        def sweep_stale(self) -> int: ...

    def ingest_job_of(self, dataset_version_id: str) -> str | None:
        """The id of the ingest job of a dataset version (None: no such version, or it has none)."""
        v = self.db.one("SELECT ingest_job_id FROM dataset_versions WHERE id=?", (dataset_version_id,))
        return v["ingest_job_id"] if v is not None and v["ingest_job_id"] else None

    def upload_version(self, ref: str) -> dict[str, Any] | None:
        """The dataset version an upload is for: the version ``dsv_...`` itself, else the newest version (of any
        status) of the dataset named by id or name; with its ``dataset_name``. None when a version id is unknown."""
        if ref.startswith("dsv_"):
            v = self.db.one("SELECT * FROM dataset_versions WHERE id=?", (ref,))
        else:
            d = self._resolve("datasets", "dataset", ref)
            v = self.db.one(
                "SELECT * FROM dataset_versions WHERE dataset_id=? ORDER BY version DESC LIMIT 1", (d["id"],)
            )
        if v is None:
            return None
        out = dataset_version_record(v)
        out["dataset_name"] = self.db.scalar("SELECT name FROM datasets WHERE id=?", (v["dataset_id"],))
        return out

    def queued_job_ids(self, owner_kind: str, limit: int | None = None) -> list[str]:
        """The queued jobs that processes of ``owner_kind`` queued (the server's, for its worker), oldest first."""
        sql = "SELECT id FROM jobs WHERE status=? AND owner LIKE ? ORDER BY created_at"
        args: list[Any] = [JobStatus.QUEUED, f"{owner_kind}:%"]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(int(limit))
        return [r["id"] for r in self.db.query(sql, args)]

    def page_jobs(self, limit: int, offset: int = 0, **filters: str | None) -> tuple[list[dict[str, Any]], bool]:
        """Jobs newest first, ``limit`` of them from ``offset``, where each given filter (``JOB_FILTERS``) equals;
        and whether more follow. Values are not checked here: an unknown status simply matches nothing."""
        unknown = set(filters) - set(JOB_FILTERS)
        assert not unknown, unknown
        self.sweep_stale()
        where = [f"{col}=?" for col in JOB_FILTERS if filters.get(col)]
        args: list[Any] = [filters[col] for col in JOB_FILTERS if filters.get(col)]
        sql = "SELECT * FROM jobs" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = self.db.query(sql + " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?", [*args, limit + 1, offset])
        return [job_record(r) for r in rows[:limit]], len(rows) > limit
