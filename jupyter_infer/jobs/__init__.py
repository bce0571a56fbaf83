"""Background work: the runner (threads, progress, cancel, heartbeat), the job operations (``work``) and the
executors an inference job scores on (``executors``: local or Dask)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._runner import JobContext, Runner

if TYPE_CHECKING:
    from ._artifacts import load_artifact
    from .work import work_for

__all__ = ["JobContext", "Runner", "load_artifact", "work_for"]


def __getattr__(name: str) -> Any:
    """The engine (scikit-learn, skops) is imported when a job first needs it, not to list jobs."""
    if name == "load_artifact":
        from ._artifacts import load_artifact

        return load_artifact
    if name == "work_for":
        from .work import work_for

        return work_for
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
