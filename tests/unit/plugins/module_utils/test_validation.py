"""Validation of appointment and meeting values before any request (spec.appointment_problems, spec.meeting_problems).

Every problem is one line ``<where>.<field>: <reason>`` naming the exact field path, e.g.
``appointments[3].appointment_clients[0].email_address: not an e-mail address: 'grady'``, and every problem in the
input is reported at once (not only the first)."""

import datetime

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    appointment_problems, meeting_problems)

WHERE = "appointments[3]"
GOOD_APPOINTMENT = {
    "external_appointment_id": "A-1001",
    "external_appointment_url": "https://scheduling.example.com/appointments/A-1001",
    "appointment_client_join_web_url": "https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=8a3f",
    "appointment_clients": [
        {"display_name": "Grady Archie", "email_address": "gradya@contoso.com",
         "sms_capable_phone_number": "+1 312 555 0142"},
        {"display_name": "Megan Bowen", "email_address": "meganb@contoso.com"},
        {"display_name": "Walk-in client"},
    ],
    "settings": {"allow_client_to_join_using_browser": True},
}
GOOD_MEETING = {"external_id": "A-1001", "subject": "Mortgage consultation",
                "start_date_time": "2026-12-01T15:00:00+01:00", "end_date_time": "2026-12-01T15:45:00+01:00"}
CLIENT_FIELD = WHERE + ".appointment_clients[0]"


def with_client(**fields):
    return {"appointment_clients": [fields]}


def one(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_valid_values_have_no_problems():
    assert appointment_problems(GOOD_APPOINTMENT, WHERE) == []
    assert meeting_problems(GOOD_MEETING, WHERE) == []
    assert appointment_problems({}, WHERE) == [] and meeting_problems({}, WHERE) == []
    assert appointment_problems(dict.fromkeys(GOOD_APPOINTMENT), WHERE) == []  # None = not managed
    assert appointment_problems({"appointment_clients": []}, WHERE) == []


# -- e-mail, phone, URL ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("email", ["grady", "grady@", "@contoso.com", "grady@contoso", "grady archie@contoso.com",
                                   "grady@@contoso.com", "grady@contoso.c", "<gradya@contoso.com>",
                                   "gradya@contoso.com, meganb@contoso.com", ""])
def test_malformed_email(email):
    problem = one(appointment_problems(with_client(display_name="Grady", email_address=email), WHERE))
    assert problem.startswith(CLIENT_FIELD + ".email_address: not an e-mail address")


@pytest.mark.parametrize("email", ["gradya@contoso.com", "Grady.Archie+va@sub.contoso.co.uk", " gradya@contoso.com "])
def test_good_email(email):
    assert appointment_problems(with_client(email_address=email), WHERE) == []


@pytest.mark.parametrize("phone", ["+1 312 CALL NOW", "312-555-O142", "call me", "+", "12", "+1 312 555 0142 ext 7",
                                   "++13125550142"])
def test_bad_phone(phone):
    problem = one(appointment_problems(with_client(display_name="Grady", sms_capable_phone_number=phone), WHERE))
    assert problem.startswith(CLIENT_FIELD + ".sms_capable_phone_number: not a phone number")


@pytest.mark.parametrize("phone", ["+1 312 555 0142", "+13125550142", "123-456-7890", "(312) 555-0142",
                                   "+1 (312) 555.0142", "+44 20 7946 0958"])
def test_good_phone(phone):
    assert appointment_problems(with_client(display_name="Grady", sms_capable_phone_number=phone), WHERE) == []


@pytest.mark.parametrize("key", ["external_appointment_url", "appointment_client_join_web_url"])
@pytest.mark.parametrize("url", ["/appointments/A-1001", "appointments/A-1001", "ftp://files.example.com/A-1001",
                                 "https://", "scheduling.example.com/A-1001", "javascript:alert(1)",
                                 "https://scheduling.example.com/my appointment", "mailto:gradya@contoso.com"])
