"""What every model type receives to fit, and what it gives back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..features import Featurizer

Report = Callable[[str, float], None]  # (phase, fraction of training done 0..1)
PHASES = ("ingest", "fit", "validate", "save")  # where a training's time goes (the job's phases)


def _no_report(phase: str, fraction: float) -> None:
    return None


def _no_cancel() -> None:
    return None


@dataclass
class FitContext:
    aligned: pd.DataFrame  # the training features in canonical form (schema.align)
    featurizer: Featurizer
    params: dict[str, Any]
    label: pd.Series | None = None
    ids: np.ndarray | None = None  # training row ids (id_column values or positions)
    report: Report = _no_report
    check_cancel: Callable[[], None] = _no_cancel
    seconds: dict[str, float] = field(default_factory=dict)  # phase -> seconds spent in it

    @property
    def fast(self) -> bool:
        return bool(self.params.get("training_mode", "best") == "fast")

    @contextmanager
    def phase(self, name: str, fraction: float) -> Iterator[None]:
        """Report ``name`` (one of PHASES) at ``fraction`` of the training, and add the time spent to it."""
        self.check_cancel()
        self.report(name, fraction)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0


@dataclass
class Fitted:
    core: dict[str, Any]  # estimators, arrays and primitives; persisted with skops
    metrics: dict[str, Any] = field(default_factory=dict)
    descriptions: dict[str, dict[str, Any]] = field(default_factory=dict)  # e.g. {"cluster_descriptions": {...}}
    info: dict[str, Any] = field(default_factory=dict)


def threaded_rows(fn: Callable[[np.ndarray], np.ndarray], X: np.ndarray, min_rows: int = 50_000) -> np.ndarray:
    """Apply a GIL-releasing row-wise function over two halves in two threads (2 cores, no processes)."""
    if len(X) < min_rows:
        return fn(X)
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    chunks = np.array_split(X, 4)

    def run(c: np.ndarray) -> np.ndarray:
        with threadpool_limits(1):
            return fn(c)

    with ThreadPoolExecutor(2) as pool:
        return np.concatenate(list(pool.map(run, chunks)))


_controller: Any = None
SMALL_ROWS = 100_000


def threads_for(n_rows: int) -> Any:
    """One thread for small work: on a shared 2-core machine, OpenMP's spin-waiting made a 3 s fit take 70 s
    under load; large work keeps every core."""
    global _controller
    from contextlib import nullcontext

    if n_rows >= SMALL_ROWS:
        return nullcontext()
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1)
