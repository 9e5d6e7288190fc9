#!/usr/bin/env bash
# Stop what start-sdapi.sh started for $SDAPI_STATE: the API and the fake GitHub
# by the PIDs recorded there, and the PostgreSQL cluster with pg_ctl, which uses
# the cluster's own postmaster.pid. A fake GitHub reused from another state dir
# has no PID file here and keeps running.
# --purge also deletes $SDAPI_STATE (keys, database, logs); the npm install is kept.
# Exits 1 when PostgreSQL could not be stopped, else 0.
#
# Usage: stop-sdapi.sh [--purge]
set -uo pipefail

SDAPI_STATE="${SDAPI_STATE:-/tmp/sdtoken-sdapi}"

log() { echo "[stop-sdapi] $*" >&2; }

case "$SDAPI_STATE" in
    /?*) ;;
    *) log "error: SDAPI_STATE must be an absolute path other than /, got '$SDAPI_STATE'"; exit 2 ;;
esac

# Stop the process recorded in $SDAPI_STATE/NAME.pid: TERM, wait up to 10 s, then KILL.
stop_pid() {
    local file="$SDAPI_STATE/$1.pid" pid
    [ -f "$file" ] || return 0
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            log "$1 ($pid) did not stop within 10 s of SIGTERM; sending SIGKILL"
            kill -9 "$pid"
        fi
        log "stopped $1 ($pid)"
    fi
    rm -f "$file"
}

rc=0
stop_pid api
# NOTE: an API started from another state dir may be using this fake GitHub.
# Its token exchanges and pipeline-token calls then fail until start-sdapi.sh
# runs again for that state dir, which starts a new fake.
stop_pid fake-github

if [ -f "$SDAPI_STATE/pg/data/postmaster.pid" ]; then
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
    AS_PG=()
    [ "$(id -u)" = 0 ] && AS_PG=(runuser -u postgres --)
    if "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$SDAPI_STATE/pg/data" -m fast -w stop >/dev/null; then
        log "stopped postgres"
    else
        log "error: pg_ctl stop failed for $SDAPI_STATE/pg/data (log: $SDAPI_STATE/pg/pg.log)"
        rc=1
    fi
fi

if [ "${1:-}" = --purge ] && [ -d "$SDAPI_STATE" ]; then
    rm -rf "$SDAPI_STATE" && log "removed $SDAPI_STATE"
fi
exit "$rc"
