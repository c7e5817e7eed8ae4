# Commands for working on the template itself.
VENV ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: install test lint

install: $(VENV)/.installed

$(VENV)/.installed: tests/requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r tests/requirements.txt
	touch $@

test: install
	$(PYTHON) -m pytest

lint: install
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
