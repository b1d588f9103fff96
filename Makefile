# The two commands a fresh clone needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_STATE := .provisioner/demo

.PHONY: install demo test lint bench conformance clean

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

test: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2

# Benchmarks against the emulator: prints a table of ratios, writes bench/results.json.
bench: $(STAMP)
	$(PY) -m bench

# Replays real Google Cloud traffic against the emulator: prints the table per kind, writes
# conformance/results.json and results.md, fails when a kind falls below its floor.
conformance: $(STAMP)
	$(PY) -m conformance

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check provisioner reconcilers

clean:
	rm -rf $(VENV) .provisioner .pytest_cache .ruff_cache
