"""Small pictures as plain HTML and inline SVG (no matplotlib), so static renderers show them too.

Every picture sits in ``<div class="ji-chart">``; labels and counts are text, bar lengths are styles.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

BLUE, RED, GREY = "#4c78a8", "#e45756", "#999"


def _esc(v: Any) -> str:
    return html.escape(str(v))


def bars(rows: list[tuple[str, float, str]], title: str, value_fmt: str = "{:,.0f}") -> str:
    """Horizontal bars: (label, value, note) rows; the longest bar spans the column."""
    if not rows:
        return ""
    top = max(v for _, v, _ in rows) or 1.0
    body = "".join(
        f'<tr><td style="text-align:right;padding-right:6px">{_esc(label)}</td>'
        f'<td style="width:220px"><div style="background:{BLUE};height:12px;width:{100.0 * v / top:.1f}%"></div></td>'
        f'<td style="text-align:right;padding:0 6px">{value_fmt.format(v)}</td>'
        f'<td style="text-align:left;color:#555">{_esc(note)}</td></tr>'
        for label, v, note in rows
    )
    return f'<div class="ji-chart"><b>{_esc(title)}</b><table style="border:none">{body}</table></div>'


def histogram(
    values: Any,
    title: str,
    threshold: float | None = None,
    bins: int = 30,
    span: tuple[float, float] | None = None,
) -> str:
    """An inline-SVG histogram over ``span`` (default: the data's range); an optional threshold as a red line."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    if v.size == 0:
        return ""
    lo, hi = span or (float(v.min()), float(v.max()))
    if threshold is not None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    if hi <= lo:
        hi = lo + 1.0
    counts, _edges = np.histogram(v, bins=bins, range=(lo, hi))
    w, h, pad = 320, 90, 14
    bw = (w - 2) / bins
    peak = counts.max() or 1
    rects = "".join(
        f'<rect x="{1 + i * bw:.1f}" y="{h - pad - (h - 2 * pad) * c / peak:.1f}" width="{max(bw - 1, 1):.1f}" '
        f'height="{(h - 2 * pad) * c / peak:.1f}" fill="{BLUE}"/>'
        for i, c in enumerate(counts)
    )
    line = ""
    if threshold is not None:
        x = 1 + (w - 2) * (threshold - lo) / (hi - lo)
        line = (
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{h - pad}" stroke="{RED}" stroke-width="2"/>'
            f'<text x="{min(x + 3, w - 60):.1f}" y="10" font-size="9" fill="{RED}">threshold</text>'
        )
    axis = (
        f'<text x="1" y="{h - 2}" font-size="9" fill="#555">{lo:.3g}</text>'
        f'<text x="{w - 1}" y="{h - 2}" font-size="9" fill="#555" text-anchor="end">{hi:.3g}</text>'
    )
    svg = f'<svg width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">{rects}{line}{axis}</svg>'
    return f'<div class="ji-chart"><b>{_esc(title)}</b><br>{svg}</div>'


def scatter(x: Any, y: Any, title: str, max_points: int = 1500) -> str:
    """An inline-SVG scatter of two columns (a deterministic sample when there are many rows)."""
    xs = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0:
        return ""
    if xs.size > max_points:
        idx = np.linspace(0, xs.size - 1, max_points).astype(int)
        xs, ys = xs[idx], ys[idx]
    w = h = 200
    pad = 6

    def scale(a: np.ndarray, size: int, flip: bool) -> np.ndarray:
        lo, hi = float(a.min()), float(a.max())
        s = (a - lo) / (hi - lo) if hi > lo else np.full_like(a, 0.5)
        s = 1 - s if flip else s
        return pad + s * (size - 2 * pad)

    px, py = scale(xs, w, False), scale(ys, h, True)
    dots = "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="1.8"/>' for a, b in zip(px, py, strict=True))
    svg = (
        f'<svg width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="none" stroke="#ddd"/>'
        f'<g fill="{BLUE}" fill-opacity="0.5">{dots}</g></svg>'
    )
    return f'<div class="ji-chart"><b>{_esc(title)}</b><br>{svg}</div>'


def _summary(descriptions: dict[str, Any], kind: str, key: Any) -> str:
    d = (descriptions.get(f"{kind}_descriptions") or {}).get(str(key)) or {}
    return str(d.get("summary") or "")


def for_result(
    model_type: str,
    df: pd.DataFrame,
    descriptions: dict[str, Any],
    rows_in: int | None = None,
    threshold: float | None = None,
) -> str:
    """The picture a person would rather look at than read, per model type."""
    if model_type == "prediction" and "prediction" in df:
        if "prediction_prob" in df:
            counts = df["prediction"].value_counts()
            rows = [(str(k), float(n), _summary(descriptions, "prediction", k)) for k, n in counts.items()]
            return bars(rows, "Predicted classes") + histogram(
                df["prediction_prob"], "Probability of the predicted class"
            )
        return histogram(df["prediction"], "Predicted values")
    if model_type == "clustering" and "cluster_label" in df:
        counts = df["cluster_label"].value_counts().sort_index()
        rows = [(f"cluster {k}", float(n), _summary(descriptions, "cluster", k)) for k, n in counts.items()]
        return bars(rows, "Cluster sizes")
    if model_type == "anomaly":
        if "anomaly_score" in df:
            flagged = int(df["is_anomaly"].sum()) if "is_anomaly" in df else 0
            return histogram(df["anomaly_score"], f"Anomaly scores ({flagged:,} of {len(df):,} flagged)", threshold)
        if "anomalous_ids" in df:
            n = len(df)
            of = f" of {rows_in:,} rows" if rows_in else ""
            items = [
                (f"row {i}", 1.0, _summary(descriptions, "anomaly", i)) for i in df["anomalous_ids"].head(5).tolist()
            ]
            listing = "".join(f"<li><code>{_esc(a)}</code>: {_esc(c)}</li>" for a, _, c in items if c)
            more = " (first five)" if n > 5 else ""
            return (
                f'<div class="ji-chart"><b>{n:,} anomalous rows{of}</b>'
                + (f"{more}<ul>{listing}</ul>" if listing else "")
                + "</div>"
            )
    if model_type == "embedding" and {"dim_0", "dim_1"} <= set(df.columns):
        return scatter(df["dim_0"], df["dim_1"], "Embedding: dim_0 against dim_1")
    if model_type == "search" and "distance" in df:
        return histogram(df["distance"], "Distance to the match")
    if model_type == "factors" and "captured_variance" in df:
        rows = [
            (f"factor {f}", float(v), _summary(descriptions, "factor", f) or str(d))
            for f, v, d in zip(df["factor_id"], df["captured_variance"], df["factor_description"], strict=True)
        ]
        return bars(rows, "Captured variance per factor", "{:.1%}")
    return ""
