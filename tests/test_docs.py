"""The README and the documentation, as a reader uses them: every ``python`` block runs as it is written, every
link inside the repository leads to a file of the repository.

Each block runs in a fresh Python process (``python -c``: as a notebook cell runs it), in a folder that holds the files the blocks name (``penguins.csv``,
``new.csv``, ``big.csv``, ``data/big/``) and on a store of its own. A block that connects to
``http://127.0.0.1:8888/jupyter-infer/api`` runs against a real Jupyter server on a free port of 127.0.0.1: the test
puts that server's address and token in place of the example's ``127.0.0.1:8888`` and ``<jupyter token>``, and
changes nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
EXAMPLE_SERVER, EXAMPLE_TOKEN = "http://127.0.0.1:8888", "<jupyter token>"


def fences(page: Path) -> Iterator[tuple[str, int, str]]:
    for tok in MarkdownIt("commonmark").parse(page.read_text(encoding="utf-8")):
        if tok.type == "fence" and tok.map is not None:
            yield tok.info.strip().split(" ")[0], tok.map[0] + 1, tok.content


BLOCKS = [
    pytest.param(source, id=f"{page.relative_to(ROOT)}:{line}")
    for page in PAGES
    for lang, line, source in fences(page)
    if lang == "python"
]
# Shell blocks run too, except those another test covers or that cannot run inside the test suite: installs (CI's
# own first step), the suite itself, the demo (tests/test_cli.py runs `demo --notebook` and a second `demo`), and
# regenerating the tutorials (what nbval checks).
SHELL_RUN_ELSEWHERE = ("pip install", "scripts/test.sh", "jupyter-infer demo", "notebooks/_build.py")
SHELL_BLOCKS = [
    pytest.param(source, id=f"{page.relative_to(ROOT)}:{line}")
    for page in PAGES
    for lang, line, source in fences(page)
    if lang == "bash" and not any(s in source for s in SHELL_RUN_ELSEWHERE)
]


@pytest.fixture(scope="module")
def data_files(tmp_path_factory: pytest.TempPathFactory, penguins: pd.DataFrame) -> Path:
    """The files the blocks name, made once: the penguins with and without their label, and a folder of Parquet."""
    d = tmp_path_factory.mktemp("doc-files")
    features = penguins.drop(columns="species")
    penguins.to_csv(d / "penguins.csv", index=False)
    features.sample(20, random_state=0).to_csv(d / "new.csv", index=False)
    features.loc[features.index.repeat(10)].to_csv(d / "big.csv", index=False)
    (d / "data" / "big").mkdir(parents=True)
    for i, part in enumerate((features.iloc[:172], features.iloc[172:])):
        part.to_parquet(d / "data" / "big" / f"part-{i}.parquet")
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    from tests._server import start_server

    api, token, stop = start_server(tmp_path_factory.mktemp("doc-server-store"), tmp_path_factory.mktemp("root"))
    try:
        yield api.removesuffix("/jupyter-infer/api"), token
    finally:
        stop()


def test_the_pages_have_python_blocks() -> None:
    """The collector finds the blocks (a parser change that found none would pass every test below vacuously)."""
    per_page = {page.name: sum(lang == "python" for lang, _, _ in fences(page)) for page in PAGES}
    assert per_page["README.md"] >= 1 and per_page["python-api.md"] >= 2 and per_page["http-api.md"] >= 2, per_page
    assert len(BLOCKS) >= 7 and len(SHELL_BLOCKS) >= 2


def run_in(work: Path, store: Path, cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JUPYTER_INFER_HOME": str(store), "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # this jupyter-infer
    env.pop("JUPYTER_INFER_DASK_SCHEDULER", None)
    return subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("source", BLOCKS)
def test_block_runs_as_written(source: str, data_files: Path, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    work = tmp_path / "work"
    shutil.copytree(data_files, work)
    if EXAMPLE_SERVER in source:
        base, token = request.getfixturevalue("server")
        assert EXAMPLE_TOKEN in source, "a block that names the example server also names its token"
        source = source.replace(EXAMPLE_SERVER, base).replace(EXAMPLE_TOKEN, token)
    # python -c, as a notebook cell or a REPL runs it: no main module file for Dask's worker processes to import
    r = run_in(work, tmp_path / "store", [sys.executable, "-c", source])
    assert r.returncode == 0, f"the block failed:\n{source}\n{r.stderr[-4000:]}"


@pytest.mark.parametrize("source", SHELL_BLOCKS)
def test_shell_block_runs_as_written(source: str, data_files: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(data_files, work)
    r = run_in(work, tmp_path / "store", ["bash", "-euo", "pipefail", "-c", source])
    assert r.returncode == 0, f"the block failed:\n{source}\n{r.stdout[-2000:]}\n{r.stderr[-4000:]}"
    assert "error:" not in r.stderr, r.stderr


LINK = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # a scheme: http:, https:, mailto:


def links(page: Path) -> Iterator[str]:
    def walk(tokens: list) -> Iterator[str]:  # type: ignore[type-arg]
        for tok in tokens:
            if tok.type in ("link_open", "image"):
                yield str(tok.attrs.get("href") or tok.attrs.get("src"))
            if tok.children:
                yield from walk(tok.children)

    yield from walk(MarkdownIt("commonmark").enable("table").parse(page.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_stay_in_the_repository_and_resolve(page: Path) -> None:
    """A relative link (or picture) names a file of this repository: no ../shared/..., no missing notebook."""
    for href in links(page):
        if LINK.match(href) or href.startswith("#"):
            continue
        target = (page.parent / href.split("#")[0]).resolve()
        assert target.is_relative_to(ROOT), f"{page.name} links outside the repository: {href}"
        assert target.exists(), f"{page.name} links to a missing file: {href}"
    assert "<!-- sections:" not in page.read_text(encoding="utf-8"), "a placeholder is left"
