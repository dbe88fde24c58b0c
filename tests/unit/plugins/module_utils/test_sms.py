"""SMS notification requests as pure functions (plugins/module_utils/sms.py): options in, the documented Graph body
out (graph-api.md 5.2-5.4: ``attendees`` of ``{phoneNumber, timeZone}`` with ``messageType`` or
``remindBeforeTimeInMinutesType``), and every problem named by attendee index and field before any request."""

import zoneinfo

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import sms, time_zones
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError

GRADY = {"phone_number": "+1 312 555 0142", "time_zone": "Pacific Standard Time"}
LYNNE = {"phone_number": "(206) 555-0199", "time_zone": "America/Chicago"}
MEETING_ID = "MSozYjZlOWYyMC03YzFhLTRkNTgtYjJlNC05YTBjNWQ3ZjFlODYqMCoqMTk6bWVldGluZ18"


# -- phone numbers ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("given, e164", [
    ("+13125550142", "+13125550142"),
    ("+1 312 555 0142", "+13125550142"),
    ("+1 (312) 555-0142", "+13125550142"),
    ("+1.312.555.0142", "+13125550142"),
    ("(206) 555-0199", "+12065550199"),        # no +: a US number
    ("206-555-0199", "+12065550199"),
    ("1 206 555 0199", "+12065550199"),
    ("  +44 20 7946 0958 ", "+442079460958"),  # surrounding blanks are not part of the number
    ("+1242421412", "+1242421412"),            # the documentation's own example number
    ("+683 4002", "+6834002"),                 # 7 digits: Niue
    ("312/555-0142", "+13125550142"),          # / separates as in every phone field (the SMS refused it before)
])
def test_phone_numbers_are_sent_in_e164_form(given, e164):
    assert sms.normalize_phone(given) == (e164, None)


@pytest.mark.parametrize("given, reason", [
    ("+1 312 CALL NOW", "not a phone number"),
    ("call me", "not a phone number"),
    ("+1 312 555 0142 ext 7", "not a phone number"),
    ("++13125550142", "not a phone number"),
    ("+0 312 555 0142", "not a phone number"),       # no country code starts with 0
    ("+123456", "not a phone number"),               # 6 digits
    ("+1234567890123456", "not a phone number"),     # 16 digits
    ("555 0142", "leading + and its country code"),  # a phone number, but not one the SMS can send to
    ("2 206 555 0199", "leading + and its country code"),
    ("", "not a phone number"),
    ("   ", "not a phone number"),
    ("+1 312 555 0142\n", "control characters"),
    ("+1\u200b312 555 0142", "invisible character (U+200B ZERO WIDTH SPACE)"),
    ("+1" + "0" * 60, "longer than 40 characters"),
    (13125550142, "must be a string, got int"),
])
def test_bad_phone_numbers_are_problems(given, reason):
    number, problem = sms.normalize_phone(given, "attendees[2].phone_number")
    assert number is None
    assert problem.startswith("attendees[2].phone_number: ") and reason in problem, problem


@pytest.mark.parametrize("number, us", [
    ("+13125550142", True), ("+12065550199", True), ("+1242421412", False), ("+11235550142", False),
    ("+13121550142", False), ("+442079460958", False), (None, False),
])
def test_us_numbers(number, us):
    assert sms.is_us_number(number) is us


# -- time zones -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("given, windows", [
    ("Pacific Standard Time", "Pacific Standard Time"),
    ("pacific standard time", "Pacific Standard Time"),      # Windows matches ids without regard to case
    (" Eastern Standard Time ", "Eastern Standard Time"),
    ("UTC", "UTC"),
    ("America/Chicago", "Central Standard Time"),
    ("america/new_york", "Eastern Standard Time"),
    ("America/Phoenix", "US Mountain Standard Time"),
    ("America/Indiana/Indianapolis", "US Eastern Standard Time"),
    ("America/Adak", "Aleutian Standard Time"),
    ("Pacific/Honolulu", "Hawaiian Standard Time"),
    ("America/Puerto_Rico", "SA Western Standard Time"),
    ("US/Pacific", "Pacific Standard Time"),
    ("Etc/UTC", "UTC"),
    ("Europe/Berlin", "W. Europe Standard Time"),
    ("Asia/Kolkata", "India Standard Time"),
])
def test_time_zones_are_sent_as_windows_names(given, windows):
    assert sms.windows_time_zone(given) == (windows, None)


def test_an_iana_zone_without_a_windows_name_here_says_so():
    zone, problem = sms.windows_time_zone("Africa/Dakar", "attendees[0].time_zone")
    assert zone is None
    assert problem.startswith("attendees[0].time_zone: 'Africa/Dakar' is an IANA time zone")
    assert "Windows time zone name" in problem


