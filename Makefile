# Neural Canvas: `make run` opens the app, `make test` runs the checks. Both set everything up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PyTorch (a CPU build, pinned) for the benchmarks and the tests that compare against it.
TORCH_STAMP := $(VENV)/.installed-torch

.PHONY: run test lint bench screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,export,3d]'
	touch $(STAMP)

$(TORCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(TORCH_STAMP)

run: $(STAMP)
	$(BIN)/python main.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# then the wheel as a user installs it, in a fresh venv, run from another folder (.ci/wheel_check)
test: lint $(TORCH_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q
	PYTHON=$(PYTHON) BUILDER=$(CURDIR)/$(BIN)/python bash .ci/wheel_check

bench: $(TORCH_STAMP)
	$(BIN)/python benchmarks/engine.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/canvas.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/live.py

# the README's pictures (resources/*.png), retaken at 1280×800 on the tests' offscreen screen
screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen:configfile=tests/offscreen_screens.json $(BIN)/python .ci/readme_shots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
