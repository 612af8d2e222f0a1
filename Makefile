# `make demo` and `make test` each set up the environment from nothing first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup test test-fast demo record clean

setup: $(VENV)/.ready

$(VENV)/.ready: pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh $(VENV)
	touch $@

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

demo: setup
	bash scripts/demo.sh $(VENV)

record: setup
	$(VENV)/bin/grader record second_order
	$(VENV)/bin/grader record maml

clean:
	rm -rf $(VENV) demo-out .pytest_cache
