# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The online meeting kind: read by ID when known, else ensured by its external ID with createOrGet (idempotent, so
a lost answer or a re-run never makes a second meeting), PATCHed with the changed properties, DELETEd."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import GraphError, WrongMeeting
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, CREATED, DELETED, PRESENT, UNCHANGED, UPDATED, Kind)

GRAPH_NAMES = {"subject": "subject", "start_date_time": "startDateTime", "end_date_time": "endDateTime", "id": "id",
               "external_id": "externalId", "join_web_url": "joinWebUrl", "creation_date_time": "creationDateTime"}


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
            predicted = dict(meeting_to_graph(observed.meeting), **patch)
            return [("meeting_patch", {"method": "PATCH", "path": path, "body": patch, "predict": (200, predicted)})]
    return []


def meeting_to_graph(view):
    return {GRAPH_NAMES[k]: v for k, v in (view or {}).items() if k in GRAPH_NAMES}


class MeetingKind(Kind):
    name = "meeting"

    def address(self, item, meeting_id):
        return item.meeting_path(meeting_id)

    def took_read(self, result, answer):
        if answer.ok:
            meeting = models.meeting_from_graph(answer.body)
            item = result.item
            if item.external_id and meeting.get("external_id") != item.external_id:
                # Another appointment's meeting (a stale ledger, a copied id): refused, never written to.
                result.fail(WrongMeeting(item.meeting_id, item.external_id, meeting.get("external_id")), self.name)
                return
            result.meeting = result.meeting_before = meeting
            result.meeting_exists = True
        elif answer.status == 404:
            result.meeting_exists = False
        else:
            result.fail(answer.error, self.name)

    def ensure(self, result):
        """createOrGet for a wanted meeting whose ID is unknown (or whose known ID is gone)."""
        item = result.item
        if item.meeting_state != PRESENT or result.meeting_exists:
            return None
        if not item.external_id:
            result.fail(GraphError(404, "itemNotFound", "the online meeting %s was not found and has no external_id "
                                   "to create it with" % item.meeting_id), self.name)
            return None
        body = models.meeting_create_body(item.external_id, item.meeting or {})
        return {"method": "POST", "path": item.owner() + graph_path("onlineMeetings", "createOrGet"), "body": body,
                "predict": (201, dict(body, id=None))}

    def took_ensure(self, result, answer):
        if not answer.ok:
            result.fail(answer.error, self.name)
            return
        result.meeting = models.meeting_from_graph(answer.body)
        result.meeting_exists = True
        if answer.status == 201:
            result.meeting_action = CREATED
            result.meeting_before = None
            result.appointment = result.appointment_before = None  # a new meeting has no appointment
        else:
            result.meeting_before = dict(result.meeting)
            result.adopted = True

    def plan(self, item, observed):
        return plan_meeting(item, observed)

    def took_write(self, result, name, op, answer):
        if name == "meeting_delete":
            # 404 answering a DELETE: already gone - unless the DELETE was sent again after an attempt whose answer
            # was lost, which is then what removed it.
            gone = answer.status == 404 and not answer.replayed
            result.meeting_action = UNCHANGED if gone else DELETED
            result.meeting_exists = False
            result.meeting = None
            if result.item.appointment_state is not None and result.appointment_before is not None and not gone:
                result.appointment_action = DELETED  # the appointment goes with its meeting
            result.appointment = None
        elif name == "meeting_patch":
            result.meeting = models.meeting_from_graph(answer.body) if answer.body else \
                models.predict_meeting(result.meeting_before, op["body"])
            if result.meeting_action == UNCHANGED:
                result.meeting_action = UPDATED


MEETING = MeetingKind()
