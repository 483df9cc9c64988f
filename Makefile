# The whole set-up is `make run` and `make test`; both create .venv on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The suite mostly waits on brokers, consumer groups and browsers: three workers keep two
# cores busy. Tests that start a whole `leadpulse dev` stack share one (tests/conftest.py).
TEST_WORKERS ?= 3
CHROMIUM := /usr/bin/chromium
SDKS := tests/sdk

.PHONY: run test lint typecheck unit bench soak chromium deploy-tools sdks valgrind clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/leadpulse dev

# Debian's Chromium drives the browser tests (never `playwright install`).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

# tests/deploy render the Kustomize overlays with `kubectl kustomize` and check the alert
# rules with promtool: Debian's kubernetes-client and prometheus, installed if missing.
deploy-tools:
	@command -v kubectl >/dev/null && command -v promtool >/dev/null || { \
	  pkgs="$$(command -v kubectl >/dev/null || echo kubernetes-client) $$(command -v promtool >/dev/null || echo prometheus)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$pkgs >/dev/null; fi; }

# The JavaScript SDKs the browser tests load (analytics.js, RudderStack), from the npm
# registry at the versions in tests/sdk/package-lock.json; Debian's npm when none is installed.
sdks: $(SDKS)/node_modules/.package-lock.json

$(SDKS)/node_modules/.package-lock.json: $(SDKS)/package-lock.json
	@command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; fi; }
	cd $(SDKS) && npm ci --no-audit --no-fund --loglevel=error

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

test: $(STAMP) chromium deploy-tools sdks lint typecheck
	$(VENV)/bin/pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist loadgroup --durations=25

# Instruction counts (`bench/scorer.py --callgrind`): Debian's valgrind, installed if missing.
valgrind:
	@command -v valgrind >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null; fi; }

bench: $(STAMP) valgrind
	$(PY) bench/ingest.py
	$(PY) bench/scorer.py --callgrind
	$(PY) bench/alerts.py
	$(PY) bench/leads_list.py
	$(PY) bench/crm.py

# The long chaos soak: `make soak MINUTES=10 RATE=300 SEED=7 [SOAK_ARGS="--no-faults --drift"]`.
MINUTES ?= 10
RATE ?= 300
SEED ?= 7
soak: $(STAMP)
	$(PY) -m tests.soak --minutes $(MINUTES) --rate $(RATE) --seed $(SEED) $(SOAK_ARGS)

clean:
	rm -rf $(VENV) .leadpulse .mypy_cache .ruff_cache $(SDKS)/node_modules
