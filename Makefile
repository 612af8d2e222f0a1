# `make demo` and `make test` each set up the environment from nothing first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup test test-fast demo record validate clean
ASSIGNMENTS := $(patsubst assignments/%/assignment.toml,%,$(wildcard assignments/*/assignment.toml))

setup: $(VENV)/.ready

$(VENV)/.ready: pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh $(VENV)
	touch $@

test: setup
	bash scripts/test_tools.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest -q
	$(MAKE) validate

# Every assignment ready to hand out (reference full marks, stub zero, variants caught, ...).
validate: setup
	for name in $(ASSIGNMENTS); do $(VENV)/bin/grader validate $$name || exit 1; done

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

demo: setup
	bash scripts/demo.sh $(VENV)

record: setup
	for name in $(ASSIGNMENTS); do $(VENV)/bin/grader record $$name || exit 1; done

clean:
	rm -rf $(VENV) demo-out .pytest_cache
