"""The big numeric parts of a model (boosted-tree node arrays, forest trees, lists of per-tree arrays), moved out of
the skops payload into plain ``.npy`` members: one array per kind instead of thousands of small objects.

``pack`` swaps each such part of the model's state for a small marker dict (the model itself is not changed) and
returns the arrays to store. ``unpack`` rebuilds the parts from arrays read without pickle, and refuses arrays
that do not fit together: every size agrees with the bytes in the file, and the rebuilt trees pass
``_tree_checks`` (child links forward, feature and bitset indices in bounds). The classes rebuilt are fixed here,
never named by the file.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE, X_BITSET_INNER_DTYPE
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeRegressor
from sklearn.tree._tree import NODE_DTYPE, Tree

from ._tree_checks import PackError, check_boosting, check_forest, check_random_forest, concat

MARK = "__jupyter_infer_packed__"
PLAIN = "plain.json"
HGB = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
# each forest's tree class, fixed here (a file never names the class its trees are rebuilt as)
TREE_OF: dict[type, type[Any]] = {
    IsolationForest: ExtraTreeRegressor,
    RandomForestClassifier: DecisionTreeClassifier,
    RandomForestRegressor: DecisionTreeRegressor,
}
CLASS_ATTRS = ("classes_", "n_classes_")  # a classifier tree's, rebuilt from its tree: classes 0..k-1
NUMERIC_KINDS = "biuf"
Reader = Callable[[str], bytes]


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
        if type(obj) in (RandomForestClassifier, RandomForestRegressor) and isinstance(
            vars(obj).get("estimators_"), list
        ):
            return self._with(obj, {"estimators_": self.trees(obj.estimators_, TREE_OF[type(obj)])})
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
        self.members[f"{p}.nodes"] = concat([t.nodes for t in flat], PREDICTOR_RECORD_DTYPE)
        for part in ("binned", "raw"):
            arrays = [getattr(t, f"{part}_left_cat_bitsets").reshape(-1, 8) for t in flat]
            self.members[f"{p}.{part}"] = concat(arrays, X_BITSET_INNER_DTYPE)
        return {MARK: "hgb_predictors", "prefix": p}

    def trees(self, estimators: list[Any], cls: type[Any] = ExtraTreeRegressor) -> dict[str, Any] | None:
        if not estimators or any(type(e) is not cls or e.tree_.n_outputs != 1 for e in estimators):
            return None
        if cls is DecisionTreeClassifier and any(
            not np.array_equal(e.classes_, np.arange(e.tree_.max_n_classes)) for e in estimators
        ):
            return None
        attrs = [{k: v for k, v in e.__getstate__().items() if k not in ("tree_", *CLASS_ATTRS)} for e in estimators]
        if any(not isinstance(v, str | int | float | bool | type(None)) for a in attrs for v in a.values()):
            return None
        p = self.prefix()
        states = [e.tree_.__getstate__() for e in estimators]
        table = [
            [s["node_count"], s["max_depth"], e.tree_.n_features, e.tree_.max_n_classes]
            for s, e in zip(states, estimators, strict=True)
        ]
        self.members[f"{p}.table"] = np.asarray(table, dtype=np.int64)
        self.members[f"{p}.nodes"] = concat([s["nodes"] for s in states], NODE_DTYPE)
        self.members[f"{p}.values"] = concat([s["values"].ravel() for s in states], np.float64)
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
            elif type(obj) in (RandomForestClassifier, RandomForestRegressor):
                check_random_forest(obj)
        return obj

    def part(self, owner: Any, marker: dict[str, Any]) -> Any:
        kind, p = marker.get(MARK), marker.get("prefix")
        if not isinstance(p, str):
            raise PackError(f"a packed part without a name ({marker!r})")
        if kind == "hgb_predictors" and isinstance(owner, HGB):
            return self.hgb(p)
        if kind == "trees" and type(owner) in TREE_OF:
            return self.trees(p, TREE_OF[type(owner)])
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
            TreePredictor(
                nodes[node_at[i] : node_at[i + 1]],
                bitsets[0][bits_at[i] : bits_at[i + 1]],
                bitsets[1][bits_at[i] : bits_at[i + 1]],
            )
            for i in range(len(flat))
        ]
        k = counts.shape[1]
        return [trees[i * k : (i + 1) * k] for i in range(counts.shape[0])]

    def trees(self, p: str, cls: type[Any] = ExtraTreeRegressor) -> list[Any]:
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
            est = object.__new__(cls)
            if cls is DecisionTreeClassifier:
                a = {**a, "classes_": np.arange(n_classes[i], dtype=np.float64), "n_classes_": np.intp(n_classes[i])}
            est.__setstate__({**a, "tree_": tree})
            out.append(est)
        return out


def _bounds(lengths: np.ndarray, total: int, p: str) -> np.ndarray:
    """Start offsets (plus the end) of consecutive parts; the lengths must cover ``total`` exactly."""
    if lengths.ndim != 1 or np.any(lengths < 0) or int(lengths.sum()) != total:
        raise PackError(f"{p}: the part sizes do not add up to the {total} stored items")
    return np.concatenate([[0], np.cumsum(lengths)])


def unpack(state: Any, read: Reader) -> Any:
    return Unpacker(read).visit(state)
