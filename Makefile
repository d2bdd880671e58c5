# The README's two commands: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
FRONTEND_SOURCES := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

.PHONY: run test install frontend chromium api-client check-api-client lock clean

run: install frontend
	$(BIN)/rlboard serve

test: install frontend chromium check-api-client
	cd frontend && npm test
	$(BIN)/pytest

# torch first and exactly, so that no range in pyproject.toml ever pulls the multi-GB CUDA build;
# everything else at the versions in constraints.txt, so a clean clone trains what CI trained.
$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
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

# Re-pin constraints.txt to the newest versions pyproject.toml allows (then run make test).
lock:
	rm -rf /tmp/rlboard-lock && $(PYTHON) -m venv /tmp/rlboard-lock
	/tmp/rlboard-lock/bin/pip install --quiet torch==2.13.0 && /tmp/rlboard-lock/bin/pip install --quiet -e '.[dev]'
	{ head -2 constraints.txt; /tmp/rlboard-lock/bin/pip freeze --exclude-editable | grep -v '^torch=='; } > constraints.new
	mv constraints.new constraints.txt

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist test-results
