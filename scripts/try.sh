#!/usr/bin/env bash
# Try sdtoken against a local real Screwdriver API: build the release binary,
# start the API (tests/sdapi) in its own state dir and ports, then walk through
# login, create, list, exchange, refresh, delete and logout, printing each
# command before it runs. Secrets are cut to a short prefix.
#
# Usage: bash scripts/try.sh
#
# sdtoken gets a throwaway config dir, file store and lock dir (SDTOKEN_CONFIG_DIR,
# XDG_DATA_HOME, XDG_RUNTIME_DIR and XDG_CACHE_HOME under a temporary dir), so the
# user's own config, files and keyring stay untouched. Everything started here
# is stopped on exit.
#
# The API uses state dir /tmp/sdtoken-try, port 18081 and PostgreSQL port 55433,
# so it can run beside scripts/test.sh (18080, 55432). Both share the fake GitHub
# on 127.0.0.1:80.
# NOTE: when scripts/test.sh started that fake GitHub and finishes first, it
# stops the fake, and the exchanges here fail from then on.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export SDAPI_STATE=/tmp/sdtoken-try SDAPI_PORT=18081 SDAPI_PG_PORT=55433

log() { echo "[try] $*" >&2; }

# Print a command line as typed, run it, and stop the walk-through if it fails.
run() {
    printf '+ %s\n' "$1"
    local rc=0
    eval "$1" || rc=$?
    if [ "$rc" != 0 ]; then
        log "error: exit code $rc from: $1"
        exit "$rc"
    fi
}

work_dir=""

# Stop the API stack and delete the throwaway sdtoken config, keeping the exit code.
cleanup() {
    local rc=$?
    trap - EXIT HUP INT TERM
    bash tests/sdapi/stop-sdapi.sh --purge || log "warning: stop-sdapi.sh failed; check $SDAPI_STATE"
    [ -n "$work_dir" ] && rm -rf "$work_dir"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. build sdtoken and start the API ----------------------------------------
run 'cargo build --release --locked'
export PATH="${CARGO_TARGET_DIR:-$ROOT/target}/release:$PATH"

# A run that was killed with SIGKILL leaves its stack and database behind.
[ -e "$SDAPI_STATE" ] && bash tests/sdapi/stop-sdapi.sh --purge
sdapi_env="$(bash tests/sdapi/start-sdapi.sh)"
set -a
. "$sdapi_env"
set +a

# --- 2. a throwaway sdtoken environment ----------------------------------------
work_dir="$(mktemp -d /tmp/sdtoken-try-home.XXXXXX)"
export SDTOKEN_CONFIG_DIR="$work_dir/config" XDG_DATA_HOME="$work_dir/data"
export XDG_RUNTIME_DIR="$work_dir/run" XDG_CACHE_HOME="$work_dir/cache"
# Credentials and settings from the caller's environment would take precedence
# over the stored token.
unset SD_API_TOKEN SD_TOKEN SD_API_URL SD_BUILD_ID SDTOKEN_CONTEXT SDTOKEN_STORE
echo
echo "$(sdtoken --version 2>/dev/null || echo 'sdtoken (version unknown)'); API $SDAPI_URL, user $SDAPI_USER"
echo "SDTOKEN_CONFIG_DIR=$SDTOKEN_CONFIG_DIR XDG_DATA_HOME=$XDG_DATA_HOME"
echo

# --- 3. the first API token, as a user creates it in the web UI -----------------
echo '# Create a first API token with the JWT of a web UI session:'
run 'TOKEN=$(printf "Authorization: Bearer %s\n" "$SDAPI_USER_JWT" |
    curl -sSf -X POST -H @- -H "content-type: application/json" \
    -d "{\"name\":\"laptop\",\"description\":\"created by scripts/try.sh\"}" "$SDAPI_URL/v4/tokens" |
    node -e "process.stdout.write(JSON.parse(require(\"fs\").readFileSync(0, \"utf8\")).value)")'
echo "  (TOKEN=${TOKEN:0:8}...)"

# --- 4. the main job --------------------------------------------------------------
run 'printf %s "$TOKEN" | sdtoken login --with-token --store file --api-url "$SDAPI_URL"'
run 'sdtoken status'
run 'sdtoken create ci-bot --description "demo" | cut -c1-8'
run 'sdtoken list'
run 'sdtoken exchange | cut -c1-20'
echo '# Use the JWT with curl; `-H @-` reads the header from stdin, so the JWT is on no command line:'
run 'sdtoken exchange | sed "s/^/Authorization: Bearer /" | curl -sSf -H @- "$SDAPI_URL/v4/tokens" | cut -c1-60'
run 'sdtoken refresh ci-bot --yes | cut -c1-8'
run 'sdtoken delete ci-bot --yes'
run 'sdtoken list'
run 'sdtoken logout'
echo
log "all steps passed"
