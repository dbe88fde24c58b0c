"""Shared pytest fixtures: one Graph emulator per test session, reset before each test that uses it; the
``ansible_playbook`` runner; the generated ``inventory`` and its ``role`` runner; and the check-mode fence.

The fence: every ansible-playbook run with ``--check`` arms the emulator's check-mode fence (tests/helpers.py); a
write it refused fails the test during which it happened (at teardown) and the session, whichever test caused it.

Importing tests.helpers makes ``ansible_collections.cloudcomms.virtual_appointments`` importable.
"""

import json
import os
import sys

import pytest

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess
# PlaybookRun and emulator_env are imported from here by test files too.
from tests.helpers import (  # noqa: F401  pylint: disable=unused-import
    COLLECTION_ROOT, FENCE_BREACHES, Inventory, PlaybookRun, Runner, collect_fence, describe_breaches, emulator_env,
    run_playbook)


@pytest.fixture(scope="session")
def emulator_process():
    with EmulatorProcess(["--fault-seed", "7"]) as emu:
        yield emu
        collect_fence(emu)  # anything refused outside run_playbook (a test arming the fence itself) counts too


@pytest.fixture
def emulator(emulator_process):
    """The session's emulator, reset to its initial seed, modes and an empty request log."""
    emulator_process.reset()
    yield emulator_process
    emulator_process.reset()


@pytest.fixture
def ansible_playbook(tmp_path):
    """Run a playbook (YAML text) with the real ansible-playbook against this checkout of the collection.

    ``env`` adds environment variables (e.g. ``emulator_env(emulator)``); ``args`` adds CLI flags (``--check``,
    ``--diff``, ``-vvv``); ``callback`` is ``json`` (parsed into PlaybookRun.tasks) or ``default``."""
    counter = [0]

    def run(playbook, env=None, args=(), callback="json", extra_vars=None, timeout=600):
        counter[0] += 1
        path = tmp_path / ("playbook_%d.yml" % counter[0])
        path.write_text(playbook, encoding="utf-8")
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLOUDCOMMS_", "ANSIBLE_"))}
        full_env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTION_ROOT,
            "ANSIBLE_STDOUT_CALLBACK": "json_results" if callback == "json" else callback,
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(REPO_ROOT, "tests", "integration", "callback_plugins"),
            "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        })
        full_env.update(env or {})
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,", "-c", "local",
               str(path)] + list(args)
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        proc = run_playbook(cmd, cwd=str(tmp_path), env=full_env, timeout=timeout)
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def inventory(tmp_path):
    """A generated inventory (2 tenants, 3 organizers, 30 appointments) in the test's temp dir."""
    return Inventory(tmp_path / "inventory")


@pytest.fixture
def role(emulator, inventory, tmp_path):
    """Runner of the collection playbooks on ``inventory``, whose seed is loaded into the emulator."""
    emulator.seed(inventory.seed)
    return Runner(emulator, inventory, tmp_path)


# ---------------------------------------------------------------- the check-mode fence

@pytest.fixture(autouse=True)
def check_mode_fence_guard():
    """Fail (at teardown) the test during which the check-mode fence refused a write."""
    before = len(FENCE_BREACHES)
    yield
    if len(FENCE_BREACHES) > before:
        pytest.fail(describe_breaches(FENCE_BREACHES[before:]), pytrace=False)


def pytest_sessionfinish(session, exitstatus):
    """The session fails if the fence refused any write, whichever test caused it."""
    if FENCE_BREACHES and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if FENCE_BREACHES:
        terminalreporter.section("check-mode fence")
        terminalreporter.write_line(describe_breaches(FENCE_BREACHES))
