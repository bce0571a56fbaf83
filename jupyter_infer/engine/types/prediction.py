"""Prediction: binary, multiclass and regression. ``best`` chooses among gradient boosting, a random forest and a
regularized linear model, or an equal-weight blend of two or three of them (see ``_select``); ``fast`` is one gradient boosting."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..._exceptions import InputError
from ..describe import describe_groups
from ..features import Featurizer
from ..schema import kind_of
from . import _fast, _lean, _select
from ._base import FitContext, Fitted

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


def check_label(y: pd.Series, name: str) -> None:
    """What no label may hold, each refused by name: lists, structs or bytes; dates and times; durations;
    infinities."""
    if kind_of(y) is None:
        raise InputError(
            f'The label column "{name}" holds lists, structs or bytes; a label must be a number, a category or a '
            "boolean."
        )
    if pd.api.types.is_datetime64_any_dtype(y.dtype):
        raise InputError(
            f'The label column "{name}" holds dates and times; a label must be a number, a category or a boolean. '
            "Predict a number made from it (a year, a count of days) instead."
        )
    if pd.api.types.is_timedelta64_dtype(y.dtype):
        raise InputError(
            f'The label column "{name}" holds durations; a label must be a number, a category or a boolean. '
            f'Predict its number of seconds (df["{name}"].dt.total_seconds()) instead.'
        )
    if pd.api.types.is_numeric_dtype(y.dtype) and not pd.api.types.is_bool_dtype(y.dtype):
        infinite = np.isinf(y.to_numpy(dtype="float64", na_value=np.nan))
        if infinite.any():
            n, first = int(infinite.sum()), int(np.flatnonzero(infinite)[0])
            raise InputError(
                f'The label column "{name}" holds {n} infinite value{"s" if n > 1 else ""} (the first in row '
                f"{first}); replace or drop {'them' if n > 1 else 'it'} to train."
            )


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
    if n_classes == len(y):
        raise InputError(
            f'The label column "{name}" has a different value in every row ({len(y):,} rows): there is nothing to '
            "learn per class. Is it an id? Use params task=regression for a numeric label."
        )
    if pd.api.types.is_float_dtype(y.dtype) and np.all(np.mod(y.to_numpy(), 1) == 0):
        return y.astype("int64")
    if pd.api.types.is_string_dtype(y.dtype):
        return y.astype(object)
    return y


def _matrix(feat: Featurizer, aligned: pd.DataFrame, kind: str) -> np.ndarray:
    return feat.tree_matrix(aligned) if _select.MATRIX.get(kind, "tree") == "tree" else feat.distance_matrix(aligned)


def fit(ctx: FitContext) -> Fitted:
    """``best`` chooses among gradient boosting, a random forest and a linear model (or an equal-weight blend of two or three) on
    out-of-fold predictions; ``fast`` fits one gradient boosting. Validation metrics come from those predictions,
    so the final models are fitted once, on every row."""
    assert ctx.label is not None
    feat, aligned = ctx.featurizer, ctx.aligned
    task = ctx.params["_task"]
    y = ctx.label.to_numpy()
    with ctx.phase("ingest", 0.05):
        X_tree = feat.tree_matrix(aligned)
        linear = not ctx.fast or task == "regression"  # fast regression boosts from a linear start
        X_dist = feat.distance_matrix(aligned) if feat.distance is not None and linear else None
    sel = (_fast.fast if ctx.fast else _select.select)(X_tree, X_dist, y, task, feat.tree_categorical_mask(), ctx)
    metrics = {**sel.metrics, "n_train": len(y)}
    primary, *others = sel.parts
    core: dict[str, Any] = {"estimator": primary.final, "kind": primary.kind, "task": task}
    if primary.start is not None:
        core["start"] = {"estimator": primary.start, "kind": "linear"}
    if others:
        core["blend"] = [{"estimator": c.final, "kind": c.kind} for c in others]
    descriptions: dict[str, dict[str, Any]] = {}
    if task == "classification":
        classes = list(primary.final.classes_)
        core["classes"] = [c.item() if hasattr(c, "item") else c for c in classes]
        core["class_type"] = (
            "bool"
            if pd.api.types.is_bool_dtype(ctx.label.dtype)
            else ("int" if pd.api.types.is_integer_dtype(ctx.label.dtype) else "str")
        )
        with ctx.phase("fit", 0.95):
            descriptions["prediction_descriptions"] = describe_groups(aligned, y, feat.schema, "Class")
    info = {"task": task, "n_classes": len(core.get("classes", []))}
    return Fitted(core, metrics, descriptions, info)


class Scorer:
    def __init__(self, core: dict[str, Any], featurizer: Featurizer, prob_columns: bool) -> None:
        self.core = core
        self.feat = featurizer
        self.prob_columns = prob_columns

    def _predict(self, aligned: pd.DataFrame) -> np.ndarray:
        """The model's predictions (class probabilities or values); a blend averages its parts', and a boosting
        from a linear start adds the start's."""
        core = self.core
        parts = [{"estimator": core["estimator"], "kind": core["kind"]}, *core.get("blend", [])]
        matrices: dict[str, np.ndarray] = {}

        def of(part: dict[str, Any]) -> np.ndarray:
            which = _select.MATRIX.get(part["kind"], "tree")
            if which not in matrices:
                matrices[which] = _matrix(self.feat, aligned, part["kind"])
            return _lean.predictor(part["estimator"], core["task"])(matrices[which])

        total = sum(of(part) for part in parts) / len(parts)
        return np.asarray(total + of(core["start"]) if "start" in core else total)

    def score(self, aligned: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        est = self.core["estimator"]
        if self.core["task"] == "regression":
            return pd.DataFrame({"id": ids, "prediction": self._predict(aligned)})
        proba = self._predict(aligned)
        classes = np.asarray(est.classes_)
        out = {"id": ids, "prediction": classes[proba.argmax(1)], "prediction_prob": proba.max(1)}
        if self.prob_columns:
            for j, c in enumerate(classes):
                out[f"prob_{c}"] = proba[:, j]
        return pd.DataFrame(out)
