"""Predictions of fitted gradient boosting models without scikit-learn's per-call overhead.

``HistGradientBoosting*.predict_proba`` on one row spends most of its time outside the trees: a ColumnTransformer
(with input checks) re-encodes the categorical columns on every call, and the bitsets of known categories are
rebuilt each time. :class:`LeanBoosting` does that preparation once per fitted model and then runs the same trees
(``TreePredictor.predict``) with the same sums, so its output is the model's own, to the bit; the tests compare it
with ``predict_proba``/``predict`` on missing, unseen and large inputs. It reads private attributes of scikit-learn
(the persisted model format pins scikit-learn's minor version, see ``persist``); a model without them is served by
its public methods.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

PARALLEL_ROWS = 500
Predict = Callable[[np.ndarray], np.ndarray]
_CACHE: weakref.WeakKeyDictionary[Any, LeanBoosting | None] = weakref.WeakKeyDictionary()  # None: public path


class LeanBoosting:
    """``predict_proba`` (classifier) or ``predict`` (regressor) of a fitted HistGradientBoosting model."""

    def __init__(self, est: Any) -> None:
        from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

        self.n_threads = _openmp_effective_n_threads
        self.n_features = int(est.n_features_in_)
        pre = est._preprocessor
        if pre is None:
            self.order = np.arange(self.n_features)
            self.levels: list[np.ndarray] = []
        else:
            # the model's own transformer puts the categorical columns first, each as its position among the
            # (sorted) values seen at fit; unseen and missing values become NaN
            mask = np.asarray(est.is_categorical_, dtype=bool)
            self.order = np.concatenate([np.flatnonzero(mask), np.flatnonzero(~mask)])
            if list(pre.output_indices_) != ["encoder", "numerical", "remainder"] or pre.output_indices_[
                "encoder"
            ] != slice(0, int(mask.sum())):
                raise TypeError("an unexpected preprocessor layout")
            cats = pre.named_transformers_["encoder"].categories_
            self.levels = [np.asarray(c, dtype=np.float64)[~np.isnan(np.asarray(c, dtype=np.float64))] for c in cats]
        self.bitsets, self.f_idx_map = est._bin_mapper.make_known_categories_bitsets()
        self.trees = est._predictors
        self.width = int(est.n_trees_per_iteration_)
        self.baseline = est._baseline_prediction
        self.loss = est._loss
        self.classify = isinstance(est, HistGradientBoostingClassifier)

    def matrix(self, X: np.ndarray) -> np.ndarray:
        """What the model's transformer would hand its trees: float64, categorical columns first and encoded."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} columns, got {X.shape}")
        out = np.empty(X.shape, dtype=np.float64)
        for j, levels in enumerate(self.levels):
            v = X[:, self.order[j]].astype(np.float64)
            if np.isinf(v).any():  # scikit-learn's encoder refuses these too (the featurizer never makes them)
                raise ValueError("an infinite category code; categorical columns hold codes or NaN")
            pos = np.searchsorted(levels, v)
            found = levels[np.minimum(pos, len(levels) - 1)] == v if len(levels) else np.zeros(len(v), dtype=bool)
            out[:, j] = np.where(found, pos, np.nan)
        k = len(self.levels)
        out[:, k:] = X[:, self.order[k:]]
        return out

    def __call__(self, X: np.ndarray) -> np.ndarray:
        Xt = self.matrix(X)
        raw = np.zeros((len(Xt), self.width), dtype=self.baseline.dtype, order="F")
        raw += self.baseline
        n_threads = self.n_threads() if len(Xt) >= PARALLEL_ROWS else 1  # a parallel region costs more than a row
        for per_iteration in self.trees:
            for k, tree in enumerate(per_iteration):
                raw[:, k] += tree.predict(Xt, self.bitsets, self.f_idx_map, n_threads)
        if self.classify:
            return np.asarray(self.loss.predict_proba(raw))
        return np.asarray(self.loss.link.inverse(raw.ravel()))


def predictor(est: Any, task: str) -> Predict:
    """The model's class probabilities (classification) or values (regression) as a function of its matrix;
    a boosting model's lean path is prepared once and kept while the model lives."""
    if isinstance(est, HistGradientBoostingClassifier | HistGradientBoostingRegressor):
        if est not in _CACHE:  # prepared once, or found unusable once (other internals: the public way)
            try:
                _CACHE[est] = LeanBoosting(est)
            except (AttributeError, KeyError, TypeError, ValueError):
                _CACHE[est] = None
        lean = _CACHE[est]
        if lean is not None:
            return lean
    fn: Predict = est.predict_proba if task == "classification" else est.predict
    return fn
