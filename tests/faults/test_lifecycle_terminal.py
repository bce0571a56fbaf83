"""Found item 2: terminal statuses changed. A job paused (SIGSTOP) past the stale threshold is failed, and stays
failed when it resumes (SIGCONT): its late model or result is discarded, its error message kept. Deleting a model or
dataset cancels its queued and running work first; a job never ends succeeded with its model gone."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from tests._helpers import eventually, until_running
from tests.faults.conftest import INFER_RATE, STALE, TRAIN_RATE, Server, module_server, orphan_files

FAST = {"training_mode": "fast"}


def test_a_training_paused_past_the_stale_threshold_stays_failed_after_it_resumes(
    tmp_path: Path, child: Any, short_stale: None
) -> None:
    home = tmp_path / "store"
    c = ji.connect(home=home)
    kid = child(
        home,
        """
        from palmerpenguins import load_penguins
        job = c.models.train(load_penguins(), "prediction", label_column="species", name="paused",
                             params={"training_mode": "fast"}, wait=False)
        print(job.id, flush=True)
        try:
            print("RESULT", job.result(timeout=120).version_id, flush=True)
        except ji.InferError as e:
            print("ERROR", type(e).__name__, e, flush=True)
        """,
        env={TRAIN_RATE: "60"},  # ~6 s of training
    )
    job_id = kid.line(timeout=120)
    eventually(lambda: c.jobs.get(job_id).status == "running", "the training to run")
    kid.signal(signal.SIGSTOP)
    failed = eventually(lambda: (j := c.jobs.get(job_id)).status == "failed" and j, "the job to fail", 8 * STALE)
    message = failed.error_message
    assert "worker stopped" in message
    kid.signal(signal.SIGCONT)
    assert kid.line(timeout=60).startswith("ERROR JobFailed")  # it noticed, and discarded its work
    kid.finish()
    job = c.jobs.get(job_id)
    assert (job.status, job.error_message) == ("failed", message)
    with pytest.raises(ji.NotFoundError):
        c.models.get("paused")  # its only version was removed with the failed job, and never registered after
    assert list((home / "models").iterdir()) == []
    assert orphan_files(home) == []


def test_a_paused_inference_keeps_its_error_message_and_leaves_no_result(
    tmp_path: Path, child: Any, short_stale: None
) -> None:
    home = tmp_path / "store"
    c = ji.connect(home=home)
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=40_000), "b": rng.choice(["x", "y"], 40_000)})
    c.models.train(df.head(500), "anomaly", name="watch")
    src = tmp_path / "in.parquet"
    df.to_parquet(src)
    kid = child(
        home,
        f"""
        job = c.models.infer_async("watch", {str(src)!r})
        print(job.id, flush=True)
        job.wait(timeout=120)
        print("END", job.status, flush=True)
        """,
        env={INFER_RATE: "5000"},  # ~8 s of scoring
    )
    job_id = kid.line(timeout=120)
    until_running(lambda: c.jobs.get(job_id).record)
    kid.signal(signal.SIGSTOP)
    failed = eventually(lambda: (j := c.jobs.get(job_id)).status == "failed" and j, "the job to fail", 8 * STALE)
    message = failed.error_message
    assert "worker stopped" in message
    kid.signal(signal.SIGCONT)
    assert kid.line(timeout=60) == "END failed"
    kid.finish()
    job = c.jobs.get(job_id)
    assert (job.status, job.error_message) == ("failed", message)
    assert list((home / "results").iterdir()) == []  # neither the late result nor its temporary
    assert orphan_files(home) == []


# ---- deleting a model or dataset with work in flight (over HTTP) ----------------------------------------------------
# one job at a time, at 100 rows/s: a training of the penguins runs ~3.4 s, the next one waits
server = module_server("terminal", rate=100, args=["--JupyterInfer.worker_threads=1"])


@pytest.fixture(scope="module")
def dataset(server: Server, penguins_csv: bytes) -> str:
    r = server.http().post("/datasets", files={"file": ("penguins.csv", penguins_csv)}, data={"dataset_name": "peng"})
    assert r.status_code == 201, r.text
    assert server.wait(r.json()["job_id"])["status"] == "succeeded"
    return str(r.json()["dataset_id"])


def train(server: Server, dataset: str, name: str) -> dict[str, Any]:
    r = server.http().post("/models/train", json={"model_type": "prediction", "dataset_id": dataset,
                                                  "label_column": "species", "model_name": name, "params": FAST})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_deleting_a_model_whose_training_is_queued_cancels_it(server: Server, dataset: str) -> None:
    blocker = train(server, dataset, "blocker")
    server.wait_reaches(blocker["job_id"], "running")
    victim = train(server, dataset, "victim")
    assert server.job(victim["job_id"])["status"] == "queued"
    http = server.http()
    assert http.delete("/models/victim").status_code == 204
    job = server.job(victim["job_id"])
    assert job["status"] == "canceled" and "deleted" in job["error_message"]
    assert server.wait(blocker["job_id"])["status"] == "succeeded"
    time.sleep(1.0)  # the worker is free: it must not pick the canceled job up
    assert server.job(victim["job_id"])["status"] == "canceled"
    assert http.get("/models/victim").status_code == 404
    assert not (server.home / "models" / f"{victim['model_version_id']}.jimodel").exists()
    assert orphan_files(server.home) == []


def test_deleting_a_model_whose_training_runs_cancels_it_and_its_late_file_is_removed(
    server: Server, dataset: str
) -> None:
    victim = train(server, dataset, "victim2")
    server.wait_reaches(victim["job_id"], "running")
    http = server.http()
    assert http.delete("/models/victim2").status_code == 204
    job = server.job(victim["job_id"])
    assert job["status"] == "canceled" and 'the model "victim2" was deleted' in job["error_message"]
    time.sleep(4.0)  # past the training's end: had it gone on, its file would be here now
    assert server.job(victim["job_id"])["status"] == "canceled"
    assert http.get("/models/victim2").status_code == 404
    assert list((server.home / "models").glob(f"*{victim['model_version_id']}*")) == []
    assert orphan_files(server.home) == []


def test_deleting_a_dataset_cancels_the_inference_running_over_it(
    server: Server, dataset: str, penguins: pd.DataFrame, tmp_path: Path
) -> None:
    http = server.http()
    big = _big_dataset(server, penguins, tmp_path)
    model = train(server, dataset, "scorer")
    assert server.wait(model["job_id"])["status"] == "succeeded"
    r = http.post("/models/scorer/infer-batch", json={"dataset_id": big, "output_type": "parquet"})
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    until_running(lambda: server.job(job_id))
    assert http.delete(f"/datasets/{big}").status_code == 204
    job = server.job(job_id)
    assert job["status"] == "canceled" and "was deleted" in job["error_message"]
    time.sleep(1.0)
    assert server.job(job_id)["status"] == "canceled"
    assert list((server.home / "results").glob(f"*{job_id}*")) == []
    assert orphan_files(server.home) == []


def _big_dataset(server: Server, penguins: pd.DataFrame, tmp_path: Path) -> str:
    """The penguins 4 times over (1376 rows): the worker scores them at 100 rows/s, ~14 s."""
    data = pd.concat([penguins] * 4, ignore_index=True).to_csv(index=False).encode()
    r = server.http().post("/datasets", files={"file": ("big.csv", data)}, data={"dataset_name": "big"})
    assert r.status_code == 201, r.text
    assert server.wait(r.json()["job_id"])["status"] == "succeeded"
    return str(r.json()["dataset_id"])


def test_a_process_that_exits_while_its_job_runs_says_the_worker_stopped(tmp_path: Path) -> None:
    """A kernel shut down (or a script ended) while its in-process job scored: the job failed as "internal error:
    RuntimeError: cannot schedule new futures after shutdown" (Python closes thread pools at exit) with a traceback
    on stderr; it ends as a stopped worker, in words, as the sweep says of one that vanished."""
    import subprocess
    import sys

    script = tmp_path / "exits.py"
    script.write_text(
        "import sys, time\n"
        "import numpy as np, pandas as pd\n"
        "import jupyter_infer as ji\n"
        "c = ji.connect(home=sys.argv[1])\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({'a': rng.normal(size=400_000), 'b': rng.normal(size=400_000)})\n"
        "m = c.models.train(df.head(500), 'clustering', name='km', params={'n_clusters': 2, 'training_mode': 'fast'})\n"
        "job = c.models.infer_async(m, df)\n"
        "while c.jobs.get(job.id).status != 'running':\n"
        "    time.sleep(0.05)\n"
        "print(job.id, flush=True)\n"
        "sys.exit(0)\n"
    )
    env = {**__import__("os").environ, INFER_RATE: "100000", "PYTHONPATH": str(Path(__file__).parents[2])}
    r = subprocess.run([sys.executable, str(script), str(tmp_path / "store")], capture_output=True, text=True,
                       timeout=300, env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    job = ji.connect(home=tmp_path / "store").jobs.get(r.stdout.split()[-1])
    assert job.status == "failed" and job.error_message.startswith("worker stopped"), job.error_message
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
