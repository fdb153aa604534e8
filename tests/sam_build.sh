#!/usr/bin/env bash
# Build the Lambda as `sam build` does for a deployment (arm64, provided.al2023, cargo-lambda with
# zig from PyPI) and check the artifact: an aarch64 ELF executable with the shipped mappings
# compiled in. Takes about ten minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check aws-sam-cli cargo-lambda
if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
  if ! rustup target add aarch64-unknown-linux-gnu; then
    echo "error: the aarch64-unknown-linux-gnu standard library cannot be installed here;" >&2
    echo "       the function is built for arm64 (template.yaml) and nothing else is built instead." >&2
    exit 1
  fi
fi
# cargo-lambda finds zig through the first python3 on PATH: the venv's.
export PATH="$PWD/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0
sam build --region us-east-1
BOOTSTRAP=.aws-sam/build/TransformFunction/bootstrap
test -x "$BOOTSTRAP" || { echo "error: $BOOTSTRAP was not built" >&2; exit 1; }
python3 - "$BOOTSTRAP" <<'PY'
import sys
path = sys.argv[1]
with open(path, "rb") as f:
    head = f.read(20)
    data = head + f.read()
assert head[:4] == b"\x7fELF", f"{path} is not an ELF file"
machine = int.from_bytes(head[18:20], "little")
assert machine == 183, f"{path} is for ELF machine {machine}, not aarch64 (183)"
for name in ("windows-sysmon", "aws-network-firewall", "aws-alb"):
    marker = f'"source_name": "{name}"'.encode()
    assert marker in data, f"mapping {name} is not compiled into {path}"
print(f"{path}: aarch64 executable, {len(data)} bytes, shipped mappings inside")
PY
