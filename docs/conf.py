"""Sphinx configuration: MyST Markdown pages, the Python API from docstrings (autodoc), and the magics, CLI and
HTTP references generated from the code at build time (_ext/generated_reference.py).

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` (scripts/test.sh does, warnings as errors).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # this checkout's jupyter_infer, not another installed copy

import jupyter_infer  # noqa: E402

project = "jupyter-infer"
release = version = jupyter_infer.__version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "generated_reference"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = "jupyter-infer"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False}
nitpicky = False
