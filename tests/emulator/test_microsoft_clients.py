"""Microsoft's own clients, unpatched, against the emulator: msal, azure-identity and msgraph-beta-sdk (with
msgraph-core's $batch and Kiota's RetryHandler), as a Python user of Graph would configure them.

Nothing in them is patched or mocked. They are only configured through their documented options:

* azure-identity: ``authority=`` the emulator's authority host, ``connection_verify=`` the emulator's CA, and
  ``disable_instance_discovery=True`` (the option azure-identity names for an authority it does not know; without it
  MSAL asks login.microsoftonline.com, which a test cannot reach);
* msgraph-beta-sdk: a ``GraphRequestAdapter`` whose httpx client (built by ``GraphClientFactory`` with the default
  middleware, RetryHandler included) trusts the emulator's CA, and whose ``base_url`` is the emulator's ``/beta``;
* msal: its own ``http_client`` (a requests session trusting the emulator's CA).

Delegated calls use azure-identity's DeviceCodeCredential: the emulator's control API plays the person at the
browser.  (UsernamePasswordCredential cannot reach an emulator that is not on port 443: MSAL's user-realm lookup
drops the port, msal-and-retries.md 2.2.)  Every SDK call runs under ``asyncio.run``.

Each test runs on both emulator profiles (``documented`` and ``current``).  If the emulator is wrong, these tests
fail; each gap they found was fixed in the emulator (graph-today.md 4, 5, 2.3).
"""

import asyncio
import datetime
import json
import re
import ssl
import time
import uuid

import httpx
import jwt
import msal
import pytest
from azure.identity import ClientSecretCredential, DeviceCodeCredential
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from kiota_serialization_json.json_serialization_writer import JsonSerializationWriter
from msgraph_beta import GraphRequestAdapter, GraphServiceClient
from msgraph_beta.graph_request_adapter import options as SDK_MIDDLEWARE_OPTIONS
from msgraph_beta.generated.models.attendee_notification_info import AttendeeNotificationInfo
from msgraph_beta.generated.models.identity import Identity
from msgraph_beta.generated.models.identity_set import IdentitySet
from msgraph_beta.generated.models.meeting_participant_info import MeetingParticipantInfo
from msgraph_beta.generated.models.meeting_participants import MeetingParticipants
from msgraph_beta.generated.models.o_data_errors.o_data_error import ODataError
from msgraph_beta.generated.models.virtual_appointment_message_type import VirtualAppointmentMessageType
from msgraph_beta.generated.users.item.online_meetings.create_or_get.create_or_get_post_request_body import (
    CreateOrGetPostRequestBody)
from msgraph_beta.generated.users.item.online_meetings.item.send_virtual_appointment_sms.\
    send_virtual_appointment_sms_post_request_body import SendVirtualAppointmentSmsPostRequestBody
from msgraph_core import APIVersion, GraphClientFactory
from msgraph_core.requests.batch_request_builder import BatchRequestBuilder
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from tests.graph_emulator.process import DevicePerson

GRAPH = "https://graph.microsoft.com"
GRAPH_DEFAULT = GRAPH + "/.default"
DELEGATED_SCOPES = [GRAPH + "/" + s for s in ("OnlineMeetings.ReadWrite", "VirtualAppointment.ReadWrite",
                                              "VirtualAppointmentNotification.Send")]
ATTENDEE_ID = "b0b0b0b0-1111-4222-8333-444455556666"
# The SDK's generated request builders warn about their own deprecated classes on every call: not ours to fix.
pytestmark = [pytest.mark.filterwarnings("ignore:This class is deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:GetQueryParameters is deprecated:DeprecationWarning")]
MACHINE_ENV = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST",
               "AZURE_REGIONAL_AUTHORITY_NAME", "MSAL_FORCE_REGION", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT")


