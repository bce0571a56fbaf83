"""The jupyter-infer command line, run as a real subprocess on a store of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import jupyter_infer as ji


def cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_infer", "--home", str(home), *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})},
    )  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, penguins: pd.DataFrame) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    penguins.to_csv(d / "penguins.csv", index=False)
    penguins.drop(columns=["species"]).to_parquet(d / "new.parquet")
    return {"dir": d, "train": d / "penguins.csv", "new": d / "new.parquet", "home": d / "store"}


def test_train_then_infer_to_a_file(files: dict[str, Path]) -> None:
    home = files["home"]
    r = cli(home, "train", str(files["train"]), "clustering", "--name", "groups",
            "--columns", "bill_length_mm, bill_depth_mm ,flipper_length_mm", "--param", "n_clusters=3")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "trained groups (clustering, version 1" in r.stdout
    model = ji.connect(home=home).models.get("groups")
    assert model.input_columns == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]  # names stripped

    out = files["dir"] / "scores.csv"
    r = cli(home, "infer", "groups", str(files["new"]), "-o", str(out))
    assert r.returncode == 0, r.stderr
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["id", "cluster_label", "cluster_description"] and len(scores) == 344


def test_bad_input_is_one_line_and_exit_2(files: dict[str, Path]) -> None:
    r = cli(files["home"], "infer", "groups", str(files["new"]), "--format", "parquet")
    assert r.returncode == 2 and r.stderr.strip() == (
        "error: --format parquet writes a binary file; add --output FILE.parquet."
    )
    r = cli(files["home"], "infer", "grups", str(files["new"]))
    assert r.returncode == 2 and 'Did you mean "groups"' in r.stderr and "Traceback" not in r.stderr
    blocker = files["dir"] / "a-file"
    blocker.write_text("")
    r = cli(blocker, "models")
    assert r.returncode == 2 and "Cannot use" in r.stderr and "Traceback" not in r.stderr


def test_ctrl_c_on_an_async_infer_cancels_the_job(files: dict[str, Path]) -> None:
    """SIGINT while --async waits: the job is canceled (not left running to finish unseen), no output file."""
    home, out = files["home"], files["dir"] / "never.csv"
    cmd = [sys.executable, "-m", "jupyter_infer", "--home", str(home), "infer", "groups", str(files["new"]),
           "-o", str(out), "--async"]  # fmt: skip
    env = {**os.environ, "JUPYTER_INFER_TEST_ROWS_PER_SECOND": "20"}  # 344 rows: about 17 s
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    client = ji.connect(home=home)
    deadline = time.monotonic() + 120
    while not any(j.status == "running" and j.type == "infer_batch" for j in client.jobs.list(limit=5)):
        assert time.monotonic() < deadline and p.poll() is None, "the job never started"
        time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    job = next(j for j in client.jobs.list(limit=5) if j.type == "infer_batch")
    assert job.status == "canceled", (job.status, err)
    assert f"interrupted: job {job.id} is canceled" in err
    assert not out.exists()
