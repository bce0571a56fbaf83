"""How long sync results are kept (SPEC §8): the newest ``keep`` and none older than ``max_age_hours``. The
server applies it on its own (after sync inferences and on the supervisor's timer); ``jobs.prune`` and
``POST /jobs/prune`` still delete any finished job by age."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .._exceptions import OptionError
from ._db import Database, ago, marks
from ._lifecycle import TERMINAL, JobType

KEEP_ENV = "JUPYTER_INFER_SYNC_RESULTS_KEEP"
HOURS_ENV = "JUPYTER_INFER_SYNC_RESULTS_HOURS"


@dataclass(frozen=True)
class Retention:
    """The sync-result policy; 0 turns a bound off."""

    keep: int = 500
    max_age_hours: float = 24.0

    @classmethod
    def from_env(cls) -> Retention:
        """The embedded store's policy: $JUPYTER_INFER_SYNC_RESULTS_KEEP and $JUPYTER_INFER_SYNC_RESULTS_HOURS,
        else the defaults (the server sets its own from ``JupyterInfer.sync_results_keep`` and
        ``JupyterInfer.sync_results_max_age_hours``)."""
        keep = os.environ.get(KEEP_ENV)
        hours = os.environ.get(HOURS_ENV)
        try:
            return cls(
                keep=int(keep) if keep else cls.keep,
                max_age_hours=float(hours) if hours else cls.max_age_hours,
            ).checked()
        except (ValueError, OptionError):
            raise OptionError(
                f"${KEEP_ENV} must be a whole number and ${HOURS_ENV} a number of hours, each 0 or more (0: no "
                f"limit); got {keep!r} and {hours!r}."
            ) from None

    def checked(self) -> Retention:
        """This policy, if both bounds are 0 or more."""
        if self.keep < 0 or not self.max_age_hours >= 0:
            raise OptionError(
                f"The sync result retention must be 0 or more (0: no limit); got keep={self.keep}, "
                f"max_age_hours={self.max_age_hours}."
            )
        return self

    def expired(self, db: Database) -> list[str]:
        """The ended sync-inference jobs this policy no longer keeps."""
        conds: list[str] = []
        args: list[object] = []
        if self.max_age_hours:
            conds.append("created_at < ?")
            args.append(ago(self.max_age_hours * 3600))
        if self.keep:
            conds.append("id IN (SELECT id FROM jobs WHERE type=? ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)")
            args += [JobType.INFER_SYNC, self.keep]
        if not conds:
            return []
        rows = db.query(
            f"SELECT id FROM jobs WHERE type=? AND status IN ({marks(TERMINAL)}) AND ({' OR '.join(conds)})",
            [JobType.INFER_SYNC, *TERMINAL, *args],
        )
        return [r["id"] for r in rows]
