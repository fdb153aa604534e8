#!/usr/bin/env bash
# Run the whole test suite on a fresh machine. Installs into ./.venv the independent Parquet
# readers (pyarrow, DuckDB), a local AWS (moto server, for the end-to-end Lambda test) and the
# template linters (cfn-lint, AWS SAM CLI); lints template.yaml; then runs every Rust test
# (unit and integration) once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check \
  pyarrow duckdb "moto[server]" cfn-lint aws-sam-cli
export OCSF_PYTHON="$PWD/.venv/bin/python"
export SAM_CLI_TELEMETRY=0
.venv/bin/cfn-lint template.yaml
.venv/bin/sam validate --lint --region us-east-1
cargo test --locked --all-targets
