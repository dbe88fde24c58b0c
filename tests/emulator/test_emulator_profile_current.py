"""Contract tests: the emulator's ``current`` profile plays Microsoft Graph as it serves in late 2026.

Each test pins one behaviour of shared reference ``graph-today.md`` (sections 1, 2, 3 and 7) in ``--profile current``,
and the same request in ``documented`` (the default), which keeps the seed's behaviour (DESIGN.md, "Two worlds"):

- 1.1: ``.../onlineMeetings/{id}/virtualAppointment`` is a URL parse error, 400 ``BadRequest``, any method, any
  version, ``$batch`` items too, before authentication;
- 2.1: application tokens name the organizer by object id only (a UPN is 404); ``GET /users/{upn}?$select=id``
  resolves it;
- 2.2: no application access policy is 403 ``General`` "No application access policy found for this app.";
- 3: the join URL and both SMS actions refuse application tokens and take the current delegated scopes; SMS needs a
  Teams Premium organizer and United States numbers.

The session emulator starts ``documented``; tests switch it with ``POST /_emulator/profile`` and the ``emulator``
fixture's reset puts it back.
"""

import re
import subprocess
import sys
import urllib.parse
import uuid
import warnings

import msal
import pytest
import requests

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess

TIMEOUT = 10
RETIRED = "Resource not found for the segment 'virtualAppointment'."
APP_NOT_SUPPORTED = "This API does not support application permissions. Use delegated permissions."
NO_POLICY = "No application access policy found for this app."
DENIED = "Insufficient privileges to complete the operation."
APPOINTMENT = {"externalAppointmentId": "F-1", "settings": {"allowClientToJoinUsingBrowser": True}}
ATTENDEE = {"phoneNumber": "+13129224122", "timeZone": "Pacific Standard Time"}
SMS = {"sendVirtualAppointmentSms": {"attendees": [ATTENDEE], "messageType": "confirmation"},
       "sendVirtualAppointmentReminderSms": {"attendees": [ATTENDEE], "remindBeforeTimeInMinutesType": "mins15"}}
APP_ROLES = ["OnlineMeetings.ReadWrite.All", "VirtualAppointment.ReadWrite.All", "VirtualAppointmentNotification.Send"]
# A user of the default tenant whom the default app's access policy does not cover.
CAROL = {"id": "ca201ca2-1111-4222-8333-444455556666", "upn": "carol@contoso.onmicrosoft.com", "display_name": "Carol"}


# --------------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------------
class Graph:
    """Requests to the emulator's Graph with one token; paths are relative to the version."""

    def __init__(self, emulator, token):
        self.emulator = emulator
        self.http = emulator.session()
        self.token = token

    def close(self):
        self.http.close()

    def __call__(self, method, path, version="beta", token=None, **kwargs):
        token = self.token if token is None else token
        headers = {"Authorization": "Bearer " + token} if token else {}
        return self.http.request(method, "%s/%s%s" % (self.emulator.graph_url, version, path), headers=headers,
                                 timeout=TIMEOUT, **kwargs)

    def new_meeting(self, owner, subject="profile test"):
        response = self("POST", owner + "/onlineMeetings", json={"subject": subject})
        assert response.status_code == 201, response.text
        return response.json()["id"]


def assert_error(response, status, code, message=None):
    """Graph's error envelope (graph-today.md 1.1: code, message, innerError date/request-id/client-request-id)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert error["innerError"]["request-id"] == response.headers["request-id"]
    if message is not None:
        assert error["message"] == message, error
    return error


def delegated(emulator, *scopes):
    return emulator.app_token(user_id=emulator.defaults["user_id"], scopes=list(scopes))


def add_carol(emulator):
    seed = emulator.control("GET", "seed")
    tenant = next(t for t in seed["tenants"] if t["id"] == emulator.defaults["tenant_id"])
    tenant["users"].append(CAROL)
    emulator.seed({"tenants": [tenant]})


# --------------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------------
@pytest.fixture(params=["documented", "current"])
def profile(request, emulator):
    """Each test once per profile; the emulator fixture's reset goes back to documented."""
    emulator.set_profile(request.param)
    return request.param


