#!/usr/bin/env bash
# Measure sdtoken against the alternatives and the floor, on this machine and
# against a local real Screwdriver API, and print a Markdown report on stdout
# (BENCHMARKS.md contains the last one). These are measurements, not tests:
# a missed target is reported, and the script still exits 0.
#
# Usage: bash scripts/bench.sh [--profiles] [> report.md]
#
# --profiles also builds the binary once per [profile.release] setting, adding
# one setting at a time to cargo's default release profile, and reports each
# build's size and cached-exchange time. The builds go to the target dir's
# profile-variants/ and take about 25 minutes the first time; later runs reuse
# them until the sources change.
#
# The script builds the release binary and two helpers in a temporary directory:
# the floor, a Rust program that does nothing, and a launcher that starts N
# commands at once. It starts the API (tests/sdapi) in its own state dir
# (/tmp/sdtoken-bench, ports 18082 and 55434), with tests/sdapi/count-proxy.py in
# front of it on port 18083, and logs in with each store. hyperfine gives the
# times (medians), GNU time the peak memory, and the proxy's log the requests.
#
# What is isolated: the config dir and the file store live in the temporary
# directory, the run has a new session keyring, and the Secret Service part
# uses a private gnome-keyring (scripts/with-secret-service.sh). What is not:
# the kernel keyring store also links every key into the per-user persistent
# keyring, which the user's own sessions share, under names that do not depend
# on the config dir (api-token/CONTEXT, jwt/FINGERPRINT). So the contexts are
# named sdtoken-bench-PID-*, and on exit the script runs `sdtoken logout` for
# each context it created, which removes its API token and cached JWT. The
# tokens used without such a context (through SD_API_TOKEN, or from the Secret
# Service) get a kernel-keyring context for that logout. Every process and file
# started or made here is stopped or removed on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# One session keyring for the whole run, as a login session has.
if [ -z "${SDTOKEN_BENCH_SESSION:-}" ]; then
    exec keyctl session - env SDTOKEN_BENCH_SESSION=1 bash "$0" "$@"
fi

profiles=false
case "${1:-}" in
    --profiles) profiles=true ;;
    "") ;;
    *) echo "usage: bash scripts/bench.sh [--profiles]" >&2; exit 2 ;;
esac

export SDAPI_STATE=/tmp/sdtoken-bench SDAPI_PORT=18082 SDAPI_PG_PORT=55434
PROXY_PORT=18083
RUNS=100        # runs of each fast command (a few ms each)
SERVER_RUNS=30  # runs of each command that waits for the server (~100 ms each)
BURST=50        # concurrent exchanges with a stale cache

work_dir=""
proxy_pid=""
bin=""
# Prefix of this run's context names, unlike any context a user would name.
ctx="sdtoken-bench-$$"
contexts=() # contexts logged in with the kernel keyring or file store, for the logout on exit
cleanup() {
    local rc=$?
    trap - EXIT
    local context
    for context in "${contexts[@]}"; do
        "$bin" logout --context "$context" >/dev/null 2>&1 || log "logout of context $context failed"
    done
    report_leftover_keys
    [ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
    bash tests/sdapi/stop-sdapi.sh --purge >/dev/null 2>&1 || true
    [ -n "$work_dir" ] && rm -rf "$work_dir"
    exit "$rc"
}
trap cleanup EXIT
log() { echo "[bench] $*" >&2; }
# Warns about sdtoken keys still linked into this run's session keyring. Only
# this run's keys are linked there: their names contain this run's context
# names or the fingerprints of tokens made by this run.
report_leftover_keys() {
    local id description
    for id in $(keyctl rlist @s 2>/dev/null); do
        description="$(keyctl rdescribe "$id" 2>/dev/null)" || continue
        case "$description" in
            "user;"*"@sdtoken") log "warning: key left in the kernel keyring: ${description##*;}" ;;
        esac
    done
}

