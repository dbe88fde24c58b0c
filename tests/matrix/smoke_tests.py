"""The integration smoke of ``make test-matrix``: three existing integration tests, run as they are (same playbooks,
same assertions) but with the ``ansible-playbook`` of another ansible-core release.  Run by tests/matrix/smoke.py
(``python -m tests.matrix.smoke --venv .venv-2.16``), which names that release's venv in CLOUDCOMMS_TEST_ANSIBLE_VENV.

- the ``module_defaults`` integration target (tests/integration/test_targets.py): the connection through the action
  group ``group/cloudcomms.virtual_appointments.graph``;
- the role: provision an inventory, re-run it (nothing written), --check --diff, one update
  (tests/integration/test_role.py);
- the batch module's in-process action plugin next to its module-process path (tests/integration/test_batch_in_process.py).

The pytest session is the test suite's own (tests/conftest.py: its emulator, its fixtures, the check-mode fence) in
this interpreter (.venv: pytest and the emulator); only the ansible-playbook runs change.  tests/conftest.py's
``ansible_playbook`` and tests/helpers.py's ``Runner`` build the command line with .venv's ansible-playbook and set
ANSIBLE_PYTHON_INTERPRETER to .venv's python; both hand it to ``run_playbook`` (looked up in their module at call
time), which this module replaces, for its tests only, with one that swaps in the release's ansible-playbook and
python (modules run on the release's Python too) and otherwise runs the original (the check-mode fence included).
A command line that does not start with .venv's ansible-playbook fails the test rather than run the wrong release,
and so does a test during which no playbook ran on the release.
"""

import os
import sys

import pytest

import tests.conftest
import tests.helpers

INTEGRATION_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration")
if INTEGRATION_DIR not in sys.path:
    # As pytest imports them (tests/integration is not a package), so their asserts are rewritten as usual.
    sys.path.insert(0, INTEGRATION_DIR)

# pylint: disable=wrong-import-position
import test_batch_in_process  # noqa: E402
import test_role  # noqa: E402
import test_targets  # noqa: E402

VENV_VARIABLE = "CLOUDCOMMS_TEST_ANSIBLE_VENV"


def release_bin():
    """The bin directory of the release's venv (CLOUDCOMMS_TEST_ANSIBLE_VENV; without it, this interpreter's)."""
    venv = os.environ.get(VENV_VARIABLE)
    return os.path.join(os.path.abspath(venv), "bin") if venv else os.path.dirname(sys.executable)


@pytest.fixture(autouse=True)
def release_playbooks(monkeypatch):
    """Every ansible-playbook run of the test goes to the release's venv; yields the list of the commands run."""
    bin_dir = release_bin()
    playbook, python = os.path.join(bin_dir, "ansible-playbook"), os.path.join(bin_dir, "python")
    original = tests.helpers.run_playbook
    ran = []

    def run_on_release(cmd, cwd=None, env=None, timeout=600):
        if cmd[0] != tests.helpers.ANSIBLE_PLAYBOOK:
            pytest.fail("the smoke expects the fixtures to run %s, not %s: tests/matrix/smoke_tests.py needs updating"
                        % (tests.helpers.ANSIBLE_PLAYBOOK, cmd[0]), pytrace=False)
        cmd = [playbook] + list(cmd[1:])
        env = dict(os.environ if env is None else env, ANSIBLE_PYTHON_INTERPRETER=python)
        ran.append(cmd)
        return original(cmd, cwd=cwd, env=env, timeout=timeout)

    monkeypatch.setattr(tests.conftest, "run_playbook", run_on_release)
    monkeypatch.setattr(tests.helpers, "run_playbook", run_on_release)
    yield ran
    if not ran:
        pytest.fail("no ansible-playbook ran on %s" % bin_dir, pytrace=False)


def test_module_defaults_target(emulator, ansible_playbook, tmp_path):
    test_targets.test_target("module_defaults", "documented", emulator, ansible_playbook, tmp_path)


def test_role_provision_and_no_op_rerun(role, inventory):
    test_role.test_provision_rerun_check_diff_and_update(role, inventory)


def test_batch_in_process_path(emulator, ansible_playbook, tmp_path):
    test_batch_in_process.test_in_process_and_module_process_agree(emulator, ansible_playbook, tmp_path)
