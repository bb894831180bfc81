#!/usr/bin/env bash
# Interleaved A/B of two builds on this machine, each on a fresh database of its own:
#
#   bench/ab.sh DIR_A DIR_B [ROUNDS]
#
# DIR_A and DIR_B are checkouts whose target/release holds safapac-api, safapac-worker and
# safapac-bench (`cargo build --release -p safapac-api -p safapac-worker -p safapac-bench`).
# Each round runs A, then B (then B, then A in the next round, so neither always goes first):
# the master-data and project reads with the API pinned to core 0 and wrk to core 1
# (bench/reads.sh), then the drain and the dashboard pattern with API and worker unpinned.
# Settings (environment): SAFAPAC_AB_WORKLOADS (default "reads drain dashboard"; also
# "status", the poll of a calculated scenario), SAFAPAC_AB_READS (the reads.sh workloads of
# "reads", default "master-data project"), SAFAPAC_BENCH_SECONDS (20, each read run),
# SAFAPAC_AB_DRAIN (5000), SAFAPAC_AB_ENV_A and SAFAPAC_AB_ENV_B (extra NAME=value settings of
# each side, e.g. RUST_LOG=info to measure the default request log against RUST_LOG=warn, or
# SAFAPAC_STATUS_CACHE_MB=0; both sides run with RUST_LOG=warn otherwise, as in
# BENCHMARKS.md). DIR_A and DIR_B may be the same checkout, to compare settings.
# Needs PostgreSQL and Redis on this machine and wrk. Output: one line per measured run,
# prefixed with the build's label and commit.
set -euo pipefail

dir_a=$(cd "${1:?usage: bench/ab.sh DIR_A DIR_B [ROUNDS]}" && pwd)
dir_b=$(cd "${2:?usage: bench/ab.sh DIR_A DIR_B [ROUNDS]}" && pwd)
rounds=${3:-2}
workloads=${SAFAPAC_AB_WORKLOADS:-reads drain dashboard}
drain=${SAFAPAC_AB_DRAIN:-5000}
repo=$(cd "$(dirname "$0")/.." && pwd)
pg=postgres://postgres@127.0.0.1:5432
port=8100
email=bench@example.com
export SAFAPAC_BENCH_PASSWORD='bench password 123'

log_dir=$(mktemp -d)
pids=()
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap 'stop_all; rm -rf "$log_dir"' EXIT

wait_ready() {
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "ab.sh: the API did not become ready" >&2
  return 1
}

# Every build runs with the settings of BENCHMARKS.md's setup, on its own database, queue and
# key prefix, so the two never share state.
setup() { # label dir
  local label=$1 dir=$2
  export DATABASE_URL="$pg/safapac_ab_$label" SAFAPAC_BIND="127.0.0.1:$port"
  export SAFAPAC_QUEUE="ab_$label" SAFAPAC_REDIS_PREFIX="ab_$label"
  export SAFAPAC_RATE_FLOOD=1000000/1s SAFAPAC_RATE_CALCULATE=60000/min SAFAPAC_RATE_LOGIN=1000/min
  export SAFAPAC_RATE_REFRESH=60000/min RUST_LOG=warn
  local extra
  if [[ $label == a ]]; then extra=${SAFAPAC_AB_ENV_A:-}; else extra=${SAFAPAC_AB_ENV_B:-}; fi
  for setting in $extra; do export "${setting?}"; done
  bin=$dir/target/release
  commit=$(git -C "$dir" rev-parse --short HEAD)
}

fresh_database() { # label dir
  setup "$1" "$2"
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS safapac_ab_$1" -c "CREATE DATABASE safapac_ab_$1" >/dev/null
  "$bin/safapac-api" migrate >/dev/null
  echo "$SAFAPAC_BENCH_PASSWORD" | SAFAPAC_ADMIN_PASSWORD="$SAFAPAC_BENCH_PASSWORD" \
    "$bin/safapac-api" create-admin --email "$email" >/dev/null
}

run_build() { # label dir
  local label=$1 dir=$2
  setup "$label" "$dir"
  local tag
  if [[ $label == a ]]; then tag="a@$commit ${SAFAPAC_AB_ENV_A:-}"; else tag="b@$commit ${SAFAPAC_AB_ENV_B:-}"; fi
  for workload in $workloads; do
    case $workload in
      reads | status)
        local reads=${SAFAPAC_AB_READS:-master-data project}
        [[ $workload == status ]] && reads=status
        # The request log goes to a file, as an operator keeps it.
        taskset -c 0 "$bin/safapac-api" >/dev/null 2>"$log_dir/api-$label.log" & pids+=($!)
        "$bin/safapac-worker" run >/dev/null 2>&1 & pids+=($!)
        wait_ready
        # shellcheck disable=SC2086 # the workload names are words
        SAFAPAC_BENCH_BIN="$bin/safapac-bench" SAFAPAC_BENCH_API_PID=${pids[0]} \
          bash "$repo/bench/reads.sh" "http://127.0.0.1:$port" "$email" $reads \
          | grep -v '^API memory' | sed "s/^/$tag  /"
        stop_all
        ;;
      drain | dashboard)
        "$bin/safapac-api" >/dev/null 2>&1 & pids+=($!)
        "$bin/safapac-worker" run >/dev/null 2>&1 & pids+=($!)
        wait_ready
        local b=("$bin/safapac-bench" --base-url "http://127.0.0.1:$port" --email "$email")
        if [[ $workload == drain ]]; then
          "${b[@]}" drain --scenarios "$drain" --clients 50 | sed "s/^/$tag  /"
        else
          "${b[@]}" dashboard --users 50 --poll-ms 200 --seconds 20 | sed "s/^/$tag  /"
        fi
        stop_all
        ;;
      *) echo "ab.sh: unknown workload $workload" >&2; exit 2 ;;
    esac
  done
}

# Each side in a subshell, so one side's settings never leak into the other's.
(fresh_database a "$dir_a")
(fresh_database b "$dir_b")
for round in $(seq 1 "$rounds"); do
  echo "# round $round"
  if (( round % 2 )); then
    (run_build a "$dir_a"); (run_build b "$dir_b")
  else
    (run_build b "$dir_b"); (run_build a "$dir_a")
  fi
done
