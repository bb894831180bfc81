#!/usr/bin/env bash
# The read workloads of BENCHMARKS.md, run with wrk against a running SAFAPAC API:
# master-data read, project read, status poll of a calculated scenario, project create,
# reads at 200 connections, and a soak holding 10,000 keep-alive connections (with the
# API's resident memory before and after).
#
#   SAFAPAC_BENCH_PASSWORD=… bench/reads.sh http://127.0.0.1:8100 bench@example.com [workload…]
#
# workloads: master-data project status create wide soak (default: all, in that order).
# Settings (environment): SAFAPAC_BENCH_SECONDS (20, each measured run), SAFAPAC_BENCH_WARMUP (3,
# an unmeasured run before each), SAFAPAC_BENCH_CPU (1, the core wrk is pinned to: start the API
# pinned to the other, `taskset -c 0 target/release/safapac-api`), SAFAPAC_BENCH_API_PID (the
# API's pid, for its memory; found with pgrep otherwise).
# Each run prints one RESULT line: requests, req/s, p50/p95/p99/max latency and error counts.
set -euo pipefail

base=${1:?usage: bench/reads.sh BASE_URL EMAIL [workload…]}
email=${2:?usage: bench/reads.sh BASE_URL EMAIL [workload…]}
shift 2
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=(master-data project status create wide soak)

repo=$(cd "$(dirname "$0")/.." && pwd)
export SAFAPAC_WRK_DIR=$repo/bench/wrk
seconds=${SAFAPAC_BENCH_SECONDS:-20}
warmup=${SAFAPAC_BENCH_WARMUP:-3}
cpu=${SAFAPAC_BENCH_CPU:-1}
bench=${SAFAPAC_BENCH_BIN:-$repo/target/release/safapac-bench}
command -v wrk >/dev/null || { echo "reads.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

# A project with one calculated scenario, and a token (kept out of the process list: wrk gets
# it through a header argument only for the length of a run).
eval "$("$bench" --base-url "$base" --email "$email" prepare)"
auth="Authorization: Bearer $SAFAPAC_BENCH_TOKEN"

api_pid=${SAFAPAC_BENCH_API_PID:-$(pgrep -x safapac-api | head -n1 || true)}
rss() { # resident and peak memory of the API, in MiB
  [[ -n $api_pid && -r /proc/$api_pid/status ]] || { echo "rss=? peak=?"; return; }
  awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "rss=%.1fMiB peak=%.1fMiB\n", r/1024, h/1024}' \
    "/proc/$api_pid/status"
}

run() { # label connections path [script]
  local label=$1 connections=$2 path=$3 script=${4:-$SAFAPAC_WRK_DIR/report.lua}
  local args=(-t1 -c"$connections" --timeout 10s -H "$auth" -s "$script")
  taskset -c "$cpu" wrk "${args[@]}" -d"${warmup}s" "$base$path" >/dev/null
  printf '%-28s c=%-5s ' "$label" "$connections"
  taskset -c "$cpu" wrk "${args[@]}" -d"${seconds}s" "$base$path" | grep '^RESULT' | sed 's/^RESULT //'
}

for workload in "${workloads[@]}"; do
  case $workload in
    master-data) run "master-data read" 50 /api/v1/master-data ;;
    project) run "project read" 50 "/api/v1/projects/$SAFAPAC_BENCH_PROJECT" ;;
    status) run "status poll (calculated)" 50 "/api/v1/scenarios/$SAFAPAC_BENCH_SCENARIO/calculate/status" ;;
    create) run "project create" 50 /api/v1/projects "$SAFAPAC_WRK_DIR/create_project.lua" ;;
    wide)
      run "master-data read" 200 /api/v1/master-data
      run "project read" 200 "/api/v1/projects/$SAFAPAC_BENCH_PROJECT"
      ;;
    soak)
      echo "API memory before the soak: $(rss)"
      run "soak: master-data read" 10000 /api/v1/master-data
      echo "API memory after the soak:  $(rss)"
      ;;
    *) echo "reads.sh: unknown workload $workload" >&2; exit 2 ;;
  esac
done
echo "API memory at the end: $(rss)"
