"""Drift at inference: which columns' distributions moved from the training data (population stability index).

At training, ``reference`` stores each feature's bins and the training shares in them (deciles of numbers and
dates, the most frequent levels of categories, a bin for missing values), as plain lists inside the model, so
inference needs no training data. At inference, :class:`DriftCounter` counts the rows of each batch into those
bins (it streams, and the counts of parts add up), and ``report`` gives each column's PSI and the columns that
moved. A column moved when its PSI passes 0.2 (the usual "significant shift") plus what chance alone gives for
samples of these sizes (the 99.9th percentile of the chi-square approximation), so a small unshifted sample is
not reported.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2

from .schema import BOOLEAN, CATEGORICAL, DATETIME, NUMERIC, Schema
from .tables import _missing

BINS = 10
TOP_LEVELS = 20
PSI_MOVED = 0.2
CHANCE_QUANTILE = 0.999
SMOOTH = 0.5  # added to every bin's count, so an empty bin does not make the index infinite
SMALL_BATCH = 64  # rows up to which levels are looked up in a dict


@functools.lru_cache(maxsize=512)
def _chi2_quantile(dof: int) -> float:
    """The chance quantile of a bin count's chi-square statistic (cached: scipy takes ~0.1 ms a call)."""
    return float(chi2.ppf(CHANCE_QUANTILE, dof))


def _numbers(s: pd.Series, kind: str) -> np.ndarray:
    if kind == DATETIME:
        days = (pd.to_datetime(s, errors="coerce") - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        return np.asarray(days.to_numpy(dtype="float64", na_value=np.nan))
    return np.asarray(s.to_numpy(dtype="float64", na_value=np.nan))


def _bin_index(values: pd.Series, spec: dict[str, Any], edges: np.ndarray | None = None) -> np.ndarray:
    """Each value's bin: 0..len(edges) for numbers (or the level's position, then "other"), the last bin for
    missing values."""
    if "edges" in spec:
        edges = np.asarray(spec["edges"], dtype="float64") if edges is None else edges
        x = _numbers(values, spec["kind"])
        idx = np.searchsorted(edges, x, side="right")
        idx[np.isnan(x)] = len(edges) + 1
        return idx
    levels = pd.Index(spec["levels"])
    raw = values.to_numpy(dtype=object)
    idx = levels.get_indexer(raw)
    idx[idx < 0] = len(levels)  # unseen or rare: "other"
    missing = pd.isna(values).to_numpy()
    idx[missing] = len(levels) + 1
    return np.asarray(idx)


class _Bins:
    """One column's binning, prepared from its reference spec."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.edges = np.asarray(spec["edges"], dtype="float64") if "edges" in spec else None
        self.shares = np.asarray(spec["shares"], dtype="float64")
        levels = spec.get("levels") or []
        self.lookup = {str(v): i for i, v in enumerate(levels)}
        self.other, self.missing = len(levels), len(levels) + 1

    def index(self, values: pd.Series) -> np.ndarray:
        if self.edges is not None or len(values) > SMALL_BATCH:
            return _bin_index(values, self.spec, self.edges)
        raw = values.to_numpy(dtype=object)
        return np.array([self.missing if _missing(v) else self.lookup.get(v, self.other) for v in raw], dtype=np.intp)


def reference(aligned: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """The training bins and shares of every number, date, boolean and category column."""
    cols: dict[str, Any] = {}
    for col in schema.columns:
        s = aligned[col.name]
        spec: dict[str, Any] = {"kind": col.kind}
        if col.kind in (NUMERIC, BOOLEAN, DATETIME):
            x = _numbers(s, col.kind)
            x = x[np.isfinite(x)]
            if len(x) == 0:
                continue
            edges = np.unique(np.quantile(x, np.linspace(0, 1, BINS + 1)[1:-1]))
            spec["edges"] = [float(e) for e in edges]
        elif col.kind == CATEGORICAL:
            spec["levels"] = [str(v) for v in col.categories[:TOP_LEVELS]]
        else:
            continue
        n_bins = len(spec.get("edges", spec.get("levels", []))) + 2
        counts = np.bincount(_bin_index(s, spec), minlength=n_bins)
        spec["shares"] = [float(c) for c in counts / max(1, len(s))]
        cols[col.name] = spec
    return {"rows": len(aligned), "columns": cols}


class DriftCounter:
    """Counts inference rows into the training bins, batch by batch; ``state``/``merge`` add parts' counts."""

    def __init__(self, ref: dict[str, Any] | None) -> None:
        self.ref = ref or {"rows": 0, "columns": {}}
        self.columns: dict[str, Any] = dict(self.ref.get("columns") or {})
        self.counts = {name: np.zeros(len(spec["shares"]), dtype=np.int64) for name, spec in self.columns.items()}
        self.rows = 0
        # what binning needs, prepared once: numpy edges, and each level's bin for a few rows' dict lookup
        self._bins = {name: _Bins(spec) for name, spec in self.columns.items()}

    def add(self, aligned: pd.DataFrame) -> None:
        self.rows += len(aligned)
        present = set(aligned.columns)
        for name, bins in self._bins.items():
            if name in present:
                counts = self.counts[name]
                counts += np.bincount(bins.index(aligned[name]), minlength=len(counts))

    def state(self) -> dict[str, Any]:
        return {"rows": self.rows, "counts": {k: v.tolist() for k, v in self.counts.items()}}

    def merge(self, states: list[dict[str, Any]]) -> None:
        for st in states:
            self.rows += st["rows"]
            for k, v in st["counts"].items():
                if k in self.counts:
                    self.counts[k] += np.asarray(v, dtype=np.int64)

    def report(self, missing_columns: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
        """``{"moved": [{"column", "psi"}...] (largest first), "psi": {column: value}, "rows": n,
        "threshold": t}``; columns the input did not have (reconciliation's ``missing``) are left out."""
        n, n_train = self.rows, int(self.ref.get("rows") or 0)
        psi: dict[str, float] = {}
        thresholds: dict[str, float] = {}
        if n == 0 or n_train == 0:
            return {"moved": [], "psi": {}, "rows": n, "threshold": None}
        names = [name for name in self.columns if name not in missing_columns]
        if names:  # every bin of every column at once; each column's sum as before, over its own bins
            counts = np.concatenate([self.counts[name] for name in names]).astype("float64")
            shares = np.concatenate([self._bins[name].shares for name in names])
            sizes = np.asarray([len(self.counts[name]) for name in names])
            b = np.repeat(sizes, sizes)
            expected = (shares * n_train + SMOOTH) / (n_train + SMOOTH * b)
            actual = (counts + SMOOTH) / (n + SMOOTH * b)
            terms = (actual - expected) * np.log(actual / expected)
            used = (counts > 0) | (shares > 0)
            ends = np.cumsum(sizes)
            for name, end, size in zip(names, ends.tolist(), sizes.tolist(), strict=True):
                psi[name] = round(float(np.sum(terms[end - size : end])), 4)
                dof = max(1, int(np.count_nonzero(used[end - size : end])) - 1)
                thresholds[name] = PSI_MOVED + _chi2_quantile(dof) * (1 / n + 1 / n_train)
        moved = sorted((k for k in psi if psi[k] > thresholds[k]), key=lambda k: -psi[k])
        typical = float(np.median(list(thresholds.values()))) if thresholds else None
        return {
            "moved": [{"column": k, "psi": psi[k]} for k in moved],
            "psi": psi,
            "rows": n,
            "threshold": None if typical is None else round(typical, 4),
        }
