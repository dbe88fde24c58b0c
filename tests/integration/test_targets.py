"""Run the integration targets in tests/integration/targets/ with the real ansible-playbook against the emulator.

Each target is ``targets/<name>/tasks/main.yml`` (plus an ``aliases`` file marking it ``unsupported`` for
``ansible-test integration``: the targets need the emulator, which this runner starts).  Per target the runner
writes one playbook that supplies the connection the way users do, through the collection's action group::

    module_defaults:
      group/cloudcomms.virtual_appointments.graph: {graph_endpoint, authority_host, ca_path, tenant_id, ...}

with the variables ``control_url`` (the emulator's control API), ``ca_path`` (its CA, for ansible.builtin.uri),
``user_id`` and ``user_upn`` (the organizer), and includes the target's tasks.  The tasks assert on their own
(ansible.builtin.assert, and ansible.builtin.uri on the control API); the test passes when the play does, and on
failure it prints the failed task's message, assertion and result.
"""

import json
import os

import pytest

TARGETS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")
TARGETS = sorted(name for name in os.listdir(TARGETS_DIR)
                 if os.path.isfile(os.path.join(TARGETS_DIR, name, "tasks", "main.yml"))) \
    if os.path.isdir(TARGETS_DIR) else []
GROUP = "group/cloudcomms.virtual_appointments.graph"


def target_playbook(emulator, target):
    """The playbook for one target (JSON is YAML; no quoting surprises in the emulator's values)."""
    defaults = emulator.defaults
    play = {
        "name": "Integration target %s" % target,
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {GROUP: {
            "graph_endpoint": emulator.graph_url, "authority_host": emulator.authority_host,
            "ca_path": emulator.ca_file, "tenant_id": defaults["tenant_id"], "client_id": defaults["client_id"],
            "client_secret": defaults["client_secret"],
        }},
        "vars": {"control_url": emulator.info["control_url"], "ca_path": emulator.ca_file,
                 "user_id": defaults["user_id"], "user_upn": defaults["user_upn"]},
        "tasks": [{"name": "Run the tasks of target %s" % target,
                   "ansible.builtin.include_tasks": os.path.join(TARGETS_DIR, target, "tasks", "main.yml")}],
    }
    return json.dumps([play], indent=1)


def _results(run):
    """(task name, host result) of every task in the order they ran."""
    for play in (run.json or {}).get("plays", []):
        for task in play.get("tasks", []):
            for result in task.get("hosts", {}).values():
                yield task["task"]["name"], result


def _failed(result):
    return bool(result.get("failed") or any(r.get("failed") for r in result.get("results", [])))


def _brief(result, limit=1500):
    """A result without the echo of the module arguments, for messages."""
    if isinstance(result, dict):
        result = {k: _brief(v, None) for k, v in result.items() if k not in ("invocation", "_ansible_no_log")}
    elif isinstance(result, list):
        result = [_brief(v, None) for v in result]
    if limit is None:
        return result
    text = json.dumps(result, default=str, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + " ..."


def explain(run, target):
    """What went wrong, for the assertion message: the task that stopped the play (the json_results callback does not
    say which failures were ignored; the last failure is the one that stopped it), its message and assertion, and the
    results of the tasks just before it (an assert's operands are usually registered there)."""
    lines = ["integration target %r failed (ansible-playbook exit code %s)" % (target, run.returncode)]
    ran = list(_results(run))
    failed = [index for index, (name, result) in enumerate(ran) if _failed(result)]
    if failed and run.stats.get("failures"):
        index = failed[-1]
        name, result = ran[index]
        lines.append("failed task: %s" % name)
        for entry in [result] + [r for r in result.get("results", []) if r.get("failed")]:
            label = entry.get("_ansible_item_label")
            if label is not None:
                lines.append("  item: %s" % json.dumps(label, default=str))
            for key in ("msg", "assertion", "evaluated_to"):
                if key in entry:
                    lines.append("  %s: %s" % (key, json.dumps(entry[key], default=str)[:2000]))
        lines.append("tasks before it:")
        for name, result in ran[max(0, index - 3):index]:
            lines.append("  %s: %s" % (name, _brief(result)))
    if run.json is None or not failed:
        lines += ["stdout (tail):", run.stdout[-4000:], "stderr (tail):", run.stderr[-4000:]]
    return "\n".join(lines)


@pytest.mark.parametrize("target", TARGETS)
def test_target(target, emulator, ansible_playbook):
    run = ansible_playbook(target_playbook(emulator, target))
    assert run.returncode == 0 and run.json is not None and not run.stats.get("failures") \
        and not run.stats.get("unreachable"), explain(run, target)
    assert run.stats.get("ok"), explain(run, target)


def test_every_target_is_run_here():
    """Each target directory has tasks/main.yml and aliases that keep ansible-test integration off it."""
    names = [n for n in os.listdir(TARGETS_DIR) if os.path.isdir(os.path.join(TARGETS_DIR, n))]
    assert sorted(names) == TARGETS
    for name in TARGETS:
        with open(os.path.join(TARGETS_DIR, name, "aliases"), encoding="utf-8") as handle:
            lines = [line.strip() for line in handle if line.strip()]
        assert lines[0].startswith("#") and "test_targets.py" in lines[0], name
        assert {"context/controller", "unsupported"} <= set(lines), name
