"""Shared fixtures: a client per backend (the same tests run on the embedded engine and over HTTP), real datasets
that ship with packages, and a temporary store per test session."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import jupyter_infer as ji
from tests._helpers import csv_bytes

BACKENDS = ["local"]
if importlib.util.find_spec("jupyter_infer.client._http") and Path(__file__).with_name("_server.py").exists():
    BACKENDS.append("http")


@pytest.fixture(scope="session", params=BACKENDS)
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ji.Client]:
    """A client on a fresh store, once per backend for the whole session (models trained once are reused)."""
    home = tmp_path_factory.mktemp(f"store-{request.param}")
    if request.param == "local":
        yield ji.connect(home=home)
        return
    from tests._server import start_server

    root = tmp_path_factory.mktemp("server-root")
    url, token, stop = start_server(home, root)
    try:
        yield ji.connect(url, token=token)
    finally:
        stop()


@pytest.fixture
def local_client(tmp_path: Path) -> ji.Client:
    """An embedded-engine client on a store of its own (for tests that inspect or break the store)."""
    return ji.connect(home=tmp_path / "store")


@pytest.fixture(scope="session")
def penguins() -> pd.DataFrame:
    from palmerpenguins import load_penguins

    return load_penguins()


@pytest.fixture(scope="session")
def penguins_csv(penguins: pd.DataFrame) -> bytes:
    """The penguins as the bytes of a CSV file (what an upload sends)."""
    return csv_bytes(penguins)


# Every model type, and what training it on the penguins needs
EVERY_TYPE: dict[str, dict[str, str]] = {
    "prediction": {"label_column": "species"},
    "clustering": {},
    "anomaly": {},
    "embedding": {},
    "search": {},
    "factors": {},
}


def train_every_type(client: ji.Client, penguins: pd.DataFrame, prefix: str) -> dict[str, ji.Model]:
    """One model of each type on the penguins (fast mode), named ``<prefix>-<type>``, by type."""
    out = {}
    for t, kw in EVERY_TYPE.items():
        m = client.models.train(penguins, t, name=f"{prefix}-{t}", params={"training_mode": "fast"}, **kw)
        assert isinstance(m, ji.Model)
        out[t] = m
    return out


def sk_frame(name: str) -> pd.DataFrame:
    """A scikit-learn bundled dataset as one DataFrame (iris, wine, breast_cancer, digits and diabetes have their
    target as ``target``)."""
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(as_frame=True).frame


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Nothing a test does may touch the user's real store."""
    old = os.environ.get("JUPYTER_INFER_HOME")
    os.environ["JUPYTER_INFER_HOME"] = str(tmp_path_factory.mktemp("default-home"))
    yield
    if old is None:
        os.environ.pop("JUPYTER_INFER_HOME", None)
    else:
        os.environ["JUPYTER_INFER_HOME"] = old
