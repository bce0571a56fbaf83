"""Factors: principal axes of the standardized data, varimax-rotated (still orthonormal), described by their top
loadings. ``captured_variance`` is the share of the inference data's variance along each factor, accumulated over
batches, so it streams and sums to at most 1."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from ..describe import describe_factors
from ..features import Featurizer
from ._base import FitContext, Fitted

MAX_FACTORS = 10


def parallel_analysis(Z: np.ndarray, reps: int = 20) -> int:
    """Factors whose eigenvalue beats the 95th percentile of eigenvalues of column-shuffled data."""
    rng = np.random.default_rng(0)
    sample = Z if len(Z) <= 5000 else Z[rng.choice(len(Z), 5000, replace=False)]
    eig = np.sort(np.linalg.eigvalsh(np.cov(sample, rowvar=False)))[::-1]
    null = []
    for _ in range(reps):
        shuffled = np.column_stack([rng.permutation(c) for c in sample.T])
        null.append(np.sort(np.linalg.eigvalsh(np.cov(shuffled, rowvar=False)))[::-1])
    cutoff = np.percentile(np.array(null), 95, axis=0)
    return int(max(1, min(MAX_FACTORS, int(np.sum(eig > cutoff)))))


def varimax(L: np.ndarray, iters: int = 100, tol: float = 1e-6) -> np.ndarray:
    """The orthogonal rotation matrix R that maximizes the variance of squared loadings of L @ R."""
    p, m = L.shape
    R = np.eye(m)
    d = 0.0
    for _ in range(iters):
        LR = L @ R
        u, s, vt = np.linalg.svd(L.T @ (LR**3 - LR @ np.diag(np.sum(LR**2, axis=0)) / p))
        R = u @ vt
        d_new = float(np.sum(s))
        if d and d_new < d * (1 + tol):
            break
        d = d_new
    return R


def fit(ctx: FitContext) -> Fitted:
    """``n_factors`` wins; else parallel analysis (20 shuffles, 5 with ``training_mode=fast``)."""
    with ctx.phase("ingest", 0.05):
        Z = ctx.featurizer.distance_matrix(ctx.aligned)
    p = Z.shape[1]
    with ctx.phase("validate", 0.1):
        m = int(ctx.params["n_factors"]) if "n_factors" in ctx.params else parallel_analysis(Z, 5 if ctx.fast else 20)
    m = max(1, min(m, p, max(1, len(Z) - 1)))
    ctx.report("fit", 0.4)
    pca = PCA(n_components=m, random_state=0).fit(Z)
    V = pca.components_.T  # p x m, orthonormal columns
    L = V * np.sqrt(pca.explained_variance_)
    R = varimax(L) if m > 1 else np.eye(1)
    directions = V @ R  # still orthonormal
    loadings = L @ R
    # training variance along each rotated direction, for ordering and the training-time text
    Zc = Z - pca.mean_
    total = float(Zc.var(axis=0).sum()) or 1.0
    captured = (Zc @ directions).var(axis=0) / total
    order = np.argsort(-captured)
    directions, loadings, captured = directions[:, order], loadings[:, order], captured[order]
    signs = np.sign(loadings[np.argmax(np.abs(loadings), axis=0), np.arange(m)])
    signs[signs == 0] = 1
    directions, loadings = directions * signs, loadings * signs
    names = ctx.featurizer.distance_names()
    desc = describe_factors(loadings, names, captured)
    core = {
        "mean": pca.mean_,
        "directions": directions,
        "texts": [desc[str(j)]["description"] for j in range(m)],
    }
    metrics = {"n_factors": m, "captured_variance_train": [float(c) for c in captured], "n_train": len(Z)}
    return Fitted(core, metrics, {"factor_descriptions": desc})


class Scorer:
    """Projects rows onto the factors and accumulates the sums that give each factor's captured variance."""

    def __init__(
        self, core: dict[str, Any], featurizer: Featurizer, factor_scores: bool, descriptions: dict[str, Any]
    ) -> None:
        self.core = core
        self.feat = featurizer
        self.factor_scores = factor_scores
        self.base_desc = descriptions.get("factor_descriptions", {})
        m = core["directions"].shape[1]
        p = core["directions"].shape[0]
        self.sums: dict[str, Any] = {
            "n": 0,
            "sx": np.zeros(p),
            "sxx": np.zeros(p),
            "ss": np.zeros(m),
            "sss": np.zeros(m),
        }

    def score(self, aligned: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame | None:
        Zc = self.feat.distance_matrix(aligned) - self.core["mean"]
        S = Zc @ self.core["directions"]
        st = self.sums
        st["n"] += len(Zc)
        st["sx"] += Zc.sum(0)
        st["sxx"] += (Zc**2).sum(0)
        st["ss"] += S.sum(0)
        st["sss"] += (S**2).sum(0)
        if not self.factor_scores:
            return None
        out: dict[str, Any] = {"id": ids}
        for j in range(S.shape[1]):
            out[f"factor_{j}"] = S[:, j]
        return pd.DataFrame(out)

    def state(self) -> dict[str, Any]:
        """The sums over the rows scored so far; ``merge`` adds those of scorers over other rows."""
        return dict(self.sums)

    def merge(self, states: list[dict[str, Any]]) -> None:
        for other in states:
            for key in self.sums:
                self.sums[key] = self.sums[key] + other[key]

    def captured(self) -> np.ndarray:
        st = self.sums
        n = max(st["n"], 1)
        total = float(np.sum(st["sxx"] / n - (st["sx"] / n) ** 2))
        var_s = st["sss"] / n - (st["ss"] / n) ** 2
        if total <= 0:
            return np.zeros_like(var_s)
        return np.asarray(np.clip(var_s / total, 0.0, 1.0))

    def finish(self) -> pd.DataFrame | None:
        if self.factor_scores:
            return None
        cap = self.captured()
        return pd.DataFrame(
            {
                "factor_id": np.arange(len(cap), dtype=np.int64),
                "factor_description": list(self.core["texts"]),
                "captured_variance": cap,
            }
        )

    def descriptions(self) -> dict[str, dict[str, Any]]:
        cap = self.captured()
        out = {}
        for j, c in enumerate(cap):
            d = dict(self.base_desc.get(str(j), {}))
            d["captured_variance"] = float(c)
            out[str(j)] = d
        return {"factor_descriptions": out}
