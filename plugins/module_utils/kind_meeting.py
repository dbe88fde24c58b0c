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
    ABSENT, CREATED, DELETED, PRESENT, UNCHANGED, UPDATED, Kind, Plan)

NAME = "meeting"
GRAPH_NAMES = {"subject": "subject", "start_date_time": "startDateTime", "end_date_time": "endDateTime", "id": "id",
               "external_id": "externalId", "join_web_url": "joinWebUrl", "creation_date_time": "creationDateTime"}


def plan_meeting(item, observed):
    """The meeting's writes: a DELETE when it is absent and exists, a PATCH of the changed properties when present."""
    path = item.meeting_path(observed.meeting_id) if observed.meeting_id else None
    state, desired, actual = item.states.get(NAME), item.desired.get(NAME), observed.view(NAME)
    if state == ABSENT:
        if observed.exists(NAME):
            return Plan([("meeting_delete", {"method": "DELETE", "path": path, "predict": (204, None)})])
        return Plan()
    if state == PRESENT and actual is not None and desired:
        patch = models.meeting_changes(desired, actual)
        if patch:
            predicted = dict(meeting_to_graph(actual), **patch)
            return Plan([("meeting_patch", {"method": "PATCH", "path": path, "body": patch,
                                            "predict": (200, predicted)})])
    return Plan()


def meeting_to_graph(view):
    return {GRAPH_NAMES[k]: v for k, v in (view or {}).items() if k in GRAPH_NAMES}


class MeetingKind(Kind):
    name = NAME

    def address(self, item, meeting_id):
        return item.meeting_path(meeting_id)

    def took_read(self, result, answer):
        part = self.part(result)
        if answer.ok:
            meeting = models.meeting_from_graph(answer.body)
            item = result.item
            if item.external_id and meeting.get("external_id") != item.external_id:
                # Another appointment's meeting (a stale ledger, a copied id): refused, never written to.
                result.fail(WrongMeeting(item.meeting_id, item.external_id, meeting.get("external_id")), self.name)
                return
            part.view = part.before = meeting
            part.exists = True
        elif answer.status == 404:
            part.exists = False
        else:
            result.fail(answer.error, self.name)

    def ensure(self, result):
        """createOrGet for a wanted meeting whose ID is unknown (or whose known ID is gone)."""
        item = result.item
        if self.state(item) != PRESENT or self.part(result).exists:
            return None
        if not item.external_id:
            result.fail(GraphError(404, "itemNotFound", "the online meeting %s was not found and has no external_id "
                                   "to create it with" % item.meeting_id), self.name)
            return None
        body = models.meeting_create_body(item.external_id, self.desired(item) or {})
        return {"method": "POST", "path": item.owner() + graph_path("onlineMeetings", "createOrGet"), "body": body,
                "predict": (201, dict(body, id=None))}

    def took_ensure(self, result, answer):
        if not answer.ok:
            result.fail(answer.error, self.name)
            return
        part = self.part(result)
        part.view = models.meeting_from_graph(answer.body)
        part.exists = True
        if answer.status == 201:
            part.action = CREATED
            part.before = None
        else:
            part.before = dict(part.view)
            part.found = True

    def plan(self, item, observed, planned=()):
        return plan_meeting(item, observed)

    def took_write(self, result, name, op, answer):
        part = self.part(result)
        if name == "meeting_delete":
            # 404 answering a DELETE: already gone - unless the DELETE was sent again after an attempt whose answer
            # was lost, which is then what removed it.
            gone = answer.status == 404 and not answer.replayed
            part.action = UNCHANGED if gone else DELETED
            part.exists = False
            part.view = None
        elif name == "meeting_patch":
            part.view = models.meeting_from_graph(answer.body) if answer.body else \
                models.predict_meeting(part.before, op["body"])
            if part.action == UNCHANGED:
                part.action = UPDATED

    def diff(self, result):
        item, part = result.item, self.part(result)
        desired = self.desired(item)
        if self.state(item) is None or desired is None:
            return None
        # A delete removes every property: show them all going, not the (empty) set of options given.
        wanted = desired if self.state(item) != ABSENT else dict.fromkeys(models.MEETING_FIELDS)
        after = models.meeting_compared_view(part.view, wanted) if part.action != DELETED else {}
        return models.meeting_compared_view(part.before, wanted), after


MEETING = MeetingKind()
