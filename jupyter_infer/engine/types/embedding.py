"""Embeddings: PCA on the distance flavour (stable, explainable), with as many dimensions as neighbourhoods need;
search reuses them with nearest neighbours over the training rows. ``training_mode=fast`` checks neighbourhoods on
fewer rows (and search skips timing the index kinds)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.neighbors import NearestNeighbors

from ..features import Featurizer
from ._base import FitContext, Fitted

MAX_AUTO_COMPONENTS = 64
DIMS_TRIED = (2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64)
NEIGHBOURS = 10
KEEP_EMBEDDING = 0.8  # share of each row's 10 nearest neighbours (full space) an embedding must keep
KEEP_SEARCH = 0.9  # search answers "which training row is nearest": it keeps more
SAMPLE_ROWS, SAMPLE_ROWS_FAST = 1000, 300


def neighbour_overlap(Z: np.ndarray, E: np.ndarray, k: int = NEIGHBOURS) -> float:
    """The mean share of each row's k nearest neighbours in Z that are also among its k nearest in E."""
    k = min(k, len(Z) - 1)
    a = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(Z).kneighbors(Z, return_distance=False)[:, 1:]
    b = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(E).kneighbors(E, return_distance=False)[:, 1:]
    hits = (a[:, :, None] == b[:, None, :]).any(axis=2).sum(axis=1)
    return float(hits.mean() / k)


