# Two entry points for a fresh machine: `make demo` and `make test` (`make test-fast` is the
# inner loop: lint and the tests not marked slow, under a minute on two cores).
# Both create .venv and install qattn into it (torch==2.13.0 first: its CPU wheel
# is the only torch spec that does not pull gigabytes of CUDA packages).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qattn-installed

.PHONY: demo test test-fast lint install clean fuzz

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

# Import contracts (pyproject.toml, [tool.importlinter]): runtime -> qcompile ->
# hardware_profiles, and no import cycles. --no-cache: the graph takes under a second to build.
LINT_IMPORTS := $(BIN)/lint-imports --no-cache --no-logo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(LINT_IMPORTS)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(LINT_IMPORTS)
	$(BIN)/python -m pytest -m "not slow"

# The full fuzz corpus (tests/fuzz): 10,000 hostile and valid inputs; the last line is the summary.
fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --cases 10000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(LINT_IMPORTS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
