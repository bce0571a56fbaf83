"""A job of every status in the UI tests' store, with fixed numbers, for the panel's screenshot tests.

Acts as the worker of the two active jobs: it heartbeats them (so the store does not mark them failed) and honours
Cancel (a canceled job stops where its progress stood). It prints the job ids as JSON on its first line, then runs
until its stdin closes; the jobs still active then are canceled. Times are real (the screenshots mask them).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from jupyter_infer.store import Store

store = Store(os.environ["JUPYTER_INFER_HOME"])
root = Path(os.environ["JI_UI_ROOT"])
owner = f"kernel:ui-tests:{os.getpid()}"


def at(seconds_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def model(name: str) -> dict[str, object]:
    m = store.get_model(name)
    v = m["current_version"]
    return {"model_id": m["id"], "model_name": m["name"], "model_version_id": v["id"], "model_version": v["version"],
            "model_type": m["model_type"]}  # fmt: skip


def ended(type: str, status: str, message: str | None = None, **fields: object) -> str:
    """A job that ran and ended ``status``, through the store's lifecycle (created queued, claimed, ended)."""
    progress = {k: fields.pop(k) for k in ("rows_done", "rows_total", "progress") if k in fields}
    job_id = str(store.create_job(type, owner=owner, **fields)["id"])
    store.start_job(job_id, owner)
    store.report_progress(job_id, **progress)
    store.finish_job(job_id, status, error_message=message, **{k: fields[k] for k in ("started_at", "finished_at")})
    return job_id


ids: dict[str, str] = {}
# oldest first: the panel lists them newest first (running, queued, succeeded, failed, canceled)
ids["canceled"] = ended(
    "infer_batch", "canceled", "canceled by request", **model("churn"), input_filename="big.csv",
    rows_done=2_480_000, rows_total=4_000_000, progress=62.0, started_at=at(30), finished_at=at(21),
)  # fmt: skip
time.sleep(0.01)
failed_model = {k: v for k, v in model("income-band").items() if k != "model_version_id"}  # its version stays
ids["failed"] = ended(
    "train", "failed", "Column 'band' has a single value (every row is 'high'); choose another label column.",
    **failed_model, dataset_name="income-band-training-data", rows_done=300, rows_total=1_500, progress=20.0,
    started_at=at(20), finished_at=at(18),
)  # fmt: skip
time.sleep(0.01)
ids["succeeded"] = ended(
    "infer_batch", "succeeded", **model("churn"), input_filename="new.csv", rows_done=400, rows_total=400,
    progress=100.0, started_at=at(15), finished_at=at(12), output_type="csv",
)  # fmt: skip
store.update_job(ids["succeeded"], result_meta={"output_path": str(root / "reports" / "new.churn.csv")})
time.sleep(0.01)
ids["queued"] = store.create_job(
    "infer_batch", **model("odd-customers"), input_filename="holdout-2026-11.parquet", owner=owner,
    request={"output_path": str(root / "reports" / "holdout-2026-11.odd-customers.parquet")},
)["id"]  # fmt: skip
time.sleep(0.01)
ids["running"] = store.create_job(
    "infer_batch", **model("churn"), input_filename="customers-2026-11.csv", owner=owner,
    request={"output_path": str(root / "reports" / "customers-2026-11.churn.csv")},
)["id"]  # fmt: skip
store.start_job(ids["running"], owner)
store.report_progress(ids["running"], rows_done=148_000, rows_total=400_000, progress=37.0, current_phase="scoring",
                      estimated_seconds_remaining=41.0)  # fmt: skip
print(json.dumps(ids), flush=True)

active = [ids["running"], ids["queued"]]
stop = threading.Event()


def worker() -> None:
    while not stop.wait(1.0):
        store.heartbeat(active)
        for job_id in list(active):
            if store.should_stop(job_id):  # stops where it stood, as a real worker does
                if store.get_job(job_id)["status"] == "running":  # a queued one was canceled by the request
                    store.finish_job(job_id, "canceled", error_message="canceled by request")
                active.remove(job_id)


thread = threading.Thread(target=worker, daemon=True)
thread.start()
sys.stdin.read()  # until the test closes our stdin
stop.set()
thread.join()
for job_id in active:
    if store.request_cancel(job_id)["status"] == "running":
        store.finish_job(job_id, "canceled", error_message="canceled by request")
