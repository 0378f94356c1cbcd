#!/usr/bin/env bash
# One database and one owning user per Tandem service. The postgres image runs this once,
# when its data directory is empty (/docker-entrypoint-initdb.d); for a server of your own,
# run it the same way: POSTGRES_USER=postgres LEADS_DB_PASSWORD=... bash init-databases.sh
# Each service's password comes from <NAME>_DB_PASSWORD (LEADS_DB_PASSWORD, ...).
set -euo pipefail
databases=${TANDEM_DATABASES:-gateway leads sales service_desk forecast notify}
for name in $databases; do
  variable="${name^^}_DB_PASSWORD"
  password="${!variable:?set $variable}"
  # psql variables quote the name and the password: nothing here is pasted into SQL.
  psql -v ON_ERROR_STOP=1 -X -q --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    -v name="$name" -v password="$password" <<'SQL'
CREATE ROLE :"name" LOGIN PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
  echo "database $name: owned by user $name"
done
