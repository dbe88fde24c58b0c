"""The bad-input corpus (bad_input_cases.yml) through the real ansible-playbook: the single-item modules
(virtual_appointment, online_meeting), the batch module (one task a case, and every case in one batch that lists all
problems in one message) and the virtual_appointments role (one organizer host a case).

Every case must fail naming the item (index and external ID) and the field, and the emulator must record no request
at all - not a write, not a read, not a token request: bad input is found before the first request.  The items are
written into the playbooks and host_vars files as plain YAML text, so Ansible's own YAML loader makes of them what it
makes for a user (``no`` -> false, ``0755`` -> 493, ``2026-11-24`` -> a date).

One ansible-playbook run serves all cases of a path (module-scoped fixtures), so the corpus takes about a minute or
two, not one run a case.
"""

import json
import os
import re
import sys
import textwrap

import pytest
import yaml

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import items

from tests.graph_emulator.process import REPO_ROOT
from tests.helpers import COLLECTION_ROOT, PlaybookRun, emulator_env, run_playbook

CASES = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "bad_input_cases.yml"), encoding="utf-8"))
HUGE = "x" * 100000
VA_KEYS = ("appointment_clients", "external_appointment_id", "external_appointment_url",
           "appointment_client_join_web_url", "settings", "user", "online_meeting_id", "state")
OM_KEYS = ("external_id", "subject", "start_date_time", "end_date_time", "user", "online_meeting_id", "state")
ITEM_KEYS = tuple(set(VA_KEYS) | set(OM_KEYS))
GOOD_ITEM = """\
external_id: GOOD-{n}
subject: A good appointment
start_date_time: "2026-12-01T15:00:00+01:00"
end_date_time: "2026-12-01T15:30:00+01:00"
appointment_clients:
  - display_name: Good Client
    email_address: good.client@contoso.com
"""


def cases(through):
    return [pytest.param(case, id=case["id"]) for case in CASES if through in case["through"]]


def fill(text, user):
    return text.replace("<<HUGE>>", HUGE).replace("<<USER>>", user)


def item_texts(case, user):
    """The case's items as YAML texts (one mapping each), placeholders filled."""
    if "items" in case:
        return [fill(textwrap.dedent(block), user) for block in split_list(case["items"])]
    if "item" in case:
        return [fill(case["item"], user)]
    return []


def split_list(text):
    """A YAML block sequence's items as texts, without parsing (so the loader under test sees them first)."""
    blocks = []
    for line in text.splitlines():
        if line.startswith("- "):
            blocks.append("  " + line[2:] + "\n")
        elif blocks:
            blocks[-1] += line + "\n"
    return blocks


def top_level_blocks(text):
    """{key: its lines} of a YAML mapping text, kept as text."""
    blocks = {}
    key = None
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):", line)
        if match:
            key = match.group(1)
            blocks[key] = line + "\n"
        elif key is not None:
            blocks[key] += line + "\n"
    return blocks


def as_list_item(text, indent):
    """A mapping text as one item of a block sequence, indented."""
    lines = text.rstrip("\n").splitlines()
    out = [" " * indent + "- " + lines[0]] + [" " * (indent + 2) + line for line in lines[1:]]
    return "\n".join(out) + "\n"


def external_id_of(text):
    value = yaml.safe_load(text).get("external_id")
    return value if isinstance(value, str) and value else None


def label(source, index, external_id):
    """How the collection names an item (items.label): a plain printable external ID as it is, any other escaped."""
    if not isinstance(external_id, str) or not external_id:
        return "%s[%d]" % (source, index)
    return items.label(source, index, {"external_id": external_id})


def expected_in(message, case, sources, index, external_id):
    """The case's field, named after its item, and every expected substring are in the message."""
    missing = [text for text in case.get("expect") or [] if text not in message]
    if case.get("field") is not None:
        labels = [label(source, index, external_id) for source in sources]
        names = [lbl + ("." + case["field"] if case["field"] else ": ") for lbl in labels]
        if not any(name in message for name in names):
            missing.append(" or ".join(names))
    return missing


# ---------------------------------------------------------------- running ansible-playbook

