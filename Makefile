# covsplit: thin wiring over nox. `make coverage-all` and `make test` are all a newcomer types.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
TOOLS := .tools
NOX := $(TOOLS)/bin/nox
# The standard-library commands (pending, jobs, verdict) run on the caller's Python: no virtualenv needed.
COVSPLIT := PYTHONPATH=scripts $(PYTHON) -m covsplit
CONFIG ?= workers.toml
export COVSPLIT_CONFIG := $(abspath $(CONFIG))
# How many workers run at once: all, unless the peak memory of earlier runs says fewer (JOBS=N to cap it).
JOBS ?=
NOXFLAGS ?=

.PHONY: help coverage-all coverage-seq aggregate report init plan check diagnose matrix test lint bench clean

help:
	@echo "make coverage-all   run the workers whose data cannot be reused, in parallel, then aggregate and report (RETRY=1: failed ones too; FULL=1: all; SEED=n: the shuffle's seed)"
	@echo "make coverage-seq   the same, one worker after the other"
	@echo "make workerN        one worker ($$($(COVSPLIT) workers | tr '\n' ' '))"
	@echo "make init ROOT=path/to/repo [WORKERS=5]   a workers.toml for your repository, planned"
	@echo "make diagnose [ARGS=--apply]   which failed tests fail serially too, which the split causes (and the fix)"
	@echo "make aggregate | report | plan | check | test | lint | bench | clean"

# Pinned nox and uv in a local virtualenv: nothing else needs to be installed by hand.
$(NOX): scripts/requirements/bootstrap.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check -r scripts/requirements/bootstrap.txt
	@touch $(NOX)

# Only the workers whose data cannot be reused run (stale, crashed, never run, another config's; RETRY=1: the
# failed ones too; FULL=1: every worker), with nox's own parallel runner; a failed worker stops neither the others nor the
# aggregate and report that show it (they run after, not requires=). The aggregate writes the report in its
# own process (`-- --report`); when nothing it reads changed, the verdict it had is printed instead.
# Status 2 from nox: workers.toml is wrong and nothing ran, stop.  One seed per run for suites whose plugins
# shuffle the tests (covsplit.shuffle): SEED=n repeats a run's order, and reruns the workers that used another.
coverage-all: $(NOX)
	@status=0; export COVSPLIT_RUN_STARTED=$$(date -u +%Y-%m-%dT%H:%M:%S+00:00); \
	$(if $(SEED),export COVSPLIT_SEED='$(SEED)';) $(if $(FULL),export COVSPLIT_FULL=1;) $(if $(RETRY),export COVSPLIT_RETRY=1;) \
	export COVSPLIT_RUN_SEED=$${COVSPLIT_SEED:-$$(( $$(od -An -N4 -tu4 /dev/urandom) % 999999 + 1 ))}; \
	workers=$$($(COVSPLIT) pending $(if $(FULL),--full) $(if $(RETRY),--retry)) || exit $$?; \
	if [ -n "$$workers" ]; then \
	  jobs=$(if $(JOBS),$(JOBS),$$($(COVSPLIT) jobs $$workers 2>/dev/null || echo 1)); \
	  COVSPLIT_DEFER_REPORTS=1 COVSPLIT_JOBS=$$jobs $(NOX) $(NOXFLAGS) -j $$jobs -s $$workers || status=$$?; \
	  if [ $$status -eq 2 ]; then exit 2; fi; \
	  if [ $$status -ne 0 ] && [ -n "$$($(COVSPLIT) diagnose --due 2>/dev/null)" ]; then \
	    $(NOX) $(NOXFLAGS) -s diagnose -- --auto || true; \
	  fi; \
	fi; \
	if [ -n "$$workers" ] || [ -n "$$($(COVSPLIT) pending --aggregate)" ]; then \
	  $(NOX) $(NOXFLAGS) -s aggregate -- --report || status=1; \
	else $(COVSPLIT) verdict --strict || status=1; fi; \
	exit $$status

coverage-seq: $(NOX)
	@$(MAKE) --no-print-directory coverage-all JOBS=1

# One worker alone: `make worker2` (a worker named otherwise: `nox -s NAME`).
worker%: $(NOX)
	$(NOX) $(NOXFLAGS) -s $@

aggregate report: $(NOX)
	$(NOX) $(NOXFLAGS) -s $@

# make init ROOT=path/to/repo [WORKERS=5] [CONFIG=where/workers.toml] [ARGS=--force]: a workers.toml read from
# the repository's own settings (default: splits/<repo>/workers.toml), then planned.  The noxfile loads the
# bundled workers.toml: CONFIG names the file init writes, which does not exist yet.
init: $(NOX)
	COVSPLIT_CONFIG="$(CURDIR)/workers.toml" $(NOX) $(NOXFLAGS) -s init -- --root "$(abspath $(ROOT))" $(if $(WORKERS),--workers $(WORKERS)) \
	  $(if $(filter command line environment,$(origin CONFIG)),--config "$(COVSPLIT_CONFIG)") $(ARGS)

# Failed tests: do they fail in a serial run too, and if not, which tests do they need (ARGS=--apply: keep those
# together in workers.toml and plan again). make coverage-all does it by itself within project.diagnose_budget.
diagnose: $(NOX)
	$(NOX) $(NOXFLAGS) -s diagnose -- $(ARGS)

# make plan ARGS="--workers 5 --by duration --dry-run"
plan check: $(NOX)
	$(NOX) $(NOXFLAGS) -s $@ -- $(ARGS)

# The workers as a CI matrix, for CI systems other than GitHub Actions (see README).
matrix:
	@$(COVSPLIT) matrix

test: $(NOX)
	$(NOX) $(NOXFLAGS) -s tests -- $(ARGS)

lint: $(NOX)
	$(NOX) $(NOXFLAGS) -s lint

bench: $(NOX)
	$(NOX) $(NOXFLAGS) -s bench -- $(ARGS)

# The outputs of the config in use (CONFIG=...: beside that workers.toml), and every virtualenv.
OUTPUTS := $(dir $(COVSPLIT_CONFIG))
clean:
	rm -rf .nox $(OUTPUTS)htmlcov
	if [ -d $(OUTPUTS)coverage_output ]; then find $(OUTPUTS)coverage_output -mindepth 1 ! -name .gitkeep -exec rm -rf {} +; fi
