"""The pure parts of the batch module's notify_sms (plugins/module_utils/sms.py): the attendees of an appointment's
clients, whether a meeting moved (a reschedule), and whether a failed SMS may still have been sent (then it is never
sent again)."""

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import sms

WHERE = "appointments[3] (external_id A-1)"


def client(phone=None, name="Grady Archie", email="gradya@contoso.com"):
    out = {"display_name": name, "email_address": email}
    if phone is not None:
        out["sms_capable_phone_number"] = phone
    return out


def test_clients_with_a_number_become_attendees_in_e164_form():
    clients = [client("+1 312 555 0142"), client(), client("(206) 555-0199", "Lynne", "lynne@contoso.com")]
    attendees, problems, warnings = sms.client_attendees(clients, "Central Standard Time", WHERE)
    assert attendees == [{"phone_number": "+13125550142", "time_zone": "Central Standard Time"},
                         {"phone_number": "+12065550199", "time_zone": "Central Standard Time"}]
    assert problems == [] and warnings == []
    assert sms.attendees_body(attendees)[0] == [{"phoneNumber": "+13125550142", "timeZone": "Central Standard Time"},
                                                {"phoneNumber": "+12065550199", "timeZone": "Central Standard Time"}]


def test_a_number_two_clients_share_gets_one_sms():
    clients = [client("+1 206 555 0150"), client("206.555.0150", "Alex", "alexw@contoso.com")]
    attendees, problems, dummy = sms.client_attendees(clients, "Pacific Standard Time")
    assert attendees == [{"phone_number": "+12065550150", "time_zone": "Pacific Standard Time"}] and problems == []


def test_a_bad_number_names_the_item_and_the_clients_field():
    clients = [client("+1 312 555 0143"), client("555 0142", "Bad", "bad@contoso.com"), client("+1 312 CALL NOW")]
    attendees, problems, dummy = sms.client_attendees(clients, "UTC", WHERE)
    assert attendees == [{"phone_number": "+13125550143", "time_zone": "UTC"}]
    assert len(problems) == 2
    assert problems[0].startswith(WHERE + ".appointment_clients[1].sms_capable_phone_number: give the number with a "
                                  "leading +")
    assert problems[1].startswith(WHERE + ".appointment_clients[2].sms_capable_phone_number: not a phone number")


def test_a_number_outside_the_united_states_is_a_warning():
    attendees, problems, warnings = sms.client_attendees([client("+44 20 7946 0958")], "GMT Standard Time", WHERE)
    assert attendees == [{"phone_number": "+442079460958", "time_zone": "GMT Standard Time"}] and problems == []
    assert warnings == [WHERE + ".appointment_clients[0].sms_capable_phone_number: +442079460958 is not a United "
                        "States number; Graph sends these SMS to US numbers only"]


@pytest.mark.parametrize("clients", [None, [], [client()], [client("")], ["not a mapping"]])
def test_no_client_with_a_number_means_no_attendee(clients):
    assert sms.client_attendees(clients, "UTC") == ([], [], [])


@pytest.mark.parametrize("before, after, moved", [
    ({"start_date_time": "2026-12-01T21:00:00Z", "end_date_time": "2026-12-01T21:45:00Z"},
     {"start_date_time": "2026-12-01T22:00:00Z", "end_date_time": "2026-12-01T22:45:00Z"}, True),
    ({"start_date_time": "2026-12-01T21:00:00Z", "end_date_time": "2026-12-01T21:45:00Z"},
     {"start_date_time": "2026-12-01T21:00:00Z", "end_date_time": "2026-12-01T22:00:00Z"}, True),   # longer
    # the same instants, written differently: no reschedule
    ({"start_date_time": "2026-12-01T21:00:00Z", "end_date_time": "2026-12-01T21:45:00.0000000Z"},
     {"start_date_time": "2026-12-01T15:00:00-06:00", "end_date_time": "2026-12-01T15:45:00-06:00"}, False),
    ({"start_date_time": "2026-12-01T21:00:00Z", "subject": "a"},
     {"start_date_time": "2026-12-01T21:00:00Z", "subject": "b"}, False),                          # a new subject
    (None, {"start_date_time": "2026-12-01T21:00:00Z"}, False),                                     # a new meeting
    ({"start_date_time": "2026-12-01T21:00:00Z"}, None, False),                                     # deleted
    ({"start_date_time": None}, {"start_date_time": "2026-12-01T21:00:00Z"}, False),
])
def test_a_meeting_moved_when_its_start_or_end_instant_changed(before, after, moved):
    assert sms.meeting_moved(before, after) is moved


@pytest.mark.parametrize("status, maybe", [
    (None, True), (500, True), (502, True), (504, True),      # no answer or an ambiguous one: never sent again
    (400, False), (403, False), (404, False), (429, False), (503, False),
])
def test_which_failures_may_have_sent_the_sms(status, maybe):
    assert sms.may_have_been_sent(status) is maybe
