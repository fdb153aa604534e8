#!/usr/bin/env bash
# Run the whole test suite on a fresh machine: installs the independent Parquet readers
# (pyarrow, DuckDB) and a local AWS (moto server, for the end-to-end Lambda test) into ./.venv,
# then runs every Rust test (unit and integration) once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check pyarrow duckdb "moto[server]"
export OCSF_PYTHON="$PWD/.venv/bin/python"
cargo test --locked --all-targets
