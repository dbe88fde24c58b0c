"""Contract tests: the emulator's Microsoft Bookings v1.0 (shared reference ``bookings-api.md``).

- 3: businesses (list id/displayName with ``query``, no paging; create 201 with a mailbox SMTP id, delegated
  Bookings.Manage.All only; get; PATCH 204; DELETE 204; publish/unpublish 204); no PUT (405);
- 2, 3: services, staffMembers, customers, customQuestions: POST 201 + body, GET, PATCH 204 (merge), DELETE 204; customers need
  ``@odata.type``; staff need a role;
- 4, 5, 8: appointments: create 201 in UTC with duration, joinWebUrl, anonymousJoinWebUrl only with the service's
  isAnonymousJoinEnabled, customers[] need ``@odata.type``, unknown customerIds dropped; lists and calendarView omit
  customers and notes; ``$filter`` 400; nextLink paging; cancel 204/404;
- 3, 6: the permission matrix (app-only business create refused, app-only appointments need
  BookingsAppointment.ReadWrite.All and staffMemberIds, and keep the service's duration, the lead time, the
  maximum advance and allowStaffSelection);
- both profiles serve Bookings the same; reset clears it; the request log records it.
- 10: four concurrent requests per app per mailbox, then 429 + Retry-After (also per $batch item).
"""

import base64
import concurrent.futures
import datetime
import json
import time
import uuid

import pytest

from tests.graph_emulator.core import Emulator
from tests.graph_emulator.directory import DEFAULT_SEED
from tests.graph_emulator.graph import Call
from tests.graph_emulator.process import EmulatorProcess

TIMEOUT = 10
ALL = ["Bookings.Read.All", "Bookings.ReadWrite.All", "BookingsAppointment.ReadWrite.All", "Bookings.Manage.All"]
BASE = "/solutions/bookingBusinesses"
CUSTOMER_INFO = "#microsoft.graph.bookingCustomerInformation"


class Graph:
    """Requests to the emulator's Graph with one token; paths are relative to the version."""

    def __init__(self, emulator, token):
        self.http = emulator.session()
        self.url = emulator.graph_url
        self.token = token

    def close(self):
        self.http.close()

    def __call__(self, method, path, version="v1.0", token=None, **kwargs):
        headers = dict(kwargs.pop("headers", None) or {}, Authorization="Bearer " + (token or self.token))
        return self.http.request(method, "%s/%s%s" % (self.url, version, path), headers=headers, timeout=TIMEOUT,
                                 **kwargs)


