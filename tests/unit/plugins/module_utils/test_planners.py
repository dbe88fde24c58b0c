"""The engine's planners (reconcile.plan over the kinds, kind_meeting.plan_meeting, kind_appointment.plan_appointment): pure functions of the desired item and
what was read, tested with plain data - no client, no emulator."""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_appointment import plan_appointment
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_meeting import plan_meeting
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import ABSENT, PRESENT, Observed
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item, plan

ADELE = "adele.vance@contoso.com"
BASE = "/users/adele.vance%40contoso.com/onlineMeetings/M1"
MEETING = {"id": "M1", "external_id": "A-1", "subject": "Loan review", "start_date_time": "2026-12-01T14:00:00Z",
           "end_date_time": "2026-12-01T14:30:00Z"}
APPOINTMENT = models.appointment_from_graph({
    "id": "VA1", "externalAppointmentId": "A-1", "appointmentClients": [
        {"displayName": "Grady Archie", "emailAddress": "gradya@contoso.com", "smsCapablePhoneNumber": None}]})


def item(meeting=None, meeting_state=PRESENT, appointment=None, appointment_state=PRESENT):
    return Item("appointments[0] (external_id A-1)", user=ADELE, meeting_id="M1", external_id="A-1",
                meeting=meeting or {}, meeting_state=meeting_state, appointment=appointment,
                appointment_state=appointment_state)


def kinds(ops):
    return [kind for kind, dummy in ops]


def test_nothing_to_do_when_the_observed_state_is_the_desired_one():
    clients = [{"display_name": "Grady Archie", "email_address": "GradyA@contoso.com"}]
    desired = item(meeting={"subject": "Loan review"}, appointment={"appointment_clients": clients})
    assert plan(desired, Observed("M1", True, MEETING, APPOINTMENT, 'W/"1"')) == []


def test_a_changed_subject_is_one_patch_of_that_property_alone():
    ops = plan_meeting(item(meeting={"subject": "Pension review"}), Observed("M1", True, MEETING))
    assert kinds(ops) == ["meeting_patch"]
    assert ops[0][1]["method"] == "PATCH" and ops[0][1]["path"] == BASE
    assert ops[0][1]["body"] == {"subject": "Pension review"}
    assert ops[0][1]["predict"][1]["subject"] == "Pension review"


def test_a_missing_appointment_is_created_with_a_put_that_may_wait_out_provisioning():
    ops = plan_appointment(item(appointment={"external_appointment_id": "A-1"}), Observed("M1", True, MEETING))
    assert kinds(ops) == ["appointment_create"]
    op = ops[0][1]
    assert (op["method"], op["path"], op["provisioning"]) == ("PUT", BASE + "/virtualAppointment", True)
    assert op["body"] == {"externalAppointmentId": "A-1"} and op["predict"][0] == 201


def test_the_create_of_a_meeting_predicted_in_check_mode_has_no_id_yet():
    ops = plan(item(appointment={}), Observed(None, None, None, None))
    assert kinds(ops) == ["appointment_create"]
    assert "/onlineMeetings/%28new%20meeting%29/" in ops[0][1]["path"]


def test_a_changed_client_list_is_a_patch_with_if_match():
    desired = item(appointment={"appointment_clients": [{"display_name": "Megan Bowen",
                                                         "email_address": "meganb@contoso.com"}]})
    ops = plan_appointment(desired, Observed("M1", True, MEETING, APPOINTMENT, 'W/"7"'))
    assert kinds(ops) == ["appointment_update"]
    op = ops[0][1]
    assert op["headers"] == {"If-Match": 'W/"7"'} and op["predict"] == (204, None)
    assert op["body"]["appointmentClients"][0]["emailAddress"] == "meganb@contoso.com"


def test_an_absent_meeting_is_deleted_and_its_appointment_goes_with_it():
    ops = plan(item(meeting_state=ABSENT, appointment_state=ABSENT), Observed("M1", True, MEETING, APPOINTMENT))
    assert kinds(ops) == ["meeting_delete"]
    assert ops[0][1]["path"] == BASE


def test_an_absent_meeting_that_is_gone_needs_nothing():
    assert plan(item(meeting_state=ABSENT, appointment_state=ABSENT), Observed("M1", False)) == []


def test_an_absent_appointment_on_a_kept_meeting_is_deleted_alone():
    desired = item(meeting_state=None, appointment_state=ABSENT)
    assert kinds(plan(desired, Observed("M1", True, None, APPOINTMENT))) == ["appointment_delete"]
    assert plan(desired, Observed("M1", True, None, None)) == []


def test_planning_changes_nothing_it_is_given():
    desired = item(meeting={"subject": "Pension review"}, appointment={"external_appointment_id": "A-2"})
    observed = Observed("M1", True, dict(MEETING), dict(APPOINTMENT), 'W/"1"')
    before = (dict(desired.meeting), dict(desired.appointment), dict(observed.meeting), dict(observed.appointment))
    plan(desired, observed)
    assert before == (desired.meeting, desired.appointment, observed.meeting, observed.appointment)
