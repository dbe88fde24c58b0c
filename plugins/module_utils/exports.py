# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scheduling-system export files (JSON, YAML, CSV) read into batch entries, item by item, before any request.

Every item is named in messages by the file and its position (``export.json[4]``, ``export.csv line 5``) and checked
by the same rules as an item given in the task (plan.item_problems)."""

from __future__ import annotations

import csv
import io
import json
import os
import re

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.plan import (
    _duplicate, entries_of, fold, item_problems, label)

FORMATS = ("auto", "json", "yaml", "csv")
# CSV cells holding structured values (JSON text), and the one-client shorthand columns.
CSV_JSON_COLUMNS = ("appointment_clients", "settings")
CSV_CLIENT_COLUMNS = {"client_" + key: key for key in models.CLIENT_FIELDS}


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
