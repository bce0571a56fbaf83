"""The Dask executor when things go wrong: a bad scheduler, a failing and a lost worker, bad inputs, a cancel mid-job
(its futures released, its progress kept), a job process killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import jupyter_infer as ji

distributed = pytest.importorskip("distributed")

from jupyter_infer.jobs.executors import _dask_cluster  # noqa: E402
from tests._helpers import eventually  # noqa: E402
from tests.dask.conftest import run, scheduler_keys  # noqa: E402

pytestmark = pytest.mark.timeout(600)


def test_bad_scheduler_address_fails_fast_and_names_it(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_INFER_DASK_TIMEOUT", "2")
    address = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    t0 = time.monotonic()
    job = run(client, models["prediction"], inputs["dir"], executor="dask", scheduler=address)
    assert time.monotonic() - t0 < 60
    assert job.status == "failed"
    assert address in job.error_message and "Dask scheduler" in job.error_message
    with pytest.raises(ji.JobFailed, match=r"127\.0\.0\.1:9"):
        job.result()
    with pytest.raises(ji.OptionError, match=r"127\.0\.0\.1:9"):
        _dask_cluster.connect(address)


def test_unknown_executor_is_an_option_error(client: ji.Client, models: dict[str, ji.Model]) -> None:
    with pytest.raises(ji.OptionError, match="executor"):
        client.models.infer_batch(models["prediction"], "x.parquet", executor="spark")


def test_worker_error_fails_the_job_with_it(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any
) -> None:
    job = run(
        client, models["prediction"], inputs["dir"], executor="dask", scheduler=cluster.scheduler_address,
        id_column="no_such_column",
    )  # fmt: skip
    assert job.status == "failed"
    assert 'The id column "no_such_column" is not in the inference data' in job.error_message
    assert not client.backend.get_job(job.id)["result_path"]
    results = Path(client.backend.home) / "results"
    assert not [p for p in results.iterdir() if job.id in p.name]  # the temporary directory is gone


def test_input_errors_name_the_problem(
    client: ji.Client, models: dict[str, ji.Model], cluster: Any, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    job = run(
        client, models["prediction"], str(tmp_path / "*.csv"), executor="dask", scheduler=cluster.scheduler_address
    )
    assert job.status == "failed" and "a.csv" in job.error_message and "Parquet" in job.error_message
    job = run(client, models["prediction"], str(tmp_path / "nothing*.parquet"), executor="dask")
    assert job.status == "failed" and "nothing*.parquet" in job.error_message


def test_cancel_mid_job_releases_the_futures(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, dask_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("JUPYTER_INFER_TEST_ROWS_PER_SECOND", "100")  # ~5 s of scoring on 2 workers
    job = client.models.infer_batch(
        models["prediction"], inputs["dir"], executor="dask", scheduler=cluster.scheduler_address
    )
    eventually(lambda: scheduler_keys(dask_client, job.id), "the job's tasks on the scheduler")
    eventually(lambda: (job.rows_done or 0) > 0, "rows done")  # progress follows completed partitions
    assert job.status == "running"
    assert 0 < job.rows_done < job.rows_total == 1032
    job.cancel()
    job.wait(timeout=120)
    assert job.status == "canceled"
    assert job.rows_done < 1032
    eventually(
        lambda: not scheduler_keys(dask_client, job.id), "the futures to be released"
    )  # the futures were released
    results = Path(client.backend.home) / "results"
    assert not [p for p in results.iterdir() if job.id in p.name]
    with pytest.raises(ji.JobCanceled):
        job.result()


def test_lost_worker_is_retried(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, dask_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Kill a worker process while it scores; Dask reruns its partitions and the result is still exact."""
    model = models["clustering"]
    expected = run(client, model, inputs["whole"]).result().to_pandas()
    monkeypatch.setenv("JUPYTER_INFER_TEST_ROWS_PER_SECOND", "150")
    job = client.models.infer_batch(model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address)

    def processing() -> dict[str, list[str]]:
        return {w: [k for k in ks if job.id in str(k)] for w, ks in dask_client.processing().items()}

    eventually(lambda: any(processing().values()), "a task to be processing")
    victim = next(w for w, ks in processing().items() if ks)
    pid = dask_client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    job.wait(timeout=300)
    assert job.status == "succeeded", job.error_message
    pd.testing.assert_frame_equal(job.result().to_pandas(), expected)
    assert victim not in dask_client.scheduler_info()["workers"]  # it really died mid-job
    eventually(
        lambda: len(dask_client.scheduler_info()["workers"]) == 2, "two workers", timeout=180
    )  # the nanny restarted it
    # the restarted worker runs with the settings of the clusters we start, as the first ones did (it did not)
    eventually(lambda: len(dask_client.run(os.getpid)) == 2, "two worker processes", timeout=60)
    seen = dask_client.run(lambda: {k: __import__("dask").config.get(k) for k in _dask_cluster.WORKER_CONFIG})
    assert all(cfg == _dask_cluster.WORKER_CONFIG for cfg in seen.values()), seen


