# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule per kind of field, so the same value gets the same answer in every module, the batch, the role and the
SMS.  Pure functions over plain values; each takes the ``field`` path its messages name.

* text (subject, display_name, external_appointment_id, and the start of every other kind): a string, at most its
  field's number of characters, valid Unicode (no lone surrogates), no control characters (Cc: newline, tab, NUL,
  escape; line and paragraph separators) and no invisible format characters (Cf: zero-width space, word joiner,
  byte-order mark, soft hyphen, bidirectional overrides) except the two joiners written words and emoji need (U+200C
  ZERO WIDTH NON-JOINER, U+200D ZERO WIDTH JOINER): an invisible character makes a value that looks like another one
  and is not;
* id (external_id, online_meeting_id, user): text that is one token - no white space, no format character at all,
  none of / \\ ? # % (a user may hold #: a guest's UPN has #EXT#) and not "." or "..";
* e-mail: text of the form local@domain, the domain dot-separated labels with a top-level domain of two letters or
  more, no format character at all (an address is the key clients compare by);
* phone number: digits with spaces, ( ) - . / as separators and an optional leading +; 7 to 15 digits (E.164);
  with +, a country code (never 0).  Whether Graph will text it is the SMS module's policy, on top of this rule;
* URL: an absolute http(s) URL with a host;
* date-time: ISO 8601 with a date, a time and an offset (Z or +01:00);
* time zone: a Windows time zone ID (any case) or an IANA name that ``time_zones`` translates;
* flag: true or false.

A value of another type (YAML reads unquoted no/yes/on/off as booleans, 0755 and 1.5e+3 as numbers, 2026-11-24 as a
date) is refused with a hint to quote it, never turned into "False" or "493".  Messages show a value cut short
(``show``): a 100,000-character value is never echoed.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
import zoneinfo
from urllib.parse import urlsplit

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import time_zones

# -- types and messages ----------------------------------------------------------------------------------------------
_TYPE_NAMES = ((bool, "bool", "YAML reads unquoted yes/no/on/off/true/false as a boolean"),
               (int, "int", "YAML reads unquoted numbers such as 1001 or 0755 (octal) as numbers"),
               (float, "float", "YAML reads unquoted numbers such as 1.5 or 1.0e+3 as numbers"),
               (datetime.datetime, "datetime", "YAML reads an unquoted 2026-11-24 10:00:00 as a date-time"),
               (datetime.date, "date", "YAML reads an unquoted 2026-11-24 as a date"),
               (list, "list", None), (dict, "dict", None))


def type_name(value):
    """The plain type name of a value (bool, int, float, date, datetime, list, dict, ...), also for Ansible's
    tagged subclasses (_AnsibleTaggedDate is a date)."""
    for entry in _TYPE_NAMES:
        if isinstance(value, entry[0]):
            return entry[1]
    return "null" if value is None else type(value).__name__


def not_a_string(value, field):
    """``field: must be a string, got bool (...: quote the value)``."""
    hint = next((entry[2] for entry in _TYPE_NAMES if isinstance(value, entry[0])), None)
    suffix = " (%s: quote the value)" % hint if hint else ""
    return "%s: must be a string, got %s%s" % (field, type_name(value), suffix)


def show(value, limit=60):
    """A value for a message: its repr, cut short (a 100,000-character value is never echoed)."""
    text = repr(value)
    size = len(value) if isinstance(value, str) else len(text)
    return text if len(text) <= limit else text[:limit] + "...(%d characters)" % size


