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
    CollectionError, GraphError, WrongMeeting)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult, graph_path

PRESENT, ABSENT = "present", "absent"
CREATED, UPDATED, DELETED, UNCHANGED, FAILED = "created", "updated", "deleted", "unchanged", "failed"
WRITTEN = (CREATED, UPDATED, DELETED)


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
        self._read_known(results)
        self._ensure_meetings(results)
        self._read_adopted(results)
        for result in results:
            if result.error is None:
                self._plan(result)
        self._apply(results)
        return results

    def _read_known(self, results):
        """Meetings (and their appointments) whose id the caller knows: read both in one round."""
        ops, owners = [], []
        for result in results:
            item = result.item
            if not item.meeting_id:
                continue
            path = item.meeting_path(item.meeting_id)
            if item.meeting_state is not None:
                ops.append({"method": "GET", "path": path})
                owners.append((result, "meeting"))
            if item.appointment_state is not None:
                ops.append({"method": "GET", "path": path + "/virtualAppointment"})
                owners.append((result, "appointment"))
        for (result, kind), answer in zip(owners, self._read(ops)):
            if kind == "meeting":
                self._took_meeting(result, answer)
            else:
                self._took_appointment(result, answer)

    def _took_meeting(self, result, answer):
        if answer.ok:
            meeting = models.meeting_from_graph(answer.body)
            item = result.item
            if item.external_id and meeting.get("external_id") != item.external_id:
                # Another appointment's meeting (a stale ledger, a copied id): refused, never written to.
                result.fail(WrongMeeting(item.meeting_id, item.external_id, meeting.get("external_id")), "meeting")
                return
            result.meeting = result.meeting_before = meeting
            result.meeting_exists = True
        elif answer.status == 404:
            result.meeting_exists = False
        else:
            result.fail(answer.error, "meeting")

    def _took_appointment(self, result, answer):
        if answer.ok:
            result.appointment = result.appointment_before = models.appointment_from_graph(answer.body)
            result.etag = _header(answer.headers, "etag")
            result.meeting_exists = True if result.meeting_exists is None else result.meeting_exists
        elif answer.status == 404:
            result.appointment = result.appointment_before = None
        else:
            result.fail(answer.error, "appointment")

    def _ensure_meetings(self, results):
        """createOrGet for wanted meetings whose id is unknown (or whose known id is gone)."""
        ops, owners = [], []
        for result in results:
            item = result.item
            if result.error is not None or item.meeting_state != PRESENT or result.meeting_exists:
                continue
            if not item.external_id:
                result.fail(GraphError(404, "itemNotFound", "the online meeting %s was not found and has no "
                                       "external_id to create it with" % item.meeting_id), "meeting")
                continue
            body = models.meeting_create_body(item.external_id, item.meeting or {})
            predicted = dict(body, id=None)
            ops.append({"method": "POST", "path": item.owner() + graph_path("onlineMeetings", "createOrGet"),
                        "body": body, "predict": (201, predicted)})
            owners.append(result)
        for result, answer in zip(owners, self.write(ops)):
            if not answer.ok:
                result.fail(answer.error, "meeting")
                continue
            result.meeting = models.meeting_from_graph(answer.body)
            if answer.status == 201:
                result.meeting_action = CREATED
                result.meeting_exists = True
                result.meeting_before = None
                result.appointment = result.appointment_before = None  # a new meeting has no appointment
            else:
                result.meeting_before = dict(result.meeting)
                result.meeting_exists = True
                result.adopted = True

    def _read_adopted(self, results):
        """Appointments of meetings that createOrGet found (existing, id was unknown)."""
        ops, owners = [], []
        for result in results:
            if result.error is None and result.adopted and result.item.appointment_state:
                ops.append({"method": "GET", "path": result.item.meeting_path(result.meeting["id"]) +
                            "/virtualAppointment"})
                owners.append(result)
        for result, answer in zip(owners, self._read(ops)):
            self._took_appointment(result, answer)

    # -- plan: the pure planners below, over what was read ---------------------------------------------------------
    def _plan(self, result):
        result.pending = plan(result.item, Observed.of(result))

    # -- apply --------------------------------------------------------------------------------------------------------
    def _apply(self, results, second_try=False):
        ops, owners = [], []
        for result in results:
            if result.error is not None:
                continue
            for kind, op in result.pending:
                ops.append({k: v for k, v in op.items() if k != "changes"})
                owners.append((result, kind, op))
            result.pending = []
        conflicts = []
        for (result, kind, op), answer in zip(owners, self.write(ops)):
            if answer.status == 412 and kind == "appointment_update" and not second_try:
                conflicts.append((result, answer.replayed))
                continue
            if not answer.ok and not (answer.status == 404 and kind.endswith("_delete")):
                result.fail(answer.error, kind.split("_", 1)[0])
                continue
            self._took_write(result, kind, op, answer)
        if conflicts:
            self._replan_conflicts(conflicts)

    def _took_write(self, result, kind, op, answer):
        # 404 answering a DELETE: already gone - unless the DELETE was sent again after an attempt whose answer was
        # lost, which is then what removed it.
        gone = answer.status == 404 and not answer.replayed
        if kind == "meeting_delete":
            result.meeting_action = UNCHANGED if gone else DELETED
            result.meeting_exists = False
            result.meeting = None
            if result.item.appointment_state is not None and result.appointment_before is not None and not gone:
                result.appointment_action = DELETED
            result.appointment = None
        elif kind == "meeting_patch":
            result.meeting = models.meeting_from_graph(answer.body) if answer.body else \
                models.predict_meeting(result.meeting_before, op["body"])
            if result.meeting_action == UNCHANGED:
                result.meeting_action = UPDATED
        elif kind == "appointment_delete":
            result.appointment_action = UNCHANGED if gone else DELETED
            result.appointment = None
        elif kind == "appointment_create":
            result.appointment = models.appointment_from_graph(answer.body) if answer.body else \
                models.predict_appointment(None, result.item.appointment or {})
            result.etag = _header(answer.headers, "etag")
            result.appointment_action = CREATED
        elif kind == "appointment_update":
            if answer.body and answer.status == 200:  # early docs: PATCH answers 200 with the entity
                result.appointment = models.appointment_from_graph(answer.body)
            else:
                result.appointment = models.predict_appointment(result.appointment_before, op["changes"])
            result.etag = _header(answer.headers, "etag") or result.etag
            result.appointment_action = UPDATED

    def _replan_conflicts(self, conflicts):
        """412: the appointment changed since we read it - by someone else, or by our own PATCH when it was sent
        again after its answer was lost (``replayed``).  Read all of them again (one batched round), plan again, write
        once more.  A replayed PATCH whose re-read shows nothing left to do was ours: the item was updated."""
        paths = []
        for result in (pair[0] for pair in conflicts):
            meeting_id = result.meeting["id"] if result.meeting else result.item.meeting_id
            paths.append(result.item.meeting_path(meeting_id) + "/virtualAppointment")
        answers = self._read([{"method": "GET", "path": path} for path in paths])
        for (result, replayed), answer in zip(conflicts, answers):
            before = result.appointment_before
            self._took_appointment(result, answer)
            if result.error is None:
                result.pending = plan_appointment(result.item, Observed.of(result))
                if replayed and not result.pending and result.appointment is not None:
                    result.appointment_before = before  # the diff shows what this run changed
                    result.appointment_action = UPDATED
        self._apply([pair[0] for pair in conflicts], second_try=True)


