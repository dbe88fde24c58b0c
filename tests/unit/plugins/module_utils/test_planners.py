"""The engine's planners (reconcile.plan over the kinds, kind_meeting.plan_meeting, kind_appointment.plan_appointment,
kind_notification.plan_notification): pure functions of the desired item and what was read, tested with plain data -
no client, no emulator."""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_appointment import plan_appointment
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_meeting import plan_meeting
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_notification import (
    plan_notification)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, PRESENT, Observed, Part)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item, plan

ADELE = "adele.vance@contoso.com"
BASE = "/users/adele.vance%40contoso.com/onlineMeetings/M1"
MEETING = {"id": "M1", "external_id": "A-1", "subject": "Loan review", "start_date_time": "2026-12-01T14:00:00Z",
           "end_date_time": "2026-12-01T14:30:00Z"}
APPOINTMENT = models.appointment_from_graph({
    "id": "VA1", "externalAppointmentId": "A-1", "appointmentClients": [
        {"displayName": "Grady Archie", "emailAddress": "gradya@contoso.com", "smsCapablePhoneNumber": None}]})


def item(meeting=None, meeting_state=PRESENT, appointment=None, appointment_state=PRESENT, notify=None):
    states = {"meeting": meeting_state, "appointment": appointment_state}
    desired = {"meeting": meeting or {}, "appointment": appointment}
    if notify is not None:
        states["notification"], desired["notification"] = PRESENT, notify
    return Item("appointments[0] (external_id A-1)", user=ADELE, meeting_id="M1", external_id="A-1",
                states={k: v for k, v in states.items() if v is not None}, desired=desired)


def seen(meeting_id="M1", exists=None, meeting=None, appointment=None, etag=None):
    """What the engine read: the meeting (exists, view) and its appointment (view, ETag)."""
    return Observed(meeting_id, meeting=Part(meeting, exists), appointment=Part(appointment, etag=etag))


def kinds(ops):
    return [op[0] for op in ops]


def test_nothing_to_do_when_the_observed_state_is_the_desired_one():
    clients = [{"display_name": "Grady Archie", "email_address": "GradyA@contoso.com"}]
    desired = item(meeting={"subject": "Loan review"}, appointment={"appointment_clients": clients})
    assert plan(desired, seen("M1", True, MEETING, APPOINTMENT, 'W/"1"')) == []


def test_a_changed_subject_is_one_patch_of_that_property_alone():
    ops = plan_meeting(item(meeting={"subject": "Pension review"}), seen("M1", True, MEETING))
    assert kinds(ops) == ["meeting_patch"]
    assert ops[0][1]["method"] == "PATCH" and ops[0][1]["path"] == BASE
    assert ops[0][1]["body"] == {"subject": "Pension review"}
    assert ops[0][1]["predict"][1]["subject"] == "Pension review"


def test_a_missing_appointment_is_created_with_a_put_that_may_wait_out_provisioning():
    ops = plan_appointment(item(appointment={"external_appointment_id": "A-1"}), seen("M1", True, MEETING))
    assert kinds(ops) == ["appointment_create"]
    op = ops[0][1]
    assert (op["method"], op["path"], op["provisioning"]) == ("PUT", BASE + "/virtualAppointment", True)
    assert op["body"] == {"externalAppointmentId": "A-1"} and op["predict"][0] == 201


def test_the_create_of_a_meeting_predicted_in_check_mode_has_no_id_yet():
    ops = plan(item(appointment={}), seen(None, None, None, None))
    assert kinds(ops) == ["appointment_create"]
    assert "/onlineMeetings/%28new%20meeting%29/" in ops[0][1]["path"]


def test_a_changed_client_list_is_a_patch_with_if_match():
    desired = item(appointment={"appointment_clients": [{"display_name": "Megan Bowen",
                                                         "email_address": "meganb@contoso.com"}]})
    ops = plan_appointment(desired, seen("M1", True, MEETING, APPOINTMENT, 'W/"7"'))
    assert kinds(ops) == ["appointment_update"]
    op = ops[0][1]
    assert op["headers"] == {"If-Match": 'W/"7"'} and op["predict"] == (204, None)
    assert op["body"]["appointmentClients"][0]["emailAddress"] == "meganb@contoso.com"