# --- 1. binaries -----------------------------------------------------------------
bash scripts/install-deps.sh >&2
cargo build --release --locked >&2
work_dir="$(mktemp -d /tmp/sdtoken-bench-home.XXXXXX)"
# Every measured binary is copied into the work dir, as `cargo install` copies
# it. Started from where the linker wrote it, the same binary took about 0.15 ms
# longer (12 more page faults per run), so the floor gets the same treatment.
bin="$work_dir/sdtoken"
cp "${CARGO_TARGET_DIR:-$ROOT/target}/release/sdtoken" "$bin"

# The floor: a program that does nothing, built with the release profile's settings.
echo 'fn main() {}' > "$work_dir/floor.rs"
# The launcher: starts N copies of a command at once, waits for all of them, and
# fails if any failed.
cat > "$work_dir/burst.rs" <<'RUST'
use std::process::{Command, Stdio};
fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|n| n.parse().ok()).expect("usage: burst N CMD [ARGS...]");
    let program = args.next().expect("usage: burst N CMD [ARGS...]");
    let rest: Vec<String> = args.collect();
    let children: Vec<_> = (0..count)
        .map(|_| Command::new(&program).args(&rest).stdout(Stdio::null()).spawn().expect("spawn"))
        .collect();
    let failed = children.into_iter().map(|mut c| c.wait().expect("wait")).filter(|s| !s.success()).count();
    if failed > 0 {
        eprintln!("burst: {failed} of {count} failed");
        std::process::exit(1);
    }
}
RUST
rustc_flags=(--edition 2024 -C opt-level=s -C codegen-units=1 -C lto=fat -C strip=symbols)
rustc "${rustc_flags[@]}" -o "$work_dir/floor.out" "$work_dir/floor.rs"
rustc "${rustc_flags[@]}" -o "$work_dir/burst.out" "$work_dir/burst.rs"
floor="$work_dir/floor"
burst="$work_dir/burst"
cp "$work_dir/floor.out" "$floor"
cp "$work_dir/burst.out" "$burst"

# --- 2. the API, the counting proxy and the logins -----------------------------------
[ -e "$SDAPI_STATE" ] && bash tests/sdapi/stop-sdapi.sh --purge >&2
sdapi_env="$(bash tests/sdapi/start-sdapi.sh)"
set -a; . "$sdapi_env"; set +a
count_file="$work_dir/requests.log"
: > "$count_file"
python3 tests/sdapi/count-proxy.py "$PROXY_PORT" "$SDAPI_URL" "$count_file" &
proxy_pid=$!
proxy_url="http://127.0.0.1:$PROXY_PORT"
for _ in $(seq 100); do
    curl -sf -o /dev/null "$proxy_url/v4/status" && break
    sleep 0.05
done
: > "$count_file"

export SDTOKEN_CONFIG_DIR="$work_dir/config" XDG_DATA_HOME="$work_dir/data" XDG_RUNTIME_DIR="$work_dir/run"
unset SD_API_TOKEN SD_TOKEN SD_API_URL SD_BUILD_ID SDTOKEN_CONTEXT SDTOKEN_STORE

# Creates a user token and prints its value.
new_token() {
    curl -sSf -X POST -H "Authorization: Bearer $SDAPI_USER_JWT" -H "content-type: application/json" \
        -d "{\"name\":\"bench-$1-$$\"}" "$SDAPI_URL/v4/tokens" | jq -r .value
}
# Logs in CONTEXT with a new user token and warms its JWT cache.
login() { # CONTEXT STORE URL
    contexts+=("$1")
    new_token "$1" | "$bin" login --with-token --store "$2" --api-url "$3" --context "$1" 2>/dev/null
    "$bin" --context "$1" exchange >/dev/null
}
kernel_ctx="$ctx-kernel" file_ctx="$ctx-file" counted_ctx="$ctx-counted"
# The first login becomes the current context, which the SD_API_TOKEN runs use:
# its JWT cache is the kernel keyring.
login "$kernel_ctx" keyutils "$SDAPI_URL"
login "$file_ctx" file "$SDAPI_URL"
login "$counted_ctx" keyutils "$proxy_url"
# Logs in CONTEXT with TOKEN in the kernel keyring, only for the logout on exit.
# A cached JWT is named after the URL and the token alone (jwt/FINGERPRINT), so
# that logout also removes the JWT the token cached when used without this
# context: through SD_API_TOKEN, or from the Secret Service, which is gone by then.
cleanup_context() { # CONTEXT TOKEN
    contexts+=("$1")
    printf '%s\n' "$2" | "$bin" login --with-token --store keyutils --api-url "$SDAPI_URL" --context "$1" >/dev/null 2>&1
}
# The credential of the curl comparison, used by sdtoken too: the same token, the same URL.
env_token="$(new_token env)"
cleanup_context "$ctx-env" "$env_token"
# The credential of the Secret Service part, handed over in a file that only
# this user can read (the work dir is private).
keyring_token="$(new_token keyring)"
cleanup_context "$ctx-keyring-jwt" "$keyring_token"
(umask 077 && printf '%s\n' "$keyring_token" > "$work_dir/keyring-token")

