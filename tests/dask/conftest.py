"""The Dask executor's tests (issue 6) share one real LocalCluster (processes, 2 workers x 1 thread), one store with
a model of every type, and one multi-file input, made once for the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji
from tests.conftest import train_every_type

# (model type, inference options): every type, and the options that change the output's shape
CASES = [
    ("prediction", {}),
    ("prediction", {"prob_columns": True}),
    ("clustering", {}),
    ("anomaly", {}),
    ("anomaly", {"anomaly_format": "per_row"}),
    ("embedding", {}),
    ("search", {}),
    ("search", {"k": 3, "exclude_self_matches": True}),
    ("factors", {}),
    ("factors", {"factor_scores": True}),
]
NUMERIC = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """A real cluster of worker processes, as jupyter-infer starts one, shared by the module; workers import the
    engine once up front."""
    distributed = pytest.importorskip("distributed")
    from jupyter_infer.jobs.executors._dask_cluster import new_local_cluster

    cl = new_local_cluster(n_workers=2)
    with distributed.Client(cl, set_as_default=False) as c:
        c.run(__import__, "jupyter_infer.jobs.executors._dask_worker")
    yield cl
    cl.close()


@pytest.fixture(scope="session")
def dask_client(cluster: Any) -> Iterator[Any]:
    import distributed

    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory) -> ji.Client:
    return ji.connect(home=tmp_path_factory.mktemp("dask-store"))


@pytest.fixture(scope="session")
def models(client: ji.Client, penguins: pd.DataFrame) -> dict[str, ji.Model]:
    return train_every_type(client, penguins, "dask")


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory, penguins: pd.DataFrame) -> dict[str, Path]:
    """The same rows as one file and as a directory of three files of unequal size with small row groups (so
    partitions cross file boundaries and files hold several partitions). Jittered, so no two rows tie."""
    rng = np.random.default_rng(0)
    df = pd.concat([penguins] * 3, ignore_index=True)
    for c in NUMERIC:
        df[c] = df[c] * (1 + rng.normal(0, 0.02, len(df)))
    df["extra"] = "not a feature"  # reconciliation: dropped
    root = tmp_path_factory.mktemp("dask-inputs")
    whole = root / "all.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), whole)
    parts = root / "parts"
    parts.mkdir()
    bounds = [0, 500, 501, len(df)]
    for i in range(3):
        chunk = df.iloc[bounds[i] : bounds[i + 1]]
        pq.write_table(pa.Table.from_pandas(chunk, preserve_index=False), parts / f"f{i}.parquet", row_group_size=90)
    (parts / "_SUCCESS").write_text("")  # skipped like pyarrow skips it
    return {"whole": whole, "dir": parts}


@pytest.fixture(autouse=True)
def _small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_INFER_DASK_PARTITION_ROWS", "200")
    monkeypatch.delenv("JUPYTER_INFER_DASK_SCHEDULER", raising=False)


def run(client: ji.Client, model: ji.Model, source: Any, **kw: Any) -> ji.Job:
    job = client.models.infer_batch(model, source, **kw)
    job.wait(timeout=300)
    return job


def close(a: Any, b: Any) -> bool:
    """Equal, with floats compared to 1e-9 (factor statistics are summed in a different order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12))
    return bool(a == b)


def scheduler_keys(dask_client: Any, job_id: str) -> list[str]:
    def keys(dask_scheduler: Any, job_id: str) -> list[str]:
        return [str(k) for k in dask_scheduler.tasks if job_id in str(k)]

    return list(dask_client.run_on_scheduler(keys, job_id=job_id))
