"""The role's data work (plugins/filter/appointments.py): plan (ledger ids, purge, decommission), ledger update,
report rows and summary, CSV, summary lines. Pure functions over plain data."""

import csv
import io

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.cloudcomms.virtual_appointments.plugins.filter.appointments import (
    FilterModule, appointments_csv, appointments_ledger, appointments_plan, appointments_report,
    appointments_report_lines, changes, effective_action)

ADELE = "adele.vance@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@contoso.onmicrosoft.com"


def ledger(**entries):
    return {"format": 1, "host": "h", "tenant": "t",
            "appointments": {k: {"online_meeting_id": v[0], "user": v[1]} for k, v in entries.items()}}


def test_filters_are_registered():
    assert set(FilterModule().filters()) == {"appointments_plan", "appointments_ledger", "appointments_report",
                                             "appointments_csv", "appointments_report_lines",
                                             "appointments_tenant_groups"}


def test_plan_defaults_user_and_copies_the_items():
    items = [{"external_id": "A-1", "subject": "x"}, {"external_id": "A-3", "user": DIEGO}]
    assert appointments_plan(items, organizer=ADELE, ledger_enabled=True) == [
        {"external_id": "A-1", "subject": "x", "user": ADELE}, {"external_id": "A-3", "user": DIEGO}]
    assert items[0] == {"external_id": "A-1", "subject": "x"}  # the input is not changed


def test_decommission_sends_no_item_the_module_removes_the_ledger():
    assert appointments_plan([{"external_id": "X"}], organizer=ADELE, ledger_enabled=True, mode="decommission") == []


