"""The Dask executor (issue 6) on a real LocalCluster (processes, 2 workers x 1 thread): every model type's batch
output on the cluster equals the local engine's for the same rows of a multi-file input; cancel; a bad scheduler;
a failing and a lost worker."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji

distributed = pytest.importorskip("distributed")

from jupyter_infer.engine.outputs import read_result_table  # noqa: E402
from jupyter_infer.jobs import dask_executor  # noqa: E402

pytestmark = pytest.mark.timeout(600)

TYPES = {
    "prediction": dict(label_column="species"),
    "clustering": {},
    "anomaly": {},
    "embedding": {},
    "search": {},
    "factors": {},
}
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


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A real cluster of worker processes, as jupyter-infer starts one, shared by the module; workers import the
    engine once up front."""
    cl = dask_executor.new_local_cluster(n_workers=2)
    with distributed.Client(cl, set_as_default=False) as c:
        c.run(__import__, "jupyter_infer.jobs.dask_executor")
    yield cl
    cl.close()


@pytest.fixture(scope="module")
def dask_client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        yield c


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> ji.Client:
    return ji.connect(home=tmp_path_factory.mktemp("dask-store"))


@pytest.fixture(scope="module")
def models(client: ji.Client, penguins: pd.DataFrame) -> dict[str, ji.Model]:
    out = {}
    for t, kw in TYPES.items():
        m = client.models.train(penguins, t, name=f"dask-{t}", params={"training_mode": "fast"}, **kw)
        assert isinstance(m, ji.Model)
        out[t] = m
    return out


@pytest.fixture(scope="module")
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


def _run(client: ji.Client, model: ji.Model, source: Any, **kw: Any) -> ji.Job:
    job = client.models.infer_batch(model, source, **kw)
    job.wait(timeout=300)
    return job


