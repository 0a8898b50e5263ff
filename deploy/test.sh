#!/usr/bin/env bash
# The README's test command: set up, then run every tier of tests against a real Kafka
# broker and a real PostgreSQL server that the test fixtures start (or the ones named by
# KAFKA_BOOTSTRAP_SERVERS / POSTGRES_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash deploy/setup.sh
export GOVERNANCE_NO_DOCKER=${GOVERNANCE_NO_DOCKER:-}
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
echo "deploy/test.sh: finished in $(( $(date +%s) - start ))s"
