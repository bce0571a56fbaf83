"""Prediction's model selection: gradient boosting, a random forest and a regularized linear model scored on the
same out-of-fold rows (k-fold on small data, one holdout split on larger data), an optional equal-weight blend of two or three,
and the final models, with no refit that changes nothing. ``fast``'s one gradient boosting is in ``_fast``.

Where work is shared: boosting's validation folds also choose its number of rounds, so its final fit needs no
validation of its own; the forest is fitted once on every row and validated on its out-of-bag rows (no refit);
the linear model is cheap. The forest's size is bounded by a time budget relative to the boosting's validation.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    log_loss,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
)
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

from ._base import FitContext

CV_MAX_ROWS = 20_000  # up to here k-fold cross-validation, above one holdout split
FOLDS = 3
HOLDOUT = 0.2
MIN_VALIDATION_ROWS = 30
HGB_MAX_ITER = 300
HGB_DEFAULT_ITER = 100  # when there is nothing to validate on
HGB_PATIENCE = 10
HGB_TOL = 1e-3  # a round must lower the validation log loss by this much to count ...
Folds = list[tuple[np.ndarray, np.ndarray]]  # (training rows, validation rows) of each fold
HGB_TOL_REGRESSION = 1e-4  # ... or the squared error by this share of var(y) (1e-3 stopped friedman1 at 62 rounds)
SMALL_DATA_ROWS, SMALL_LEAF = 2_000, 10
STEP_ABOVE_ROWS = 100_000  # larger boosting fits run in warm-start steps, so cancel is honoured between them
HGB_STEP = 50
START_RATE = 0.05  # boosting from a linear start takes smaller steps: the residuals are mostly noise when it fits
FOREST_SIZES = (200, 100, 50)  # the largest that fits the budget (few sizes: the same data gives the same model)
FOREST_PILOT_TREES = 20
FOREST_SAMPLE_ROWS = 20_000  # rows drawn per tree at most: bounds the artifact and the time on large data
FOREST_BUDGET = 3.0  # the forest may take this many times the boosting's validation time ...
FOREST_BUDGET_FLOOR = 0.5  # ... or this many seconds, whichever is more
NAMES = {"gbm": "gradient_boosting", "forest": "random_forest", "linear": "linear"}
MATRIX = {"gbm": "tree", "forest": "tree", "linear": "distance"}


@dataclass
class Candidate:
    kind: str  # gbm | forest | linear
    oof: np.ndarray  # validation predictions (class probabilities or values) for the validation rows
    final: Any = None
    note: dict[str, Any] = field(default_factory=dict)
    start: Any = None  # a linear model the boosting starts from: its prediction is added to the boosting's


@dataclass
class Selection:
    parts: list[Candidate]  # one model, or the two of a blend (their predictions are averaged)
    metrics: dict[str, Any]


# ---- estimators -----------------------------------------------------------------------------------------------
def hgb(task: str, cat_mask: list[bool], max_iter: int, early_stopping: bool, n_rows: int, tol: float = HGB_TOL) -> Any:
    """Gradient boosting set for the data: a mild L2 penalty, and for classification of small data smaller leaves
    (on 8 tasks of 150-3,000 rows never worse than the defaults and better on 5, by 0.7 to 4 accuracy points).
    Regression keeps scikit-learn's 20-row leaves: 10-row ones fit the noise (``bench/quality.py --split
    0,1,2,3``, best's mean R² difference to the top baseline: diabetes -0.026 -> -0.018, friedman1 -0.009 -> 0)."""
    kw: dict[str, Any] = dict(
        max_iter=max_iter,
        learning_rate=0.1,
        min_samples_leaf=SMALL_LEAF if task == "classification" and n_rows < SMALL_DATA_ROWS else 20,
        l2_regularization=1.0,
        early_stopping=early_stopping,
        n_iter_no_change=HGB_PATIENCE,
        tol=tol,
        random_state=0,
        categorical_features=cat_mask if any(cat_mask) else None,
    )
    return HistGradientBoostingClassifier(**kw) if task == "classification" else HistGradientBoostingRegressor(**kw)


