"""Write the tutorial notebooks from the cell lists below and execute them with nbclient (outputs committed).

    python notebooks/_build.py            # all five (05-dask's cells are in _build_dask.py)
    python notebooks/_build.py 02         # the ones whose file name contains "02"

Each runs on a new empty store, as nbval runs them in CI (notebooks/conftest.py).

Cells tagged ``nbval-ignore-output`` show what changes from run to run (job tables, timings); cells tagged
``raises-exception`` demonstrate an error. nbval (scripts/test.sh) compares every other output after the
substitutions in ``nbval-sanitize.cfg``.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).parent
IGNORE, RAISES = "nbval-ignore-output", "raises-exception"


def md(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text.strip())


def code(src: str, *tags: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(src.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def setup(name: str) -> nbformat.NotebookNode:
    """A first cell for the tutorials that write files: a temporary working folder. Models, datasets and jobs go to
    the person's default store (the one JupyterLab's Inference panel shows); CI gives each notebook a store of its
    own through JUPYTER_INFER_HOME (notebooks/conftest.py, and ``build`` below)."""
    return code(
        "# Files written by this tutorial go to a temporary working folder (models and jobs to your store).\n"
        "import os, tempfile\n"
        f'os.chdir(tempfile.mkdtemp(prefix="jupyter-infer-{name}-"))'
    )


STORE_NOTE = md("""
Models, datasets and jobs go to your default store (`$JUPYTER_INFER_HOME`, else `infer/` in Jupyter's data
directory): the one `jupyter-infer models`, `%infer_models` and JupyterLab's **Inference** panel show.
""")


QUICKSTART = [
    md("""
# Quickstart: train and run every model type on the penguins

`jupyter-infer` puts tabular machine learning in the notebook: `%%infer_train` trains a model on a DataFrame or
a file, `%%infer` runs it on new rows with live progress, and the result comes back as a table with a picture.
Everything here runs on the **embedded engine** (scikit-learn in this kernel; no server, no account).
"""),
    STORE_NOTE,
    code("%load_ext jupyter_infer"),
    md("The [palmerpenguins](https://allisonhorst.github.io/palmerpenguins/) data: 344 penguins, three species."),
    code("from palmerpenguins import load_penguins\n\npenguins = load_penguins()\npenguins.head()"),
    md("""
## Prediction
`%%infer_train TYPE DEST` trains on the data in the cell body and puts the model in `DEST`; the model is named
after `DEST` unless `--name` says otherwise. A prediction model needs `--label`.
"""),
    code("%%infer_train prediction species --label species\npenguins"),
    md(
        "New rows, without the label. `%%infer MODEL` shows the result under a header with the model, the row count, "
        "the time it took and the *reconciliation* report: columns dropped, missing or coerced against the training "
        "data (here none; the label is not expected at inference)."
    ),
    code('new = penguins.drop(columns="species").sample(12, random_state=1)\nlen(new)'),
    code("%%infer species\nnew"),
    md(
        "`--join` puts the input columns beside the output, and a `DEST` variable receives the DataFrame "
        "(the table is then not shown, only the header and the picture)."
    ),
    code("%%infer species predicted --join\nnew"),
    code('predicted[["island", "bill_length_mm", "prediction", "prediction_prob"]]'),
    md("## Clustering\n`--param KEY=VALUE` sets a training parameter; each cluster gets a description in words."),
    code("%%infer_train clustering groups --param n_clusters=3\npenguins"),
    code("%%infer groups\npenguins"),
    md(
        "## Anomaly detection\nBy default the result lists the ids of the anomalous rows; `--anomaly-format per_row` "
        "scores every row and draws the score histogram with the model's threshold."
    ),
    code("%%infer_train anomaly odd\npenguins"),
    code("%%infer odd\npenguins"),
    code("%%infer odd --anomaly-format per_row\npenguins"),
    md("## Embedding\nA few numeric dimensions per row; the picture plots the first two."),
    code("%%infer_train embedding emb\npenguins"),
    code("%%infer emb\npenguins"),
    md(
        "## Search\nThe nearest training rows for each query row: `-k 3` for three matches, `--exclude-self` so a row "
        "does not find itself."
    ),
    code("%%infer_train search lookalike\npenguins"),
    code("%%infer lookalike -k 3 --exclude-self\npenguins.head(4)"),
    md("## Factors\nOne row per factor, with the share of the data's variance it captures and what it stands for."),
    code("%%infer_train factors fac\npenguins"),
    code("%%infer fac\npenguins"),
    md(
        "## Models and jobs\n`%infer_models` lists the models in the store; `%infer_status` the recent jobs "
        "(live while any runs)."
    ),
    code("%infer_models"),
    code("%infer_status", IGNORE),
    md(
        "## When something is wrong\nErrors are one line that names the problem, and they fail the cell (so *Run "
        "All* stops). `%config InferMagics.short_errors = False` shows the full traceback."
    ),
    code("%%infer specis\nnew", RAISES),
    md("## The same from Python\nThe magics call the Python API, which you can use directly:"),
    code(
        'from jupyter_infer import connect\n\nclient = connect()\nresult = client.models.infer("species", new)\n'
        "result.to_pandas().head(3)"
    ),
    md(
        "Next: [files and export](02-files-and-export.ipynb), [background jobs](03-background-jobs.ipynb), "
        "[large files](04-large-files.ipynb)."
    ),
]

FILES = [
    md("""
