"""The ledger and purge (issue 10): recorded as meetings are created (a run killed part-way leaves nothing purge cannot
find), purge's guards against mass deletion, what purge leaves alone, one organizer under two spellings, a corrupt
ledger, role variable names in messages, private ledger files.  Real ansible-playbook against the emulator; each test
asserts on the emulator's request log and state and on the files left."""

import json
import os
import signal
import stat
import subprocess
import sys
import time
from urllib.parse import quote

from tests.helpers import first_item

BATCH_TASK = "Reconcile the organizer's appointments with Microsoft Graph"


def emulator_meetings(emulator):
    """(organizer object id, externalId) -> meeting id of every meeting in the emulator."""
    return {(m["organizerUserId"], m["externalId"]): m["id"]
            for tenant in emulator.state()["tenants"] for m in tenant["meetings"]}


def ledger_path(role, inventory, host):
    return os.path.join(os.path.realpath(role.ledger), inventory.tenant_of(host)["id"], host + ".json")


def empty_inventory(inventory):
    for host in inventory.hosts():
        data = inventory.host_vars(host)
        data["virtual_appointments"] = []
        inventory.save_host_vars(host, data)


def graph_requests(emulator, since):
    return emulator.requests(since=since, kind="graph")


def touching(requests, inventory, *upns):
    """The requests whose path names one of these organizers (UPN, encoded or not, or object id)."""
    names = set()
    for upn in upns:
        names |= {upn, quote(upn, safe="")}
        names |= {u["id"] for t in inventory.seed["tenants"] for u in t["users"] if u["upn"] == upn}
    return [r for r in requests if any(name in r["path"] for name in names)]


