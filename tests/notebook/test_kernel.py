"""The magics in a real kernel (ipykernel over ZMQ): whole notebooks through nbclient, and a kernel driven message
by message for what a notebook cannot express: a kernel interrupt and a Cancel click arriving as a comm message."""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import jupyter_infer as ji
from tests._helpers import eventually, until_running

from .conftest import RATE_ENV

SETUP = [
    "%load_ext jupyter_infer",
    "import numpy as np, pandas as pd\nfrom palmerpenguins import load_penguins\ndf = load_penguins()\n"
    "rng = np.random.default_rng(0)\n"
    "big = pd.DataFrame({'a': rng.normal(size=3000), 'b': rng.normal(size=3000), 'c': rng.integers(0, 5, 3000)})",
]


def kernel_env(home: Path, rate: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER_INFER_")}
    env["JUPYTER_INFER_HOME"] = str(home)
    if rate:
        env[RATE_ENV] = str(rate)
    return env


def execute(cells: list[str], home: Path, cwd: Path, rate: int | None = None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in [*SETUP, *cells]])
    client = NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute(env=kernel_env(home, rate))
    except CellExecutionError as e:
        e.nb = nb  # type: ignore[attr-defined]
        raise
    return nb


def outputs(nb: nbformat.NotebookNode, i: int) -> list[dict[str, Any]]:
    return list(nb.cells[len(SETUP) + i].outputs)


def data(outs: list[dict[str, Any]], mime: str) -> list[str]:
    return [o["data"][mime] for o in outs if "data" in o and mime in o["data"]]


def test_a_notebook_uses_every_magic(home, tmp_path):
    nb = execute(
        [
            "%%infer_train clustering km\ndf",
            "%%infer km\ndf",
            "%%infer km out --export out.parquet\ndf",
            "print(type(out).__name__, len(out))",
            "%infer_status",
            "%infer_models",
        ],
        home,
        tmp_path,
    )
    train, infer, export, printed, status, models = (outputs(nb, i) for i in range(6))
    assert any("Trained clustering model 'km' v1" in t for t in data(train, "text/plain"))
    # progress: a widget, with a text/plain that ends in the final state (nbclient applies update_display)
    assert data(infer, "application/vnd.jupyter.widget-view+json")
    progress = [t for t in data(infer, "text/plain") if t.startswith("[jupyter-infer job]")]
    assert len(progress) == 1 and "succeeded: 344 rows" in progress[0]
    result = next(o for o in infer if o["output_type"] == "execute_result")
    assert (
        "cluster_label" in result["data"]["text/html"]
        and "Showing the first 20 of 344 rows" in result["data"]["text/html"]
    )
    assert any("Wrote 344 rows as parquet to out.parquet" in t for t in data(export, "text/plain"))
    assert not [o for o in export if o["output_type"] == "execute_result"]  # DEST: no table
    assert (tmp_path / "out.parquet").exists()
    assert printed[0]["text"].strip() == "DataFrame 344"
    assert any("infer_batch" in t and "train" in t for t in data(status, "text/html"))
    assert any("km" in t and "clustering" in t for t in data(models, "text/html"))
    assert nb.metadata.get("widgets"), "widget state is saved with the notebook"


@pytest.mark.parametrize(
    ("cell", "ename", "needle"),
    [
        ("%%infer km --frmat csv\ndf", "OptionError", 'Did you mean "--format"?'),
        ("%%infer kmm\ndf", "NotFoundError", 'Did you mean "km"?'),
    ],
)
def test_a_bad_argument_or_unknown_model_fails_the_cell_and_stops_the_run(home, tmp_path, cell, ename, needle):
    with pytest.raises(CellExecutionError) as info:
        execute(["%%infer_train clustering km\ndf", cell, "print('after')"], home, tmp_path)
    nb = info.value.nb  # type: ignore[attr-defined]
    err = [o for o in outputs(nb, 1) if o["output_type"] == "error"]
    assert len(err) == 1 and err[0]["ename"] == ename and needle in err[0]["evalue"]
    assert len(err[0]["traceback"]) == 1 and "Traceback" not in err[0]["traceback"][0]  # short, no wall of text
    assert outputs(nb, 2) == [] and nb.cells[len(SETUP) + 2].execution_count is None  # Run-All stopped


