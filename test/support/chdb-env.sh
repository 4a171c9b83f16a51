#!/usr/bin/env bash
# Provisions a Python venv with chdb-core (the current ClickHouse engine, in-process) under .local/,
# once per machine; prints the venv's python path. Used by the ClickHouse compatibility test.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.local/chdb-venv
VERSION=26.9.0
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import chdb" 2>/dev/null \
  && [ "$(cat "$VENV/.chdb-version" 2>/dev/null)" = "$VERSION" ]; then
  echo "$PWD/$VENV/bin/python"
  exit 0
fi
command -v python3 >/dev/null || { echo "python3 is required for the ClickHouse compatibility test (apt-get install -y python3 python3-venv)" >&2; exit 1; }
mkdir -p .local
python3 -m venv "$VENV" >&2
"$VENV/bin/pip" install --quiet --disable-pip-version-check "chdb-core==$VERSION" >&2
echo "$VERSION" > "$VENV/.chdb-version"
echo "$PWD/$VENV/bin/python"
