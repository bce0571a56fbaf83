"""Small pictures as plain HTML and inline SVG (no matplotlib), so static renderers show them too.

Every picture sits in ``<div class="ji-chart">``. Counts and shares are those of the result shown; what comes from
the training data (a class's share of the training rows, what sets it apart) is labelled as such. Text takes the
notebook's own colour (``currentColor``), so light and dark themes both read.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np
import pandas as pd

BLUE, RED = "#4c78a8", "#e45756"
MUTED = "opacity:0.7"
MAX_GROUPS = 15  # classes or clusters listed; the rest are summed in one line
TEXT = 'font-size="10" fill="currentColor" fill-opacity="0.75"'


def _esc(v: Any) -> str:
    return html.escape(str(v))


def _pct(share: float) -> str:
    return f"{share:.0%}" if share == 0 or share >= 0.01 else "<1%"


# ---- axes -------------------------------------------------------------------------------------------------------
def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (1, 2, 2.5 or 5 times a power of ten apart) from at or below ``lo`` to at or
    above ``hi``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    if hi <= lo:
        pad = abs(lo) * 0.05 or 0.5
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * (1 - 1e-9))
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [_clean(i * step) for i in range(first, last + 1)]


def _clean(x: float) -> float:
    return float(f"{x:.12g}")


def tick_labels(ticks: list[float]) -> list[str]:
    """Tick values with the decimals their step needs (0.00, 0.25, 0.50 or 1,000,000, 2,000,000); axes of very
    small or very large values in short scientific notation (0, 5e-08, 1e-07)."""
    scale = max((abs(t) for t in ticks), default=0.0)
    if scale >= 1e7 or 0 < scale < 1e-3:
        return [f"{t:.3g}" for t in ticks]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = 0
    while decimals < 10 and abs(round(step, decimals) - step) > step * 1e-6:
        decimals += 1
    return [f"{t:,.{decimals}f}" for t in ticks]


def _axis(ticks: list[float], x0: float, x1: float, y: float) -> tuple[str, float, float]:
    """Tick marks and labels along the bottom from x0 to x1; returns the SVG and the axis range."""
    lo, hi = ticks[0], ticks[-1]
    out = [f'<line x1="{x0}" x2="{x1}" y1="{y}" y2="{y}" stroke="currentColor" stroke-opacity="0.4"/>']
    for t, label in zip(ticks, tick_labels(ticks), strict=True):
        x = x0 + (x1 - x0) * (t - lo) / (hi - lo)
        anchor = "start" if t == lo else "end" if t == hi else "middle"
        out.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 3}" stroke="currentColor" stroke-opacity="0.4"/>'
            f'<text class="ji-x" x="{x:.1f}" y="{y + 13}" text-anchor="{anchor}" {TEXT}>{_esc(label)}</text>'
        )
    return "".join(out), lo, hi


# ---- pictures ---------------------------------------------------------------------------------------------------
def bars(
    rows: list[tuple[str, float, str]],
    title: str,
    value_fmt: str = "{:,.0f}",
    header: tuple[str, ...] = (),
    total: float | None = None,
    training: list[str] | None = None,
) -> str:
    """Horizontal bars: (label, value, note) rows; the longest bar spans the column. With ``total``, each value's
    share of it follows the value; ``training`` adds a column of training shares; ``header`` names the columns."""
    if not rows:
        return ""
    top = max(v for _, v, _ in rows) or 1.0
    td = '<td style="text-align:right;padding:0 6px">'
    body = []
    for i, (label, v, note) in enumerate(rows):
        cells = [
            f'<td style="text-align:right;padding-right:6px">{_esc(label)}</td>',
            f'<td style="width:160px"><div style="background:{BLUE};height:12px;width:{100.0 * v / top:.1f}%"></div></td>',
            f"{td}{value_fmt.format(v)}</td>",
        ]
        if total is not None:
            cells.append(f"{td}{_pct(v / total) if total else ''}</td>")
        if training is not None:
            cells.append(f'<td style="text-align:right;padding:0 6px;{MUTED}">{_esc(training[i])}</td>')
        cells.append(f'<td style="text-align:left;white-space:normal;min-width:14em;{MUTED}">{_esc(note)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    head = ""
    if header:
        th = '<th style="text-align:{};{};font-weight:normal;padding:0 6px">{}</th>'
        last = len(header) - 1
        head = "<tr>" + "".join(
            th.format("left" if i == last else "right", MUTED, _esc(h)) for i, h in enumerate(header)
        )
        head += "</tr>"
    return (
        f'<div class="ji-chart"><b>{_esc(title)}</b><table style="border:none;white-space:nowrap">'
        f"{head}{''.join(body)}</table></div>"
    )


def histogram(
    values: Any,
    title: str,
    threshold: float | None = None,
    bins: int = 30,
    span: tuple[float, float] | None = None,
) -> str:
    """An inline-SVG histogram with a labelled value axis over ``span`` (default: the data's range, widened to round
    ticks), the tallest bin's row count on the left, and an optional threshold as a red line."""
    v = pd.to_numeric(pd.Series(values), errors="coerce").dropna().to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return ""
    lo, hi = span or (float(v.min()), float(v.max()))
    if threshold is not None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]
    counts, _edges = np.histogram(v, bins=bins, range=(lo, hi))
    peak = int(counts.max()) or 1
    # the tallest bin's count, right-aligned left of the bars, whole: 6 px a character at 10 px covers digits and commas
    w, h, left, top, bottom = 330, 104, max(34, 6 * len(f"{peak:,}") + 4), 6, 78
    bw = (w - left - 4) / bins
    rects = "".join(
        f'<rect x="{left + i * bw:.1f}" y="{bottom - (bottom - top) * c / peak:.1f}" width="{max(bw - 1, 1):.1f}" '
        f'height="{(bottom - top) * c / peak:.1f}" fill="{BLUE}"/>'
        for i, c in enumerate(counts)
    )
    axis, lo, hi = _axis(ticks, left, w - 4, bottom)
    y_axis = (
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {TEXT}>{peak:,}</text>'
        f'<text x="{left - 4}" y="{bottom}" text-anchor="end" {TEXT}>0</text>'
    )
    line = ""
    if threshold is not None:
        x = left + (w - 4 - left) * (threshold - lo) / (hi - lo)
        line = (
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" stroke="{RED}" stroke-width="2"/>'
            f'<text x="{min(x + 3, w - 90):.1f}" y="{top + 8}" font-size="10" fill="{RED}">threshold '
            f"{threshold:.3g}</text>"
        )
    svg = (
        f'<svg width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}">'
        f"{rects}{axis}{y_axis}{line}</svg>"
    )
    return f'<div class="ji-chart"><b>{_esc(title)}</b><br>{svg}</div>'


