"""The validation rules the bad-input corpus (tests/integration/test_bad_input.py) found missing, one rule per kind of
field (validate.py, applied to each option by spec.py): IDs are one token; text is valid Unicode; a date-time has a
time; e-mail domains are dot-separated labels; a phone number has 7 to 15 digits; a URL parses; a string option given
a boolean, number or date is refused before Ansible's argument spec turns it into text."""

import datetime

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    APPOINTMENT_OPTIONS, appointment_problems, ids_problems, meeting_problems, option_type_problems, relaxed_spec,
    show, type_name)

WHERE = "appointments[3] (external_id A-1)"


def one(problems):
    assert len(problems) == 1, problems
    return problems[0]


# -- IDs: external_id, online_meeting_id, user -----------------------------------------------------------------------
GOOD_IDS = {
    "external_id": ["A-1001", "APPT_2026.11.24-0007", "scheduling:4711", "x" * 512],
    "online_meeting_id": ["MSpkYzE3NjctYmZiMi04ZdFpHRTNaR1F6WGhyZWFkLnYy",
                          "550fae72-d251-43ec-868c-373732c2704f_19:meeting_M2IzYzczNTItYmY3OC00MDlm@thread.skype",
                          "MSo1N2Q4ZTU2OC0=="],
    "user": ["3b6e9f20-7c1a-4d58-b2e4-9a0c5d7f1e86", "adele.vance@contoso.onmicrosoft.com",
             "o'brien@contoso.com", "grady_fabrikam.com#EXT#@contoso.onmicrosoft.com"],
}


@pytest.mark.parametrize("key, value", [(k, v) for k, values in GOOD_IDS.items() for v in values])
def test_good_ids(key, value):
    assert ids_problems({key: value}, WHERE) == []
    assert meeting_problems({key: value}, WHERE) == []


BAD_IDS = ["../../users/someone-else", "..", ".", "A/1001", "A\\1001", "A-1001?$select=id", "A-1001#top", "A%2F1001",
           "A 1001", " A-1001", "A-1001\t", "A\u00a01001", "A\u200b1001", "\u202eA-1001"]


@pytest.mark.parametrize("key, value", [(k, v) for k in ("external_id", "online_meeting_id", "user") for v in BAD_IDS
                                        if not (k == "user" and v == "A-1001#top")])  # a guest UPN holds #EXT#
def test_ids_are_one_token_without_url_delimiters(key, value):
    problem = one(ids_problems({key: value}, WHERE))
    assert problem.startswith("%s.%s: " % (WHERE, key)), problem
    assert "is not an ID" in problem or "control characters" in problem, problem


def test_hash_only_in_a_guest_user_principal_name():
    assert ids_problems({"user": "a_b.com#EXT#@contoso.onmicrosoft.com"}, WHERE) == []
    assert "is not an ID" in one(ids_problems({"online_meeting_id": "MSp#EXT#"}, WHERE))
    assert "is not an ID" in one(ids_problems({"external_id": "A#1"}, WHERE))


@pytest.mark.parametrize("key, limit", [("external_id", 512), ("online_meeting_id", 1024), ("user", 320)])
def test_huge_ids_are_refused_without_echoing_them(key, limit):
    assert ids_problems({key: "a" * limit}, WHERE) == []
    problem = one(ids_problems({key: "a" * 100000}, WHERE))
    assert problem == "%s.%s: longer than %d characters (100000)" % (WHERE, key, limit)


@pytest.mark.parametrize("key", ["external_id", "online_meeting_id", "user"])
def test_empty_ids(key):
    assert one(ids_problems({key: " "}, WHERE)) == "%s.%s: must not be empty" % (WHERE, key)
    assert ids_problems({key: None}, WHERE) == []  # not given


def test_ids_are_checked_through_meeting_problems():
    problems = meeting_problems({"external_id": "../x", "user": "a/b", "online_meeting_id": "m?x"}, WHERE)
    assert [p.split(": ", 1)[0] for p in problems] == [WHERE + ".external_id", WHERE + ".user",
                                                       WHERE + ".online_meeting_id"]


