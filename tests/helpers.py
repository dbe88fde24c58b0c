"""Helpers shared by the test files (imported, never collected): running ansible-playbook, the check-mode fence,
the generated inventory and its runner, module EXAMPLES as playbooks, a Graph client on the emulator.

Importing it makes ``ansible_collections.cloudcomms.virtual_appointments`` importable: a symlink to this checkout
under a temporary ``ansible_collections/cloudcomms/`` tree is put on ``sys.path``.

The check-mode fence (as theforeman.foreman's tests fail on any write in check mode): every ansible-playbook run
started through ``run_playbook`` (the ``ansible_playbook`` fixture, ``Runner``, and the other runners) whose command
has ``--check``/``-C`` arms the fence of every emulator this process runs (tests/graph_emulator/fence.py) for the run,
and disarms it after, moving what it refused into ``FENCE_BREACHES``; tests/conftest.py fails the test that caused
a breach and the session. Tests need not count writes themselves for that.
"""

import ast
import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import textwrap

import yaml

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess, collection_root

COLLECTION_ROOT = collection_root()
if COLLECTION_ROOT not in sys.path:
    sys.path.insert(0, COLLECTION_ROOT)

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
GENERATOR = os.path.join(REPO_ROOT, "examples", "inventory", "generate.py")
MODULES_DIR = os.path.join(REPO_ROOT, "plugins", "modules")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


# ---------------------------------------------------------------- the check-mode fence

# Writes the fence refused, as {"test", "emulator", "method", "path", "route", "time", "label", ...}; tests/conftest.py
# fails the test during which one was added, and the session.
FENCE_BREACHES = []
# Short options of ansible-playbook that take no value, so "-vC" or "-CD" also mean --check.
_FLAG_CLUSTER = re.compile(r"^-[vCDkKb]*C[vCDkKb]*$")


def is_check_run(cmd):
    """Whether an ansible-playbook command line runs in check mode (``--check``, ``-C`` or a cluster like ``-CD``)."""
    for arg in cmd:
        if arg == "--":
            break
        if arg == "--check" or _FLAG_CLUSTER.match(arg):
            return True
    return False


def current_test():
    """The node id of the running test (what pytest sets in PYTEST_CURRENT_TEST), or None outside pytest."""
    current = os.environ.get("PYTEST_CURRENT_TEST")
    return current.rsplit(" (", 1)[0] if current else None


@contextlib.contextmanager
def check_mode_fence(cmd, label=None, emulators=None):
    """Arm the check-mode fence of every running emulator (or of ``emulators``) while ``cmd`` runs, if it is a
    check-mode run; afterwards disarm it and move what it refused into FENCE_BREACHES. Yields the armed emulators."""
    if not is_check_run(cmd):
        yield []
        return
    label = label or "%s: ansible-playbook --check" % (current_test() or "tests")
    candidates = EmulatorProcess.live if emulators is None else emulators
    armed = []
    try:
        for emu in list(candidates):
            if emu.proc is not None and emu.proc.poll() is None:
                emu.fence(armed=True, label=label)
                armed.append(emu)
        yield armed
    finally:
        for emu in armed:
            collect_fence(emu, disarm=True)


def collect_fence(emu, disarm=False):
    """Move the writes ``emu``'s fence refused into FENCE_BREACHES (clearing its record); return them."""
    state = emu.fence(armed=False if disarm else None, clear=True)
    found = [dict(entry, test=current_test(), emulator=emu.graph_url) for entry in state["refused"]]
    if state.get("dropped"):
        found.append({"test": current_test(), "emulator": emu.graph_url, "method": "?", "path": "?",
                      "label": state.get("label"), "dropped": state["dropped"]})
    FENCE_BREACHES.extend(found)
    return found


def describe_breaches(breaches):
    lines = ["%d write(s) reached the emulator during an ansible-playbook --check run and were refused by the "
             "check-mode fence:" % len(breaches)]
    for entry in breaches:
        where = " [in $batch]" if entry.get("batch") else ""
        during = entry.get("test") or entry.get("label") or "?"
        lines.append("  %s %s%s  (during %s)" % (entry.get("method"), entry.get("path"), where, during))
    return "\n".join(lines)


def run_playbook(cmd, cwd=None, env=None, timeout=600):
    """subprocess.run of an ansible-playbook command (output captured as text), fenced when it is a --check run."""
    with check_mode_fence(cmd):
        return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


# ---------------------------------------------------------------- ansible-playbook runs

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


# ---------------------------------------------------------------- the generated inventory and the role runner

