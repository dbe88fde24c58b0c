"""The Microsoft Bookings kinds of the reconcile engine (plugins/module_utils/kind_booking.py): their pure plans,
what a list read means (found by key), the conflict path of a create whose answer was lost - through the real
Reconciler with a scripted fake client - and the pure checks of plugins/module_utils/bookings.py (the application
rules, business hours, the appointment's options).  Plain data, no network."""

import datetime

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_model as model
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    GraphError, PlanError, TransportError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_booking import (
    APPOINTMENT, BOOKING_KINDS, BUSINESS, CUSTOMER, QUESTION, SERVICE, STAFF, BookingItem, appointment_label,
    business_path, external_id_of)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, CANCELLED, CREATED, DELETED, FAILED, PRESENT, UNCHANGED, UPDATED, Observed, Part)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import (
    Reconciler, Result, plan)

BUSINESS_ID = "contoso@contoso.onmicrosoft.com"
BASE = "/solutions/bookingBusinesses/contoso%40contoso.onmicrosoft.com"
UTC = datetime.timezone.utc

LOAN = {"id": "S1", "display_name": "Loan review", "default_duration": "PT30M", "notes": "old",
        "staff_member_ids": ["ST1", "ST2"], "scheduling_policy": {"minimum_lead_time": "P1D"}}
ADELE = {"id": "ST1", "email_address": "adele.vance@contoso.com", "display_name": "Adele Vance",
         "role": "teamMember", "time_zone": "Europe/Berlin"}
GRADY = {"email_address": "gradya@contoso.com", "name": "Grady Archie", "phone": "+1 312 555 0142"}
BOOKED = {"id": "AP1", "appointment_label": "external_id:A-1", "service_id": "S1", "service_name": "Loan review",
          "start_date_time": "2026-12-07T09:00:00Z", "end_date_time": "2026-12-07T09:30:00Z",
          "staff_member_ids": ["ST1"], "customers": [dict(GRADY, customer_id="C1")], "customer_notes": "hi"}


def item(kind, state=PRESENT, desired=None, key=None, resource_id=None, message=None):
    return BookingItem("booking %s %s" % (kind.graph_name, key or resource_id), kind.name, state, desired,
                       business_id=BUSINESS_ID, resource_id=resource_id, key=key, message=message)


def seen(kind, view, partial=False):
    """What the engine read of ``kind``: ``view`` (None: none), found in a list that holds only part of it."""
    part = Part(view, view is not None)
    part.note = {"partial": partial}
    part.found = view is not None and partial
    return Observed(None, **{kind.name: part})


def names(ops):
    return [name for name, _op in ops]


# -- addresses and keys ----------------------------------------------------------------------------------------------
def test_business_path_encodes_the_business_id():
    assert business_path() == "/solutions/bookingBusinesses"
    assert business_path(BUSINESS_ID) == BASE


def test_appointment_label_carries_the_external_id():
    assert appointment_label("A-1") == "external_id:A-1"
    assert external_id_of({"appointment_label": "external_id:A-1"}) == "A-1"
    assert external_id_of({"appointment_label": "Made in the Bookings page"}) is None
    assert external_id_of({"appointment_label": None}) is None
    assert external_id_of({}) is None and external_id_of(None) is None


def test_the_kinds_and_their_collections():
    assert [kind.name for kind in BOOKING_KINDS] == [
        "booking_business", "booking_service", "booking_staff_member", "booking_custom_question",
        "booking_customer", "booking_appointment"]
    assert [kind.list_path(item(kind, key="k")) for kind in BOOKING_KINDS[1:]] == [
        BASE + "/services", BASE + "/staffMembers", BASE + "/customQuestions", BASE + "/customers",
        BASE + "/appointments"]


# -- plans: create, update, delete, nothing --------------------------------------------------------------------------
def test_a_missing_service_is_created_with_a_post_of_its_camel_case_body():
    desired = model.desired_view({"display_name": "Loan review", "default_duration": 30, "default_price": 10.0,
                                  "scheduling_policy": {"minimum_lead_time": "PT24H", "allow_staff_selection": True}},
                                 bookings.SERVICE_FIELDS)
    ops = plan(item(SERVICE, desired=desired, key="Loan review"), seen(SERVICE, None), (SERVICE,))
    assert names(ops) == ["booking_service_create"]
    op = ops[0][1]
    assert (op["method"], op["path"]) == ("POST", BASE + "/services")
    assert op["body"] == {"displayName": "Loan review", "defaultDuration": "PT30M", "defaultPrice": 10.0,
                          "schedulingPolicy": {"minimumLeadTime": "P1D", "allowStaffSelection": True}}
    assert op["predict"] == (201, dict(op["body"], id=None))


def test_a_create_sends_no_read_only_property():
    ops = SERVICE.plan(item(SERVICE, desired={"display_name": "Loan review", "id": "S1", "web_url": "https://x"},
                            key="Loan review"), seen(SERVICE, None))
    assert ops[0][1]["body"] == {"displayName": "Loan review"}


def test_a_changed_service_is_a_patch_of_the_changed_field_alone():
    desired = {"display_name": "Loan review", "default_duration": "PT30M", "notes": "new",
               "staff_member_ids": ["ST2", "ST1"]}
    ops = plan(item(SERVICE, desired=desired, key="Loan review"), seen(SERVICE, LOAN), (SERVICE,))
    assert names(ops) == ["booking_service_update"]
    op = ops[0][1]
    assert (op["method"], op["path"], op["body"]) == ("PATCH", BASE + "/services/S1", {"notes": "new"})
    assert op["predict"] == (204, None) and op["changes"] == {"notes": "new"}


