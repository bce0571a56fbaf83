"""Found item 6, the storage part: a full disk is a JSON 507 over HTTP (during a multipart upload too, not a reset
connection) and a StoreError naming the folder in Python; a read-only store says so; a corrupted or missing store
file is a 4xx naming the job or dataset, never a server path. The store stays consistent throughout."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from tests._helpers import eventually
from tests.faults.conftest import Server, SmallDisk, module_server, open_jobs, orphan_files


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y"], n)})


def assert_507(r: Any, home: Path) -> None:
    assert r.status_code == 507, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith("application/json")
    detail = r.json()["detail"]
    # over HTTP the store is named, not its server path (SPEC §8: details never expose server paths)
    assert "The jupyter-infer store is full" in detail and str(home) not in detail, detail


def test_a_full_disk_is_a_507_over_http_and_the_store_stays_consistent(serve: Any, small_disk: Any) -> None:
    disk: SmallDisk = small_disk(48)
    home = disk.path / "store"
    server: Server = serve(home=home)
    client = ji.connect(server.api, token=server.token)
    client.models.train(frame(300), "anomaly", name="watch")
    frame(2000, seed=1).to_parquet(server.root / "in.parquet")  # the root is not on the small disk
    upload = frame(60_000, seed=2).to_csv(index=False).encode()  # ~3 MB
    http = server.http()
    disk.fill()

    # a multipart upload that cannot be written: a JSON answer, not a reset connection
    assert_507(http.post("/datasets", files={"file": ("big.csv", upload)}), home)
    assert_507(http.post("/models/watch/infer", files={"file": ("in.csv", upload)}), home)
    # submitting work: refused with 507, or accepted and then failed in words (the database may still have room)
    r = http.post("/models/watch/infer-async", json={"path": "in.parquet"})
    if r.status_code == 202:
        job = server.wait(r.json()["job_id"])
        assert job["status"] == "failed" and "is full" in job["error_message"], job
    else:
        assert_507(r, home)
    assert open_jobs(home) == []
    assert orphan_files(home) == []

    disk.free()  # and once there is room again, the same requests work
    r = http.post("/datasets", files={"file": ("big.csv", upload)})
    assert r.status_code == 201, r.text
    assert server.wait(r.json()["job_id"])["status"] == "succeeded"
    r = http.post("/models/watch/infer-async", json={"path": "in.parquet"})
    assert server.wait(r.json()["job_id"])["status"] == "succeeded"
    assert open_jobs(home) == [] and orphan_files(home) == []


def test_a_full_disk_is_a_store_error_naming_the_folder_in_python(small_disk: Any) -> None:
    disk: SmallDisk = small_disk(32)
    home = disk.path / "store"
    c = ji.connect(home=home)
    model = c.models.train(frame(300), "anomaly", name="watch")
    disk.fill()
    for attempt in (
        lambda: c.datasets.create(frame(50_000, seed=3), name="more"),
        lambda: c.models.infer(model, frame(50_000, seed=4)),
        lambda: c.models.infer_async(model, frame(50_000, seed=5)).result(timeout=60),
    ):
        with pytest.raises(ji.StoreError, match=f"store at {home} is full"):
            attempt()
    assert open_jobs(home) == []
    assert orphan_files(home) == []
    disk.free()
    assert c.models.infer(model, frame(100, seed=6), anomaly_format="per_row").to_pandas().shape[0] == 100
    assert c.datasets.create(frame(1000, seed=7), name="more").row_count == 1000


def make_read_only(home: Path, disk: SmallDisk | None) -> None:
    if disk is not None:
        disk.read_only()
    else:  # not root: permissions do it
        for p in [home, *home.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)


def test_a_read_only_store_says_so(serve: Any, small_disk: Any, child: Any, tmp_path: Path) -> None:
    disk = small_disk(32) if os.geteuid() == 0 else None  # root writes through file permissions
    home = (disk.path if disk else tmp_path) / "store"
    maker = child(
        home,
        """
        import pandas as pd
        c.models.train(pd.DataFrame({"a": range(300), "b": [1.0, 2.0, 3.0] * 100}), "anomaly", name="watch")
    """,
    )  # another process made the store (this one holds nothing open)
    _, err = maker.finish()
    assert maker.proc.returncode == 0, err
    make_read_only(home, disk)
    with pytest.raises(ji.StoreError, match=f"store at {home} is read-only"):
        ji.connect(home=home).models.list()
    server: Server = serve(home=home)
    r = server.http().get("/models")
    assert r.status_code == 507 and "read-only" in r.json()["detail"], r.text
    assert "Traceback" not in r.text


# ---- damaged or missing files -----------------------------------------------------------------------------------------
server = module_server("damaged")


def test_a_corrupted_result_file_is_a_409_naming_the_job(server: Server) -> None:
    c = ji.connect(server.api, token=server.token)
    c.models.train(frame(300), "anomaly", name="watch")
    job = c.models.infer_async("watch", frame(500, seed=8), anomaly_format="per_row")
    assert job.wait(timeout=120).status == "succeeded"
    (server.home / "results" / f"{job.id}.parquet").write_bytes(b"PAR1 this is not a parquet file PAR1")
    http = server.http()
    for path in (f"/jobs/{job.id}/results", f"/jobs/{job.id}/results/rows",
                 *(f"/jobs/{job.id}/results/file?output_type={f}" for f in ("json", "csv", "parquet"))):  # fmt: skip
        r = http.get(path)
        assert r.status_code == 409, (path, r.status_code, r.text[:300])
        detail = r.json()["detail"]
        assert f"result of job {job.id} is damaged" in detail and str(server.home) not in detail, detail
    with pytest.raises(ji.ConflictError, match=f"result of job {job.id} is damaged"):
        c.jobs.get(job.id).result().to_pandas()
    local = ji.connect(home=server.home)
    with pytest.raises(ji.ConflictError, match=f"result of job {job.id} is damaged"):
        local.jobs.get(job.id).result().to_pandas()


def test_a_missing_dataset_file_is_a_404_naming_the_dataset(server: Server) -> None:
    c = ji.connect(server.api, token=server.token)
    ds = c.datasets.create(frame(400), name="gone")
    c.models.train(frame(300), "anomaly", name="watch2")
    (server.home / "datasets" / f"{ds.version_id}.parquet").unlink()
    http = server.http()
    for r in (http.post("/models/train", json={"model_type": "clustering", "dataset_id": "gone"}),
              http.get("/datasets/gone/preview")):  # fmt: skip
        assert r.status_code == 404, r.text
        detail = r.json()["detail"]
        assert 'dataset "gone" version 1 is missing' in detail and str(server.home) not in detail, detail
    r = http.post("/models/watch2/infer-batch", json={"dataset_id": "gone"})
    assert r.status_code == 202, r.text
    job = server.wait(r.json()["job_id"])
    assert job["status"] == "failed" and 'dataset "gone" version 1 is missing' in job["error_message"], job
    assert str(server.home) not in job["error_message"]
    eventually(lambda: not open_jobs(server.home), "every job to end")


def test_the_small_disk_helper_really_fills(small_disk: Any) -> None:
    """The fault is real: a write on the filled disk fails with ENOSPC."""
    disk: SmallDisk = small_disk(8)
    disk.fill()
    with pytest.raises(OSError) as e, open(disk.path / "one-more", "wb") as f:
        f.write(b"x" * 8192)
        f.flush()
    assert e.value.errno == errno.ENOSPC
