# The front door of the project. Every target does its own set-up first.
#   make run    the whole platform locally on http://localhost:3000 (no Docker, no AWS)
#   make test   the test suite, browser tests included (installs Chromium and axe-core if missing)
#   make demo   one request through a fresh local platform, to its offer email
#   make build  sam build of template.yaml
#   make bench  every benchmark: bench/results.json and docs/benchmarks.md (under 10 minutes)
SHELL := /bin/bash
# No usage reports from the SAM CLI: builds and tests stay off the network.
export SAM_CLI_TELEMETRY := 0
PYTHON ?= python3
VENV ?= .venv
PORT ?= 3000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `sam build` needs the Lambda runtime's Python (3.13) on PATH; pyenv installs keep it here.
LAMBDA_PYTHON_DIR ?= $(lastword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin))

.PHONY: setup browser run demo test bench build lint validate clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed; set PYTHON=python3.x"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

# The browser tests (tests/test_web.py) drive Debian's Chromium and inject axe-core from
# node_modules/. Each is installed only when missing; apt-get needs root (sudo otherwise).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium: $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium"; \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi
	@if [ ! -f node_modules/axe-core/axe.min.js ]; then \
		echo "Installing axe-core: npm install --no-save --no-audit --no-fund axe-core@4"; \
		npm install --no-save --no-audit --no-fund axe-core@4; \
	fi

run: setup
	$(BIN)/cmh serve --port $(PORT)

demo: setup
	$(BIN)/cmh demo $(if $(SCENARIO),--scenario $(SCENARIO))

test: setup browser
	$(BIN)/python -m pytest

# The cold-start part builds .bench/runtime, a virtual environment of the Lambda layer's
# requirements alone, with the Lambda runtime's Python when pyenv has it.
bench: setup
	PATH="$(LAMBDA_PYTHON_DIR):$$PATH" $(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check src functions tests bench
	$(BIN)/cfn-lint template.yaml

validate: setup
	$(BIN)/sam validate --lint --region eu-west-1

build: setup
	@command -v python3.13 >/dev/null || test -x "$(LAMBDA_PYTHON_DIR)/python3.13" || \
		{ echo "sam build needs python3.13 on PATH (the Lambda runtime's version)"; exit 1; }
	PATH="$(LAMBDA_PYTHON_DIR):$(abspath $(BIN)):$$PATH" $(BIN)/sam build --region eu-west-1

clean:
	rm -rf .aws-sam .cmh .pytest_cache .bench
