"""The embedded store shared by every process on the machine (SPEC §9)."""

from ._db import new_id, now, parse_time
from ._store import ACTIVE, TERMINAL, Store, check_retrain, default_home, process_owner

__all__ = [
    "ACTIVE",
    "TERMINAL",
    "Store",
    "check_retrain",
    "default_home",
    "new_id",
    "now",
    "parse_time",
    "process_owner",
]
