"""Progress that tells the truth (issue 11), read from the store WHILE jobs run: for every input kind the first
figure is low and the figures rise; a cancelled or failed job keeps the progress and rows it really reached, and
every display shows that; cancel ends a job promptly even inside a slow batch; batches are as asked.

Slow jobs come from the engine's test-only rate limit (JUPYTER_INFER_TEST_ROWS_PER_SECOND: batches of rate/10
rows, one every 0.1 s), not from large inputs. The HTTP backend's twin is tests/server/test_progress_http.py; the
Dask executor's is in tests/dask/test_dask_results.py."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer.engine.batches import BatchReader
from jupyter_infer.engine.model import BatchScorer
from jupyter_infer.jobs._results import ResultWriter
from jupyter_infer.jobs._runner import JobContext
from tests._helpers import TERMINAL, until_running
from tests.test_client_jobs import generated  # a, b, c, d and a label

RATE_ENV = "JUPYTER_INFER_TEST_ROWS_PER_SECOND"
KINDS = ["csv", "jsonl", "parquet", "dataframe", "dataset"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> ji.Client:
    return ji.connect(home=tmp_path_factory.mktemp("progress-store"))


@pytest.fixture(scope="module")
def model(client: ji.Client) -> ji.Model:
    return client.models.train(generated(2000), "prediction", label_column="label", name="progress-model",
                               params={"training_mode": "fast"})  # fmt: skip


def data_of(kind: str, client: ji.Client, df: pd.DataFrame, tmp_path: Path) -> Any:
    """The same rows as each input kind; returns what infer_async/infer_batch takes."""
    if kind == "csv":
        df.to_csv(p := tmp_path / "in.csv", index=False)
    elif kind == "jsonl":
        df.to_json(p := tmp_path / "in.jsonl", orient="records", lines=True)
    elif kind == "parquet":
        df.to_parquet(p := tmp_path / "in.parquet", row_group_size=97)
    elif kind == "dataset":
        return f"dataset:{client.datasets.create(df, name=f'progress-{tmp_path.name}').id}"
    else:
        return df
    return str(p)


def start(client: ji.Client, model: ji.Model, data: Any) -> ji.Job:
    if isinstance(data, str) and data.startswith("dataset:"):
        return client.models.infer_batch(model, data)
    return client.models.infer_async(model, data)


def watch(job: ji.Job, timeout: float = 120) -> list[dict[str, Any]]:
    """Every state of the job seen while it runs (polled every 20 ms), then its final state."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        rec = dict(job.refresh()._record)
        seen.append(rec)
        if rec["status"] in TERMINAL:
            return seen
        assert time.monotonic() < deadline, f"job {job.id} still {rec['status']}"
        time.sleep(0.02)


def running_progress(seen: list[dict[str, Any]]) -> list[float]:
    return [float(r.get("progress") or 0) for r in seen if r["status"] == "running"]