@pytest.fixture
def current(emulator):
    assert emulator.set_profile("current")["profile"] == "current"
    return emulator


@pytest.fixture
def graph(emulator):
    """App-only token with the default app's roles (graph-today.md 2: /users/{userId}/onlineMeetings)."""
    client = Graph(emulator, emulator.app_token(roles=APP_ROLES))
    yield client
    client.close()


@pytest.fixture
def adele(emulator):
    return "/users/" + emulator.defaults["user_id"]


@pytest.fixture
def meeting(graph, adele):
    return graph.new_meeting(adele)


# --------------------------------------------------------------------------------------------------------
# Choosing the profile: CLI, control API, reset
# --------------------------------------------------------------------------------------------------------
def test_default_profile_is_documented_everywhere(emulator):
    assert emulator.profile() == {"profile": "documented", "start_profile": "documented",
                                  "profiles": ["documented", "current"]}
    assert emulator.state()["profile"] == "documented"
    assert emulator.control("GET", "modes")["profile"] == "documented"


def test_profile_switches_at_runtime_and_reset_returns_to_the_start_profile(emulator, graph, adele):
    assert emulator.set_profile("current")["profile"] == "current"
    assert (emulator.state()["profile"], emulator.control("GET", "modes")["profile"]) == ("current", "current")
    assert emulator.reset() == {"reset": True, "profile": "documented"}
    assert emulator.reset(profile="current")["profile"] == "current"
    meeting = graph.new_meeting(adele)
    assert_error(graph("GET", "%s/onlineMeetings/%s/virtualAppointment" % (adele, meeting)), 400, "BadRequest")
    assert emulator.reset()["profile"] == "documented"


def test_unknown_profile_is_refused_and_changes_nothing(emulator, graph, adele):
    graph.new_meeting(adele)
    for name, body in (("profile", {"profile": "future"}), ("reset", {"profile": "future"}),
                       ("modes", {"profile": "future"}), ("profile", {})):
        response = emulator.http.post("%s/%s" % (emulator.info["control_url"], name), json=body, timeout=TIMEOUT)
        assert response.status_code == 400, response.text
        assert "profile must be one of documented, current" in response.json()["error"]
    assert emulator.profile()["profile"] == "documented"
    assert len(emulator.state()["tenants"][0]["meetings"]) == 1  # the refused reset did not reset


def test_cli_profile_current_is_the_start_profile_that_reset_keeps():
    with EmulatorProcess(profile="current") as emulator:
        assert emulator.info["profile"] == "current"
        assert emulator.profile()["start_profile"] == "current"
        emulator.set_profile("documented")
        assert emulator.reset()["profile"] == "current"
        client = Graph(emulator, emulator.app_token())
        meeting = client.new_meeting("/users/" + emulator.defaults["user_id"])
        response = client("GET", "/users/%s/onlineMeetings/%s/virtualAppointment"
                          % (emulator.defaults["user_id"], meeting))
        client.close()
    assert_error(response, 400, "BadRequest", RETIRED)


def test_cli_help_documents_the_profile_and_refuses_an_unknown_one():
    def run(*args):
        return subprocess.run([sys.executable, "-m", "tests.graph_emulator"] + list(args), cwd=REPO_ROOT, text=True,
                              capture_output=True, timeout=30, check=False)

    helped = run("--help")
    assert helped.returncode == 0
    assert "--profile" in helped.stdout and "/_emulator/profile" in helped.stdout
    assert "/_emulator/access-policy" in helped.stdout and "teams_premium" in helped.stdout
    refused = run("--port", "0", "--profile", "future")
    assert refused.returncode == 2 and refused.stdout == ""


