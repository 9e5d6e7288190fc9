#!/usr/bin/env bash
# Measure sdtoken's speed and memory against a local real Screwdriver API and
# print a Markdown report on stdout (BENCHMARKS.md contains the last one).
#
# Usage: bash scripts/bench.sh [> report.md]
#
# Builds the release binary, starts the API (tests/sdapi) in its own state dir
# (/tmp/sdtoken-bench, ports 18082 and 55434), logs in with the file store and
# with the kernel keyring, then times commands with hyperfine and reads peak
# memory with GNU time. Everything started here is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export SDAPI_STATE=/tmp/sdtoken-bench SDAPI_PORT=18082 SDAPI_PG_PORT=55434

work_dir=""
cleanup() {
    local rc=$?
    trap - EXIT
    bash tests/sdapi/stop-sdapi.sh --purge >/dev/null 2>&1 || true
    [ -n "$work_dir" ] && rm -rf "$work_dir"
    exit "$rc"
}
trap cleanup EXIT

bash scripts/install-deps.sh >&2
cargo build --release --locked >&2
bin="${CARGO_TARGET_DIR:-$ROOT/target}/release/sdtoken"

[ -e "$SDAPI_STATE" ] && bash tests/sdapi/stop-sdapi.sh --purge >&2
sdapi_env="$(bash tests/sdapi/start-sdapi.sh)"
set -a; . "$sdapi_env"; set +a

work_dir="$(mktemp -d /tmp/sdtoken-bench-home.XXXXXX)"
export SDTOKEN_CONFIG_DIR="$work_dir/config" XDG_DATA_HOME="$work_dir/data" XDG_RUNTIME_DIR="$work_dir/run"
unset SD_API_TOKEN SD_TOKEN SD_API_URL SD_BUILD_ID SDTOKEN_CONTEXT SDTOKEN_STORE

new_token() {
    curl -sSf -X POST -H "Authorization: Bearer $SDAPI_USER_JWT" -H "content-type: application/json" \
        -d "{\"name\":\"bench-$1-$$\"}" "$SDAPI_URL/v4/tokens" |
        node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).value)'
}

new_token file | "$bin" login --with-token --store file --api-url "$SDAPI_URL" --context file 2>/dev/null
"$bin" --context file exchange >/dev/null

# The keyutils measurements run in one session keyring, as a login session has.
bench_keyutils() {
    new_token keyutils | "$bin" login --with-token --store keyutils --api-url "$SDAPI_URL" --context kernel 2>/dev/null
    "$bin" --context kernel exchange >/dev/null
    hyperfine -N --warmup 5 --runs 50 --export-markdown "$work_dir/keyutils.md" \
        -n 'sdtoken exchange, cached JWT in the kernel keyring' "$bin --context kernel exchange" >&2
}
# The Secret Service measurements run in a private one (gnome-keyring on its own
# D-Bus). The wrapper runs its command through sh, which drops exported bash
# functions, so this step is a script of its own.
declare -f new_token > "$work_dir/keyring.sh"
cat >> "$work_dir/keyring.sh" <<'SCRIPT'
new_token keyring | "$bin" login --with-token --store keyring --api-url "$SDAPI_URL" --context keyring 2>/dev/null
"$bin" --context keyring exchange >/dev/null
hyperfine -N --warmup 5 --runs 50 --export-markdown "$work_dir/keyring.md" \
    -n 'sdtoken exchange, token in the Secret Service, cached JWT in the kernel keyring' \
    "$bin --context keyring exchange" >&2
SCRIPT
export -f bench_keyutils new_token
export bin work_dir
keyctl session - bash -c bench_keyutils >&2
keyctl session - bash scripts/with-secret-service.sh bash -c ". '$work_dir/keyring.sh'" >&2

hyperfine -N --warmup 5 --runs 50 --export-markdown "$work_dir/file.md" \
    -n 'sdtoken --help' "$bin --help" \
    -n 'sdtoken exchange, cached JWT in the file store' "$bin --context file exchange" \
    -n 'sdtoken status, cached JWT' "$bin --context file status" \
    -n 'sdtoken list, one GET /v4/tokens' "$bin --context file list" >&2
hyperfine -N --warmup 2 --runs 20 --export-markdown "$work_dir/exchange.md" \
    -n 'sdtoken exchange --no-cache, one GET /v4/auth/token' "$bin --context file exchange --no-cache" >&2

peak_kib() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }

echo "## Run of $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)."
echo "Binary: release profile, $(du -h "$bin" | cut -f1) ($("$bin" --version))."
echo "API: screwdriver-api 8.0.143 on 127.0.0.1 (tests/sdapi)."
echo
echo "### Time (hyperfine, no shell)"
echo
cat "$work_dir/file.md"
tail -n +3 "$work_dir/keyutils.md"
tail -n +3 "$work_dir/keyring.md"
tail -n +3 "$work_dir/exchange.md"
echo
echo "### Peak memory (GNU time, maximum resident set size)"
echo
echo "| command | peak RSS |"
echo "|:---|---:|"
echo "| \`--help\` | $(peak_kib "$bin" --help) KiB |"
echo "| \`exchange\`, cached JWT in the file store | $(peak_kib "$bin" --context file exchange) KiB |"
echo "| \`list\` | $(peak_kib "$bin" --context file list) KiB |"
echo "| \`exchange --no-cache\` | $(peak_kib "$bin" --context file exchange --no-cache) KiB |"
