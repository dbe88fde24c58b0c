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

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import (
    exports, items, ledger, models, organizers, sms)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    CollectionError, ValidationError, error_dict)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_appointment import APPOINTMENT
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_join_link import JOIN_LINK
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_meeting import MEETING
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_notification import NOTIFICATION
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, DELETED, FAILED, PRESENT, UNCHANGED)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item, Reconciler, Result
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    APP_ONLY_METHODS, delegated_only)

JOIN_LINK_WHAT = "the client join link (getVirtualAppointmentJoinWebUrl)"
SMS_WHAT = "the virtual appointment SMS (sendVirtualAppointmentSms)"


def to_item(where, spec, notification=None, appointment_resource=True, join_link=False):
    """The engine's Item of a batch entry: its meeting and (``appointment_resource``) its virtualAppointment in the
    entry's state, the meeting's client join link when ``join_link`` (and present), and the SMS their changes call
    for when ``notification`` (``{"types", "time_zone"}``) is given."""
    state = spec.get("state") or PRESENT
    appointment = models.desired_appointment(spec)
    appointment.setdefault("external_appointment_id", spec["external_id"])
    states, desired = {MEETING.name: state}, {MEETING.name: models.desired_meeting(spec)}
    # Not managed (today's flow): kept as the item's data, for the SMS that name its clients, never sent.
    desired[APPOINTMENT.name] = appointment if state == PRESENT or not appointment_resource else None
    if appointment_resource:
        states[APPOINTMENT.name] = state
    if join_link and state == PRESENT:
        states[JOIN_LINK.name] = PRESENT
    if notification is not None:
        states[NOTIFICATION.name], desired[NOTIFICATION.name] = PRESENT, notification
    return Item(where, user=spec.get("user"), meeting_id=spec.get("online_meeting_id"),
                external_id=spec["external_id"], states=states, desired=desired)


def item_result(spec, result, diff_mode):
    meeting = result.view(MEETING.name) or {}
    appointment = result.view(APPOINTMENT.name) or {}
    out = {"external_id": spec.get("external_id"), "user": spec.get("user"), "state": spec.get("state") or PRESENT,
           "online_meeting_id": meeting.get("id") or spec.get("online_meeting_id"),
           "join_web_url": meeting.get("join_web_url"),
           "appointment_client_join_web_url": appointment.get("appointment_client_join_web_url"),
           "action": result.action, "meeting_action": result.parts[MEETING.name].action,
           "appointment_action": result.parts[APPOINTMENT.name].action}
    if result.error is not None:
        out["failed_part"] = result.failed_part
        out["error"] = error_dict(result.error)
    if JOIN_LINK.state(result.item) is not None:
        out["client_join_web_url"] = result.view(JOIN_LINK.name)
    note = result.parts[NOTIFICATION.name].note
    if note is not None:
        out["notification"] = note
    if diff_mode:
        out["diff"] = result.diff()
    return out