# --------------------------------------------------------------------------------------------------------
# 1.1: the retired virtualAppointment segment
# --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("version", ["beta", "v1.0"])
@pytest.mark.parametrize("owner", ["users", "me"])
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "POST"])
def test_current_virtual_appointment_is_a_400_parse_error(current, graph, adele, meeting, version, owner, method):
    token = delegated(current, "OnlineMeetings.ReadWrite", "VirtualAppointment.ReadWrite") if owner == "me" else None
    base = "/me" if owner == "me" else adele
    body = APPOINTMENT if method in ("PUT", "PATCH", "POST") else None
    response = graph(method, "%s/onlineMeetings/%s/virtualAppointment" % (base, meeting), version=version,
                     token=token, json=body)
    assert_error(response, 400, "BadRequest", RETIRED)
    assert current.state()["tenants"][0]["meetings"][0]["virtualAppointment"] is None


@pytest.mark.parametrize("token", ["none", "no-permission"])
def test_current_virtual_appointment_is_parsed_before_authentication(current, graph, adele, meeting, token):
    """Parse-first, like every unknown segment: no token or a useless one still gets the 400, not 401/403."""
    token = "" if token == "none" else current.app_token(roles=["User.Read.All"])
    response = graph("GET", "%s/onlineMeetings/%s/virtualAppointment" % (adele, meeting), token=token)
    assert_error(response, 400, "BadRequest", RETIRED)


def test_documented_virtual_appointment_still_lives_in_beta(emulator, graph, adele, meeting):
    path = "%s/onlineMeetings/%s/virtualAppointment" % (adele, meeting)
    assert graph("PUT", path, json=APPOINTMENT).status_code == 201
    assert graph("GET", path).json()["externalAppointmentId"] == "F-1"
    assert_error(graph("GET", path, version="v1.0"), 400, "BadRequest", RETIRED)  # v1.0 never had it
    assert graph("DELETE", path).status_code == 204


