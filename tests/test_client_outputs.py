"""Every model type, trained and inferred through the client, in every output format with SPEC §4's columns."""

from __future__ import annotations

import io
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

import jupyter_infer as ji
from tests.conftest import EVERY_TYPE, train_every_type


@pytest.fixture(scope="module")
def models(client: ji.Client, penguins: pd.DataFrame) -> dict[str, ji.Model]:
    return train_every_type(client, penguins, "out")


def expected_columns(model: ji.Model, n_dims: int | None = None) -> list[str]:
    t = model.model_type
    return {
        "prediction": ["id", "prediction", "prediction_prob"],
        "clustering": ["id", "cluster_label", "cluster_description"],
        "anomaly": ["anomalous_ids"],
        "search": ["id", "match_id", "distance"],
        "factors": ["factor_id", "factor_description", "captured_variance"],
    }.get(t, ["id"] + [f"dim_{i}" for i in range(n_dims or 0)])


@pytest.mark.parametrize("model_type", list(EVERY_TYPE))
@pytest.mark.parametrize("fmt", ["json", "csv", "parquet"])
def test_every_type_every_format_has_the_spec_columns(
    client: ji.Client, models: dict[str, ji.Model], penguins: pd.DataFrame, model_type: str, fmt: str
) -> None:
    model = models[model_type]
    data = penguins.drop(columns=["species"]) if model_type == "prediction" else penguins
    res = client.models.infer(model, data, output_type=fmt)
    df = res.to_pandas()
    n_dims = len([c for c in df.columns if c.startswith("dim_")])
    if model_type == "embedding":
        assert n_dims >= 2
    assert list(df.columns) == expected_columns(model, n_dims)
    if model_type in ("prediction", "clustering", "embedding", "search"):
        assert len(df) == len(penguins)
        assert df["id"].tolist() == list(range(len(penguins)))
    if model_type == "factors":
        assert df["factor_id"].tolist() == list(range(len(df)))
        assert df["captured_variance"].sum() <= 1.0 + 1e-9
        assert all(isinstance(s, str) and s for s in df["factor_description"])

    # the three encodings of one result hold the same values
    as_json = res.to_json()
    as_csv = pd.read_csv(io.StringIO(res.to_csv()))
    table = pq.read_table(io.BytesIO(res.to_parquet()))
    meta = {k.decode(): v.decode() for k, v in table.schema.metadata.items()}
    for key in ("model_id", "model_name", "model_version_id", "model_type", "job_id", "reconciliation"):
        assert key in meta
    assert meta["model_type"] == model_type
    assert meta["model_id"] == model.id
    assert list(table.column_names) == list(df.columns)
    assert len(as_csv) == len(df) == table.num_rows
    if model_type == "search":
        assert as_json == {str(i): str(m) for i, m in zip(df["id"], df["match_id"], strict=True)}
    else:
        assert list(as_json) == list(df.columns)
        for col in df.columns:
            left = pd.Series(as_json[col])
            right = as_csv[col]
            if pd.api.types.is_float_dtype(right):
                assert (left.astype(float) - right).abs().max() < 1e-9
            else:
                assert left.astype(str).tolist() == right.astype(str).tolist()


def test_parquet_metadata_carries_descriptions_as_json(
    client: ji.Client, models: dict[str, ji.Model], penguins: pd.DataFrame
) -> None:
    res = client.models.infer(models["clustering"], penguins, output_type="parquet")
    meta = pq.read_table(io.BytesIO(res.to_parquet())).schema.metadata
    desc = json.loads(meta[b"cluster_descriptions"])
    labels = set(res.to_pandas()["cluster_label"].astype(str))
    assert labels <= set(desc)
    assert all(set(v) >= {"summary", "description"} for v in desc.values())
    assert json.loads(meta[b"reconciliation"]) == {"dropped": [], "missing": [], "coerced": []}


def test_per_row_anomaly_format(client: ji.Client, models: dict[str, ji.Model], penguins: pd.DataFrame) -> None:
    res = client.models.infer(models["anomaly"], penguins, anomaly_format="per_row")
    df = res.to_pandas()
    assert list(df.columns) == ["id", "is_anomaly", "anomaly_score"]
    assert df["is_anomaly"].dtype == bool
    ids_only = client.models.infer(models["anomaly"], penguins).to_json()["anomalous_ids"]
    assert sorted(df.loc[df["is_anomaly"], "id"].tolist()) == sorted(ids_only)
    # higher score = more anomalous: every flagged row scores above every unflagged one
    assert df.loc[df["is_anomaly"], "anomaly_score"].min() > df.loc[~df["is_anomaly"], "anomaly_score"].max()