# -- configuration of Microsoft's clients (options only) ---------------------------------------------------------------
@pytest.fixture(autouse=True, params=["documented", "current"])
def profile(request, emulator):
    """Every scenario runs against both Graphs the emulator plays (DESIGN.md "Two worlds"): what the clients do here
    (object ids, delegated join link and SMS, a US number, createOrGet, $batch) exists today too."""
    emulator.control("POST", "profile", {"profile": request.param})
    return request.param


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Nothing from the machine (region, credentials, managed-identity endpoints) may steer the clients."""
    for name in MACHINE_ENV:
        monkeypatch.delenv(name, raising=False)


def app_credential(emulator):
    d = emulator.defaults
    return ClientSecretCredential(d["tenant_id"], d["client_id"], d["client_secret"],
                                  authority=emulator.authority_host, connection_verify=emulator.ca_file,
                                  disable_instance_discovery=True)


def device_code_credential(emulator, prompts):
    d = emulator.defaults
    return DeviceCodeCredential(client_id=d["public_client_id"], tenant_id=d["tenant_id"],
                                authority=emulator.authority_host, connection_verify=emulator.ca_file,
                                disable_instance_discovery=True, timeout=60,
                                prompt_callback=lambda uri, code, expires: prompts.append((uri, code, expires)))


class Sdk:
    """A msgraph-beta-sdk GraphServiceClient on the emulator's /beta: the SDK's own request adapter and httpx client
    (GraphClientFactory's default middleware: redirect, Kiota's RetryHandler, URL replacement, ...), trusting the
    emulator's CA (msgraph-beta-sdk-python#764 shows the same construction for a custom client)."""

    def __init__(self, emulator, credential, scopes=(GRAPH_DEFAULT,)):
        # The SDK's own middleware options (the /me URL replacement, telemetry), as GraphRequestAdapter uses them
        # when it builds its client itself.
        self.http = GraphClientFactory.create_with_default_middleware(
            api_version=APIVersion.beta, options=SDK_MIDDLEWARE_OPTIONS,
            client=httpx.AsyncClient(verify=ssl.create_default_context(cafile=emulator.ca_file), timeout=30))
        self.adapter = GraphRequestAdapter(AzureIdentityAuthenticationProvider(credential, scopes=list(scopes)),
                                           client=self.http)
        self.adapter.base_url = emulator.graph_url + "/beta"
        self.client = GraphServiceClient(request_adapter=self.adapter)

    async def close(self):
        await self.http.aclose()


def run(coroutine_function, *args):
    """Run one scenario on a fresh event loop (asyncio.run), closing the SDK's httpx client at the end."""
    async def scenario():
        sdk = args[0]
        try:
            return await coroutine_function(*args)
        finally:
            await sdk.close()
    return asyncio.run(scenario())


def validated(emulator, token, tenant=None):
    """Validate a Graph access token with pyjwt as a resource would (graph-today.md 4.1): read the tenant's OpenID
    configuration (v1.0: Graph's tokens are v1.0), fetch the signing key from its ``jwks_uri`` with PyJWKClient,
    check the RS256 signature, Graph's audience and the issuer."""
    tenant = tenant or emulator.defaults["tenant_id"]
    http = emulator.session()
    try:
        config = http.get(f"{emulator.authority_host}/{tenant}/.well-known/openid-configuration", timeout=10).json()
    finally:
        http.close()
    keys = jwt.PyJWKClient(config["jwks_uri"], cache_keys=False,
                           ssl_context=ssl.create_default_context(cafile=emulator.ca_file))
    header = jwt.get_unverified_header(token)
    assert (header["typ"], header["alg"]) == ("JWT", "RS256") and header["kid"] and header["x5t"]
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(token, key.key, algorithms=["RS256"], audience=GRAPH, issuer=config["issuer"],
                      options={"require": ["exp", "iat", "nbf", "aud", "iss", "tid", "oid", "sub"]})


def meeting_body(external_id, subject="Virtual appointment"):
    return CreateOrGetPostRequestBody(
        external_id=external_id, subject=subject,
        start_date_time=datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.timezone.utc),
        end_date_time=datetime.datetime(2030, 3, 4, 9, 30, tzinfo=datetime.timezone.utc),
        participants=MeetingParticipants(attendees=[MeetingParticipantInfo(
            upn="bob@contoso.onmicrosoft.com",
            identity=IdentitySet(user=Identity(id=ATTENDEE_ID, display_name="Bob")))]))