def descendants(pid):
    """Every process below ``pid`` (Ansible's workers call setsid, so killing the process group misses them)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def kill_tree(pid):
    """SIGKILL ansible-playbook and every worker at once (stopped first, so none is forked or orphaned meanwhile)."""
    os.killpg(pid, signal.SIGSTOP)
    for child in descendants(pid):
        os.kill(child, signal.SIGSTOP)
    for child in [pid] + descendants(pid):
        try:
            os.kill(child, signal.SIGKILL)
        except ProcessLookupError:
            pass
    os.killpg(pid, signal.SIGKILL)


def test_a_run_killed_mid_way_leaves_a_ledger_that_purge_and_check_mode_see_in_full(role, inventory, emulator):
    emulator.modes(latency_ms=400)
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
           "cloudcomms.virtual_appointments.provision", "-i", inventory.hosts_file,
           "-e", json.dumps({"virtual_appointments_ledger_dir": role.ledger})]
    env = dict(role.env, ANSIBLE_FORKS="1")  # one organizer after the other: the kill lands in the first
    proc = subprocess.Popen(cmd, cwd=str(role.tmp_path), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not emulator_meetings(emulator) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
        kill_tree(proc.pid)
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
        proc.wait(timeout=30)
    emulator.modes(latency_ms=0)
    time.sleep(0.5)  # requests already in flight land
    made = emulator_meetings(emulator)
    assert 0 < len(made) < 30, "the kill should land mid-run: %d meetings" % len(made)

    # Every meeting the killed run made is in a ledger (with its id, or pending: recorded before its createOrGet).
    recorded = {}
    for host in inventory.hosts():
        path = ledger_path(role, inventory, host)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                recorded.update(json.load(handle)["appointments"])
    assert {external_id for dummy, external_id in made} <= set(recorded), (made, recorded)

    # The next --check --diff with purge (the inventory emptied) plans the delete of every one, writing nothing.
    empty_inventory(inventory)
    writes, since = role.writes(), role.seq()
    purge = {"virtual_appointments_purge": True, "virtual_appointments_purge_all": True}
    plan = role(args=["--check", "--diff"], extra=purge)
    assert plan.ok, plan.why()
    assert role.writes() == writes
    assert not [r for r in graph_requests(emulator, since) if r["method"] in ("PUT", "PATCH", "DELETE")
                or r["route"].endswith("createOrGet")]
    planned = {row["external_id"] for row in plan.report()["appointments"] if row["action"] == "deleted"}
    assert {external_id for dummy, external_id in made} <= planned, (made, planned)

    # The real purge removes every meeting the killed run made (pending ones found by createOrGet), and empties
    # the ledgers.
    done = role(extra=purge)
    assert done.ok, done.why()
    assert emulator_meetings(emulator) == {}
    for host in inventory.hosts():
        if os.path.exists(ledger_path(role, inventory, host)):
            assert role.ledger_file(host)["appointments"] == {}


def test_an_interrupted_run_is_finished_by_the_next_one_without_duplicates(role, inventory, emulator):
    """Pending entries of items still in the inventory just proceed: createOrGet finds their meetings."""
    host = inventory.hosts()[0]
    path = ledger_path(role, inventory, host)
    items = inventory.host_vars(host)["virtual_appointments"]
    os.makedirs(os.path.dirname(path))
    with open(path, "w", encoding="utf-8") as handle:  # what a run killed before its first answer leaves
        json.dump({"format": 1, "appointments": {
            item["external_id"]: {"online_meeting_id": None, "user": inventory.host_vars(host)[
                "virtual_appointments_organizer"]} for item in items[:3]}}, handle)
    plan = role(args=["--check"])
    assert plan.ok, plan.why()
    assert plan.batches()[host]["pending"] == sorted(item["external_id"] for item in items[:3])
    assert role().ok
    assert len(emulator_meetings(emulator)) == 30
    ledger = role.ledger_file(host)["appointments"]
    assert len(ledger) == 10 and all(entry["online_meeting_id"] for entry in ledger.values())
    writes = role.writes()
    assert role().ok and role.writes() == writes

    # Pending entries that left the inventory: with purge, found by createOrGet (one landed before the kill, one
    # never did) and deleted; check mode lists both as pending deletes.
    organizer = inventory.host_vars(host)["virtual_appointments_organizer"]
    tenant = inventory.tenant_of(host)
    http = emulator.session()
    http.headers["Authorization"] = "Bearer " + emulator.app_token(tenant_id=tenant["id"],
                                                                   client_id=tenant["apps"][0]["client_id"])
    landed = http.post("%s/beta/users/%s/onlineMeetings/createOrGet" % (emulator.graph_url, organizer),
                       json={"externalId": "GONE-1", "subject": "Made before the kill"}, timeout=30)
    assert landed.status_code == 201, landed.text
    writes = role.writes()
    document = role.ledger_file(host)
    document["appointments"].update({"GONE-1": {"online_meeting_id": None, "user": organizer},
                                     "GONE-2": {"online_meeting_id": None, "user": organizer}})
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    plan = role(args=["--check"], extra={"virtual_appointments_purge": True})
    assert plan.ok and role.writes() == writes, plan.why()
    rows = [r for r in plan.batches()[host]["appointments"] if r.get("pending")]
    assert sorted((r["external_id"], r["action"]) for r in rows) == [("GONE-1", "deleted"), ("GONE-2", "deleted")]
    done = role(extra={"virtual_appointments_purge": True})
    assert done.ok, done.why()
    assert landed.json()["id"] not in role.meetings() and len(emulator_meetings(emulator)) == 30
    assert not {"GONE-1", "GONE-2"} & set(role.ledger_file(host)["appointments"])


def test_purge_of_an_empty_or_missing_list_and_beyond_the_limit_is_refused(role, inventory, emulator):
    assert role().ok
    hosts = inventory.hosts()
    # A typo in the variable name: the organizer's list is missing.
    typo = inventory.host_vars(hosts[0])
    typo["virtual_appointmnets"] = typo.pop("virtual_appointments")
    inventory.save_host_vars(hosts[0], typo)
    # Another organizer loses 6 of its 10 appointments: more than the default limit of 50%.
    many = inventory.host_vars(hosts[1])
    many["virtual_appointments"] = many["virtual_appointments"][:4]
    inventory.save_host_vars(hosts[1], many)
    meetings = emulator_meetings(emulator)
    purge = {"virtual_appointments_purge": True}

    since = role.seq()
    plan = role(args=["--check", "--diff"], extra=purge)
    assert not plan.ok
    batches = plan.batches()
    assert "all 10 of the 10 appointments the ledger lists for it" in batches[hosts[0]]["msg"], batches[hosts[0]]
    assert typo["virtual_appointments_organizer"] in batches[hosts[0]]["msg"]
    assert "virtual_appointments_purge_all: true" in batches[hosts[0]]["msg"]
    assert "would delete 6 of the 10 appointments" in batches[hosts[1]]["msg"]
    assert "virtual_appointments_purge_limit 50%" in batches[hosts[1]]["msg"]
    assert not batches[hosts[2]].get("failed"), batches[hosts[2]]
    # Refused before any request: the two organizers sent nothing (the third read its appointments).
    assert not touching(graph_requests(emulator, since), inventory, typo["virtual_appointments_organizer"],
                        many["virtual_appointments_organizer"])

    writes = role.writes()
    real = role(extra=purge)
    assert not real.ok and role.writes() == writes and emulator_meetings(emulator) == meetings

    # Said explicitly: the limit raised purges the 6; purge_all purges the organizer whose list is missing.
    raised = role(extra=dict(purge, virtual_appointments_purge_limit="100%"))
    assert not raised.ok  # the missing list is still refused
    assert len(emulator_meetings(emulator)) == 24
    assert len(role.ledger_file(hosts[1])["appointments"]) == 4
    everything = role(extra=dict(purge, virtual_appointments_purge_all=True))
    assert everything.ok, everything.why()
    assert len(emulator_meetings(emulator)) == 14
    assert role.ledger_file(hosts[0])["appointments"] == {}


def test_a_plan_without_purge_lists_what_left_the_inventory(role, inventory):
    assert role().ok
    host, data, dummy = first_item(inventory)
    gone = [item["external_id"] for item in data["virtual_appointments"][:2]]
    data["virtual_appointments"] = data["virtual_appointments"][2:]
    inventory.save_host_vars(host, data)
    plan = role(args=["--check", "--diff"])
    assert plan.ok, plan.why()
    batch = plan.batches()[host]
    assert [entry["external_id"] for entry in batch["not_purged"]] == sorted(gone)
    assert any("2 appointments left the task but stay in Graph and in the ledger" in w for w in batch["warnings"])
    shown = plan.host_results("Show the appointments that left the inventory but stay in Graph and in the ledger")
    assert all(external_id in shown[host]["msg"] for external_id in gone), shown
    assert "virtual_appointments_purge is off" in shown[host]["msg"]


def test_one_organizer_by_upn_and_by_object_id_converges(role, inventory, emulator):
    assert role().ok
    host, data, dummy = first_item(inventory)
    upn = data["virtual_appointments_organizer"]
    object_id = next(u["id"] for t in inventory.seed["tenants"] for u in t["users"] if u["upn"] == upn)
    ledger = role.ledger_file(host)["appointments"]
    assert all(entry["organizer_id"] == object_id for entry in ledger.values())
    meetings = emulator_meetings(emulator)

    # The organizer now given by its object id, with purge: one organizer - nothing deleted, nothing written.
    data["virtual_appointments_organizer"] = object_id
    inventory.save_host_vars(host, data)
    writes = role.writes()
    run = role(extra={"virtual_appointments_purge": True})
    assert run.ok, run.why()
    assert role.writes() == writes and emulator_meetings(emulator) == meetings
    assert role.ledger_file(host)["appointments"] == ledger
    again = role(extra={"virtual_appointments_purge": True})
    assert again.ok and role.writes() == writes and again.changed_hosts() == []

    # A ledger that cannot tell (no organizer_id: written before it was recorded): the mix is refused, naming both.
    path = ledger_path(role, inventory, host)
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    for entry in document["appointments"].values():
        del entry["organizer_id"]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    since = role.seq()
    refused = role(extra={"virtual_appointments_purge": True})
    assert not refused.ok
    message = refused.batches()[host]["msg"]
    assert upn in message and object_id in message and "two spellings" in message, message
    assert not touching(graph_requests(emulator, since), inventory, upn)
    assert role.writes() == writes


def test_a_corrupt_ledger_names_the_file_and_the_entry(role, inventory, emulator):
    assert role().ok
    host = inventory.hosts()[0]
    path = ledger_path(role, inventory, host)
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text[:len(text) // 2])  # truncated
    since = role.seq()
    run = role(extra={"virtual_appointments_purge": True})
    assert not run.ok
    message = run.batches()[host]["msg"]
    assert path in message and "truncated or was edited by hand" in message, message

    document = json.loads(text)
    external_id = sorted(document["appointments"])[3]
    document["appointments"][external_id]["online_meeting_id"] = 5
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    run = role(extra={"virtual_appointments_purge": True})
    message = run.batches()[host]["msg"]
    assert "%s.%s: must be a mapping with online_meeting_id and user" % (path, external_id) in message, message
    assert not touching(graph_requests(emulator, since), inventory, inventory.host_vars(host)[
        "virtual_appointments_organizer"])


def test_ledger_files_are_private(role, inventory):
    assert role().ok
    for host in inventory.hosts():
        path = ledger_path(role, inventory, host)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) & 0o077 == 0, path


def test_role_errors_name_the_role_variables(role, inventory, emulator, tmp_path):
    # virtual_appointments_notify_sms needs each organizer signed in as themselves (Graph serves the SMS to delegated
    # tokens only; an application sign-in is refused before the inputs are read further: test_delegated_only.py).
    inventory.use_delegated_connections(tmp_path / "tokens")
    host, data, dummy = first_item(inventory)
    data["virtual_appointments"][3]["appointment_clients"][0]["sms_capable_phone_number"] = "312 555 014"
    data["virtual_appointments"][1] = None
    data["virtual_appointments"][2]["external_appointment_url"] = "not a url"
    inventory.save_host_vars(host, data)
    since = role.seq()
    run = role(extra={"virtual_appointments_notify_sms": {"time_zone": "Central Standard Time"}})
    assert not run.ok
    message = run.batches()[host]["msg"]
    # A null item does not hide the other problems.
    assert "virtual_appointments[1]: must be a mapping, got null" in message, message
    assert "virtual_appointments[2] (external_id %s).external_appointment_url" % data["virtual_appointments"][2][
        "external_id"] in message, message

    data["virtual_appointments"][1] = dict(data["virtual_appointments"][0], external_id="NEW-1")
    data["virtual_appointments"][2]["external_appointment_url"] = "https://scheduling.example.com/x"
    inventory.save_host_vars(host, data)
    run = role(extra={"virtual_appointments_notify_sms": {"time_zone": "Mars/Olympus"}})
    assert "virtual_appointments_notify_sms.time_zone" in run.batches()[host]["msg"], run.why()
    run = role(extra={"virtual_appointments_concurrency": 99})
    assert "virtual_appointments_concurrency: must be between 1 and 16" in run.batches()[host]["msg"], run.why()
    run = role(extra={"virtual_appointments_notify_sms": {"time_zone": "Central Standard Time"}})
    message = run.batches()[host]["msg"]
    wanted = "virtual_appointments[3] (external_id %s).appointment_clients[0].sms_capable_phone_number" % data[
        "virtual_appointments"][3]["external_id"]
    assert wanted in message, message
    assert "notify_sms" not in message.replace("virtual_appointments_notify_sms", "")
    assert not touching(graph_requests(emulator, since), inventory, data["virtual_appointments_organizer"])
    run = role(extra={"virtual_appointments_purge": True, "virtual_appointments_purge_limit": "half"})
    assert "virtual_appointments_purge_limit: must be a count" in run.batches()[host]["msg"]
