"""LeanBoosting gives a fitted HistGradientBoosting model's own predictions, to the bit, for every kind of input."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier

from jupyter_infer.engine import persist
from jupyter_infer.engine.model import train
from jupyter_infer.engine.schema import align
from jupyter_infer.engine.types import _select
from jupyter_infer.engine.types._lean import PARALLEL_ROWS, LeanBoosting, predictor

CAT = [True, False, True, False, False]  # two categorical columns (codes 0..k-1, as the featurizer makes them)


def frame(n: int, seed: int, dtype: Any = np.float64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.integers(0, 6, n), rng.normal(size=n), rng.integers(0, 40, n), rng.exponential(size=n), rng.normal(size=n)]
    ).astype(dtype)
    X[rng.random((n, 5)) < 0.08] = np.nan  # missing values in every column, categorical ones included
    return X


def target(X: np.ndarray, kind: str) -> np.ndarray:
    score = np.nan_to_num(X[:, 1]) + 0.3 * (np.nan_to_num(X[:, 0]) % 3) + 0.1 * (np.nan_to_num(X[:, 2]) % 7)
    if kind == "regression":
        return score
    if kind == "binary":
        return np.where(score > 0.5, "yes", "no")
    return np.digitize(score, [0.0, 0.7, 1.4])  # 4 classes


def hard_rows(n: int) -> np.ndarray:
    """Rows a model never saw: unseen, negative, fractional and huge category codes, missing categories, missing
    and infinite numbers."""
    X = frame(n, seed=7)
    X[: n // 4, 0] = 6  # one past the known codes
    X[n // 4 : n // 2, 2] = np.array([-1, 2.5, 1e9])[np.arange(n // 2 - n // 4) % 3]
    X[1::5, 1] = np.inf
    X[2::5, 3] = -np.inf
    X[-3:, 0] = np.nan
    return X


def fitted(kind: str, categorical: bool, dtype: Any = np.float64) -> Any:
    X = frame(600, seed=1, dtype=dtype)
    cats = CAT if categorical else None
    if kind == "regression":
        return HistGradientBoostingRegressor(max_iter=30, categorical_features=cats, random_state=0).fit(
            X, target(X, kind)
        )
    return HistGradientBoostingClassifier(max_iter=30, categorical_features=cats, random_state=0).fit(
        X, target(X, kind)
    )


def assert_identical(lean: np.ndarray, own: np.ndarray) -> None:
    assert lean.dtype == own.dtype and lean.shape == own.shape
    np.testing.assert_array_equal(lean, own)  # exact: NaN in the same places, every other value bit for bit
    assert np.ascontiguousarray(lean).tobytes() == np.ascontiguousarray(own).tobytes()


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("categorical", [True, False], ids=["categorical", "numeric-only"])
@pytest.mark.parametrize("rows", [1, 5, PARALLEL_ROWS + 37], ids=["one-row", "few-rows", "many-rows"])
def test_lean_predictions_are_the_models_own_to_the_bit(kind: str, categorical: bool, rows: int) -> None:
    est = fitted(kind, categorical)
    lean = LeanBoosting(est)
    for X in (frame(rows, seed=3), hard_rows(max(rows, 8))[:rows]):
        own = est.predict_proba(X) if kind != "regression" else est.predict(X)
        assert_identical(lean(X), own)


def test_float32_matrices_and_a_model_fitted_on_them() -> None:
    # the featurizer's tree matrix is float32 where it can be: the categorical codes must compare the same way
    est = fitted("multiclass", True, dtype=np.float32)
    X = hard_rows(50).astype(np.float32)
    assert_identical(LeanBoosting(est)(X), est.predict_proba(X))


def test_a_non_default_link_is_inverted_as_the_model_does() -> None:
    X = frame(400, seed=2)
    y = np.exp(np.nan_to_num(X[:, 1]) / 2)
    est = HistGradientBoostingRegressor(loss="poisson", max_iter=20, categorical_features=CAT).fit(X, y)
    assert_identical(LeanBoosting(est)(hard_rows(40)), est.predict(hard_rows(40)))


def test_a_matrix_of_the_wrong_width_or_an_infinite_category_is_refused_as_the_model_refuses_it() -> None:
    est = fitted("binary", True)
    with pytest.raises(ValueError, match="expected 5 columns"):
        LeanBoosting(est)(np.zeros((1, 4)))
    X = frame(3, seed=5)
    X[1, 2] = np.inf  # the featurizer never makes one; scikit-learn's encoder refuses it, so do we
    with pytest.raises(ValueError, match="infinity"):
        est.predict_proba(X)
    with pytest.raises(ValueError, match="infinite category"):
        LeanBoosting(est)(X)


def test_predictor_keeps_one_lean_path_per_model_and_serves_others_by_their_methods() -> None:
    est = fitted("binary", True)
    assert predictor(est, "classification") is predictor(est, "classification")
    X = frame(30, seed=4)
    y = target(X, "binary")
    rf = RandomForestClassifier(n_estimators=5, random_state=0).fit(np.nan_to_num(X), y)
    assert predictor(rf, "classification") == rf.predict_proba


@pytest.mark.parametrize("label", ["species", "body_mass_g"])
def test_an_engine_model_loaded_from_its_file_predicts_as_scikit_learn_does(penguins: pd.DataFrame, label: str) -> None:
    # the engine's boosting on the featurizer's matrix, through the model file (its trees rebuilt from .npy members)
    art = train(penguins, "prediction", label_column=label, params={"training_mode": "fast"})
    feat, task = art.featurizer, art.core["task"]
    train_rows = penguins.dropna(subset=[label])
    X_train = feat.tree_matrix(align(train_rows, feat.schema)[0])
    est = _select.hgb(task, feat.tree_categorical_mask(), 40, False, len(train_rows)).fit(
        X_train, train_rows[label].to_numpy()
    )
    art = dataclasses.replace(art, core={**art.core, "estimator": est, "kind": "gbm"})
    est = persist.loads(persist.dumps(art)).core["estimator"]
    rows = penguins.drop(columns=[label]).copy()
    rows.loc[rows.index[:5], "island"] = "Atlantis"  # an unseen category
    rows.loc[rows.index[5:10], "bill_length_mm"] = np.nan
    X = feat.tree_matrix(align(rows, feat.schema)[0])
    own = est.predict_proba(X) if task == "classification" else est.predict(X)
    assert_identical(LeanBoosting(est)(X), own)
    assert_identical(LeanBoosting(est)(X[:1]), own[:1])
