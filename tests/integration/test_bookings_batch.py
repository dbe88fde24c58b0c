"""booking_appointment_batch through real playbooks against the emulator: many appointments of one business in one
task, from the task and from an export file; a re-run and check mode write nothing; bad input anywhere stops the
task before any write, naming the item and the field; one item's failure leaves the others written and the result
says which; lost answers never make a second appointment; purge and its guard; the four-request limit per mailbox
absorbed.  The business is the seed's (directory.EXAMPLE_BUSINESS)."""

import csv
import json

from tests.graph_emulator.directory import DEFAULT_SEED, EXAMPLE_BUSINESS, with_bookings
from tests.integration.bookings_plays import Plays, writes

BUSINESS_ID = EXAMPLE_BUSINESS["id"]
STAFF = EXAMPLE_BUSINESS["staffMembers"][0]["emailAddress"]


def items(count, first=0, **changes):
    """``count`` appointments, 30 minutes each on weekdays of March 2027 within business hours (Europe/Berlin)."""
    out = []
    for number in range(first, first + count):
        day, slot = 1 + (number // 14) % 20, number % 14
        day += 2 * ((day + 1) // 7)  # skip past weekends roughly; delegated sign-ins are not held to the hours
        hour, minute = 8 + slot // 2, 30 * (slot % 2)
        end_hour, end_minute = hour + (minute + 30) // 60, (minute + 30) % 60
        item = {"external_id": "B-%04d" % number, "service_name": "Mortgage consultation",
                "start_date_time": "2027-03-%02dT%02d:%02d:00+01:00" % (min(day, 28), hour, minute),
                "end_date_time": "2027-03-%02dT%02d:%02d:00+01:00" % (min(day, 28), end_hour, end_minute),
                "customers": [{"name": "Customer %d" % number, "email_address": "c%d@fabrikam.com" % number}],
                "staff": [STAFF], "is_location_online": True}
        item.update(changes)
        out.append(item)
    return out


def batch_task(plays, options, name="batch", sign_in=None):
    return plays.task(name, "booking_appointment_batch", dict({"business_id": BUSINESS_ID}, **options),
                      register="batch", ignore=True, sign_in=sign_in)


def appointments_by_label(emulator):
    """external_id -> [appointment] as the emulator holds them (several would be a duplicate)."""
    state = emulator.state()
    out = {}
    for tenant in (state.get("bookings") or {}).get("tenants", {}).values():
        for record in tenant.values():
            for appointment in record["appointments"].values():
                out.setdefault((appointment.get("appointmentLabel") or "").replace("external_id:", ""),
                               []).append(appointment)
    return out


def setup(emulator, tmp_path):
    emulator.seed(with_bookings(DEFAULT_SEED))
    return Plays(emulator, tmp_path)


def test_a_batch_and_an_export_file_are_booked_once_and_a_rerun_and_check_mode_write_nothing(
        emulator, ansible_playbook, tmp_path):
    plays = setup(emulator, tmp_path)
    export = tmp_path / "export.csv"
    with open(export, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "service_name", "start_date_time", "end_date_time", "customer_name",
                         "customer_email_address", "staff", "is_location_online"])
        for item in items(25, first=100):
            writer.writerow([item["external_id"], item["service_name"], item["start_date_time"],
                             item["end_date_time"], item["customers"][0]["name"],
                             item["customers"][0]["email_address"], json.dumps(item["staff"]), "true"])
    options = {"appointments": items(25), "appointments_file": {"path": str(export)}}
    first = ansible_playbook(plays.playbook([batch_task(plays, options)]))
    result = first.result("batch")
    assert not result.get("failed"), result.get("msg")
    assert result["summary"]["created"] == 50 and result["summary"]["total"] == 50, result["summary"]
    assert all(entry["join_web_url"] and entry["anonymous_join_web_url"] for entry in result["appointments"])
    assert result["source"]["items"] == 25
    held = appointments_by_label(emulator)
    assert all(len(held.get("B-%04d" % n, [])) == 1 for n in list(range(25)) + list(range(100, 125))), held.keys()

    since = emulator.metrics()["writes"]
    again = ansible_playbook(plays.playbook([batch_task(plays, options)])).result("batch")
    assert not again["changed"] and again["summary"]["unchanged"] == 50, again["summary"]
    assert emulator.metrics()["writes"] == since
    checked = ansible_playbook(plays.playbook([batch_task(plays, options)]), args=("--check", "--diff"))
    assert not checked.result("batch")["changed"], checked.result("batch").get("msg")
    moved = items(25)
    moved[3]["start_date_time"], moved[3]["end_date_time"] = "2027-03-30T09:00:00+02:00", "2027-03-30T09:30:00+02:00"
    plan = ansible_playbook(plays.playbook([batch_task(plays, dict(options, appointments=moved))]),
                            args=("--check", "--diff")).result("batch")
    assert plan["changed"] and plan["summary"]["updated"] == 1, plan["summary"]
    assert plan["diff"][0]["after"]["start_date_time"] == "2027-03-30T07:00:00Z"
    assert emulator.metrics()["writes"] == since  # check mode wrote nothing (the fence would fail the test too)


def test_bad_input_anywhere_stops_the_batch_before_any_write(emulator, ansible_playbook, tmp_path):
    plays = setup(emulator, tmp_path)
    bad = items(5)
    bad[2]["customers"] = [{"name": "No mail"}]
    bad[4]["staff"] = ["nobody@contoso.com"]
    since = emulator.requests()
    result = ansible_playbook(plays.playbook([batch_task(plays, {"appointments": bad})])).result("batch")
    assert result.get("failed")
    assert "appointments[2] (external_id B-0002)" in result["msg"] and "email_address" in result["msg"]
    assert "appointments[4] (external_id B-0004).staff[0]: nobody@contoso.com is not a staff member" in result["msg"]
    assert writes(emulator.requests()) == writes(since) == []


def test_one_items_failure_leaves_the_others_written_and_named(emulator, ansible_playbook, tmp_path):
    plays = setup(emulator, tmp_path)
    options = {"appointments": items(6)}
    emulator.faults([{"route": "appointments$", "method": "POST", "status": 400, "count": 1}])
    result = ansible_playbook(plays.playbook([batch_task(plays, options)])).result("batch")
    assert result.get("failed") and result["summary"]["failed"] == 1 and result["summary"]["created"] == 5
    failed = [entry for entry in result["appointments"] if entry["action"] == "failed"]
    assert failed[0]["error"]["status"] == 400 and "1 of 6 appointments failed" in result["msg"]
    assert failed[0]["external_id"] in result["msg"]
    emulator.faults([])
    again = ansible_playbook(plays.playbook([batch_task(plays, options)])).result("batch")
    assert again["summary"]["created"] == 1 and again["summary"]["unchanged"] == 5, again["summary"]


def test_lost_answers_never_make_a_second_appointment(emulator, ansible_playbook, tmp_path):
    plays = setup(emulator, tmp_path)
    emulator.faults([{"route": "appointments$", "method": "POST", "drop": "after", "count": 3},
                     {"route": "appointments$", "method": "POST", "status": 500, "after": True, "count": 2}])
    result = ansible_playbook(plays.playbook([batch_task(plays, {"appointments": items(30)})])).result("batch")
    assert not result.get("failed"), result.get("msg")
    assert result["summary"]["created"] == 30
    held = appointments_by_label(emulator)
    assert sorted(held) == ["B-%04d" % n for n in range(30)] and all(len(v) == 1 for v in held.values())


def test_purge_removes_keyed_appointments_left_out_within_its_guard(emulator, ansible_playbook, tmp_path):
    plays = setup(emulator, tmp_path)
    ansible_playbook(plays.playbook([batch_task(plays, {"appointments": items(10)})]))
    other = plays.task("made elsewhere", "booking_appointment", {
        "business_id": BUSINESS_ID, "external_id": "X-1", "service_name": "Mortgage consultation",
        "start_date_time": "2027-04-05T09:00:00+02:00", "end_date_time": "2027-04-05T09:30:00+02:00"})
    ansible_playbook(plays.playbook([other]))
    refused = ansible_playbook(plays.playbook([batch_task(plays, {"appointments": items(2), "purge": True})]))
    assert "more than purge_limit 50%" in refused.result("batch")["msg"]
    empty = ansible_playbook(plays.playbook([batch_task(plays, {"appointments": [], "purge": True})]))
    assert "gives no appointment" in empty.result("batch")["msg"]
    assert len(appointments_by_label(emulator)) == 11
    done = ansible_playbook(plays.playbook([batch_task(plays, {"appointments": items(6), "purge": True})]))
    summary = done.result("batch")["summary"]
    assert summary["deleted"] == 5 and summary["unchanged"] == 6, summary  # X-1 and B-0006..B-0009
    assert sorted(appointments_by_label(emulator)) == ["B-%04d" % n for n in range(6)]


def test_the_four_request_limit_per_mailbox_is_waited_out(emulator, ansible_playbook, tmp_path):
    """Three batches of the same business at once (three hosts, three forks), each with four $batch calls in
    flight, while every Bookings request is held 200 ms: far more than four at a time, so Graph's 429s come and are
    waited out."""
    plays = setup(emulator, tmp_path)
    emulator.faults([{"route": "bookingBusinesses", "delay_ms": 200}])
    hosts = ["h0", "h1", "h2"]
    task = batch_task(plays, {"appointments": "{{ batches[inventory_hostname] }}"})
    play = plays.play([task], hosts=",".join(hosts), connection="local",
                      vars={"batches": {host: items(10, first=10 * n) for n, host in enumerate(hosts)}})
    run = ansible_playbook(json.dumps([play]), args=("-i", ",".join(hosts) + ",", "--forks", "3"))
    results = run.tasks["batch"]
    assert len(results) == 3 and all(not result.get("failed") for result in results), results
    assert sorted(result["summary"]["created"] for result in results) == [10, 10, 10]
    statuses = [entry["status"] for entry in emulator.requests() if entry["kind"] == "graph"]
    assert 429 in statuses
    held = appointments_by_label(emulator)
    assert len(held) == 30 and all(len(v) == 1 for v in held.values())