def fit_hgb(est: Any, X: np.ndarray, y: np.ndarray, ctx: FitContext, **val: Any) -> Any:
    """One fit; on large data in warm-start steps so cancel is honoured between them. Each warm start bins the
    rows and predicts them with the trees so far again (scikit-learn does), so the steps double (50, 100, 200,
    ...): that repeated work stays below one step's."""
    if len(y) < STEP_ABOVE_ROWS:
        return est.fit(X, y, **val)
    total = est.max_iter
    est.set_params(warm_start=True)
    step = min(HGB_STEP, total)
    while True:
        ctx.check_cancel()
        est.set_params(max_iter=step)
        est.fit(X, y, **val)
        if est.n_iter_ < step or step >= total:  # early stopping ended it, or it is done
            break
        step = min(total, 2 * step)
    return est.set_params(warm_start=False)


def linear(task: str) -> Any:
    return LogisticRegression(max_iter=2000) if task == "classification" else Ridge(alpha=1.0)


def forest(task: str, n_rows: int, trees: int) -> Any:
    cls = RandomForestClassifier if task == "classification" else RandomForestRegressor
    return cls(
        n_estimators=trees,
        max_samples=FOREST_SAMPLE_ROWS if n_rows > FOREST_SAMPLE_ROWS else None,
        random_state=0,
        warm_start=True,
    )


def predict(est: Any, X: np.ndarray, task: str) -> np.ndarray:
    return np.asarray(est.predict_proba(X) if task == "classification" else est.predict(X))


# ---- scores and metrics ---------------------------------------------------------------------------------------
def score(task: str, y: np.ndarray, pred: np.ndarray, classes: np.ndarray) -> tuple[float, float]:
    """What selection maximizes: accuracy (ties: lower log loss) or R²."""
    if task == "regression":
        return float(r2_score(y, pred)), 0.0
    p = np.clip(pred, 1e-15, 1.0)
    return float(accuracy_score(y, classes[pred.argmax(1)])), -float(log_loss(y, p, labels=classes))


def metrics_of(task: str, y: np.ndarray, pred: np.ndarray, classes: np.ndarray) -> dict[str, Any]:
    if task == "regression":
        return {
            "r2": float(r2_score(y, pred)),
            "rmse": float(np.sqrt(np.mean((y - pred) ** 2))),
            "mae": float(mean_absolute_error(y, pred)),
            "n_val": len(y),
        }
    label = classes[pred.argmax(1)]
    m: dict[str, Any] = {
        "accuracy": float(accuracy_score(y, label)),
        "balanced_accuracy": float(balanced_accuracy_score(y, label)),
        "f1_macro": float(f1_score(y, label, average="macro", labels=classes, zero_division=0)),
        "n_val": len(y),
    }
    try:
        m["log_loss"] = float(log_loss(y, np.clip(pred, 1e-15, 1.0), labels=classes))
        if len(classes) == 2:
            m["roc_auc"] = float(roc_auc_score(y == classes[1], pred[:, 1]))
    except ValueError:
        pass
    return m


