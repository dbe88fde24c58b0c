# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a batch is made of, before any request: the items (from the task, from a scheduling-system export file, from
the ledger for purge), each with the label that names it in every message, and their validation.

Pure functions over plain data, shared by the batch module and the role's filters, so the same item gets the same
message whichever way it came in.  An item is a mapping of the batch module's item keys; an entry is ``(where, item)``
where ``where`` names the item (``appointments[3] (external_id A-1)``, ``export.csv line 5 (external_id A-1)``).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    appointment_problems, meeting_problems, show)

PRESENT, ABSENT = "present", "absent"
ITEM_KEYS = ("external_id", "user", "state", "online_meeting_id", "subject", "start_date_time", "end_date_time") + \
    models.APPOINTMENT_FIELDS + ("sms_time_zone",)  # sms_time_zone: the batch module's notify_sms, per item
FORMATS = ("auto", "json", "yaml", "csv")
# CSV cells holding structured values (JSON text), and the one-client shorthand columns.
CSV_JSON_COLUMNS = ("appointment_clients", "settings")
CSV_CLIENT_COLUMNS = {"client_" + key: key for key in models.CLIENT_FIELDS}


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


# ---------------------------------------------------------------- export files

def export_format(path, fmt="auto"):
    if fmt and fmt != "auto":
        return fmt
    extension = os.path.splitext(path)[1].lower()
    return {".json": "json", ".yml": "yaml", ".yaml": "yaml", ".csv": "csv"}.get(extension, "json")


