"""The embedded engine takes in-memory tables straight to its jobs: an ingest writes the dataset once, training
reads nothing back, background inference scores the frame as it was when submitted. Dispatched jobs (another
process runs them) still get their data from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji
from jupyter_infer.client import _local
from jupyter_infer.client._local import LocalBackend
from jupyter_infer.jobs import work


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"a": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], size=n)})
    return df.assign(label=np.where(df["a"] + (df["c"] == "x") > 0.5, "hi", "lo"))


def no_file_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an in-memory table was read back from a file")

    monkeypatch.setattr(work, "read_file", refuse)
    monkeypatch.setattr(pd, "read_parquet", refuse)


def test_training_on_a_dataframe_stores_it_once_and_reads_nothing_back(
    local_client: ji.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    df = frame(400)
    df.index = df.index * 2  # the stored dataset has no index, whatever the frame had
    no_file_reads(monkeypatch)
    model = local_client.models.train(df, "prediction", label_column="label", params={"training_mode": "fast"})
    home = Path(local_client.backend.home)  # type: ignore[attr-defined]
    assert not any((home / "uploads").glob("*")), "a table was staged to uploads/"
    dsv = local_client.backend.store.dataset_version(model.record["current_version"]["dataset_version_id"])  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(pq.read_table(dsv["path"]).to_pandas(), df.reset_index(drop=True))
    assert dsv["row_count"] == 400


def test_a_dataframe_scored_in_the_background_is_the_frame_as_submitted(
    local_client: ji.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = local_client.models.train(frame(600), "prediction", label_column="label", params={"training_mode": "fast"})
    data = frame(300, seed=1).drop(columns="label")
    expected = local_client.models.infer(model, data).to_pandas()
    monkeypatch.setattr(_local, "stage", lambda *a: pytest.fail("a table was staged to a file"))
    monkeypatch.setenv("JUPYTER_INFER_TEST_ROWS_PER_SECOND", "1000")  # about 0.3 s of scoring
    job = local_client.models.infer_async(model, data)
    data.loc[:, "a"] = -data["a"]  # the next cell changes the frame while the job runs
    assert job.rows_total == 300
    pd.testing.assert_frame_equal(job.result(timeout=60).to_pandas(), expected)  # handed over from memory
    pd.testing.assert_frame_equal(job.result().to_pandas(), expected)  # read from the stored file


def test_jobs_another_process_runs_get_their_tables_from_files(local_client: ji.Client) -> None:
    model = local_client.models.train(frame(300), "prediction", label_column="label", params={"training_mode": "fast"})
    queued: list[dict[str, Any]] = []
    home = Path(local_client.backend.home)  # type: ignore[attr-defined]
    server_like = ji.Client(LocalBackend(home, owner_kind="server-queue", dispatch=queued.append))
    server_like.models.infer_async(model, frame(50).drop(columns="label"))
    server_like.models.train(frame(300), "prediction", label_column="label", wait=False)
    infer, train = queued
    assert Path(infer["request"]["source"]["path"]).is_relative_to(home / "uploads")
    assert Path(infer["request"]["source"]["path"]).exists()
    dsv = server_like.backend.store.dataset_version(train["request"]["dataset_version_id"])  # type: ignore[attr-defined]
    assert pq.read_table(dsv["path"]).num_rows == 300


def test_an_in_memory_job_run_by_anyone_else_fails_with_a_clear_message(
    local_client: ji.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = local_client.models.train(frame(300), "prediction", label_column="label", params={"training_mode": "fast"})
    monkeypatch.setenv("JUPYTER_INFER_TEST_ROWS_PER_SECOND", "200")
    job = local_client.models.infer_async(model, frame(50).drop(columns="label"))
    store = local_client.backend.store  # type: ignore[attr-defined]
    with pytest.raises(ji.InputError, match="in memory by the process that submitted it"):
        work.work_for(store, store.get_job(job.id))(None)  # type: ignore[arg-type]
    job.cancel()


def test_a_sync_result_is_stored_as_scored_even_when_the_caller_changes_it_at_once(local_client: ji.Client) -> None:
    model = local_client.models.train(frame(300), "prediction", label_column="label", params={"training_mode": "fast"})
    res = local_client.models.infer(model, frame(2000, seed=2).drop(columns="label"))
    scored = res.to_pandas().copy()
    res.to_pandas()["prediction"] = "changed by the caller"  # while the result is being stored
    job = local_client.jobs.get(res.job_id).wait(timeout=60)
    assert job.status == "succeeded" and job.type == "infer_sync"
    pd.testing.assert_frame_equal(job.result().to_pandas(), scored)


def test_a_sync_result_is_stored_when_the_process_exits_right_after(local_client: ji.Client, tmp_path: Path) -> None:
    import subprocess
    import sys

    local_client.models.train(frame(300), "prediction", label_column="label", name="exits", params={"training_mode": "fast"})  # fmt: skip
    data = tmp_path / "rows.parquet"
    frame(50_000, seed=3).drop(columns="label").to_parquet(data)
    home = local_client.backend.home  # type: ignore[attr-defined]
    code = (
        "import sys, pandas as pd, jupyter_infer as ji\n"
        f"r = ji.connect(home={str(home)!r}).models.infer('exits', pd.read_parquet({str(data)!r}))\n"
        "print(r.job_id)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    job = local_client.jobs.get(out.stdout.strip())
    assert job.status == "succeeded", job.error_message
    assert len(job.result().to_pandas()) == 50_000
