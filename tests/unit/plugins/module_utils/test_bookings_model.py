"""Microsoft Bookings values (plugins/module_utils/bookings_model.py): names, the normal form of each field kind,
Graph objects to views and back, and the comparison of a desired subset with what Graph holds - pure functions of
plain data."""

import datetime

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_model as model

# A Graph bookingAppointment as Bookings answers it: UTC date-times with seven-digit fractions, annotations.
GRAPH_APPOINTMENT = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#solutions/bookingBusinesses('x')/appointments"
                      "/$entity",
    "@odata.etag": 'W/"1"',
    "id": "AAMkADKnAAA=",
    "appointmentLabel": "external_id:A-1",
    "serviceId": "S1",
    "serviceName": "Loan review",
    "staffMemberIds@odata.type": "#Collection(String)",
    "staffMemberIds": ["ST2", "ST1"],
    "startDateTime": {"@odata.type": "#microsoft.graph.dateTimeTimeZone",
                      "dateTime": "2026-12-07T09:00:00.0000000Z", "timeZone": "UTC"},
    "endDateTime": {"dateTime": "2026-12-07T09:30:00.1234567", "timeZone": "UTC"},
    "preBuffer": "PT5M",
    "postBuffer": "PT0S",
    "isLocationOnline": True,
    "price": 10.0,
    "customers@odata.type": "#Collection(microsoft.graph.bookingCustomerInformationBase)",
    "customers": [{"@odata.type": "#microsoft.graph.bookingCustomerInformation", "customerId": "C1",
                   "name": "Grady Archie", "emailAddress": "gradya@contoso.com", "phone": "+1 312 555 0142",
                   "timeZone": "America/Chicago"}],
    "reminders": [{"@odata.type": "#microsoft.graph.bookingReminder", "message": "Soon", "offset": "P1D",
                   "recipients": "allAttendees"}],
}
VIEW = {
    "id": "AAMkADKnAAA=", "appointment_label": "external_id:A-1", "service_id": "S1", "service_name": "Loan review",
    "staff_member_ids": ["ST2", "ST1"], "start_date_time": "2026-12-07T09:00:00Z",
    "end_date_time": "2026-12-07T09:30:00Z", "pre_buffer": "PT5M", "post_buffer": "PT0S",
    "is_location_online": True, "price": 10.0,
    "customers": [{"customer_id": "C1", "name": "Grady Archie", "email_address": "gradya@contoso.com",
                   "phone": "+1 312 555 0142", "time_zone": "America/Chicago"}],
    "reminders": [{"message": "Soon", "offset": "P1D", "recipients": "allAttendees"}],
}
GRADY = {"email_address": "gradya@contoso.com", "name": "Grady Archie", "phone": "+1 312 555 0142"}
MEGAN = {"email_address": "meganb@contoso.com", "name": "Megan Bowen", "phone": "+1 312 555 0199"}


# -- names -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("snake_name, camel_name", [
    ("web_site_url", "webSiteUrl"), ("id", "id"), ("is_anonymous_join_enabled", "isAnonymousJoinEnabled"),
    ("default_currency_iso", "defaultCurrencyIso"), ("staff_member_ids", "staffMemberIds")])
def test_camel_and_snake_are_inverse(snake_name, camel_name):
    assert model.camel(snake_name) == camel_name
    assert model.snake(camel_name) == snake_name


# -- durations -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, normal", [
    (30, "PT30M"), ("30", "PT30M"), (" 45 ", "PT45M"), (60, "PT1H"), (90, "PT1H30M"), (1440, "P1D"), (0, "PT0S"),
    (0.5, "PT30S"), ("PT30M", "PT30M"), ("pt30m", "PT30M"), ("PT60M", "PT1H"), ("P1D", "P1D"), ("PT24H", "P1D"),
    ("P1W", "P7D"), ("P1DT2H", "P1DT2H"), ("PT1.5H", "PT1H30M"), ("PT90S", "PT1M30S"), ("P0D", "PT0S")])
