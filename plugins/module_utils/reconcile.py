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
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    CollectionError, GraphError, PlanError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import (
    BatchResult, follow_pages, graph_path)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_appointment import APPOINTMENT
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_join_link import JOIN_LINK
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_meeting import MEETING
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_notification import NOTIFICATION
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, CREATED, DELETED, FAILED, UNCHANGED, UPDATED, WRITTEN, Observed, Part, Plan, Predicted)

# The kinds of an item, a parent before its children: every stage asks them in this order, and a kind's plan sees
# the writes the kinds before it planned (the notification, last, plans the SMS those writes call for).
KINDS = (MEETING, APPOINTMENT, JOIN_LINK, NOTIFICATION)
# The write rounds of an item's plan: writes that go before another write of the item (``before``: a cancellation
# SMS before the delete it announces), the writes, and those that go after one (``after``: sent once it succeeded).
ROUNDS = ("before", None, "after")


class Item:
    """One desired state: an online meeting, the virtual appointment on it, the SMS their changes call for.

    ``states``: kind name -> present or absent (a kind not named is not managed); ``desired``: kind name -> its
    desired values (models.desired_*; the notification's ``{"types", "time_zone"}``), absent or None when only the
    state is managed."""

    def __init__(self, label, user=None, meeting_id=None, external_id=None, states=None, desired=None):
        self.label = label
        self.user = user
        self.meeting_id = meeting_id
        self.external_id = external_id
        self.states = dict(states or {})
        self.desired = dict(desired or {})

    def owner(self):
        return graph_path("me") if self.user is None else graph_path("users", ("user", self.user))

    def meeting_path(self, meeting_id):
        return self.owner() + graph_path("onlineMeetings", ("online_meeting_id", meeting_id))


class Result:
    """What happened to one item: a Part per kind (``parts[name]``: read, written, predicted), the first error, the
    parts that failed, and the warnings planning found."""

    def __init__(self, item, kinds=KINDS):
        self.item = item
        self.kinds = kinds
        self.parts = {kind.name: Part() for kind in kinds}
        self.error = None
        self.failed_parts = []        # kind names whose read or write failed
        self.pending = []             # planned writes: (operation name, op)
        self.written = set()          # the operation names that succeeded (or were predicted, in check mode)
        self.warnings = []

    def view(self, name):
        """The view of kind ``name`` now: actual, or predicted in check mode (None: none)."""
        return self.parts[name].view

    def meeting_id(self):
        """The ID of the item's meeting: read, found, created - or the one given; None for a create predicted."""
        root = self.parts[self.kinds[0].name].view
        return root["id"] if root else self.item.meeting_id

    @property
    def changed(self):
        """Whether anything was written (or would be, in check mode) - also when another part of the item failed."""
        return any(self.parts[kind.name].action in WRITTEN for kind in self.kinds if kind.resource)

    @property
    def failed_part(self):
        """Which part failed: ``meeting``, ``appointment``, ``notification`` or ``both``; None when none did."""
        if not self.failed_parts:
            return None
        return self.failed_parts[0] if len(self.failed_parts) == 1 else "both"

    @property
    def action(self):
        """The item's action: that of its innermost managed resource; when that one is unchanged, ``deleted`` if a
        parent was deleted (with it, a meeting without its appointment after an interrupted run), ``updated`` if a
        parent changed (a meeting's subject or times)."""
        if self.error is not None:
            return FAILED
        managed = [kind for kind in self.kinds if kind.resource and kind.state(self.item) is not None]
        if not managed:
            return UNCHANGED
        own = self.parts[managed[-1].name].action
        if own != UNCHANGED:
            return own
        others = [self.parts[kind.name].action for kind in self.kinds if kind.resource and kind is not managed[-1]]
        if DELETED in others:
            return DELETED
        return UPDATED if any(action != UNCHANGED for action in others) else UNCHANGED

    def fail(self, error, part):
        """``part`` (a kind's name) failed with ``error``: its action is ``failed``; the other parts keep what happened
        to them (a meeting created before its appointment failed stays ``created``)."""
        if self.error is None:
            self.error = error
        if part not in self.failed_parts:
            self.failed_parts.append(part)
        self.parts[part].action = FAILED

    def diff(self):
        """before/after of the compared view of what this item manages, by kind."""
        before, after = {}, {}
        for kind in self.kinds:
            pair = kind.diff(self)
            if pair is not None:
                before[kind.name], after[kind.name] = pair
        return {"before": before, "after": after}


