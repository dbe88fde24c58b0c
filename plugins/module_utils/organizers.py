# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An organizer given by user principal name, as its object ID: with an application token, Graph's onlineMeetings
paths take the user's object ID only - a UPN answers 404 (graph-today.md 2.1; the docs: "userId is the object ID of
a user").  So a run with an application sign-in resolves each UPN once, ``GET /users/{upn}?$select=id`` (which needs
User.Read.All or User.ReadBasic.All), all of them in one ``$batch`` round, and names the meetings by object ID; what
the ledger already relates (a UPN recorded with the organizer's object ID) costs no request.  Results, the ledger and
the report keep the spelling the task gave."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import GraphError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.items import fold
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.ledger import is_object_id

READ_USERS = ("reading the organizer's object ID (GET /users/%s?$select=id) needs the application permission "
              "User.Read.All (or User.ReadBasic.All): grant it to the app, or give user as the object ID")


def needs_resolving(users, known=None):
    """The distinct UPNs among ``users`` (object IDs and None need nothing) that ``known`` (folded spelling -> object
    ID, from the ledger) does not relate."""
    known = known or {}
    out, seen = [], set()
    for user in users:
        if user and not is_object_id(user) and fold(user) not in known and fold(user) not in seen:
            seen.add(fold(user))
            out.append(user)
    return out


def resolve(client, users, known=None, concurrency=4):
    """``(ids, errors)``: folded spelling -> object ID for every UPN among ``users`` (from ``known`` or Graph), and
    folded spelling -> the error of each that could not be resolved (404: no such user; 403: the permission)."""
    ids = dict(known or {})
    pending = needs_resolving(users, known)
    ops = [{"method": "GET", "path": graph_path("users", ("user", user)) + "?$select=id"} for user in pending]
    errors = {}
    for user, answer in zip(pending, client.batch(ops, concurrency) if ops else []):
        if answer.ok and isinstance(answer.body, dict) and answer.body.get("id"):
            ids[fold(user)] = answer.body["id"]
        elif answer.status == 403:
            error = answer.error
            errors[fold(user)] = GraphError(403, getattr(error, "code", None), READ_USERS % user,
                                            getattr(error, "request_id", None))
        elif answer.status == 404:
            errors[fold(user)] = GraphError(404, "Request_ResourceNotFound",
                                            "user %s: no such user in the tenant (GET /users/%s answered 404)"
                                            % (user, user), getattr(answer.error, "request_id", None))
        else:
            errors[fold(user)] = answer.error
    return ids, errors


def of_entries(client, entries, known=None, concurrency=4):
    """A batch's entries [(where, spec)] with each organizer as its object ID; the task's spelling of each object ID
    (for the ledger); and, by folded spelling, the error of each organizer that could not be resolved."""
    ids, errors = resolve(client, [spec.get("user") for where, spec in entries], known, concurrency)
    spellings = {}
    for where, spec in entries:
        if fold(spec.get("user")) in ids:
            spellings.setdefault(ids[fold(spec["user"])], spec["user"])
    return [(where, dict(spec, user=object_id(ids, spec.get("user")))) for where, spec in entries], spellings, errors


def object_id(ids, user):
    """The object ID ``resolve`` found for ``user`` (or ``user`` itself: an object ID, None, or not resolved)."""
    return ids.get(fold(user), user) if user else user