def test_bad_url(key, url):
    problem = one(appointment_problems({key: url}, WHERE))
    assert problem.startswith("%s.%s: must be an absolute http(s) URL" % (WHERE, key))


@pytest.mark.parametrize("url", ["https://scheduling.example.com/appointments/A-1001?tab=notes#top",
                                 "http://localhost:8080/a", "HTTPS://SCHEDULING.EXAMPLE.COM/A"])
def test_good_url(url):
    assert appointment_problems({"external_appointment_url": url}, WHERE) == []


# -- strings: length, control characters, YAML surprises -------------------------------------------------------------
HUGE = "x" * 100000
STRING_FIELDS = [
    ("external_appointment_id", {"external_appointment_id": HUGE}, WHERE + ".external_appointment_id"),
    ("external_appointment_url", {"external_appointment_url": "https://example.com/" + HUGE},
     WHERE + ".external_appointment_url"),
    ("appointment_client_join_web_url", {"appointment_client_join_web_url": "https://example.com/" + HUGE},
     WHERE + ".appointment_client_join_web_url"),
    ("display_name", with_client(display_name=HUGE), CLIENT_FIELD + ".display_name"),
    ("email_address", with_client(email_address=HUGE + "@contoso.com"), CLIENT_FIELD + ".email_address"),
    ("sms_capable_phone_number", with_client(display_name="G", sms_capable_phone_number="1" * 100000),
     CLIENT_FIELD + ".sms_capable_phone_number"),
]


@pytest.mark.parametrize("name, values, field", STRING_FIELDS, ids=[f[0] for f in STRING_FIELDS])
def test_huge_appointment_strings(name, values, field):
    problem = one(appointment_problems(values, WHERE))
    assert problem.startswith(field + ": longer than "), (name, problem)
    assert "(100" in problem and len(problem) < 300  # the value itself is not echoed


@pytest.mark.parametrize("key", ["subject", "external_id"])
def test_huge_meeting_strings(key):
    problem = one(meeting_problems({key: HUGE}, WHERE))
    assert problem.startswith("%s.%s: longer than " % (WHERE, key)) and len(problem) < 300


def test_strings_at_the_limit_are_fine():
    assert appointment_problems({"external_appointment_id": "x" * 1024}, WHERE) == []
    assert one(appointment_problems({"external_appointment_id": "x" * 1025}, WHERE)).startswith(
        WHERE + ".external_appointment_id: longer than 1024 characters (1025)")


@pytest.mark.parametrize("text", ["Grady\nArchie", "Grady\rArchie", "Grady\tArchie", "Grady\x00Archie",
                                  "Grady\x1bArchie", "Grady\x7fArchie", "Grady\x85Archie", "Grady\u2028Archie",
                                  "Grady Archie\n"])
def test_control_characters_and_newlines(text):
    problem = one(appointment_problems(with_client(display_name=text, email_address="gradya@contoso.com"), WHERE))
    assert problem == CLIENT_FIELD + ".display_name: contains control characters (newline, tab, ...)"
    assert one(meeting_problems({"subject": text}, WHERE)).startswith(WHERE + ".subject: contains control characters")
    assert one(appointment_problems({"external_appointment_id": text}, WHERE)).startswith(
        WHERE + ".external_appointment_id: contains control characters")


def test_newline_in_email_and_url():
    problems = appointment_problems({"external_appointment_url": "https://example.com/a\nSet-Cookie: x",
                                     **with_client(email_address="gradya@contoso.com\nbcc@evil.example")}, WHERE)
    assert sorted(problems) == [
        CLIENT_FIELD + ".email_address: contains control characters (newline, tab, ...)",
        WHERE + ".external_appointment_url: contains control characters (newline, tab, ...)"]


def test_unicode_text_is_fine():
    name = "Zoë Ødegård-Müller 王秀英"
    assert appointment_problems(with_client(display_name=name, email_address="zoe@contoso.com"), WHERE) == []
    assert meeting_problems({"subject": "Hypotheek – gesprek 🏠"}, WHERE) == []


