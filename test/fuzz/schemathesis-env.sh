#!/usr/bin/env bash
# Provisions a Python venv with schemathesis (PyPI) under .local/, once per machine; prints the
# path of its `schemathesis` executable. Used by test/fuzz/run.sh (`make fuzz`).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.local/schemathesis-venv
VERSION=${LEAKWATCH_SCHEMATHESIS_VERSION:-4.32.5}
if [ -x "$VENV/bin/schemathesis" ] && [ "$(cat "$VENV/.schemathesis-version" 2>/dev/null)" = "$VERSION" ]; then
  echo "$PWD/$VENV/bin/schemathesis"
  exit 0
fi
command -v python3 >/dev/null || { echo "python3 is required for the API fuzz test (apt-get install -y python3 python3-venv)" >&2; exit 1; }
mkdir -p .local
python3 -m venv "$VENV" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
echo "$VERSION" > "$VENV/.schemathesis-version"
echo "$PWD/$VENV/bin/schemathesis"
