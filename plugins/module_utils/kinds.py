# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every resource kind of the reconcile engine shares: the states and actions, the ``Kind`` interface, and the
``Observed`` record the planners read.

A kind is one resource family (kind_meeting.py: the online meeting; kind_appointment.py: its virtualAppointment).
The engine (reconcile.Reconciler) knows no resource by name: it asks each kind, in the order of ``reconcile.KINDS``
(a parent before its children), for its reads, its ensures (an idempotent create by key), its children's reads
after an ensure, its plan and what each answer means; docs/engine.md describes the interface and how a new kind
(Bookings) is added."""

from __future__ import annotations

import abc

PRESENT, ABSENT = "present", "absent"
CREATED, UPDATED, DELETED, UNCHANGED, FAILED = "created", "updated", "deleted", "unchanged", "failed"
WRITTEN = (CREATED, UPDATED, DELETED)


class Kind(abc.ABC):
    """The interface of a resource kind; every method but ``address`` has a default (do nothing, or the common case).

    ``result`` is the engine's reconcile.Result of one item (what was read and written, per part); ``op`` a request
    for GraphClient.batch (method, path, body, headers), a write also with ``predict`` (the answer check mode
    reports); an operation's name starts with the kind's name (``meeting_patch``), which routes its answer back."""

    name = None
    parent = None  # the kind whose resource holds this one (deleting it removes this one too)

    def state(self, item):
        """The item's desired state of this kind: PRESENT, ABSENT or None (not managed) - ``<name>_state``."""
        return getattr(item, "%s_state" % self.name, None)

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
        """The GET of the resource once an ensure found its parent (it existed), or None."""
        return None

    def plan(self, item, observed):
        """Pure: the writes [(operation name, op)] that bring this part of ``item`` from ``observed`` to its desired
        state."""
        return []

    def took_write(self, result, name, op, answer):
        """Record what a write answered (a failure was recorded by the engine)."""

    def conflict(self, name, answer):
        """Whether the answer means: read again, plan again, write once more (412 on an If-Match PATCH)."""
        return False

    def reread(self, result):
        """The GET of a conflict's re-read."""
        return self.read(result)

    def snapshot(self, result):
        """What ``replanned`` gets as ``before``: this part as read before the first write."""
        return None

    def replanned(self, result, before, replayed):
        """After a conflict's re-read and plan: a last word on the result (``before`` was read before the first
        write; ``replayed``: that write was sent again after a lost answer)."""


class Observed:
    """What the engine read of one item, all a planner needs: the meeting's ID (known, found or None for a create
    predicted in check mode), whether it exists, the meeting and appointment views read, and the appointment's ETag."""

    __slots__ = ("meeting_id", "meeting_exists", "meeting", "appointment", "etag")

    def __init__(self, meeting_id=None, meeting_exists=None, meeting=None, appointment=None, etag=None):
        self.meeting_id, self.meeting_exists = meeting_id, meeting_exists
        self.meeting, self.appointment, self.etag = meeting, appointment, etag

    @classmethod
    def of(cls, result):
        meeting_id = result.meeting["id"] if result.meeting else result.item.meeting_id
        return cls(meeting_id, result.meeting_exists, result.meeting_before, result.appointment_before, result.etag)


def header(headers, name):
    """A response header by its lower-case name, whatever its case."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None