# YAML 1.1 turns unquoted no/yes/on/off into booleans and 1e3 into a number.


@pytest.mark.parametrize("value, type_name", [(False, "bool"), (True, "bool"), (1e3, "float"), (1001, "int"),
                                              (["A-1001"], "list"), ({"id": "A"}, "dict")])
def test_yaml_surprises_where_a_string_is_meant(value, type_name):
    expected = "must be a string, got %s" % type_name
    assert one(appointment_problems({"external_appointment_id": value}, WHERE)).startswith(
        "%s.external_appointment_id: %s" % (WHERE, expected))
    assert one(appointment_problems({"external_appointment_url": value}, WHERE)).startswith(
        "%s.external_appointment_url: %s" % (WHERE, expected))
    for key in ("display_name", "email_address", "sms_capable_phone_number"):
        client = {"display_name": "Grady", key: value}
        assert one(appointment_problems({"appointment_clients": [client]}, WHERE)).startswith(
            "%s.%s: %s" % (CLIENT_FIELD, key, expected))
    for key in ("subject", "external_id", "user", "online_meeting_id"):
        problem = one(meeting_problems({key: value}, WHERE))
        assert problem.startswith("%s.%s: %s" % (WHERE, key, expected)), problem
        if type_name not in ("list", "dict"):
            assert problem.endswith(": quote the value)"), problem


@pytest.mark.parametrize("value, type_name", [(False, "bool"), (1e3, "float"), (20261201, "int")])
def test_yaml_surprises_in_times(value, type_name):
    problems = meeting_problems({"start_date_time": value, "end_date_time": value}, WHERE)
    assert problems == ["%s.%s: must be an ISO 8601 date-time string such as 2026-12-01T15:00:00+01:00, got %s"
                        % (WHERE, key, type_name) for key in ("start_date_time", "end_date_time")]


# -- clients ---------------------------------------------------------------------------------------------------------
def test_unknown_client_keys():
    problem = one(appointment_problems(with_client(display_name="Grady", email="gradya@contoso.com",
                                                   phone="+13125550142"), WHERE))
    assert problem == (CLIENT_FIELD + ": unknown key(s) email, phone; known: display_name, email_address, "
                       "sms_capable_phone_number")


def test_client_needs_email_or_name():
    assert one(appointment_problems(with_client(sms_capable_phone_number="+13125550142"), WHERE)) == \
        CLIENT_FIELD + ": needs an email_address or a display_name"
    assert one(appointment_problems(with_client(display_name="   "), WHERE)) == \
        CLIENT_FIELD + ": needs an email_address or a display_name"
    assert appointment_problems(with_client(email_address="gradya@contoso.com"), WHERE) == []


@pytest.mark.parametrize("clients, expected", [
    ("gradya@contoso.com", WHERE + ".appointment_clients: must be a list, got str"),
    ({"email_address": "gradya@contoso.com"}, WHERE + ".appointment_clients: must be a list, got dict"),
    (["gradya@contoso.com"], CLIENT_FIELD + ": must be a mapping with display_name, email_address, "
                                            "sms_capable_phone_number"),
])
def test_clients_shape(clients, expected):
    assert one(appointment_problems({"appointment_clients": clients}, WHERE)) == expected


def test_duplicate_client_emails_case_insensitive():
    clients = [{"email_address": "gradya@contoso.com"}, {"email_address": "meganb@contoso.com"},
               {"email_address": " GradyA@Contoso.COM "}, {"email_address": "MEGANB@contoso.com"}]
    assert appointment_problems({"appointment_clients": clients}, WHERE) == [
        WHERE + ".appointment_clients[2].email_address:  GradyA@Contoso.COM  is also appointment_clients[0]",
        WHERE + ".appointment_clients[3].email_address: MEGANB@contoso.com is also appointment_clients[1]",
    ]


def test_same_name_different_email_is_fine():
    clients = [{"display_name": "Grady Archie", "email_address": "gradya@contoso.com"},
               {"display_name": "Grady Archie", "email_address": "grady.archie@fabrikam.com"}]
    assert appointment_problems({"appointment_clients": clients}, WHERE) == []


