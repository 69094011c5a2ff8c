#!/bin/sh
# {{name}} ({{phase}}), created by datamig generate.
# Run as "<file> up" (or "down" on rollback) from the directory datamig started in, with
# DATABASE_URL, DATAMIG_VERSION, DATAMIG_NAME, DATAMIG_PHASE, DATAMIG_DIRECTION and
# DATAMIG_OPERATOR set. Exit 0 on success; anything else fails the migration, which is then
# retried by the next `datamig migrate`, so make the work safe to repeat.
set -eu

case "${1:-}" in
  up)
    echo "enqueue follow-up work here, e.g. bin/rails runner 'ReindexJob.perform_later'"
    ;;
  down)
    echo "{{name}} cannot be undone" >&2
    exit 1
    ;;
  *)
    echo "usage: $0 up|down" >&2
    exit 2
    ;;
esac
