"""Fixtures for the notebook front end: a real IPython InteractiveShell with the extension loaded, a store of its
own per test (JUPYTER_INFER_HOME), small real data (the penguins of tests/conftest.py) and generated data for
long-enough jobs.

Jobs that must still be running when a test cancels them use JUPYTER_INFER_TEST_ROWS_PER_SECOND, the engine's
test-only rate limit (jupyter_infer/jobs/work.py), instead of large inputs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import jupyter_infer as ji

RATE_ENV = "JUPYTER_INFER_TEST_ROWS_PER_SECOND"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "store"
    monkeypatch.setenv("JUPYTER_INFER_HOME", str(h))
    monkeypatch.delenv("JUPYTER_INFER_URL", raising=False)
    monkeypatch.delenv(RATE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return h


@pytest.fixture
def store_client(home: Path) -> ji.Client:
    """A second client on the same store: what the test sees, independent of the magics' own client."""
    return ji.connect(home=home)


def generated(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows), "c": rng.integers(0, 5, rows)})


@pytest.fixture
def ip(home: Path, penguins: pd.DataFrame) -> Iterator[InteractiveShell]:
    """The process's InteractiveShell with ``%load_ext jupyter_infer`` and ``df`` (penguins) in its namespace;
    settings and variables are reset after each test."""
    shell = InteractiveShell.instance()
    shell.history_manager.enabled = False
    run(shell, "%load_ext jupyter_infer")
    before = set(shell.user_ns)
    shell.user_ns["df"] = penguins.copy()
    yield shell
    for name in set(shell.user_ns) - before:
        shell.user_ns.pop(name, None)
    magics = shell.magics_manager.registry["InferMagics"]
    for trait in ("max_rows", "short_errors", "poll_interval", "charts", "status_page_size", "url", "token", "home"):
        setattr(magics, trait, magics.trait_defaults(trait))


def run(shell: InteractiveShell, src: str) -> Any:
    """Run a cell; raise what it raised; return its value."""
    res = shell.run_cell(src)
    res.raise_error()
    return res.result


def fails(shell: InteractiveShell, src: str) -> BaseException:
    """Run a cell that must fail; return the exception."""
    res = shell.run_cell(src)
    assert res.error_in_exec is not None, f"the cell did not fail: {src!r}"
    return res.error_in_exec
