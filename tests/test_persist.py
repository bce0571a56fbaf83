"""Model files never execute code on load: foreign, tampered or incompatible files are refused with a clear error."""

from __future__ import annotations

import dataclasses
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.svm import SVC

import jupyter_infer as ji
from jupyter_infer.engine import persist
from jupyter_infer.engine.model import train
from jupyter_infer.engine.options import InferOptions
from jupyter_infer.engine.schema import align
from jupyter_infer.engine.types import _select


@pytest.fixture(scope="module")
def artifact(penguins: pd.DataFrame):  # type: ignore[no-untyped-def]
    return train(penguins, "prediction", label_column="species", params={"training_mode": "fast"})


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def zipped(parts: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        for name, value in parts.items():
            z.writestr(name, value)
    return buf.getvalue()


def rezip(data: bytes, meta: dict | None = None, payload: bytes | None = None) -> bytes:
    parts = members(data)
    if meta is not None:
        parts["meta.json"] = json.dumps(meta).encode()
    if payload is not None:
        parts["model.skops"] = payload
    return zipped(parts)


@pytest.mark.parametrize("model_type", ["prediction", "clustering", "anomaly", "embedding", "search", "factors"])
def test_every_model_type_round_trips_through_the_allow_list(penguins: pd.DataFrame, model_type: str) -> None:
    kw = {"label_column": "species", "params": {"training_mode": "best"}} if model_type == "prediction" else {}
    art = train(penguins, model_type, **kw)
    back = persist.loads(persist.dumps(art))
    left, right = art.scorer(InferOptions()), back.scorer(InferOptions())
    x, y = left.score(penguins), right.score(penguins)
    if x is None:  # factors: one row per factor at the end
        x, y = left.finish(), right.finish()
    pd.testing.assert_frame_equal(x, y)


def test_a_payload_with_a_foreign_type_is_refused_unloaded(artifact) -> None:  # type: ignore[no-untyped-def]
    state = {**artifact.to_state(), "core": {**artifact.core, "estimator": SVC()}}  # SVC: not on the allow-list
    tampered = rezip(persist.dumps(artifact), payload=sio.dumps(state))
    with pytest.raises(ji.UnsafeModelError, match=r"outside the allow-list.*sklearn\.svm"):
        persist.loads(tampered)


def test_a_pickle_is_not_a_model_file(tmp_path: Path) -> None:
    p = tmp_path / "evil.jimodel"
    p.write_bytes(pickle.dumps({"x": 1}))
    with pytest.raises(ji.UnsafeModelError, match="not a jupyter-infer model file"):
        persist.load(p)


def test_a_model_from_an_incompatible_version_says_to_retrain(artifact) -> None:  # type: ignore[no-untyped-def]
    data = persist.dumps(artifact)
    meta, _ = persist.read_meta(data)
    meta["versions"]["scikit-learn"] = "0.24.2"
    with pytest.raises(ji.IncompatibleModelError, match=r"scikit-learn 0\.24\.2.*Retrain"):
        persist.loads(rezip(data, meta=meta))


def test_a_tampered_file_in_the_store_fails_inference_cleanly(local_client: ji.Client, penguins: pd.DataFrame) -> None:
    m = local_client.models.train(penguins, "clustering", name="tampered")
    path = Path(m.record["current_version"]["path"])
    state_art = persist.load(path)
    state = state_art.to_state()
    state["core"]["kmeans"] = SVC()
    path.write_bytes(rezip(path.read_bytes(), payload=sio.dumps(state)))
    from jupyter_infer.jobs import _artifacts as work

    work._cache.clear()
    with pytest.raises(ji.UnsafeModelError, match="allow-list"):
        local_client.models.infer(m, penguins)
    job = local_client.jobs.list(type="infer_sync", limit=1)[0]
    assert job.status == "failed" and "allow-list" in job.error_message


def test_a_model_file_of_the_first_format_still_loads(artifact, penguins: pd.DataFrame) -> None:  # type: ignore[no-untyped-def]
    # format 1 kept everything in the skops payload; models trained before format 2 keep working
    meta = {**persist.read_meta(persist.dumps(artifact))[0], "format_version": 1}
    old = zipped({"meta.json": json.dumps(meta).encode(), "model.skops": sio.dumps(artifact.to_state())})
    back = persist.loads(old)
    opts = InferOptions()
    pd.testing.assert_frame_equal(artifact.scorer(opts).score(penguins), back.scorer(opts).score(penguins))


@pytest.mark.parametrize("version", [99, "3", None, True])
def test_a_file_format_this_version_cannot_read_is_named_as_such(artifact, version) -> None:  # type: ignore[no-untyped-def]
    """A newer (or tampered) file format is refused with its own message, not "made with scikit-learn X; this is
    scikit-learn X" (the same version twice); a bool is not a format number."""
    data = persist.dumps(artifact)
    meta = {**persist.read_meta(data)[0], "format_version": version}
    bad = zipped({**members(data), "meta.json": json.dumps(meta).encode()})
    with pytest.raises(ji.IncompatibleModelError, match=r"file format .* this jupyter-infer reads formats 1 to 3"):
        persist.loads(bad)


def test_tree_arrays_are_stored_as_npy_members_not_as_skops_objects(artifact) -> None:  # type: ignore[no-untyped-def]
    parts = members(persist.dumps(artifact))
    assert any(name.endswith(".nodes") for name in parts)
    assert not any("TreePredictor" in t for t in persist.types_in(parts["model.skops"]))


def npy(arr: np.ndarray, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


def with_nodes(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    """The model file with its first tree-node array replaced by ``change(array)`` (raw bytes or an array)."""
    parts = members(data)
    name = next(n for n in parts if n.endswith(".nodes"))
    new = change(np.lib.format.read_array(io.BytesIO(parts[name])))
    parts[name] = new if isinstance(new, bytes) else npy(new)
    return zipped(parts)


EXECUTED: list[str] = []


def _record_execution() -> None:
    EXECUTED.append("code ran")


class _Payload:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (_record_execution, ())


def test_a_pickle_hidden_in_an_array_member_is_refused_without_running_it(artifact) -> None:  # type: ignore[no-untyped-def]
    evil = with_nodes(persist.dumps(artifact), lambda a: npy(np.array([_Payload()], dtype=object), allow_pickle=True))
    with pytest.raises(ji.UnsafeModelError, match="tampered"):
        persist.loads(evil)
    assert EXECUTED == []


def test_an_array_header_announcing_more_than_the_file_holds_is_refused(artifact) -> None:  # type: ignore[no-untyped-def]
    def forge(a: np.ndarray) -> bytes:
        head = io.BytesIO()
        header = {"descr": np.lib.format.dtype_to_descr(a.dtype), "fortran_order": False, "shape": (10**9,)}
        np.lib.format.write_array_header_1_0(head, header)
        return head.getvalue() + a.tobytes()  # 10**9 nodes announced (57 GB), a few KB present

    with pytest.raises(ji.UnsafeModelError, match=r"announces \(1000000000,\)"):
        persist.loads(with_nodes(persist.dumps(artifact), forge))


def first_split(a: np.ndarray, leaf: str) -> int:
    inner = a[leaf] == 0 if leaf == "is_leaf" else a[leaf] != -1
    return int(np.flatnonzero(inner)[0])


@pytest.mark.parametrize(
    "field,value,message",
    [("left", 0, "backwards"), ("right", 10**6, "outside its tree"), ("feature_idx", 10**6, "feature")],
)
def test_boosted_trees_that_would_read_out_of_bounds_or_never_end_are_refused(artifact, field, value, message) -> None:  # type: ignore[no-untyped-def]
    def tamper(a: np.ndarray) -> np.ndarray:
        a[field][first_split(a, "is_leaf")] = value  # a split pointing at itself would loop forever
        return a

    with pytest.raises(ji.UnsafeModelError, match=message):
        persist.loads(with_nodes(persist.dumps(artifact), tamper))


def test_forest_trees_that_would_read_out_of_bounds_are_refused(penguins: pd.DataFrame) -> None:
    data = persist.dumps(train(penguins, "anomaly"))
    assert persist.loads(data).model_type == "anomaly"

    def tamper(a: np.ndarray) -> np.ndarray:
        a["feature"][first_split(a, "left_child")] = 99
        return a

    with pytest.raises(ji.UnsafeModelError, match="feature"):
        persist.loads(with_nodes(data, tamper))


def test_compressed_members_and_missing_members_are_refused(artifact) -> None:  # type: ignore[no-untyped-def]
    parts = members(persist.dumps(artifact))
    with pytest.raises(ji.UnsafeModelError, match="compressed"):  # a zip bomb would be compressed
        persist.loads(zipped(parts, zipfile.ZIP_DEFLATED))
    del parts[next(n for n in parts if n.endswith(".nodes"))]
    with pytest.raises(ji.UnsafeModelError, match="missing"):
        persist.loads(zipped(parts))


def test_the_artifact_a_training_built_serves_the_next_inference_without_loading(
    local_client: ji.Client, penguins: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    m = local_client.models.train(penguins, "prediction", label_column="species", params={"training_mode": "fast"})

    def no_load(path: object) -> None:
        raise AssertionError("the model file was loaded again")

    monkeypatch.setattr(persist, "load", no_load)
    assert len(local_client.models.infer(m, penguins.head(3))) == 3


def test_loaded_models_are_cached_within_a_byte_bound(artifact, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from jupyter_infer.jobs import _artifacts as work

    monkeypatch.setattr(work, "_cache", type(work._cache)())
    monkeypatch.setattr(work, "CACHE_BYTES", 1000)
    work.remember_artifact("v1", artifact, 600)
    work.remember_artifact("v2", artifact, 300)
    work.remember_artifact("v1", artifact, 600)  # used again: v2 is now the least recently used
    work.remember_artifact("v3", artifact, 300)
    work.remember_artifact("huge", artifact, 5000)  # bigger than the whole cache: not kept
    assert list(work._cache) == ["v1", "v3"]


def test_a_first_format_file_with_a_looping_tree_is_refused_too(artifact) -> None:  # type: ignore[no-untyped-def]
    import copy

    est = copy.deepcopy(artifact.core["estimator"])
    nodes = est._predictors[0][0].nodes
    split = first_split(nodes, "is_leaf")
    nodes["left"][split] = split  # predict would walk this split forever
    state = {**artifact.to_state(), "core": {**artifact.core, "estimator": est}}
    meta = {**persist.read_meta(persist.dumps(artifact))[0], "format_version": 1}
    old = zipped({"meta.json": json.dumps(meta).encode(), "model.skops": sio.dumps(state)})
    with pytest.raises(ji.UnsafeModelError, match="backwards"):
        persist.loads(old)


@pytest.fixture(scope="module")
def forests(penguins: pd.DataFrame) -> dict[str, tuple[bytes, bytes]]:
    """The engine's random forest (as ``best`` can choose it), a classifier and a regressor, in model files; beside
    each, the same fitted forest all in skops as format 1 kept it, made from the original (not from a reload)."""
    out = {}
    for label in ("species", "body_mass_g"):
        art = train(penguins, "prediction", label_column=label, params={"training_mode": "fast"})
        rows = penguins.dropna(subset=[label])
        X = art.featurizer.tree_matrix(align(rows, art.featurizer.schema)[0])
        est = (
            _select.forest(art.core["task"], len(rows), 30).fit(X, rows[label].to_numpy()).set_params(warm_start=False)
        )
        core = {k: v for k, v in art.core.items() if k != "blend"}
        forest_art = dataclasses.replace(art, core={**core, "estimator": est, "kind": "forest"})
        data = persist.dumps(forest_art)
        old = {**persist.read_meta(data)[0], "format_version": 1}
        first = zipped({"meta.json": json.dumps(old).encode(), "model.skops": sio.dumps(forest_art.to_state())})
        out[label] = (data, first)
    return out


@pytest.mark.parametrize("label", ["species", "body_mass_g"])
def test_a_random_forest_round_trips_as_npy_members_with_identical_predictions(
    forests: dict[str, tuple[bytes, bytes]], penguins: pd.DataFrame, label: str
) -> None:
    data, first_format = forests[label]
    parts = members(data)
    assert any(name.endswith(".nodes") for name in parts)
    assert "sklearn.tree._tree.Tree" not in persist.types_in(parts["model.skops"])  # trees are not skops objects
    reference = persist.loads(first_format)  # the original forest, all in skops
    back = persist.loads(data)
    assert type(back.core["estimator"]).__name__.startswith("RandomForest")
    opts = InferOptions(prob_columns=True) if label == "species" else InferOptions()
    rows = penguins.drop(columns=[label])
    pd.testing.assert_frame_equal(back.scorer(opts).score(rows), reference.scorer(opts).score(rows))
    est, ref = back.core["estimator"], reference.core["estimator"]
    X = back.featurizer.tree_matrix(align(rows, back.featurizer.schema)[0])
    predict = "predict_proba" if label == "species" else "predict"
    np.testing.assert_array_equal(getattr(est, predict)(X), getattr(ref, predict)(X))


@pytest.mark.parametrize(
    "field,value,message",
    [("left_child", 0, "backwards"), ("right_child", 10**6, "outside its tree"), ("feature", 10**6, "feature")],
)
def test_a_random_forest_whose_trees_would_read_out_of_bounds_is_refused(forests, field, value, message) -> None:  # type: ignore[no-untyped-def]
    def tamper(a: np.ndarray) -> np.ndarray:
        a[field][first_split(a, "left_child")] = value
        return a

    with pytest.raises(ji.UnsafeModelError, match=message):
        persist.loads(with_nodes(forests["species"][0], tamper))


def test_a_random_forest_tree_with_another_class_count_is_refused(forests) -> None:  # type: ignore[no-untyped-def]
    data = forests["species"][0]
    parts = members(data)
    table_name = next(n for n in parts if n.endswith(".table"))
    table = np.lib.format.read_array(io.BytesIO(parts[table_name]))
    n_nodes, _, _, n_classes = table[0]
    assert n_classes == 3
    table[0, 3] = 2  # the first tree now claims two classes; its values shrink to match, so only the count is wrong
    values_name = table_name.replace(".table", ".values")
    values = np.lib.format.read_array(io.BytesIO(parts[values_name]))
    parts[table_name], parts[values_name] = npy(table), npy(np.delete(values, np.arange(n_nodes * 2, n_nodes * 3)))
    with pytest.raises(ji.UnsafeModelError, match="other classes than the forest"):
        persist.loads(zipped(parts))
    parts[table_name] = npy(table)  # the count changed without the values: the sizes no longer add up
    parts[values_name] = npy(values)
    with pytest.raises(ji.UnsafeModelError, match="do not add up"):
        persist.loads(zipped(parts))


def test_a_pickle_in_a_random_forest_member_is_refused_without_running_it(forests) -> None:  # type: ignore[no-untyped-def]
    for suffix in (".nodes", ".values", ".table"):
        parts = members(forests["species"][0])
        name = next(n for n in parts if n.endswith(suffix))
        parts[name] = npy(np.array([_Payload()], dtype=object), allow_pickle=True)
        with pytest.raises(ji.UnsafeModelError, match="tampered"):
            persist.loads(zipped(parts))
    assert EXECUTED == []
