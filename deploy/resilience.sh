#!/usr/bin/env bash
# The resilience suite: breaks the real stack on purpose (kill -9 each service, stop the broker,
# stop the database, bad input, two instances with one killed, poison events, SMTP down past the
# retry window, the broker killed and the database down for a minute, a stalled clock) under a
# steady stream of events, and prints what held. Bounded: each scenario has a hard time-out; the table is also written
# to test-logs/resilience.txt. Not part of the default test run (.ci/run skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
bash deploy/setup.sh
export RESILIENCE=1
status=0
timeout --signal=INT --kill-after=30 1800 .venv/bin/python -m pytest tests/resilience -q -s -p no:cacheprovider "$@" \
  || status=$?
echo "deploy/resilience.sh: finished in $(( $(date +%s) - start ))s (exit $status)"
exit $status