# -- the planners: pure functions of the desired item and what was read ----------------------------------------------
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


def plan(item, observed):
    """The writes that bring ``item`` from ``observed`` to its desired state: [(kind, op)], in the order they may be
    sent (all in one round: a meeting's patch and its appointment's write do not depend on each other).  ``kind`` is
    meeting_delete, meeting_patch, appointment_create, appointment_update or appointment_delete; ``op`` the request
    with ``predict`` (the answer check mode reports)."""
    ops = plan_meeting(item, observed)
    if item.meeting_state == ABSENT or item.appointment_state is None:
        return ops  # deleting the meeting removes its appointment too
    return ops + plan_appointment(item, observed)


def plan_meeting(item, observed):
    """The meeting's writes: a DELETE when it is absent and exists, a PATCH of the changed properties when present."""
    path = item.meeting_path(observed.meeting_id) if observed.meeting_id else None
    if item.meeting_state == ABSENT:
        if observed.meeting_exists:
            return [("meeting_delete", {"method": "DELETE", "path": path, "predict": (204, None)})]
        return []
    if item.meeting_state == PRESENT and observed.meeting is not None and item.meeting:
        patch = models.meeting_changes(item.meeting, observed.meeting)
        if patch:
            predicted = dict(_meeting_to_graph(observed.meeting), **patch)
            return [("meeting_patch", {"method": "PATCH", "path": path, "body": patch, "predict": (200, predicted)})]
    return []


def plan_appointment(item, observed):
    """The appointment's writes: PUT to create it, PATCH (with If-Match) of the changed properties, or DELETE."""
    actual = observed.appointment
    path = item.meeting_path(observed.meeting_id or "(new meeting)") + "/virtualAppointment"
    if item.appointment_state == ABSENT:
        return [("appointment_delete", {"method": "DELETE", "path": path, "predict": (204, None)})] \
            if actual is not None else []
    desired = item.appointment or {}
    if actual is None:
        predicted = models.predict_appointment(None, desired)
        create = {"method": "PUT", "path": path, "body": models.appointment_to_graph(desired), "provisioning": True,
                  "predict": (201, _appointment_to_graph(predicted))}
        return [("appointment_create", create)]
    changes = models.appointment_changes(desired, actual)
    if not changes:
        return []
    headers = {"If-Match": observed.etag} if observed.etag else {}
    update = {"method": "PATCH", "path": path, "headers": headers, "body": models.appointment_to_graph(changes),
              "predict": (204, None), "changes": changes}
    return [("appointment_update", update)]


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


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _meeting_to_graph(view):
    names = {"subject": "subject", "start_date_time": "startDateTime", "end_date_time": "endDateTime",
             "id": "id", "external_id": "externalId", "join_web_url": "joinWebUrl",
             "creation_date_time": "creationDateTime"}
    return {names[k]: v for k, v in (view or {}).items() if k in names}


def _appointment_to_graph(view):
    body = models.appointment_to_graph({k: v for k, v in view.items() if k in models.APPOINTMENT_FIELDS})
    body["id"] = view.get("id")
    return body


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
