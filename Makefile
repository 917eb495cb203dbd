# The commands the README names. `make run` and `make test` install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: install run test worker beat lint format messages pki bench clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: install
	$(PY) -m pytest --cov --cov-report=term $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A soce worker --beat --loglevel=info --concurrency=2

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

messages: install
	$(PY) manage.py makemessages -l fr --ignore=.venv --ignore=node_modules --no-obsolete
	$(PY) manage.py compilemessages -l fr --ignore=.venv --ignore=node_modules

pki: install
	$(PY) manage.py ensure_dev_pki

clean:
	rm -rf $(VENV) node_modules staticfiles var/test-media var/test-private

# Benchmark of issue 8 against PostgreSQL (DATABASE_URL, default soce_bench): see bench/run.py.
# A quick smoke run: BENCH_QUICK=1 make bench
bench: install
	$(PY) -m bench.run
