# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Microsoft Bookings values, pure: Graph's camelCase objects to the collection's snake_case views and back, one
normal form per field kind (durations, times of day, date-times in UTC, e-mail addresses, sets of IDs, customers),
and the comparison of a desired subset with what Graph holds.

A view is what a module returns and what the planners compare: the object in snake_case, its durations as ISO 8601
(``PT30M``), its times of day ``HH:MM:SS``, its date-times ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), ``@odata`` annotations
dropped.  A desired value is a view of the options the task set (only those are compared: an option not set is never
changed); ``to_graph`` turns a view (or its changes) into the body Graph takes."""

from __future__ import annotations

import datetime
import math
import re

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.validate import parse_time

# Duration-valued properties, by snake_case name, wherever they are (services, scheduling policies, reminders).
DURATION_KEYS = frozenset(("default_duration", "pre_buffer", "post_buffer", "time_slot_interval",
                           "minimum_lead_time", "maximum_advance", "offset", "duration"))
TIME_OF_DAY_KEYS = frozenset(("start_time", "end_time"))
DATE_TIME_KEYS = frozenset(("start_date_time", "end_date_time"))
# Compared without regard to case (addresses).
CASEFOLD_KEYS = frozenset(("email_address", "email"))
# Lists whose order means nothing.
SET_KEYS = frozenset(("staff_member_ids",))
CUSTOMER_INFO_TYPE = "#microsoft.graph.bookingCustomerInformation"
CUSTOMER_TYPE = "#microsoft.graph.bookingCustomer"
DATE_TIME_TYPE = "#microsoft.graph.dateTimeTimeZone"
# Properties Graph computes or sets through another call: never sent, never compared unless desired.
READ_ONLY = frozenset(("id", "created_date_time", "last_updated_date_time", "is_published", "public_url", "web_url",
                       "membership_status", "duration", "filled_attendees_count", "join_web_url",
                       "anonymous_join_web_url", "self_service_appointment_id", "service_name"))

_ISO_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                           r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_TIME_OF_DAY = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")


# -- names -----------------------------------------------------------------------------------------------------------
def camel(name):
    """snake_case -> camelCase (``web_site_url`` -> ``webSiteUrl``)."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def snake(name):
    """camelCase -> snake_case (``webSiteUrl`` -> ``web_site_url``)."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


# -- field kinds -----------------------------------------------------------------------------------------------------
def duration_seconds(value):
    """A duration - minutes as a number, or ISO 8601 text (``PT30M``, ``P1D``, ``PT1H30M``) - in seconds; raises
    ValueError for anything else."""
    if isinstance(value, bool):
        raise ValueError("a duration is minutes or ISO 8601 text, not %r" % value)
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError("a duration is a finite number of minutes, not negative: %r" % (value,))
        return float(value) * 60
    text = str(value).strip().upper() if isinstance(value, str) else ""
    if isinstance(value, str) and text.isdigit():
        return float(text) * 60
    match = _ISO_DURATION.match(text)
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise ValueError("not a duration: %r (give minutes, e.g. 30, or ISO 8601, e.g. PT30M, P1D)" % (value,))
    weeks, days, hours, minutes, seconds = (float(group or 0) for group in match.groups())
    return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds


def format_duration(seconds):
    """Seconds -> the ISO 8601 duration Graph writes (``PT30M``, ``P1D``, ``P1DT2H``, ``PT0S``)."""
    total = int(round(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    text = "P%dD" % days if days else "P"
    clock = "".join("%d%s" % (n, unit) for n, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if n)
    if clock:
        text += "T" + clock
    return text if text != "P" else "PT0S"


def normal_duration(value):
    return format_duration(duration_seconds(value))


def normal_time_of_day(value):
    """``8:00``, ``08:00:00.0000000`` -> ``08:00:00``; raises ValueError for anything else."""
    match = _TIME_OF_DAY.match(str(value).strip()) if isinstance(value, str) else None
    if not match or int(match.group(2)) > 59 or int(match.group(3) or 0) > 59 or int(match.group(1)) > 24 or \
            (int(match.group(1)) == 24 and (match.group(2), match.group(3) or "00") != ("00", "00")):
        raise ValueError("not a time of day: %r (e.g. 08:00 or 17:30:00)" % (value,))
    return "%02d:%s:%s" % (int(match.group(1)), match.group(2), match.group(3) or "00")


def parse_instant(text):
    """ISO 8601 text with an offset (or Z; Graph's seven-digit fractions) -> aware UTC datetime; ValueError else."""
    return parse_time(text)


def utc_text(value):
    """An aware datetime -> ``YYYY-MM-DDTHH:MM:SSZ`` (the views' form of a date-time)."""
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant_from_graph(value):
    """Graph's dateTimeTimeZone (as Bookings answers it: in UTC) -> the view's UTC text."""
    if not isinstance(value, dict) or not value.get("dateTime"):
        return None
    text = value["dateTime"]
    zone = (value.get("timeZone") or "UTC").upper()
    if zone in ("UTC", "Z", "GMT") or re.search(r"(Z|[+-]\d\d:?\d\d)$", text.strip()):
        return utc_text(parse_instant(text))
    return text  # a zone Bookings does not answer with: kept as given, never equal to a UTC view


# -- whole objects ---------------------------------------------------------------------------------------------------
def _normal(key, value):
    if value is None:
        return None
    if key in DURATION_KEYS and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        try:
            return normal_duration(value)
        except ValueError:
            return value
    if key in TIME_OF_DAY_KEYS and isinstance(value, str):
        try:
            return normal_time_of_day(value)
        except ValueError:
            return value
    return value


def from_graph(body):
    """A Graph object -> its view: snake_case keys, annotations dropped, each field kind in its normal form."""
    if isinstance(body, list):
        return [from_graph(element) for element in body]
    if not isinstance(body, dict):
        return body
    out = {}
    for key, value in body.items():
        if key.startswith("@") or "@odata." in key:
            continue
        name = snake(key)
        if name in DATE_TIME_KEYS:
            out[name] = instant_from_graph(value)
        elif isinstance(value, (dict, list)):
            out[name] = from_graph(value)
        else:
            out[name] = _normal(name, value)
    return out


def to_graph(view):
    """A view (or the changes of one) -> the body Graph takes: camelCase keys; date-times as dateTimeTimeZone in
    UTC; each customer with the ``@odata.type`` Graph requires (bookings-api.md section 8)."""
    if isinstance(view, list):
        return [to_graph(element) for element in view]
    if not isinstance(view, dict):
        return view
    out = {}
    for key, value in view.items():
        if key in DATE_TIME_KEYS and value is not None:
            out[camel(key)] = {"@odata.type": DATE_TIME_TYPE, "dateTime": value, "timeZone": "UTC"}
        elif key == "customers" and isinstance(value, list):
            out["customers"] = [dict({"@odata.type": CUSTOMER_INFO_TYPE}, **to_graph(customer)) for customer in value]
        else:
            out[camel(key)] = to_graph(value)
    return out


def desired_view(options, keys):
    """The desired view of a task: the options of ``keys`` it set (None: not set, never compared), normalised."""
    return {key: normalise(key, options[key]) for key in keys if options.get(key) is not None}


def normalise(key, value):
    """A desired value in the views' normal form (the options were validated before)."""
    if isinstance(value, list):
        return [normalise(key, element) for element in value]
    if isinstance(value, dict):
        return {name: normalise(name, element) for name, element in value.items() if element is not None}
    return _normal(key, value)


# -- comparison ------------------------------------------------------------------------------------------------------
def customer_key(customer):
    return (customer.get("email_address") or "").strip().casefold()


def customers_equal(wanted, actual):
    """Customers as a set keyed by the case-folded e-mail address; a name or phone the task gives must match."""
    have = {customer_key(customer): customer for customer in actual or []}
    if len(have) != len(wanted or []) or set(have) != {customer_key(customer) for customer in wanted or []}:
        return False
    return all(equal(name, value, have[customer_key(customer)].get(name))
               for customer in wanted for name, value in customer.items() if name != "email_address")


def equal(key, wanted, actual):
    """Whether the desired value ``wanted`` of ``key`` holds in ``actual``: a dict compares the keys it gives, a
    list element by element (a set for SET_KEYS, customers by e-mail), addresses without regard to case."""
    if key == "customers":
        return customers_equal(wanted, actual)
    if isinstance(wanted, dict):
        actual = actual if isinstance(actual, dict) else {}
        return all(equal(name, value, actual.get(name)) for name, value in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(actual, list) or len(wanted) != len(actual):
            return False
        if key in SET_KEYS:
            return sorted(wanted) == sorted(actual)
        return all(equal(key, one, other) for one, other in zip(wanted, actual))
    if key in CASEFOLD_KEYS and isinstance(wanted, str) and isinstance(actual, str):
        return wanted.strip().casefold() == actual.strip().casefold()
    if isinstance(wanted, float) or isinstance(actual, float):
        try:
            return abs(float(wanted) - float(actual)) < 1e-9
        except (TypeError, ValueError):
            return False
    if key in DURATION_KEYS and isinstance(actual, str) and isinstance(wanted, str):
        try:
            return duration_seconds(wanted) == duration_seconds(actual)
        except ValueError:
            return wanted == actual
    return wanted == actual


def changes(desired, actual, skip=()):
    """The desired keys whose value does not hold in ``actual`` (keys of ``skip`` are not compared)."""
    actual = actual or {}
    return {key: value for key, value in desired.items()
            if key not in skip and not equal(key, value, actual.get(key))}


def whole(wanted, actual):
    """The value to send for a property whose desired value ``wanted`` differs from ``actual``: a dict (a scheduling
    policy, an address) completed with what ``actual`` holds for the keys the task did not give - Graph replaces a
    complex property whole on PATCH, so sending only the keys given would reset the others."""
    if isinstance(wanted, dict) and isinstance(actual, dict):
        out = dict(actual)
        out.update((key, whole(value, actual.get(key))) for key, value in wanted.items())
        return out
    return wanted


def merged(actual, changed):
    """The view after a PATCH of ``changed`` (Graph merges; a dict property is replaced whole), predicted."""
    out = dict(actual or {})
    out.update(changed)
    return out


def compared_view(view, desired):
    """The part of ``view`` the task compares (the keys it set, and within a dict or a customer the keys it gave),
    for the diff."""
    return {key: _project(key, value, (view or {}).get(key)) for key, value in desired.items()}


def _project(key, wanted, actual):
    if key == "customers" and isinstance(actual, list):
        keys = set(name for customer in wanted or [] for name in customer) | {"email_address"}
        return [{name: customer.get(name) for name in sorted(keys)} for customer in actual]
    if isinstance(wanted, dict) and isinstance(actual, dict):
        return {name: _project(name, value, actual.get(name)) for name, value in wanted.items()}
    return actual


def matches(view, key, value, casefold=True):
    """Whether ``view``'s ``key`` is ``value`` (texts without surrounding blanks, and without regard to case unless
    ``casefold`` is false)."""
    have = (view or {}).get(key)
    if isinstance(have, str) and isinstance(value, str):
        if casefold:
            return have.strip().casefold() == value.strip().casefold()
        return have.strip() == value.strip()
    return have == value
