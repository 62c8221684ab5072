#!/usr/bin/env bash
# The production stack on this machine (make serve): gunicorn and the scheduler on
# PostgreSQL, rate limits in Redis, production settings (secure cookies, HSTS).
# Ctrl-C or SIGTERM stops both. See docs/deployment.md for a real server.
#
#   DATABASE_URL  default postgresql+psycopg://postgres@127.0.0.1:5432/catalog
#                 (the database is created when missing)
#   SECRET_KEY    default: generated once into instance/secret_key (mode 600)
#   BIND / PORT   default 127.0.0.1:8000
#   DEMO=1        load the demonstration catalogue (once; a second run changes nothing)
#   RATELIMIT_STORAGE_URI, TRUSTED_PROXIES, MAIL_*, WEB_CONCURRENCY, ... as in config.py
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
BIN="$VENV/bin"
FLASK=("$BIN/flask" --app wsgi)

export CATALOG_ENV=production
export DATABASE_URL=${DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/catalog}
export PORT=${PORT:-8000}
export BIND=${BIND:-127.0.0.1:$PORT}
export BASE_URL=${BASE_URL:-http://$BIND}
# Nothing in front of gunicorn here; behind nginx set TRUSTED_PROXIES=1.
export TRUSTED_PROXIES=${TRUSTED_PROXIES:-0}
# A trial run mails nobody: messages are written to instance/mail/*.eml unless
# MAIL_TRANSPORT=smtp (and MAIL_SERVER, ...) are set.
export MAIL_TRANSPORT=${MAIL_TRANSPORT:-file}
mkdir -p instance

# The secret: from the environment, else generated once and kept (never committed:
# instance/ is git-ignored).
if [ -z "${SECRET_KEY:-}" ]; then
    if [ ! -s instance/secret_key ]; then
        (umask 077 && "$BIN/python" -c 'import secrets; print(secrets.token_hex(32))' \
            > instance/secret_key)
        echo "Generated a new SECRET_KEY in instance/secret_key"
    fi
    chmod 600 instance/secret_key
    SECRET_KEY=$(cat instance/secret_key)
    export SECRET_KEY
fi

# Rate limits shared between workers in Redis when it answers, else per process.
if [ -z "${RATELIMIT_STORAGE_URI:-}" ]; then
    if "$BIN/python" -c 'import redis; redis.Redis(socket_timeout=1).ping()' 2>/dev/null; then
        export RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0
    else
        echo "Redis does not answer on 127.0.0.1:6379: rate limits are counted per process."
        export RATELIMIT_STORAGE_URI=memory://
    fi
fi

# Create the PostgreSQL database when it does not exist yet.
"$BIN/python" - <<'PY'
import os
import sys

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

url = make_url(os.environ["DATABASE_URL"])
if url.get_backend_name() == "postgresql":
    server = dict(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        connect_timeout=5,
    )
    try:
        with psycopg.connect(autocommit=True, **server) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (url.database,)
            ).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
                print(f"Created database {url.database}")
    except psycopg.OperationalError as error:
        sys.exit(f"PostgreSQL at {server['host']}:{server['port']} does not answer: {error}")
PY

"${FLASK[@]}" db upgrade
"${FLASK[@]}" countries sync
if [ "${DEMO:-0}" = "1" ]; then
    "${FLASK[@]}" demo load
fi

# Both processes side by side; when one stops (or on Ctrl-C / SIGTERM) stop the other.
pids=()
stop() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

"$BIN/gunicorn" -c deploy/gunicorn.conf.py &
pids+=($!)
"${FLASK[@]}" scheduler run &
pids+=($!)

echo "Serving on http://$BIND/ (production settings; the scheduler beside it; Ctrl-C stops both)"
echo "Production cookies are Secure: log in over HTTPS, or at http://localhost:${BIND##*:}/ (browsers accept Secure cookies there)."
status=0
wait -n || status=$?
echo "A process stopped (status $status); stopping the other." >&2
exit "$status"
