"""Async and batch inference as jobs: streaming files, progress, cancel, failures, listing and pruning."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji


def generated(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], size=n),
            "d": rng.integers(0, 100, size=n).astype(float),
        }
    ).assign(label=lambda d: np.where(d["a"] + (d["c"] == "x") > 0.5, "hi", "lo"))


@pytest.fixture(scope="module")
def model(client: ji.Client) -> ji.Model:
    return client.models.train(generated(3000), "prediction", label_column="label", name="jobs-model",
                               params={"training_mode": "fast"})  # fmt: skip


@pytest.fixture(scope="module")
def big_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("big") / "big.parquet"
    generated(1_500_000, seed=1).drop(columns="label").to_parquet(p, row_group_size=131_072)
    return p


def test_async_infer_streams_a_csv_file_and_reports_rows(client: ji.Client, model: ji.Model, tmp_path: Path) -> None:
    data = generated(20_000, seed=2)
    path = tmp_path / "new.csv"
    data.drop(columns="label").to_csv(path, index=False)
    job = client.models.infer_async(model, str(path), output_type="csv")
    assert job.type == "infer_batch"
    res = job.result(timeout=120)
    assert job.status == "succeeded"
    assert job.rows_done == job.rows_total == 20_000
    assert job.progress == 100
    df = res.to_pandas()
    assert len(df) == 20_000 and df["id"].tolist() == list(range(20_000))
    assert (df["prediction"] == data["label"]).mean() > 0.9
    assert res.job_id == job.id and res.model_id == model.id


def test_async_infer_of_a_dataframe(client: ji.Client, model: ji.Model) -> None:
    job = client.models.infer_async("jobs-model", generated(500, seed=3).drop(columns="label"))
    assert len(job.result(timeout=60).to_pandas()) == 500


def test_batch_infer_over_a_stored_dataset(client: ji.Client, model: ji.Model) -> None:
    ds = client.datasets.create(generated(2_000, seed=4).drop(columns="label"), name="jobs-ds")
    assert ds.row_count == 2_000
    assert ds.schema["c"] == "categorical"
    job = client.models.infer_batch(model, "jobs-ds")
    res = job.result(timeout=60)
    assert len(res.to_pandas()) == 2_000
    assert job.record.get("dataset_name") == "jobs-ds"


def test_cancel_stops_a_running_job_and_keeps_no_result(client: ji.Client, model: ji.Model, big_parquet: Path) -> None:
    job = client.models.infer_async(model, str(big_parquet))
    deadline = time.monotonic() + 60
    while job.status == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
    job.cancel()
    t0 = time.monotonic()
    job.wait(timeout=30)
    assert job.status == "canceled"
    assert job.rows_done < job.rows_total or job.rows_total is None
    with pytest.raises(ji.JobCanceled):
        job.result()
    with pytest.raises(ji.ConflictError):
        client.backend.job_result(job.id)
    assert time.monotonic() - t0 < 30


def test_a_failing_job_ends_failed_with_the_reason(client: ji.Client, model: ji.Model, tmp_path: Path) -> None:
    path = tmp_path / "unrelated.csv"
    pd.DataFrame({"x": [1, 2], "y": [3, 4]}).to_csv(path, index=False)
    job = client.models.infer_async(model, str(path))
    job.wait(timeout=60)
    assert job.status == "failed"
    assert "shares no column with the training data" in job.error_message
    assert job.finished_at is not None
    with pytest.raises(ji.JobFailed, match="shares no column"):
        job.result()


def test_training_reports_stages_and_cancel_writes_no_model(client: ji.Client) -> None:
    job = client.models.train(generated(200_000, seed=5), "prediction", label_column="label", name="never-made",
                              wait=False)  # fmt: skip
    assert isinstance(job, ji.Job) and job.type == "train"
    deadline = time.monotonic() + 60
    while job.status == "queued" and time.monotonic() < deadline:
        time.sleep(0.05)
    job.cancel().wait(timeout=60)
    assert job.status == "canceled"
    assert "never-made" not in [m.name for m in client.models.list()]


def test_jobs_list_filters_and_newest_first(client: ji.Client, model: ji.Model) -> None:
    res = client.models.infer(model, generated(10).drop(columns="label"))
    jobs = client.jobs.list(limit=5)
    assert 1 <= len(jobs) <= 5
    created = [j.created_at for j in jobs]
    assert created == sorted(created, reverse=True)
    syncs = client.jobs.list(type="infer_sync")
    assert syncs and all(j.type == "infer_sync" for j in syncs)
    assert res.job_id in [j.id for j in syncs]  # other tests' failed sync jobs may be listed too
    assert all(j.status == "succeeded" for j in client.jobs.list(status="succeeded"))
    assert client.jobs.get(syncs[0].id).id == syncs[0].id


def test_sync_results_are_kept_and_prune_removes_old_jobs(client: ji.Client, model: ji.Model) -> None:
    res = client.models.infer(model, generated(10).drop(columns="label"))
    again = client.jobs.get(res.job_id).result()
    assert again.to_pandas().equals(res.to_pandas())
    assert client.jobs.prune(older_than_days=365) == 0
    assert client.jobs.get(res.job_id).status == "succeeded"
