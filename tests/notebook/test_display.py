"""What the result displays and ``%infer_status`` tell a person: counts and shares of *this* result, axes with real
tick labels, numbers rounded for reading (full precision kept in the data), wide tables that scroll, relative times
with the full time on hover. Results come from real models in a real IPython shell (issue 14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from jupyter_infer.notebook import _charts
from jupyter_infer.notebook._status import JobCard, jobs_html, jobs_text, relative_time

from .conftest import run


class _Chart(HTMLParser):
    """The text of each cell of each ``ji-chart`` table and of each value-axis label, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.svg_text: list[str] = []
        self._cell: list[str] | None = None
        self._in_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "text" and ("class", "ji-x") in attrs:
            self._in_text = True
            self.svg_text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "text":
            self._in_text = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_text:
            self.svg_text[-1] += data


def chart(html: str, title: str) -> _Chart:
    """The chart whose title starts with ``title``."""
    m = re.search(r'<div class="ji-chart"><b>' + re.escape(title) + r".*?</div>(?=<div class=\"ji-chart\"|</div>)",
                  html, re.S)  # fmt: skip
    assert m, f"no chart {title!r} in the display"
    p = _Chart()
    p.feed(m.group(0))
    return p


@pytest.fixture
def classifier(ip):
    run(ip, "%%infer_train prediction pm --label species --param training_mode=fast\ndf")
    return ip


def test_predicted_classes_count_this_result_and_label_training_shares(classifier, penguins):
    """4/4/4 penguins showed as "44 % / 36 % / 20 % of rows" (the training shares) beside counts of 4."""
    classifier.user_ns["few"] = penguins.groupby("species").head(4)
    html = run(classifier, "%%infer pm\nfew")._repr_html_()
    rows = [r for r in chart(html, "Predicted classes").rows if r and r[0] in ("Adelie", "Gentoo", "Chinstrap")]
    assert len(rows) == 3
    for r in rows:
        assert r[2:4] == ["4", "33%"], r  # rows, share of this result
    header = chart(html, "Predicted classes").rows[0]
    assert "training" in " ".join(header[4:]).lower()
    assert not re.search(r"\d+% of rows", html), "a training share shown as if it were this result's"


def test_classes_absent_from_this_result_show_zero(classifier, penguins):
    classifier.user_ns["adelie"] = penguins[penguins.species == "Adelie"].head(5)
    html = run(classifier, "%%infer pm\nadelie")._repr_html_()
    got = {
        r[0]: r[2:4] for r in chart(html, "Predicted classes").rows if r and r[0] in ("Adelie", "Gentoo", "Chinstrap")
    }
    assert got["Adelie"] == ["5", "100%"]
    assert got["Gentoo"] == ["0", "0%"] and got["Chinstrap"] == ["0", "0%"]


def test_the_probability_axis_has_real_ticks(classifier, penguins):
    """All probabilities near 1 gave an axis reading "1 ... 1"."""
    classifier.user_ns["few"] = penguins.groupby("species").head(4)
    html = run(classifier, "%%infer pm\nfew")._repr_html_()
    ticks = [t for t in chart(html, "Probability of the predicted class").svg_text if re.fullmatch(r"[0-9.]+", t)]
    values = [float(t) for t in ticks]
    assert len(set(ticks)) == len(ticks) >= 3, ticks
    assert values == sorted(values) and values[0] == 0 and values[-1] == 1, ticks


@pytest.mark.parametrize(("lo", "hi"), [(0.59, 0.5901), (-3.0, 250.0), (1e6, 3e6), (5.0, 5.0)])
def test_histogram_ticks_are_distinct_and_cover_the_data(lo, hi):
    p = _Chart()
    p.feed(_charts.histogram(pd.Series([lo, hi, (lo + hi) / 2]), "x"))
    labels = [t for t in p.svg_text if re.fullmatch(r"[-0-9.,e+]+", t)]
    assert len(set(labels)) == len(labels) >= 2, labels
    values = [float(t.replace(",", "")) for t in labels]
    assert values[0] <= lo and values[-1] >= hi, (labels, lo, hi)


