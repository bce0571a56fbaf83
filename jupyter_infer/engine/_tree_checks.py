"""The checks every loaded tree model passes, however it was stored (``.npy`` members or a format-1 skops
payload): scikit-learn's tree walks read node arrays without bounds checks, so a tampered file could make them read
out of bounds or loop forever. Every split's children lie after it inside its own tree, every feature and bitset
index is within the model's, and a forest's trees agree with the forest on columns and classes."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.ensemble import IsolationForest, RandomForestClassifier
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.tree._tree import NODE_DTYPE, Tree


class PackError(ValueError):
    """A packed part is malformed: its arrays do not describe valid trees."""


def concat(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    """One array of exactly ``dtype`` (numpy's own concatenation drops the padding of record dtypes)."""
    out = np.empty((sum(len(a) for a in arrays), *arrays[0].shape[1:]), dtype=dtype)
    return np.concatenate(arrays, out=out) if arrays else out


def _check_links(left: np.ndarray, right: np.ndarray, inner: np.ndarray, n_nodes: np.ndarray, what: str) -> None:
    """Every split's children lie after it and inside its own tree, so a walk from the root ends at a leaf."""
    starts = np.repeat(np.concatenate([[0], np.cumsum(n_nodes)[:-1]]), n_nodes)
    local = np.arange(len(left)) - starts
    size = np.repeat(n_nodes, n_nodes)
    left, right = left.astype(np.int64), right.astype(np.int64)
    ok = (left > local) & (left < size) & (right > local) & (right < size)
    if not np.all(ok | ~inner):
        raise PackError(f"{what}: a split points outside its tree or backwards")


def check_boosting(est: Any) -> None:
    """Every boosted tree, however it was stored, can be walked safely: its links point forward inside it, and
    each split names a feature the model has (a categorical one for a category split, with a bitset that exists).
    scikit-learn's predict reads these without bounds checks."""
    preds = vars(est).get("_predictors")
    flat = (
        [t for it in preds for t in it] if isinstance(preds, list) and all(isinstance(i, list) for i in preds) else None
    )
    if flat is None or not all(isinstance(t, TreePredictor) for t in flat):
        raise PackError("the boosted trees are not a list of lists of tree predictors")
    if not flat:
        return
    ok = all(
        isinstance(t.nodes, np.ndarray)
        and t.nodes.dtype == PREDICTOR_RECORD_DTYPE
        and t.nodes.ndim == 1
        and isinstance(t.raw_left_cat_bitsets, np.ndarray)
        and t.raw_left_cat_bitsets.ndim == 2
        for t in flat
    )
    if not ok:
        raise PackError("a boosted tree holds arrays of the wrong kind")
    nodes = concat([t.nodes for t in flat], PREDICTOR_RECORD_DTYPE)
    n_nodes = np.asarray([len(t.nodes) for t in flat], dtype=np.int64)
    n_bits = np.asarray([len(t.raw_left_cat_bitsets) for t in flat], dtype=np.int64)
    mapper_cats = np.asarray(getattr(vars(est).get("_bin_mapper"), "is_categorical_", ()), dtype=bool)
    n_features = vars(est).get("n_features_in_")
    if np.any(n_nodes < 1) or type(n_features) is not int or mapper_cats.shape != (n_features,):
        raise PackError("the boosted trees, the feature count and the categorical mask disagree")
    inner = nodes["is_leaf"] == 0
    feature = nodes["feature_idx"]
    ok_feature = (feature >= 0) & (feature < n_features)
    categorical = inner & (nodes["is_categorical"] != 0)
    ok_category = ok_feature & mapper_cats[np.where(ok_feature, feature, 0)]
    ok_category &= nodes["bitset_idx"] < np.repeat(n_bits, n_nodes)
    _check_links(nodes["left"], nodes["right"], inner, n_nodes, "a boosted tree")
    if not np.all(ok_feature | ~inner) or not np.all(ok_category | ~categorical):
        raise PackError("a boosted tree's split names a feature or category set the model does not have")


def check_forest(forest: IsolationForest) -> None:
    """The same for an isolation forest's trees, which the forest also hands column subsets without checks."""
    trees, features = vars(forest).get("estimators_"), vars(forest).get("estimators_features_")
    if not isinstance(trees, list) or not isinstance(features, list | tuple) or len(trees) != len(features):
        raise PackError("the forest's trees and their feature lists disagree")
    if not all(isinstance(getattr(t, "tree_", None), Tree) for t in trees):
        raise PackError("a tree of the forest is not a fitted tree")
    n_in = vars(forest).get("n_features_in_")
    for t, f in zip(trees, features, strict=True):
        if type(n_in) is not int or t.tree_.n_features != len(f) or t.tree_.n_features > n_in:
            raise PackError("a tree of the forest reads more columns than the forest has")
        if not isinstance(f, np.ndarray) or f.dtype.kind not in "iu" or np.any((f < 0) | (f >= n_in)):
            raise PackError("a tree of the forest reads columns the forest does not have")
    _check_trees(trees, [t.tree_.n_features for t in trees])


def check_random_forest(forest: Any) -> None:
    """A random forest's trees read every column of the forest and predict its classes (or one value)."""
    trees, n_in = vars(forest).get("estimators_"), vars(forest).get("n_features_in_")
    if not isinstance(trees, list) or type(n_in) is not int:
        raise PackError("the forest's trees or its column count are missing")
    cls = DecisionTreeClassifier if type(forest) is RandomForestClassifier else DecisionTreeRegressor
    n_classes = int(vars(forest).get("n_classes_", 1)) if cls is DecisionTreeClassifier else 1
    for t in trees:
        tree = vars(t).get("tree_") if type(t) is cls else None
        if not isinstance(tree, Tree) or tree.n_features != n_in or tree.n_outputs != 1:
            raise PackError("a tree of the forest is not a fitted tree over the forest's columns")
        if tree.max_n_classes != n_classes or (cls is DecisionTreeClassifier and t.n_classes_ != n_classes):
            raise PackError("a tree of the forest predicts other classes than the forest")
    _check_trees(trees, [n_in] * len(trees))


def _check_trees(trees: list[Any], n_features: list[int]) -> None:
    """Every tree's links point forward inside it and its splits name features it has."""
    if not trees:
        return
    nodes = concat([t.tree_.__getstate__()["nodes"] for t in trees], NODE_DTYPE)
    n_nodes = np.asarray([t.tree_.node_count for t in trees], dtype=np.int64)
    inner = nodes["left_child"] != -1
    if np.any(n_nodes < 1) or np.any(~inner & (nodes["right_child"] != -1)):
        raise PackError("a tree of the forest is empty or has a leaf with a child")
    _check_links(nodes["left_child"], nodes["right_child"], inner, n_nodes, "a tree of the forest")
    f = nodes["feature"]
    if np.any(inner & ((f < 0) | (f >= np.repeat(n_features, n_nodes)))):
        raise PackError("a tree of the forest splits on a feature it does not have")
