"""plugins/module_utils/models.py: Graph JSON <-> snake_case views, the comparison rules of DESIGN.md (unset options
are not managed, ``[]`` clears, clients are a set keyed by the case-folded e-mail, settings compare only the keys
given, times compare as instants), the Graph bodies and the predicted result of a write.  Plain data, no Ansible."""

import datetime

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.models import (
    appointment_changes, appointment_compared_view, appointment_from_graph, appointment_to_graph, as_bool,
    desired_appointment, desired_meeting, format_time, meeting_changes, meeting_from_graph, parse_time,
    phone_digits, predict_appointment)

UTC = datetime.timezone.utc
GRADY = {"display_name": "Grady Archie", "email_address": "gradya@contoso.com",
         "sms_capable_phone_number": "+1 312-555-0142"}
MEGAN = {"display_name": "Megan Bowen", "email_address": "meganb@contoso.com", "sms_capable_phone_number": None}

# A virtualAppointment as Graph returns it (the documented example's shape).
ENTITY = {
    "@odata.context": "https://graph.microsoft.com/beta/$metadata#users('3b6e')/onlineMeetings('MSo1')/$entity",
    "id": "MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZi",
    "appointmentClientJoinWebUrl": "https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=8a3f&convId=19:meeting",
    "externalAppointmentId": "A-1001",
    "externalAppointmentUrl": "https://scheduling.example.com/appointments/A-1001",
    "appointmentClients": [
        {"displayName": "Grady Archie", "emailAddress": "gradya@contoso.com", "smsCapablePhoneNumber": "+13125550142"},
        {"displayName": "Megan Bowen", "emailAddress": "meganb@contoso.com"},
    ],
    "settings": {"allowClientToJoinUsingBrowser": True},
}
VIEW = {
    "id": "MSpkYzE3Njc0Yy04MWQ5LTRhZGItYmZi",
    "appointment_client_join_web_url": ENTITY["appointmentClientJoinWebUrl"],
    "external_appointment_id": "A-1001",
    "external_appointment_url": "https://scheduling.example.com/appointments/A-1001",
    "appointment_clients": [
        {"display_name": "Grady Archie", "email_address": "gradya@contoso.com",
         "sms_capable_phone_number": "+13125550142"},
        {"display_name": "Megan Bowen", "email_address": "meganb@contoso.com", "sms_capable_phone_number": None},
    ],
    "settings": {"allow_client_to_join_using_browser": True},
}


def client(name, email, phone=None):
    return {"display_name": name, "email_address": email, "sms_capable_phone_number": phone}


# -- appointment_from_graph -----------------------------------------------------------------------------------------
def test_from_graph_bare_entity():
    assert appointment_from_graph(ENTITY) == VIEW


def test_from_graph_wrapped_in_value():
    assert appointment_from_graph({"@odata.context": "https://graph.microsoft.com/beta/$metadata#x",
                                   "value": ENTITY}) == VIEW
    assert appointment_from_graph({"value": ENTITY}) == VIEW


def test_from_graph_value_with_siblings_is_not_unwrapped():
    """Only a lone "value" (plus @odata annotations) is the wrapper; anything else is the entity itself."""
    view = appointment_from_graph({"value": ENTITY, "id": "outer"})
    assert view["id"] == "outer" and view["appointment_clients"] == []


@pytest.mark.parametrize("flag, expected", [(True, True), (False, False), ("true", True), ("True", True),
                                            ("false", False), (" FALSE ", False), (None, None)])
def test_from_graph_browser_flag(flag, expected):
    view = appointment_from_graph(dict(ENTITY, settings={"allowClientToJoinUsingBrowser": flag}))
    assert view["settings"] == {"allow_client_to_join_using_browser": expected}
    assert view["settings"]["allow_client_to_join_using_browser"] is expected


def test_from_graph_missing_parts():
    view = appointment_from_graph({"id": "x"})
    assert view == {"id": "x", "appointment_client_join_web_url": None, "external_appointment_id": None,
                    "external_appointment_url": None, "appointment_clients": [],
                    "settings": {"allow_client_to_join_using_browser": None}}
    assert appointment_from_graph({"id": "x", "settings": None, "appointmentClients": None}) == view
    assert appointment_from_graph(None)["id"] is None


def test_as_bool_leaves_other_values_alone():
    assert as_bool("yes") == "yes" and as_bool(1) == 1


# -- desired_appointment ---------------------------------------------------------------------------------------------
def test_desired_unset_options_are_absent():
    assert desired_appointment({}) == {}
    assert desired_appointment({"appointment_clients": None, "external_appointment_id": None,
                                "external_appointment_url": None, "settings": None,
                                "appointment_client_join_web_url": None}) == {}


def test_desired_empty_list_is_kept():
    assert desired_appointment({"appointment_clients": []}) == {"appointment_clients": []}


