#!/usr/bin/env bash
# `make run`: production's two servers (scripts/serve.sh), each reloading on changes, on HOST (127.0.0.1):
# HTTP on PORT (8000, gunicorn, WSGI) and WebSockets on WS_PORT (PORT + 1, uvicorn).
# Without REDIS_URL the two processes have no shared channel layer, so the HTTP one forwards its pushes
# to the WebSocket one over loopback, with a secret made for this run (config/channel_forward.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV_BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WS_PORT=${WS_PORT:-$((PORT + 1))}
DIRS=(accounts availability chat config demo events integrations notifications privacy ratings recordings
      sessions_app templates webhooks)

forward=()
if [ -z "${REDIS_URL:-}" ]; then
  export CHANNEL_LAYER_FORWARD_SECRET
  CHANNEL_LAYER_FORWARD_SECRET=$("$BIN/python" -c 'import secrets; print(secrets.token_hex(16))')
  forward=(env "CHANNEL_LAYER_FORWARD_URL=http://127.0.0.1:$WS_PORT/internal/channel-layer")
fi

reload_dirs=()
for dir in "${DIRS[@]}"; do reload_dirs+=(--reload-dir "$dir"); done
"$BIN/uvicorn" config.asgi:application --host "$HOST" --port "$WS_PORT" --reload "${reload_dirs[@]}" \
  --loop uvloop --http httptools --log-level warning &
ws=$!
"${forward[@]}" "$BIN/gunicorn" config.wsgi:application --bind "$HOST:$PORT" --workers "${WEB_CONCURRENCY:-2}" \
  --worker-class sync --reload --timeout 300 --access-logfile - &
http=$!
echo "HTTP on http://$HOST:$PORT (the API, /admin/, /api/docs/); WebSockets on ws://$HOST:$WS_PORT/ws/sessions/{id}/"

# shellcheck source=lib/two_servers.sh
. scripts/lib/two_servers.sh
two_servers_wait
