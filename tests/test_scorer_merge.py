"""BatchScorer.state()/merge(): scorers over the parts of an input, merged in input order, describe the input as one
scorer over all of it does. The Dask executor relies on this (each partition has its own scorer on a worker);
tests/dask/test_dask_results.py checks the same end to end on a real cluster, this checks it without one, for every type."""

from __future__ import annotations

import itertools
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from jupyter_infer.engine.model import train
from jupyter_infer.engine.options import InferOptions

CASES = {
    "prediction": ({"label_column": "species", "params": {"training_mode": "fast"}}, {}),
    "clustering": ({}, {}),
    "anomaly": ({"params": {"contamination": 0.2}}, {"anomaly_format": "per_row"}),
    "embedding": ({}, {}),
    "search": ({}, {"k": 2}),
    "factors": ({}, {}),
}


def _inference_rows(penguins: pd.DataFrame) -> pd.DataFrame:
    df = penguins.drop(columns=["species"]).copy()
    df["extra"] = 1.0  # not in the schema: reported as dropped by every part
    df.loc[df.index[::7], "bill_length_mm"] = np.nan  # missing values spread over the parts
    df.loc[df.index[5], "body_mass_g"] = 60_000.0  # one clear anomaly, in the first part
    return df


def _rounded(obj: object) -> object:
    """Floats to 9 significant digits: merged sums are added in another order than one running sum."""
    if isinstance(obj, float):
        return float(f"{obj:.9g}")
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_rounded(v) for v in obj]
    return obj


def _summary(scorer, outputs: list[pd.DataFrame | None]) -> dict:  # type: ignore[no-untyped-def]
    tail = scorer.finish()
    frames = [o for o in [*outputs, tail] if o is not None]
    out = pd.concat(frames, ignore_index=True) if frames else None
    return {
        "rows_in": scorer.rows_in,
        "reconciliation": scorer.reconciliation.to_dict(),
        "descriptions": _rounded(json.loads(json.dumps(scorer.descriptions(), default=str))),
        "output": out,
    }


@pytest.mark.parametrize("model_type", list(CASES))
def test_parts_merged_in_order_equal_one_scorer_over_all_rows(penguins: pd.DataFrame, model_type: str) -> None:
    train_kw, opt_kw = CASES[model_type]
    art = train(penguins, model_type, **train_kw)
    opts = InferOptions(**opt_kw).resolve(model_type)
    df = _inference_rows(penguins)

    whole = art.scorer(opts)
    expected = _summary(whole, [whole.score(df, 0)])

    bounds = [0, 40, 41, 200, len(df)]  # uneven parts, one of a single row
    states, outputs = [], []
    for lo, hi in itertools.pairwise(bounds):
        part = art.scorer(opts)
        outputs.append(part.score(df.iloc[lo:hi], lo))
        states.append(part.state())
    states = pickle.loads(pickle.dumps(states))  # as they travel from Dask workers
    merged = art.scorer(opts)
    merged.merge(states)
    got = _summary(merged, outputs)

    assert got["rows_in"] == expected["rows_in"] == len(df)
    assert got["reconciliation"] == expected["reconciliation"]
    assert "extra" in got["reconciliation"]["dropped"]
    assert got["descriptions"] == expected["descriptions"]
    if expected["output"] is None:
        assert got["output"] is None
    else:
        pd.testing.assert_frame_equal(got["output"], expected["output"], check_exact=False, rtol=1e-9)
    if model_type == "anomaly":
        described = got["descriptions"]["anomaly_descriptions"]
        assert "5" in described, "the planted anomaly in the first part is described after the merge"
    if model_type == "factors":
        assert got["output"] is not None and "captured_variance" in got["output"].columns
