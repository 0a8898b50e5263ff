#!/usr/bin/env bash
# The README's first command: set up, start the whole stack (real Kafka, PostgreSQL and the
# three services), run a short scripted governance cycle with time compressed, and print
# where to see the notices and the Board's report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
exec .venv/bin/python -m tools.scripted_cycle "$@"
