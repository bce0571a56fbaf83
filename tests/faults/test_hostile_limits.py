"""Found item 5: one sync request must not exhaust the server. Decoded rows and output size are checked before the
work starts (SPEC §8: ``max_sync_rows``, ``max_sync_output_mb``), refused with a 413 that points to the async path;
the HTTP client then takes the async path by itself."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji
from tests._helpers import csv_bytes
from tests.faults._hostile import Server, detail_of, serve, server_fixture  # noqa: F401 - a fixture


@pytest.fixture(scope="module")
def models(server: Server, penguins: pd.DataFrame) -> dict[str, str]:
    c = server.client()
    c.models.train(penguins, "clustering", name="cl", params={"training_mode": "fast"})
    c.models.train(penguins, "search", name="se", params={"training_mode": "fast"})
    return {"clustering": "cl", "search": "se"}


def _sync_jobs(server: Server) -> int:
    with server.http() as c:
        return len(c.get("/jobs", params={"type": "infer_sync", "limit": 200}).json()["items"])


def _refused(server: Server, model: str, name: str, body: bytes, **fields: str) -> str:
    before = _sync_jobs(server)
    with server.http() as c:
        r = c.post(f"/models/{model}/infer", files={"file": (name, body)}, data=fields)
    assert r.status_code == 413, (r.status_code, r.text[:300])
    assert r.headers.get("x-should-retry") == "false"
    detail = detail_of(r)
    assert "infer-async" in detail, detail
    assert _sync_jobs(server) == before, "the refused request still ran"
    return detail


def test_a_small_parquet_file_of_millions_of_rows_is_refused_from_its_footer(
    server: Server, models: dict[str, str]
) -> None:
    n = 3_000_000
    table = pa.table({"bill_length_mm": pa.repeat(pa.scalar(40.0), n), "island": pa.repeat(pa.scalar("Dream"), n)})
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    body = buf.getvalue()
    assert len(body) < 1 << 20  # well under the 30 MiB body cap
    detail = _refused(server, "cl", "rows.parquet", body)
    assert "3,000,000 rows" in detail and "max_sync_rows" in detail


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_text_files_over_the_row_limit_are_refused(server: Server, models: dict[str, str], fmt: str) -> None:
    n = 1_100_000
    if fmt == "csv":
        body = b"bill_length_mm\n" + b"1\n" * n
    elif fmt == "jsonl":
        body = b'{"a":1}\n' * n
    else:
        body = b'{"bill_length_mm": [' + b"1," * (n - 1) + b"1]}"
    detail = _refused(server, "cl", f"rows.{fmt}", body)
    assert "max_sync_rows" in detail


def test_a_json_document_whose_commas_are_not_rows_is_not_refused(server: Server, models: dict[str, str]) -> None:
    """The cheap bound for a JSON document counts commas; over the limit, the file is counted exactly."""
    names = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"]
    cols = {name: [i % 50 for i in range(120_000)] for name in [*names, "e1", "e2", "e3", "e4", "e5"]}
    body = json.dumps(cols).encode()  # 1.2M commas, 120,000 rows
    with server.http() as c:
        r = c.post("/models/cl/infer", files={"file": ("wide.json", body)}, data={"output_type": "json"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["rows"] == 120_000


def test_search_with_a_huge_k_is_refused_before_it_runs(
    server: Server, models: dict[str, str], penguins: pd.DataFrame
) -> None:
    body = csv_bytes(pd.concat([penguins.drop(columns="species")] * 117))  # 40,248 rows, ~1.6 MB
    detail = _refused(server, "se", "q.csv", body, k="10000", output_type="csv")
    assert "k=10000" in detail and "max_sync_output_mb" in detail


def test_a_request_under_the_limits_still_answers(
    server: Server, models: dict[str, str], penguins: pd.DataFrame
) -> None:
    with server.http() as c:
        r = c.post("/models/se/infer", files={"file": ("q.csv", csv_bytes(penguins.head(50)))},
                   data={"k": "5", "output_type": "json"})  # fmt: skip
    assert r.status_code == 200, r.text[:300]
    assert len(r.json()["data"]) == 50


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(
        tmp_path_factory, "tight", args=["--JupyterInfer.max_sync_rows=100", "--JupyterInfer.max_sync_output_mb=0.01"]
    )


def test_the_http_client_takes_the_async_path_over_the_limits(tight: Server, penguins: pd.DataFrame, tmp_path) -> None:  # type: ignore[no-untyped-def]
    local = ji.connect(home=tmp_path / "store")
    results = {}
    for where, client in (("local", local), ("http", tight.client())):
        client.models.train(penguins, "search", name="se", params={"training_mode": "fast"})
        results[where] = client.models.infer("se", penguins.head(300), k=3).to_pandas()
        small = client.models.infer("se", penguins.head(20)).to_pandas()
        assert list(small.columns) == ["id", "match_id", "distance"] and len(small) == 20
    assert len(results["http"]) == 900
    assert results["http"][["id", "match_id", "rank"]].equals(results["local"][["id", "match_id", "rank"]])
    with tight.http() as c:
        types = [j["type"] for j in c.get("/jobs", params={"limit": 200}).json()["items"]]
    assert "infer_batch" in types  # the 300-row request went through the async path
