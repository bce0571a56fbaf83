"""The tutorials under nbval (scripts/test.sh): each notebook's kernel gets a new empty store.

The notebooks themselves use the person's default store, so that JupyterLab's Inference panel shows what they
trained; CI keeps them isolated (and their outputs comparable) by pointing JUPYTER_INFER_HOME at a temporary
folder of its own before nbval starts each notebook's kernel, as ``_build.py`` does when it regenerates them.
"""

from __future__ import annotations

import os
import tempfile

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the first cell of a notebook: nbval starts the kernel when it sets up the notebook, after this."""
    notebook = item.parent
    if item.path.suffix == ".ipynb" and notebook is not None and not hasattr(notebook, "_ji_home"):
        notebook._ji_home = tempfile.mkdtemp(prefix=f"ji-nbval-{item.path.stem}-")  # type: ignore[attr-defined]
        os.environ["JUPYTER_INFER_HOME"] = notebook._ji_home  # type: ignore[attr-defined]