@pytest.mark.parametrize("kind", KINDS)
def test_progress_starts_low_and_rises_while_the_job_runs(
    client: ji.Client, model: ji.Model, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    n = 1500
    data = data_of(kind, client, generated(n, seed=1).drop(columns="label"), tmp_path)
    monkeypatch.setenv(RATE_ENV, "500")  # batches of 50 rows, one every 0.1 s: about 3 s
    seen = watch(start(client, model, data))
    final, during = seen[-1], running_progress(seen)
    assert final["status"] == "succeeded", final.get("error_message")
    assert final["progress"] == 100 and final["rows_done"] == final["rows_total"] == n
    moving = [p for p in during if 0 < p < 100]
    assert moving and moving[0] < 50, during  # the first figure above 0 is an early one, not the end
    assert len(set(moving)) >= 3, during  # it moved several times while the job ran
    assert during == sorted(during), during  # and never went back
    rows = [r["rows_done"] for r in seen if r["status"] == "running"]
    assert rows == sorted(rows) and any(0 < r < n for r in rows)
    known_up_front = kind in ("parquet", "dataframe", "dataset")
    totals = {r.get("rows_total") for r in seen if r["status"] == "running" and r.get("rows_done")}
    assert totals == ({n} if known_up_front else {None}), totals  # never a guessed total
    assert any(r.get("estimated_seconds_remaining") for r in seen if r["status"] == "running")


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The size of every batch the scorer really scored (the real scorer, counted)."""
    sizes: list[int] = []
    real = BatchScorer.score

    def counted(self: BatchScorer, df: pd.DataFrame, *a: Any, **kw: Any) -> Any:
        out = real(self, df, *a, **kw)
        sizes.append(len(df))
        return out

    monkeypatch.setattr(BatchScorer, "score", counted)
    yield sizes


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The rows of every scored batch the job wrote to its result (a prediction writes a row per input row; a
    batch still being scored when cancel comes is never written)."""
    sizes: list[int] = []
    real = ResultWriter.write

    def counted(self: ResultWriter, df: pd.DataFrame | None) -> None:
        real(self, df)
        sizes.append(0 if df is None else len(df))

    monkeypatch.setattr(ResultWriter, "write", counted)
    yield sizes


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_a_cancelled_job_keeps_the_rows_it_really_did(
    client: ji.Client, model: ji.Model, kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    written: list[int],
) -> None:  # fmt: skip
    n = 6000
    data = data_of(kind, client, generated(n, seed=2).drop(columns="label"), tmp_path)
    monkeypatch.setenv(RATE_ENV, "1000")  # about 6 s
    job = start(client, model, data)
    before = until_running(lambda: job.refresh().record)
    time.sleep(0.3)  # a few more batches, some of them not yet written when cancel comes
    job.cancel()
    job.wait(timeout=30)
    rec = dict(job.refresh()._record)
    assert rec["status"] == "canceled"
    assert rec["rows_done"] == sum(written), (rec["rows_done"], sum(written))  # the rows it did, none lost
    assert before["rows_done"] <= rec["rows_done"] < n
    assert 0 < rec["progress"] < 100 and rec["estimated_seconds_remaining"] is None
    if kind == "parquet":
        assert rec["rows_total"] == n and rec["progress"] == pytest.approx(100 * rec["rows_done"] / n, abs=0.01)
    else:  # bytes read: the rows are all alike, so the share of bytes is the share of rows
        assert rec["rows_total"] is None and rec["progress"] == pytest.approx(100 * rec["rows_done"] / n, abs=1)
    check_displays(job)


def check_displays(job: ji.Job) -> None:
    """The widget, its static HTML, %infer_status's table and a job card show where the job stopped."""
    from jupyter_infer.notebook._progress import ProgressView, describe
    from jupyter_infer.notebook._status import JobCard, jobs_html, jobs_text

    rec = dict(job.refresh()._record)
    pct = f"{rec['progress']:.0f}%"
    line = describe(rec)
    assert line.startswith(f"{rec['status']} at {pct} after {rec['rows_done']:,}"), line
    view = ProgressView("infer", rec["id"])
    view.render(rec, None)
    assert view.bar.value == rec["progress"] < 100
    assert f'value="{rec["progress"]:.0f}"' in view.static_html()
    assert f"width:{rec['progress']:.0f}%" in jobs_html([rec]) and line in jobs_text([rec])
    assert line in repr(JobCard(job))


def test_cancel_during_csv_scoring_ends_the_job_within_2_s(
    client: ji.Client, model: ji.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = data_of("csv", client, generated(20_000, seed=3).drop(columns="label"), tmp_path)
    monkeypatch.setenv(RATE_ENV, "1000")  # 20 s of scoring
    job = start(client, model, path)
    until_running(lambda: job.refresh().record)
    t = time.monotonic()
    job.cancel()
    while job.refresh().status not in TERMINAL:
        time.sleep(0.02)
    assert job.status == "canceled" and time.monotonic() - t < 2.0


def test_cancel_inside_one_slow_batch(
    client: ji.Client, model: ji.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model that takes long over one batch (here: the real scorer after a wait) does not hold the cancel."""
    path = data_of("csv", client, generated(3000, seed=4).drop(columns="label"), tmp_path)
    busy, release = threading.Event(), threading.Event()
    real = BatchScorer.score

    def slow(self: BatchScorer, df: pd.DataFrame, *a: Any, **kw: Any) -> Any:
        busy.set()
        release.wait(60)
        return real(self, df, *a, **kw)

    monkeypatch.setattr(BatchScorer, "score", slow)
    try:
        job = start(client, model, path)
        assert busy.wait(60)
        t = time.monotonic()
        job.cancel()
        while job.refresh().status not in TERMINAL:
            assert time.monotonic() - t < 30
            time.sleep(0.02)
        assert job.status == "canceled" and time.monotonic() - t < 2.0
        assert job.rows_done == 0 and job.progress == 0  # nothing was scored, and nothing claims it was
    finally:
        release.set()


def test_a_failed_job_keeps_the_rows_it_reached(
    client: ji.Client, model: ji.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JSON Lines is read in batches: a bad line deep in the file fails the job there, after the rows before it."""
    lines = generated(400, seed=5).drop(columns="label").to_json(orient="records", lines=True).splitlines()
    lines[250] = '{"a": 1.0, "b": '  # cut short
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv(RATE_ENV, "1000")  # batches of 100 lines: the third holds the bad one
    job = client.models.infer_async(model, str(path))
    rec = watch(job)[-1]
    assert rec["status"] == "failed" and "bad.jsonl is not valid JSON Lines" in rec["error_message"]
    assert rec["rows_done"] == 200
    exact = 100 * sum(len(line) + 1 for line in lines[:200]) / path.stat().st_size
    assert rec["progress"] == pytest.approx(exact, abs=0.01)
    check_displays(job)


def test_default_batches_start_small_and_grow_and_progress_follows_the_bytes(
    client: ji.Client, model: ji.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scored: list[int]
) -> None:
    """Without a rate limit: 8,192 rows first (progress within a second), then x4 up to BATCH_ROWS; each report is
    the share of the file's bytes behind the rows scored, and the ETA is measured from the start of scoring."""
    n = 200_000
    path = data_of("csv", client, generated(n, seed=6).drop(columns="label"), tmp_path)
    monkeypatch.delenv(RATE_ENV, raising=False)
    reports: list[tuple[int | None, float | None]] = []
    real = JobContext.progress

    def recorded(self: JobContext, rows_done: int | None = None, *a: Any, **kw: Any) -> None:
        reports.append((rows_done, kw.get("fraction")))
        real(self, rows_done, *a, **kw)

    monkeypatch.setattr(JobContext, "progress", recorded)
    job = client.models.infer_async(model, path)
    assert job.wait(timeout=120).status == "succeeded"
    assert scored == [8192, 32768, 131072, n - 8192 - 32768 - 131072]
    after_batches = [(r, f) for r, f in reports if r]
    assert [r for r, _ in after_batches] == [8192, 40960, 172032, n]
    for rows, fraction in after_batches:
        assert fraction == pytest.approx(rows / n, abs=0.002)


# ---- the reader: batches as asked, and the share of the input behind them --------------------------------------
@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet", "json", "dataframe"])
def test_the_reader_cuts_batches_as_asked_even_when_the_ask_changes(kind: str, tmp_path: Path) -> None:
    df = generated(1000, seed=7)
    if kind == "json":
        (src := tmp_path / "doc.json").write_text(json.dumps(df.to_dict(orient="list")))
    else:
        src = data_of(kind, ji.connect(home=tmp_path / "s"), df, tmp_path)
    reader = BatchReader(src, batch_rows=64)
    sizes, fractions = [], []
    for batch in reader:
        sizes.append(len(batch))
        fractions.append(reader.fraction_done())
        if len(sizes) == 3:
            reader.batch_rows = 300
    assert sizes == [64, 64, 64, 300, 300, 208]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    got = pd.concat([b for b in BatchReader(src, batch_rows=333)], ignore_index=True)
    assert len(got) == 1000 and pd.to_numeric(got["a"]).tolist() == pytest.approx(df["a"].tolist())  # CSV: text


def test_csv_fraction_is_the_bytes_behind_the_rows_returned(tmp_path: Path) -> None:
    """Rows of very different lengths, the wide ones after the narrow ones in the same parse block: the reported
    share is the file's bytes up to the last returned row (pyarrow parses ahead, so counting the bytes it has
    read would run ahead of the rows, and sharing a block evenly among its rows would not follow their widths)."""
    rng = np.random.default_rng(8)
    n = 60_000
    text = np.where(np.arange(n) < n // 2, "s", "long" * 40)  # the second half of the rows is 20x wider
    df = pd.DataFrame({"x": rng.integers(0, 1000, n), "t": text})
    path = tmp_path / "uneven.csv"
    df.to_csv(path, index=False)
    raw = path.read_bytes()
    line_ends = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) == ord("\n")) + 1  # header first
    reader = BatchReader(path, batch_rows=4096)
    rows = 0
    for batch in reader:
        rows += len(batch)
        exact = line_ends[rows] / len(raw)
        assert reader.fraction_done() == pytest.approx(exact, abs=0.001), rows
    assert rows == n and reader.fraction_done() == 1.0


def test_json_lines_keys_seen_late_are_not_reported_missing(
    client: ji.Client, model: ji.Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key absent from the first batch of lines but present later is a column of the input (as when the whole
    file is read), not a missing one."""
    df = generated(600, seed=9).drop(columns="label")
    records = df.to_dict(orient="records")
    for r in records[:300]:
        del r["d"]
    path = tmp_path / "late.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    monkeypatch.setenv(RATE_ENV, "1000")  # batches of 100 lines
    res = client.models.infer_async(model, str(path)).result(timeout=60)
    assert "d" not in res.reconciliation["missing"]
    assert len(res.to_pandas()) == 600


def test_a_row_wider_than_a_parse_block_deep_in_a_csv_is_read(tmp_path: Path) -> None:
    """Blocks start small so the first batch comes fast; a 3 MiB value far into the file (wider than those blocks)
    is read again with bigger blocks from where the reader was, not refused."""
    path = tmp_path / "wide.csv"
    path.write_text("a,b\n" + "".join(f"{i},y\n" for i in range(100_000)) + "7," + "x" * (3 << 20) + "\n8,z\n")
    reader = BatchReader(path, batch_rows=30_000)
    got = pd.concat(list(reader), ignore_index=True)
    assert len(got) == 100_002 and got["a"].iloc[-3:].tolist() == ["99999", "7", "8"]
    assert len(got["b"].iloc[-2]) == 3 << 20 and reader.fraction_done() == 1.0


def test_json_lines_that_are_not_objects_fail_with_a_message(tmp_path: Path) -> None:
    (path := tmp_path / "mixed.jsonl").write_text('{"a": 1}\n[1, 2]\n')
    with pytest.raises(ji.InputError, match=r"mixed\.jsonl is not valid JSON Lines"):
        list(BatchReader(path))
