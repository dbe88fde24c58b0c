#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_appointment_batch
short_description: Reconcile many virtual appointments and their online meetings in one task
description:
  - Ensures a list of appointments - each an online meeting ensured by its external ID and the virtual appointment
    on it - in one task, with one sign-in and Graph C($batch) (20 requests a call, O(concurrency) calls in flight).
  - Reads every item first, then writes only the differences (the same engine and rules as
    M(cloudcomms.virtual_appointments.virtual_appointment) and M(cloudcomms.virtual_appointments.online_meeting)). A
    second run with the same input makes no write and reports C(changed=false).
  - Every item is validated before any request; all problems are reported together, each naming the item (index and
    external ID) and the field.
  - A Graph failure on one item never stops the others; the task fails at the end naming every failed item, and
    still returns every item's result.
  - An item with O(appointments[].state=absent) deletes the meeting, and with it its appointment. Graph cannot find a
    meeting by external ID without creating it, so an absent item needs its O(appointments[].online_meeting_id) (the
    C(virtual_appointments) role keeps them in its ledger, see O(ledger)); without it the item is left alone with a
    warning.
  - The items come from O(appointments), from a scheduling-system export file (O(appointments_file), read by the
    module itself, so thousands of items never pass through Ansible variables), or both.
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  appointments:
    description: The appointments to reconcile (items of O(appointments_file) come after these).
    type: list
    elements: dict
    default: []
    suboptions:
      external_id:
        description:
          - Your ID of the appointment (scheduling system); the meeting's C(createOrGet) external ID. Unique per
            organizer.
        type: str
        required: true
      user:
        description:
          - Organizer - object ID or user principal name (application permissions). Omit for the signed-in user
            (delegated).
        type: str
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
      online_meeting_id:
        description: Graph ID of the meeting when known (from a previous run); makes check mode exact.
        type: str
      subject:
        description: Meeting subject.
        type: str
      start_date_time:
        description: Meeting start, ISO 8601 with offset.
        type: str
      end_date_time:
        description: Meeting end, ISO 8601 with offset.
        type: str
      appointment_clients:
        description: Clients; see M(cloudcomms.virtual_appointments.virtual_appointment).
        type: list
        elements: dict
      external_appointment_id:
        description: ID of the appointment in the scheduling system (defaults to O(appointments[].external_id)).
        type: str
      external_appointment_url:
        description: Absolute http(s) URL of the appointment in the scheduling system.
        type: str
      appointment_client_join_web_url:
        description: Overrides the client join URL Graph generates.
        type: str
      settings:
        description: Appointment settings (C(allow_client_to_join_using_browser)).
        type: dict
  appointments_file:
    description:
      - A scheduling-system export holding more appointments, read on the controller by the module. Each item has the
        keys of O(appointments).
      - JSON or YAML - a list of items, or a mapping with an C(appointments) list.
      - CSV - a header row naming item keys, one row an item; an empty cell is an option not set; C(appointment_clients)
        and C(settings) cells hold JSON; the columns C(client_display_name), C(client_email_address) and
        C(client_sms_capable_phone_number) give a single client instead.
      - Errors name the file and the item (C(export.json[4]), C(export.csv line 5)) and the field.
    type: dict
    suboptions:
      path:
        description: Path of the file on the controller (UTF-8).
        type: path
        required: true
      format:
        description: File format; V(auto) goes by the extension (C(.csv), C(.yml)/C(.yaml), else JSON).
        type: str
        choices: [auto, json, yaml, csv]
        default: auto
      user:
        description:
          - Take only this organizer's items (compared case-insensitively), for a file shared by several organizers
            (one task per organizer, as the C(virtual_appointments) role runs it). Every item of the file must then
            name its C(user), and every item of the file is validated, so bad input anywhere in the file stops every
            organizer before anything is written.
        type: str
  ledger:
    description:
      - What a previous run recorded - a mapping of external ID to C({online_meeting_id, user}), or a whole ledger
        document of the C(virtual_appointments) role (C({format, appointments})).
      - Items that give no C(online_meeting_id) take the recorded one for the same external ID and organizer, so
        check mode is exact and absent items can be found. With a ledger, an external ID names one appointment; the
        same external ID for several organizers is an error.
    type: dict
  purge:
    description:
      - With O(ledger), delete the meeting (and its appointment) of every ledger entry that no item names any more.
        Nothing the ledger does not list is ever deleted. With no items at all, this removes everything the ledger
        lists (decommission).
    type: bool
    default: false
  concurrency:
    description: C($batch) calls in flight at once (each carries up to 20 requests).
    type: int
    default: 4
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
seealso:
  - module: cloudcomms.virtual_appointments.virtual_appointment
  - module: cloudcomms.virtual_appointments.online_meeting
