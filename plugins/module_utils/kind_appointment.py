# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The virtualAppointment kind, a child of its online meeting: read with its ETag, created with PUT (which may wait
out the tenant's first-create provisioning), PATCHed with If-Match (412: read again, plan again, once more),
DELETEd."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, CREATED, DELETED, UNCHANGED, UPDATED, Kind, Plan, header)

NAME = "appointment"


def plan_appointment(item, observed):
    """The appointment's writes: PUT to create it, PATCH (with If-Match) of the changed properties, or DELETE."""
    actual = observed.view(NAME)
    path = item.meeting_path(observed.meeting_id or "(new meeting)") + "/virtualAppointment"
    if item.states.get(NAME) == ABSENT:
        return Plan([("appointment_delete", {"method": "DELETE", "path": path, "predict": (204, None)})]
                    if actual is not None else [])
    desired = item.desired.get(NAME) or {}
    if actual is None:
        predicted = models.predict_appointment(None, desired)
        create = {"method": "PUT", "path": path, "body": models.appointment_to_graph(desired), "provisioning": True,
                  "predict": (201, appointment_to_graph(predicted))}
        return Plan([("appointment_create", create)])
    changes = models.appointment_changes(desired, actual)
    if not changes:
        return Plan()
    etag = observed.etag(NAME)
    update = {"method": "PATCH", "path": path, "headers": {"If-Match": etag} if etag else {},
              "body": models.appointment_to_graph(changes), "predict": (204, None), "changes": changes}
    return Plan([("appointment_update", update)])


def appointment_to_graph(view):
    body = models.appointment_to_graph({k: v for k, v in view.items() if k in models.APPOINTMENT_FIELDS})
    body["id"] = view.get("id")
    return body


class AppointmentKind(Kind):
    name = NAME
    parent = "meeting"

    def address(self, item, meeting_id):
        return item.meeting_path(meeting_id) + "/virtualAppointment"

    def took_read(self, result, answer):
        part = self.part(result)
        if answer.ok:
            part.view = part.before = models.appointment_from_graph(answer.body)
            part.etag = header(answer.headers, "etag")
            part.exists = True
            parent = result.parts[self.parent]
            parent.exists = True if parent.exists is None else parent.exists  # found under its meeting
        elif answer.status == 404:
            part.view = part.before = None
            part.exists = False
        else:
            result.fail(answer.error, self.name)

    def read_found(self, result):
        """The appointment of a meeting that createOrGet found (it existed; its ID was unknown)."""
        parent = result.parts[self.parent]
        if parent.found and self.state(result.item):
            return {"method": "GET", "path": self.address(result.item, parent.view["id"])}
        return None

    def plan(self, item, observed, planned=()):
        return plan_appointment(item, observed)

    def took_write(self, result, name, op, answer):
        part = self.part(result)
        if name == "appointment_delete":
            gone = answer.status == 404 and not answer.replayed  # see MeetingKind.took_write
            part.action = UNCHANGED if gone else DELETED
            part.view = None
        elif name == "appointment_create":
            part.view = models.appointment_from_graph(answer.body) if answer.body else \
                models.predict_appointment(None, self.desired(result.item) or {})
            part.etag = header(answer.headers, "etag")
            part.action = CREATED
        elif name == "appointment_update":
            if answer.body and answer.status == 200:  # early docs: PATCH answers 200 with the entity
                part.view = models.appointment_from_graph(answer.body)
            else:
                part.view = models.predict_appointment(part.before, op["changes"])
            part.etag = header(answer.headers, "etag") or part.etag
            part.action = UPDATED

    def conflict(self, name, answer):
        return answer.status == 412 and name == "appointment_update"

    def reread(self, result):
        meeting = result.parts[self.parent].view
        return {"method": "GET", "path": self.address(result.item, meeting["id"] if meeting else
                                                      result.item.meeting_id)}

    def replanned(self, result, before, replayed, more):
        """A replayed PATCH whose re-read shows nothing left to do was ours: the item was updated."""
        part = self.part(result)
        if replayed and not more and part.view is not None:
            part.before = before  # the diff shows what this run changed
            part.action = UPDATED

    def diff(self, result):
        item, part = result.item, self.part(result)
        if self.state(item) is None:
            return None
        desired = self.desired(item) or {}
        if self.state(item) == ABSENT:
            desired = dict(dict.fromkeys(models.APPOINTMENT_FIELDS), settings=dict.fromkeys(models.SETTINGS_FIELDS))
        before = models.appointment_compared_view(part.before, desired) if part.before is not None else {}
        after = models.appointment_compared_view(part.view, desired) if part.view is not None else {}
        return before, after


APPOINTMENT = AppointmentKind()
