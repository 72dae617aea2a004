# The two commands a newcomer needs: `make demo` and `make test`. See README.md.
# Python 3.11 or newer: prefer an explicit python3.11 when the default python3 is older.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench chaos install clean-var

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11).")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo: the portal on embedded defaults (SQLite, file broker) with the sandbox emulators.
demo: $(STAMP)
	$(PY) scripts/demo.py

## make test: ruff, migrations check, then pytest (PostgreSQL and Redis when reachable, else embedded).
test: $(STAMP)
	bash scripts/test.sh

## make lint: ruff, the import-linter contracts (pyproject.toml) and mypy on integrations/ and the engine.
lint: $(STAMP)
	bash scripts/lint.sh

bench: $(STAMP)
	$(PY) bench/run.py

chaos: $(STAMP)
	bash scripts/test.sh tests/chaos -m chaos --chaos-full

clean-var:
	rm -rf var
