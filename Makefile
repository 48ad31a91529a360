# ampdash: `make run` serves the dashboard against the emulator; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# Django 6.1 needs Python >= 3.12: $(PYTHON) if given, else python3.13 / python3.12 on PATH
# (actually runnable: a pyenv shim may exist without its version), else the newest 3.12+
# under $(pyenv root)/versions/.
define find_python
for c in python3.13 python3.12; do \
  if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
    command -v $$c; exit 0; \
  fi; \
done; \
root=$$(pyenv root 2>/dev/null || echo "$$HOME/.pyenv"); \
for d in $$(ls -d "$$root"/versions/3.* 2>/dev/null | sort -V -r); do \
  p="$$d/bin/python3"; \
  if [ -x "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
    echo "$$p"; exit 0; \
  fi; \
done
endef
PYTHON ?= $(shell $(find_python))

export AMPERSAND_EMULATOR ?= 1
export PORT

.PHONY: help run test lint audit format bench chromium wrk

help:
	@echo "make run    serve ampdash on http://127.0.0.1:$(PORT)/ against the emulator, with demo data"
	@echo "make test   run the whole test suite (DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make lint   ruff check and ruff format --check"
	@echo "make audit  bandit on the code, pip-audit on requirements.txt (README: Security checks)"
	@echo "make bench  run the benchmarks in bench/"

$(PY):
	@if [ -z "$(PYTHON)" ]; then \
	  echo "ampdash needs Python 3.12 or newer: install python3.12 or python3.13 (or set PYTHON=/path/to/python3.12) and run make again." >&2; \
	  exit 1; \
	fi
	@echo "Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(PY) manage.py migrate --no-input
	$(PY) manage.py run_demo --port $(PORT)

# Browser tests need Debian's Chromium; install it when missing and we are allowed to.
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests (about a minute)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	    || echo "!!! Could not install chromium: the browser tests will be SKIPPED !!!" >&2; \
	else \
	  echo "!!! /usr/bin/chromium is missing and cannot be installed here (needs root and apt-get): the browser tests will be SKIPPED !!!" >&2; \
	fi

test: $(VENV)/.installed-dev chromium
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

audit: $(VENV)/.installed-dev
	VENV=$(VENV) .ci/audit

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The pages benchmark drives gunicorn with wrk; install it when missing and we are allowed to.
wrk:
	@if command -v wrk >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
	    || { echo "Could not install wrk, which bench/pages.py needs" >&2; exit 1; }; \
	else \
	  echo "bench/pages.py needs wrk: install it (apt-get install wrk) and run make bench again" >&2; exit 1; \
	fi

bench: $(VENV)/.installed-dev wrk
	$(PY) bench/sync.py
	$(PY) bench/pages.py
