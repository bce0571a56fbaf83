#!/usr/bin/env bash
# The whole test suite, installs included: the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

# --- system packages (headless Chromium for the lab extension UI tests) ---
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# --- python package and test dependencies ---
python -m pip install -q -e '.[test,dask]'

# --- lint and types ---
ruff check jupyter_infer tests bench
ruff format --check jupyter_infer tests bench
mypy jupyter_infer

# --- the Python suite (engine, client on both backends, magics, server, notebooks via nbval) ---
python -m pytest tests notebooks --nbval-lax -p no:cacheprovider
