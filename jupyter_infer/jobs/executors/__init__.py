"""Where an inference job scores: ``local`` (this process, batch by batch) or ``dask`` (a Dask cluster, partition
by partition). Both take the same ``Inference`` and leave the same thing behind: the result at ``inference.final``,
its metadata, its row count. ``jobs.work`` prepares the Inference and ends the job the same way for both."""

from __future__ import annotations

from ._base import Executor, Inference, Scored

__all__ = ["Executor", "Inference", "Scored", "executor"]


def executor(name: str) -> Executor:
    """The executor a job's request names ("local" unless it says "dask"); Dask is imported only when a job uses it."""
    if name == "dask":
        from . import dask

        return dask
    from . import local

    return local
