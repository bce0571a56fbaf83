"""The lifecycle of the store (SPEC §2): the transitions table, and the compare-and-set that applies it. The fault
suite (tests/faults) shows the same rules holding against real processes and signals."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_infer.store import TERMINAL, JobStatus, Store, VersionStatus
from jupyter_infer.store import _lifecycle as L
from jupyter_infer.store._db import ago


def test_terminal_statuses_have_no_way_out_and_every_status_is_reachable() -> None:
    for status in TERMINAL:
        assert status not in L.JOB_TRANSITIONS
    reachable = {JobStatus.WAITING_FOR_UPLOAD, JobStatus.QUEUED} | {t for ts in L.JOB_TRANSITIONS.values() for t in ts}
    assert reachable == set(JobStatus)
    assert L.sources(JobStatus.SUCCEEDED) == (JobStatus.RUNNING,)
    assert L.sources(VersionStatus.READY, "model_versions") == (VersionStatus.PROCESSING,)


def test_a_status_changes_only_through_the_lifecycle(tmp_path: Path) -> None:
    store = Store(tmp_path)
    job = store.create_job("infer_batch")
    with pytest.raises(AssertionError, match="status changes go through"):
        store.update_job(job["id"], status="succeeded")


def test_an_ended_job_never_changes_again(tmp_path: Path) -> None:
    store = Store(tmp_path)
    job_id = store.create_job("infer_batch")["id"]
    assert store.start_job(job_id, "me")
    assert not store.start_job(job_id, "someone else")
    assert store.finish_job(job_id, JobStatus.FAILED, "first")
    for status in TERMINAL:  # the loser of the race sees False, and nothing moves
        assert not store.finish_job(job_id, status, "second")
    job = store.get_job(job_id)
    assert (job["status"], job["error_message"]) == ("failed", "first")
    assert not store.report_progress(job_id, progress=50.0)
    assert store.get_job(job_id)["progress"] == 0


def test_a_training_failed_by_the_sweep_cannot_register_its_version(tmp_path: Path) -> None:
    store = Store(tmp_path)
    mdl_id, mdlv_id, _ = store.create_model_version("m", "anomaly", None)
    job_id = store.create_job("train", model_id=mdl_id, model_version_id=mdlv_id)["id"]
    assert store.start_job(job_id, "paused process")
    store.update_job(job_id, heartbeat_at=ago(3600))
    assert store.sweep_stale() == 1
    assert store.get_job(job_id)["status"] == "failed"
    assert store.list_models() == []  # its only version went with the job, and the model with it
    late = store.model_ready(mdlv_id, path="late.jimodel")
    assert not store.finish_job(job_id, JobStatus.SUCCEEDED, commit=[late])
    assert store.get_job(job_id)["status"] == "failed" and store.list_models() == []


def test_a_version_removed_under_a_running_job_fails_it(tmp_path: Path) -> None:
    store = Store(tmp_path)
    ds_id, dsv_id, _ = store.create_dataset_version("d")
    job_id = store.create_job("dataset_ingest", dataset_id=ds_id, dataset_version_id=dsv_id)["id"]
    assert store.start_job(job_id, "me")
    with store.db.tx() as c:  # someone else failed the version (not through its job)
        L.fail_version(c, "dataset_versions", dsv_id, "gone")
    data = tmp_path / "x.parquet"
    data.write_bytes(b"x")
    assert not store.finish_job(job_id, JobStatus.SUCCEEDED, commit=[store.dataset_ready(dsv_id, data, 1, {})])
    job = store.get_job(job_id)
    assert job["status"] == "failed" and "removed before it was ready" in job["error_message"]


def test_deleting_a_model_cancels_its_open_jobs_first(tmp_path: Path) -> None:
    store = Store(tmp_path)
    mdl_id, mdlv_id, _ = store.create_model_version("m", "anomaly", None)
    queued = store.create_job("train", model_id=mdl_id, model_version_id=mdlv_id)["id"]
    infer = store.create_job("infer_batch", model_id=mdl_id)["id"]
    assert store.start_job(infer, "me")
    assert sorted(store.delete_model("m")) == sorted([queued, infer])
    for jid in (queued, infer):
        job = store.get_job(jid)
        assert (
            job["status"] == "canceled" and job["cancel_requested"] and 'model "m" was deleted' in job["error_message"]
        )
    assert store.should_stop(infer)
