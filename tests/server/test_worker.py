"""Jobs over HTTP run in the supervised worker process: cancel ends a running job canceled, and killing the worker
mid-job leaves the job failed and the server answering (and a new worker taking jobs)."""

from __future__ import annotations

import os
import signal
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from tests._helpers import eventually, until_running
from tests.server.conftest import Live

ROWS = 1_500_000  # many batches, several seconds of scoring


@pytest.fixture(scope="module")
def big_job_setup(live: Live) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=ROWS), "b": rng.normal(size=ROWS), "c": rng.choice(list("xyz"), ROWS)})
    df["label"] = np.where(df["a"] + rng.normal(size=ROWS) > 0, "p", "q")
    df.drop(columns="label").to_parquet(live.root / "big.parquet", row_group_size=100_000)
    client = ji.connect(live.api, token=live.token)
    client.models.train(
        df.head(3000), "prediction", label_column="label", name="slow", params={"training_mode": "fast"}
    )
    return {"path": "big.parquet"}


def submit(live: Live, setup: dict[str, Any]) -> str:
    with live.http() as c:
        r = c.post("/models/slow/infer-async", json={"path": setup["path"], "output_type": "parquet",
                                                      "output_path": f"out-{time.monotonic_ns()}.parquet"})  # fmt: skip
        assert r.status_code == 202, r.text
        return str(r.json()["job_id"])


def test_a_job_cancelled_over_http_ends_canceled(live: Live, big_job_setup: dict[str, Any]) -> None:
    job_id = submit(live, big_job_setup)
    running = until_running(lambda: live.job(job_id))
    assert running["rows_total"] == ROWS and running["progress"] < 100
    from woodwide import WoodWide  # the official SDK's jobs.cancel, as a user would call it

    sdk = WoodWide(base_url=live.api, api_key=live.token, max_retries=0)
    answer = sdk.jobs.cancel(job_id)
    assert answer.id == job_id and answer.status in ("running", "canceled")
    job = live.wait(job_id)
    assert job["status"] == "canceled" and job["rows_done"] < ROWS and job["output_path"] is None
    assert not list(live.root.glob("out-*.parquet"))  # nothing written for a canceled job
    with live.http() as c:
        r = c.post(f"/jobs/{job_id}/cancel")  # it already ended
        assert r.status_code == 409 and "canceled" in r.json()["detail"]


def test_killing_the_worker_mid_job_fails_the_job_and_the_server_answers(
    live: Live, big_job_setup: dict[str, Any]
) -> None:
    with live.http() as c:
        before = c.get("/status").json()["worker"]
    assert before["mode"] == "process" and before["alive"]
    job_id = submit(live, big_job_setup)
    until_running(lambda: live.job(job_id))
    os.kill(before["pid"], signal.SIGKILL)
    job = live.wait(job_id, timeout=90)
    assert job["status"] == "failed" and "worker stopped" in job["error_message"]
    with live.http() as c:
        after = eventually(  # the supervisor starts a new worker
            lambda: (w := c.get("/status").json()["worker"])["alive"] and w["pid"] != before["pid"] and w,
            "a new worker", timeout=60, every=0.2,
        )  # fmt: skip
        assert after["restarts"] >= 1
        assert c.get("/models/slow").json()["status"] == "ready"
    # and the new worker takes jobs
    client = ji.connect(live.api, token=live.token)
    job2 = client.models.infer_async("slow", pd.DataFrame({"a": [0.1, -2.0], "b": [1.0, 0.0], "c": ["x", "y"]}))
    assert job2.wait(timeout=120).status == "succeeded"
    assert len(job2.result().to_pandas()) == 2
