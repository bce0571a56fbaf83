"""Model files never execute code on load: foreign, tampered or incompatible files are refused with a clear error."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import skops.io as sio
from sklearn.svm import SVC

import jupyter_infer as ji
from jupyter_infer.engine import persist
from jupyter_infer.engine.model import train
from jupyter_infer.engine.options import InferOptions


@pytest.fixture(scope="module")
def artifact(penguins: pd.DataFrame):  # type: ignore[no-untyped-def]
    return train(penguins, "prediction", label_column="species", params={"training_mode": "fast"})


def rezip(data: bytes, meta: dict | None = None, payload: bytes | None = None) -> bytes:
    old_meta, old_payload = persist.read_meta(data)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("meta.json", json.dumps(meta if meta is not None else old_meta))
        z.writestr("model.skops", payload if payload is not None else old_payload)
    return buf.getvalue()


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
    state = artifact.to_state()
    state["core"]["estimator"] = SVC()  # not on the allow-list
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
    from jupyter_infer.jobs import work

    work._cache.clear()
    with pytest.raises(ji.UnsafeModelError, match="allow-list"):
        local_client.models.infer(m, penguins)
    job = local_client.jobs.list(type="infer_sync", limit=1)[0]
    assert job.status == "failed" and "allow-list" in job.error_message