def load_generator():
    spec = importlib.util.spec_from_file_location("inventory_generator", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Inventory:
    """A generated inventory in a temp dir, its seed, and helpers to edit its host_vars."""

    def __init__(self, root, appointments=30, organizers=3, tenants=2, export=None):
        self.root = str(root)
        load_generator().generate(appointments, organizers, tenants, self.root, "2026-12-07", export=export)
        self.export = os.path.join(self.root, "appointments.%s" % export) if export else None
        with open(os.path.join(self.root, "emulator-seed.json"), encoding="utf-8") as handle:
            self.seed = json.load(handle)
        self.hosts_file = os.path.join(self.root, "hosts.yml")

    def secrets(self):
        return {t["example"]["secret_env"]: t["apps"][0]["secrets"][0] for t in self.seed["tenants"]}

    def hosts(self):
        return sorted(name[:-4] for name in os.listdir(os.path.join(self.root, "host_vars")))

    def host_vars(self, host):
        with open(os.path.join(self.root, "host_vars", host + ".yml"), encoding="utf-8") as handle:
            return yaml.safe_load(handle)

    def save_host_vars(self, host, data):
        with open(os.path.join(self.root, "host_vars", host + ".yml"), "w", encoding="utf-8") as handle:
            handle.write("---\n" + yaml.safe_dump(data, sort_keys=False))

    def tenant_of(self, host):
        key = host.split("-", 1)[0]
        return next(t for t in self.seed["tenants"] if t["example"]["key"] == key)

    def organizer_of(self, host):
        """The seed's user entry of the host's organizer ({"id", "upn", "display_name", "password"})."""
        upn = self.host_vars(host)["virtual_appointments_organizer"]
        return next(u for u in self.tenant_of(host)["users"] if u["upn"].lower() == str(upn).lower())

    def delegated_connection(self, host, token_cache_dir=None):
        """A ``virtual_appointments_connection`` that signs in as the host's organizer (username and password through
        the tenant's public client app): what Graph needs for the client join link and the SMS.  With
        ``token_cache_dir`` each organizer's MSAL token cache is ``<dir>/<host>.json`` (else the modules' default)."""
        tenant, user = self.tenant_of(host), self.organizer_of(host)
        connection = {"auth_method": "username_password", "tenant_id": tenant["id"],
                      "client_id": tenant["example"]["public_client_id"], "username": user["upn"],
                      "password": user["password"]}
        if token_cache_dir is not None:
            connection["token_cache_path"] = os.path.join(str(token_cache_dir), host + ".json")
        return connection

    def use_delegated_connections(self, token_cache_dir=None, hosts=None):
        """Give each host (or ``hosts``) its organizer's delegated connection in its host_vars, which take precedence
        over the tenant's application connection in group_vars; returns {host: connection}."""
        out = {}
        for host in hosts if hosts is not None else self.hosts():
            data = self.host_vars(host)
            data["virtual_appointments_connection"] = out[host] = self.delegated_connection(host, token_cache_dir)
            self.save_host_vars(host, data)
        return out


def playbook_env(emu, inventory, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLOUDCOMMS_", "ANSIBLE_"))}
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTION_ROOT, "ANSIBLE_STDOUT_CALLBACK": "json_results",
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(REPO_ROOT, "tests", "integration", "callback_plugins"),
        "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_FORKS": "8", "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "CLOUDCOMMS_GRAPH_ENDPOINT": emu.graph_url, "AZURE_AUTHORITY_HOST": emu.authority_host,
        "CLOUDCOMMS_GRAPH_CA_PATH": emu.ca_file,
    })
    if inventory is not None:
        env.update(inventory.secrets())
    return env