"""

EXAMPLES = r"""
- name: Provision appointments exported from the scheduling system
  cloudcomms.virtual_appointments.virtual_appointment_batch:
    appointments:
      - external_id: A-1001
        user: adele.vance@contoso.onmicrosoft.com
        subject: Mortgage consultation
        start_date_time: "2026-12-01T15:00:00+01:00"
        end_date_time: "2026-12-01T15:45:00+01:00"
        external_appointment_url: https://scheduling.example.com/appointments/A-1001
        appointment_clients:
          - display_name: Grady Archie
            email_address: gradya@contoso.com
        settings:
          allow_client_to_join_using_browser: true
      - external_id: A-1002
        user: adele.vance@contoso.onmicrosoft.com
        subject: Pension review
        start_date_time: "2026-12-02T09:00:00+01:00"
        end_date_time: "2026-12-02T09:30:00+01:00"
        appointment_clients:
          - display_name: Megan Bowen
            email_address: meganb@contoso.com
  register: batch

- name: Show what happened
  ansible.builtin.debug:
    msg: "{{ batch.summary }}"

- name: Save a scheduling-system export (usually it arrives as a file; one row an appointment)
  ansible.builtin.copy:
    dest: /tmp/appointments-export.csv
    mode: "0600"
    content: |
      external_id,user,subject,start_date_time,end_date_time,client_display_name,client_email_address
      A-2001,adele.vance@contoso.onmicrosoft.com,Loan review,2026-12-03T10:00:00+01:00,2026-12-03T10:30:00+01:00,Lee Gu,leeg@contoso.com
      A-2002,diego.siciliani@contoso.onmicrosoft.com,Card review,2026-12-03T11:00:00+01:00,2026-12-03T11:30:00+01:00,Pat Q,pat@contoso.com

- name: Plan one organizer's share of the export; the module reads the file, not Ansible
  cloudcomms.virtual_appointments.virtual_appointment_batch:
    appointments_file:
      path: /tmp/appointments-export.csv
      user: adele.vance@contoso.onmicrosoft.com
  check_mode: true
  register: plan

- name: Show the plan
  ansible.builtin.debug:
    msg: "{{ plan.summary }} ({{ plan.source.taken }} of the {{ plan.source.items }} rows are this organizer's)"
"""

RETURN = r"""
appointments:
  description: One result per input item, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    external_id:
      description: The item's external ID.
      type: str
      sample: A-1001
    user:
      description: The organizer as given.
      type: str
      sample: adele.vance@contoso.onmicrosoft.com
    state:
      description: The item's O(appointments[].state).
      type: str
      choices: [present, absent]
      sample: present
    online_meeting_id:
      description: Graph ID of the meeting (null for a create predicted in check mode).
      type: str
      sample: MSozYjZlOWYyMC03YzFhLTRkNTgtYjJlNC05YTBjNWQ3ZjFlODYqMCoqMTk6bWVldGluZ18
    join_web_url:
      description: Teams join link of the meeting.
      type: str
      sample: https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0
    appointment_client_join_web_url:
      description: The link clients join with.
      type: str
      sample: https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=a796be92-&convId=19:meeting_x@thread.v2
    action:
      description: What happened to the appointment.
      type: str
      choices: [created, updated, deleted, unchanged, failed]
      sample: created
    meeting_action:
      description: What happened to the meeting.
      type: str
      choices: [created, updated, deleted, unchanged]
      sample: created
    diff:
      description: Before and after of the compared view, in diff mode.
      type: dict
      sample: {"before": {"meeting": {}, "appointment": {}}, "after": {"meeting": {"subject": "x"}, "appointment": {}}}
    error:
      description: The Graph error of a failed item (status, code, message, request_id, client_request_id, date).
      type: dict
      sample: {"status": 403, "code": "Unauthorized", "message": "App ... is not authorized", "request_id": "599d9cb0"}
diff:
  description:
    - In diff mode, one entry per changed item (before and after of its compared view), which C(--diff) displays.
  returned: when diff mode is on
  type: list
  elements: dict
  sample: [{"before_header": "appointments[0] (external_id A-1001) updated", "before": {"meeting": {"subject": "a"}},
            "after_header": "appointments[0] (external_id A-1001) updated", "after": {"meeting": {"subject": "b"}}}]
source:
  description: What O(appointments_file) held - its items in all, the items taken, and the items by organizer.
  returned: when O(appointments_file) is given
  type: dict
  sample: {"path": "/srv/export.csv", "format": "csv", "items": 300, "taken": 50,
           "users": {"adele.vance@contoso.onmicrosoft.com": 50, "diego.siciliani@contoso.onmicrosoft.com": 250}}