def test_a_duration_has_one_normal_form(value, normal):
    assert model.normal_duration(value) == normal


def test_a_duration_in_seconds():
    assert model.duration_seconds("PT1H") == model.duration_seconds(60) == 3600
    assert model.duration_seconds("P1D") == 86400
    assert model.duration_seconds("P1DT1H1M1S") == 86400 + 3661


@pytest.mark.parametrize("value", ["P", "PT", "P1DT", "-PT1H", "1h", "thirty", "", "30.5", "PT1H30", True, False,
                                   -5, -0.5, None, [], {}])
def test_a_bad_duration_raises_value_error(value):
    with pytest.raises(ValueError):
        model.duration_seconds(value)
    with pytest.raises(ValueError):
        model.normal_duration(value)


def test_the_message_of_a_bad_duration_tells_what_to_give():
    with pytest.raises(ValueError, match="PT30M"):
        model.duration_seconds("half an hour")


def test_an_infinite_duration_is_a_value_error():
    with pytest.raises(ValueError):
        model.duration_seconds(float("inf"))


@pytest.mark.parametrize("seconds, text", [(0, "PT0S"), (59.6, "PT1M"), (3600, "PT1H"), (86400 + 7200, "P1DT2H"),
                                           (2 * 86400 + 1, "P2DT1S")])
def test_format_duration_writes_what_graph_writes(seconds, text):
    assert model.format_duration(seconds) == text


# -- times of day and instants ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, normal", [("8:00", "08:00:00"), ("08:00", "08:00:00"), ("17:30:15", "17:30:15"),
                                           ("08:00:00.0000000", "08:00:00"), (" 9:05 ", "09:05:00"),
                                           ("24:00", "24:00:00")])
def test_a_time_of_day_has_one_normal_form(value, normal):
    assert model.normal_time_of_day(value) == normal


@pytest.mark.parametrize("value", ["25:00", "24:30", "24:00:30", "8", "08:60", "8h", "", None, 8, "08:00 pm"])
def test_a_bad_time_of_day_raises_value_error(value):
    with pytest.raises(ValueError, match="not a time of day"):
        model.normal_time_of_day(value)


def test_seconds_above_59_are_not_a_time_of_day():
    with pytest.raises(ValueError):
        model.normal_time_of_day("23:59:99")


def test_parse_instant_takes_graphs_seven_digit_fractions_and_offsets():
    utc = datetime.timezone.utc
    assert model.parse_instant("2026-12-07T09:00:00.1234567Z") == \
        datetime.datetime(2026, 12, 7, 9, 0, 0, 123456, tzinfo=utc)
    assert model.parse_instant("2026-12-07T10:00:00+01:00") == datetime.datetime(2026, 12, 7, 9, tzinfo=utc)
    assert model.parse_instant("2026-12-07T09:00:00") == datetime.datetime(2026, 12, 7, 9, tzinfo=utc)
    assert model.parse_instant("2026-12-07T10:00:00+01:00").tzinfo == utc
    with pytest.raises(ValueError):
        model.parse_instant("next Monday")


def test_utc_text_is_whole_seconds_with_z():
    berlin = datetime.timezone(datetime.timedelta(hours=1))
    assert model.utc_text(datetime.datetime(2026, 12, 7, 10, 0, 0, 999999, tzinfo=berlin)) == "2026-12-07T09:00:00Z"


def test_instant_from_graph():
    assert model.instant_from_graph({"dateTime": "2026-12-07T09:00:00.0000000", "timeZone": "UTC"}) == \
        "2026-12-07T09:00:00Z"
    assert model.instant_from_graph({"dateTime": "2026-12-07T09:00:00.0000000"}) == "2026-12-07T09:00:00Z"
    assert model.instant_from_graph({"dateTime": "2026-12-07T10:00:00+01:00", "timeZone": "Europe/Berlin"}) == \
        "2026-12-07T09:00:00Z"
    # a zone Bookings does not answer with: kept as given (never equal to a UTC view)
    assert model.instant_from_graph({"dateTime": "2026-12-07T10:00:00", "timeZone": "W. Europe Standard Time"}) == \
        "2026-12-07T10:00:00"
    assert model.instant_from_graph(None) is None
    assert model.instant_from_graph({"dateTime": None, "timeZone": "UTC"}) is None


