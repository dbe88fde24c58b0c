# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a batch is made of, before any request: the items (from the task, from a scheduling-system export file - read
by exports.py -, from the ledger for purge), each with the label that names it in every message, and their validation.

Pure functions over plain data, shared by the batch module and the role's filters, so the same item gets the same
message whichever way it came in.  An item is a mapping of the batch module's item keys; an entry is ``(where, item)``
where ``where`` names the item (``appointments[3] (external_id A-1)``, ``export.csv line 5 (external_id A-1)``).
"""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    appointment_problems, meeting_problems, show)

PRESENT, ABSENT = "present", "absent"
ITEM_KEYS = ("external_id", "user", "state", "online_meeting_id", "subject", "start_date_time", "end_date_time") + \
    models.APPOINTMENT_FIELDS + ("sms_time_zone",)  # sms_time_zone: the batch module's notify_sms, per item


def fold(value):
    return value.casefold() if isinstance(value, str) else value


def label(source, index, item):
    """``appointments[3] (external_id A-1)``: the source's name and the index, then the external ID when there is one
    (escaped and cut short when it is not plain printable text)."""
    external_id = item.get("external_id") if isinstance(item, dict) else None
    if not isinstance(external_id, str) or not external_id:
        return "%s[%d]" % (source, index)
    shown = external_id if external_id.isprintable() and len(external_id) <= 60 else show(external_id)
    return "%s[%d] (external_id %s)" % (source, index, shown)


def entries_of(source, items):
    return [(label(source, index, item), item) for index, item in enumerate(items)]


def item_problems(where, item):
    """The problems of one item (its own fields only)."""
    if not isinstance(item, dict):
        return ["%s: must be a mapping, got %s" % (where, type(item).__name__)]
    problems = []
    unknown = sorted(show(key) if not isinstance(key, str) or len(key) > 60 else key
                     for key in set(item) - set(ITEM_KEYS))
    if unknown:
        problems.append("%s: unknown key(s) %s" % (where, ", ".join(unknown)))
    if not item.get("external_id"):
        problems.append("%s.external_id: required" % where)
    if item.get("state", PRESENT) not in (PRESENT, ABSENT, None):
        problems.append("%s.state: must be present or absent, got %s" % (where, show(item.get("state"))))
    return problems + meeting_problems(item, where) + appointment_problems(item, where)


def validate(entries):
    """Every problem of every entry, and external IDs given twice for the same organizer."""
    problems = []
    for where, item in entries:
        problems += item_problems(where, item)
    return problems + duplicates(entries)


def duplicates(entries):
    """External IDs given twice for the same organizer (compared case-insensitively)."""
    problems, seen = [], {}
    for where, item in entries:
        problems += _duplicate(seen, where, item)
    return problems


def _duplicate(seen, where, item):
    """[the problem] when ``item`` repeats an external ID already in ``seen`` for its organizer; records it."""
    if isinstance(item, dict) and isinstance(item.get("external_id"), str) and item["external_id"]:
        key = (fold(item.get("user") or ""), item["external_id"])
        if key in seen:
            return ["%s.external_id: %s is also %s for the same organizer"
                    % (where, item["external_id"], seen[key].split(" (", 1)[0])]
        seen[key] = where
    return []


# ---------------------------------------------------------------- ledger and purge

def ledger_entries(ledger, where="ledger"):
    """A ledger's ``appointments`` mapping (external_id -> {user, online_meeting_id}) from either the whole ledger
    document ({"format": 1, "appointments": {...}}) or the mapping itself; {} for none."""
    if not ledger:
        return {}
    if not isinstance(ledger, dict):
        raise ValidationError("%s: must be a mapping of external ID to {online_meeting_id, user}" % where)
    mapping = ledger.get("appointments") if "format" in ledger or "appointments" in ledger else ledger
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise ValidationError("%s: not a virtual_appointments ledger (expected a mapping with 'appointments')"
                              % where)
    out, problems = {}, []
    for external_id, entry in mapping.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("online_meeting_id"), str) \
                or not entry["online_meeting_id"]:
            problems.append("%s.%s: must be a mapping with online_meeting_id and user" % (where, external_id))
            continue
        out[str(external_id)] = {"user": entry.get("user"), "online_meeting_id": entry["online_meeting_id"]}
    if problems:
        raise ValidationError(problems)
    return out


def with_ledger(entries, ledger, purge=False, where="ledger"):
    """The entries with the meeting IDs the ledger recorded (same external ID and organizer, when the item gives
    none) and, with ``purge``, an absent entry for every ledger entry no item names any more.  The items are copied,
    never changed.  With a ledger, an external ID names one appointment: the same one for several organizers is an
    error (the ledger could not tell them apart)."""
    known = ledger_entries(ledger, where)
    out, wanted, users_of = [], set(), {}
    for name, item in entries:
        external_id = item.get("external_id")
        user = fold(item.get("user"))
        wanted.add((user, external_id))
        users_of.setdefault(external_id, set()).add(user)
        entry = known.get(external_id)
        if not item.get("online_meeting_id") and entry and fold(entry["user"]) == user:
            item = dict(item, online_meeting_id=entry["online_meeting_id"])
        out.append((name, item))
    shared = sorted(str(external_id) for external_id, users in users_of.items() if len(users) > 1)
    if shared:
        raise ValidationError("with a ledger, an external_id names one appointment, but %s each appear for several "
                              "organizers" % ", ".join(shared))
    if purge:
        for external_id, entry in sorted(known.items()):
            if (fold(entry["user"]), external_id) not in wanted:
                out.append(("%s[%s] (purge)" % (where, external_id),
                            {"external_id": external_id, "user": entry["user"],
                             "online_meeting_id": entry["online_meeting_id"], "state": ABSENT}))
    return out
