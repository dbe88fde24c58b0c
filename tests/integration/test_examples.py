"""Every module's EXAMPLES block, run as written with the real ansible-playbook against the emulator.

The examples are the first thing a user copies, so they must work.  Each module's ``EXAMPLES`` string is read from
its file with ``ast`` (the module is not imported) and pasted, verbatim, as the task list of a play on localhost.
The connection comes only from the environment variables users export (``emulator_env``: Graph endpoint,
authority host, CA, tenant, client and secret), never from the test: an example that names something the
emulator's default seed does not have is a wrong example, and is fixed in the module file.

The EXAMPLES that use what Graph serves to delegated tokens only - the virtual_appointment_sms module, notify_sms, or
include_join_web_url - get the variables of a user signing in as the organizer instead (AZURE_CLIENT_ID of the
seed's public client app, AZURE_USERNAME and AZURE_PASSWORD, no AZURE_CLIENT_SECRET): with the application's secret
the modules refuse them before any request.  So their organizer must be the default seed's user, which they are.

The Bookings modules' EXAMPLES (``booking_*``) run on the default seed plus the business they name
(``directory.EXAMPLE_BUSINESS``: Contoso Bank, its staff member and its online service), signed in as the default
seed's user: creating and deleting a business is served to delegated tokens only, and a delegated booking is not held
to the business rules Graph applies to applications (lead time from today), so dated examples keep working.

``sign_in`` needs a person to enter the device code: a background thread plays that person, waiting for the code to
be pending (``GET /_emulator/device/pending``) and approving it (``POST /_emulator/device/approve``).  Its token cache
goes to a temporary path (``CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH``) so the run never touches ``~/.cache``.
"""

import glob
import json
import os

import pytest
import yaml

from tests.graph_emulator.directory import DEFAULT_SEED, with_bookings
from tests.graph_emulator.process import DevicePerson
from tests.helpers import MODULES_DIR, emulator_env, example_playbook, examples_of

MODULES = sorted(os.path.splitext(os.path.basename(path))[0] for path in glob.glob(os.path.join(MODULES_DIR, "*.py"))
                 if not os.path.basename(path).startswith("__"))


def needs_delegated(tasks):
    """Whether a task of ``tasks`` uses what Graph serves to delegated tokens only (graph-today.md 3)."""
    for task in tasks:
        for key, options in task.items():
            if not key.startswith("cloudcomms.") or not isinstance(options, dict):
                continue
            notify = options.get("notify_sms")
            if key.rsplit(".", 1)[-1] == "virtual_appointment_sms" or options.get("include_join_web_url") \
                    or (notify and (not isinstance(notify, dict) or notify.get("enabled", True))):
                return True
    return False


def delegated_env(emulator, env):
    """``env`` signing in as the default seed's user (username and password) instead of as the application."""
    d = emulator.defaults
    env = {k: v for k, v in env.items() if k != "AZURE_CLIENT_SECRET"}
    env.update(AZURE_CLIENT_ID=d["public_client_id"], AZURE_USERNAME=d["user_upn"], AZURE_PASSWORD=d["user_password"])
    return env


def _failed(result):
    return bool(result.get("failed") or any(r.get("failed") for r in result.get("results", [])))


def explain(run, module):
    """The failing task(s) with their message, or the tail of the output when nothing was parsed."""
    lines = ["the EXAMPLES of %s failed (ansible-playbook exit code %s)" % (module, run.returncode)]
    failures = [(name, result) for name, results in run.tasks.items() for result in results if _failed(result)]
    for name, result in failures:
        brief = {k: v for k, v in result.items() if k not in ("invocation", "_ansible_no_log")}
        lines.append("task %r: %s" % (name, result.get("msg")))
        lines.append("  result: %s" % json.dumps(brief, default=str, sort_keys=True)[:2000])
    if not failures:
        lines += ["stdout: " + run.stdout[-3000:], "stderr: " + run.stderr[-3000:]]
    return "\n".join(lines)


@pytest.mark.parametrize("module", MODULES)
def test_module_examples_run_as_written(module, emulator, ansible_playbook, tmp_path):
    tasks = yaml.safe_load(examples_of(module))
    env = emulator_env(emulator)
    env["CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH"] = str(tmp_path / "tokens" / "msal_token_cache.json")
    organizers = {str(task[key].get("user")) for task in tasks for key in task
                  if key.startswith("cloudcomms.") and isinstance(task[key], dict) and task[key].get("user")}
    assert organizers <= {emulator.defaults["user_upn"]}, \
        "the EXAMPLES of %s name organizers the emulator's default seed does not have: %s" % (module, organizers)
    if module.startswith("booking_"):
        emulator.seed(with_bookings(DEFAULT_SEED))
    if needs_delegated(tasks) or module.startswith("booking_"):
        env = delegated_env(emulator, env)

    if module == "sign_in":
        with DevicePerson(emulator, once=False, deadline=120) as person:
            run = ansible_playbook(example_playbook(module), env=env)
        assert person.problem is None, person.problem
    else:
        run = ansible_playbook(example_playbook(module), env=env)

    assert run.returncode == 0 and not run.stats.get("failures"), explain(run, module)
    if module == "sign_in":
        assert len(person.handled) == 1, "expected exactly one device code to approve, got %s" % person.handled
    ran = [name for name, results in run.tasks.items() if results]
    assert ran == [task["name"] for task in tasks], "tasks that ran: %s" % ran
    failed = [name for name, results in run.tasks.items() for result in results if _failed(result)]
    assert not failed, explain(run, module)
