"""Found item 4: a folder swapped for a symbolic link after an infer-async request was accepted must not make the
job read or write outside the server root (SPEC §8: checked again when the file is opened)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests._helpers import csv_bytes
from tests.faults._hostile import Server, serve

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links")


@pytest.fixture(scope="module")
def slow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Scoring slowed to 200 rows/s, so jobs can be held in the queue while a folder is swapped."""
    yield from serve(tmp_path_factory, "confine", env={"JUPYTER_INFER_TEST_ROWS_PER_SECOND": "200"})


@pytest.fixture(scope="module")
def model(slow: Server, penguins: pd.DataFrame) -> str:
    slow.client().models.train(penguins, "clustering", name="cl", params={"training_mode": "fast"})
    return "cl"


def _hold_the_worker(slow: Server, model: str) -> list[str]:
    """Two long jobs on the worker's two threads: a job submitted next waits in the queue."""
    big = slow.root / "long.csv"
    if not big.exists():
        from palmerpenguins import load_penguins

        big.write_bytes(csv_bytes(pd.concat([load_penguins()] * 12)))  # 4128 rows: ~20 s each at 200 rows/s
    ids = []
    with slow.http() as c:
        for _ in range(2):
            r = c.post(f"/models/{model}/infer-async", json={"path": "long.csv"})
            assert r.status_code == 202, r.text
            ids.append(r.json()["job_id"])
    for j in ids:
        slow.wait_status(j, ("running",))
    return ids


def _release(slow: Server, ids: list[str]) -> None:
    with slow.http() as c:
        for j in ids:
            c.post(f"/jobs/{j}/cancel")


def _swap_while_queued(slow: Server, model: str, body: dict[str, str], folder: str, outside: Path) -> dict[str, Any]:
    """Submit an infer-async job with ``body`` while the worker is busy, swap the root's ``folder`` for a link to
    ``outside`` while the job is queued, then let it run: the job as it ends."""
    holders = _hold_the_worker(slow, model)
    try:
        with slow.http() as c:
            r = c.post(f"/models/{model}/infer-async", json=body)
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        assert slow.job(job_id)["status"] == "queued"
        shutil.rmtree(slow.root / folder)
        os.symlink(outside, slow.root / folder, target_is_directory=True)
    finally:
        _release(slow, holders)
    return slow.wait(job_id)


def test_an_output_folder_swapped_for_a_link_is_not_written_through(
    slow: Server, model: str, penguins: pd.DataFrame, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (slow.root / "new.csv").write_bytes(csv_bytes(penguins.head(40)))
    (slow.root / "odir").mkdir()
    job = _swap_while_queued(slow, model, {"path": "new.csv", "output_path": "odir/out.csv"}, "odir", outside)
    assert list(outside.iterdir()) == [], "the job wrote outside the server root"
    assert job["status"] == "failed", job
    msg = job["error_message"]
    assert "odir" in msg and "symbolic link" in msg, msg
    assert str(slow.root) not in msg and str(outside) not in msg, msg


def test_an_input_folder_swapped_for_a_link_is_not_read_through(
    slow: Server, model: str, penguins: pd.DataFrame, tmp_path: Path
) -> None:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "new.csv").write_bytes(csv_bytes(penguins.tail(7)))  # 7 rows the job must never see
    (slow.root / "idir").mkdir()
    (slow.root / "idir" / "new.csv").write_bytes(csv_bytes(penguins.head(40)))
    job = _swap_while_queued(slow, model, {"path": "idir/new.csv", "output_path": "in-out.csv"}, "idir", outside)
    assert job["status"] == "failed", f"the job read outside the server root: {job}"
    msg = job["error_message"]
    assert "idir" in msg and "symbolic link" in msg, msg
    assert str(outside) not in msg and str(slow.root) not in msg, msg
    assert not (slow.root / "in-out.csv").exists()


def test_a_job_whose_paths_stay_put_still_reads_and_writes(slow: Server, model: str, penguins: pd.DataFrame) -> None:
    (slow.root / "keep").mkdir()
    (slow.root / "keep" / "in.csv").write_bytes(csv_bytes(penguins.head(30)))
    (slow.root / "keep" / "out.csv").write_text("taken")
    with slow.http() as c:
        r = c.post(
            f"/models/{model}/infer-async",
            json={"path": "keep/in.csv", "output_path": "keep/res.csv", "output_type": "csv"},
        )
        assert r.status_code == 202, r.text
        job = slow.wait(r.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["output_path"] == "keep/res.csv"
    out = pd.read_csv(slow.root / "keep" / "res.csv")
    assert list(out.columns) == ["id", "cluster_label", "cluster_description"] and len(out) == 30
    assert (slow.root / "keep" / "out.csv").read_text() == "taken"
    assert not [p for p in (slow.root / "keep").iterdir() if p.name.startswith(".")], "a temporary file stayed"


def test_an_input_file_swapped_for_a_link_is_not_read_through(
    slow: Server, model: str, penguins: pd.DataFrame, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_bytes(csv_bytes(penguins.tail(7)))
    (slow.root / "swap.csv").write_bytes(csv_bytes(penguins.head(40)))
    holders = _hold_the_worker(slow, model)
    try:
        with slow.http() as c:
            r = c.post(f"/models/{model}/infer-async", json={"path": "swap.csv"})
        assert r.status_code == 202, r.text
        job_id = r.json()["job_id"]
        (slow.root / "swap.csv").unlink()
        os.symlink(secret, slow.root / "swap.csv")
    finally:
        _release(slow, holders)
    job = slow.wait(job_id)
    assert job["status"] == "failed", f"the job read a file outside the server root: {job}"
    assert "swap.csv" in job["error_message"] and str(secret) not in job["error_message"], job["error_message"]