class Runs:
    """ansible-playbook runs against the session's emulator, each with the requests the emulator saw meanwhile."""

    def __init__(self, emulator, root):
        self.emulator, self.root = emulator, root
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLOUDCOMMS_", "ANSIBLE_"))}
        self.env.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTION_ROOT, "ANSIBLE_STDOUT_CALLBACK": "json_results",
            "ANSIBLE_CALLBACK_PLUGINS": os.path.join(REPO_ROOT, "tests", "integration", "callback_plugins"),
            "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_FORKS": "8", "ANSIBLE_LOCAL_TEMP": os.path.join(root, "ansible-tmp"),
            "ANSIBLE_HOME": os.path.join(root, "ansible-home"),
        })
        self.env.update(emulator_env(emulator))

    def __call__(self, name, playbook_text, inventory=None):
        path = os.path.join(self.root, name + ".yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(playbook_text)
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), path]
        cmd += ["-i", inventory] if inventory else ["-i", "localhost,", "-c", "local"]
        self.emulator.reset()
        seq, writes = self.emulator.metrics()["seq"], self.emulator.metrics()["writes"]
        proc = run_playbook(cmd, cwd=self.root, env=self.env, timeout=280)
        run = PlaybookRun(proc.returncode, proc.stdout, proc.stderr)
        run.requests = self.emulator.requests(since=seq)
        run.writes = self.emulator.metrics()["writes"] - writes
        return run


def host_failures(run):
    """{host: {task name: failure message}} of every failed task result."""
    out = {}
    for play in (run.json or {}).get("plays", []):
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if result.get("failed"):
                    out.setdefault(host, {})[task["task"]["name"].split(" : ", 1)[-1]] = result.get("msg", "")
    return out


def assert_nothing_reached_graph(run):
    assert run.writes == 0, run.requests
    assert run.requests == [], ["%s %s" % (r["method"], r.get("path", r.get("route"))[:120]) for r in run.requests]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("bad-input"))


@pytest.fixture(scope="module")
def runs(emulator_process, root):
    return Runs(emulator_process, root)


def write_export(root, case, user):
    export = case["export"]
    path = os.path.join(root, export["name"])
    with open(path, "wb") as handle:
        handle.write(fill(export["text"], user).encode(export.get("encoding", "utf-8")))
    return path


def module_task(module, case, user):
    """The task text of one case for a single-item module (the item's keys that the module takes, unknown keys too)."""
    keys = VA_KEYS if module == "virtual_appointment" else OM_KEYS
    blocks = top_level_blocks(item_texts(case, user)[0])
    args = "".join(block for key, block in blocks.items() if key in keys or key not in ITEM_KEYS)
    if "user" not in blocks:
        args += "user: %s\n" % user
    if module == "virtual_appointment" and "online_meeting_id" not in blocks:
        args += "online_meeting_id: BI-MEETING-1\n"
    return ("    - name: %s\n      cloudcomms.virtual_appointments.%s:\n%s      ignore_errors: true\n"
            % (case["id"], module, textwrap.indent(args, " " * 8)))


PLAY = "- hosts: localhost\n  gather_facts: false\n  tasks:\n"


def module_playbook(module, user):
    return PLAY + "".join(module_task(module, case, user) for case in CASES
                          if ("va" if module == "virtual_appointment" else "om") in case["through"]
                          and "vars_file" not in case)


@pytest.fixture(scope="module")
def va_run(runs, emulator_process):
    return runs("virtual_appointment", module_playbook("virtual_appointment", emulator_process.defaults["user_id"]))


@pytest.fixture(scope="module")
def om_run(runs, emulator_process):
    return runs("online_meeting", module_playbook("online_meeting", emulator_process.defaults["user_id"]))


def batch_items(case, user, n):
    """[a good item, the case's items] as block-sequence text."""
    return "".join(as_list_item(text, 0) for text in [GOOD_ITEM.format(n=n)] + item_texts(case, user))


@pytest.fixture(scope="module")
def batch_run(runs, emulator_process, root):
    user = emulator_process.defaults["user_id"]
    tasks = []
    for n, case in enumerate(CASES):
        if "batch" not in case["through"]:
            continue
        args = "appointments:\n%s" % textwrap.indent(batch_items(case, user, n), "  ")
        args = args.replace("- external_id: GOOD", "- user: %s\n    external_id: GOOD" % user, 1)
        if "export" in case:
            args += "appointments_file:\n  path: %s\n" % write_export(root, case, user)
        tasks.append("    - name: %s\n      cloudcomms.virtual_appointments.virtual_appointment_batch:\n%s"
                     "      ignore_errors: true\n" % (case["id"], textwrap.indent(args, " " * 8)))
    return runs("batch", PLAY + "".join(tasks))


def all_in_one_items(user):
    """Every batch case's items in one list after a good item: [(case, index of its named item, external id)]."""
    texts, where = [GOOD_ITEM.format(n="ALL")], []
    for case in CASES:
        if "batch" not in case["through"] or "export" in case:
            continue
        items = item_texts(case, user)
        index = len(texts) + case.get("index", 0)
        where.append((case, index, external_id_of(items[case.get("index", 0)])))
        texts += items
    return texts, where


