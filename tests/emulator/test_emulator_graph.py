"""Contract tests: the Graph emulator follows the documented Microsoft Graph API.

Each test pins one documented behaviour of the onlineMeetings / virtualAppointment API (or one documented
contradiction, as an emulator mode) from the shared reference ``graph-api.md`` sections 2, 3, 5, 6, 7 and 9.
Requests are plain ``requests`` calls with tokens minted through the emulator's control API.
"""

import datetime
import re
import urllib.parse
import uuid

import pytest

TIMEOUT = 10  # seconds: no request to the emulator may hang
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UTC_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$")
MEETING_ROUTE = "/users/{id}/onlineMeetings/{id}"

# graph-api.md 2.4: the canonical PUT body, as documented (string "true", '#' only on the top-level type).
CANONICAL_APPOINTMENT = {
    "@odata.type": "#microsoft.graph.virtualAppointment",
    "settings": {
        "@odata.type": "microsoft.graph.virtualAppointmentSettings",
        "allowClientToJoinUsingBrowser": "true",
    },
    "appointmentClients": [{
        "@odata.type": "microsoft.graph.virtualAppointmentUser",
        "emailAddress": "gradya@contoso.com",
        "displayName": "Grady Archie",
        "smsCapablePhoneNumber": "123-456-7890",
    }],
    "externalAppointmentId": "AAMkADKnAAA=",
    "externalAppointmentUrl": "https://anyschedulingsystem.com/api/appointments/MkADKnAAA=",
}
ATTENDEES = [
    {"phoneNumber": "+13129224122", "timeZone": "Pacific Standard Time"},
    {"phoneNumber": "+1242421412", "timeZone": "Eastern Standard Time"},
]

# Two extra users of the default tenant: Bob is covered by the default app's access policy, Carol is not.
BOB = {"id": "b0b0b0b0-1111-4222-8333-444455556666", "upn": "bob@contoso.onmicrosoft.com", "display_name": "Bob"}
CAROL = {"id": "ca201ca2-1111-4222-8333-444455556666", "upn": "carol@contoso.onmicrosoft.com",
         "display_name": "Carol"}


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------
class Graph:
    """A minimal Graph client: one token, one version, one owner path (``/users/{id}`` or ``/me``)."""

    def __init__(self, emulator, token, owner, version="beta"):
        self.http = emulator.session()
        self.token = token
        self.owner = owner
        self.version = version
        self.base = "%s/%s" % (emulator.graph_url, version)

    def close(self):
        self.http.close()

    def request(self, method, path, headers=None, **kwargs):
        """``path`` is relative to the version (``/users/...``); a leading ``~`` means 'under the owner'."""
        if path.startswith("~"):
            path = self.owner + path[1:]
        sent = {"Authorization": "Bearer " + self.token}
        sent.update(headers or {})
        return self.http.request(method, self.base + path, headers=sent, timeout=TIMEOUT, **kwargs)

    def meetings(self, suffix=""):
        return "~/onlineMeetings" + suffix

    def create_meeting(self, **body):
        response = self.request("POST", self.meetings(), json=body or {"subject": "Contract test"})
        assert response.status_code == 201, response.text
        return response.json()

    def appointment_path(self, meeting_id):
        return self.meetings("/%s/virtualAppointment" % meeting_id)

    def put_appointment(self, meeting_id, body=None):
        return self.request("PUT", self.appointment_path(meeting_id),
                            json=CANONICAL_APPOINTMENT if body is None else body)

    def get_appointment(self, meeting_id, **kwargs):
        return self.request("GET", self.appointment_path(meeting_id), **kwargs)

    def patch_appointment(self, meeting_id, body, **kwargs):
        return self.request("PATCH", self.appointment_path(meeting_id), json=body, **kwargs)


def assert_graph_error(response, status, code=None, message=None):
    """The documented error envelope (graph-api.md 7.1, 9.7): never a 500, a traceback or a non-JSON body."""
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    inner = error["innerError"]
    assert {"date", "request-id", "client-request-id"} <= set(inner)
    datetime.datetime.strptime(inner["date"], "%Y-%m-%dT%H:%M:%S")
    assert inner["request-id"] == response.headers["request-id"]
    assert inner["client-request-id"] == response.headers["client-request-id"]
    if code is not None:
        assert error["code"] == code, error
    if message is not None:
        assert error["message"] == message, error
    return error


def parse_utc(text):
    """Parse a Graph UTC date-time ('Z', up to 7 fraction digits) to an aware datetime."""
    assert UTC_RE.match(text), text
    naive = datetime.datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", text[:-1]))
    return naive.replace(tzinfo=datetime.timezone.utc)


def graph_seq(emulator):
    return emulator.metrics()["seq"]


def last_graph_request(emulator):
    return emulator.requests(kind="graph")[-1]


def add_users(emulator):
    """Add Bob (in the default app's access policy) and Carol (not) to the default tenant."""
    seed = emulator.control("GET", "seed")
    tenant = next(t for t in seed["tenants"] if t["id"] == emulator.defaults["tenant_id"])
    tenant["users"] = tenant.get("users", []) + [BOB, CAROL]
    tenant["access_policies"] = tenant.get("access_policies", []) + [
        {"app_ids": [emulator.defaults["client_id"]], "users": [BOB["id"]]}]
    emulator.seed({"tenants": [tenant]})


# --------------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------------
@pytest.fixture
def client(emulator):
    """Make Graph clients; all are closed at the end of the test."""
    made = []

    def make(token=None, owner=None, version="beta"):
        graph = Graph(emulator, token or emulator.app_token(), owner or "/users/" + emulator.defaults["user_id"],
                      version)
        made.append(graph)
        return graph

    yield make
    for graph in made:
        graph.close()


@pytest.fixture
def graph(client):
    """App-only token (OnlineMeetings.ReadWrite.All, VirtualAppointment.ReadWrite.All) on /beta/users/{user}."""
    return client()


@pytest.fixture
def me(client, emulator):
    """Delegated token of the default user on /beta/me."""
    token = emulator.app_token(user_id=emulator.defaults["user_id"],
                               scopes=["OnlineMeetings.ReadWrite", "VirtualAppointment.ReadWrite"])
    return client(token=token, owner="/me")


@pytest.fixture
def meeting(graph):
    return graph.create_meeting(subject="Appointment", startDateTime="2030-01-02T10:00:00Z",
                                endDateTime="2030-01-02T10:30:00Z")


@pytest.fixture
def appointment(graph, meeting):
    response = graph.put_appointment(meeting["id"])
    assert response.status_code == 201, response.text
    return response.json()


