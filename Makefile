# Two targets a new user needs (see README): `make demo` and `make test`.
# Everything is installed into .venv from the package registries; nothing else is assumed
# but Python 3.11 (and, for the browser test, Debian's chromium, installed by `make test` when missing).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test venv bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	$(BIN)/aggregator --data-dir .data/demo demo

test: venv
	bash scripts/ensure-browser.sh
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: venv
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .data build *.egg-info