def test_ids_only_with_nothing_flagged_gives_empty_list_and_header_only_csv(
    client: ji.Client, models: dict[str, ji.Model], penguins: pd.DataFrame
) -> None:
    ordinary = penguins.dropna().iloc[[0]]  # a single typical row
    res = client.models.infer(models["anomaly"], ordinary.assign(year=2008))
    flagged = res.to_json()["anomalous_ids"]
    if flagged:  # pragma: no cover - only if the forest thinks this row is odd
        pytest.skip("the chosen typical row was flagged")
    assert res.to_json() == {"anomalous_ids": []}
    assert res.to_csv().strip() == "anomalous_ids"


def test_search_with_k_gives_ranked_rows_and_lists_in_json(
    client: ji.Client, models: dict[str, ji.Model], penguins: pd.DataFrame
) -> None:
    res = client.models.infer(models["search"], penguins.head(5), k=3)
    df = res.to_pandas()
    assert list(df.columns) == ["id", "match_id", "distance", "rank"]
    assert len(df) == 15
    assert df.groupby("id")["rank"].apply(list).tolist() == [[1, 2, 3]] * 5
    assert (df.groupby("id")["distance"].apply(lambda s: s.is_monotonic_increasing)).all()
    js = res.to_json()
    assert set(js) == {"0", "1", "2", "3", "4"}
    assert all(isinstance(v, list) and len(v) == 3 and all(isinstance(x, str) for x in v) for v in js.values())


def test_prediction_probabilities_binary_and_per_class(client: ji.Client, penguins: pd.DataFrame) -> None:
    binary = penguins.assign(is_adelie=penguins["species"] == "Adelie").drop(columns="species")
    m = client.models.train(
        binary, "prediction", label_column="is_adelie", name="bin", params={"training_mode": "fast"}
    )
    df = client.models.infer(m, binary.drop(columns="is_adelie")).to_pandas()
    assert df["prediction_prob"].between(0.5, 1.0).all()
    assert set(df["prediction"].unique()) <= {True, False}
    multi = client.models.infer("out-prediction", penguins, prob_columns=True).to_pandas()
    assert {"prob_Adelie", "prob_Chinstrap", "prob_Gentoo"} <= set(multi.columns)
    assert ((multi[["prob_Adelie", "prob_Chinstrap", "prob_Gentoo"]].sum(axis=1) - 1).abs() < 1e-6).all()


def test_regression_has_no_probability(client: ji.Client) -> None:
    from tests.conftest import sk_frame

    df = sk_frame("diabetes")
    m = client.models.train(df, "prediction", label_column="target", name="diab-cols", params={"training_mode": "fast"})
    out = client.models.infer(m, df.drop(columns="target")).to_pandas()
    assert list(out.columns) == ["id", "prediction"]
    assert out["prediction"].dtype.kind == "f"


def test_factor_scores_on_request(client: ji.Client, models: dict[str, ji.Model], penguins: pd.DataFrame) -> None:
    df = client.models.infer(models["factors"], penguins, factor_scores=True).to_pandas()
    n = models["factors"].metrics["n_factors"]
    assert list(df.columns) == ["id"] + [f"factor_{j}" for j in range(n)]
    assert len(df) == len(penguins)


def test_id_column_names_the_ids_and_search_matches(client: ji.Client, penguins: pd.DataFrame) -> None:
    data = penguins.assign(tag=[f"p{i}" for i in range(len(penguins))])
    m = client.models.train(data, "search", name="tagged-search", id_column="tag")
    df = client.models.infer(m, data.head(4), id_column="tag").to_pandas()
    assert df["id"].tolist() == ["p0", "p1", "p2", "p3"]
    assert df["match_id"].tolist() == ["p0", "p1", "p2", "p3"]
    excl = client.models.infer(m, data.head(4), id_column="tag", exclude_self_matches=True).to_pandas()
    assert (excl["id"] != excl["match_id"]).all()


def test_retraining_makes_version_two_and_version_one_can_be_pinned(client: ji.Client, penguins: pd.DataFrame) -> None:
    v1 = client.models.train(penguins, "clustering", name="versioned", params={"n_clusters": 2})
    v2 = client.models.train(penguins, "clustering", name="versioned", params={"n_clusters": 4})
    assert (v1.version, v2.version) == (1, 2)
    assert v1.id == v2.id and v1.version_id != v2.version_id
    latest = client.models.infer("versioned", penguins).to_pandas()
    pinned = client.models.infer("versioned", penguins, model_version_id=v1.version_id)
    assert latest["cluster_label"].nunique() == 4
    assert pinned.to_pandas()["cluster_label"].nunique() == 2
    assert pinned.model_version_id == v1.version_id
    assert [v["version"] for v in client.models.get("versioned").versions()] == [2, 1]
