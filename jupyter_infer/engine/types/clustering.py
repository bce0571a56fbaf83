"""Clustering: k-means on the distance flavour with k chosen by the highest silhouette (no tie-break towards the
smallest k: that rule chose k=2 on wine's three cultivars); labels ordered by cluster size and described at
training time. ``n_clusters`` wins over the choice; ``training_mode=fast`` chooses k on a sample of at most
5,000 rows (best: 20,000)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score

from ..describe import describe_groups
from ..features import Featurizer
from ._base import FitContext, Fitted

MINIBATCH_ABOVE = 50_000
SAMPLE_FOR_K = 20_000
SAMPLE_FOR_K_FAST = 5_000


def _kmeans(k: int, n: int) -> Any:
    if n > MINIBATCH_ABOVE:
        return MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=3, random_state=0)
    return KMeans(n_clusters=k, n_init=3, random_state=0)


def choose_k(Z: np.ndarray, ctx: FitContext) -> tuple[int, dict[int, float]]:
    """The k in 2..10 with the highest silhouette among clusterings without tiny clusters; every k's score."""
    n = len(Z)
    rng = np.random.default_rng(0)
    limit = SAMPLE_FOR_K_FAST if ctx.fast else SAMPLE_FOR_K
    sample = Z if n <= limit else Z[rng.choice(n, limit, replace=False)]
    ks = list(range(2, int(max(2, min(10, len(sample) // 10))) + 1))
    scores: dict[int, float] = {}
    min_size = max(5, int(0.01 * len(sample)))
    for i, k in enumerate(ks):
        ctx.check_cancel()
        labels = _kmeans(k, len(sample)).fit_predict(sample)
        if np.bincount(labels, minlength=k).min() < min(min_size, len(sample) // (2 * k) or 1):
            continue
        if not 2 <= len(np.unique(labels)) < len(sample):  # silhouette needs 2 to n-1 clusters
            continue
        scores[k] = float(silhouette_score(sample, labels, sample_size=min(len(sample), 5000), random_state=0))
        ctx.report("validate", 0.1 + 0.6 * (i + 1) / len(ks))
    if not scores:
        return min(2, n), scores
    return max(scores, key=lambda k: (scores[k], -k)), scores


def fit(ctx: FitContext) -> Fitted:
    with ctx.phase("ingest", 0.05):
        Z = ctx.featurizer.distance_matrix(ctx.aligned)
    n = len(Z)
    scores: dict[int, float] = {}
    if "n_clusters" in ctx.params:
        k = min(int(ctx.params["n_clusters"]), n)
    else:
        with ctx.phase("validate", 0.1):
            k, scores = choose_k(Z, ctx)
    with ctx.phase("fit", 0.75):
        km = _kmeans(k, n).fit(Z)
    raw = km.predict(Z)
    counts = np.bincount(raw, minlength=k)
    order = np.argsort(-counts, kind="stable")  # new label i = old label order[i]
    relabel = np.empty(k, dtype=np.int64)
    relabel[order] = np.arange(k)
    labels = relabel[raw]
    metrics: dict[str, Any] = {
        "n_clusters": int(k),
        "k_chosen_by": "n_clusters" if "n_clusters" in ctx.params else "highest silhouette, k in 2..10",
        "n_train": int(n),
    }
    if 2 <= len(np.unique(labels)) < n:  # defined for 2 to n-1 clusters
        metrics["silhouette_score"] = float(silhouette_score(Z, labels, sample_size=min(n, 5000), random_state=0))
    if scores:
        metrics["silhouette_by_k"] = {str(kk): v for kk, v in scores.items()}
    desc = describe_groups(ctx.aligned, labels, ctx.featurizer.schema, "Cluster")
    desc = {str(i): desc[str(i)] for i in range(k) if str(i) in desc}
    core = {
        "kmeans": km,
        "relabel": relabel,
        "summaries": [desc.get(str(i), {}).get("summary", "") for i in range(k)],
    }
    return Fitted(core, metrics, {"cluster_descriptions": desc})


class Scorer:
    def __init__(self, core: dict[str, Any], featurizer: Featurizer) -> None:
        self.core = core
        self.feat = featurizer
        self.summaries = np.asarray(core["summaries"], dtype=object)

    def score(self, aligned: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        Z = self.feat.distance_matrix(aligned)
        labels = np.asarray(self.core["relabel"])[self.core["kmeans"].predict(Z)]
        return pd.DataFrame(
            {
                "id": ids,
                "cluster_label": labels.astype(np.int64),
                "cluster_description": self.summaries[labels],
            }
        )
