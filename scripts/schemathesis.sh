#!/usr/bin/env bash
# Property-based API test: schemathesis generates requests for every operation of the running
# API's /openapi.json (valid and invalid ones, a bounded number per operation) with an
# administrator's token, and fails on any 5xx answer, on any answer that does not match the
# document (status code, content type, body schema), on a route that declares authentication
# but answers without it, and on a 405 without `Allow`.
#
# Starts the API binary built by `cargo test` (target/debug/safapac-api) on a free port with a
# database of its own (created and migrated in development mode), its own queue and Redis key
# prefix and rate limits high enough that 429s do not drown the run; cleans everything up at
# the end. Needs PostgreSQL (postgres@127.0.0.1:5432, trust), Redis (127.0.0.1:6379), curl,
# jq and schemathesis (`pip install schemathesis==4.32.5`; .ci/run installs it).
#
# Two passes: every operation with generated identifiers, then every operation but DELETE on
# an existing project, scenario and calculation job (so routes get past their 404s).
# SCHEMATHESIS_MAX_EXAMPLES (default 50; about a minute in all) bounds the test cases per
# operation and phase, SCHEMATHESIS_SEED (default 1) picks them; any arguments are passed on
# to `st run` (e.g. `--include-path-regex projects`).
set -euo pipefail
extra=("$@")

repo=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}
binary="$target/debug/safapac-api"
if [[ ! -x $binary ]]; then
  (cd "$repo" && cargo build -q -p safapac-api --locked)
fi
# Through the interpreter pip installed it for, so a bin directory missing from PATH does
# not matter.
st() { python3 -c 'import sys; from schemathesis.cli import schemathesis; sys.argv[0] = "st"; sys.exit(schemathesis())' "$@"; }
st --version >/dev/null 2>&1 || { echo "schemathesis: not installed (pip install schemathesis==4.32.5)" >&2; exit 1; }

suffix="$(date +%s)_$$"
database="safapac_st_$suffix"
prefix="st_$suffix"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
work=$(mktemp -d)
log="$work/server.log"
server=""

# shellcheck source=run-state.sh
source "$repo/scripts/run-state.sh"
cleanup() {
  if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server" 2>/dev/null || true
  fi
  remove_run_state "$database" "$prefix" "$work"
}
trap cleanup EXIT

fail() { fail_with_log schemathesis "$log" "$@"; }

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"
export SAFAPAC_BIND="127.0.0.1:$port"
# /metrics is not part of the document and nothing here scrapes it; off, so the run cannot
# collide with another SAFAPAC process on the operator listener's default port.
export SAFAPAC_METRICS_ADDR=off
export SAFAPAC_QUEUE="${prefix}_calculations"
export SAFAPAC_REDIS_PREFIX="$prefix"
export SAFAPAC_API_DOCS=true
export RUST_LOG=${RUST_LOG:-warn}
# Generous quotas (an interval of at least 1 ms each) so generated requests are answered,
# not throttled.
for policy in LOGIN REGISTER REFRESH VERIFY_EMAIL RESEND_VERIFICATION CALCULATE CALCULATE_SYNC FLOOD; do
  export "SAFAPAC_RATE_$policy=1000/1s"
done

echo "schemathesis: starting the API on $base (database $database)"
"$binary" --with-worker >"$log" 2>&1 &
server=$!
deadline=$((SECONDS + 120))
until curl -sf "$base/ready" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || fail "the server exited before it was ready"
  ((SECONDS < deadline)) || fail "not ready in time"
  sleep 0.5
done

email="st-$suffix@example.org"
password="schemathesis password $suffix"
SAFAPAC_ADMIN_PASSWORD="$password" "$binary" create-admin --email "$email" --name "Schemathesis" \
  >/dev/null 2>>"$log" || fail "create-admin failed"
token=$(curl -sS -X POST -H 'Content-Type: application/json' \
  --data-binary "{\"email\":\"$email\",\"password\":\"$password\"}" \
  "$base/api/v1/auth/login" | jq -r '.accessToken // empty')
[[ -n $token ]] || fail "could not log in as $email"

# No 5xx; status, content type and body as documented; no route that declares
# authentication answers without it; undeclared methods get 405 with `Allow`.
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks+=,response_schema_conformance,ignored_auth,unsupported_method

run_schemathesis() { # config file ("" for none), more `st run` arguments
  local config=()
  [[ -n $1 ]] && config=(--config-file "$1")
  shift
  st --no-color "${config[@]}" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$checks" \
    --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-50}" \
    --phases examples,coverage,fuzzing \
    --seed "${SCHEMATHESIS_SEED:-1}" \
    --workers 2 \
    --request-timeout 30 \
    --generation-database none \
    --report-dir "$work/report" \
    "$@" "${extra[@]}"
}

echo "schemathesis: running $(st --version); pass 1: generated identifiers"
run_schemathesis "" || fail "schemathesis found problems (pass 1, generated identifiers)"
# Made after pass 1, whose DELETEs may reuse identifiers they see in responses: a project
# (created with one scenario) and a calculation job.
api() { # method path [body] -> body; fails on a non-2xx status
  local out
  out=$(curl -sS -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+--data-binary "$3"} -w '\n%{http_code}' "$base$2") || fail "$1 $2: no answer"
  [[ ${out##*$'\n'} == 2* ]] || fail "$1 $2 answered ${out##*$'\n'}: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}
export ST_PROJECT ST_SCENARIO ST_JOB
ST_PROJECT=$(api POST /api/v1/projects '{"projectName":"Schemathesis"}' | jq -r .id)
ST_SCENARIO=$(api GET "/api/v1/projects/$ST_PROJECT/scenarios" | jq -r '.[0].id')
ST_JOB=$(api POST "/api/v1/scenarios/$ST_SCENARIO/calculate" \
  "$(jq -c '.[0].inputs' "$repo/core/tests/data/cases.json")" | jq -r .jobId)
cat >"$work/schemathesis.toml" <<'TOML'
# Pass 2 works on an existing project, scenario and job.
[parameters]
"path.project_id" = "${ST_PROJECT}"
"path.scenario_id" = "${ST_SCENARIO}"
"query.project_id" = "${ST_PROJECT}"
"path.job_id" = "${ST_JOB}"
TOML

echo "schemathesis: pass 2: an existing project, scenario and job (DELETE left out)"
run_schemathesis "$work/schemathesis.toml" --exclude-method DELETE \
  || fail "schemathesis found problems (pass 2, existing resources)"
echo "schemathesis: passed"
