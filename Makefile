# The two commands a fresh clone needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_STATE := .provisioner/demo

.PHONY: install demo test lint bench conformance golden mutation readme clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Apply dev against the embedded emulator from empty, then plan again: "No changes".
demo: $(STAMP)
	rm -rf $(DEMO_STATE)
	$(PY) -m provisioner validate
	$(PY) -m provisioner apply --env dev --local --state-dir $(DEMO_STATE) --auto-approve
	$(PY) -m provisioner plan --env dev --local --state-dir $(DEMO_STATE) --detailed-exitcode

# Lint, then the architecture (import-linter's contracts and mypy --strict, both configured in
# pyproject.toml), then the tests.
test: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	$(PY) -m pytest -n 2

# Benchmarks against the emulator: prints a table of ratios, writes bench/results.json.
bench: $(STAMP)
	$(PY) -m bench

# Replays real Google Cloud traffic against the emulator: prints the table per kind, writes
# conformance/results.json and results.md, fails when a kind falls below its floor.
conformance: $(STAMP)
	$(PY) -m conformance

# Rewrite tests/golden/<kind>/<phase>/_http.log from what the provisioner sends now; review with git diff.
golden: $(STAMP)
	$(PY) -m tests.golden.record

# Run the README's marked examples against the embedded emulator and rewrite their outputs.
readme: $(STAMP)
	$(PY) -m tests.readme_outputs --write

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check provisioner reconcilers

clean:
	rm -rf $(VENV) .provisioner .pytest_cache .ruff_cache .mypy_cache .import_linter_cache .grimp_cache mutants

# Mutation testing of the engine modules that decide what changes (minutes; not part of `make test`):
# prints a score per module and the surviving mutants, writes tests/mutation/results.md.
mutation: $(STAMP)
	$(PY) -m tests.mutation
