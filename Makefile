# Build and test entry points for cloudcomms.virtual_appointments.
# Everything runs from the repository root with the tools installed in .venv;
# nothing depends on variables from the caller's shell (override on the command
# line instead, e.g. `make sanity SANITY_ARGS="--test pep8"`).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules --warn-undefined-variables

NAMESPACE := cloudcomms
NAME := virtual_appointments

# The interpreter that creates .venv. Python 3.11 carries ansible-core <= 2.19.
PYTHON := python3
VENV := .venv
VPY := $(VENV)/bin/python
VBIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.stamp
REQUIREMENT_FILES := requirements.txt requirements-dev.txt requirements-dev.lock

# The second sanity leg of `make test` (and 2.21 of `make test-matrix`): ansible-core 2.21 needs Python 3.12 (pyenv's newest 3.12 if there is
# one, else python3.12 on PATH); its venv holds only the exact pins of requirements-sanity-2.21.txt.
PYTHON_2_21 := $(or $(lastword $(sort $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12))),python3.12)
VENV_2_21 := .venv-2.21
# `make test-matrix`: ansible-test sanity and the integration smoke (tests/matrix/smoke.py) on every ansible-core
# release that meta/runtime.yml's requires_ansible admits, each on a Python it supports as a controller: 2.16 to 2.19
# on Python 3.11 (PYTHON; 2.16 and 2.17 stop at 3.12, 2.20 starts at 3.12), 2.20 on 3.13 and 2.21 on 3.12, so that
# both Pythons of the newest releases are covered. 2.19 is .venv (requirements-dev.txt + lock) and 2.21 is .venv-2.21;
# each other release R has .venv-R, holding only the exact pins of requirements-sanity-R.txt (ansible-core and the
# collection's runtime requirements, which the smoke's modules and the batch's in-process action plugin import).
MATRIX_RELEASES := 2.16 2.17 2.18 2.19 2.20 2.21
MATRIX_VENVS := .venv-2.16 .venv-2.17 .venv-2.18 .venv-2.20
PYTHON_3_13 := $(or $(lastword $(sort $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13))),python3.13)
MATRIX_PYTHON_2.16 := $(PYTHON)
MATRIX_PYTHON_2.17 := $(PYTHON)
MATRIX_PYTHON_2.18 := $(PYTHON)
MATRIX_PYTHON_2.20 := $(PYTHON_3_13)
MATRIX_VENV_2.16 := .venv-2.16
MATRIX_VENV_2.17 := .venv-2.17
MATRIX_VENV_2.18 := .venv-2.18
MATRIX_VENV_2.19 := $(VENV)
MATRIX_VENV_2.20 := .venv-2.20
MATRIX_VENV_2.21 := $(VENV_2_21)
# antsibull-docs (the docs lint of `make lint`) cannot share .venv: see requirements-docs.txt.
VENV_DOCS := .venv-docs
# galaxy-importer brings its own ansible-core and ansible-lint: a venv of its own (requirements-importer.txt).
VENV_IMPORTER := .venv-importer
# The venv whose ansible-test `make sanity` runs (make sanity SANITY_VENV=.venv-2.21, or make sanity-2.21).
SANITY_VENV := $(VENV)

SANITY_ARGS :=
PYTEST_ARGS :=
LINT_ARGS :=
BENCH_ARGS :=
CHAOS_ARGS :=
BOOKINGS_CHAOS_ARGS :=
SMOKE_ARGS :=

# Tool environment: our .venv first on PATH (ansible-test, ansible-lint and
# shellcheck come from it), no colour codes in logs, no user config leaking in.
export PATH := $(VBIN):$(PATH)
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
unexport ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS PYTHONPATH VIRTUAL_ENV

.DEFAULT_GOAL := help
.PHONY: help venv lock sanity sanity-2.21 test-matrix units emulator-tests integration lint test demo demo-installed changelog bench bench-emulator chaos build clean

