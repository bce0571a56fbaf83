"""Quality floors on held-out rows of real datasets that ship with packages, and structure recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, adjusted_rand_score, r2_score
from sklearn.model_selection import train_test_split

import jupyter_infer as ji
from tests.conftest import sk_frame


def holdout(df: pd.DataFrame, label: str, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    strat = df[label] if df[label].nunique() <= 20 else None
    return train_test_split(df, test_size=0.25, random_state=seed, stratify=strat)


@pytest.mark.parametrize(
    ("name", "floor"),
    [("breast_cancer", 0.95), ("wine", 0.93)],
)
def test_classification_accuracy_floor(client: ji.Client, name: str, floor: float) -> None:
    train, test = holdout(sk_frame(name), "target")
    m = client.models.train(train, "prediction", label_column="target", name=f"q-{name}")
    pred = client.models.infer(m, test.drop(columns="target")).to_pandas()["prediction"]
    assert accuracy_score(test["target"], pred) >= floor


def test_penguin_species_accuracy_floor(client: ji.Client, penguins: pd.DataFrame) -> None:
    train, test = holdout(penguins, "species")
    m = client.models.train(train, "prediction", label_column="species", name="q-penguins")
    pred = client.models.infer(m, test.drop(columns="species")).to_pandas()["prediction"]
    assert accuracy_score(test["species"], pred) >= 0.95


def test_diabetes_regression_r2_floor(client: ji.Client) -> None:
    train, test = holdout(sk_frame("diabetes"), "target")
    m = client.models.train(train, "prediction", label_column="target", name="q-diabetes")
    pred = client.models.infer(m, test.drop(columns="target")).to_pandas()["prediction"]
    assert r2_score(test["target"], pred) >= 0.35
    assert m.metrics["r2"] > 0  # holdout metrics were stored at training


def test_clustering_recovers_penguin_species(client: ji.Client, penguins: pd.DataFrame) -> None:
    features = penguins.drop(columns=["species", "year"])
    m = client.models.train(features, "clustering", name="q-clusters")
    labels = client.models.infer(m, features).to_pandas()["cluster_label"]
    assert adjusted_rand_score(penguins["species"], labels) >= 0.5
    desc = m.descriptions["cluster_descriptions"]
    assert set(desc) == {str(i) for i in range(m.metrics["n_clusters"])}
    # descriptions name columns and values a person can read
    assert any("flipper_length_mm" in d["description"] or "bill_" in d["description"] for d in desc.values())


def test_a_planted_anomaly_is_flagged(client: ji.Client) -> None:
    df = sk_frame("wine").drop(columns="target")
    m = client.models.train(df, "anomaly", name="q-anomaly")
    odd = df.iloc[[10]].copy()
    odd["proline"] = df["proline"].max() * 4
    odd["alcohol"] = df["alcohol"].min() / 3
    batch = pd.concat([df.iloc[:50], odd], ignore_index=True)
    res = client.models.infer(m, batch, anomaly_format="per_row")
    out = res.to_pandas()
    assert bool(out.loc[50, "is_anomaly"])
    assert out["anomaly_score"].idxmax() == 50
    why = res.descriptions["anomaly_descriptions"]["50"]["description"]
    assert "proline" in why or "alcohol" in why


def test_a_training_row_used_as_a_query_finds_itself(client: ji.Client, penguins: pd.DataFrame) -> None:
    m = client.models.train(penguins, "search", name="q-search")
    rows = [0, 17, 100, 250]
    out = client.models.infer(m, penguins.iloc[rows].reset_index(drop=True)).to_pandas()
    assert out["match_id"].tolist() == rows
    assert np.allclose(out["distance"], 0.0, atol=1e-6)


def test_factors_describe_wine_chemistry(client: ji.Client) -> None:
    df = sk_frame("wine").drop(columns="target")
    m = client.models.train(df, "factors", name="q-factors")
    out = client.models.infer(m, df).to_pandas()
    assert 2 <= len(out) <= 10
    assert out["captured_variance"].is_monotonic_decreasing or len(out) == 1
    assert 0 < out["captured_variance"].sum() <= 1.0
    assert "flavanoids" in " ".join(out["factor_description"])


def test_embedding_keeps_neighbourhoods(client: ji.Client) -> None:
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    df = sk_frame("wine")
    m = client.models.train(df.drop(columns="target"), "embedding", name="q-embed")
    emb = client.models.infer(m, df.drop(columns="target")).to_pandas().drop(columns="id")
    knn = cross_val_score(KNeighborsClassifier(5), emb, df["target"], cv=5).mean()
    assert knn >= 0.9


def test_training_records_where_time_went_and_every_candidate(client: ji.Client) -> None:
    m = client.models.train(sk_frame("wine"), "prediction", label_column="target", name="q-phases")
    info = client.models.get("q-phases").record["current_version"]["info"]
    assert {"ingest", "validate", "fit", "save", "total"} <= set(info["phase_seconds"])
    assert all(v >= 0 for v in info["phase_seconds"].values())
    assert {"gradient_boosting", "random_forest", "linear"} <= set(m.metrics["candidates"])


def test_results_report_the_columns_that_drifted(client: ji.Client) -> None:
    import io

    import pyarrow.parquet as pq

    df = sk_frame("wine").drop(columns="target").sample(frac=1.0, random_state=0)
    m = client.models.train(df.iloc[:130], "anomaly", name="q-drift")
    same = client.models.infer(m, df.iloc[130:])
    assert same.drift["moved"] == [] and "proline" in same.drift["psi"]
    moved = client.models.infer(m, df.iloc[130:].assign(proline=lambda d: d["proline"] * 3))
    assert [c["column"] for c in moved.drift["moved"]] == ["proline"]
    meta = pq.read_table(io.BytesIO(moved.to_parquet())).schema.metadata
    assert b"proline" in meta[b"drift"]