# Files and export

`%%infer` reads csv, parquet and json files as well as DataFrames, and `--export` writes results as csv, json or
parquet (with the model's metadata inside the parquet file).
"""),
    setup("files"),
    code("%load_ext jupyter_infer"),
    code(
        "from pathlib import Path\nfrom palmerpenguins import load_penguins\n\npenguins = load_penguins()\n"
        'Path("data").mkdir()\npenguins.to_csv("data/penguins.csv", index=False)\n'
        'penguins.to_parquet("data/penguins.parquet")\n'
        'penguins.sample(20, random_state=0).to_json("data/new.json", orient="records")\n'
        'sorted(p.name for p in Path("data").iterdir())'
    ),
    md(
        "## Reading files\nThe cell body may be a bare path (`data/penguins.parquet`), a Python expression giving a "
        "path, or a DataFrame. JSON may be records, JSON Lines or column-oriented."
    ),
    code("%%infer_train clustering groups --param n_clusters=3\ndata/penguins.parquet"),
    code("%%infer groups\ndata/new.json"),
    md(
        "## Export\n`--export PATH` writes the result in the format the extension names (or `--format`) and shows "
        "a link. With a `DEST` variable the table itself is not shown."
    ),
    code("%%infer groups clusters --export out/groups.csv\ndata/penguins.csv"),
    code('import pandas as pd\n\npd.read_csv("out/groups.csv").head()'),
    code("%%infer groups --export out/groups.json\ndata/new.json"),
    code(
        'import json\n\nwith open("out/groups.json") as f:\n    result = json.load(f)\n'
        "{key: values[:3] for key, values in result.items()}"
    ),
    md("Parquet keeps the model's ids, its descriptions and the reconciliation report in the file's metadata:"),
    code("%%infer groups clusters --export out/groups.parquet\ndata/penguins.csv"),
    code(
        'import pyarrow.parquet as pq\n\nmeta = pq.read_schema("out/groups.parquet").metadata\n'
        "sorted(key.decode() for key in meta)"
    ),
    code('{key: meta[key.encode()].decode() for key in ("model_name", "model_type")}'),
    md("An existing file is kept unless you add `--force`:"),
    code("%%infer groups --export out/groups.csv\ndata/penguins.csv", RAISES),
    code("%%infer groups clusters --export out/groups.csv --force\ndata/penguins.csv"),
    md("`--join` exports the input columns beside the output columns:"),
    code("%%infer groups joined --join --export out/joined.csv\ndata/new.json"),
    code('list(pd.read_csv("out/joined.csv").columns)'),
    md(
        "## Reconciliation\nNew data rarely has exactly the training columns. Extra columns are dropped, missing "
        "ones become empty, and the header says what happened:"
    ),
    code('changed = penguins.drop(columns=["body_mass_g"]).assign(colour="blue").head(10)\nlen(changed)'),
    code("%%infer groups\nchanged"),
    md("## Your own ids\n`--id-column` uses a column's values as the output id instead of the row position:"),
    code('tagged = penguins.assign(tag=[f"penguin-{i:03d}" for i in range(len(penguins))]).head(5)\nlen(tagged)'),
    code("%%infer groups --id-column tag\ntagged"),
    md("## Stored datasets\nA dataset stored once can be scored by name with `dataset:NAME`:"),
    code('from jupyter_infer import connect\n\nconnect().datasets.create(penguins, name="penguins").row_count'),
    code("%%infer groups by_name\ndataset:penguins"),
    code("by_name.cluster_label.value_counts().sort_index()"),
]

BACKGROUND = [
    md("""
# Background jobs and `%infer_status`

Every `%%infer` runs as a job. By default the cell waits, with a progress bar and a Cancel button (a kernel
interrupt, ■, cancels too). `--background` hands the cell back at once: the job keeps going, its widget keeps
updating, and the `DEST` variable appears when it succeeds.
"""),
    code("%load_ext jupyter_infer"),
    code(
        "import numpy as np\nimport pandas as pd\n\nrng = np.random.default_rng(0)\nrows = 2_000_000\n"
        'big = pd.DataFrame({"x": rng.normal(size=rows), "y": rng.normal(size=rows), '
        '"kind": rng.choice(["a", "b", "c"], size=rows)})\nbig.shape'
    ),
    code("%%infer_train clustering km --param n_clusters=4\nbig.sample(5000, random_state=0)"),
    md("The cell below returns at once with a handle; `scores` is assigned when the job succeeds."),
    code("%%infer km scores --background\nbig"),
    code("handle = _\nprint('this cell ran while the job worked')"),
    md("`%infer_status` shows the recent jobs of every kernel and the server, live while any runs:"),
    code("%infer_status", IGNORE),
    md("`handle.result()` (or `%infer_status JOB_ID --wait`) waits for the job and gives its result:"),
    code("len(handle.result())"),
    code("scores.cluster_label.value_counts().sort_index()"),
    md("One job in detail:"),
    code("%infer_status {handle.id}", IGNORE),
    code("%infer_status {handle.id} --wait"),
    md(
        "## Cancelling\nThe Cancel button, a kernel interrupt, `handle.cancel()` or `%infer_status JOB_ID --cancel` "
        "stop a job; its `DEST` is not assigned."
    ),
    code("%%infer km never --background\nbig"),
    code("second = _"),
    code("%infer_status {second.id} --cancel", IGNORE),
    code("second.wait()\nprint(second.status, 'never' in globals())"),
    md("`--all` lists every stored job, not only the last day's, with paging:"),
    code("%infer_status --all", IGNORE),
]

LARGE = [
    md("""
# Large files: streaming inference

A file given by path is scored in bounded batches straight from disk, so it may be larger than memory. Here we
generate a 500,000-row CSV, train on a sample, and score the whole file with live progress.
"""),
    setup("large"),
    code("%load_ext jupyter_infer"),
    code(
        "import numpy as np\nimport pyarrow as pa\nimport pyarrow.csv as pacsv\n\n"
        "rng = np.random.default_rng(42)\n"
        'with pacsv.CSVWriter("sensors.csv", pa.schema([("temperature", pa.float64()), ("pressure", pa.float64()), '
        '("site", pa.string())])) as writer:\n'
        "    for _ in range(5):  # 5 chunks of 100,000 rows, written as they are made\n"
        "        n = 100_000\n"
        '        writer.write_table(pa.table({"temperature": rng.normal(20, 3, n), "pressure": rng.normal(1013, 8, n),'
        '\n                                     "site": rng.choice(["north", "south", "east"], n)}))\n'
        "print(f\"{os.path.getsize('sensors.csv') / 1e6:.0f} MB\")"
    ),
    md("Train an anomaly detector on a sample:"),
    code('import pandas as pd\n\nsample = pd.read_csv("sensors.csv", nrows=20_000)\nsample.shape'),
    code("%%infer_train anomaly detector --param contamination=0.01\nsample"),
    md(
        "Score the whole file by path. The job streams the CSV in batches (progress shows rows done, rate and ETA) "
        "and `--export` writes the flagged ids to Parquet:"
    ),
    code("%%infer detector flagged --export flagged.parquet\nsensors.csv"),
    code("len(flagged), flagged.anomalous_ids.head().tolist()"),
    code('import pyarrow.parquet as pq\n\npq.ParquetFile("flagged.parquet").metadata.num_rows'),
    md("Per-row scores for every row, exported as Parquet:"),
    code("%%infer detector scores --anomaly-format per_row --export scores.parquet\nsensors.csv"),
    code("len(scores), int(scores.is_anomaly.sum())"),
    md("The same from Python: `infer_async` returns a job at once."),
    code(
        'from jupyter_infer import connect\n\njob = connect().models.infer_async("detector", "sensors.csv")\n'
        "job.wait().status, job.rows_done"
    ),
]

NOTEBOOKS = {
    "01-quickstart.ipynb": QUICKSTART,
    "02-files-and-export.ipynb": FILES,
    "03-background-jobs.ipynb": BACKGROUND,
    "04-large-files.ipynb": LARGE,
}


def build(name: str, cells: list[nbformat.NotebookNode]) -> None:
    """Execute on a new empty store (as nbval does in CI), so the committed outputs are the ones CI compares."""
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    env = {**os.environ, "JUPYTER_INFER_HOME": tempfile.mkdtemp(prefix=f"ji-build-{Path(name).stem}-")}
    client = NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(HERE)}})
    client.execute(env=env)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    nbformat.write(nb, HERE / name)
    print("wrote", name)


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    from _build_dask import DASK  # its cells live beside the helpers they use

    NOTEBOOKS["05-dask.ipynb"] = DASK
    wanted = sys.argv[1:]
    for name, cells in NOTEBOOKS.items():
        if not wanted or any(w in name for w in wanted):
            build(name, cells)