# Medians and means of hyperfine's JSON export, in ms, by benchmark name.
stat_ms() { # FILE NAME FIELD
    jq -r --arg n "$2" --arg f "$3" '.results[] | select(.command == $n) | .[$f] * 1000' "$1"
}
median() { stat_ms "$1" "$2" median; }
fast() { hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$@" >&2; }
slow() { hyperfine -N --warmup 3 --runs "$SERVER_RUNS" --export-json "$@" >&2; }

# --- 3. warm exchange, the floor and sdtoken env -------------------------------------
log "warm paths"
fast "$work_dir/warm.json" \
    -n floor "$floor" \
    -n 'exchange, kernel keyring' "$bin --context $kernel_ctx exchange" \
    -n 'exchange, file store' "$bin --context $file_ctx exchange" \
    -n 'status, kernel keyring' "$bin --context $kernel_ctx status" \
    -n 'sdtoken --help' "$bin --help"

# sdtoken env inside a build: SD_BUILD_ID and a build JWT, no store and no network.
build_jwt="$(node "$SDAPI_LAB/mint-jwt.js" build 4242 --pipeline-id "$SDAPI_PIPELINE_ID" --job-id 7 --event-id 9)"
(
    export SD_BUILD_ID=4242 SD_TOKEN="$build_jwt" SD_API_URL="$SDAPI_URL"
    "$bin" env --shell sh >/dev/null
    fast "$work_dir/build.json" -n floor "$floor" -n 'env in a build' "$bin env --shell sh"
)

# --- 4. sdtoken against curl | jq, with the same credential ------------------------
log "sdtoken against curl"
curl_line='curl -s -H "Authorization: Bearer $SD_API_TOKEN" $SD_API_URL/v4/auth/token | jq -r .token'
(
    export SD_API_TOKEN="$env_token" SD_API_URL="$SDAPI_URL"
    [ "$(sh -c "$curl_line" | cut -d. -f1)" = "$("$bin" exchange | cut -d. -f1)" ] || {
        log "curl and sdtoken disagree on the JWT header"; exit 1; }
    fast "$work_dir/shell.json" \
        -n 'sh -c :' "sh -c :" \
        -n 'exchange, SD_API_TOKEN' "$bin exchange" \
        -n 'sh -c exchange, SD_API_TOKEN' "sh -c '$bin exchange'"
    slow "$work_dir/cold.json" \
        -n 'curl | jq' "sh -c '$curl_line'" \
        -n 'exchange --no-cache' "$bin exchange --no-cache"
)

# --- 5. 50 exchanges at once with a stale cache -----------------------------------
# The cached JWTs live in the kernel keyring. This run's own JWTs are the ones
# linked into its session keyring, because the per-user persistent keyring also
# contains those of other processes. Invalidating them makes the cache stale.
log "$BURST concurrent exchanges"
cat > "$work_dir/stale.sh" <<'SCRIPT'
for id in $(keyctl rlist @s); do
    case "$(keyctl rdescribe "$id")" in
        "user;"*";keyring:jwt/"*) keyctl invalidate "$id" ;;
    esac
done
SCRIPT
purge="sh $work_dir/stale.sh"
hyperfine -N --warmup 2 --runs 20 --prepare "$purge" --export-json "$work_dir/burst.json" \
    -n "1 exchange" "$burst 1 $bin --context $counted_ctx exchange" \
    -n "$BURST exchanges" "$burst $BURST $bin --context $counted_ctx exchange" \
    -n "$BURST floors" "$burst $BURST $floor" >&2
