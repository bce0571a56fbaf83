"""Background jobs, cancel (the Cancel button's handler and a kernel interrupt), %infer_status, %infer_models and
the upload widget, in a real InteractiveShell. Slow jobs come from the engine's test-only rate limit."""

from __future__ import annotations

import _thread
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from ipywidgets.widgets.widget import _instances

import jupyter_infer as ji
from jupyter_infer.client import ENDED
from jupyter_infer.notebook._display import BackgroundJob, ResultView
from jupyter_infer.notebook._progress import ProgressView
from jupyter_infer.notebook._status import JobsTable, ModelsTable
from jupyter_infer.notebook._upload import UploadWidget
from tests._helpers import eventually, until_running

from .conftest import RATE_ENV, fails, generated, run

NOW = datetime.now(UTC)


@pytest.fixture
def slow(ip, monkeypatch):
    """A clustering model ``km`` and ``big``: 3,000 generated rows scored at 300 rows/s (about 10 s)."""
    ip.user_ns["small"] = generated(300)
    run(ip, "%%infer_train clustering km --param n_clusters=2\nsmall")
    ip.user_ns["big"] = generated(3000, seed=1)
    monkeypatch.setenv(RATE_ENV, "300")
    return ip


def view_of(job_id: str) -> ProgressView:
    views = [w for w in list(_instances.values()) if isinstance(w, ProgressView) and w.job_id == job_id]
    assert views, f"no progress widget for {job_id}"
    return views[-1]


def test_background_fills_dest_while_another_cell_runs(slow, store_client):
    handle = run(slow, "%%infer km out --background\nbig")
    assert isinstance(handle, BackgroundJob)
    assert handle.status in ("queued", "running") and "out" not in slow.user_ns  # the cell returned at once
    # another cell runs while the job works; DEST appears when the job succeeds
    run(slow, "import time\nseen = []\nwhile 'out' not in globals():\n    seen.append(1)\n    time.sleep(0.05)")
    out = slow.user_ns["out"]
    assert isinstance(out, pd.DataFrame) and len(out) == 3000 and len(slow.user_ns["seen"]) > 0
    assert store_client.jobs.get(handle.id).status == "succeeded"
    assert handle.result() is out
    view = view_of(handle.id)
    assert view.bar.bar_style == "success" and "succeeded: 3,000 rows" in view.label.value
    assert "cluster" in view.result.value  # the widget keeps the result summary


def test_background_training_fills_the_model(ip):
    handle = run(ip, "%%infer_train clustering km --background\ndf")
    model = handle.result(timeout=120)
    assert isinstance(model, ji.Model) and ip.user_ns["km"].id == model.id


def test_cancel_button_handler_cancels_the_job(slow, store_client):
    handle = run(slow, "%%infer km out --background\nbig")
    until_running(lambda: store_client.jobs.get(handle.id).record)
    view = view_of(handle.id)
    view.cancel_button.click()  # what a click delivers: the on_click handler
    handle.wait(120)
    assert store_client.jobs.get(handle.id).status == "canceled"
    assert "out" not in slow.user_ns
    assert view.bar.bar_style == "warning" and "canceled" in view.label.value
    with pytest.raises(ji.JobCanceled):
        handle.result()


def test_kernel_interrupt_cancels_a_blocking_cell(slow, store_client):
    jobs_before = {j.id for j in store_client.jobs.list()}

    def interrupt() -> None:
        def started() -> ji.Job | None:
            new = [j for j in store_client.jobs.list() if j.id not in jobs_before and j.type == "infer_batch"]
            return new[0] if new else None

        job = eventually(started, "the job to start")
        until_running(lambda: store_client.jobs.get(job.id).record)
        _thread.interrupt_main()  # what a kernel interrupt does to the cell's thread

    t = threading.Thread(target=interrupt, daemon=True)
    t.start()
    err = fails(slow, "%%infer km out\nbig")
    t.join()
    assert isinstance(err, ji.JobCanceled) and "kernel interrupt" in str(err)
    job = next(j for j in store_client.jobs.list() if j.id not in jobs_before and j.type == "infer_batch")
    assert eventually(lambda: store_client.jobs.get(job.id).done, "the job to end")
    assert store_client.jobs.get(job.id).status == "canceled" and "out" not in slow.user_ns


