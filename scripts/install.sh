#!/usr/bin/env bash
# Create .venv and install syncservice with its test tools. Idempotent and quiet: pip's
# own output goes to .venv/install.log, shown only when the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
log=.venv/install.log
if ! { .venv/bin/python -m pip install --quiet --upgrade pip &&
       .venv/bin/python -m pip install --quiet -e '.[test]'; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "install failed; the whole log is in $log" >&2
  exit 1
fi
