#!/usr/bin/env bash
# The README's first command: set up, start the whole stack (real Kafka, PostgreSQL, the four
# services and the development identity server), run a short scripted governance cycle with time
# compressed (systems post through Kafka, people act through the portal, signed in as themselves),
# print where to see the notices, the Board's report and the portal with who to sign in as, and
# keep the stack running until Ctrl-C (--no-stay: stop at once).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup.sh
exec .venv/bin/python -m tools.scripted_cycle "$@"