@pytest.mark.parametrize("kwargs, message", [
    ({"purge": True}, "virtual_appointments_purge needs virtual_appointments_ledger_dir"),
    ({"mode": "decommission"}, "decommission needs virtual_appointments_ledger_dir"),
    ({"mode": "destroy"}, "virtual_appointments_mode must be one of"),
])
def test_plan_refuses_what_it_cannot_do_safely(kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        appointments_plan([], organizer=ADELE, **kwargs)


def test_flat_list_items_must_name_their_user_and_all_problems_are_listed():
    with pytest.raises(AnsibleFilterError) as caught:
        appointments_plan([], flat=[{"external_id": "A-1"}, {"external_id": "A-2", "user": ADELE}, "junk",
                                    {"external_id": "A-3"}])
    text = str(caught.value)
    assert "virtual_appointments_list[0] (external_id A-1).user: required in virtual_appointments_list" in text
    assert "virtual_appointments_list[2]: must be a mapping" in text
    assert "virtual_appointments_list[3] (external_id A-3).user" in text
    assert appointments_plan([{"external_id": "A-1"}], organizer=ADELE,
                             flat=[{"external_id": "B-1", "user": DIEGO}]) == [
        {"external_id": "A-1", "user": ADELE}, {"external_id": "B-1", "user": DIEGO}]


def test_plan_validates_every_item_naming_the_role_variable_and_the_field():
    with pytest.raises(AnsibleFilterError) as caught:
        appointments_plan([{"external_id": "A-1", "start_date_time": "2026-12-01T10:00:00Z",
                            "end_date_time": "2026-12-01T09:00:00Z"},
                           {"external_id": "A-2", "colour": "red"}, {"external_id": "A-1"}], organizer=ADELE)
    text = str(caught.value)
    assert text.startswith("Invalid input: ")
    assert "virtual_appointments[0] (external_id A-1)" in text and "end_date_time" in text
    assert "virtual_appointments[1] (external_id A-2): unknown key(s) colour" in text
    assert "virtual_appointments[2] (external_id A-1).external_id: A-1 is also virtual_appointments[0]" in text
    with pytest.raises(AnsibleFilterError, match="virtual_appointments: must be a list, got str"):
        appointments_plan("A-1", organizer=ADELE)


def test_plan_reports_a_null_item_with_every_other_problem():
    with pytest.raises(AnsibleFilterError) as caught:
        appointments_plan([None, {"external_id": "A-2", "external_appointment_url": "not a url"}], organizer=ADELE,
                          flat=[None])
    text = str(caught.value)
    assert "virtual_appointments[0]: must be a mapping, got null" in text
    assert "virtual_appointments[1] (external_id A-2).external_appointment_url" in text
    assert "virtual_appointments_list[0]: must be a mapping, got null" in text


def test_a_corrupt_ledger_is_an_error():
    with pytest.raises(AnsibleFilterError, match="not a virtual_appointments ledger"):
        appointments_ledger([], previous={"format": 1, "appointments": ["x"]})
    with pytest.raises(AnsibleFilterError, match="A-1: must be a mapping with online_meeting_id"):
        appointments_ledger([], previous={"format": 1, "appointments": {"A-1": {"user": ADELE}}})


def result(external_id, action, meeting_id, user=ADELE, state="present", **extra):
    return dict({"external_id": external_id, "user": user, "state": state, "online_meeting_id": meeting_id,
                 "action": action,
                 "meeting_action": action if action != "failed" else "unchanged", "join_web_url": "j",
                 "appointment_client_join_web_url": "c"}, **extra)


def test_ledger_after_a_run():
    previous = ledger(**{"A-1": ("m1", ADELE), "A-2": ("m2", ADELE), "A-3": ("m3", ADELE), "A-4": ("m4", ADELE),
                         "KEEP": ("k", ADELE)})
    results = [result("A-1", "unchanged", "m1"), result("A-2", "deleted", "m2", state="absent"),
               result("A-3", "updated", "m3b"), result("NEW", "created", "n1"), result("FAIL", "failed", "f1"),
               result("FAIL2", "failed", None), result("A-4", "failed", "m4", state="absent"),
               result("SKIPPED", "unchanged", None, state="absent")]
    out = appointments_ledger(results, previous=previous, host="host-1", tenant="tenant-1")
    assert out["format"] == 1 and out["host"] == "host-1" and out["tenant"] == "tenant-1"
    assert out["appointments"] == {
        "A-1": {"online_meeting_id": "m1", "user": ADELE},
        "A-3": {"online_meeting_id": "m3b", "user": ADELE},   # a meeting re-created after it vanished
        "A-4": {"online_meeting_id": "m4", "user": ADELE},    # its delete failed: still known
        "FAIL": {"online_meeting_id": "f1", "user": ADELE},   # meeting made before the appointment failed
        "KEEP": {"online_meeting_id": "k", "user": ADELE},    # left the inventory without purge: kept for later
        "NEW": {"online_meeting_id": "n1", "user": ADELE}}
    assert list(out["appointments"]) == sorted(out["appointments"])
    assert appointments_ledger([], previous=None)["appointments"] == {}


def test_ledger_without_the_state_field_infers_absent_items():
    previous = ledger(**{"A-1": ("m1", ADELE), "A-2": ("m2", ADELE), "A-3": ("m3", ADELE)})
    results = [result("A-1", "unchanged", "m1"), dict(result("A-2", "deleted", "m2"), join_web_url=None),
               dict(result("A-3", "unchanged", "m3"), join_web_url=None)]
    for entry in results:
        del entry["state"]  # an older batch module
    assert list(appointments_ledger(results, previous=previous)["appointments"]) == ["A-1"]


def test_ledger_of_a_moved_item_keeps_the_new_organizer():
    previous = ledger(**{"A-1": ("m1", ADELE)})
    results = [result("A-1", "created", "d1", user=DIEGO), result("A-1", "deleted", "m1", state="absent")]
    assert appointments_ledger(results, previous=previous)["appointments"] == {
        "A-1": {"online_meeting_id": "d1", "user": DIEGO}}


def test_effective_action_counts_a_meeting_change_as_an_update():
    assert effective_action({"action": "unchanged", "meeting_action": "updated"}) == "updated"
    assert effective_action({"action": "unchanged", "meeting_action": "deleted"}) == "deleted"
    assert effective_action({"action": "created", "meeting_action": "created"}) == "created"
    assert effective_action({"action": "failed", "meeting_action": "updated"}) == "failed"


def test_changes_lists_the_fields_that_differ():
    diff = {"before": {"meeting": {"subject": "Old", "start_date_time": "2026-12-07T15:00:00Z"},
                       "appointment": {"appointment_clients": [{"display_name": "A", "email_address": "a@x.com"}],
                                       "settings": {"allow_client_to_join_using_browser": False}}},
            "after": {"meeting": {"subject": "New", "start_date_time": "2026-12-07T15:00:00Z"},
                      "appointment": {"appointment_clients": [{"display_name": "A", "email_address": "a@x.com"},
                                                              {"display_name": "B", "email_address": "b@x.com",
                                                               "sms_capable_phone_number": "+1 312 555 0101"}],
                                      "settings": {"allow_client_to_join_using_browser": True}}}}
    assert changes(diff) == [
        "appointment.appointment_clients: [A <a@x.com>] -> [A <a@x.com>; B <b@x.com> +1 312 555 0101]",
        "appointment.settings.allow_client_to_join_using_browser: false -> true",
        "meeting.subject: 'Old' -> 'New'"]
    assert changes(None) == []


HOSTVARS = {
    "h1": {"__virtual_appointments_outcome": {"host": "h1", "tenant": "t1", "organizer": ADELE},
           "virtual_appointments_batch": {"changed": True, "summary": {"total": 3}, "appointments": [
               result("A-1", "created", "m1"), result("A-2", "unchanged", "m2", meeting_action="updated",
                                                      diff={"before": {"meeting": {"subject": "a"}},
                                                            "after": {"meeting": {"subject": "b"}}}),
               result("A-3", "failed", None, error={"status": 400, "message": "Bad, really"})],
               "msg": "1 of 3 appointments failed: A-3"}},
    "h2": {"__virtual_appointments_outcome": {"host": "h2", "tenant": "t2", "organizer": DIEGO},
           "virtual_appointments_batch": {"failed": True, "msg": "sign-in failed"}},
    "h3": {"__virtual_appointments_outcome": {"host": "h3", "tenant": "t2", "organizer": "x"},
           "virtual_appointments_batch": {"skipped": True, "changed": False}},
    "other": {},
}


def test_report_combines_the_organizers():
    report = appointments_report(HOSTVARS, ["h1", "h2", "h3", "other", "missing"], check_mode=True)
    assert report["check_mode"] is True
    assert report["summary"] == {"total": 3, "created": 1, "updated": 1, "deleted": 0, "unchanged": 0, "failed": 1}
    assert [o["host"] for o in report["organizers"]] == ["h1", "h2", "h3"]
    assert report["organizers"][0]["error"].startswith("1 of 3") and report["organizers"][1]["error"] == \
        "sign-in failed"
    assert "error" not in report["organizers"][2]
    rows = report["appointments"]
    assert rows[0] == {"external_id": "A-1", "organizer": ADELE, "online_meeting_id": "m1", "join_web_url": "j",
                       "appointment_client_join_web_url": "c", "client_join_web_url": None, "action": "created",
                       "tenant": "t1"}
    assert rows[1]["action"] == "updated" and rows[1]["changes"] == ["meeting.subject: 'a' -> 'b'"]
    assert rows[2]["error"] == "Bad, really"


def test_csv_has_the_report_columns_and_quotes_what_needs_it():
    text = appointments_csv(appointments_report(HOSTVARS, ["h1"]))
    parsed = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(parsed[0]) == ["external_id", "organizer", "online_meeting_id", "join_web_url",
                               "appointment_client_join_web_url", "client_join_web_url", "action"]
    assert [r["action"] for r in parsed] == ["created", "updated", "failed"]
    assert parsed[2]["online_meeting_id"] == ""
    assert appointments_csv({"appointments": [{"external_id": "A,1", "organizer": 'say "hi"'}]}).splitlines()[1] == \
        '"A,1","say ""hi""",,,,,'


def test_summary_lines():
    lines = appointments_report_lines(appointments_report(HOSTVARS, ["h1", "h2", "h3"]), limit=1)
    assert lines[0] == "3 appointments of 3 organizers reconciled: 1 created, 1 updated, 0 deleted, 0 unchanged, 1 failed"
    assert lines[1] == "  h1 (%s): 1 created, 1 updated, 1 failed" % ADELE
    assert lines[2] == "  h2 (%s): nothing to do - sign-in failed" % DIEGO
    assert lines[3] == "  h3 (x): nothing to do"
    # A failure is no change that was made: the changes and the failures are listed apart.
    assert lines[4] == "The first 1 of the 2 changes that were made:"
    assert lines[5].split() == ["created", "A-1", ADELE]
    assert lines[6] == "The appointments that failed:"
    assert lines[7].split()[:3] == ["failed", "A-3", ADELE] and lines[7].endswith(": Bad, really)") and len(lines) == 8
    planned = appointments_report_lines(appointments_report(HOSTVARS, ["h1"], check_mode=True))
    assert planned[0].endswith("(check mode: nothing was changed in Graph)") and "planned" in planned[0]
    assert planned[2] == "The changes that would be made:"
    assert "      meeting.subject: 'a' -> 'b'" in planned and any(line.endswith(": Bad, really)") for line in planned)


def one_organizer(*items):
    return {"h1": {"__virtual_appointments_outcome": {"host": "h1", "tenant": "t1", "organizer": ADELE},
                   "virtual_appointments_batch": {"changed": True, "appointments": list(items)}}}


def test_summary_wording_is_singular_for_one():
    lines = appointments_report_lines(appointments_report(one_organizer(result("A-1", "created", "m1")), ["h1"]))
    assert lines[0].startswith("1 appointment of 1 organizer reconciled: 1 created")  # was "1 appointments of 1 organizers"


def test_a_half_way_failure_reports_what_was_written_and_the_whole_error():
    """The meeting was created, then the appointment's PUT failed: the row says so, with status, code, request-id and
    why retrying stopped (before: only Graph's message, and nothing about the meeting)."""
    error = {"status": 503, "code": "ServiceUnavailable", "request_id": "r-1", "client_request_id": "c-1",
             "date": None, "retry_note": "gave up after 2 retries (max_retries)",
             "message": "Graph answered 503 ServiceUnavailable on PUT x: busy [request-id r-1] (gave up after 2 "
                        "retries (max_retries))"}
    item = result("A-9", "failed", "m9", error=error, meeting_action="created", appointment_action="failed",
                  failed_part="appointment")
    report = appointments_report(one_organizer(item), ["h1"])
    row = report["appointments"][0]
    assert row["error"] == error["message"]
    assert (row["error_status"], row["error_code"], row["request_id"], row["retry_note"]) == \
        (503, "ServiceUnavailable", "r-1", "gave up after 2 retries (max_retries)")
    assert (row["meeting_action"], row["appointment_action"], row["failed_part"]) == ("created", "failed", "appointment")
    assert "date" not in row
    lines = appointments_report_lines(report)
    assert lines[-1].split()[:3] == ["failed", "A-9", ADELE]
    assert "(meeting created, appointment failed: Graph answered 503 ServiceUnavailable" in lines[-1]
    assert "The changes that were made:" not in lines


@pytest.mark.parametrize("value, cell", [
    ("=HYPERLINK(\"http://evil.example\",\"x\")", "'=HYPERLINK(\"http://evil.example\",\"x\")"),
    ("+1+1", "'+1+1"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"),
    ("A-1", "A-1"), ("https://x.example/a=b", "https://x.example/a=b"), (None, ""),
])
def test_csv_neutralises_cells_a_spreadsheet_would_run(value, cell):
    text = appointments_csv({"appointments": [{"external_id": value, "organizer": ADELE}]})
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert parsed[1][0] == cell and parsed[1][1] == ADELE
