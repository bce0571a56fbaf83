"""The bad-input catalogue: each gives a clear error that names the problem and leaves the store consistent."""

from __future__ import annotations

import re
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
        (
            "many",
            lambda d: d.assign(many=[f"c{i % 150}" for i in range(len(d))]),
            "150 distinct values; .* at most 100",
        ),
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


def test_an_input_column_named_twice_is_refused_before_ingest(client: ji.Client, penguins: pd.DataFrame) -> None:
    before = store_snapshot(client)[0]
    assert_clean_error(
        client, ji.OptionError, 'The input column "bill_length_mm" is named twice',
        client.models.train, penguins, "clustering", name="twice", input_columns=["bill_length_mm", "bill_length_mm"],
    )  # fmt: skip
    _assert_no_new_dataset(client, before)


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


def _assert_no_new_dataset(client: ji.Client, before: list[str]) -> None:
    assert sorted(d.name for d in client.datasets.list()) == before, "a refused training request ingests nothing"


def test_more_clusters_than_rows_is_refused_before_ingest(client: ji.Client, penguins: pd.DataFrame) -> None:
    before = store_snapshot(client)[0]
    assert_clean_error(
        client, ji.OptionError, "n_clusters=10 needs more training rows than clusters; the training data has 5 rows",
        client.models.train, penguins.head(5), "clustering", name="tiny", params={"n_clusters": 10},
    )  # fmt: skip
    _assert_no_new_dataset(client, before)


def test_retraining_a_name_with_another_label_or_type_is_refused_before_ingest(
    client: ji.Client, penguins: pd.DataFrame, trained: dict, tmp_path: Path
) -> None:
    """Another label or type under a model's name is a conflict; a misspelt label is named as a typo (did you mean),
    not as a second label that needs another name: for a DataFrame, a pyarrow Table, a file and a stored dataset.
    Nothing is stored."""
    import pyarrow as pa

    path = tmp_path / "birds.csv"
    penguins.to_csv(path, index=False)
    stored = client.datasets.create(penguins, name="err-birds")
    before = store_snapshot(client)[0]
    assert_clean_error(
        client, ji.ConflictError, 'A prediction model is already named "err-pred"',
        client.models.train, penguins, "clustering", name="err-pred",
    )  # fmt: skip
    for data in (penguins, pa.Table.from_pandas(penguins), str(path), "dataset:err-birds", stored):
        for label, error, match in (
            ("island", ji.ConflictError, 'Model "err-pred" predicts "species"; this request\'s label is "island"'),
            ("specis", ji.InputError, 'The label column "specis" is not a column of the training data. Did you mean'),
        ):
            assert_clean_error(
                client, error, match, client.models.train, data, "prediction", label_column=label, name="err-pred"
            )
    _assert_no_new_dataset(client, before)


def test_unnamed_tables_with_other_labels_train_models_of_their_own(client: ji.Client, penguins: pd.DataFrame) -> None:
    """A table trained without a name gets <type>-<label> (prediction) or <type>-model: two unnamed predictions of
    different labels are two models, not one refused as 'choose another name' when no name was ever chosen."""
    fast = {"training_mode": "fast"}
    sex = client.models.train(penguins.dropna(subset=["sex"]), "prediction", label_column="sex", params=fast)
    island = client.models.train(penguins, "prediction", label_column="island", params=fast)
    groups = client.models.train(penguins, "clustering", params={"n_clusters": 3})
    assert (sex.name, island.name, groups.name) == ("prediction-sex", "prediction-island", "clustering-model")


def test_an_unnamed_file_trained_for_another_label_gets_a_model_of_its_own(
    client: ji.Client, penguins: pd.DataFrame, tmp_path: Path
) -> None:
    """A file trained twice without a name, for two labels: the second gets <type>-<stem>-<label> instead of being
    refused as 'choose another name' (the first keeps <type>-<stem>, as before)."""
    path = tmp_path / "birds.csv"
    penguins.dropna(subset=["sex"]).to_csv(path, index=False)
    fast = {"training_mode": "fast"}
    first = client.models.train(str(path), "prediction", label_column="species", params=fast)
    second = client.models.train(str(path), "prediction", label_column="sex", params=fast)
    again = client.models.train(str(path), "prediction", label_column="species", params=fast)
    assert (first.name, second.name, again.name) == ("prediction-birds", "prediction-birds-sex", "prediction-birds")
    assert again.version == first.version + 1