class Batch:
    """What gather() found besides the entries: the ledger (its file when O(ledger_path) is given), the ledger entries
    no item names when purge is off (``not_purged``), and the pending entries (recorded by an interrupted run)."""

    def __init__(self, ledger_file=None, not_purged=None, pending=None):
        self.ledger_file = ledger_file
        self.not_purged = not_purged
        self.pending = pending or []
        self.known_ids = {}  # folded UPN -> object ID, as the ledger recorded them


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
    if params["include_join_web_url"]:
        problems += delegated_only(params, "include_join_web_url", JOIN_LINK_WHAT)
    if params.get("notify_sms") and params["notify_sms"].get("enabled"):
        problems += delegated_only(params, "notify_sms", SMS_WHAT)
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
    elif known is not None:
        # A ledger given as data is kept in memory as the run records (returned as ledger_document).
        batch.ledger_file = ledger.LedgerDocument(known, params.get("ledger_labels"))
        known = ledger.document(batch.ledger_file.entries)
    if known is not None:
        given = entries
        batch.known_ids = ledger.known_ids(known, where)
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
                  states={MEETING.name: PRESENT}) for index in pending]
    found = engine.run(finds)
    entries, done = list(entries), {}
    for index, result in zip(pending, found):
        where, spec = entries[index]
        meeting_id = result.meeting_id()
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
    given, spellings, unresolved = entries, {}, {}
    if module.settings.method in APP_ONLY_METHODS:  # Graph takes object IDs only from application tokens
        entries, spellings, unresolved = organizers.of_entries(client, entries, batch.known_ids, params["concurrency"])
    recorder = ledger.Recorder(batch.ledger_file, spellings) if batch.ledger_file else None
    engine = Reconciler(client, module.check_mode, params["concurrency"], recorder=recorder)
    entries, done, resolved = resolve_pending(engine, entries)
    for index, done_result in done.items():
        done_result["user"] = given[index][1].get("user")
    running, skipped = [], []
    for index, (where, spec) in enumerate(entries):
        if index in done:
            continue
        unknown = unresolved.get(items.fold(given[index][1].get("user")))
        if unknown is not None:  # its organizer's object ID could not be read: nothing is sent for it
            result = Result(Item(where, user=given[index][1].get("user")))
            result.fail(unknown, MEETING.name)
            done[index] = item_result(given[index][1], result, False)
            continue
        if (spec.get("state") or PRESENT) == ABSENT and not spec.get("online_meeting_id"):
            skipped.append(index)
            module.warn("%s: state absent without online_meeting_id; Graph cannot find the meeting by external_id "
                        "without creating it, so it was left alone" % where)
            continue
        notification = {"types": notify["types"], "time_zone": notify["zones"][index]} if notify else None
        running.append((index, to_item(where, spec, notification, params["appointment_resource"],
                                       params["include_join_web_url"])))
    results = engine.run([pair[1] for pair in running], progress=getattr(module, "progress", None))
    out = [None] * len(entries)
    warned = set()
    engine.record(lambda hook: hook.join_links({result.item.external_id: result.view(JOIN_LINK.name)
                                                for result in results if JOIN_LINK.state(result.item) is not None}))
    for index, result in zip((pair[0] for pair in running), results):
        out[index] = item_result(given[index][1], result, module.diff_mode)
        for warning in result.warnings:
            if warning not in warned:
                warned.add(warning)
                module.warn(warning)
    for index in skipped:
        spec = given[index][1]
        out[index] = {"external_id": spec.get("external_id"), "user": spec.get("user"), "state": ABSENT,
                      "online_meeting_id": None,
                      "join_web_url": None, "appointment_client_join_web_url": None, "action": UNCHANGED,
                      "meeting_action": UNCHANGED, "appointment_action": UNCHANGED}
    for index, done_result in done.items():
        out[index] = done_result
    summary = {"total": len(out)}
    for action in ("created", "updated", "deleted", "unchanged", FAILED):
        summary[action] = sum(1 for r in out if r["action"] == action)
    notes = [r["notification"] for r in out if "notification" in r]
    if notify:
        summary["notified"] = sum(1 for note in notes if "error" not in note)  # check mode: would be
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
    if isinstance(batch.ledger_file, ledger.LedgerDocument):
        # The ledger after the run (recorded as meetings were created and deleted; in check mode as it was given).
        result["ledger_document"] = ledger.document(batch.ledger_file.entries, batch.ledger_file.labels)
    elif batch.ledger_file is not None:
        result["ledger"] = {"path": batch.ledger_file.path, "entries": len(batch.ledger_file.entries)}


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
            lines, causes = [], {}
            for index, entry in failed:
                error = entry.get("error") or {}
                if error.get("cause"):  # the tenant's or the credential's: one line for all the items it failed
                    causes.setdefault(error["cause"], (len(lines), []))[1].append(entries[index][0])
                    if len(causes[error["cause"]][1]) == 1:
                        lines.append(error.get("message"))
                    continue
                lines.append("%s: %s" % (entries[index][0], error.get("message") or error))
            for position, names in causes.values():
                more = " and %d more" % (len(names) - 3) if len(names) > 3 else ""
                lines[position] = "%s%s: %s" % (", ".join(names[:3]), more, lines[position])
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
    appointment_resource=dict(type="bool", default=True),
    include_join_web_url=dict(type="bool", default=False),
    notify_sms=dict(type="dict", options=dict(
        enabled=dict(type="bool", default=True),
        time_zone=dict(type="str"),
        message_types=dict(type="list", elements="str", choices=list(sms.MESSAGE_TYPES),
                           default=list(sms.MESSAGE_TYPES)),
    )),
)
