# perftel — two commands for a fresh machine:
#   make demo   virtual environment + perftel, GoTo sandbox, whole pipeline for the last 7 days
#   make test   the same environment plus dev tools, then the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DAYS   ?= 7

.PHONY: demo test lint clean-data help

help:
	@echo "make demo   run the whole pipeline against the local GoTo Connect sandbox"
	@echo "make test   run the test suite"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[models]'
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[models,eval,notebook,dask,dev]'
	@touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/perftel demo --days $(DAYS)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check perftel tests
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check perftel tests
	$(BIN)/ruff format --check perftel tests

clean-data:
	rm -rf data/demo
