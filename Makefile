# consortium-backfill: `make demo` then `make test` is all the set-up there is.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?=
MODELS ?=
ARGS ?=
# The example: a logs.db written by the real llm 0.25 and llm-consortium 0.5.
EXAMPLE := tests/fixtures/llm0.25-c0.5/logs.db
EXAMPLE_MODELS := tests/fixtures/llm0.25-c0.5/consortium_models.txt
DEMO := build/demo

db_args = $(if $(DB),-d $(DB)) $(if $(MODELS),--models-file $(MODELS))

.PHONY: venv demo backfill verify migrate test bench fixtures browse clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

venv: $(VENV)/.installed

## Backfill and verify a copy of the bundled example database
demo: venv
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	cp $(EXAMPLE) $(DEMO)/logs.db
	$(PY) backfill.py backfill -d $(DEMO)/logs.db --models-file $(EXAMPLE_MODELS) \
		--backup-path $(DEMO)/logs.backup.db --report $(DEMO)/report.json
	$(PY) backfill.py verify -d $(DEMO)/logs.db --models-file $(EXAMPLE_MODELS)

## make backfill DB=path/to/logs.db [MODELS=consortium_models.txt] [ARGS="--dry-run"]
backfill: venv
	$(PY) backfill.py backfill $(db_args) $(ARGS)

## make verify DB=path/to/logs.db
verify: venv
	$(PY) backfill.py verify $(db_args) $(ARGS)

## make migrate DB=path/to/logs.db
migrate: venv
	$(PY) backfill.py migrate $(if $(DB),-d $(DB))

## make browse DB=path/to/logs.db: Datasette with canned queries over the runs
browse: venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-browse.txt
	mkdir -p build
	sed 's/^  logs:$$/  $(basename $(notdir $(DB))):/' datasette/metadata.yml > build/browse-metadata.yml
	$(PY) -m datasette $(DB) --metadata build/browse-metadata.yml $(ARGS)

## The whole test suite (what CI runs)
test: venv
	$(PY) -m pytest -q tests

## Benchmark against the scan floor and the plan as written
bench: venv
	$(PY) bench/run.py $(ARGS)

## Regenerate tests/fixtures with the real llm and llm-consortium releases
fixtures: venv
	$(PY) tests/realdata/generate.py $(ARGS)

clean:
	rm -rf build .pytest_cache
