"""Model files that cannot execute code on load: a zip of ``meta.json`` (versions, type), a skops payload loaded
only with an allow-list of types, and the big numeric parts as ``.npy`` members read without pickle (see
``_packed``). Foreign, tampered or incompatible files are refused before loading."""

from __future__ import annotations

import io
import json
import os
import threading
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

from .._exceptions import IncompatibleModelError, UnsafeModelError
from . import _packed, _tree_checks
from .model import Artifact

FORMAT = "jupyter-infer-model"
FORMAT_VERSION = 2  # 2: big arrays as .npy members beside the skops payload
START_VERSION = 3  # 3: a prediction boosting that starts from a linear model; a version-2 reader would drop the start
READABLE_VERSIONS = (1, 2, 3)  # version 1 files (all in skops) still load, only slower

# Every non-builtin type a jupyter-infer model may contain. Anything else in a file means it was not made by us
# (or was tampered with) and it is refused without being loaded.
ALLOWED_TYPES = frozenset(
    {
        "builtins.slice",
        "numpy.dtype",
        "numpy.ndarray",
        "numpy.float64",
        "numpy.float32",
        "numpy.int64",
        "numpy.int32",
        "numpy.bool_",
        "numpy.str_",
        "numpy.random.mtrand.RandomState",
        "numpy.random._mt19937.MT19937",
        "functools.partial",
        "pandas.core.indexes.base.Index",
        "sklearn.compose._column_transformer.ColumnTransformer",
        "sklearn.pipeline.Pipeline",
        "sklearn.preprocessing._data.StandardScaler",
        "sklearn.impute._base.SimpleImputer",
        "sklearn.impute._base.MissingIndicator",
        "sklearn.preprocessing._encoders.OneHotEncoder",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.decomposition._truncated_svd.TruncatedSVD",
        "sklearn.decomposition._pca.PCA",
        "sklearn.cluster._kmeans.KMeans",
        "sklearn.cluster._kmeans.MiniBatchKMeans",
        "sklearn.ensemble._iforest.IsolationForest",
        "sklearn.tree._classes.ExtraTreeRegressor",
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.ensemble._forest.RandomForestRegressor",
        "sklearn.tree._classes.DecisionTreeClassifier",
        "sklearn.tree._classes.DecisionTreeRegressor",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfMultinomialLoss",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.MultinomialLogit",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.link.Interval",
        "sklearn.utils.validation.check_array",
        "sklearn.linear_model._logistic.LogisticRegression",
        "sklearn.linear_model._ridge.Ridge",
        "sklearn.neighbors._unsupervised.NearestNeighbors",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "builtins.dict",
        "builtins.list",
        "builtins.str",
        "builtins.tuple",
        "builtins.bool",
        "builtins.NoneType",
        "numpy.random._generator.Generator",
        "numpy.random._pcg64.PCG64",
        "numpy.uint64",
        "numpy.int8",
        "numpy.uint8",
        "sklearn._loss._loss.CyHalfMultinomialLoss",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss._loss.CyHalfSquaredError",
        "sklearn.preprocessing._encoders.OrdinalEncoder",
        "sklearn.preprocessing._function_transformer.FunctionTransformer",
        "sklearn.preprocessing._label.LabelEncoder",
        "collections.OrderedDict",
        "collections.defaultdict",
        "builtins.int",
        "builtins.float",
    }
)


def library_versions() -> dict[str, str]:
    import pandas
    import pyarrow

    return {
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "skops": sio.__name__ and __import__("skops").__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
    }


def _minor(v: str) -> tuple[int, ...]:
    parts = []
    for p in v.split(".")[:2]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _version(art: Artifact) -> int:
    """Version 3 only where it is needed, so older readers still load every other model."""
    start = art.core.get("start") if art.model_type == "prediction" else None  # only fast regression has one
    return START_VERSION if start is not None else FORMAT_VERSION


def dumps(art: Artifact) -> bytes:
    skeleton, members = _packed.pack(art.to_state())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        meta = {
            "format": FORMAT,
            "format_version": _version(art),
            "model_type": art.model_type,
            "versions": library_versions(),
        }
        z.writestr("meta.json", json.dumps(meta))
        z.writestr("model.skops", sio.dumps(skeleton))
        for name, value in members.items():
            if isinstance(value, bytes):
                z.writestr(name, value)
            else:
                with z.open(name, "w") as f:
                    np.lib.format.write_array(f, np.ascontiguousarray(value), allow_pickle=False)
    return buf.getvalue()


def save(art: Artifact, path: str | os.PathLike[str]) -> int:
    """Write atomically (temporary name, then rename); returns the size in bytes."""
    data = dumps(art)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return len(data)