@pytest.fixture(scope="module")
def all_in_one_run(runs, emulator_process):
    user = emulator_process.defaults["user_id"]
    texts, where = all_in_one_items(user)
    items = "".join(as_list_item(text, 0) for text in texts)
    task = ("    - name: all in one\n      cloudcomms.virtual_appointments.virtual_appointment_batch:\n"
            "        appointments:\n%s      ignore_errors: true\n" % textwrap.indent(items, " " * 10))
    run = runs("batch-all-in-one", PLAY + task)
    return run, where


ROLE_PLAY = """\
- name: The bad-input corpus through the role
  hosts: organizers
  gather_facts: false
  connection: local
  roles:
    - role: cloudcomms.virtual_appointments.virtual_appointments
"""


def role_inventory(root, name, cases_, user):
    """An inventory dir: one organizer host a case, its host_vars written as text: [good item, the case's items]."""
    inventory = os.path.join(root, name)
    os.makedirs(os.path.join(inventory, "host_vars"), exist_ok=True)
    hosts = {}
    for n, case in enumerate(cases_):
        host = "case-%s" % case["id"]
        hosts[host] = None
        path = os.path.join(inventory, "host_vars", host + ".yml")
        if "vars_file" in case:
            with open(path, "wb") as handle:
                handle.write(("virtual_appointments_organizer: %s\n" % user).encode())
                handle.write(case["vars_file"]["text"].encode(case["vars_file"].get("encoding", "utf-8")))
            continue
        text = "virtual_appointments_organizer: %s\nvirtual_appointments:\n" % case.get("organizer", user)
        text += textwrap.indent(batch_items(case, user, n), "  ")
        if "export" in case:
            text += "virtual_appointments_file: %s\n" % write_export(root, case, user)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    with open(os.path.join(inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write(yaml.safe_dump({"organizers": {"hosts": hosts, "vars": {
            "virtual_appointments_ledger_dir": os.path.join(root, name + "-ledger"),
            "virtual_appointments_report_dir": os.path.join(root, name + "-report")}}}))
    return os.path.join(inventory, "hosts.yml")


@pytest.fixture(scope="module")
def role_run(runs, emulator_process, root):
    user = emulator_process.defaults["user_id"]
    cases_ = [case for case in CASES if "role" in case["through"] and "vars_file" not in case]
    return runs("role", ROLE_PLAY, role_inventory(root, "inventory", cases_, user))


# ---------------------------------------------------------------- the cases

def module_message(run, case):
    result = run.result(case["id"])
    assert result.get("failed"), "%s was accepted: %s" % (case["id"], json.dumps(result)[:2000])
    return result.get("msg", "")


def check_module_case(run, case, user):
    message = module_message(run, case)
    if case.get("expect_module"):
        missing = [text for text in case["expect_module"] if text not in message]
    else:  # the single-item modules name the option: "Invalid input: appointment_clients[0].email_address: ..."
        missing = [text for text in case.get("expect") or [] if text not in message]
        if case.get("field") and not re.search(r"(?:^|[ .])%s(?:: |\.)" % re.escape(case["field"]), message):
            missing.append(case["field"])
    assert not missing, "%s: %s not in %r" % (case["id"], missing, message[:2000])
    assert len(message) < 5000, "the message echoes a huge value: %d characters" % len(message)
    assert HUGE[:1000] not in message


@pytest.mark.parametrize("case", cases("va"))
def test_virtual_appointment_module(va_run, case, emulator_process):
    check_module_case(va_run, case, emulator_process.defaults["user_id"])


@pytest.mark.parametrize("case", cases("om"))
def test_online_meeting_module(om_run, om_vars_file_runs, case, emulator_process):
    if "vars_file" in case:
        run = om_vars_file_runs[case["id"]]
        assert run.returncode != 0
        output = run.stdout + run.stderr
        assert all(text in output for text in case["expect_ansible"]), output[-3000:]
        assert_nothing_reached_graph(run)
        return
    check_module_case(om_run, case, emulator_process.defaults["user_id"])


@pytest.fixture(scope="module")
def om_vars_file_runs(runs, root):
    """A vars file Ansible cannot read stops the playbook before any task: one run each."""
    out = {}
    for case in CASES:
        if "vars_file" not in case or "om" not in case["through"]:
            continue
        path = os.path.join(root, "%s-vars.yml" % case["id"])
        with open(path, "wb") as handle:
            handle.write(case["vars_file"]["text"].encode(case["vars_file"].get("encoding", "utf-8")))
        playbook = ("- hosts: localhost\n  gather_facts: false\n  vars_files: [%s]\n  tasks:\n"
                    "    - cloudcomms.virtual_appointments.online_meeting:\n        external_id: BI-VARS\n"
                    "        subject: \"{{ bi_subject }}\"\n" % path)
        out[case["id"]] = runs("om-" + case["id"], playbook)
    return out


def batch_expectation(case, user):
    if "export" in case:
        return [case.get("source") or os.path.basename(case["export"]["name"])], 0, \
            external_id_of(json.dumps(json.loads(fill(case["export"]["text"], user))[0])) \
            if case.get("source") else None
    items = item_texts(case, user)
    index = case.get("index", 0)
    return ["appointments"], index + 1, external_id_of(items[index])


@pytest.mark.parametrize("case", cases("batch"))
def test_batch_module(batch_run, case, emulator_process):
    user = emulator_process.defaults["user_id"]
    message = module_message(batch_run, case)
    sources, index, external_id = batch_expectation(case, user)
    missing = expected_in(message, case, sources, index, external_id)
    assert not missing, "%s: %s not in %r" % (case["id"], missing, message[:2000])
    assert len(message) < 5000 and HUGE[:1000] not in message


def test_batch_lists_every_problem_in_one_message(all_in_one_run, emulator_process):
    run, where = all_in_one_run
    result = run.result("all in one")
    assert result.get("failed")
    message = result["msg"]
    failures = []
    for case, index, external_id in where:
        missing = expected_in(message, case, ["appointments"], index, external_id)
        if missing:
            failures.append("%s: %s" % (case["id"], missing))
    assert not failures, "\n".join(failures) + "\n" + message[:3000]
    # One line a problem; the good item at index 0 is named nowhere.
    assert len(result["problems"]) >= len(where)
    assert "appointments[0]" not in message
    assert_nothing_reached_graph(run)


@pytest.mark.parametrize("case", cases("role"))
def test_role(role_run, role_vars_file_runs, case, emulator_process):
    if "vars_file" in case:
        run = role_vars_file_runs[case["id"]]
        assert run.returncode != 0
        output = run.stdout + run.stderr
        assert all(text in output for text in case["expect_ansible"]), output[-3000:]
        assert_nothing_reached_graph(run)
        return
    user = emulator_process.defaults["user_id"]
    host = "case-%s" % case["id"]
    failures = host_failures(role_run).get(host)
    assert failures, "%s was accepted by the role: %s" % (case["id"], role_run.stdout[-3000:])
    message = " | ".join(failures.values())
    if "export" in case:
        sources, index, external_id = batch_expectation(case, user)
    else:
        items = item_texts(case, user)
        sources, index = ["virtual_appointments", "appointments"], case.get("index", 0) + 1
        external_id = external_id_of(items[case.get("index", 0)])
    missing = expected_in(message, case, sources, index, external_id)
    assert not missing, "%s: %s not in %r" % (case["id"], missing, message[:3000])
    assert HUGE[:1000] not in message


@pytest.fixture(scope="module")
def role_vars_file_runs(runs, emulator_process, root):
    """A host_vars file Ansible cannot read stops the play for every host: one run each."""
    user = emulator_process.defaults["user_id"]
    out = {}
    for case in CASES:
        if "vars_file" in case and "role" in case["through"]:
            inventory = role_inventory(root, "inventory-" + case["id"], [case], user)
            out[case["id"]] = runs("role-" + case["id"], ROLE_PLAY, inventory)
    return out


@pytest.mark.parametrize("name", ["virtual_appointment", "online_meeting", "batch", "role"])
def test_nothing_reached_graph(request, root, name):
    """No request at all while the corpus ran: no write, no read, no token."""
    run = request.getfixturevalue({"virtual_appointment": "va_run", "online_meeting": "om_run", "batch": "batch_run",
                                   "role": "role_run"}[name])
    assert_nothing_reached_graph(run)
    if name == "role":
        # Every organizer failed, and none kept a ledger or wrote a report.
        assert set(host_failures(run)) == {"case-%s" % c["id"] for c in CASES
                                           if "role" in c["through"] and "vars_file" not in c}
        assert not os.path.exists(os.path.join(root, "inventory-ledger"))
        assert not os.path.exists(os.path.join(root, "inventory-report"))


def test_corpus_size():
    """At least 30 cases, unique ids, and every path has cases."""
    assert len(CASES) >= 30
    assert len({case["id"] for case in CASES}) == len(CASES)
    for through in ("va", "om", "batch", "role"):
        assert len(cases(through)) >= 10, through