# -- text: valid Unicode -----------------------------------------------------------------------------------------------
def test_lone_surrogates_are_not_text():
    # What Python makes of bytes that are not UTF-8 when read with errors="surrogateescape" (b"Caf\xe9").
    text = b"Caf\xe9".decode("utf-8", "surrogateescape")
    message = "is not valid Unicode text (a lone surrogate such as \\udce9: the source was not UTF-8)"
    assert one(meeting_problems({"subject": text}, WHERE)) == "%s.subject: %s" % (WHERE, message)
    assert one(appointment_problems({"appointment_clients": [{"display_name": text}]}, WHERE)) == \
        "%s.appointment_clients[0].display_name: %s" % (WHERE, message)
    assert "not valid Unicode" in one(ids_problems({"external_id": "A-" + text}, WHERE))
    assert "not valid Unicode" in one(appointment_problems({"external_appointment_url": "https://x.com/" + text},
                                                           WHERE))


# -- date-times -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["2026-11-24", "2026-11-24Z", "20261124", "2026-W48-2"])
def test_a_date_alone_is_not_a_date_time(text):
    problems = meeting_problems({"start_date_time": text, "end_date_time": "2026-12-31T00:00:00Z"}, WHERE)
    problem = one(problems)
    assert problem.startswith(WHERE + ".start_date_time: "), problem
    assert "needs a time" in problem or "not an ISO 8601 date-time" in problem, problem


def test_yaml_dates_and_date_times():
    # What YAML makes of unquoted 2026-11-24 (a date: refused) and 2026-11-24 10:00:00Z (a date-time: taken).
    problems = meeting_problems({"start_date_time": datetime.date(2026, 11, 24),
                                 "end_date_time": datetime.date(2026, 11, 25)}, WHERE)
    assert [p.split(": ", 1)[0] for p in problems] == [WHERE + ".start_date_time", WHERE + ".end_date_time"]
    assert all("a date alone is not a date-time" in p and "quoted" in p for p in problems)
    start = datetime.datetime(2026, 11, 24, 10, 0, tzinfo=datetime.timezone.utc)
    assert meeting_problems({"start_date_time": start, "end_date_time": start + datetime.timedelta(hours=1)},
                            WHERE) == []
    assert "must be after" in one(meeting_problems({"start_date_time": start, "end_date_time": start}, WHERE))


def test_huge_date_time_is_not_echoed():
    problem = one(meeting_problems({"start_date_time": "2026-12-01T15:00:00Z" + "0" * 100000,
                                    "end_date_time": "2026-12-31T00:00:00Z"}, WHERE))
    assert problem == WHERE + ".start_date_time: longer than 64 characters (100020)"


# -- e-mail, phone, URL -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("email", ["grady@contoso..com", "grady@.contoso.com", "grady@contoso.com.", "grady..a@contoso.com",
                                   ".grady@contoso.com", "grady.@contoso.com", "grady@-contoso.com", "grady@contoso-.com",
                                   "grady@contoso.123", "grady@con_toso.com", "grady(x)@contoso.com",
                                   "grady@contoso.com:25"])
def test_malformed_email_domains_and_local_parts(email):
    problem = one(appointment_problems({"appointment_clients": [{"email_address": email}]}, WHERE))
    assert problem.startswith(WHERE + ".appointment_clients[0].email_address: not an e-mail address"), problem


@pytest.mark.parametrize("email", ["zoe.odegard@müller.de", "o'brien@contoso.com", "a@b.co",
                                   "grady+va@mail.sub-domain.contoso.co.uk", "x@xn--mller-kva.de"])
def test_good_email_addresses(email):
    assert appointment_problems({"appointment_clients": [{"email_address": email}]}, WHERE) == []


@pytest.mark.parametrize("phone", ["1-----", "(1) 2.3", "+1 312 555 0142 0000 00", "+1 312 +555 0142"])
def test_phone_numbers_have_7_to_15_digits(phone):
    problem = one(appointment_problems({"appointment_clients": [{"display_name": "G",
                                                                 "sms_capable_phone_number": phone}]}, WHERE))
    assert problem.startswith(WHERE + ".appointment_clients[0].sms_capable_phone_number: not a phone number (7 to 15 "
                                      "digits"), problem


