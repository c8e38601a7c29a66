# Two commands do all the set-up: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ASSETS := node_modules/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

SYSTEM_PACKAGES := virtuoso-opensource chromium chromium-driver wget
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-system build serve test lint bench bench-load bench-build bench-sdg bench-search fuzz clean

setup: $(STAMP) $(ASSETS)

# Front-end assets (query editor, API docs), pinned by package-lock.json; served from node_modules/.
$(ASSETS): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js >= 18) is needed for the query editor and API docs assets: install Node.js, then run make setup again"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(ASSETS)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

# Debian packages the tests use as real peers (Virtuoso, headless Chromium); installed only when missing.
setup-system:
	@{ command -v virtuoso-t && command -v chromium && command -v chromedriver && command -v wget; } >/dev/null 2>&1 || { \
	  echo "installing $(SYSTEM_PACKAGES) (Debian packages used by the remote-store and browser tests)"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; }

build: setup
	$(BIN)/kg build --out build

serve: build
	$(BIN)/kg serve --host $(HOST) --port $(PORT) --build build

test: setup setup-system
	$(BIN)/ruff check kg tests $(wildcard bench)
	$(BIN)/python -m pytest -q

# Throughput against rdflib-endpoint and Oxigraph server (not a test: prints figures). TRIPLES=1000000 for 1M.
TRIPLES ?= 100000
REPEAT ?= 3
bench: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(BIN)/python bench/run.py --triples $(TRIPLES) --repeat $(REPEAT)

# The bad-input suites at full size: 12,000 mutated pages, 5 minutes of schemathesis, every hostile input.
fuzz: setup
	FUZZ_INPUTS=12000 SCHEMATHESIS_SECONDS=300 $(BIN)/python -m pytest -q \
	  tests/test_fuzz_loaders.py tests/server/test_openapi_fuzz.py tests/server/test_hostile_input.py

# 50 clients x 60 s of mixed requests, without and with 4 runaway clients (prints figures, not a test).
bench-load: setup
	$(BIN)/python bench/load.py

bench-build: setup
	$(BIN)/python bench/build.py

# The SDG tagger on the SDG Classification Benchmark (dev and test rows, with published anchors).
bench-sdg: setup
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	$(BIN)/python bench/sdg_eval.py

# Full-text search latency at ~10^6 quads against SPARQL CONTAINS filters (prints figures).
bench-search: setup
	$(BIN)/python bench/search.py

lint: setup
	$(BIN)/ruff check kg tests $(wildcard bench)
	$(BIN)/ruff format --check kg $(wildcard bench)

clean:
	rm -rf build $(VENV) node_modules .pytest_cache .ruff_cache
