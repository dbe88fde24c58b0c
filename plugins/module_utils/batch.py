# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The batch: many appointments (an online meeting and its virtual appointment each) reconciled in one task.

``run(module)`` is the whole of ``virtual_appointment_batch``: gather the items (the task's, an export file's, the
ledger's for purge) and check every one before any request; reconcile them through the one engine
(reconcile.Reconciler), with the ledger recorded as meetings are created; send the SMS of notify_sms through the
engine's write function; build one result per item, the summary and the task diff; fail at the end naming every
failed item.  The module file holds only its documentation, ``ARGUMENT_SPEC`` (defined here, so the in-process action
plugin needs no module file) and ``main()``.
"""

from __future__ import annotations

import re

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import exports, items, ledger, models, sms
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    CollectionError, ValidationError, error_dict)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, CREATED, DELETED, FAILED, PRESENT, UNCHANGED, UPDATED, header)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item, Predicted, Reconciler, read_appointments

CANCELLATION = "cancellation"
NEW_MEETING = "(new meeting)"  # the meeting of a create predicted in check mode, in the SMS path that is not sent


def to_item(where, spec):
    state = spec.get("state") or PRESENT
    appointment = models.desired_appointment(spec)
    appointment.setdefault("external_appointment_id", spec["external_id"])
    return Item(where, user=spec.get("user"), meeting_id=spec.get("online_meeting_id"),
                external_id=spec["external_id"], meeting=models.desired_meeting(spec), meeting_state=state,
                appointment=appointment if state == PRESENT else None, appointment_state=state)


def item_result(spec, result, diff_mode):
    meeting = result.meeting or {}
    appointment = result.appointment or {}
    out = {"external_id": spec.get("external_id"), "user": spec.get("user"), "state": spec.get("state") or PRESENT,
           "online_meeting_id": meeting.get("id") or spec.get("online_meeting_id"),
           "join_web_url": meeting.get("join_web_url"),
           "appointment_client_join_web_url": appointment.get("appointment_client_join_web_url"),
           "action": result.action, "meeting_action": result.meeting_action,
           "appointment_action": result.appointment_action}
    if result.error is not None:
        out["failed_part"] = result.failed_part
        out["error"] = _error_dict(result.error)
    if diff_mode:
        out["diff"] = result.diff()
    return out


def _error_dict(error):
    return error_dict(error)


class Batch:
    """What gather() found besides the entries: the ledger (its file when O(ledger_path) is given), the ledger entries
    no item names when purge is off (``not_purged``), and the pending entries (recorded by an interrupted run)."""

    def __init__(self, ledger_file=None, not_purged=None, pending=None):
        self.ledger_file = ledger_file
        self.not_purged = not_purged
        self.pending = pending or []


def labelled(given, names):
    """The task's entries, each named as the caller's options name it (``option_names.appointments``): one list name,
    or ``[[name, count], ...]`` for a list made of several (the role's virtual_appointments then
    virtual_appointments_list), so ``appointments[12]`` reads ``virtual_appointments_list[2]``."""
    spans = names.get("appointments") if isinstance(names, dict) else None
    if isinstance(spans, str) and spans:
        return items.entries_of(spans, given)
    if not isinstance(spans, list) or not spans:
        return items.entries_of("appointments", given)
    entries, index = [], 0
    for span in spans:
        name, count = (span[0], int(span[1])) if isinstance(span, (list, tuple)) and len(span) == 2 else (None, 0)
        for local, item in enumerate(given[index:index + count]):
            entries.append((items.label(name, local, item), item))
        index += count
    return entries + [(items.label("appointments", index + local, item), item)
                      for local, item in enumerate(given[index:])]


def renamed(problems, names):
    """Problems with the module's option names replaced by the caller's (``option_names``), e.g. ``notify_sms.`` ->
    ``virtual_appointments_notify_sms.``; item labels are named by labelled() already."""
    pairs = sorted(((key, value) for key, value in (names or {}).items()
                    if key != "appointments" and isinstance(value, str) and value), key=lambda pair: -len(pair[0]))
    if not pairs:
        return problems
    pattern = re.compile(r"(?<![\w.\[])(%s)(?=[.:\s]|$)" % "|".join(re.escape(pair[0]) for pair in pairs))
    lookup = dict(pairs)
    return [pattern.sub(lambda match: lookup[match.group(1)], problem) for problem in problems]


def gather(params):
    """Every entry (where, item) of the batch, validated before any request, with ledger IDs and purge applied
    (refused beyond its guard); what the export file held; the checked notify_sms (None when off); and the Batch
    (the ledger file, what purge leaves alone, pending entries).  Problems name the options as O(option_names)
    says."""
    names = params.get("option_names") or {}
    try:
        return _gather(params, names)
    except ValidationError as exc:
        raise ValidationError(renamed(exc.problems, names))


def _gather(params, names):
    entries, source, problems = labelled(params["appointments"] or [], names), None, []
    problems += items.validate(entries)
    if params["concurrency"] < 1 or params["concurrency"] > 16:
        problems.append("concurrency: must be between 1 and 16")
    if params["ledger"] is not None and params["ledger_path"]:
        problems.append("ledger_path: give ledger or ledger_path, not both")
    if params["purge"] and params["ledger"] is None and not params["ledger_path"]:
        problems.append("purge: needs ledger (only what the ledger lists is ever purged)")
    problems += [problem for problem in [ledger.parse_limit(params["purge_limit"])[1]] if problem]
    if problems:
        raise ValidationError(problems)
    if params["appointments_file"]:
        options = params["appointments_file"]
        from_file, source = exports.read_export(options["path"], options["format"], options["user"])
        problems = items.duplicates(entries + from_file)  # the same external ID in the task and in the file
        if problems:
            raise ValidationError(problems)
        entries += from_file
    batch, known, where = Batch(), params["ledger"], "ledger"
    if params["ledger_path"]:
        batch.ledger_file = ledger.LedgerFile(params["ledger_path"], params.get("ledger_labels"))
        known, where = ledger.document(batch.ledger_file.entries), batch.ledger_file.path
    if known is not None:
        given = entries
        entries = ledger.with_ledger(entries, known, params["purge"], where)
        batch.pending = sorted(key for key, entry in ledger.ledger_entries(known, where).items()
                               if not entry["online_meeting_id"])
        if params["purge"]:
            problems = ledger.purge_guard(entries, known, params["purge_all"], params["purge_limit"], where)
            if problems:
                raise ValidationError(problems)
        else:
            batch.not_purged = ledger.not_purged(given, known, where)
    return entries, source, notify_plan(params.get("notify_sms"), entries), batch


def resolve_pending(engine, entries):
    """Purge entries recorded before their createOrGet by an interrupted run (no meeting ID): createOrGet finds their
    meeting (or makes it: safe, as it is deleted next), so the run can delete it.  Returns the entries with the meeting
    IDs found, {entry index: result} for those that fail (or, in check mode, are predicted: no ID), and the engine's
    results (for ``changed``)."""
    pending = [index for index, entry in enumerate(entries) if entry[1].get("pending")]
    if not pending:
        return entries, {}, []
    finds = [Item(entries[index][0], user=entries[index][1].get("user"), external_id=entries[index][1]["external_id"],
                  meeting={}, meeting_state=PRESENT) for index in pending]
    found = engine.run(finds)
    entries, done = list(entries), {}
    for index, result in zip(pending, found):
        where, spec = entries[index]
        meeting_id = (result.meeting or {}).get("id")
        if result.error is None and meeting_id:
            entries[index] = (where, dict(spec, online_meeting_id=meeting_id))
            continue
        out = item_result(spec, result, False)
        out.update(state=ABSENT, pending=True)
        if result.error is None:  # predicted (check mode): the delete that follows the createOrGet
            out.update(action=DELETED, meeting_action=DELETED, appointment_action=DELETED)
        done[index] = out
    return entries, done, found


def notify_plan(options, entries):
    """notify_sms checked before any request: None when off, else ``{"types", "zones"}`` with the Windows time zone
    of every entry.  Every problem at once, each naming the item and the field: the time zones (an item's
    ``sms_time_zone`` is checked whenever it is given), and, when on, every client phone number of the task."""
    enabled = bool(options) and options.get("enabled") is not False
    problems, zones, default_zone = [], [], None
    if enabled:
        if options.get("time_zone") is not None:
            default_zone, problem = sms.windows_time_zone(options["time_zone"], "notify_sms.time_zone")
            problems += [problem] if problem else []
        else:
            zoneless = [where for where, spec in entries if spec.get("sms_time_zone") is None]
            if zoneless:
                problems.append("notify_sms.time_zone: required when notify_sms is enabled and an item has no "
                                "sms_time_zone (the time zone the SMS states the time in), as %s%s"
                                % (", ".join(zoneless[:3]), " and %d more" % (len(zoneless) - 3)
                                   if len(zoneless) > 3 else ""))
    for where, spec in entries:
        zone = default_zone
        if spec.get("sms_time_zone") is not None:
            zone, problem = sms.windows_time_zone(spec["sms_time_zone"], where + ".sms_time_zone")
            problems += [problem] if problem else []
        zones.append(zone)
        if enabled and (spec.get("state") or PRESENT) == PRESENT:
            problems += sms.client_attendees(spec.get("appointment_clients"), zone, where)[1]
    if problems:
        raise ValidationError(problems)
    if not enabled:
        return None
    types = options.get("message_types")
    return {"types": set(sms.MESSAGE_TYPES if types is None else types), "zones": zones}


def run(module):
    params = module.params
    entries, source, notify, batch = gather(params)
    client = module.client(concurrency=params["concurrency"])
    recorder = ledger.Recorder(batch.ledger_file) if batch.ledger_file else None
    engine = Reconciler(client, module.check_mode, params["concurrency"], recorder=recorder)
    entries, done, resolved = resolve_pending(engine, entries)
    work, skipped = [], []
    for index, (where, spec) in enumerate(entries):
        if index in done:
            continue
        if (spec.get("state") or PRESENT) == ABSENT and not spec.get("online_meeting_id"):
            skipped.append(index)
            module.warn("%s: state absent without online_meeting_id; Graph cannot find the meeting by external_id "
                        "without creating it, so it was left alone" % where)
            continue
        work.append((index, to_item(where, spec)))
    notifier = Notifier(module, engine, notify, entries) if notify else None
    held = notifier.cancel_first(work) if notifier else {}
    running = [(index, item) for index, item in work if index not in held]
    results = engine.run([pair[1] for pair in running], progress=getattr(module, "progress", None))
    out = [None] * len(entries)
    for index, result in zip((pair[0] for pair in running), results):
        out[index] = item_result(entries[index][1], result, module.diff_mode)
    for index in skipped:
        spec = entries[index][1]
        out[index] = {"external_id": spec.get("external_id"), "user": spec.get("user"), "state": ABSENT,
                      "online_meeting_id": None,
                      "join_web_url": None, "appointment_client_join_web_url": None, "action": "unchanged",
                      "meeting_action": "unchanged", "appointment_action": "unchanged"}
    for index, note in held.items():
        out[index] = held_result(entries[index], note)
    for index, done_result in done.items():
        out[index] = done_result
    if notifier:
        for index, note in notifier.after(running, results).items():
            out[index]["notification"] = note
    summary = {"total": len(out)}
    for action in ("created", "updated", "deleted", "unchanged", FAILED):
        summary[action] = sum(1 for r in out if r["action"] == action)
    notes = [r["notification"] for r in out if "notification" in r]
    if notifier:
        summary["notified"] = sum(1 for note in notes if "error" not in note)
        summary["notify_failed"] = sum(1 for note in notes if "error" in note)
    changed = any(r.changed for r in results + resolved) or any(note.get("sent") for note in notes)
    result = {"changed": changed, "appointments": out, "summary": summary}
    ledger_result(module, batch, result)
    if source is not None:
        result["source"] = source
    if module.diff_mode:
        result["diff"] = task_diff(entries, running, results)
    failed = [(index, r) for index, r in enumerate(out) if r["action"] == FAILED]
    unsent = [(index, r) for index, r in enumerate(out)
              if r["action"] != FAILED and "error" in r.get("notification", {})]
    if failed or unsent:
        raise BatchFailed(failed, entries, result, unsent)
    return result


def ledger_result(module, batch, result):
    """The ledger's part of the result: ``not_purged`` (with a warning) when purge is off and ledger entries are
    named by no item, ``pending`` (entries recorded before their createOrGet by an interrupted run), ``ledger``."""
    if batch.not_purged:
        result["not_purged"] = batch.not_purged
        shown = ", ".join(entry["external_id"] for entry in batch.not_purged[:10])
        module.warn("%d appointment%s left the task but stay in Graph and in the ledger, as purge is off: %s%s"
                    % (len(batch.not_purged), "" if len(batch.not_purged) == 1 else "s", shown,
                       " and %d more" % (len(batch.not_purged) - 10) if len(batch.not_purged) > 10 else ""))
    if batch.pending:
        result["pending"] = batch.pending
    if batch.ledger_file is not None:
        result["ledger"] = {"path": batch.ledger_file.path, "entries": len(batch.ledger_file.entries)}


def notification_type(result):
    """The SMS a reconcile result calls for (sms.notification_type): confirmation when the appointment was created,
    reschedule when the meeting's start or end moved (also when a later write of the item failed: the move happened),
    cancellation when the meeting was deleted; None otherwise."""
    return sms.notification_type(
        created=result.appointment_action == CREATED and result.appointment is not None,
        rescheduled=result.meeting_action == UPDATED and result.appointment is not None
        and sms.meeting_moved(result.meeting_before, result.meeting),
        deleted=result.meeting_action == DELETED)


class Notifier:
    """The SMS of notify_sms: built from the clients of each appointment, sent through the engine's one write function
    (its $batch executor never sends an SMS again once it may have reached Graph; in check mode nothing is sent and
    each SMS is reported as planned).

    A cancellation goes before the delete (the SMS action is bound to the meeting); the others after the writes."""

    def __init__(self, module, engine, notify, entries):
        self.module, self.engine, self.notify = module, engine, notify
        self.entries = entries
        self.cancellations = {}  # entry index -> the note of a cancellation sent (or planned) before the delete
        self.warned = set()

    def _warn(self, message):
        if message not in self.warned:
            self.warned.add(message)
            self.module.warn(message)

    def operation(self, index, user, meeting_id, message_type, appointment):
        """The SMS request for one item (None when no client has a phone number).  Numbers that come from Graph
        rather than the task (not checked beforehand) are left out with a warning when they are no phone numbers."""
        where = self.entries[index][0]
        attendees, problems, warnings = sms.client_attendees((appointment or {}).get("appointment_clients"),
                                                             self.notify["zones"][index], where)
        for problem in problems:
            self._warn("%s (left out of the %s SMS)" % (problem, message_type))
        for warning in warnings:
            self._warn(warning)
        if not attendees:
            return None
        return sms.sms_operation(user, meeting_id or NEW_MEETING, message_type, attendees, where=where)

    def send(self, planned):
        """{entry index: note} for [(entry index, operation)], sent through the engine's write function (in check mode
        nothing is sent: the notes say ``sent: false``)."""
        notes = {}
        for index, op in planned:
            notes[index] = {"message_type": op["body"]["messageType"], "sent": False, "request_body": op["body"]}
        if not planned:
            return notes
        writes = [{"method": op["method"], "path": op["path"], "body": op["body"], "predict": (202, None)}
                  for op in (pair[1] for pair in planned)]
        try:
            answers = self.engine.write(writes)
        except CollectionError as exc:  # the executor stopped (sign-in): any of them may have gone
            for index in (pair[0] for pair in planned):
                notes[index].update(error={"message": str(exc)}, may_have_been_sent=True)
            return notes
        for index, answer in zip((pair[0] for pair in planned), answers):
            note = notes[index]
            if isinstance(answer, Predicted):
                continue  # check mode: planned, not sent
            if answer.ok:
                note.update(sent=True, request_id=header(answer.headers, "request-id"))
            else:
                note.update(error=_error_dict(answer.error), may_have_been_sent=sms.may_have_been_sent(answer.status))
        return notes

    def cancel_first(self, work):
        """Send the cancellation of every absent item whose appointment exists, before the engine deletes it.
        Returns the items held back: Graph refused their SMS (it was not sent), so they are not deleted now and the
        next run sends it and deletes.  A cancellation that may have been sent lets the delete go ahead."""
        if CANCELLATION not in self.notify["types"]:
            return {}
        targets = [(index, item) for index, item in work if item.meeting_state == ABSENT and item.meeting_id]
        if not targets:
            return {}
        reads = read_appointments(self.engine.client, [(pair[1].user, pair[1].meeting_id) for pair in targets],
                                  self.engine.concurrency)
        planned = []
        for (index, item), read in zip(targets, reads):
            view, error = read[0], read[2]
            if error is None and view is not None:  # a read error is the engine's to report
                op = self.operation(index, item.user, item.meeting_id, CANCELLATION, view)
                if op is not None:
                    planned.append((index, op))
        held = {}
        for index, note in self.send(planned).items():
            if "error" in note and not note["may_have_been_sent"]:
                held[index] = note
            else:
                self.cancellations[index] = note
        return held

    def after(self, running, results):
        """{entry index: note}: the SMS of each item after its writes (confirmation, reschedule) and the
        cancellations sent before them (planned ones - check mode - only for the deletes the engine predicts)."""
        notes, planned = {}, []
        for (index, item), result in zip(running, results):
            message_type = notification_type(result)
            if index in self.cancellations:
                note = self.cancellations[index]
                if note["sent"] or "error" in note or message_type == CANCELLATION:
                    notes[index] = note
                continue
            if message_type is None or message_type == CANCELLATION or message_type not in self.notify["types"]:
                continue
            op = self.operation(index, item.user, (result.meeting or {}).get("id") or item.meeting_id, message_type,
                                result.appointment)
            if op is not None:
                planned.append((index, op))
        notes.update(self.send(planned))
        return notes


def held_result(entry, note):
    """The result of an absent item that was not deleted because Graph refused its cancellation SMS."""
    where, spec = entry
    error = dict(note["error"])
    error["message"] = ("not deleted: its cancellation SMS was not sent (%s); the next run sends it and deletes the "
                        "meeting (or drop cancellation from notify_sms.message_types to delete without it)"
                        % note["error"].get("message"))
    return {"external_id": spec.get("external_id"), "user": spec.get("user"), "state": ABSENT,
            "online_meeting_id": spec.get("online_meeting_id"), "join_web_url": None,
            "appointment_client_join_web_url": None, "action": FAILED, "meeting_action": UNCHANGED,
            "appointment_action": UNCHANGED, "failed_part": "notification", "error": error, "notification": note}


def task_diff(entries, running, results):
    """One diff entry per changed item, so ``--diff`` shows them as Ansible shows any diff (GitOps review)."""
    diffs = []
    for index, result in zip((pair[0] for pair in running), results):
        if not result.changed:
            continue
        diff = result.diff()
        name = "%s %s" % (entries[index][0], result.action)
        diffs.append({"before_header": name, "after_header": name, "before": diff["before"], "after": diff["after"]})
    return diffs


class BatchFailed(CollectionError):
    """Some items or their SMS failed: the message names every one; every item's result is still returned."""

    def __init__(self, failed, entries, result, unsent=()):
        parts = []
        if failed:
            lines = []
            for index, entry in failed:
                error = entry.get("error") or {}
                lines.append("%s: %s" % (entries[index][0], error.get("message") or error))
            parts.append("%d of %d appointments failed: %s" % (len(failed), len(entries), "; ".join(lines)))
        if unsent:
            lines = []
            for index, entry in unsent:
                note = entry["notification"]
                lines.append("%s: %s SMS %s: %s" % (
                    entries[index][0], note["message_type"],
                    "may or may not have been sent (its answer was lost; not sent again, so nobody gets it twice)"
                    if note.get("may_have_been_sent") else "was not sent", note["error"].get("message")))
            parts.append("%d SMS notifications failed, but the appointments themselves were written (send them with "
                         "virtual_appointment_sms if they did not arrive): %s" % (len(unsent), "; ".join(lines)))
        super().__init__(". ".join(parts))
        self.result = result

    def fail_kwargs(self):
        out = dict(self.result)
        out["msg"] = str(self)
        return out


ARGUMENT_SPEC = dict(
    appointments=dict(type="list", elements="dict", default=[]),
    appointments_file=dict(type="dict", options=dict(
        path=dict(type="path", required=True),
        format=dict(type="str", choices=list(exports.FORMATS), default="auto"),
        user=dict(type="str"),
    )),
    ledger=dict(type="dict"),
    ledger_path=dict(type="path"),
    ledger_labels=dict(type="dict"),
    purge=dict(type="bool", default=False),
    purge_all=dict(type="bool", default=False),
    purge_limit=dict(type="str", default=ledger.DEFAULT_PURGE_LIMIT),
    option_names=dict(type="dict"),
    concurrency=dict(type="int", default=4),
    notify_sms=dict(type="dict", options=dict(
        enabled=dict(type="bool", default=True),
        time_zone=dict(type="str"),
        message_types=dict(type="list", elements="str", choices=list(sms.MESSAGE_TYPES),
                           default=list(sms.MESSAGE_TYPES)),
    )),
)