summary:
  description: Counts of items by action (an item whose meeting alone changed counts as updated).
  returned: always
  type: dict
  sample: {"total": 2, "created": 1, "updated": 0, "deleted": 0, "unchanged": 1, "failed": 0}
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: client_secret
waits:
  description: Retries Graph asked for, when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 3, "seconds": 3.0, "longest": 1.0, "by_reason": {"429 throttled": 3}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models, plan
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    CollectionError, ValidationError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import (
    ABSENT, FAILED, PRESENT, Item, Reconciler)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.runner import GraphModule


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
           "action": result.action, "meeting_action": result.meeting_action}
    if result.error is not None:
        out["error"] = result.error.as_dict() if hasattr(result.error, "as_dict") else {"message": str(result.error)}
    if diff_mode:
        out["diff"] = result.diff()
    return out


def gather(params):
    """Every entry (where, item) of the batch, validated before any request, with ledger IDs and purge applied;
    and what the export file held."""
    entries, source, problems = plan.entries_of("appointments", params["appointments"] or []), None, []
    problems += plan.validate(entries)
    if params["concurrency"] < 1 or params["concurrency"] > 16:
        problems.append("concurrency: must be between 1 and 16")
    if params["purge"] and params["ledger"] is None:
        problems.append("purge: needs ledger (only what the ledger lists is ever purged)")
    if problems:
        raise ValidationError(problems)
    if params["appointments_file"]:
        options = params["appointments_file"]
        from_file, source = plan.read_export(options["path"], options["format"], options["user"])
        problems = plan.duplicates(entries + from_file)  # the same external ID in the task and in the file
        if problems:
            raise ValidationError(problems)
        entries += from_file
    if params["ledger"] is not None:
        entries = plan.with_ledger(entries, params["ledger"], params["purge"])
    return entries, source


def run(module):
    params = module.params
    entries, source = gather(params)
    items, skipped = [], []
    for index, (where, spec) in enumerate(entries):
        if (spec.get("state") or PRESENT) == ABSENT and not spec.get("online_meeting_id"):
            skipped.append(index)
            module.warn("%s: state absent without online_meeting_id; Graph cannot find the meeting by external_id "
                        "without creating it, so it was left alone" % where)
            continue
        items.append((index, to_item(where, spec)))
    engine = Reconciler(module.client(concurrency=params["concurrency"]), module.check_mode, params["concurrency"])
    results = engine.run([item for dummy, item in items])
    out = [None] * len(entries)
    for (index, dummy), result in zip(items, results):
        out[index] = item_result(entries[index][1], result, module.diff_mode)
    for index in skipped:
        spec = entries[index][1]
        out[index] = {"external_id": spec.get("external_id"), "user": spec.get("user"), "state": ABSENT,
                      "online_meeting_id": None,
                      "join_web_url": None, "appointment_client_join_web_url": None, "action": "unchanged",
                      "meeting_action": "unchanged"}
    summary = {"total": len(out)}
    for action in ("created", "updated", "deleted", "unchanged", FAILED):
        summary[action] = sum(1 for r in out if r["action"] == action)
    changed = any(r.changed for r in results)
    result = {"changed": changed, "appointments": out, "summary": summary}
    if source is not None:
        result["source"] = source
    if module.diff_mode:
        result["diff"] = task_diff(entries, items, results)
    failed = [(index, r) for index, r in enumerate(out) if r["action"] == FAILED]
    if failed:
        raise BatchFailed(failed, entries, result)
    return result


def task_diff(entries, items, results):
    """One diff entry per changed item, so ``--diff`` shows them as Ansible shows any diff (GitOps review)."""
    diffs = []
    for (index, dummy), result in zip(items, results):
        if not result.changed:
            continue
        diff = result.diff()
        name = "%s %s" % (entries[index][0], result.action)
        diffs.append({"before_header": name, "after_header": name, "before": diff["before"], "after": diff["after"]})
    return diffs


class BatchFailed(CollectionError):
    """Some items failed: the message names every one; every item's result is still returned."""

    def __init__(self, failed, entries, result):
        lines = []
        for index, entry in failed:
            error = entry.get("error") or {}
            lines.append("%s: %s" % (entries[index][0], error.get("message") or error))
        super().__init__("%d of %d appointments failed: %s" % (len(failed), len(entries), "; ".join(lines)))
        self.result = result

    def fail_kwargs(self):
        out = dict(self.result)
        out["msg"] = str(self)
        return out


def main():
    module = GraphModule(dict(
        appointments=dict(type="list", elements="dict", default=[]),
        appointments_file=dict(type="dict", options=dict(
            path=dict(type="path", required=True),
            format=dict(type="str", choices=list(plan.FORMATS), default="auto"),
            user=dict(type="str"),
        )),
        ledger=dict(type="dict"),
        purge=dict(type="bool", default=False),
        concurrency=dict(type="int", default=4),
    ))
    module.run(run)


if __name__ == "__main__":
    main()
