"""The store itself: schema versioning, pruning, deletes, and the did-you-mean on unknown names."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer.store import Store
from jupyter_infer.store._db import SCHEMA_VERSION


def test_a_new_store_is_at_the_current_schema_version_in_wal_mode(tmp_path: Path) -> None:
    s = Store(tmp_path)
    assert s.db.scalar("PRAGMA user_version") == SCHEMA_VERSION
    assert s.db.scalar("PRAGMA journal_mode") == "wal"
    Store(tmp_path)  # opening again migrates nothing and keeps the data


def test_a_store_from_a_newer_version_is_refused_with_a_message(tmp_path: Path) -> None:
    Store(tmp_path)
    con = sqlite3.connect(tmp_path / "store.sqlite")
    con.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    con.close()
    with pytest.raises(RuntimeError, match="newer than this jupyter-infer understands"):
        Store(tmp_path)


def test_prune_removes_old_finished_jobs_and_their_results(local_client: ji.Client, penguins: pd.DataFrame) -> None:
    m = local_client.models.train(penguins, "embedding", name="prune-me")
    res = local_client.models.infer(m, penguins)
    local_client.jobs.get(res.job_id).wait()  # a sync result is stored just after it is handed back
    store: Store = local_client.backend.store  # type: ignore[attr-defined]
    result_file = Path(store.get_job(res.job_id)["result_path"])
    assert result_file.exists()
    store.update_job(res.job_id, created_at="2000-01-01T00:00:00.000Z")
    assert local_client.jobs.prune(older_than_days=30) == 1
    assert not result_file.exists()
    with pytest.raises(ji.NotFoundError):
        local_client.jobs.get(res.job_id)
    assert local_client.models.get("prune-me").id == m.id  # models are not pruned


def test_deleting_a_model_removes_its_files_and_name(local_client: ji.Client, penguins: pd.DataFrame) -> None:
    m = local_client.models.train(penguins, "clustering", name="doomed")
    path = Path(m.record["current_version"]["path"])
    assert path.exists()
    local_client.models.delete("doomed")
    assert not path.exists()
    with pytest.raises(ji.NotFoundError, match="doomed"):
        local_client.models.get("doomed")


def test_deleting_a_dataset_keeps_models_trained_on_it(local_client: ji.Client, penguins: pd.DataFrame) -> None:
    ds = local_client.datasets.create(penguins, name="peng-ds")
    m = local_client.models.train(ds, "factors", name="from-ds")
    assert m.training_dataset_name == "peng-ds"
    local_client.datasets.delete(ds)
    assert "peng-ds" not in [d.name for d in local_client.datasets.list()]
    assert len(local_client.models.infer("from-ds", penguins)) >= 1


def test_unknown_names_get_a_did_you_mean(local_client: ji.Client, penguins: pd.DataFrame) -> None:
    local_client.datasets.create(penguins, name="penguins")
    with pytest.raises(ji.NotFoundError, match='Did you mean "penguins"'):
        local_client.datasets.get("pengiuns")
    with pytest.raises(ji.NotFoundError, match="no models yet"):
        local_client.models.get("anything")


def test_a_store_folder_that_cannot_be_used_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ji.InputError, match=re.escape(f"Cannot use {blocker} as the jupyter-infer store")):
        ji.connect(home=blocker)


def test_named_models_trained_from_files_get_their_own_dataset(tmp_path: Path, penguins) -> None:  # type: ignore[no-untyped-def]
    """Two projects' train.csv files do not become versions of one dataset "train"."""
    c = ji.connect(home=tmp_path / "store")
    for proj, cols in (("p1", ["bill_length_mm", "bill_depth_mm"]), ("p2", ["flipper_length_mm", "body_mass_g"])):
        (tmp_path / proj).mkdir()
        penguins[cols].dropna().to_csv(tmp_path / proj / "train.csv", index=False)
        m = c.models.train(tmp_path / proj / "train.csv", "clustering", name=f"m-{proj}",
                           params={"training_mode": "fast"})  # fmt: skip
        assert m.training_dataset_name == f"m-{proj}-training-data"
    unnamed = c.models.train(tmp_path / "p1" / "train.csv", "clustering", params={"training_mode": "fast"})
    assert unnamed.training_dataset_name == "train"  # no model name: the file's stem
