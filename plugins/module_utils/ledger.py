# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger: what the collection created, recorded as it is created, and what purge may remove.

A ledger document is ``{"format": 1, ...labels (host, tenant)..., "appointments": {external_id: entry}}``, an entry
``{"online_meeting_id", "user", "organizer_id"?}``.  ``online_meeting_id`` is null for a *pending* entry: the intent
to create, recorded before the createOrGet that makes the meeting (createOrGet by external ID makes that safe: a
later run that sends it again gets the same meeting).  ``organizer_id`` is the organizer's object ID as Graph
returned it on the meeting (``participants.organizer.identity.user.id``), so the same organizer given by UPN in one
run and by object ID in another is recognised as one.

``LedgerFile`` reads and writes the file (atomically, mode 0600); ``Recorder`` is the hook of the engine's one write
function (``Reconciler.write``, real runs only) that records every createOrGet before it is sent and every meeting
ID and delete after each write round.  The rest are pure functions over plain data: the items with the ledger's
meeting IDs, purge, and its guard against mass deletion.
"""

from __future__ import annotations

import json
import math
import os
import re
from urllib.parse import unquote

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.auth import write_private_file
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.items import fold
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import ABSENT

FORMAT = 1
DEFAULT_PURGE_LIMIT = "50%"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def is_object_id(user):
    """Whether ``user`` is an object ID (a GUID) rather than a user principal name."""
    return isinstance(user, str) and bool(_GUID.match(user))


# ---------------------------------------------------------------- reading

def ledger_entries(ledger, where="ledger"):
    """A ledger's ``appointments`` mapping (external_id -> {user, online_meeting_id, organizer_id?,
    client_join_web_url?}) from either the
    whole ledger document ({"format": 1, "appointments": {...}}) or the mapping itself; {} for none.  Every problem
    at once, each naming the entry (``where.<external_id>``)."""
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
        meeting_id = entry.get("online_meeting_id", "") if isinstance(entry, dict) else ""
        pending = meeting_id is None  # recorded before its createOrGet (an interrupted run)
        if not isinstance(entry, dict) or not (pending or isinstance(meeting_id, str) and meeting_id) \
                or not isinstance(entry.get("user"), (str, type(None))) \
                or not isinstance(entry.get("organizer_id"), (str, type(None))):
            problems.append("%s.%s: must be a mapping with online_meeting_id and user, got %s"
                            % (where, external_id, _shown(entry)))
            continue
        out[str(external_id)] = {"user": entry.get("user"), "online_meeting_id": meeting_id}
        for key in ("organizer_id", "client_join_web_url"):
            if isinstance(entry.get(key), str) and entry[key]:
                out[str(external_id)][key] = entry[key]
    if problems:
        raise ValidationError(problems)
    return out


def _shown(value):
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def document(entries, labels=None):
    """The ledger document of ``entries`` (sorted by external ID), with ``labels`` (host, tenant) before them."""
    out = {"format": FORMAT}
    out.update({key: value for key, value in (labels or {}).items() if key not in ("format", "appointments")})
    out["appointments"] = {key: dict(entries[key]) for key in sorted(entries)}
    return out


class LedgerFile:
    """One ledger file: read once (a missing file is an empty ledger), saved atomically with mode 0600 in a
    directory only its owner reads.  A truncated or hand-edited file fails naming the path and the entry."""

    def __init__(self, path, labels=None):
        self.path = os.path.abspath(os.path.expanduser(path))
        self.labels = dict(labels or {})
        self.document = self._read()
        self.entries = ledger_entries(self.document, self.path)
        for key, value in self.document.items():
            if key not in ("format", "appointments"):
                self.labels.setdefault(key, value)

    def _read(self):
        try:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError("%s: cannot read the ledger: %s" % (self.path, exc))
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValidationError("%s: not a valid ledger (%s) - the file is truncated or was edited by hand; restore "
                                  "it from its copy (version control, pipeline artifact), or remove it and let the "
                                  "next run rebuild it (purge cannot see what a lost ledger forgot)" % (self.path, exc))
        if not isinstance(data, dict) or data.get("format", FORMAT) != FORMAT:
            raise ValidationError("%s: not a virtual_appointments ledger of format %d (a mapping with 'format' and "
                                  "'appointments')" % (self.path, FORMAT))
        return data

    def save(self):
        directory = os.path.dirname(self.path)
        write_private_file(self.path, json.dumps(document(self.entries, self.labels), indent=2) + "\n")
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself is durable once the directory is
        finally:
            os.close(fd)


class LedgerDocument(LedgerFile):
    """A ledger given as data (the module's ``ledger`` option: the role's fact-cache store) that the engine keeps up
    to date in memory, by the same Recorder as a file; the module returns it (``ledger_document``) for the caller to
    store.  Nothing is written anywhere: ``save`` only keeps the document current."""

    def __init__(self, document, labels=None, where="ledger"):  # pylint: disable=super-init-not-called
        self.path = None
        self.labels = dict(labels or {})
        self.document = document if isinstance(document, dict) else {}
        self.entries = ledger_entries(self.document, where)
        for key, value in self.document.items():
            if key not in ("format", "appointments"):
                self.labels.setdefault(key, value)

    def save(self):
        self.document = document(self.entries, self.labels)


class Recorder:
    """The ledger's hook in ``Reconciler.write`` (called on real runs only, never in check mode).

    ``before(ops)``: every createOrGet about to be sent is recorded as a pending entry (no meeting ID yet), durably,
    before the request leaves.  ``after(ops, answers)``: the meeting ID (and organizer object ID) of every createOrGet
    that answered, and the removal of every entry whose meeting was deleted (or was already gone)."""

    def __init__(self, ledger_file, spellings=None):
        self.ledger = ledger_file
        # The organizer as the task spells it, by the object ID a request path names it with (organizers.py).
        self.spellings = {fold(key): value for key, value in (spellings or {}).items()}

    def _creates(self, ops):
        for index, op in enumerate(ops):
            if op.get("method") == "POST" and op.get("path", "").endswith("/onlineMeetings/createOrGet"):
                external_id = (op.get("body") or {}).get("externalId")
                if external_id:
                    user = _user_of(op["path"])
                    yield index, external_id, self.spellings.get(fold(user), user)

    def before(self, ops):
        entries, changed = self.ledger.entries, False
        for external_id, user in (created[1:] for created in self._creates(ops)):
            entry = entries.get(external_id)
            if entry is None or fold(user) not in (fold(entry.get("user")), fold(entry.get("organizer_id"))):
                entries[external_id] = {"user": user, "online_meeting_id": None}
                changed = True
        if changed:
            self.ledger.save()

    def after(self, ops, answers):
        entries, changed = self.ledger.entries, False
        for index, external_id, user in self._creates(ops):
            answer = answers[index]
            if not answer.ok or not isinstance(answer.body, dict) or not answer.body.get("id"):
                continue
            entry = {"user": user, "online_meeting_id": answer.body["id"]}
            organizer_id = organizer_of(answer.body)
            if organizer_id:
                entry["organizer_id"] = organizer_id
            known = entries.get(external_id) or {}
            if known.get("client_join_web_url") and known.get("online_meeting_id") == entry["online_meeting_id"]:
                entry["client_join_web_url"] = known["client_join_web_url"]  # the same meeting keeps its link
            if entries.get(external_id) != entry:
                entries[external_id] = entry
                changed = True
        deletes = [(op, answer) for op, answer in zip(ops, answers)
                   if op.get("method") == "DELETE" and "/onlineMeetings/" in op.get("path", "")
                   and not op["path"].endswith("/virtualAppointment") and (answer.ok or answer.status == 404)]
        if deletes:
            by_path = {graph_path("onlineMeetings", ("online_meeting_id", entry["online_meeting_id"])): key
                       for key, entry in entries.items() if entry.get("online_meeting_id")}
            for op in (pair[0] for pair in deletes):
                key = by_path.get("/onlineMeetings/" + op["path"].rsplit("/onlineMeetings/", 1)[1])
                if key is not None:
                    del entries[key]
                    changed = True
        if changed:
            self.ledger.save()

    def join_links(self, links):
        """Record the client join link of each meeting the ledger lists: ``links`` is {external_id: link}."""
        changed = False
        for external_id, link in links.items():
            entry = self.ledger.entries.get(external_id)
            if entry is not None and link and entry.get("online_meeting_id") and \
                    entry.get("client_join_web_url") != link:
                entry["client_join_web_url"] = link
                changed = True
        if changed:
            self.ledger.save()


def _user_of(path):
    """The organizer of a meeting path as given (``/users/{user}/...``), None for ``/me``."""
    parts = path.split("/")
    return unquote(parts[2]) if len(parts) > 2 and parts[1] == "users" else None


def organizer_of(meeting):
    """The organizer's object ID on a Graph meeting body (participants.organizer.identity.user.id), or None."""
    try:
        value = meeting["participants"]["organizer"]["identity"]["user"]["id"]
    except (KeyError, TypeError):
        return None
    return value if isinstance(value, str) and value else None