def graph_log(emulator, since=0):
    return emulator.requests(since=since, kind="graph")


def seq(emulator):
    return emulator.metrics()["seq"]


# -- sign-in --------------------------------------------------------------------------------------------------------
def test_sign_in_tokens_validate_against_the_published_keys(emulator):
    """azure-identity and msal sign in; pyjwt validates both tokens against the JWKS of the discovery document; the
    claims are Entra's for an app-only Graph token (oid = the service principal, not the client id)."""
    d = emulator.defaults
    token = app_credential(emulator).get_token(GRAPH_DEFAULT)
    assert token.expires_on > time.time() + 600
    claims = validated(emulator, token.token)
    assert claims["iss"] == f"https://sts.windows.net/{d['tenant_id']}/" and claims["ver"] == "1.0"
    assert (claims["appid"], claims["appidacr"], claims["idtyp"]) == (d["client_id"], "1", "app")
    assert claims["oid"] == claims["sub"] != d["client_id"]
    assert "OnlineMeetings.ReadWrite.All" in claims["roles"] and "scp" not in claims

    http = emulator.session()
    try:
        app = msal.ConfidentialClientApplication(d["client_id"], client_credential=d["client_secret"],
                                                 authority=f"{emulator.authority_host}/{d['tenant_id']}",
                                                 http_client=http, instance_discovery=False)
        result = app.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    finally:
        http.close()
    assert "access_token" in result, result
    assert validated(emulator, result["access_token"])["oid"] == claims["oid"]
    routes = [e["route"] for e in emulator.requests(kind="identity")]
    assert routes.count("/{tenant}/oauth2/v2.0/token") == 2
    assert "/{tenant}/discovery/keys" in routes


def test_token_for_another_clouds_graph_is_refused_with_invalid_audience(emulator):
    """graph-today.md 4.3: a token whose audience is not Graph of this (global) cloud gets 401 Invalid audience."""
    sdk = Sdk(emulator, app_credential(emulator), scopes=("https://graph.microsoft.us/.default",))

    async def scenario(sdk):
        with pytest.raises(ODataError) as raised:
            await sdk.client.users.by_user_id(emulator.defaults["user_id"]).online_meetings.create_or_get.post(
                meeting_body("wrong-cloud"))
        return raised.value

    error = run(scenario, sdk)
    assert error.response_status_code == 401
    assert error.error.code == "InvalidAuthenticationToken"
    assert error.error.message == "Access token validation failure. Invalid audience."
    assert emulator.metrics()["writes"] == 0


