"""Found item 10: wrong answers and rough edges (search ids, a 2-row clustering, ``--join`` on a large dataset over
HTTP, ``upload()`` and ``%config``), and the CSV formula-injection decision: values are written as they are."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from IPython.core.interactiveshell import InteractiveShell

import jupyter_infer as ji
from tests.faults._hostile import Server, server_fixture  # noqa: F401 - the server fixture


def _ids_frame(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "rid": rng.choice(np.arange(10_000, 11_000), n, replace=False),  # whole numbers, not a row counter
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], n),
        }
    )


def test_search_match_id_uses_the_id_column_and_drops_self_matches(client: ji.Client) -> None:
    df = _ids_frame()
    model = client.models.train(df, "search", name="found-search", params={"training_mode": "fast"})
    near = client.models.infer(model, df.head(20), id_column="rid").to_pandas()
    assert set(near["match_id"]) <= set(df["rid"]), near.head()
    assert (near["match_id"] == near["id"]).all() and (near["distance"] < 1e-9).all()  # each row finds itself
    other = client.models.infer(model, df.head(20), id_column="rid", exclude_self_matches=True, k=3).to_pandas()
    assert len(other) == 60 and not (other["match_id"] == other["id"]).any(), other.head()
    assert set(other["match_id"]) <= set(df["rid"])


def test_a_two_row_clustering_dataset_trains(client: ji.Client) -> None:
    df = pd.DataFrame({"a": [1.0, 5.0], "b": [3.0, -1.0], "c": ["x", "y"]})
    model = client.models.train(df, "clustering", name="found-two-rows")
    out = client.models.infer(model, df).to_pandas()
    assert list(out.columns) == ["id", "cluster_label", "cluster_description"]
    assert sorted(out["cluster_label"]) == [0, 1]


DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2-3", "@SUM(A1)", "\tTAB", "=cmd|' /C calc'!A0", "plain"]


def test_csv_exports_keep_values_as_they_are(client: ji.Client, penguins: pd.DataFrame) -> None:
    """The decision on formula injection: a CSV export is data, so a cell starting with =, +, -, @ is written as it
    is (quoted where CSV needs it) and reads back unchanged; no ' is prepended (see the README)."""
    df = penguins.head(len(DANGEROUS)).copy()
    df["name"] = DANGEROUS
    model = client.models.train(penguins, "clustering", name="found-csv", params={"training_mode": "fast"})
    res = client.models.infer(model, df, id_column="name")
    back = pd.read_csv(io.StringIO(res.to_csv()), dtype=str, keep_default_na=False)
    assert list(back["id"]) == DANGEROUS


@pytest.fixture
def shell(server: Server, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """The process's IPython shell with the magics loaded and pointed at the server by %config only."""
    monkeypatch.delenv("JUPYTER_INFER_URL", raising=False)
    monkeypatch.delenv("JUPYTER_INFER_TOKEN", raising=False)
    ip = InteractiveShell.instance()
    ip.history_manager.enabled = False
    ip.run_line_magic("load_ext", "jupyter_infer")
    ip.run_line_magic("config", f"InferMagics.url = {server.api!r}")
    ip.run_line_magic("config", f"InferMagics.token = {server.token!r}")
    try:
        yield ip
    finally:
        ip.run_line_magic("config", "InferMagics.url = None")
        ip.run_line_magic("config", "InferMagics.token = None")


def test_join_on_a_large_dataset_over_http(shell: InteractiveShell, server: Server) -> None:
    big = _ids_frame(1000)
    big = pd.concat([big] * 12, ignore_index=True)  # 12,000 rows: over the preview's 10,000 per request
    c = server.client()
    c.datasets.create(big, name="found-big")
    c.models.train(big.head(500), "clustering", name="found-cl", params={"training_mode": "fast"})
    result = shell.run_cell("%%infer found-cl joined --join\ndataset:found-big")
    assert result.success, result.error_in_exec
    joined = shell.user_ns["joined"]
    assert len(joined) == 12_000
    assert list(joined.columns[:4]) == ["rid", "a", "b", "c"] and "cluster_label" in joined.columns
    assert (joined["rid"].to_numpy() == big["rid"].to_numpy()).all()


def test_upload_uses_the_magics_configuration(shell: InteractiveShell, server: Server, penguins: pd.DataFrame) -> None:
    server.client().models.train(penguins, "clustering", name="found-upload", params={"training_mode": "fast"})
    shell.run_cell("import jupyter_infer\n_w = jupyter_infer.upload()")
    widget = shell.user_ns.pop("_w")
    assert widget.client.url == server.api
    assert "found-upload" in [value for _label, value in widget.model.options]
