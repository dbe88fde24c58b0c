# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMS notifications for the virtual appointment of an online meeting, as pure functions: options in, the documented
request out, every problem found before any request.

Graph (graph-api.md 5.2-5.4; v1.0 CSDL) has two actions bound to an onlineMeeting, each answering ``202 Accepted``:

* ``sendVirtualAppointmentSms`` ``{"attendees": [{"phoneNumber", "timeZone"}, ...], "messageType": ...}`` with
  ``messageType`` one of confirmation, reschedule, cancellation (``virtualAppointmentMessageType``, one value: the doc
  table's "collection" contradicts the CSDL and every example);
* ``sendVirtualAppointmentReminderSms`` ``{"attendees": [...], "remindBeforeTimeInMinutesType": "mins15"}``
  (``remindBeforeTimeInMinutesType`` documents ``mins15`` only).

The 2023 bodies (``phoneNumbers`` with ``smsType`` / ``virtualAppointmentSmsType``) are never built here.
``timeZone`` is "any of the time zones currently supported by Windows" (attendeeNotificationInfo): a Windows name is
sent as its canonical spelling, an IANA name (``America/Chicago``) is translated to its Windows name from the table
below (CLDR's windowsZones mapping), and anything else is a problem.  Phone numbers are sent in E.164 form
(``+13125550142``); the SMS reach United States numbers only, so other numbers are a warning, not a problem.

The ``where`` argument prefixes every field path in problems and warnings (``items[3].notify``), so the batch module
names the item as well as the attendee.
"""

from __future__ import annotations

import re
import unicodedata

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models, retry
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path

try:
    import zoneinfo
    HAS_ZONEINFO = True
except ImportError:  # pragma: no cover - Python < 3.9; IANA names then only resolve through the table
    zoneinfo = None
    HAS_ZONEINFO = False

SMS_ACTION = "sendVirtualAppointmentSms"
REMINDER_ACTION = "sendVirtualAppointmentReminderSms"
MESSAGE_TYPES = ("confirmation", "reschedule", "cancellation")  # virtualAppointmentMessageType
REMINDER = "reminder"
MODULE_MESSAGE_TYPES = MESSAGE_TYPES + (REMINDER,)
REMIND_BEFORE = ("mins15",)  # remindBeforeTimeInMinutesType (unknownFutureValue is a sentinel, never sent)
DEFAULT_REMIND_BEFORE = "mins15"
ATTENDEE_KEYS = ("phone_number", "time_zone")
MAX_PHONE_LENGTH = 40
MAX_TIME_ZONE_LENGTH = 64

# Windows time zone IDs (the registry keys TimeZoneInfo.FindSystemTimeZoneById accepts), east of the date line last.
WINDOWS_TIME_ZONES = (
    "Dateline Standard Time", "UTC-11", "Aleutian Standard Time", "Hawaiian Standard Time", "Marquesas Standard Time",
    "Alaskan Standard Time", "UTC-09", "Pacific Standard Time (Mexico)", "UTC-08", "Pacific Standard Time",
    "US Mountain Standard Time", "Mountain Standard Time (Mexico)", "Mountain Standard Time", "Yukon Standard Time",
    "Central America Standard Time", "Central Standard Time", "Easter Island Standard Time",
    "Central Standard Time (Mexico)", "Canada Central Standard Time", "SA Pacific Standard Time",
    "Eastern Standard Time (Mexico)", "Eastern Standard Time", "Haiti Standard Time", "Cuba Standard Time",
    "US Eastern Standard Time", "Turks And Caicos Standard Time", "Paraguay Standard Time", "Atlantic Standard Time",
    "Venezuela Standard Time", "Central Brazilian Standard Time", "SA Western Standard Time",
    "Pacific SA Standard Time", "Newfoundland Standard Time", "Tocantins Standard Time",
    "E. South America Standard Time", "SA Eastern Standard Time", "Argentina Standard Time",
    "Greenland Standard Time", "Montevideo Standard Time", "Magallanes Standard Time", "Saint Pierre Standard Time",
    "Bahia Standard Time", "UTC-02", "Mid-Atlantic Standard Time", "Azores Standard Time", "Cape Verde Standard Time",
    "UTC", "GMT Standard Time", "Greenwich Standard Time", "Sao Tome Standard Time", "Morocco Standard Time",
    "W. Europe Standard Time", "Central Europe Standard Time", "Romance Standard Time",
    "Central European Standard Time", "W. Central Africa Standard Time", "Jordan Standard Time",
    "GTB Standard Time", "Middle East Standard Time", "Egypt Standard Time", "E. Europe Standard Time",
    "Syria Standard Time", "West Bank Standard Time", "South Africa Standard Time", "FLE Standard Time",
    "Israel Standard Time", "South Sudan Standard Time", "Kaliningrad Standard Time", "Sudan Standard Time",
    "Libya Standard Time", "Namibia Standard Time", "Arabic Standard Time", "Turkey Standard Time",
    "Arab Standard Time", "Belarus Standard Time", "Russian Standard Time", "E. Africa Standard Time",
    "Volgograd Standard Time", "Iran Standard Time", "Arabian Standard Time", "Astrakhan Standard Time",
    "Azerbaijan Standard Time", "Russia Time Zone 3", "Mauritius Standard Time", "Saratov Standard Time",
    "Georgian Standard Time", "Caucasus Standard Time", "Afghanistan Standard Time", "West Asia Standard Time",
    "Qyzylorda Standard Time", "Ekaterinburg Standard Time", "Pakistan Standard Time", "India Standard Time",
    "Sri Lanka Standard Time", "Nepal Standard Time", "Central Asia Standard Time", "Bangladesh Standard Time",
    "Omsk Standard Time", "Myanmar Standard Time", "SE Asia Standard Time", "Altai Standard Time",
    "W. Mongolia Standard Time", "North Asia Standard Time", "N. Central Asia Standard Time", "Tomsk Standard Time",
    "China Standard Time", "North Asia East Standard Time", "Singapore Standard Time", "W. Australia Standard Time",
    "Taipei Standard Time", "Ulaanbaatar Standard Time", "Aus Central W. Standard Time", "Transbaikal Standard Time",
    "Tokyo Standard Time", "North Korea Standard Time", "Korea Standard Time", "Yakutsk Standard Time",
    "Cen. Australia Standard Time", "AUS Central Standard Time", "E. Australia Standard Time",
    "AUS Eastern Standard Time", "West Pacific Standard Time", "Tasmania Standard Time", "Vladivostok Standard Time",
    "Lord Howe Standard Time", "Bougainville Standard Time", "Russia Time Zone 10", "Magadan Standard Time",
    "Norfolk Standard Time", "Sakhalin Standard Time", "Central Pacific Standard Time", "Russia Time Zone 11",
    "New Zealand Standard Time", "UTC+12", "Fiji Standard Time", "Kamchatka Standard Time",
    "Chatham Islands Standard Time", "UTC+13", "Tonga Standard Time", "Samoa Standard Time",
    "Line Islands Standard Time",
)
_WINDOWS_BY_FOLDED = {name.casefold(): name for name in WINDOWS_TIME_ZONES}

# IANA name -> Windows name: every United States zone (the SMS reach US numbers only) and the main zone of each
# Windows zone elsewhere, with common older spellings.  Space-separated IANA names per Windows zone.
_IANA_BY_WINDOWS = {
    "Dateline Standard Time": "Etc/GMT+12",
    "UTC-11": "Etc/GMT+11 Pacific/Pago_Pago Pacific/Midway Pacific/Niue US/Samoa",
    "Aleutian Standard Time": "America/Adak US/Aleutian",
    "Hawaiian Standard Time": "Pacific/Honolulu Pacific/Johnston US/Hawaii",
    "Marquesas Standard Time": "Pacific/Marquesas",
    "Alaskan Standard Time": "America/Anchorage America/Juneau America/Metlakatla America/Nome America/Sitka "
                             "America/Yakutat US/Alaska",
    "UTC-09": "Etc/GMT+9 Pacific/Gambier",
    "Pacific Standard Time (Mexico)": "America/Tijuana America/Santa_Isabel",
    "UTC-08": "Etc/GMT+8 Pacific/Pitcairn",
    "Pacific Standard Time": "America/Los_Angeles America/Vancouver US/Pacific PST8PDT",
    "US Mountain Standard Time": "America/Phoenix America/Creston America/Hermosillo US/Arizona MST",
    "Mountain Standard Time (Mexico)": "America/Mazatlan",
    "Mountain Standard Time": "America/Denver America/Boise America/Edmonton America/Shiprock US/Mountain MST7MDT",
    "Yukon Standard Time": "America/Whitehorse America/Dawson",
    "Central America Standard Time": "America/Guatemala America/Costa_Rica America/El_Salvador "
                                     "America/Tegucigalpa America/Managua America/Belize",
    "Central Standard Time": "America/Chicago America/Indiana/Knox America/Indiana/Tell_City America/Knox_IN "
                             "America/Menominee America/North_Dakota/Beulah America/North_Dakota/Center "
                             "America/North_Dakota/New_Salem America/Winnipeg US/Central US/Indiana-Starke CST6CDT",
    "Easter Island Standard Time": "Pacific/Easter",
    "Central Standard Time (Mexico)": "America/Mexico_City America/Monterrey America/Merida",
    "Canada Central Standard Time": "America/Regina",
    "SA Pacific Standard Time": "America/Bogota America/Lima America/Panama America/Jamaica",
    "Eastern Standard Time (Mexico)": "America/Cancun",
    "Eastern Standard Time": "America/New_York America/Detroit America/Indiana/Petersburg "
                             "America/Indiana/Vincennes America/Indiana/Winamac America/Kentucky/Louisville "
                             "America/Kentucky/Monticello America/Louisville America/Fort_Wayne America/Toronto "
                             "America/Nassau US/Eastern US/Michigan EST5EDT",
    "Haiti Standard Time": "America/Port-au-Prince",
    "Cuba Standard Time": "America/Havana",
    "US Eastern Standard Time": "America/Indiana/Indianapolis America/Indianapolis America/Indiana/Marengo "
                                "America/Indiana/Vevay US/East-Indiana",
    "Turks And Caicos Standard Time": "America/Grand_Turk",
    "Paraguay Standard Time": "America/Asuncion",
    "Atlantic Standard Time": "America/Halifax Atlantic/Bermuda",
    "Venezuela Standard Time": "America/Caracas",
    "Central Brazilian Standard Time": "America/Cuiaba",
    "SA Western Standard Time": "America/La_Paz America/Puerto_Rico America/St_Thomas America/Virgin "
                                "America/Santo_Domingo",
    "Pacific SA Standard Time": "America/Santiago",
    "Newfoundland Standard Time": "America/St_Johns",
    "Tocantins Standard Time": "America/Araguaina",
    "E. South America Standard Time": "America/Sao_Paulo",
    "SA Eastern Standard Time": "America/Cayenne",
    "Argentina Standard Time": "America/Argentina/Buenos_Aires America/Buenos_Aires",
    "Greenland Standard Time": "America/Nuuk America/Godthab",
    "Montevideo Standard Time": "America/Montevideo",
    "Magallanes Standard Time": "America/Punta_Arenas",
    "Saint Pierre Standard Time": "America/Miquelon",
    "Bahia Standard Time": "America/Bahia",
    "UTC-02": "Etc/GMT+2 America/Noronha",
    "Azores Standard Time": "Atlantic/Azores",
    "Cape Verde Standard Time": "Atlantic/Cape_Verde",
    "UTC": "Etc/UTC Etc/GMT UTC GMT Etc/Universal Etc/Zulu",
    "GMT Standard Time": "Europe/London Europe/Dublin Europe/Lisbon",
    "Greenwich Standard Time": "Atlantic/Reykjavik Africa/Abidjan",
    "Sao Tome Standard Time": "Africa/Sao_Tome",
    "Morocco Standard Time": "Africa/Casablanca",
    "W. Europe Standard Time": "Europe/Berlin Europe/Amsterdam Europe/Rome Europe/Vienna Europe/Zurich "
                               "Europe/Stockholm Europe/Oslo",
    "Central Europe Standard Time": "Europe/Budapest Europe/Prague",
    "Romance Standard Time": "Europe/Paris Europe/Madrid Europe/Brussels Europe/Copenhagen",
    "Central European Standard Time": "Europe/Warsaw",
    "W. Central Africa Standard Time": "Africa/Lagos",
    "Jordan Standard Time": "Asia/Amman",
    "GTB Standard Time": "Europe/Bucharest Europe/Athens",
    "Middle East Standard Time": "Asia/Beirut",
    "Egypt Standard Time": "Africa/Cairo",
    "E. Europe Standard Time": "Europe/Chisinau",
    "Syria Standard Time": "Asia/Damascus",
    "West Bank Standard Time": "Asia/Hebron",
    "South Africa Standard Time": "Africa/Johannesburg",
    "FLE Standard Time": "Europe/Kyiv Europe/Kiev Europe/Helsinki",
    "Israel Standard Time": "Asia/Jerusalem",
    "South Sudan Standard Time": "Africa/Juba",
    "Kaliningrad Standard Time": "Europe/Kaliningrad",
    "Sudan Standard Time": "Africa/Khartoum",
    "Libya Standard Time": "Africa/Tripoli",
    "Namibia Standard Time": "Africa/Windhoek",
    "Arabic Standard Time": "Asia/Baghdad",
    "Turkey Standard Time": "Europe/Istanbul",
    "Arab Standard Time": "Asia/Riyadh",
    "Belarus Standard Time": "Europe/Minsk",
    "Russian Standard Time": "Europe/Moscow",
    "E. Africa Standard Time": "Africa/Nairobi",
    "Volgograd Standard Time": "Europe/Volgograd",
    "Iran Standard Time": "Asia/Tehran",
    "Arabian Standard Time": "Asia/Dubai",
    "Astrakhan Standard Time": "Europe/Astrakhan",
    "Azerbaijan Standard Time": "Asia/Baku",
    "Russia Time Zone 3": "Europe/Samara",
    "Mauritius Standard Time": "Indian/Mauritius",
    "Saratov Standard Time": "Europe/Saratov",
    "Georgian Standard Time": "Asia/Tbilisi",
    "Caucasus Standard Time": "Asia/Yerevan",
    "Afghanistan Standard Time": "Asia/Kabul",
    "West Asia Standard Time": "Asia/Tashkent",
    "Qyzylorda Standard Time": "Asia/Qyzylorda",
    "Ekaterinburg Standard Time": "Asia/Yekaterinburg",
    "Pakistan Standard Time": "Asia/Karachi",
    "India Standard Time": "Asia/Kolkata Asia/Calcutta",
    "Sri Lanka Standard Time": "Asia/Colombo",
    "Nepal Standard Time": "Asia/Kathmandu Asia/Katmandu",
    "Central Asia Standard Time": "Asia/Bishkek",
    "Bangladesh Standard Time": "Asia/Dhaka",
    "Omsk Standard Time": "Asia/Omsk",
    "Myanmar Standard Time": "Asia/Yangon Asia/Rangoon",
    "SE Asia Standard Time": "Asia/Bangkok Asia/Jakarta Asia/Ho_Chi_Minh",
    "Altai Standard Time": "Asia/Barnaul",
    "W. Mongolia Standard Time": "Asia/Hovd",
    "North Asia Standard Time": "Asia/Krasnoyarsk",
    "N. Central Asia Standard Time": "Asia/Novosibirsk",
    "Tomsk Standard Time": "Asia/Tomsk",
    "China Standard Time": "Asia/Shanghai Asia/Hong_Kong",
    "North Asia East Standard Time": "Asia/Irkutsk",
    "Singapore Standard Time": "Asia/Singapore Asia/Manila Asia/Kuala_Lumpur",
    "W. Australia Standard Time": "Australia/Perth",
    "Taipei Standard Time": "Asia/Taipei",
    "Ulaanbaatar Standard Time": "Asia/Ulaanbaatar",
    "Aus Central W. Standard Time": "Australia/Eucla",
    "Transbaikal Standard Time": "Asia/Chita",
    "Tokyo Standard Time": "Asia/Tokyo",
    "North Korea Standard Time": "Asia/Pyongyang",
    "Korea Standard Time": "Asia/Seoul",
    "Yakutsk Standard Time": "Asia/Yakutsk",
    "Cen. Australia Standard Time": "Australia/Adelaide",
    "AUS Central Standard Time": "Australia/Darwin",
    "E. Australia Standard Time": "Australia/Brisbane",
    "AUS Eastern Standard Time": "Australia/Sydney Australia/Melbourne",
    "West Pacific Standard Time": "Pacific/Port_Moresby Pacific/Guam Pacific/Saipan",
    "Tasmania Standard Time": "Australia/Hobart",
    "Vladivostok Standard Time": "Asia/Vladivostok",
    "Lord Howe Standard Time": "Australia/Lord_Howe",
    "Bougainville Standard Time": "Pacific/Bougainville",
    "Russia Time Zone 10": "Asia/Srednekolymsk",
    "Magadan Standard Time": "Asia/Magadan",
    "Norfolk Standard Time": "Pacific/Norfolk",
    "Sakhalin Standard Time": "Asia/Sakhalin",
    "Central Pacific Standard Time": "Pacific/Guadalcanal",
    "Russia Time Zone 11": "Asia/Kamchatka",
    "New Zealand Standard Time": "Pacific/Auckland",
    "UTC+12": "Etc/GMT-12",
    "Fiji Standard Time": "Pacific/Fiji",
    "Chatham Islands Standard Time": "Pacific/Chatham",
    "UTC+13": "Etc/GMT-13",
    "Tonga Standard Time": "Pacific/Tongatapu",
    "Samoa Standard Time": "Pacific/Apia",
    "Line Islands Standard Time": "Pacific/Kiritimati",
}
IANA_TO_WINDOWS = {iana: windows for windows, names in _IANA_BY_WINDOWS.items() for iana in names.split()}
_IANA_BY_FOLDED = {name.casefold(): name for name in IANA_TO_WINDOWS}

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-]+$")
_US_NUMBER = re.compile(r"^\+1[2-9][0-9]{2}[2-9][0-9]{6}$")  # NANP: +1 NXX NXX XXXX


def _field(where, name):
    return "%s.%s" % (where, name) if where else name


def _text_problem(value, field, limit):
    """A problem with a value that must be a short single-line string, or None."""
    if not isinstance(value, str):
        return "%s: must be a string, got %s" % (field, type(value).__name__)
    if not value.strip():
        return "%s: must not be empty" % field
    if len(value) > limit:
        return "%s: longer than %d characters (%d)" % (field, limit, len(value))
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        return "%s: contains control characters (newline, tab, ...)" % field
    return None


def normalize_phone(value, field="phone_number"):
    """``(e164, problem)``: the number as ``+<country code><number>`` without separators, or a problem.

    Spaces, ``-``, ``.`` and ``()`` are separators.  A number without a leading ``+`` is taken as a United States
    number (the SMS reach US numbers only): ten digits, or eleven starting with 1."""
    problem = _text_problem(value, field, MAX_PHONE_LENGTH)
    if problem:
        return None, problem
    text = value.strip()
    if not _PHONE_CHARS.match(text):
        return None, ("%s: not a phone number (digits, spaces, ()-. and a leading + only): %r" % (field, text))
    digits = re.sub(r"[^0-9]", "", text)
    if text.startswith("+"):
        if not 7 <= len(digits) <= 15 or digits[0] == "0":
            return None, ("%s: not an international number (+, country code and number, 7 to 15 digits): %r"
                          % (field, text))
        return "+" + digits, None
    if len(digits) == 10:
        return "+1" + digits, None
    if len(digits) == 11 and digits[0] == "1":
        return "+" + digits, None
    return None, ("%s: give the number with a leading + and its country code (e.g. +1 312 555 0142): %r"
                  % (field, text))


def is_us_number(e164):
    """Whether an E.164 number is a North American (+1) number with a valid area code and exchange."""
    return bool(_US_NUMBER.match(e164 or ""))


def _iana_zone_exists(name):
    if not HAS_ZONEINFO or ("/" not in name and name not in ("UTC", "GMT")):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def windows_time_zone(value, field="time_zone"):
    """``(windows_name, problem)``: a Windows time zone name in its canonical spelling, or a problem.

    A Windows name matches without regard to case; an IANA name is translated through ``IANA_TO_WINDOWS``."""
    problem = _text_problem(value, field, MAX_TIME_ZONE_LENGTH)
    if problem:
        return None, problem
    text = value.strip()
    folded = text.casefold()
    if folded in _WINDOWS_BY_FOLDED:
        return _WINDOWS_BY_FOLDED[folded], None
    if folded in _IANA_BY_FOLDED:
        return IANA_TO_WINDOWS[_IANA_BY_FOLDED[folded]], None
    if _iana_zone_exists(text):
        return None, ("%s: %r is an IANA time zone this collection cannot translate; Graph wants the Windows time "
                      "zone name (e.g. 'Central Standard Time'): give that instead" % (field, text))
    return None, ("%s: not a time zone: %r; give a Windows time zone name such as 'Pacific Standard Time' (or an "
                  "IANA name such as 'America/Los_Angeles')" % (field, text))


def attendees_body(attendees, where=""):
    """``(graph_attendees, problems, warnings)`` for a list of ``{phone_number, time_zone}``.

    Every attendee is checked (all problems are reported, not only the first); problems and warnings name the
    attendee index and field, e.g. ``attendees[1].time_zone``.  A number given twice is a problem: each would get
    the SMS twice."""
    field = _field(where, "attendees")
    if not isinstance(attendees, list):
        return [], ["%s: must be a list of {phone_number, time_zone}" % field], []
    if not attendees:
        return [], ["%s: must not be empty" % field], []
    out, problems, warnings, seen = [], [], [], {}
    for index, attendee in enumerate(attendees):
        here = "%s[%d]" % (field, index)
        if not isinstance(attendee, dict):
            problems.append("%s: must be a mapping with phone_number and time_zone" % here)
            continue
        unknown = sorted(str(key) for key in attendee if key not in ATTENDEE_KEYS)
        if unknown:
            problems.append("%s: unknown key(s) %s; known: %s" % (here, ", ".join(unknown), ", ".join(ATTENDEE_KEYS)))
        phone, zone = attendee.get("phone_number"), attendee.get("time_zone")
        number, zone_name = None, None
        if phone is None:
            problems.append("%s.phone_number: required" % here)
        else:
            number, problem = normalize_phone(phone, here + ".phone_number")
            if problem:
                problems.append(problem)
        if zone is None:
            problems.append("%s.time_zone: required (a Windows time zone name such as 'Pacific Standard Time')"
                            % here)
        else:
            zone_name, problem = windows_time_zone(zone, here + ".time_zone")
            if problem:
                problems.append(problem)
        if number is not None:
            if number in seen:
                problems.append("%s.phone_number: %s is also %s[%d]; each would get the SMS twice"
                                % (here, number, field, seen[number]))
            seen.setdefault(number, index)
            if not is_us_number(number):
                warnings.append("%s.phone_number: %s is not a United States number; Graph sends these SMS to US "
                                "numbers only" % (here, number))
        if number is not None and zone_name is not None:
            out.append({"phoneNumber": number, "timeZone": zone_name})
    return out, problems, warnings


def attendees_from_clients(clients, time_zone):
    """The attendees for the clients of an appointment (``appointment_clients`` option form) that have an
    ``sms_capable_phone_number``, all in ``time_zone``; clients without a number are left out."""
    return [{"phone_number": client["sms_capable_phone_number"], "time_zone": time_zone}
            for client in clients or () if isinstance(client, dict) and client.get("sms_capable_phone_number")]


def notification_type(created=False, rescheduled=False, deleted=False):
    """The message type an appointment change calls for: confirmation for a new appointment, reschedule when the
    meeting's start or end moved, cancellation when it was deleted; None when nothing calls for an SMS."""
    if deleted:
        return "cancellation"
    if created:
        return "confirmation"
    if rescheduled:
        return "reschedule"
    return None


def action_path(user, meeting_id, action):
    """``/users/{user}/onlineMeetings/{id}/<action>`` (application) or ``/me/...`` (delegated), each value encoded."""
    owner = graph_path("me") if user is None else graph_path("users", ("user", user))
    return owner + graph_path("onlineMeetings", ("online_meeting_id", meeting_id), action)


def build_request(message_type, attendees, remind_before=None):
    """``(action, body, problems, warnings)``: the Graph action and its documented body for the module's
    ``message_type`` (confirmation, reschedule, cancellation or reminder) and attendees (option form)."""
    problems = []
    if message_type not in MODULE_MESSAGE_TYPES:
        problems.append("message_type: must be one of %s, got %r" % (", ".join(MODULE_MESSAGE_TYPES), message_type))
    if message_type == REMINDER:
        remind_before = DEFAULT_REMIND_BEFORE if remind_before is None else remind_before
        if remind_before not in REMIND_BEFORE:
            problems.append("remind_before: must be one of %s (the values Graph documents), got %r"
                            % (", ".join(REMIND_BEFORE), remind_before))
    elif remind_before is not None:
        problems.append("remind_before: only applies to message_type=reminder (message_type is %s)" % message_type)
    graph_attendees, attendee_problems, warnings = attendees_body(attendees)
    problems += attendee_problems
    if problems:
        return None, None, problems, warnings
    if message_type == REMINDER:
        body = {"attendees": graph_attendees, "remindBeforeTimeInMinutesType": remind_before}
        return REMINDER_ACTION, body, [], warnings
    return SMS_ACTION, {"attendees": graph_attendees, "messageType": message_type}, [], warnings


def sms_operation(user, meeting_id, message_type, attendees, remind_before=None, where=""):
    """One validated SMS request as ``{"method", "path", "body", "action", "warnings"}``: ``method``, ``path`` and
    ``body`` are what ``GraphClient.request`` and ``GraphClient.batch`` take (a POST that is never replayed once it
    may have reached Graph).  Raises ValidationError listing every problem, each prefixed with ``where``."""
    problems = []
    if meeting_id is None or (isinstance(meeting_id, str) and not meeting_id.strip()):
        problems.append("online_meeting_id: must not be empty")
    action, body, request_problems, warnings = build_request(message_type, attendees, remind_before)
    problems += request_problems
    if where:
        problems = [_field(where, p) for p in problems]
        warnings = [_field(where, w) for w in warnings]
    if problems:
        raise ValidationError(problems)
    return {"method": "POST", "path": action_path(user, meeting_id, action), "body": body, "action": action,
            "warnings": warnings}


# ---------------------------------------------------------------- notifications of the batch module

def client_attendees(clients, time_zone, where=""):
    """``(attendees, problems, warnings)``: the attendees (option form, ``{phone_number, time_zone}``) for the
    clients of an appointment (``appointment_clients``, option or view form) that have an
    ``sms_capable_phone_number``, all in ``time_zone`` (taken as valid, see ``windows_time_zone``).

    Each number gets the SMS once, however many clients share it (numbers compare in E.164 form); clients without a
    number are left out.  Problems and warnings name the client's own field
    (``<where>.appointment_clients[2].sms_capable_phone_number``): a number that is not a phone number is a problem
    and is left out of ``attendees``; a number outside the United States is a warning."""
    attendees, problems, warnings, seen = [], [], [], set()
    for index, client in enumerate(clients or ()):
        if not isinstance(client, dict) or client.get("sms_capable_phone_number") in (None, ""):
            continue
        field = _field(where, "appointment_clients[%d].sms_capable_phone_number" % index)
        number, problem = normalize_phone(client["sms_capable_phone_number"], field)
        if problem:
            problems.append(problem)
            continue
        if number in seen:
            continue
        seen.add(number)
        if not is_us_number(number):
            warnings.append("%s: %s is not a United States number; Graph sends these SMS to US numbers only"
                            % (field, number))
        attendees.append({"phone_number": number, "time_zone": time_zone})
    return attendees, problems, warnings


def meeting_moved(before, after):
    """Whether the meeting's start or end changed between two meeting views (``start_date_time``,
    ``end_date_time``), compared as instants: the change that calls for a reschedule SMS.  False when either view
    or either time is missing (a new meeting is confirmed, not rescheduled)."""
    if not before or not after:
        return False
    for key in ("start_date_time", "end_date_time"):
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            continue
        try:
            if models.parse_time(old) != models.parse_time(new):
                return True
        except (TypeError, ValueError):
            if old != new:
                return True
    return False


def may_have_been_sent(status):
    """Whether an SMS request that failed with this HTTP status (None: no answer at all) may still have been sent: a
    lost answer, 500, 502 or 504.  Such a request is never sent again.  Any other error status (400, 403, 404, and
    429 or 503 once the retries ran out) means Graph did not send it."""
    return status is None or status in retry.AMBIGUOUS_STATUS