# -- meetings, the client join link and SMS ------------------------------------------------------------------------
def test_create_or_get_then_join_link_and_sms_with_a_delegated_credential(emulator):
    """App-only createOrGet (201, then 200 with the same meeting and the attendee sent), then as the signed-in user
    (device code through azure-identity): the client join link and a confirmation SMS."""
    d = emulator.defaults
    external_id = "appointment-" + uuid.uuid4().hex
    app_sdk = Sdk(emulator, app_credential(emulator))

    async def create(sdk):
        meetings = sdk.client.users.by_user_id(d["user_id"]).online_meetings
        first = await meetings.create_or_get.post(meeting_body(external_id))
        again = await meetings.create_or_get.post(meeting_body(external_id, subject="ignored on 200"))
        return first, again

    first, again = run(create, app_sdk)
    assert first.id and first.id == again.id
    assert first.subject == again.subject == "Virtual appointment"  # createOrGet ignores the fields on 200
    assert first.external_id == external_id
    assert first.start_date_time == datetime.datetime(2030, 3, 4, 9, 0, tzinfo=datetime.timezone.utc)
    assert [a.identity.user.id for a in again.participants.attendees] == [ATTENDEE_ID]
    assert first.participants.organizer.identity.user.id == d["user_id"]
    assert [e["status"] for e in graph_log(emulator)] == [201, 200]

    prompts = []
    user_sdk = Sdk(emulator, device_code_credential(emulator, prompts), scopes=DELEGATED_SCOPES)

    async def as_the_user(sdk):
        meeting = sdk.client.me().online_meetings.by_online_meeting_id(first.id)  # me() is a method in 1.66.0
        link = await meeting.get_virtual_appointment_join_web_url.get()
        await meeting.send_virtual_appointment_sms.post(SendVirtualAppointmentSmsPostRequestBody(
            attendees=[AttendeeNotificationInfo(phone_number="+13129224122", time_zone="Pacific Standard Time")],
            message_type=VirtualAppointmentMessageType.Confirmation))
        return link

    with DevicePerson(emulator) as person:
        link = run(as_the_user, user_sdk)
    assert person.problem is None and prompts and prompts[0][1] == person.user_code
    assert link.value.startswith("https://visit.teams.microsoft.com/webrtc-svc/")
    assert d["tenant_id"] in link.value

    log = graph_log(emulator)[-2:]
    assert [(e["route"], e["status"], e["user"]) for e in log] == [
        ("/me/onlineMeetings/{id}/getVirtualAppointmentJoinWebUrl", 200, d["user_id"]),
        ("/me/onlineMeetings/{id}/sendVirtualAppointmentSms", 202, d["user_id"])]
    (sms,) = emulator.state()["sms"]
    assert sms["body"] == {"attendees": [{"phoneNumber": "+13129224122", "timeZone": "Pacific Standard Time"}],
                           "messageType": "confirmation"}
    assert (sms["meeting_id"], sms["user_id"], sms["type"]) == (first.id, d["user_id"], "confirmation")
    delegated = [t for t in emulator.control("GET", "issued-tokens")["access_tokens"]
                 if "scp" in jwt.decode(t, options={"verify_signature": False})]
    claims = validated(emulator, delegated[-1])
    assert "idtyp" not in claims and claims["oid"] == d["user_id"] and claims["upn"] == d["user_upn"]
    assert set(claims["scp"].split()) >= {"OnlineMeetings.ReadWrite", "VirtualAppointmentNotification.Send"}


# -- $batch through msgraph-core -------------------------------------------------------------------------------------
def test_batch_of_20_through_msgraph_core(emulator):
    """BatchRequestContent / BatchRequestBuilder with 20 items (a 21st is refused client-side).

    msgraph-core 1.5.2 writes ``"depends_on": []`` on every item (Graph ignores the key, so does the emulator) and
    the item's absolute URL: Graph fails each such item alone with 400 "Resource not found for the segment 'https:'"
    in a 200 batch (graph-today.md 5, msgraph-sdk-python#1015).  With the item URLs made relative, the workaround
    that issue gives, the same 20 items run."""
    d = emulator.defaults
    sdk = Sdk(emulator, app_credential(emulator))

    def batch_of_20(meetings, meeting_id):
        content = BatchRequestContent()
        for index in range(20):
            info = meetings.by_online_meeting_id(meeting_id if index != 7 else "no-such-meeting") \
                .to_get_request_information()
            content.add_request(None, BatchRequestItem(info, id="item-%02d" % index))
        with pytest.raises(RuntimeError, match="Maximum number of requests is 20"):
            content.add_request(None, BatchRequestItem(meetings.by_online_meeting_id(meeting_id)
                                                       .to_get_request_information(), id="item-20"))
        return content

    def wire(content):
        writer = JsonSerializationWriter()
        content.serialize(writer)
        return json.loads(writer.get_serialized_content())["requests"]

    async def scenario(sdk):
        meetings = sdk.client.users.by_user_id(d["user_id"]).online_meetings
        meeting = await meetings.create_or_get.post(meeting_body("batch-" + uuid.uuid4().hex))
        as_built = batch_of_20(meetings, meeting.id)
        sent_as_built = wire(as_built)
        since = seq(emulator)
        answer_as_built = await BatchRequestBuilder(sdk.adapter).post(as_built)
        relative = batch_of_20(meetings, meeting.id)
        for item in relative.requests.values():
            item.url = item.url.replace(sdk.adapter.base_url, "", 1)
        sent_relative = wire(relative)
        answer = await BatchRequestBuilder(sdk.adapter).post(relative)
        return meeting, since, (sent_as_built, answer_as_built), (sent_relative, answer)

    meeting, since, (sent_as_built, answer_as_built), (sent, answer) = run(scenario, sdk)
    ids = ["item-%02d" % i for i in range(20)]
    assert [item["id"] for item in sent_as_built] == ids and all(i["depends_on"] == [] for i in sent_as_built)
    assert all(item["url"].startswith(emulator.graph_url + "/beta/users/") for item in sent_as_built)
    assert answer_as_built.get_response_status_codes() == {item_id: 400 for item_id in ids}

    assert all(item["url"].startswith("/users/") and item["depends_on"] == [] for item in sent)
    statuses = answer.get_response_status_codes()
    assert sorted(statuses) == ids
    assert statuses.pop("item-07") == 404 and set(statuses.values()) == {200}
    assert answer.get_response_by_id("item-00").content_type.startswith("application/json")

    log = graph_log(emulator, since)
    first, second = [e for e in log if e["route"] == "/$batch"]
    assert first["status"] == second["status"] == 200
    refused = [e for e in log if e["batch"] == first["seq"]]
    assert [e["status"] for e in refused] == [400] * 20
    items = [e for e in log if e["batch"] == second["seq"]]
    assert len(items) == 20
    assert {e["request_id"] for e in items} == {str(answer.get_response_by_id(i).headers["request-id"]) for i in ids}
    assert {e["path"] for e in items if e["status"] == 200} == {
        "/users/%s/onlineMeetings/%s" % (d["user_id"], meeting.id)}


