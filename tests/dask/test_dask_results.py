"""The Dask executor gives the local engine's result: every model type's output on the cluster equals the local
engine's for the same rows of a multi-file input, from a dataset, a glob, a URL, the magic and over HTTP; the
workers run with our settings and load a model once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji

distributed = pytest.importorskip("distributed")

from jupyter_infer.engine.outputs import read_result_table  # noqa: E402
from jupyter_infer.jobs.executors import _dask_cluster, _dask_plan, _dask_worker  # noqa: E402
from tests.dask.conftest import CASES, close, run  # noqa: E402

pytestmark = pytest.mark.timeout(600)


@pytest.mark.parametrize(("model_type", "opts"), CASES, ids=[f"{t}-{'-'.join(o) or 'default'}" for t, o in CASES])
def test_cluster_output_equals_local_output(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, model_type: str,
    opts: dict[str, Any],
) -> None:  # fmt: skip
    model = models[model_type]
    local = run(client, model, inputs["whole"], **opts)
    assert local.status == "succeeded", local.error_message
    dask = run(client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address, **opts)
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
    assert close(mine.descriptions, theirs.descriptions)
    # one result in every format, like any other
    assert close(mine.to_json(), theirs.to_json())
    assert mine.to_csv().splitlines()[0] == theirs.to_csv().splitlines()[0]
    assert len(mine.to_csv().splitlines()) == len(theirs.to_csv().splitlines())
    back = ji.InferenceResult.from_parquet(mine.to_parquet())
    assert back.model_id == model.id and back.job_id == dask.id
    assert close(back.descriptions, theirs.descriptions)
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
    expected = run(client, model, inputs["whole"]).result().to_pandas()
    ds = client.datasets.create(inputs["whole"], name="dask-input")
    by_dataset = run(client, model, ds, executor="dask", scheduler=cluster.scheduler_address)
    assert by_dataset.status == "succeeded", by_dataset.error_message
    pd.testing.assert_frame_equal(by_dataset.result().to_pandas(), expected)
    by_glob = run(
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
    job = run(client, model, f"file://{inputs['dir']}", executor="dask", scheduler=cluster.scheduler_address)
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
    job = run(client, models["embedding"], inputs["dir"])
    assert job.status == "succeeded", job.error_message
    assert client.backend.get_job(job.id)["request"]["executor"] == "dask"
    assert Path(client.backend.get_job(job.id)["result_path"]).is_dir()
    # an explicit executor="local" wins over the default
    local = run(client, models["embedding"], inputs["dir"], executor="local")
    assert local.status == "succeeded", local.error_message
    rec = client.backend.get_job(local.id)
    assert rec["request"]["executor"] == "local" and Path(rec["result_path"]).is_file()
    # the local engine streams the same directory file by file: the same rows and ids as the cluster
    pd.testing.assert_frame_equal(local.result().to_pandas(), job.result().to_pandas(), check_exact=False, rtol=1e-9)


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
    expected = run(client, models["prediction"], inputs["whole"]).result().to_pandas()
    pd.testing.assert_frame_equal(out.reset_index(drop=True), expected, check_exact=False, rtol=1e-9)


def test_http_result_routes_serve_a_dask_result(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:  # fmt: skip
    """The server's result routes read a Dask job's directory as one result, like a single-file one."""
    import httpx

    from tests._server import start_server

    model = models["anomaly"]
    job = run(
        client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address, anomaly_format="per_row"
    )
    assert job.status == "succeeded", job.error_message
    local = run(client, model, inputs["whole"], anomaly_format="per_row").result()
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
        assert close(json.loads(got["json"]), local.to_json())
        assert got["csv"].decode().splitlines()[0] == "id,is_anomaly,anomaly_score"
        assert len(got["csv"].decode().splitlines()) == 1033
        back = ji.InferenceResult.from_parquet(got["parquet"])
        assert back.job_id == job.id and back.model_type == "anomaly"
        pd.testing.assert_frame_equal(back.to_pandas(), local.to_pandas(), check_exact=False, rtol=1e-9)
        assert close(back.descriptions, local.descriptions)
    finally:
        stop()


def test_clusters_we_start_run_workers_without_the_profiler(dask_client: Any) -> None:
    """WORKER_CONFIG reaches the worker processes (the nanny passes its config on): no 10 ms stack sampling of
    the scoring thread, slower memory and system polls."""
    import dask

    seen = dask_client.run(lambda: {k: dask.config.get(k) for k in _dask_cluster.WORKER_CONFIG})
    assert len(seen) == 2
    for cfg in seen.values():
        assert cfg == _dask_cluster.WORKER_CONFIG
    assert dask.config.get("distributed.worker.profile.enabled") is True  # this process's config is untouched


def test_model_is_loaded_once_per_worker(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], cluster: Any, dask_client: Any
) -> None:
    model = models["anomaly"]
    first = run(client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address)
    assert first.status == "succeeded", first.error_message
    before = dask_client.run(_dask_worker.model_loads)
    version = client.models.get(model).version_id
    assert all(version in info["cached"] for info in before.values() if info["count"])
    again = run(client, model, inputs["dir"], executor="dask", scheduler=cluster.scheduler_address)
    assert again.status == "succeeded", again.error_message
    after = dask_client.run(_dask_worker.model_loads)
    assert {w: info["count"] for w, info in after.items()} == {w: info["count"] for w, info in before.items()}


def test_a_worker_that_cannot_see_the_result_directory_sends_the_part_back(
    client: ji.Client, models: dict[str, ji.Model], inputs: dict[str, Path], tmp_path: Path
) -> None:
    """No shared filesystem: the part's Parquet bytes travel back instead of being written by the worker."""
    from jupyter_infer.engine.options import InferOptions

    version = client.backend.store.model_version(models["clustering"].id)[1]
    data = Path(version["path"]).read_bytes()
    opts = InferOptions(output_type="parquet").resolve("clustering").to_dict()
    part = _dask_plan.plan(str(inputs["dir"]), 200)[3]
    (tmp_path / _dask_worker.TOKEN_FILE).write_text("another job's token")
    sent = _dask_worker.score_part(part, data, version["id"], opts, str(tmp_path), "mine", {b"job_id": b"x"})
    assert sent["written"] is False and sent["data"] and not list(tmp_path.glob("part-*"))
    (tmp_path / _dask_worker.TOKEN_FILE).write_text("mine")
    wrote = _dask_worker.score_part(part, data, version["id"], opts, str(tmp_path), "mine", {b"job_id": b"x"})
    assert wrote["written"] is True and wrote["data"] is None
    on_disk = pq.read_table(tmp_path / wrote["file"])
    assert pq.read_table(pa.BufferReader(sent["data"])).equals(on_disk)
    assert on_disk.column("id").to_pylist() == list(range(part.start, part.start + part.rows))
    assert on_disk.schema.metadata[b"job_id"] == b"x"
