#!/usr/bin/env bash
# Run the test suite: `cargo test --locked ARGS...` against a local real
# Screwdriver API (tests/sdapi), inside a private Secret Service
# (scripts/with-secret-service.sh) and a new kernel session keyring
# (`keyctl session -`), so the keyring tests touch no keyring of the user.
#
# Usage: bash scripts/test.sh [CARGO TEST ARGS...]
#   e.g. bash scripts/test.sh -- --nocapture      bash scripts/test.sh exchange
#
# The tests find the API through SDTOKEN_SDAPI_ENV, the path of the sdapi.env
# file that start-sdapi.sh writes. Everything started here (API, PostgreSQL, fake
# GitHub, D-Bus, gnome-keyring-daemon) is stopped on exit, and the API's state
# dir is deleted. Exits with cargo's exit code, or 1 when the set-up fails.
#
# Settings (environment):
#   SDTOKEN_TEST_SDAPI_STATE  the API's state dir, deleted on exit  (/tmp/sdtoken-sdapi)
#   SDAPI_PORT, SDAPI_PG_PORT  API and PostgreSQL ports on 127.0.0.1  (18080, 55432)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export SDAPI_STATE="${SDTOKEN_TEST_SDAPI_STATE:-/tmp/sdtoken-sdapi}"
export SDAPI_PORT="${SDAPI_PORT:-18080}"
export SDAPI_PG_PORT="${SDAPI_PG_PORT:-55432}"

log() { echo "[test] $*" >&2; }

tests_pid=""

# Stop the tests if they still run, then the API stack, and keep the exit code.
cleanup() {
    local rc=$?
    trap - EXIT HUP INT TERM
    if [ -n "$tests_pid" ] && kill -0 "$tests_pid" 2>/dev/null; then
        log "stopping the tests (process group $tests_pid)"
        kill -TERM -- "-$tests_pid" 2>/dev/null || true
        wait "$tests_pid" 2>/dev/null || true
    fi
    bash tests/sdapi/stop-sdapi.sh --purge || log "warning: stop-sdapi.sh failed; check $SDAPI_STATE"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. dependencies -----------------------------------------------------------
bash scripts/install-deps.sh
if ! command -v cargo >/dev/null; then
    log "error: cargo not found; install Rust with rustup (https://rustup.rs)"
    exit 1
fi

# --- 2. a fresh API stack -------------------------------------------------------
# A run that was killed with SIGKILL leaves its stack and database behind.
if [ -e "$SDAPI_STATE" ]; then
    log "removing the previous test API state in $SDAPI_STATE"
    bash tests/sdapi/stop-sdapi.sh --purge
fi
started=$SECONDS
SDTOKEN_SDAPI_ENV="$(bash tests/sdapi/start-sdapi.sh)"
export SDTOKEN_SDAPI_ENV
log "API ready in $((SECONDS - started)) s; SDTOKEN_SDAPI_ENV=$SDTOKEN_SDAPI_ENV"

# --- 3. the tests ---------------------------------------------------------------
# setsid puts the tests in their own process group, so cleanup() can stop all of
# them (cargo, test binaries, dbus-daemon, gnome-keyring-daemon) with one signal.
# Bash waits for a foreground command before it runs a trap, hence `&` and `wait`.
setsid -w keyctl session - bash scripts/with-secret-service.sh cargo test --locked "$@" &
tests_pid=$!
rc=0
wait "$tests_pid" || rc=$?
tests_pid=""
log "cargo test exited with $rc"
exit "$rc"