def test_a_changed_suboption_sends_the_whole_policy_graph_holds():
    ops = SERVICE.plan(item(SERVICE, desired={"scheduling_policy": {"minimum_lead_time": "PT1H"}}, key="Loan review"),
                       seen(SERVICE, dict(LOAN, scheduling_policy={"minimum_lead_time": "P1D",
                                                                   "maximum_advance": "P90D"})))
    assert ops[0][1]["body"] == {"schedulingPolicy": {"minimumLeadTime": "PT1H", "maximumAdvance": "P90D"}}
    assert ops[0][1]["changes"] == {"scheduling_policy": {"minimum_lead_time": "PT1H", "maximum_advance": "P90D"}}


def test_the_id_in_a_path_is_encoded():
    view = dict(LOAN, id="AAMk+x=")
    ops = SERVICE.plan(item(SERVICE, desired={"notes": "new"}, key="Loan review"), seen(SERVICE, view))
    assert ops[0][1]["path"] == BASE + "/services/AAMk%2Bx%3D"


def test_a_service_as_desired_needs_nothing():
    desired = {"display_name": "Loan review", "default_duration": "PT30M", "notes": "old",
               "staff_member_ids": ["ST2", "ST1"], "scheduling_policy": {"minimum_lead_time": "PT24H"}}
    assert plan(item(SERVICE, desired=desired, key="Loan review"), seen(SERVICE, LOAN), (SERVICE,)) == []


def test_only_the_state_managed_needs_nothing_when_it_exists():
    assert SERVICE.plan(item(SERVICE, key="Loan review"), seen(SERVICE, LOAN)) == []


def test_an_absent_service_is_deleted_and_a_missing_one_needs_nothing():
    ops = plan(item(SERVICE, ABSENT, key="Loan review"), seen(SERVICE, LOAN), (SERVICE,))
    assert names(ops) == ["booking_service_delete"]
    assert (ops[0][1]["method"], ops[0][1]["path"]) == ("DELETE", BASE + "/services/S1")
    assert plan(item(SERVICE, ABSENT, key="Loan review"), seen(SERVICE, None), (SERVICE,)) == []


def test_a_kind_the_item_does_not_manage_plans_nothing():
    assert plan(item(SERVICE, key="Loan review"), seen(SERVICE, None), (SERVICE, STAFF)) != []
    assert plan(item(SERVICE, key="Loan review"), seen(SERVICE, None), (STAFF,)) == []


def test_a_customer_is_created_with_its_concrete_type():
    desired = {"email_address": "gradya@contoso.com", "display_name": "Grady Archie",
               "phones": [{"number": "+1 312 555 0142", "type": "mobile"}]}
    ops = CUSTOMER.plan(item(CUSTOMER, desired=desired, key="gradya@contoso.com"), seen(CUSTOMER, None))
    op = ops[0][1]
    assert (op["method"], op["path"]) == ("POST", BASE + "/customers")
    assert op["body"] == {"@odata.type": model.CUSTOMER_TYPE, "emailAddress": "gradya@contoso.com",
                          "displayName": "Grady Archie", "phones": [{"number": "+1 312 555 0142", "type": "mobile"}]}


def test_a_customer_whose_address_differs_only_in_case_is_unchanged():
    actual = {"id": "C1", "email_address": "GradyA@Contoso.com", "display_name": "Grady Archie"}
    desired = {"email_address": "gradya@contoso.com", "display_name": "Grady Archie"}
    assert CUSTOMER.plan(item(CUSTOMER, desired=desired, key="gradya@contoso.com"), seen(CUSTOMER, actual)) == []


def test_a_staff_member_is_not_created_without_a_role():
    desired = {"email_address": "adele.vance@contoso.com", "display_name": "Adele Vance"}
    with pytest.raises(PlanError) as caught:
        plan(item(STAFF, desired=desired, key="adele.vance@contoso.com"), seen(STAFF, None), (STAFF,))
    assert caught.value.part == STAFF.name
    assert "role" in caught.value.problems[0]
    assert "adele.vance@contoso.com" in caught.value.problems[0]


def test_a_staff_member_with_a_role_is_created_and_an_existing_one_updated_without_it():
    desired = {"email_address": "adele.vance@contoso.com", "role": "teamMember"}
    ops = STAFF.plan(item(STAFF, desired=desired, key="adele.vance@contoso.com"), seen(STAFF, None))
    assert ops[0][1]["path"] == BASE + "/staffMembers"
    assert ops[0][1]["body"] == {"emailAddress": "adele.vance@contoso.com", "role": "teamMember"}
    ops = STAFF.plan(item(STAFF, desired={"display_name": "A. Vance"}, key=ADELE["email_address"]), seen(STAFF, ADELE))
    assert names(ops) == ["booking_staff_member_update"] and ops[0][1]["body"] == {"displayName": "A. Vance"}


def test_a_custom_question_is_created_in_its_collection():
    desired = {"display_name": "Account number?", "answer_input_type": "text"}
    ops = QUESTION.plan(item(QUESTION, desired=desired, key="Account number?"), seen(QUESTION, None))
    assert (ops[0][1]["path"], ops[0][1]["body"]) == (BASE + "/customQuestions",
                                                      {"displayName": "Account number?", "answerInputType": "text"})


