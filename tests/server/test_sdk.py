"""The official woodwide SDK 0.9.0, pointed at a real jupyter server: its documented flows work unchanged."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.server.conftest import Live

woodwide = pytest.importorskip("woodwide")
from woodwide.lib import (  # noqa: E402
    download_job_results,
    infer_batch_and_wait,
    ingest_dataset,
    ingest_large_dataset,
    iter_result_rows,
    train_model,
    wait_for_job,
)

POLL = 0.2


@pytest.fixture(scope="module")
def sdk(live: Live) -> Any:
    return woodwide.WoodWide(base_url=live.api, api_key=live.token, max_retries=0)


@pytest.fixture(scope="module")
def trained(sdk: Any, penguins_csv: bytes) -> dict[str, Any]:
    ds = ingest_dataset(
        sdk, file=("penguins.csv", penguins_csv, "text/csv"), dataset_name="sdk-penguins", poll_interval=POLL
    )
    assert ds.job.status == "succeeded" and ds.job.type == "dataset_ingest"
    tr = train_model(sdk, model_type="prediction", dataset_id=ds.submission.id, label_column="species",
                     training_mode="fast", poll_interval=POLL)  # fmt: skip
    assert tr.job.status == "succeeded" and tr.submission.woodwide_runtime_version
    model = sdk.models.retrieve(tr.submission.id)
    assert model.status == "ready" and model.api_model_type == "prediction"
    return {"dataset": ds.submission.id, "model": tr.submission.id, "version": tr.submission.version_id}


def test_ingest_large_dataset_uses_the_signed_upload(sdk: Any, penguins_csv: bytes) -> None:
    res = ingest_large_dataset(
        sdk, file=("big.csv", penguins_csv, "text/csv"), dataset_name="sdk-big", poll_interval=POLL
    )
    assert res.completion is not None and res.job.status == "succeeded"
    ds = sdk.datasets.retrieve(res.submission.id)
    assert ds.name == "sdk-big" and ds.current_version.row_count == 344


def test_sync_infer_json_csv_and_parquet(sdk: Any, trained: dict[str, Any], penguins_csv: bytes) -> None:
    out = sdk.models.infer(trained["model"], file=("new.csv", penguins_csv, "text/csv"), output_type="json")
    assert isinstance(out, dict) and len(out["data"]["prediction"]) == 344
    assert out["model_version_id"] == trained["version"] and "prediction_descriptions" in out
    text = sdk.models.infer(trained["model"], file=("new.csv", penguins_csv, "text/csv"), output_type="csv")
    assert isinstance(text, str) and text.splitlines()[0] == "id,prediction,prediction_prob"
    assert len(pd.read_csv(io.StringIO(text))) == 344
    raw = sdk.models.with_raw_response.infer(trained["model"], file=("new.csv", penguins_csv, "text/csv"),
                                             output_type="parquet").read()  # fmt: skip
    t = pq.read_table(io.BytesIO(raw))
    assert t.num_rows == 344 and t.schema.metadata[b"model_id"].decode() == trained["model"]


def test_infer_async_wait_and_download(sdk: Any, trained: dict[str, Any], penguins_csv: bytes, tmp_path: Path) -> None:
    sub = sdk.models.infer_async(trained["model"], file=("new.csv", penguins_csv, "text/csv"), output_type="csv")
    assert sub.status == "queued" and sub.api_model_version_id == trained["version"]
    job = wait_for_job(sdk, sub.job_id, poll_interval=POLL)
    assert job.type == "infer_batch" and job.progress == 100
    path = download_job_results(sdk, sub.job_id, tmp_path / "out.csv")
    df = pd.read_csv(path)
    assert len(df) == 344 and list(df.columns) == ["id", "prediction", "prediction_prob"]
    rows = sdk.jobs.retrieve_result_rows(sub.job_id, limit=10, offset=5, columns=["id", "prediction"],
                                         sort_by="id", sort_dir="desc")  # fmt: skip
    assert rows.total == 344 and [r["id"] for r in rows.rows] == list(range(338, 328, -1))
    assert set(rows.rows[0]) == {"id", "prediction"}
    every = list(iter_result_rows(sdk, sub.job_id, page_size=100, search="gentoo"))
    assert every and all(r["prediction"] == "Gentoo" for r in every)


def test_infer_batch_and_wait_and_jobs_list(sdk: Any, trained: dict[str, Any], tmp_path: Path) -> None:
    res = infer_batch_and_wait(sdk, trained["model"], dataset_id=trained["dataset"], poll_interval=POLL)
    assert res.job.status == "succeeded" and res.results.summary["total_row_count"] == 344
    assert res.results.inference_results_uri.startswith("http")
    assert "prediction_descriptions" in res.results.descriptions
    path = download_job_results(sdk, res.submission.job_id, tmp_path / "out.parquet")
    assert pq.read_table(path).num_rows == 344
    jobs = sdk.jobs.list(limit=5)
    assert 1 <= len(jobs.items) <= 5 and jobs.items[0].created_at >= jobs.items[-1].created_at
    only = sdk.jobs.list(type="infer_batch", status="succeeded")
    assert only.items and all(j.type == "infer_batch" and j.status == "succeeded" for j in only.items)


def test_errors_raise_the_sdk_exceptions_without_retries(
    sdk: Any, trained: dict[str, Any], penguins_csv: bytes
) -> None:
    with pytest.raises(woodwide.NotFoundError) as e:
        sdk.models.retrieve("no-such-model")
    assert "no-such-model" in e.value.body["detail"]
    job = sdk.jobs.list(limit=1).items[0]
    if job.status == "succeeded":
        with pytest.raises(woodwide.ConflictError):  # already ended
            sdk.jobs.cancel(job.id)
    with pytest.raises(woodwide.UnprocessableEntityError):
        sdk.models.infer(trained["model"], file=("new.csv", penguins_csv, "text/csv"), output_type="xml")