def _close(a: Any, b: Any) -> bool:
    """Equal, with floats compared to 1e-9 (factor statistics are summed in a different order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12))
    return bool(a == b)


@pytest.mark.parametrize(("model_type", "opts"), CASES, ids=[f"{t}-{'-'.join(o) or 'default'}" for t, o in CASES])
def test_cluster_output_equals_local_output(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, model_type: str,
    opts: dict[str, Any],
) -> None:  # fmt: skip
    model = models[model_type]
    local = _run(client, model, inputs["whole"], **opts)
    assert local.status == "succeeded", local.error_message
    dask = _run(client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address, **opts)
    assert dask.status == "succeeded", dask.error_message
    assert dask.rows_done == dask.rows_total == local.rows_done == 1032
    assert dask.progress == 100

    rec = client.backend.get_job(dask.id)
    assert Path(rec["result_path"]).is_dir()
    assert rec["result_meta"]["partitions"] >= 6  # bounded by row groups: 200-row partitions over 3 files

    mine, theirs = dask.result(), local.result()
    a, b = mine.to_pandas(), theirs.to_pandas()
    # labels, ids and text exactly; floats to 1e-9 (BLAS sums in another order for another batch shape)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-12)
    if "id" in a.columns:
        assert a["id"].drop_duplicates().tolist() == list(range(1032))  # global and contiguous
    for key in ("model_id", "model_name", "model_version_id", "model_type"):
        assert getattr(mine, key) == getattr(theirs, key)
    assert mine.job_id == dask.id
    assert mine.reconciliation == theirs.reconciliation
    assert "extra" in mine.reconciliation["dropped"]
    assert _close(mine.descriptions, theirs.descriptions)
    # one result in every format, like any other
    assert _close(mine.to_json(), theirs.to_json())
    assert mine.to_csv().splitlines()[0] == theirs.to_csv().splitlines()[0]
    assert len(mine.to_csv().splitlines()) == len(theirs.to_csv().splitlines())
    back = ji.InferenceResult.from_parquet(mine.to_parquet())
    assert back.model_id == model.id and back.job_id == dask.id
    assert _close(back.descriptions, theirs.descriptions)
    # the directory itself carries the merged §4 metadata
    table = read_result_table(rec["result_path"])
    kv = table.schema.metadata
    assert kv[b"model_type"].decode() == model_type and kv[b"job_id"].decode() == dask.id
    assert json.loads(kv[b"reconciliation"]) == mine.reconciliation
    assert table.num_rows == len(b)


def test_stored_dataset_and_glob_inputs(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any
) -> None:
    model = models["prediction"]
    expected = _run(client, model, inputs["whole"]).result().to_pandas()
    ds = client.datasets.create(inputs["whole"], name="dask-input")
    by_dataset = _run(client, model, ds, executor="dask", scheduler=cluster.scheduler_address)
    assert by_dataset.status == "succeeded", by_dataset.error_message
    pd.testing.assert_frame_equal(by_dataset.result().to_pandas(), expected)
    by_glob = _run(
        client, model, str(inputs["dir"] / "f*.parquet"), executor="dask", scheduler=cluster.scheduler_address
    )
    assert by_glob.status == "succeeded", by_glob.error_message
    pd.testing.assert_frame_equal(by_glob.result().to_pandas(), expected)
    # infer_async: a path the workers read, or an in-memory table staged as Parquet (and deleted after)
    by_async = client.models.infer_async(
        model, str(inputs["dir"] / "*.parquet"), executor="dask", scheduler=cluster.scheduler_address
    ).wait(timeout=300)
    assert by_async.status == "succeeded", by_async.error_message
    pd.testing.assert_frame_equal(by_async.result().to_pandas(), expected)
    frame = pd.read_parquet(inputs["whole"])
    staged = client.models.infer_async(model, frame, executor="dask", scheduler=cluster.scheduler_address)
    staged.wait(timeout=300)
    assert staged.status == "succeeded", staged.error_message
    pd.testing.assert_frame_equal(staged.result().to_pandas(), expected)
    upload = client.backend.get_job(staged.id)["request"]["source"]["path"]
    assert not Path(upload).exists()


def test_export_and_file_url(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, tmp_path: Path
) -> None:
    model = models["clustering"]
    job = _run(client, model, f"file://{inputs['dir']}", executor="dask", scheduler=cluster.scheduler_address)
    assert job.status == "succeeded", job.error_message
    res = job.result()
    out = res.save(tmp_path / "clusters.csv")
    assert pd.read_csv(out)["id"].tolist() == list(range(1032))
    saved = res.save(tmp_path / "clusters.parquet")
    again = ji.InferenceResult.from_parquet(saved)
    assert again.descriptions == res.descriptions and again.model_type == "clustering"
    from_dir = ji.InferenceResult.from_parquet(client.backend.get_job(job.id)["result_path"])
    assert from_dir.descriptions == res.descriptions and from_dir.job_id == job.id
    assert from_dir.to_pandas().equals(res.to_pandas())


def test_environment_variable_names_the_scheduler(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("JUPYTER_INFER_DASK_SCHEDULER", cluster.scheduler_address)
    job = _run(client, models["embedding"], inputs["dir"])
    assert job.status == "succeeded", job.error_message
    assert client.backend.get_job(job.id)["request"]["executor"] == "dask"
    assert Path(client.backend.get_job(job.id)["result_path"]).is_dir()
    # an explicit executor="local" wins over the default
    local = _run(client, models["embedding"], inputs["dir"], executor="local")
    assert local.status == "succeeded", local.error_message
    rec = client.backend.get_job(local.id)
    assert rec["request"]["executor"] == "local" and Path(rec["result_path"]).is_file()
    # the local engine streams the same directory file by file: the same rows and ids as the cluster
    pd.testing.assert_frame_equal(local.result().to_pandas(), job.result().to_pandas(), check_exact=False, rtol=1e-9)


def test_clusters_we_start_run_workers_without_the_profiler(dask_client: Any) -> None:
    """WORKER_CONFIG reaches the worker processes (the nanny passes its config on): no 10 ms stack sampling of
    the scoring thread, slower memory and system polls."""
    import dask

    seen = dask_client.run(lambda: {k: dask.config.get(k) for k in dask_executor.WORKER_CONFIG})
    assert len(seen) == 2
    for cfg in seen.values():
        assert cfg == dask_executor.WORKER_CONFIG
    assert dask.config.get("distributed.worker.profile.enabled") is True  # this process's config is untouched


def test_model_is_loaded_once_per_worker(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, dask_client: Any
) -> None:
    model = models["anomaly"]
    first = _run(client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address)
    assert first.status == "succeeded", first.error_message
    before = dask_client.run(dask_executor.model_loads)
    version = client.models.get(model).version_id
    assert all(version in info["cached"] for info in before.values() if info["count"])
    again = _run(client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address)
    assert again.status == "succeeded", again.error_message
    after = dask_client.run(dask_executor.model_loads)
    assert {w: info["count"] for w, info in after.items()} == {w: info["count"] for w, info in before.items()}


def test_bad_scheduler_address_fails_fast_and_names_it(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_INFER_DASK_TIMEOUT", "2")
    address = "tcp://127.0.0.1:9"  # the discard port: nothing listens there
    t0 = time.monotonic()
    job = _run(client, models["prediction"], inputs["dir"], executor="dask", scheduler=address)
    assert time.monotonic() - t0 < 60
    assert job.status == "failed"
    assert address in job.error_message and "Dask scheduler" in job.error_message
    with pytest.raises(ji.JobFailed, match=r"127\.0\.0\.1:9"):
        job.result()
    with pytest.raises(ji.OptionError, match=r"127\.0\.0\.1:9"):
        dask_executor.connect(address)


def test_unknown_executor_is_an_option_error(client: ji.Client, models: dict[str, ji.Model]) -> None:
    with pytest.raises(ji.OptionError, match="executor"):
        client.models.infer_batch(models["prediction"], "x.parquet", executor="spark")


def test_worker_error_fails_the_job_with_it(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any
) -> None:
    job = _run(
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
    job = _run(
        client, models["prediction"], str(tmp_path / "*.csv"), executor="dask", scheduler=cluster.scheduler_address
    )
    assert job.status == "failed" and "a.csv" in job.error_message and "Parquet" in job.error_message
    job = _run(client, models["prediction"], str(tmp_path / "nothing*.parquet"), executor="dask")
    assert job.status == "failed" and "nothing*.parquet" in job.error_message


def _scheduler_keys(dask_client: Any, job_id: str) -> list[str]:
    def keys(dask_scheduler: Any, job_id: str) -> list[str]:
        return [str(k) for k in dask_scheduler.tasks if job_id in str(k)]

    return list(dask_client.run_on_scheduler(keys, job_id=job_id))


def _wait_for(predicate: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_cancel_mid_job_releases_the_futures(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, dask_client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("JUPYTER_INFER_TEST_ROWS_PER_SECOND", "100")  # ~5 s of scoring on 2 workers
    job = client.models.infer_batch(
        models["prediction"], inputs["dir"], executor="dask", scheduler=cluster.scheduler_address
    )
    _wait_for(lambda: bool(_scheduler_keys(dask_client, job.id)))
    _wait_for(lambda: (job.rows_done or 0) > 0)  # progress follows completed partitions
    assert job.status == "running"
    assert 0 < job.rows_done < job.rows_total == 1032
    job.cancel()
    job.wait(timeout=120)
    assert job.status == "canceled"
    assert job.rows_done < 1032
    _wait_for(lambda: not _scheduler_keys(dask_client, job.id))  # the futures were released
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
    expected = _run(client, model, inputs["whole"]).result().to_pandas()
    monkeypatch.setenv("JUPYTER_INFER_TEST_ROWS_PER_SECOND", "150")
    job = client.models.infer_batch(model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address)

    def processing() -> dict[str, list[str]]:
        return {w: [k for k in ks if job.id in str(k)] for w, ks in dask_client.processing().items()}

    _wait_for(lambda: any(processing().values()))
    victim = next(w for w, ks in processing().items() if ks)
    pid = dask_client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    job.wait(timeout=300)
    assert job.status == "succeeded", job.error_message
    pd.testing.assert_frame_equal(job.result().to_pandas(), expected)
    assert victim not in dask_client.scheduler_info()["workers"]  # it really died mid-job
    _wait_for(lambda: len(dask_client.scheduler_info()["workers"]) == 2, timeout=180)  # the nanny restarted it


def test_infer_magic_dask_option(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any
) -> None:
    """``%%infer MODEL DEST --dask SCHEDULER``: the job runs on the cluster; the result is the local one."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext jupyter_infer").raise_error()
    magics = shell.magics_manager.registry["InferMagics"]
    assert "--dask" in (magics.infer.__doc__ or "")
    magics.home = str(client.backend.home)
    shell.user_ns["address"] = cluster.scheduler_address
    try:
        shell.run_cell(f"%%infer dask-prediction dask_out --dask {{address}}\n{inputs['dir']}").raise_error()
        out = shell.user_ns.pop("dask_out")
    finally:
        shell.user_ns.pop("address", None)
        magics.home = magics.trait_defaults("home")
    job = client.jobs.list(type="infer_batch", limit=1)[0]
    rec = client.backend.get_job(job.id)
    assert rec["request"]["executor"] == "dask" and rec["request"]["scheduler"] == cluster.scheduler_address
    assert Path(rec["result_path"]).is_dir()
    expected = _run(client, models["prediction"], inputs["whole"]).result().to_pandas()
    pd.testing.assert_frame_equal(out.reset_index(drop=True), expected, check_exact=False, rtol=1e-9)