def assert_error(response, status, code=None, message=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    if code is not None:
        assert error["code"] == code, error
    if message is not None:
        assert error["message"] == message, error
    return error


def delegated_token(emulator, *scopes):
    return emulator.app_token(user_id=emulator.defaults["user_id"], scopes=list(scopes or ALL))


@pytest.fixture
def graph(emulator):
    """A delegated token with every Bookings scope (the public client's seed grants them)."""
    client = Graph(emulator, delegated_token(emulator))
    yield client
    client.close()


@pytest.fixture
def app(emulator):
    """An app-only token with every Bookings role."""
    return emulator.app_token(roles=ALL)


def new_business(graph, name="Fourth Coffee", **extra):
    response = graph("POST", BASE, json=dict({"displayName": name}, **extra))
    assert response.status_code == 201, response.text
    return response.json()


def new_service(graph, business, **extra):
    body = dict({"displayName": "Consultation", "defaultDuration": "PT30M"}, **extra)
    response = graph("POST", "%s/%s/services" % (BASE, business), json=body)
    assert response.status_code == 201, response.text
    return response.json()


def new_staff(graph, business):
    response = graph("POST", "%s/%s/staffMembers" % (BASE, business),
                     json={"displayName": "Dana", "emailAddress": "dana@contoso.com", "role": "administrator"})
    assert response.status_code == 201, response.text
    return response.json()


def new_customer(graph, business, name="Jordan Miller"):
    response = graph("POST", "%s/%s/customers" % (BASE, business),
                     json={"@odata.type": "#microsoft.graph.bookingCustomer", "displayName": name,
                           "emailAddress": "jordan@example.com"})
    assert response.status_code == 201, response.text
    return response.json()


def appointment_body(service_id, start="2030-05-01T12:00:00.0000000+00:00", end="2030-05-01T12:30:00.0000000+00:00",
                     **extra):
    body = {"@odata.type": "#microsoft.graph.bookingAppointment", "serviceId": service_id,
            "startDateTime": {"dateTime": start, "timeZone": "UTC"},
            "endDateTime": {"dateTime": end, "timeZone": "UTC"}}
    body.update(extra)
    return body


# --------------------------------------------------------------------------------------------------------
# Businesses (sections 2, 3, 5)
# --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_business_create_get_defaults(graph, emulator, version):
    response = graph("POST", BASE, version=version, json={"displayName": "Fourth Coffee", "email": "a@b.com"})
    assert response.status_code == 201, response.text
    business = response.json()
    assert business["id"] == "fourthcoffee@" + emulator.defaults["tenant_domain"]
    assert business["isPublished"] is False and business["publicUrl"] is None
    assert business["languageTag"] == "en-US" and business["email"] == "a@b.com"
    policy = business["schedulingPolicy"]
    assert (policy["timeSlotInterval"], policy["minimumLeadTime"], policy["maximumAdvance"]) == \
        ("PT30M", "P1D", "P365D")
    assert policy["allowStaffSelection"] is True and policy["sendConfirmationsToOwner"] is True
    monday = next(d for d in business["businessHours"] if d["day"] == "monday")
    assert monday["timeSlots"] == [{"startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000"}]
    got = graph("GET", "%s/%s" % (BASE, business["id"].replace("@", "%40")), version=version)
    assert got.status_code == 200 and got.json()["displayName"] == "Fourth Coffee"
    second = new_business(graph)
    assert second["id"] == "fourthcoffee2@" + emulator.defaults["tenant_domain"]


def test_business_create_needs_display_name(graph):
    assert_error(graph("POST", BASE, json={"email": "x@y.com"}), 400, "BadRequest")


def test_business_list_only_id_and_name_with_query(graph):
    new_business(graph, "Fourth Coffee")
    new_business(graph, "Contoso Lunch Delivery")
    body = graph("GET", BASE).json()
    assert "@odata.nextLink" not in body
    assert sorted(v["displayName"] for v in body["value"]) == ["Contoso Lunch Delivery", "Fourth Coffee"]
    assert all(set(v) == {"id", "displayName"} for v in body["value"])
    found = graph("GET", BASE, params={"query": "lunch"}).json()["value"]
    assert [v["displayName"] for v in found] == ["Contoso Lunch Delivery"]


def test_business_patch_delete_and_missing(graph):
    business = new_business(graph)
    path = "%s/%s" % (BASE, business["id"])
    response = graph("PATCH", path, json={"displayName": "Fourth Coffee Ltd", "isPublished": True})
    assert response.status_code == 204 and not response.content
    got = graph("GET", path).json()
    assert got["displayName"] == "Fourth Coffee Ltd" and got["isPublished"] is False  # read-only ignored
    assert graph("DELETE", path).status_code == 204
    assert_error(graph("GET", path), 404, "ErrorNonExistentMailbox")
    assert_error(graph("DELETE", path), 404, "ErrorNonExistentMailbox")


def test_no_put(graph):
    business = new_business(graph)
    assert_error(graph("PUT", "%s/%s" % (BASE, business["id"]), json={"displayName": "x"}), 405, "MethodNotAllowed")


def test_publish_unpublish(graph):
    business = new_business(graph)
    path = "%s/%s" % (BASE, business["id"])
    assert graph("POST", path + "/publish").status_code == 204
    got = graph("GET", path).json()
    assert got["isPublished"] is True and got["publicUrl"].startswith("https://")
    assert graph("POST", path + "/unpublish").status_code == 204
    got = graph("GET", path).json()
    assert got["isPublished"] is False and got["publicUrl"] is None


def test_business_create_delete_refuse_app_tokens(graph, app):
    assert_error(graph("POST", BASE, token=app, json={"displayName": "App Business"}), 403, "Forbidden")
    business = new_business(graph)
    path = "%s/%s" % (BASE, business["id"])
    assert_error(graph("DELETE", path, token=app), 403, "Forbidden")
    # Reading, updating and publishing work app-only (section 3).
    assert graph("GET", path, token=app).status_code == 200
    assert graph("PATCH", path, token=app, json={"phone": "206-555-0100"}).status_code == 204
    assert graph("POST", path + "/publish", token=app).status_code == 204


def test_business_create_needs_manage_scope(emulator, graph):
    token = delegated_token(emulator, "Bookings.ReadWrite.All")
    assert_error(graph("POST", BASE, token=token, json={"displayName": "x"}), 403, "Forbidden")
    business = new_business(graph)
    path = "%s/%s" % (BASE, business["id"])
    assert_error(graph("POST", path + "/publish", token=token), 403, "Forbidden")
    assert graph("PATCH", path, token=token, json={"phone": "1"}).status_code == 204
    reader = delegated_token(emulator, "Bookings.Read.All")
    assert graph("GET", path, token=reader).status_code == 200
    assert_error(graph("PATCH", path, token=reader, json={"phone": "1"}), 403, "Forbidden")


@pytest.mark.parametrize("profile", ["documented", "current"])
def test_both_profiles_serve_bookings(emulator, graph, profile):
    emulator.set_profile(profile)
    business = new_business(graph)
    assert graph("GET", "%s/%s" % (BASE, business["id"])).status_code == 200


def test_reset_clears_bookings_and_log_records(emulator, graph):
    business = new_business(graph)
    log = emulator.requests()
    assert any(e["route"] == BASE and e["method"] == "POST" and e["status"] == 201 for e in log)
    emulator.reset()
    assert graph("GET", BASE).json()["value"] == []
    assert_error(graph("GET", "%s/%s" % (BASE, business["id"])), 404)


def test_unknown_segment_is_404(graph):
    assert_error(graph("GET", "/solutions/somethingElse"), 404, "NotFound")
    business = new_business(graph)
    assert_error(graph("GET", "%s/%s/invoices" % (BASE, business["id"])), 404, "NotFound")


def test_writes_count_and_fence(emulator, graph):
    before = emulator.metrics()["writes"]
    new_business(graph)
    assert emulator.metrics()["writes"] == before + 1


# --------------------------------------------------------------------------------------------------------
# Services, staff members, customers (sections 2, 3, 4)
# --------------------------------------------------------------------------------------------------------
def test_service_crud(graph):
    business = new_business(graph)["id"]
    staff = new_staff(graph, business)
    service = new_service(graph, business, isLocationOnline=True, isAnonymousJoinEnabled=True,
                          staffMemberIds=[staff["id"]], webUrl="ignored")
    assert service["defaultDuration"] == "PT30M" and service["isLocationOnline"] is True
    assert service["isAnonymousJoinEnabled"] is True and service["staffMemberIds"] == [staff["id"]]
    assert service["webUrl"] is None and service["smsNotificationsEnabled"] is False
    path = "%s/%s/services/%s" % (BASE, business, service["id"])
    assert graph("GET", path).json()["displayName"] == "Consultation"
    response = graph("PATCH", path, json={"defaultDuration": "PT1H", "description": "first visit"})
    assert response.status_code == 204 and not response.content
    got = graph("GET", path).json()
    assert got["defaultDuration"] == "PT1H" and got["description"] == "first visit"
    assert got["isLocationOnline"] is True  # merge
    listed = graph("GET", "%s/%s/services" % (BASE, business)).json()["value"]
    assert [s["id"] for s in listed] == [service["id"]]
    assert graph("DELETE", path).status_code == 204
    assert_error(graph("GET", path), 404)


def test_service_validation(graph):
    business = new_business(graph)["id"]
    path = "%s/%s/services" % (BASE, business)
    assert_error(graph("POST", path, json={"defaultDuration": "PT30M"}), 400)
    assert_error(graph("POST", path, json={"displayName": "x", "defaultDuration": "30 minutes"}), 400)
    assert_error(graph("POST", path, json={"displayName": "x", "staffMemberIds": ["nope"]}), 400)


def test_staff_crud_and_role(graph):
    business = new_business(graph)["id"]
    path = "%s/%s/staffMembers" % (BASE, business)
    assert_error(graph("POST", path, json={"displayName": "No role"}), 400)
    staff = new_staff(graph, business)
    assert staff["membershipStatus"] == "active" and staff["isEmailNotificationEnabled"] is True
    item = "%s/%s" % (path, staff["id"])
    assert graph("PATCH", item, json={"role": "viewer"}).status_code == 204
    assert graph("GET", item).json()["role"] == "viewer"
    assert graph("DELETE", item).status_code == 204
    assert graph("GET", path).json()["value"] == []


def test_scheduler_and_team_member_roles_need_the_prefer_header(graph):
    business = new_business(graph)["id"]
    path = "%s/%s/staffMembers" % (BASE, business)
    made = graph("POST", path, json={"displayName": "Sam", "emailAddress": "sam@contoso.com", "role": "scheduler"},
                 headers={"Prefer": "include-unknown-enum-members"})
    assert made.status_code == 201 and made.json()["role"] == "scheduler"
    assert graph("GET", "%s/%s" % (path, made.json()["id"])).json()["role"] == "unknownFutureValue"
    assert graph("GET", path).json()["value"][0]["role"] == "unknownFutureValue"
    preferring = graph("GET", path, headers={"Prefer": "include-unknown-enum-members"}).json()["value"][0]
    assert preferring["role"] == "scheduler"


def test_customer_needs_odata_type(graph):
    business = new_business(graph)["id"]
    path = "%s/%s/customers" % (BASE, business)
    assert_error(graph("POST", path, json={"displayName": "Jordan"}), 400, "BadRequest")
    customer = new_customer(graph, business)
    item = "%s/%s" % (path, customer["id"])
    assert graph("PATCH", item, json={"emailAddress": "j@m.com"}).status_code == 204
    encoded = base64.b64encode(customer["id"].encode()).decode()
    assert graph("GET", "%s/%s" % (path, encoded)).json()["emailAddress"] == "j@m.com"
    assert graph("DELETE", item).status_code == 204


def test_customer_is_read_by_its_base64_id_not_its_guid(emulator, graph):
    """Section 4 / 12.8: "requires the ID to be Base64 encoded. GUID IDs do not work"; the list names GUIDs."""
    business = new_business(graph)["id"]
    path = "%s/%s/customers" % (BASE, business)
    customer = new_customer(graph, business)
    assert uuid.UUID(customer["id"])
    assert [entry["id"] for entry in graph("GET", path).json()["value"]] == [customer["id"]]
    assert_error(graph("GET", "%s/%s" % (path, customer["id"])), 400, "ErrorInvalidIdMalformed")
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        encoded = encode(customer["id"].encode()).decode().rstrip("=")
        assert graph("GET", "%s/%s" % (path, encoded)).json()["id"] == customer["id"]
    assert_error(graph("GET", "%s/%s" % (path, base64.b64encode(b"no-such-customer").decode())), 404)
    emulator.modes(bookings_customer_get_by_guid=True)
    assert graph("GET", "%s/%s" % (path, customer["id"])).json()["id"] == customer["id"]


def test_service_staff_permissions(emulator, graph):
    business = new_business(graph)["id"]
    path = "%s/%s/services" % (BASE, business)
    appointments_only = emulator.app_token(roles=["BookingsAppointment.ReadWrite.All"])
    assert graph("GET", path, token=appointments_only).status_code == 200
    assert_error(graph("POST", path, token=appointments_only, json={"displayName": "x"}), 403, "Forbidden")
    writer = emulator.app_token(roles=["Bookings.ReadWrite.All"])
    assert graph("POST", path, token=writer, json={"displayName": "x"}).status_code == 201
    no_bookings = emulator.app_token(roles=["OnlineMeetings.ReadWrite.All"])
    assert_error(graph("GET", path, token=no_bookings), 403, "Forbidden")


def test_custom_question_crud_and_permissions(emulator, graph):
    business = new_business(graph)["id"]
    path = "%s/%s/customQuestions" % (BASE, business)
    assert_error(graph("POST", path, json={"answerInputType": "text"}), 400)
    assert_error(graph("POST", path, json={"displayName": "Age?", "answerInputType": "number"}), 400)
    response = graph("POST", path, json={"@odata.type": "#microsoft.graph.bookingCustomQuestion",
                                         "displayName": "Which branch?", "answerInputType": "radioButton",
                                         "answerOptions": ["North", "South"]})
    assert response.status_code == 201, response.text
    question = response.json()
    item = "%s/%s" % (path, question["id"])
    assert graph("PATCH", item, json={"answerOptions": ["North", "South", "East"]}).status_code == 204
    assert graph("GET", item).json()["answerOptions"] == ["North", "South", "East"]
    assert [q["id"] for q in graph("GET", path).json()["value"]] == [question["id"]]
    # Section 3: create needs delegated BookingsAppointment.ReadWrite.All or application Bookings.ReadWrite.All.
    appointments_app = emulator.app_token(roles=["BookingsAppointment.ReadWrite.All"])
    assert_error(graph("POST", path, token=appointments_app, json={"displayName": "x"}), 403, "Forbidden")
    writer_app = emulator.app_token(roles=["Bookings.ReadWrite.All"])
    assert graph("POST", path, token=writer_app, json={"displayName": "x"}).status_code == 201
    reader_app = emulator.app_token(roles=["Bookings.Read.All"])
    assert graph("GET", item, token=reader_app).status_code == 200
    assert graph("DELETE", item).status_code == 204
    assert_error(graph("GET", item), 404)


# --------------------------------------------------------------------------------------------------------
# Appointments (sections 1, 3, 4, 5, 6, 8)
# --------------------------------------------------------------------------------------------------------
def test_a_service_for_several_attendees_books_existing_customers_by_id(graph):
    """Section 8: maximumAttendeesCount > 1 - "pass valid customer IDs"; a customer without one is refused [inf]."""
    business = new_business(graph)["id"]
    group = new_service(graph, business, displayName="Workshop", maximumAttendeesCount=3)
    customer = new_customer(graph, business)
    path = "%s/%s/appointments" % (BASE, business)
    by_address = {"@odata.type": CUSTOMER_INFO, "name": "Jordan", "emailAddress": "jordan@example.com"}
    assert_error(graph("POST", path, json=appointment_body(group["id"], customers=[by_address])), 400)
    unknown = dict(by_address, customerId="00000000-0000-0000-0000-000000000000")
    assert_error(graph("POST", path, json=appointment_body(group["id"], customers=[unknown])), 400)
    with_id = dict(by_address, customerId=customer["id"])
    linked = graph("POST", path, json=appointment_body(group["id"], customers=[with_id]))
    assert linked.status_code == 201, linked.text
    item = "%s/%s" % (path, linked.json()["id"])
    assert_error(graph("PATCH", item, json={"customers": [by_address]}), 400)
    single = new_service(graph, business, displayName="One to one")  # one attendee: an address is enough
    assert graph("POST", path, json=appointment_body(single["id"], customers=[by_address])).status_code == 201


def test_appointment_create_online_anonymous(graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business, isLocationOnline=True, isAnonymousJoinEnabled=True)
    customer = new_customer(graph, business)
    body = appointment_body(service["id"], start="2030-05-01T07:00:00-05:00", end="2030-05-01T07:45:00-05:00",
                            isLocationOnline=True,
                            customers=[{"@odata.type": CUSTOMER_INFO, "customerId": customer["id"], "name": "Jordan"},
                                       {"@odata.type": CUSTOMER_INFO, "customerId": "unknown-id"}])
    response = graph("POST", "%s/%s/appointments" % (BASE, business), json=body)
    assert response.status_code == 201, response.text
    appointment = response.json()
    assert appointment["startDateTime"] == {"@odata.type": "#microsoft.graph.dateTimeTimeZone",
                                            "dateTime": "2030-05-01T12:00:00.0000000Z", "timeZone": "UTC"}
    assert appointment["endDateTime"]["dateTime"] == "2030-05-01T12:45:00.0000000Z"
    assert appointment["duration"] == "PT45M" and appointment["serviceName"] == "Consultation"
    assert appointment["joinWebUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert appointment["anonymousJoinWebUrl"].startswith("https://visit.teams.microsoft.com/webrtc-svc/")
    assert [c["customerId"] for c in appointment["customers"]] == [customer["id"]]  # unknown id dropped
    assert appointment["filledAttendeesCount"] == 1 and appointment["selfServiceAppointmentId"]


def test_appointment_join_urls_follow_service(graph):
    business = new_business(graph)["id"]
    plain = new_service(graph, business, isLocationOnline=True)
    path = "%s/%s/appointments" % (BASE, business)
    online = graph("POST", path, json=appointment_body(plain["id"], isLocationOnline=True)).json()
    assert online["joinWebUrl"] and online["anonymousJoinWebUrl"] is None
    offline = graph("POST", path, json=appointment_body(plain["id"])).json()
    assert offline["joinWebUrl"] is None and offline["anonymousJoinWebUrl"] is None


def test_appointment_time_zone_names(graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    body = appointment_body(service["id"])
    body["startDateTime"] = {"dateTime": "2030-01-10T09:00:00", "timeZone": "America/Chicago"}
    body["endDateTime"] = {"dateTime": "2030-01-10T09:30:00", "timeZone": "America/Chicago"}
    appointment = graph("POST", "%s/%s/appointments" % (BASE, business), json=body).json()
    assert appointment["startDateTime"]["dateTime"] == "2030-01-10T15:00:00.0000000Z"


def test_appointment_validation(graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    path = "%s/%s/appointments" % (BASE, business)
    assert_error(graph("POST", path, json=appointment_body("no-such-service")), 400)
    body = appointment_body(service["id"])
    del body["endDateTime"]
    assert_error(graph("POST", path, json=body), 400)
    bad_customer = appointment_body(service["id"], customers=[{"name": "No type"}])
    assert_error(graph("POST", path, json=bad_customer), 400)
    backwards = appointment_body(service["id"], start="2030-05-01T13:00:00Z", end="2030-05-01T12:00:00Z")
    assert_error(graph("POST", path, json=backwards), 400)


def test_appointment_patch_get_delete(graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    customer = new_customer(graph, business)
    path = "%s/%s/appointments" % (BASE, business)
    appointment = graph("POST", path, json=appointment_body(service["id"], serviceNotes="n")).json()
    item = "%s/%s" % (path, appointment["id"])
    response = graph("PATCH", item, json={
        "start": {"dateTime": "2030-05-01T14:00:00Z", "timeZone": "UTC"},
        "end": {"dateTime": "2030-05-01T15:00:00Z", "timeZone": "UTC"},
        "customers": [{"@odata.type": CUSTOMER_INFO, "customerId": customer["id"]}]})
    assert response.status_code == 204 and not response.content
    got = graph("GET", item).json()
    assert got["startDateTime"]["dateTime"] == "2030-05-01T14:00:00.0000000Z" and got["duration"] == "PT1H"
    assert [c["customerId"] for c in got["customers"]] == [customer["id"]] and got["serviceNotes"] == "n"
    assert_error(graph("PATCH", item, json={"customers": [{"customerId": customer["id"]}]}), 400)
    assert graph("DELETE", item).status_code == 204
    assert_error(graph("GET", item), 404)


def test_appointment_list_omits_by_id_fields_and_filter(graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    customer = new_customer(graph, business)
    path = "%s/%s/appointments" % (BASE, business)
    graph("POST", path, json=appointment_body(service["id"], serviceNotes="n", customerNotes="c",
                                              customers=[{"@odata.type": CUSTOMER_INFO,
                                                          "customerId": customer["id"]}]))
    listed = graph("GET", path).json()["value"]
    assert len(listed) == 1
    assert not set(listed[0]) & {"customers", "reminders", "serviceNotes", "customerNotes"}
    assert_error(graph("GET", path, params={"$filter": "start/dateTime ge '2030-01-01'"}), 400, "BadRequest",
                 "This filter query is not supported.")


def test_appointment_paging(graph):
    """Section 5 [rep]: nextLink pages without $top (page size 100 here [inf]); $top gives no nextLink."""
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    path = "%s/%s/appointments" % (BASE, business)
    for index in range(101):
        start = "2030-05-%02dT%02d:00:00Z" % (1 + index // 10, 8 + index % 10)
        end = start.replace(":00:00Z", ":30:00Z")
        assert graph("POST", path, json=appointment_body(service["id"], start=start, end=end)).status_code == 201
    first = graph("GET", path).json()
    assert len(first["value"]) == 100 and first["@odata.nextLink"]
    second = graph.http.get(first["@odata.nextLink"], headers={"Authorization": "Bearer " + graph.token},
                            timeout=TIMEOUT).json()
    assert len(second["value"]) == 1 and "@odata.nextLink" not in second
    seen = {a["id"] for a in first["value"]} | {a["id"] for a in second["value"]}
    assert len(seen) == 101
    top = graph("GET", path, params={"$top": "2"}).json()
    assert len(top["value"]) == 2 and "@odata.nextLink" not in top


def test_calendar_view(graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    path = "%s/%s" % (BASE, business)
    for day in ("01", "02", "03"):
        graph("POST", path + "/appointments", json=appointment_body(
            service["id"], start="2030-05-%sT12:00:00Z" % day, end="2030-05-%sT12:30:00Z" % day, serviceNotes="x"))
    view = graph("GET", path + "/calendarView",
                 params={"start": "2030-05-02T00:00:00-05:00", "end": "2030-05-03T00:00:00Z"}).json()["value"]
    assert [a["startDateTime"]["dateTime"] for a in view] == ["2030-05-02T12:00:00.0000000Z"]
    assert "serviceNotes" not in view[0] and "customers" not in view[0]
    other_names = graph("GET", path + "/calendarView",
                        params={"startDateTime": "2030-05-01T00:00:00Z", "endDateTime": "2030-06-01T00:00:00Z"})
    assert len(other_names.json()["value"]) == 3
    assert_error(graph("GET", path + "/calendarView", params={"start": "2030-05-01T00:00:00Z"}), 400)
    assert_error(graph("GET", path + "/calendarView", params={"start": "yesterday", "end": "today"}), 400)


def test_cancel(graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    path = "%s/%s/appointments" % (BASE, business)
    appointment = graph("POST", path, json=appointment_body(service["id"])).json()
    item = "%s/%s" % (path, appointment["id"])
    response = graph("POST", item + "/cancel", json={"cancellationMessage": "Sorry, the office is closed."})
    assert response.status_code == 204 and not response.content
    assert_error(graph("GET", item), 404)
    assert_error(graph("POST", item + "/cancel", json={"cancellationMessage": "again"}), 404)


def soon(days=2, hours=0, minutes=0):
    """A UTC date-time text some days from now (section 6's lead time and advance are relative): from a day ahead,
    10:00 UTC on a weekday (within the default business hours, Monday to Friday 08:00-17:00), plus hours and
    minutes; ``days=0``: now, on the hour."""
    base = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    if days:
        base = (base + datetime.timedelta(days=days)).replace(hour=10)
        while base.weekday() >= 5:
            base += datetime.timedelta(days=1)
    return (base + datetime.timedelta(hours=hours, minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_appointments_app_only_rules(emulator, graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    staff = new_staff(graph, business)
    path = "%s/%s/appointments" % (BASE, business)
    read_write_only = emulator.app_token(roles=["Bookings.ReadWrite.All"])
    assert_error(graph("GET", path, token=read_write_only), 403, "Forbidden")  # Q&A 2283013
    app = emulator.app_token(roles=["BookingsAppointment.ReadWrite.All"])
    ok = appointment_body(service["id"], start=soon(), end=soon(minutes=30))
    assert_error(graph("POST", path, token=app, json=ok), 400, "BadRequest", "Invalid Staff")
    created = graph("POST", path, token=app, json=dict(ok, staffMemberIds=[staff["id"]]))
    assert created.status_code == 201, created.text
    # Delegated tokens need no staff and skip the business rules (section 6).
    assert graph("POST", path, json=appointment_body(service["id"])).status_code == 201
    reader = delegated_token(emulator, "Bookings.Read.All")
    assert graph("GET", path, token=reader).status_code == 200
    assert_error(graph("POST", path, token=reader, json=appointment_body(service["id"])), 403, "Forbidden")


@pytest.mark.parametrize("start, end", [
    (soon(), soon(minutes=45)),                 # not the service's duration
    (soon(days=0, hours=2), soon(days=0, hours=2, minutes=30)),  # inside minimumLeadTime P1D
    (soon(days=400), soon(days=400, minutes=30)),  # beyond maximumAdvance P365D
    (soon(hours=8), soon(hours=8, minutes=30)),  # 18:00 UTC: outside the business hours (no staff time zone)
])
def test_app_only_business_rules(emulator, graph, start, end):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    staff = new_staff(graph, business)
    app = emulator.app_token(roles=["BookingsAppointment.ReadWrite.All"])
    body = appointment_body(service["id"], start=start, end=end, staffMemberIds=[staff["id"]])
    assert_error(graph("POST", "%s/%s/appointments" % (BASE, business), token=app, json=body), 400, "BadRequest")


def test_app_only_business_hours_follow_the_first_staff_members_time_zone(emulator, graph):
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    response = graph("POST", "%s/%s/staffMembers" % (BASE, business),
                     json={"displayName": "Kenji", "emailAddress": "kenji@contoso.com", "role": "administrator",
                           "timeZone": "Tokyo Standard Time"})
    staff = response.json()
    app = emulator.app_token(roles=["BookingsAppointment.ReadWrite.All"])
    path = "%s/%s/appointments" % (BASE, business)
    # 10:00 UTC is 19:00 in Tokyo: outside; 01:00 UTC is 10:00 in Tokyo: within.
    late = appointment_body(service["id"], start=soon(), end=soon(minutes=30), staffMemberIds=[staff["id"]])
    assert_error(graph("POST", path, token=app, json=late), 400, "BadRequest",
                 "The appointment is outside the business hours.")
    early = appointment_body(service["id"], start=soon(hours=-9), end=soon(hours=-9, minutes=30),
                             staffMemberIds=[staff["id"]])
    assert graph("POST", path, token=app, json=early).status_code == 201


def test_app_only_staff_selection_and_patch_rules(emulator, graph):
    business = new_business(graph, schedulingPolicy={"allowStaffSelection": False})["id"]
    service = new_service(graph, business)
    staff = new_staff(graph, business)
    app = emulator.app_token(roles=["BookingsAppointment.ReadWrite.All"])
    path = "%s/%s/appointments" % (BASE, business)
    body = appointment_body(service["id"], start=soon(), end=soon(minutes=30), staffMemberIds=[staff["id"]])
    assert_error(graph("POST", path, token=app, json=body), 400, "BadRequest")
    graph("PATCH", "%s/%s" % (BASE, business), json={"schedulingPolicy": {"allowStaffSelection": True}})
    policy = graph("GET", "%s/%s" % (BASE, business)).json()["schedulingPolicy"]
    assert policy["allowStaffSelection"] is True and policy["minimumLeadTime"] == "P1D"  # merged
    appointment = graph("POST", path, token=app, json=body).json()
    item = "%s/%s" % (path, appointment["id"])
    longer = {"endDateTime": {"dateTime": soon(hours=1), "timeZone": "UTC"}}
    assert_error(graph("PATCH", item, token=app, json=longer), 400, "BadRequest")
    assert graph("PATCH", item, json=longer).status_code == 204  # delegated: not held to the rules


def test_batch_items_reach_bookings(emulator, graph):
    business = new_business(graph)["id"]
    response = graph("POST", "/$batch", json={"requests": [
        {"id": "1", "method": "GET", "url": "%s/%s" % (BASE, business)},
        {"id": "2", "method": "POST", "url": "%s/%s/services" % (BASE, business),
         "headers": {"Content-Type": "application/json"}, "body": {"displayName": "Batch service"}}]})
    assert response.status_code == 200, response.text
    statuses = {r["id"]: r["status"] for r in response.json()["responses"]}
    assert statuses == {"1": 200, "2": 201}
    assert emulator.metrics()["graph"]["batch_items"] >= 2


def test_get_staff_availability(emulator, graph):
    """Section 4: app-only; busy for the staff member's appointments, available around them; < 30 min is 500."""
    business = new_business(graph)["id"]
    service = new_service(graph, business)
    staff = new_staff(graph, business)
    path = "%s/%s" % (BASE, business)
    graph("POST", path + "/appointments", json=appointment_body(
        service["id"], start="2030-05-01T12:00:00Z", end="2030-05-01T12:30:00Z", staffMemberIds=[staff["id"]]))
    app = emulator.app_token(roles=["Bookings.Read.All"])
    body = {"staffIds": [staff["id"]],
            "startDateTime": {"dateTime": "2030-05-01T17:00:00", "timeZone": "India Standard Time"},
            "endDateTime": {"dateTime": "2030-05-01T13:00:00", "timeZone": "UTC"}}
    response = graph("POST", path + "/getStaffAvailability", token=app, json=body)
    assert response.status_code == 200, response.text
    value = response.json()["value"]
    assert value[0]["staffId"] == staff["id"]
    items = [(i["startDateTime"]["dateTime"][11:16], i["endDateTime"]["dateTime"][11:16], i["status"])
             for i in value[0]["availabilityItems"]]
    assert items == [("11:30", "12:00", "available"), ("12:00", "12:30", "busy"), ("12:30", "13:00", "available")]
    assert value[0]["availabilityItems"][1]["serviceId"] == service["id"]
    assert_error(graph("POST", path + "/getStaffAvailability", json=body), 403, "Forbidden")  # delegated
    short = dict(body, endDateTime={"dateTime": "2030-05-01T11:50:00", "timeZone": "UTC"})
    assert_error(graph("POST", path + "/getStaffAvailability", token=app, json=short), 500, "UnknownError", "")
    assert_error(graph("POST", path + "/getStaffAvailability", token=app, json=dict(body, staffIds=["x"])), 400)


# --------------------------------------------------------------------------------------------------------
# Four concurrent requests per app per mailbox (section 10)
# --------------------------------------------------------------------------------------------------------
def test_fifth_concurrent_request_per_app_and_mailbox_is_429(emulator, graph):
    business = new_business(graph)["id"]
    other = new_business(graph, "Other Shop")["id"]
    emulator.faults([{"route": r"bookingBusinesses/[^/]+$", "method": "GET", "delay_ms": 1500}])
    path = "%s/%s" % (BASE, business)
    clients = [Graph(emulator, graph.token) for index in range(4)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        slow = [pool.submit(client, "GET", path) for client in clients]
        deadline = time.monotonic() + 5
        while sum(1 for e in emulator.requests() if e["path"].endswith(business)) < 4:
            assert time.monotonic() < deadline, "the four slow requests never reached the emulator"
            time.sleep(0.02)
        refused = graph("GET", path)
        error = assert_error(refused, 429, "TooManyRequests")
        assert int(refused.headers["Retry-After"]) >= 1 and "concurrent" in error["message"]
        # Another mailbox, and the same mailbox from another app, are not affected.
        assert graph("GET", "%s/%s" % (BASE, other)).status_code == 200
        other_app = emulator.app_token(client_id=emulator.defaults["public_client_id"],
                                       user_id=emulator.defaults["user_id"], scopes=ALL)
        assert graph("GET", path, token=other_app).status_code == 200
        assert [f.result().status_code for f in slow] == [200] * 4
    for client in clients:
        client.close()
    assert graph("GET", path).status_code == 200  # the slow ones are done


def test_concurrency_limit_applies_per_batch_item(emulator, graph):
    business = new_business(graph)["id"]
    emulator.faults([{"route": r"bookingBusinesses/[^/]+$", "method": "GET", "delay_ms": 200}])
    requests = [{"id": str(n), "method": "GET", "url": "%s/%s" % (BASE, business)} for n in range(1, 6)]
    response = graph("POST", "/$batch", json={"requests": requests})
    assert response.status_code == 200, response.text
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert [by_id[str(n)]["status"] for n in range(1, 6)] == [200, 200, 200, 200, 429]
    assert int(by_id["5"]["headers"]["Retry-After"]) >= 1


# --------------------------------------------------------------------------------------------------------
# State: save/load round trip (in process), cleared by reset
# --------------------------------------------------------------------------------------------------------
def test_bookings_state_round_trips_and_reset_clears_it():
    emu = Emulator()
    tenant = DEFAULT_SEED["tenants"][0]
    user = emu.directory.tenant_or_default().find_user(tenant["users"][0]["id"])
    token = emu.tokens.issue_access_token(tenant["id"], tenant["apps"][1]["client_id"], "https://graph.microsoft.com",
                                          user=user, scopes=ALL)[0]

    def send(method, path, body=None):
        raw = json.dumps(body).encode() if body is not None else b""
        call = Call(method, path, {}, {"authorization": "Bearer " + token}, None, "v1.0", "client-request",
                    raw_body=raw)
        return emu.graph.dispatch(call)

    created = send("POST", BASE, {"displayName": "Fourth Coffee"})
    assert created.status == 201, created.body
    path = "%s/%s" % (BASE, created.body["id"])
    assert send("POST", path + "/services", {"displayName": "Consultation"}).status == 201
    saved = json.loads(json.dumps(emu.graph.bookings.save()))
    emu.reset()
    assert send("GET", path).status == 404
    emu.graph.bookings.load(saved)
    assert send("GET", path).body["displayName"] == "Fourth Coffee"
    assert [s["displayName"] for s in send("GET", path + "/services").body["value"]] == ["Consultation"]


def test_state_dir_keeps_bookings_across_restarts(tmp_path):
    state_dir = str(tmp_path / "state")
    first = EmulatorProcess(["--state-dir", state_dir]).start()
    try:
        client = Graph(first, delegated_token(first))
        business = new_business(client)["id"]
        service = new_service(client, business)
        client.close()
    finally:
        assert first.stop() == 0
    with EmulatorProcess(["--state-dir", state_dir]) as second:
        client = Graph(second, delegated_token(second))
        kept = client("GET", "%s/%s/services/%s" % (BASE, business, service["id"]))
        assert kept.status_code == 200 and kept.json()["displayName"] == service["displayName"], kept.text
        client.close()
