# Every target sets itself up: a fresh clone needs only python3 (3.11 to 3.13) and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The Pythons the package supports: pyproject.toml's requires-python (tests/test_setup.py checks they agree).
PYTHON_MIN := 3.11
PYTHON_MAX := 3.13
# Prints an interpreter's X.Y; exits 1 when it is not one of the supported ones.
VERSION_CHECK := import sys; v = sys.version_info[:2]; print("%d.%d" % v); \
	sys.exit(not tuple(map(int, "$(PYTHON_MIN)".split("."))) <= v <= tuple(map(int, "$(PYTHON_MAX)".split("."))))

.PHONY: demo test lint bench lock clean

# The interpreter is checked before anything is created; a venv of another Python (left by a
# failed install, or made by an interpreter since replaced) is removed and made again; a venv
# that cannot be created is not left behind. Everything is installed from the lock
# (requirements.txt: exact versions with hashes, as pulumi install and the workflows install),
# then the project itself with the locked setuptools (no download).
$(STAMP): pyproject.toml requirements.txt
	@found=$$($(PYTHON) -c '$(VERSION_CHECK)' 2>/dev/null); status=$$?; \
	if [ -z "$$found" ]; then \
	  echo "make: cannot run $(PYTHON): install Python $(PYTHON_MIN) to $(PYTHON_MAX), or name one: make PYTHON=python3.12" >&2; exit 2; \
	elif [ $$status -ne 0 ]; then \
	  echo "make: $(PYTHON) is Python $$found; ownscim-infra supports Python $(PYTHON_MIN) to $(PYTHON_MAX): install one, or name it: make PYTHON=python3.12" >&2; exit 2; \
	fi; \
	if [ -e $(VENV) ] && [ "$$($(PY) -c '$(VERSION_CHECK)' 2>/dev/null)" != "$$found" ]; then \
	  echo "make: $(VENV) is not a working Python $$found venv (a failed install, or another Python): making it again"; \
	  rm -rf $(VENV); \
	fi
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

## demo: the offline plan of config/example.yaml (with its directory), then the end-to-end simulation (no credentials needed)
demo: $(STAMP)
	$(PY) -m ownscim_infra plan config/example.yaml --directory config/example-directory.yaml
	@echo
	$(PY) -m ownscim_infra simulate config/example.yaml --directory config/example-directory.yaml

## test: the linters, then the whole test suite on every core (integration tests skip without an Okta org)
# worksteal: an idle worker takes tests queued for a busy one (a few tests take a minute each)
test: lint
	$(PY) -m pytest -n auto --dist worksteal

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
