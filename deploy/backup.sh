#!/usr/bin/env bash
# A custom-format dump (pg_dump -Fc) of the catalogue's database, kept for
# BACKUP_KEEP_DAYS days. Run daily by deploy/systemd/catalog-backup.timer; copy
# BACKUP_DIR off the machine as well (a dump beside the database it protects does
# not survive the loss of that disk). Restore drill: docs/deployment.md, "Backups".
#
#   DATABASE_URL      the app's URL (postgresql+psycopg://...), as in catalog.env
#   BACKUP_DIR        default /var/backups/catalog
#   BACKUP_KEEP_DAYS  default 14
set -euo pipefail

: "${DATABASE_URL:?DATABASE_URL is not set}"
BACKUP_DIR=${BACKUP_DIR:-/var/backups/catalog}
BACKUP_KEEP_DAYS=${BACKUP_KEEP_DAYS:-14}
# libpq does not know SQLAlchemy's driver suffix.
LIBPQ_URL=${DATABASE_URL/#postgresql+psycopg:/postgresql:}
case "$LIBPQ_URL" in
    postgresql:* | postgres:*) ;;
    *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL" >&2; exit 2 ;;
esac

umask 077
mkdir -p "$BACKUP_DIR"
target="$BACKUP_DIR/catalog-$(date -u +%Y%m%dT%H%M%SZ).dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --compress=6 --no-owner --file="$partial" --dbname="$LIBPQ_URL"
# A dump that cannot be listed cannot be restored: fail now, not on the day it is needed.
pg_restore --list "$partial" > /dev/null
mv "$partial" "$target"
echo "backup.sh: wrote $target ($(du -h "$target" | cut -f1))"

# Older dumps go, but never the newest three, whatever their age.
ls -1t "$BACKUP_DIR"/catalog-*.dump | tail -n +4 | while read -r old; do
    if [ -n "$(find "$old" -mtime "+$BACKUP_KEEP_DAYS")" ]; then
        rm -f -- "$old"
        echo "backup.sh: removed $old"
    fi
done
