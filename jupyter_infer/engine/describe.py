"""Words a person reads: what sets a group of rows apart, what a factor measures, why a row is unusual.

Everything is computed on original units (the aligned training frame), so the numbers in the text are the
user's own numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .schema import BOOLEAN, CATEGORICAL, NUMERIC, Schema, quote

Description = dict[str, str]


def _fmt(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    a = abs(v)
    if a >= 1000 or float(v).is_integer():
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}"


def column_stats(aligned: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """Training-time reference statistics: mean/std per numeric column, level shares per categorical."""
    stats: dict[str, Any] = {"numeric": {}, "categorical": {}}
    for col in schema.of_kind(NUMERIC, BOOLEAN):
        s = aligned[col.name]
        stats["numeric"][col.name] = [float(s.mean()), float(s.std(ddof=0) or 0.0)]
    for col in schema.of_kind(CATEGORICAL):
        shares = aligned[col.name].value_counts(normalize=True, dropna=True)
        stats["categorical"][col.name] = {str(k): float(v) for k, v in shares.head(50).items()}
    return stats


def describe_groups(aligned: pd.DataFrame, labels: np.ndarray, schema: Schema, noun: str) -> dict[str, Description]:
    """For each group label: its share of rows and the (up to three) columns that set it apart most."""
    labels = np.asarray(labels)
    out: dict[str, Description] = {}
    n = len(labels)
    numeric = [c.name for c in schema.of_kind(NUMERIC, BOOLEAN)]
    cats = [c.name for c in schema.of_kind(CATEGORICAL)]
    overall_mean = {c: float(aligned[c].mean()) for c in numeric}
    overall_std = {c: float(aligned[c].std(ddof=0)) for c in numeric}
    overall_share = {c: aligned[c].value_counts(normalize=True) for c in cats}
    for label in pd.unique(labels):
        mask = labels == label
        share = mask.sum() / n
        effects: list[tuple[float, str, str]] = []  # (|effect|, phrase, short)
        sub = aligned.loc[mask]
        for c in numeric:
            sd = overall_std[c]
            m = float(sub[c].mean())
            if not sd or not np.isfinite(m):
                continue
            z = (m - overall_mean[c]) / sd
            word = "high" if z > 0 else "low"
            effects.append((abs(z), f"{word} {c} ({_fmt(m)} vs {_fmt(overall_mean[c])})", f"{word} {c}"))
        for c in cats:
            vc = sub[c].value_counts(normalize=True)
            if vc.empty:
                continue
            level, p_c = quote(vc.index[0]), float(vc.iloc[0])
            p_all = float(overall_share[c].get(vc.index[0], 0.0))
            if p_all <= 0 or p_all >= 1:
                continue
            e = (p_c - p_all) / np.sqrt(p_all * (1 - p_all))
            if e <= 0:
                continue
            effects.append((e, f"{c} = {level} ({p_c:.0%} vs {p_all:.0%})", f"{c} = {level}"))
        effects.sort(key=lambda t: -t[0])
        top = [e for e in effects if e[0] >= 0.5][:3] or effects[:1]
        pct = f"{share:.0%} of rows"
        if top:
            summary = f"{pct}; " + ", ".join(t[2] for t in top)
            description = (
                f"{noun} {label} holds {pct} ({int(mask.sum())}). Compared with all rows it has "
                + ", ".join(t[1] for t in top)
                + "."
            )
        else:
            summary = pct
            description = f"{noun} {label} holds {pct} ({int(mask.sum())}); no column sets it clearly apart."
        out[str(label)] = {"summary": summary, "description": description}
    return out


def describe_factors(loadings: np.ndarray, names: list[str], captured: np.ndarray) -> dict[str, dict[str, Any]]:
    """One entry per factor from its largest loadings: which columns rise and fall together."""
    out: dict[str, dict[str, Any]] = {}
    for j in range(loadings.shape[1]):
        col = loadings[:, j]
        order = np.argsort(-np.abs(col))[:3]
        parts = [f"{names[i]} ({col[i]:+.2f})" for i in order if abs(col[i]) >= 0.05] or [
            f"{names[order[0]]} ({col[order[0]]:+.2f})"
        ]
        pos = [names[i] for i in order if col[i] > 0 and abs(col[i]) >= 0.05]
        neg = [names[i] for i in order if col[i] < 0 and abs(col[i]) >= 0.05]
        phrase = []
        if pos:
            phrase.append("rises with " + ", ".join(pos))
        if neg:
            phrase.append(("and falls with " if pos else "falls with ") + ", ".join(neg))
        summary = ", ".join(parts)
        description = (
            f"Factor {j} {' '.join(phrase) or 'has no strong loadings'}; it captures "
            f"{captured[j]:.1%} of the training data's variance. Top loadings: {summary}."
        )
        out[str(j)] = {
            "summary": summary,
            "description": description,
            "captured_variance": float(captured[j]),
        }
    return out


def describe_row(row: pd.Series, stats: dict[str, Any]) -> Description:
    """Why one row stands out: its values furthest from the training data, in training units."""
    effects: list[tuple[float, str]] = []
    for c, (mean, sd) in stats["numeric"].items():
        v = row.get(c)
        if v is None or not np.isfinite(v) or not sd:
            continue
        z = (float(v) - mean) / sd
        word = "high" if z > 0 else "low"
        effects.append((abs(z), f"{c} = {_fmt(float(v))} is {word} (typical {_fmt(mean)} ± {_fmt(sd)})"))
    for c, shares in stats["categorical"].items():
        v = row.get(c)
        if v is None or (isinstance(v, float) and np.isnan(v)):
            continue
        p = shares.get(str(v), 0.0)
        if p < 0.05:
            effects.append((2.0 + (0.05 - p) * 20, f"{c} = {quote(v)} is rare ({p:.1%} of training rows)"))
    effects.sort(key=lambda t: -t[0])
    top = [e[1] for e in effects[:3]]
    if not top:
        return {
            "summary": "unusual combination of values",
            "description": "No single value is extreme; the row is unusual through a combination of values.",
        }
    return {"summary": top[0], "description": "; ".join(top) + "."}
