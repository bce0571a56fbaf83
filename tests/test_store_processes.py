"""Several processes on one store: concurrent jobs, and a process killed mid-job (SPEC §9)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer.store import _jobs as _store


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.choice(["x", "y"], size=n), "c": rng.normal(size=n)})


def child(home: Path, code: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    script = f"import jupyter_infer as ji\nc = ji.connect(home={str(home)!r})\n" + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def test_eight_jobs_from_two_processes_all_succeed(tmp_path: Path) -> None:
    home = tmp_path / "store"
    c = ji.connect(home=home)
    c.models.train(frame(500), "anomaly", name="shared")
    paths = []
    for i in range(8):
        p = tmp_path / f"part{i}.parquet"
        frame(20_000, seed=i).to_parquet(p)
        paths.append(p)
    other = child(
        home,
        f"""
        jobs = [c.models.infer_async("shared", p) for p in {[str(p) for p in paths[4:]]!r}]
        for j in jobs:
            j.wait(timeout=300)
            print(j.id, j.status, j.error_message)
    """,
    )
    mine = [c.models.infer_async("shared", str(p)) for p in paths[:4]]
    for j in mine:
        j.wait(timeout=300)
    out, err = other.communicate(timeout=300)
    assert other.returncode == 0, err
    theirs = [line.split()[:2] for line in out.splitlines()]
    assert [s for _, s in theirs] == ["succeeded"] * 4, out
    assert [j.status for j in mine] == ["succeeded"] * 4, [(j.status, j.error_message) for j in mine]
    # each process sees the other's jobs, and their results
    ids = {j.id for j in c.jobs.list(type="infer_batch", limit=20)}
    assert {jid for jid, _ in theirs} | {j.id for j in mine} <= ids
    for jid, _ in theirs:
        assert len(c.jobs.get(jid).result()) > 0


def test_a_killed_process_leaves_a_failed_job_and_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "store"
    c = ji.connect(home=home)
    c.models.train(frame(500), "clustering", name="victim", params={"n_clusters": 3})
    big = tmp_path / "big.parquet"
    frame(200_000, seed=9).to_parquet(big, row_group_size=10_000)
    proc = child(
        home,
        f"""
        import time
        j = c.models.infer_async("victim", {str(big)!r})
        while j.status != "running" or not j.rows_done:
            time.sleep(0.05)
        print(j.id, flush=True)
        time.sleep(600)
    """,
        env={"JUPYTER_INFER_TEST_ROWS_PER_SECOND": "20000"},
    )
    assert proc.stdout is not None
    job_id = proc.stdout.readline().strip()
    assert job_id.startswith("job_"), proc.stderr.read() if proc.stderr else ""
    assert c.jobs.get(job_id).status == "running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    monkeypatch.setattr(_store, "STALE_SECONDS", 6.0)  # heartbeats come every 5 s
    deadline = time.monotonic() + 60
    job = c.jobs.get(job_id)
    while job.status == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        job = c.jobs.get(job_id)
    assert job.status == "failed"
    assert "worker stopped" in job.error_message
    assert job.finished_at is not None
    leftovers = [p.name for p in (home / "results").iterdir()]
    assert leftovers == [], f"partial result files left behind: {leftovers}"
    with pytest.raises(ji.JobFailed, match="worker stopped"):
        job.result()
