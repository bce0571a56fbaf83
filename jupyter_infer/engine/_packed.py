"""The big numeric parts of a model (boosted-tree node arrays, forest trees, lists of per-tree arrays), moved out of
the skops payload into plain ``.npy`` members: one array per kind instead of thousands of small objects.

``pack`` swaps each such part of the model's state for a small marker dict (the model itself is not changed) and
returns the arrays to store. ``unpack`` rebuilds the parts from arrays read without pickle, and refuses arrays
that do not fit together: every tree's child links point forward inside that tree (so prediction always ends),
every feature index and bitset index is within bounds, and every size agrees with the bytes in the file. The
classes rebuilt are fixed here, never named by the file.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, IsolationForest
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE, X_BITSET_INNER_DTYPE
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.tree import ExtraTreeRegressor
from sklearn.tree._tree import NODE_DTYPE, Tree

MARK = "__jupyter_infer_packed__"
PLAIN = "plain.json"
HGB = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
NUMERIC_KINDS = "biuf"
Reader = Callable[[str], bytes]


class PackError(ValueError):
    """A packed part is malformed: its arrays do not describe valid trees."""


# ---- writing ------------------------------------------------------------------------------------------------------
def _plain(v: Any) -> bool:
    """Exactly what JSON gives back: dicts with string keys, lists, strings, Python numbers, booleans, None."""
    t = type(v)
    if t is dict:
        return all(type(k) is str and _plain(x) for k, x in v.items())
    if t is list:
        return all(_plain(x) for x in v)
    return t in (str, int, float, bool, type(None))


class Packer:
    def __init__(self) -> None:
        self.members: dict[str, np.ndarray | bytes] = {}
        self.plain: list[Any] = []  # plain data (column lists, metrics, descriptions) kept out of skops: JSON

    def prefix(self) -> str:
        return f"arrays/{len({k.split('.')[0] for k in self.members})}"

    def visit(self, obj: Any) -> Any:
        """``obj`` with its packable parts replaced by markers (copied where changed, never modified)."""
        if isinstance(obj, dict):
            new = {k: self.item(v) for k, v in obj.items()}
            return new if any(new[k] is not obj[k] for k in obj) else obj
        if isinstance(obj, list | tuple):
            items = [self.item(v) for v in obj]
            return type(obj)(items) if any(a is not b for a, b in zip(items, obj, strict=True)) else obj
        if isinstance(obj, HGB) and isinstance(getattr(obj, "_predictors", None), list):
            return self._with(obj, {"_predictors": self.hgb(obj._predictors)})
        if isinstance(obj, IsolationForest) and isinstance(getattr(obj, "estimators_", None), list):
            swaps = {"estimators_": self.trees(obj.estimators_)}
            for name, value in vars(obj).items():
                if name != "estimators_":
                    swaps[name] = self.ragged(value)
            return self._with(obj, swaps)
        return obj

    def item(self, value: Any) -> Any:
        if type(value) in (dict, list) and value and _plain(value):
            self.plain.append(value)
            return {MARK: "plain", "index": len(self.plain) - 1}
        return self.visit(value)

    @staticmethod
    def _with(obj: Any, swaps: dict[str, Any]) -> Any:
        swaps = {k: v for k, v in swaps.items() if v is not None}
        if not swaps:
            return obj
        copy = object.__new__(type(obj))
        copy.__dict__.update(vars(obj), **swaps)
        return copy

    def hgb(self, predictors: list[list[TreePredictor]]) -> dict[str, Any] | None:
        per_iter = {len(it) for it in predictors}
        if len(per_iter) != 1 or not all(isinstance(p, TreePredictor) for it in predictors for p in it):
            return None
        flat = [p for it in predictors for p in it]
        p = self.prefix()
        counts = [[len(t.nodes), len(t.binned_left_cat_bitsets), len(t.raw_left_cat_bitsets)] for t in flat]
        self.members[f"{p}.counts"] = np.asarray(counts, dtype=np.int64).reshape(len(predictors), per_iter.pop(), 3)
        self.members[f"{p}.nodes"] = _concat([t.nodes for t in flat], PREDICTOR_RECORD_DTYPE)
        for part in ("binned", "raw"):
            arrays = [getattr(t, f"{part}_left_cat_bitsets").reshape(-1, 8) for t in flat]
            self.members[f"{p}.{part}"] = _concat(arrays, X_BITSET_INNER_DTYPE)
        return {MARK: "hgb_predictors", "prefix": p}

    def trees(self, estimators: list[Any]) -> dict[str, Any] | None:
        if not estimators or any(type(e) is not ExtraTreeRegressor or e.tree_.n_outputs != 1 for e in estimators):
            return None
        attrs = [{k: v for k, v in e.__getstate__().items() if k != "tree_"} for e in estimators]
        if any(not isinstance(v, str | int | float | bool | type(None)) for a in attrs for v in a.values()):
            return None
        p = self.prefix()
        states = [e.tree_.__getstate__() for e in estimators]
        table = [[s["node_count"], s["max_depth"], e.tree_.n_features, e.tree_.max_n_classes]
                 for s, e in zip(states, estimators, strict=True)]  # fmt: skip
        self.members[f"{p}.table"] = np.asarray(table, dtype=np.int64)
        self.members[f"{p}.nodes"] = _concat([s["nodes"] for s in states], NODE_DTYPE)
        self.members[f"{p}.values"] = _concat([s["values"].ravel() for s in states], np.float64)
        self.members[f"{p}.attrs.json"] = json.dumps(attrs).encode()
        return {MARK: "trees", "prefix": p}

    def ragged(self, value: Any) -> dict[str, Any] | None:
        """A list or tuple of 1-D numeric arrays of one dtype (one per tree), as one array plus lengths."""
        if not isinstance(value, list | tuple) or len(value) < 2:
            return None
        if not all(isinstance(a, np.ndarray) and a.ndim == 1 for a in value):
            return None
        dtypes = {a.dtype for a in value}
        if len(dtypes) != 1 or dtypes.pop().kind not in NUMERIC_KINDS:
            return None
        p = self.prefix()
        self.members[f"{p}.lengths"] = np.asarray([len(a) for a in value], dtype=np.int64)
        self.members[f"{p}.data"] = np.concatenate(value)
        return {MARK: "ragged", "prefix": p, "tuple": isinstance(value, tuple)}


def _concat(arrays: list[np.ndarray], dtype: Any) -> np.ndarray:
    """One array of exactly ``dtype`` (numpy's own concatenation drops the padding of record dtypes)."""
    out = np.empty((sum(len(a) for a in arrays), *arrays[0].shape[1:]), dtype=dtype)
    return np.concatenate(arrays, out=out) if arrays else out


def pack(state: Any) -> tuple[Any, dict[str, np.ndarray | bytes]]:
    packer = Packer()
    skeleton = packer.visit(state)
    if packer.plain:
        packer.members[PLAIN] = json.dumps(packer.plain).encode()
    return skeleton, packer.members


# ---- reading ------------------------------------------------------------------------------------------------------
def read_npy(data: bytes, name: str, dtype: np.dtype[Any] | None = None, ndim: int | None = None) -> np.ndarray:
    """One ``.npy`` member, without pickle: its header must announce exactly the bytes that follow (so a forged
    shape cannot make us allocate more than the file holds), a plain numeric or record dtype, C order."""
    import io

    fp = io.BytesIO(data)
    version = np.lib.format.read_magic(fp)
    read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
    shape, fortran, got = read_header(fp)
    if got.hasobject or fortran or (dtype is not None and got != dtype) or (ndim is not None and len(shape) != ndim):
        raise PackError(f"{name} holds {got}{' (Fortran order)' if fortran else ''} of shape {shape}")
    count = math.prod(shape)
    if any(n < 0 for n in shape) or count * got.itemsize != len(data) - fp.tell():
        raise PackError(f"{name} announces {shape} {got} but holds {len(data) - fp.tell()} bytes")
    if dtype is None and got.kind not in NUMERIC_KINDS:
        raise PackError(f"{name} holds {got}, not numbers")
    return np.frombuffer(bytearray(data[fp.tell() :]), dtype=got, count=count).reshape(shape)


class Unpacker:
    def __init__(self, read: Reader) -> None:
        self.read = read
        self.seen: set[int] = set()
        self._plain: list[Any] | None = None

    def plain(self, index: Any) -> Any:
        if self._plain is None:
            try:
                self._plain = json.loads(self.read(PLAIN))
            except ValueError as e:
                raise PackError(f"{PLAIN} is not JSON ({e})") from None
        if not isinstance(self._plain, list) or type(index) is not int or not 0 <= index < len(self._plain):
            raise PackError(f"plain data #{index!r} is not in {PLAIN}")
        return self._plain[index]

    def item(self, v: Any) -> Any:
        if isinstance(v, dict) and v.get(MARK) == "plain":
            return self.plain(v.get("index"))
        return self.visit(v)

    def npy(self, p: str, part: str, dtype: Any = None, ndim: int | None = None) -> np.ndarray:
        name = f"{p}.{part}"
        return read_npy(self.read(name), name, None if dtype is None else np.dtype(dtype), ndim)

    def visit(self, obj: Any) -> Any:
        if id(obj) in self.seen:
            return obj
        self.seen.add(id(obj))
        if isinstance(obj, dict):
            for k, v in obj.items():
                obj[k] = self.item(v)
        elif isinstance(obj, list):
            obj[:] = [self.item(v) for v in obj]
        elif isinstance(obj, tuple):
            return tuple(self.item(v) for v in obj)
        elif isinstance(obj, BaseEstimator):
            d = vars(obj)
            for k, v in d.items():
                d[k] = self.part(obj, v) if isinstance(v, dict) and MARK in v else self.visit(v)
            if isinstance(obj, HGB):
                check_boosting(obj)
            elif isinstance(obj, IsolationForest):
                check_forest(obj)
        return obj

    def part(self, owner: Any, marker: dict[str, Any]) -> Any:
        kind, p = marker.get(MARK), marker.get("prefix")
        if not isinstance(p, str):
            raise PackError(f"a packed part without a name ({marker!r})")
        if kind == "hgb_predictors" and isinstance(owner, HGB):
            return self.hgb(p)
        if kind == "trees" and isinstance(owner, IsolationForest):
            return self.trees(p)
        if kind == "ragged" and isinstance(owner, IsolationForest):
            lengths = self.npy(p, "lengths", np.int64, 1)
            data = self.npy(p, "data", None, 1)
            bounds = _bounds(lengths, len(data), p)
            items = [data[a:b] for a, b in itertools.pairwise(bounds)]
            return tuple(items) if marker.get("tuple") else items
        raise PackError(f"an unknown packed part {kind!r} on {type(owner).__name__}")

    def hgb(self, p: str) -> list[list[TreePredictor]]:
        counts = self.npy(p, "counts", np.int64, 3)
        nodes = self.npy(p, "nodes", PREDICTOR_RECORD_DTYPE, 1)
        bitsets = [self.npy(p, part, X_BITSET_INNER_DTYPE, 2) for part in ("binned", "raw")]
        if counts.shape[2] != 3 or any(b.shape[1] != 8 for b in bitsets):
            raise PackError(f"{p}: the tree table or the bitsets have the wrong shape")
        flat = counts.reshape(-1, 3)
        n_nodes, n_bits = flat[:, 0], flat[:, 2]
        if np.any(flat[:, 1] != n_bits) or np.any(n_nodes < 1):
            raise PackError(f"{p}: a tree without nodes, or bitsets that do not pair up")
        node_at, bits_at = _bounds(n_nodes, len(nodes), p), _bounds(n_bits, len(bitsets[1]), p)
        _bounds(flat[:, 1], len(bitsets[0]), p)
        trees = [
            TreePredictor(nodes[node_at[i] : node_at[i + 1]], bitsets[0][bits_at[i] : bits_at[i + 1]],
                          bitsets[1][bits_at[i] : bits_at[i + 1]])
            for i in range(len(flat))
        ]  # fmt: skip
        k = counts.shape[1]
        return [trees[i * k : (i + 1) * k] for i in range(counts.shape[0])]

    def trees(self, p: str) -> list[ExtraTreeRegressor]:
        table = self.npy(p, "table", np.int64, 2)
        nodes = self.npy(p, "nodes", NODE_DTYPE, 1)
        values = self.npy(p, "values", np.float64, 1)
        try:
            attrs = json.loads(self.read(f"{p}.attrs.json"))
        except ValueError as e:
            raise PackError(f"{p}: the tree settings are not JSON ({e})") from None
        if table.shape[1:] != (4,) or not isinstance(attrs, list) or len(attrs) != len(table):
            raise PackError(f"{p}: the tree table and the tree settings disagree")
        n_nodes, depth, n_features, n_classes = table.T
        if np.any(n_nodes < 1) or np.any(depth < 0) or np.any(n_features < 1) or np.any(n_classes < 1):
            raise PackError(f"{p}: a tree without nodes, features or outputs")
        node_at = _bounds(n_nodes, len(nodes), p)
        value_at = _bounds(n_nodes * n_classes, len(values), p)
        out = []
        for i, a in enumerate(attrs):
            if not isinstance(a, dict) or any(isinstance(v, list | dict) for v in a.values()):
                raise PackError(f"{p}: tree settings must be plain values")
            tree = Tree(int(n_features[i]), np.asarray([n_classes[i]], dtype=np.intp), 1)
            tree.__setstate__(
                {
                    "max_depth": int(depth[i]),
                    "node_count": int(n_nodes[i]),
                    "nodes": nodes[node_at[i] : node_at[i + 1]],
                    "values": values[value_at[i] : value_at[i + 1]].reshape(-1, 1, int(n_classes[i])),
                }
            )
            est = ExtraTreeRegressor.__new__(ExtraTreeRegressor)
            est.__setstate__({**a, "tree_": tree})
            out.append(est)
        return out


def _bounds(lengths: np.ndarray, total: int, p: str) -> np.ndarray:
    """Start offsets (plus the end) of consecutive parts; the lengths must cover ``total`` exactly."""
    if lengths.ndim != 1 or np.any(lengths < 0) or int(lengths.sum()) != total:
        raise PackError(f"{p}: the part sizes do not add up to the {total} stored items")
    return np.concatenate([[0], np.cumsum(lengths)])


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
        isinstance(t.nodes, np.ndarray) and t.nodes.dtype == PREDICTOR_RECORD_DTYPE and t.nodes.ndim == 1
        and isinstance(t.raw_left_cat_bitsets, np.ndarray) and t.raw_left_cat_bitsets.ndim == 2
        for t in flat
    )  # fmt: skip
    if not ok:
        raise PackError("a boosted tree holds arrays of the wrong kind")
    nodes = _concat([t.nodes for t in flat], PREDICTOR_RECORD_DTYPE)
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
    if not trees:
        return
    nodes = _concat([t.tree_.__getstate__()["nodes"] for t in trees], NODE_DTYPE)
    n_nodes = np.asarray([t.tree_.node_count for t in trees], dtype=np.int64)
    inner = nodes["left_child"] != -1
    if np.any(n_nodes < 1) or np.any(~inner & (nodes["right_child"] != -1)):
        raise PackError("a tree of the forest is empty or has a leaf with a child")
    _check_links(nodes["left_child"], nodes["right_child"], inner, n_nodes, "a tree of the forest")
    f = nodes["feature"]
    if np.any(inner & ((f < 0) | (f >= np.repeat([t.tree_.n_features for t in trees], n_nodes)))):
        raise PackError("a tree of the forest splits on a feature it does not have")


def unpack(state: Any, read: Reader) -> Any:
    return Unpacker(read).visit(state)
