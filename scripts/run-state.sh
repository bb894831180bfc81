# Sourced by smoke.sh and schemathesis.sh: what each run of theirs leaves behind, and how a
# failed run reports itself.

# Drops the run's database, its Redis keys (queue, rate-limit and cache keys all start with
# the run's prefix) and its work folder.
remove_run_state() { # database key-prefix work-folder
  psql -q -h 127.0.0.1 -U postgres -d postgres \
    -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 --scan --pattern "$2*" 2>/dev/null \
    | xargs -r redis-cli -h 127.0.0.1 del >/dev/null 2>&1 || true
  rm -rf "$3"
}

# Prints "<script>: <message>" and the last lines of the server's log, then exits 1.
fail_with_log() { # script log message…
  local script=$1 log=$2
  shift 2
  echo "$script: $*" >&2
  echo "--- last lines of the server log ---" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}