help:
	@echo 'make venv            create/refresh .venv from requirements-dev.txt + requirements-dev.lock'
	@echo 'make demo            run the end-to-end demo against the embedded Graph emulator'
	@echo 'make demo-installed  the demo from the built tarball installed into an empty collections path'
	@echo 'make test            venv, sanity, sanity-2.21, units, emulator-tests, integration, lint (stops at the first failure)'
	@echo 'make sanity          ansible-test sanity on a staged copy      (SANITY_ARGS=...)'
	@echo 'make sanity-2.21     the same on ansible-core 2.21 / Python 3.12 (.venv-2.21)'
	@echo 'make test-matrix     sanity and an integration smoke on each ansible-core release: 2.16 to 2.21 (SMOKE_ARGS=...)'
	@echo 'make units           pytest tests/unit                         (PYTEST_ARGS=...)'
	@echo 'make emulator-tests  pytest tests/emulator: the emulator'"'"'s own contract tests (PYTEST_ARGS=...)'
	@echo 'make integration     pytest tests/integration                  (PYTEST_ARGS=...)'
	@echo 'make lint            ansible-lint (offline), antsibull-changelog lint, antsibull-docs lint (.venv-docs)'
	@echo 'make bench           benchmark the collection and its Bookings batch against the emulator (--quick: BENCH_ARGS=--quick)'
	@echo 'make bench-emulator  benchmark the Graph emulator'
	@echo 'make chaos           500 appointments (role) and 1,000 Bookings appointments under injected faults; exact state, re-run writes nothing'
	@echo 'make build           ansible-galaxy collection build into build/'
	@echo 'make changelog       regenerate CHANGELOG.rst from changelogs/ (make lint checks it is current)'
	@echo 'make lock            re-freeze requirements-dev.lock from requirements-dev.txt'
	@echo 'make clean           remove .venv, build outputs, caches, staged copies'

# ---------------------------------------------------------------- environment

venv: $(STAMP)

# Re-run only when a requirement file changes. An existing .venv is refreshed in
# place; `make clean venv` rebuilds it from scratch.
$(STAMP): $(REQUIREMENT_FILES)
	test -x $(VPY) || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(VPY) -m pip install --quiet --disable-pip-version-check \
	  -r requirements-dev.txt -c requirements-dev.lock
	$(VPY) -m pip check
	touch $@

# The ansible-core 2.21 / Python 3.12 venv of `make sanity-2.21`: exact pins, nothing else.
$(VENV_2_21)/.stamp: requirements-sanity-2.21.txt
	test -x $(VENV_2_21)/bin/python || { rm -rf $(VENV_2_21); $(PYTHON_2_21) -m venv $(VENV_2_21); }
	$(VENV_2_21)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-sanity-2.21.txt
	$(VENV_2_21)/bin/python -m pip check
	touch $@

# The venvs of the other releases of `make test-matrix`: exact pins, nothing else.
$(MATRIX_VENVS:%=%/.stamp): .venv-%/.stamp: requirements-sanity-%.txt
	test -x .venv-$*/bin/python || { rm -rf .venv-$*; $(MATRIX_PYTHON_$*) -m venv .venv-$*; }
	.venv-$*/bin/python -m pip install --quiet --disable-pip-version-check -r $<
	.venv-$*/bin/python -m pip check
	touch $@

# The smoke's modules and the batch's in-process action plugin need the collection's runtime requirements in each
# release's venv. requirements-sanity-2.21.txt does not pin them, so the 2.21 leg of test-matrix adds them to .venv-2.21
# at the versions of requirements-dev.lock (requests, msal and their pure-Python dependencies; what 2.21 pins stays).
$(VENV_2_21)/.stamp-runtime: $(VENV_2_21)/.stamp requirements.txt requirements-dev.lock
	$(VENV_2_21)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements-dev.lock
	$(VENV_2_21)/bin/python -m pip check
	touch $@

# The venv of the docs lint (antsibull-docs and the ansible-core it runs): exact pins, nothing else.
$(VENV_DOCS)/.stamp: requirements-docs.txt
	test -x $(VENV_DOCS)/bin/python || { rm -rf $(VENV_DOCS); $(PYTHON) -m venv $(VENV_DOCS); }
	$(VENV_DOCS)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	$(VENV_DOCS)/bin/python -m pip check
	touch $@

# The venv of galaxy-importer (the import checks of Galaxy and Automation Hub), run by make lint: exact pins.
$(VENV_IMPORTER)/.stamp: requirements-importer.txt
	test -x $(VENV_IMPORTER)/bin/python || { rm -rf $(VENV_IMPORTER); $(PYTHON) -m venv $(VENV_IMPORTER); }
	$(VENV_IMPORTER)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-importer.txt
	touch $@

# Re-resolve requirements-dev.txt in a throw-away venv and freeze the result.
lock:
	tmp=$$(mktemp -d)
	trap 'rm -rf "$$tmp"' EXIT
	$(PYTHON) -m venv "$$tmp/venv"
	"$$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	{ echo "# Frozen by 'make lock' with $$("$$tmp/venv/bin/python" -V) from requirements-dev.txt; used as a constraints file."
	  "$$tmp/venv/bin/python" -m pip freeze --exclude-editable; } > requirements-dev.lock
	echo "requirements-dev.lock: $$(grep -c '==' requirements-dev.lock) pins"