burst_requests=""
for _ in 1 2 3 4 5; do
    $purge >/dev/null
    : > "$count_file"
    "$burst" "$BURST" "$bin" --context "$counted_ctx" exchange
    burst_requests+="$(grep -c 'GET /v4/auth/token' "$count_file") "
done
"$bin" --context "$counted_ctx" exchange >/dev/null
"$bin" --context "$kernel_ctx" exchange >/dev/null

# --- 6. requests per command with a warm cache ------------------------------------
log "requests per command"
requests_table="$work_dir/requests.md"
counted() { # TARGET LABEL ARGS...
    local target="$1" label="$2"
    shift 2
    # Each count starts from a warm JWT cache. The commands before leave it warm:
    # a user-token refresh or delete caches the JWT again through its check
    # request, and a pipeline-token one keeps it. So this exchange normally makes
    # no request, and it keeps each row independent of the rows before it.
    "$bin" --context "$counted_ctx" exchange >/dev/null
    : > "$count_file"
    "$bin" --context "$counted_ctx" "$@" >/dev/null 2>&1
    local seen verdict checks
    seen="$(wc -l < "$count_file")"
    checks="$(grep -c '^GET /v4/auth/token ' "$count_file" || true)"
    if [ "$seen" -eq "$target" ]; then
        verdict="met"
    elif [ "$seen" -eq $((target + 1)) ] && [ "$checks" -eq 1 ] && is_user_token_change "$@"; then
        verdict="met + check"
    else
        verdict="**missed**"
    fi
    echo "| \`$label\` | $target | $seen | $verdict | $(paste -sd, "$count_file" | sed 's/,/, /g') |" >> "$requests_table"
}
# Succeeds for `refresh` or `delete` of a user token (no --pipeline), the
# commands that check with one more request whether the credential in use
# still exchanges.
is_user_token_change() { # ARGS...
    case "$1" in refresh | delete) ;; *) return 1 ;; esac
    case " $* " in *" --pipeline "*) return 1 ;; esac
}
name="bench-rq-$$"
pipe="--pipeline $SDAPI_PIPELINE_ID"
counted 1 "list" list
counted 1 "list --pipeline P" list $pipe
counted 1 "create NAME" create "$name-u1"
counted 1 "create NAME --pipeline P" create "$name-p1" $pipe
"$bin" --context "$counted_ctx" create "$name-u2" >/dev/null 2>&1
"$bin" --context "$counted_ctx" create "$name-p2" $pipe >/dev/null 2>&1
uid() { # NAME [LIST ARGS...]
    local name="$1"
    shift
    "$bin" --context "$counted_ctx" --json list "$@" | jq -r --arg n "$name" '.[] | select(.name == $n) | .id'
}
u1="$(uid "$name-u1")" u2="$(uid "$name-u2")"
p1="$(uid "$name-p1" $pipe)" p2="$(uid "$name-p2" $pipe)"
counted 1 "update ID --description D" update "$u1" --description bench
counted 2 "update NAME --description D" update "$name-u1" --description bench
counted 1 "refresh ID" refresh "$u1" --yes
counted 2 "refresh NAME" refresh "$name-u1" --yes
counted 1 "refresh ID --pipeline P" refresh "$p1" $pipe --yes
counted 2 "refresh NAME --pipeline P" refresh "$name-p1" $pipe --yes
counted 1 "delete ID" delete "$u1" --yes
counted 2 "delete NAME" delete "$name-u2" --yes
counted 1 "delete ID --pipeline P" delete "$p1" $pipe --yes
counted 2 "delete NAME --pipeline P" delete "$name-p2" $pipe --yes
counted 0 "exchange" exchange
counted 0 "status" status

