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

SANITY_ARGS :=
PYTEST_ARGS :=
LINT_ARGS :=
BENCH_ARGS :=

# Tool environment: our .venv first on PATH (ansible-test, ansible-lint and
# shellcheck come from it), no colour codes in logs, no user config leaking in.
export PATH := $(VBIN):$(PATH)
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1
unexport ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS PYTHONPATH VIRTUAL_ENV

.DEFAULT_GOAL := help
.PHONY: help venv lock sanity units integration lint test demo bench bench-emulator build clean

help:
	@echo 'make venv            create/refresh .venv from requirements-dev.txt + requirements-dev.lock'
	@echo 'make demo            run the end-to-end demo against the embedded Graph emulator'
	@echo 'make test            venv, sanity, units, integration, lint (stops at the first failure)'
	@echo 'make sanity          ansible-test sanity on a staged copy      (SANITY_ARGS=...)'
	@echo 'make units           pytest tests/unit                         (PYTEST_ARGS=...)'
	@echo 'make integration     pytest tests/integration                  (PYTEST_ARGS=...)'
	@echo 'make lint            ansible-lint (offline) and antsibull-changelog lint'
	@echo 'make bench           benchmark the collection against the emulator (--quick: BENCH_ARGS=--quick)'
	@echo 'make bench-emulator  benchmark the Graph emulator'
	@echo 'make build           ansible-galaxy collection build into build/'
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
# --local: the controller side runs from .venv (which pins the same ansible-core);
# each sanity test still gets its own cached venv under ~/.ansible/test/venv.
# (--venv would rebuild a controller venv inside the staged copy on every run.)
sanity: $(STAMP)
	stage=$$(mktemp -d "$${TMPDIR:-/tmp}/$(NAMESPACE)-$(NAME)-sanity.XXXXXX")
	trap 'rm -rf "$$stage"' EXIT
	dest="$$stage/ansible_collections/$(NAMESPACE)/$(NAME)"
	tools/stage_collection.sh "$$dest"
	pyver=$$($(VPY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
	pip_version=$$($(VPY) tools/ansible_test_pip_version.py "$$pyver")
	cache="$$HOME/.ansible/test/cache/get_pip_$${pip_version//./_}.py"
	mkdir -p "$$(dirname "$$cache")"
	if [[ ! -e "$$cache" ]] || grep -q 'Offline stand-in for the get-pip' "$$cache"; then
	  cp tools/get_pip_standin.py "$$cache"
	fi
	cd "$$dest"
	ansible-test sanity --local --python "$$pyver" --color no $(SANITY_ARGS)

units: $(STAMP)
	$(VPY) -m pytest tests/unit $(PYTEST_ARGS)

integration: $(STAMP)
	$(VPY) -m pytest tests/integration $(PYTEST_ARGS)

lint: $(STAMP)
	ansible-lint --offline $(LINT_ARGS)
	antsibull-changelog lint

# Each stage in its own sub-make, in order, so that `make -j` can't reorder them;
# the first failure stops the rest (set -e) and make exits non-zero.
test:
	for stage in venv sanity units integration lint; do
	  start=$$SECONDS
	  $(MAKE) --no-print-directory "$$stage"
	  echo "==> make $$stage: ok in $$((SECONDS - start)) s"
	done

# ---------------------------------------------------------------- tools

demo: $(STAMP)
	$(VPY) tools/demo.py

bench: $(STAMP)
	$(VPY) -m tests.bench.collection_bench $(BENCH_ARGS)

bench-emulator: $(STAMP)
	$(VPY) -m tests.bench.emulator_bench

build: $(STAMP)
	mkdir -p build
	ansible-galaxy collection build --force --output-path build

clean:
	rm -rf $(VENV) build tests/output .pytest_cache .ansible .cache changelogs/.plugin-cache.yaml
	find . -path ./.git -prune -o -type d -name __pycache__ -exec rm -rf {} +
	rm -rf "$${TMPDIR:-/tmp}"/$(NAMESPACE)-$(NAME)-sanity.*
