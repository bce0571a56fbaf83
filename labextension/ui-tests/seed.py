"""Seed the UI tests' server root and store: small data files and two trained models.

Runs once before the tests (global-setup.ts) with JUPYTER_INFER_HOME pointing at the same store as
the test server: the store is shared by every process (SPEC §9), so models trained here are the
server's models. Prints a JSON summary on stdout.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from jupyter_infer import connect

root = Path(os.environ["JI_UI_ROOT"])
data = root / "data"
data.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(0)


def table(n: int, seed: int) -> pd.DataFrame:
    r = np.random.default_rng(seed)
    x1 = r.normal(size=n)
    x2 = r.normal(size=n)
    plan = r.choice(["basic", "pro", "team"], size=n)
    churned = (x1 + 0.5 * x2 + (plan == "basic") + r.normal(scale=0.5, size=n)) > 0.8
    return pd.DataFrame(
        {
            "tenure": (x1 * 10 + 30).round(1),
            "spend": (x2 * 20 + 100).round(2),
            "plan": plan,
            "churned": np.where(churned, "yes", "no"),
        }
    )


train = table(1500, 1)
train.to_csv(data / "train.csv", index=False)
new = table(400, 2).drop(columns=["churned"])
new.to_csv(data / "new.csv", index=False)
new.to_json(data / "new.json", orient="records")
new.to_parquet(data / "new.parquet", index=False)

# A big file for the cancel test: long enough to run for many seconds.
big_rows = int(os.environ.get("JI_UI_BIG_ROWS", "4000000"))
big = table(big_rows, 3).drop(columns=["churned"])
pacsv.write_csv(pa.Table.from_pandas(big, preserve_index=False), data / "big.csv")

client = connect()
fast = {"training_mode": "fast"}
churn = client.models.train(train, "prediction", label_column="churned", name="churn", params=fast)
features = train.drop(columns=["churned"])
odd = client.models.train(features, "anomaly", name="odd-customers", params=fast)
# One model of every other type for the notebook's pictures (screenshot tests), on the same columns
models = [churn, odd]
models.append(client.models.train(features, "prediction", label_column="spend", name="spend-forecast", params=fast))
models.append(client.models.train(features, "clustering", name="segments", params={**fast, "n_clusters": 3}))
models.append(client.models.train(features, "embedding", name="embed", params={**fast, "n_components": 2}))
models.append(client.models.train(features, "search", name="lookalike", params=fast))
models.append(client.models.train(features, "factors", name="factors", params={**fast, "n_factors": 2}))
# ... and one on other columns, which new.csv fits poorly (1 of 4 columns): the dialog ranks it last
r = np.random.default_rng(4)
people = pd.DataFrame(
    {
        "age": r.integers(18, 80, 600),
        "income": r.normal(50_000, 15_000, 600).round(0),
        "tenure": r.normal(30, 10, 600).round(1),
        "region": r.choice(["north", "south", "east"], 600),
    }
)
people["band"] = np.where(people["income"] > 50_000, "high", "low")
models.append(client.models.train(people, "prediction", label_column="band", name="income-band", params=fast))
print(
    json.dumps(
        {
            "models": [m.name for m in models],
            "files": sorted(p.name for p in data.iterdir()),
            "big_rows": big_rows,
        }
    )
)
sys.stdout.flush()