def test_virtual_appointment_in_a_batch_item(profile, graph, adele, meeting):
    requests_ = [{"id": "1", "method": "PUT", "url": "%s/onlineMeetings/%s/virtualAppointment" % (adele, meeting),
                  "headers": {"Content-Type": "application/json"}, "body": APPOINTMENT},
                 {"id": "2", "method": "GET", "url": "%s/onlineMeetings/%s" % (adele, meeting)}]
    response = graph("POST", "/$batch", json={"requests": requests_})
    assert response.status_code == 200, response.text
    items = {r["id"]: r for r in response.json()["responses"]}
    assert items["2"]["status"] == 200
    if profile == "documented":
        assert items["1"]["status"] == 201, items["1"]
    else:
        assert items["1"]["status"] == 400, items["1"]
        assert items["1"]["body"]["error"]["code"] == "BadRequest"
        assert items["1"]["body"]["error"]["message"] == RETIRED
        assert set(items["1"]["body"]["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}


# --------------------------------------------------------------------------------------------------------
# 2.1: application tokens take the organizer's object id only
# --------------------------------------------------------------------------------------------------------
def _meeting_calls(meeting):
    """(method, suffix under /onlineMeetings, body, success status) of every application-token operation."""
    return {
        "create": ("POST", "", {"subject": "by upn"}, 201),
        "createOrGet": ("POST", "/createOrGet", {"externalId": uuid.uuid4().hex}, 201),
        "list": ("GET", "?$filter=JoinWebUrl%20eq%20'none'", None, 200),
        "get": ("GET", "/" + meeting, None, 200),
        "patch": ("PATCH", "/" + meeting, {"subject": "patched"}, 200),
        "delete": ("DELETE", "/" + meeting, None, 204),
    }


@pytest.mark.parametrize("operation", ["create", "createOrGet", "list", "get", "patch", "delete"])
@pytest.mark.parametrize("key", ["upn", "UPN"])
def test_app_token_with_a_upn(profile, emulator, graph, meeting, operation, key):
    upn = emulator.defaults["user_upn"]
    method, suffix, body, success = _meeting_calls(meeting)[operation]
    response = graph(method, "/users/%s/onlineMeetings%s" % (upn if key == "upn" else upn.upper(), suffix),
                     json=body)
    if profile == "documented":
        assert response.status_code == success, response.text
    else:
        error = assert_error(response, 404, "Request_ResourceNotFound")
        assert upn.lower() in error["message"].lower()


@pytest.mark.parametrize("operation", ["create", "createOrGet", "list", "get", "patch", "delete"])
@pytest.mark.parametrize("key", ["id", "ID"])
def test_current_app_token_with_the_object_id(current, graph, meeting, operation, key):
    user_id = current.defaults["user_id"]
    method, suffix, body, success = _meeting_calls(meeting)[operation]
    response = graph(method, "/users/%s/onlineMeetings%s" % (user_id if key == "id" else user_id.upper(), suffix),
                     json=body)
    assert response.status_code == success, response.text


@pytest.mark.parametrize("owner", ["me", "upn", "id"])
def test_current_delegated_token_keeps_me_its_upn_and_its_id(current, owner):
    path = {"me": "/me", "upn": "/users/" + current.defaults["user_upn"],
            "id": "/users/" + current.defaults["user_id"]}[owner]
    client = Graph(current, delegated(current, "OnlineMeetings.ReadWrite"))
    meeting = client.new_meeting(path)
    assert client("GET", "%s/onlineMeetings/%s" % (path, meeting)).status_code == 200
    client.close()


@pytest.mark.parametrize("role", ["User.Read.All", "User.ReadBasic.All", "Directory.Read.All"])
@pytest.mark.parametrize("version", ["v1.0", "beta"])
def test_get_user_by_upn_select_id(profile, emulator, graph, role, version):
    response = graph("GET", "/users/%s" % emulator.defaults["user_upn"], version=version,
                     token=emulator.app_token(roles=[role]), params={"$select": "id"})
    assert response.status_code == 200, response.text
    assert response.json() == {"@odata.context": "%s/%s/$metadata#users(id)/$entity" % (emulator.graph_url, version),
                               "id": emulator.defaults["user_id"]}


def test_get_user_by_id_returns_the_default_properties(emulator, graph):
    token = emulator.app_token(roles=["User.Read.All"])
    response = graph("GET", "/users/%s" % emulator.defaults["user_id"], version="v1.0", token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["userPrincipalName"], body["displayName"]) == (
        emulator.defaults["user_id"], emulator.defaults["user_upn"], "Adele Vance")
    assert body["@odata.context"].endswith("/v1.0/$metadata#users/$entity")
    selected = graph("GET", "/users/%s" % emulator.defaults["user_id"], token=token,
                     params={"$select": "id,userPrincipalName"}).json()
    assert set(selected) == {"@odata.context", "id", "userPrincipalName"}


def test_get_user_needs_a_directory_permission(profile, emulator, graph):
    for token in (emulator.app_token(roles=APP_ROLES), delegated(emulator, "OnlineMeetings.ReadWrite")):
        response = graph("GET", "/users/%s" % emulator.defaults["user_upn"], token=token, params={"$select": "id"})
        assert_error(response, 403, "Authorization_RequestDenied", DENIED)
    add_carol(emulator)
    own = delegated(emulator, "User.Read")
    assert graph("GET", "/users/%s" % emulator.defaults["user_upn"], token=own).status_code == 200
    assert_error(graph("GET", "/users/%s" % CAROL["upn"], token=own), 403, "Authorization_RequestDenied", DENIED)


def test_get_user_unknown_user_or_property(emulator, graph):
    token = emulator.app_token(roles=["User.Read.All"])
    assert_error(graph("GET", "/users/nobody@contoso.onmicrosoft.com", token=token), 404, "Request_ResourceNotFound")
    response = graph("GET", "/users/%s" % emulator.defaults["user_id"], token=token, params={"$select": "id,shoeSize"})
    assert "shoeSize" in assert_error(response, 400, "BadRequest")["message"]


def test_current_client_credentials_resolve_the_upn_then_create(current):
    """The default seed's app (client credentials through MSAL) holds User.Read.All: UPN -> id -> meeting."""
    http = requests.Session()
    http.trust_env, http.verify = False, current.ca_file
    app = msal.ConfidentialClientApplication(
        current.defaults["client_id"], client_credential=current.defaults["client_secret"],
        authority="%s/%s" % (current.authority_host, current.defaults["tenant_id"]), http_client=http,
        instance_discovery=False)
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result
    client = Graph(current, result["access_token"])
    user_id = client("GET", "/users/%s" % current.defaults["user_upn"], version="v1.0",
                     params={"$select": "id"}).json()["id"]
    assert client("POST", "/users/%s/onlineMeetings/createOrGet" % user_id, version="v1.0",
                  json={"externalId": "resolved-first"}).status_code == 201
    client.close()
    http.close()


# --------------------------------------------------------------------------------------------------------
# 2.2: application access policy
# --------------------------------------------------------------------------------------------------------
def test_no_access_policy(profile, emulator, graph):
    add_carol(emulator)
    response = graph("POST", "/users/%s/onlineMeetings" % CAROL["id"], json={"subject": "x"})
    if profile == "documented":
        assert_error(response, 403, "Unauthorized", "App %s is not authorized to Create meeting on behalf of user %s"
                     % (emulator.defaults["client_id"], CAROL["id"]))
    else:
        assert_error(response, 403, "General", NO_POLICY)


def test_current_access_policy_granted_and_revoked_through_the_control_api(current, graph):
    add_carol(current)
    create = "/users/%s/onlineMeetings" % CAROL["id"]
    granted = current.access_policy(user_id=CAROL["upn"])
    assert CAROL["id"] in granted["users"] and granted["global"] is False
    assert graph("POST", create, json={"subject": "granted"}).status_code == 201
    current.access_policy(user_id=CAROL["id"], grant=False)
    assert_error(graph("POST", create, json={"subject": "revoked"}), 403, "General", NO_POLICY)
    listed = current.control("GET", "access-policy")["policies"]
    assert {p["app_id"] for p in listed} >= {current.defaults["client_id"]}
    assert CAROL["id"] not in next(p for p in listed if p["app_id"] == current.defaults["client_id"])["users"]


def test_current_global_access_policy(current, graph, adele):
    add_carol(current)
    assert current.access_policy(everyone=True)["global"] is True
    assert graph("POST", "/users/%s/onlineMeetings" % CAROL["id"], json={}).status_code == 201
    seeded = next(t for t in current.control("GET", "seed")["tenants"] if t["id"] == current.defaults["tenant_id"])
    assert {"app_ids": [current.defaults["client_id"]], "global": True} in seeded["access_policies"]
    current.access_policy(everyone=True, grant=False)
    for owner in (adele, "/users/" + CAROL["id"]):  # the app has no policy left, not even for Adele
        assert_error(graph("POST", owner + "/onlineMeetings", json={}), 403, "General", NO_POLICY)
    current.reset(profile="current")  # reset restores the seeded policy
    assert graph("POST", adele + "/onlineMeetings", json={}).status_code == 201


def test_access_policy_control_call_refuses_bad_input(emulator):
    emulator.access_policy(everyone=True)
    for body in ({"user_id": "nobody@contoso.onmicrosoft.com"}, {"app_id": ""},
                 {"user_id": emulator.defaults["user_id"], "grant": False},  # under a global grant
                 {"user_id": emulator.defaults["user_id"], "grant": "no"}):
        body.setdefault("app_id", emulator.defaults["client_id"])
        response = emulator.http.post(emulator.info["control_url"] + "/access-policy", json=body, timeout=TIMEOUT)
        assert response.status_code == 400, (body, response.text)


# --------------------------------------------------------------------------------------------------------
# 3: join URL and SMS
# --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", ["getVirtualAppointmentJoinWebUrl", "sendVirtualAppointmentSms",
                                    "sendVirtualAppointmentReminderSms"])
