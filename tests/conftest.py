"""Shared pytest fixtures: one Graph emulator per test session, reset before each test that uses it.

Also makes ``ansible_collections.cloudcomms.virtual_appointments`` importable: a symlink to this checkout under a
temporary ``ansible_collections/cloudcomms/`` tree is put on ``sys.path``.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess, collection_root


COLLECTION_ROOT = collection_root()
if COLLECTION_ROOT not in sys.path:
    sys.path.insert(0, COLLECTION_ROOT)


@pytest.fixture(scope="session")
def emulator_process():
    with EmulatorProcess(["--fault-seed", "7"]) as emu:
        yield emu


@pytest.fixture
def emulator(emulator_process):
    """The session's emulator, reset to its initial seed, modes and an empty request log."""
    emulator_process.reset()
    yield emulator_process
    emulator_process.reset()


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit code, output, and per-task results (json callback)."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr
        self.json = None
        self.tasks = {}
        try:
            self.json = json.loads(stdout[stdout.index("{"):]) if "{" in stdout else None
        except ValueError:
            self.json = None
        for play in (self.json or {}).get("plays", []):
            for task in play.get("tasks", []):
                for host_result in task.get("hosts", {}).values():
                    self.tasks.setdefault(task["task"]["name"], []).append(host_result)

    def result(self, name):
        """The (last) result of the task called ``name``."""
        if name not in self.tasks:
            raise AssertionError("no task %r ran; tasks: %s\n%s\n%s"
                                 % (name, list(self.tasks), self.stdout[-3000:], self.stderr[-3000:]))
        return self.tasks[name][-1]

    @property
    def stats(self):
        return (self.json or {}).get("stats", {}).get("localhost", {})


def emulator_env(emu):
    """Environment that points every module at the emulator (the same variables a user would export)."""
    d = emu.defaults
    return {
        "CLOUDCOMMS_GRAPH_ENDPOINT": emu.graph_url, "AZURE_AUTHORITY_HOST": emu.authority_host,
        "CLOUDCOMMS_GRAPH_CA_PATH": emu.ca_file, "AZURE_TENANT_ID": d["tenant_id"], "AZURE_CLIENT_ID": d["client_id"],
        "AZURE_CLIENT_SECRET": d["client_secret"],
    }


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
        proc = subprocess.run(cmd, cwd=str(tmp_path), env=full_env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        return PlaybookRun(proc.returncode, proc.stdout, proc.stderr)

    return run
