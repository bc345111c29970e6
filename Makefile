# One command for the main job, one for the tests (README).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installed (editable) with the test extras; redone when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench,postgres]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/oversight demo

# Lint and types: ruff (lint and format) everywhere; mypy on the whole package, --strict on the
# rule core.
STRICT = src/nhs_oversight/periods.py src/nhs_oversight/rulebooks src/nhs_oversight/rules src/nhs_oversight/stats

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src/nhs_oversight
	$(BIN)/mypy --strict $(STRICT)

test: lint
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/chance.py
	$(BIN)/python bench/objectives.py --copies 100 --repeat 1
	$(BIN)/python bench/stats.py
	$(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