class Runner:
    """ansible-playbook of a collection playbook (or a playbook file) on the inventory, with the json callback."""

    def __init__(self, emu, inventory, tmp_path):
        self.emu, self.inventory, self.tmp_path = emu, inventory, tmp_path
        self.ledger = str(tmp_path / "ledger")
        self.report = str(tmp_path / "report")
        self.env = playbook_env(emu, inventory, tmp_path)

    def __call__(self, playbook="provision", args=(), extra=None, inventory_args=None, ledger=True, report=True):
        extra_vars = {}
        if ledger:
            extra_vars["virtual_appointments_ledger_dir"] = self.ledger
        if report:
            extra_vars["virtual_appointments_report_dir"] = self.report
        extra_vars.update(extra or {})
        target = playbook if playbook.endswith(".yml") else "cloudcomms.virtual_appointments." + playbook
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), target]
        cmd += inventory_args if inventory_args is not None else ["-i", self.inventory.hosts_file]
        cmd += ["-e", json.dumps(extra_vars)] + list(args)
        proc = run_playbook(cmd, cwd=str(self.tmp_path), env=self.env, timeout=300)
        return Outcome(PlaybookRun(proc.returncode, proc.stdout, proc.stderr))

    def writes(self):
        return self.emu.metrics()["writes"]

    def write_requests(self, since):
        return [r for r in self.emu.requests(since=since, kind="graph")
                if r["method"] in WRITE_METHODS and r["route"] != "/$batch"]

    def seq(self):
        return self.emu.metrics()["seq"]

    def ledger_file(self, host):
        tenant = self.inventory.tenant_of(host)["id"]
        with open(os.path.join(self.ledger, tenant, host + ".json"), encoding="utf-8") as handle:
            return json.load(handle)

    def meetings(self):
        """Every meeting in the emulator, by (organizer UPN or id, externalId)."""
        out = {}
        for tenant in self.emu.state()["tenants"]:
            for meeting in tenant["meetings"]:
                out[meeting["id"]] = meeting
        return out


class Outcome:
    def __init__(self, run):
        self.run = run

    @property
    def ok(self):
        return self.run.returncode == 0

    def why(self):
        return "rc=%s\n%s\n%s" % (self.run.returncode, self.run.stdout[-4000:], self.run.stderr[-4000:])

    def host_results(self, name):
        return {host: result for play in (self.run.json or {}).get("plays", []) for task in play["tasks"]
                if task["task"]["name"].split(" : ", 1)[-1] == name for host, result in task["hosts"].items()}

    def batches(self):
        return self.host_results("Reconcile the organizer's appointments with Microsoft Graph")

    def report(self):
        results = self.host_results("Combine the outcomes of all organizers of the play")
        assert results, self.why()
        return next(iter(results.values()))["ansible_facts"]["virtual_appointments_report"]

    def summary_lines(self):
        return next(iter(self.host_results("Summary").values()))["msg"]

    def changed_hosts(self):
        return sorted(h for h, s in (self.run.json or {}).get("stats", {}).items() if s.get("changed"))


def first_item(inventory, host=None):
    host = host or inventory.hosts()[0]
    data = inventory.host_vars(host)
    return host, data, data["virtual_appointments"][0]


# ---------------------------------------------------------------- module EXAMPLES

def examples_of(module):
    """The text of ``EXAMPLES`` in plugins/modules/<module>.py, read without importing the module."""
    with open(os.path.join(MODULES_DIR, module + ".py"), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "EXAMPLES" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("plugins/modules/%s.py has no EXAMPLES" % module)


def example_playbook(module):
    """One play whose tasks are the module's EXAMPLES, pasted verbatim (comments and all)."""
    text = examples_of(module)
    tasks = yaml.safe_load(text)
    assert isinstance(tasks, list) and tasks, "EXAMPLES of %s is not a YAML list of tasks" % module
    assert all(isinstance(task, dict) and task.get("name") for task in tasks), \
        "every task in the EXAMPLES of %s should have a name" % module
    header = "- name: EXAMPLES of %s\n  hosts: localhost\n  gather_facts: false\n  tasks:\n" % module
    return header + textwrap.indent(textwrap.dedent(text).strip("\n") + "\n", "    ")


# ---------------------------------------------------------------- a Graph client on the emulator

class MintedTokens:
    """Token provider minting tokens through the emulator's control API; the first may be made stale."""

    def __init__(self, emulator, first_lifetime=None):
        self.emulator = emulator
        self.next_lifetime = first_lifetime
        self.current = None
        self.invalidated = 0

    def token(self):
        if self.current is None:
            self.current = self.emulator.app_token(lifetime=self.next_lifetime)
            self.next_lifetime = None
        return self.current

    def invalidate(self):
        self.invalidated += 1
        self.current = None


def make_client(emulator, tokens=None, settings=None, verify=None):
    """A GraphClient (the collection's one HTTP path) on the emulator's /beta, with tokens from its control API."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import retry
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import GraphClient, HTTPSession

    session = HTTPSession(verify=emulator.ca_file if verify is None else verify)
    return GraphClient(session, emulator.graph_url + "/beta", tokens or MintedTokens(emulator),
                       settings or retry.RetrySettings(retry_timeout=60, provisioning_timeout=60))


def meetings_path(emulator):
    """The default user's onlineMeetings collection path, encoded as the collection encodes it."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path

    return graph_path("users", ("user", emulator.defaults["user_id"]), "onlineMeetings")
