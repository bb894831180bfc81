#!/usr/bin/env bash
# End-to-end smoke test of the README's quick start, as a newcomer would run it:
# clone the repository into a temporary folder, run the README's start command against a
# database that does not exist yet, wait for /ready, then register, verify (the link comes
# from the log mail transport), log in, create a project, submit a calculation, poll it to
# `calculated`, check /metrics on the operator listener (and that the API's port answers it
# 404), and stop the server with SIGTERM, expecting exit status 0.
#
# Needs PostgreSQL (postgres@127.0.0.1:5432, trust) and Redis (127.0.0.1:6379) up, plus curl
# and jq. Reuses this checkout's target directory (CARGO_TARGET_DIR) so the clone does not
# start a cold build. The server listens on free ports (API and operator listener) and uses its
# own queue and Redis key prefix, so it cannot disturb (or be disturbed by) other SAFAPAC
# processes on the machine.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
# The start command exactly as the README's quick start writes it.
start_command=$(sed -n '/<!-- start-command -->/,/<!-- \/start-command -->/p' "$repo/README.md" \
  | grep -E '^cargo run' | head -n1)
[[ -n $start_command ]] || { echo "smoke: no start command found in README.md" >&2; exit 1; }

suffix="$(date +%s)_$$"
database="safapac_smoke_$suffix"
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000))
}
port=$(free_port)
metrics_port=$(free_port)
[[ $metrics_port != "$port" ]] || metrics_port=$((port + 1))
base="http://127.0.0.1:$port"
work=$(mktemp -d)
log="$work/server.log"
server=""

# shellcheck source=run-state.sh
source "$repo/scripts/run-state.sh"
cleanup() {
  if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then kill -KILL "$server" 2>/dev/null || true; fi
  remove_run_state "$database" "smoke_${suffix}" "$work"
}
trap cleanup EXIT

fail() { fail_with_log smoke "$log" "$@"; }

json() { # method path [token] [body] -> prints the body; fails on a non-2xx status
  local method=$1 path=$2 token=${3:-} body=${4:-}
  local args=(-sS -X "$method" -H 'Content-Type: application/json' -w '\n%{http_code}')
  [[ -n $token ]] && args+=(-H "Authorization: Bearer $token")
  [[ -n $body ]] && args+=(--data-binary "$body")
  local out status
  out=$(curl "${args[@]}" "$base$path") || fail "$method $path: no answer"
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $status == 2* ]] || fail "$method $path answered $status: $out"
  printf '%s' "$out"
}

echo "smoke: cloning $repo into $work/safapac"
git clone -q "$repo" "$work/safapac"
cd "$work/safapac"

echo "smoke: starting \`$start_command\` (database $database, port $port)"
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database" \
SAFAPAC_BIND="127.0.0.1:$port" \
SAFAPAC_METRICS_ADDR="127.0.0.1:$metrics_port" \
SAFAPAC_QUEUE="smoke_${suffix}_calculations" \
SAFAPAC_REDIS_PREFIX="smoke_${suffix}" \
  bash -c "exec $start_command" >"$log" 2>&1 &
server=$!

# The first run builds; later runs reuse the target directory.
deadline=$((SECONDS + ${SMOKE_START_TIMEOUT:-1800}))
until curl -sf "$base/ready" >/dev/null 2>&1; do
  kill -0 "$server" 2>/dev/null || fail "the server exited before it was ready"
  ((SECONDS < deadline)) || fail "not ready in time"
  sleep 1
done
echo "smoke: ready"

email="smoke-$suffix@example.org"
password="smoke test password 42"
json POST /api/v1/auth/register "" \
  "{\"name\":\"Smoke Test\",\"email\":\"$email\",\"password\":\"$password\",\"occupation\":\"researcher\"}" >/dev/null
token=""
for _ in $(seq 1 50); do
  token=$(grep -o 'verify-email?token=[A-Za-z0-9_-]*' "$log" | tail -n1 | cut -d= -f2 || true)
  [[ -n $token ]] && break
  sleep 0.1
done
[[ -n $token ]] || fail "no verification link in the log"
json POST /api/v1/auth/verify-email "" "{\"token\":\"$token\"}" >/dev/null
access=$(json POST /api/v1/auth/login "" "{\"email\":\"$email\",\"password\":\"$password\"}" \
  | jq -r .accessToken)
project=$(json POST /api/v1/projects "$access" '{"projectName":"Smoke"}' | jq -r .id)
scenario=$(json GET "/api/v1/projects/$project/scenarios" "$access" | jq -r '.[0].id')
inputs=$(jq -c '.[0].inputs' core/tests/data/cases.json)
json POST "/api/v1/scenarios/$scenario/calculate" "$access" "$inputs" >/dev/null
echo "smoke: calculation submitted"

status=""
for _ in $(seq 1 120); do
  status=$(json GET "/api/v1/scenarios/$scenario/calculate/status" "$access" | jq -r .status)
  [[ $status == calculating ]] || break
  sleep 0.5
done
[[ $status == calculated ]] || fail "calculation ended as '$status'"
echo "smoke: calculated"

metrics=$(curl -sf "http://127.0.0.1:$metrics_port/metrics") \
  || fail "/metrics did not answer on the operator listener"
grep -q '^safapac_job_duration_seconds_count{outcome="succeeded"} 1$' <<<"$metrics" \
  || fail "/metrics does not count the succeeded job"
public=$(curl -s -o /dev/null -w '%{http_code}' "$base/metrics")
[[ $public == 404 ]] || fail "the API's port answered /metrics with $public, not 404"

kill -TERM "$server"
code=0
wait "$server" || code=$?
server=""
[[ $code == 0 ]] || fail "exit status $code after SIGTERM"
echo "smoke: stopped cleanly; passed"
