#!/usr/bin/env bash
# Installs what the project needs on a fresh machine: system packages if missing (Java 17,
# Maven, PostgreSQL 15 server binaries, Chromium, Node.js), a virtualenv with the project, the
# Kafka jars, and the official AsyncAPI parser (from the npm registry, into deploy/asyncapi).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# the People Board's report is printed to PDF (and tested) with headless Chromium
command -v chromium >/dev/null || need+=(chromium)
# the official AsyncAPI parser checks docs/asyncapi (tests/unit/test_asyncapi.py); the portal's
# browser tests inject axe-core: both installed with npm
command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${need[@]}"
  else sudo apt-get update -qq && sudo apt-get install -y -qq "${need[@]}"; fi
fi

if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
.venv/bin/pip install -q --disable-pip-version-check -e ".[test]"
.venv/bin/python -c "from tools.kafka import ensure_jars, kafka_version; ensure_jars(); print('setup: Kafka', kafka_version(), 'jars ready')"
.venv/bin/python -c "from tools.oidc import ensure_jars, server_version; ensure_jars(); print('setup: OpenID Connect server (mock-oauth2-server)', server_version(), 'jars ready')"
# the portal's browser tests inject axe-core (accessibility) from the npm registry
if [ ! -f deploy/browser-tests/node_modules/axe-core/axe.min.js ]; then
  (cd deploy/browser-tests && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: axe-core $(node -p "require('./deploy/browser-tests/node_modules/axe-core/package.json').version") ready"
# the official AsyncAPI parser (npm ci from its lock file, when that is newer than what is installed)
if [ ! deploy/asyncapi/node_modules/.package-lock.json -nt deploy/asyncapi/package-lock.json ]; then
  npm ci --prefix deploy/asyncapi --ignore-scripts --no-audit --no-fund --loglevel=error
fi
echo "setup: AsyncAPI parser $(node -p 'require("./deploy/asyncapi/node_modules/@asyncapi/parser/package.json").version') ready"
