"""Background work: the runner (threads, progress, cancel, heartbeat) and the job operations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._runner import JobContext, Runner

if TYPE_CHECKING:
    from .work import load_artifact, work_for

__all__ = ["JobContext", "Runner", "load_artifact", "work_for"]


def __getattr__(name: str) -> Any:
    """``work`` (the engine: scikit-learn, skops) is imported when a job first needs it, not to list jobs."""
    if name in ("load_artifact", "work_for"):
        from . import work

        return getattr(work, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
