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

# perftel itself, and the local provider emulators (a separate distribution, sandbox/pyproject.toml)
$(VENV)/.installed-run: pyproject.toml sandbox/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[models]' -e ./sandbox
	@touch $@

$(VENV)/.installed-dev: pyproject.toml sandbox/pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[models,eval,notebook,dask,dev]' -e ./sandbox
	@touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(BIN)/perftel demo --days $(DAYS)

# Debian's tools the tests use: chromium (the real-browser tests), ffmpeg (codecs), espeak-ng and sox
# (generated calls). Installed with apt when one is missing; CI runs as root.
DEBIAN_TOOLS := /usr/bin/chromium /usr/bin/ffmpeg /usr/bin/espeak-ng /usr/bin/sox

test: $(VENV)/.installed-dev $(DEBIAN_TOOLS)
	$(BIN)/ruff check perftel sandbox tests benchmarks
	$(BIN)/ruff format --check perftel sandbox tests benchmarks
	PERFTEL_REQUIRE_BROWSER=1 $(BIN)/pytest
	@# every notebook, executed top to bottom in its own kernel (cells assert), with throwaway config/data and
	@# a fixed period (the sandbox's calls are seeded per day: the same days give the same calls on any date)
	tmp=$$(mktemp -d) && PERFTEL_CONFIG_DIR=$$tmp/config PERFTEL_DATA_DIR=$$tmp/data PERFTEL_NB_END=2026-11-26 \
	  $(BIN)/pytest -p no:cacheprovider --nbval-lax --nbval-current-env --nbval-cell-timeout=600 notebooks/; \
	  rc=$$?; rm -rf $$tmp; exit $$rc

# Playwright drives Debian's chromium (no browser download).
$(DEBIAN_TOOLS):
	apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium ffmpeg espeak-ng sox

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check perftel sandbox tests benchmarks
	$(BIN)/ruff format --check perftel sandbox tests benchmarks

clean-data:
	rm -rf data/demo
