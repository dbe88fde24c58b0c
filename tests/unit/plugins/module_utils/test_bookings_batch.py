"""booking_appointment_batch's pure parts (plugins/module_utils/bookings_batch.py): the items checked before any
request, purge and its guard; the engine's reads for many items (answers a list read already holds, identical reads
sent once); and the export to the bookings role's variables and the drift report (bookings_export.py).  Plain data,
no network."""

import json

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_batch, bookings_export
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_booking import APPOINTMENT
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import CANCELLED, CREATED, UNCHANGED
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Reconciler
from tests.unit.plugins.module_utils.test_booking_kinds import BASE, BUSINESS_ID, FakeClient

ITEM = {"external_id": "A-1", "service_name": "Loan review", "start_date_time": "2027-03-02T10:00:00+01:00",
        "end_date_time": "2027-03-02T10:30:00+01:00", "customers": [{"name": "Grady", "email_address": "g@x.io"}]}


def params(**changes):
    out = {"business_id": BUSINESS_ID, "appointments": [], "appointments_file": None, "window_start": None,
           "window_end": None, "purge": False, "purge_all": False, "purge_limit": "50%", "concurrency": 4}
    out.update(changes)
    return out


# -- the items -------------------------------------------------------------------------------------------------------
def test_an_item_takes_the_options_of_booking_appointment_with_their_types_and_defaults():
    checked, problems = bookings_batch.item_params("appointments[0]", dict(ITEM, is_location_online="true"),
                                                   BUSINESS_ID)
    assert problems == []
    assert checked["state"] == "present" and checked["is_location_online"] is True  # a CSV cell's text
    assert checked["business_id"] == BUSINESS_ID and checked["staff"] is None


@pytest.mark.parametrize("change, named", [
    ({"external_id": 1001}, "appointments[0].external_id: must be text"),
    ({"colour": "red"}, "appointments[0]: unknown key(s) colour"),
    ({"state": "gone"}, "appointments[0]: value of state must be one of"),
    ({"customers": [{"name": "No mail"}]}, "email_address"),
])
def test_an_item_with_bad_options_is_named_with_the_field(change, named):
    problems = bookings_batch.item_params("appointments[0]", dict(ITEM, **change), BUSINESS_ID)[1]
    assert any(named in problem for problem in problems), problems


def test_gather_names_every_bad_item_and_keys_given_twice_before_any_request():
    bad = dict(ITEM, external_id="A-2", end_date_time="2027-03-02T09:00:00+01:00")
    with pytest.raises(ValidationError) as caught:
        bookings_batch.gather(params(appointments=[ITEM, dict(ITEM), bad], concurrency=9))
    problems = caught.value.problems
    assert any(p.startswith("concurrency: between 1 and 4") for p in problems)
    assert any("appointments[1] (external_id A-1).external_id: A-1 is also appointments[0]" in p for p in problems)
    assert any(p.startswith("appointments[2] (external_id A-2).end_date_time: ") for p in problems), problems


