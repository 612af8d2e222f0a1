# `make demo` and `make test` each set up the environment from nothing first.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup lint format test test-fast demo record validate clean
ASSIGNMENTS := $(patsubst assignments/%/assignment.toml,%,$(wildcard assignments/*/assignment.toml))

setup: $(VENV)/.ready

$(VENV)/.ready: pyproject.toml scripts/bootstrap.sh
	bash scripts/bootstrap.sh $(VENV)
	touch $@

# The formatter, the linter and strict types: the same three as CI and .pre-commit-config.yaml.
lint: setup
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Sort imports and format, as lint expects.
format: setup
	$(VENV)/bin/ruff check --select I --fix .
	$(VENV)/bin/ruff format .

test: setup
	$(MAKE) lint
	bash scripts/test_tools.sh
	$(PY) -m pytest -q -n auto --dist loadgroup
	$(MAKE) validate

# Every assignment ready to hand out (reference full marks, stub zero, variants caught, ...),
# and the bundled class course's (its learning test bounds a ratio to the reference: no draws).
validate: setup
	for name in $(ASSIGNMENTS); do $(VENV)/bin/grader validate $$name || exit 1; done
	$(VENV)/bin/grader validate fomaml --course examples/fomaml_course --draws 0

test-fast: setup
	$(PY) -m pytest -q -n auto --dist loadgroup -m "not slow and not browser and not kernel"

demo: setup
	bash scripts/demo.sh $(VENV)

record: setup
	for name in $(ASSIGNMENTS); do $(VENV)/bin/grader record $$name || exit 1; done

clean:
	rm -rf $(VENV) demo-out .pytest_cache
