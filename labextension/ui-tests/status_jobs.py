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


ids: dict[str, str] = {}
# oldest first: the panel lists them newest first (running, queued, succeeded, failed, canceled)
ids["canceled"] = store.create_job(
    "infer_batch", "canceled", **model("churn"), input_filename="big.csv", rows_done=2_480_000, rows_total=4_000_000,
    progress=62.0, started_at=at(30), finished_at=at(21), cancel_requested=True, owner=owner,
    error_message="canceled by request",
)["id"]  # fmt: skip
time.sleep(0.01)
ids["failed"] = store.create_job(
    "train", "failed", **model("income-band"), dataset_name="income-band-training-data", rows_done=300,
    rows_total=1_500, progress=20.0, started_at=at(20), finished_at=at(18), owner=owner,
    error_message="Column 'band' has a single value (every row is 'high'); choose another label column.",
)["id"]  # fmt: skip
time.sleep(0.01)
ids["succeeded"] = store.create_job(
    "infer_batch", "succeeded", **model("churn"), input_filename="new.csv", rows_done=400, rows_total=400,
    progress=100.0, started_at=at(15), finished_at=at(12), owner=owner, output_type="csv",
    result_meta={"output_path": str(root / "reports" / "new.churn.csv")},
)["id"]  # fmt: skip
time.sleep(0.01)
ids["queued"] = store.create_job(
    "infer_batch", "queued", **model("odd-customers"), input_filename="holdout-2026-11.parquet", owner=owner,
    request={"output_path": str(root / "reports" / "holdout-2026-11.odd-customers.parquet")},
)["id"]  # fmt: skip
time.sleep(0.01)
ids["running"] = store.create_job(
    "infer_batch", "queued", **model("churn"), input_filename="customers-2026-11.csv", owner=owner,
    request={"output_path": str(root / "reports" / "customers-2026-11.churn.csv")},
)["id"]  # fmt: skip
store.start_job(ids["running"], owner)
store.update_job(ids["running"], rows_done=148_000, rows_total=400_000, progress=37.0, current_phase="scoring",
                 estimated_seconds_remaining=41.0)  # fmt: skip
print(json.dumps(ids), flush=True)

active = [ids["running"], ids["queued"]]
stop = threading.Event()


def worker() -> None:
    while not stop.wait(1.0):
        store.heartbeat(active)
        for job_id in list(active):
            if store.cancel_requested(job_id):  # stops where it stood, as a real worker does
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