# -- from_graph / to_graph -------------------------------------------------------------------------------------------
def test_from_graph_makes_the_view_of_an_appointment():
    assert model.from_graph(GRAPH_APPOINTMENT) == VIEW


def test_from_graph_drops_every_annotation_at_every_depth():
    def keys(value):
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()
    assert not [key for key in keys(model.from_graph(GRAPH_APPOINTMENT)) if "@" in key]


def test_from_graph_normalises_durations_and_times_of_day_wherever_they_are():
    business = model.from_graph({
        "displayName": "Contoso", "businessHours": [
            {"day": "monday", "timeSlots": [{"startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000"}]}],
        "schedulingPolicy": {"timeSlotInterval": "PT60M", "minimumLeadTime": "PT24H", "maximumAdvance": "P365D",
                             "allowStaffSelection": True}})
    assert business["business_hours"] == [{"day": "monday",
                                           "time_slots": [{"start_time": "08:00:00", "end_time": "17:00:00"}]}]
    assert business["scheduling_policy"] == {"time_slot_interval": "PT1H", "minimum_lead_time": "P1D",
                                             "maximum_advance": "P365D", "allow_staff_selection": True}


def test_from_graph_keeps_a_value_it_cannot_normalise_and_lists_of_objects():
    assert model.from_graph({"defaultDuration": "soon", "startTime": "noon", "notes": None}) == {
        "default_duration": "soon", "start_time": "noon", "notes": None}
    assert model.from_graph([{"displayName": "A"}, {"displayName": "B"}]) == [{"display_name": "A"},
                                                                              {"display_name": "B"}]
    assert model.from_graph("text") == "text"


def test_to_graph_makes_the_body_graph_takes():
    body = model.to_graph(VIEW)
    assert body["startDateTime"] == {"@odata.type": model.DATE_TIME_TYPE, "dateTime": "2026-12-07T09:00:00Z",
                                     "timeZone": "UTC"}
    assert body["endDateTime"]["dateTime"] == "2026-12-07T09:30:00Z"
    assert body["customers"] == [{"@odata.type": model.CUSTOMER_INFO_TYPE, "customerId": "C1",
                                  "name": "Grady Archie", "emailAddress": "gradya@contoso.com",
                                  "phone": "+1 312 555 0142", "timeZone": "America/Chicago"}]
    assert body["staffMemberIds"] == ["ST2", "ST1"]
    assert body["reminders"] == [{"message": "Soon", "offset": "P1D", "recipients": "allAttendees"}]
    assert body["appointmentLabel"] == "external_id:A-1" and body["isLocationOnline"] is True


def test_to_graph_leaves_a_date_time_of_none_as_none():
    assert model.to_graph({"start_date_time": None}) == {"startDateTime": None}


def test_a_graph_appointment_goes_round_trip():
    view = model.from_graph(GRAPH_APPOINTMENT)
    assert model.from_graph(model.to_graph(view)) == view
    # and Graph's body (without its annotations, with date-times in the form the collection writes) back again
    again = model.to_graph(view)
    assert again["customers"][0]["@odata.type"] == model.CUSTOMER_INFO_TYPE
    assert "@odata.context" not in again and "@odata.etag" not in again and "staffMemberIds@odata.type" not in again