# ---- validation scheme ----------------------------------------------------------------------------------------
def splits(y: np.ndarray, task: str, mode: str) -> tuple[Folds, str]:
    """The validation folds (train rows, validation rows) and their description; none when there are too few rows."""
    n = len(y)
    strat, fewest = None, 0
    if task == "classification":
        fewest = int(np.unique(y, return_counts=True)[1].min())  # rows of the rarest class
        if fewest >= 2:
            strat = y
    if n < MIN_VALIDATION_ROWS:
        return [], "none (fewer than 30 rows)"
    if mode == "best" and n <= CV_MAX_ROWS:
        if task == "classification":
            k = min(FOLDS, fewest)
            if k >= 2:
                return list(StratifiedKFold(k, shuffle=True, random_state=0).split(np.zeros(n), y)), f"{k}-fold cv"
        else:
            return list(KFold(FOLDS, shuffle=True, random_state=0).split(np.zeros(n))), f"{FOLDS}-fold cv"
    tr, va = train_test_split(np.arange(n), test_size=HOLDOUT, random_state=0, stratify=strat)
    if task == "classification":  # a class with every row in the holdout (one-row classes) trains, not validates
        unseen = ~np.isin(y[va], y[tr])
        if unseen.any():
            tr, va = np.concatenate([tr, va[unseen]]), va[~unseen]
        if not len(va):
            return [], "none (no class has a row left to validate on)"
    return [(tr, va)], f"holdout {HOLDOUT:.0%}"


def _val_rows(folds: Folds) -> np.ndarray:
    return np.sort(np.concatenate([va for _, va in folds]))


# ---- candidates -----------------------------------------------------------------------------------------------
def ridge_alpha(X: np.ndarray, y: np.ndarray) -> float:
    """The ridge penalty by efficient leave-one-out."""
    return float(RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(X, y).alpha_)


def _gbm(
    X: np.ndarray, y: np.ndarray, task: str, cat_mask: list[bool], folds: Folds, width: int, ctx: FitContext
) -> Candidate:
    n = len(y)
    oof = np.zeros((n, width)) if task == "classification" else np.zeros(n)
    rounds = []
    with ctx.phase("validate", 0.15):
        for tr, va in folds:
            tol = HGB_TOL_REGRESSION * float(np.var(y[tr])) if task == "regression" else HGB_TOL
            est = hgb(task, cat_mask, HGB_MAX_ITER, True, len(tr), tol)
            est = fit_hgb(est, X[tr], y[tr], ctx, X_val=X[va], y_val=y[va])
            oof[va] = predict(est, X[va], task)
            stopped = est.n_iter_ < HGB_MAX_ITER
            rounds.append(est.n_iter_ - HGB_PATIENCE if stopped else est.n_iter_)
    n_iter = int(max(10, np.median(rounds))) if rounds else HGB_DEFAULT_ITER
    c = Candidate("gbm", oof, note={"n_iter": n_iter})
    if ctx.fast and len(folds) == 1:
        # fast: the model trained on the training part and stopped on the holdout is the model (as scikit-learn's
        # own early stopping does); refitting on every row would double the work
        c.final = est
        c.note["trained_on_rows"] = len(folds[0][0])
    return c


def _finish_gbm(c: Candidate, X: np.ndarray, y: np.ndarray, task: str, cat_mask: list[bool], ctx: FitContext) -> None:
    with ctx.phase("fit", 0.8):
        c.final = fit_hgb(hgb(task, cat_mask, c.note["n_iter"], False, len(y)), X, y, ctx)


def _linear(X: np.ndarray, y: np.ndarray, task: str, folds: Folds, width: int, ctx: FitContext) -> Candidate:
    n = len(y)
    oof = np.zeros((n, width)) if task == "classification" else np.zeros(n)
    with ctx.phase("validate", 0.1):
        make: Callable[[], Any] = lambda: linear(task)  # noqa: E731
        if task == "regression":  # the ridge penalty by efficient leave-one-out, once
            alpha = ridge_alpha(X, y)
            make = lambda: Ridge(alpha=alpha)  # noqa: E731
        for tr, va in folds:
            ctx.check_cancel()
            oof[va] = predict(make().fit(X[tr], y[tr]), X[va], task)
    with ctx.phase("fit", 0.12):
        final = make().fit(X, y)
    return Candidate("linear", oof, final)


