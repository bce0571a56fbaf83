"""Columns a data scientist's tables hold that the common ones do not (an attacker's pass found each one failing):
an infinite label, datetimes written as epoch numbers (pandas' JSON default), durations, object columns that mix
numbers and text, very long category values and missing levels in the descriptions, a datetime label."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer.engine.schema import NUMERIC, kind_of


def frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["x", "y", "z"], n)})


def test_an_infinite_label_is_named_not_a_raw_scikit_learn_error(local_client: ji.Client) -> None:
    df = frame().assign(y=lambda d: d["a"] * 2.0)
    df.loc[[3, 7], "y"] = [np.inf, -np.inf]
    with pytest.raises(ji.InputError) as e:
        local_client.models.train(df, "prediction", label_column="y", name="inf")
    msg = str(e.value)
    assert '"y"' in msg and "2 infinite values" in msg and "internal" not in msg, msg
    assert local_client.models.list() == [] and local_client.jobs.list(status="running") == []


def test_datetimes_written_as_epoch_numbers_are_read_in_their_unit(local_client: ji.Client, tmp_path: Path) -> None:
    """pandas' ``to_json`` writes datetimes as epoch milliseconds: read back, they are the same instants, not
    nanoseconds after 1970 (and seconds or microseconds likewise)."""
    rng = np.random.default_rng(1)
    when = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, 300), unit="D")
    df = pd.DataFrame({"when": when, "v": rng.normal(size=300)})
    df["y"] = (df["when"].dt.month > 6) ^ (df["v"] > 1.5)
    model = local_client.models.train(df, "prediction", label_column="y", name="dates")
    X = df.drop(columns="y").head(40)
    want = local_client.models.infer(model, X).to_pandas()["prediction_prob"]
    p = tmp_path / "x.json"
    X.to_json(p, orient="records", date_format="epoch")  # "when" as epoch milliseconds (pandas 2 default)
    assert isinstance(json.loads(p.read_text())[0]["when"], int)
    got = local_client.models.infer(model, str(p)).to_pandas()["prediction_prob"]
    np.testing.assert_allclose(got, want)
    since = X["when"] - pd.Timestamp("1970-01-01")
    for unit in ("s", "ms", "us", "ns"):
        res = local_client.models.infer(model, X.assign(when=since // pd.Timedelta(1, unit)))
        np.testing.assert_allclose(res.to_pandas()["prediction_prob"], want, err_msg=unit)
    # each value's unit by its own size: a row reads the same whatever else its batch holds (here zeros)
    ms = (since // pd.Timedelta(1, "ms")).to_numpy().copy()
    ms[:25] = 0  # most of the batch
    res = local_client.models.infer(model, X.assign(when=ms)).to_pandas()["prediction_prob"]
    np.testing.assert_allclose(res[25:], want[25:])


def test_a_duration_column_is_a_number_of_seconds(local_client: ji.Client) -> None:
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"took": pd.to_timedelta(rng.integers(1, 600, 200), unit="s"), "b": rng.normal(size=200)})
    assert kind_of(df["took"]) == NUMERIC
    model = local_client.models.train(df, "clustering", name="durations", params={"n_clusters": 2})
    res = local_client.models.infer(model, df)
    assert res.reconciliation["coerced"] == []
    text = json.dumps(res.descriptions)
    assert "took" in text and "text_" not in text, text  # described as a number, not as words of a text


def test_a_mixed_object_column_scored_as_trained_is_not_reported_coerced(local_client: ji.Client) -> None:
    df = frame().assign(mix=[1, "two", 3.5, None] * 50)
    model = local_client.models.train(df, "anomaly", name="mixed")
    assert local_client.models.infer(model, df).reconciliation == {"dropped": [], "missing": [], "coerced": []}


def test_descriptions_cut_long_values_and_name_missing_in_words(local_client: ji.Client) -> None:
    df = frame(300)
    df["long"] = ["x" * 5000 + str(i % 3) for i in range(300)]
    df["mix"] = ([1, "two", None] * 100)[:300]
    for kind, params in (("factors", {}), ("clustering", {"n_clusters": 3})):
        model = local_client.models.train(df, kind, name=f"long-{kind}", params=params)
        text = json.dumps(local_client.models.infer(model, df.head(5)).descriptions)
        assert "__missing__" not in text, text[:500]
        assert "x" * 100 not in text and len(text) < 20_000, len(text)


def test_a_datetime_label_says_datetimes_are_not_labels(local_client: ji.Client) -> None:
    df = frame().assign(y=pd.date_range("2024-01-01", periods=200, freq="h"))
    with pytest.raises(ji.InputError, match='"y" holds dates and times'):
        local_client.models.train(df, "prediction", label_column="y", name="when")
    with pytest.raises(ji.InputError, match=r'"y" holds durations.*total_seconds'):
        local_client.models.train(df.assign(y=df["y"] - df["y"].min()), "prediction", label_column="y", name="took")


def test_infinite_and_huge_feature_values_train_and_score_every_type(local_client: ji.Client) -> None:
    """An infinity (a division by zero upstream) is a missing value, named in ``coerced`` at inference; a finite
    value past float32's range (1e300) is the largest value the trees know. Before: ``best`` prediction failed with
    "Input X contains infinity" as an internal error, anomaly scores reached 3.6e307, and the float32 cast warned."""
    df = frame(300).assign(y=lambda d: d["a"] > 0)
    df.loc[3, "a"], df.loc[4, "b"], df.loc[5, "a"] = np.inf, -np.inf, 1e300
    X = df.drop(columns="y").head(6).copy()
    X.loc[0, "a"], X.loc[1, "a"], X.loc[2, "b"] = np.inf, 1e300, -np.inf
    for kind, kw in (("prediction", {"label_column": "y"}), ("clustering", {}), ("anomaly", {}), ("factors", {})):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message="overflow encountered in cast")
            model = local_client.models.train(df, kind, name=f"inf-{kind}", **kw)  # type: ignore[arg-type]
            res = local_client.models.infer(model, X, **({"anomaly_format": "per_row"} if kind == "anomaly" else {}))
        assert res.reconciliation["coerced"] == ["a", "b"], (kind, res.reconciliation)
        out = res.to_pandas()
        numbers = out.select_dtypes("number").to_numpy(dtype=float)
        assert np.isfinite(numbers).all() and np.abs(numbers).max() < 1e6, (kind, out)
    assert local_client.jobs.list(status="running") == []


def test_a_label_with_a_value_per_row_is_refused_as_id_like(local_client: ji.Client) -> None:
    """Every class one row (an id-like label): best's holdout had nothing left to validate on once such classes
    train, and failed as an internal error (a fit on 0 rows); nothing can be learned, so it is refused by name."""
    df = frame(40).assign(code=[f"k{i}" for i in range(40)])
    for mode in ("best", "fast"):
        with pytest.raises(ji.InputError, match='"code" has a different value in every row'):
            local_client.models.train(df, "prediction", label_column="code", name="ids", params={"training_mode": mode})
    assert local_client.models.list() == []


def test_a_duration_column_reads_back_from_csv_and_json_text(local_client: ji.Client, tmp_path: Path) -> None:
    """Trained on a duration, scored on the same rows written as CSV ("0 days 00:00:12") or ISO JSON
    ("P0DT0H0M12S"): the values were lost (every one null) and the column reported coerced."""
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"took": pd.to_timedelta(rng.integers(1, 600, 300), unit="s"), "b": rng.normal(size=300)})
    df["slow"] = df["took"].dt.total_seconds() > 300
    model = local_client.models.train(df, "prediction", label_column="slow", name="took")
    X = df.drop(columns="slow").head(30)
    want = local_client.models.infer(model, X).to_pandas()["prediction_prob"]
    X.to_csv(tmp_path / "x.csv", index=False)
    X.to_json(tmp_path / "x.json", orient="records", date_format="iso")
    seconds = X.assign(took=X["took"].dt.total_seconds())
    for data in (str(tmp_path / "x.csv"), str(tmp_path / "x.json"), seconds):
        res = local_client.models.infer(model, data)
        np.testing.assert_allclose(res.to_pandas()["prediction_prob"], want, err_msg=str(data)[:40])
        assert res.reconciliation["coerced"] == [], (str(data)[:40], res.reconciliation)  # nothing was lost
    # text that is neither a number nor a duration (a thousands separator) is lost and said so, not read as ns
    res = local_client.models.infer(model, X.head(2).assign(took=["1,000", "2,5"]))
    missing = local_client.models.infer(model, X.head(2).assign(took=[None, None])).to_pandas()["prediction_prob"]
    assert res.reconciliation["coerced"] == ["took"]
    np.testing.assert_allclose(res.to_pandas()["prediction_prob"], missing)