def test_a_business_is_published_by_its_own_call_not_by_patch():
    actual = {"id": BUSINESS_ID, "display_name": "Contoso", "is_published": False, "phone": "1"}
    ops = BUSINESS.plan(item(BUSINESS, desired={"display_name": "Contoso", "is_published": True}, key="Contoso"),
                        seen(BUSINESS, actual))
    assert names(ops) == ["booking_business_publish"]
    assert (ops[0][1]["method"], ops[0][1]["path"]) == ("POST", BASE + "/publish")
    ops = BUSINESS.plan(item(BUSINESS, desired={"phone": "2", "is_published": False}, key="Contoso"),
                        seen(BUSINESS, dict(actual, is_published=True)))
    assert names(ops) == ["booking_business_update", "booking_business_unpublish"]
    assert ops[0][1]["body"] == {"phone": "2"} and ops[1][1]["path"] == BASE + "/unpublish"


def test_a_new_business_is_created_without_is_published():
    ops = BUSINESS.plan(item(BUSINESS, desired={"display_name": "Contoso", "is_published": True}, key="Contoso"),
                        seen(BUSINESS, None))
    assert names(ops) == ["booking_business_create"]
    assert ops[0][1]["path"] == "/solutions/bookingBusinesses" and ops[0][1]["body"] == {"displayName": "Contoso"}


def test_a_business_is_found_by_its_display_name_encoded_in_the_query():
    assert BUSINESS.find(item(BUSINESS, key="Contoso Bank & Co")) == {
        "method": "GET", "path": "/solutions/bookingBusinesses?query=Contoso%20Bank%20%26%20Co"}


# -- appointments: cancel, immutable service, customer notes ---------------------------------------------------------
def test_a_cancelled_appointment_is_a_post_of_cancel_with_its_message():
    ops = plan(item(APPOINTMENT, CANCELLED, key="external_id:A-1", message="The branch is closed"),
               seen(APPOINTMENT, BOOKED), (APPOINTMENT,))
    assert names(ops) == ["booking_appointment_cancel"]
    op = ops[0][1]
    assert (op["method"], op["path"]) == ("POST", BASE + "/appointments/AP1/cancel")
    assert op["body"] == {"cancellationMessage": "The branch is closed"}
    no_message = APPOINTMENT.plan(item(APPOINTMENT, CANCELLED, key="external_id:A-1"), seen(APPOINTMENT, BOOKED))
    assert no_message[0][1]["body"] == {"cancellationMessage": ""}


def test_cancelling_an_appointment_that_is_not_there_needs_nothing():
    assert plan(item(APPOINTMENT, CANCELLED, key="external_id:A-1"), seen(APPOINTMENT, None), (APPOINTMENT,)) == []


def test_an_appointment_cannot_move_to_another_service():
    with pytest.raises(PlanError) as caught:
        APPOINTMENT.plan(item(APPOINTMENT, desired={"service_id": "S2"}, key="external_id:A-1"),
                         seen(APPOINTMENT, BOOKED))
    assert caught.value.part == APPOINTMENT.name
    assert caught.value.problems[0].startswith("booking appointment external_id:A-1: service_name/service_id")
    assert "immutable" in caught.value.problems[0] and "S1" in caught.value.problems[0]


def test_an_appointment_on_its_own_service_is_planned_as_usual():
    desired = {"service_id": "S1", "start_date_time": "2026-12-07T10:00:00Z", "end_date_time": "2026-12-07T10:30:00Z"}
    ops = APPOINTMENT.plan(item(APPOINTMENT, desired=desired, key="external_id:A-1"), seen(APPOINTMENT, BOOKED))
    assert names(ops) == ["booking_appointment_update"]
    assert ops[0][1]["body"] == {
        "startDateTime": {"@odata.type": model.DATE_TIME_TYPE, "dateTime": "2026-12-07T10:00:00Z", "timeZone": "UTC"},
        "endDateTime": {"@odata.type": model.DATE_TIME_TYPE, "dateTime": "2026-12-07T10:30:00Z", "timeZone": "UTC"}}


def test_a_new_appointment_is_posted_with_its_label_customers_and_utc_times():
    desired = {"appointment_label": "external_id:A-1", "service_id": "S1", "customers": [GRADY],
               "start_date_time": "2026-12-07T09:00:00Z", "end_date_time": "2026-12-07T09:30:00Z"}
    ops = APPOINTMENT.plan(item(APPOINTMENT, desired=desired, key="external_id:A-1"), seen(APPOINTMENT, None))
    body = ops[0][1]["body"]
    assert ops[0][1]["path"] == BASE + "/appointments"
    assert body["appointmentLabel"] == "external_id:A-1" and body["serviceId"] == "S1"
    assert body["customers"] == [{"@odata.type": model.CUSTOMER_INFO_TYPE, "emailAddress": "gradya@contoso.com",
                                  "name": "Grady Archie", "phone": "+1 312 555 0142"}]
    assert body["startDateTime"]["timeZone"] == "UTC"


def test_customer_notes_are_never_patched():
    desired = {"customer_notes": "changed", "service_notes": "new"}
    ops = APPOINTMENT.plan(item(APPOINTMENT, desired=desired, key="external_id:A-1"), seen(APPOINTMENT, BOOKED))
    assert ops[0][1]["body"] == {"serviceNotes": "new"} and ops[0][1]["changes"] == {"service_notes": "new"}
    assert APPOINTMENT.plan(item(APPOINTMENT, desired={"customer_notes": "changed"}, key="external_id:A-1"),
                            seen(APPOINTMENT, BOOKED)) == []


def test_customers_reordered_or_in_another_case_are_unchanged_a_new_phone_is_a_patch():
    booked = dict(BOOKED, customers=[{"email_address": "meganb@contoso.com", "name": "Megan Bowen"},
                                     dict(GRADY, customer_id="C1")])
    wanted = [dict(GRADY, email_address="GradyA@Contoso.com"), {"email_address": "MEGANB@contoso.com"}]
    assert APPOINTMENT.plan(item(APPOINTMENT, desired={"customers": wanted}, key="external_id:A-1"),
                            seen(APPOINTMENT, booked)) == []
    wanted[0]["phone"] = "+1 312 555 0000"
    ops = APPOINTMENT.plan(item(APPOINTMENT, desired={"customers": wanted}, key="external_id:A-1"),
                           seen(APPOINTMENT, booked))
    assert names(ops) == ["booking_appointment_update"] and list(ops[0][1]["body"]) == ["customers"]