# ---------------------------------------------------------------- checks

# ansible-test needs the collection at .../ansible_collections/<ns>/<name>; it is
# staged (tracked + untracked-but-not-ignored files) into a temp dir that is
# removed afterwards. ansible-test bootstraps pip into each sanity venv with a
# script it downloads from a host unreachable here; tools/get_pip_standin.py is
# put at the cache path it looks at first (never over a genuine download).
# --local: the controller side runs from $(SANITY_VENV) (.venv, or .venv-2.21 for
# the 2.21 leg), whose python and ansible-test are used; each sanity test still gets
# its own cached venv under ~/.ansible/test/venv. (--venv would rebuild a controller
# venv inside the staged copy on every run.) .venv stays on PATH for shellcheck.
sanity: $(STAMP) $(SANITY_VENV)/.stamp
	sanity_bin="$(CURDIR)/$(SANITY_VENV)/bin"
	stage=$$(mktemp -d "$${TMPDIR:-/tmp}/$(NAMESPACE)-$(NAME)-sanity.XXXXXX")
	trap 'rm -rf "$$stage"' EXIT
	dest="$$stage/ansible_collections/$(NAMESPACE)/$(NAME)"
	tools/stage_collection.sh "$$dest"
	pyver=$$("$$sanity_bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	pip_version=$$("$$sanity_bin/python" tools/ansible_test_pip_version.py "$$pyver")
	cache="$$HOME/.ansible/test/cache/get_pip_$${pip_version//./_}.py"
	mkdir -p "$$(dirname "$$cache")"
	if [[ ! -e "$$cache" ]] || grep -q 'Offline stand-in for the get-pip' "$$cache"; then
	  cp tools/get_pip_standin.py "$$cache"
	fi
	cd "$$dest"
	PATH="$$sanity_bin:$$PATH" ansible-test sanity --local --python "$$pyver" --color no $(SANITY_ARGS)

sanity-2.21:
	$(MAKE) --no-print-directory sanity SANITY_VENV=$(VENV_2_21)

# Sanity and the integration smoke (tests/matrix/smoke.py: the module_defaults target, the role's provision and no-op
# re-run, the batch's in-process path, with that release's ansible-playbook against the emulator) on each release of
# MATRIX_RELEASES, one after the other. Every leg runs whatever the others gave; a summary follows, and make fails if
# any leg did. Some only: make test-matrix MATRIX_RELEASES="2.16 2.21"; SANITY_ARGS and SMOKE_ARGS (pytest's) apply.
test-matrix: $(STAMP) $(foreach r,$(MATRIX_RELEASES),$(if $(filter-out undefined,$(origin MATRIX_VENV_$(r))),\
  $(MATRIX_VENV_$(r))/.stamp,$(error test-matrix: no venv for ansible-core $(r): MATRIX_RELEASES is a subset of 2.16 2.17 2.18 2.19 2.20 2.21))) \
  $(if $(filter 2.21,$(MATRIX_RELEASES)),$(VENV_2_21)/.stamp-runtime)
	summary=()
	failed=0
	for leg in $(foreach r,$(MATRIX_RELEASES),$(r)=$(MATRIX_VENV_$(r))); do
	  release=$${leg%%=*} venv=$${leg#*=}
	  name="ansible-core $$release ($$venv, $$("$$venv/bin/python" -c 'import sys; print("Python %d.%d" % sys.version_info[:2])'))"
	  line="$$name:"
	  for stage in sanity smoke; do
	    echo "==> $$name: $$stage"
	    start=$$SECONDS
	    if [[ $$stage == sanity ]]; then
	      $(MAKE) --no-print-directory sanity SANITY_VENV="$$venv" && status=ok || status=FAILED
	    else
	      $(VPY) -m tests.matrix.smoke --venv "$$venv" --release "$$release" $(SMOKE_ARGS) && status=ok || status=FAILED
	    fi
	    [[ $$status == ok ]] || failed=1
	    took="$$stage $$status in $$((SECONDS - start)) s"
	    echo "==> $$name: $$took"
	    line+=" $$took,"
	  done
	  summary+=("$${line%,}")
	done
	echo "==> make test-matrix:"
	printf '    %s\n' "$${summary[@]}"
	exit $$failed

units: $(STAMP)
	$(VPY) -m pytest tests/unit $(PYTEST_ARGS)

# The emulator's own contract tests: what tests/graph_emulator promises, without the collection.
emulator-tests: $(STAMP)
	$(VPY) -m pytest tests/emulator $(PYTEST_ARGS)

integration: $(STAMP)
	$(VPY) -m pytest tests/integration $(PYTEST_ARGS)

# The docs lint checks docs/docsite (links.yml, extra-docs.yml, the guides with rstcheck) and, with --plugin-docs,
# every plugin's and role's documentation markup; it runs the ansible-core of .venv-docs.
lint: $(STAMP) $(VENV_DOCS)/.stamp $(VENV_IMPORTER)/.stamp
	ansible-lint --offline $(LINT_ARGS)
	antsibull-changelog lint
	tools/changelog.sh --check
	PATH="$(CURDIR)/$(VENV_DOCS)/bin:$$PATH" antsibull-docs lint-collection-docs --plugin-docs .
	# galaxy-importer on the built tarball, as Galaxy and Automation Hub import it; it exits non-zero on an error
	# (its flake8 and ansible-lint findings are warnings there, and shown here).
	out=$$(mktemp -d)
	trap 'rm -rf "$$out"' EXIT
	ansible-galaxy collection build --output-path "$$out" . >/dev/null
	# (in the temp dir: it writes importer_result.json where it runs)
	(cd "$$out" && GALAXY_IMPORTER_CONFIG=$(CURDIR)/tools/galaxy-importer.cfg PATH="$(CURDIR)/$(VENV_IMPORTER)/bin:$$PATH" \
	  $(CURDIR)/$(VENV_IMPORTER)/bin/python -m galaxy_importer.main "$$out"/*.tar.gz > "$$out/importer.log" 2>&1) \
	  || { cat "$$out/importer.log"; echo "galaxy-importer: the import failed"; exit 1; }
	echo "galaxy-importer: import OK, no errors ($$(grep -c '^WARNING' "$$out/importer.log" || true) warnings)"

# Each stage in its own sub-make, in order, so that `make -j` can't reorder them;
# the first failure stops the rest (set -e) and make exits non-zero.
test:
	for stage in venv sanity sanity-2.21 units emulator-tests integration lint; do
	  start=$$SECONDS
	  $(MAKE) --no-print-directory "$$stage"
	  echo "==> make $$stage: ok in $$((SECONDS - start)) s"
	done

# ---------------------------------------------------------------- tools

# CHANGELOG.rst from changelogs/ (the unreleased fragments as the release of galaxy.yml's version; changelog.yaml
# and the fragments stay as they are, see tools/changelog.sh). `make lint` checks that it is current.
changelog: $(STAMP)
	tools/changelog.sh

demo: $(STAMP)
	$(VPY) tools/demo.py

# The demo from the built collection, as users get it: build the tarball, install it into an empty directory and
# run the demo with only that copy on the collections path (tests/integration/test_packaging.py does the same,
# smaller, and checks the result in the emulator's state).
demo-installed: $(STAMP)
	tmp=$$(mktemp -d "$${TMPDIR:-/tmp}/$(NAMESPACE)-$(NAME)-installed.XXXXXX")
	trap 'rm -rf "$$tmp"' EXIT
	ansible-galaxy collection build --output-path "$$tmp/build"
	tarball="$$tmp/build/$(NAMESPACE)-$(NAME)-$$(sed -n 's/^version: *//p' galaxy.yml).tar.gz"
	ANSIBLE_HOME="$$tmp/ansible-home" ANSIBLE_COLLECTIONS_PATH="$$tmp/collections" \
	  ansible-galaxy collection install --offline -p "$$tmp/collections" "$$tarball"
	$(VPY) tools/demo.py --collections-path "$$tmp/collections"

bench: $(STAMP)
	$(VPY) -m tests.bench.collection_bench $(BENCH_ARGS)
	$(VPY) -m tests.bench.bookings_bench $(BENCH_ARGS)

bench-emulator: $(STAMP)
	$(VPY) -m tests.bench.emulator_bench

# Writes tests/chaos/results/chaos.md; exits non-zero when the state differs or the re-run writes.
chaos: $(STAMP)
	$(VPY) -m tests.chaos.chaos_run --appointments 500 $(CHAOS_ARGS)
	$(VPY) -m tests.chaos.bookings_chaos --appointments 1000 $(BOOKINGS_CHAOS_ARGS)

build: $(STAMP)
	mkdir -p build
	ansible-galaxy collection build --force --output-path build

clean:
	rm -rf $(VENV) $(VENV_2_21) $(VENV_DOCS) $(VENV_IMPORTER) $(MATRIX_VENVS) build tests/output .pytest_cache .ansible .cache changelogs/.plugin-cache.yaml
	find . -path ./.git -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf "$${TMPDIR:-/tmp}"/$(NAMESPACE)-$(NAME)-sanity.*
