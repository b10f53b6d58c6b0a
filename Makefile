# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv and install qattn into it (torch==2.13.0 first: its CPU wheel
# is the only torch spec that does not pull gigabytes of CUDA packages).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qattn-installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Compile the embedded 16-entry lookup for the default profile (IBM Heron r2), then run the
# compiled circuit on that profile's noise model and compare with the ideal result.
demo: $(STAMP)
	$(BIN)/qcompile demo --out out/demo
	QATTN_JOBSTORE=out/jobs.sqlite $(BIN)/qrun sample out/demo/lookup16.qpy --noisy --shots 4096 --seed 7

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
