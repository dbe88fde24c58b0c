# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a batch is made of, before any request: the items (from the task, from a scheduling-system export file - read
by exports.py -, from the ledger for purge), each with the label that names it in every message, and their validation.

Pure functions over plain data, shared by the batch module and the role's filters, so the same item gets the same
message whichever way it came in.  The ledger (its meeting IDs, purge and its guard) is ledger.py.  An item is a
mapping of the batch module's item keys; an entry is ``(where, item)`` where ``where`` names the item
(``appointments[3] (external_id A-1)``, ``export.csv line 5 (external_id A-1)``).
"""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import ABSENT, PRESENT
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    appointment_problems, meeting_problems, show)

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
        return ["%s: must be a mapping, got %s" % (where, "null" if item is None else type(item).__name__)]
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
