# `make run`: set everything up and serve the app on the embedded SQLite database.
# `make test`: set everything up and run the whole suite (SQLite and PostgreSQL).
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3
PORT ?= 5000
FLASK := $(VENV)/bin/flask --app app
PG_VERSION := $(shell ls /etc/postgresql 2>/dev/null | head -n 1)

.PHONY: setup run test lint bench services translations demo-reset clean

$(VENV)/.installed: requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# Test and lint tools (requirements-dev.txt): not needed to serve the app.
$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy --statistics -d agri_credit/translations

setup: $(VENV)/.installed node_modules/.installed translations

instance/settings.py: | $(VENV)/.installed
	$(FLASK) init-instance

run: setup instance/settings.py
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(FLASK) demo-logins
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Start PostgreSQL and Redis if this machine has them but they are down (commands from the
# machine page); the suite still runs on SQLite alone where PostgreSQL is absent.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { [ -n "$(PG_VERSION)" ] && pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start; } || true
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /tmp >/dev/null 2>&1 || true

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .

# Two pytest-xdist workers (this machine has 2 cores; PostgreSQL needs CPU too). loadgroup:
# single tests go to whichever worker is free; files marked xdist_group (module-scoped
# fixtures: trained models, generated counties) stay on one worker. `make test TEST_WORKERS=0`
# runs in one process.
TEST_WORKERS ?= 2
test: setup $(VENV)/.dev-installed services lint
	$(VENV)/bin/pytest -q -n $(TEST_WORKERS) --dist loadgroup

bench: setup services
	$(VENV)/bin/python -m bench.run_all

demo-reset: setup instance/settings.py
	rm -f instance/agri_credit.db
	$(FLASK) db upgrade
	$(FLASK) seed-demo

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
