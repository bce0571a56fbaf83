"""The embedded store shared by every process on the machine (SPEC §9)."""

from ._db import new_id, now, parse_time
from ._lifecycle import (
    ACTIVE,
    ENDED,
    JOB_TYPES,
    OPEN,
    STATUSES,
    TERMINAL,
    JobStatus,
    JobType,
    VersionStatus,
    ended_error,
)
from ._retention import Retention
from ._store import Store, check_retrain, default_home, process_owner

__all__ = [
    "ACTIVE",
    "ENDED",
    "JOB_TYPES",
    "OPEN",
    "STATUSES",
    "TERMINAL",
    "JobStatus",
    "JobType",
    "Retention",
    "Store",
    "VersionStatus",
    "check_retrain",
    "default_home",
    "ended_error",
    "new_id",
    "now",
    "parse_time",
    "process_owner",
]