# -- a partial view: found in a list that leaves some properties out -------------------------------------------------
def test_a_partial_appointment_view_skips_what_its_list_leaves_out():
    listed = {k: v for k, v in BOOKED.items() if k not in ("customers", "customer_notes")}
    desired = {"customers": [GRADY], "service_notes": "note", "start_date_time": "2026-12-07T09:00:00Z"}
    observed = seen(APPOINTMENT, listed, partial=True)
    assert APPOINTMENT.plan(item(APPOINTMENT, desired=desired, key="external_id:A-1"), observed) == []
    desired["start_date_time"] = "2026-12-07T11:00:00Z"
    ops = APPOINTMENT.plan(item(APPOINTMENT, desired=desired, key="external_id:A-1"), observed)
    assert list(ops[0][1]["body"]) == ["startDateTime"]
    # read in full, the same desired state is a PATCH of the customers too
    ops = APPOINTMENT.plan(item(APPOINTMENT, desired=desired, key="external_id:A-1"),
                           seen(APPOINTMENT, dict(listed, customers=[])))
    assert sorted(ops[0][1]["body"]) == ["customers", "serviceNotes", "startDateTime"]


def test_a_partial_business_view_compares_its_key_alone():
    listed = {"id": BUSINESS_ID, "display_name": "Contoso"}
    desired = {"display_name": "Contoso", "phone": "+1 312 555 0100", "email": "info@contoso.com"}
    assert BUSINESS.compared(item(BUSINESS, desired=desired, key="Contoso"), seen(BUSINESS, listed, True)) == (
        desired, {"phone", "email"})
    assert BUSINESS.plan(item(BUSINESS, desired=desired, key="Contoso"), seen(BUSINESS, listed, True)) == []


# -- reads: found by key in a list -----------------------------------------------------------------------------------
def graph_service(service_id="S1", name="Loan review", **more):
    body = {"@odata.etag": 'W/"1"', "id": service_id, "displayName": name, "defaultDuration": "PT30M"}
    body.update(more)
    return body


def listed(*entries):
    return BatchResult(200, {}, {"value": list(entries)})


def test_a_list_read_finds_the_resource_by_its_key_without_regard_to_case():
    result = Result(item(SERVICE, desired={"display_name": "Loan review"}, key="LOAN REVIEW "), (SERVICE,))
    SERVICE.took_read(result, listed(graph_service("S0", "Pension review"), graph_service()))
    part = result.parts[SERVICE.name]
    assert part.view == part.before == {"id": "S1", "display_name": "Loan review", "default_duration": "PT30M"}
    assert part.exists is True and part.found is True and part.note == {"partial": False}
    assert SERVICE.read_found(result) is None  # a service's list holds all of it
    assert result.error is None


def test_a_list_read_without_the_key_means_none():
    result = Result(item(SERVICE, key="Loan review"), (SERVICE,))
    SERVICE.took_read(result, listed(graph_service("S0", "Pension review")))
    part = result.parts[SERVICE.name]
    assert part.view is None and part.exists is False and part.found is False


def test_two_resources_with_the_key_fail_the_item():
    result = Result(item(SERVICE, key="Loan review"), (SERVICE,))
    SERVICE.took_read(result, listed(graph_service("S1"), graph_service("S2", "loan review")))
    assert isinstance(result.error, PlanError) and result.failed_parts == [SERVICE.name]
    assert result.action == FAILED
    assert "2 services of business %s" % BUSINESS_ID in str(result.error) and "by its ID" in str(result.error)


def test_an_appointment_found_in_its_list_is_read_again_by_id_when_the_task_compares_what_the_list_omits():
    answer = listed({"id": "AP0", "appointmentLabel": "external_id:A-0"},
                    {"id": "AP1", "appointmentLabel": "external_id:A-1"})
    result = Result(item(APPOINTMENT, desired={"is_location_online": True}, key="external_id:A-1"), (APPOINTMENT,))
    APPOINTMENT.took_read(result, answer)
    assert result.parts[APPOINTMENT.name].note == {"partial": True}
    assert APPOINTMENT.read_found(result) is None  # the list holds all it compares: no GET
    result = Result(item(APPOINTMENT, desired={"customers": []}, key="external_id:A-1"), (APPOINTMENT,))
    APPOINTMENT.took_read(result, answer)
    assert APPOINTMENT.read_found(result) == {"method": "GET", "path": BASE + "/appointments/AP1"}
    APPOINTMENT.took_read(result, BatchResult(200, {}, {"id": "AP1", "appointmentLabel": "external_id:A-1",
                                                        "customers": []}))
    assert result.parts[APPOINTMENT.name].view == {"id": "AP1", "appointment_label": "external_id:A-1",
                                                   "customers": []}
    assert result.parts[APPOINTMENT.name].note == {"partial": False}


def test_a_read_by_id_that_answers_404_means_none_unless_the_business_is_missing():
    resource = item(SERVICE, key="Loan review", resource_id="S1")
    assert SERVICE.read(Result(resource, (SERVICE,))) == {"method": "GET", "path": BASE + "/services/S1"}
    result = Result(resource, (SERVICE,))
    SERVICE.took_read(result, BatchResult(404, {}, None, GraphError(404, "NotFound", "gone")))
    assert result.error is None and result.parts[SERVICE.name].exists is False
    result = Result(resource, (SERVICE,))
    missing = GraphError(404, "ErrorNonExistentMailbox", "no business")
    SERVICE.took_read(result, BatchResult(404, {}, None, missing))
    assert result.error is missing


