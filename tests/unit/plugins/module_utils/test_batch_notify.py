"""The pure parts of virtual_appointment_batch's notify_sms (plugins/module_utils/batch.py): the
options and every item checked before any request (``notify_plan``), and which SMS a reconcile result calls for
(``notification_type``)."""

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import items
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import CREATED, DELETED, UPDATED
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item, Result
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.batch import (
    notification_type, notify_plan)

ON = {"enabled": True, "time_zone": "America/Chicago", "message_types": ["confirmation", "reschedule", "cancellation"]}


def entries(*given):
    return items.entries_of("appointments", list(given))


def item(external_id="A-1", phone="+1 312 555 0142", **extra):
    out = {"external_id": external_id, "appointment_clients": [
        {"display_name": "Grady", "email_address": "g@contoso.com", "sms_capable_phone_number": phone}]}
    out.update(extra)
    return out


def test_off_is_none_and_checks_only_the_item_time_zones():
    assert notify_plan(None, entries(item(phone="555 0142"))) is None
    assert notify_plan(dict(ON, enabled=False), entries(item(phone="555 0142"))) is None
    with pytest.raises(ValidationError) as caught:
        notify_plan(None, entries(item(sms_time_zone="Chicago Time")))
    assert caught.value.problems[0].startswith("appointments[0] (external_id A-1).sms_time_zone: not a time zone")


def test_on_gives_each_item_its_windows_time_zone():
    plan_ = notify_plan(ON, entries(item(), item("A-2", sms_time_zone="pacific standard time")))
    assert plan_ == {"types": {"confirmation", "reschedule", "cancellation"},
                     "zones": ["Central Standard Time", "Pacific Standard Time"]}
    assert notify_plan(dict(ON, message_types=[]), entries(item()))["types"] == set()


def test_on_reports_every_problem_naming_the_item_and_the_field():
    with pytest.raises(ValidationError) as caught:
        notify_plan({"enabled": True, "time_zone": None, "message_types": ["confirmation"]},
                    entries(item(), item("A-2", phone="555 0142"), item("A-3", phone="bad", state="absent")))
    problems = caught.value.problems
    assert problems[0].startswith("notify_sms.time_zone: required when notify_sms is enabled")
    assert problems[1].startswith("appointments[1] (external_id A-2).appointment_clients[0].sms_capable_phone_number: "
                                  "give the number with a leading +")
    assert len(problems) == 2  # an absent item's clients are Graph's, read before the delete
    assert "as appointments[0] (external_id A-1), appointments[1] (external_id A-2), appointments[2]" in problems[0]


def test_items_with_their_own_time_zone_need_no_default():
    own = entries(item(sms_time_zone="America/Denver"), item("A-2", sms_time_zone="Hawaiian Standard Time"))
    assert notify_plan({"enabled": True, "time_zone": None}, own)["zones"] == ["Mountain Standard Time",
                                                                               "Hawaiian Standard Time"]
    with pytest.raises(ValidationError) as caught:
        notify_plan(dict(ON, time_zone="Central Time"), entries(item()))
    assert caught.value.problems[0].startswith("notify_sms.time_zone: not a time zone")


def result(meeting_action="unchanged", appointment_action="unchanged", before=None, after=None, appointment=True,
           error=None):
    out = Result(Item("x", appointment_state="present"))
    out.meeting_action, out.appointment_action = meeting_action, appointment_action
    out.meeting_before, out.meeting = before, after
    out.appointment = {"appointment_clients": []} if appointment else None
    out.error = error
    return out


EARLY = {"start_date_time": "2026-12-01T21:00:00Z", "end_date_time": "2026-12-01T21:45:00Z", "subject": "a"}
LATE = {"start_date_time": "2026-12-01T22:00:00Z", "end_date_time": "2026-12-01T22:45:00Z", "subject": "a"}


@pytest.mark.parametrize("made, expected", [
    (result(CREATED, CREATED, None, EARLY), "confirmation"),
    (result("unchanged", CREATED, EARLY, EARLY), "confirmation"),              # an appointment on an existing meeting
    (result(CREATED, "unchanged", None, EARLY, appointment=False, error="PUT failed"), None),  # no appointment yet
    (result(UPDATED, "unchanged", EARLY, LATE), "reschedule"),
    (result(UPDATED, "unchanged", EARLY, dict(EARLY, subject="b")), None),     # a new subject only
    (result(UPDATED, "unchanged", EARLY, LATE, error="PATCH of the appointment failed"), "reschedule"),
    (result(UPDATED, "unchanged", EARLY, LATE, appointment=False), None),      # a meeting without an appointment
    (result(DELETED, DELETED, EARLY, None, appointment=False), "cancellation"),
    (result(), None),
])
def test_which_sms_a_result_calls_for(made, expected):
    assert notification_type(made) == expected