@pytest.mark.parametrize("rows", [3, 40_000, 1_000_000, 123_456_789])
def test_the_tallest_bins_count_is_shown_whole(rows):
    """The count of the tallest bin (left of the bars, anchored at its end) has room for every digit: a 1M-row
    result's "346,921" was cut to "6,921" (at 10 px a digit and a comma are under 6 px wide)."""
    import numpy as np

    svg = _charts.histogram(pd.Series(np.zeros(rows, dtype=np.float32)), "x", bins=20, span=(0.0, 1.0))
    label = re.search(r'<text x="([0-9.]+)" y="[0-9.]+" text-anchor="end"[^>]*>([0-9,]+)</text>', svg)
    assert label is not None and label.group(2) == f"{rows:,}", svg
    assert float(label.group(1)) >= 6 * len(label.group(2)), (label.group(1), label.group(2))


def test_numbers_are_rounded_in_the_table_and_kept_whole_in_the_data(classifier, penguins, tmp_path: Path):
    view = run(classifier, "%%infer pm\ndf")
    html = view._repr_html_()
    full = view.df["prediction_prob"].iloc[:20]
    long_digits = [v for v in full if len(repr(float(v))) > 8]
    assert long_digits, "the test needs probabilities with many digits"
    for v in long_digits:
        assert repr(float(v)) not in html
    assert f"{long_digits[0]:.4g}" in html
    run(classifier, f"%%infer pm --export {tmp_path / 'out.csv'}\ndf")
    exported = pd.read_csv(tmp_path / "out.csv")["prediction_prob"]
    assert (exported - view.df["prediction_prob"]).abs().max() < 1e-12


def test_wide_tables_scroll_instead_of_wrapping(ip):
    run(ip, "%%infer_train clustering km\ndf")
    html = run(ip, "%%infer km\ndf")._repr_html_()
    m = re.search(r'<div class="ji-table" style="([^"]*)"><table[^>]*style="([^"]*)"', html)
    assert m, html[:2000]
    assert "overflow-x:auto" in m.group(1) and "white-space:nowrap" in m.group(2)


NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "text"),
    [(timedelta(seconds=3), "just now"), (timedelta(seconds=42), "42 s ago"), (timedelta(minutes=2, seconds=5),
     "2 min ago"), (timedelta(hours=5), "5 h ago"), (timedelta(days=3), "3 days ago"),
     (timedelta(days=1), "1 day ago"), (timedelta(days=90), "2026-08-30")],
)  # fmt: skip
def test_relative_time(delta, text):
    assert relative_time((NOW - delta).isoformat(), NOW) == text


def test_relative_time_of_nothing_or_garbage_is_empty():
    assert relative_time(None, NOW) == "" and relative_time("yesterday", NOW) == ""


def _rec(**kw):
    rec = {"id": "job_ABCDEFGHIJ", "type": "infer_batch", "status": "succeeded", "progress": 100.0,
           "rows_done": 400, "rows_total": 400, "model_name": "a-rather-long-model-name",
           "input_filename": "customers-2026-11.csv", "owner": None,
           "created_at": (datetime.now(UTC) - timedelta(minutes=2, seconds=5)).isoformat(),
           "started_at": None, "finished_at": None}  # fmt: skip
    rec.update(kw)
    return rec


def test_infer_status_shows_relative_times_with_the_full_time_on_hover():
    rec = _rec()
    html = jobs_html([rec])
    full = datetime.fromisoformat(rec["created_at"]).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert re.search(r'<time datetime="[^"]+" title="' + re.escape(full) + r'">2 min ago</time>', html), html
    assert "2 min ago" in jobs_text([rec])


def test_infer_status_keeps_names_and_dates_on_one_line():
    html = jobs_html([_rec()])
    assert '<div class="ji-jobs" style="overflow-x:auto' in html
    cells = re.findall(r"<td( style=\"[^\"]*\")?>", html)
    nowrap = [c for c in cells if "white-space:nowrap" in c]
    assert len(nowrap) == len(cells) - 1, cells  # every cell but the detail text stays on one line


def test_one_job_in_detail_shows_its_times_relative_with_the_full_time_on_hover(ip, store_client):
    run(ip, "%%infer_train clustering km\ndf")
    html = JobCard(store_client.jobs.list(limit=1)[0])._repr_html_()
    for field in ("created_at", "started_at", "finished_at"):
        assert re.search(f'<td>{field}</td><td><time datetime="[^"]+" title="' + r'\d{4}-\d\d-\d\d [\d:]+ UTC">'
                         r"(just now|\d+ s ago)</time>", html), (field, html)  # fmt: skip