# -- settings --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["yes", "true", 1, 0, "on", [True]])
def test_settings_flag_must_be_bool(flag):
    problem = one(appointment_problems({"settings": {"allow_client_to_join_using_browser": flag}}, WHERE))
    assert problem == "%s.settings.allow_client_to_join_using_browser: must be true or false, got %r" % (WHERE, flag)


def test_settings_shape_and_unknown_keys():
    assert one(appointment_problems({"settings": True}, WHERE)) == WHERE + ".settings: must be a mapping, got bool"
    assert one(appointment_problems({"settings": {"allow_browser": True}}, WHERE)) == (
        WHERE + ".settings: unknown key(s) allow_browser; known: allow_client_to_join_using_browser")
    for flag in (True, False, None):
        assert appointment_problems({"settings": {"allow_client_to_join_using_browser": flag}}, WHERE) == []


# -- external ids ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["", "   ", "\u3000"])
def test_empty_external_ids(value):
    assert one(appointment_problems({"external_appointment_id": value}, WHERE)) == (
        WHERE + ".external_appointment_id: must not be empty (omit it to leave it unmanaged)")
    assert one(meeting_problems({"external_id": value}, WHERE)) == WHERE + ".external_id: must not be empty"


# -- meeting times ---------------------------------------------------------------------------------------------------
def test_start_after_end():
    problem = one(meeting_problems({"start_date_time": "2026-12-01T16:00:00+01:00",
                                    "end_date_time": "2026-12-01T15:45:00+01:00"}, WHERE))
    assert problem == ("%s: end_date_time (2026-12-01T15:45:00+01:00) must be after start_date_time "
                       "(2026-12-01T16:00:00+01:00)" % WHERE)


def test_start_equal_end_and_offsets_compare_as_instants():
    assert one(meeting_problems({"start_date_time": "2026-12-01T15:00:00+01:00",
                                 "end_date_time": "2026-12-01T14:00:00Z"}, WHERE)).startswith(
        WHERE + ": end_date_time (2026-12-01T14:00:00Z) must be after")
    # 15:30 in New York is after 16:00 in Paris.
    assert meeting_problems({"start_date_time": "2026-12-01T16:00:00+01:00",
                             "end_date_time": "2026-12-01T15:30:00-05:00"}, WHERE) == []


@pytest.mark.parametrize("given, missing", [("start_date_time", "end_date_time"), ("end_date_time", "start_date_time")])
def test_only_one_of_start_and_end(given, missing):
    problem = one(meeting_problems({given: "2026-12-01T15:00:00+01:00"}, WHERE))
    assert problem.startswith(WHERE + ": start_date_time and end_date_time go together")
    assert problem.endswith("%s is missing" % missing)


@pytest.mark.parametrize("text", ["tomorrow 3pm", "12/01/2026 15:00", "2026-13-01T15:00:00Z", "2026-12-01T25:00:00Z",
                                  "2026-12-01 T15:00", "", "2026-12-01T15:00:00+25:00"])
def test_non_iso_times(text):
    problems = meeting_problems({"start_date_time": text, "end_date_time": "2026-12-01T15:45:00+01:00"}, WHERE)
    assert one(problems) == "%s.start_date_time: not an ISO 8601 date-time (e.g. 2026-12-01T15:00:00+01:00): %r" \
        % (WHERE, text)


@pytest.mark.parametrize("text", ["2026-12-01T15:00:00Z", "2026-12-01T15:00:00.0000000Z", "2026-12-01T15:00:00z",
                                  "2026-12-01T15:00:00.1234567+01:00", "2026-12-01T15:00:00-05:00",
                                  "2026-12-01 15:00+0530", "20261201T150000+01:00", "2026-12-01T15:00:00+01"])
def test_iso_times(text):
    assert meeting_problems({"start_date_time": text, "end_date_time": "2026-12-31T00:00:00Z"}, WHERE) == []


