# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The client join link of a meeting (``getVirtualAppointmentJoinWebUrl``, v1.0 and beta; graph-today.md 3): what a
virtual appointment's client opens, in today's flow of "bring your own scheduling system" - the meeting found by
its external ID, this link handed to the scheduling system.  Read only: read with the meeting when its ID is known,
else once createOrGet made or found it (a meeting predicted in check mode has no link yet).  Graph serves it with
delegated permissions only (VirtualAppointment.Read)."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import CREATED, Kind

NAME = "join_link"


class JoinLinkKind(Kind):
    name = NAME
    parent = "meeting"
    resource = False  # read, never written: not the item's action

    def address(self, item, meeting_id):
        return item.meeting_path(meeting_id) + "/getVirtualAppointmentJoinWebUrl"

    def took_read(self, result, answer):
        part = self.part(result)
        if answer.ok:
            part.view = part.before = (answer.body or {}).get("value")
            part.exists = part.view is not None
        elif answer.status == 404:  # the meeting is gone (createOrGet makes it, then the link is read again)
            part.view = part.before = None
        else:
            result.fail(answer.error, self.name)

    def read_found(self, result):
        """The link of a meeting that createOrGet made or found."""
        meeting = result.parts[self.parent]
        if self.state(result.item) and meeting.view and meeting.view.get("id") and \
                (meeting.found or meeting.action == CREATED):
            return {"method": "GET", "path": self.address(result.item, meeting.view["id"])}
        return None


JOIN_LINK = JoinLinkKind()