@pytest.mark.parametrize("version", ["beta", "v1.0"])
def test_app_token_on_join_url_and_sms(profile, emulator, graph, adele, meeting, action, version):
    method = "GET" if action.startswith("get") else "POST"
    response = graph(method, "%s/onlineMeetings/%s/%s" % (adele, meeting, action), version=version,
                     json=SMS.get(action))
    if profile == "documented":
        assert response.status_code == (200 if method == "GET" else 202), response.text
    else:
        assert_error(response, 403, "Forbidden", APP_NOT_SUPPORTED)
        assert emulator.state()["sms"] == []


@pytest.mark.parametrize("scope, documented, current", [
    ("VirtualAppointment.Read", 200, 200),
    ("VirtualAppointment.ReadWrite", 200, 200),
    ("OnlineMeetings.ReadWrite", 200, 403),  # the ACS tutorial's scope: not in today's permission table
])
def test_delegated_join_url_scopes(profile, emulator, graph, meeting, scope, documented, current):
    response = graph("GET", "/me/onlineMeetings/%s/getVirtualAppointmentJoinWebUrl" % meeting, version="v1.0",
                     token=delegated(emulator, scope))
    expected = documented if profile == "documented" else current
    assert response.status_code == expected, response.text
    if expected == 200:
        assert response.json()["value"].startswith("https://visit.teams.microsoft.com/webrtc-svc/")


