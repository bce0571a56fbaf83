"""Prediction's ``fast`` mode: one gradient boosting, set for the data's size and kind (the rule is in ``fast``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.linear_model import Ridge

from . import _select as S
from ._base import FitContext

FAST_ALL_ROWS = 10_000  # classification below this: every row trains, no holdout (scikit-learn's "auto" rule)


def _from_linear(
    X_tree: np.ndarray, X_dist: np.ndarray | None, y: np.ndarray, cat_mask: list[bool], folds: S.Folds, ctx: FitContext
) -> S.Candidate:
    """Regression: a ridge fit, then gradient boosting of its residuals, stopped on the holdout; refitted on every
    row with the rounds found when there are few (on larger data the holdout's models are the model)."""
    (tr, va), n = folds[0], len(y)

    def start(rows: np.ndarray) -> tuple[Any, np.ndarray]:  # the ridge on these rows, and every row's residual
        if X_dist is None:
            return None, y
        ridge = Ridge(alpha=S.ridge_alpha(X_dist[rows], y[rows])).fit(X_dist[rows], y[rows])
        return ridge, y - ridge.predict(X_dist)

    with ctx.phase("validate", 0.15):
        ridge, r = start(tr)
        est = S.hgb("regression", cat_mask, S.HGB_MAX_ITER, True, len(tr), S.HGB_TOL_REGRESSION * float(np.var(r[tr])))
        est = S.fit_hgb(
            est.set_params(learning_rate=S.START_RATE), X_tree[tr], r[tr], ctx, X_val=X_tree[va], y_val=r[va]
        )
        oof, ridge_oof = np.zeros(n), np.zeros(n)
        ridge_oof[va] = y[va] - r[va]  # the ridge's own predictions of the holdout
        oof[va] = ridge_oof[va] + est.predict(X_tree[va])
        rounds = est.n_iter_ - S.HGB_PATIENCE if est.n_iter_ < S.HGB_MAX_ITER else est.n_iter_
        rounds = rounds if ridge is not None else max(10, rounds)  # no start (no linear features): boosting alone
    c = S.Candidate("gbm", oof, est, {"n_iter": rounds, "trained_on_rows": len(tr)}, ridge)
    if n < FAST_ALL_ROWS:
        with ctx.phase("fit", 0.8):
            c.start, r = start(np.arange(n))
            c.final = None
            if rounds > 0:
                c.final = S.fit_hgb(
                    S.hgb("regression", cat_mask, rounds, False, n).set_params(learning_rate=S.START_RATE),
                    X_tree,
                    r,
                    ctx,
                )
            c.note["trained_on_rows"] = n
    if c.final is None or rounds <= 0:  # no round helped: the linear model alone, judged on its own predictions
        return S.Candidate("linear", ridge_oof, c.start, {"trained_on_rows": c.note["trained_on_rows"]})
    if c.start is not None:
        c.note["start"] = S.NAMES["linear"]
    return c


def fast(
    X_tree: np.ndarray, X_dist: np.ndarray | None, y: np.ndarray, task: str, cat_mask: list[bool], ctx: FitContext
) -> S.Selection:
    """One gradient boosting. Classification under 10,000 rows: every row trains it, 100 rounds, no holdout
    (scikit-learn's own ``early_stopping="auto"`` rule: a holdout of a small table costs more than the rounds it
    saves); above, it stops on a 20 % holdout and that model is the model. Regression: boosting from a linear start
    (the ``init=`` of scikit-learn's GradientBoostingRegressor): a ridge fit, then smaller boosting steps on its
    residuals, as many as the holdout wants (none: the ridge alone), refitted on every row under 10,000 rows. The
    linear start is what lets one boosting match a linear model on mostly linear data, where trees alone trail."""
    classes = np.unique(y) if task == "classification" else np.array([])
    folds, scheme = S.splits(y, task, "fast")
    if not folds or (task == "classification" and len(y) < FAST_ALL_ROWS):
        c = S.Candidate("gbm", np.array([]), note={"n_iter": S.HGB_DEFAULT_ITER})
        S._finish_gbm(c, X_tree, y, task, cat_mask, ctx)
        why = "fewer than 30 rows" if not folds else "fast under 10,000 rows: every row trains the model"
        return S.Selection([c], {"model": S.NAMES["gbm"], "validation": f"none ({why})"})
    if task == "classification":
        c = S._gbm(X_tree, y, task, cat_mask, folds, len(classes), ctx)
    else:
        c = _from_linear(X_tree, X_dist, y, cat_mask, folds, ctx)
    va = folds[0][1]
    with ctx.phase("validate", 0.95):
        metrics = S.metrics_of(task, y[va], c.oof[va], classes)
    metrics.update(
        model=S.NAMES[c.kind],
        validation=scheme,
        candidates={S.NAMES[c.kind]: round(S.score(task, y[va], c.oof[va], classes)[0], 6)},
    )
    metrics["selection"] = {f"{S.NAMES[c.kind]}_{k}": v for k, v in c.note.items()}
    return S.Selection([c], metrics)