def test_desired_strips_strings():
    desired = desired_appointment({
        "external_appointment_id": "  A-1001\t", "external_appointment_url": " https://x.example.com/a ",
        "appointment_clients": [{"display_name": " Grady Archie ", "email_address": " gradya@contoso.com",
                                 "sms_capable_phone_number": "+1 312 555 0142 "}]})
    assert desired == {
        "external_appointment_id": "A-1001", "external_appointment_url": "https://x.example.com/a",
        "appointment_clients": [{"display_name": "Grady Archie", "email_address": "gradya@contoso.com",
                                 "sms_capable_phone_number": "+1 312 555 0142"}]}


def test_desired_clients_get_every_field_and_lose_unknown_keys():
    assert desired_appointment({"appointment_clients": [{"email_address": "a@contoso.com", "extra": 1}]}) == {
        "appointment_clients": [{"display_name": None, "email_address": "a@contoso.com",
                                 "sms_capable_phone_number": None}]}


def test_desired_settings_only_given_keys():
    assert desired_appointment({"settings": {"allow_client_to_join_using_browser": False}}) == {
        "settings": {"allow_client_to_join_using_browser": False}}
    assert desired_appointment({"settings": {"allow_client_to_join_using_browser": None}}) == {}
    assert desired_appointment({"settings": {}}) == {}


# -- appointment_changes ---------------------------------------------------------------------------------------------
def test_changes_none_when_in_sync():
    desired = desired_appointment({"external_appointment_id": "A-1001",
                                   "appointment_clients": [GRADY, MEGAN],
                                   "settings": {"allow_client_to_join_using_browser": True}})
    assert appointment_changes(desired, VIEW) == {}


def test_changes_client_reorder_is_no_change():
    assert appointment_changes({"appointment_clients": [MEGAN, GRADY]}, VIEW) == {}


def test_changes_email_case_is_no_change():
    shouted = dict(GRADY, email_address="GradyA@Contoso.COM")
    assert appointment_changes(desired_appointment({"appointment_clients": [shouted, MEGAN]}), VIEW) == {}


def test_changes_phone_formatting_is_no_change():
    for phone in ("+1 312-555-0142", "+1 (312) 555 0142", "+1.312.555.0142", "+13125550142"):
        wanted = [dict(GRADY, sms_capable_phone_number=phone), MEGAN]
        assert appointment_changes({"appointment_clients": wanted}, VIEW) == {}, phone


def test_changes_rename_is_a_change():
    wanted = [dict(GRADY, display_name="Grady Archibald"), MEGAN]
    assert appointment_changes({"appointment_clients": wanted}, VIEW) == {"appointment_clients": wanted}


def test_changes_other_phone_is_a_change():
    wanted = [dict(GRADY, sms_capable_phone_number="+1 312-555-0143"), MEGAN]
    assert appointment_changes({"appointment_clients": wanted}, VIEW) == {"appointment_clients": wanted}


def test_changes_added_or_removed_client_is_a_change():
    extra = client("Alex Wilber", "alexw@contoso.com")
    assert appointment_changes({"appointment_clients": [GRADY, MEGAN, extra]}, VIEW) == {
        "appointment_clients": [GRADY, MEGAN, extra]}
    assert appointment_changes({"appointment_clients": [GRADY]}, VIEW) == {"appointment_clients": [GRADY]}


def test_changes_empty_list_clears():
    assert appointment_changes({"appointment_clients": []}, VIEW) == {"appointment_clients": []}
    assert appointment_changes({"appointment_clients": []}, dict(VIEW, appointment_clients=[])) == {}
    assert appointment_changes({"appointment_clients": [GRADY]}, dict(VIEW, appointment_clients=[])) == {
        "appointment_clients": [GRADY]}


def test_changes_settings_compare_only_given_keys():
    assert appointment_changes({"settings": {"allow_client_to_join_using_browser": True}}, VIEW) == {}
    assert appointment_changes({"settings": {"allow_client_to_join_using_browser": False}}, VIEW) == {
        "settings": {"allow_client_to_join_using_browser": False}}
    unknown = dict(VIEW, settings={"allow_client_to_join_using_browser": None})
    assert appointment_changes({"settings": {"allow_client_to_join_using_browser": False}}, unknown) == {
        "settings": {"allow_client_to_join_using_browser": False}}


def test_changes_unmanaged_keys_are_ignored():
    assert appointment_changes({}, VIEW) == {}
    assert appointment_changes({"external_appointment_id": "A-1001"},
                               dict(VIEW, external_appointment_url=None, appointment_clients=[],
                                    settings={"allow_client_to_join_using_browser": False})) == {}


