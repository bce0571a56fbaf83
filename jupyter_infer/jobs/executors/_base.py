"""The interface both executors implement: the ``Inference`` they are given, the ``Scored`` they hand back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

    from ...engine.model import BatchScorer
    from ...engine.options import InferOptions
    from ...store import Store
    from .._runner import JobContext


@dataclass
class Inference:
    """An inference job ready to score: its stored records, its options resolved for the model, the scorer made
    from them (checked against the model before any work), and where its result goes."""

    job: dict[str, Any]
    model: dict[str, Any]
    version: dict[str, Any]
    options: InferOptions
    scorer: BatchScorer
    final: Path
    frame: pd.DataFrame | None = None  # the rows, held in memory by this process (local executor only)
    keep: Callable[[pd.DataFrame], None] | None = None  # given the whole output once stored (local executor only)

    @property
    def request(self) -> dict[str, Any]:
        return dict(self.job["request"])


@dataclass
class Scored:
    """What an executor hands back: the result's metadata (§4) and the rows it scored."""

    meta: dict[str, Any]
    rows: int


class Executor(Protocol):
    """``run``: score ``inference`` into ``inference.final`` (kept only if the job ends succeeded), reporting
    progress and checking for cancel through ``ctx``."""

    def run(self, store: Store, inference: Inference, ctx: JobContext) -> Scored: ...
