"""Found item 8: every sync inference kept a result file and nothing pruned them (710 files after a 30 s load
test). Sync results are kept within a retention policy (newest N, none older than the age limit) that the server
and the embedded store apply on their own; async results stay until deleted or pruned, and prune still works."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from tests.faults.conftest import Server, orphan_files

KEEP = 4
KEEP_ENV, HOURS_ENV = "JUPYTER_INFER_SYNC_RESULTS_KEEP", "JUPYTER_INFER_SYNC_RESULTS_HOURS"


def frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})


def results(home: Path) -> list[str]:
    return sorted(p.name for p in (home / "results").iterdir())


def test_the_server_keeps_only_the_newest_sync_results(serve: Any) -> None:
    server: Server = serve(args=[f"--JupyterInfer.sync_results_keep={KEEP}"])
    c = ji.connect(server.api, token=server.token)
    c.models.train(frame(300), "anomaly", name="watch")
    kept = c.models.infer_async("watch", frame(200, seed=1))  # an async result: not the policy's business
    assert kept.wait(timeout=120).status == "succeeded"
    sync = [c.models.infer("watch", frame(50, seed=i), anomaly_format="per_row").job_id for i in range(3 * KEEP)]
    assert set(results(server.home)) == {f"{j}.parquet" for j in [kept.id, *sync[-KEEP:]]}
    for jid in sync[:-KEEP]:
        with pytest.raises(ji.NotFoundError):
            c.jobs.get(jid)
    assert len(c.jobs.get(sync[-1]).result().to_pandas()) == 50  # the newest are still there
    http = server.http()
    r = http.post("/jobs/prune", json={"older_than_days": 0})  # and pruning by age still works
    assert r.status_code == 200 and r.json()["deleted"] == KEEP + 3  # the sync ones, the async one, train + ingest
    assert results(server.home) == [] and orphan_files(server.home) == []


def test_the_embedded_store_applies_the_policy_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEEP_ENV, str(KEEP))
    monkeypatch.setenv(HOURS_ENV, "24")
    home = tmp_path / "store"
    c = ji.connect(home=home)
    assert (c.backend.store.retention.keep, c.backend.store.retention.max_age_hours) == (KEEP, 24.0)  # type: ignore[attr-defined]
    m = c.models.train(frame(300), "anomaly", name="watch")
    jobs = [c.models.infer(m, frame(30, seed=i)).job_id for i in range(2 * KEEP)]
    c.jobs.list(limit=1)  # sync results are stored off the caller's path; a read through the client waits for them
    assert results(home) == sorted(f"{j}.parquet" for j in jobs[-KEEP:])
    con = sqlite3.connect(home / "store.sqlite")  # the newest one is now older than the age limit
    con.execute("UPDATE jobs SET created_at='2000-01-01T00:00:00.000Z' WHERE id=?", (jobs[-1],))
    con.commit()
    con.close()
    newest = c.models.infer(m, frame(30, seed=99)).job_id
    c.jobs.list(limit=1)
    assert results(home) == sorted(f"{j}.parquet" for j in [*jobs[-KEEP:-1], newest])
    assert orphan_files(home) == []


def test_a_bad_retention_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEEP_ENV, "-3")
    with pytest.raises(ji.OptionError, match=KEEP_ENV):
        ji.connect(home=tmp_path / "store")
