#!/usr/bin/env bash
# End-to-end smoke test of the access-token API of a server started by
# start-sdapi.sh (state dir $SDAPI_STATE, default /tmp/sdtoken-sdapi). Prints one
# line per request and the expected status codes of screwdriver-api 8.0.143;
# exits 1 on a mismatch.
set -euo pipefail

LAB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
set -a; . "${SDAPI_STATE:-/tmp/sdtoken-sdapi}/sdapi.env"; set +a
API="$SDAPI_URL/v4"
fails=0
body_file="$(mktemp)"
trap 'rm -f "$body_file"' EXIT

# call EXPECTED_STATUS METHOD PATH JWT [JSON_BODY]  -> body in $BODY
call() {
    local want=$1 method=$2 path=$3 jwt=$4 data=${5:-} args=()
    [ -n "$jwt" ] && args+=(-H "Authorization: Bearer $jwt")
    [ -n "$data" ] && args+=(-H 'content-type: application/json' -d "$data")
    local code
    code=$(curl -s -o "$body_file" -w '%{http_code}' -X "$method" "${args[@]}" "$API$path")
    BODY=$(cat "$body_file")
    local shown="${path/api_token=*/api_token=...}"   # keep token values out of the output
    if [ "$code" = "$want" ]; then echo "ok   $code $method $shown"; else
        echo "FAIL $code (want $want) $method $shown  $BODY"; fails=$((fails + 1)); fi
}
field() { node -e 'const o=JSON.parse(process.argv[1]);console.log(o[process.argv[2]])' "$BODY" "$1"; }
claims() { node -e 'console.log(Buffer.from(process.argv[1].split(".")[1],"base64url").toString())' "$1"; }

U="$SDAPI_USER_JWT" P="$SDAPI_PIPELINE_ID" name="smoke-$$"

echo "--- user tokens"
call 201 POST /tokens "$U" "{\"name\":\"$name\",\"description\":\"smoke\"}"; TID=$(field id)
call 409 POST /tokens "$U" "{\"name\":\"$name\"}"
call 400 POST /tokens "$U" '{"description":"no name"}'
call 200 GET /tokens "$U"
call 200 PUT "/tokens/$TID" "$U" "{\"name\":\"$name-2\",\"description\":\"renamed\"}"
call 200 PUT "/tokens/$TID/refresh" "$U"; VALUE=$(field value)
call 404 PUT /tokens/999999/refresh "$U"
call 200 GET "/auth/token?api_token=$VALUE" ""; UJ=$(field token)
echo "     user JWT from api_token: $(claims "$UJ")"
call 200 GET /auth/key ""
node -e 'const jwt=require(process.env.SDAPI_HOME+"/node_modules/jsonwebtoken");
  jwt.verify(process.argv[1], JSON.parse(process.argv[2]).key, {algorithms:["RS256"]}); console.log("ok   signature verifies with /v4/auth/key")' "$UJ" "$BODY"
call 200 GET /tokens "$UJ"
call 204 DELETE "/tokens/$TID" "$U"
call 401 GET "/auth/token?api_token=$VALUE" ""

echo "--- pipeline tokens (pipeline $P)"
call 201 POST "/pipelines/$P/tokens" "$U" "{\"name\":\"$name\"}"; PTID=$(field id)
call 409 POST "/pipelines/$P/tokens" "$U" "{\"name\":\"$name\"}"
call 200 GET "/pipelines/$P/tokens" "$U"
call 200 PUT "/pipelines/$P/tokens/$PTID" "$U" '{"description":"updated"}'
call 200 PUT "/pipelines/$P/tokens/$PTID/refresh" "$U"; PVALUE=$(field value)
call 200 GET "/auth/token?api_token=$PVALUE" ""; PJ=$(field token)
echo "     pipeline JWT: $(claims "$PJ")"
call 403 GET "/pipelines/$P/tokens" "$PJ"
call 204 DELETE "/pipelines/$P/tokens/$PTID" "$U"
call 404 GET "/pipelines/999999/tokens" "$U"

echo "--- build JWT: temporal JWT -> POST /builds/{id}/token (as the launcher does)"
BID=$(node "$LAB/seed.js" build 1 1)
TJ=$(node "$LAB/mint-jwt.js" temporal "$BID" --pipeline-id "$P" --job-id 1 --event-id 1)
call 200 POST "/builds/$BID/token" "$TJ" '{"buildTimeout":90}'; BJ=$(field token)
echo "     build JWT: $(claims "$BJ")"
echo "--- build JWT (scope build) is refused by token routes"
call 403 GET /tokens "$BJ"
call 403 GET "/pipelines/$P/tokens" "$BJ"
call 403 GET /auth/token "$BJ"
call 200 GET "/pipelines/$P" "$BJ"

echo "--- user without admin permission on the repo"
node "$LAB/seed.js" user smoke-readonly readonly-scm-token >/dev/null
RJ=$(node "$LAB/mint-jwt.js" user smoke-readonly)
call 403 GET "/pipelines/$P/tokens" "$RJ"

echo "--- known server bug in 8.0.143: DELETE /pipelines/{id}/tokens answers 500"
call 500 DELETE "/pipelines/$P/tokens" "$U"

[ "$fails" = 0 ] && echo "smoke: all passed" || { echo "smoke: $fails failed"; exit 1; }