@pytest.mark.parametrize("given, reason", [
    ("Mars/Olympus_Mons", "not a time zone"),
    ("PST", "not a time zone"),
    ("Pacific Time", "not a time zone"),
    ("../../etc/passwd", "not a time zone"),
    ("", "must not be empty"),
    ("Pacific Standard Time\r\n", "control characters"),
    ("x" * 65, "longer than 64 characters"),
    (["Pacific Standard Time"], "must be a string, got list"),
])
def test_bad_time_zones_are_problems(given, reason):
    zone, problem = sms.windows_time_zone(given, "attendees[0].time_zone")
    assert zone is None
    assert problem.startswith("attendees[0].time_zone: ") and reason in problem, problem


def test_every_translation_is_a_real_iana_zone_and_a_known_windows_name():
    available = zoneinfo.available_timezones()
    unknown_iana = sorted(name for name in time_zones.IANA_TO_WINDOWS if name not in available)
    assert unknown_iana == []
    assert set(time_zones.IANA_TO_WINDOWS.values()) <= set(time_zones.WINDOWS_TIME_ZONES)
    assert len(set(time_zones.WINDOWS_TIME_ZONES)) == len(time_zones.WINDOWS_TIME_ZONES)


def test_every_us_zone_translates():
    """The SMS reach US numbers only: every zone of the United States (zone1970.tab, country US) has its name."""
    us_zones = {"America/New_York", "America/Detroit", "America/Kentucky/Louisville", "America/Kentucky/Monticello",
                "America/Indiana/Indianapolis", "America/Indiana/Vincennes", "America/Indiana/Winamac",
                "America/Indiana/Marengo", "America/Indiana/Petersburg", "America/Indiana/Vevay", "America/Chicago",
                "America/Indiana/Tell_City", "America/Indiana/Knox", "America/Menominee",
                "America/North_Dakota/Center", "America/North_Dakota/New_Salem", "America/North_Dakota/Beulah",
                "America/Denver", "America/Boise", "America/Phoenix", "America/Los_Angeles", "America/Anchorage",
                "America/Juneau", "America/Sitka", "America/Metlakatla", "America/Yakutat", "America/Nome",
                "America/Adak", "Pacific/Honolulu"}
    assert sorted(zone for zone in us_zones if sms.windows_time_zone(zone)[1]) == []


# -- attendees --------------------------------------------------------------------------------------------------------
def test_attendees_become_the_documented_attendee_notification_infos():
    body, problems, warnings = sms.attendees_body([GRADY, LYNNE])
    assert problems == [] and warnings == []
    assert body == [{"phoneNumber": "+13125550142", "timeZone": "Pacific Standard Time"},
                    {"phoneNumber": "+12065550199", "timeZone": "Central Standard Time"}]


def test_every_attendee_problem_is_reported_with_its_index_and_field():
    attendees = [
        GRADY,
        {"phone_number": "call me", "time_zone": "Pacific Standard Time"},
        {"phone_number": "+1 206 555 0199"},
        {"time_zone": "Nowhere/Special", "phone_number": None},
        "+13125550142",
        {"phone_number": "+1 312 555 0142", "time_zone": "UTC", "name": "Grady again"},
    ]
    body, problems, dummy = sms.attendees_body(attendees)
    assert problems == [
        "attendees[1].phone_number: not a phone number (7 to 15 digits; spaces, ()-./ and a leading + followed by "
        "the country code): 'call me'",
        "attendees[2].time_zone: required (a Windows time zone name such as 'Pacific Standard Time')",
        "attendees[3].phone_number: required",
        "attendees[3].time_zone: not a time zone: 'Nowhere/Special'; give a Windows time zone name such as "
        "'Pacific Standard Time' (or an IANA name such as 'America/Los_Angeles')",
        "attendees[4]: must be a mapping with phone_number and time_zone",
        "attendees[5]: unknown key(s) name; known: phone_number, time_zone",
        "attendees[5].phone_number: +13125550142 is also attendees[0]; each would get the SMS twice",
    ]
    assert body[0] == {"phoneNumber": "+13125550142", "timeZone": "Pacific Standard Time"}


@pytest.mark.parametrize("attendees, problem", [
    ([], "attendees: must not be empty"),
    (None, "attendees: must be a list of {phone_number, time_zone}"),
    ({"phone_number": "+13125550142"}, "attendees: must be a list of {phone_number, time_zone}"),
])
def test_attendees_must_be_a_non_empty_list(attendees, problem):
    assert sms.attendees_body(attendees) == ([], [problem], [])


def test_a_number_outside_the_united_states_is_a_warning_not_a_problem():
    body, problems, warnings = sms.attendees_body([GRADY, {"phone_number": "+44 20 7946 0958",
                                                           "time_zone": "Europe/London"}])
    assert problems == []
    assert body[1] == {"phoneNumber": "+442079460958", "timeZone": "GMT Standard Time"}
    assert warnings == ["attendees[1].phone_number: +442079460958 is not a United States number; Graph sends these "
                        "SMS to US numbers only"]


