"""Property-based tests of the client on both backends: any DataFrame (dtypes, NaN, unicode and duplicate column
names, empty) and any option values give either a result with the SPEC §4 columns or one of our exceptions
(``jupyter_infer._exceptions``), never another exception and never a server error."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jupyter_infer as ji
from jupyter_infer._exceptions import InferError, JobFailed, RemoteError

TYPES = ("prediction", "clustering", "anomaly", "embedding", "search", "factors")
PENGUIN_COLUMNS = ["species", "island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex",
                   "year"]  # fmt: skip
CI = settings(max_examples=30, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.data_too_large])  # fmt: skip


@pytest.fixture(scope="module")
def models(client: ji.Client, penguins: pd.DataFrame) -> dict[str, ji.Model]:
    out = {}
    for t in TYPES:
        label = "species" if t == "prediction" else None
        data = penguins if t == "prediction" else penguins.drop(columns="species")
        out[t] = client.models.train(data, t, label_column=label, name=f"props-{t}", params={"training_mode": "fast"})
    return out  # type: ignore[return-value]


# ---- strategies -----------------------------------------------------------------------------------------------
names = st.one_of(st.sampled_from(PENGUIN_COLUMNS), st.text(max_size=6), st.sampled_from(["", " ", "id", "é", "𝔁"]))
floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


def _column(kind: str, n: int, draw: Any) -> list[Any] | pd.Series:
    if kind == "int":
        return draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))
    if kind == "float":
        return draw(st.lists(floats, min_size=n, max_size=n))
    if kind == "bool":
        return draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if kind == "text":
        return draw(st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=n, max_size=n))
    if kind == "category":
        return pd.Series(draw(st.lists(st.sampled_from(["Adelie", "Gentoo", "Dream", "x"]), min_size=n, max_size=n)),
                         dtype="category")  # fmt: skip
    if kind == "date":
        return draw(st.lists(st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1)),
                             min_size=n, max_size=n))  # fmt: skip
    if kind == "mixed":
        return draw(st.lists(st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none(), floats), min_size=n,
                             max_size=n))  # fmt: skip
    if kind == "dict":
        return draw(st.lists(st.one_of(st.none(), st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
                                       st.integers()), min_size=n, max_size=n))  # fmt: skip
    return [np.nan] * n  # all missing


@st.composite
def random_frames(draw: Any) -> pd.DataFrame:
    n = draw(st.integers(0, 12))
    cols = draw(st.lists(st.tuples(names, st.sampled_from(KINDS)), max_size=6))
    series = [pd.Series(_column(kind, n, draw), name=name) for name, kind in cols]
    if not series:
        return pd.DataFrame(index=range(n))
    df = pd.concat(series, axis=1)
    df.columns = [name for name, _ in cols]  # duplicates stay duplicates
    return df


@st.composite
def penguin_frames(draw: Any) -> pd.DataFrame:
    """Real rows, perturbed: a subset of the columns, some cast or emptied, some values missing, extra columns of
    any kind (a name may repeat one of the frame's)."""
    from palmerpenguins import load_penguins

    base = load_penguins()
    n = draw(st.integers(0, 15))
    rows = draw(st.lists(st.integers(0, len(base) - 1), min_size=n, max_size=n))
    keep = draw(st.lists(st.sampled_from(PENGUIN_COLUMNS), min_size=1, max_size=8, unique=True))
    df = base.iloc[rows][keep].reset_index(drop=True)
    for c in keep:
        how = draw(st.sampled_from(["as is", "as is", "as is", "text", "nan", "some nan", "negate", "inf"]))
        if how == "text":
            df[c] = df[c].astype(str)
        elif how == "nan":
            df[c] = np.nan
        elif how == "some nan" and n:
            df.loc[draw(st.integers(0, n - 1)), c] = None
        elif how == "negate" and pd.api.types.is_numeric_dtype(df[c]):
            df[c] = -df[c] * 1e12
        elif how == "inf" and n and pd.api.types.is_float_dtype(df[c]):
            df.loc[draw(st.integers(0, n - 1)), c] = draw(st.sampled_from([np.inf, -np.inf, 1e300]))
    for name, kind in draw(st.lists(st.tuples(names, st.sampled_from(KINDS)), max_size=2)):
        extra = pd.Series(_column(kind, n, draw))
        df = pd.concat([df, extra.rename(name)], axis=1)
    return df


frames = st.one_of(penguin_frames(), penguin_frames(), penguin_frames(), random_frames())
KINDS = ["int", "float", "bool", "text", "category", "date", "mixed", "dict", "empty"]


def options_for(model_type: str, columns: list[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Options that fit the model type most of the time, and anything at all some of the time."""
    fitting: dict[str, st.SearchStrategy[Any]] = {"output_type": st.sampled_from(["json", "csv", "parquet"])}
    if model_type == "search":
        fitting.update(k=st.integers(1, 4), exclude_self_matches=st.booleans())
    elif model_type == "anomaly":
        fitting["anomaly_format"] = st.sampled_from(["ids_only", "per_row"])
    elif model_type == "factors":
        fitting["factor_scores"] = st.booleans()
    elif model_type == "prediction":
        fitting["prob_columns"] = st.booleans()
    if columns:
        fitting["id_column"] = st.sampled_from(columns)
    return st.one_of(st.fixed_dictionaries({}, optional=fitting), st.fixed_dictionaries({}, optional=fitting),
                     anything)  # fmt: skip


anything = st.fixed_dictionaries(
    {},
    optional={
        "output_type": st.one_of(st.sampled_from(["json", "csv", "parquet"]), st.text(max_size=4), st.integers()),
        "anomaly_format": st.one_of(st.sampled_from(["ids_only", "per_row"]), st.text(max_size=4)),
        "k": st.one_of(st.integers(-2, 12), st.floats(allow_nan=True), st.booleans(), st.text(max_size=2)),
        "exclude_self_matches": st.one_of(st.booleans(), st.integers(0, 1)),
        "id_column": st.one_of(names, st.integers()),
        "factor_scores": st.booleans(),
        "prob_columns": st.booleans(),
    },
)


# ---- the contract ---------------------------------------------------------------------------------------------
def expected_columns(model_type: str, opts: dict[str, Any], columns: list[str]) -> None:
    if model_type == "prediction":
        assert columns[:2] == ["id", "prediction"]
    elif model_type == "clustering":
        assert columns == ["id", "cluster_label", "cluster_description"]
    elif model_type == "anomaly":
        if opts.get("anomaly_format") == "per_row":
            assert columns == ["id", "is_anomaly", "anomaly_score"]
        else:
            assert columns == ["anomalous_ids"]
    elif model_type == "embedding":
        assert columns[0] == "id" and columns[1:] == [f"dim_{i}" for i in range(len(columns) - 1)]
    elif model_type == "search":
        assert columns == (["id", "match_id", "distance", "rank"] if (opts.get("k") or 1) > 1
                           else ["id", "match_id", "distance"])  # fmt: skip
    elif opts.get("factor_scores"):
        assert columns[0] == "id" and all(c.startswith("factor_") for c in columns[1:])
    else:
        assert columns == ["factor_id", "factor_description", "captured_variance"]


def ours(e: BaseException) -> None:
    """One of our exceptions, and not a server error in disguise."""
    assert isinstance(e, InferError), f"{type(e).__name__}: {e}"
    assert not isinstance(e, RemoteError), f"a server error: {e}"
    assert not (isinstance(e, JobFailed) and "internal error" in str(e)), str(e)
    assert e.status < 500 or isinstance(e, JobFailed), f"status {e.status}: {e}"


@CI
@given(df=frames, model_type=st.sampled_from(TYPES), data=st.data())
def test_inference_gives_the_spec_columns_or_our_error(
    client: ji.Client, models: dict[str, ji.Model], df: pd.DataFrame, model_type: str, data: st.DataObject
) -> None:
    opts = data.draw(options_for(model_type, list(df.columns)), label="options")
    try:
        res = client.models.infer(models[model_type], df, **opts)
        table = res.to_pandas()
    except Exception as e:
        ours(e)
        return
    expected_columns(model_type, opts, list(table.columns))
    if model_type not in ("factors", "anomaly", "search") and "id_column" not in opts:
        assert len(table) == len(df)


@settings(CI, max_examples=10)
@given(df=frames, model_type=st.sampled_from(TYPES), data=st.data(), params=st.dictionaries(
    st.sampled_from(["n_clusters", "contamination", "n_components", "n_factors", "task", "x"]),
    st.one_of(st.integers(-3, 400), floats, st.text(max_size=5), st.none(), st.booleans()), max_size=2))  # fmt: skip
def test_training_gives_a_model_or_our_error(
    client: ji.Client, df: pd.DataFrame, model_type: str, data: st.DataObject, params: dict[str, Any]
) -> None:
    label = (
        data.draw(st.one_of(st.sampled_from(list(df.columns) or ["none"]), names))
        if model_type == "prediction"
        else None
    )
    params = data.draw(st.sampled_from([{}, params]), label="params")
    try:
        model = client.models.train(df, model_type, label_column=label, name=f"props-train-{model_type}",
                                    params={"training_mode": "fast", **params})  # fmt: skip
    except Exception as e:
        ours(e)
        return
    assert isinstance(model, ji.Model) and model.model_type == model_type
