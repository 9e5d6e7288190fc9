#!/usr/bin/env bash
# Start the real Screwdriver API (npm package screwdriver-api) on loopback for
# integration tests: a throwaway PostgreSQL cluster, a small fake GitHub and the
# API, all on 127.0.0.1. Seeds two users and one pipeline, writes
# $SDAPI_STATE/sdapi.env (API URL, user JWTs, pipeline id, database settings)
# and prints that file's path on stdout. Stop everything with stop-sdapi.sh.
#
# Settings (environment):
#   SDAPI_VERSION  screwdriver-api version                    (8.0.143)
#   SDAPI_HOME     npm install dir, reused if present         (${XDG_CACHE_HOME:-$HOME/.cache}/sdapi/<version>)
#   SDAPI_STATE    runtime dir: keys, config, db, logs, pids  (/tmp/sdtoken-sdapi)
#   SDAPI_PORT     API port        (18080)     SDAPI_PG_PORT  PostgreSQL port (55432)
#   SDAPI_USER     seeded user     (sdlab-user, GitHub id 1001 in the fake)
#   SDAPI_ADMINS   auth.sdAdmins as JSON, e.g. '["github:sdlab-user:1001"]'  ([])
#
# The fake GitHub must listen on 127.0.0.1:80, which needs root: the API splits a
# pipeline's scmUri "host:repoId:branch" on ':', so the SCM host cannot carry a
# port. Several state dirs share one fake GitHub: when one already responds on
# port 80, it is reused, and only the state dir that started it stops it.
set -euo pipefail
umask 077                               # keys, passwords, config and JWTs stay private

LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SDAPI_VERSION="${SDAPI_VERSION:-8.0.143}"
SDAPI_HOME="${SDAPI_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/sdapi/$SDAPI_VERSION}"
SDAPI_STATE="${SDAPI_STATE:-/tmp/sdtoken-sdapi}"
SDAPI_PORT="${SDAPI_PORT:-18080}"
SDAPI_PG_PORT="${SDAPI_PG_PORT:-55432}"
SDAPI_USER="${SDAPI_USER:-sdlab-user}"
READONLY_USER=sdlab-readonly            # seeded without admin rights on the repo
SDAPI_ADMINS="${SDAPI_ADMINS:-[]}"
SCM_HOST=127.0.0.1                      # fake GitHub Enterprise host (port 80)
SCM_CONTEXT="github:$SCM_HOST"          # scm context the API derives from gheHost
REPO_ID=123456 REPO_NAME=sdlab/demo     # the one repo the fake serves
URL="http://127.0.0.1:$SDAPI_PORT"
export SDAPI_VERSION SDAPI_HOME SDAPI_STATE

log() { echo "[start-sdapi] $*" >&2; }
die() { log "error: $*"; exit 1; }
alive() { [ -f "$SDAPI_STATE/$1.pid" ] && kill -0 "$(cat "$SDAPI_STATE/$1.pid")" 2>/dev/null; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# sdapi.env is read by `.` and by the Rust tests, which both take values unquoted.
for value in "$LAB" "$SDAPI_HOME" "$SDAPI_STATE"; do
    case "$value" in
        *[[:space:]]*) die "path '$value' contains whitespace, which sdapi.env cannot carry unquoted" ;;
    esac
done
case "$SDAPI_STATE" in
    /?*) ;;
    *) die "SDAPI_STATE must be an absolute path other than /, got '$SDAPI_STATE'" ;;
esac

# Start the fake GitHub on 127.0.0.1:80 unless one already responds there, and
# set FAKE_GITHUB_LOG to the file its requests are logged in ("" when unknown).
ensure_fake_github() {
    local info

    if alive fake-github; then
        FAKE_GITHUB_LOG="$SDAPI_STATE/fake-github.log"
        return
    fi
    if port_open 80; then
        # Identify a fake GitHub by its info route, or by the seeded repo for a
        # fake that predates that route. Anything else holding port 80 is an error.
        if info="$(curl -sf --max-time 5 http://127.0.0.1/_fake-github)"; then
            FAKE_GITHUB_LOG="$(node -e 'const i = JSON.parse(process.argv[1]);
                if (i.repos[process.argv[2]] !== process.argv[3]) process.exit(1);
                console.log(i.log || "")' "$info" "$REPO_ID" "$REPO_NAME")" ||
                die "the fake GitHub on 127.0.0.1:80 does not serve repo $REPO_ID=$REPO_NAME: $info"
        elif curl -sf --max-time 5 "http://127.0.0.1/api/v3/repositories/$REPO_ID" | grep -q "\"full_name\":\"$REPO_NAME\""; then
            FAKE_GITHUB_LOG=""
        else
            die "port 80 on 127.0.0.1 is in use by something other than a fake GitHub; stop it first"
        fi
        log "reusing the fake GitHub already on 127.0.0.1:80 (log: ${FAKE_GITHUB_LOG:-unknown})"
        return
    fi

    FAKE_GITHUB_LOG="$SDAPI_STATE/fake-github.log"
    FAKE_GH_PORT=80 FAKE_GH_REPOS="$REPO_ID=$REPO_NAME" FAKE_GH_LOG="$FAKE_GITHUB_LOG" \
        nohup node "$LAB/fake-github.js" >>"$FAKE_GITHUB_LOG" 2>&1 &
    echo $! >"$SDAPI_STATE/fake-github.pid"
    for _ in $(seq 100); do
        curl -sf --max-time 2 http://127.0.0.1/_fake-github >/dev/null && return
        alive fake-github || break
        sleep 0.1
    done
    tail -n 20 "$FAKE_GITHUB_LOG" >&2
    die "the fake GitHub did not start on 127.0.0.1:80 (it needs root)"
}