def test_gather_reads_a_csv_export_with_one_customer_in_columns(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("external_id,service_name,start_date_time,end_date_time,customer_name,customer_email_address,"
                    "is_location_online\nA-9,Loan review,2027-03-02T10:00:00Z,2027-03-02T10:30:00Z,Grady,g@x.io,"
                    "true\n", encoding="utf-8")
    entries, source = bookings_batch.gather(params(appointments_file={"path": str(path), "format": "auto"}))
    (where, checked, desired), = entries
    assert where == "export.csv line 2 (external_id A-9)" and source["items"] == 1
    assert desired["customers"] == [{"name": "Grady", "email_address": "g@x.io"}]
    assert desired["is_location_online"] is True and desired["appointment_label"] == "external_id:A-9"
    assert desired["start_date_time"] == "2027-03-02T10:00:00Z" and checked["state"] == "present"


def test_a_window_needs_both_ends_in_order():
    with pytest.raises(ValidationError, match="give both"):
        bookings_batch.gather(params(window_start="2027-01-01T00:00:00Z"))
    with pytest.raises(ValidationError, match="not after window_start"):
        bookings_batch.window(params(window_start="2027-02-01T00:00:00Z", window_end="2027-01-01T00:00:00Z"))
    assert bookings_batch.listing_path(BUSINESS_ID, None) == BASE + "/appointments"
    assert bookings_batch.listing_path(BUSINESS_ID, ["2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"]) == \
        BASE + "/calendarView?start=2027-01-01T00%3A00%3A00Z&end=2027-02-01T00%3A00%3A00Z"


# -- purge -----------------------------------------------------------------------------------------------------------
def keyed(number):
    return {"id": "AP%d" % number, "appointmentLabel": "external_id:A-%d" % number}


def entries_named(*numbers):
    return [("appointments[%d]" % n, {"external_id": "A-%d" % n}, {}) for n in numbers]


def test_purge_takes_only_appointments_that_carry_the_key_and_no_item_names():
    listed = [keyed(1), keyed(2), keyed(3), {"id": "X1", "appointmentLabel": None}, {"id": "X2"}]
    purged = bookings_batch.purge_entries(entries_named(1, 2), listed, params(purge=True))
    assert [entry["id"] for entry in purged] == ["AP3"]


def test_purge_is_refused_for_an_empty_task_or_beyond_the_limit_unless_purge_all():
    listed = [keyed(n) for n in range(1, 5)]
    with pytest.raises(ValidationError, match="gives no appointment"):
        bookings_batch.purge_entries([], listed, params(purge=True))
    with pytest.raises(ValidationError, match="would delete 3 of the 4"):
        bookings_batch.purge_entries(entries_named(1), listed, params(purge=True))
    assert len(bookings_batch.purge_entries(entries_named(1), listed, params(purge=True, purge_limit="3"))) == 3
    assert len(bookings_batch.purge_entries([], listed, params(purge=True, purge_all=True))) == 4


# -- the engine's reads for many items -------------------------------------------------------------------------------
def test_a_read_answered_by_the_batch_list_is_not_sent_and_a_cancel_needs_no_read_by_id():
    from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import appointment_item
    client = FakeClient([("POST", BASE + "/appointments/AP1/cancel", BatchResult(204, {}, None))])
    found = {"id": "AP1", "appointmentLabel": "external_id:A-1"}
    items = [appointment_item({"business_id": BUSINESS_ID, "state": "cancelled", "external_id": "A-1",
                               "cancellation_message": "Closed"}, {}, "a", listed=found),
             appointment_item({"business_id": BUSINESS_ID, "state": "cancelled", "external_id": "A-2"}, {}, "b",
                              listed=False)]
    results = Reconciler(client, kinds=(APPOINTMENT,)).run(items)
    assert [result.action for result in results] == [CANCELLED, UNCHANGED]
    assert client.methods() == ["POST"]


def test_identical_reads_of_one_round_are_sent_once():
    """After lost creates, every conflict re-reads the same list: one request answers them all."""
    client = FakeClient([("GET", BASE + "/appointments", BatchResult(200, {}, {"value": []}))])
    engine = Reconciler(client, kinds=(APPOINTMENT,))
    op = {"method": "GET", "path": BASE + "/appointments", "pages": True}
    answers = engine._read([dict(op), dict(op), {"given": BatchResult(200, {}, {"value": [1]})}])  # pylint: disable=protected-access
    assert answers[0] is answers[1] and answers[2].body == {"value": [1]}
    assert client.methods() == ["GET"]


def test_an_appointment_known_by_id_only_that_is_gone_fails_rather_than_being_made_without_a_key():
    from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import appointment_item
    client = FakeClient([])
    item = appointment_item({"business_id": BUSINESS_ID, "state": "present", "appointment_id": "AP7"},
                            {"is_location_online": True}, "adopted", listed=False)
    result = Reconciler(client, kinds=(APPOINTMENT,)).run([item])[0]
    assert "AP7 is not in business" in str(result.error) and client.methods() == []


# -- export and drift ------------------------------------------------------------------------------------------------
INFO = {
    "booking_business": {"id": BUSINESS_ID, "display_name": "Contoso", "is_published": True, "web_url": "x",
                         "scheduling_policy": {"minimum_lead_time": "P1D", "custom_availabilities": []},
                         "address": None},
    "staff_members": [{"id": "ST1", "email_address": "adele@x.io", "display_name": "Adele", "role": "administrator",
                       "membership_status": "active"}],
    "custom_questions": [{"id": "Q1", "display_name": "Age?", "answer_input_type": "text", "answer_options": []}],
    "services": [{"id": "S1", "display_name": "Loan review", "default_duration": "PT30M", "staff_member_ids": ["ST1"],
                  "custom_questions": [{"question_id": "Q1", "is_required": True}],
                  "default_reminders": [{"message": "Soon", "offset": "P1D", "recipients": "allAttendees"}]}],
    "appointments": [
        {"id": "AP1", "external_id": "A-1", "appointment_label": "external_id:A-1", "service_id": "S1",
         "service_name": "Loan review", "start_date_time": "2027-03-02T09:00:00Z",
         "end_date_time": "2027-03-02T09:30:00Z", "staff_member_ids": ["ST1"], "is_location_online": True,
         "customers": [{"customer_id": None, "name": "Grady", "email_address": "g@x.io", "phone": None}],
         "join_web_url": "https://teams", "duration": "PT30M"},
        {"id": "AP2", "external_id": None, "appointment_label": None, "service_id": "S1", "service_name": "Loan review",
         "start_date_time": "2027-03-03T09:00:00Z", "end_date_time": "2027-03-03T09:30:00Z"},
    ],
}


def test_export_projects_each_object_onto_its_modules_options_with_names_for_ids():
    out = bookings_export.role_vars(INFO)
    assert out["bookings_business"] == {"display_name": "Contoso", "scheduling_policy": {"minimum_lead_time": "P1D"},
                                        "published": True}
    assert out["bookings_staff"] == [{"email_address": "adele@x.io", "display_name": "Adele",
                                      "role": "administrator"}]
    service = out["bookings_services"][0]
    assert service["staff"] == ["adele@x.io"]
    assert service["custom_questions"] == [{"display_name": "Age?", "is_required": True}]
    assert service["default_reminders"] == [{"text": "Soon", "offset": "P1D", "recipients": "allAttendees"}]
    first, adopted = out["bookings_appointments"]
    assert first["external_id"] == "A-1" and "appointment_id" not in first and first["service_name"] == "Loan review"
    assert first["customers"] == [{"name": "Grady", "email_address": "g@x.io"}] and first["staff"] == ["adele@x.io"]
    assert "join_web_url" not in first and "duration" not in first
    assert adopted["appointment_id"] == "AP2" and "external_id" not in adopted
    json.dumps(out)  # plain data, ready for to_nice_yaml


def test_drift_names_missing_different_and_unmanaged_and_nothing_else():
    results = {
        "services": [("Loan review", {"action": "unchanged"}),
                     ("Walk-in", {"action": "created"})],
        "staff": [("adele@x.io", {"action": "updated",
                                  "diff": {"before": {"role": "viewer"}, "after": {"role": "administrator"}}})],
        "appointments": {"appointments": [
            {"external_id": "A-1", "action": "unchanged"},
            {"external_id": "A-2", "action": CREATED},
            {"external_id": "A-3", "action": "updated", "diff": {"before": {"end_date_time": "09:30", "x": 1},
                                                                 "after": {"end_date_time": "09:45", "x": 1}}}],
            "unmanaged": [{"appointment_id": "AP9", "external_id": None, "start_date_time": "2027-03-04T09:00:00Z"}]},
    }
    report = bookings_export.drift(BUSINESS_ID, results, INFO)
    assert report["missing"] == [{"kind": "services", "key": "Walk-in"}, {"kind": "appointments", "key": "A-2"}]
    assert report["different"] == [
        {"kind": "staff", "key": "adele@x.io", "fields": {"role": {"inventory": "administrator", "graph": "viewer"}}},
        {"kind": "appointments", "key": "A-3",
         "fields": {"end_date_time": {"inventory": "09:45", "graph": "09:30"}}}]
    assert [(entry["kind"], entry["key"]) for entry in report["unmanaged"]] == [
        ("custom_questions", "Age?"), ("appointments", "AP9")]
    assert report["drift"] is True
    text = bookings_export.drift_markdown([report])
    assert "## %s" % BUSINESS_ID in text and "end_date_time: inventory `09:45`, Graph `09:30`" in text
    clean = bookings_export.drift(BUSINESS_ID, {"appointments": {"appointments": [], "unmanaged": []}})
    assert clean["drift"] is False and "No drift." in bookings_export.drift_markdown([clean])