def test_stale_dask_job_leaves_no_temporary_directory(tmp_path: Path) -> None:
    """A job process killed mid-job leaves its temporary result directory; the stale sweep removes it."""
    from jupyter_infer.store import Store
    from jupyter_infer.store._db import ago

    store = Store(tmp_path / "store")
    job = store.create_job("infer_batch", status="running")
    final = store.path("results", f"{job['id']}.parquet")
    tmp = store.tmp_path(final)
    tmp.mkdir()
    (tmp / "part-00000.parquet").write_bytes(b"PAR1")
    store.update_job(job["id"], heartbeat_at=ago(3600))
    assert store.get_job(job["id"])["status"] == "failed"  # the sweep ran, and did not trip on the directory
    assert not tmp.exists()


def test_progress_moves_inside_a_partition_and_a_cancel_keeps_it(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """One partition of 1,032 rows scored at 200 rows/s: its worker reports rows batch by batch (Dask events), so
    the job's progress rises while the partition runs, and a cancel keeps the rows it reached."""
    monkeypatch.setenv("JUPYTER_INFER_DASK_PARTITION_ROWS", "100000")
    monkeypatch.setenv("JUPYTER_INFER_TEST_ROWS_PER_SECOND", "200")
    job = client.models.infer_batch(
        models["prediction"], inputs["whole"], executor="dask", scheduler=cluster.scheduler_address
    )
    seen: list[dict[str, Any]] = []
    while len({r["rows_done"] for r in seen if 0 < r["rows_done"] < 1032}) < 3:  # three figures inside it
        seen.append(dict(job.refresh().record))
        assert seen[-1]["status"] in ("queued", "running"), seen[-1]
        time.sleep(0.02)
    job.cancel().wait(timeout=120)
    rec = dict(job.refresh().record)
    assert rec["status"] == "canceled"
    during = [float(r["progress"] or 0) for r in seen if r["status"] == "running"]
    assert during == sorted(during) and 0 < max(during) < 50
    assert seen[-1]["rows_done"] <= rec["rows_done"] < 1032 and rec["rows_total"] == 1032
    assert 0 < rec["progress"] == pytest.approx(100 * rec["rows_done"] / 1032, abs=0.01)


def test_a_script_without_a_main_guard_is_told_to_add_one(tmp_path: Path, penguins: pd.DataFrame) -> None:
    """docs/dask.md's example run as a script (not in a notebook) without `if __name__ == "__main__":`: the
    LocalCluster's workers import the script again and cannot start. The job failed as an internal error, "Nanny
    failed to start"; it now says what to change."""
    (tmp_path / "data" / "big").mkdir(parents=True)
    penguins.drop(columns="species").to_parquet(tmp_path / "data" / "big" / "part-0.parquet")
    (tmp_path / "score.py").write_text(
        "from jupyter_infer import connect\n"
        "from palmerpenguins import load_penguins\n"
        "client = connect()\n"
        'client.models.train(load_penguins(), "prediction", label_column="species", name="species",\n'
        '                    params={"training_mode": "fast"})\n'
        'client.models.infer_batch("species", "data/big/", executor="dask", scheduler="local-cluster").result()\n'
    )
    env = {**os.environ, "JUPYTER_INFER_HOME": str(tmp_path / "store"), "PYTHONPATH": str(Path(__file__).parents[2])}
    env.pop("JUPYTER_INFER_DASK_SCHEDULER", None)
    r = subprocess.run([sys.executable, "score.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    last = r.stderr.strip().splitlines()[-1]
    assert r.returncode == 1 and "internal error" not in last, last
    assert 'the code of score.py must run under `if __name__ == "__main__":`' in last, last