# Seed the users and the pipeline (idempotent), mint fresh JWTs and write
# $SDAPI_STATE/sdapi.env. Runs on every call, so a second call renews the JWTs.
seed_and_write_env() {
    . "$SDAPI_STATE/passwords"
    export SDAPI_ENCRYPTION_PASSWORD="$ENCRYPTION_PASSWORD" SDAPI_SCM_CONTEXT="$SCM_CONTEXT" SDAPI_SCM_HOST="$SCM_HOST"
    export PGHOST=127.0.0.1 PGPORT="$SDAPI_PG_PORT" PGUSER=sd PGDATABASE=screwdriver
    local user_id pipeline_id user_jwt readonly_jwt
    user_id="$(node "$LAB/seed.js" user "$SDAPI_USER")"
    node "$LAB/seed.js" user "$READONLY_USER" readonly-scm-token >/dev/null
    pipeline_id="$(node "$LAB/seed.js" pipeline "$REPO_ID" "$REPO_NAME" "$SDAPI_USER")"
    user_jwt="$(node "$LAB/mint-jwt.js" user "$SDAPI_USER" --key "$SDAPI_STATE/jwt.pem")"
    readonly_jwt="$(node "$LAB/mint-jwt.js" user "$READONLY_USER" --key "$SDAPI_STATE/jwt.pem")"

    cat > "$SDAPI_STATE/sdapi.env.tmp" <<ENVFILE
# One KEY=value per line, unquoted; lines starting with # are comments.
SDAPI_URL=$URL
SDAPI_USER=$SDAPI_USER
SDAPI_USER_ID=$user_id
SDAPI_PIPELINE_ID=$pipeline_id
SDAPI_SCM_CONTEXT=$SCM_CONTEXT
SDAPI_USER_JWT=$user_jwt
SDAPI_READONLY_USER=$READONLY_USER
SDAPI_READONLY_JWT=$readonly_jwt
SDAPI_LAB=$LAB
SDAPI_HOME=$SDAPI_HOME
SDAPI_STATE=$SDAPI_STATE
SDAPI_FAKE_GITHUB_LOG=$FAKE_GITHUB_LOG
SDAPI_ENCRYPTION_PASSWORD=$ENCRYPTION_PASSWORD
PGHOST=127.0.0.1
PGPORT=$SDAPI_PG_PORT
PGUSER=sd
PGDATABASE=screwdriver
# The JWTs above last 120 minutes; run start-sdapi.sh again for fresh ones.
# More JWTs (after: set -a; . $SDAPI_STATE/sdapi.env; set +a):
#   node $LAB/mint-jwt.js user $SDAPI_USER [--admin] [--minutes N]
#   node $LAB/mint-jwt.js build 1 --pipeline-id $pipeline_id --job-id 1 --event-id 1  (--minutes -10: expired)
# A server-issued build JWT (what \$SD_TOKEN is): BID=\$(node $LAB/seed.js build 1 1)
#   T=\$(node $LAB/mint-jwt.js temporal \$BID --pipeline-id $pipeline_id --job-id 1 --event-id 1)
#   curl -X POST -H "Authorization: Bearer \$T" -H 'content-type: application/json' \\
#        -d '{"buildTimeout":90}' $URL/v4/builds/\$BID/token
# $READONLY_USER has no admin rights on the seeded repo, so its pipeline-token calls get 403.
# More users: node $LAB/seed.js user NAME [readonly-scm-token]  (readonly means no repo admin)
ENVFILE
    mv "$SDAPI_STATE/sdapi.env.tmp" "$SDAPI_STATE/sdapi.env"
    echo "$SDAPI_STATE/sdapi.env"
}

if alive api && curl -sf "$URL/v4/status" >/dev/null; then
    log "already running (stop-sdapi.sh to stop); renewing the JWTs"
    ensure_fake_github
    seed_and_write_env
    exit 0
fi
port_open "$SDAPI_PORT" && die "port $SDAPI_PORT on 127.0.0.1 is in use; set SDAPI_PORT to a free port"

# --- 1. Debian packages and the API itself (cached in SDAPI_HOME) -----------
bash "$LAB/install-sdapi.sh" >/dev/null
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)"
API_DIR="$SDAPI_HOME/node_modules/screwdriver-api"

