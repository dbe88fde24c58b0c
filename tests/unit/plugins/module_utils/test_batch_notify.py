"""The pure part of virtual_appointment_batch's notify_sms in plugins/module_utils/batch.py: the options and every
item checked before any request (``notify_plan``).  Which SMS a change calls for is the notification kind's planner
(test_planners.py)."""

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import items
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.batch import notify_plan

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