# -- errors and retries --------------------------------------------------------------------------------------------
def test_not_found_raises_odata_error_with_graphs_code_and_message(emulator):
    d = emulator.defaults
    sdk = Sdk(emulator, app_credential(emulator))

    async def scenario(sdk):
        with pytest.raises(ODataError) as raised:
            await sdk.client.users.by_user_id(d["user_id"]).online_meetings.by_online_meeting_id("no-such").get()
        return raised.value

    error = run(scenario, sdk)
    assert error.response_status_code == 404
    assert error.error.code == "itemNotFound"
    assert error.error.message == "The onlineMeeting 'no-such' was not found for user '%s'." % d["user_id"]
    (logged,) = graph_log(emulator)
    assert str(error.error.inner_error.request_id) == logged["request_id"]
    assert str(error.error.inner_error.client_request_id) == logged["client_request_id"]


def test_throttled_request_is_retried_by_kiotas_retry_handler(emulator):
    """A 429 with Retry-After: 1 (injected through the control API) is retried once by Kiota's RetryHandler, after
    the second it waited, and the call succeeds: the emulator saw 2 requests."""
    d = emulator.defaults
    sdk = Sdk(emulator, app_credential(emulator))

    async def create(sdk):
        return await sdk.client.users.by_user_id(d["user_id"]).online_meetings.create_or_get.post(
            meeting_body("throttled-" + uuid.uuid4().hex))

    meeting = run(create, sdk)
    path = "/users/%s/onlineMeetings/%s" % (d["user_id"], meeting.id)
    emulator.faults([{"route": "^%s$" % re.escape(path), "method": "GET", "status": 429, "retry_after": 1,
                      "count": 1}])
    since = seq(emulator)
    sdk = Sdk(emulator, app_credential(emulator))

    async def read(sdk):
        started = time.monotonic()
        got = await sdk.client.users.by_user_id(d["user_id"]).online_meetings.by_online_meeting_id(meeting.id).get()
        return got, time.monotonic() - started

    got, elapsed = run(read, sdk)
    assert got.id == meeting.id and got.subject == "Virtual appointment"
    assert [(e["path"], e["status"]) for e in graph_log(emulator, since)] == [(path, 429), (path, 200)]
    assert elapsed >= 1.0  # Retry-After honoured
    assert emulator.control("GET", "faults")["rules"][0]["fired"] == 1