# --- 7. the Secret Service ------------------------------------------------------
# A private gnome-keyring on its own D-Bus. The wrapper runs its command through
# sh, so this step is a script of its own.
log "Secret Service"
cat > "$work_dir/keyring.sh" <<'SCRIPT'
set -eu
# The API token lives in this private Secret Service, which stops with this
# script, and the cached JWT in the kernel keyring: log out while both exist.
trap '"$bin" logout --context "$keyring_ctx" >/dev/null 2>&1 || echo "[bench] logout of context $keyring_ctx failed" >&2' EXIT
"$bin" login --with-token --store keyring --api-url "$SDAPI_URL" --context "$keyring_ctx" < "$work_dir/keyring-token" 2>/dev/null
"$bin" --context "$keyring_ctx" exchange >/dev/null
secret-tool lookup service sdtoken username "api-token/$keyring_ctx" >/dev/null
hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$work_dir/keyring.json" \
    -n 'secret-tool lookup' "secret-tool lookup service sdtoken username api-token/$keyring_ctx" \
    -n 'exchange, Secret Service' "$bin --context $keyring_ctx exchange" >&2
SCRIPT
keyring_ctx="$ctx-keyring"
export bin work_dir RUNS keyring_ctx
bash scripts/with-secret-service.sh bash "$work_dir/keyring.sh" >&2

# --- 8. size and memory ----------------------------------------------------------
peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }
size_bytes="$(stat -c %s "$bin")"
rss_exchange="$(peak_kib "$bin" --context "$kernel_ctx" exchange)"
rss_list="$(peak_kib "$bin" --context "$kernel_ctx" list)"
rss_cold="$(peak_kib "$bin" --context "$kernel_ctx" exchange --no-cache)"
rss_help="$(peak_kib "$bin" --help)"

# --- 9. release profile settings, one at a time ------------------------------------
# Each variant adds one setting to the previous one, starting from cargo's default
# release profile, up to Cargo.toml's profile; then panic = "abort" on top of it,
# and Cargo.toml's profile with opt-level = "z". Since Cargo 1.77, a profile
# without debug info and without a strip setting strips debuginfo, which removes
# the standard library's debug info. The first variant sets that value explicitly,
# because an unset variable would leave Cargo.toml's `strip = true` in effect.
profile_table="$work_dir/profiles.md"
variant() { # LABEL OPT-LEVEL LTO CODEGEN-UNITS STRIP|default PANIC
    local label="$1" file="$work_dir/variant-$(echo "$1" | tr -c 'a-z0-9' '-').json"
    local strip_setting=() strip_label="$5"
    if [ "$5" = default ]; then
        strip_label="debuginfo (cargo's default)"
        strip_setting=(CARGO_PROFILE_RELEASE_STRIP=debuginfo)
    else
        strip_setting=(CARGO_PROFILE_RELEASE_STRIP="$5")
    fi
    log "profile variant: $label"
    env -u CARGO_PROFILE_RELEASE_STRIP CARGO_TARGET_DIR="$variant_dir" CARGO_PROFILE_RELEASE_OPT_LEVEL="$2" CARGO_PROFILE_RELEASE_LTO="$3" \
        CARGO_PROFILE_RELEASE_CODEGEN_UNITS="$4" "${strip_setting[@]}" CARGO_PROFILE_RELEASE_PANIC="$6" \
        cargo build --release --locked >&2
    local built="$work_dir/sdtoken-variant"
    cp "$variant_dir/release/sdtoken" "$built"
    "$built" --context "$kernel_ctx" exchange >/dev/null
    hyperfine -N --warmup 5 --runs "$RUNS" --export-json "$file" -n "$label" "$built --context $kernel_ctx exchange" >&2
    local stripped="$work_dir/stripped"
    strip -o "$stripped" "$built"
    echo "| $label | $2 | $3 | $4 | $strip_label | $6 | $(stat -c %s "$built") | $(stat -c %s "$stripped") | $(printf '%.2f' "$(median "$file" "$label")") ms | $(peak_kib "$built" --context "$kernel_ctx" exchange) KiB |" >> "$profile_table"
}
if $profiles; then
    variant_dir="${CARGO_TARGET_DIR:-$ROOT/target}/profile-variants"
    variant "cargo's default release profile" 3 false 16 default unwind
    variant "+ strip = symbols" 3 false 16 symbols unwind
    variant "+ lto" 3 fat 16 symbols unwind
    variant "+ codegen-units = 1" 3 fat 1 symbols unwind
    variant "+ opt-level = s (Cargo.toml)" s fat 1 symbols unwind
    variant "+ panic = abort (not kept)" s fat 1 symbols abort
    variant "Cargo.toml with opt-level = z" z fat 1 symbols unwind
