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
sent as its canonical spelling, an IANA name (``America/Chicago``) is translated to its Windows name (time_zones.py,
CLDR's windowsZones mapping), and anything else is a problem (``validate.windows_time_zone``, the one time zone rule).

Phone numbers follow the one phone rule (``validate.phone_number``) and are sent in E.164 form (``+13125550142``).
On top of it, the SMS policy - Graph sends these SMS to United States numbers only: a number without a country code
is read as a US number and must have ten digits (or eleven starting with 1), else it is a problem (there is no number
to send to); a number with a country code outside the US is a warning, not a problem.

The ``where`` argument prefixes every field path in problems and warnings (``items[3].notify``), so the batch module
names the item as well as the attendee.
"""

from __future__ import annotations

import re

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import retry
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path
# windows_time_zone is the time zone rule; callers also use it as sms.windows_time_zone.
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.validate import (
    parse_time, phone_number, show, windows_time_zone)

SMS_ACTION = "sendVirtualAppointmentSms"
REMINDER_ACTION = "sendVirtualAppointmentReminderSms"
MESSAGE_TYPES = ("confirmation", "reschedule", "cancellation")  # virtualAppointmentMessageType
REMINDER = "reminder"
MODULE_MESSAGE_TYPES = MESSAGE_TYPES + (REMINDER,)
REMIND_BEFORE = ("mins15",)  # remindBeforeTimeInMinutesType (unknownFutureValue is a sentinel, never sent)
DEFAULT_REMIND_BEFORE = "mins15"
ATTENDEE_KEYS = ("phone_number", "time_zone")

_US_NUMBER = re.compile(r"^\+1[2-9][0-9]{2}[2-9][0-9]{6}$")  # NANP: +1 NXX NXX XXXX


def _field(where, name):
    return "%s.%s" % (where, name) if where else name


def normalize_phone(value, field="phone_number"):
    """``(e164, problem)``: the number as ``+<country code><number>`` without separators, or a problem.

    The number must be a phone number (``validate.phone_number``, the one rule of every phone field).  On top of that,
    the SMS policy: Graph texts United States numbers, so a number without a leading ``+`` is read as one - ten
    digits, or eleven starting with 1 - and any other number without a country code is a problem here, though it is
    a valid ``sms_capable_phone_number``: it cannot be turned into the E.164 number Graph sends to."""
    number, problems = phone_number(value, field)
    if problems:
        return None, problems[0]
    if number.startswith("+"):
        return number, None
    if len(number) == 10:
        return "+1" + number, None
    if len(number) == 11 and number[0] == "1":
        return "+" + number, None
    return None, ("%s: give the number with a leading + and its country code (e.g. +1 312 555 0142): %s is a phone "
                  "number, but without a country code the SMS can only read it as a United States number, which has "
                  "ten digits (Graph sends these SMS to US numbers only)" % (field, show(value.strip(), 40)))


def is_us_number(e164):
    """Whether an E.164 number is a North American (+1) number with a valid area code and exchange."""
    return bool(_US_NUMBER.match(e164 or ""))


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
            if parse_time(old) != parse_time(new):
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