class Reconciler:
    # Items go through read -> plan -> apply in slices of this many: Graph's answers for one slice are held at once,
    # not for the whole batch (an organizer of 1,700 appointments held ~3,400 meeting and appointment bodies). A
    # multiple of 10 keeps every slice's $batch calls full (two requests an item, 20 a call).
    SLICE = 500

    def __init__(self, client, check_mode=False, concurrency=4, recorder=None, kinds=KINDS):
        # ``client``: the GraphClient, or a callable that makes it when first needed (a write in check mode needs
        # none, so the SMS module's check mode signs in to nothing).  ``kinds``: the resource kinds of the items,
        # a parent before its children (KINDS: the meeting family; kind_booking's for Bookings).
        self._client = client
        self.check_mode = check_mode
        self.concurrency = concurrency
        self.kinds = tuple(kinds)
        # An operation's name starts with its kind's name: the longest name first (booking_business_... is not
        # booking_...).
        self._routes = sorted(self.kinds, key=lambda kind: -len(kind.name))
        self.spread = any(kind.spread for kind in self.kinds)  # GraphClient.batch's ``spread``
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
        sendable = [{k: v for k, v in op.items() if k not in ("predict", "direct", "before", "after")} for op in ops]
        if all(op.get("direct") for op in ops):
            answers = [self._send_direct(op) for op in sendable]
        else:
            answers = self.client.batch(sendable, self.concurrency, self.spread)
        if self.recorder is not None:
            self.recorder.after(ops, answers)
        return answers

    def record(self, what):
        """Let the ledger's recorder (if any) record more of a run - ``what(recorder)`` - on a real run only: like
        the writes, check mode records nothing (this and ``write`` are where the engine reads check mode)."""
        if self.recorder is not None and not self.check_mode:
            what(self.recorder)

    def unresolved(self, problems, warn):
        """Names a task gives that Graph does not have (a staff member, a service): ``problems`` - but in check mode
        warnings, given to ``warn``, as an earlier task of the same play would make them; the plan leaves them out.
        With ``write`` and ``record``, where the engine reads check mode."""
        if not self.check_mode or not problems:
            return problems
        for problem in problems:
            warn("%s (check mode: an earlier task may make it; it is left out of this plan)" % problem)
        return []

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
        """Reads in $batch, one answer per op in order.  A read marked ``pages`` (a list) gets every page, followed
        by its nextLink; a read that carries its answer (``given``: a list read once for many items already holds
        it) is not sent; identical reads of one round (many items re-reading one list) are sent once."""
        answers, sent, first = [None] * len(ops), [], {}
        for index, op in enumerate(ops):
            if "given" in op:
                answers[index] = op["given"]
                continue
            key = (op["method"], op["path"], tuple(sorted((op.get("headers") or {}).items())))
            if key in first:
                continue
            first[key] = index
            sent.append(index)
        for index, answer in zip(sent, self.client.batch([ops[i] for i in sent], self.concurrency, self.spread) if sent else []):
            if ops[index].get("pages") and answer.ok:
                follow_pages(self.client, answer)
            answers[index] = answer
        for index, op in enumerate(ops):
            if answers[index] is None:
                answers[index] = answers[first[(op["method"], op["path"],
                                                tuple(sorted((op.get("headers") or {}).items())))]]
        return answers

    def kind_of(self, name):
        """The kind an operation named ``name`` belongs to."""
        return next(kind for kind in self._routes if name.startswith(kind.name + "_"))

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
        results = [Result(item, self.kinds) for item in items]
        self._round(results, "read", self._read, "took_read")
        self._round(results, "ensure", self.write, "took_ensure")
        for result in results:
            for kind in self.kinds:
                if result.parts[kind.name].action == CREATED:
                    result.written.add(kind.name + "_create")  # what an ``after`` write can follow
                if kind.parent and result.parts[kind.parent].action == CREATED:
                    result.parts[kind.name].view = result.parts[kind.name].before = None  # a new parent is empty
        self._round(results, "read_found", self._read, "took_read")
        for result in results:
            if result.error is None:
                try:
                    result.pending = plan(result.item, Observed(result.meeting_id(), **result.parts), self.kinds)
                except PlanError as exc:  # what was read makes the desired state impossible: this item fails
                    result.fail(exc, exc.part)
                    result.pending = Plan()
                result.warnings += result.pending.warnings
        for order in ROUNDS:
            self._apply(results, order)
        self._round(results, "refresh", self._read, "took_refresh")
        return results

    def _round(self, results, ask, send, took):
        """One round of every kind's ``ask`` for every item still going (reads, or ensures), sent together by
        ``send``; each answer goes to the kind's ``took``."""
        ops, owners = [], []
        for result in results:
            for kind in self.kinds:
                if result.error is not None and ask == "ensure":
                    break
                op = getattr(kind, ask)(result) if result.error is None or ask in ("read", "refresh") else None
                if op is not None:
                    ops.append(op)
                    owners.append((result, kind))
        for (result, kind), answer in zip(owners, send(ops)):
            getattr(kind, took)(result, answer)

    # -- apply --------------------------------------------------------------------------------------------------------
    # How many times a conflict (a 412, a Bookings create whose answer was lost) is read again, planned again and
    # written once more for one item, at most: each time after a fresh read, so never twice what landed once.
    CONFLICT_ROUNDS = 5

    def _apply(self, results, order=None, tries=0):
        """Send the planned writes of one round (``order``: ROUNDS) of every item, each answer to its kind.  An
        ``after`` write goes only once the write it follows succeeded (also when another part of the item failed);
        a round of ``before`` or ``after`` writes that stops (sign-in failed) answers each of them with that error,
        as any of them may have been sent, and the item's other writes stand."""
        ops, owners = [], []
        for result in results:
            if result.error is not None and order != "after":
                continue
            later = []
            for name, op in result.pending:
                if not (op.get(order) if order else not (op.get("before") or op.get("after"))):
                    later.append((name, op))
                elif order != "after" or op["after"] in result.written:
                    ops.append({k: v for k, v in op.items() if k != "changes"})
                    owners.append((result, name, op))
            result.pending = later
        try:
            answers = self.write(ops)
        except CollectionError as exc:
            if order is None:
                raise
            answers = [BatchResult(None, {}, None, exc)] * len(ops)
        conflicts = []
        for (result, name, op), answer in zip(owners, answers):
            kind = self.kind_of(name)
            if tries < self.CONFLICT_ROUNDS and kind.conflict(name, answer):
                conflicts.append((result, kind, answer.replayed))
                continue
            if not answer.ok and not (answer.status == 404 and name.endswith("_delete")):
                kind.failed_write(result, name, op, answer)
                continue
            result.written.add(name)
            kind.took_write(result, name, op, answer)
            if name.endswith("_delete"):
                self._gone_with(result, kind, self.kinds)
        if conflicts:
            self._replan_conflicts(conflicts, tries + 1)

    @staticmethod
    def _gone_with(result, parent, kinds):
        """The children of a deleted resource are gone with it (deleted with it, when they existed and are managed)."""
        for kind in kinds:
            if kind.parent == parent.name:
                part = result.parts[kind.name]
                if kind.state(result.item) is not None and part.before is not None \
                        and result.parts[parent.name].action == DELETED:
                    part.action = DELETED
                part.view = None

    def _replan_conflicts(self, conflicts, tries=1):
        """A conflict (412: the appointment changed since it was read - by someone else, or by our own PATCH sent
        again after its answer was lost, ``replayed``): read all of them again in one batched round, plan again, write
        once more."""
        answers = self._read([conflict[1].reread(conflict[0]) for conflict in conflicts])
        for (result, kind, replayed), answer in zip(conflicts, answers):
            before = kind.part(result).before
            kind.took_read(result, answer)
            if result.error is None:
                try:
                    replan = kind.plan(result.item, Observed(result.meeting_id(), **result.parts))
                except PlanError as exc:
                    result.fail(exc, exc.part)
                    continue
                kind.replanned(result, before, replayed, bool(replan))
                result.pending = list(replan) + result.pending  # and the item's writes of later rounds
        self._apply([conflict[0] for conflict in conflicts], tries=tries)


# -- the plan: pure, over the kinds -----------------------------------------------------------------------------------
def plan(item, observed, kinds=KINDS):
    """The writes that bring ``item`` from ``observed`` to its desired state: a Plan of (operation name, op) of every
    kind it manages, parent first, each kind seeing what the kinds before it planned.  A resource whose parent is to
    be absent plans nothing: deleting the parent removes it too.  A kind raises PlanError when what was read makes
    the desired state impossible (the item fails, nothing of it is written)."""
    ops = Plan()
    parents = {kind.name: kind for kind in kinds}
    for kind in kinds:
        if kind.state(item) is None or (kind.parent and parents[kind.parent].state(item) == ABSENT):
            continue
        planned = kind.plan(item, observed, list(ops))
        ops += planned
        ops.warnings += planned.warnings
    return ops


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