def test_status_table_detail_wait_and_cancel(slow, store_client, monkeypatch):
    shown: list[object] = []
    real = __import__("jupyter_infer.notebook._cell_status", fromlist=["display"]).display
    monkeypatch.setattr(
        "jupyter_infer.notebook._cell_status.display", lambda o, **kw: (shown.append(o), real(o, **kw))[1]
    )
    h1 = run(slow, "%%infer km a --background\nbig")
    h2 = run(slow, "%%infer km b --background\nbig")
    assert run(slow, "%infer_status") is None
    table = next(o for o in shown if isinstance(o, JobsTable))
    ids = [r["id"] for r in table.recs]
    assert ids[:2] == [h2.id, h1.id]  # newest first, from the store
    assert "this kernel" in table._repr_mimebundle_()["text/html"]
    # one job in detail, then cancel it
    run(slow, f"%infer_status {h2.id} --cancel")
    assert eventually(lambda: store_client.jobs.get(h2.id).status == "canceled", "the cancel")
    # --wait returns the result
    rv = run(slow, f"%infer_status {h1.id} --wait")
    assert isinstance(rv, ResultView) and len(rv.df) == 3000
    assert len(slow.user_ns["a"]) == 3000  # --wait on a --background job of this kernel: DEST is already set
    assert run(slow, f"%infer_status {h1.id}") is None
    card = shown[-1]
    assert "succeeded" in repr(card) and h1.id in repr(card)
    eventually(lambda: not table._thread or not table._thread.is_alive(), "the live table to settle")
    assert "canceled" in table.table.value and "succeeded" in table.table.value


def test_status_paging_and_all(ip, store_client):
    for _ in range(3):
        run(ip, "%%infer_train embedding --param n_components=2\ndf.head(30)")
    table = JobsTable(store_client, page_size=2, all_jobs=True)
    first = [r["id"] for r in table.recs]
    assert len(first) == 2 and table.more and table.prev.disabled and not table.next.disabled
    table.next.click()
    eventually(lambda: table.page == 1 and table.table.value and first[0] not in table.table.value, "page 2")
    assert not table.prev.disabled
    everything = [j.id for j in store_client.jobs.list()]
    assert [r["id"] for r in table.recs] == everything[2:4]


def test_models_lists_type_version_metrics_and_training_data(ip):
    run(ip, "%%infer_train clustering km\ndf")
    run(ip, "%%infer_train anomaly an\ndf")
    models = run(ip, "%infer_models")
    assert isinstance(models, ModelsTable) and len(models) == 2
    frame = models.to_pandas()
    assert set(frame["name"]) == {"km", "an"} and set(frame["type"]) == {"clustering", "anomaly"}
    assert "silhouette_score" in frame.set_index("name").loc["km", "metrics"]
    assert "<table" in models._repr_html_() and "training data" in models._repr_html_()


class TestUpload:
    def test_upload_runs_the_chosen_model_and_offers_a_download(self, ip, penguins, store_client):
        run(ip, "%%infer_train clustering km\ndf")
        w = ji.upload(client=store_client)
        assert isinstance(w, UploadWidget) and w.model.value == "km"
        data = penguins.head(25).to_csv(index=False).encode()
        w.picker.value = (
            {
                "name": "new.csv",
                "type": "text/csv",
                "size": len(data),
                "last_modified": NOW,
                "content": memoryview(data),
            },
        )
        w.format.value = "json"
        w.run_button.click()
        w.worker.join(120)
        assert 'download="new-km-results.json"' in w.output.value and "data:application/json;base64," in w.output.value
        assert "25 result rows" in w.message.value
        assert w.progress.children[0].bar.bar_style == "success"

    def test_files_over_the_limit_are_refused_with_a_pointer_to_paths(self, ip, store_client):
        run(ip, "%%infer_train clustering km\ndf")
        w = UploadWidget(store_client, max_mb=0.001)
        data = b"a,b\n" + b"1,2\n" * 1000
        w.picker.value = (
            {
                "name": "big.csv",
                "type": "text/csv",
                "size": len(data),
                "last_modified": NOW,
                "content": memoryview(data),
            },
        )
        jobs_before = len(store_client.jobs.list())
        w.run()
        assert "over the 0.001 MB browser upload limit" in w.message.value and "path" in w.message.value
        assert len(store_client.jobs.list()) == jobs_before

    def test_run_without_a_file_says_so(self, ip, store_client):
        w = UploadWidget(store_client)
        w.run()
        assert "Choose a file first" in w.message.value


def test_a_background_failure_after_the_job_shows_in_the_widget(slow, store_client):
    handle = run(slow, "%%infer km out --background --export r.csv\nbig")
    with open("r.csv", "w") as f:  # someone writes the file while the job runs
        f.write("mine\n")
    with pytest.raises(ji.ConflictError):
        handle.result(timeout=120)
    view = view_of(handle.id)
    assert "already exists" in view.result.value and view.bar.bar_style == "danger"
    assert Path("r.csv").read_text() == "mine\n" and "out" not in slow.user_ns