# -- text ------------------------------------------------------------------------------------------------------------
# Surrogates (Cs), and control characters (Cc), line and paragraph separators (Zl, Zp) as character classes: a
# regular expression scans 10,000 items' strings many times faster than a category per character.
_SURROGATES = re.compile("[\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
JOINERS = frozenset("\u200c\u200d")  # the format characters text may hold (Persian and Indic words, emoji)


def invisible_character(value, joiners=False):
    """The first format character (Unicode category Cf: zero-width space, joiners, byte-order mark, soft hyphen,
    bidirectional controls) in ``value``, or None; with ``joiners`` the two JOINERS are allowed."""
    if value.isascii():  # the common case, and no format character is ASCII
        return None
    return next((ch for ch in value if unicodedata.category(ch) == "Cf" and not (joiners and ch in JOINERS)), None)


def _character_problem(value, invisible=True):
    """What is wrong with the characters of a string, or None: lone surrogates (bytes that were not UTF-8, read with
    surrogateescape), control characters, and (``invisible``) format characters other than the joiners."""
    if _SURROGATES.search(value):
        return "is not valid Unicode text (a lone surrogate such as \\udce9: the source was not UTF-8)"
    if _CONTROLS.search(value):
        return "contains control characters (newline, tab, ...)"
    char = invisible_character(value, joiners=True) if invisible else None
    if char:
        return ("contains an invisible character (U+%04X %s), which makes it differ from the same text without it"
                % (ord(char), unicodedata.name(char, "FORMAT CHARACTER")))
    return None


def _text_problems(value, field, limit, invisible=True):
    if not isinstance(value, str):
        return [not_a_string(value, field)]
    problems = []
    if limit and len(value) > limit:
        problems.append("%s: longer than %d characters (%d)" % (field, limit, len(value)))
    bad = _character_problem(value, invisible)
    if bad:
        problems.append("%s: %s" % (field, bad))
    return problems


def text_problems(value, field, limit=None):
    """Text: a string of at most ``limit`` characters, valid Unicode, without control or invisible characters (the
    joiners excepted); [] when valid.  Whether it may be empty is the caller's to say."""
    return _text_problems(value, field, limit)


# -- IDs -------------------------------------------------------------------------------------------------------------
# kind: (at most so many characters, the characters it never holds besides white space)
ID_KINDS = {"external_id": (512, "/\\?#%"), "online_meeting_id": (1024, "/\\?#%"), "user": (320, "/\\?%")}
# A forbidden character or any white space, per kind of ID: one scan instead of a test per character.
_ID_BAD = {kind: re.compile("[%s\\s]" % re.escape(rule[1])) for kind, rule in ID_KINDS.items()}


def id_problems(value, field, kind):
    """An ID (``kind``: external_id, online_meeting_id or user; IDs end up in URL paths, ledgers, file names and CSV
    cells): text that is one token, at most the kind's length whatever the field is called (``ids[3]``)."""
    limit, forbidden = ID_KINDS[kind]
    problems = _text_problems(value, field, limit, invisible=False)  # any format character is "not an ID" below
    if problems:
        return problems
    if not value.strip():
        return ["%s: must not be empty" % field]
    if value in (".", "..") or invisible_character(value) or _ID_BAD[kind].search(value):
        return ["%s: %s is not an ID: IDs have no spaces, invisible characters or %s and are not . or .. "
                "(they end up in URLs, ledgers and file names)" % (field, show(value), " ".join(forbidden))]
    return []


# -- e-mail ----------------------------------------------------------------------------------------------------------
EMAIL_LOCAL = re.compile(r"^[^@\s\"<>,;:()\[\]\\]+$")
DOMAIN_LABEL = re.compile(r"^[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?$")


def _is_email(text):
    local, at, domain = text.rpartition("@")
    if invisible_character(text):  # an address is a key (clients compare by it): no joiner either
        return False
    if not at or not local or not EMAIL_LOCAL.match(local) or local.startswith(".") or local.endswith(".") \
            or ".." in local:
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(DOMAIN_LABEL.match(label) for label in labels) and len(labels[-1]) >= 2 \
        and not labels[-1].isdigit()


def email_problems(value, field, limit=320):
    """An e-mail address: text of the form local@domain (surrounding blanks ignored); [] when valid."""
    problems = text_problems(value, field, limit)
    if not problems and not _is_email(value.strip()):
        problems.append("%s: not an e-mail address: %s" % (field, show(value, 80)))
    return problems


# -- phone numbers ---------------------------------------------------------------------------------------------------
PHONE = re.compile(r"^\+?[0-9 ()./-]+$")
PHONE_DIGITS = (7, 15)  # E.164: at most 15 digits
PHONE_LENGTH = 40


def phone_digits(value):
    """A phone number's digits, with its leading + (``+13125550142``, ``3125550142``): the form numbers compare in.
    None stays None."""
    if value is None:
        return None
    digits = re.sub(r"[^0-9]", "", value)
    return ("+" if value.strip().startswith("+") else "") + digits


def phone_number(value, field, limit=PHONE_LENGTH):
    """``(number, problems)``: the ``phone_digits`` of a phone number, or None and the problems ([] when valid)."""
    problems = text_problems(value, field, limit)
    if problems:
        return None, problems
    text = value.strip()
    number = phone_digits(text)
    digits = len(number.lstrip("+"))
    if not PHONE.match(text) or "+" in text[1:] or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1] \
            or number.startswith("+0"):
        return None, ["%s: not a phone number (%d to %d digits; spaces, ()-./ and a leading + followed by the "
                      "country code): %s" % ((field,) + PHONE_DIGITS + (show(value, 40),))]
    return number, []


def phone_problems(value, field, limit=PHONE_LENGTH):
    """A phone number (see ``phone_number``); [] when valid."""
    return phone_number(value, field, limit)[1]


# -- URLs ------------------------------------------------------------------------------------------------------------
def url_problems(value, field, limit=2048):
    """An absolute http(s) URL with a host (and a port in range, when it has one); [] when valid."""
    problems = text_problems(value, field, limit)
    if not problems:
        try:
            parts = urlsplit(value)
            good = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
            if good:
                parts.port  # pylint: disable=pointless-statement  # raises ValueError for a port out of range
        except ValueError:  # "http://[::1" (unbalanced brackets), "https://host:99999"
            good = False
        if not good:
            problems.append("%s: must be an absolute http(s) URL, got %s" % (field, show(value, 80)))
    return problems


