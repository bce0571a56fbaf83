"""The store's files that no record owns: what an ended job leaves (temporaries, a late result or model file, its
staged upload) and what nobody owns at all (a killed process's temporaries, abandoned uploads), found and removed.

Store files are named after their owner, so ownership is read from the name:

    results/job_X.parquet          kept while job X is open or succeeded
    results/.job_X.parquet.tmp-*   kept while job X is open
    datasets/dsv_X.parquet         kept while dataset version X is processing or ready
    models/mdlv_X.jimodel          kept while model version X exists
    datasets|models/.<name>.tmp-*  kept while the version is processing
    uploads/<entry>                kept while an open job reads it, or for a grace period after its last write (a
                                   request still streaming it, or a kernel about to queue the job that will read it)

Directory listings are taken before the database is read: a file seen on disk was made after its owner's record,
so the record (if any) is in what is read next.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._db import marks
from ._lifecycle import OPEN, JobStatus, VersionStatus

if TYPE_CHECKING:
    from ._home import StoreHome as Store

_RESULT = re.compile(r"^(job_[A-Z0-9]+)\.parquet$")
_VERSION_FILE = re.compile(r"^((?:dsv|mdlv)_[A-Z0-9]+)\.(?:parquet|jimodel)$")
_TMP = re.compile(r"^\.((?:job|dsv|mdlv)_[A-Z0-9]+)\..*\.tmp-")


def remove(p: Path) -> bool:
    """Remove a file or a directory (a Dask job's result is a folder of parts); True if something was removed."""
    try:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink()
        return True
    except FileNotFoundError:
        return False
    except OSError:
        return False


def staged_inputs(request: dict[str, Any]) -> list[str]:
    """The store-staged files a job's request reads and then deletes (never a user's own file)."""
    out = []
    src = request.get("source")
    if isinstance(src, str) and request.get("delete_source"):
        out.append(src)
    elif isinstance(src, dict) and src.get("delete_after") and src.get("path"):
        out.append(src["path"])
    return out


def release(store: Store, job_ids: Iterable[str]) -> None:
    """After jobs ended: remove what they leave behind: temporaries, the staged input, and, when a job did not
    succeed, a late result file or the file of the version it was making."""
    ids = list(job_ids)
    if not ids:
        return
    rows = store.db.query(
        f"SELECT id, type, status, request, dataset_version_id, model_version_id FROM jobs WHERE id IN ({marks(ids)})",
        ids,
    )
    for r in rows:
        if r["status"] in OPEN:
            continue
        for tmp in store.path("results").glob(f".{r['id']}.*.tmp-*"):
            remove(tmp)
        req = json.loads(r["request"]) if r["request"] else {}
        for src in staged_inputs(req):
            store.discard_staged(src)
        if r["status"] == JobStatus.SUCCEEDED:
            continue
        remove(store.path("results", f"{r['id']}.parquet"))
        if r["type"] == "dataset_ingest" and r["dataset_version_id"]:
            _remove_version_files(store, "datasets", r["dataset_version_id"], ".parquet")
        if r["type"] == "train" and r["model_version_id"]:
            _remove_version_files(store, "models", r["model_version_id"], ".jimodel")


def _remove_version_files(store: Store, folder: str, version_id: str, ext: str) -> None:
    remove(store.path(folder, f"{version_id}{ext}"))
    for tmp in store.path(folder).glob(f".{version_id}{ext}.tmp-*"):
        remove(tmp)


def _listing(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _newest_mtime(p: Path) -> float:
    try:
        t = p.stat().st_mtime
        if p.is_dir():
            for child in p.iterdir():
                t = max(t, child.stat().st_mtime)
        return t
    except OSError:
        return time.time()  # vanished or unreadable while we looked: treat as fresh


def remove_orphans(store: Store, grace_seconds: float) -> list[str]:
    """Remove every store file no record owns (see the module docstring); returns the names removed."""
    listed = {sub: _listing(store.path(sub)) for sub in ("results", "datasets", "models", "uploads")}
    jobs = {r["id"]: r["status"] for r in store.db.query("SELECT id, status FROM jobs")}
    versions = {
        r["id"]: r["status"]
        for table in ("dataset_versions", "model_versions")
        for r in store.db.query(f"SELECT id, status FROM {table}")
    }
    open_inputs = [
        Path(src).resolve()
        for r in store.db.query(f"SELECT request FROM jobs WHERE status IN ({marks(OPEN)})", OPEN)
        for src in staged_inputs(json.loads(r["request"]) if r["request"] else {})
    ]
    removed: list[str] = []

    def drop(p: Path) -> None:
        if remove(p):
            removed.append(f"{p.parent.name}/{p.name}")

    for p in listed["results"]:
        if m := _TMP.match(p.name):
            if jobs.get(m.group(1)) not in OPEN:
                drop(p)
        elif (m := _RESULT.match(p.name)) and jobs.get(m.group(1)) not in (*OPEN, JobStatus.SUCCEEDED):
            drop(p)
    for p in listed["datasets"] + listed["models"]:
        if m := _TMP.match(p.name):
            if versions.get(m.group(1)) != VersionStatus.PROCESSING:
                drop(p)
        elif (m := _VERSION_FILE.match(p.name)) and versions.get(m.group(1)) in (None, VersionStatus.FAILED):
            drop(p)
    cutoff = time.time() - grace_seconds
    for p in listed["uploads"]:
        mine = p.resolve()
        if any(src == mine or src.is_relative_to(mine) for src in open_inputs):
            continue
        if _newest_mtime(p) < cutoff:
            drop(p)
    return removed
