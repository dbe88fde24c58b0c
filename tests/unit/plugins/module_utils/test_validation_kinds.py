"""One rule per kind of field (plugins/module_utils/validate.py), used by every caller: the appointment and meeting
checks (spec.py), the SMS (sms.py) and the comparison (models.py) give the same value the same answer.  Issue 11 found
them disagreeing - "555 0142" passed one phone check and failed another, a zero-width space was accepted by one text
check and refused by another - and these tests pin how each disagreement was resolved."""

import ast
import pathlib

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import (
    models, sms, spec, time_zones, validate)

WHERE = "appointments[3] (external_id A-1)"
CLIENT = WHERE + ".appointment_clients[0]"
PLUGINS = pathlib.Path(__file__).resolve().parents[4] / "plugins"


def client_problems(**client):
    client.setdefault("display_name", "Grady Archie")
    return spec.appointment_problems({"appointment_clients": [client]}, WHERE)


# -- phone numbers: one form; "can Graph text it" is the SMS policy on top ------------------------------------------
PHONES = ["+1 312 555 0142", "(312) 555-0142", "312/555-0142", "1 312 555 0142", "+44 20 7946 0958", "555 0142",
          "020 7946 0958", "+683 4002", "+0 312 555 0142", "+123456", "+1234567890123456", "123456", "1-----",
          "+1 312 CALL NOW", "++13125550142", "+1 312 +555 0142", "", " ", "+1\u200b312 555 0142",
          "+1 312 555 0142\n", "+1" + "0" * 60]


@pytest.mark.parametrize("phone", PHONES)
def test_the_sms_refuses_every_number_the_phone_rule_refuses_with_the_same_message(phone):
    field = CLIENT + ".sms_capable_phone_number"
    form = client_problems(sms_capable_phone_number=phone)
    e164, problem = sms.normalize_phone(phone, field)
    if form:
        assert [problem] == form[:1] and e164 is None, (form, problem)
    if e164:
        assert form == [] and validate.phone_problems(phone, field) == []


@pytest.mark.parametrize("phone", ["555 0142", "020 7946 0958", "2 206 555 0199"])
def test_a_number_without_a_country_code_is_a_phone_number_but_no_sms_recipient(phone):
    """Resolved: the form accepts 7 to 15 digits without a country code (Graph stores smsCapablePhoneNumber as
    given); the SMS refuses it - it cannot be read as the ten-digit US number Graph would send to - and says that
    the number is a phone number and why it cannot be texted."""
    assert client_problems(sms_capable_phone_number=phone) == []
    number, problem = sms.normalize_phone(phone, "attendees[0].phone_number")
    assert number is None
    assert problem.startswith("attendees[0].phone_number: give the number with a leading + and its country code")
    assert "is a phone number" in problem and "US numbers only" in problem


@pytest.mark.parametrize("phone, e164", [("312/555-0142", "+13125550142"), ("+49 30/1234567", "+49301234567")])
def test_a_slash_separates_digits_in_every_phone_field(phone, e164):
    """Resolved: spec.py took / as a separator, sms.py refused it; now both take it."""
    assert client_problems(sms_capable_phone_number=phone) == []
    assert sms.normalize_phone(phone) == (e164, None)


@pytest.mark.parametrize("phone", ["+0 312 555 0142", "+012 345 6789"])
def test_no_country_code_starts_with_0_in_any_phone_field(phone):
    """Resolved: spec.py accepted +0..., sms.py refused it; now both refuse it with the same message."""
    problem = client_problems(sms_capable_phone_number=phone)
    assert len(problem) == 1 and "not a phone number" in problem[0]
    assert sms.normalize_phone(phone, problem[0].split(": ", 1)[0])[1] == problem[0]


def test_numbers_compare_in_the_phone_rules_own_form():
    assert models.phone_digits is validate.phone_digits
    assert validate.phone_number("+1 (312) 555-0142", "f") == ("+13125550142", [])
    assert validate.phone_number("312/555-0142", "f") == ("3125550142", [])
    assert models.clients_equal([{"email_address": "g@contoso.com", "sms_capable_phone_number": "+1 312 555 0142"}],
                                [{"email_address": "g@contoso.com", "sms_capable_phone_number": "+1.312.555.0142"}])


def test_a_non_us_number_with_a_country_code_is_an_sms_warning_not_a_problem():
    attendees, problems, warnings = sms.client_attendees([{"sms_capable_phone_number": "+44 20 7946 0958"}],
                                                         "GMT Standard Time", WHERE)
    assert attendees and problems == [] and len(warnings) == 1 and "US numbers only" in warnings[0]


# -- text: control and invisible characters, one rule in every kind --------------------------------------------------
INVISIBLE = {"\u200b": "ZERO WIDTH SPACE", "\u2060": "WORD JOINER", "\ufeff": "ZERO WIDTH NO-BREAK SPACE",
             "\u00ad": "SOFT HYPHEN", "\u202e": "RIGHT-TO-LEFT OVERRIDE", "\u2066": "LEFT-TO-RIGHT ISOLATE"}