@pytest.mark.parametrize("scope, documented, current", [
    ("VirtualAppointmentNotification.Send", 202, 202),
    ("VirtualAppointment.ReadWrite", 202, 403),
])
@pytest.mark.parametrize("action", sorted(SMS))
def test_delegated_sms_scopes(profile, emulator, graph, meeting, action, scope, documented, current):
    response = graph("POST", "/me/onlineMeetings/%s/%s" % (meeting, action), version="v1.0",
                     token=delegated(emulator, scope), json=SMS[action])
    expected = documented if profile == "documented" else current
    assert response.status_code == expected, response.text
    if expected == 403:
        assert "VirtualAppointmentNotification.Send" in assert_error(response, 403, "Forbidden")["message"]


@pytest.mark.parametrize("action", sorted(SMS))
def test_sms_needs_teams_premium(profile, emulator, graph, meeting, action):
    assert emulator.set_user(teams_premium=False)["teams_premium"] is False
    response = graph("POST", "/me/onlineMeetings/%s/%s" % (meeting, action),
                     token=delegated(emulator, "VirtualAppointmentNotification.Send"), json=SMS[action])
    if profile == "documented":
        assert response.status_code == 202, response.text
    else:
        message = assert_error(response, 403, "Forbidden")["message"]
        assert "Teams Premium" in message and emulator.defaults["user_id"] in message
        assert emulator.state()["sms"] == []


def test_teams_premium_is_seedable_and_reset_by_reset(current, graph, meeting):
    seed = current.control("GET", "seed")
    tenant = next(t for t in seed["tenants"] if t["id"] == current.defaults["tenant_id"])
    assert tenant["users"][0]["teams_premium"] is True  # the default seed's user has it
    tenant["users"][0]["teams_premium"] = False
    current.seed({"tenants": [tenant]})
    token = delegated(current, "VirtualAppointmentNotification.Send")
    path = "/me/onlineMeetings/%s/sendVirtualAppointmentSms" % meeting
    assert_error(graph("POST", path, token=token, json=SMS["sendVirtualAppointmentSms"]), 403, "Forbidden")
    current.reset(profile="current")
    meeting = graph.new_meeting("/users/" + current.defaults["user_id"])
    path = "/me/onlineMeetings/%s/sendVirtualAppointmentSms" % meeting
    assert graph("POST", path, token=token, json=SMS["sendVirtualAppointmentSms"]).status_code == 202


