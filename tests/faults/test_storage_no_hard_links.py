"""Exports on a filesystem without hard links (FAT on a USB stick, some network shares): a result is placed by
linking its temporary file to a free name, which such a filesystem refuses with EPERM. The export still lands under
the name asked for (or the next free one), never replaces a file, and leaves no temporary behind. The refusal is
injected at ``os.link``: this machine mounts no such filesystem."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_infer.jobs import _confine


@pytest.fixture
def no_hard_links(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``os.link`` fails as it does on FAT; the list collects the refused calls (so a test knows they happened)."""
    refused: list[str] = []

    def link(src: Any, dst: Any, *a: Any, **kw: Any) -> None:
        refused.append(str(dst))
        raise PermissionError(errno.EPERM, "Operation not permitted", str(dst))

    monkeypatch.setattr(os, "link", link)
    return refused


def writer(text: str) -> Callable[[str], None]:
    def write(path: str) -> None:
        with open(path, "w") as f:
            f.write(text)

    return write


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".export-" in p.name)


@pytest.mark.parametrize("confined", [True, False], ids=["under a server root", "no root (the notebook)"])
def test_an_export_without_hard_links_lands_and_replaces_nothing(
    tmp_path: Path, no_hard_links: list[str], confined: bool
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    dest = out / "scores.csv"

    def export(text: str) -> Path:
        if confined:
            return _confine.confined_write(dest, tmp_path, writer(text))
        return _confine.new_file(dest, writer(text))

    first = export("first")
    assert first == dest and dest.read_text() == "first"
    second = export("second")  # the name is taken: the next free one, the first file kept
    assert second == out / "scores-1.csv" and second.read_text() == "second"
    assert dest.read_text() == "first"
    assert no_hard_links, "the refusal was not exercised"
    assert leftovers(out) == []