def _forest(X: np.ndarray, y: np.ndarray, task: str, budget: float, ctx: FitContext) -> Candidate | None:
    """Fitted once on every row; validated on its out-of-bag rows. A pilot of 20 trees sizes it to the budget."""
    with ctx.phase("fit", 0.6):
        t0 = time.perf_counter()
        est = forest(task, len(y), FOREST_PILOT_TREES).fit(X, y)
        per_tree = (time.perf_counter() - t0) / FOREST_PILOT_TREES
        fits = [t for t in FOREST_SIZES if t * per_tree <= budget]
        if not fits:
            return None
        trees = fits[0]
        ctx.check_cancel()
        est.set_params(n_estimators=trees, oob_score=True).fit(X, y)
    name = "oob_decision_function_" if task == "classification" else "oob_prediction_"
    oob = getattr(est, name)
    oob = np.where(np.isfinite(oob), oob, np.nanmean(oob, axis=0))  # rows never out of bag: the average
    delattr(est, name)  # a row per training row: not needed to predict, kept out of the model file
    return Candidate("forest", oob, est.set_params(warm_start=False), note={"trees": trees})


def select(
    X_tree: np.ndarray, X_dist: np.ndarray | None, y: np.ndarray, task: str, cat_mask: list[bool], ctx: FitContext
) -> Selection:
    """``best``: every candidate and blend on the same validation rows, the best by accuracy (ties: log loss) or
    R² (``fast`` is ``_fast.fast``)."""
    classes = np.unique(y) if task == "classification" else np.array([])
    width = len(classes)
    folds, scheme = splits(y, task, "best")
    if not folds:
        c = Candidate("gbm", np.array([]), note={"n_iter": HGB_DEFAULT_ITER})
        _finish_gbm(c, X_tree, y, task, cat_mask, ctx)
        return Selection([c], {"model": NAMES["gbm"], "validation": scheme})
    rows = _val_rows(folds)
    yv = y[rows]
    t0 = time.perf_counter()
    cands: list[Candidate] = []
    skipped: dict[str, str] = {}
    if X_dist is not None:
        cands.append(_linear(X_dist, y, task, folds, width, ctx))
    gbm = _gbm(X_tree, y, task, cat_mask, folds, width, ctx)
    cands.append(gbm)
    budget = max(FOREST_BUDGET_FLOOR, FOREST_BUDGET * (time.perf_counter() - t0))
    f = _forest(X_tree, y, task, budget, ctx)
    if f is None:
        skipped[NAMES["forest"]] = f"over the time budget ({budget:.1f} s)"
    else:
        cands.append(f)
    # every candidate and every equal-weight blend of two or three, on the same validation rows
    combos = [combo for r in range(1, len(cands) + 1) for combo in itertools.combinations(range(len(cands)), r)]

    def label(combo: tuple[int, ...]) -> str:
        return ("blend:" if len(combo) > 1 else "") + "+".join(NAMES[cands[i].kind] for i in combo)

    def blend(combo: tuple[int, ...]) -> np.ndarray:
        return np.asarray(sum(cands[i].oof[rows] for i in combo)) / len(combo)

    scores = {combo: score(task, yv, blend(combo), classes) for combo in combos}
    best = max(combos, key=lambda combo: (scores[combo], -len(combo)))
    parts = [cands[i] for i in best]
    for c in parts:
        if c.final is None:
            _finish_gbm(c, X_tree, y, task, cat_mask, ctx)
    with ctx.phase("validate", 0.95):
        chosen = sum(c.oof[rows] for c in parts) / len(parts)
        metrics = metrics_of(task, yv, chosen, classes)
    metrics["model"] = "+".join(NAMES[c.kind] for c in parts)
    metrics["validation"] = scheme
    metrics["candidates"] = {label(combo): round(scores[combo][0], 6) for combo in combos}
    metrics["selection"] = {
        "seconds": round(time.perf_counter() - t0, 4),
        "skipped": skipped,
        **{f"{NAMES[c.kind]}_{k}": v for c in cands for k, v in c.note.items()},
    }
    return Selection(parts, metrics)
