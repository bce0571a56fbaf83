"""The routes through pytest-jupyter's in-process server: shapes, content types, names for ids, errors."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.server.conftest import Api


async def ingest(api: Api, csv: bytes, name: str) -> dict[str, Any]:
    sub = await api.json("POST", "/datasets", files={"file": (f"{name}.csv", csv)}, fields={"dataset_name": name},
                         expect=201)  # fmt: skip
    assert sub["id"].startswith("ds_") and sub["version_id"].startswith("dsv_") and sub["job_id"].startswith("job_")
    assert sub["dataset"] == {"id": sub["id"], "version_id": sub["version_id"], "version_number": 1, "name": name}
    job = await api.wait(sub["job_id"])
    assert job["status"] == "succeeded", job["error_message"]
    return sub


async def train(api: Api, dataset: str, name: str = "pengu") -> dict[str, Any]:
    sub = await api.json("POST", "/models/train", json_body={
        "model_type": "prediction", "dataset_id": dataset, "label_column": "species", "training_mode": "fast",
        "model_name": name,
    }, expect=201)  # fmt: skip
    assert {"id", "version_id", "job_id", "status", "woodwide_runtime_version", "model"} <= set(sub)
    job = await api.wait(sub["job_id"])
    assert job["status"] == "succeeded", job["error_message"]
    return sub


async def test_dataset_train_and_sync_infer_in_every_format(api: Api, penguins_csv: bytes, tmp_path: Path) -> None:
    ds = await ingest(api, penguins_csv, "penguins")
    got = await api.json("GET", "/datasets/penguins")  # a name where the id goes
    assert got["id"] == ds["id"] and got["current_version"]["row_count"] == 344
    assert "path" not in got["current_version"]
    prev = await api.json("GET", f"/datasets/{ds['id']}/preview", params={"max_rows": 3})
    assert len(prev["rows"]) == 3 and "species" in prev["headers"]
    listed = await api.json("GET", "/datasets")
    assert [d["name"] for d in listed["items"]] == ["penguins"] and listed["next_cursor"] is None

    m = await train(api, "penguins")
    model = await api.json("GET", "/models/pengu")
    assert model["id"] == m["id"] and model["status"] == "ready" and model["model_type"] == "prediction"
    assert (await api.json("GET", f"/models/{m['id']}/versions"))["items"][0]["version_id"] == m["version_id"]

    r = await api("POST", "/models/pengu/infer", files={"file": ("new.csv", penguins_csv)},
                  fields={"output_type": "json"})  # fmt: skip
    assert r.code == 200 and r.headers["Content-Type"].startswith("application/json")
    env = json.loads(r.body)
    assert list(env["data"]) == ["id", "prediction", "prediction_prob"] and len(env["data"]["id"]) == 344
    for key in ("model_id", "model_name", "model_version_id", "model_type", "job_id", "latency_ms",
                "reconciliation", "prediction_descriptions"):  # fmt: skip
        assert key in env, key
    assert env["status"] == "succeeded" and env["model_name"] == "pengu"
    job = await api.json("GET", f"/jobs/{env['job_id']}")
    assert job["type"] == "infer_sync" and job["status"] == "succeeded" and job["input_filename"] == "new.csv"

    # an upload named with no format we read, holding bytes that are no table: named as uploaded
    r = await api("POST", "/models/pengu/infer", files={"file": ("garbage.bin", b"\x00\x01\x02binary")})
    detail = json.loads(r.body)["detail"]
    assert r.code == 422 and detail == "garbage.bin: unsupported file type .bin; use .csv, .parquet or .json.", detail

    r = await api("POST", f"/models/{m['id']}/infer", files={"file": ("new.csv", penguins_csv)})  # no output_type
    assert r.code == 200 and r.headers["Content-Type"].startswith("text/csv")  # csv, as Wood Wide
    assert r.body.decode().splitlines()[0] == "id,prediction,prediction_prob"

    buf = io.BytesIO()
    pd.read_csv(io.BytesIO(penguins_csv)).to_parquet(buf)
    r = await api("POST", "/models/pengu/infer", files={"file": ("new.parquet", buf.getvalue())},
                  fields={"output_type": "parquet"})  # fmt: skip
    assert r.code == 200 and r.headers["Content-Type"] == "application/octet-stream"
    t = pq.read_table(io.BytesIO(r.body))
    assert t.num_rows == 344 and t.schema.metadata[b"model_name"] == b"pengu"
    assert _leftover_uploads(tmp_path) == []  # the ingest job and the sync requests removed what they staged


def _leftover_uploads(tmp_path: Path) -> list[str]:
    uploads = tmp_path / "store" / "uploads"
    return sorted(str(p.relative_to(uploads)) for p in uploads.rglob("*")) if uploads.exists() else []


async def test_errors_are_detail_objects_with_the_right_status(api: Api, penguins_csv: bytes) -> None:
    await ingest(api, penguins_csv, "penguins")
    await train(api, "penguins")
    cases = [
        (await api("GET", "/models/pengi"), 404, "pengu"),  # did-you-mean
        (await api("GET", "/nowhere/at/all"), 404, "No route"),
        (await api("POST", "/models/train", json_body={"model_type": "regression", "dataset_id": "penguins"}), 422,
         "Unknown model type"),
        (await api("POST", "/models/train", json_body={"model_type": "prediction", "dataset_id": "penguins",
                                                        "label_column": "nope"}), 422, "nope"),
        (await api("POST", "/models/pengu/infer", files={"file": ("x.csv", penguins_csv)},
                   fields={"output_type": "xml"}), 422, "Unknown output type \"xml\""),  # one wording on every front end
        (await api("POST", "/models/pengu/infer", files={"file": ("x.csv", penguins_csv)}, fields={"k": "3"}), 422,
         "search models only"),
        (await api("POST", "/models/pengu/infer", fields={"output_type": "json"}), 422, '"file"'),
        (await api("POST", "/jobs/prune", json_body={"older_than_days": "soon"}), 422, "older_than_days"),
        (await api("GET", "/jobs", params={"status": "sleeping"}), 422, "Unknown job status"),
        (await api("PATCH", "/models/pengu", json_body={}), 405, ""),
    ]  # fmt: skip
    for r, status, words in cases:
        assert r.code == status, (r.code, r.body)
        body = json.loads(r.body)
        assert set(body) == {"detail"} and words in body["detail"], body
        assert r.headers.get("x-should-retry") == "false"
        assert r.headers["Content-Type"].startswith("application/json")
    r = await api("POST", "/models/train", json_body=None, headers={"Content-Type": "application/json"})
    assert r.code in (400, 422) and "detail" in json.loads(r.body)
    # nothing half-made was left behind by the refused training requests
    assert [m["name"] for m in (await api.json("GET", "/models"))["items"]] == ["pengu"]


async def test_async_infer_on_a_server_file_writes_output_path(api: Api, penguins_csv: bytes,
                                                                jp_root_dir: Path) -> None:  # fmt: skip
    await ingest(api, penguins_csv, "penguins")
    await train(api, "penguins")
    (jp_root_dir / "data").mkdir()
    (jp_root_dir / "data" / "new.csv").write_bytes(penguins_csv)
    sub = await api.json("POST", "/models/pengu/infer-async", json_body={
        "path": "data/new.csv", "output_type": "csv", "output_path": "data/new.pengu.csv"}, expect=202)  # fmt: skip
    assert sub["status"] == "queued" and sub["model_version_id"].startswith("mdlv_") and sub["model"]["name"] == "pengu"
    job = await api.wait(sub["job_id"])
    assert job["status"] == "succeeded" and job["type"] == "infer_batch"
    assert job["output_path"] == "data/new.pengu.csv" and job["input_filename"] == "new.csv"
    written = pd.read_csv(jp_root_dir / "data" / "new.pengu.csv")
    assert len(written) == 344 and list(written.columns) == ["id", "prediction", "prediction_prob"]

    r = await api("POST", "/models/pengu/infer-async", json_body={"path": "data/new.csv",
                                                                  "output_path": "data/new.pengu.csv"})  # fmt: skip
    assert r.code == 409 and json.loads(r.body) == {"detail": "Output file exists: data/new.pengu.csv"}

    # output_path without output_type: the file is what its name says (it used to be Parquet bytes in a .csv)
    for name, read in (("data/named.csv", pd.read_csv), ("data/named.json", pd.read_json)):
        sub = await api.json("POST", "/models/pengu/infer-async", json_body={"path": "data/new.csv",
                                                                             "output_path": name}, expect=202)  # fmt: skip
        assert (await api.wait(sub["job_id"]))["status"] == "succeeded"
        assert len(read(jp_root_dir / name)) == 344, name
    # an extension that is no format of ours, with no output_type, is refused (it was written as Parquet)
    r = await api("POST", "/models/pengu/infer-async", json_body={"path": "data/new.csv", "output_path": "a.xlsx"})
    assert r.code == 422 and "a.xlsx" in json.loads(r.body)["detail"] and not (jp_root_dir / "a.xlsx").exists()
    sub = await api.json("POST", "/models/pengu/infer-async", json_body={  # ... unless output_type names the format
        "path": "data/new.csv", "output_path": "a.xlsx", "output_type": "csv"}, expect=202)  # fmt: skip
    assert (await api.wait(sub["job_id"]))["status"] == "succeeded" and len(pd.read_csv(jp_root_dir / "a.xlsx")) == 344
    # a name with no extension is Parquet, even a name that spells a format ("csv" was refused as a format-less name)
    sub = await api.json("POST", "/models/pengu/infer-async", json_body={"path": "data/new.csv",
                                                                         "output_path": "csv"}, expect=202)  # fmt: skip
    assert (await api.wait(sub["job_id"]))["status"] == "succeeded"
    assert len(pd.read_parquet(jp_root_dir / "csv")) == 344
    # ... with the metadata SPEC §4 puts in every parquet result (the export lacked the job's: ids, descriptions)
    meta = pq.read_schema(jp_root_dir / "csv").metadata
    keys = {"model_id", "model_name", "model_version_id", "model_type", "job_id", "reconciliation"}
    assert keys | {"prediction_descriptions"} <= {k.decode() for k in meta}, sorted(meta)
    assert meta[b"job_id"].decode() == sub["job_id"]

    # no output_path: the server picks <stem>.<model>.<format>, then -1, -2 ... when taken
    sub = await api.json("POST", "/models/pengu/infer-async", json_body={"path": "data/new.csv",
                                                                         "output_type": "csv"}, expect=202)  # fmt: skip
    assert (await api.wait(sub["job_id"]))["output_path"] == "data/new.pengu-1.csv"

    # the result in every format, and a page of rows
    for fmt, ctype in (("json", "application/json"), ("csv", "text/csv"), ("parquet", "application/octet-stream")):
        r = await api("GET", f"/jobs/{sub['job_id']}/results/file", params={"output_type": fmt})
        assert r.code == 200 and r.headers["Content-Type"].startswith(ctype)
    assert pq.read_table(io.BytesIO(r.body)).num_rows == 344
    rows = await api.json("GET", f"/jobs/{sub['job_id']}/results/rows", params={
        "limit": 5, "offset": 2, "columns": "id,prediction", "sort_by": "id", "sort_dir": "desc"})  # fmt: skip
    assert [r["id"] for r in rows["rows"]] == [341, 340, 339, 338, 337]
    assert set(rows["rows"][0]) == {"id", "prediction"} and rows["total"] == rows["total_filtered"] == 344
    found = await api.json("GET", f"/jobs/{sub['job_id']}/results/rows", params={"search": "chinst", "limit": 500})
    assert 0 < found["total_filtered"] < 344 and all(r["prediction"] == "Chinstrap" for r in found["rows"])
    flt = await api.json("GET", f"/jobs/{sub['job_id']}/results/rows",
                         params={"filter_column": "id", "filter_value": "7"})  # fmt: skip
    assert [r["id"] for r in flt["rows"]] == [7]


async def test_paths_outside_the_server_root_are_refused(api: Api, penguins_csv: bytes, jp_root_dir: Path,
                                                          tmp_path: Path) -> None:  # fmt: skip
    await ingest(api, penguins_csv, "penguins")
    await train(api, "penguins")
    outside = jp_root_dir.parent / "outside.csv"
    outside.write_bytes(penguins_csv)
    (jp_root_dir / "inside.csv").write_bytes(penguins_csv)
    (jp_root_dir / "link.csv").symlink_to(outside)
    attempts = [
        {"path": "../outside.csv"},
        {"path": str(outside)},
        {"path": "sub/../../outside.csv"},
        {"path": "link.csv"},
        {"path": "/etc/passwd"},
        {"path": "inside.csv", "output_path": "../stolen.csv"},
        {"path": "inside.csv", "output_path": str(tmp_path / "stolen.csv")},
    ]
    before = set(os.listdir(jp_root_dir.parent))
    for body in attempts:
        r = await api("POST", "/models/pengu/infer-async", json_body=body)
        assert r.code == 403, (body, r.code, r.body)
        assert "outside the server root" in json.loads(r.body)["detail"]
    assert set(os.listdir(jp_root_dir.parent)) == before
    assert (await api.json("GET", "/jobs", params={"type": "infer_batch"}))["items"] == []
    r = await api("POST", "/models/pengu/infer-async", json_body={"path": "missing.csv"})
    assert r.code == 404 and "missing.csv" in json.loads(r.body)["detail"]


async def test_signed_result_url_works_without_auth_and_only_with_its_token(api: Api, penguins_csv: bytes,
                                                                             jp_fetch: Any) -> None:  # fmt: skip
    await ingest(api, penguins_csv, "penguins")
    await train(api, "penguins")
    sub = await api.json("POST", "/models/pengu/infer-batch", json_body={"dataset_id": "penguins"}, expect=202)
    job = await api.wait(sub["job_id"])
    res = await api.json("GET", f"/jobs/{job['id']}/results")
    assert res["job_type"] == "infer_batch" and res["summary"]["total_row_count"] == 344
    assert json.loads(res["descriptions"]["prediction_descriptions"])  # JSON-encoded strings, as Wood Wide
    uri = res["inference_results_uri"]
    assert uri.startswith("http://") and "token=" in uri
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(uri)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    path = parts.path.split("/jupyter-infer/api/")[1]
    r = await jp_fetch("jupyter-infer", "api", *path.split("/"), params=q, headers={"Authorization": ""},
                       raise_error=False)  # fmt: skip
    assert r.code == 200 and r.body[:4] == b"PAR1" and pq.read_table(io.BytesIO(r.body)).num_rows == 344
    for bad in ({**q, "token": q["token"][:-2] + "xx"}, {**q, "output_type": "csv"}, {k: v for k, v in q.items()
                                                                                     if k != "token"}):  # fmt: skip
        r = await jp_fetch("jupyter-infer", "api", *path.split("/"), params=bad, headers={"Authorization": ""},
                           raise_error=False)  # fmt: skip
        assert r.code == 403 and "detail" in json.loads(r.body)
    # dedup as Wood Wide: the same batch request gives the same job unless force_rerun
    again = await api.json("POST", "/models/pengu/infer-batch", json_body={"dataset_id": "penguins"})
    assert again["job_id"] == job["id"]
    fresh = await api.json(
        "POST", "/models/pengu/infer-batch", json_body={"dataset_id": "penguins", "force_rerun": True}, expect=202
    )
    assert fresh["job_id"] != job["id"]


async def test_results_of_an_unfinished_or_failed_job_are_409(api: Api, penguins_csv: bytes) -> None:
    sub = await api.json("POST", "/datasets", files={"file": ("bad.csv", b"\x00\x01binary")}, expect=201)
    job = await api.wait(sub["job_id"])
    assert job["status"] == "failed" and job["error_message"]
    for path in (f"/jobs/{job['id']}/results", f"/jobs/{job['id']}/results/rows", f"/jobs/{job['id']}/results/file"):
        r = await api("GET", path)
        assert r.code == 409 and r.headers["x-should-retry"] == "false" and "failed" in json.loads(r.body)["detail"]


async def test_upload_flow_streams_to_disk_and_checks_the_size(
    api: Api, penguins_csv: bytes, jp_fetch: Any, tmp_path: Path
) -> None:
    prep = await api.json("POST", "/datasets/upload", json_body={
        "file": {"filename": "big.csv", "bytes": len(penguins_csv), "content_type": "text/csv"},
        "dataset_name": "big"}, expect=201)  # fmt: skip
    assert prep["upload"]["upload_url"].startswith("http")
    job = await api.json("GET", f"/jobs/{prep['job_id']}")
    assert job["status"] == "waiting_for_upload"
    r = await api("POST", f"/datasets/{prep['version_id']}/complete")
    assert r.code == 409 and "incomplete" in json.loads(r.body)["detail"]
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(prep["upload"]["upload_url"])
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}
    segs = parts.path.split("/jupyter-infer/api/")[1].split("/")
    r = await jp_fetch("jupyter-infer", "api", *segs, method="PUT", body=penguins_csv + b"extra", params=q,
                       headers={"Authorization": "", "Content-Type": "text/csv"}, raise_error=False)  # fmt: skip
    assert r.code == 413 and "declared" in json.loads(r.body)["detail"]
    r = await jp_fetch("jupyter-infer", "api", *segs, method="PUT", body=penguins_csv, params={"token": "1.x"},
                       headers={"Authorization": ""}, raise_error=False)  # fmt: skip
    assert r.code == 403
    r = await jp_fetch("jupyter-infer", "api", *segs, method="PUT", body=penguins_csv, params=q,
                       headers={"Authorization": "", "Content-Type": "text/csv"}, raise_error=False)  # fmt: skip
    assert r.code == 200, r.body
    done = await api.json("POST", f"/datasets/{prep['version_id']}/complete")
    assert done["job_id"] == prep["job_id"] and done["status"] in ("queued", "running", "succeeded")
    assert (await api.wait(prep["job_id"]))["status"] == "succeeded"
    assert (await api.json("GET", "/datasets/big"))["current_version"]["row_count"] == 344
    assert _leftover_uploads(tmp_path) == []  # the staged file and its per-upload folder are gone


def test_export_never_overwrites(tmp_path: Path) -> None:
    """A file that appeared at output_path while the job ran is kept; the next free -N name is written."""
    import pyarrow as pa

    from jupyter_infer.engine.outputs import with_metadata
    from jupyter_infer.jobs.work import export_result

    res = tmp_path / "res.parquet"
    pq.write_table(with_metadata(pa.table({"id": [0, 1]}), {"model_type": "embedding"}), res)
    dest = tmp_path / "out.csv"
    dest.write_text("mine")
    assert export_result(res, dest, "csv") == tmp_path / "out-1.csv"
    assert export_result(res, dest, "csv") == tmp_path / "out-2.csv"
    assert dest.read_text() == "mine" and (tmp_path / "out-2.csv").read_text().startswith("id")


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=zzz", "text/plain"])
async def test_malformed_bodies_are_400_or_422(api: Api, content_type: str) -> None:
    r = await api("POST", "/datasets", headers={"Content-Type": content_type})
    assert r.code in (400, 422) and "detail" in json.loads(r.body)
