"""Found item 6 (the parse part): hostile bodies and data files are 4xx with a ``detail``, never a 500, and no
detail or job message shows a server path (SPEC §8)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import jupyter_infer as ji
from tests.faults._hostile import Server, detail_of, server_fixture  # noqa: F401 - the server fixture

DEEP = b'{"a":' * 5000 + b"1" + b"}" * 5000
LONG_INT = b"9" * 5000


@pytest.fixture(scope="module")
def trained(server: Server, penguins: pd.DataFrame) -> str:
    server.client().models.train(penguins, "clustering", name="cl", params={"training_mode": "fast"})
    return "cl"


def _post_json(server: Server, path: str, raw: bytes) -> tuple[int, str]:
    with server.http() as c:
        r = c.post(path, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, f"{path} -> {r.status_code}: {r.text[:300]}"
    return r.status_code, detail_of(r)


@pytest.mark.parametrize(
    "path,raw",
    [
        ("/models/train", DEEP),
        ("/models/train", b"[" * 100_000 + b"]" * 100_000),
        ("/models/train", b'{"model_type": "clustering", "dataset_id": "cl-training-data", "params": {"n_clusters": 1e400}}'),
        ("/models/train", b'{"model_type": "clustering", "dataset_id": "cl-training-data", "params": {"n_clusters": ' + LONG_INT + b"}}"),
        ("/models/train", b'{"model_type": "clustering", "dataset_id": "cl-training-data", "params": {"n_clusters": -Infinity}}'),
        ("/jobs/prune", b'{"older_than_days": ' + LONG_INT + b"}"),
        ("/jobs/prune", b'{"older_than_days": 1e400}'),
        ("/models/cl/infer-batch", b'{"dataset_id": "cl-training-data", "k": ' + LONG_INT + b"}"),
        ("/models/cl/infer-async", b'{"path": "x.csv", "k": 1e999}'),
        ("/datasets/upload", b'{"file": {"filename": "a.csv", "bytes": ' + LONG_INT + b"}}"),
    ],
    ids=["deep-object", "deep-array", "1e400", "5000-digits", "-Infinity", "prune-digits", "prune-1e400",
         "batch-k-digits", "async-k-1e999", "upload-bytes-digits"],
)  # fmt: skip
def test_a_hostile_json_body_is_a_4xx_with_a_detail(server: Server, trained: str, path: str, raw: bytes) -> None:
    status, detail = _post_json(server, path, raw)
    assert 400 <= status < 500
    assert len(detail) < 500, detail  # the offending value is not echoed back


def test_a_deeply_nested_body_names_the_limit(server: Server, trained: str) -> None:
    status, detail = _post_json(server, "/models/train", DEEP)
    assert status == 400 and "deep" in detail


def test_n_clusters_1e400_is_refused_locally_and_remotely(server: Server, penguins: pd.DataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for client in (server.client(), ji.connect(home=tmp_path / "store")):
        with pytest.raises(ji.InferError):
            client.models.train(penguins.head(50), "clustering", params={"n_clusters": float("1e400")})
        with pytest.raises(ji.InferError):
            client.models.train(penguins.head(50), "clustering", params={"n_clusters": 10**5000})


@pytest.mark.parametrize(
    "name,body",
    [
        ("deep.json", DEEP),
        ("deep-list.json", b"[" * 100_000 + b"]" * 100_000),
        ("digits.json", b'[{"bill_length_mm": ' + LONG_INT + b"}]"),
        ("digits.jsonl", b'{"bill_length_mm": ' + LONG_INT + b"}\n" + b'{"bill_length_mm": 1}\n'),
    ],
    ids=["deep-object", "deep-array", "5000-digits", "5000-digits-lines"],
)
def test_a_hostile_json_data_file_is_a_4xx_on_every_route(server: Server, trained: str, name: str, body: bytes) -> None:
    (server.root / name).write_bytes(body)
    with server.http() as c:
        sync = c.post(f"/models/{trained}/infer", files={"file": (name, body)}, data={"output_type": "json"})
        assert 400 <= sync.status_code < 500, (sync.status_code, sync.text[:300])
        assert str(server.home) not in detail_of(sync)
        ds = c.post("/datasets", files={"file": (name, body)}, data={"dataset_name": "hostile"})
        assert ds.status_code == 201, ds.text
        ingest = server.wait(ds.json()["job_id"])
        job = c.post(f"/models/{trained}/infer-async", json={"path": name})
        assert job.status_code == 202, job.text
        batch = server.wait(job.json()["job_id"])
    for j in (ingest, batch):
        assert j["status"] == "failed", j
        assert name in j["error_message"] and not j["error_message"].startswith("internal error"), j
        assert str(server.root) not in j["error_message"] and str(server.home) not in j["error_message"]


def test_details_name_files_relative_to_the_root_and_never_the_store(server: Server, trained: str) -> None:
    (server.root / "sub").mkdir(exist_ok=True)
    (server.root / "sub" / "broken.csv").write_bytes(b"a,b\n1,2\n" + b"\xff\xfe\x00garbage" * 50)
    (server.root / "sub" / "empty.parquet").write_bytes(b"")
    with server.http() as c:
        sync = c.post(f"/models/{trained}/infer", files={"file": ("x.parquet", b"PAR1 not really")})
        detail = detail_of(sync)
        assert sync.status_code == 422 and str(server.home) not in detail and "uploads" not in detail, detail
        for rel in ("sub/broken.csv", "sub/empty.parquet"):
            r = c.post(f"/models/{trained}/infer-async", json={"path": rel})
            text = r.text if r.status_code >= 400 else json.dumps(server.wait(r.json()["job_id"]))
            assert str(server.root) not in text and str(server.home) not in text, text


@pytest.mark.parametrize(
    "label,values",
    [
        ("empty dicts", [{}] * 20),
        ("dicts and numbers", [{"a": 1} if i % 2 else 5 for i in range(20)]),
        ("nested", [{"a": {"b": [1, {"c": 2}]}} if i % 3 else "x" for i in range(20)]),
        ("numbers and text", [1 if i % 2 else "one" for i in range(20)]),
    ],
)
def test_a_column_of_dicts_works_remotely_as_locally(
    server: Server, trained: str, penguins: pd.DataFrame, tmp_path, label: str, values: list
) -> None:  # type: ignore[no-untyped-def]
    df = penguins.head(20).copy()
    df["extra"] = values
    local = ji.connect(home=tmp_path / "store")
    local.models.train(penguins, "clustering", name="cl", params={"training_mode": "fast"})
    got = {}
    for where, client in (("local", local), ("http", server.client())):
        res = client.models.infer("cl", df)
        got[where] = res
        assert list(res.to_pandas().columns) == ["id", "cluster_label", "cluster_description"]
        assert len(res.to_pandas()) == 20
        assert "extra" in res.reconciliation["dropped"], res.reconciliation
        job = client.models.infer_async("cl", df)
        assert job.wait(timeout=120).status == "succeeded", job.error_message
    assert got["local"].to_pandas().equals(got["http"].to_pandas())


def test_infinite_and_huge_numbers_in_data_are_scored(server: Server, trained: str, penguins: pd.DataFrame) -> None:
    """1e400 in a JSON data file is infinity; a distance-based model used to fail on it with an internal error."""
    rows = penguins.head(3).drop(columns="species").to_dict(orient="records")
    rows[0]["bill_length_mm"] = "__INF__"
    rows[1]["body_mass_g"] = 1e300
    body = json.dumps(rows, default=str).replace('"__INF__"', "1e400").encode()
    with server.http() as c:
        r = c.post(f"/models/{trained}/infer", files={"file": ("inf.json", body)}, data={"output_type": "json"})
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["data"]["cluster_label"]) == 3
    df = penguins.head(5).copy()
    df.loc[0, "flipper_length_mm"] = float("-inf")
    for client in (server.client(),):
        assert (
            len(client.models.train(df, "clustering", name="cl-inf", params={"n_clusters": 2}).infer(df).to_pandas())
            == 5
        )


@pytest.mark.parametrize("tags", [[1, "a", None, 2.5], [True, 2, "x", 3]], ids=["int-text-float", "bool-int-text"])
def test_an_id_column_of_mixed_types_gives_text_ids(
    server: Server, trained: str, penguins: pd.DataFrame, tmp_path, tags: list
) -> None:  # type: ignore[no-untyped-def]
    df = penguins.head(4).copy()
    df["tag"] = tags
    local = ji.connect(home=tmp_path / "store")
    local.models.train(penguins, "clustering", name="cl", params={"training_mode": "fast"})
    for client in (local, server.client()):
        ids = client.models.infer("cl", df, id_column="tag").to_pandas()["id"].tolist()
        assert [None if v is None or v != v else v for v in ids] == [None if t is None else str(t) for t in tags]