# -- date-times ------------------------------------------------------------------------------------------------------
_FRACTION = re.compile(r"(\.\d{1,6})\d*")
DATE_TIME = re.compile(r"^\s*\d{4}-?\d{2}-?\d{2}[Tt ]\d{2}")
# After the hour of a date-time that parsed: a sign or Z can only be its offset.
_OFFSET = re.compile(r"[-+Zz]")


def parse_time(text):
    """ISO 8601 date-time (Z or offset, any fraction length; naive means UTC) as an aware UTC datetime.  For values
    Graph sent and values ``date_time_problems`` passed; raises ValueError for anything else."""
    if isinstance(text, datetime.datetime):
        value = text
    else:
        cleaned = _FRACTION.sub(r"\1", str(text).strip(), count=1)
        if cleaned[-1:] in ("Z", "z"):
            cleaned = cleaned[:-1] + "+00:00"
        value = datetime.datetime.fromisoformat(cleaned)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def date_time_problems(value, field, limit=64):
    """A date-time: an ISO 8601 string with a date, a time and an offset (Z or +01:00), or a date-time with an offset
    that YAML read.  Without an offset the time could mean any zone: refused, never taken as UTC."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return ["%s: needs an offset such as +01:00 or Z (YAML reads an unquoted 2026-12-01 15:00:00 as a "
                    "date-time without one): give it quoted, e.g. \"2026-12-01T15:00:00+01:00\"" % field]
        return []
    if not isinstance(value, str):
        if isinstance(value, datetime.date):
            return ["%s: a date alone is not a date-time (YAML reads an unquoted 2026-11-24 as a date): give the "
                    "time and offset, quoted, e.g. \"2026-12-01T15:00:00+01:00\"" % field]
        return ["%s: must be an ISO 8601 date-time string such as 2026-12-01T15:00:00+01:00, got %s"
                % (field, type_name(value))]
    problems = text_problems(value, field, limit)
    if problems:
        return problems
    try:
        parse_time(value)
    except (ValueError, IndexError, OverflowError):
        return ["%s: not an ISO 8601 date-time (e.g. 2026-12-01T15:00:00+01:00): %s" % (field, show(value, 40))]
    if not DATE_TIME.match(value):
        return ["%s: a date-time needs a time, e.g. 2026-12-01T15:00:00+01:00 (a date alone would mean midnight "
                "UTC): %s" % (field, show(value, 40))]
    if not _OFFSET.search(value, DATE_TIME.match(value).end()):
        return ["%s: needs an offset such as +01:00 or Z, e.g. 2026-12-01T15:00:00+01:00 (without one the time "
                "could mean any time zone): %s" % (field, show(value, 40))]
    return []


# -- time zones ------------------------------------------------------------------------------------------------------
TIME_ZONE_LENGTH = 64


def _iana_zone_exists(name):
    if "/" not in name and name not in ("UTC", "GMT"):
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def windows_time_zone(value, field="time_zone"):
    """``(windows_name, problem)``: a Windows time zone ID in its canonical spelling, or None and a problem.

    Graph takes "any of the time zones currently supported by Windows": a Windows ID matches without regard to case;
    an IANA name (``America/Chicago``) is translated through ``time_zones.IANA_TO_WINDOWS``."""
    problems = text_problems(value, field, TIME_ZONE_LENGTH)
    if not problems and not value.strip():
        problems = ["%s: must not be empty" % field]
    if problems:
        return None, problems[0]
    windows = time_zones.windows_name(value)
    if windows:
        return windows, None
    text = value.strip()
    if _iana_zone_exists(text):
        return None, ("%s: %r is an IANA time zone this collection cannot translate; Graph wants the Windows time "
                      "zone name (e.g. 'Central Standard Time'): give that instead" % (field, text))
    return None, ("%s: not a time zone: %s; give a Windows time zone name such as 'Pacific Standard Time' (or an "
                  "IANA name such as 'America/Los_Angeles')" % (field, show(text)))


def zone_info(value, field="time_zone"):
    """``(ZoneInfo, problem)``: the zone of an IANA name (``Europe/Berlin``) or a Windows time zone ID of the table
    (``W. Europe Standard Time``, translated to its main IANA zone), or None and a problem naming the field."""
    name = time_zones.iana_name(value) if isinstance(value, str) and value.strip() else None
    if name is not None and ("/" in name or name in ("UTC", "GMT")):
        try:
            return zoneinfo.ZoneInfo(name), None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            pass
    return None, ("%s: not a time zone: %s (give an IANA name such as Europe/Berlin or a Windows name such as "
                  "'W. Europe Standard Time')" % (field, show(value)))


# -- flags -----------------------------------------------------------------------------------------------------------
def flag_problems(value, field):
    """A flag: true or false (not "yes", not 1); [] when valid."""
    return [] if isinstance(value, bool) else ["%s: must be true or false, got %s" % (field, show(value))]