def test_a_list_read_that_fails_fails_the_item():
    result = Result(item(SERVICE, key="Loan review"), (SERVICE,))
    error = GraphError(403, "Forbidden", "no")
    SERVICE.took_read(result, BatchResult(403, {}, None, error))
    assert result.error is error and result.failed_parts == [SERVICE.name]


def test_an_item_that_does_not_manage_the_kind_reads_nothing():
    assert SERVICE.read(Result(item(STAFF, key="x"), (SERVICE, STAFF))) is None


@pytest.mark.parametrize("status, error", [(None, TransportError("dropped")), (500, GraphError(500, "x", "x")),
                                           (502, GraphError(502, "x", "x")), (504, GraphError(504, "x", "x"))])
def test_a_create_whose_answer_was_lost_is_a_conflict(status, error):
    for kind in BOOKING_KINDS:
        assert kind.conflict(kind.name + "_create", BatchResult(status, {}, None, error))
        assert not kind.conflict(kind.name + "_update", BatchResult(status, {}, None, error))


@pytest.mark.parametrize("answer", [BatchResult(201, {}, {"id": "S1"}), BatchResult(400, {}, None, GraphError(
    400, "BadRequest", "bad")), BatchResult(409, {}, None, GraphError(409, "Conflict", "exists")),
    BatchResult(503, {}, None, GraphError(503, "x", "x"))])
def test_a_create_answered_otherwise_is_no_conflict(answer):
    assert not SERVICE.conflict("booking_service_create", answer)


# -- the engine: a scripted fake client ------------------------------------------------------------------------------
class FakeClient:
    """Answers each request of a $batch with the next scripted (method, path, answer); fails on anything else.
    ``check_mode``: any write is an error (check mode must send none)."""

    base_url = "https://graph.microsoft.com/v1.0"

    def __init__(self, script, check_mode=False):
        self.script = list(script)
        self.check_mode = check_mode
        self.sent = []
        self.waits = None

    def clock(self):
        return 0.0

    def batch(self, ops, concurrency=4, spread=False):
        # Every Bookings request holds one of the mailbox's four slots: the engine spreads them over its calls.
        assert spread, "Bookings requests sent without spread"
        answers = []
        for op in ops:
            assert not (self.check_mode and op["method"] != "GET"), "check mode sent %s %s" % (op["method"],
                                                                                               op["path"])
            assert self.script, "unexpected %s %s" % (op["method"], op["path"])
            method, path, answer = self.script.pop(0)
            assert (op["method"], op["path"]) == (method, path)
            self.sent.append(op)
            answers.append(answer)
        return answers

    def request(self, method, path, *args, **kwargs):
        raise AssertionError("unexpected direct request %s %s" % (method, path))

    def methods(self):
        return [op["method"] for op in self.sent]


def lost():
    return BatchResult(None, {}, None, TransportError("connection dropped", "POST", BASE + "/services"))


def run(client, resource, kind=SERVICE, check_mode=False):
    results = Reconciler(client, check_mode, kinds=(kind,)).run([resource])
    assert not client.script, "not asked: %r" % client.script
    return results[0]


def new_service():
    return item(SERVICE, desired={"display_name": "Loan review", "default_duration": "PT30M"}, key="Loan review")


QUERY = "/solutions/bookingBusinesses?query=Contoso"


def published_business():
    return item(BUSINESS, desired={"display_name": "Contoso", "is_published": True}, key="Contoso")


def test_a_lost_create_found_by_its_key_is_created_without_a_second_post():
    client = FakeClient([
        ("GET", BASE + "/services", listed(graph_service("S0", "Pension review"))),
        ("POST", BASE + "/services", lost()),
        ("GET", BASE + "/services", listed(graph_service("S0", "Pension review"), graph_service("S9"))),
    ])
    result = run(client, new_service())
    assert result.error is None
    assert result.action == CREATED and result.changed
    assert client.methods().count("POST") == 1
    assert result.view(SERVICE.name)["id"] == "S9"
    assert client.sent[1]["body"] == {"displayName": "Loan review", "defaultDuration": "PT30M"}
    assert "predict" not in client.sent[1]
    assert result.diff() == {"before": {SERVICE.name: {}},
                             "after": {SERVICE.name: {"display_name": "Loan review", "default_duration": "PT30M"}}}


def test_a_lost_create_found_with_another_value_is_patched_and_still_created():
    client = FakeClient([
        ("GET", BASE + "/services", listed()),
        ("POST", BASE + "/services", BatchResult(504, {}, None, GraphError(504, "GatewayTimeout", "late"))),
        ("GET", BASE + "/services", listed(graph_service("S9", defaultDuration="PT1H"))),
        ("PATCH", BASE + "/services/S9", BatchResult(204, {}, None)),
    ])
    result = run(client, new_service())
    assert result.error is None and result.action == CREATED
    assert client.methods() == ["GET", "POST", "GET", "PATCH"]
    assert client.sent[3]["body"] == {"defaultDuration": "PT30M"}
    assert result.view(SERVICE.name)["default_duration"] == "PT30M"


def test_a_lost_create_not_found_is_sent_exactly_once_more():
    client = FakeClient([
        ("GET", BASE + "/services", listed()),
        ("POST", BASE + "/services", lost()),
        ("GET", BASE + "/services", listed(graph_service("S0", "Pension review"))),
        ("POST", BASE + "/services", BatchResult(201, {}, graph_service("S9"))),
    ])
    result = run(client, new_service())
    assert result.error is None and result.action == CREATED
    assert client.methods() == ["GET", "POST", "GET", "POST"]
    assert result.view(SERVICE.name)["id"] == "S9"


