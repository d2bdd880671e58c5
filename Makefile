# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

.PHONY: run test install frontend chromium api-client check-api-client clean

run: install frontend
	$(BIN)/rlboard serve

# PYTHONHASHSEED pinned: R2D1's training still depends on it (a hash-ordered iteration not yet
# found), so without it a seed's learning run differs from process to process.
test: install frontend chromium check-api-client
	cd frontend && npm test
	PYTHONHASHSEED=0 $(BIN)/pytest

# torch first and exactly, so that no range in pyproject.toml ever pulls the multi-GB CUDA build.
$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SOURCES)
	cd frontend && npm run build

frontend: frontend/dist/index.html

# Regenerate the dashboard's typed client from the backend's OpenAPI schema.
api-client: install frontend/node_modules/.package-lock.json
	$(BIN)/python -m backend.openapi > frontend/openapi.json
	cd frontend && npm run gen:api

# The checked-in schema must be what the backend serves, or the typed client lies.
check-api-client: install
	@$(BIN)/python -m backend.openapi | diff -q - frontend/openapi.json >/dev/null || \
	  { echo "frontend/openapi.json is stale: run 'make api-client' and commit the result"; exit 1; }

# Browser tests drive Debian's chromium; playwright's own browser download cannot work offline.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist test-results
