#!/usr/bin/env bash
# The whole test suite, installs included: the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

# --- system packages: headless Chromium for the lab extension UI tests, Node.js for jlpm/jest/Playwright ---
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- python package and test dependencies ---
python -m pip install -q -e '.[test,dask,docs]'

# --- lint and types ---
ruff check jupyter_infer tests bench docs/conf.py docs/_ext notebooks/conftest.py notebooks/_build.py
ruff format --check jupyter_infer tests bench docs/conf.py docs/_ext notebooks/conftest.py notebooks/_build.py
mypy jupyter_infer

# --- docs (issue 14): MyST pages; the magics, CLI, settings and HTTP references generated from the code ---
# (warnings are errors; tests/test_docs.py runs every Python block of the README and the docs)
python -m sphinx -W --keep-going -q -b html docs docs/_build/html

# --- lab extension (issue 5) ---
# JupyterLab + jupyter-builder (jlpm), the npm packages from the committed yarn.lock (CI=true: immutable),
# then: the committed built assets equal a fresh production build, pip gave a working extension, jest, and
# the Playwright UI tests in Debian's chromium against a real jupyter lab (token + XSRF). See labextension/README.md.
python -m pip install -q 'jupyterlab>=4.6,<5' 'jupyter-builder>=1.2,<2'
(
  cd labextension
  jlpm install >jlpm-install.log 2>&1 || { tail -n 60 jlpm-install.log; exit 1; }
  jlpm check:assets
  jlpm check:types    # the committed src/generated/openapi.json is what the server generates (builds make the TS types from it)
  jupyter labextension list 2>&1 | grep -E 'jupyter-infer .*enabled.*OK'
  jlpm test
  jlpm test:ui
)

# --- the Python suite (engine, client on both backends, magics, server, notebooks via nbval) ---
# (the tutorials: outputs compared after the substitutions in notebooks/nbval-sanitize.cfg; notebooks/_build.py regenerates them)
python -m pytest tests notebooks --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval-sanitize.cfg -p no:cacheprovider
