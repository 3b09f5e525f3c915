#!/bin/sh
# The production web process (`make serve`): uvicorn, HTTP and WebSocket on one port.
# Chosen by scripts/bench_load.py (README "Production serving"): uvloop + httptools, WEB_CONCURRENCY
# worker processes (default 2), each with its own PostgreSQL pool (DATABASE_POOL_MAX_SIZE).
set -e
cd "$(dirname "$0")/.."
exec "${VENV_BIN:-.venv/bin}/uvicorn" config.asgi:application \
  --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" --workers "${WEB_CONCURRENCY:-2}" \
  --loop uvloop --http httptools --no-access-log --log-level "${UVICORN_LOG_LEVEL:-warning}" \
  --proxy-headers --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}" \
  --timeout-graceful-shutdown 20
