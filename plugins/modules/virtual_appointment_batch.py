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
    C(virtual_appointments) role keeps them in its ledger); without it the item is left alone with a warning.
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  appointments:
    description: The appointments to reconcile.
    type: list
    elements: dict
    required: true
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

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    CollectionError, ValidationError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import (
    ABSENT, FAILED, PRESENT, Item, Reconciler)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.runner import GraphModule
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    appointment_problems, meeting_problems)

ITEM_KEYS = ("external_id", "user", "state", "online_meeting_id", "subject", "start_date_time", "end_date_time") + \
    models.APPOINTMENT_FIELDS


def label(index, item):
    external_id = item.get("external_id") if isinstance(item, dict) else None
    return "appointments[%d]%s" % (index, " (external_id %s)" % external_id if external_id else "")


def validate(appointments):
    """Every problem of every item, before any request."""
    problems, seen = [], {}
    for index, item in enumerate(appointments):
        where = label(index, item)
        if not isinstance(item, dict):
            problems.append("%s: must be a mapping" % where)
            continue
        unknown = sorted(set(item) - set(ITEM_KEYS))
        if unknown:
            problems.append("%s: unknown key(s) %s" % (where, ", ".join(unknown)))
        for key in ("external_id", "user", "online_meeting_id"):
            if item.get(key) is not None and not isinstance(item[key], str):
                problems.append("%s.%s: must be a string, got %s" % (where, key, type(item[key]).__name__))
        if not item.get("external_id"):
            problems.append("%s.external_id: required" % where)
        if item.get("state", PRESENT) not in (PRESENT, ABSENT):
            problems.append("%s.state: must be present or absent, got %r" % (where, item.get("state")))
        problems += meeting_problems(item, where)
        problems += appointment_problems(item, where)
        if isinstance(item.get("external_id"), str) and item["external_id"]:
            key = ((item.get("user") or "").casefold(), item["external_id"])
            if key in seen:
                problems.append("%s.external_id: %s is also appointments[%d] for the same organizer"
                                % (where, item["external_id"], seen[key]))
            seen.setdefault(key, index)
    return problems


def to_item(index, spec):
    state = spec.get("state") or PRESENT
    appointment = models.desired_appointment(spec)
    appointment.setdefault("external_appointment_id", spec["external_id"])
    return Item(label(index, spec), user=spec.get("user"), meeting_id=spec.get("online_meeting_id"),
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


def run(module):
    params = module.params
    appointments = params["appointments"]
    problems = validate(appointments)
    if params["concurrency"] < 1 or params["concurrency"] > 16:
        problems.append("concurrency: must be between 1 and 16")
    if problems:
        raise ValidationError(problems)
    items, skipped = [], []
    for index, spec in enumerate(appointments):
        if (spec.get("state") or PRESENT) == ABSENT and not spec.get("online_meeting_id"):
            skipped.append(index)
            module.warn("%s: state absent without online_meeting_id; Graph cannot find the meeting by external_id "
                        "without creating it, so it was left alone" % label(index, spec))
            continue
        items.append((index, to_item(index, spec)))
    engine = Reconciler(module.client(concurrency=params["concurrency"]), module.check_mode, params["concurrency"])
    results = engine.run([item for dummy, item in items])
    out = [None] * len(appointments)
    for (index, dummy), result in zip(items, results):
        out[index] = item_result(appointments[index], result, module.diff_mode)
    for index in skipped:
        spec = appointments[index]
        out[index] = {"external_id": spec.get("external_id"), "user": spec.get("user"), "state": ABSENT,
                      "online_meeting_id": None,
                      "join_web_url": None, "appointment_client_join_web_url": None, "action": "unchanged",
                      "meeting_action": "unchanged"}
    summary = {"total": len(out)}
    for action in ("created", "updated", "deleted", "unchanged", FAILED):
        summary[action] = sum(1 for r in out if r["action"] == action)
    changed = any(r.changed for r in results)
    result = {"changed": changed, "appointments": out, "summary": summary}
    if module.diff_mode:
        result["diff"] = task_diff(appointments, items, results)
    failed = [(index, r) for index, r in enumerate(out) if r["action"] == FAILED]
    if failed:
        raise BatchFailed(failed, appointments, result)
    return result


def task_diff(appointments, items, results):
    """One diff entry per changed item, so ``--diff`` shows them as Ansible shows any diff (GitOps review)."""
    entries = []
    for (index, dummy), result in zip(items, results):
        if not result.changed:
            continue
        diff = result.diff()
        name = "%s %s" % (label(index, appointments[index]), result.action)
        entries.append({"before_header": name, "after_header": name, "before": diff["before"],
                        "after": diff["after"]})
    return entries


class BatchFailed(CollectionError):
    """Some items failed: the message names every one; every item's result is still returned."""

    def __init__(self, failed, appointments, result):
        lines = []
        for index, entry in failed:
            error = entry.get("error") or {}
            lines.append("%s: %s" % (label(index, appointments[index]), error.get("message") or error))
        super().__init__("%d of %d appointments failed: %s" % (len(failed), len(appointments), "; ".join(lines)))
        self.result = result

    def fail_kwargs(self):
        out = dict(self.result)
        out["msg"] = str(self)
        return out


def main():
    module = GraphModule(dict(
        appointments=dict(type="list", elements="dict", required=True),
        concurrency=dict(type="int", default=4),
    ))
    module.run(run)


if __name__ == "__main__":
    main()