@pytest.mark.parametrize("text", ["2026-12-01T15:00:00", "2026-12-01T15:00", "2026-12-01 15:00:00.1234567",
                                  "20261201T150000", " 2026-12-01T15:00:00 "])
def test_times_without_an_offset_are_refused(text):
    """Not taken as UTC (the docs say "with an offset"): 15:00 in Chicago is not 15:00 UTC."""
    problems = meeting_problems({"start_date_time": text, "end_date_time": "2026-12-31T00:00:00Z"}, WHERE)
    assert one(problems) == "%s.start_date_time: needs an offset such as +01:00 or Z, e.g. 2026-12-01T15:00:00+01:00 " \
        "(without one the time could mean any time zone): %r" % (WHERE, text)


def test_a_yaml_date_time_without_an_offset_is_refused():
    naive = datetime.datetime(2026, 12, 1, 15, 0)
    aware = datetime.datetime(2026, 12, 1, 16, 0, tzinfo=datetime.timezone.utc)
    problem = one(meeting_problems({"start_date_time": naive, "end_date_time": aware}, WHERE))
    assert problem.startswith("%s.start_date_time: needs an offset such as +01:00 or Z" % WHERE)
    assert meeting_problems({"start_date_time": aware, "end_date_time": aware + datetime.timedelta(hours=1)},
                            WHERE) == []


# -- many problems at once, every one naming its field ---------------------------------------------------------------
def test_several_problems_reported_together():
    values = {
        "external_appointment_id": False,
        "external_appointment_url": "ftp://files.example.com/A-1001",
        "appointment_client_join_web_url": "/join",
        "appointment_clients": [
            {"display_name": "Grady\nArchie", "email_address": "grady", "sms_capable_phone_number": "+1 CALL NOW"},
            {"display_name": "Megan Bowen", "email_address": "meganb@contoso.com", "phone": "+13125550142"},
            {"email_address": "MeganB@contoso.com"},
            {},
        ],
        "settings": {"allow_client_to_join_using_browser": "yes"},
    }
    problems = appointment_problems(values, WHERE)
    fields = [problem.split(": ", 1)[0] for problem in problems]
    assert sorted(fields) == sorted([
        WHERE + ".external_appointment_id",
        WHERE + ".external_appointment_url",
        WHERE + ".appointment_client_join_web_url",
        WHERE + ".appointment_clients[0].display_name",
        WHERE + ".appointment_clients[0].email_address",
        WHERE + ".appointment_clients[0].sms_capable_phone_number",
        WHERE + ".appointment_clients[1]",
        WHERE + ".appointment_clients[2].email_address",
        WHERE + ".appointment_clients[3]",
        WHERE + ".settings.allow_client_to_join_using_browser",
    ]), problems

    meeting = meeting_problems({"external_id": "", "subject": True, "start_date_time": "next tuesday",
                                "end_date_time": 1e3}, WHERE)
    assert [problem.split(": ", 1)[0] for problem in meeting] == [
        WHERE + ".subject", WHERE + ".external_id", WHERE + ".start_date_time", WHERE + ".end_date_time"], meeting


@pytest.mark.parametrize("where", ["appointments[0]", "appointments[17] (external_id A-1017)", "options"])
def test_every_problem_names_where_and_field(where):
    values = {"external_appointment_id": "", "external_appointment_url": "x",
              "appointment_clients": [{"email_address": "x"}], "settings": {"allow_client_to_join_using_browser": 1}}
    problems = appointment_problems(values, where) + meeting_problems(
        {"subject": "a\nb", "start_date_time": "2026-12-01T15:00:00Z"}, where)
    assert len(problems) == 6, problems
    for problem in problems:
        assert problem.startswith(where + ".") or problem.startswith(where + ": "), problem
        path, reason = problem.split(": ", 1)
        assert reason and "\n" not in problem, problem
        assert path == where or path[len(where) + 1:].split(".")[0].split("[")[0] in (
            "external_appointment_id", "external_appointment_url", "appointment_clients", "settings", "subject"), path