def every_kind(value_of):
    """The problems of one odd character in each kind of text field, through its caller (field -> problems)."""
    return {
        "subject": spec.meeting_problems({"subject": value_of("Mortgage consultation")}, WHERE),
        "external_appointment_id": spec.appointment_problems(
            {"external_appointment_id": value_of("EXT-1001")}, WHERE),
        "display_name": client_problems(display_name=value_of("Grady Archie")),
        "email_address": client_problems(email_address=value_of("gradya@contoso.com")),
        "sms_capable_phone_number": client_problems(sms_capable_phone_number=value_of("+1 312 555 0142")),
        "external_appointment_url": spec.appointment_problems(
            {"external_appointment_url": value_of("https://scheduling.example.com/a")}, WHERE),
        "start_date_time": spec.meeting_problems({"start_date_time": value_of("2026-12-01T15:00:00Z"),
                                                  "end_date_time": "2026-12-01T16:00:00Z"}, WHERE),
        "attendees.phone_number": [sms.normalize_phone(value_of("+1 312 555 0142"), "x")[1]],
        "attendees.time_zone": [sms.windows_time_zone(value_of("Pacific Standard Time"), "x")[1]],
    }


@pytest.mark.parametrize("char, name", INVISIBLE.items())
def test_an_invisible_character_is_refused_in_every_kind_of_text(char, name):
    """Resolved: spec.py accepted a zero-width space in text (a display name or e-mail address that looks like
    another and is not), sms.py refused it as a "control character"; now every kind refuses it, naming it."""
    found = every_kind(lambda value: value[:3] + char + value[3:])
    for field, problems in found.items():
        assert len(problems) == 1, (field, problems)
        assert "contains an invisible character (U+%04X %s)" % (ord(char), name) in problems[0], (field, problems)


@pytest.mark.parametrize("char", ["\n", "\t", "\x00", "\x1b", "\u2028", "\x85"])
def test_a_control_character_is_refused_in_every_kind_of_text(char):
    found = every_kind(lambda value: value + char)
    for field, problems in found.items():
        assert len(problems) == 1 and "contains control characters" in problems[0], (field, problems)


@pytest.mark.parametrize("char", INVISIBLE)
def test_an_id_with_an_invisible_character_is_not_an_id(char):
    for key in ("external_id", "online_meeting_id", "user"):
        problems = spec.ids_problems({key: "A" + char + "1001"}, WHERE)
        assert len(problems) == 1 and "is not an ID" in problems[0], problems


@pytest.mark.parametrize("text", ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",   # Persian: ZWNJ in a word
                                  "Grady \U0001f469\u200d\U0001f4bb Archie"])              # an emoji sequence: ZWJ
def test_the_joiners_written_words_need_are_text_but_never_part_of_a_key(text):
    assert client_problems(display_name=text) == []
    assert spec.meeting_problems({"subject": text}, WHERE) == []
    assert "is not an ID" in spec.ids_problems({"external_id": text.replace(" ", "")}, WHERE)[0]
    joined = "grady\u200darchie@contoso.com"
    assert "not an e-mail address" in client_problems(email_address=joined)[0]


def test_non_strings_are_refused_alike_with_a_hint_to_quote():
    assert client_problems(sms_capable_phone_number=13125550142) == [
        CLIENT + ".sms_capable_phone_number: must be a string, got int (YAML reads unquoted numbers such as 1001 or "
        "0755 (octal) as numbers: quote the value)"]
    assert sms.normalize_phone(13125550142, CLIENT + ".sms_capable_phone_number")[1] == \
        client_problems(sms_capable_phone_number=13125550142)[0]
    assert "must be a string, got bool (YAML reads" in sms.windows_time_zone(True, "tz")[1]


# -- time zones ------------------------------------------------------------------------------------------------------
def test_one_time_zone_rule_and_its_table_in_a_file_of_its_own():
    assert sms.windows_time_zone is validate.windows_time_zone
    assert time_zones.windows_name(" america/chicago ") == "Central Standard Time"
    assert time_zones.windows_name("PACIFIC STANDARD TIME") == "Pacific Standard Time"
    assert time_zones.windows_name("UTC") == "UTC"
    assert time_zones.windows_name("Pacific Time") is None
    assert not hasattr(sms, "HAS_ZONEINFO") and not hasattr(sms, "IANA_TO_WINDOWS")


# -- date-times ------------------------------------------------------------------------------------------------------
def test_one_date_time_parser():
    assert models.parse_time is validate.parse_time is spec.parse_time
    assert validate.date_time_problems("2026-12-01T15:00:00+01:00", "f") == []
    assert "needs an offset" in validate.date_time_problems("2026-12-01T15:00:00", "f")[0]


# -- the rules live in validate.py only -------------------------------------------------------------------------------
def test_no_other_plugin_file_inspects_characters_or_time_zones():
    """unicodedata and zoneinfo are what a character or time zone rule needs: only validate.py imports them."""
    importers = []
    for path in sorted(PLUGINS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) else []
            if {"unicodedata", "zoneinfo"} & set(names):
                importers.append(path.relative_to(PLUGINS).as_posix())
    assert importers == ["module_utils/validate.py", "module_utils/validate.py"]
