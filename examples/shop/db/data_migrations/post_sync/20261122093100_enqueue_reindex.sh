#!/bin/sh
# After the new version is live (PostSync), ask its workers to reindex every manager.
# A real project would call its framework here (bin/rails runner, manage.py, ...).
set -eu
database=${DATABASE_URL#sqlite:}

case "$1" in
  up)
    sqlite3 "$database" "INSERT INTO jobs (kind, user_id) SELECT 'reindex', id FROM users WHERE role = 'manager';"
    echo "enqueued $(sqlite3 "$database" "SELECT count(*) FROM jobs WHERE kind = 'reindex';") reindex jobs"
    ;;
  down)
    sqlite3 "$database" "DELETE FROM jobs WHERE kind = 'reindex';"
    ;;
esac
