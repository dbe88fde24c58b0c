"""Issue 10 (trust fixes), results, errors and warnings: what the batch module, online_meeting and the role report
must say, through the real ansible-playbook against the emulator (its request log, state and the files left).

* An online_meeting_id whose meeting carries another external ID is refused, naming both, and nothing is written to
  that meeting (batch: that item fails, the others go on; online_meeting: the task fails).
* An item that failed half-way says per part what was written and what was not.
* Batch item errors carry the HTTP status, Graph code, request-id and why retrying stopped.
* A ca_path that does not exist fails naming the option and its variable, before any request.
* At -v the in-process batch shows a line per slice.
* The batch module's "Show the plan" example shows what it says.
* The role's report files are 0600 and its CSV neutralises cells a spreadsheet would run as formulas.
"""

import csv
import json
import os
import re
import stat

import pytest
import yaml

from tests.conftest import emulator_env
from tests.helpers import Inventory, Runner, example_playbook

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def play(tasks, variables=None):
    return yaml.safe_dump([{"name": "trust", "hosts": "localhost", "gather_facts": False, "vars": variables or {},
                            "tasks": tasks}], sort_keys=False)


def item(emulator, external_id, subject="Consultation", **extra):
    return dict({"external_id": external_id, "user": emulator.defaults["user_upn"], "subject": subject,
                 "start_date_time": "2026-12-01T10:00:00+01:00", "end_date_time": "2026-12-01T10:30:00+01:00",
                 "appointment_clients": [{"display_name": "Grady Archie", "email_address": "gradya@contoso.com"}]},
                **extra)


def batch_task(name, items, register, **options):
    return {"name": name, "cloudcomms.virtual_appointments.virtual_appointment_batch":
            dict({"appointments": items}, **options), "register": register, "ignore_errors": True}


def meetings(emulator):
    return {m["externalId"]: m for t in emulator.state()["tenants"] for m in t["meetings"]}


def writes_to(emulator, meeting_id, since=0):
    return [(r["method"], r["path"]) for r in emulator.requests(since=since, kind="graph")
            if r["method"] in WRITE_METHODS and meeting_id in r["path"]]


def test_an_online_meeting_id_of_another_external_id_is_refused(emulator, ansible_playbook):
    env = emulator_env(emulator)
    first = ansible_playbook(play([batch_task("Create", [item(emulator, "A-1"), item(emulator, "B-1")], "first")]),
                             env=env)
    assert first.result("Create").get("failed") is not True, first.result("Create")
    b_meeting = meetings(emulator)["B-1"]
    since = emulator.metrics()["seq"]

    # A-1's item given B-1's meeting id (a stale ledger, a copied id): before, B-1's meeting got A-1's subject.
    wrong = dict(item(emulator, "A-1", subject="Hijacked"), online_meeting_id=b_meeting["id"])
    single = {"user": emulator.defaults["user_upn"], "external_id": "A-1", "online_meeting_id": b_meeting["id"]}
    run = ansible_playbook(play([
        batch_task("Batch", [wrong, item(emulator, "C-1")], "batch"),
        {"name": "Single", "cloudcomms.virtual_appointments.online_meeting": dict(single, subject="Hijacked"),
         "register": "single", "ignore_errors": True},
        {"name": "Single absent", "cloudcomms.virtual_appointments.online_meeting": dict(single, state="absent"),
         "register": "gone", "ignore_errors": True},
    ]), env=env)

    batch = run.result("Batch")
    assert batch["failed"] and [r["action"] for r in batch["appointments"]] == ["failed", "created"]
    refused = batch["appointments"][0]
    assert refused["error"]["code"] == "externalIdMismatch" and refused["failed_part"] == "meeting"
    for text in (refused["error"]["message"], batch["msg"]):
        assert b_meeting["id"] in text and "'B-1'" in text and "'A-1'" in text, text
    assert (refused["meeting_action"], refused["appointment_action"]) == ("failed", "unchanged")
    for name in ("Single", "Single absent"):
        result = run.result(name)
        assert result["failed"] and "'B-1'" in result["msg"] and "'A-1'" in result["msg"], result
        assert result["error"]["meeting_external_id"] == "B-1"
    # B-1's meeting: not patched, not deleted; C-1 was created all the same.
    assert writes_to(emulator, b_meeting["id"], since) == []
    after = meetings(emulator)
    assert after["B-1"]["subject"] == "Consultation" and "C-1" in after


