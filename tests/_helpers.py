"""Helpers the test packages share: waiting for a condition, waiting for a job to score rows, and the statuses of an
ended job, a frame as the bytes of a CSV file. Fixtures (the penguins, as a frame and as CSV bytes) are in
tests/conftest.py."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from jupyter_infer.store import TERMINAL as TERMINAL  # re-exported: a job in one has ended

if TYPE_CHECKING:
    import pandas as pd


def eventually(cond: Callable[[], Any], what: str = "", timeout: float = 120.0, every: float = 0.05) -> Any:
    """Poll until ``cond()`` is truthy and return its value; an AssertionError naming ``what`` after ``timeout``
    seconds (a generous deadline only turns a hang into a failure)."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what or cond}"
        time.sleep(every)


def until_running(job: Callable[[], Mapping[str, Any]], timeout: float = 120.0) -> dict[str, Any]:
    """The job's record (``job()`` fetches it) once it is running and has scored rows; an AssertionError as soon as
    it is neither queued nor running (it ended, or waits for an upload), or after ``timeout`` seconds."""

    def scoring() -> dict[str, Any] | None:
        rec = dict(job())
        assert rec["status"] in ("queued", "running"), f"the job is {rec['status']}, it was to run: {rec}"
        return rec if rec["status"] == "running" and (rec.get("rows_done") or 0) > 0 else None

    return eventually(scoring, "the job to run and score rows", timeout, every=0.02)  # type: ignore[no-any-return]


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The frame as the bytes of a CSV file without its index (what an upload sends)."""
    return df.to_csv(index=False).encode()
