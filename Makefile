# Two entry points for a fresh machine: `make demo` and `make test` (`make test-fast` is the
# inner loop: lint and the tests not marked slow, under a minute on two cores).
# Both create .venv and install qattn (the `qattn-toolkit` distribution) into it, torch first.
# TORCH_INDEX: where torch==2.13.0 comes from. Empty (the default) uses pip's configuration,
# which on this project's CI machines holds a local CPU wheel; elsewhere the default index
# serves the CUDA build (~19 NVIDIA packages, GBs), so on a machine without a GPU run
# `make demo TORCH_INDEX=https://download.pytorch.org/whl/cpu` (README, "Quickstart").
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.qattn-installed
TORCH_INDEX ?=

.PHONY: demo test test-fast test-py312 lint docs install clean fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	@# Before the rename to qattn-toolkit the distribution was `qattn`: drop it from old venvs.
	$(BIN)/python -m pip uninstall --quiet --yes qattn 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
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
	$(MAKE) --no-print-directory docs

test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(LINT_IMPORTS)
	$(BIN)/python -m pytest -m "not slow"

# The documentation site (mkdocs.yml): API reference from the docstrings and the four tutorials,
# whose code is included from examples/ (the estimate tutorial's plots are made by running its
# script). --strict: any warning (a broken link, a bad docstring, a missing file) fails.
# Not --quiet: it drops the warnings before --strict counts them (a broken link then passes).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "docs: out/site/index.html"

# A second Python version (CI: .ci/run). The torch-free layers only: on 3.12 there is no local
# CPU torch wheel, and the default index would pull the multi-GB CUDA build. So this venv gets
# every requirement except torch and qiskit-machine-learning (.ci/torch_free_requirements.py)
# and runs the import contracts and the hardware_profiles and qcompile tests not marked slow
# (but one: it checks that the import check sees torch once torch is loaded).
PYTHON312 ?= python3.12
VENV312 := $(VENV)/py312
STAMP312 := $(VENV312)/.qattn-installed

$(STAMP312): pyproject.toml .ci/torch_free_requirements.py
	$(PYTHON312) -m venv $(VENV312)
	$(VENV312)/bin/python -m pip install --quiet --upgrade pip
	$(VENV312)/bin/python .ci/torch_free_requirements.py > $(VENV312)/requirements.txt
	$(VENV312)/bin/python -m pip install --quiet -r $(VENV312)/requirements.txt
	$(VENV312)/bin/python -m pip install --quiet --no-deps -e .
	touch $(STAMP312)

test-py312: $(STAMP312)
	$(VENV312)/bin/python --version
	$(VENV312)/bin/lint-imports --no-cache --no-logo
	$(VENV312)/bin/python -m pytest -m "not slow" -p no:cacheprovider tests/hardware_profiles tests/qcompile \
		--deselect tests/qcompile/test_imports.py::test_the_check_sees_torch_when_it_is_loaded

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
