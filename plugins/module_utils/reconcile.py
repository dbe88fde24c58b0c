# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reconcile engine: read (batched) -> plan (pure) -> apply (batched) -> one result per item with a diff.

Every module uses it; the single-item modules are the batch of one.  ``Reconciler.write`` is the only place that
sends a write to Graph - the engine's own creates, updates and deletes, and the SMS of the SMS module and of the
batch's notify_sms - and the only place that reads check mode: in check mode it sends nothing and answers with the
predicted result (a ``Predicted`` answer), so check mode reads exactly as a real run would and never writes.

Meetings are found by id when the caller knows it (a previous run returned it), else ensured with createOrGet on
their external id, which is idempotent: a lost answer or a re-run never makes a second meeting.  Graph has no way to
look a meeting up by external id without creating it, so in check mode a meeting without a known id is reported as
the create it would be.
"""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import CollectionError, GraphError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult, graph_path
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_appointment import APPOINTMENT
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_meeting import MEETING
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, DELETED, FAILED, UNCHANGED, UPDATED, WRITTEN, Observed)

# The kinds of an item, a parent before its children: every stage asks them in this order.
KINDS = (MEETING, APPOINTMENT)
KIND_OF = {kind.name: kind for kind in KINDS}


class Item:
    """One desired state: an online meeting and/or the virtual appointment on it.

    ``meeting`` / ``appointment``: the desired values (see models.desired_*), or None when not managed.
    ``meeting_state`` / ``appointment_state``: present or absent (None when that part is not managed).
    """

    def __init__(self, label, user=None, meeting_id=None, external_id=None, meeting=None, meeting_state=None,
                 appointment=None, appointment_state=None):
        self.label = label
        self.user = user
        self.meeting_id = meeting_id
        self.external_id = external_id
        self.meeting = meeting
        self.meeting_state = meeting_state
        self.appointment = appointment
        self.appointment_state = appointment_state

    def owner(self):
        return graph_path("me") if self.user is None else graph_path("users", ("user", self.user))

    def meeting_path(self, meeting_id):
        return self.owner() + graph_path("onlineMeetings", ("online_meeting_id", meeting_id))


class Result:
    """What happened to one item."""

    def __init__(self, item):
        self.item = item
        self.meeting = None           # the meeting view (models.meeting_from_graph), actual or predicted
        self.meeting_before = None
        self.meeting_action = UNCHANGED
        self.meeting_exists = None    # True/False once read; None when unknown (check mode, no id)
        self.appointment = None       # the appointment view, actual or predicted
        self.appointment_before = None
        self.appointment_action = UNCHANGED
        self.etag = None
        self.adopted = False          # createOrGet found an existing meeting (its appointment must be read)
        self.error = None
        self.failed_parts = []        # "meeting", "appointment": the parts whose read or write failed
        self.pending = []             # planned writes: (kind, op)

    @property
    def changed(self):
        """Whether anything was written (or would be, in check mode) - also when another part of the item failed."""
        return any(action in WRITTEN for action in (self.meeting_action, self.appointment_action))

    @property
    def failed_part(self):
        """Which part failed: ``meeting``, ``appointment`` or ``both``; None when the item did not fail."""
        if not self.failed_parts:
            return None
        return self.failed_parts[0] if len(self.failed_parts) == 1 else "both"

    @property
    def action(self):
        if self.error is not None:
            return FAILED
        if self.item.appointment_state is not None:
            if self.appointment_action == UNCHANGED and self.meeting_action == DELETED:
                return DELETED  # a meeting without its appointment (an interrupted run) deleted: the item is gone
            if self.appointment_action == UNCHANGED and self.meeting_action != UNCHANGED:
                return UPDATED  # only the meeting changed (subject, times): the item was updated
            return self.appointment_action
        return self.meeting_action

    def fail(self, error, part):
        """``part`` (meeting or appointment) failed with ``error``: its action is ``failed``; the other part keeps what
        happened to it (a meeting created before its appointment failed stays ``created``)."""
        if self.error is None:
            self.error = error
        if part not in self.failed_parts:
            self.failed_parts.append(part)
        setattr(self, part + "_action", FAILED)

    def diff(self):
        """before/after of the compared view of what this item manages."""
        before, after = {}, {}
        item = self.item
        if item.meeting_state is not None and item.meeting is not None:
            # A delete removes every property: show them all going, not the (empty) set of options given.
            wanted = item.meeting if item.meeting_state != ABSENT else dict.fromkeys(models.MEETING_FIELDS)
            before["meeting"] = models.meeting_compared_view(self.meeting_before, wanted)
            after["meeting"] = models.meeting_compared_view(self.meeting, wanted) \
                if self.meeting_action != DELETED else {}
        if item.appointment_state is not None:
            desired = item.appointment or {}
            if item.appointment_state == ABSENT:
                desired = dict(dict.fromkeys(models.APPOINTMENT_FIELDS), settings=dict.fromkeys(models.SETTINGS_FIELDS))
            before["appointment"] = models.appointment_compared_view(self.appointment_before, desired) \
                if self.appointment_before is not None else {}
            after["appointment"] = models.appointment_compared_view(self.appointment, desired) \
                if self.appointment is not None else {}
        return {"before": before, "after": after}


class Reconciler:
    # Items go through read -> plan -> apply in slices of this many: Graph's answers for one slice are held at once,
    # not for the whole batch (an organizer of 1,700 appointments held ~3,400 meeting and appointment bodies). A
    # multiple of 10 keeps every slice's $batch calls full (two requests an item, 20 a call).
    SLICE = 500

    def __init__(self, client, check_mode=False, concurrency=4, recorder=None):
        # ``client``: the GraphClient, or a callable that makes it when first needed (a write in check mode needs
        # none, so the SMS module's check mode signs in to nothing).
        self._client = client
        self.check_mode = check_mode
        self.concurrency = concurrency
        # Optional ledger hook (ledger.Recorder): before(ops) records what is about to be created, after(ops,
        # answers) what was created and deleted - on real runs only, so check mode never records anything.
        self.recorder = recorder

    @property
    def client(self):
        if callable(self._client):
            self._client = self._client()
        return self._client

    # -- the one write path -----------------------------------------------------------------------------------------
    def write(self, ops):
        """Send writes - dicts for GraphClient.batch plus ``predict`` ((status, body) of the answer check mode
        predicts) and optionally ``direct`` (sent as a request of its own rather than in a ``$batch``) - and return
        one answer each, in order.  In check mode nothing is sent: each answer is the ``Predicted`` one.  This is the
        only place that reads check mode, and the only one that sends a write."""
        if not ops:
            return []
        if self.check_mode:
            return [Predicted(op["predict"][0], {}, op["predict"][1]) for op in ops]
        if self.recorder is not None:
            self.recorder.before(ops)
        sendable = [{k: v for k, v in op.items() if k not in ("predict", "direct")} for op in ops]
        if all(op.get("direct") for op in ops):
            answers = [self._send_direct(op) for op in sendable]
        else:
            answers = self.client.batch(sendable, self.concurrency)
        if self.recorder is not None:
            self.recorder.after(ops, answers)
        return answers

    def _send_direct(self, op):
        """One write as a request of its own (the SMS module's one SMS), answered like a $batch sub-request."""
        try:
            response = self.client.request(op["method"], op["path"], op.get("body"), op.get("headers"),
                                           op.get("provisioning", False))
        except GraphError as exc:
            return BatchResult(exc.status, {}, None, exc)
        except CollectionError as exc:
            return BatchResult(None, {}, None, exc)
        headers = dict(response.headers)
        sent = response.request.headers if response.request is not None else {}
        if "client-request-id" not in {key.lower() for key in headers} and sent.get("client-request-id"):
            headers["client-request-id"] = sent["client-request-id"]
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return BatchResult(response.status_code, headers, body)

    def _read(self, ops):
        return self.client.batch(ops, self.concurrency) if ops else []

    # -- the run ------------------------------------------------------------------------------------------------------
    def run(self, items, progress=None):
        """One result per item, in order; the items are reconciled a slice at a time.  ``progress`` (optional) is
        called after each slice with a dict: ``slice``, ``slices``, ``done``, ``total``, ``failed`` (so far),
        ``elapsed`` (seconds since the run began) and ``waits`` (the client's WaitLog)."""
        results = []
        started = self.client.clock()
        slices = (len(items) + self.SLICE - 1) // self.SLICE
        for number, start in enumerate(range(0, len(items), self.SLICE), 1):
            results += self._run_slice(items[start:start + self.SLICE])
            if progress is not None:
                progress({"slice": number, "slices": slices, "done": len(results), "total": len(items),
                          "failed": sum(1 for result in results if result.error is not None),
                          "elapsed": self.client.clock() - started, "waits": self.client.waits})
        return results

    def _run_slice(self, items):
        results = [Result(item) for item in items]
        self._round(results, "read", self._read, "took_read")
        self._round(results, "ensure", self.write, "took_ensure")
        self._round(results, "read_found", self._read, "took_read")
        for result in results:
            if result.error is None:
                result.pending = plan(result.item, Observed.of(result))
        self._apply(results)
        return results

    def _round(self, results, ask, send, took):
        """One round of every kind's ``ask`` for every item still going (reads, or ensures), sent together by
        ``send``; each answer goes to the kind's ``took``."""
        ops, owners = [], []
        for result in results:
            for kind in KINDS:
                if result.error is not None and ask == "ensure":
                    break
                op = getattr(kind, ask)(result) if result.error is None or ask == "read" else None
                if op is not None:
                    ops.append(op)
                    owners.append((result, kind))
        for (result, kind), answer in zip(owners, send(ops)):
            getattr(kind, took)(result, answer)

    # -- apply --------------------------------------------------------------------------------------------------------
    def _apply(self, results, second_try=False):
        ops, owners = [], []
        for result in results:
            if result.error is not None:
                continue
            for name, op in result.pending:
                ops.append({k: v for k, v in op.items() if k != "changes"})
                owners.append((result, name, op))
            result.pending = []
        conflicts = []
        for (result, name, op), answer in zip(owners, self.write(ops)):
            kind = KIND_OF[name.split("_", 1)[0]]
            if not second_try and kind.conflict(name, answer):
                conflicts.append((result, kind, answer.replayed))
                continue
            if not answer.ok and not (answer.status == 404 and name.endswith("_delete")):
                result.fail(answer.error, kind.name)
                continue
            kind.took_write(result, name, op, answer)
        if conflicts:
            self._replan_conflicts(conflicts)

    def _replan_conflicts(self, conflicts):
        """A conflict (412: the appointment changed since it was read - by someone else, or by our own PATCH sent
        again after its answer was lost, ``replayed``): read all of them again in one batched round, plan again, write
        once more."""
        answers = self._read([conflict[1].reread(conflict[0]) for conflict in conflicts])
        for (result, kind, replayed), answer in zip(conflicts, answers):
            before = kind.snapshot(result)
            kind.took_read(result, answer)
            if result.error is None:
                result.pending = kind.plan(result.item, Observed.of(result))
                kind.replanned(result, before, replayed)
        self._apply([conflict[0] for conflict in conflicts], second_try=True)


# -- the plan: pure, over the kinds -----------------------------------------------------------------------------------
def plan(item, observed):
    """The writes that bring ``item`` from ``observed`` to its desired state: [(operation name, op)] of every kind it
    manages, parent first (all go in one round: a meeting's patch and its appointment's write do not depend on each
    other).  A kind whose parent is to be absent plans nothing: deleting the parent removes it too."""
    ops = []
    for kind in KINDS:
        if kind.state(item) is None or (kind.parent and KIND_OF[kind.parent].state(item) == ABSENT):
            continue
        ops += kind.plan(item, observed)
    return ops


class Predicted(BatchResult):
    """The answer check mode predicts for a write that was not sent."""


def progress_line(info):
    """One line of progress for a slice (``Reconciler.run``'s ``progress`` dict)."""
    waits = info.get("waits")
    if waits is not None and waits.retries:
        waited = "waited %.1f s (%d retr%s)" % (waits.seconds, waits.retries, "y" if waits.retries == 1 else "ies")
    else:
        waited = "no waits"
    return "slice %d of %d: %d of %d items done%s, %.1f s elapsed, %s" % (
        info["slice"], info["slices"], info["done"], info["total"],
        " (%d failed)" % info["failed"] if info.get("failed") else "", info["elapsed"], waited)


def read_appointments(client, targets, concurrency=4, include_join_web_url=False):
    """Info reads: for each (user, meeting_id) -> (appointment view or None, join URL or None, error or None)."""
    ops = []
    for user, meeting_id in targets:
        item = Item("", user=user, meeting_id=meeting_id)
        path = item.meeting_path(meeting_id)
        ops.append({"method": "GET", "path": path + "/virtualAppointment"})
        if include_join_web_url:
            ops.append({"method": "GET", "path": path + "/getVirtualAppointmentJoinWebUrl"})
    answers = client.batch(ops, concurrency) if ops else []
    step = 2 if include_join_web_url else 1
    out = []
    for index in range(len(targets)):
        answer = answers[index * step]
        view, error = None, None
        if answer.ok:
            view = models.appointment_from_graph(answer.body)
        elif answer.status != 404:
            error = answer.error
        join = None
        if include_join_web_url:
            join_answer = answers[index * step + 1]
            if join_answer.ok:
                join = (join_answer.body or {}).get("value")
            elif join_answer.status != 404 and error is None:
                error = join_answer.error
        out.append((view, join, error))
    return out