def test_http_batch_route_takes_executor_in_params() -> None:
    """``POST /models/{id}/infer-batch`` with ``{"params": {"executor": "dask", "scheduler": ...}}`` (or the same
    fields at the top level, as the HTTP client sends them)."""
    from jupyter_infer.server.routes._options import executor_of as _executor

    assert _executor({"params": {"executor": "dask", "scheduler": "tcp://10.0.0.5:8786"}}) == (
        "dask",
        "tcp://10.0.0.5:8786",
    )
    assert _executor({"executor": "dask", "scheduler": "tcp://h:1"}) == ("dask", "tcp://h:1")
    assert _executor({"params": {"contamination": 0.1}}) == ("local", None)
    with pytest.raises(ji.OptionError, match="executor"):
        _executor({"params": {"executor": "ray"}})


def test_http_batch_route_defaults_to_the_servers_scheduler(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's own $JUPYTER_INFER_DASK_SCHEDULER is the default for requests that choose nothing; a request
    that names "local" (executor) or a LocalCluster (scheduler "local") keeps its choice."""
    from jupyter_infer.server.routes._options import executor_of as _executor

    monkeypatch.setenv("JUPYTER_INFER_DASK_SCHEDULER", "tcp://10.0.0.9:8786")
    assert _executor({}) == ("dask", "tcp://10.0.0.9:8786")
    assert _executor({"params": {"executor": "dask"}}) == ("dask", "tcp://10.0.0.9:8786")
    assert _executor({"executor": "local"}) == ("local", None)
    assert _executor({"executor": "dask", "scheduler": "local"}) == ("dask", None)
    assert _executor({"scheduler": "tcp://h:1"}) == ("dask", "tcp://h:1")


@pytest.mark.parametrize(
    ("asked", "default", "expected"),
    [
        ((None, None), None, (None, None)),  # nothing chosen: the process running the job decides
        ((None, None), "tcp://d:1", ("dask", "tcp://d:1")),
        (("local", None), "tcp://d:1", ("local", None)),  # explicit local beats the default
        (("dask", None), None, ("dask", None)),  # a LocalCluster
        (("dask", None), "tcp://d:1", ("dask", "tcp://d:1")),
        (("dask", "local"), "tcp://d:1", ("dask", None)),  # "local" names the LocalCluster explicitly
        ((None, "tcp://s:2"), "tcp://d:1", ("dask", "tcp://s:2")),  # a scheduler alone implies dask
        ((None, None), "local", ("dask", None)),
    ],
)
def test_executor_resolution(asked: tuple, default: str | None, expected: tuple) -> None:
    from jupyter_infer.engine.options import resolve_executor

    assert resolve_executor(*asked, default) == expected


def test_executor_resolution_errors_name_the_option() -> None:
    from jupyter_infer.engine.options import resolve_executor

    with pytest.raises(ji.OptionError, match=r'Unknown executor "dsak".*Did you mean "dask"'):
        resolve_executor("dsak", None)
    with pytest.raises(ji.OptionError, match='scheduler "tcp://h:1" applies to executor="dask"'):
        resolve_executor("local", "tcp://h:1")
    with pytest.raises(ji.OptionError, match="scheduler must be an address string"):
        resolve_executor("dask", 8786)  # type: ignore[arg-type]


def test_http_result_routes_serve_a_dask_result(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    """The server's result routes read a Dask job's directory as one result, like a single-file one."""
    import httpx

    from tests._server import start_server

    model = models["anomaly"]
    job = _run(
        client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address, anomaly_format="per_row"
    )
    assert job.status == "succeeded", job.error_message
    local = _run(client, model, inputs["whole"], anomaly_format="per_row").result()
    url, token, stop = start_server(Path(client.backend.home), tmp_path_factory.mktemp("dask-server-root"))
    try:
        h = {"Authorization": f"token {token}"}
        rec = httpx.get(f"{url}/jobs/{job.id}", headers=h, timeout=60).json()
        assert rec["status"] == "succeeded"
        summary = httpx.get(f"{url}/jobs/{job.id}/results", headers=h, timeout=60).json()
        assert summary["summary"]["total_row_count"] == 1032
        got = {}
        for fmt in ("json", "csv", "parquet"):
            r = httpx.get(f"{url}/jobs/{job.id}/results/file", params={"output_type": fmt}, headers=h, timeout=120)
            assert r.status_code == 200, r.text
            got[fmt] = r.content
        assert _close(json.loads(got["json"]), local.to_json())
        assert got["csv"].decode().splitlines()[0] == "id,is_anomaly,anomaly_score"
        assert len(got["csv"].decode().splitlines()) == 1033
        back = ji.InferenceResult.from_parquet(got["parquet"])
        assert back.job_id == job.id and back.model_type == "anomaly"
        pd.testing.assert_frame_equal(back.to_pandas(), local.to_pandas(), check_exact=False, rtol=1e-9)
        assert _close(back.descriptions, local.descriptions)
    finally:
        stop()


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


def test_a_worker_that_cannot_see_the_result_directory_sends_the_part_back(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], tmp_path: Path
) -> None:
    """No shared filesystem: the part's Parquet bytes travel back instead of being written by the worker."""
    from jupyter_infer.engine.options import InferOptions

    version = client.backend.store.model_version(models["clustering"].id)[1]
    data = Path(version["path"]).read_bytes()
    opts = InferOptions(output_type="parquet").resolve("clustering").to_dict()
    part = dask_executor.plan(str(inputs["dir"]), 200)[3]
    (tmp_path / dask_executor.TOKEN_FILE).write_text("another job's token")
    sent = dask_executor.score_part(part, data, version["id"], opts, str(tmp_path), "mine", {b"job_id": b"x"})
    assert sent["written"] is False and sent["data"] and not list(tmp_path.glob("part-*"))
    (tmp_path / dask_executor.TOKEN_FILE).write_text("mine")
    wrote = dask_executor.score_part(part, data, version["id"], opts, str(tmp_path), "mine", {b"job_id": b"x"})
    assert wrote["written"] is True and wrote["data"] is None
    on_disk = pq.read_table(tmp_path / wrote["file"])
    assert pq.read_table(pa.BufferReader(sent["data"])).equals(on_disk)
    assert on_disk.column("id").to_pylist() == list(range(part.start, part.start + part.rows))
    assert on_disk.schema.metadata[b"job_id"] == b"x"


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
        seen.append(dict(job.refresh()._record))
        assert seen[-1]["status"] in ("queued", "running"), seen[-1]
        time.sleep(0.02)
    job.cancel().wait(timeout=120)
    rec = dict(job.refresh()._record)
    assert rec["status"] == "canceled"
    during = [float(r["progress"] or 0) for r in seen if r["status"] == "running"]
    assert during == sorted(during) and 0 < max(during) < 50
    assert seen[-1]["rows_done"] <= rec["rows_done"] < 1032 and rec["rows_total"] == 1032
    assert 0 < rec["progress"] == pytest.approx(100 * rec["rows_done"] / 1032, abs=0.01)