# -- desired views -------------------------------------------------------------------------------------------------
def test_desired_view_has_the_options_set_in_normal_form():
    options = {"display_name": "Loan review", "default_duration": 30, "pre_buffer": None, "notes": "",
               "scheduling_policy": {"minimum_lead_time": "PT24H", "maximum_advance": None,
                                     "allow_staff_selection": True},
               "default_reminders": [{"message": "Soon", "offset": 1440, "recipients": "customer"}],
               "other": "not a field"}
    assert model.desired_view(options, ("display_name", "default_duration", "pre_buffer", "notes",
                                        "scheduling_policy", "default_reminders", "missing")) == {
        "display_name": "Loan review", "default_duration": "PT30M", "notes": "",
        "scheduling_policy": {"minimum_lead_time": "P1D", "allow_staff_selection": True},
        "default_reminders": [{"message": "Soon", "offset": "P1D", "recipients": "customer"}]}


def test_normalise_of_working_hours():
    assert model.normalise("working_hours", [{"day": "monday", "time_slots": [
        {"start_time": "8:00", "end_time": "17:30"}]}]) == [
        {"day": "monday", "time_slots": [{"start_time": "08:00:00", "end_time": "17:30:00"}]}]


# -- equal -----------------------------------------------------------------------------------------------------------
def test_equal_compares_the_keys_a_dict_gives():
    actual = {"minimum_lead_time": "P1D", "maximum_advance": "P365D", "allow_staff_selection": True}
    assert model.equal("scheduling_policy", {"minimum_lead_time": "PT24H"}, actual)
    assert not model.equal("scheduling_policy", {"allow_staff_selection": False}, actual)
    assert not model.equal("scheduling_policy", {"minimum_lead_time": "P1D"}, None)


def test_equal_lists_element_by_element_and_set_keys_as_sets():
    assert model.equal("staff_member_ids", ["ST1", "ST2"], ["ST2", "ST1"])
    assert not model.equal("staff_member_ids", ["ST1"], ["ST1", "ST2"])
    assert not model.equal("answer_options", ["Yes", "No"], ["No", "Yes"])
    assert model.equal("answer_options", ["Yes", "No"], ["Yes", "No"])
    assert not model.equal("answer_options", ["Yes"], None)
    reminders = [{"message": "Soon", "offset": "P1D", "recipients": "allAttendees"}]
    assert model.equal("default_reminders", [{"offset": "PT24H"}], reminders)


def test_equal_addresses_without_regard_to_case():
    assert model.equal("email_address", "GradyA@Contoso.com", " gradya@contoso.com")
    assert model.equal("email", "INFO@contoso.com", "info@contoso.com")
    assert not model.equal("display_name", "Loan Review", "Loan review")


def test_equal_numbers_and_durations():
    assert model.equal("default_price", 10, 10.0)
    assert model.equal("price", 10.1 + 0.2, 10.3)
    assert not model.equal("price", 10.0, "ten")
    assert not model.equal("price", 10.0, None)
    assert model.equal("default_duration", "PT60M", "PT1H")
    assert model.equal("default_duration", "P1D", "PT24H")
    assert not model.equal("default_duration", "PT30M", "PT1H")
    assert model.equal("pre_buffer", "weird", "weird")  # not a duration: compared as text


def test_customers_are_a_set_keyed_by_e_mail():
    actual = [dict(MEGAN, customer_id="C2"), dict(GRADY, customer_id="C1", time_zone="UTC")]
    assert model.equal("customers", [GRADY, MEGAN], actual)
    # reordered, and the e-mail address in another case
    assert model.equal("customers", [dict(MEGAN, email_address="MeganB@Contoso.COM"), GRADY], actual)
    # only the keys the task gives are compared
    assert model.equal("customers", [{"email_address": "gradya@contoso.com"}, {"email_address": "meganb@contoso.com"}],
                       actual)


def test_customers_differ_in_a_phone_the_task_gives():
    actual = [dict(GRADY, phone="+1 312 555 0000")]
    assert not model.equal("customers", [GRADY], actual)
    assert model.equal("customers", [{"email_address": GRADY["email_address"], "name": GRADY["name"]}], actual)


