"""Inputs: every table and file form the client accepts, and the column roles inferred at training."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji
from jupyter_infer.engine.batches import BatchReader
from jupyter_infer.engine.io import read_file
from jupyter_infer.engine.model import train


@pytest.fixture(scope="module")
def mixed() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    words = ["great service and fast delivery", "slow shipping but good product", "terrible support never again",
             "excellent value would buy again", "average experience nothing special"]  # fmt: skip
    return pd.DataFrame(
        {
            "row": np.arange(n),  # a row counter: id-like
            "customer": [f"cust-{i:05d}" for i in range(n)],  # every value distinct: id-like
            "amount": rng.gamma(2, 50, n),
            "segment": rng.choice(["a", "b", "c"], n),
            "member": rng.random(n) < 0.4,
            "signup": pd.date_range("2024-01-01", periods=n, freq="D").astype(str),
            "review": [words[i % 5] + f" order {i}" for i in range(n)],
            "tags": [[1, 2]] * n,  # a list column: unusable
            "constant": 1,
        }
    )


def test_column_roles_are_inferred_and_drops_reported(mixed: pd.DataFrame) -> None:
    art = train(mixed, "clustering", params={"n_clusters": 3})
    assert art.info["feature_kinds"] == {
        "amount": "numeric",
        "segment": "categorical",
        "member": "boolean",
        "signup": "datetime",
        "review": "text",
    }
    reasons = {d["name"]: d["reason"] for d in art.info["dropped_columns"]}
    assert set(reasons) == {"row", "customer", "tags", "constant"}
    assert "id-like" in reasons["row"] and "id-like" in reasons["customer"]
    assert "lists" in reasons["tags"] and reasons["constant"] == "constant"


def test_text_column_with_nothing_to_learn_is_reported_dropped(mixed: pd.DataFrame) -> None:
    """A text column whose words never repeat gives TF-IDF no vocabulary: it is listed in dropped_columns with
    the reason, not silently ignored; when it is the only column, training fails and says why."""
    df = mixed[["amount", "segment"]].copy()
    df["note"] = [f"w{i}a w{i}b w{i}c" for i in range(len(df))]  # free text, no word in two rows
    art = train(df, "clustering", params={"n_clusters": 2})
    reasons = {d["name"]: d["reason"] for d in art.info["dropped_columns"]}
    assert "note" in reasons and "nothing to learn" in reasons["note"]
    assert "note" not in art.info["feature_kinds"]
    with pytest.raises(ji.InputError, match=r"No usable feature columns \(note: text with no word"):
        train(df[["note"]], "clustering")


def test_datetime_and_text_columns_are_used_as_features(mixed: pd.DataFrame) -> None:
    art = train(mixed, "embedding")
    names = art.featurizer.numeric_names()
    assert "signup.year" in names and "signup.days" in names
    assert any(n.startswith("review.text_") for n in names)


@pytest.mark.parametrize(
    "form",
    ["dataframe", "arrow", "csv", "parquet", "json_columns", "json_records", "json_pandas_default", "json_lines"],
)
def test_every_input_form_gives_the_same_predictions(
    client: ji.Client, penguins: pd.DataFrame, tmp_path: Path, form: str
) -> None:
    model = client.models.train(penguins, "clustering", name="forms", params={"n_clusters": 3})
    expected = client.models.infer(model, penguins).to_pandas()["cluster_label"].tolist()
    data: object
    if form == "dataframe":
        data = penguins
    elif form == "arrow":
        data = pa.Table.from_pandas(penguins)
    elif form == "csv":
        data = tmp_path / "p.csv"
        penguins.to_csv(data, index=False)
    elif form == "parquet":
        data = tmp_path / "p.parquet"
        penguins.to_parquet(data)
    elif form == "json_columns":
        data = tmp_path / "p.json"
        cols = {c: penguins[c].astype(object).where(penguins[c].notna(), None).tolist() for c in penguins.columns}
        Path(data).write_text(json.dumps(cols))
    elif form == "json_records":
        data = tmp_path / "p.json"
        penguins.to_json(data, orient="records")
    elif form == "json_pandas_default":  # df.to_json(): {column: {row label: value}}
        data = tmp_path / "p.json"
        penguins.to_json(data)
    else:
        data = tmp_path / "p.jsonl"
        penguins.to_json(data, orient="records", lines=True)
    got = client.models.infer(model, str(data) if isinstance(data, Path) else data).to_pandas()
    assert got["cluster_label"].tolist() == expected


def test_our_own_json_output_reads_back_as_a_table(client: ji.Client, penguins: pd.DataFrame, tmp_path: Path) -> None:
    model = client.models.train(penguins, "embedding", name="roundtrip-embed")
    out = tmp_path / "emb.json"
    client.models.infer(model, penguins).save(out)
    back = read_file(out)
    assert list(back.columns[:2]) == ["id", "dim_0"] and len(back) == len(penguins)


def test_streaming_reads_a_csv_in_bounded_batches_with_a_bad_value_deep_inside(tmp_path: Path) -> None:
    n = 50_000
    df = pd.DataFrame({"x": np.arange(n, dtype=float), "y": ["a", "b"] * (n // 2)})
    df["x"] = df["x"].astype(object)
    df.loc[n - 10, "x"] = "oops"  # a value that does not parse, far past the first block
    p = tmp_path / "deep.csv"
    df.to_csv(p, index=False)
    reader = BatchReader(p, batch_rows=8_192)
    sizes = [len(b) for b in reader]
    assert sum(sizes) == n
    assert reader.fraction_done() == 1.0


def test_reconciliation_of_a_streamed_csv_names_only_lossy_columns(
    client: ji.Client, penguins: pd.DataFrame, tmp_path: Path
) -> None:
    model = client.models.train(penguins, "anomaly", name="recon-anomaly")
    data = penguins.drop(columns=["year"]).assign(note="x")
    data["body_mass_g"] = data["body_mass_g"].astype(object)
    data.loc[5, "body_mass_g"] = "heavy"
    p = tmp_path / "stream.csv"
    data.to_csv(p, index=False)
    res = client.models.infer_async(model, str(p), anomaly_format="per_row").result(timeout=120)
    assert res.reconciliation == {"dropped": ["note"], "missing": ["year"], "coerced": ["body_mass_g"]}
    assert len(res.to_pandas()) == len(penguins)


def test_a_parquet_directory_streams_file_by_file_in_lexical_order(penguins: pd.DataFrame, tmp_path: Path) -> None:
    """BatchReader (the local engine's streaming reader) takes a Parquet dataset directory as pyarrow reads it:
    files in lexical order of their relative paths, names starting with . or _ skipped."""
    d = tmp_path / "ds"
    (d / "b").mkdir(parents=True)
    pq.write_table(pa.Table.from_pandas(penguins.iloc[200:], preserve_index=False), d / "b" / "part-0.parquet")
    pq.write_table(pa.Table.from_pandas(penguins.iloc[:200], preserve_index=False), d / "a.parquet")
    (d / "_SUCCESS").write_text("")
    (d / ".a.parquet.crc").write_text("x")
    reader = BatchReader(d, batch_rows=64)
    assert reader.rows_total == len(penguins)
    got = pd.concat(list(reader), ignore_index=True)
    expected = pq.read_table(d).to_pandas()
    pd.testing.assert_frame_equal(got, expected)
    pd.testing.assert_frame_equal(got, penguins.reset_index(drop=True), check_dtype=False)

    (d / "notes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ji.InputError, match=r"notes\.csv is not a Parquet file"):
        BatchReader(d)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "_SUCCESS").write_text("")
    with pytest.raises(ji.InputError, match="holds no data files"):
        BatchReader(empty)


def test_a_csv_header_with_a_bom_quotes_and_spaces_streams_as_it_reads(
    client: ji.Client, penguins: pd.DataFrame, tmp_path: Path
) -> None:
    """Excel writes a byte-order mark; a name may hold a comma (quoted) or a leading space. The streaming reader
    split the header by hand (no BOM, no quotes, names stripped), typed the wrong columns, and the async job failed
    as an internal Arrow error while sync inference read the same file."""
    df = penguins.drop(columns="species").rename(columns={"island": "island, site", "sex": " sex"}).head(60)
    df = df[["bill_length_mm", *[c for c in df.columns if c != "bill_length_mm"]]]  # a number first: the BOM's
    model = client.models.train(df, "anomaly", name="odd-header")
    p = tmp_path / "excel.csv"
    p.write_bytes(b"\xef\xbb\xbf" + df.to_csv(index=False).encode())
    want = client.models.infer(model, df, anomaly_format="per_row").to_pandas()
    for got in (client.models.infer(model, str(p), anomaly_format="per_row"),
                client.models.infer_async(model, str(p), anomaly_format="per_row").result(timeout=120)):  # fmt: skip
        assert got.reconciliation == {"dropped": [], "missing": [], "coerced": []}
        pd.testing.assert_frame_equal(got.to_pandas(), want)