def test_an_item_that_failed_half_way_says_what_was_written(emulator, ansible_playbook):
    env = emulator_env(emulator)
    first = ansible_playbook(play([batch_task("Create", [item(emulator, "H-1"), item(emulator, "H-2")], "first")]),
                             env=env)
    assert first.result("Create").get("failed") is not True, first.result("Create")
    ids = {key: meetings(emulator)[key]["id"] for key in ("H-1", "H-2")}
    emulator.faults([
        {"route": ids["H-1"] + "/virtualAppointment$", "method": "PATCH", "status": 400, "count": 1},
        {"route": ids["H-2"] + "$", "method": "PATCH", "status": 403, "count": 1},
        {"route": "/virtualAppointment$", "method": "PUT", "status": 400, "count": 1},
    ])
    clients = [{"display_name": "Pat Q", "email_address": "pat@contoso.com"}]
    items = [dict(item(emulator, key, subject="Moved", appointment_clients=clients), online_meeting_id=ids[key])
             for key in ("H-1", "H-2")] + [item(emulator, "H-3")]
    run = ansible_playbook(play([batch_task("Half way", items, "half")]), env=env)
    result = run.result("Half way")
    assert result["failed"]
    parts = [(r["action"], r["meeting_action"], r["appointment_action"], r.get("failed_part"))
             for r in result["appointments"]]
    assert parts == [
        ("failed", "updated", "failed", "appointment"),   # the meeting was moved, the appointment's PATCH refused
        ("failed", "failed", "updated", "meeting"),       # before: meeting_action "unchanged", the update unreported
        ("failed", "created", "failed", "appointment"),   # a new meeting, its appointment's PUT refused
    ]
    # Something was written, so the task changed (before: changed false, as if nothing had happened).
    assert result["changed"] is True
    state = meetings(emulator)
    assert state["H-1"]["subject"] == "Moved" and state["H-2"]["subject"] == "Consultation"
    assert state["H-2"]["virtualAppointment"]["appointmentClients"][0]["emailAddress"] == "pat@contoso.com"
    assert state["H-3"]["virtualAppointment"] is None
    for entry, status in zip(result["appointments"], (400, 403, 400)):
        error = entry["error"]
        assert error["status"] == status and error["request_id"] and error["client_request_id"]
        assert "Graph answered %d" % status in error["message"] and "request-id " + error["request_id"] in \
            error["message"]


def test_batch_item_errors_say_why_the_collection_stopped_waiting(emulator, ansible_playbook):
    env = emulator_env(emulator)
    emulator.modes(provisioning={"status": 503, "seconds": 120})
    emulator.faults([{"route": "createOrGet", "method": "POST", "status": 429, "retry_after": 30, "count": 1}])
    run = ansible_playbook(play([batch_task("Waits", [item(emulator, "W-1"), item(emulator, "W-2")], "waits",
                                            retry_timeout=5, provisioning_timeout=10)]), env=env)
    result = run.result("Waits")
    assert result["failed"]
    throttled, provisioning = result["appointments"]
    assert throttled["error"]["status"] == 429 and "retry_timeout" in throttled["error"]["retry_note"]
    assert throttled["failed_part"] == "meeting"
    assert (provisioning["meeting_action"], provisioning["appointment_action"]) == ("created", "failed")
    error = provisioning["error"]
    assert (error["status"], error["code"]) == (503, "ServiceUnavailable") and error["request_id"]
    assert "provisioning_timeout" in error["retry_note"] and "provisioning_timeout" in error["message"]
    # The task's message names each failure as a single module would: status, code, request-id, the reason.
    assert "Graph answered 503 ServiceUnavailable" in result["msg"] and "request-id " + error["request_id"] in \
        result["msg"] and "provisioning_timeout" in result["msg"] and "retry_timeout" in result["msg"]


def test_a_missing_ca_path_names_the_option_and_its_variable(emulator, ansible_playbook, tmp_path):
    env = emulator_env(emulator)
    env["CLOUDCOMMS_GRAPH_CA_PATH"] = str(tmp_path / "no-such-ca.pem")
    run = ansible_playbook(play([batch_task("Batch", [item(emulator, "CA-1")], "batch"),
                                 {"name": "Single", "cloudcomms.virtual_appointments.online_meeting": {
                                     "user": emulator.defaults["user_upn"], "external_id": "CA-1"},
                                  "register": "single", "ignore_errors": True}]), env=env)
    for name in ("Batch", "Single"):
        message = run.result(name)["msg"]
        assert message.startswith("ca_path: ") and "no-such-ca.pem" in message and \
            "CLOUDCOMMS_GRAPH_CA_PATH" in message, message
    assert emulator.requests() == []  # not even a token request