def test_customers_differ_in_a_name_the_task_gives():
    assert not model.equal("customers", [dict(GRADY, name="G. Archie")], [GRADY])


def test_customers_differ_when_one_is_added_or_missing():
    assert not model.equal("customers", [GRADY], [GRADY, MEGAN])
    assert not model.equal("customers", [GRADY, MEGAN], [GRADY])
    assert not model.equal("customers", [GRADY], [MEGAN])
    assert not model.equal("customers", [GRADY], None)
    assert model.equal("customers", [], None)


# -- changes, merged, compared_view, matches -------------------------------------------------------------------------
def test_changes_are_only_the_differing_keys():
    actual = {"id": "S1", "display_name": "Loan review", "default_duration": "PT1H", "default_price": 10.0,
              "notes": "old", "staff_member_ids": ["ST1", "ST2"]}
    desired = {"display_name": "Loan review", "default_duration": "PT60M", "default_price": 10,
               "notes": "new", "staff_member_ids": ["ST2", "ST1", "ST3"]}
    assert model.changes(desired, actual) == {"notes": "new", "staff_member_ids": ["ST2", "ST1", "ST3"]}
    assert model.changes(desired, actual, skip=("notes",)) == {"staff_member_ids": ["ST2", "ST1", "ST3"]}
    assert model.changes({"notes": "old"}, actual) == {}
    assert model.changes({"notes": "x"}, None) == {"notes": "x"}


def test_whole_completes_a_changed_dict_with_what_graph_holds():
    actual = {"minimum_lead_time": "P1D", "maximum_advance": "P365D", "allow_staff_selection": True}
    assert model.whole({"minimum_lead_time": "PT1H"}, actual) == {
        "minimum_lead_time": "PT1H", "maximum_advance": "P365D", "allow_staff_selection": True}
    assert model.whole({"a": {"b": 1}}, {"a": {"b": 0, "c": 2}, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
    assert model.whole({"city": "Berlin"}, None) == {"city": "Berlin"}
    assert model.whole(["ST1"], ["ST2", "ST3"]) == ["ST1"]  # a list is sent as given
    assert model.whole("new", "old") == "new"
    assert actual["minimum_lead_time"] == "P1D"  # not changed in place


def test_merged_predicts_the_view_after_a_patch():
    actual = {"id": "S1", "notes": "old", "scheduling_policy": {"minimum_lead_time": "P1D", "maximum_advance": "P1D"}}
    after = model.merged(actual, {"notes": "new", "scheduling_policy": {"minimum_lead_time": "PT1H"}})
    assert after == {"id": "S1", "notes": "new", "scheduling_policy": {"minimum_lead_time": "PT1H"}}
    assert actual["notes"] == "old"  # not changed in place
    assert model.merged(None, {"notes": "x"}) == {"notes": "x"}


def test_compared_view_projects_what_the_task_set():
    view = dict(VIEW, scheduling_policy={"minimum_lead_time": "P1D", "maximum_advance": "P1D"})
    desired = {"price": 12.0, "customers": [{"email_address": "gradya@contoso.com", "phone": "+1"}],
               "scheduling_policy": {"minimum_lead_time": "PT1H"}, "notes": "x"}
    assert model.compared_view(view, desired) == {
        "price": 10.0, "customers": [{"email_address": "gradya@contoso.com", "phone": "+1 312 555 0142"}],
        "scheduling_policy": {"minimum_lead_time": "P1D"}, "notes": None}
    assert model.compared_view(None, {"notes": "x"}) == {"notes": None}


def test_matches_texts_without_regard_to_case_or_blanks():
    assert model.matches({"display_name": " Loan Review "}, "display_name", "loan review")
    assert not model.matches({"display_name": "Loan review"}, "display_name", "Loan reviews")
    assert model.matches({"count": 1}, "count", 1)
    assert not model.matches(None, "display_name", "x")