# --------------------------------------------------------------------------------------------------------
# onlineMeetings: create (6.1)
# --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["beta", "v1.0"])
def test_create_meeting_returns_201_with_generated_fields(client, emulator, version):
    graph = client(version=version)
    response = graph.request("POST", graph.meetings(), json={
        "startDateTime": "2019-07-12T14:30:34.2444915-07:00",
        "endDateTime": "2019-07-12T15:00:34.2444915-07:00",
        "subject": "User Token Meeting",
    })
    assert response.status_code == 201, response.text
    body = response.json()
    user_id = emulator.defaults["user_id"]
    assert body["@odata.context"] == "%s/%s/$metadata#users('%s')/onlineMeetings/$entity" % (
        emulator.graph_url, version, user_id)
    assert body["id"]
    assert body["joinWebUrl"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert body["subject"] == "User Token Meeting"
    assert body["participants"]["organizer"]["identity"]["user"]["id"] == user_id
    assert abs(parse_utc(body["creationDateTime"]) - datetime.datetime.now(datetime.timezone.utc)).total_seconds() < 60
    # Times are normalised to UTC 'Z' (14:30:34 -07:00 is 21:30:34 UTC).
    assert parse_utc(body["startDateTime"]).strftime("%Y-%m-%dT%H:%M:%S") == "2019-07-12T21:30:34"
    assert parse_utc(body["endDateTime"]).strftime("%Y-%m-%dT%H:%M:%S") == "2019-07-12T22:00:34"


def test_create_meeting_keeps_generated_join_meeting_id_and_thread(graph):
    created = graph.create_meeting(joinMeetingIdSettings={"isPasscodeRequired": False, "joinMeetingId": "1"},
                                   chatInfo={"threadId": "19:hijacked@thread.v2"})
    settings = created["joinMeetingIdSettings"]
    assert settings["isPasscodeRequired"] is False
    assert settings["joinMeetingId"] and settings["joinMeetingId"] != "1"
    assert created["chatInfo"]["threadId"] != "19:hijacked@thread.v2"
    nulled = graph.create_meeting(joinMeetingIdSettings=None, subject="null settings")
    assert nulled["joinMeetingIdSettings"]["joinMeetingId"]
    response = graph.request("GET", graph.meetings(), params={
        "$filter": "joinMeetingIdSettings/joinMeetingId eq '%s'" % settings["joinMeetingId"]})
    assert [m["id"] for m in response.json()["value"]] == [created["id"]]


ATTENDEE = {"upn": "bob@contoso.onmicrosoft.com", "role": "attendee",
            "identity": {"user": {"id": BOB["id"], "displayName": "Bob"}}}
# Settable properties of the beta onlineMeeting model beyond the basics (msgraph-beta-sdk 1.66.0's model).
BETA_SETTINGS = {
    "lobbyBypassSettings": {"scope": "everyone", "isDialInBypassEnabled": True},
    "allowedPresenters": "organizer", "isEntryExitAnnounced": False, "allowMeetingChat": "limited",
    "recordAutomatically": True, "allowAttendeeToEnableCamera": False, "allowAttendeeToEnableMic": False,
    "allowTeamworkReactions": False, "allowBreakoutRooms": False, "allowWhiteboard": False,
    "allowPowerPointSharing": False, "allowLiveShare": "disabled", "allowCopyingAndSharingMeetingContent": False,
    "allowedLobbyAdmitters": "organizerAndCoOrganizers", "chatRestrictions": {"allowTextOnly": True},
    "meetingSpokenLanguageTag": "en-US", "allowParticipantsToChangeName": False, "allowRecording": False,
    "allowTranscription": False, "shareMeetingChatHistoryDefault": "none", "isEndToEndEncryptionEnabled": False,
}


@pytest.mark.parametrize("path", ["", "/createOrGet"], ids=["create", "createOrGet"])
def test_create_keeps_the_attendees_and_the_beta_settings_sent(graph, path):
    """graph-today.md 2.3: participants.attendees sent on create / createOrGet come back (the v1.0 createOrGet doc
    example echoes them); the beta model's settings sent are stored and read back."""
    body = dict(BETA_SETTINGS, subject="with attendees", participants={"attendees": [ATTENDEE]},
                joinMeetingIdSettings={"isPasscodeRequired": False})
    if path:
        body["externalId"] = "with-attendees"
    response = graph.request("POST", graph.meetings(path), json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["participants"]["attendees"] == [ATTENDEE]
    assert created["participants"]["organizer"]["identity"]["user"]["id"] == graph.owner.split("/")[-1]
    assert created["joinMeetingIdSettings"]["isPasscodeRequired"] is False
    read = graph.request("GET", graph.meetings("/" + created["id"])).json()
    for key, value in BETA_SETTINGS.items():
        assert read[key] == value, key
    assert read["participants"] == created["participants"]


@pytest.mark.parametrize("body, message", [
    ({"allowLiveShare": "sometimes"}, "'sometimes' is not a valid value of 'allowLiveShare'"),
    ({"allowBreakoutRooms": "yes"}, "allowBreakoutRooms"),
    ({"participants": {"attendees": {"upn": "x"}}}, "participants.attendees"),
    ({"participants": {"organizer": {"identity": {"user": {"id": BOB["id"]}}}}}, "organizer"),
    ({"notAProperty": 1}, "'notAProperty' does not exist"),
], ids=["enum", "type", "attendees-not-a-list", "other-organizer", "unknown"])
def test_create_refuses_bad_settings(graph, body, message):
    error = assert_graph_error(graph.request("POST", graph.meetings(), json=body), 400, "BadRequest")
    assert message in error["message"]


# --------------------------------------------------------------------------------------------------------
# onlineMeetings: createOrGet (6.2)
# --------------------------------------------------------------------------------------------------------
def test_create_or_get_creates_then_gets_the_same_meeting(graph):
    body = {"externalId": "appointment-42", "subject": "Idempotent", "startDateTime": "2030-01-01T09:00:00Z",
            "endDateTime": "2030-01-01T09:30:00Z"}
    first = graph.request("POST", graph.meetings("/createOrGet"), json=body)
    second = graph.request("POST", graph.meetings("/createOrGet"), json=body)
    assert first.status_code == 201, first.text
    assert second.status_code == 200, second.text
    assert first.json()["id"] == second.json()["id"]
    assert second.json()["externalId"] == "appointment-42"


def test_create_or_get_on_an_existing_meeting_ignores_the_fields_sent(emulator, graph):
    """graph-today.md 2.3: 200 returns the stored meeting unchanged; nothing sent is applied or compared."""
    body = {"externalId": "appointment-43", "subject": "First", "startDateTime": "2030-01-01T09:00:00Z",
            "endDateTime": "2030-01-01T09:30:00Z", "participants": {"attendees": [ATTENDEE]}}
    first = graph.request("POST", graph.meetings("/createOrGet"), json=body)
    assert first.status_code == 201, first.text
    writes = emulator.metrics()["writes"]
    changed = dict(body, subject="Second", startDateTime="2031-01-01T09:00:00Z", endDateTime="2031-01-01T10:00:00Z",
                   participants={"attendees": []}, allowedPresenters="organizer")
    second = graph.request("POST", graph.meetings("/createOrGet"), json=changed)
    assert second.status_code == 200, second.text
    assert second.json() == first.json()
    assert graph.request("GET", graph.meetings("/" + first.json()["id"])).json() == first.json()
    assert emulator.metrics()["writes"] == writes


def test_create_or_get_same_external_id_for_another_user_is_another_meeting(client, emulator):
    add_users(emulator)
    adele, bob = client(), client(owner="/users/" + BOB["id"])
    body = {"externalId": "shared-external-id"}
    for_adele = adele.request("POST", adele.meetings("/createOrGet"), json=body)
    for_bob = bob.request("POST", bob.meetings("/createOrGet"), json=body)
    assert (for_adele.status_code, for_bob.status_code) == (201, 201)
    assert for_adele.json()["id"] != for_bob.json()["id"]
    assert for_bob.json()["participants"]["organizer"]["identity"]["user"]["id"] == BOB["id"]


@pytest.mark.parametrize("body", [{"subject": "no externalId"}, {"externalId": ""}, {"externalId": None}],
                         ids=["missing", "empty", "null"])
def test_create_or_get_requires_external_id(graph, body):
    assert_graph_error(graph.request("POST", graph.meetings("/createOrGet"), json=body), 400)


@pytest.mark.parametrize("times", [
    {"endDateTime": "2030-01-01T10:00:00Z"},
    {"startDateTime": "2030-01-01T10:00:00Z", "endDateTime": "2030-01-01T09:59:59Z"},
], ids=["end-without-start", "end-before-start"])
def test_create_or_get_rejects_invalid_times(graph, times):
    response = graph.request("POST", graph.meetings("/createOrGet"), json=dict(times, externalId="bad-times"))
    assert_graph_error(response, 400)


def test_create_or_get_without_times_starts_now_for_one_hour(graph):
    response = graph.request("POST", graph.meetings("/createOrGet"), json={"externalId": "no-times"})
    assert response.status_code == 201, response.text
    start, end = parse_utc(response.json()["startDateTime"]), parse_utc(response.json()["endDateTime"])
    assert abs((start - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 60
    assert end - start == datetime.timedelta(hours=1)


def test_create_or_get_with_start_only_ends_one_hour_later(graph):
    response = graph.request("POST", graph.meetings("/createOrGet"),
                             json={"externalId": "start-only", "startDateTime": "2030-05-01T08:15:00+02:00"})
    assert response.status_code == 201, response.text
    assert response.json()["startDateTime"] == "2030-05-01T06:15:00Z"
    assert response.json()["endDateTime"] == "2030-05-01T07:15:00Z"


# --------------------------------------------------------------------------------------------------------
# onlineMeetings: get, update, delete, filter (6.3 - 6.5)
# --------------------------------------------------------------------------------------------------------
def test_get_meeting_returns_200_with_the_entity(graph, meeting):
    response = graph.request("GET", graph.meetings("/" + meeting["id"]))
    assert response.status_code == 200, response.text
    assert response.json() == meeting


def test_get_meeting_honours_select(emulator, graph, meeting):
    response = graph.request("GET", graph.meetings("/" + meeting["id"]),
                             params={"$select": "subject,joinWebUrl, startDateTime"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"@odata.context", "id", "subject", "joinWebUrl", "startDateTime"}
    assert body["@odata.context"] == "%s/beta/$metadata#users('%s')/onlineMeetings(subject,joinWebUrl,startDateTime)" \
        "/$entity" % (emulator.graph_url, emulator.defaults["user_id"])
    assert (body["id"], body["subject"], body["joinWebUrl"]) == (meeting["id"], meeting["subject"],
                                                                 meeting["joinWebUrl"])
    listed = graph.request("GET", graph.meetings(), params={
        "$filter": "JoinWebUrl eq '%s'" % meeting["joinWebUrl"], "$select": "externalId,participants"}).json()
    assert listed["value"] == [{"id": meeting["id"], "externalId": None, "participants": meeting["participants"]}]
    error = assert_graph_error(graph.request("GET", graph.meetings("/" + meeting["id"]),
                                             params={"$select": "subject,noSuchProperty"}), 400, "BadRequest")
    assert "noSuchProperty" in error["message"]


def test_get_unknown_meeting_is_404_with_graph_error_body(graph):
    assert_graph_error(graph.request("GET", graph.meetings("/does-not-exist")), 404, code="itemNotFound")


def test_patch_meeting_returns_200_with_the_updated_entity(graph, meeting):
    response = graph.request("PATCH", graph.meetings("/" + meeting["id"]), json={"subject": "Renamed"})
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "Renamed"
    assert response.json()["id"] == meeting["id"]
    assert response.json()["startDateTime"] == meeting["startDateTime"]
    assert graph.request("GET", graph.meetings("/" + meeting["id"])).json()["subject"] == "Renamed"


@pytest.mark.parametrize("change", [{"startDateTime": "2030-01-02T11:00:00Z"},
                                    {"endDateTime": "2030-01-02T12:00:00Z"}], ids=["start-only", "end-only"])
def test_patch_meeting_needs_both_start_and_end(graph, meeting, change):
    assert_graph_error(graph.request("PATCH", graph.meetings("/" + meeting["id"]), json=change), 400)
    assert graph.request("GET", graph.meetings("/" + meeting["id"])).json() == meeting


def test_patch_meeting_with_both_times_updates_them(graph, meeting):
    response = graph.request("PATCH", graph.meetings("/" + meeting["id"]), json={
        "startDateTime": "2030-01-03T09:00:00+01:00", "endDateTime": "2030-01-03T10:00:00+01:00"})
    assert response.status_code == 200, response.text
    assert (response.json()["startDateTime"], response.json()["endDateTime"]) == (
        "2030-01-03T08:00:00Z", "2030-01-03T09:00:00Z")


def test_patch_meeting_cannot_change_the_organizer(graph, meeting):
    organizer = {"identity": {"user": {"id": str(uuid.uuid4())}}}
    response = graph.request("PATCH", graph.meetings("/" + meeting["id"]),
                             json={"participants": {"organizer": organizer}})
    assert_graph_error(response, 400)


def test_delete_meeting_is_204_then_get_is_404(graph, meeting):
    response = graph.request("DELETE", graph.meetings("/" + meeting["id"]))
    assert response.status_code == 204
    assert response.content == b""
    assert_graph_error(graph.request("GET", graph.meetings("/" + meeting["id"])), 404)


@pytest.mark.usefixtures("appointment")
def test_delete_meeting_removes_its_virtual_appointment(graph, emulator, meeting):
    assert graph.request("DELETE", graph.meetings("/" + meeting["id"])).status_code == 204
    assert_graph_error(graph.get_appointment(meeting["id"]), 404)
    meetings = [m for t in emulator.state()["tenants"] for m in t["meetings"]]
    assert meetings == []


def test_filter_by_join_web_url_returns_a_collection_of_one(graph, emulator, meeting):
    graph.create_meeting(subject="another meeting")
    response = graph.request("GET", graph.meetings(), params={"$filter": "JoinWebUrl eq '%s'" % meeting["joinWebUrl"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [m["id"] for m in body["value"]] == [meeting["id"]]
    assert body["@odata.context"] == "%s/beta/$metadata#users('%s')/onlineMeetings" % (
        emulator.graph_url, emulator.defaults["user_id"])


def test_filter_by_join_meeting_id_returns_a_collection_of_one(graph, meeting):
    join_meeting_id = meeting["joinMeetingIdSettings"]["joinMeetingId"]
    response = graph.request("GET", graph.meetings(),
                             params={"$filter": "joinMeetingIdSettings/joinMeetingId eq '%s'" % join_meeting_id})
    assert response.status_code == 200, response.text
    assert [m["id"] for m in response.json()["value"]] == [meeting["id"]]


@pytest.mark.parametrize("params", [None, {"$filter": "subject eq 'x'"}], ids=["no-filter", "unsupported-filter"])
def test_list_meetings_without_a_supported_filter_is_400(graph, params):
    assert_graph_error(graph.request("GET", graph.meetings(), params=params), 400)


# --------------------------------------------------------------------------------------------------------
# Authentication and authorisation (6.7, 9.6)
# --------------------------------------------------------------------------------------------------------
def test_app_only_call_for_a_user_without_access_policy_is_403_unauthorized(client, emulator):
    add_users(emulator)
    carol = client(owner="/users/" + CAROL["id"])
    response = carol.request("POST", carol.meetings(), json={"subject": "denied"})
    assert_graph_error(response, 403, code="Unauthorized",
                       message="App %s is not authorized to Create meeting on behalf of user %s"
                       % (emulator.defaults["client_id"], CAROL["id"]))


def test_app_token_on_me_is_400(client):
    graph = client(owner="/me")
    assert_graph_error(graph.request("POST", graph.meetings(), json={"subject": "x"}), 400)


def test_delegated_token_on_me_works(me, graph, emulator):
    created = me.create_meeting(subject="Delegated")
    assert created["@odata.context"].endswith("#users('%s')/onlineMeetings/$entity" % emulator.defaults["user_id"])
    assert me.request("GET", me.meetings("/" + created["id"])).status_code == 200
    # The same meeting is the user's meeting, also seen through the app-only path.
    assert graph.request("GET", graph.meetings("/" + created["id"])).json()["subject"] == "Delegated"


def test_unknown_user_is_404(client):
    graph = client(owner="/users/" + str(uuid.uuid4()))
    assert_graph_error(graph.request("POST", graph.meetings(), json={"subject": "x"}), 404)


def test_delegated_token_cannot_use_another_users_path(client, emulator):
    add_users(emulator)
    token = emulator.app_token(user_id=emulator.defaults["user_id"], scopes=["OnlineMeetings.ReadWrite"])
    graph = client(token=token, owner="/users/" + BOB["id"])
    assert_graph_error(graph.request("POST", graph.meetings(), json={"subject": "x"}), 403)


@pytest.mark.parametrize("kind", ["delegated", "application"])
def test_token_without_the_permission_is_403(client, emulator, kind):
    if kind == "delegated":
        graph = client(token=emulator.app_token(user_id=emulator.defaults["user_id"], scopes=["User.Read"]),
                       owner="/me")
    else:
        graph = client(token=emulator.app_token(roles=["User.Read.All"]))
    assert_graph_error(graph.request("POST", graph.meetings(), json={"subject": "x"}), 403, code="Forbidden")


def test_missing_token_is_401(emulator):
    with emulator.session() as http:
        response = http.get("%s/beta/users/%s/onlineMeetings/x" % (emulator.graph_url, emulator.defaults["user_id"]),
                            timeout=TIMEOUT)
    assert_graph_error(response, 401, code="InvalidAuthenticationToken")


# --------------------------------------------------------------------------------------------------------
# virtualAppointment (2, 3, 9.3)
# --------------------------------------------------------------------------------------------------------
def test_put_appointment_returns_201_with_the_entity(graph, meeting):
    response = graph.put_appointment(meeting["id"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"]
    assert body["appointmentClientJoinWebUrl"].startswith("https://visit.teams.microsoft.com/webrtc-svc/api/route?")
    assert body["externalAppointmentId"] == CANONICAL_APPOINTMENT["externalAppointmentId"]
    assert body["externalAppointmentUrl"] == CANONICAL_APPOINTMENT["externalAppointmentUrl"]
    client_entry = body["appointmentClients"][0]
    assert (client_entry["displayName"], client_entry["emailAddress"], client_entry["smsCapablePhoneNumber"]) == (
        "Grady Archie", "gradya@contoso.com", "123-456-7890")
    assert body["settings"]["allowClientToJoinUsingBrowser"] is True


def test_get_appointment_returns_the_bare_entity_and_an_etag(graph, meeting, appointment):
    response = graph.get_appointment(meeting["id"])
    assert response.status_code == 200, response.text
    assert re.match(r'^W/".+"$', response.headers["ETag"])
    body = response.json()
    assert "value" not in body
    assert body["id"] == appointment["id"]
    assert body["externalAppointmentId"] == CANONICAL_APPOINTMENT["externalAppointmentId"]


def test_get_appointment_when_none_exists_is_404(graph, meeting):
    assert_graph_error(graph.get_appointment(meeting["id"]), 404)


def test_patch_appointment_with_matching_if_match_is_204_and_changes_the_etag(graph, meeting, appointment):
    etag = graph.get_appointment(meeting["id"]).headers["ETag"]
    response = graph.patch_appointment(meeting["id"], {"externalAppointmentId": "changed"}, headers={"If-Match": etag})
    assert response.status_code == 204, response.text
    assert response.content == b""
    after = graph.get_appointment(meeting["id"])
    assert after.headers["ETag"] != etag
    assert after.json()["externalAppointmentId"] == "changed"
    assert after.json()["id"] == appointment["id"]


def test_patch_appointment_with_stale_if_match_is_412(graph, meeting, appointment):
    stale = graph.get_appointment(meeting["id"]).headers["ETag"]
    assert graph.patch_appointment(meeting["id"], {"externalAppointmentId": "first"}).status_code == 204
    response = graph.patch_appointment(meeting["id"], {"externalAppointmentId": "second"}, headers={"If-Match": stale})
    assert_graph_error(response, 412)
    after = graph.get_appointment(meeting["id"]).json()
    assert after["externalAppointmentId"] == "first" != appointment["externalAppointmentId"]


@pytest.mark.usefixtures("appointment")
def test_patch_appointment_with_if_match_star_is_204(graph, meeting):
    response = graph.patch_appointment(meeting["id"], {"externalAppointmentId": "any"}, headers={"If-Match": "*"})
    assert response.status_code == 204, response.text
    assert graph.get_appointment(meeting["id"]).json()["externalAppointmentId"] == "any"


def test_patch_appointment_only_changes_the_supplied_properties(graph, meeting, appointment):
    response = graph.patch_appointment(meeting["id"], {"externalAppointmentUrl": "https://example.com/a/1"})
    assert response.status_code == 204, response.text
    after = graph.get_appointment(meeting["id"]).json()
    assert after["externalAppointmentUrl"] == "https://example.com/a/1"
    for key in ("id", "externalAppointmentId", "appointmentClients", "appointmentClientJoinWebUrl", "settings"):
        assert after[key] == appointment[key], key


def test_patch_appointment_settings_are_merged(graph, meeting, appointment):
    assert appointment["settings"]["allowClientToJoinUsingBrowser"] is True
    response = graph.patch_appointment(meeting["id"], {"settings": {"allowClientToJoinUsingBrowser": False}})
    assert response.status_code == 204, response.text
    after = graph.get_appointment(meeting["id"]).json()
    assert after["settings"]["allowClientToJoinUsingBrowser"] is False
    assert after["appointmentClients"] == appointment["appointmentClients"]


def test_patch_appointment_when_none_exists_is_404(graph, meeting):
    assert_graph_error(graph.patch_appointment(meeting["id"], {"externalAppointmentId": "x"}), 404)


@pytest.mark.usefixtures("appointment")
def test_delete_appointment_is_204_then_404(graph, meeting):
    first = graph.request("DELETE", graph.appointment_path(meeting["id"]))
    assert first.status_code == 204
    assert first.content == b""
    assert_graph_error(graph.request("DELETE", graph.appointment_path(meeting["id"])), 404)
    assert_graph_error(graph.get_appointment(meeting["id"]), 404)
    assert graph.request("GET", graph.meetings("/" + meeting["id"])).status_code == 200


@pytest.mark.parametrize("sent, emitted", [(True, True), (False, False), ("true", True), ("false", False),
                                           ("True", True)])
def test_browser_flag_is_accepted_as_boolean_or_string_and_emitted_as_boolean(graph, meeting, sent, emitted):
    response = graph.put_appointment(meeting["id"], {"settings": {"allowClientToJoinUsingBrowser": sent}})
    assert response.status_code == 201, response.text
    assert response.json()["settings"]["allowClientToJoinUsingBrowser"] is emitted
    assert graph.get_appointment(meeting["id"]).json()["settings"]["allowClientToJoinUsingBrowser"] is emitted


@pytest.mark.parametrize("value", ["yes", 1, [True]])
def test_browser_flag_other_values_are_400(graph, meeting, value):
    response = graph.put_appointment(meeting["id"], {"settings": {"allowClientToJoinUsingBrowser": value}})
    assert_graph_error(response, 400)


@pytest.mark.parametrize("odata_type", ["#microsoft.graph.virtualAppointment", "microsoft.graph.virtualAppointment"])
def test_odata_type_with_and_without_hash_is_accepted(graph, meeting, odata_type):
    body = {
        "@odata.type": odata_type,
        "settings": {"@odata.type": odata_type.replace("virtualAppointment", "virtualAppointmentSettings"),
                     "allowClientToJoinUsingBrowser": True},
        "appointmentClients": [{"@odata.type": odata_type.replace("virtualAppointment", "virtualAppointmentUser"),
                                "displayName": "Grady Archie"}],
    }
    response = graph.put_appointment(meeting["id"], body)
    assert response.status_code == 201, response.text
    assert response.json()["appointmentClients"][0]["displayName"] == "Grady Archie"


def test_get_appointment_supports_select(graph, meeting, appointment):
    response = graph.get_appointment(meeting["id"], params={"$select": "externalAppointmentId,settings"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k for k in body if not k.startswith("@odata.")} == {"id", "externalAppointmentId", "settings"}
    assert body["id"] == appointment["id"]


def test_put_appointment_again_replaces_it(graph, emulator, meeting, appointment):
    response = graph.put_appointment(meeting["id"], {"externalAppointmentId": "replacement"})
    assert response.status_code in (200, 201), response.text
    body = response.json()
    assert body["id"] == appointment["id"]
    assert body["externalAppointmentId"] == "replacement"
    assert body["appointmentClients"] == []
    assert not body.get("externalAppointmentUrl")
    stored = [m for t in emulator.state()["tenants"] for m in t["meetings"]]
    assert len(stored) == 1
    assert stored[0]["virtualAppointment"]["externalAppointmentId"] == "replacement"


@pytest.mark.parametrize("status", [409, 503])
def test_first_create_in_a_tenant_waits_for_provisioning(graph, emulator, meeting, status):
    emulator.modes(provisioning={"status": status, "seconds": 30})
    response = graph.put_appointment(meeting["id"])
    assert_graph_error(response, status)
    assert 1 <= int(response.headers["Retry-After"]) <= 30
    assert_graph_error(graph.get_appointment(meeting["id"]), 404)
    emulator.modes(provisioning={"status": status, "seconds": 0})
    assert graph.put_appointment(meeting["id"]).status_code == 201


@pytest.mark.parametrize("method", ["PUT", "GET", "PATCH", "DELETE"])
def test_virtual_appointment_does_not_exist_in_v1(client, emulator, method):
    """graph-api.md 3: 'Only beta ever existed'; the replacement functions are in v1.0 (see below)."""
    graph = client(version="v1.0")
    meeting = graph.create_meeting()
    body = CANONICAL_APPOINTMENT if method in ("PUT", "PATCH") else None
    response = graph.request(method, graph.appointment_path(meeting["id"]), json=body)
    assert_graph_error(response, 400, message="Resource not found for the segment 'virtualAppointment'.")
    assert emulator.metrics()["writes"] == 1


def test_appointment_works_through_me(me, emulator):
    meeting = me.create_meeting(subject="Delegated appointment")
    assert me.put_appointment(meeting["id"]).status_code == 201
    response = me.get_appointment(meeting["id"])
    assert response.status_code == 200
    assert response.json()["@odata.context"].endswith(
        "#users('%s')/onlineMeetings('%s')/virtualAppointment/$entity" % (emulator.defaults["user_id"], meeting["id"]))


# --------------------------------------------------------------------------------------------------------
# Documentation contradictions as modes (2.5, 3.4, 8)
# --------------------------------------------------------------------------------------------------------
def test_mode_get_wrapped_in_value(graph, emulator, meeting, appointment):
    emulator.modes(get_wrapped_in_value=True)
    response = graph.get_appointment(meeting["id"])
    assert response.status_code == 200
    assert set(response.json()) == {"value"}
    assert response.json()["value"]["id"] == appointment["id"]


def test_mode_browser_flag_as_string(graph, emulator, meeting, appointment):
    assert appointment["settings"]["allowClientToJoinUsingBrowser"] is True
    emulator.modes(browser_flag_as_string=True)
    assert graph.get_appointment(meeting["id"]).json()["settings"]["allowClientToJoinUsingBrowser"] == "true"


def test_mode_patch_returns_200_with_the_entity(graph, emulator, meeting, appointment):
    emulator.modes(patch_returns_200=True)
    response = graph.patch_appointment(meeting["id"], {"externalAppointmentId": "early-docs"})
    assert response.status_code == 200, response.text
    assert response.json()["id"] == appointment["id"]
    assert response.json()["externalAppointmentId"] == "early-docs"


@pytest.mark.parametrize("method", ["PUT", "GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("generation", ["V0", "V1"])
def test_legacy_online_meeting_path_is_400(graph, meeting, method, generation):
    """The V0/V1 documented paths; the real service answered 400 (graph-api.md 3.1, issue #1939)."""
    body = CANONICAL_APPOINTMENT if method in ("PUT", "PATCH") else None
    path = "/onlineMeeting/%s/virtualAppointment" % meeting["id"]
    if generation == "V0":
        path = "/onlineMeeting/virtualAppointment"
    response = graph.request(method, path, json=body)
    assert_graph_error(response, 400, message="Resource not found for the segment 'onlineMeeting'.")


# --------------------------------------------------------------------------------------------------------
# getVirtualAppointmentJoinWebUrl (5.1, 9.4)
# --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["beta", "v1.0"])
@pytest.mark.parametrize("suffix", ["", "()"], ids=["bare", "parens"])
def test_get_join_web_url(client, emulator, version, suffix):
    graph = client(version=version)
    meeting = graph.create_meeting()
    path = graph.meetings("/%s/getVirtualAppointmentJoinWebUrl%s" % (meeting["id"], suffix))
    first, second = graph.request("GET", path), graph.request("GET", path)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body == {"@odata.context": "%s/%s/$metadata#Edm.String" % (emulator.graph_url, version),
                    "value": body["value"]}
    assert body["value"].startswith("https://visit.teams.microsoft.com/webrtc-svc/api/route?")
    assert second.json() == body


def test_get_join_web_url_through_me(me, graph, meeting):
    path = "/%s/getVirtualAppointmentJoinWebUrl" % meeting["id"]
    from_me = me.request("GET", me.meetings(path))
    from_app = graph.request("GET", graph.meetings(path))
    assert from_me.status_code == 200, from_me.text
    assert from_me.json()["value"] == from_app.json()["value"]


# --------------------------------------------------------------------------------------------------------
# sendVirtualAppointmentSms / sendVirtualAppointmentReminderSms (5.2 - 5.4, 9.5)
# --------------------------------------------------------------------------------------------------------
SMS_ACTIONS = {"sms": ("sendVirtualAppointmentSms", "messageType", "confirmation"),
               "reminder": ("sendVirtualAppointmentReminderSms", "remindBeforeTimeInMinutesType", "mins15")}


@pytest.mark.parametrize("kind", sorted(SMS_ACTIONS))
def test_sms_with_the_current_body_is_202_and_recorded(graph, emulator, meeting, kind):
    action, key, value = SMS_ACTIONS[kind]
    response = graph.request("POST", graph.meetings("/%s/%s" % (meeting["id"], action)),
                             json={"attendees": ATTENDEES, key: value})
    assert response.status_code == 202, response.text
    sent = emulator.state()["sms"]
    assert len(sent) == 1
    assert (sent[0]["action"], sent[0]["type"], sent[0]["meeting_id"]) == (action, value, meeting["id"])
    assert [a["phoneNumber"] for a in sent[0]["attendees"]] == ["+13129224122", "+1242421412"]


@pytest.mark.parametrize("message_type", ["reschedule", "cancellation"])
def test_sms_accepts_every_message_type(graph, meeting, message_type):
    response = graph.request("POST", graph.meetings("/%s/sendVirtualAppointmentSms" % meeting["id"]),
                             json={"attendees": ATTENDEES[:1], "messageType": message_type})
    assert response.status_code == 202, response.text


INVALID_SMS = {
    "invalid-message-type": ("sms", {"attendees": ATTENDEES, "messageType": "reminder"}),
    "message-type-as-collection": ("sms", {"attendees": ATTENDEES, "messageType": ["confirmation"]}),
    "missing-message-type": ("sms", {"attendees": ATTENDEES}),
    "missing-attendees": ("sms", {"messageType": "confirmation"}),
    "empty-attendees": ("sms", {"attendees": [], "messageType": "confirmation"}),
    "missing-time-zone": ("sms", {"attendees": [{"phoneNumber": "+13129224122"}], "messageType": "confirmation"}),
    "bad-phone": ("sms", {"attendees": [{"phoneNumber": "call me", "timeZone": "UTC"}],
                          "messageType": "confirmation"}),
    "legacy-sms-type": ("sms", {"phoneNumbers": ["+13129224122"], "smsType": "confirmation"}),
    "legacy-doc-sms-type": ("sms", {"phoneNumbers": ["+13129224122"], "virtualAppointmentSmsType": "confirmation"}),
    "invalid-reminder-type": ("reminder", {"attendees": ATTENDEES, "remindBeforeTimeInMinutesType": "mins30"}),
    "reminder-missing-time-zone": ("reminder", {"attendees": [{"phoneNumber": "+13129224122"}],
                                                "remindBeforeTimeInMinutesType": "mins15"}),
    "legacy-reminder": ("reminder", {"phoneNumbers": ["+13129224122"], "remindBeforeTimeInMinutesType": "mins15"}),
    # attendeeNotificationInfo.timeZone: "any of the time zones currently supported by Windows" (5.4, E3).
    "iana-time-zone": ("sms", {"attendees": [{"phoneNumber": "+13129224122", "timeZone": "America/Chicago"}],
                               "messageType": "confirmation"}),
    "unknown-time-zone": ("reminder", {"attendees": [{"phoneNumber": "+13129224122", "timeZone": "Pacific Time"}],
                                       "remindBeforeTimeInMinutesType": "mins15"}),
    "attendee-extra-key": ("sms", {"attendees": [dict(ATTENDEES[0], displayName="Grady")],
                                   "messageType": "confirmation"}),
}


def test_sms_record_holds_the_body_as_received_and_the_request_ids(graph, emulator, meeting):
    client_request_id = str(uuid.uuid4())
    body = {"attendees": [{"phoneNumber": "+13129224122", "timeZone": "pacific standard time"}],
            "messageType": "reschedule"}
    response = graph.request("POST", graph.meetings("/%s/sendVirtualAppointmentSms" % meeting["id"]), json=body,
                             headers={"client-request-id": client_request_id})
    assert response.status_code == 202, response.text  # Windows looks time zone IDs up without regard to case
    record = emulator.state()["sms"][0]
    assert record["body"] == body
    assert (record["request_id"], record["client_request_id"]) == (response.headers["request-id"], client_request_id)


def test_sms_for_an_unknown_meeting_is_404_and_not_recorded(graph, emulator):
    response = graph.request("POST", graph.meetings("/MSpub25lKjAqKjE5Om1lZXRpbmdfbm9uZQ/sendVirtualAppointmentSms"),
                             json={"attendees": ATTENDEES, "messageType": "confirmation"})
    assert_graph_error(response, 404)
    assert emulator.state()["sms"] == []


@pytest.mark.parametrize("case", sorted(INVALID_SMS))
def test_sms_with_an_invalid_body_is_400_and_not_recorded(graph, emulator, meeting, case):
    kind, body = INVALID_SMS[case]
    response = graph.request("POST", graph.meetings("/%s/%s" % (meeting["id"], SMS_ACTIONS[kind][0])), json=body)
    assert_graph_error(response, 400)
    assert emulator.state()["sms"] == []


@pytest.mark.parametrize("kind, body", [
    ("sms", {"phoneNumbers": ["+13129224122", "+1242421412"], "smsType": "confirmation"}),
    ("sms", {"phoneNumbers": ["+13129224122"], "virtualAppointmentSmsType": "cancellation"}),
    ("reminder", {"phoneNumbers": ["+13129224122"], "remindBeforeTimeInMinutesType": "mins15"}),
], ids=["smsType", "virtualAppointmentSmsType", "reminder"])
def test_sms_legacy_bodies_are_accepted_in_legacy_mode(graph, emulator, meeting, kind, body):
    emulator.modes(sms_legacy_bodies=True)
    response = graph.request("POST", graph.meetings("/%s/%s" % (meeting["id"], SMS_ACTIONS[kind][0])), json=body)
    assert response.status_code == 202, response.text
    assert [a["phoneNumber"] for a in emulator.state()["sms"][0]["attendees"]] == body["phoneNumbers"]


# --------------------------------------------------------------------------------------------------------
# Envelope (7.1, 7.4, 9.7)
# --------------------------------------------------------------------------------------------------------
def test_responses_carry_request_id_and_echo_client_request_id(graph, meeting):
    client_request_id = str(uuid.uuid4())
    response = graph.request("GET", graph.meetings("/" + meeting["id"]),
                             headers={"client-request-id": client_request_id})
    assert response.status_code == 200
    assert UUID_RE.match(response.headers["request-id"])
    assert response.headers["client-request-id"] == client_request_id
    assert response.headers["Date"]
    assert response.headers["Content-Type"].startswith("application/json")


def test_client_request_id_is_generated_when_not_sent(graph, meeting):
    first = graph.request("GET", graph.meetings("/" + meeting["id"]))
    second = graph.request("GET", graph.meetings("/" + meeting["id"]))
    assert UUID_RE.match(first.headers["client-request-id"])
    assert first.headers["client-request-id"] != second.headers["client-request-id"]
    assert first.headers["request-id"] != second.headers["request-id"]
    assert first.headers["Date"]


def test_errors_carry_the_sent_client_request_id_in_inner_error(graph):
    client_request_id = str(uuid.uuid4())
    response = graph.request("GET", graph.meetings("/missing"), headers={"client-request-id": client_request_id})
    error = assert_graph_error(response, 404)
    assert error["innerError"]["client-request-id"] == client_request_id
    assert response.headers["Date"]


# --------------------------------------------------------------------------------------------------------
# Malformed requests: the right 4xx with the Graph error body, never a 500, a traceback or a hang
# --------------------------------------------------------------------------------------------------------
MALFORMED = {
    # name: (method, path under the owner ({m} = an existing meeting id), body, expected status)
    "bad-json": ("POST", "/onlineMeetings", b'{"subject": ', 400),
    "json-array": ("POST", "/onlineMeetings", b'[{"subject": "x"}]', 400),
    "json-string": ("POST", "/onlineMeetings", b'"subject"', 400),
    "invalid-utf8": ("POST", "/onlineMeetings", b'{"subject": "\xff\xfe"}', 400),
    "deeply-nested-json": ("POST", "/onlineMeetings", b"[" * 100000, 400),
    "unknown-meeting-property": ("POST", "/onlineMeetings", {"subjectLine": "x"}, 400),
    "subject-as-number": ("POST", "/onlineMeetings", {"subject": 42}, 400),
    "subject-as-nan": ("POST", "/onlineMeetings", b'{"subject": NaN}', 400),
    "invalid-enum": ("POST", "/onlineMeetings", {"allowedPresenters": "nobody"}, 400),
    "start-not-a-date": ("POST", "/onlineMeetings", {"startDateTime": "tomorrow"}, 400),
    "start-out-of-range": ("POST", "/onlineMeetings", {"startDateTime": "9999-12-31T23:30:00Z"}, 400),
    "start-overflows-utc": ("POST", "/onlineMeetings", {"startDateTime": "0001-01-01T00:00:00+01:00"}, 400),
    "empty-body-on-post": ("POST", "/onlineMeetings", b"", 400),
    "patch-null-times": ("PATCH", "/onlineMeetings/{m}", {"startDateTime": None, "endDateTime": None}, 400),
    "patch-read-only-property": ("PATCH", "/onlineMeetings/{m}", {"joinWebUrl": "https://example.com"}, 400),
    "patch-organizer-string": ("PATCH", "/onlineMeetings/{m}", {"participants": {"organizer": "x"}}, 400),
    "patch-identity-string": ("PATCH", "/onlineMeetings/{m}", {"participants": {"organizer": {"identity": "x"}}}, 400),
    "patch-attendees-string": ("PATCH", "/onlineMeetings/{m}", {"participants": {"attendees": "x"}}, 400),
    "appointment-clients-as-string": ("PUT", "/onlineMeetings/{m}/virtualAppointment",
                                      {"appointmentClients": "Grady Archie"}, 400),
    "appointment-client-unknown-property": ("PUT", "/onlineMeetings/{m}/virtualAppointment",
                                            {"appointmentClients": [{"phone": "1"}]}, 400),
    "appointment-client-not-object": ("PUT", "/onlineMeetings/{m}/virtualAppointment",
                                      {"appointmentClients": ["Grady Archie"]}, 400),
    "settings-as-string": ("PUT", "/onlineMeetings/{m}/virtualAppointment", {"settings": "browser"}, 400),
    "settings-unknown-property": ("PUT", "/onlineMeetings/{m}/virtualAppointment", {"settings": {"x": True}}, 400),
    "unknown-appointment-property": ("PUT", "/onlineMeetings/{m}/virtualAppointment", {"startDateTime": "x"}, 400),
    "empty-body-on-put": ("PUT", "/onlineMeetings/{m}/virtualAppointment", b"", 400),
    "json-array-on-put": ("PUT", "/onlineMeetings/{m}/virtualAppointment", b"[]", 400),
    "unknown-route": ("GET", "/onlineMeetings/{m}/recordings", None, 404),
    "unknown-deep-route": ("GET", "/onlineMeetings/{m}/virtualAppointment/extra", None, 404),
    "unknown-owner-segment": ("GET", "/calendar", None, 404),
    "post-on-virtual-appointment": ("POST", "/onlineMeetings/{m}/virtualAppointment", {}, 405),
    "delete-on-collection": ("DELETE", "/onlineMeetings", None, 405),
    "put-on-meeting": ("PUT", "/onlineMeetings/{m}", {"subject": "x"}, 405),
    "get-on-create-or-get": ("GET", "/onlineMeetings/createOrGet", None, 405),
    "post-on-join-web-url": ("POST", "/onlineMeetings/{m}/getVirtualAppointmentJoinWebUrl", {}, 405),
    "get-on-send-sms": ("GET", "/onlineMeetings/{m}/sendVirtualAppointmentSms", None, 405),
    "options-on-meeting": ("OPTIONS", "/onlineMeetings/{m}", None, 405),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_requests_get_a_graph_error(graph, meeting, case):
    method, path, body, status = MALFORMED[case]
    kwargs = {"data": body, "headers": {"Content-Type": "application/json"}} if isinstance(body, bytes) else {
        "json": body}
    response = graph.request(method, "~" + path.replace("{m}", meeting["id"]), **kwargs)
    assert_graph_error(response, status)
    assert graph.request("GET", graph.meetings("/" + meeting["id"])).json() == meeting


@pytest.mark.parametrize("path", ["/", "/users", "/onlineMeetings", "/communications/onlineMeetings/x"])
def test_unknown_top_level_routes_are_404(graph, path):
    assert_graph_error(graph.request("GET", path), 404)


HOSTILE_IDS = ["a/b", "..", "../..", "../../me/onlineMeetings", "a?b", "a?$filter=x", "a#b", "%2F", "%",
               "x/virtualAppointment", "createOrGet/..", "ünïcødé-会议-🙂", "a b", "'; DROP TABLE meetings; --"]


def _encode(segment):
    """Percent-encode a whole path segment; dots too, so no client normalises '..' away."""
    return urllib.parse.quote(segment, safe="").replace(".", "%2E")


@pytest.mark.parametrize("meeting_id", HOSTILE_IDS)
@pytest.mark.parametrize("method, leaf", [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("GET", "/virtualAppointment"),
                                          ("PUT", "/virtualAppointment"),
                                          ("GET", "/getVirtualAppointmentJoinWebUrl")])
def test_hostile_meeting_ids_never_route_elsewhere(graph, emulator, meeting, appointment, meeting_id, method, leaf):
    writes = emulator.metrics()["writes"]
    body = {"subject": "x"} if method == "PATCH" else (CANONICAL_APPOINTMENT if method == "PUT" else None)
    response = graph.request(method, graph.meetings("/%s%s" % (_encode(meeting_id), leaf)), json=body)
    assert_graph_error(response, 404, code="itemNotFound")
    logged = last_graph_request(emulator)
    assert logged["route"] == MEETING_ROUTE + leaf
    assert emulator.metrics()["writes"] == writes
    assert graph.get_appointment(meeting["id"]).json()["id"] == appointment["id"]


@pytest.mark.usefixtures("appointment")
def test_encoded_real_id_plus_child_segment_is_not_the_child(graph, meeting):
    """'{id}/virtualAppointment' as one encoded segment names a meeting that does not exist."""
    hostile = urllib.parse.quote(meeting["id"] + "/virtualAppointment", safe="")
    assert_graph_error(graph.request("GET", graph.meetings("/" + hostile)), 404, code="itemNotFound")


def test_percent_encoded_real_id_finds_the_meeting(graph, meeting):
    encoded = "".join("%%%02X" % ord(c) for c in meeting["id"])
    response = graph.request("GET", graph.meetings("/" + encoded))
    assert response.status_code == 200, response.text
    assert response.json()["id"] == meeting["id"]


def test_hostile_user_ids_never_route_elsewhere(client, emulator):
    user_id = emulator.defaults["user_id"]
    for hostile in (user_id + "/onlineMeetings", "../users/" + user_id, user_id + "?x=1", user_id + "#"):
        graph = client(owner="/users/" + _encode(hostile))
        assert_graph_error(graph.request("POST", graph.meetings(), json={"subject": "x"}), 404)
    assert emulator.metrics()["writes"] == 0


# --------------------------------------------------------------------------------------------------------
# Control API: state, request log, metrics
# --------------------------------------------------------------------------------------------------------
def test_control_state_lists_meetings_with_their_virtual_appointment(graph, emulator, meeting, appointment):
    other = graph.create_meeting(subject="without appointment")
    tenants = emulator.state()["tenants"]
    tenant = next(t for t in tenants if t["id"] == emulator.defaults["tenant_id"])
    by_id = {m["id"]: m for m in tenant["meetings"]}
    assert set(by_id) == {meeting["id"], other["id"]}
    assert by_id[meeting["id"]]["virtualAppointment"]["id"] == appointment["id"]
    assert by_id[meeting["id"]]["organizerUserId"] == emulator.defaults["user_id"]
    assert by_id[other["id"]]["virtualAppointment"] is None


def test_control_requests_log_each_graph_call(graph, emulator, meeting):
    since = graph_seq(emulator)
    client_request_id = str(uuid.uuid4())
    graph.request("GET", graph.meetings("/" + meeting["id"]), headers={"client-request-id": client_request_id})
    graph.request("GET", graph.meetings("/missing"))
    logged = emulator.requests(since=since, kind="graph")
    assert [(e["method"], e["route"], e["status"]) for e in logged] == [("GET", MEETING_ROUTE, 200),
                                                                        ("GET", MEETING_ROUTE, 404)]
    first = logged[0]
    assert first["seq"] > since
    assert logged[1]["seq"] > first["seq"]
    assert first["path"] == "/users/%s/onlineMeetings/%s" % (emulator.defaults["user_id"], meeting["id"])
    assert first["tenant"] == emulator.defaults["tenant_id"]
    assert first["app"] == emulator.defaults["client_id"]
    assert first["user"] == emulator.defaults["user_id"]
    assert first["client_request_id"] == client_request_id


def test_control_metrics_count_requests_and_writes(graph, emulator, meeting, appointment):
    before = emulator.metrics()
    writes = before["writes"]
    assert writes == 2  # the meeting and its appointment
    assert graph.get_appointment(meeting["id"]).status_code == 200
    after_get = emulator.metrics()
    assert after_get["writes"] == writes
    route = "GET /users/{id}/onlineMeetings/{id}/virtualAppointment"
    assert after_get["graph"]["by_route"][route] == before["graph"]["by_route"].get(route, 0) + 1
    assert after_get["graph"]["by_method"]["GET"] == before["graph"]["by_method"].get("GET", 0) + 1
    assert after_get["graph"]["by_status"]["200"] == before["graph"]["by_status"].get("200", 0) + 1
    assert graph.patch_appointment(meeting["id"], {"externalAppointmentId": "metrics"}).status_code == 204
    assert emulator.metrics()["writes"] == writes + 1


@pytest.mark.usefixtures("appointment")
def test_control_metrics_writes_ignore_requests_that_change_nothing(graph, emulator, meeting):
    body = {"externalId": "metrics"}
    assert graph.request("POST", graph.meetings("/createOrGet"), json=body).status_code == 201
    writes = emulator.metrics()["writes"]
    stale = 'W/"stale"'
    assert graph.request("POST", graph.meetings("/createOrGet"), json=body).status_code == 200
    assert graph.patch_appointment(meeting["id"], {"externalAppointmentId": "x"},
                                   headers={"If-Match": stale}).status_code == 412
    assert graph.request("PATCH", graph.meetings("/" + meeting["id"]), json={"subject": meeting["subject"]}).ok
    assert graph.request("GET", graph.meetings(), params={"$filter": "JoinWebUrl eq 'x'"}).status_code == 200
    assert emulator.metrics()["writes"] == writes
    assert emulator.metrics()["graph"]["by_status"]["412"] == 1