def fit_pca(Z: np.ndarray, requested: int | None, keep: float, fast: bool) -> tuple[PCA, dict[str, Any]]:
    """PCA with ``requested`` dimensions, or the fewest that keep ``keep`` of each row's nearest neighbours (on a
    sample), and how well neighbourhoods are kept (overlap, sklearn's trustworthiness)."""
    limit = int(min(Z.shape[1], max(1, len(Z) - 1)))
    rng = np.random.default_rng(0)
    size = SAMPLE_ROWS_FAST if fast else SAMPLE_ROWS
    S = Z if len(Z) <= size else Z[rng.choice(len(Z), size, replace=False)]
    if requested is not None:
        pca = PCA(n_components=min(requested, limit), random_state=0).fit(Z)
        chosen_by = "n_components"
    else:
        full = PCA(n_components=min(MAX_AUTO_COMPONENTS, limit), random_state=0).fit(Z)
        proj = full.transform(S)
        d = full.n_components_
        if len(S) > NEIGHBOURS + 1:
            for cand in [c for c in DIMS_TRIED if c < full.n_components_]:
                if neighbour_overlap(S, proj[:, :cand]) >= keep:
                    d = cand
                    break
        pca = PCA(n_components=d, random_state=0).fit(Z) if d < full.n_components_ else full
        chosen_by = f"fewest dimensions keeping {keep:.0%} of each row's {NEIGHBOURS} nearest neighbours"
    report: dict[str, Any] = {"dims_chosen_by": chosen_by}
    if len(S) > NEIGHBOURS + 1:
        E = pca.transform(S)
        report["neighbour_overlap"] = round(neighbour_overlap(S, E), 4)
        report["trustworthiness"] = round(float(trustworthiness(S, E, n_neighbors=min(5, len(S) // 2 - 1))), 4)
    return pca, report


def fit(ctx: FitContext) -> Fitted:
    with ctx.phase("ingest", 0.05):
        Z = ctx.featurizer.distance_matrix(ctx.aligned)
    with ctx.phase("fit", 0.2):
        pca, quality = fit_pca(Z, ctx.params.get("n_components"), KEEP_EMBEDDING, ctx.fast)
    metrics = {
        "n_components": int(pca.n_components_),
        "explained_variance": float(pca.explained_variance_ratio_.sum()),
        **quality,
        "n_train": len(Z),
    }
    return Fitted({"pca": pca}, metrics)


class Scorer:
    def __init__(self, core: dict[str, Any], featurizer: Featurizer) -> None:
        self.pca = core["pca"]
        self.feat = featurizer

    def score(self, aligned: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        E = self.pca.transform(self.feat.distance_matrix(aligned))
        out: dict[str, Any] = {"id": ids}
        for j in range(E.shape[1]):
            out[f"dim_{j}"] = E[:, j]
        return pd.DataFrame(out)


def fit_search(ctx: FitContext) -> Fitted:
    with ctx.phase("ingest", 0.05):
        Z = ctx.featurizer.distance_matrix(ctx.aligned)
    with ctx.phase("fit", 0.2):
        pca, quality = fit_pca(Z, ctx.params.get("n_components"), KEEP_SEARCH, ctx.fast)
        E = pca.transform(Z)
        algorithm = "brute" if ctx.fast else _fastest_index(E)
        nn = NearestNeighbors(algorithm=algorithm).fit(E)
    ids = ctx.ids if ctx.ids is not None else np.arange(len(E))
    metrics = {"n_components": int(pca.n_components_), **quality, "n_indexed": len(E), "index": algorithm}
    return Fitted({"pca": pca, "nn": nn, "train_ids": np.asarray(ids)}, metrics)


def _fastest_index(E: np.ndarray) -> str:
    """Time a sample of queries with a kd-tree and brute force; keep the faster (which wins depends on data)."""
    if len(E) < 2000:
        return "brute"
    q = E[np.random.default_rng(0).choice(len(E), 500, replace=False)]
    best, best_t = "brute", float("inf")
    for algo in ("kd_tree", "brute"):
        nn = NearestNeighbors(algorithm=algo).fit(E)
        t0 = time.perf_counter()
        nn.kneighbors(q, n_neighbors=2)
        t = time.perf_counter() - t0
        if t < best_t:
            best, best_t = algo, t
    return best


class SearchScorer:
    def __init__(
        self, core: dict[str, Any], featurizer: Featurizer, k: int, exclude_self: bool, id_column: str | None = None
    ) -> None:
        self.core = core
        self.feat = featurizer
        self.k = k
        self.exclude_self = exclude_self
        # match_id: the training rows' ids; with id_column, that column's training values when the training data
        # had it (kept at fit), else the ids the model was trained with (id_column at training, or positions)
        by_column = core.get("ids_by_column") or {}
        self.train_ids = np.asarray(by_column[id_column] if id_column in by_column else core["train_ids"])

    def score(self, aligned: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        E = self.core["pca"].transform(self.feat.distance_matrix(aligned))
        train_ids = self.train_ids
        n_train = len(train_ids)
        want = min(self.k + (1 if self.exclude_self else 0), n_train)
        dist, idx = self.core["nn"].kneighbors(E, n_neighbors=want)
        match = train_ids[idx]
        if self.exclude_self:
            keep = _differs(match, np.asarray(ids).reshape(-1, 1))
            # keep the first k non-self matches of each row
            order = np.argsort(~keep, axis=1, kind="stable")[:, : min(self.k, want)]
            match = np.take_along_axis(match, order, 1)
            dist = np.take_along_axis(dist, order, 1)
            keep = np.take_along_axis(keep, order, 1)
        else:
            keep = np.ones_like(match, dtype=bool)
        kk = match.shape[1]
        out: dict[str, Any] = {
            "id": np.repeat(ids, kk)[keep.ravel()],
            "match_id": match.ravel()[keep.ravel()],
            "distance": dist.ravel()[keep.ravel()],
        }
        if self.k > 1:
            out["rank"] = np.tile(np.arange(1, kk + 1), len(ids))[keep.ravel()]
        return pd.DataFrame(out)


def _differs(match: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """match != ids, element-wise, for ids of any type: numbers compare as numbers, and ids of another kind
    (text ids against the training positions, say) compare by their text, so "5" is the training row 5."""
    if match.dtype.kind in "iuf" and ids.dtype.kind in "iuf":
        return np.asarray(match != ids)
    return np.asarray(match.astype(str) != ids.astype(str))