def test_a_create_lost_again_is_read_again_each_time_and_found_or_sent_once_more():
    """Every lost answer is followed by a fresh read by key: sent again only when the read does not find it, so a
    create lost twice (a $batch dropped twice) still ends with one service."""
    client = FakeClient([
        ("GET", BASE + "/services", listed()),
        ("POST", BASE + "/services", lost()),
        ("GET", BASE + "/services", listed()),
        ("POST", BASE + "/services", lost()),
        ("GET", BASE + "/services", listed(graph_service())),
    ])
    result = run(client, new_service())
    assert result.error is None and result.action == CREATED
    assert client.methods() == ["GET", "POST", "GET", "POST", "GET"]


def test_a_create_lost_more_times_than_the_engine_reads_again_fails_the_item():
    from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Reconciler as Engine
    error = TransportError("connection dropped again")
    script = [("GET", BASE + "/services", listed()), ("POST", BASE + "/services", lost())]
    for _round in range(Engine.CONFLICT_ROUNDS - 1):
        script += [("GET", BASE + "/services", listed()), ("POST", BASE + "/services", lost())]
    script += [("GET", BASE + "/services", listed()), ("POST", BASE + "/services", BatchResult(None, {}, None, error))]
    client = FakeClient(script)
    result = run(client, new_service())
    assert result.error is error and result.action == FAILED
    assert client.methods().count("POST") == Engine.CONFLICT_ROUNDS + 1


def test_a_new_business_is_published_after_its_create():
    client = FakeClient([
        ("GET", QUERY, listed()),
        ("POST", "/solutions/bookingBusinesses", BatchResult(201, {}, {"id": BUSINESS_ID, "displayName": "Contoso"})),
        ("POST", BASE + "/publish", BatchResult(204, {}, None)),
        # publish answers without a body: the engine reads the business again for its publicUrl
        ("GET", BASE, BatchResult(200, {}, {"id": BUSINESS_ID, "displayName": "Contoso", "isPublished": True,
                                            "publicUrl": "https://outlook.office365.com/book/contoso/"})),
    ])
    result = run(client, published_business(), BUSINESS)
    assert result.error is None and result.action == CREATED
    assert result.view(BUSINESS.name)["is_published"] is True
    assert result.view(BUSINESS.name)["public_url"] == "https://outlook.office365.com/book/contoso/"
    assert result.parts[BUSINESS.name].before is None  # the diff still shows the create


def test_a_lost_business_create_found_by_its_name_is_still_published():
    client = FakeClient([
        ("GET", QUERY, listed()),
        ("POST", "/solutions/bookingBusinesses", lost()),
        ("GET", QUERY, listed({"id": BUSINESS_ID, "displayName": "Contoso"})),
        ("POST", BASE + "/publish", BatchResult(204, {}, None)),
        ("GET", BASE, BatchResult(200, {}, {"id": BUSINESS_ID, "displayName": "Contoso", "isPublished": True})),
    ])
    result = run(client, published_business(), BUSINESS)
    assert result.error is None and result.action == CREATED
    assert client.methods() == ["GET", "POST", "GET", "POST", "GET"]


def test_check_mode_sends_no_write_and_predicts_the_create():
    client = FakeClient([("GET", BASE + "/services", listed())], check_mode=True)
    result = run(client, new_service(), check_mode=True)
    assert result.error is None and result.action == CREATED and result.changed
    assert client.methods() == ["GET"]
    assert result.view(SERVICE.name) == {"display_name": "Loan review", "default_duration": "PT30M", "id": None}


def test_check_mode_predicts_an_update_and_a_delete_without_sending_them():
    client = FakeClient([("GET", BASE + "/services", listed(graph_service(notes="old")))], check_mode=True)
    changed = item(SERVICE, desired={"notes": "new"}, key="Loan review")
    result = run(client, changed, check_mode=True)
    assert result.action == UPDATED and result.view(SERVICE.name)["notes"] == "new"
    client = FakeClient([("GET", BASE + "/services", listed(graph_service()))], check_mode=True)
    result = run(client, item(SERVICE, ABSENT, key="Loan review"), check_mode=True)
    assert result.action == DELETED and result.view(SERVICE.name) is None
    assert client.methods() == ["GET"]


def test_a_run_with_nothing_to_change_writes_nothing():
    client = FakeClient([("GET", BASE + "/services", listed(graph_service()))])
    result = run(client, new_service())
    assert result.action == UNCHANGED and not result.changed and client.methods() == ["GET"]


def test_a_delete_answered_404_is_unchanged():
    client = FakeClient([
        ("GET", BASE + "/services", listed(graph_service())),
        ("DELETE", BASE + "/services/S1", BatchResult(404, {}, None, GraphError(404, "NotFound", "gone"))),
    ])
    result = run(client, item(SERVICE, ABSENT, key="Loan review"))
    assert result.error is None and result.action == UNCHANGED


def test_an_appointment_found_in_its_list_is_cancelled_without_a_read_by_id():
    client = FakeClient([
        ("GET", BASE + "/appointments", listed({"id": "AP1", "appointmentLabel": "external_id:A-1"})),
        ("POST", BASE + "/appointments/AP1/cancel", BatchResult(204, {}, None)),
    ])
    result = run(client, item(APPOINTMENT, CANCELLED, key="external_id:A-1", message="Closed"), APPOINTMENT)
    assert result.error is None and result.action == CANCELLED and result.changed
    assert client.methods() == ["GET", "POST"] and client.sent[1]["body"] == {"cancellationMessage": "Closed"}
    assert result.view(APPOINTMENT.name) is None