def test_where_prefixes_every_field():
    dummy, problems, dummy_warnings = sms.attendees_body([{"phone_number": "x", "time_zone": "UTC"}], "items[3].notify")
    assert problems[0].startswith("items[3].notify.attendees[0].phone_number: ")


def test_attendees_from_appointment_clients():
    clients = [{"display_name": "Grady Archie", "email_address": "gradya@contoso.com",
                "sms_capable_phone_number": "+1 312 555 0142"},
               {"display_name": "Megan Bowen", "email_address": "meganb@contoso.com"},
               {"display_name": "Walk-in", "sms_capable_phone_number": None}]
    assert sms.attendees_from_clients(clients, "Eastern Standard Time") == [
        {"phone_number": "+1 312 555 0142", "time_zone": "Eastern Standard Time"}]
    assert sms.attendees_from_clients(None, "UTC") == []


# -- request bodies ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("message_type", ["confirmation", "reschedule", "cancellation"])
def test_message_types_go_to_send_virtual_appointment_sms(message_type):
    action, body, problems, warnings = sms.build_request(message_type, [GRADY])
    assert (action, problems, warnings) == ("sendVirtualAppointmentSms", [], [])
    assert body == {"attendees": [{"phoneNumber": "+13125550142", "timeZone": "Pacific Standard Time"}],
                    "messageType": message_type}


def test_a_reminder_goes_to_send_virtual_appointment_reminder_sms_with_the_documented_default():
    action, body, problems, dummy = sms.build_request("reminder", [GRADY])
    assert (action, problems) == ("sendVirtualAppointmentReminderSms", [])
    assert body == {"attendees": [{"phoneNumber": "+13125550142", "timeZone": "Pacific Standard Time"}],
                    "remindBeforeTimeInMinutesType": "mins15"}
    assert sms.build_request("reminder", [GRADY], "mins15")[1] == body


def test_no_body_carries_a_deprecated_key():
    """The 2023 shapes (phoneNumbers, smsType, virtualAppointmentSmsType, remindBeforeTimeInMinutes) are never sent."""
    for message_type in sms.MODULE_MESSAGE_TYPES:
        body = sms.build_request(message_type, [GRADY, LYNNE])[1]
        assert set(body) in ({"attendees", "messageType"}, {"attendees", "remindBeforeTimeInMinutesType"})
        assert all(set(attendee) == {"phoneNumber", "timeZone"} for attendee in body["attendees"])


@pytest.mark.parametrize("message_type, remind_before, problem", [
    ("reminder", "mins30", "remind_before: must be one of mins15 (the values Graph documents), got 'mins30'"),
    ("reminder", "unknownFutureValue", "remind_before: must be one of mins15"),
    ("confirmation", "mins15", "remind_before: only applies to message_type=reminder (message_type is confirmation)"),
    ("welcome", None, "message_type: must be one of confirmation, reschedule, cancellation, reminder, got 'welcome'"),
    (["confirmation"], None, "message_type: must be one of"),
])
def test_bad_message_type_or_reminder_time(message_type, remind_before, problem):
    action, body, problems, dummy = sms.build_request(message_type, [GRADY], remind_before)
    assert action is None and body is None
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_sms_operation_is_one_post_for_graph_client_request_or_batch():
    op = sms.sms_operation("adele.vance@contoso.onmicrosoft.com", MEETING_ID, "reschedule", [GRADY])
    assert op["method"] == "POST"
    assert op["path"] == ("/users/adele.vance%40contoso.onmicrosoft.com/onlineMeetings/" + MEETING_ID
                          + "/sendVirtualAppointmentSms")
    assert op["body"] == {"attendees": [{"phoneNumber": "+13125550142", "timeZone": "Pacific Standard Time"}],
                          "messageType": "reschedule"}
    assert op["action"] == "sendVirtualAppointmentSms" and op["warnings"] == []


def test_sms_operation_as_the_signed_in_user_and_encoded_ids():
    op = sms.sms_operation(None, "a/b?c#d", "reminder", [GRADY])
    assert op["path"] == "/me/onlineMeetings/a%2Fb%3Fc%23d/sendVirtualAppointmentReminderSms"


def test_sms_operation_raises_every_problem_at_once_prefixed_with_where():
    with pytest.raises(ValidationError) as caught:
        sms.sms_operation("u", " ", "reminder", [{"phone_number": "x", "time_zone": "y"}], "mins30",
                          where="items[7].notify")
    assert caught.value.problems == [
        "items[7].notify.online_meeting_id: must not be empty",
        "items[7].notify.remind_before: must be one of mins15 (the values Graph documents), got 'mins30'",
        "items[7].notify.attendees[0].phone_number: not a phone number (7 to 15 digits; spaces, ()-./ and a leading + "
        "followed by the country code): 'x'",
        "items[7].notify.attendees[0].time_zone: not a time zone: 'y'; give a Windows time zone name such as "
        "'Pacific Standard Time' (or an IANA name such as 'America/Los_Angeles')",
    ]