# ---------------------------------------------------------------- items, purge and its guard

class Organizers:
    """Which spellings of an organizer are one: the ledger knows, for every entry Graph answered, the organizer's
    object ID, so a UPN recorded with it and that object ID name the same organizer."""

    def __init__(self, known):
        self.alias = {}
        for entry in known.values():
            if entry.get("organizer_id"):
                identity = fold(entry["organizer_id"])
                self.alias[identity] = identity
                if entry.get("user"):
                    self.alias[fold(entry["user"])] = identity

    def identity(self, user):
        return self.alias.get(fold(user), fold(user))

    def same(self, user, entry):
        """True / False when known; None when one is a UPN and the other an object ID the ledger cannot relate."""
        mine = self.identity(user)
        if mine in (self.identity(entry.get("user")), fold(entry.get("organizer_id"))):
            return True
        if is_object_id(mine) != is_object_id(self.identity(entry.get("user"))):
            return None
        return False


def known_ids(ledger, where="ledger"):
    """Folded UPN -> the organizer's object ID, for every ledger entry that recorded both."""
    return {fold(entry["user"]): entry["organizer_id"] for entry in ledger_entries(ledger, where).values()
            if entry.get("user") and entry.get("organizer_id") and not is_object_id(entry["user"])}


def with_ledger(entries, ledger, purge=False, where="ledger"):
    """The entries with the meeting IDs the ledger recorded (same external ID and organizer, when the item gives
    none) and, with ``purge``, an absent entry for every ledger entry no item names any more.  The items are copied,
    never changed.  With a ledger, an external ID names one appointment: the same one for several organizers is an
    error (the ledger could not tell them apart).  An organizer given by UPN and by object ID is one organizer when
    the ledger recorded its object ID; when it cannot tell, the mix is refused naming both spellings.

    A pending entry (recorded before its createOrGet, by a run that was interrupted) gives no meeting ID: an item
    still in the task proceeds (createOrGet finds the meeting); with purge, one that left it becomes an absent entry
    with ``pending`` set and no meeting ID, for the batch module to resolve by createOrGet and delete."""
    known = ledger_entries(ledger, where)
    organizers = Organizers(known)
    out, wanted, users_of, problems = [], set(), {}, []
    for name, item in entries:
        external_id = item.get("external_id")
        users_of.setdefault(external_id, {}).setdefault(organizers.identity(item.get("user")), item.get("user"))
        entry = known.get(external_id)
        same = organizers.same(item.get("user"), entry) if entry else False
        if same is None:
            problems.append("%s.user: %s, but the ledger (%s) records external_id %s for organizer %s, and cannot "
                            "tell whether they are the same user (a UPN and an object ID): an appointment given "
                            "under two spellings of its organizer never converges. Use the ledger's spelling %s; if "
                            "the appointment moved to another organizer, remove it from %s first (state: absent)"
                            % (name, item.get("user"), where, external_id, entry["user"], entry["user"],
                               entry["user"]))
            continue
        if same:
            wanted.add(external_id)
            if not item.get("online_meeting_id") and entry["online_meeting_id"]:
                item = dict(item, online_meeting_id=entry["online_meeting_id"])
        out.append((name, item))
    shared = sorted(str(external_id) for external_id, users in users_of.items() if len(users) > 1)
    if shared:
        problems.append("with a ledger, an external_id names one appointment, but %s each appear for several "
                        "organizers (%s)" % (", ".join(shared), "; ".join(
                            "%s: %s" % (key, ", ".join(sorted(str(u) for u in users_of[key].values())))
                            for key in shared)))
    if problems:
        raise ValidationError(problems)
    if purge:
        for external_id, entry in sorted(known.items()):
            if external_id not in wanted:
                item = {"external_id": external_id, "user": entry["user"],
                        "online_meeting_id": entry["online_meeting_id"], "state": ABSENT}
                if not entry["online_meeting_id"]:
                    item["pending"] = True
                out.append(("%s[%s] (purge)" % (where, external_id), item))
    return out


