"""The virtual_appointments role and the collection playbooks, through the real ansible-playbook against the emulator.

A small inventory is generated with examples/inventory/generate.py (2 tenants, 3 organizers, 30 appointments) and
its emulator seed loaded; each test provisions it from scratch. Writes are counted by the emulator (metrics
``writes`` counts changes of state; the request log shows which meeting each write touched).
"""

import csv
import json
import os
import subprocess
import sys

import yaml

from tests.helpers import COLLECTION_ROOT, Inventory, Runner, first_item

REPORT_COLUMNS = ["external_id", "organizer", "online_meeting_id", "join_web_url", "appointment_client_join_web_url",
                  "client_join_web_url", "action"]


def test_provision_rerun_check_diff_and_update(role, inventory):
    first = role()
    assert first.ok, first.why()
    report = first.report()
    assert report["summary"]["total"] == 30 and report["summary"]["created"] == 30, report["summary"]
    assert report["check_mode"] is False
    assert {entry["host"] for entry in report["organizers"]} == set(inventory.hosts())
    assert "30 appointments of 3 organizers reconciled: 30 created" in first.summary_lines()[0]
    ledger = role.ledger_file(inventory.hosts()[0])
    assert ledger["format"] == 1 and ledger["host"] == inventory.hosts()[0]
    assert len(ledger["appointments"]) == 10
    assert all(set(entry) == {"online_meeting_id", "user", "organizer_id"} for entry in ledger["appointments"].values())

    # The report for the scheduling system: every appointment with its meeting and join links.
    with open(os.path.join(role.report, "report.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == REPORT_COLUMNS and len(rows) == 30
    assert all(row["online_meeting_id"] and row["join_web_url"].startswith("https://") and
               row["appointment_client_join_web_url"].startswith("https://") and row["action"] == "created"
               for row in rows)
    with open(os.path.join(role.report, "report.json"), encoding="utf-8") as handle:
        assert json.load(handle)["summary"] == report["summary"]

    # Same inventory again: nothing written, nothing changed.
    writes = role.writes()
    again = role()
    assert again.ok, again.why()
    assert role.writes() == writes
    assert again.changed_hosts() == [], again.run.json["stats"]
    assert all(not result["changed"] for result in again.batches().values())
    assert again.report()["summary"]["unchanged"] == 30

    # Edit one appointment; --check --diff shows exactly that one, from the ledger's meeting ids, and writes nothing.
    host, data, item = first_item(inventory)
    item["subject"] = "Rescheduled: " + item["subject"]
    item["appointment_clients"][0]["display_name"] = "Pat Q. Client"
    inventory.save_host_vars(host, data)
    plan = role(args=["--check", "--diff"])
    assert plan.ok, plan.why()
    assert role.writes() == writes
    planned = plan.report()
    assert planned["check_mode"] is True
    changed = [row for row in planned["appointments"] if row["action"] != "unchanged"]
    assert [(row["external_id"], row["action"]) for row in changed] == [(item["external_id"], "updated")]
    assert any(change.startswith("meeting.subject: ") and "Rescheduled: " in change for change in changed[0]["changes"])
    assert any("Pat Q. Client" in change for change in changed[0]["changes"])
    lines = plan.summary_lines()
    assert "(check mode: nothing was changed in Graph)" in lines[0] and any("Rescheduled: " in line for line in lines)
    assert plan.changed_hosts() == [host]

    # The real run writes that item only.
    since = role.seq()
    applied = role()
    assert applied.ok, applied.why()
    meeting_id = role.ledger_file(host)["appointments"][item["external_id"]]["online_meeting_id"]
    touched = role.write_requests(since)
    assert touched and all(meeting_id in request["path"] for request in touched), touched
    assert role.writes() == writes + 2  # the meeting's subject and the appointment's clients
    assert applied.report()["summary"]["updated"] == 1
    assert role().report()["summary"]["unchanged"] == 30


def test_purge_removes_only_what_the_ledger_lists(role, inventory, emulator):
    assert role().ok
    host, data, removed = first_item(inventory)
    meeting_id = role.ledger_file(host)["appointments"][removed["external_id"]]["online_meeting_id"]
    # A meeting of the same organizer that the role never made (created straight through Graph): never purged.
    tenant = inventory.tenant_of(host)
    token = emulator.app_token(tenant_id=tenant["id"], client_id=tenant["apps"][0]["client_id"])
    http = emulator.session()
    http.headers["Authorization"] = "Bearer " + token
    organizer = data["virtual_appointments_organizer"]
    foreign = http.post("%s/beta/users/%s/onlineMeetings/createOrGet" % (emulator.graph_url, organizer), json={
        "externalId": "HAND-MADE-1", "subject": "Made by hand", "startDateTime": "2026-12-08T10:00:00Z",
        "endDateTime": "2026-12-08T10:30:00Z"}, timeout=30)
    assert foreign.status_code == 201, foreign.text

    data["virtual_appointments"] = data["virtual_appointments"][1:]
    inventory.save_host_vars(host, data)
    # Without purge, an item that left the inventory stays (and stays in the ledger).
    kept = role()
    assert kept.ok and kept.changed_hosts() == [], kept.why()
    assert meeting_id in role.meetings()
    assert removed["external_id"] in role.ledger_file(host)["appointments"]

    # Purge: its meeting is deleted - only it - and it leaves the ledger.
    writes, since = role.writes(), role.seq()
    purged = role(extra={"virtual_appointments_purge": True})
    assert purged.ok, purged.why()
    assert role.writes() == writes + 1
    assert [(r["method"], meeting_id in r["path"]) for r in role.write_requests(since)] == [("DELETE", True)]
    meetings = role.meetings()
    assert meeting_id not in meetings and foreign.json()["id"] in meetings
    assert len(meetings) == 30  # 29 from the inventory and the hand-made one
    assert removed["external_id"] not in role.ledger_file(host)["appointments"]
    assert [(r["external_id"], r["action"]) for r in purged.report()["appointments"] if r["action"] != "unchanged"] \
        == [(removed["external_id"], "deleted")]

    # state: absent in the inventory removes an appointment the ledger knows, without purge.
    gone = data["virtual_appointments"][0]
    gone["state"] = "absent"
    inventory.save_host_vars(host, data)
    absent = role()
    assert absent.ok, absent.why()
    assert [(r["external_id"], r["action"]) for r in absent.report()["appointments"] if r["action"] != "unchanged"] \
        == [(gone["external_id"], "deleted")]
    assert gone["external_id"] not in role.ledger_file(host)["appointments"]
    assert len(role.meetings()) == 29

    # Decommission: everything the ledger lists goes; the hand-made meeting stays; the ledgers are empty.
    plan = role("decommission", args=["--check"])
    assert plan.ok, plan.why()
    assert plan.report()["summary"]["deleted"] == 28 and len(role.meetings()) == 29
    done = role("decommission")
    assert done.ok, done.why()
    assert done.report()["summary"] == {"total": 28, "created": 0, "updated": 0, "deleted": 28, "unchanged": 0,
                                        "failed": 0}
    assert list(role.meetings()) == [foreign.json()["id"]]
    assert all(role.ledger_file(h)["appointments"] == {} for h in inventory.hosts())


def test_report_playbook_is_read_only(role, inventory):
    assert role().ok
    host, data, item = first_item(inventory)
    item["external_appointment_url"] = "https://scheduling.example.com/moved/" + item["external_id"]
    inventory.save_host_vars(host, data)
    os.remove(os.path.join(role.report, "report.csv"))
    ledger_before = role.ledger_file(host)
    writes = role.writes()
    report = role("report")
    assert report.ok, report.why()
    assert role.writes() == writes and role.ledger_file(host) == ledger_before
    with open(os.path.join(role.report, "report.csv"), encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 30 and all(row["online_meeting_id"] and row["join_web_url"] for row in rows)
    assert sorted(row["action"] for row in rows) == ["unchanged"] * 29 + ["updated"]
    with open(os.path.join(role.report, "report.json"), encoding="utf-8") as handle:
        assert json.load(handle)["check_mode"] is True


def test_failed_item_is_kept_in_the_ledger_and_fails_its_organizer(role, inventory, emulator):
    # The first virtual appointment PUT fails with a non-retryable error; the other 29 items are done.
    emulator.faults([{"route": "/virtualAppointment$", "method": "PUT", "status": 400, "count": 1}])
    first = role()
    assert not first.ok
    report = first.report()
    assert report["summary"]["failed"] == 1 and report["summary"]["created"] == 29, report["summary"]
    failed = next(row for row in report["appointments"] if row["action"] == "failed")
    assert failed["online_meeting_id"] and failed["error"]
    host = next(entry["host"] for entry in report["organizers"] if entry["summary"]["failed"])
    assert failed["external_id"] in role.ledger_file(host)["appointments"]
    fail = first.host_results("Fail the organizers whose appointments failed")
    assert fail[host].get("failed") and failed["external_id"] in fail[host]["msg"]
    assert sorted(h for h, r in fail.items() if not r.get("skipped")) == [host]

    emulator.faults([])
    second = role()
    assert second.ok, second.why()
    assert [(r["external_id"], r["action"]) for r in second.report()["appointments"] if r["action"] != "unchanged"] \
        == [(failed["external_id"], "created")]


def test_flat_list_on_localhost(role, inventory, tmp_path):
    items = []
    for host in inventory.hosts()[:2]:
        data = inventory.host_vars(host)
        for item in data["virtual_appointments"][:3]:
            items.append(dict(item, user=data["virtual_appointments_organizer"]))
    tenant = inventory.tenant_of(inventory.hosts()[0])
    playbook = tmp_path / "flat.yml"

    def write_playbook(appointments):
        playbook.write_text(yaml.safe_dump([{
            "name": "Flat list", "hosts": "localhost", "gather_facts": False,
            "vars": {"virtual_appointments_list": appointments, "virtual_appointments_connection": {
                "tenant_id": tenant["id"], "client_id": tenant["apps"][0]["client_id"],
                "client_secret": tenant["apps"][0]["secrets"][0]}},
            "roles": [{"role": "cloudcomms.virtual_appointments.virtual_appointments"}]}], sort_keys=False))

    write_playbook(items)
    # localhost named in the inventory, no -c local, no interpreter set: the role still runs its modules locally,
    # with the Python running ansible-playbook (which has requests and msal).
    del role.env["ANSIBLE_PYTHON_INTERPRETER"]
    local = ["-i", "localhost,"]
    first = role(str(playbook), inventory_args=local)
    assert first.ok, first.why()
    assert first.report()["summary"]["created"] == 6
    with open(os.path.join(role.ledger, tenant["id"], "localhost.json"), encoding="utf-8") as handle:
        ledger = json.load(handle)
    assert {entry["user"] for entry in ledger["appointments"].values()} == {i["user"] for i in items}
    assert len({entry["user"] for entry in ledger["appointments"].values()}) == 2
    writes = role.writes()
    again = role(str(playbook), inventory_args=local)
    assert again.ok and again.changed_hosts() == [] and role.writes() == writes, again.why()
    assert again.report()["summary"]["unchanged"] == 6

    # Items of the flat list must name their organizer.
    write_playbook([{k: v for k, v in item.items() if k != "user"} for item in items[:1]] + items[1:])
    bad = role(str(playbook), inventory_args=local)
    assert not bad.ok and ".user: required in virtual_appointments_list" in bad.why()
    assert role.writes() == writes


def test_purge_without_ledger_fails_before_any_request(role, emulator):
    since = role.seq()
    run = role(ledger=False, extra={"virtual_appointments_purge": True})
    assert not run.ok and "virtual_appointments_purge needs virtual_appointments_ledger_dir" in run.why()
    assert emulator.requests(since=since) == []


def read_export(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_export(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_export_file_shared_by_organizers(emulator, tmp_path):
    """virtual_appointments_file: the batch module reads a CSV export itself; each organizer takes its own rows."""
    inventory = Inventory(tmp_path / "inventory", export="csv")
    emulator.seed(inventory.seed)
    role = Runner(emulator, inventory, tmp_path)
    assert all("virtual_appointments" not in inventory.host_vars(host) for host in inventory.hosts())
    rows = read_export(inventory.export)
    stranger = dict(rows[0], external_id="STRANGER-1", user="nobody@contoso.onmicrosoft.com")
    write_export(inventory.export, rows + [stranger])

    first = role()
    assert first.ok, first.why()
    report = first.report()
    assert report["summary"]["created"] == 30 and report["summary"]["total"] == 30, report["summary"]
    assert report["unclaimed"] == {inventory.export: {"nobody@contoso.onmicrosoft.com": 1}}
    assert any(line.startswith("Left alone: 1 appointments of %s" % inventory.export) for line in first.summary_lines())
    assert all(result["source"]["items"] == 31 for result in first.batches().values())
    host = inventory.hosts()[0]
    assert len(role.ledger_file(host)["appointments"]) == 10
    writes = role.writes()
    again = role()
    assert again.ok and again.changed_hosts() == [] and role.writes() == writes, again.why()

    # One row changed: --check --diff shows it (meeting ids from the ledger), then the run writes it alone.
    rows[3]["subject"] = "Rescheduled: " + rows[3]["subject"]
    write_export(inventory.export, rows)
    plan = role(args=["--check", "--diff"])
    assert plan.ok and role.writes() == writes, plan.why()
    assert [(r["external_id"], r["action"]) for r in plan.report()["appointments"] if r["action"] != "unchanged"] \
        == [(rows[3]["external_id"], "updated")]
    assert role().ok and role.writes() == writes + 1

    # A bad row of one organizer stops every organizer before anything is written, naming the line and the field.
    bad = [dict(row) for row in rows]
    bad[7]["external_appointment_url"] = "not a url"
    write_export(inventory.export, bad)
    since = role.seq()
    failed = role()
    assert not failed.ok
    assert sorted(failed.run.json["stats"]) == inventory.hosts()
    assert all(stats["failures"] == 1 for stats in failed.run.json["stats"].values())
    wanted = "appointments.csv line 9 (external_id %s).external_appointment_url" % rows[7]["external_id"]
    batches = failed.batches()
    assert sorted(batches) == inventory.hosts() and all(wanted in r["msg"] for r in batches.values()), failed.why()
    assert emulator.requests(since=since, kind="graph") == []

    # Purge: a row that left the file is deleted, from the ledger's meeting id.
    write_export(inventory.export, rows[1:])
    purged = role(extra={"virtual_appointments_purge": True})
    assert purged.ok, purged.why()
    assert [(r["external_id"], r["action"]) for r in purged.report()["appointments"] if r["action"] != "unchanged"] \
        == [(rows[0]["external_id"], "deleted")]
    assert len(role.meetings()) == 29


def test_ansible_doc_shows_the_role_argument_spec():
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTION_ROOT, ANSIBLE_NOCOLOR="1")
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "role",
                           "cloudcomms.virtual_appointments.virtual_appointments"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    for name in ("virtual_appointments_connection", "virtual_appointments_list", "virtual_appointments_ledger_dir",
                 "virtual_appointments_purge", "virtual_appointments_report_dir", "virtual_appointments_concurrency",
                 "virtual_appointments_mode", "external_id", "client_secret", "virtual_appointments_file"):
        assert name in proc.stdout, name


def test_a_host_in_two_tenant_groups_is_refused(role, inventory, emulator):
    """A host in two groups that each set virtual_appointments_connection would silently get one tenant's: refused
    before anything is sent. A child group overriding its parent's connection, and a host setting its own, are not
    two tenants."""
    hosts = inventory.hosts()
    torn = next(h for h in hosts if h.startswith("contoso"))
    child = next(h for h in hosts if h.startswith("contoso") and h != torn)
    with open(inventory.hosts_file, encoding="utf-8") as handle:
        layout = yaml.safe_load(handle)
    tenants = layout["all"]["children"]["virtual_appointments_tenants"]["children"]
    tenants["fabrikam"]["hosts"][torn] = None
    tenants["contoso"]["children"] = {"contoso_vip": {"hosts": {child: None}}}
    with open(inventory.hosts_file, "w", encoding="utf-8") as handle:
        yaml.safe_dump(layout, handle)
    with open(os.path.join(inventory.root, "group_vars", "contoso.yml"), encoding="utf-8") as handle:
        contoso = yaml.safe_load(handle)
    contoso["virtual_appointments_connection"]["max_retries"] = 5
    with open(os.path.join(inventory.root, "group_vars", "contoso_vip.yml"), "w", encoding="utf-8") as handle:
        yaml.safe_dump(contoso, handle)

    since = role.seq()
    run = role()
    refusals = run.host_results("Refuse an organizer in two tenant groups")
    assert refusals[torn].get("failed"), run.why()
    assert "tenant groups contoso and fabrikam" in refusals[torn]["msg"]
    assert not [h for h, r in refusals.items() if h != torn and r.get("failed")]
    assert torn not in run.batches() and child in run.batches()
    organizer = inventory.host_vars(torn)["virtual_appointments_organizer"] \
        if "virtual_appointments_organizer" in inventory.host_vars(torn) else torn
    touched = {r["path"] for r in emulator.requests(since=since, kind="graph")}
    assert not [path for path in touched if organizer.lower() in path.lower()]

    # The host's own connection wins over both groups: no ambiguity.
    data = inventory.host_vars(torn)
    data["virtual_appointments_connection"] = contoso["virtual_appointments_connection"]
    inventory.save_host_vars(torn, data)
    again = role()
    assert not again.host_results("Refuse an organizer in two tenant groups").get(torn, {}).get("failed")
    assert torn in again.batches(), again.why()
