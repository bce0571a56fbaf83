"""Timing helpers of bench/interactive.py: each figure is ours against a baseline timed in turn in the same run,
and every reported row is kept in ``ROWS`` for the summary."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

ROWS: list[tuple[str, str, float, str]] = []  # (what, against, ratio, goal)


def report(what: str, against: str, ratio: float, goal: str, detail: str = "") -> None:
    ROWS.append((what, against, ratio, goal))
    print(f"  {what:<46} {ratio:7.2f}x {against:<34} goal {goal:<8} {detail}", flush=True)


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def fastest_threads(fn: Callable[[], Any], tries: int = 5) -> Callable[[], Any]:
    """A scikit-learn baseline at its best: run with its default threads or with one thread, whichever was faster
    over ``tries`` alternating calls (on a busy 2-core machine, OpenMP's spin-waiting can make the default many
    times slower on small work). One call per measurement, like ours."""
    from threadpoolctl import threadpool_limits

    def one_thread() -> Any:
        with threadpool_limits(1):
            return fn()

    default, single = [], []
    for _ in range(tries):
        default.append(timed(fn))
        single.append(timed(one_thread))
    return one_thread if statistics.median(single) < statistics.median(default) else fn


def paired(
    ours: Callable[[], Any], base: Callable[[], Any], runs: int, settle: Callable[[], Any] | None = None
) -> tuple[float, float, float]:
    """Median of ours, median of base, median of the pairwise ratios (ours / base). ``settle`` runs after each
    call, off the clock: work a call leaves running in the background (storing a sync result) is not charged to
    the call measured next."""
    a, b = [], []
    for _ in range(runs):
        a.append(timed(ours))
        if settle is not None:
            settle()
        b.append(timed(base))
        if settle is not None:
            settle()
    return statistics.median(a), statistics.median(b), statistics.median(x / y for x, y in zip(a, b, strict=True))


def median_of(fn: Callable[[], Any], reps: int) -> float:
    return statistics.median(timed(fn) for _ in range(reps))
