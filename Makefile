# Orbit: `make run` starts the platform locally; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STAGE ?= dev
PORT ?= 8000

.PHONY: run test unit lint typecheck layers check bench package clean localstack-test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { echo "Python 3.11 is required (found: $(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	PORT=$(PORT) $(BIN)/python -m chalicelib.local.runtime

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# import contracts in pyproject.toml ([tool.importlinter]): the layers' arrows point down only
layers: $(STAMP)
	$(BIN)/lint-imports --no-cache

check: lint typecheck layers

bench: $(STAMP)
	$(BIN)/python -m bench.ingest

# Journeys on a second interpreter (docs/workflows.md): LocalStack host-side in its own venv, never part of `make test`.
LOCALSTACK_VENV := .venv-localstack
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed

$(LOCALSTACK_STAMP): tests/localstack/requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null || { echo "Python 3.11 is required (found: $(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCALSTACK_VENV)/bin/pip install --quiet -r tests/localstack/requirements.txt
	touch $(LOCALSTACK_STAMP)

# starts LocalStack on 127.0.0.1:4566 (or uses one already there), runs `pytest -m localstack tests/localstack/`, stops it
localstack-test: $(STAMP) $(LOCALSTACK_STAMP)
	$(BIN)/python -m tests.localstack.run

# build/package-$(STAGE)/sam.json + deployment.zip: Chalice's template merged with infra/ (docs/deploy.md).
# chalice package only needs a region name to run; the template itself is region-neutral.
package: $(STAMP)
	$(BIN)/python -m infra.render --stage $(STAGE) --out build/merge-$(STAGE).json
	rm -rf build/package-$(STAGE)
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-$${AWS_REGION:-us-east-1}} \
		$(BIN)/chalice package --stage $(STAGE) --merge-template build/merge-$(STAGE).json build/package-$(STAGE)
	$(BIN)/cfn-lint build/package-$(STAGE)/sam.json

clean:
	rm -rf build $(VENV) $(LOCALSTACK_VENV)