@pytest.mark.parametrize("url", ["http://[::1", "https://scheduling.example.com:99999/a", "https://:443/a",
                                 "https://user@/a"])
def test_urls_that_do_not_parse_are_refused_not_raised(url):
    problem = one(appointment_problems({"external_appointment_url": url}, WHERE))
    assert problem.startswith(WHERE + ".external_appointment_url: must be an absolute http(s) URL"), problem


# -- messages never echo a huge value -----------------------------------------------------------------------------------
def test_show_cuts_long_values():
    assert show("A-1") == "'A-1'"
    assert show("x" * 100000) == repr("x" * 59)[:60] + "...(100000 characters)"
    assert show(10 ** 80).endswith("...(81 characters)")  # a huge YAML number
    problem = one(appointment_problems({"appointment_clients": [{"display_name": "G", "x" * 100000: 1}]}, WHERE))
    assert len(problem) < 300 and "(100000 characters)" in problem
    problem = one(ids_problems({"external_id": "/" * 500}, WHERE))
    assert len(problem) < 300


def test_type_names_of_tagged_subclasses():
    class TaggedDate(datetime.date):  # what Ansible 2.19's templating hands a filter for an unquoted YAML date
        pass

    assert type_name(TaggedDate(2026, 11, 24)) == "date"
    assert type_name(True) == "bool" and type_name(493) == "int" and type_name(None) == "null"
    assert type_name(datetime.datetime(2026, 11, 24, 10, 0)) == "datetime"


# -- string options given something else, before the argument spec makes text of it ---------------------------------
SPEC = dict(
    external_id=dict(type="str"), subject=dict(type="str"), state=dict(type="str", default="present"),
    concurrency=dict(type="int"), validate=dict(type="bool"),
    ids=dict(type="list", elements="str", aliases=["id"]),
    appointments_file=dict(type="dict", options=dict(path=dict(type="path"), user=dict(type="str"))),
    **APPOINTMENT_OPTIONS
)


def test_option_types_as_given():
    raw = {"external_id": 493, "subject": False, "state": "present", "concurrency": 4, "validate": "yes",
           "id": ["m-1", 7], "appointments_file": {"path": "/x", "user": True},
           "appointment_clients": [{"display_name": True, "email_address": "g@contoso.com"}, "not-a-dict"],
           "external_appointment_url": None, "settings": {"allow_client_to_join_using_browser": "yes"},
           "_ansible_check_mode": True}
    problems = option_type_problems(raw, SPEC)
    assert [p.split(": ", 1)[0] for p in problems] == [
        "external_id", "subject", "id[1]", "appointments_file.user", "appointment_clients[0].display_name",
        "appointment_clients[1]"], problems
    assert problems[0] == ("external_id: must be a string, got int (YAML reads unquoted numbers such as 1001 or 0755 "
                           "(octal) as numbers: quote the value)")
    assert "yes/no/on/off" in problems[1]


def test_option_types_all_strings_are_fine():
    raw = {"external_id": "0755", "subject": "no", "ids": ["m-1"], "appointment_clients": [{"display_name": "on"}],
           "appointments_file": {"user": "adele@contoso.com"}}
    assert option_type_problems(raw, SPEC) == []
    assert option_type_problems({}, SPEC) == [] and option_type_problems(None, SPEC) == []


def test_option_shapes_as_given():
    # Ansible would split "gradya@contoso.com" at commas and fail "dictionary requested", naming no option.
    raw = {"appointment_clients": "gradya@contoso.com", "settings": "allow_client_to_join_using_browser=yes",
           "appointments_file": ["/x"]}
    assert option_type_problems(raw, SPEC) == [
        "appointments_file: must be a mapping, got list",
        "appointment_clients: must be a list of mappings, got str",
        "settings: must be a mapping, got str"]
    # A comma-separated string for a list of strings is Ansible's own convenience: left to the argument spec.
    assert option_type_problems({"ids": "m-1,m-2"}, SPEC) == []


def test_relaxed_spec_keeps_names_and_aliases():
    relaxed = relaxed_spec(SPEC)
    assert set(relaxed) == set(SPEC)
    assert relaxed["ids"] == {"type": "raw", "aliases": ["id"]}
    assert all(option["type"] == "raw" for option in relaxed.values())
