# consortium-backfill: `make demo` then `make test` is all the set-up there is.
# `make` alone lists the targets. Paths may hold spaces: make backfill DB="~/my logs/logs.db"
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
DB ?=
MODELS ?=
ID ?=
ARBITER ?=
ARGS ?=
# Test processes of `make mutate`.
JOBS ?= 1
# The example: a logs.db written by the real llm 0.25 and llm-consortium 0.5.
EXAMPLE := tests/fixtures/llm0.25-c0.5/logs.db
EXAMPLE_MODELS := tests/fixtures/llm0.25-c0.5/consortium_models.txt
DEMO := build/demo
# Without DB, every command uses llm's own logs.db.
db_arg = $(if $(DB),-d "$(DB)")
models_arg = $(if $(MODELS),--models-file "$(MODELS)")

.DEFAULT_GOAL := help
.PHONY: help venv demo backfill verify explain migrate undo accept browse test test-llm036 package-check bench fixtures mutate clean

## make help: this list
help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

# uv (pinned in requirements.txt) goes in first, with this Python's pip (its
# --python needs pip 22.3; an older one bootstraps pip into the venv instead);
# uv then installs the rest, in a third of pip's time.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(PY) install --quiet --disable-pip-version-check "$$(grep '^uv==' requirements.txt)" \
		|| ($(PY) -m ensurepip --default-pip && $(PY) -m pip install --quiet "$$(grep '^uv==' requirements.txt)")
	$(UV) pip install --quiet --python $(PY) -r requirements.txt
	touch $@

## make venv: the virtualenv in .venv, from requirements.txt (every other target makes it)
venv: $(VENV)/.installed

## make demo: backfill and verify a copy of the bundled example database in build/demo/
demo: venv
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	cp $(EXAMPLE) $(DEMO)/logs.db
	$(PY) backfill.py backfill -d $(DEMO)/logs.db --models-file $(EXAMPLE_MODELS) \
		--backup-path $(DEMO)/logs.backup.db --report $(DEMO)/report.json
	$(PY) backfill.py verify -d $(DEMO)/logs.db --models-file $(EXAMPLE_MODELS)

## make backfill [DB=logs.db] [MODELS=consortium_models.txt] [ARGS=--dry-run]: group the runs
backfill: venv
	$(PY) backfill.py backfill $(db_arg) $(models_arg) $(ARGS)

## make verify [DB=logs.db] [MODELS=...]: check every grouped run, exit 1 on a violation
verify: venv
	$(PY) backfill.py verify $(db_arg) $(models_arg) $(ARGS)

## make explain ID=row-id [DB=logs.db] [MODELS=...]: why a row is in its run, or in none
explain: venv
	$(if $(ID),,$(error ID is missing: make explain ID=<a responses id> [DB=logs.db]))
	$(PY) backfill.py explain "$(ID)" $(db_arg) $(models_arg) $(ARGS)

## make migrate [DB=logs.db]: add the columns and tables alone
migrate: venv
	$(PY) backfill.py migrate $(db_arg)

## make undo [DB=logs.db] [ID=3]: revert the latest backfill (or backfill ID); rows logged since are kept
undo: venv
	$(PY) backfill.py undo $(if $(ID),"$(ID)") $(db_arg)

## make accept ID=output-row-id [ARBITER=row-id] [DB=logs.db] [MODELS=...]: group a run skipped for review
accept: venv
	$(if $(ID),,$(error ID is missing: make accept ID=<the output row id of a skipped run> [DB=logs.db]))
	$(PY) backfill.py accept "$(ID)" $(if $(ARBITER),--arbiter "$(ARBITER)") $(db_arg) $(models_arg)

## make browse [DB=logs.db] [ARGS="--port 8002"]: Datasette, every run and row a link
browse: venv
	$(PY) backfill.py browse $(db_arg) $(ARGS)

## make test: the whole test suite (what CI runs): pytest, llm 0.36 on a backfilled file, and the package check
# The package check waits mostly on downloads, pytest on the CPU: they run side
# by side, the check started first (it needs no .venv), pytest in one process per
# core, each given its next test when it is free (the longest go first: conftest.py).
test:
	@mkdir -p build
	@.ci/package-check > build/package-check.log 2>&1 & check=$$!; \
	$(MAKE) --no-print-directory venv && \
	CONSORTIUM_BACKFILL_LLM036=1 $(PY) -m pytest -q -n auto --maxschedchunk 1 tests; status=$$?; \
	if wait $$check; then grep '^package-check' build/package-check.log; \
	else cat build/package-check.log; echo "package-check failed"; status=1; fi; \
	exit $$status

## make test-llm036: only today's llm 0.36 on a backfilled file (builds its venv once, ~50 s)
test-llm036: venv
	CONSORTIUM_BACKFILL_LLM036=1 $(PY) -m pytest -q tests/test_consortium_logs.py -k llm_036

## make package-check: pip install . and llm install . in fresh venvs, each command run on the example
package-check:
	.ci/package-check

## make bench [ARGS=--no-yardstick]: parsing hostile texts, then the scan floor and the plan as written
bench: venv
	$(PY) bench/parse.py
	$(PY) bench/run.py $(ARGS)

## make fixtures: regenerate tests/fixtures with the real llm and llm-consortium releases
fixtures: venv
	$(PY) tests/realdata/generate.py $(ARGS)

## make mutate [SAMPLE=200] [JOBS=2] [ARGS='"consortium_backfill.explain*"']: mutation testing, slow, not in CI (README)
mutate: venv
	$(UV) pip install --quiet --python $(PY) -r requirements-mutate.txt
	mkdir -p build
ifdef SAMPLE
	nice -n 19 $(PY) tests/mutation/sample.py $(SAMPLE) --jobs $(JOBS) > build/mutmut.log 2>&1 \
		|| (tail -c 2000 build/mutmut.log; exit 1)
	$(PY) tests/mutation/score.py --sample $(SAMPLE)
else
	nice -n 19 $(VENV)/bin/mutmut run --max-children $(JOBS) $(ARGS) > build/mutmut.log 2>&1 \
		|| (tail -c 2000 build/mutmut.log; exit 1)
	$(PY) tests/mutation/score.py
endif
	nice -n 19 $(PY) tests/mutation/hand.py

## make clean: remove build/, mutants/ and caches (keeps .venv)
clean:
	rm -rf build .pytest_cache mutants
