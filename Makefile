# The two commands of a fresh clone: `make run` and `make test` (Python 3.11, pip and make).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Workers yield the CPU to web requests where they share cores (docs/notifications.md, "Benchmark").
WORKER_NICE ?= 10

.PHONY: run serve test venv install migrate seed lint format worker beat bench bench-load clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv install: $(BIN)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Production's two servers (scripts/run.sh), reloading on changes: HTTP (gunicorn) on PORT, WebSockets
# (uvicorn) on PORT + 1.
run: seed
	VENV_BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) scripts/run.sh

# Production web processes: migrations, static files for WhiteNoise, then scripts/serve.sh (gunicorn,
# WEB_CONCURRENCY sync workers, HTTP on PORT; uvicorn, WebSockets on WS_PORT = PORT + 1; 0.0.0.0 unless SERVE_HOST).
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	VENV_BIN=$(BIN) HOST=$${SERVE_HOST:-0.0.0.0} PORT=$(PORT) scripts/serve.sh

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

worker: install
	nice -n $(WORKER_NICE) $(BIN)/celery -A config worker --loglevel=info

beat: install
	$(BIN)/celery -A config beat --loglevel=info

bench: install
	$(BIN)/python scripts/bench.py

bench-load: install
	$(BIN)/python scripts/bench_load.py

clean:
	rm -rf $(VENV) db.sqlite3 media
