"""The jupyter-infer command line, run as a real subprocess on a store of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import jupyter_infer as ji
from jupyter_infer.client import InferOptions


def cli(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_infer", "--home", str(home), *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "100", **(env or {})},
    )  # fmt: skip


def fits(text: str, width: int = 100) -> bool:
    return all(len(line) <= width for line in text.splitlines())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, penguins: pd.DataFrame) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli")
    penguins.to_csv(d / "penguins.csv", index=False)
    penguins.drop(columns=["species"]).to_parquet(d / "new.parquet")
    return {"dir": d, "train": d / "penguins.csv", "new": d / "new.parquet", "home": d / "store"}


def test_train_then_infer_to_a_file(files: dict[str, Path]) -> None:
    home = files["home"]
    r = cli(home, "train", "clustering", str(files["train"]), "--name", "groups",
            "--columns", "bill_length_mm, bill_depth_mm ,flipper_length_mm", "--param", "n_clusters=3")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "trained groups (clustering, version 1" in r.stdout
    model = ji.connect(home=home).models.get("groups")
    assert model.input_columns == ["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]  # names stripped

    out = files["dir"] / "scores.csv"
    r = cli(home, "infer", "groups", str(files["new"]), "-o", str(out))
    assert r.returncode == 0, r.stderr
    scores = pd.read_csv(out)
    assert list(scores.columns) == ["id", "cluster_label", "cluster_description"] and len(scores) == 344


def test_bad_input_is_one_line_and_exit_2(files: dict[str, Path]) -> None:
    r = cli(files["home"], "infer", "groups", str(files["new"]), "--format", "parquet")
    assert r.returncode == 2 and r.stderr.strip() == (
        "error: --format parquet writes a binary file; add --output FILE.parquet."
    )
    r = cli(files["home"], "infer", "grups", str(files["new"]))
    assert r.returncode == 2 and 'Did you mean "groups"' in r.stderr and "Traceback" not in r.stderr
    blocker = files["dir"] / "a-file"
    blocker.write_text("")
    r = cli(blocker, "models")
    assert r.returncode == 2 and "Cannot use" in r.stderr and "Traceback" not in r.stderr


def test_every_inference_option_is_a_flag_and_acts(files: dict[str, Path]) -> None:
    """The flags come from InferOptions.fields(), as %%infer's: an option added there is a flag here with no more
    code; --prob-columns and --id-column reach the engine."""
    help_text = cli(files["home"], "infer", "--help").stdout
    for spec in InferOptions.fields():
        assert spec.as_flag()[0] in help_text, spec.name
    home = files["home"]
    r = cli(home, "train", "prediction", str(files["train"]), "--label", "species", "--name", "kind",
            "--param", "training_mode=fast")  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "validation: none (fast under 10,000 rows: every row trains the model)" in r.stdout  # no score to show
    out = files["dir"] / "probs.csv"
    r = cli(home, "infer", "kind", str(files["train"]), "-o", str(out), "--prob-columns", "--id-column", "island")
    assert r.returncode == 0, r.stderr
    probs = pd.read_csv(out)
    assert {"prob_Adelie", "prob_Chinstrap", "prob_Gentoo"} <= set(probs.columns)
    assert set(probs["id"]) == {"Biscoe", "Dream", "Torgersen"}


def test_param_and_columns_are_checked_as_the_magic_checks_them(files: dict[str, Path]) -> None:
    """The command line and %%infer_train parse --param and --columns with one function: the same text fails the
    same way (the CLI used to train on every column for ``--columns ,`` and to accept an empty param name)."""
    home, train = files["home"], str(files["train"])
    r = cli(home, "train", "clustering", train, "--name", "cols", "--columns", ",")
    assert r.returncode == 2 and r.stderr.strip() == (
        "error: --columns takes a comma-separated list of column names, e.g. --columns a,b,c."
    ), r.stderr
    r = cli(home, "train", "clustering", train, "--name", "cols", "--param", "=3")
    assert r.returncode == 2 and r.stderr.strip() == (
        'error: --param takes KEY=VALUE (e.g. --param n_clusters=3); got "=3".'
    ), r.stderr
    with pytest.raises(ji.NotFoundError):
        ji.connect(home=home).models.get("cols")  # nothing trained


def test_ctrl_c_on_an_async_infer_cancels_the_job(files: dict[str, Path]) -> None:
    """SIGINT while --async waits: the job is canceled (not left running to finish unseen), no output file."""
    home, out = files["home"], files["dir"] / "never.csv"
    cmd = [sys.executable, "-m", "jupyter_infer", "--home", str(home), "infer", "groups", str(files["new"]),
           "-o", str(out), "--async"]  # fmt: skip
    env = {**os.environ, "JUPYTER_INFER_TEST_ROWS_PER_SECOND": "20"}  # 344 rows: about 17 s
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    client = ji.connect(home=home)
    deadline = time.monotonic() + 120
    while not any(j.status == "running" and j.type == "infer_batch" for j in client.jobs.list(limit=5)):
        assert time.monotonic() < deadline and p.poll() is None, "the job never started"
        time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130
    job = next(j for j in client.jobs.list(limit=5) if j.type == "infer_batch")
    assert job.status == "canceled", (job.status, err)
    assert f"interrupted: job {job.id} is canceled at {job.progress:.0f}% ({job.rows_done:,} rows done)" in err
    assert not out.exists()
    # the table shows the stored figures: where the job stopped, not 100 %
    r = cli(home, "jobs", "--status", "canceled")
    row = next(line for line in r.stdout.splitlines() if line.startswith(job.id))
    assert f" {job.progress:.0f}% " in row and f" {job.rows_done:,}/{job.rows_total:,} " in row, row
    assert job.rows_done < job.rows_total and " 100% " not in row


def test_jobs_cancel_reports_where_the_job_stopped(files: dict[str, Path]) -> None:
    """`jobs --cancel ID` on a job another process runs: it printed the status from before the cancel
    ("running"); it now waits for the job to stop and says where (or that the cancel is still pending)."""
    home = files["home"]
    client = ji.connect(home=home)
    client.models.train(str(files["train"]), "clustering", name="to-cancel", params={"n_clusters": 3})
    cmd = [
        sys.executable,
        "-m",
        "jupyter_infer",
        "--home",
        str(home),
        "infer",
        "to-cancel",
        str(files["new"]),
        "--async",
    ]
    env = {**os.environ, "JUPYTER_INFER_TEST_ROWS_PER_SECOND": "20"}  # 344 rows: about 17 s
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not (running := [j for j in client.jobs.list(status="running", limit=5) if j.type == "infer_batch"]):
        assert time.monotonic() < deadline and p.poll() is None, "the job never started"
        time.sleep(0.2)
    r = cli(home, "jobs", "--cancel", running[0].id)
    p.communicate(timeout=60)
    job = client.jobs.get(running[0].id)
    assert r.returncode == 0 and job.status == "canceled", (r.stdout, r.stderr)
    assert r.stdout.strip() == f"{job.id}: canceled at {job.progress:.0f}% ({job.rows_done:,} rows done)", r.stdout


def test_output_to_an_existing_file_is_refused_unless_force(files: dict[str, Path]) -> None:
    """Issue 10 item 10: `infer -o existing.csv` overwrote the file silently; the magic and the API never do."""
    home, out = files["home"], files["dir"] / "kept.csv"
    if "groups" not in [m.name for m in ji.connect(home=home).models.list()]:
        assert cli(home, "train", "clustering", str(files["train"]), "--name", "groups").returncode == 0
    out.write_text("precious\n")
    r = cli(home, "infer", "groups", str(files["new"]), "-o", str(out))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.strip() == f"error: {out} already exists; add --force to replace it.", r.stderr
    assert out.read_text() == "precious\n"
    r = cli(home, "infer", "groups", str(files["new"]), "-o", str(out), "--async")
    assert r.returncode == 2 and out.read_text() == "precious\n"
    r = cli(home, "infer", "groups", str(files["new"]), "-o", str(out), "--force")
    assert r.returncode == 0, r.stderr
    assert list(pd.read_csv(out).columns) == ["id", "cluster_label", "cluster_description"]
    r = cli(home, "infer", "groups", str(files["new"]), "--force")
    assert r.returncode == 2 and "--force applies to --output" in r.stderr
    r = cli(home, "infer", "groups", str(files["new"]), "-o", str(files["dir"]), "--force")
    assert (
        r.returncode == 2
        and r.stderr.strip() == f"error: {files['dir']} is a folder; --output names the file to write."
    )


def test_train_reads_like_the_magic_and_the_old_order_still_works(files: dict[str, Path]) -> None:
    home = files["home"]
    r = cli(home, "train", "anomaly", str(files["train"]), "--name", "odd")
    assert r.returncode == 0 and "trained odd (anomaly, version 1" in r.stdout and not r.stderr, r.stderr
    r = cli(home, "train", str(files["train"]), "anomaly", "--name", "odd")
    assert r.returncode == 0 and "trained odd (anomaly, version 2" in r.stdout
    assert r.stderr.strip() == (
        "warning: `jupyter-infer train DATA TYPE` is deprecated; write the type first, as %%infer_train does: "
        f"jupyter-infer train anomaly {files['train']}"
    )
    r = cli(home, "train", "anomly", str(files["train"]))
    assert r.returncode == 2 and 'Unknown model type "anomly"' in r.stderr and 'Did you mean "anomaly"' in r.stderr


def test_tables_have_no_nan_and_fit_the_terminal(files: dict[str, Path]) -> None:
    """`jobs` printed NaN for an ingest job's empty model and `None` for no error; lines ran past the terminal."""
    home = files["home"]
    if not ji.connect(home=home).models.list():
        assert cli(home, "train", "clustering", str(files["train"]), "--name", "groups").returncode == 0
    for cmd in ("jobs", "models"):
        for columns in ("100", "72"):
            r = cli(home, cmd, env={"COLUMNS": columns})
            assert r.returncode == 0, r.stderr
            assert "NaN" not in r.stdout and "None" not in r.stdout, r.stdout
            assert fits(r.stdout, int(columns)), r.stdout
    ingest = next(line for line in cli(home, "jobs").stdout.splitlines() if " dataset_ingest " in line)
    assert " 100% " in ingest  # a finished job's figure
    models = cli(home, "models").stdout
    assert models.splitlines()[0].split() == ["name", "type", "version", "id", "metric", "trained_on"]


