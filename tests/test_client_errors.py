"""The bad-input catalogue: each gives a clear error that names the problem and leaves the store consistent."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import jupyter_infer as ji


@pytest.fixture(scope="module")
def trained(client: ji.Client, penguins: pd.DataFrame) -> dict[str, ji.Model]:
    fast = {"training_mode": "fast"}
    return {
        "prediction": client.models.train(penguins, "prediction", label_column="species", name="err-pred", params=fast),
        "search": client.models.train(penguins, "search", name="err-search"),
    }


def store_snapshot(client: ji.Client) -> tuple[list[str], list[tuple[str, int]], list[str]]:
    models = sorted((m.name, m.version or 0) for m in client.models.list())
    active = [j.id for j in client.jobs.list(limit=500) if j.status in ("queued", "running")]
    return sorted(d.name for d in client.datasets.list()), models, active


def assert_clean_error(client: ji.Client, exc_type: type[Exception], match: str, fn, *args, **kwargs) -> None:
    before = store_snapshot(client)
    with pytest.raises(exc_type, match=match) as info:
        fn(*args, **kwargs)
    assert len(str(info.value)) < 400  # one or two sentences, not a wall
    after = store_snapshot(client)
    assert after[1] == before[1], "no model or version may appear from a failed request"
    assert after[2] == [], "no job may be left queued or running"


def test_unknown_model_suggests_the_closest_name(client: ji.Client, trained: dict, penguins: pd.DataFrame) -> None:
    assert_clean_error(client, ji.NotFoundError, "err-pred", client.models.infer, "err-prd", penguins)


@pytest.mark.parametrize(
    ("label", "frame", "match"),
    [
        ("nope", None, 'label column "nope" is not a column'),
        ("all_nan", lambda d: d.assign(all_nan=float("nan")), "has no values"),
        ("const", lambda d: d.assign(const="x"), "single value"),
        ("listy", lambda d: d.assign(listy=[[1, 2]] * len(d)), "lists, structs or bytes"),
        ("nested", lambda d: d.assign(nested=[{"a": 1}] * len(d)), "lists, structs or bytes"),
    ],
)
def test_bad_labels(client: ji.Client, penguins: pd.DataFrame, label: str, frame, match: str) -> None:
    data = frame(penguins) if frame else penguins
    exc = ji.InputError
    assert_clean_error(
        client, exc, match, client.models.train, data, "prediction", label_column=label, name="bad-label"
    )


def test_missing_label_for_prediction(client: ji.Client, penguins: pd.DataFrame) -> None:
    assert_clean_error(client, ji.OptionError, "needs a label column", client.models.train, penguins, "prediction")


def test_empty_input(client: ji.Client, penguins: pd.DataFrame, trained: dict) -> None:
    assert_clean_error(client, ji.InputError, "no rows", client.models.infer, trained["prediction"], penguins.iloc[:0])
    assert_clean_error(client, ji.InputError, "no rows", client.models.train, penguins.iloc[:0], "clustering")


def test_header_only_csv(client: ji.Client, tmp_path: Path, trained: dict) -> None:
    p = tmp_path / "header.csv"
    p.write_text("bill_length_mm,bill_depth_mm\n")
    assert_clean_error(
        client, ji.InputError, "header.csv has no rows", client.models.infer, trained["prediction"], str(p)
    )


def test_file_that_is_not_what_its_extension_says(
    client: ji.Client, tmp_path: Path, penguins: pd.DataFrame, trained: dict
) -> None:
    fake = tmp_path / "really_parquet.csv"
    penguins.to_parquet(fake)
    assert_clean_error(
        client,
        ji.InputError,
        "really_parquet.csv is a Parquet file",
        client.models.infer,
        trained["prediction"],
        str(fake),
    )
    text = tmp_path / "text.parquet"
    text.write_text("a,b\n1,2\n")
    assert_clean_error(
        client,
        ji.InputError,
        "text.parquet is not a Parquet file",
        client.models.infer,
        trained["prediction"],
        str(text),
    )


def test_undecodable_csv(client: ji.Client, tmp_path: Path, trained: dict) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes("island,sex\nBiscoe,m\u00e4le\n".encode("latin-1") * 3)
    assert_clean_error(
        client, ji.InputError, "latin1.csv is not valid UTF-8", client.models.infer, trained["prediction"], str(p)
    )


def test_duplicate_column_names(client: ji.Client, tmp_path: Path, penguins: pd.DataFrame, trained: dict) -> None:
    p = tmp_path / "dups.csv"
    p.write_text("island,island,sex\nBiscoe,Dream,male\n")
    assert_clean_error(
        client, ji.InputError, "duplicate column names: island", client.models.infer, trained["prediction"], str(p)
    )
    dup = pd.concat([penguins, penguins[["island"]]], axis=1)
    assert_clean_error(client, ji.InputError, "duplicate column names: island", client.models.train, dup, "clustering")


def test_inference_data_sharing_no_column(client: ji.Client, trained: dict) -> None:
    other = pd.DataFrame({"x": [1, 2], "y": ["a", "b"]})
    assert_clean_error(
        client,
        ji.InputError,
        "shares no column with the training data",
        client.models.infer,
        trained["prediction"],
        other,
    )


@pytest.mark.parametrize(
    ("model", "kwargs", "match"),
    [
        ("prediction", {"anomaly_format": "per_row"}, "anomaly_format applies to anomaly models only"),
        ("search", {"k": 0}, "k must be at least 1"),
        ("search", {"k": -3}, "k must be at least 1"),
        ("prediction", {"k": 2}, "k applies to search models only"),
        ("prediction", {"output_type": "xlsx"}, "Unknown output type"),
    ],
)
def test_options_that_do_not_apply(
    client: ji.Client, trained: dict, penguins: pd.DataFrame, model: str, kwargs: dict, match: str
) -> None:
    assert_clean_error(client, ji.OptionError, match, client.models.infer, trained[model], penguins, **kwargs)


def test_unknown_params_key_suggests_the_right_one(client: ji.Client, penguins: pd.DataFrame) -> None:
    assert_clean_error(
        client,
        ji.OptionError,
        'Did you mean "n_clusters"',
        client.models.train,
        penguins,
        "clustering",
        params={"n_cluster": 3},
    )
    assert_clean_error(
        client,
        ji.OptionError,
        "applies to clustering models",
        client.models.train,
        penguins,
        "anomaly",
        params={"n_clusters": 3},
    )
    assert_clean_error(
        client,
        ji.OptionError,
        "contamination must lie in",
        client.models.train,
        penguins,
        "anomaly",
        params={"contamination": 0.9},
    )


def test_unknown_model_type(client: ji.Client, penguins: pd.DataFrame) -> None:
    assert_clean_error(client, ji.OptionError, 'Did you mean "clustering"', client.models.train, penguins, "clustring")


def test_reconciliation_reports_dropped_missing_and_coerced(
    client: ji.Client, trained: dict, penguins: pd.DataFrame
) -> None:
    data = penguins.drop(columns=["species", "sex"]).assign(extra=1)
    data["bill_length_mm"] = data["bill_length_mm"].astype(str).where(data.index % 2 == 0, "not a number")
    res = client.models.infer(trained["prediction"], data)
    rec = res.reconciliation
    assert rec["dropped"] == ["extra"]
    assert rec["missing"] == ["sex"]
    assert rec["coerced"] == ["bill_length_mm"]
    assert len(res.to_pandas()) == len(penguins)
