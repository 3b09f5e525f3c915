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

# The same server as production (uvicorn, HTTP and WebSocket), one process that reloads on changes.
run: seed
	$(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) --reload \
		--loop uvloop --http httptools --reload-dir accounts --reload-dir chat --reload-dir config \
		--reload-dir events --reload-dir integrations --reload-dir ratings --reload-dir recordings \
		--reload-dir sessions_app --reload-dir templates --reload-dir availability --reload-dir notifications \
		--reload-dir privacy --reload-dir webhooks --reload-dir demo

# Production web process: migrations, static files for WhiteNoise, then scripts/serve.sh
# (uvicorn, WEB_CONCURRENCY workers, HTTP and WebSocket on PORT; 0.0.0.0 unless HOST is set).
serve: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	HOST=$${SERVE_HOST:-0.0.0.0} PORT=$(PORT) scripts/serve.sh

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
