#!/usr/bin/env bash
# Quick start: set everything up on a fresh machine (Python 3.11 + pip) and run the
# service on the embedded defaults, with the example workbooks in watched/.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/install.sh
mkdir -p watched
.venv/bin/python examples/build.py watched >/dev/null
echo "Eksempler lagt i watched/. Samlet oversigt: output/Samlet oversigt.xlsx"
exec .venv/bin/syncservice run "$@"
