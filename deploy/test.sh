#!/usr/bin/env bash
# The README's test command: set up, check lint (ruff) and types (mypy --strict), then run
# every tier of tests against a real Kafka broker and a real PostgreSQL server that the test
# fixtures start (or the ones named by KAFKA_BOOTSTRAP_SERVERS / POSTGRES_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash deploy/setup.sh
export GOVERNANCE_NO_DOCKER=${GOVERNANCE_NO_DOCKER:-}
# The gates: lint and types first (seconds), so a slip shows before the real-stack tiers run.
.venv/bin/ruff check shared services tools bench tests
.venv/bin/mypy
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
echo "deploy/test.sh: finished in $(( $(date +%s) - start ))s"
