"""Embeddings: PCA on the distance flavour (stable, explainable); search reuses them with nearest neighbours
over the training rows."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from ..features import Featurizer
from ._base import FitContext, Fitted

MAX_AUTO_COMPONENTS = 16


def fit_pca(Z: np.ndarray, requested: int | None, auto_variance: float | None) -> PCA:
    limit = int(min(Z.shape[1], max(1, len(Z) - 1)))
    if requested is not None:
        return PCA(n_components=min(requested, limit), random_state=0).fit(Z)
    pca = PCA(n_components=min(MAX_AUTO_COMPONENTS, limit), random_state=0).fit(Z)
    if auto_variance is None:
        return pca
    cum = np.cumsum(pca.explained_variance_ratio_)
    k = min(len(cum), max(2, int(np.searchsorted(cum, auto_variance)) + 1))
    return PCA(n_components=min(k, limit), random_state=0).fit(Z)


def fit(ctx: FitContext) -> Fitted:
    Z = ctx.featurizer.distance_matrix(ctx.aligned)
    ctx.report("fit", 0.2)
    pca = fit_pca(Z, ctx.params.get("n_components"), auto_variance=0.9)
    metrics = {
        "n_components": int(pca.n_components_),
        "explained_variance": float(pca.explained_variance_ratio_.sum()),
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
    Z = ctx.featurizer.distance_matrix(ctx.aligned)
    ctx.report("embed", 0.2)
    pca = fit_pca(Z, ctx.params.get("n_components"), auto_variance=None)
    E = pca.transform(Z)
    ctx.check_cancel()
    ctx.report("index", 0.5)
    algorithm = _fastest_index(E)
    nn = NearestNeighbors(algorithm=algorithm).fit(E)
    ids = ctx.ids if ctx.ids is not None else np.arange(len(E))
    metrics = {"n_components": int(pca.n_components_), "n_indexed": len(E), "index": algorithm}
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
        return match != ids
    return match.astype(str) != ids.astype(str)
