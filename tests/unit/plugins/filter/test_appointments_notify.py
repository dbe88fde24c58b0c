"""The role's report with the batch's notify_sms (plugins/filter/appointments.py appointments_report): rows carry
``notified`` (the SMS sent, or planned in check mode) or ``notify_error``; an organizer whose SMS failed has its
``error``; the CSV columns and the summary stay as they are."""

import csv
import io

from ansible_collections.cloudcomms.virtual_appointments.plugins.filter.appointments import (
    REPORT_COLUMNS, appointments_csv, appointments_report)


def row(external_id, action, note=None):
    out = {"external_id": external_id, "user": "adele@contoso.com", "online_meeting_id": "m-" + external_id,
           "join_web_url": "j", "appointment_client_join_web_url": "c", "action": action, "meeting_action": action}
    if note is not None:
        out["notification"] = note
    return out


HOSTVARS = {"h1": {
    "__virtual_appointments_outcome": {"host": "h1", "tenant": "t1", "organizer": "adele@contoso.com"},
    "virtual_appointments_batch": {
        "summary": {"total": 3, "created": 2, "updated": 0, "deleted": 0, "unchanged": 1, "failed": 0,
                    "notified": 1, "notify_failed": 1},
        "msg": "1 SMS notifications failed, but the appointments themselves were written: A-2 ...",
        "appointments": [
            row("A-1", "created", {"message_type": "confirmation", "sent": True, "request_id": "r1"}),
            row("A-2", "created", {"message_type": "confirmation", "sent": False, "may_have_been_sent": True,
                                   "error": {"status": 500, "message": "Graph answered 500"}}),
            row("A-3", "unchanged")]}}}


def test_rows_say_which_sms_went_and_which_failed():
    report = appointments_report(HOSTVARS, ["h1"])
    rows = report["appointments"]
    assert rows[0]["notified"] == "confirmation" and "notify_error" not in rows[0]
    assert rows[1]["notify_error"] == "Graph answered 500" and "notified" not in rows[1]
    assert "notified" not in rows[2] and "notify_error" not in rows[2]
    assert report["summary"] == {"total": 3, "created": 2, "updated": 0, "deleted": 0, "unchanged": 1, "failed": 0}
    assert report["organizers"][0]["error"].startswith("1 SMS notifications failed")


def test_the_csv_keeps_its_columns():
    parsed = list(csv.DictReader(io.StringIO(appointments_csv(appointments_report(HOSTVARS, ["h1"])), newline="")))
    assert tuple(parsed[0]) == REPORT_COLUMNS and len(parsed) == 3