def _text(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ValidationError("appointments_file.path: cannot read %s: %s" % (path, exc.strerror or exc))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ValidationError("appointments_file.path: %s is not UTF-8 text (line %d, byte %d)"
                              % (path, line, exc.start))


def _invalid_json(path, exc):
    return ValidationError("appointments_file.path: %s is not valid JSON: %s" % (path, exc))


_SPACE = re.compile(r"[ \t\n\r]*")


def _json_entries(path, text):
    """The items of a JSON export one at a time (the stdlib's ``raw_decode``), so a large file is never a whole
    document in memory: a list of items, or a mapping whose ``appointments`` key holds the list."""
    name, decoder = os.path.basename(path), json.JSONDecoder()
    pos = _SPACE.match(text, 0).end()
    try:
        if text.startswith("{", pos):
            pos = _SPACE.match(text, pos + 1).end()
            while not text.startswith("}", pos):
                key, pos = decoder.raw_decode(text, pos)
                pos = _SPACE.match(text, pos).end()
                if not text.startswith(":", pos):
                    raise ValueError("expected ':' at char %d" % pos)
                pos = _SPACE.match(text, pos + 1).end()
                if key == "appointments" and text.startswith("[", pos):
                    pos = yield from _json_array(name, decoder, text, pos)
                else:
                    dummy, pos = decoder.raw_decode(text, pos)
                pos = _SPACE.match(text, pos).end()
                if text.startswith(",", pos):
                    pos = _SPACE.match(text, pos + 1).end()
            return
        if text.startswith("[", pos):
            yield from _json_array(name, decoder, text, pos)
            return
        document, pos = decoder.raw_decode(text, pos)
    except ValueError as exc:
        raise _invalid_json(path, exc)
    if document is not None:
        raise ValidationError("appointments_file.path: %s must hold a list of appointments (or a mapping with an "
                              "'appointments' list), got %s" % (path, type(document).__name__))


def _json_array(name, decoder, text, pos):
    """Yield (where, item) for each element of the JSON array starting at ``pos``; return the position after it."""
    pos, index = _SPACE.match(text, pos + 1).end(), 0
    while not text.startswith("]", pos):
        item, pos = decoder.raw_decode(text, pos)
        yield label(name, index, item), item
        index += 1
        pos = _SPACE.match(text, pos).end()
        if text.startswith(",", pos):
            pos = _SPACE.match(text, pos + 1).end()
        elif not text.startswith("]", pos):
            raise ValueError("expected ',' or ']' at char %d" % pos)
    return pos + 1


def _yaml_entries(path, text):
    import yaml  # pylint: disable=import-outside-toplevel  # ansible-core's dependency; only YAML needs it
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(text, Loader=loader)  # nosec: a safe loader  # noqa: S506
    except yaml.YAMLError as exc:
        raise ValidationError("appointments_file.path: %s is not valid YAML: %s" % (path, exc))
    if isinstance(document, dict) and "appointments" in document:
        document = document["appointments"]
    if document is None:
        document = []
    if not isinstance(document, list):
        raise ValidationError("appointments_file.path: %s must hold a list of appointments (or a mapping with an "
                              "'appointments' list), got %s" % (path, type(document).__name__))
    return entries_of(os.path.basename(path), document)


def _csv_entries(path, text):
    """One row an appointment: columns are item keys; empty cells are not set; appointment_clients and settings
    cells hold JSON; client_display_name, client_email_address and client_sms_capable_phone_number give one client.
    A row that cannot be read into an item is yielded as ``_Broken`` (its problems)."""
    name = os.path.basename(path)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            item, problems = {}, []
            where = "%s line %d" % (name, reader.line_num)
            if isinstance(row.get("external_id"), str) and row["external_id"]:
                where += " (external_id %s)" % row["external_id"]
            if None in row:
                problems.append("%s: more cells than the header has columns" % where)
            client = {}
            for column, cell in row.items():
                if column is None or cell is None or cell == "":
                    continue
                if column in CSV_CLIENT_COLUMNS:
                    client[CSV_CLIENT_COLUMNS[column]] = cell
                elif column in CSV_JSON_COLUMNS:
                    try:
                        item[column] = json.loads(cell)
                    except ValueError as exc:
                        problems.append("%s.%s: not valid JSON: %s" % (where, column, exc))
                else:
                    item[column] = cell
            if client:
                if "appointment_clients" in item:
                    problems.append("%s: give appointment_clients or the client_* columns, not both" % where)
                item["appointment_clients"] = [client]
            yield where, (item if not problems else _Broken(problems))
    except csv.Error as exc:
        raise ValidationError("appointments_file.path: %s line %d is not valid CSV: %s" % (path, reader.line_num, exc))


class _Broken(dict):
    """A CSV row that could not be read into an item: its problems, reported with everyone else's."""

    def __init__(self, problems):
        super().__init__()
        self.problems = problems


def read_export(path, fmt="auto", user=None):
    """The entries of a scheduling-system export (JSON, YAML or CSV) and a summary of the file.

    With ``user``, the file is shared by organizers: every item must name its ``user``, every item of the file is
    validated (so bad input anywhere stops every organizer before anything is written), and the entries returned
    are that organizer's (case-insensitive).  ``source`` counts the items and the items by organizer.  Items are read
    and checked one at a time (JSON and CSV), and only the ones taken are kept.
    """
    fmt = export_format(path, fmt)
    if fmt not in FORMATS[1:]:
        raise ValidationError("appointments_file.format: must be one of %s, got %r" % (", ".join(FORMATS), fmt))
    text = _text(path)
    stream = {"json": _json_entries, "yaml": _yaml_entries, "csv": _csv_entries}[fmt](path, text)
    problems, users, taken, seen = [], {}, [], {}
    wanted = fold(user) if user else None
    try:
        for where, item in stream:
            if isinstance(item, _Broken):
                problems += item.problems
                continue
            problems += item_problems(where, item)
            if not isinstance(item, dict):
                continue
            owner = item.get("user")
            if user and not owner:
                problems.append("%s.user: required in a file shared by organizers (appointments_file.user is set)"
                                % where)
            problems += _duplicate(seen, where, item)
            key = owner if isinstance(owner, str) else ""
            users[key] = users.get(key, 0) + 1
            if wanted is None or fold(owner) == wanted:
                taken.append((where, item))
    except ValueError as exc:  # json.JSONDecodeError, raised while streaming
        raise _invalid_json(path, exc)
    if problems:
        raise ValidationError(problems)
    source = {"path": path, "format": fmt, "items": sum(users.values()), "taken": len(taken), "users": users}
    return taken, source
