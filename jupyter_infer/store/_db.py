"""The SQLite side of the store: connections per thread, WAL where the filesystem allows it, a versioned schema
migrated forward on open, and short write transactions that several processes can share."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import string
import threading
import warnings
from collections.abc import Iterator, Sequence, Sized
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ._errors import storage_error

SCHEMA_VERSION = 1
_ALPHABET = string.ascii_uppercase + string.digits

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE datasets (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE dataset_versions (
        id TEXT PRIMARY KEY, dataset_id TEXT NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
        version INTEGER NOT NULL, status TEXT NOT NULL, path TEXT, row_count INTEGER, byte_size INTEGER,
        schema_json TEXT, source_label TEXT, ingest_job_id TEXT, error_message TEXT,
        created_at TEXT NOT NULL, ready_at TEXT, UNIQUE (dataset_id, version)
    );
    CREATE TABLE models (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, model_type TEXT NOT NULL, label_column TEXT,
        created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
    CREATE TABLE model_versions (
        id TEXT PRIMARY KEY, model_id TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        version INTEGER NOT NULL, status TEXT NOT NULL, path TEXT, params TEXT, input_columns TEXT,
        metrics TEXT, descriptions TEXT, info TEXT, library_versions TEXT, dataset_id TEXT,
        dataset_version_id TEXT, dataset_name TEXT, training_job_id TEXT, error_message TEXT,
        created_at TEXT NOT NULL, ready_at TEXT, UNIQUE (model_id, version)
    );
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL,
        progress REAL NOT NULL DEFAULT 0, rows_done INTEGER NOT NULL DEFAULT 0, rows_total INTEGER,
        current_phase TEXT, estimated_seconds_remaining REAL, error_message TEXT,
        created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT, heartbeat_at TEXT,
        input_filename TEXT, model_id TEXT, model_name TEXT, model_version_id TEXT, model_version INTEGER,
        model_type TEXT, dataset_id TEXT, dataset_name TEXT, dataset_version_id TEXT, dataset_version INTEGER,
        cancel_requested INTEGER NOT NULL DEFAULT 0, owner TEXT, request TEXT, result_path TEXT,
        result_meta TEXT, output_type TEXT
    );
    CREATE INDEX jobs_created ON jobs (created_at);
    CREATE INDEX jobs_status ON jobs (status);
    """,
}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s.replace("Z", "+00:00")) if s else None


def new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(10))


def marks(values: Sized) -> str:
    """One ``?`` per value, comma-separated: what ``IN (...)`` and ``VALUES (...)`` take for ``values``."""
    return ",".join("?" * len(values))


def encode(v: Any) -> Any:
    """A Python value as SQLite stores it: containers as JSON, booleans as 0/1, paths as text."""
    if isinstance(v, dict | list | tuple):
        return json.dumps(v)
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, Path):
        return str(v)
    return v


class Database:
    """One SQLite file, a connection per thread, migrations on open. A full disk or a read-only file comes out of
    every method as a StoreError naming the store's folder (see ``_errors``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.wal = True
        with self._errors():
            mode = self.conn().execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            self.wal = False
            warnings.warn(
                f"The jupyter-infer store at {path.parent} cannot use WAL mode (a network filesystem?); "
                "falling back to rollback journaling, which is slower with several processes.",
                stacklevel=2,
            )
        self._migrate()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.DatabaseError as e:
            err = storage_error(e, self.path.parent, self.path.name)
            if err is None:
                raise
            raise err from None

    def conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None or getattr(self._local, "pid", None) != os.getpid():
            with self._errors():
                c = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
                c.row_factory = sqlite3.Row
                c.execute("PRAGMA busy_timeout=30000")
                c.execute("PRAGMA foreign_keys=ON")
                c.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = c
            self._local.pid = os.getpid()
        return c

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction, taken up front (BEGIN IMMEDIATE) so writers queue instead of deadlocking."""
        c = self.conn()
        with self._errors():
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise
            else:
                try:
                    c.execute("COMMIT")
                except BaseException:
                    if c.in_transaction:
                        c.execute("ROLLBACK")
                    raise

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._errors():
            rows: list[sqlite3.Row] = self.conn().execute(sql, args).fetchall()
            return rows

    def one(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._errors():
            row: sqlite3.Row | None = self.conn().execute(sql, args).fetchone()
            return row

    def scalar(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """The first column of the first row (for COUNT and lookups that must exist)."""
        row = self.one(sql, args)
        return None if row is None else row[0]

    def _migrate(self) -> None:
        with self.tx() as c:
            current = c.execute("PRAGMA user_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"The store at {self.path.parent} has schema version {current}, newer than this jupyter-infer "
                    f"understands ({SCHEMA_VERSION}); upgrade jupyter-infer."
                )
            for v in range(current + 1, SCHEMA_VERSION + 1):
                for stmt in MIGRATIONS[v].split(";"):
                    if stmt.strip():
                        c.execute(stmt)
                c.execute(f"PRAGMA user_version={v}")
