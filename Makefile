# The two commands a newcomer needs: `make run` and `make test`. Everything else is here too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WORKERS ?= 2
MANAGE := $(BIN)/python manage.py
# Pinned like requirements/*.txt; appointments/tests/test_api_conformance.py runs the same version.
REDOCLY_VERSION := 2.77.0

.PHONY: run serve test test-python lint bench load soak lock install install-test worker clean help

help:
	@echo "make run    - install, migrate, load demo content and serve http://127.0.0.1:$(PORT) (development)"
	@echo "make serve  - the same site as production runs it (gunicorn, DEBUG off, compressed static files)"
	@echo "make test   - lint, checks and the whole test suite, browser tests included"
	@echo "make lint   - ruff, the import contract (lint-imports), pip-audit, bandit and redocly's lint of the API document"
	@echo "make bench  - benchmarks (figures printed and written to docs/benchmarks.md)"
	@echo "make lock   - re-pin requirements/*.txt from requirements/*.in"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	touch $@

$(VENV)/.test-installed: requirements/base.txt requirements/test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $(VENV)/.base-installed $@

install: $(VENV)/.base-installed
install-test: $(VENV)/.test-installed

# Links printed by `make run` and canonical URLs in the demo content name the port actually served.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
# Development settings keep their own database, var/dev.sqlite3, apart from make serve's db.sqlite3.
run: install
	@mkdir -p var
	$(MANAGE) migrate --noinput
	$(MANAGE) load_demo_content
	$(MANAGE) purge_page_cache
	$(MANAGE) ensure_dev_admin
	@echo "Members area: http://127.0.0.1:$(PORT)/members/  password: $$($(MANAGE) members_password 2>/dev/null | tail -n 1)"
	@echo "Serving http://127.0.0.1:$(PORT)/  (the sciatica article: http://127.0.0.1:$(PORT)/sciatica/)"
	@$(MANAGE) outbox_worker >> var/outbox-worker.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Outbox worker (booking and contact email) runs in the background: pid $$worker, log var/outbox-worker.log"; \
	$(MANAGE) runserver 127.0.0.1:$(PORT)

# The email outbox worker on its own (production runs it as a service next to gunicorn).
worker: install
	$(MANAGE) outbox_worker

serve: install
	PORT=$(PORT) WORKERS=$(WORKERS) ./scripts/serve.sh

test: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=clinic.settings.test $(BIN)/python manage.py check
	DJANGO_SETTINGS_MODULE=clinic.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) test-python

# The pytest suite alone (CI runs it a second time against PostgreSQL and Redis).
test-python: install-test
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/pip-audit --strict --progress-spinner off -r requirements/base.txt -r requirements/test.txt
	$(BIN)/bandit -q -c pyproject.toml -r clinic caching throttling pages members appointments staff_security ops deploy
	@mkdir -p var
	DJANGO_SETTINGS_MODULE=clinic.settings.test $(MANAGE) export_openapi_schema --api appointments.api.api --output var/openapi.json
	npx --yes @redocly/cli@$(REDOCLY_VERSION) lint var/openapi.json

bench: install-test
	$(BIN)/python bench/run.py

# 100 concurrent clients for 60 s against the production stack (2 workers); stops by itself.
# On a throwaway SQLite copy, or on PostgreSQL/Redis when DATABASE_URL/REDIS_URL are given, e.g.
#   make load DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench REDIS_URL=redis://127.0.0.1:6379/13
# LOAD_ARGS / SOAK_ARGS pass options on (a short try: LOAD_ARGS="--seconds 15 --connections 20").
load: install-test
	$(BIN)/python bench/load.py $(LOAD_ARGS)

# 10 minutes of steady load; fails if resident memory grows by more than 10%.
soak: install-test
	$(BIN)/python bench/soak.py $(SOAK_ARGS)

lock:
	./scripts/lock.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
