# Sourced by scripts/serve.sh and scripts/run.sh: wait for the two servers (pids "$ws" and "$http"),
# stop both when either exits or on one signal, and exit with the status of the one that ended first.
two_servers_stop() { kill -TERM "$ws" "$http" 2>/dev/null || true; }
two_servers_wait() {
  trap 'two_servers_stop; wait; exit 0' INT TERM
  local status=0
  wait -n "$ws" "$http" || status=$?
  two_servers_stop
  wait || true
  exit "$status"
}
