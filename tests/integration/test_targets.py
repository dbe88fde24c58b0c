"""Run the integration targets in tests/integration/targets/ with the real ansible-playbook against the emulator.

Each target is ``targets/<name>/tasks/main.yml`` (plus an ``aliases`` file marking it ``unsupported`` for
``ansible-test integration``: the targets need the emulator, which this runner starts).  Per target the runner
writes one playbook that supplies the connection the way users do, through the collection's action group::

    module_defaults:
      group/cloudcomms.virtual_appointments.graph: {graph_endpoint, authority_host, ca_path, tenant_id, ...}

with the variables ``control_url`` (the emulator's control API), ``ca_path`` (its CA, for ansible.builtin.uri),
``user_id`` and ``user_upn`` (the organizer), ``graph_profile`` (the emulator profile the run is on), and both
connections as mappings, ``application_connection`` and ``delegated_connection``, and includes the target's tasks.
The tasks assert on their own (ansible.builtin.assert, and ansible.builtin.uri on the control API); the test passes
when the play does, and on failure it prints the failed task's message, assertion and result.

A target declares what it needs in its ``aliases`` (after the lines ansible-test reads; ansible-test takes any other
line as a group name and ignores it here, the target being ``unsupported``):

- ``connection/delegated``: the play's connection signs in as the organizer (``auth_method username_password``
  through the seed's public client app, the organizer's UPN and password, a token cache in the test's temp dir),
  not as the application (client secret, the default ``connection/application``).  Graph serves the client join
  link and the virtual appointment SMS to delegated tokens only, and the collection refuses an application sign-in
  for them before any request.  A target that needs the delegated sign-in for a few tasks only sets
  ``module_defaults: {group/cloudcomms.virtual_appointments.graph: "{{ delegated_connection }}"}`` on them.
- ``profile/current``: the target also runs on the emulator's ``current`` profile (what Graph serves today,
  graph-today.md), as ``test_target[<name>-current]``; every target runs on ``documented`` (the default).  The tasks
  branch on ``graph_profile`` where the two differ.
"""

import json
import os

import pytest

TARGETS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "targets")
TARGETS = sorted(name for name in os.listdir(TARGETS_DIR)
                 if os.path.isfile(os.path.join(TARGETS_DIR, name, "tasks", "main.yml"))) \
    if os.path.isdir(TARGETS_DIR) else []
GROUP = "group/cloudcomms.virtual_appointments.graph"
PROFILES = ("documented", "current")
CONNECTIONS = ("application", "delegated")


def target_aliases(target):
    """The non-comment lines of the target's aliases file."""
    with open(os.path.join(TARGETS_DIR, target, "aliases"), encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.strip().startswith("#")]


def _declared(target, prefix):
    return [alias.split("/", 1)[1] for alias in target_aliases(target) if alias.startswith(prefix + "/")]


def target_profiles(target):
    """The emulator profiles the target runs on: documented always, current when it says ``profile/current``."""
    return ["documented"] + [p for p in _declared(target, "profile") if p != "documented"]


def target_connection(target):
    """``delegated`` when the target says ``connection/delegated``, else ``application``."""
    declared = _declared(target, "connection")
    return declared[-1] if declared else "application"


RUNS = [pytest.param(target, profile, id=target if profile == "documented" else "%s-%s" % (target, profile))
        for target in TARGETS for profile in target_profiles(target)]


def connections(emulator, token_cache_path):
    """{"application": client secret, "delegated": username_password as the organizer}, each a complete set of the
    group's connection options: a task's or block's entry for the group replaces the play's (module_defaults merge
    per module or group key, not per option)."""
    defaults = emulator.defaults
    common = {"graph_endpoint": emulator.graph_url, "authority_host": emulator.authority_host,
              "ca_path": emulator.ca_file, "tenant_id": defaults["tenant_id"]}
    return {
        "application": dict(common, client_id=defaults["client_id"], client_secret=defaults["client_secret"]),
        "delegated": dict(common, auth_method="username_password", client_id=defaults["public_client_id"],
                          username=defaults["user_upn"], password=defaults["user_password"],
                          **({"token_cache_path": token_cache_path} if token_cache_path else {})),
    }


def target_playbook(emulator, target, profile="documented", token_cache_path=None):
    """The playbook for one target (JSON is YAML; no quoting surprises in the emulator's values)."""
    defaults = emulator.defaults
    available = connections(emulator, token_cache_path)
    play = {
        "name": "Integration target %s (%s profile)" % (target, profile),
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {GROUP: available[target_connection(target)]},
        "vars": {"control_url": emulator.info["control_url"], "ca_path": emulator.ca_file,
                 "user_id": defaults["user_id"], "user_upn": defaults["user_upn"], "graph_profile": profile,
                 "application_connection": available["application"], "delegated_connection": available["delegated"]},
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


@pytest.mark.parametrize("target,profile", RUNS)
def test_target(target, profile, emulator, ansible_playbook, tmp_path):
    if profile != "documented":
        emulator.set_profile(profile)  # the emulator fixture goes back to documented after the test
    cache = str(tmp_path / "tokens" / "msal_token_cache.json")  # never ~/.cache
    run = ansible_playbook(target_playbook(emulator, target, profile, cache))
    label = "%s (%s profile)" % (target, profile)
    assert run.returncode == 0 and run.json is not None and not run.stats.get("failures") \
        and not run.stats.get("unreachable"), explain(run, label)
    assert run.stats.get("ok"), explain(run, label)


def test_every_target_is_run_here():
    """Each target directory has tasks/main.yml and aliases that keep ansible-test integration off it."""
    names = [n for n in os.listdir(TARGETS_DIR) if os.path.isdir(os.path.join(TARGETS_DIR, n))]
    assert sorted(names) == TARGETS
    for name in TARGETS:
        with open(os.path.join(TARGETS_DIR, name, "aliases"), encoding="utf-8") as handle:
            lines = [line.strip() for line in handle if line.strip()]
        assert lines[0].startswith("#") and "test_targets.py" in lines[0], name
        assert {"context/controller", "unsupported"} <= set(lines), name
        # What the runner reads from the aliases must name something it knows (a typo would silently not apply).
        for alias in lines[1:]:
            kind, value = (alias.split("/", 1) + [""])[:2]
            if kind == "profile":
                assert value in PROFILES, (name, alias)
            elif kind == "connection":
                assert value in CONNECTIONS, (name, alias)
        assert len(_declared(name, "connection")) <= 1, name
