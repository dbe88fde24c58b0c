# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""virtualAppointment and onlineMeeting state: snake_case options <-> Graph JSON, both sides normalised the same
way, compared, and the result of a write predicted.  Pure functions over plain data.

Comparison rules (DESIGN.md): an option that is not set never changes the remote object and is not compared;
``[]`` clears; ``appointment_clients`` is a set keyed by the case-folded e-mail address (order and e-mail case never
cause a change; phone numbers compare by their digits); ``settings`` compares only the keys given; times compare as
instants.
"""

from __future__ import annotations

# parse_time and phone_digits are the date-time and phone rules' own forms (validate.py); callers also use them as
# models.parse_time and models.phone_digits.
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.validate import parse_time, phone_digits

APPOINTMENT_FIELDS = ("appointment_clients", "external_appointment_id", "external_appointment_url", "settings",
                      "appointment_client_join_web_url")
CLIENT_FIELDS = ("display_name", "email_address", "sms_capable_phone_number")
SETTINGS_FIELDS = ("allow_client_to_join_using_browser",)
MEETING_FIELDS = ("subject", "start_date_time", "end_date_time")

CAMEL = {
    "appointment_clients": "appointmentClients", "external_appointment_id": "externalAppointmentId",
    "external_appointment_url": "externalAppointmentUrl", "settings": "settings",
    "appointment_client_join_web_url": "appointmentClientJoinWebUrl", "display_name": "displayName",
    "email_address": "emailAddress", "sms_capable_phone_number": "smsCapablePhoneNumber",
    "allow_client_to_join_using_browser": "allowClientToJoinUsingBrowser", "subject": "subject",
    "start_date_time": "startDateTime", "end_date_time": "endDateTime", "external_id": "externalId",
}


# -- small coercions ------------------------------------------------------------------------------------------------
def as_bool(value):
    """Graph's Boolean, also when the service (or its documentation) sends the string "true"/"false"."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def format_time(value):
    """UTC with a Z, seconds precision unless there is a fraction."""
    value = parse_time(value)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += (".%06d" % value.microsecond).rstrip("0")
    return text + "Z"


def unwrap(body):
    """The entity, whether Graph sent it bare or (as every GET example in the docs shows) inside "value"."""
    if isinstance(body, dict) and isinstance(body.get("value"), dict):
        if not [k for k in body if k != "value" and not k.startswith("@odata.")]:
            return body["value"]
    return body if isinstance(body, dict) else {}


# -- virtualAppointment ---------------------------------------------------------------------------------------------
def client_from_graph(client):
    return {key: (client or {}).get(CAMEL[key]) for key in CLIENT_FIELDS}


def appointment_from_graph(body):
    """Graph's virtualAppointment (either documented shape) -> the module's snake_case view."""
    entity = unwrap(body)
    settings = entity.get("settings") if isinstance(entity.get("settings"), dict) else {}
    return {
        "id": entity.get("id"),
        "appointment_client_join_web_url": entity.get("appointmentClientJoinWebUrl"),
        "external_appointment_id": entity.get("externalAppointmentId"),
        "external_appointment_url": entity.get("externalAppointmentUrl"),
        "appointment_clients": [client_from_graph(c) for c in entity.get("appointmentClients") or []],
        "settings": {"allow_client_to_join_using_browser": as_bool(settings.get("allowClientToJoinUsingBrowser"))},
    }


def desired_appointment(options):
    """The options that are set (None = not managed), normalised; unknown keys are the caller's to reject."""
    desired = {}
    for key in APPOINTMENT_FIELDS:
        value = options.get(key)
        if value is None:
            continue
        if key == "appointment_clients":
            value = [{field: _clean(client.get(field)) for field in CLIENT_FIELDS} for client in value]
        elif key == "settings":
            value = {field: value.get(field) for field in SETTINGS_FIELDS if value.get(field) is not None}
            if not value:
                continue
        else:
            value = _clean(value)
        desired[key] = value
    return desired


def _clean(value):
    return value.strip() if isinstance(value, str) else value


def client_identity(client):
    email = client.get("email_address")
    return (email.casefold() if email else "", client.get("display_name") or "",
            phone_digits(client.get("sms_capable_phone_number")) or "")