def scatter(x: Any, y: Any, title: str, names: tuple[str, str] = ("x", "y"), max_points: int = 1500) -> str:
    """An inline-SVG scatter of two columns with labelled axes (a deterministic sample when there are many rows)."""
    xs = pd.to_numeric(pd.Series(x), errors="coerce").to_numpy(dtype=float)
    ys = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if xs.size == 0:
        return ""
    if xs.size > max_points:
        idx = np.linspace(0, xs.size - 1, max_points).astype(int)
        xs, ys = xs[idx], ys[idx]
    xt, yt = nice_ticks(float(xs.min()), float(xs.max()), 4), nice_ticks(float(ys.min()), float(ys.max()), 4)
    w, h, left, top, bottom, right = 250, 236, 40, 6, 204, 246
    px = left + (xs - xt[0]) / (xt[-1] - xt[0]) * (right - left)
    py = bottom - (ys - yt[0]) / (yt[-1] - yt[0]) * (bottom - top)
    dots = "".join(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="1.8"/>' for a, b in zip(px, py, strict=True))
    x_axis, _, _ = _axis(xt, left, right, bottom)
    y_axis = f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="currentColor" stroke-opacity="0.4"/>'
    for t, label in zip(yt, tick_labels(yt), strict=True):
        yy = bottom - (t - yt[0]) / (yt[-1] - yt[0]) * (bottom - top)
        y_axis += (
            f'<line x1="{left - 3}" x2="{left}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="currentColor" stroke-opacity="0.4"/>'
            f'<text x="{left - 5}" y="{yy + 3:.1f}" text-anchor="end" {TEXT}>{_esc(label)}</text>'
        )
    svg = (
        f'<svg width="{w}" height="{h}" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}">'
        f'<g fill="{BLUE}" fill-opacity="0.5">{dots}</g>{x_axis}{y_axis}'
        f'<text x="{right}" y="{h - 2}" text-anchor="end" {TEXT}>{_esc(names[0])}</text>'
        f'<text x="{left + 4}" y="{top + 8}" {TEXT}>{_esc(names[1])}</text></svg>'
    )
    return f'<div class="ji-chart"><b>{_esc(title)}</b><br>{svg}</div>'


# ---- per model type -----------------------------------------------------------------------------------------------
_TRAINING_SHARE = re.compile(r"^\s*(\d+(?:\.\d+)?%) of rows(?:;\s*(.*))?$", re.S)


def _described(descriptions: dict[str, Any], kind: str) -> dict[str, str]:
    """The summaries of one kind of description, by key."""
    items = descriptions.get(f"{kind}_descriptions") or {}
    return {str(k): str((d or {}).get("summary") or "") for k, d in items.items()}


def _split_training(summary: str) -> tuple[str, str]:
    """A group's training summary as (its share of the training rows, what sets it apart)."""
    m = _TRAINING_SHARE.match(summary)
    return (m.group(1), m.group(2) or "") if m else ("", summary)


def _groups(counts: pd.Series, summaries: dict[str, str], name: str, by_label: bool, noun: str) -> str:
    """Bars of this result's counts per class or cluster; groups known from training but absent here show 0."""
    n = int(counts.sum())
    got = {str(k): int(v) for k, v in counts.items()}
    keys = list(got) + [k for k in summaries if k not in got]
    if by_label:
        keys.sort(key=lambda k: (0, int(k), "") if k.lstrip("-").isdigit() else (1, 0, k))
    shown, rest = keys[:MAX_GROUPS], keys[MAX_GROUPS:]
    rows, training = [], []
    for k in shown:
        share, apart = _split_training(summaries.get(k, ""))
        rows.append((f"{noun} {k}" if noun else k, float(got.get(k, 0)), apart))
        training.append(share)
    if rest:
        rows.append((f"{len(rest)} more", float(sum(got.get(k, 0) for k in rest)), ""))
        training.append("")
    title = f"{name} ({n:,} rows)"
    if not any(training) and not any(r[2] for r in rows):
        return bars(rows, title, header=("", "", "rows", "share"), total=n)
    header = ("", "", "rows", "share", "share in training", "what set it apart in training")
    return bars(rows, title, header=header, total=n, training=training)


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
            return _groups(counts, _described(descriptions, "prediction"), "Predicted classes", False, "") + histogram(
                df["prediction_prob"], "Probability of the predicted class", bins=20, span=(0.0, 1.0)
            )
        return histogram(df["prediction"], "Predicted values")
    if model_type == "clustering" and "cluster_label" in df:
        counts = df["cluster_label"].value_counts()
        return _groups(counts, _described(descriptions, "cluster"), "Cluster sizes", True, "cluster")
    if model_type == "anomaly":
        if "anomaly_score" in df:
            flagged = int(df["is_anomaly"].sum()) if "is_anomaly" in df else 0
            return histogram(df["anomaly_score"], f"Anomaly scores ({flagged:,} of {len(df):,} flagged)", threshold)
        if "anomalous_ids" in df:
            n = len(df)
            of = f" of {rows_in:,} rows" if rows_in else ""
            summaries = _described(descriptions, "anomaly")
            items = [(i, summaries.get(str(i), "")) for i in df["anomalous_ids"].head(5).tolist()]
            listing = "".join(f"<li><code>row {_esc(a)}</code>: {_esc(c)}</li>" for a, c in items if c)
            more = " (first five)" if n > 5 else ""
            return (
                f'<div class="ji-chart"><b>{n:,} anomalous rows{of}</b>'
                + (f"{more}<ul>{listing}</ul>" if listing else "")
                + "</div>"
            )
    if model_type == "embedding" and {"dim_0", "dim_1"} <= set(df.columns):
        return scatter(df["dim_0"], df["dim_1"], "Embedding: dim_0 against dim_1", ("dim_0", "dim_1"))
    if model_type == "search" and "distance" in df:
        return histogram(df["distance"], "Distance to the match")
    if model_type == "factors" and "captured_variance" in df:
        summaries = _described(descriptions, "factor")
        rows = [
            (f"factor {f}", float(v), summaries.get(str(f)) or str(d))
            for f, v, d in zip(df["factor_id"], df["captured_variance"], df["factor_description"], strict=True)
        ]
        header = ("", "", "variance captured", "largest loadings (training)")
        return bars(rows, "Variance of this data captured per factor", "{:.1%}", header=header)
    return ""
