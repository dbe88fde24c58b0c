# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SMS notification kind (the batch's notify_sms): the SMS a change of the item calls for, planned from the writes
the other kinds planned and sent through the engine's one write function.

- A confirmation after the appointment's create, a reschedule after a PATCH that moves the meeting's start or end:
  each is an ``after`` write, sent only once the write it follows succeeded.
- A cancellation before the delete that removes the appointment (``before``): the SMS action is bound to the meeting,
  so it cannot go after.  When Graph refuses it (it was not sent), the delete is held back and the item fails, so the
  next run sends it and deletes; when its answer is lost (it may have been sent), the delete goes ahead.

An SMS is sent, not kept: the kind reads nothing, is never the item's action, and an SMS whose answer was lost is
never sent again (the $batch executor does not replay a POST that may have reached Graph)."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models, sms
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import GraphError, error_dict
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    PRESENT, Kind, Plan, Predicted, header)

NAME = "notification"
CONFIRMATION, RESCHEDULE, CANCELLATION = sms.MESSAGE_TYPES
NEW_MEETING = "(new meeting)"  # the meeting of a create predicted in check mode, in the SMS path that is not sent
HELD = ("not deleted: its cancellation SMS was not sent (%s); the next run sends it and deletes the meeting (or drop "
        "cancellation from notify_sms.message_types to delete without it)")


def plan_notification(item, observed, planned):
    """Pure: the SMS that the writes ``planned`` for ``item`` call for, as a Plan of at most one write (with the
    warnings about client numbers left out).  ``item.desired["notification"]`` is ``{"types", "time_zone"}``."""
    wanted = item.desired.get(NAME)
    if item.states.get(NAME) != PRESENT or not wanted:
        return Plan()
    writes = dict(planned)
    message_type, order, clients = _calls_for(item, observed, writes)
    if message_type is None or message_type not in wanted["types"]:
        return Plan()
    attendees, problems, warnings = sms.client_attendees(clients, wanted["time_zone"], item.label)
    warnings = ["%s (left out of the %s SMS)" % (problem, message_type) for problem in problems] + warnings
    if not attendees:
        return Plan(warnings=warnings)
    op = sms.sms_operation(item.user, observed.meeting_id or NEW_MEETING, message_type, attendees, where=item.label)
    write = {"method": op["method"], "path": op["path"], "body": op["body"], "predict": (202, None)}
    write.update([order])
    return Plan([(NAME + "_" + message_type, write)], warnings)


def _calls_for(item, observed, writes):
    """``(message type, (before|after, the write it goes with), clients)`` for the planned ``writes``, or Nones.

    With the appointment resource managed, its clients are those Graph holds (a cancellation) or will hold (the
    task's); in today's flow (the meeting alone, ``appointment_resource`` false) they are the task's, and the
    meeting's create by createOrGet is what a confirmation follows."""
    desired = item.desired.get("appointment") or {}
    if "appointment" in item.states:
        appointment = observed.view("appointment")
        created = "appointment_create" if "appointment_create" in writes else None
    else:
        appointment = desired
        created = "meeting_create" if observed.created("meeting") else None
    for delete in ("meeting_delete", "appointment_delete"):
        if delete in writes:
            if appointment is None:
                break
            return CANCELLATION, ("before", delete), appointment.get("appointment_clients")
    else:
        if created:
            return CONFIRMATION, ("after", created), desired.get("appointment_clients")
        patch = writes.get("meeting_patch")
        if patch is not None and appointment is not None:
            meeting = observed.view("meeting")
            if sms.meeting_moved(meeting, models.predict_meeting(meeting, patch["body"])):
                clients = desired.get("appointment_clients", appointment.get("appointment_clients"))
                return RESCHEDULE, ("after", "meeting_patch"), clients
    return None, None, None


class NotificationKind(Kind):
    name = NAME
    resource = False

    def address(self, item, meeting_id):
        return item.meeting_path(meeting_id)  # the SMS actions are bound to the meeting

    def read(self, result):
        return None

    def plan(self, item, observed, planned=()):
        return plan_notification(item, observed, planned)

    def took_write(self, result, name, op, answer):
        note = self._note(result, op)
        if not isinstance(answer, Predicted):  # check mode: planned, not sent
            note.update(sent=True, request_id=header(answer.headers, "request-id"))

    def failed_write(self, result, name, op, answer):
        note = self._note(result, op)
        error = answer.error
        note.update(error=error_dict(error), may_have_been_sent=sms.may_have_been_sent(answer.status))
        if "before" in op and not note["may_have_been_sent"]:
            # Graph refused it (not sent): the delete it announces is held back, the item fails, the next run sends
            # it and deletes.
            result.fail(GraphError(error.status, error.code, HELD % error.message, error.request_id,
                                   error.client_request_id, error.date, error.method, error.url), self.name)

    def diff(self, result):
        """The SMS sent (or planned, in check mode): nothing before, its message type and request body after."""
        note = self.part(result).note
        if note is None:
            return None
        return {}, {"message_type": note["message_type"], "request_body": note["request_body"]}

    def _note(self, result, op):
        """The result's record of the SMS: message type, request body, whether it was sent."""
        part = self.part(result)
        part.note = {"message_type": op["body"]["messageType"], "sent": False, "request_body": op["body"]}
        return part.note


NOTIFICATION = NotificationKind()
