#!/usr/bin/env bash
# Run once by the postgres:15 image on an empty data volume (as its entrypoint's init script):
# one login per service, with the password compose gives it from .env, owning that service's
# database alone (each service migrates its own at start-up). No service logs in as postgres.
set -euo pipefail
for service in actions accountability notifications portal; do
  variable="${service^^}_DB_PASSWORD"
  password="${!variable:?${variable} is not set: run python -m tools.secrets}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
       -v name="$service" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
done
