# One command for the main job, one for the tests (README).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test install bench clean

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

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/chance.py
	$(BIN)/python bench/objectives.py --copies 100 --repeat 1

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