def test_user_control_call_refuses_bad_input(emulator):
    for body in ({"user_id": emulator.defaults["user_id"], "teams_premium": "yes"},
                 {"user_id": emulator.defaults["user_id"], "password": "x"},
                 {"user_id": "nobody@contoso.onmicrosoft.com", "teams_premium": True}):
        response = emulator.http.post(emulator.info["control_url"] + "/user", json=body, timeout=TIMEOUT)
        assert response.status_code == 400, (body, response.text)
    tenant = emulator.control("GET", "seed")["tenants"][0]
    tenant["users"][0]["teams_premium"] = "yes"
    response = emulator.http.post(emulator.info["control_url"] + "/seed", json={"tenants": [tenant]}, timeout=TIMEOUT)
    assert response.status_code == 400 and "teams_premium" in response.json()["error"]


@pytest.mark.parametrize("phone, us", [
    ("+13129224122", True),
    ("+1 (312) 922-4122", True),
    ("+1242421412", False),     # nine digits after +1
    ("+442071838750", False),   # United Kingdom
    ("+11234567890", False),    # a NANP area code never starts with 1
    ("13129224122", False),     # no +
])
def test_sms_numbers(profile, emulator, graph, meeting, phone, us):
    body = {"attendees": [ATTENDEE, {"phoneNumber": phone, "timeZone": "Eastern Standard Time"}],
            "messageType": "confirmation"}
    response = graph("POST", "/me/onlineMeetings/%s/sendVirtualAppointmentSms" % meeting,
                     token=delegated(emulator, "VirtualAppointmentNotification.Send"), json=body)
    if profile == "documented" or us:
        assert response.status_code == 202, response.text
    else:
        message = assert_error(response, 400, "BadRequest")["message"]
        assert "attendees[1]" in message and phone in message and "United States" in message
        assert emulator.state()["sms"] == []


def test_current_delegated_flow_through_msal_username_password(current, graph, meeting):
    """ROPC with the default public app (its consented scopes include VirtualAppointment.ReadWrite and
    VirtualAppointmentNotification.Send): today's flow works in `current` with a delegated token."""
    http = _MsalHttp(current)
    app = msal.PublicClientApplication(current.defaults["public_client_id"], http_client=http,
                                       authority="%s/%s" % (current.authority_host, current.defaults["tenant_id"]),
                                       instance_discovery=False)
    with warnings.catch_warnings():  # ROPC on a public client warns (DeprecationWarning) from msal 1.35
        warnings.simplefilter("ignore", DeprecationWarning)
        result = app.acquire_token_by_username_password(
            current.defaults["user_upn"], current.defaults["user_password"],
            scopes=["https://graph.microsoft.com/VirtualAppointment.ReadWrite",
                    "https://graph.microsoft.com/VirtualAppointmentNotification.Send"])
    assert "access_token" in result, result
    client = Graph(current, result["access_token"])
    join = client("GET", "/me/onlineMeetings/%s/getVirtualAppointmentJoinWebUrl" % meeting, version="v1.0")
    assert join.status_code == 200, join.text
    sms = client("POST", "/me/onlineMeetings/%s/sendVirtualAppointmentSms" % meeting, version="v1.0",
                 json=SMS["sendVirtualAppointmentSms"])
    assert sms.status_code == 202, sms.text
    client.close()
    http.close()


class _MsalHttp(requests.Session):
    """MSAL's http client: trusts the emulator CA only, and puts back the port MSAL drops from user-realm discovery
    URLs (msal #259), as tests/emulator/test_emulator_identity.py does."""

    def __init__(self, emulator):
        super().__init__()
        self.trust_env, self.verify = False, emulator.ca_file
        self.netloc = urllib.parse.urlsplit(emulator.authority_host).netloc

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        parts = urllib.parse.urlsplit(url)
        if parts.port is None and re.match(r"^127\.|^localhost$", parts.hostname or ""):
            url = urllib.parse.urlunsplit(parts._replace(netloc=self.netloc))
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)