def test_changes_scalars():
    desired = {"external_appointment_id": "A-2002", "external_appointment_url": VIEW["external_appointment_url"]}
    assert appointment_changes(desired, VIEW) == {"external_appointment_id": "A-2002"}
    assert appointment_changes({"external_appointment_id": "A-1001"}, {}) == {"external_appointment_id": "A-1001"}


# -- appointment_to_graph --------------------------------------------------------------------------------------------
def test_to_graph_camel_case():
    body = appointment_to_graph({
        "external_appointment_id": "A-1001", "external_appointment_url": "https://x.example.com/a",
        "appointment_client_join_web_url": "https://join.example.com/a",
        "appointment_clients": [GRADY, MEGAN], "settings": {"allow_client_to_join_using_browser": False}})
    assert body == {
        "externalAppointmentId": "A-1001", "externalAppointmentUrl": "https://x.example.com/a",
        "appointmentClientJoinWebUrl": "https://join.example.com/a",
        "appointmentClients": [
            {"displayName": "Grady Archie", "emailAddress": "gradya@contoso.com",
             "smsCapablePhoneNumber": "+1 312-555-0142"},
            {"displayName": "Megan Bowen", "emailAddress": "meganb@contoso.com"}],
        "settings": {"allowClientToJoinUsingBrowser": False}}


def test_to_graph_only_given_keys():
    assert appointment_to_graph({}) == {}
    assert appointment_to_graph({"appointment_clients": []}) == {"appointmentClients": []}
    assert appointment_to_graph({"settings": {"allow_client_to_join_using_browser": True}}) == {
        "settings": {"allowClientToJoinUsingBrowser": True}}


# -- predict_appointment ---------------------------------------------------------------------------------------------
def test_predict_create():
    values = {"external_appointment_id": "A-1001", "appointment_clients": [GRADY]}
    assert predict_appointment(None, values) == {
        "id": None, "appointment_client_join_web_url": None, "external_appointment_id": "A-1001",
        "external_appointment_url": None, "appointment_clients": [GRADY],
        "settings": {"allow_client_to_join_using_browser": False}}
    assert predict_appointment(None, {"settings": {"allow_client_to_join_using_browser": True}})["settings"] == {
        "allow_client_to_join_using_browser": True}


def test_predict_merge_keeps_what_is_not_written():
    before = {key: (list(value) if isinstance(value, list) else value) for key, value in VIEW.items()}
    predicted = predict_appointment(VIEW, {"appointment_clients": [], "external_appointment_id": "A-2002"})
    assert predicted == dict(VIEW, appointment_clients=[], external_appointment_id="A-2002")
    assert VIEW == before  # actual is not modified


def test_predict_merges_settings():
    actual = dict(VIEW, settings={"allow_client_to_join_using_browser": True, "future_flag": True})
    predicted = predict_appointment(actual, {"settings": {"allow_client_to_join_using_browser": False}})
    assert predicted["settings"] == {"allow_client_to_join_using_browser": False, "future_flag": True}
    assert actual["settings"]["allow_client_to_join_using_browser"] is True


# -- appointment_compared_view ---------------------------------------------------------------------------------------
def test_compared_view_only_managed_keys_in_stable_order():
    desired = {"appointment_clients": [MEGAN, GRADY], "settings": {"allow_client_to_join_using_browser": True}}
    reordered = dict(VIEW, appointment_clients=list(reversed(VIEW["appointment_clients"])))
    view = appointment_compared_view(reordered, desired)
    assert view == appointment_compared_view(VIEW, desired)
    assert list(view) == ["appointment_clients", "settings"]
    assert [c["email_address"] for c in view["appointment_clients"]] == ["gradya@contoso.com", "meganb@contoso.com"]
    assert view["settings"] == {"allow_client_to_join_using_browser": True}


def test_compared_view_of_nothing():
    assert appointment_compared_view(None, {"appointment_clients": []}) == {}
    assert appointment_compared_view(VIEW, {}) == {}
    assert appointment_compared_view({"id": "x"}, {"appointment_clients": [], "external_appointment_id": "A"}) == {
        "appointment_clients": [], "external_appointment_id": None}


# -- online meetings -------------------------------------------------------------------------------------------------
MEETING = meeting_from_graph({"id": "MSo1", "externalId": "A-1001", "subject": "Mortgage consultation",
                              "startDateTime": "2026-12-01T14:00:00.0000000Z",
                              "endDateTime": "2026-12-01T14:45:00.0000000Z",
                              "joinWebUrl": "https://teams.microsoft.com/l/meetup-join/x"})


def test_meeting_from_graph():
    assert MEETING == {"id": "MSo1", "external_id": "A-1001", "subject": "Mortgage consultation",
                       "start_date_time": "2026-12-01T14:00:00.0000000Z",
                       "end_date_time": "2026-12-01T14:45:00.0000000Z",
                       "join_web_url": "https://teams.microsoft.com/l/meetup-join/x", "creation_date_time": None}


