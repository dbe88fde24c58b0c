# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The virtualAppointment kind, a child of its online meeting: read with its ETag, created with PUT (which may wait
out the tenant's first-create provisioning), PATCHed with If-Match (412: read again, plan again, once more),
DELETEd."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, CREATED, DELETED, UNCHANGED, UPDATED, Kind, header)


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
                  "predict": (201, appointment_to_graph(predicted))}
        return [("appointment_create", create)]
    changes = models.appointment_changes(desired, actual)
    if not changes:
        return []
    headers = {"If-Match": observed.etag} if observed.etag else {}
    update = {"method": "PATCH", "path": path, "headers": headers, "body": models.appointment_to_graph(changes),
              "predict": (204, None), "changes": changes}
    return [("appointment_update", update)]


def appointment_to_graph(view):
    body = models.appointment_to_graph({k: v for k, v in view.items() if k in models.APPOINTMENT_FIELDS})
    body["id"] = view.get("id")
    return body


class AppointmentKind(Kind):
    name = "appointment"
    parent = "meeting"

    def address(self, item, meeting_id):
        return item.meeting_path(meeting_id) + "/virtualAppointment"

    def took_read(self, result, answer):
        if answer.ok:
            result.appointment = result.appointment_before = models.appointment_from_graph(answer.body)
            result.etag = header(answer.headers, "etag")
            result.meeting_exists = True if result.meeting_exists is None else result.meeting_exists
        elif answer.status == 404:
            result.appointment = result.appointment_before = None
        else:
            result.fail(answer.error, self.name)

    def read_found(self, result):
        """The appointment of a meeting that createOrGet found (it existed; its ID was unknown)."""
        if result.adopted and result.item.appointment_state:
            return {"method": "GET", "path": self.address(result.item, result.meeting["id"])}
        return None

    def plan(self, item, observed):
        return plan_appointment(item, observed)

    def took_write(self, result, name, op, answer):
        if name == "appointment_delete":
            gone = answer.status == 404 and not answer.replayed  # see MeetingKind.took_write
            result.appointment_action = UNCHANGED if gone else DELETED
            result.appointment = None
        elif name == "appointment_create":
            result.appointment = models.appointment_from_graph(answer.body) if answer.body else \
                models.predict_appointment(None, result.item.appointment or {})
            result.etag = header(answer.headers, "etag")
            result.appointment_action = CREATED
        elif name == "appointment_update":
            if answer.body and answer.status == 200:  # early docs: PATCH answers 200 with the entity
                result.appointment = models.appointment_from_graph(answer.body)
            else:
                result.appointment = models.predict_appointment(result.appointment_before, op["changes"])
            result.etag = header(answer.headers, "etag") or result.etag
            result.appointment_action = UPDATED

    def conflict(self, name, answer):
        return answer.status == 412 and name == "appointment_update"

    def reread(self, result):
        meeting_id = result.meeting["id"] if result.meeting else result.item.meeting_id
        return {"method": "GET", "path": self.address(result.item, meeting_id)}

    def replanned(self, result, before, replayed):
        """A replayed PATCH whose re-read shows nothing left to do was ours: the item was updated."""
        if replayed and not result.pending and result.appointment is not None:
            result.appointment_before = before  # the diff shows what this run changed
            result.appointment_action = UPDATED

    def snapshot(self, result):
        return result.appointment_before


APPOINTMENT = AppointmentKind()
