# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every resource kind of the reconcile engine shares: the states and actions, the ``Kind`` interface, the per-kind
``Part`` of a result and the ``Observed`` record the planners read.

A kind is one resource family (kind_meeting.py: the online meeting; kind_appointment.py: its virtualAppointment;
kind_notification.py: the SMS that tells the clients of a change).
The engine (reconcile.Reconciler) knows no resource by name: it asks each kind, in the order of ``reconcile.KINDS``
(a parent before its children), for its reads, its ensures (an idempotent create by key), its children's reads
after an ensure, its plan and what each answer means; docs/engine.md describes the interface and how a new kind
(Bookings) is added."""

from __future__ import annotations

import abc

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult

PRESENT, ABSENT = "present", "absent"
CREATED, UPDATED, DELETED, UNCHANGED, FAILED = "created", "updated", "deleted", "unchanged", "failed"
CANCELLED = "cancelled"  # a Bookings appointment cancelled (its customers told); it leaves the calendar
WRITTEN = (CREATED, UPDATED, DELETED, CANCELLED)


class Part:
    """What the engine knows of one kind's resource in one item: the view read before any write (``before``), the view
    now (``view``: actual, or predicted in check mode), whether it exists (None: unknown), its ETag, what happened to
    it (``action``), whether an ensure found it existing (``found``), and a kind's own record (``note``: the SMS a
    notification kind planned or sent)."""

    __slots__ = ("view", "before", "exists", "etag", "action", "found", "note")

    def __init__(self, before=None, exists=None, etag=None, view=None):
        self.before, self.exists, self.etag = before, exists, etag
        self.view = before if view is None else view
        self.action, self.found, self.note = UNCHANGED, False, None


class Kind(abc.ABC):
    """The interface of a resource kind; every method but ``address`` has a default (do nothing, or the common case).

    ``result`` is the engine's reconcile.Result of one item (``result.parts[name]``: a Part per kind); ``op`` a request
    for GraphClient.batch (method, path, body, headers), a write also with ``predict`` (the answer check mode
    reports) and, for a write that must go before or after another write of the same item, ``before`` or ``after``
    naming that write (the engine sends it in a round of its own; an ``after`` write only once the one it follows
    succeeded); an operation's name starts with the kind's name (``meeting_patch``), which routes its answer back."""

    name = None
    parent = None      # the kind whose resource holds this one (deleting it removes this one too)
    resource = True    # False for what is sent, not kept (an SMS): no state to read, not the item's action
    spread = False     # True: the service runs a $batch's items one after another against a few slots (Bookings'
    #                    four per mailbox), so the engine spreads a round's requests over its calls (graph.spread_sizes)

    def state(self, item):
        """The item's desired state of this kind: PRESENT, ABSENT or None (not managed)."""
        return item.states.get(self.name)

    def desired(self, item):
        """The item's desired values of this kind (None: only its state is managed)."""
        return item.desired.get(self.name)

    def part(self, result):
        """This kind's Part of ``result``."""
        return result.parts[self.name]

    @abc.abstractmethod
    def address(self, item, meeting_id):
        """The resource's path, under the meeting ``meeting_id`` of ``item``'s organizer."""

    def read(self, result):
        """The GET of the resource when its address is known before anything is written (the caller gave the
        meeting's ID), or None."""
        item = result.item
        if item.meeting_id and self.state(item) is not None:
            return {"method": "GET", "path": self.address(item, item.meeting_id)}
        return None

    def took_read(self, result, answer):
        """Record what a read (or a re-read after a conflict) answered."""

    def ensure(self, result):
        """An idempotent create by key (createOrGet) for a wanted resource whose address is unknown, or None."""
        return None

    def took_ensure(self, result, answer):
        """Record what an ensure answered."""

    def read_found(self, result):
        """The GET of the resource once it was found - by an ensure (its parent existed) or in a list the read
        answered (a list holds only some of its properties) - or None."""
        return None

    def plan(self, item, observed, planned=()):
        """Pure: the writes (a Plan of (operation name, op)) that bring this part of ``item`` from ``observed`` to its
        desired state; ``planned`` holds the writes the kinds before it planned for the item."""
        return Plan()

    def took_write(self, result, name, op, answer):
        """Record what a successful write answered."""

    def failed_write(self, result, name, op, answer):
        """Record a write that failed: by default the item fails, naming this part."""
        result.fail(answer.error, self.name)

    def conflict(self, name, answer):
        """Whether the answer means: read again, plan again, write once more (412 on an If-Match PATCH)."""
        return False

    def reread(self, result):
        """The GET of a conflict's re-read."""
        return self.read(result)

    def replanned(self, result, before, replayed, more):
        """After a conflict's re-read and plan: a last word on the result (``before``: this part as read before the
        first write; ``replayed``: that write was sent again after a lost answer; ``more``: the new plan has
        writes)."""

    def refresh(self, result):
        """The GET of the resource after the writes, when their answers left its view without what Graph made of
        them (a 204 without a body), or None."""
        return None

    def took_refresh(self, result, answer):
        """Record what a refresh read answered (the view now; ``before`` stays as read before the writes)."""

    def diff(self, result):
        """``(before, after)`` of this part's compared view for the item's diff, or None when it has none."""
        return None


class Plan(list):
    """A planner's writes, [(operation name, op)], with the warnings planning found (``warnings``)."""

    def __init__(self, ops=(), warnings=()):
        super().__init__(ops)
        self.warnings = list(warnings)


class Observed:
    """What the engine read of one item, all a planner needs: the meeting's ID (known, found, or None for a create
    predicted in check mode) and each kind's Part as read (``before``, ``exists``, ``etag``)."""

    __slots__ = ("meeting_id", "parts")

    def __init__(self, meeting_id=None, **parts):
        self.meeting_id, self.parts = meeting_id, parts

    def view(self, name):
        """The view of kind ``name`` as read before any write (None: none, or not read)."""
        part = self.parts.get(name)
        return part.before if part is not None else None

    def exists(self, name):
        part = self.parts.get(name)
        return part.exists if part is not None else None

    def etag(self, name):
        part = self.parts.get(name)
        return part.etag if part is not None else None

    def created(self, name):
        """Whether kind ``name``'s resource was just created by an ensure (createOrGet answered 201)."""
        part = self.parts.get(name)
        return part is not None and part.action == CREATED


class Predicted(BatchResult):
    """The answer check mode predicts for a write that was not sent (Reconciler.write)."""


def header(headers, name):
    """A response header by its lower-case name, whatever its case."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None