def test_desired_meeting_normalises_times_to_utc():
    assert desired_meeting({"subject": "Mortgage consultation", "start_date_time": "2026-12-01T15:00:00+01:00",
                            "end_date_time": "2026-12-01T15:45:00+01:00", "external_id": "ignored"}) == {
        "subject": "Mortgage consultation", "start_date_time": "2026-12-01T14:00:00Z",
        "end_date_time": "2026-12-01T14:45:00Z"}
    assert desired_meeting({}) == {}


def test_meeting_changes_none_when_same_instants_in_other_offsets():
    desired = {"subject": "Mortgage consultation", "start_date_time": "2026-12-01T15:00:00+01:00",
               "end_date_time": "2026-12-01T09:45:00-05:00"}
    assert meeting_changes(desired, MEETING) == {}
    assert meeting_changes(desired_meeting(desired), MEETING) == {}


def test_meeting_changes_subject_only():
    assert meeting_changes({"subject": "Pension review"}, MEETING) == {"subject": "Pension review"}
    assert meeting_changes({}, MEETING) == {}


def test_meeting_changes_both_times_sent_together():
    moved_start = {"start_date_time": "2026-12-01T13:30:00Z", "end_date_time": "2026-12-01T15:45:00+01:00"}
    assert meeting_changes(moved_start, MEETING) == {"startDateTime": "2026-12-01T13:30:00Z",
                                                     "endDateTime": "2026-12-01T15:45:00+01:00"}
    moved_end = {"start_date_time": "2026-12-01T14:00:00Z", "end_date_time": "2026-12-01T15:00:00Z"}
    assert meeting_changes(moved_end, MEETING) == {"startDateTime": "2026-12-01T14:00:00Z",
                                                   "endDateTime": "2026-12-01T15:00:00Z"}


def test_meeting_changes_only_one_time_given_sends_the_other_from_graph():
    assert meeting_changes({"end_date_time": "2026-12-01T15:00:00Z"}, MEETING) == {
        "startDateTime": "2026-12-01T14:00:00.0000000Z", "endDateTime": "2026-12-01T15:00:00Z"}


def test_meeting_changes_when_graph_has_no_times():
    desired = {"subject": "x", "start_date_time": "2026-12-01T14:00:00Z", "end_date_time": "2026-12-01T15:00:00Z"}
    assert meeting_changes(desired, {"subject": "x"}) == {"startDateTime": "2026-12-01T14:00:00Z",
                                                          "endDateTime": "2026-12-01T15:00:00Z"}


# -- times and phone numbers -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2026-12-01T14:00:00Z", datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    ("2026-12-01T14:00:00z", datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    ("2026-12-01T15:00:00+01:00", datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    ("2026-12-01T09:00:00-05:00", datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    ("2026-12-01T14:00:00.0000000Z", datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    ("2026-12-01T14:00:00.1234567Z", datetime.datetime(2026, 12, 1, 14, 0, 0, 123456, tzinfo=UTC)),
    ("2026-12-01T15:00:00.5+01:00", datetime.datetime(2026, 12, 1, 14, 0, 0, 500000, tzinfo=UTC)),
    ("2026-12-01T14:00:00", datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    (" 2026-12-01T14:00:00Z ", datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    (datetime.datetime(2026, 12, 1, 14, 0), datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
    (datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
     datetime.datetime(2026, 12, 1, 14, 0, tzinfo=UTC)),
])
def test_parse_time(text, expected):
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize("text", ["tomorrow at 3", "2026-13-01T00:00:00Z", "", "2026-12-01T25:00:00Z"])
def test_parse_time_rejects(text):
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize("text, expected", [
    ("2026-12-01T15:00:00+01:00", "2026-12-01T14:00:00Z"),
    ("2026-12-01T14:00:00.0000000Z", "2026-12-01T14:00:00Z"),
    ("2026-12-01T14:00:00.1234567Z", "2026-12-01T14:00:00.123456Z"),
    ("2026-12-01T14:00:00.5Z", "2026-12-01T14:00:00.5Z"),
    ("2026-12-01T14:00:00", "2026-12-01T14:00:00Z"),
    ("2026-12-01T00:30:00+02:00", "2026-11-30T22:30:00Z"),
])
def test_format_time(text, expected):
    assert format_time(text) == expected
    assert format_time(format_time(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("+1 312-555-0142", "+13125550142"), ("+13125550142", "+13125550142"), ("+1 (312) 555.0142", "+13125550142"),
    (" +44 20 7946 0958 ", "+442079460958"), ("123-456-7890", "1234567890"), (None, None),
])
def test_phone_digits(text, expected):
    assert phone_digits(text) == expected


def test_phone_with_and_without_plus_differ():
    assert phone_digits("+1 312 555 0142") != phone_digits("1 312 555 0142")
