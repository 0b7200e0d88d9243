# inadequate_nb: `make reproduce` and `make test` are the two commands a fresh machine needs (python3 and pip).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PRESET ?= toy

.PHONY: install install-dev reproduce test export readme clean-runs bench docs

## The run's packages. pip installs them without byte-compiling (compiling all of torch's files took about 60 of the
## 141 s of a fresh install here); one import of what a run uses then writes the bytecode of just those modules, also
## where PYTHONDONTWRITEBYTECODE is set (it is on this project's machines; without the bytecode every process of a
## run would compile torch again)
WARM_IMPORTS := import inadequate_nb.cli, inadequate_nb.runner, inadequate_nb.viz, inadequate_nb.spectral, inadequate_nb.assess, \
	inadequate_nb.imprinting, inadequate_nb.retrieval, inadequate_nb.selfsup, papermill, ipykernel.kernelapp, seaborn, matplotlib.pyplot, sklearn.manifold
$(STAMP): setup.py settings.ini
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip "setuptools<82" wheel
	$(BIN)/python -m pip install --quiet --no-compile -e .
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -c "$(WARM_IMPORTS)"
	touch $(STAMP)

## What the tests and the docs add (nbdev, pytest, Ray, Sphinx), and the bytecode of everything installed (torch ships
## one file of Python 3.12 syntax, py312_intrinsics.py, which pip's own compiling skips too)
$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m compileall -q -j 0 -x py312_intrinsics $(VENV)/lib
	touch $(DEV_STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

## Pre-train on the embedded source, transfer every checkpoint, regenerate the figures into figures/$(PRESET)
reproduce: $(STAMP)
	$(BIN)/inadequate-nb reproduce --preset $(PRESET) --out runs/$(PRESET) --publish figures/$(PRESET)

## Every test: the notebooks' inline tests (nbdev), the exported package in step with them, and tests/ (pytest, one worker
## per core; a test file's tests share a worker, as they share its fixtures). Each notebook runs in a process of its
## own (one nbdev_test per notebook, TEST_WORKERS at once, the largest files first so that the long ones do not start
## last): nbdev_test's own workers run several notebooks in one process, where a notebook's cells re-register its
## analyses over the package's and the next notebook sees them. Each notebook prints its time as it ends; a test that
## hangs fails after TEST_TIMEOUT seconds with the stacks of its threads, a notebook after NB_TIMEOUT (here the
## notebooks take 3 to 5 minutes together, tests/ about 10), so a hang is named in CI's output instead of using up its time
TEST_WORKERS ?= $(shell $(PYTHON) -c 'import os; print(max(1, min(4, os.cpu_count() or 1)))')
TEST_TIMEOUT ?= 900
NB_TIMEOUT ?= 900
test: $(DEV_STAMP)
	ls -S nbs/*.ipynb | xargs -P $(TEST_WORKERS) -n 1 timeout --signal INT --kill-after 60 $(NB_TIMEOUT) $(BIN)/nbdev_test --timing --path
	$(BIN)/pytest -q -rs --durations=10 --timeout $(TEST_TIMEOUT) -n $(TEST_WORKERS) --dist loadfile tests

export: $(DEV_STAMP)
	$(BIN)/nbdev_export

## README.md is generated from nbs/index.ipynb
readme:
	python3 tools/make_readme.py

## Documentation site from the notebooks into _site/ (static, works offline; how it is published: docs/README.md)
docs: $(DEV_STAMP)
	$(BIN)/python docs/build.py --out _site --preset $(PRESET)

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean-runs:
	rm -rf runs
