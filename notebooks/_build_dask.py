"""Write and execute the Dask tutorial (05-dask.ipynb) with the helpers of ``_build.py`` (outputs committed).

python notebooks/_build.py 05     (or python notebooks/_build_dask.py)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _build import IGNORE, build, code, md, setup

DASK = [
    md("""
# Scaling out: batch inference on a Dask cluster

When a dataset outgrows one machine, run the same inference on a [Dask](https://distributed.dask.org) cluster:
`executor="dask"` in Python, `--dask SCHEDULER` on `%%infer`. The workers read the Parquet files themselves,
each loads the model once (from its safe skops file, never a pickle), and they write the result as a Parquet
dataset, one file per partition. The result is **the same** as the embedded engine's: same rows, same ids, same
descriptions. Here the cluster is a `LocalCluster` on this machine; on a real cluster you pass its scheduler
address instead.
"""),
    setup("dask"),
    md("""
## A cluster
Two worker processes with one thread each. (`LocalCluster` is what `executor="dask"` starts by itself, sized to
the machine, when no scheduler is given; starting it here shows the address you would pass for a real cluster.)
"""),
    code(
        "import logging\n\nfrom dask.distributed import LocalCluster\n\n"
        "cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=':0',\n"
        "                       silence_logs=logging.ERROR)\n"
        "address = cluster.scheduler_address  # e.g. tcp://10.0.0.5:8786 on a real cluster\n"
        "len(cluster.workers)"
    ),
    md("""
## Data in several files
The penguins, 100 times over with a little noise (34,400 rows), written as a folder of four Parquet files, the
way large data usually arrives. A model trained on the original 344 penguins predicts the species.
"""),
    code(
        "import numpy as np\nimport pandas as pd\nfrom palmerpenguins import load_penguins\n\n"
        "penguins = load_penguins()\n"
        "rng = np.random.default_rng(0)\n"
        'big = pd.concat([penguins] * 100, ignore_index=True).drop(columns="species")\n'
        'for col in ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]:\n'
        "    big[col] = big[col] * (1 + rng.normal(0, 0.02, len(big)))\n"
        'os.mkdir("penguins-big")\n'
        "bounds = np.linspace(0, len(big), 5).astype(int)\n"
        "for i in range(4):\n"
        '    big.iloc[bounds[i] : bounds[i + 1]].to_parquet(f"penguins-big/part-{i}.parquet", row_group_size=2_000)\n'
        'sorted(os.listdir("penguins-big")), len(big)'
    ),
    code(
        "from jupyter_infer import connect\n\nclient = connect()\n"
        'model = client.models.train(penguins, "prediction", label_column="species", name="species")\n'
        "model.name, model.model_type"
    ),
    md("""
## Inference on the cluster
`infer_batch` takes a file, a folder, a glob (`"penguins-big/*.parquet"`), an fsspec URL such as
`s3://bucket/data/` when its filesystem package is installed on the workers, or a stored dataset. The job splits
the input into partitions by Parquet row groups (so one big file is not one big task), and its progress follows
the partitions as they complete.
"""),
    code(
        'job = client.models.infer_batch("species", "penguins-big", executor="dask", scheduler=address)\n'
        "job.wait()\n"
        "job.status, job.rows_done, job.rows_total"
    ),
    code("result = job.result()\nresult.to_pandas().head()"),
    md("""
The result is one table, whatever the number of partitions: `id` is the row's position in the whole input
(across files), and the model's metadata, descriptions and reconciliation come with it. On disk it is a Parquet
dataset: one file per partition plus `_common_metadata` with the merged metadata.
"""),
    code('parts = sorted(os.listdir(job.record["result_path"]))\nlen(parts), parts[:3], parts[-1]'),
    code("result.model_name, result.model_type, result.reconciliation"),
    md("## The same as the embedded engine\nThe same rows in one file, scored by the local engine:"),
    code(
        'big.to_parquet("penguins-big.parquet")\n'
        'local = client.models.infer_batch("species", "penguins-big.parquet").wait().result()\n'
        "a, b = result.to_pandas(), local.to_pandas()\n"
        "bool((a.id == b.id).all()), bool((a.prediction == b.prediction).all()), "
        "bool(np.allclose(a.prediction_prob, b.prediction_prob))"
    ),
    md("It converts and exports like any other result:"),
    code('result.save("predictions.csv")\npd.read_csv("predictions.csv").shape, list(result.to_json())'),
    md("""
## From the notebook magic
`--dask SCHEDULER` runs `%%infer` on the cluster (`--dask local` starts a local cluster sized to this machine).
The cell body can be a file, a folder, or a stored dataset:
"""),
    code("%load_ext jupyter_infer"),
    code('client.datasets.create(big, name="penguins-big").row_count'),
    code("%%infer species predicted --dask {address}\ndataset:penguins-big", IGNORE),
    code("len(predicted), predicted.prediction.value_counts().to_dict() == b.prediction.value_counts().to_dict()"),
    md("""
## A default scheduler
Set `JUPYTER_INFER_DASK_SCHEDULER` and every batch job goes to that cluster unless told otherwise:
"""),
    code(
        'os.environ["JUPYTER_INFER_DASK_SCHEDULER"] = address\n'
        'job = client.models.infer_batch("species", "penguins-big")\n'
        'job.wait().status, job.record["request"]["executor"]'
    ),
    code('del os.environ["JUPYTER_INFER_DASK_SCHEDULER"]'),
    md("""
## When something goes wrong
A scheduler that cannot be reached fails the job within a few seconds (`JUPYTER_INFER_DASK_TIMEOUT`, default 5)
with a message that names the address; a worker that dies is replaced and its partitions are run again; a
partition that keeps failing fails the job with the worker's error; `job.cancel()` releases the cluster's work.
"""),
    code(
        'job = client.models.infer_batch("species", "penguins-big", executor="dask", scheduler="tcp://127.0.0.1:9")\n'
        "job.wait().status, job.error_message"
    ),
    code("cluster.close()", IGNORE),
]


if __name__ == "__main__":
    build("05-dask.ipynb", DASK)