def test_commands_that_read_the_store_do_not_import_scikit_learn(files: dict[str, Path]) -> None:
    """Issue 11: `models` and `jobs` took 2.4 s because listing rows imported scikit-learn (and skops, scipy); the
    goal (<= 0.5 s) also needs them free of pandas and pyarrow (0.58 of the 0.68 CPU-s that remained)."""
    home = files["home"]
    if not ji.connect(home=home).models.list():
        assert cli(home, "train", "clustering", str(files["train"]), "--name", "groups").returncode == 0
    probe = (
        "import sys\nfrom jupyter_infer.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'skops', 'scipy', 'IPython', 'dask', "
        "'pandas', 'pyarrow'})\n"
        "print('HEAVY', heavy, code)\n"
    )
    for args in (["models"], ["jobs"], ["jobs", "--status", "succeeded"]):
        r = subprocess.run([sys.executable, "-c", probe, "--home", str(home), *args], capture_output=True, text=True,
                           timeout=120)  # fmt: skip
        assert r.stdout.strip().splitlines()[-1] == "HEAVY [] 0", (args, r.stdout, r.stderr)
        assert "no models" not in r.stdout and "no jobs" not in r.stdout  # it listed real rows
    r = subprocess.run([sys.executable, "-c", probe.replace("main(sys.argv[1:])", "0"), "--help"],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.stdout.strip() == "HEAVY [] 0"
    r = subprocess.run([sys.executable, "-c", "import sys, jupyter_infer.cli\nprint(sorted(m for m in ('pandas', "
                        "'pyarrow', 'httpx') if m in sys.modules))"], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.stdout.strip() == "[]", r.stdout  # --help needs none of them


def test_demo_runs_the_quickstart_and_says_when_it_makes_new_versions(tmp_path: Path) -> None:
    """The main command ends with something to look at (the executed quickstart as HTML, its path printed); a second
    demo says it trains new versions instead of making version 2 of every model silently."""
    home, out = tmp_path / "store", tmp_path / "out"
    nb = Path(__file__).parents[1] / "notebooks" / "01-quickstart.ipynb"
    r = cli(home, "demo", "--notebook", str(nb), "--out", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    html = out / "01-quickstart.html"
    assert html.is_file() and "demo-prediction, version 1" in r.stdout and "new version" not in r.stdout
    assert any(str(html) in line for line in r.stdout.splitlines()), r.stdout  # the path whole, to copy
    page = html.read_text()
    assert "cluster_description" in page and "Traceback" not in page.replace('"Traceback', "")
    assert fits(r.stdout), [line for line in r.stdout.splitlines() if len(line) > 100]
    names = {m.name for m in ji.connect(home=home).models.list()}
    assert {"demo-prediction", "species", "groups"} <= names  # the notebook ran on the demo's store
    r = cli(home, "demo")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "The store already has the demo's models (version 1); this run trains a new version of each." in " ".join(
        r.stdout.split()
    )
    assert "demo-factors, version 2 (a new version; version 1 is kept)" in r.stdout


def test_a_closed_pipe_ends_the_listing_quietly(files: dict[str, Path]) -> None:
    """`jupyter-infer jobs | head -1`: the reader closing the pipe ended in a BrokenPipeError traceback (here the
    reader, `true`, is gone before the listing is written)."""
    home = files["home"]
    ji.connect(home=home).models.train(str(files["train"]), "clustering", name="piped", params={"n_clusters": 2})
    for command in ("jobs", "models"):
        cmd = f"{sys.executable} -m jupyter_infer --home {home} {command} | true"
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=120)
        assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr, r.stderr