def test_an_absent_meeting_is_deleted_and_its_appointment_goes_with_it():
    ops = plan(item(meeting_state=ABSENT, appointment_state=ABSENT), seen("M1", True, MEETING, APPOINTMENT))
    assert kinds(ops) == ["meeting_delete"]
    assert ops[0][1]["path"] == BASE


def test_an_absent_meeting_that_is_gone_needs_nothing():
    assert plan(item(meeting_state=ABSENT, appointment_state=ABSENT), seen("M1", False)) == []


def test_an_absent_appointment_on_a_kept_meeting_is_deleted_alone():
    desired = item(meeting_state=None, appointment_state=ABSENT)
    assert kinds(plan(desired, seen("M1", True, None, APPOINTMENT))) == ["appointment_delete"]
    assert plan(desired, seen("M1", True, None, None)) == []


def test_planning_changes_nothing_it_is_given():
    desired = item(meeting={"subject": "Pension review"}, appointment={"external_appointment_id": "A-2"})
    observed = seen("M1", True, dict(MEETING), dict(APPOINTMENT), 'W/"1"')
    before = (dict(desired.desired["meeting"]), dict(desired.desired["appointment"]), dict(observed.view("meeting")),
              dict(observed.view("appointment")))
    plan(desired, observed)
    assert before == (desired.desired["meeting"], desired.desired["appointment"], observed.view("meeting"),
                      observed.view("appointment"))


# -- the notification kind: the SMS the other kinds' writes call for ----------------------------------------------
PHONE = {"display_name": "Grady Archie", "email_address": "gradya@contoso.com", "sms_capable_phone_number": "+1 312 555 0142"}
NOTIFY = {"types": {"confirmation", "reschedule", "cancellation"}, "time_zone": "Central Standard Time"}
TEXTED = dict(APPOINTMENT, appointment_clients=[models.client_from_graph({
    "displayName": "Grady Archie", "emailAddress": "gradya@contoso.com", "smsCapablePhoneNumber": "+1 312 555 0142"})])
LATER = {"start_date_time": "2026-12-01T15:00:00Z", "end_date_time": "2026-12-01T15:30:00Z"}


def sms_of(ops):
    return [(name, op["body"]["messageType"], op.get("before"), op.get("after")) for name, op in ops
            if name.startswith("notification")]


def test_a_new_appointment_is_confirmed_after_its_create():
    ops = plan(item(appointment={"appointment_clients": [PHONE]}, notify=NOTIFY), seen("M1", True, MEETING))
    assert kinds(ops) == ["appointment_create", "notification_confirmation"]
    assert sms_of(ops) == [("notification_confirmation", "confirmation", None, "appointment_create")]
    op = ops[1][1]
    assert op["path"] == BASE + "/sendVirtualAppointmentSms" and op["predict"] == (202, None)
    assert op["body"]["attendees"] == [{"phoneNumber": "+13125550142", "timeZone": "Central Standard Time"}]


def test_a_moved_meeting_is_rescheduled_after_its_patch_a_new_subject_is_not():
    moved = plan(item(meeting=LATER, notify=NOTIFY), seen("M1", True, MEETING, TEXTED))
    assert sms_of(moved) == [("notification_reschedule", "reschedule", None, "meeting_patch")]
    retitled = plan(item(meeting={"subject": "Pension review"}, notify=NOTIFY), seen("M1", True, MEETING, TEXTED))
    assert kinds(retitled) == ["meeting_patch"]


def test_a_moved_meeting_without_an_appointment_texts_nobody_and_a_created_one_is_confirmed_not_rescheduled():
    assert sms_of(plan(item(meeting=LATER, appointment_state=None, notify=NOTIFY), seen("M1", True, MEETING))) == []
    ops = plan(item(meeting=LATER, appointment={"appointment_clients": [PHONE]}, notify=NOTIFY),
               seen("M1", True, MEETING))
    assert [entry[1] for entry in sms_of(ops)] == ["confirmation"]


