#!/usr/bin/env bash
# Install what the local Screwdriver API needs: the Debian packages (only when a
# command is missing, and only as root) and the npm package screwdriver-api into
# $SDAPI_HOME. Does nothing when both are already there. Prints $SDAPI_HOME.
#
# Settings (environment):
#   SDAPI_VERSION  screwdriver-api version  (8.0.143)
#   SDAPI_HOME     npm install dir          (${XDG_CACHE_HOME:-$HOME/.cache}/sdapi/<version>)
set -euo pipefail

SDAPI_VERSION="${SDAPI_VERSION:-8.0.143}"
SDAPI_HOME="${SDAPI_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/sdapi/$SDAPI_VERSION}"

log() { echo "[install-sdapi] $*" >&2; }

# --- 1. Debian packages: node/npm, PostgreSQL server, openssl, curl ---------
# NodeSource's nodejs package ships npm and conflicts with Debian's npm, so the
# check looks for the commands, not for the packages.
missing=()
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || missing+=(postgresql)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
command -v openssl >/dev/null || missing+=(openssl)
command -v curl >/dev/null || missing+=(curl ca-certificates)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        log "missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})"
        exit 1
    fi
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
    log "warning: node $(node -v) is older than 20; screwdriver-api $SDAPI_VERSION declares node >=22 and was tested with 20 and 22"

# --- 2. screwdriver-api from npm, cached in SDAPI_HOME -----------------------
mkdir -p "$SDAPI_HOME"
# Two concurrent installs into one directory would corrupt it, so a second one waits here.
exec 9>"$SDAPI_HOME.lock"
flock 9

installed="$(node -p "require('$SDAPI_HOME/node_modules/screwdriver-api/package.json').version" 2>/dev/null || true)"
if [ "$installed" != "$SDAPI_VERSION" ]; then
    log "npm install screwdriver-api@$SDAPI_VERSION into $SDAPI_HOME (35-45 s on a 2-core machine with an empty npm cache; longer on slow networks)"
    # screwdriver-api 8.0.143 depends on @promster/hapi@^15, which some npm registry
    # mirrors lack. Version 14.0.0 supports node >=20, and the API runs with it.
    cat > "$SDAPI_HOME/package.json" <<EOF
{ "name": "sdapi-local", "private": true,
  "dependencies": { "screwdriver-api": "$SDAPI_VERSION" },
  "overrides": { "@promster/hapi": "14.0.0" } }
EOF
    # --ignore-scripts skips native builds: sqlite3's install script downloads
    # prebuilt binaries or compiles them, and the API here uses PostgreSQL.
    (cd "$SDAPI_HOME" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

echo "$SDAPI_HOME"
