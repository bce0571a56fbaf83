"""Prediction: binary, multiclass and regression on gradient boosting, or a linear model when it cross-validates
better on small data. Holdout metrics are stored; the final model is refit on every row."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from ..._exceptions import InputError
from ..describe import describe_groups
from ..features import Featurizer
from ._base import FitContext, Fitted, Report

HGB_STEP = 25
HGB_MAX_ITER = 300
BEST_MODE_MAX_ROWS = 20_000
EARLY_STOP_ROWS = 1_000
MAX_INT_CLASSES = 20
MAX_CLASSES = 100  # more would take minutes to fit and to save (measured: 54 classes on 60 rows, 160 s)


def decide_task(y: pd.Series, forced: str | None) -> str:
    if forced:
        return forced
    if pd.api.types.is_bool_dtype(y.dtype) or not pd.api.types.is_numeric_dtype(y.dtype):
        return "classification"
    v = y.to_numpy(dtype="float64")
    if np.all(np.mod(v, 1) == 0) and len(np.unique(v)) <= MAX_INT_CLASSES:
        return "classification"
    return "regression"


def clean_label(y: pd.Series, task: str, name: str) -> pd.Series:
    if task == "regression":
        conv = pd.to_numeric(y, errors="coerce")
        if conv.isna().all():
            raise InputError(f'The label column "{name}" has no numeric values, so it cannot be a regression target.')
        return conv.astype("float64")
    n_classes = int(y.nunique())
    if n_classes > MAX_CLASSES:
        hint = (
            "Use params task=regression for a numeric label, or group the rare classes first."
            if pd.api.types.is_numeric_dtype(y.dtype)
            else "Group the rare classes first."
        )
        raise InputError(
            f'The label column "{name}" has {n_classes} distinct values; a prediction model learns at most '
            f"{MAX_CLASSES} classes (gradient boosting fits one tree per class per round). {hint}"
        )
    if pd.api.types.is_float_dtype(y.dtype) and np.all(np.mod(y.to_numpy(), 1) == 0):
        return y.astype("int64")
    if pd.api.types.is_string_dtype(y.dtype):
        return y.astype(object)
    return y


def _hgb(task: str, cat_mask: list[bool], n_rows: int) -> Any:
    kw: dict[str, Any] = dict(
        max_iter=HGB_STEP,
        learning_rate=0.1,
        # from 1,000 rows on, stop when the validation score stalls: fewer trees, faster scoring, no worse fit
        early_stopping=n_rows >= EARLY_STOP_ROWS,
        random_state=0,
        warm_start=True,
        categorical_features=cat_mask if any(cat_mask) else None,
    )
    return HistGradientBoostingClassifier(**kw) if task == "classification" else HistGradientBoostingRegressor(**kw)


def fit_hgb(
    X: np.ndarray,
    y: np.ndarray,
    task: str,
    cat_mask: list[bool],
    report: Report,
    cancel: Any,
    phase: str,
    lo: float,
    hi: float,
) -> Any:
    """Boosting in warm-start steps, so progress is reported and cancel is honoured at each step."""
    est = _hgb(task, cat_mask, len(y))
    for it in range(HGB_STEP, HGB_MAX_ITER + 1, HGB_STEP):
        cancel()
        est.set_params(max_iter=it)
        est.fit(X, y)
        report(phase, lo + (hi - lo) * it / HGB_MAX_ITER)
        if est.n_iter_ < it:  # early stopping ended it
            break
    report(phase, hi)
    return est


def _linear(task: str) -> Any:
    return LogisticRegression(max_iter=2000) if task == "classification" else Ridge(alpha=1.0)


def _metrics(task: str, est: Any, X: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    if task == "regression":
        p = est.predict(X)
        return {
            "r2": float(r2_score(y, p)),
            "rmse": float(np.sqrt(np.mean((y - p) ** 2))),
            "mae": float(mean_absolute_error(y, p)),
            "n_val": len(y),
        }
    proba = est.predict_proba(X)
    pred = est.classes_[proba.argmax(1)]
    m: dict[str, Any] = {
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "n_val": len(y),
    }
    try:
        m["log_loss"] = float(log_loss(y, proba, labels=est.classes_))
        if len(est.classes_) == 2:
            m["roc_auc"] = float(roc_auc_score(y == est.classes_[1], proba[:, 1]))
    except ValueError:
        pass
    return m


def _matrix(feat: Featurizer, aligned: pd.DataFrame, kind: str) -> np.ndarray:
    return feat.tree_matrix(aligned) if kind == "gbm" else feat.distance_matrix(aligned)


def _cv_score(kind: str, task: str, feat: Featurizer, aligned: pd.DataFrame, y: np.ndarray, cancel: Any) -> float:
    X = _matrix(feat, aligned, kind)
    if task == "classification":
        _, counts = np.unique(y, return_counts=True)
        folds = int(min(3, counts.min()))
        if folds < 2:
            return np.nan
        splitter: Any = StratifiedKFold(folds, shuffle=True, random_state=0)
    else:
        splitter = KFold(3, shuffle=True, random_state=0)
    scores = []
    for tr, te in splitter.split(X, y):
        cancel()
        if kind == "gbm":
            est = _hgb(task, feat.tree_categorical_mask(), len(tr)).set_params(max_iter=HGB_MAX_ITER, warm_start=False)
        else:
            est = _linear(task)
        est.fit(X[tr], y[tr])
        scores.append(est.score(X[te], y[te]))
    return float(np.mean(scores))


def fit(ctx: FitContext) -> Fitted:
    assert ctx.label is not None
    feat, aligned, report, cancel = ctx.featurizer, ctx.aligned, ctx.report, ctx.check_cancel
    task = ctx.params["_task"]
    y = ctx.label.to_numpy()
    n = len(y)
    kind = "gbm"
    cv: dict[str, float] = {}
    if ctx.params.get("training_mode", "best") == "best" and n <= BEST_MODE_MAX_ROWS and feat.distance is not None:
        report("compare", 0.0)
        cv = {k: _cv_score(k, task, feat, aligned, y, cancel) for k in ("gbm", "linear")}
        report("compare", 0.3)
        if np.isfinite(cv["linear"]) and cv["linear"] > cv["gbm"]:
            kind = "linear"
    cat_mask = feat.tree_categorical_mask()
    metrics: dict[str, Any] = {}
    strat = y if task == "classification" and np.unique(y, return_counts=True)[1].min() >= 2 else None
    if n >= 30:
        idx_tr, idx_va = train_test_split(np.arange(n), test_size=0.2, random_state=0, stratify=strat)
        X_all = _matrix(feat, aligned, kind)
        if kind == "gbm":
            est = fit_hgb(X_all[idx_tr], y[idx_tr], task, cat_mask, report, cancel, "holdout", 0.3, 0.6)
        else:
            est = _linear(task).fit(X_all[idx_tr], y[idx_tr])
        metrics = _metrics(task, est, X_all[idx_va], y[idx_va])
    else:
        X_all = _matrix(feat, aligned, kind)
    cancel()
    if kind == "gbm":
        final = fit_hgb(X_all, y, task, cat_mask, report, cancel, "final fit", 0.6, 0.95)
    else:
        final = _linear(task).fit(X_all, y)
    metrics["model"] = "gradient_boosting" if kind == "gbm" else "linear"
    metrics["n_train"] = n
    if cv:
        metrics["cv_score_gradient_boosting"] = cv["gbm"]
        metrics["cv_score_linear"] = cv["linear"]
    descriptions: dict[str, dict[str, Any]] = {}
    core: dict[str, Any] = {"estimator": final, "kind": kind, "task": task}
    if task == "classification":
        classes = list(final.classes_)
        core["classes"] = [c.item() if hasattr(c, "item") else c for c in classes]
        core["class_type"] = (
            "bool"
            if pd.api.types.is_bool_dtype(ctx.label.dtype)
            else ("int" if pd.api.types.is_integer_dtype(ctx.label.dtype) else "str")
        )
        descriptions["prediction_descriptions"] = describe_groups(aligned, y, feat.schema, "Class")
    info = {"task": task, "n_classes": len(core.get("classes", []))}
    return Fitted(core, metrics, descriptions, info)


class Scorer:
    def __init__(self, core: dict[str, Any], featurizer: Featurizer, prob_columns: bool) -> None:
        self.core = core
        self.feat = featurizer
        self.prob_columns = prob_columns

    def score(self, aligned: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        est = self.core["estimator"]
        X = _matrix(self.feat, aligned, self.core["kind"])
        if self.core["task"] == "regression":
            return pd.DataFrame({"id": ids, "prediction": est.predict(X)})
        proba = est.predict_proba(X)
        classes = np.asarray(est.classes_)
        out = {"id": ids, "prediction": classes[proba.argmax(1)], "prediction_prob": proba.max(1)}
        if self.prob_columns:
            for j, c in enumerate(classes):
                out[f"prob_{c}"] = proba[:, j]
        return pd.DataFrame(out)
