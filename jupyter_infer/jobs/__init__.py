"""Background work: the runner (threads, progress, cancel, heartbeat) and the job operations."""

from ._runner import JobContext, Runner
from .work import load_artifact, work_for

__all__ = ["JobContext", "Runner", "load_artifact", "work_for"]
