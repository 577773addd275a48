# Tandem. `make run` and `make test` set up whatever is missing on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Bot runtime: Python 3.10 exactly (Rasa 3.6 supports 3.8-3.10). PATH first, then pyenv.
PY310 ?= $(shell for p in python3.10 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.10*/bin/python3.10 2>/dev/null | sort -V | tail -1); do \
  $$p -c 'import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)' 2>/dev/null && break; done)
# Services runtime: Python 3.11 or newer.
PY3 ?= $(shell for p in python3.12 python3.11 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[12]*/bin/python3 2>/dev/null | sort -V | tail -1); do \
  $$p -c 'import sys; assert sys.version_info >= (3, 11); print(sys.executable)' 2>/dev/null && break; done)

VENV := .venv
BOT := .venv-bot
TANDEM := $(VENV)/bin/tandem
PIP_FLAGS := --quiet --disable-pip-version-check
# Rasa loads bot.crisis_guard and actions from the repo root; no telemetry (no network).
RASA := PYTHONPATH=$(CURDIR) RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 $(BOT)/bin/rasa

.PHONY: help setup run run-prod test test-services test-bot test-rasa test-e2e test-browser chromium train safety-model lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/services.txt pyproject.toml
	@test -n "$(PY3)" || { echo "Python 3.11+ not found (tried python3.12, python3.11, python3, pyenv)."; exit 1; }
	$(PY3) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -r requirements/services.txt
	$(VENV)/bin/pip install $(PIP_FLAGS) --no-deps -e .
	@touch $@

$(BOT)/.installed: requirements/bot.txt
	@test -n "$(PY310)" || { echo "Python 3.10 not found on PATH or in pyenv; Rasa 3.6 needs it (pyenv install 3.10)."; exit 1; }
	$(PY310) -m venv $(BOT)
	$(BOT)/bin/pip install $(PIP_FLAGS) -r requirements/bot.txt
	@touch $@

setup: $(VENV)/.installed $(BOT)/.installed ## create both environments, local secrets, database, demo directory
	$(TANDEM) init-local
	$(TANDEM) db upgrade
	$(TANDEM) directory import data/directory

# Models are private to their owner (umask 077), like the databases (services/file_modes.py).
train: $(VENV)/.installed $(BOT)/.installed ## train the Rasa model unless one matches config, domain and data
	@model=$$($(TANDEM) model-path); \
	if [ -f "$$model" ]; then echo "model up to date: $$model"; \
	else echo "training $$model"; \
	  umask 077; time $(RASA) train --fixed-model-name "$$(basename $$model .tar.gz)" --out models; fi

safety-model: $(BOT)/.installed ## retrain the crisis risk and opt-out models from data/safety/training and data/nlu
	PYTHONPATH=$(CURDIR) $(BOT)/bin/python -m safety.train

run: setup train ## run services, Rasa and the action server in the foreground (Ctrl-C stops all)
	$(TANDEM) run

# The production profile on this machine's PostgreSQL and Redis. Every secret comes from the
# environment (it refuses to start, naming each one missing); the database URLs default to the
# local servers, and the two databases are created if missing.
PROD_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/tandem
PROD_TRACKER_STORE_URL ?= postgresql://postgres@127.0.0.1:5432/tandem_rasa
PROD_REDIS_URL ?= redis://127.0.0.1:6379/1

run-prod: $(VENV)/.installed $(BOT)/.installed train ## the production profile here: PostgreSQL, Redis, TANDEM_RASA_WORKERS Rasa processes
	@export TANDEM_ENV=production \
	  DATABASE_URL="$${DATABASE_URL:-$(PROD_DATABASE_URL)}" \
	  RASA_TRACKER_STORE_URL="$${RASA_TRACKER_STORE_URL:-$(PROD_TRACKER_STORE_URL)}" \
	  REDIS_URL="$${REDIS_URL:-$(PROD_REDIS_URL)}"; \
	$(TANDEM) db create && $(TANDEM) db upgrade && $(TANDEM) run --profile production

test: setup train test-services test-bot test-rasa test-e2e test-browser ## run every test suite

# The machine's PostgreSQL (.ci/run starts it): tests that must also hold there use it.
TANDEM_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
export TANDEM_TEST_POSTGRES_URL
# And its Redis (the production profile's e2e test); a database of its own.
TANDEM_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export TANDEM_TEST_REDIS_URL

test-services: $(VENV)/.installed
	$(VENV)/bin/python -m pytest tests/services tests/safety tests/sms_text -q

test-bot: $(BOT)/.installed
	$(BOT)/bin/python -m pytest -c tests/bot/pytest.ini --rootdir . tests/bot tests/safety tests/sms_text -q

test-rasa: train
	$(RASA) data validate --fail-on-warnings
	$(RASA) test core --stories tests/bot/stories \
	  --model "$$($(TANDEM) model-path)" --fail-on-prediction-errors --out var/rasa-test

test-e2e: setup train
	$(VENV)/bin/python -m pytest tests/e2e -q

# Browser tests: Playwright drives Debian's Chromium (never a downloaded browser) and axe-core
# from npm (tests/browser/package-lock.json).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
CHROMIUM := /usr/bin/chromium

chromium: ## install Debian's chromium package if /usr/bin/chromium is missing
	@test -x $(CHROMIUM) || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y chromium; }

tests/browser/node_modules/.installed: tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund
	@touch $@

test-browser: setup train chromium tests/browser/node_modules/.installed ## the dashboard in headless Chromium
	$(VENV)/bin/python -m pytest tests/browser -q

lint: $(VENV)/.installed ## ruff over the code
	$(VENV)/bin/ruff check services safety sms_text bot actions tests

clean: ## remove environments, models and local state
	rm -rf $(VENV) $(BOT) models var .rasa
