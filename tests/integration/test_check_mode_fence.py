"""The suite's check-mode fence, proven on a session of its own: a write planted in an ``ansible-playbook --check`` run
(a task with ``check_mode: false``) is refused by the emulator, recorded, fails the test that made it and fails the
session - while this session stays clean.

The inner session is a separate pytest process with this suite's fixtures and hooks (``-p tests.conftest``) and an
emulator of its own, so nothing it plants reaches the session emulator of the outer run.
"""

import os
import subprocess
import sys
import textwrap

import pytest

from tests.graph_emulator.process import REPO_ROOT
from tests.helpers import is_check_run

INNER_TESTS = '''
from tests.helpers import emulator_env

PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Planned only
      cloudcomms.virtual_appointments.online_meeting:
        user: "{{ user }}"
        external_id: FENCE-PLANNED
        subject: Planned in check mode
        start_date_time: "2026-12-01T15:00:00+01:00"
        end_date_time: "2026-12-01T15:45:00+01:00"
%s
"""
PLANTED = """
    - name: Planted write
      check_mode: false
      cloudcomms.virtual_appointments.online_meeting:
        user: "{{ user }}"
        external_id: FENCE-PLANTED
        subject: Written despite --check
        start_date_time: "2026-12-01T16:00:00+01:00"
        end_date_time: "2026-12-01T16:45:00+01:00"
"""


def external_ids(emulator):
    return sorted(m["externalId"] for t in emulator.state()["tenants"] for m in t["meetings"])


def run(emulator, ansible_playbook, planted, args):
    return ansible_playbook(PLAY % (PLANTED if planted else ""), env=emulator_env(emulator), args=args,
                            extra_vars={"user": emulator.defaults["user_id"]})


def test_a_check_run_that_writes_nothing_passes(emulator, ansible_playbook):
    result = run(emulator, ansible_playbook, False, ["--check", "--diff"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert external_ids(emulator) == []


def test_a_planted_write_in_a_check_run(emulator, ansible_playbook):
    result = run(emulator, ansible_playbook, True, ["-C"])
    failed = result.result("Planted write")
    assert failed.get("failed") and "checkModeFence" in str(failed), failed
    assert external_ids(emulator) == []
    print("PLANTED-WRITE-REFUSED")


def test_writes_without_check_pass(emulator, ansible_playbook):
    result = run(emulator, ansible_playbook, True, [])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert external_ids(emulator) == ["FENCE-PLANNED", "FENCE-PLANTED"]
'''


@pytest.mark.parametrize("args, check", [
    (["-i", "localhost,", "-c", "local", "play.yml"], False),
    (["play.yml", "--check"], True), (["play.yml", "-C"], True), (["play.yml", "-CD"], True),
    (["play.yml", "-vvC"], True), (["play.yml", "--diff", "-e", "-C"], True),
    (["play.yml", "-e", "C=1", "--diff"], False), (["play.yml", "-c", "local"], False),
])
def test_check_runs_are_recognised(args, check):
    assert is_check_run(args) is check


@pytest.mark.slow
def test_a_write_in_a_check_run_fails_the_test_and_the_session(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p tests.conftest -p no:cacheprovider\n",
                                         encoding="utf-8")
    (tmp_path / "test_planted.py").write_text(textwrap.dedent(INNER_TESTS), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    env.pop("PYTEST_ADDOPTS", None)
    inner = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-s", "-p", "no:randomly", str(tmp_path)],
                           cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600, check=False)
    out = inner.stdout + inner.stderr
    assert inner.returncode == 1, out
    # The planted write was refused (the task failed with the fence's code, the meeting was never made) ...
    assert "PLANTED-WRITE-REFUSED" in out, out
    # ... and recorded: the test that made it errors at teardown, naming the write, and the session fails.
    assert "ERROR at teardown of test_a_planted_write_in_a_check_run" in out, out
    assert "PASSED test_planted.py::test_a_check_run_that_writes_nothing_passes" in out, out
    assert "PASSED test_planted.py::test_writes_without_check_pass" in out, out
    assert "3 passed, 1 error" in out, out  # the planted test passes its own asserts; the fence fails it
    summary = out[out.index("check-mode fence"):]
    assert "1 write(s) reached the emulator during an ansible-playbook --check run" in summary, out
    assert "POST /users/" in summary and "/onlineMeetings/createOrGet [in $batch]" in summary, out
    assert "test_planted.py::test_a_planted_write_in_a_check_run" in summary, out
