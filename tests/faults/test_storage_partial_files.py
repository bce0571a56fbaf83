"""Found item 3: partial files stayed forever. A killed worker's or a stopped server's temporaries are removed; the
upload flow refuses a PUT after /complete, fails a version whose upload was canceled or whose URL expired, and leaves
no orphan bytes; startup removes what no live job owns."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from tests._helpers import eventually, until_running
from tests.faults.conftest import INFER_RATE, Server, launch, module_server, open_jobs, orphan_files

ROWS = 200_000  # at the test rate of 20,000 rows/s: ~10 s of scoring


def temporaries(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "results").glob(".job_*.tmp-*"))


@pytest.fixture(scope="module")
def scoring(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose async inference runs long enough to kill something in the middle of it."""
    s = launch(tmp_path_factory.mktemp("partial"), env={INFER_RATE: "20000"})
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=ROWS), "b": rng.choice(["x", "y", "z"], ROWS)})
    df.to_parquet(s.root / "big.parquet", row_group_size=20_000)
    ji.connect(s.api, token=s.token).models.train(df.head(500), "anomaly", name="watch")
    yield s
    s.close()


def submit(server: Server) -> str:
    r = server.http().post("/models/watch/infer-async", json={"path": "big.parquet", "output_type": "parquet"})
    assert r.status_code == 202, r.text
    job_id = str(r.json()["job_id"])
    until_running(lambda: server.job(job_id))
    assert temporaries(server.home)  # the result is being written under a temporary name
    return job_id


def test_killing_the_worker_mid_inference_fails_the_job_and_removes_its_temporary(scoring: Server) -> None:
    job_id = submit(scoring)
    os.kill(scoring.worker_pid(), signal.SIGKILL)
    job = scoring.wait(job_id, timeout=30)
    assert job["status"] == "failed" and "worker stopped" in job["error_message"]
    assert eventually(lambda: temporaries(scoring.home) == [], "the temporary to go", timeout=5) is True
    assert orphan_files(scoring.home) == []


def test_stopping_the_server_mid_inference_fails_the_job_and_removes_its_temporary(scoring: Server) -> None:
    """(Last of the tests on this server: it stops it.)"""
    job_id = submit(scoring)
    scoring.proc.send_signal(signal.SIGTERM)
    scoring.proc.wait(timeout=60)
    store = ji.connect(home=scoring.home).backend.store  # type: ignore[attr-defined]
    job = store.db.one("SELECT status, error_message FROM jobs WHERE id=?", (job_id,))  # read without the sweep
    assert job["status"] == "failed" and "worker stopped" in job["error_message"]
    assert temporaries(scoring.home) == []
    assert orphan_files(scoring.home) == []


# ---- the upload flow ------------------------------------------------------------------------------------------------
uploads = module_server("uploads", args=["--JupyterInfer.signed_url_seconds=4"])  # upload URLs live 4 s


def prepare(server: Server, size: int, name: str) -> dict[str, Any]:
    r = server.http().post("/datasets/upload", json={"file": {"filename": f"{name}.csv", "bytes": size,
                                                               "content_type": "text/csv"}, "dataset_name": name})  # fmt: skip
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def version_status(server: Server, prep: dict[str, Any]) -> str:
    items = server.http().get(f"/datasets/{prep['dataset_id']}/versions").json()["items"]
    return str(next(v["status"] for v in items if v["id"] == prep["version_id"]))


def test_a_put_that_races_complete_is_refused_and_leaves_no_bytes(uploads: Server, penguins_csv: bytes) -> None:
    prep = prepare(uploads, len(penguins_csv), "raced")
    url = prep["upload"]["upload_url"]
    assert httpx.put(url, content=penguins_csv).status_code == 200  # the first PUT arrives whole
    started, go = threading.Event(), threading.Event()
    answer: dict[str, Any] = {}

    def slow_body() -> Iterator[bytes]:
        yield penguins_csv[: len(penguins_csv) // 2]
        started.set()
        go.wait(30)
        yield penguins_csv[len(penguins_csv) // 2 :]

    def second_put() -> None:
        r = httpx.put(url, content=slow_body(), headers={"Content-Length": str(len(penguins_csv))}, timeout=60)
        answer["status"], answer["body"] = r.status_code, r.json()

    t = threading.Thread(target=second_put)
    t.start()
    assert started.wait(30)
    time.sleep(0.5)  # the server has the second PUT's first half
    done = uploads.http().post(f"/datasets/{prep['version_id']}/complete")
    assert done.status_code == 200, done.text
    go.set()
    t.join(60)
    assert answer["status"] == 409 and "was not used" in answer["body"]["detail"], answer
    job = uploads.wait(prep["job_id"])
    assert job["status"] == "succeeded"
    assert uploads.http().get(f"/datasets/{prep['dataset_id']}").json()["current_version"]["row_count"] == 344
    assert orphan_files(uploads.home) == []


def test_canceling_an_upload_that_waits_fails_its_version_and_removes_its_bytes(
    uploads: Server, penguins_csv: bytes
) -> None:
    prep = prepare(uploads, len(penguins_csv), "dropped")
    assert httpx.put(prep["upload"]["upload_url"], content=penguins_csv).status_code == 200
    r = uploads.http().post(f"/jobs/{prep['job_id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    assert version_status(uploads, prep) == "failed"
    assert orphan_files(uploads.home) == []
    assert uploads.http().post(f"/datasets/{prep['version_id']}/complete").status_code == 409


def test_an_upload_whose_url_expired_is_failed_and_its_bytes_removed(uploads: Server, penguins_csv: bytes) -> None:
    never = prepare(uploads, len(penguins_csv), "never-sent")
    unfinished = prepare(uploads, len(penguins_csv), "never-completed")
    assert httpx.put(unfinished["upload"]["upload_url"], content=penguins_csv).status_code == 200
    time.sleep(4.5)  # both URLs expire
    for prep in (never, unfinished):
        job = uploads.job(prep["job_id"])  # reading the job runs the sweep
        assert job["status"] == "failed" and "expired" in job["error_message"]
        assert version_status(uploads, prep) == "failed"
    assert uploads.http().post(f"/datasets/{unfinished['version_id']}/complete").status_code == 409
    assert orphan_files(uploads.home) == []
    assert open_jobs(uploads.home) == []


def test_startup_removes_what_no_live_job_owns(tmp_path: Path, penguins: pd.DataFrame) -> None:
    home = tmp_path / "store"
    c = ji.connect(home=home)
    kept = c.models.infer_async(c.models.train(penguins, "clustering", name="k"), penguins).wait(timeout=120)
    assert kept.status == "succeeded"
    planted = [
        home / "results" / ".job_GHOST00001.parquet.tmp-999-ABCDEFGHIJ",  # a killed writer's temporary
        home / "results" / "job_GHOST00002.parquet",  # a result nobody registered
        home / "models" / ".mdlv_GHOST00003.jimodel.tmp-999",
        home / "datasets" / "dsv_GHOST00004.parquet",
        home / "uploads" / "up_GHOST00005" / "data.csv",  # an abandoned upload
    ]
    for p in planted:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"partial")
    old = time.time() - 3600
    os.utime(home / "uploads" / "up_GHOST00005" / "data.csv", (old, old))
    os.utime(home / "uploads" / "up_GHOST00005", (old, old))
    server = launch(tmp_path, home=home)
    server.close()
    assert [p for p in planted if p.exists()] == []
    assert orphan_files(home) == []
    assert ji.connect(home=home).jobs.get(kept.id).result().to_pandas().shape[0] == len(penguins)