fi

# --- 10. the report ----------------------------------------------------------------
ms() { printf '%.2f ms' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { # VALUE OP LIMIT
    if awk -v v="$1" -v l="$3" "BEGIN { exit !(v $2 l) }"; then echo met; else echo "**missed**"; fi
}

floor_ms="$(median "$work_dir/warm.json" floor)"
kernel_ms="$(median "$work_dir/warm.json" 'exchange, kernel keyring')"
file_ms="$(median "$work_dir/warm.json" 'exchange, file store')"
build_floor_ms="$(median "$work_dir/build.json" floor)"
env_ms="$(median "$work_dir/build.json" 'env in a build')"
shell_ms="$(median "$work_dir/shell.json" 'sh -c :')"
envtok_ms="$(median "$work_dir/shell.json" 'exchange, SD_API_TOKEN')"
envtok_sh_ms="$(median "$work_dir/shell.json" 'sh -c exchange, SD_API_TOKEN')"
curl_ms="$(median "$work_dir/cold.json" 'curl | jq')"
cold_ms="$(median "$work_dir/cold.json" 'exchange --no-cache')"
one_ms="$(median "$work_dir/burst.json" '1 exchange')"
many_ms="$(median "$work_dir/burst.json" "$BURST exchanges")"
many_floor_ms="$(median "$work_dir/burst.json" "$BURST floors")"
lookup_ms="$(median "$work_dir/keyring.json" 'secret-tool lookup')"
keyring_ms="$(median "$work_dir/keyring.json" 'exchange, Secret Service')"
max_requests="$(echo "$burst_requests" | tr ' ' '\n' | sort -n | tail -n1)"
size_mib="$(awk -v b="$size_bytes" 'BEGIN { printf "%.2f", b / 1048576 }')"
rss_max="$(( rss_exchange > rss_list ? rss_exchange : rss_list ))"
rss_mib="$(awk -v k="$rss_max" 'BEGIN { printf "%.1f", k / 1024 }')"

r1="$(ratio "$curl_ms" "$envtok_ms")"
r1sh="$(ratio "$curl_ms" "$envtok_sh_ms")"
r2="$(ratio "$kernel_ms" "$floor_ms")"
r2ss="$(ratio "$keyring_ms" "$lookup_ms")"
r3="$(ratio "$cold_ms" "$curl_ms")"
r4="$(ratio "$many_ms" "$one_ms")"
r5="$(ratio "$env_ms" "$build_floor_ms")"

# Target 7 holds when every row of the requests table is "met" or "met + check".
if grep -q 'missed' "$requests_table"; then
    r7="**missed**"
elif grep -q 'met + check' "$requests_table"; then
    r7="met; user-token \`refresh\` and \`delete\` add the check request"
else
    r7="met"
fi

echo "## Last run: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "Machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)."
echo "Binary: \`$("$bin" --version)\`, release profile, $size_bytes bytes ($size_mib MiB), $(rustc --version | cut -d' ' -f1-2)."
echo "Tools: $(hyperfine --version), $(curl --version | head -n1 | cut -d' ' -f1-2), $(jq --version), $(sh -c 'readlink -f /bin/sh')."
echo "API: screwdriver-api 8.0.143 on 127.0.0.1 (tests/sdapi); the counting proxy on port $PROXY_PORT."
echo "Runs: $RUNS per fast command and $SERVER_RUNS per command that waits for the server, after warm-up runs; $BURST-process batches 20 times."
echo
echo "### Targets"
echo
echo "| # | comparison | medians | ratio | target | result |"
echo "|---|---|---|---:|---|---|"
echo "| 1 | warm \`exchange\` vs \`curl \| jq\` (same token and URL) | $(ms "$envtok_ms") vs $(ms "$curl_ms") | $r1× faster (curl / sdtoken) | ≥ 20× faster | $(verdict "$r1" '>=' 20) |"
echo "| 1 | the same, \`exchange\` also started through \`sh -c\` | $(ms "$envtok_sh_ms") vs $(ms "$curl_ms") | $r1sh× faster (curl / sdtoken) | ≥ 20× faster | $(verdict "$r1sh" '>=' 20) |"
echo "| 2 | warm \`exchange\`, kernel keyring, vs the floor | $(ms "$kernel_ms") vs $(ms "$floor_ms") | $r2× | ≤ 2× | $(verdict "$r2" '<=' 2) |"
echo "| 2 | warm \`exchange\`, Secret Service, vs the \`secret-tool lookup\` baseline | $(ms "$keyring_ms") vs $(ms "$lookup_ms") | $r2ss× | ≤ 1.2× | $(verdict "$r2ss" '<=' 1.2) |"
echo "| 3 | \`exchange --no-cache\` vs \`curl \| jq\` | $(ms "$cold_ms") vs $(ms "$curl_ms") | $r3× | ≤ 1.15× | $(verdict "$r3" '<=' 1.15) |"
echo "| 4 | $BURST \`exchange\` at once, stale cache: requests to the server | $(echo $burst_requests | tr ' ' ',') in 5 batches | | 1 | $(verdict "$max_requests" '<=' 1) |"
echo "| 4 | $BURST \`exchange\` at once vs 1, stale cache: wall time | $(ms "$many_ms") vs $(ms "$one_ms") | $r4× | ≤ 2× | $(verdict "$r4" '<=' 2) |"
echo "| 5 | \`env\` in a build vs the floor | $(ms "$env_ms") vs $(ms "$build_floor_ms") | $r5× | ≤ 2× | $(verdict "$r5" '<=' 2) |"
echo "| 6 | stripped release binary | $size_mib MiB | | ≤ 8 MiB | $(verdict "$size_mib" '<=' 8) |"
echo "| 6 | peak RSS of \`exchange\` and \`list\` | $rss_exchange KiB, $rss_list KiB | | ≤ 20 MiB | $(verdict "$rss_mib" '<=' 20) |"
echo "| 7 | requests with a warm cache (table below) | | | 1 by id, 2 by name, 0 for \`exchange\` and \`status\` | $r7 |"
echo
echo "Shell cost: \`sh -c :\` takes $(ms "$shell_ms") (median). $BURST do-nothing processes started by the same launcher take $(ms "$many_floor_ms")."
echo
echo "### Times (hyperfine, no shell unless the command starts one)"
echo
echo "| command | median | mean ± σ | min | max |"
echo "|:---|---:|---:|---:|---:|"
for file in warm build shell cold burst keyring; do
    jq -r '.results[] | "| \(.command | gsub("[|]"; "\\|")) | \(.median * 1000 * 100 | round / 100) ms | \(.mean * 1000 * 100 | round / 100) ± \(.stddev * 1000 * 100 | round / 100) ms | \(.min * 1000 * 100 | round / 100) ms | \(.max * 1000 * 100 | round / 100) ms |"' \
        "$work_dir/$file.json"
done
echo
echo "### Requests per command, warm cache (counting proxy)"
echo
echo "\"met + check\": one request more than the target, the \`GET /v4/auth/token\` with which a user-token \`refresh\` or \`delete\` checks that the credential in use still exchanges."
echo
echo "| command | target | seen | verdict | requests |"
echo "|:---|---:|---:|:---|:---|"
cat "$requests_table"
echo
echo "### Peak memory (GNU time, maximum resident set size)"
echo
echo "| command | peak RSS |"
echo "|:---|---:|"
echo "| \`--help\` | $rss_help KiB |"
echo "| \`exchange\`, cached JWT in the kernel keyring | $rss_exchange KiB |"
echo "| \`list\` | $rss_list KiB |"
echo "| \`exchange --no-cache\` | $rss_cold KiB |"
if $profiles; then
    echo
    echo "### Release profile settings, one at a time"
    echo
    echo "| build | opt-level | lto | codegen-units | strip | panic | size | size after \`strip\` | cached \`exchange\`, kernel keyring (median) | peak RSS |"
    echo "|:---|---|---|---:|---|---|---:|---:|---:|---:|"
    cat "$profile_table"
fi
