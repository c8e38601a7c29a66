# Two commands do all the set-up: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup build serve test lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

build: setup
	$(BIN)/kg build --out build

serve: build
	$(BIN)/kg serve --host $(HOST) --port $(PORT) --build build

test: setup
	$(BIN)/ruff check kg tests $(wildcard bench)
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check kg tests $(wildcard bench)
	$(BIN)/ruff format --check kg

clean:
	rm -rf build $(VENV) .pytest_cache .ruff_cache
