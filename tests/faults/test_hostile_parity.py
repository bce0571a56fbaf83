"""Found item 9: the same bad argument raises the same exception class on the embedded engine and over HTTP (the
``client`` fixture runs every test on both backends)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer._exceptions import OptionError


def _id(v: Any) -> str:
    try:
        text = repr(v)
    except ValueError:  # a number of more than 4300 digits
        return f"{type(v).__name__}-too-long"
    return text[:40]


@pytest.fixture(scope="module")
def search(client: ji.Client, penguins: pd.DataFrame) -> ji.Model:
    return client.models.train(penguins, "search", name="parity-search", params={"training_mode": "fast"})  # type: ignore[return-value]


@pytest.mark.parametrize("k", [2.5, True, 0, -1, "3", 10**6, 10**5000, float("nan")], ids=_id)
def test_a_bad_k_is_an_option_error(client: ji.Client, search: ji.Model, penguins: pd.DataFrame, k: Any) -> None:
    with pytest.raises(OptionError, match="k must"):
        client.models.infer(search, penguins.head(3), k=k)
    with pytest.raises(OptionError, match="k must"):
        client.models.infer_async(search, penguins.head(3), k=k)


@pytest.mark.parametrize(
    "kwargs",
    [{"exclude_self_matches": "yes"}, {"output_type": 5}, {"output_type": "xml"}, {"id_column": 3},
     {"anomaly_format": ["per_row"]}, {"model_version_id": 7}, {"factor_scores": 1}],
    ids=lambda kw: "-".join(f"{k}={v!r}" for k, v in kw.items()),
)  # fmt: skip
def test_bad_inference_options_are_option_errors(
    client: ji.Client, search: ji.Model, penguins: pd.DataFrame, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(OptionError):
        client.models.infer(search, penguins.head(3), **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{"limit": -5}, {"limit": 0}, {"limit": 2.5}, {"limit": True}, {"status": "bogus"}, {"status": "pending"},
     {"type": "export"}, {"status": 3}],
    ids=lambda kw: "-".join(f"{k}={v!r}" for k, v in kw.items()),
)  # fmt: skip
def test_bad_job_listing_arguments_are_option_errors(client: ji.Client, kwargs: dict[str, Any]) -> None:
    with pytest.raises(OptionError):
        client.jobs.list(**kwargs)


def test_a_good_job_listing_agrees(client: ji.Client, search: ji.Model) -> None:
    jobs = client.jobs.list(limit=1)
    assert len(jobs) == 1
    assert all(j.type == "train" for j in client.jobs.list(type="train", limit=5))


@pytest.mark.parametrize(
    "params",
    [[1, 2], "n_clusters=3", {"n_clusters": float("nan")}, {"n_clusters": float("1e400")}, {"n_clusters": 10**5000},
     {"n_clusters": 2.5}, {"n_clusters": True}, {3: 4}, {"nope": 1}],
    ids=_id,
)  # fmt: skip
def test_bad_training_params_are_option_errors(client: ji.Client, penguins: pd.DataFrame, params: Any) -> None:
    with pytest.raises(OptionError):
        client.models.train(penguins.head(30), "clustering", name="parity-bad", params=params)


@pytest.mark.parametrize("days", [float("nan"), float("inf"), -1, "1", True, None, 10**6], ids=_id)
def test_a_bad_prune_age_is_an_option_error(client: ji.Client, days: Any) -> None:
    with pytest.raises(OptionError):
        client.jobs.prune(days)


@pytest.mark.parametrize("ref", [3, None, 2.5, ["parity-search"]], ids=_id)
def test_a_model_that_is_not_a_name_is_an_option_error(
    client: ji.Client, search: ji.Model, penguins: pd.DataFrame, ref: Any
) -> None:
    with pytest.raises(OptionError):
        client.models.infer(ref, penguins.head(3))
