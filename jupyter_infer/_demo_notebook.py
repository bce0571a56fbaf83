"""``jupyter-infer demo --notebook NB``: run a tutorial notebook headless on the demo's store and save it as HTML,
so the main command ends with something to look at."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ._exceptions import InputError


def run_notebook(path: Path, out_dir: Path, home: Path | None = None) -> Path:
    """Execute ``path`` in a fresh ``python3`` kernel (on the store ``home``) and write ``out_dir/<stem>.html``."""
    if not path.is_file():
        raise InputError(f"No notebook {path}: --notebook takes an .ipynb file, e.g. notebooks/01-quickstart.ipynb.")
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from nbconvert import HTMLExporter
    except ImportError as e:
        raise InputError(f"--notebook needs {e.name}: pip install 'jupyter-infer[lab]'.") from None
    from jupyter_client.kernelspec import NoSuchKernel

    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    if home is not None:
        env["JUPYTER_INFER_HOME"] = str(home)
    client = NotebookClient(nb, kernel_name="python3", timeout=900, resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=env, stderr=subprocess.DEVNULL)  # the kernel's log lines are not the demo's output
    except NoSuchKernel:
        raise InputError("--notebook needs a python3 kernel: pip install 'jupyter-infer[lab]' (ipykernel).") from None
    except CellExecutionError as e:
        raise InputError(f"{path} stopped at an error: {e.ename}: {e.evalue}") from None
    out_dir.mkdir(parents=True, exist_ok=True)
    html, _ = HTMLExporter().from_notebook_node(nb)
    dest = (out_dir / f"{path.stem}.html").resolve()
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(dest)
    return dest