def test_a_background_job_fills_its_variable_while_another_cell_runs(home, tmp_path):
    nb = execute(
        [
            "%%infer_train clustering km --param n_clusters=2\nbig.head(200)",
            "%%infer km out --background\nbig",
            "import time\nwaited = 0\nwhile 'out' not in globals():\n    waited += 1\n    time.sleep(0.05)\n"
            "print(waited > 0, type(out).__name__, len(out))",
        ],
        home,
        tmp_path,
        rate=300,
    )
    handle = next(o for o in outputs(nb, 1) if o["output_type"] == "execute_result")
    assert "running in the background as job" in handle["data"]["text/plain"]
    assert outputs(nb, 2)[0]["text"].strip() == "True DataFrame 3000"


class Kernel:
    """A kernel driven message by message."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.km, self.kc = start_new_kernel(kernel_name="python3", env=env, cwd=str(cwd))

    def run(self, code: str, timeout: float = 300) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Execute; return the reply and this cell's IOPub messages."""
        msg_id = self.kc.execute(code)
        return self.reply(msg_id, timeout), self.iopub(msg_id, timeout)

    def reply(self, msg_id: str, timeout: float = 300) -> dict[str, Any]:
        while True:
            msg = self.kc.get_shell_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def iopub(self, msg_id: str, timeout: float = 60) -> list[dict[str, Any]]:
        msgs: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            msgs.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return msgs
        raise AssertionError("no idle status")

    def stop(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel(home, tmp_path):
    k = Kernel(kernel_env(home, rate=300), tmp_path)
    try:
        for code in [*SETUP, "%%infer_train clustering km --param n_clusters=2\nbig.head(200)"]:
            reply, _ = k.run(code)
            assert reply["content"]["status"] == "ok", reply["content"]
        yield k
    finally:
        k.stop()


def newest_infer(client: ji.Client) -> ji.Job | None:
    jobs = [j for j in client.jobs.list() if j.type == "infer_batch"]
    return jobs[0] if jobs else None


def test_a_kernel_interrupt_cancels_the_job(kernel, store_client):
    msg_id = kernel.kc.execute("%%infer km out\nbig")
    job = eventually(lambda: newest_infer(store_client), "the job to exist")
    until_running(lambda: store_client.jobs.get(job.id).record)
    kernel.km.interrupt_kernel()
    reply = kernel.reply(msg_id)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "JobCanceled"
    errors = [m for m in kernel.iopub(msg_id) if m["msg_type"] == "error"]
    assert len(errors) == 1 and "canceled by a kernel interrupt" in errors[0]["content"]["evalue"]
    assert eventually(lambda: store_client.jobs.get(job.id).done, "the job to end")
    assert store_client.jobs.get(job.id).status == "canceled"
    _, msgs = kernel.run("print('out' in globals())")
    assert [m["content"]["text"].strip() for m in msgs if m["msg_type"] == "stream"] == ["False"]


def test_a_cancel_click_from_the_frontend_cancels_the_job(kernel, store_client):
    reply, msgs = kernel.run("%%infer km out --background\nbig")
    assert reply["content"]["status"] == "ok"
    buttons = [
        m["content"]["comm_id"]
        for m in msgs
        if m["msg_type"] == "comm_open" and m["content"]["data"]["state"].get("description") == "Cancel"
    ]
    assert len(buttons) == 1
    job = newest_infer(store_client)
    assert job is not None
    until_running(lambda: store_client.jobs.get(job.id).record)
    # exactly what JupyterLab sends when the button is clicked
    click = kernel.kc.session.msg(
        "comm_msg", {"comm_id": buttons[0], "data": {"method": "custom", "content": {"event": "click"}}}
    )
    kernel.kc.shell_channel.send(click)
    assert eventually(lambda: store_client.jobs.get(job.id).done, "the job to end")
    assert store_client.jobs.get(job.id).status == "canceled"
    _, msgs = kernel.run("print('out' in globals())")
    assert [m["content"]["text"].strip() for m in msgs if m["msg_type"] == "stream"] == ["False"]


def test_every_option_in_a_kernel(home, tmp_path):
    """Each option of each magic once, in one real kernel; the checks run inside it (an assert fails the cell)."""
    nb = execute(
        [
            "%%infer_train prediction clf --label species --name species-model --columns island,bill_length_mm,"
            "bill_depth_mm,flipper_length_mm --param training_mode=fast task=classification\ndf",
            "assert (clf.name, clf.label_column, len(clf.input_columns)) == ('species-model', 'species', 4)",
            "%%infer_train clustering v1 --name km --param n_clusters=2\ndf",
            "%%infer_train clustering v2 --name km --param n_clusters=3\ndf",
            "%%infer km old --version {v1.version_id}\ndf",
            "assert old.cluster_label.nunique() == 2",
            "%%infer species-model p --join --id-column year\ndf",
            "assert {'species', 'prediction', 'prediction_prob'} <= set(p.columns) and len(p) == 344",
            "%%infer_train anomaly an\ndf",
            "%%infer an rows --anomaly-format per_row --export scores.json --format json\ndf",
            "import json\nassert len(json.load(open('scores.json'))['anomaly_score']) == 344 == len(rows)",
            "%%infer an --export scores.json --force --format csv\ndf",
            "assert open('scores.json').readline().strip() == 'anomalous_ids'",
            "%%infer_train search s\ndf",
            "%%infer s m -k 2 --exclude-self\ndf.head(10)",
            "assert len(m) == 20 and not (m.id == m.match_id).any()",
            "%%infer_train embedding e --background\ndf",
            "e_job = _\nassert e_job.result().model_type == 'embedding'",
            "%%infer km bg --background\ndf",
            "bg_job = _",
            "%infer_status {bg_job.id} --wait",
            "assert len(bg) == 344",
            "%infer_status {bg_job.id}",
            "%infer_status {bg_job.id} --cancel",
            "%infer_status --all",
            "%infer_models",
        ],
        home,
        tmp_path,
    )
    models = outputs(nb, 25)
    html = data(models, "text/html")[0]
    for name in ("species-model", "km", "an", "s", "e"):
        assert f"<td>{name}</td>" in html
    waited = next(o for o in outputs(nb, 20) if o["output_type"] == "execute_result")
    assert "344 rows" in waited["data"]["text/plain"]


def test_a_cancel_click_on_a_subshell_cancels_a_blocking_cell(kernel, store_client):
    """What JupyterLab >= 4.4 does with ipykernel >= 7: widget messages travel on a kernel subshell, so the click
    is handled while the cell is still blocked waiting for the job."""
    msg_id = kernel.kc.execute("%%infer km out\nbig")
    button = None
    while button is None:
        msg = kernel.kc.get_iopub_msg(timeout=120)
        content = msg["content"]
        if msg["msg_type"] == "comm_open" and content["data"]["state"].get("description") == "Cancel":
            button = content["comm_id"]
    job = eventually(lambda: newest_infer(store_client), "the job to exist")
    until_running(lambda: store_client.jobs.get(job.id).record)
    kernel.kc.control_channel.send(kernel.kc.session.msg("create_subshell_request", {}))
    subshell = kernel.kc.control_channel.get_msg(timeout=30)["content"]["subshell_id"]
    click = kernel.kc.session.msg(
        "comm_msg", {"comm_id": button, "data": {"method": "custom", "content": {"event": "click"}}}
    )
    click["header"]["subshell_id"] = subshell
    kernel.kc.shell_channel.send(click)
    reply = kernel.reply(msg_id)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "JobCanceled"
    assert "canceled by a Cancel request" in reply["content"]["evalue"]
    assert store_client.jobs.get(job.id).status == "canceled"
