# Every target sets itself up: a fresh clone needs only python3 (3.11+) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench lock clean

# Everything from the lock (requirements.txt: exact versions with hashes, as pulumi install and
# the workflows install), then the project itself with the locked setuptools (no download).
$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## demo: the offline plan of config/example.yaml (with its directory), then the end-to-end simulation (no credentials needed)
demo: $(STAMP)
	$(PY) -m ownscim_infra plan config/example.yaml --directory config/example-directory.yaml
	@echo
	$(PY) -m ownscim_infra simulate config/example.yaml --directory config/example-directory.yaml

## test: the linters, then the whole test suite (integration tests skip without an Okta org)
test: lint
	$(PY) -m pytest

## lint: ruff (style, imports, docstrings, complexity), ruff format, mypy; import rules run in the tests
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## bench: print speed figures (each script measures its own baseline in the same run)
bench: $(STAMP)
	@for script in benchmarks/*_bench.py; do echo "== $$script"; $(PY) $$script || exit 1; done

## lock: write requirements.txt again from pyproject.toml (after a change to a dependency; needs PyPI)
lock: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra policy --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" --output-file requirements.txt --quiet

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
