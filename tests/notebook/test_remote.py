"""The same magics against the remote backend (a real jupyter server with the jupyter-infer extension), configured
with ``%config InferMagics.url/token``: nothing in the front end depends on the embedded engine."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer.notebook._display import ResultView
from jupyter_infer.notebook._status import ModelsTable

from .conftest import fails, run

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jupyter_infer.client._http") is None, reason="the HTTP backend is not built yet"
)


@pytest.fixture
def remote(ip, tmp_path):
    from tests._server import start_server

    root = tmp_path / "root"
    root.mkdir()
    url, token, stop = start_server(tmp_path / "server-store", root)
    run(ip, f"%config InferMagics.url = {url!r}")
    run(ip, f"%config InferMagics.token = {token!r}")
    try:
        yield ip, ji.connect(url, token=token)
    finally:
        stop()


def test_train_infer_export_status_and_errors_over_http(remote, home):
    ip, client = remote
    run(ip, "%%infer_train clustering km --param n_clusters=3\ndf")
    assert isinstance(ip.user_ns["km"], ji.Model) and [m.name for m in client.models.list()] == ["km"]
    assert not Path(home).exists() or not any(Path(home).glob("models/*")), "nothing went to the local store"
    view = run(ip, "%%infer km\ndf")
    assert isinstance(view, ResultView) and list(view.df.columns) == ["id", "cluster_label", "cluster_description"]
    run(ip, "%%infer km out --join --export out.csv\ndf")
    assert len(ip.user_ns["out"]) == 344 and "species" in pd.read_csv("out.csv").columns
    assert run(ip, "%infer_status") is None
    jobs = client.jobs.list()
    assert {j.type for j in jobs} >= {"train", "infer_batch"}
    assert isinstance(run(ip, f"%infer_status {jobs[0].id} --wait"), ResultView)
    assert isinstance(run(ip, "%infer_models"), ModelsTable)
    err = fails(ip, "%%infer kmm\ndf")
    assert isinstance(err, ji.NotFoundError) and 'Did you mean "km"?' in str(err)