def _open(data: bytes, name: str) -> zipfile.ZipFile:
    """The zip, refused unless every member is stored uncompressed: what it unpacks to is then no bigger than
    the file (no zip bomb)."""
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as e:
        raise UnsafeModelError(f"{name} is not a jupyter-infer model file ({e}); it was not loaded.") from None
    if any(i.compress_type != zipfile.ZIP_STORED or i.file_size != i.compress_size for i in z.infolist()):
        raise UnsafeModelError(f"{name} holds compressed members, which jupyter-infer never writes; it was not loaded.")
    return z


def read_meta(data: bytes, name: str = "model file") -> tuple[dict[str, Any], bytes]:
    meta, payload, _ = _read(data, name)
    return meta, payload


def _read(data: bytes, name: str) -> tuple[dict[str, Any], bytes, zipfile.ZipFile]:
    z = _open(data, name)
    try:
        meta = json.loads(z.read("meta.json"))
        payload = z.read("model.skops")
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise UnsafeModelError(f"{name} is not a jupyter-infer model file ({e}); it was not loaded.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise UnsafeModelError(f"{name} is not a jupyter-infer model file; it was not loaded.")
    _open(payload, name)  # the skops payload is a zip too
    return meta, payload, z


def check_compatible(meta: dict[str, Any], name: str = "model file") -> None:
    versions = meta.get("versions")
    made = versions.get("scikit-learn", "?") if isinstance(versions, dict) else "?"
    fmt = meta.get("format_version")
    if isinstance(fmt, bool) or fmt not in READABLE_VERSIONS:
        reads = f"this jupyter-infer reads formats {min(READABLE_VERSIONS)} to {max(READABLE_VERSIONS)}"
        if type(fmt) is int and fmt > max(READABLE_VERSIONS):
            raise IncompatibleModelError(
                f"{name} has file format {fmt}; {reads}. A newer jupyter-infer made it: upgrade to read it, or "
                "retrain the model."
            )
        raise IncompatibleModelError(
            f"{name} does not state a valid file format (format_version {fmt!r}); {reads}. It was not loaded: "
            "retrain the model."
        )
    if _minor(str(made)) != _minor(sklearn.__version__):
        raise IncompatibleModelError(
            f"{name} was made with scikit-learn {made}; this is scikit-learn {sklearn.__version__}. "
            "Retrain the model with this version."
        )


def types_in(payload: bytes) -> set[str]:
    """Every ``module.class`` (and function) named in a skops payload's schema, read without loading it."""
    with zipfile.ZipFile(io.BytesIO(payload)) as z:
        schema = json.loads(z.read("schema.json"))
    found: set[str] = set()
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("__class__"), str) and isinstance(node.get("__module__"), str):
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


# skops parses with the ast module, and CPython 3.11's AST constructor is not thread-safe: two jobs loading models
# at once failed with "SystemError: AST constructor recursion depth mismatch". Loads are serialized per process.
_LOAD_LOCK = threading.Lock()


def loads(data: bytes, name: str = "model file") -> Artifact:
    with _LOAD_LOCK:
        return _loads(data, name)


def _refuse_foreign(types: set[str], name: str) -> None:
    # skops trusts many types by default; ours is stricter: every type in the file must be on our list
    foreign = sorted(types - ALLOWED_TYPES)
    if foreign:
        raise UnsafeModelError(
            f"{name} contains types outside the allow-list ({', '.join(foreign[:5])}); it may have been tampered "
            "with and was not loaded."
        )


def _loads(data: bytes, name: str) -> Artifact:
    meta, payload, z = _read(data, name)
    check_compatible(meta, name)
    try:
        present = types_in(payload)
    except Exception as e:
        raise UnsafeModelError(f"{name} could not be audited ({e}); it was not loaded.") from None
    _refuse_foreign(present, name)
    try:
        # skops checks every type it meets against this list, which holds only allowed types named in the schema
        skeleton = sio.loads(payload, trusted=sorted(present))
    except UntrustedTypesFoundException as e:  # a type skops met that the schema walk did not name
        raise UnsafeModelError(
            f"{name} contains types outside the allow-list ({str(e).splitlines()[0]}); it was not loaded."
        ) from None
    except Exception as e:
        raise UnsafeModelError(f"{name} could not be loaded ({type(e).__name__}: {e}).") from None

    def member(part: str) -> bytes:
        try:
            return z.read(part)
        except KeyError:
            raise _tree_checks.PackError(f"{part} is missing") from None

    try:
        state = _packed.unpack(skeleton, member)
        return Artifact.from_state(state)
    except Exception as e:  # PackError, or anything else that shows the parts do not fit together
        raise UnsafeModelError(f"{name} is damaged or was tampered with ({e}); it was not loaded.") from None


def load(path: str | os.PathLike[str]) -> Artifact:
    return loads(Path(path).read_bytes(), name=f"The model file {Path(path).name}")