def test_unknown_job_filters_and_negative_prune_are_refused(client: ji.Client) -> None:
    n_jobs = len(client.jobs.list(limit=500))
    with pytest.raises(ji.OptionError, match=r'Unknown job status "runing".*Did you mean "running"'):
        client.jobs.list(status="runing")
    with pytest.raises(ji.OptionError, match='Unknown job type "infer_syncc"'):
        client.jobs.list(type="infer_syncc")
    with pytest.raises(ji.OptionError, match="older_than_days"):
        client.jobs.prune(-1)
    assert len(client.jobs.list(limit=500)) == n_jobs, "nothing was pruned"


def test_search_exclude_self_with_text_ids(client: ji.Client, penguins: pd.DataFrame, trained: dict) -> None:
    """Training ids are row positions; query ids from a text column compare by their text (no crash), so a query
    row keyed "3" is training row 3 and does not match itself."""
    query = penguins.head(4).assign(key=["q0", "q1", "q2", "3"])
    out = client.models.infer(trained["search"], query, id_column="key", exclude_self_matches=True, k=2).to_pandas()
    assert list(out["id"]) == ["q0", "q0", "q1", "q1", "q2", "q2", "3", "3"]
    assert 3 not in set(out.loc[out["id"] == "3", "match_id"])
    assert 0 in set(out.loc[out["id"] == "q0", "match_id"])  # "q0" is not row 0's id: its own row may match


def test_saving_where_no_file_can_be_written_names_the_path(
    client: ji.Client, penguins: pd.DataFrame, trained: dict, tmp_path: Path
) -> None:
    res = client.models.infer(trained["prediction"], penguins.head(3))
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ji.InputError, match=re.escape(f"Cannot write {blocker}/out.csv")):
        res.save(blocker / "out.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_search_match_id_uses_the_training_datas_id_column(client: ji.Client, penguins: pd.DataFrame) -> None:
    """SPEC §4: with id_column at inference, match_id uses the training data's id_column too, even when the model
    was trained without naming it (an id-like column is dropped from the features but its values are kept)."""
    data = penguins.assign(rid=[f"r{i}" for i in range(len(penguins))])
    model = client.models.train(data, "search", name="search-rid")
    out = client.models.infer(model, data.head(3), id_column="rid", k=2).to_pandas()
    assert list(out["id"]) == ["r0", "r0", "r1", "r1", "r2", "r2"]
    assert list(out["match_id"][::2]) == ["r0", "r1", "r2"]  # each row's nearest training row is itself
    assert set(out["match_id"]) <= set(data["rid"])
    no_self = client.models.infer(model, data.head(3), id_column="rid", exclude_self_matches=True).to_pandas()
    assert (no_self["match_id"] != no_self["id"]).all() and no_self["match_id"].str.startswith("r").all()
    plain = client.models.infer(model, data.head(2), output_type="json").to_json()
    assert plain == {"0": "0", "1": "1"}  # without id_column: row positions, as before


def test_a_semicolon_separated_csv_is_named_as_such(client: ji.Client, penguins: pd.DataFrame, trained: dict,
                                                    tmp_path: Path) -> None:  # fmt: skip
    """Excel in many locales saves CSV with semicolons: read as one column "a;b;c", training learnt from a single
    text column and inference said only "shares no column"; both now say what the file is."""
    p = tmp_path / "semi.csv"
    penguins.to_csv(p, index=False, sep=";")
    for fn, args in ((client.models.train, (str(p), "clustering")), (client.models.infer, (trained["search"], str(p)))):
        assert_clean_error(client, ji.InputError, "semi.csv looks separated by semicolons", fn, *args)