# --- 2. keys and passwords (generated once per state dir) -------------------
mkdir -p "$SDAPI_STATE/config" "$SDAPI_STATE/pg"
chmod 755 "$SDAPI_STATE"                # the postgres user must reach pg/
[ -f "$SDAPI_STATE/jwt.pem" ] || openssl genrsa -out "$SDAPI_STATE/jwt.pem" 2048 2>/dev/null
openssl rsa -in "$SDAPI_STATE/jwt.pem" -pubout -out "$SDAPI_STATE/jwt.pub" 2>/dev/null
[ -f "$SDAPI_STATE/passwords" ] || for p in COOKIE ENCRYPTION HASHING; do
    echo "${p}_PASSWORD=$(openssl rand -hex 24)"; done > "$SDAPI_STATE/passwords"
. "$SDAPI_STATE/passwords"

# --- 3. API config: merged over the package's config/default.yaml ----------
indent() { sed 's/^/    /' "$1"; }
cat > "$SDAPI_STATE/config/local.yaml" <<EOF
auth:
  jwtPrivateKey: |
$(indent "$SDAPI_STATE/jwt.pem")
  jwtPublicKey: |
$(indent "$SDAPI_STATE/jwt.pub")
  jwtQueueServicePublicKey: |
$(indent "$SDAPI_STATE/jwt.pub")
  cookiePassword: $COOKIE_PASSWORD
  encryptionPassword: $ENCRYPTION_PASSWORD
  hashingPassword: $HASHING_PASSWORD
  https: false
  allowGuestAccess: false
  sdAdmins: $SDAPI_ADMINS
httpd:
  host: 127.0.0.1
  port: $SDAPI_PORT
  uri: $URL
datastore:
  plugin: sequelize
  ddlSyncEnabled: "true"          # API creates its tables at start-up
  sequelize:
    dialect: postgres
    database: screwdriver
    username: sd
    password: ""
    host: 127.0.0.1
    port: $SDAPI_PG_PORT
executor:                         # never used by token routes; socket does not exist
  plugin: docker
  docker:
    enabled: true
    options:
      docker:
        socketPath: $SDAPI_STATE/no-docker.sock
scms:
  github:
    plugin: github
    config:
      displayName: github
      gheProtocol: http
      gheHost: $SCM_HOST          # GitHub API calls go to http://127.0.0.1/api/v3
      oauthClientId: local-client-id
      oauthClientSecret: local-client-secret
      secret: local-webhook-secret
      username: sd-buildbot
      email: sd-buildbot@example.invalid
ecosystem:                        # placeholders on loopback, not contacted by token routes
  ui: http://127.0.0.1:1
  store: http://127.0.0.1:1
  queue: http://127.0.0.1:1
  badges: http://127.0.0.1:1/{{subject}}-{{status}}-{{color}}.svg
coverage:
  sonar:
    sdApiUrl: $URL
    sonarHost: http://127.0.0.1:1
    sdUiUrl: http://127.0.0.1:1
EOF

# --- 4. throwaway PostgreSQL cluster on 127.0.0.1 (initdb rejects root) -----
AS_PG=()
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); chown postgres: "$SDAPI_STATE/pg"; fi
if [ ! -f "$SDAPI_STATE/pg/data/PG_VERSION" ]; then
    "${AS_PG[@]}" "$PG_BIN/initdb" -D "$SDAPI_STATE/pg/data" -U sd --auth=trust -E UTF8 >"$SDAPI_STATE/initdb.log"
fi
if ! "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$SDAPI_STATE/pg/data" status >/dev/null 2>&1; then
    port_open "$SDAPI_PG_PORT" && die "port $SDAPI_PG_PORT on 127.0.0.1 is in use; set SDAPI_PG_PORT to a free port"
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$SDAPI_STATE/pg/data" -l "$SDAPI_STATE/pg/pg.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $SDAPI_PG_PORT -k $SDAPI_STATE/pg" start >/dev/null
fi
export PGHOST=127.0.0.1 PGPORT="$SDAPI_PG_PORT" PGUSER=sd PGDATABASE=screwdriver
"$PG_BIN/psql" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='screwdriver'" | grep -q 1 ||
    "$PG_BIN/createdb" screwdriver

# --- 5. fake GitHub on 127.0.0.1:80 -----------------------------------------
ensure_fake_github

# --- 6. the API; env -i so stray PORT/HOST/URI/SECRET_* vars cannot override config
log "starting the API on $URL"
( cd "$API_DIR" && exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
    NODE_CONFIG_DIR="$API_DIR/config:$SDAPI_STATE/config" \
    nohup node bin/server >>"$SDAPI_STATE/api.log" 2>&1 ) &
echo $! >"$SDAPI_STATE/api.pid"
for _ in $(seq 240); do
    curl -sf "$URL/v4/status" >/dev/null && break
    alive api || { tail -n 30 "$SDAPI_STATE/api.log" >&2; die "the API exited (log: $SDAPI_STATE/api.log)"; }
    sleep 0.5
done
curl -sf "$URL/v4/status" >/dev/null || die "the API is not healthy after 120 s (log: $SDAPI_STATE/api.log)"

# --- 7. seed users and the pipeline, mint JWTs, write sdapi.env -------------
seed_and_write_env