def test_a_staff_member_without_a_role_fails_before_any_write():
    client = FakeClient([("GET", BASE + "/staffMembers", listed())])
    result = run(client, item(STAFF, desired={"email_address": "adele.vance@contoso.com"},
                              key="adele.vance@contoso.com"), STAFF)
    assert isinstance(result.error, PlanError) and "role" in str(result.error)
    assert result.failed_parts == [STAFF.name] and client.methods() == ["GET"]


# -- bookings.py: the checks made before any write -------------------------------------------------------------------
MONDAY_TO_FRIDAY = [{"day": day, "timeSlots": [{"startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000"}]}
                    for day in ("monday", "tuesday", "wednesday", "thursday", "friday")]
BUSINESS_BODY = {"id": BUSINESS_ID, "displayName": "Contoso", "businessHours": MONDAY_TO_FRIDAY,
                 "schedulingPolicy": {"minimumLeadTime": "PT24H", "maximumAdvance": "P365D",
                                      "allowStaffSelection": True}}
SERVICE_VIEW = {"id": "S1", "display_name": "Loan review", "default_duration": "PT30M"}
NOW = datetime.datetime(2026, 12, 1, 12, tzinfo=UTC)  # a Tuesday
MONDAY = "2026-12-07"


def booking(start, end, staff=("ST1",)):
    return {"start_date_time": start, "end_date_time": end, "staff_member_ids": list(staff)}


def rules(desired, business=None, service=None, staff=None, now=NOW):
    return bookings.application_rules(business or BUSINESS_BODY, service or SERVICE_VIEW,
                                      {"ST1": ADELE} if staff is None else staff, desired, now)


def test_an_appointment_within_the_rules_has_no_problem():
    assert rules(booking(MONDAY + "T09:00:00Z", MONDAY + "T09:30:00Z")) == []


def test_the_rules_need_staff():
    problems = rules(booking(MONDAY + "T09:00:00Z", MONDAY + "T09:30:00Z", staff=()))
    assert len(problems) == 1 and problems[0].startswith("staff: required")


def test_the_rules_need_staff_selection_allowed():
    service = dict(SERVICE_VIEW, scheduling_policy={"allow_staff_selection": False})
    problems = rules(booking(MONDAY + "T09:00:00Z", MONDAY + "T09:30:00Z"), service=service)
    assert len(problems) == 1 and problems[0].startswith("staff:") and "allow_staff_selection" in problems[0]


def test_the_rules_take_the_service_duration_only():
    problems = rules(booking(MONDAY + "T09:00:00Z", MONDAY + "T10:00:00Z"))
    assert len(problems) == 1 and problems[0].startswith("end_date_time:")
    assert "lasts PT1H" in problems[0] and "PT30M" in problems[0]


def test_the_rules_refuse_a_saturday_and_an_evening():
    saturday = rules(booking("2026-12-05T09:00:00Z", "2026-12-05T09:30:00Z"))
    assert len(saturday) == 1 and saturday[0].startswith("start_date_time:") and "business hours" in saturday[0]
    evening = rules(booking(MONDAY + "T18:00:00Z", MONDAY + "T18:30:00Z"), staff={"ST1": dict(ADELE, time_zone=None)})
    assert len(evening) == 1 and evening[0].startswith("start_date_time:") and "(in UTC)" in evening[0]


def test_the_rules_read_the_hours_in_the_first_staff_members_zone():
    # 07:30Z is 08:30 in Berlin (UTC+1 in December): within 08:00-17:00 there, not in UTC
    desired = booking(MONDAY + "T07:30:00Z", MONDAY + "T08:00:00Z")
    assert rules(desired) == []
    utc = rules(desired, staff={"ST1": dict(ADELE, time_zone=None)})
    assert len(utc) == 1 and utc[0].startswith("start_date_time:")
    # 16:30Z is 17:30 in Berlin: past the end of the hours there, within them in UTC
    late = booking(MONDAY + "T16:30:00Z", MONDAY + "T17:00:00Z")
    assert rules(late, staff={"ST1": dict(ADELE, time_zone=None)}) == []
    berlin = rules(late)
    assert len(berlin) == 1 and "(in Europe/Berlin)" in berlin[0]
    assert rules(desired, staff={"ST1": dict(ADELE, time_zone="W. Europe Standard Time")}) == []


def test_the_rules_hold_the_lead_time_and_the_maximum_advance():
    soon = rules(booking(MONDAY + "T09:00:00Z", MONDAY + "T09:30:00Z"),
                 now=datetime.datetime(2026, 12, 7, 6, tzinfo=UTC))
    assert len(soon) == 1 and soon[0].startswith("start_date_time:") and "minimum lead time P1D" in soon[0]
    far = rules(booking(MONDAY + "T09:00:00Z", MONDAY + "T09:30:00Z"),
                now=datetime.datetime(2025, 11, 1, tzinfo=UTC))
    assert len(far) == 1 and far[0].startswith("start_date_time:") and "maximum advance P365D" in far[0]


def test_the_service_policy_overrides_the_business_policy():
    service = dict(SERVICE_VIEW, scheduling_policy={"minimum_lead_time": "PT1H", "maximum_advance": None})
    assert rules(booking(MONDAY + "T09:00:00Z", MONDAY + "T09:30:00Z"), service=service,
                 now=datetime.datetime(2026, 12, 7, 6, tzinfo=UTC)) == []