def test_a_delete_is_announced_before_it_to_the_clients_graph_holds():
    ops = plan(item(meeting_state=ABSENT, appointment_state=ABSENT, notify=NOTIFY),
               seen("M1", True, MEETING, TEXTED))
    assert kinds(ops) == ["meeting_delete", "notification_cancellation"]
    assert sms_of(ops) == [("notification_cancellation", "cancellation", "meeting_delete", None)]
    gone = plan(item(meeting_state=ABSENT, appointment_state=ABSENT, notify=NOTIFY), seen("M1", True, MEETING, None))
    assert kinds(gone) == ["meeting_delete"]  # no appointment: nobody to tell


def test_message_types_not_asked_for_and_clients_without_numbers_get_nothing():
    only_cancel = dict(NOTIFY, types={"cancellation"})
    assert plan(item(appointment={"appointment_clients": [PHONE]}, notify=only_cancel),
                seen("M1", True, MEETING)) == [("appointment_create", plan_appointment(
                    item(appointment={"appointment_clients": [PHONE]}), seen("M1", True, MEETING))[0][1])]
    no_phone = dict(PHONE, sms_capable_phone_number=None)
    assert sms_of(plan(item(appointment={"appointment_clients": [no_phone]}, notify=NOTIFY),
                       seen("M1", True, MEETING))) == []


def test_a_number_graph_holds_that_is_no_phone_number_is_left_out_with_a_warning():
    bad = dict(TEXTED, appointment_clients=[dict(TEXTED["appointment_clients"][0], sms_capable_phone_number="call me")])
    ops = plan(item(meeting_state=ABSENT, appointment_state=ABSENT, notify=NOTIFY), seen("M1", True, MEETING, bad))
    assert kinds(ops) == ["meeting_delete"]
    assert len(ops.warnings) == 1 and "left out of the cancellation SMS" in ops.warnings[0]
    assert "appointments[0] (external_id A-1).appointment_clients[0].sms_capable_phone_number" in ops.warnings[0]


def test_the_sms_of_a_meeting_predicted_in_check_mode_names_no_id_yet():
    ops = plan_notification(item(appointment={"appointment_clients": [PHONE]}, notify=NOTIFY), seen(None),
                            [("appointment_create", {})])
    assert "/onlineMeetings/%28new%20meeting%29/sendVirtualAppointmentSms" in ops[0][1]["path"]


# -- the notification kind in today's flow: the meeting alone, the appointment's data kept by the task ----------
def today(meeting_state=PRESENT, meeting=None, clients=(PHONE,)):
    """An item of today's flow: the appointment is not managed; its clients are the task's data."""
    return Item("appointments[0] (external_id A-1)", user=ADELE, meeting_id="M1", external_id="A-1",
                states={"meeting": meeting_state, "notification": PRESENT},
                desired={"meeting": meeting or {}, "appointment": {"appointment_clients": list(clients)},
                         "notification": NOTIFY})


def test_todays_flow_confirms_after_the_meeting_createorget_made():
    made = Observed("M1", meeting=Part(None, True), appointment=Part())
    made.parts["meeting"].action = "created"
    assert sms_of(plan(today(), made)) == [("notification_confirmation", "confirmation", None, "meeting_create")]
    assert plan(today(), seen("M1", True, MEETING)) == []  # it existed: nothing to confirm


def test_todays_flow_reschedules_and_cancels_with_the_tasks_clients():
    assert [entry[1] for entry in sms_of(plan(today(meeting=LATER), seen("M1", True, MEETING)))] == ["reschedule"]
    ops = plan(today(meeting_state=ABSENT), seen("M1", True, MEETING))
    assert sms_of(ops) == [("notification_cancellation", "cancellation", "meeting_delete", None)]
    assert plan(today(meeting_state=ABSENT, clients=()), seen("M1", True, MEETING)) == \
        [("meeting_delete", ops[0][1])]
