#!/usr/bin/env bash
# `flask --app wsgi ...` with the services' settings (/etc/catalog/catalog.env), for
# upgrades and administration:
#
#   sudo -u catalog /srv/catalog/deploy/manage.sh db upgrade
#   sudo -u catalog DATABASE_URL=postgresql+psycopg:///catalog_restore_check?host=/var/run/postgresql \
#       /srv/catalog/deploy/manage.sh db upgrade
#
# A variable given on the command line wins over the file (the restore drill uses that).
set -euo pipefail
cd "$(dirname "$0")/.."

ENV_FILE=${CATALOG_ENV_FILE:-/etc/catalog/catalog.env}
if [ -r "$ENV_FILE" ]; then
    given=$(export -p)
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
    eval "$given"
fi
exec .venv/bin/flask --app wsgi "$@"