def test_a_background_job_that_ends_before_its_handle_exists_still_fills_it(ip, monkeypatch):
    """The watcher thread starts before the cell has built the job's handle; a small job can end in between (seen
    in CI as ``KeyError: 'handle'`` in the watcher, and the result never reached DEST). Building the handle only
    once the job has ended opens that window every time."""
    from jupyter_infer.notebook import _display

    build = _display.BackgroundJob.__init__

    def slow_init(self, job, what, dest, watcher):
        job.wait(timeout=120)  # the job has ended before its handle exists
        eventually(lambda: (getattr(watcher, "record", None) or {}).get("status") in ENDED, "the end seen", 5)
        build(self, job, what, dest, watcher)

    monkeypatch.setattr(_display.BackgroundJob, "__init__", slow_init)
    handle = run(ip, "%%infer_train clustering km --background\ndf")
    model = handle.result(timeout=120)
    assert isinstance(model, ji.Model) and ip.user_ns["km"].id == model.id


def test_status_shows_an_active_job_older_than_a_page_of_newer_ended_ones(slow, store_client, monkeypatch):
    """The footer promises every active job: one started two days ago, behind a page of newer ended jobs and
    ended jobs of the day before, must still be listed (the table used to fetch the newest jobs and then filter, so
    it lost the active job and stopped paging)."""
    shown: list[object] = []
    monkeypatch.setattr("jupyter_infer.notebook._cell_status.display", shown.append)
    run(slow, "%config InferMagics.status_page_size = 2")
    store = store_client.backend.store  # type: ignore[attr-defined]

    def days_ago(days: float) -> str:
        return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    for j in store_client.jobs.list():  # the fixture's dataset and training: ended, yesterday
        store.update_job(j.id, created_at=days_ago(1.5))
    for _ in range(3):  # newer ended jobs: more than a page of them
        run(slow, "%%infer km\nsmall")
    monkeypatch.setenv(RATE_ENV, "30")  # 3,000 rows: about 100 s, it stays running for the whole test
    old = run(slow, "%%infer km out --background\nbig")
    try:
        until_running(lambda: store_client.jobs.get(old.id).record)
        store.update_job(old.id, created_at=days_ago(2))
        assert run(slow, "%infer_status") is None
        table = next(o for o in shown if isinstance(o, JobsTable))
        listed = [r["id"] for r in table.recs]
        while table.more:  # page through as the Older button does
            table.page += 1
            table.fetch()
            listed += [r["id"] for r in table.recs]
        assert old.id in listed, f"the active job {old.id} is missing from {listed}"
        assert listed[-1] == old.id and len(listed) == 4 == len(set(listed))  # newest first, once; no old ended job
        created = [store_client.jobs.get(i).record["created_at"] for i in listed]
        assert created == sorted(created, reverse=True)
    finally:
        store_client.jobs.cancel(old.id)


def test_a_rerun_cell_keeps_dest_for_the_newer_job(slow, store_client):
    """A --background cell run again (say, on other data) while its first job still works: DEST holds the newer
    job's result, and the older job, ending later, does not put its own back over it."""
    old = run(slow, "%%infer km out --background\nbig")  # about 10 s
    until_running(lambda: store_client.jobs.get(old.id).record)
    new = run(slow, "%%infer km out --background\nsmall")  # 300 rows
    assert len(new.result(timeout=120)) == 300
    eventually(lambda: len(slow.user_ns.get("out", ())) == 300, "the newer result in out", timeout=60)
    assert len(old.result(timeout=120)) == 3000  # the old job's handle still has its own result
    assert len(slow.user_ns["out"]) == 300, "the older job put its result back over the newer one's"
    assert "out" in view_of(old.id).result.value and "newer" in view_of(old.id).result.value


def test_an_interrupted_wait_leaves_the_progress_text_where_the_job_is(slow, store_client, monkeypatch):
    """■ during `%infer_status JOB --wait`: the output's stored text/plain (what a frontend without widgets shows,
    and what the saved notebook keeps) said "queued · 0 rows · 0%" for a job a quarter done."""
    published: list[str] = []
    real = slow.display_pub.publish

    def publish(data, *args, **kwargs):  # type: ignore[no-untyped-def]
        published.append(str(data.get("text/plain", "")))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(slow.display_pub, "publish", publish)
    handle = run(slow, "%%infer km out --background\nbig")
    try:
        eventually(lambda: (store_client.jobs.get(handle.id).record.get("rows_done") or 0) > 0, "rows scored")

        def interrupt() -> None:
            eventually(lambda: any(f"{handle.id}" in p for p in published[1:]), "the status cell's progress")
            threading.Event().wait(1.0)  # the watcher has polled the job since
            _thread.interrupt_main()

        t = threading.Thread(target=interrupt, daemon=True)
        t.start()
        err = fails(slow, f"%infer_status {handle.id} --wait")
        t.join()
        assert isinstance(err, ji.InputError) and "Stopped waiting" in str(err)
        last = [p for p in published if handle.id in p][-1]
        assert "running" in last and "queued" not in last, last
    finally:
        store_client.jobs.cancel(handle.id)