def test_within_hours():
    hours = [{"day": "monday", "time_slots": [{"start_time": "08:00:00", "end_time": "12:00:00"},
                                              {"start_time": "13:00:00", "end_time": "24:00:00"}]}]

    def at(start, end, zone=UTC):
        return bookings.within_hours(hours, datetime.datetime.fromisoformat(start),
                                     datetime.datetime.fromisoformat(end), zone)
    assert at(MONDAY + "T08:00:00+00:00", MONDAY + "T12:00:00+00:00")
    assert not at(MONDAY + "T11:30:00+00:00", MONDAY + "T13:30:00+00:00")  # across the lunch break
    assert at(MONDAY + "T23:00:00+00:00", "2026-12-08T00:00:00+00:00")  # to midnight
    assert not at(MONDAY + "T23:00:00+00:00", "2026-12-08T00:30:00+00:00")  # past midnight
    assert not at("2026-12-08T09:00:00+00:00", "2026-12-08T09:30:00+00:00")  # a Tuesday: no hours
    assert bookings.within_hours([], datetime.datetime(2026, 12, 5, 3, tzinfo=UTC),
                                 datetime.datetime(2026, 12, 5, 4, tzinfo=UTC), UTC)


def test_staff_ids_by_e_mail_and_a_problem_naming_an_unknown_one():
    views = {"ST1": ADELE, "ST2": {"id": "ST2", "email_address": "AlexW@contoso.com"}}
    assert bookings._staff_ids(views, [" alexw@CONTOSO.com", "adele.vance@contoso.com"], "staff") == (
        ["ST2", "ST1"], [])
    ids, problems = bookings._staff_ids(views, ["adele.vance@contoso.com", "nobody@contoso.com"], "staff")
    assert ids == ["ST1"] and len(problems) == 1
    assert problems[0].startswith("staff[1]: nobody@contoso.com is not a staff member")


def test_question_refs_by_display_name():
    questions = [{"id": "Q1", "displayName": "Account number?"}, {"id": "Q2", "displayName": "Topic"}]
    assert bookings._question_refs(questions, [{"display_name": "topic ", "is_required": True},
                                               {"display_name": "Account number?"}]) == (
        [{"question_id": "Q2", "is_required": True}, {"question_id": "Q1", "is_required": False}], [])
    refs, problems = bookings._question_refs(questions, [{"display_name": "Shoe size"}])
    assert refs == [] and problems[0].startswith("custom_questions[0].display_name: Shoe size is not")


def test_the_service_of_an_appointment_by_id_or_by_name():
    services = {"S1": SERVICE_VIEW, "S2": {"id": "S2", "display_name": "Pension review"}}
    params = {"business_id": BUSINESS_ID}
    assert bookings._service(services, dict(params, service_id="S2")) == (services["S2"], None)
    assert bookings._service(services, dict(params, service_name="loan REVIEW")) == (SERVICE_VIEW, None)
    assert bookings._service(services, dict(params, service_id="S3"))[1].startswith("service_id: S3 is not")
    problem = bookings._service(services, dict(params, service_name="Mortgage"))[1]
    assert problem.startswith("service_name: Mortgage is not") and "Loan review, Pension review" in problem
    assert "it has none" in bookings._service({}, dict(params, service_name="Mortgage"))[1]
    twice = dict(services, S3={"id": "S3", "display_name": "Loan Review"})
    assert "2 services" in bookings._service(twice, dict(params, service_name="Loan review"))[1]


def appointment_params(**given):
    params = dict.fromkeys(bookings.APPOINTMENT_OPTIONS)
    params.update(business_id=BUSINESS_ID, state="present", external_id="A-1", service_name="Loan review",
                  start_date_time=MONDAY + "T10:00:00", end_date_time=MONDAY + "T10:30:00", time_zone="Europe/Berlin")
    params.update(given)
    return params


def test_appointment_problems_make_the_desired_view_in_utc_with_its_label():
    desired, problems = bookings.appointment_problems(appointment_params(
        customers=[{"email_address": " GradyA@contoso.com ", "name": "Grady Archie", "phone": None,
                    "time_zone": None}], pre_buffer=5))
    assert problems == []
    assert desired == {"start_date_time": MONDAY + "T09:00:00Z", "end_date_time": MONDAY + "T09:30:00Z",
                       "pre_buffer": "PT5M", "appointment_label": "external_id:A-1",
                       "customers": [{"email_address": "GradyA@contoso.com", "name": "Grady Archie"}]}


def test_appointment_problems_name_each_field():
    _desired, problems = bookings.appointment_problems(appointment_params(
        external_id=None, service_name=None, end_date_time=MONDAY + "T09:00:00+01:00", pre_buffer="soon",
        cancellation_message="x", customers=[{"email_address": "g@contoso.com"}, {"email_address": "G@contoso.com"}]))
    fields = [problem.split(":")[0] for problem in problems]
    assert "external_id" in fields and "service_name" in fields and "end_date_time" in fields
    assert "pre_buffer" in fields and "cancellation_message" in fields and "customers[1].email_address" in fields


def test_appointment_problems_of_a_cancel_need_no_service_or_times():
    desired, problems = bookings.appointment_problems(appointment_params(
        state="cancelled", service_name=None, start_date_time=None, end_date_time=None, time_zone=None,
        cancellation_message="The branch is closed"))
    assert problems == [] and desired == {"appointment_label": "external_id:A-1"}


def test_appointment_problems_refuse_a_time_without_an_offset_or_zone():
    _desired, problems = bookings.appointment_problems(appointment_params(time_zone=None))
    assert [problem.split(":")[0] for problem in problems] == ["start_date_time", "end_date_time"]
    assert "(or give time_zone)" in problems[0]
