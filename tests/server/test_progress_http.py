"""Progress over the HTTP backend against a real jupyter server (its worker process runs the jobs): read while
the job runs, the first figure is low and the figures rise; a cancelled or failed job keeps the progress and rows
it reached, in the client's Job and in the raw ``GET /jobs/{id}`` shape. The server runs with the engine's
test-only rate limit, so jobs on small data last a few seconds."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import jupyter_infer as ji
from tests._helpers import TERMINAL, until_running
from tests._server import start_server
from tests.test_client_jobs import generated
from tests.test_progress import RATE_ENV, check_displays, data_of, running_progress, watch

RATE = 1000  # rows a second: batches of 100 rows, one every 0.1 s


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    home, root = tmp_path_factory.mktemp("progress-http-store"), tmp_path_factory.mktemp("progress-http-root")
    url, token, stop = start_server(home, root, env={RATE_ENV: str(RATE)})
    try:
        yield url, token
    finally:
        stop()


@pytest.fixture(scope="module")
def client(server: tuple[str, str]) -> ji.Client:
    return ji.connect(server[0], token=server[1])


@pytest.fixture(scope="module")
def model(client: ji.Client) -> ji.Model:
    return client.models.train(generated(2000), "prediction", label_column="label", name="progress-http",
                               params={"training_mode": "fast"})  # fmt: skip


def raw_job(server: tuple[str, str], job_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server[0]}/jobs/{job_id}", headers={"Authorization": f"token {server[1]}"}, timeout=30)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.parametrize("kind", ["csv", "parquet", "dataframe", "dataset"])
def test_progress_over_http_starts_low_and_rises(client: ji.Client, model: ji.Model, kind: str, tmp_path: Path) -> None:
    n = 2500  # about 2.5 s
    data = data_of(kind, client, generated(n, seed=11).drop(columns="label"), tmp_path)
    job = client.models.infer_batch(model, data) if kind == "dataset" else client.models.infer_async(model, data)
    seen = watch(job)
    final, during = seen[-1], running_progress(seen)
    assert final["status"] == "succeeded", final.get("error_message")
    assert final["progress"] == 100 and final["rows_done"] == final["rows_total"] == n
    moving = [p for p in during if 0 < p < 100]
    assert moving and moving[0] < 50 and len(set(moving)) >= 3, during
    assert during == sorted(during), during


def test_a_cancelled_job_over_http_stops_where_it_was(
    client: ji.Client, model: ji.Model, server: tuple[str, str], tmp_path: Path
) -> None:
    n = 20_000  # 20 s of scoring
    path = data_of("csv", client, generated(n, seed=12).drop(columns="label"), tmp_path)
    job = client.models.infer_async(model, path)
    before = until_running(lambda: job.refresh().record)
    t = time.monotonic()
    job.cancel()
    while job.refresh().status not in TERMINAL:
        time.sleep(0.02)
    assert job.status == "canceled" and time.monotonic() - t < 2.0  # the worker process saw the store's flag
    rec = raw_job(server, job.id)
    assert before["rows_done"] <= rec["rows_done"] < n and rec["rows_done"] % (RATE // 10) == 0  # whole batches
    assert 0 < rec["progress"] < 100 and rec["progress"] == pytest.approx(100 * rec["rows_done"] / n, abs=1)
    assert rec["estimated_seconds_remaining"] is None
    check_displays(job)


def test_a_failed_job_over_http_keeps_the_rows_it_reached(
    client: ji.Client, model: ji.Model, server: tuple[str, str], tmp_path: Path
) -> None:
    lines = generated(400, seed=13).drop(columns="label").to_json(orient="records", lines=True).splitlines()
    lines[250] = "not json"
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    job = client.models.infer_async(model, str(path))
    assert watch(job)[-1]["status"] == "failed"
    rec = raw_job(server, job.id)
    assert "is not valid JSON Lines" in rec["error_message"] and rec["rows_done"] == 200
    assert rec["progress"] == pytest.approx(100 * sum(len(x) + 1 for x in lines[:200]) / path.stat().st_size, abs=0.01)
    check_displays(job)
