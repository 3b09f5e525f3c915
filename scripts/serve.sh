#!/usr/bin/env bash
# The production web processes (`make serve`), chosen by scripts/bench_load.py (README "Production serving"):
# - HTTP on PORT (default 8000): gunicorn, WSGI, WEB_CONCURRENCY sync workers (default 2), each with its own
#   PostgreSQL pool (DATABASE_POOL_MAX_SIZE);
# - WebSockets on WS_PORT (default PORT + 1): uvicorn (ASGI, uvloop + httptools), WS_CONCURRENCY workers (default 1).
# The proxy in front sends /ws/ to WS_PORT and the rest to PORT (the README has the nginx routing). When
# either process exits, the other is stopped too, so a supervisor sees the service fail as one.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV_BIN:-.venv/bin}
HOST=${HOST:-0.0.0.0}
PORT=${PORT:-8000}
WS_PORT=${WS_PORT:-$((PORT + 1))}
TRUSTED=${FORWARDED_ALLOW_IPS:-127.0.0.1}

"$BIN/uvicorn" config.asgi:application --host "$HOST" --port "$WS_PORT" --workers "${WS_CONCURRENCY:-1}" \
  --loop uvloop --http httptools --no-access-log --log-level "${UVICORN_LOG_LEVEL:-warning}" \
  --proxy-headers --forwarded-allow-ips "$TRUSTED" --timeout-graceful-shutdown 20 &
ws=$!
# --timeout: a sync worker silent for longer is restarted; a large upload from a slow client without a
# buffering proxy in front may take that long (WEB_TIMEOUT).
"$BIN/gunicorn" config.wsgi:application --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-2}" \
  --worker-class sync --timeout "${WEB_TIMEOUT:-120}" --graceful-timeout 20 --forwarded-allow-ips "$TRUSTED" \
  --log-level "${GUNICORN_LOG_LEVEL:-warning}" &
http=$!
echo "serve: HTTP (gunicorn) on $HOST:$PORT, WebSockets (uvicorn) on $HOST:$WS_PORT; route /ws/ to the second" >&2

# shellcheck source=lib/two_servers.sh
. scripts/lib/two_servers.sh
two_servers_wait