def not_purged(entries, ledger, where="ledger"):
    """The ledger entries no item names (they stay in Graph and in the ledger when purge is off):
    [{external_id, user, online_meeting_id}] sorted by external ID."""
    known = ledger_entries(ledger, where)
    organizers = Organizers(known)
    named = {item.get("external_id") for item in (entry[1] for entry in entries)
             if item.get("external_id") in known and organizers.same(item.get("user"), known[item["external_id"]])}
    return [{"external_id": key, "user": entry["user"], "online_meeting_id": entry["online_meeting_id"]}
            for key, entry in sorted(known.items()) if key not in named]


def parse_limit(value, option="purge_limit"):
    """``purge_limit``: a count (``10``) or a percent (``50%``) -> ("count" | "percent", number); a problem string
    instead when it is neither."""
    text = str(value).strip() if value is not None else ""
    match = re.match(r"^(\d+(?:\.\d+)?)\s*(%?)$", text)
    if not match or (match.group(2) and float(match.group(1)) > 100) or (not match.group(2) and "." in text):
        problem = "%s: must be a count (such as 10) or a percent up to 100%% (such as 50%%), got %r"
        return None, problem % (option, value)
    return ("percent" if match.group(2) else "count", float(match.group(1))), None


def purge_guard(entries, ledger, purge_all=False, limit=DEFAULT_PURGE_LIMIT, where="ledger"):
    """Problems that stop a purge before any request: for each organizer of the ledger, a purge when the task gives
    none of its appointments (an empty or missing list, say a typo in a variable name), or of more of its ledger
    entries than ``limit`` allows - unless ``purge_all``.  ``entries`` are the batch's entries after with_ledger."""
    parsed, problem = parse_limit(limit)
    if problem:
        return [problem]
    if purge_all:
        return []
    known = ledger_entries(ledger, where)
    organizers = Organizers(known)
    recorded, purged, given = {}, {}, set()
    for entry in known.values():
        identity = organizers.identity(entry["user"])
        recorded.setdefault(identity, [entry["user"], 0])[1] += 1
    for name, item in entries:
        identity = organizers.identity(item.get("user"))
        if name.endswith(" (purge)"):
            purged[identity] = purged.get(identity, 0) + 1
        else:
            given.add(identity)
    problems = []
    kind, number = parsed
    for identity, count in sorted(purged.items(), key=lambda pair: str(pair[0])):
        user, total = recorded[identity]
        shown = user if user is not None else "(the signed-in user)"
        if identity not in given:
            problems.append("purge: the task gives no appointment for organizer %s (an empty or missing list - a typo "
                            "in the variable name?), so purge would delete all %d of the %d appointments the ledger "
                            "lists for it; nothing was sent. Set purge_all: true to purge them all (decommission "
                            "empties an organizer too)" % (shown, count, total))
            continue
        allowed = number if kind == "count" else math.ceil(total * number / 100.0)
        if count > allowed:
            problems.append("purge: would delete %d of the %d appointments the ledger lists for organizer %s, more "
                            "than purge_limit %s allows (%d); nothing was sent. If that is intended, raise "
                            "purge_limit (such as 100%%) or set purge_all: true"
                            % (count, total, shown, limit, allowed))
    return problems
