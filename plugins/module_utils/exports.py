# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scheduling-system export files (JSON, YAML, CSV) read into batch entries, item by item, before any request.

Every item is named in messages by the file and its position (``export.json[4]``, ``export.csv line 5``) and checked
by the same rules as an item given in the task (items.item_problems).  An export file is data, never templated: a value
holding Jinja (``{{`` or ``{%``) is refused, naming the item and the field.  A mapping export holds only an
``appointments`` list; a CSV header names item keys (matched case-insensitively, surrounding spaces stripped), each
once, and no unknown column."""

from __future__ import annotations

import csv
import io
import json
import os
import re

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.items import (
    ITEM_KEYS, _duplicate, entries_of, fold, item_problems, label)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import show

FORMATS = ("auto", "json", "yaml", "csv")


class Schema:
    """What an export's items are: ``problems(where, item)`` checks one; ``duplicate(seen, where, item)`` finds a key
    given twice; a CSV header names ``columns`` - item keys, cells of ``json_columns`` holding JSON text, and the
    shorthand columns of one element of the ``group`` list (``{column: key}``: ``client_email_address`` ->
    ``appointment_clients[0].email_address``)."""

    def __init__(self, problems, duplicate, keys, json_columns, group, group_columns):
        self.problems, self.duplicate = problems, duplicate
        self.json_columns, self.group, self.group_columns = tuple(json_columns), group, dict(group_columns)
        self.columns = tuple(keys) + tuple(self.group_columns)


# The virtual appointments batch: CSV cells holding structured values (JSON text), and the one-client shorthand.
MEETINGS = Schema(item_problems, _duplicate, ITEM_KEYS, ("appointment_clients", "settings"), "appointment_clients",
                  {"client_" + key: key for key in models.CLIENT_FIELDS})

# A header read with commas that holds one of these was written with another delimiter.
CSV_OTHER_DELIMITERS = ((";", "';' (semicolon)"), ("\t", "a tab"), ("|", "'|' (pipe)"))
MAPPING_KEYS = ("appointments",)
# Jinja's markers: Ansible would template them in a playbook; an export file is data and is never templated.
TEMPLATE_MARKERS = ("{{", "{%")


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
    unknown, seen = [], set()
    try:
        if text.startswith("{", pos):
            pos = _SPACE.match(text, pos + 1).end()
            while not text.startswith("}", pos):
                key, pos = decoder.raw_decode(text, pos)
                pos = _SPACE.match(text, pos).end()
                if not text.startswith(":", pos):
                    raise ValueError("expected ':' at char %d" % pos)
                pos = _SPACE.match(text, pos + 1).end()
                if key in MAPPING_KEYS:
                    if key in seen:
                        yield name, _Broken(["%s: the key %s appears twice" % (name, key)])
                    seen.add(key)
                else:
                    unknown.append(key)
                if key == "appointments" and text.startswith("[", pos):
                    pos = yield from _json_array(name, decoder, text, pos)
                else:
                    pos = decoder.raw_decode(text, pos)[1]
                pos = _SPACE.match(text, pos).end()
                if text.startswith(",", pos):
                    pos = _SPACE.match(text, pos + 1).end()
            if unknown:
                yield name, _Broken([_unknown_keys(name, unknown)])
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


def _unknown_keys(name, keys):
    shown = sorted(key if isinstance(key, str) and key.isprintable() and len(key) <= 60 else show(key) for key in keys)
    return ("appointments_file.path: %s: unknown top-level key(s) %s; a mapping export holds only its %s list"
            % (name, ", ".join(shown), " and ".join(MAPPING_KEYS)))


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
    name = os.path.basename(path)
    if isinstance(document, dict):
        unknown = [key for key in document if key not in MAPPING_KEYS]
        if unknown:
            raise ValidationError(_unknown_keys(name, unknown))
        document = document.get("appointments")
    if document is None:
        document = []
    if not isinstance(document, list):
        raise ValidationError("appointments_file.path: %s must hold a list of appointments (or a mapping with an "
                              "'appointments' list), got %s" % (path, type(document).__name__))
    return entries_of(name, document)


def _csv_header(name, header, schema=MEETINGS):
    """The item key of each column of the header row (None for a column without a name), matched case-insensitively
    with surrounding spaces stripped; raise naming every unknown or repeated column (with a hint when the header was
    written with another delimiter than a comma)."""
    columns, problems, seen = [], [], {}
    for number, cell in enumerate(header, 1):
        column = cell.strip().lower() or None
        columns.append(column)
        if column is None:
            continue
        if column in seen:
            problems.append("%s line 1: the column %s appears twice (columns %d and %d); give each column once"
                            % (name, column, seen[column], number))
        seen.setdefault(column, number)
    unknown = [cell.strip() for cell, column in zip(header, columns) if column and column not in schema.columns]
    if unknown:
        message = "%s line 1: unknown column(s) %s; known columns (any case): %s" % (
            name, ", ".join(show(cell) if not cell.isprintable() or len(cell) > 60 else cell for cell in unknown),
            ", ".join(schema.columns))
        joined = "".join(unknown)
        delimiter = next((shown for char, shown in CSV_OTHER_DELIMITERS if char in joined), None)
        if delimiter:
            message += " - the header looks separated by %s, not by commas: save the export as comma-separated " \
                       "values" % delimiter
        problems.insert(0, message)
    if problems:
        raise ValidationError(["appointments_file.path: " + problem for problem in problems])
    return columns


def _csv_entries(path, text, schema=MEETINGS):
    """One row an appointment: columns are item keys; empty cells are not set; appointment_clients and settings
    cells hold JSON; client_display_name, client_email_address and client_sms_capable_phone_number give one client.
    A row that cannot be read into an item is yielded as ``_Broken`` (its problems)."""
    name = os.path.basename(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        columns = _csv_header(name, header, schema)
        for row in reader:
            if not row:
                continue  # a blank line
            item, problems = {}, []
            where = "%s line %d" % (name, reader.line_num)
            if "external_id" in columns and columns.index("external_id") < len(row) \
                    and row[columns.index("external_id")]:
                where += " (external_id %s)" % row[columns.index("external_id")]
            if len(row) > len(columns):
                problems.append("%s: more cells than the header has columns" % where)
            client = {}
            for number, (column, cell) in enumerate(zip(columns, row), 1):
                if cell == "":
                    continue
                if column is None:
                    problems.append("%s: a value in column %d, which has no name in the header" % (where, number))
                elif column in schema.group_columns:
                    client[schema.group_columns[column]] = cell
                elif column in schema.json_columns:
                    try:
                        item[column] = json.loads(cell)
                    except ValueError as exc:
                        problems.append("%s.%s: not valid JSON: %s" % (where, column, exc))
                else:
                    item[column] = cell
            if client:
                if schema.group in item:
                    problems.append("%s: give %s or the %s columns, not both"
                                    % (where, schema.group, ", ".join(sorted(schema.group_columns))))
                item[schema.group] = [client]
            yield where, (item if not problems else _Broken(problems))
    except csv.Error as exc:
        raise ValidationError("appointments_file.path: %s line %d is not valid CSV: %s" % (path, reader.line_num, exc))


def template_problems(where, value):
    """A value of an export file that holds Jinja: an export file is data, never templated, so ``{{ x }}`` would
    reach Graph as it is."""
    if isinstance(value, str):
        if any(marker in value for marker in TEMPLATE_MARKERS):
            return ["%s: holds a Jinja template (%s): an export file is never templated, so it would be sent as it "
                    "is; give the value itself" % (where, show(value, 60))]
        return []
    if isinstance(value, dict):
        return [problem for key, sub in value.items() for problem in template_problems("%s.%s" % (where, key), sub)]
    if isinstance(value, list):
        return [problem for index, sub in enumerate(value)
                for problem in template_problems("%s[%d]" % (where, index), sub)]
    return []


class _Broken(dict):
    """A CSV row that could not be read into an item: its problems, reported with everyone else's."""

    def __init__(self, problems):
        super().__init__()
        self.problems = problems


def read_export(path, fmt="auto", user=None, schema=MEETINGS):
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
    stream = _csv_entries(path, text, schema) if fmt == "csv" else \
        {"json": _json_entries, "yaml": _yaml_entries}[fmt](path, text)
    problems, users, taken, seen = [], {}, [], {}
    wanted = fold(user) if user else None
    try:
        for where, item in stream:
            if isinstance(item, _Broken):
                problems += item.problems
                continue
            problems += schema.problems(where, item)
            if not isinstance(item, dict):
                continue
            problems += template_problems(where, item)
            owner = item.get("user")
            if user and not owner:
                problems.append("%s.user: required in a file shared by organizers (appointments_file.user is set)"
                                % where)
            problems += schema.duplicate(seen, where, item)
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