def clients_equal(wanted, actual):
    return sorted(client_identity(c) for c in wanted or []) == sorted(client_identity(c) for c in actual or [])


def appointment_changes(desired, actual):
    """The desired values that differ from ``actual`` (snake_case, top-level keys); {} when in sync."""
    changes = {}
    for key, want in desired.items():
        have = actual.get(key)
        if key == "appointment_clients":
            if not clients_equal(want, have):
                changes[key] = want
        elif key == "settings":
            have = have or {}
            if any(have.get(field) != value for field, value in want.items()):
                merged = {f: have.get(f) for f in SETTINGS_FIELDS if have.get(f) is not None}
                merged.update(want)
                changes[key] = merged
        elif want != have:
            changes[key] = want
    return changes


def appointment_to_graph(values):
    """snake_case values -> the Graph request body (only the keys given)."""
    body = {}
    for key, value in values.items():
        if key == "appointment_clients":
            value = [{CAMEL[f]: c.get(f) for f in CLIENT_FIELDS if c.get(f) is not None} for c in value]
        elif key == "settings":
            value = {CAMEL[f]: v for f, v in value.items()}
        body[CAMEL[key]] = value
    return body


def predict_appointment(actual, values):
    """What Graph will hold after writing ``values`` over ``actual`` (None: a create)."""
    base = dict(actual) if actual else {"id": None, "appointment_client_join_web_url": None,
                                        "external_appointment_id": None, "external_appointment_url": None,
                                        "appointment_clients": [],
                                        "settings": {"allow_client_to_join_using_browser": False}}
    for key, value in values.items():
        if key == "settings":
            merged = dict(base.get("settings") or {})
            merged.update(value)
            base["settings"] = merged
        else:
            base[key] = value
    return base


def appointment_compared_view(view, desired):
    """The part of ``view`` that ``desired`` manages, in a stable order (for diff and change reports)."""
    if view is None:
        return {}
    out = {}
    for key in desired:
        value = view.get(key)
        if key == "appointment_clients":
            value = sorted(value or [], key=client_identity)
        elif key == "settings":
            value = {field: (value or {}).get(field) for field in desired[key]}
        out[key] = value
    return out


# -- onlineMeeting ---------------------------------------------------------------------------------------------------
def meeting_from_graph(body):
    entity = body if isinstance(body, dict) else {}
    return {
        "id": entity.get("id"), "external_id": entity.get("externalId"), "subject": entity.get("subject"),
        "start_date_time": entity.get("startDateTime"), "end_date_time": entity.get("endDateTime"),
        "join_web_url": entity.get("joinWebUrl"), "creation_date_time": entity.get("creationDateTime"),
    }


def desired_meeting(options):
    desired = {}
    for key in MEETING_FIELDS:
        value = options.get(key)
        if value is not None:
            desired[key] = format_time(value) if key != "subject" else value
    return desired


def meeting_changes(desired, actual):
    """The Graph PATCH body for ``desired`` over ``actual``; start and end are always sent together."""
    body = {}
    if "subject" in desired and desired["subject"] != actual.get("subject"):
        body["subject"] = desired["subject"]
    times = {}
    for key in ("start_date_time", "end_date_time"):
        want = desired.get(key)
        have = actual.get(key)
        if want is not None and (have is None or parse_time(want) != parse_time(have)):
            times[key] = want
    if times:
        for key in ("start_date_time", "end_date_time"):
            body[CAMEL[key]] = times.get(key) or desired.get(key) or actual.get(key)
    return body


def meeting_create_body(external_id, desired):
    body = {"externalId": external_id}
    for key, value in desired.items():
        body[CAMEL[key]] = value
    return body


def predict_meeting(actual, patch_body, external_id=None):
    base = dict(actual) if actual else {"id": None, "external_id": external_id, "subject": None,
                                        "start_date_time": None, "end_date_time": None, "join_web_url": None,
                                        "creation_date_time": None}
    names = {CAMEL[k]: k for k in MEETING_FIELDS}
    for key, value in patch_body.items():
        if key in names:
            base[names[key]] = value
    return base


def meeting_compared_view(view, desired):
    if view is None:
        return {}
    return {key: view.get(key) for key in desired}
