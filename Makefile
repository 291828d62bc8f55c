# The two set-up-and-go commands of the README.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test setup setup-dev lint

setup:
	bash scripts/setup-env.sh

setup-dev:
	bash scripts/setup-env.sh dev,ray,erase

## demo: set everything up and run the main job
demo: setup
	$(PY) -m mibias quickstart --out runs/quickstart

## test: set everything up, lint, check formatting and run the test suite (two pytest-xdist
## workers of one thread each: tests/conftest.py)
test: setup-dev lint
	$(PY) -m pytest -q -n 2

lint:
	$(VENV)/bin/ruff check src tests benchmarks scripts
	$(VENV)/bin/ruff format --check src tests benchmarks scripts
