# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck check bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev-installed: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(VENV)/.installed $@

run: $(VENV)/.installed
	SAFEHARBOR_ENV=$${SAFEHARBOR_ENV:-development} $(BIN)/safeharbor setup
	SAFEHARBOR_ENV=$${SAFEHARBOR_ENV:-development} $(BIN)/safeharbor createadmin --if-none
	SAFEHARBOR_ENV=$${SAFEHARBOR_ENV:-development} $(BIN)/safeharbor run

# The whole suite. PYTEST_ARGS passes extra options, e.g. make test PYTEST_ARGS="-k audit".
test: $(VENV)/.dev-installed
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	SAFEHARBOR_ENV=test $(BIN)/mypy safeharbor bench

bench: $(VENV)/.dev-installed
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.password_strength --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.pwned_index --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.range_api --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.interventions --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.helpline_api --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.vdp_duplicates --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.report_intake --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.queue_claim --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.pdq_index --full
	SAFEHARBOR_ENV=test $(BIN)/python -m bench.pdq_hashing --full

clean:
	rm -rf $(VENV) var artifacts
