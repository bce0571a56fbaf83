"""Anomaly detection: an isolation forest on the tree flavour; score = -score_samples (higher = more anomalous);
the threshold is the training-score quantile at ``contamination``."""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest

from ..describe import column_stats, describe_row
from ..features import Featurizer
from ._base import FitContext, Fitted, threaded_rows

DEFAULT_CONTAMINATION = 0.05
DESCRIBED_ROWS = 50
CENTRAL = (1.0, 99.0)  # percentiles of each numeric column that bound its central range at training
EXTREME_WEIGHT = 0.2  # score added per central range's width a value lies beyond that range
EXTREME_CAP = 1000.0  # widths beyond which a value is not more anomalous (1e300 would score 1e37)


def anomaly_scores(core: dict[str, Any], X: np.ndarray) -> np.ndarray:
    """Isolation-forest score, plus a term for values far outside the training data's central range.

    A forest cannot extrapolate: a value 4x the training maximum lands in the same leaf as the maximum, so a row
    that is extreme in one column and ordinary elsewhere would pass, and with many columns a forest rarely splits
    on the one that is off. The extra term is how far the row's most extreme value lies beyond the central 98 %
    of the training values (in widths of that range; percentiles, so the outliers in the training rows do not
    widen it as they widen a standard deviation); zero inside it (higher = more anomalous)."""
    scores = -threaded_rows(core["forest"].score_samples, X)
    if "num_lo" not in core:  # a model from before the central range: its own term (beyond 6 sd), as trained
        n_old = len(core.get("num_mean", []))
        if n_old:
            with np.errstate(all="ignore"):
                z = np.nan_to_num(np.abs((X[:, :n_old] - core["num_mean"]) / core["num_std"]), nan=0.0)
            scores = scores + 0.05 * np.clip(z.max(axis=1) - 6.0, 0.0, None)
        return scores
    n_num = len(core["num_lo"])
    if n_num:
        V = X[:, :n_num].astype(np.float64)
        with np.errstate(all="ignore"):
            beyond = np.maximum(np.maximum(V - core["num_hi"], core["num_lo"] - V), 0.0) / core["num_span"]
        scores = scores + EXTREME_WEIGHT * np.clip(np.nan_to_num(beyond, nan=0.0), 0.0, EXTREME_CAP).max(axis=1)
    return scores


def _central_range(V: np.ndarray) -> dict[str, np.ndarray]:
    """Per numeric column: the 1st and 99th percentiles and the width to measure excess in (the standard
    deviation where that range is empty, e.g. a column that is nearly always 0)."""
    if V.shape[1] == 0:
        return {"num_lo": np.zeros(0), "num_hi": np.zeros(0), "num_span": np.zeros(0)}
    with np.errstate(all="ignore"):
        lo, hi = np.nanpercentile(V, CENTRAL[0], axis=0), np.nanpercentile(V, CENTRAL[1], axis=0)
        sd = np.nanstd(V, axis=0)
    span = np.where(hi - lo > 0, hi - lo, np.where(sd > 0, sd, np.inf))
    return {"num_lo": np.nan_to_num(lo), "num_hi": np.nan_to_num(hi), "num_span": np.nan_to_num(span, nan=np.inf)}


def fit(ctx: FitContext) -> Fitted:
    """``training_mode=fast``: 100 trees instead of 200."""
    with ctx.phase("ingest", 0.05):
        X = ctx.featurizer.tree_matrix(ctx.aligned)
    contamination = float(ctx.params.get("contamination", DEFAULT_CONTAMINATION))
    with ctx.phase("fit", 0.1):
        forest = IsolationForest(n_estimators=100 if ctx.fast else 200, random_state=0).fit(X)
    ctx.report("validate", 0.7)
    n_num = len(ctx.featurizer.numeric_names())
    core = {
        "forest": forest,
        **_central_range(X[:, :n_num].astype(np.float64)),
        "stats": column_stats(ctx.aligned, ctx.featurizer.schema),
    }
    scores = anomaly_scores(core, X)
    threshold = float(np.quantile(scores, 1.0 - contamination))
    core["threshold"] = threshold
    metrics = {
        "contamination": contamination,
        "threshold": threshold,
        "n_train": len(X),
        "training_flagged": int((scores > threshold).sum()),
    }
    return Fitted(core, metrics)


class Scorer:
    """Scores rows; keeps the most anomalous flagged rows to describe them at the end."""

    def __init__(self, core: dict[str, Any], featurizer: Featurizer, anomaly_format: str) -> None:
        self.core = core
        self.feat = featurizer
        self.ids_only = anomaly_format == "ids_only"
        self._top: list[tuple[float, int, Any, dict[str, Any]]] = []  # min-heap of (score, seq, id, row)
        self._seq = 0

    def score(self, aligned: pd.DataFrame, ids: np.ndarray) -> pd.DataFrame:
        X = self.feat.tree_matrix(aligned)
        scores = anomaly_scores(self.core, X)
        flagged = scores > self.core["threshold"]
        self._remember(aligned, ids, scores, flagged)
        if self.ids_only:
            return pd.DataFrame({"anomalous_ids": ids[flagged]})
        return pd.DataFrame({"id": ids, "is_anomaly": flagged, "anomaly_score": scores})

    def _remember(self, aligned: pd.DataFrame, ids: np.ndarray, scores: np.ndarray, flagged: np.ndarray) -> None:
        idx = np.flatnonzero(flagged)
        if len(idx) > DESCRIBED_ROWS:
            idx = idx[np.argsort(-scores[idx])[:DESCRIBED_ROWS]]
        for i in idx:
            item = (float(scores[i]), self._seq, ids[i], aligned.iloc[int(i)].to_dict())
            self._seq += 1
            if len(self._top) < DESCRIBED_ROWS:
                heapq.heappush(self._top, item)
            elif item[0] > self._top[0][0]:
                heapq.heapreplace(self._top, item)

    def state(self) -> list[tuple[float, int, Any, dict[str, Any]]]:
        """The most anomalous flagged rows seen so far, as (score, order seen, id, row)."""
        return list(self._top)

    def merge(self, states: list[list[tuple[float, int, Any, dict[str, Any]]]]) -> None:
        """Keep the top rows over this scorer's and the others' (given in input order), as one scorer over all
        the rows would: the highest scores, the earliest row first among equals."""
        candidates = [
            (score, part, seq, rid, row)
            for part, top in enumerate([self._top, *states])
            for score, seq, rid, row in top
        ]
        best = sorted(candidates, key=lambda t: (-t[0], t[1], t[2]))[:DESCRIBED_ROWS]
        self._top = [(score, i, rid, row) for i, (score, _, _, rid, row) in enumerate(best)]
        heapq.heapify(self._top)
        self._seq = len(best)

    def descriptions(self) -> dict[str, dict[str, Any]]:
        rows = sorted(self._top, key=lambda t: -t[0])
        out = {}
        for score, _, rid, row in rows:
            d = describe_row(pd.Series(row), self.core["stats"])
            out[str(rid.item() if hasattr(rid, "item") else rid)] = {**d, "anomaly_score": score}
        return {"anomaly_descriptions": out}