def test_progress_at_v_shows_a_line_per_slice(emulator, ansible_playbook, tmp_path):
    """The engine works in slices of 500: 501 items are two slices, each reported at -v by the in-process action."""
    export = tmp_path / "export.csv"
    with open(export, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "user", "subject", "start_date_time", "end_date_time"])
        for index in range(501):
            writer.writerow(["P-%04d" % index, emulator.defaults["user_upn"], "Progress",
                             "2026-12-01T10:00:00Z", "2026-12-01T10:30:00Z"])
    emulator.faults([{"route": "createOrGet", "method": "POST", "status": 429, "retry_after": 1, "count": 1}])
    task = {"name": "Many", "cloudcomms.virtual_appointments.virtual_appointment_batch": {
        "appointments_file": {"path": str(export)}}}
    run = ansible_playbook(play([task]), env=emulator_env(emulator), args=["-v"], callback="default")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = [line for line in run.stdout.splitlines() if "virtual_appointment_batch slice " in line]
    assert len(lines) == 2, run.stdout[-3000:]
    assert re.search(r"slice 1 of 2: 500 of 501 items done, \d+\.\d s elapsed, waited 1\.\d s \(1 retry\)", lines[0])
    assert re.search(r"slice 2 of 2: 501 of 501 items done, \d+\.\d s elapsed, waited 1\.\d s \(1 retry\)", lines[1])
    quiet = ansible_playbook(play([task]), env=emulator_env(emulator), callback="default")
    assert quiet.returncode == 0 and "virtual_appointment_batch slice " not in quiet.stdout


def test_the_show_the_plan_example_shows_the_rows(emulator, ansible_playbook, tmp_path):
    env = emulator_env(emulator)
    env["CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH"] = str(tmp_path / "tokens.json")
    # The examples text clients (notify_sms): Graph sends SMS for a signed-in organizer only.
    del env["AZURE_CLIENT_SECRET"]
    env.update(AZURE_CLIENT_ID=emulator.defaults["public_client_id"], AZURE_USERNAME=emulator.defaults["user_upn"],
               AZURE_PASSWORD=emulator.defaults["user_password"])
    run = ansible_playbook(example_playbook("virtual_appointment_batch"), env=env)
    message = run.result("Show the plan")["msg"]
    # Before: "plan.source.items" is the dict's items method - "(1 of the <built-in method items ...> rows ...)".
    assert message.endswith("(1 of the 2 rows are this organizer's)"), message


@pytest.fixture
def one_organizer(emulator, tmp_path):
    inventory = Inventory(tmp_path / "inventory", appointments=3, organizers=1, tenants=1)
    host = inventory.hosts()[0]
    data = inventory.host_vars(host)
    data["virtual_appointments"][0]["external_id"] = "=1+2"   # a formula, were it opened in a spreadsheet
    data["virtual_appointments"][1]["external_id"] = "@SUM(A1)"
    inventory.save_host_vars(host, data)
    emulator.seed(inventory.seed)
    return Runner(emulator, inventory, tmp_path), inventory, host


def test_role_report_files_are_private_neutralised_and_tell_what_failed(emulator, one_organizer):
    role = one_organizer[0]
    emulator.faults([{"route": "/virtualAppointment$", "method": "PUT", "status": 400, "count": 1}])
    run = role()
    assert not run.ok
    for name in ("report.json", "report.csv"):
        mode = stat.S_IMODE(os.stat(os.path.join(role.report, name)).st_mode)
        assert mode == 0o600, "%s is %o" % (name, mode)
    with open(os.path.join(role.report, "report.csv"), encoding="utf-8", newline="") as handle:
        rows = {row["external_id"]: row for row in csv.DictReader(handle)}
    assert "'=1+2" in rows and "'@SUM(A1)" in rows and "=1+2" not in rows
    with open(os.path.join(role.report, "report.json"), encoding="utf-8") as handle:
        report = json.load(handle)
    assert {row["external_id"] for row in report["appointments"]} >= {"=1+2", "@SUM(A1)"}  # exact in the JSON
    failed = [row for row in report["appointments"] if row["action"] == "failed"]
    assert len(failed) == 1
    row = failed[0]
    parts = (row["meeting_action"], row["appointment_action"], row["failed_part"])
    assert parts == ("created", "failed", "appointment")
    assert row["error_status"] == 400 and row["request_id"] and "request-id " + row["request_id"] in row["error"]
    lines = run.summary_lines()
    assert lines[0].startswith("3 appointments of 1 organizer reconciled: 2 created"), lines
    assert "The changes that were made:" in lines and "The appointments that failed:" in lines
    assert any("meeting created, appointment failed: Graph answered 400" in line and row["external_id"] in line
               for line in lines), lines
