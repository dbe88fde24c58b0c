"""Microsoft Graph: routing, authentication, authorisation and the onlineMeeting / virtualAppointment handlers.

One dispatcher serves both top-level HTTP requests and ``$batch`` items, so every item goes through the same
faults, throttling, permission checks and logging as a plain request would.
"""

import base64
import binascii
import copy
import datetime
import json
import re
import uuid
from urllib.parse import parse_qsl, unquote

from . import bookings, profiles, users
from .errors import GraphError, bad_request, check_granted, injected, not_found, throttled, user_not_found
from .fence import FenceError
from .store import format_datetime, parse_datetime
from .tokens import TokenError
from .windows_zones import is_windows_time_zone

JSON_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

# Permissions per operation: (delegated scopes, application roles); any one of each set suffices.  Where the
# documentation disagrees between versions (graph-api.md 3.6, 5.1-5.3) the union is accepted.
PERMISSIONS = {
    "meeting.create": ({"OnlineMeetings.ReadWrite"}, {"OnlineMeetings.ReadWrite.All"}),
    "meeting.read": ({"OnlineMeetings.Read", "OnlineMeetings.ReadWrite", "OnlineMeetingArtifact.Read.All"},
                     {"OnlineMeetings.Read.All", "OnlineMeetings.ReadWrite.All", "OnlineMeetingArtifact.Read.All"}),
    "meeting.write": ({"OnlineMeetings.ReadWrite"}, {"OnlineMeetings.ReadWrite.All"}),
    "appointment.read": ({"VirtualAppointment.Read", "VirtualAppointment.ReadWrite", "OnlineMeetings.Read",
                          "OnlineMeetings.ReadWrite"},
                         {"VirtualAppointment.Read.All", "VirtualAppointment.ReadWrite.All"}),
    "appointment.write": ({"VirtualAppointment.ReadWrite", "OnlineMeetings.ReadWrite"},
                          {"VirtualAppointment.ReadWrite.All"}),
    "appointment.sms": ({"VirtualAppointment.ReadWrite", "VirtualAppointmentNotification.Send"},
                        {"VirtualAppointment.ReadWrite.All", "VirtualAppointmentNotification.Send"}),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Drop(Exception):
    """The connection is to be dropped: 'before' the change is applied, or 'after' it."""

    def __init__(self, when):
        super().__init__(when)
        self.when = when


class Call:
    """One Graph request: a top-level HTTP request or one item of a $batch."""

    def __init__(self, method, path, query, headers, body, version, client_request_id, batch=None, raw_body=None):
        self.method = method.upper()
        self.path = path            # raw (still percent-encoded) path after the version, e.g. /me/onlineMeetings
        self.segments = [unquote(s) for s in path.strip("/").split("/")] if path.strip("/") else []
        self.query = query
        self.headers = headers      # lower-cased keys
        self.body = body            # parsed JSON (batch items) or None
        self.raw_body = raw_body    # bytes (top-level) or None
        self.version = version
        self.client_request_id = client_request_id
        self.request_id = str(uuid.uuid4())
        self.batch = batch          # parent log seq for batch items
        self.seq = None
        self.route = None
        self.principal = None
        self.user = None
        self.delay_ms = 0
        # Bookings service time (mode bookings_service_ms): how long this call holds its answer for it (a $batch:
        # the sum of its Bookings items'), and when it starts after its dispatch (a $batch item: once the Bookings
        # items before it are done - the items of one $batch run one after another).
        self.service_ms = 0
        self.start_ms = 0
        self.drop = None

    def json(self):
        """The request body as JSON; a missing, malformed or non-object body is a 400."""
        if self.body is not None:
            # A $batch item's body arrives already parsed and may be any JSON value, not only an object.
            if not isinstance(self.body, dict):
                raise bad_request("Unable to read JSON request payload: the payload must be a JSON object.")
            return self.body
        if not self.raw_body:
            raise bad_request("Empty Payload. JSON content expected.")
        try:
            value = json.loads(self.raw_body)
        except (ValueError, RecursionError) as exc:  # RecursionError: hostile nesting like [[[[...]]]]
            raise bad_request("Unable to read JSON request payload. Please ensure Content-Type header is set and "
                              "payload is of valid JSON format. (%s)" % exc) from exc
        if not isinstance(value, dict):
            raise bad_request("Unable to read JSON request payload: the payload must be a JSON object.")
        self.body = value
        return value


class Response:
    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class Principal:
    def __init__(self, tenant, app_id, user, permissions, claims):
        self.tenant = tenant
        self.app_id = app_id
        self.user = user
        self.permissions = permissions
        self.claims = claims


# --------------------------------------------------------------------------------------------------------
# Routing
# --------------------------------------------------------------------------------------------------------
MEETING_ACTIONS = {
    "virtualappointment": "virtualAppointment",
    "getvirtualappointmentjoinweburl": "getVirtualAppointmentJoinWebUrl",
    "getvirtualappointmentjoinweburl()": "getVirtualAppointmentJoinWebUrl",
    "sendvirtualappointmentsms": "sendVirtualAppointmentSms",
    "sendvirtualappointmentremindersms": "sendVirtualAppointmentReminderSms",
}


def resolve(segments, version="beta"):
    """Map path segments to (route template, owner kind, owner id, meeting id, leaf); raise 400/404."""
    if not segments:
        raise not_found("Resource not found for the segment ''.", code="NotFound")
    head = segments[0].lower()
    if head == "solutions":
        return bookings.resolve(segments)  # Microsoft Bookings: bookings.py
    if head == "onlinemeeting":
        # The path the early documentation printed; the real service answered 400 (issue DC#1939).
        raise bad_request("Resource not found for the segment 'onlineMeeting'.")
    if head == "me":
        owner_kind, owner_id, rest, template = "me", None, segments[1:], "/me"
    elif head == "users" and len(segments) >= 2:
        owner_kind, owner_id, rest, template = "user", segments[1], segments[2:], "/users/{id}"
    else:
        raise not_found("Resource not found for the segment '%s'." % segments[0], code="NotFound")
    if not rest and owner_kind == "user":
        return template, owner_kind, owner_id, None, "user"  # GET /users/{id | userPrincipalName}: users.py
    if not rest or rest[0].lower() != "onlinemeetings":
        raise not_found("Resource not found for the segment '%s'." % (rest[0] if rest else segments[-1]),
                        code="NotFound")
    template += "/onlineMeetings"
    if len(rest) == 1:
        return template, owner_kind, owner_id, None, "collection"
    if len(rest) == 2 and rest[1].lower() == "createorget":
        return template + "/createOrGet", owner_kind, owner_id, None, "createOrGet"
    meeting_id = rest[1]
    if len(rest) == 2:
        return template + "/{id}", owner_kind, owner_id, meeting_id, "meeting"
    if len(rest) == 3 and rest[2].lower() in MEETING_ACTIONS:
        leaf = MEETING_ACTIONS[rest[2].lower()]
        if leaf == "virtualAppointment" and version != "beta":
            # graph-api.md 3: virtualAppointment only ever existed in beta; v1.0 has no such navigation property.
            raise bad_request("Resource not found for the segment '%s'." % rest[2])
        return template + "/{id}/" + leaf, owner_kind, owner_id, meeting_id, leaf
    raise not_found("Resource not found for the segment '%s'." % rest[2], code="NotFound")


# leaf -> method -> (permission key, verb used in the access-policy message, handler name)
METHODS = {
    "collection": {"GET": ("meeting.read", "Get", "list_meetings"),
                   "POST": ("meeting.create", "Create", "create_meeting")},
    "createOrGet": {"POST": ("meeting.create", "Create", "create_or_get")},
    "meeting": {"GET": ("meeting.read", "Get", "get_meeting"), "PATCH": ("meeting.write", "Update", "patch_meeting"),
                "DELETE": ("meeting.write", "Delete", "delete_meeting")},
    "virtualAppointment": {"GET": ("appointment.read", "Get", "get_appointment"),
                           "PUT": ("appointment.write", "Create", "put_appointment"),
                           "PATCH": ("appointment.write", "Update", "patch_appointment"),
                           "DELETE": ("appointment.write", "Delete", "delete_appointment")},
    "getVirtualAppointmentJoinWebUrl": {"GET": ("appointment.read", "Get", "join_web_url")},
    "sendVirtualAppointmentSms": {"POST": ("appointment.sms", "Send", "send_sms")},
    "sendVirtualAppointmentReminderSms": {"POST": ("appointment.sms", "Send", "send_reminder_sms")},
    "user": {"GET": (users.PERMISSION, "Get", "get_user")},
}
METHODS.update(bookings.METHODS)


# --------------------------------------------------------------------------------------------------------
# Body validation
# --------------------------------------------------------------------------------------------------------
STR, BOOL, OBJ, LIST = (str,), (bool,), (dict,), (list,)
MEETING_PROPERTIES = {
    "subject": STR, "startDateTime": STR, "endDateTime": STR, "externalId": STR, "participants": OBJ,
    "isEntryExitAnnounced": BOOL, "allowedPresenters": STR, "allowMeetingChat": STR, "allowTeamworkReactions": BOOL,
    "allowAttendeeToEnableMic": BOOL, "allowAttendeeToEnableCamera": BOOL, "recordAutomatically": BOOL,
    "lobbyBypassSettings": OBJ, "joinMeetingIdSettings": OBJ, "chatInfo": OBJ, "isBroadcast": BOOL,
    "autoAdmittedUsers": STR, "allowParticipantsToChangeName": BOOL, "shareMeetingChatHistoryDefault": STR,
    "watermarkProtection": OBJ, "allowRecording": BOOL, "allowTranscription": BOOL,
    # The rest of the beta onlineMeetingBase / onlineMeeting model's settable properties (msgraph-beta-sdk 1.66.0).
    "allowBreakoutRooms": BOOL, "allowCopyingAndSharingMeetingContent": BOOL, "allowLiveShare": STR,
    "allowPowerPointSharing": BOOL, "allowWhiteboard": BOOL, "allowedLobbyAdmitters": STR,
    "anonymizeIdentityForRoles": LIST, "chatRestrictions": OBJ, "isEndToEndEncryptionEnabled": BOOL,
    "meetingSpokenLanguageTag": STR, "sensitivityLabelAssignment": OBJ, "broadcastSettings": OBJ,
    "meetingTemplateId": STR,
}
MEETING_READ_ONLY = {"id", "joinWebUrl", "joinUrl", "creationDateTime", "meetingCode", "videoTeleconferenceId",
                     "audioConferencing", "joinInformation", "meetingOptionsWebUrl", "cloudVideoInteropInfo",
                     "expiryDateTime", "meetingType", "capabilities"}
MEETING_UPDATABLE = {"subject", "startDateTime", "endDateTime", "participants", "isEntryExitAnnounced",
                     "lobbyBypassSettings", "allowedPresenters", "allowAttendeeToEnableCamera",
                     "allowAttendeeToEnableMic", "allowMeetingChat", "allowTeamworkReactions", "recordAutomatically",
                     "allowParticipantsToChangeName", "shareMeetingChatHistoryDefault", "watermarkProtection",
                     "allowRecording", "allowTranscription"}
ENUMS = {
    "allowedPresenters": {"everyone", "organization", "roleIsPresenter", "organizer", "unknownFutureValue"},
    "allowMeetingChat": {"enabled", "disabled", "limited", "unknownFutureValue"},
    "allowLiveShare": {"enabled", "disabled", "unknownFutureValue"},
    "allowedLobbyAdmitters": {"organizerAndCoOrganizersAndPresenters", "organizerAndCoOrganizers",
                              "unknownFutureValue"},
}
APPOINTMENT_PROPERTIES = {
    "appointmentClients": LIST, "appointmentClientJoinWebUrl": STR, "externalAppointmentId": STR,
    "externalAppointmentUrl": STR, "settings": OBJ,
}
CLIENT_PROPERTIES = {"displayName", "emailAddress", "smsCapablePhoneNumber"}
TYPE_NAMES = {STR: "Edm.String", BOOL: "Edm.Boolean", OBJ: "a complex value", LIST: "a collection"}


def _unknown_property(name, type_name):
    return bad_request("Invalid request body: the property '%s' does not exist on type 'microsoft.graph.%s'. Make "
                       "sure to only use property names that are defined by the type." % (name, type_name))


def _check_properties(body, schema, type_name, read_only=()):
    out = {}
    for key, value in body.items():
        if key.startswith("@odata.") or key in read_only:
            continue
        if key not in schema:
            raise _unknown_property(key, type_name)
        if value is not None and not isinstance(value, schema[key]):
            raise bad_request("Invalid request body: cannot convert the value of property '%s' of type "
                              "'microsoft.graph.%s' to %s." % (key, type_name, TYPE_NAMES[schema[key]]))
        if key in ENUMS and value is not None and value not in ENUMS[key]:
            raise bad_request("Invalid request body: '%s' is not a valid value of '%s'." % (value, key))
        out[key] = value
    return out


def _check_participants(participants, current_organizer):
    """Validate a PATCH's participants: the organizer is immutable, attendees replace the whole list.

    Returns the new attendee list, or None when the body does not change attendees."""
    for key in participants:
        if key not in ("organizer", "attendees", "producers", "contributors") and not key.startswith("@odata."):
            raise _unknown_property(key, "meetingParticipants")
    organizer = participants.get("organizer")
    if organizer is not None:
        identity = organizer.get("identity", {}) if isinstance(organizer, dict) else None
        user = identity.get("user", {}) if isinstance(identity, dict) else None
        if not isinstance(user, dict):
            raise bad_request("Invalid request body: participants.organizer must be a "
                              "microsoft.graph.meetingParticipantInfo object.")
        if user.get("id") not in (None, current_organizer["identity"]["user"]["id"]):
            raise bad_request("Invalid request body: participants.organizer cannot be changed.")
    if "attendees" not in participants:
        return None
    attendees = participants["attendees"]
    if not isinstance(attendees, list) or not all(isinstance(a, dict) for a in attendees):
        raise bad_request("Invalid request body: participants.attendees must be a collection of "
                          "microsoft.graph.meetingParticipantInfo.")
    return attendees


def _times(fields, existing_start=None, default_now=None):
    """Apply createOrGet's documented start/end rules and normalise both to UTC 'Z'."""
    start, end = fields.get("startDateTime"), fields.get("endDateTime")
    try:
        start_dt = parse_datetime(start) if start is not None else None
        end_dt = parse_datetime(end) if end is not None else None
    except (ValueError, OverflowError) as exc:  # OverflowError: e.g. year 9999 with a negative offset
        raise bad_request("Invalid request body: startDateTime and endDateTime must be ISO 8601 date-times "
                          "(%s)." % exc) from exc
    if start_dt is None and end_dt is not None:
        raise bad_request("endDateTime cannot be set without startDateTime.")
    if start_dt is None:
        start_dt = existing_start or default_now
    if start_dt is None:  # an update that sets both times to null
        raise bad_request("Invalid request body: startDateTime and endDateTime cannot be null.")
    if end_dt is None:
        try:
            end_dt = start_dt + datetime.timedelta(hours=1)
        except OverflowError as exc:
            raise bad_request("Invalid request body: startDateTime is out of range.") from exc
    if end_dt < start_dt:
        raise bad_request("endDateTime must be later than startDateTime.")
    fields["startDateTime"], fields["endDateTime"] = format_datetime(start_dt), format_datetime(end_dt)
    return fields


def _browser_flag(value):
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise bad_request("Invalid request body: cannot convert the value of property 'allowClientToJoinUsingBrowser' "
                      "to Edm.Boolean.")


def validate_appointment(body):
    fields = _check_properties(body, APPOINTMENT_PROPERTIES, "virtualAppointment", read_only=("id",))
    clients = fields.get("appointmentClients")
    if clients is not None:
        checked = []
        for index, client in enumerate(clients):
            if not isinstance(client, dict):
                raise bad_request("Invalid request body: appointmentClients[%d] must be a "
                                  "microsoft.graph.virtualAppointmentUser object." % index)
            entry = {"@odata.type": "microsoft.graph.virtualAppointmentUser"}
            for key, value in client.items():
                if key.startswith("@odata."):
                    continue
                if key not in CLIENT_PROPERTIES:
                    raise _unknown_property(key, "virtualAppointmentUser")
                if value is not None and not isinstance(value, str):
                    raise bad_request("Invalid request body: cannot convert the value of property '%s' of type "
                                      "'microsoft.graph.virtualAppointmentUser' to Edm.String." % key)
                entry[key] = value
            checked.append(entry)
        fields["appointmentClients"] = checked
    settings = fields.get("settings")
    if settings is not None:
        checked = {"@odata.type": "microsoft.graph.virtualAppointmentSettings"}
        for key, value in settings.items():
            if key.startswith("@odata."):
                continue
            if key != "allowClientToJoinUsingBrowser":
                raise _unknown_property(key, "virtualAppointmentSettings")
            checked[key] = _browser_flag(value)
        fields["settings"] = checked
    return fields


SMS_MESSAGE_TYPES = {"confirmation", "reschedule", "cancellation"}
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-.]{6,20}$")


def validate_sms(body, reminder, legacy_allowed):
    kind_key = "remindBeforeTimeInMinutesType" if reminder else "messageType"
    allowed = {"attendees", kind_key}
    legacy_keys = {"phoneNumbers", "smsType", "virtualAppointmentSmsType"}
    if legacy_allowed and "phoneNumbers" in body:
        allowed = {"phoneNumbers", "smsType", "virtualAppointmentSmsType", "remindBeforeTimeInMinutesType"}
    for key in body:
        if key not in allowed:
            hint = " (a 2023 body shape; the current shape is attendees + %s)" % kind_key if key in legacy_keys else ""
            raise bad_request("Invalid request body: the parameter '%s' is not valid for this action%s." % (key, hint))
    if "phoneNumbers" in body:
        phones = body["phoneNumbers"]
        if not isinstance(phones, list) or not phones or not all(isinstance(p, str) and _PHONE.match(p)
                                                                 for p in phones):
            raise bad_request("Invalid request body: phoneNumbers must be a non-empty list of phone numbers.")
        attendees = [{"phoneNumber": p, "timeZone": None} for p in phones]
        kind = body.get("smsType") or body.get("virtualAppointmentSmsType") or body.get("remindBeforeTimeInMinutesType")
    else:
        attendees = body.get("attendees")
        if not isinstance(attendees, list) or not attendees:
            raise bad_request("Invalid request body: 'attendees' is required and must be a non-empty collection of "
                              "microsoft.graph.attendeeNotificationInfo.")
        for index, attendee in enumerate(attendees):
            if not isinstance(attendee, dict) or set(attendee) - {"phoneNumber", "timeZone", "@odata.type"}:
                raise bad_request("Invalid request body: attendees[%d] must have only phoneNumber and timeZone."
                                  % index)
            phone, zone = attendee.get("phoneNumber"), attendee.get("timeZone")
            if not isinstance(phone, str) or not _PHONE.match(phone):
                raise bad_request("Invalid request body: attendees[%d].phoneNumber is not a valid phone number."
                                  % index)
            if not isinstance(zone, str) or not zone.strip():
                raise bad_request("Invalid request body: attendees[%d].timeZone is required." % index)
            if not is_windows_time_zone(zone):
                raise bad_request("Invalid request body: attendees[%d].timeZone '%s' is not a time zone supported by "
                                  "Windows." % (index, zone[:80]))
        kind = body.get(kind_key)
    valid = {"mins15"} if reminder else SMS_MESSAGE_TYPES
    # The doc table calls messageType a "collection"; CSDL and every example use one value, so a list is a 400.
    if not isinstance(kind, str) or kind not in valid:
        raise bad_request("Invalid request body: '%s' must be one of %s." % (kind_key, ", ".join(sorted(valid))))
    return attendees, kind


# --------------------------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------------------------
class GraphService:
    def __init__(self, emulator):
        self.emu = emulator
        self.bookings = bookings.Bookings(emulator)

    # -- pipeline -----------------------------------------------------------------------------------------
    def dispatch(self, call, principal=None):
        """Run one call through faults, auth, throttling, permissions and its handler; log it; return a Response.

        Raises Drop when an injected fault drops the connection (the caller closes it)."""
        emu = self.emu
        response = None
        fault = None
        if call.seq is None:
            call.seq = emu.next_seq()
        call.route = "(unknown)"
        if call.segments and call.segments[0].lower() == "onlinemeeting":
            call.route = "/onlineMeeting/(legacy)"
        try:
            if call.segments == ["$batch"]:
                if call.batch is not None:
                    raise bad_request("Nested $batch requests are not supported.")
                call.route = "/$batch"
                if call.method != "POST":
                    raise GraphError(405, "MethodNotAllowed", "The $batch endpoint only supports POST.")
                fault = emu.faults.pick(call.method, call.path)
                self._before(call, fault)
                call.principal = principal or self.authenticate(call)
                response = self.batch(call)
            else:
                call.route, owner_kind, owner_id, meeting_id, leaf = resolve(call.segments, call.version)
                profiles.check_retired(emu, call, leaf)  # a URL parse error: before faults and authentication
                spec = METHODS[leaf].get(call.method)
                if spec is None:
                    raise GraphError(405, "MethodNotAllowed", "The HTTP method '%s' is not allowed on %s; allowed: %s."
                                     % (call.method, call.route, ", ".join(sorted(METHODS[leaf]))))
                fault = emu.faults.pick(call.method, call.path)
                self._before(call, fault)
                call.principal = principal or self.authenticate(call)
                self.throttle(call)
                permission, verb, handler = spec
                call.user = self.authorize(call.principal, permission, verb, owner_kind, owner_id)
                response = getattr(self, handler)(call, meeting_id)
            if fault is not None and fault.status is not None and fault.after:
                raise injected(fault.status, fault.retry_after, fault.code, fault.message)
        except GraphError as err:
            response = Response(err.status, err.body(call.request_id, call.client_request_id), err.headers)
            if isinstance(err, FenceError):
                emu.fence.record(call, err.status)
        except Drop as drop:
            call.drop = drop.when
            emu.record(call, 0)
            raise
        if fault is not None and fault.drop == "after":
            call.drop = "after"
            emu.record(call, 0)
            raise Drop("after")
        response.headers["request-id"] = call.request_id
        response.headers["client-request-id"] = call.client_request_id
        emu.record(call, response.status)
        return response

    def _before(self, call, fault):
        if fault is None:
            return
        if fault.drop == "before":
            raise Drop("before")
        if fault.delay_ms is not None:
            call.delay_ms += fault.delay_ms
        if fault.status is not None and not fault.after:
            raise injected(fault.status, fault.retry_after, fault.code, fault.message)

    def authenticate(self, call):
        header = call.headers.get("authorization", "")
        scheme, _space, token = header.partition(" ")
        www = {"WWW-Authenticate": 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
                                   'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'}
        if not token.strip() or scheme.lower() != "bearer":
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.", headers=www)
        try:
            claims = self.emu.tokens.verify_access_token(token.strip())
        except TokenError as exc:
            raise GraphError(401, "InvalidAuthenticationToken", str(exc), headers=www) from exc
        tenant = self.emu.directory.find_tenant(claims.get("tid"))
        if tenant is None:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token validation failure. Invalid tenant '%s'." % claims.get("tid"), headers=www)
        user = None
        if not self.emu.tokens.is_app_only(claims):  # app-only iff idtyp "app" (or no scp): graph-today.md 4.2
            user = tenant.users.get(claims.get("oid"))
            if user is None:
                raise GraphError(401, "InvalidAuthenticationToken",
                                 "Access token validation failure. The user does not exist in the tenant.", headers=www)
            permissions = set(claims.get("scp", "").split())
        else:
            permissions = set(claims.get("roles", ()))
        return Principal(tenant, claims.get("appid"), user, permissions, claims)

    def throttle(self, call):
        config = self.emu.modes.get("throttle")
        if not config:
            return
        key = (call.principal.tenant.id, call.principal.app_id)
        wait = self.emu.buckets.take(key, float(config["rate_per_s"]), float(config.get("burst", 1)))
        if wait:
            raise throttled(wait)

    def authorize(self, principal, permission, verb, owner_kind, owner_id):
        if permission == users.PERMISSION:
            return users.authorize(principal, owner_id)
        if permission in bookings.PERMISSIONS:
            return bookings.authorize(principal, permission)
        delegated, application = profiles.permissions(self.emu, permission, PERMISSIONS[permission])
        tenant = principal.tenant
        if principal.user is not None:
            check_granted(principal, delegated, application)
            if owner_kind == "me":
                return principal.user
            user = tenant.find_user(owner_id)
            if user is None:
                raise self._no_user(owner_id)
            if user.id != principal.user.id:
                raise GraphError(403, "Forbidden", "A delegated token can only manage the signed-in user's meetings.")
            return user
        if owner_kind == "me":
            raise bad_request("/me request is only valid with delegated authentication flow.")
        check_granted(principal, delegated, application)
        user = profiles.app_owner(self.emu, tenant, owner_id)
        if user is None:
            raise self._no_user(owner_id)
        if not tenant.policy_allows(principal.app_id, user.id):
            raise profiles.policy_denied(self.emu, principal.app_id, verb, user.id)
        return user

    @staticmethod
    def _no_user(owner_id):
        return user_not_found(owner_id)

    def booking_call(self, call, ids):
        status, body, headers = self.bookings.handle(call, ids)
        return Response(status, body, headers)

    def get_user(self, call, _meeting_id):
        return Response(200, users.view(self.emu.public_url, call.version, call.user, call.query.get("$select")))

    # -- helpers --------------------------------------------------------------------------------------------
    def _context(self, call, suffix):
        return "%s/%s/$metadata#users('%s')%s" % (self.emu.public_url, call.version, call.user.id, suffix)

    def _meeting_body(self, call, meeting):
        body = {"@odata.context": self._context(call, "/onlineMeetings/$entity")}
        body.update(meeting.entity)
        return body

    @staticmethod
    def _selected(call, entity, context):
        """Apply ``$select`` to an onlineMeeting: only the named properties, plus ``id`` (and ``@odata.context`` when
        given); a name the type lacks is a 400 as in Graph."""
        select = call.query.get("$select")
        if not select:
            return entity if context is None else dict({"@odata.context": context}, **entity)
        wanted = [name.strip() for name in select.split(",") if name.strip()]
        known = set(MEETING_PROPERTIES) | MEETING_READ_ONLY | set(entity)
        for name in wanted:
            if name not in known:
                raise bad_request("Could not find a property named '%s' on type 'microsoft.graph.onlineMeeting'."
                                  % name)
        out = {} if context is None else {"@odata.context": context}
        out.update((key, value) for key, value in entity.items() if key == "id" or key in wanted)
        return out

    def _create_fields(self, call):
        """The checked body of a create or createOrGet, and the attendees it sends (``participants.attendees``)."""
        fields = _check_properties(call.json(), MEETING_PROPERTIES, "onlineMeeting", MEETING_READ_ONLY)
        participants = fields.pop("participants", None)
        attendees = None
        if participants is not None:
            organizer = {"identity": {"user": {"id": call.user.id}}}  # the organizer is the user the path names
            attendees = _check_participants(participants, organizer)
        return fields, attendees

    def _new_meeting(self, call, fields, attendees, external_id):
        _times(fields, default_now=self.emu.now())
        meeting = self.emu.store.new_meeting(call.principal.tenant.id, call.user, fields, external_id)
        if attendees:
            meeting.entity["participants"]["attendees"] = copy.deepcopy(attendees)
        return meeting

    def _meeting(self, call, meeting_id):
        meeting = self.emu.store.find(call.principal.tenant.id, call.user.id, meeting_id)
        if meeting is None:
            raise not_found("The onlineMeeting '%s' was not found for user '%s'." % (meeting_id, call.user.id))
        return meeting

    def _appointment_view(self, meeting):
        out = {"@odata.type": "#microsoft.graph.virtualAppointment"}
        out.update(meeting.appointment)
        settings = out.get("settings")
        if self.emu.modes["browser_flag_as_string"] and isinstance(settings, dict):
            flag = settings.get("allowClientToJoinUsingBrowser")
            if isinstance(flag, bool):
                out["settings"] = dict(settings, allowClientToJoinUsingBrowser="true" if flag else "false")
        return out

    def _appointment_body(self, call, meeting):
        body = {"@odata.context": self._context(call, "/onlineMeetings('%s')/virtualAppointment/$entity" % meeting.id)}
        body.update(self._appointment_view(meeting))
        select = call.query.get("$select")
        if select:
            wanted = {s.strip() for s in select.split(",")} | {"id"}
            body = {k: v for k, v in body.items() if k in wanted or k.startswith("@odata.")}
        return body

    # -- onlineMeetings -------------------------------------------------------------------------------------
    def create_meeting(self, call, _meeting_id):
        fields, attendees = self._create_fields(call)
        external_id = fields.pop("externalId", None)
        meeting = self._new_meeting(call, fields, attendees, external_id)
        return Response(201, self._meeting_body(call, meeting))

    def create_or_get(self, call, _meeting_id):
        fields, attendees = self._create_fields(call)
        external_id = fields.get("externalId")
        if not external_id:
            raise bad_request("Invalid request body: 'externalId' is required for createOrGet.")
        existing = self.emu.store.find_external(call.principal.tenant.id, call.user.id, external_id)
        if existing is not None:
            # Keyed on tenant + organizer + externalId; the other fields sent are ignored, not applied or compared
            # (graph-today.md 2.3): the stored meeting comes back unchanged.
            return Response(200, self._meeting_body(call, existing))
        fields.pop("externalId")
        meeting = self._new_meeting(call, fields, attendees, external_id)
        return Response(201, self._meeting_body(call, meeting))

    def list_meetings(self, call, _meeting_id):
        expression = call.query.get("$filter")
        if not expression:
            raise bad_request("Filter is required: use $filter=JoinWebUrl eq '{joinWebUrl}' or "
                              "joinMeetingIdSettings/joinMeetingId eq '{joinMeetingId}'.")
        match = re.match(r"^\s*(JoinWebUrl|joinMeetingIdSettings/joinMeetingId)\s+eq\s+'(.*)'\s*$", expression,
                         re.IGNORECASE)
        if not match:
            raise bad_request("Invalid filter clause: only JoinWebUrl eq '...' and "
                              "joinMeetingIdSettings/joinMeetingId eq '...' are supported.")
        field, value = match.group(1).lower(), match.group(2).replace("''", "'")
        found = []
        for meeting in self.emu.store.meetings.values():
            if meeting.tenant_id != call.principal.tenant.id or meeting.user_id != call.user.id:
                continue
            if field == "joinweburl":
                actual = meeting.entity["joinWebUrl"]
                hit = value in (actual, unquote(actual)) or unquote(value) == unquote(actual)
            else:
                hit = (meeting.entity.get("joinMeetingIdSettings") or {}).get("joinMeetingId") == value
            if hit:
                found.append(self._selected(call, meeting.entity, None))
        return Response(200, {"@odata.context": self._context(call, "/onlineMeetings"), "value": found})

    def get_meeting(self, call, meeting_id):
        meeting = self._meeting(call, meeting_id)
        if not call.query.get("$select"):
            return Response(200, self._meeting_body(call, meeting))
        context = self._context(call, "/onlineMeetings(%s)/$entity" % call.query["$select"].replace(" ", ""))
        return Response(200, self._selected(call, meeting.entity, context))

    def patch_meeting(self, call, meeting_id):
        meeting = self._meeting(call, meeting_id)
        body = call.json()
        for key in body:
            if key in ("externalId", "joinMeetingIdSettings", "chatInfo") or key in MEETING_READ_ONLY:
                raise bad_request("Invalid request body: the property '%s' cannot be updated." % key)
        fields = _check_properties(body, MEETING_PROPERTIES, "onlineMeeting")
        unknown = set(fields) - MEETING_UPDATABLE
        if unknown:
            raise bad_request("Invalid request body: the property '%s' cannot be updated." % sorted(unknown)[0])
        if ("startDateTime" in fields) != ("endDateTime" in fields):
            raise bad_request("Invalid request body: startDateTime and endDateTime must be updated together.")
        if "startDateTime" in fields:
            _times(fields)
        participants = fields.pop("participants", None)
        attendees = None
        if participants is not None:
            attendees = _check_participants(participants, meeting.entity["participants"]["organizer"])
        after = copy.deepcopy(meeting.entity)
        if attendees is not None:
            after["participants"]["attendees"] = attendees
        after.update(fields)
        if json.dumps(after, sort_keys=True) != json.dumps(meeting.entity, sort_keys=True):
            self.emu.store.write()  # "writes" counts changes, not requests (and the fence refuses them first)
            if attendees is not None:
                meeting.entity["participants"]["attendees"] = attendees
            meeting.entity.update(fields)
        return Response(200, self._meeting_body(call, meeting))

    def delete_meeting(self, call, meeting_id):
        self.emu.store.delete_meeting(self._meeting(call, meeting_id))
        return Response(204)

    # -- virtualAppointment ---------------------------------------------------------------------------------
    def get_appointment(self, call, meeting_id):
        meeting = self._meeting(call, meeting_id)
        if meeting.appointment is None:
            raise not_found("The virtualAppointment of onlineMeeting '%s' was not found." % meeting_id)
        body = self._appointment_body(call, meeting)
        if self.emu.modes["get_wrapped_in_value"]:
            body = {"value": body}
        return Response(200, body, {"ETag": meeting.etag})

    def put_appointment(self, call, meeting_id):
        meeting = self._meeting(call, meeting_id)
        fields = validate_appointment(call.json())
        if meeting.appointment is None:
            waiting = self.emu.provisioning.check(call.principal.tenant.id, self.emu.modes["provisioning"])
            if waiting is not None:
                status, retry_after = waiting
                code = "ServiceUnavailable" if status == 503 else "Conflict"
                raise GraphError(status, code, "The virtual appointment service is being provisioned for this tenant. "
                                 "Retry after %d seconds." % retry_after, headers={"Retry-After": str(retry_after)})
        appointment = {"appointmentClients": [], "appointmentClientJoinWebUrl": None, "externalAppointmentId": None,
                       "externalAppointmentUrl": None,
                       "settings": {"@odata.type": "microsoft.graph.virtualAppointmentSettings",
                                    "allowClientToJoinUsingBrowser": False}}
        appointment.update(fields)
        created = self.emu.store.put_appointment(meeting, appointment)
        return Response(201 if created else 200, self._appointment_body(call, meeting), {"ETag": meeting.etag})

    def _precondition(self, call, meeting):
        if_match = call.headers.get("if-match")
        if if_match and if_match.strip() != "*" and if_match.strip() != meeting.etag:
            raise GraphError(412, "PreconditionFailed", "The If-Match value '%s' does not match the current ETag of "
                             "the virtualAppointment." % if_match.strip())

    def patch_appointment(self, call, meeting_id):
        meeting = self._meeting(call, meeting_id)
        fields = validate_appointment(call.json())
        if meeting.appointment is None:
            raise not_found("The virtualAppointment of onlineMeeting '%s' was not found." % meeting_id)
        self._precondition(call, meeting)
        self.emu.store.patch_appointment(meeting, fields)
        if self.emu.modes["patch_returns_200"]:
            return Response(200, self._appointment_body(call, meeting), {"ETag": meeting.etag})
        return Response(204, None, {"ETag": meeting.etag})

    def delete_appointment(self, call, meeting_id):
        meeting = self._meeting(call, meeting_id)
        if meeting.appointment is None:
            raise not_found("The virtualAppointment of onlineMeeting '%s' was not found." % meeting_id)
        self._precondition(call, meeting)
        self.emu.store.delete_appointment(meeting)
        return Response(204)

    def join_web_url(self, call, meeting_id):
        meeting = self._meeting(call, meeting_id)
        url = (meeting.appointment or {}).get("appointmentClientJoinWebUrl") or meeting.client_join_url()
        return Response(200, {"@odata.context": "%s/%s/$metadata#Edm.String" % (self.emu.public_url, call.version),
                              "value": url})

    def _sms(self, call, meeting_id, reminder):
        meeting = self._meeting(call, meeting_id)
        body = call.json()
        attendees, kind = validate_sms(body, reminder, self.emu.modes["sms_legacy_bodies"])
        action = "sendVirtualAppointmentReminderSms" if reminder else "sendVirtualAppointmentSms"
        profiles.check_sms(self.emu, call.user, attendees, action)
        self.emu.store.write()
        # "body" is the request body exactly as received, so tests can assert on its shape (key names included).
        self.emu.store.sms.append({
            "tenant_id": call.principal.tenant.id, "user_id": call.user.id, "meeting_id": meeting.id,
            "action": action,
            "type": kind, "attendees": attendees, "time": format_datetime(self.emu.now()),
            "body": copy.deepcopy(body), "request_id": call.request_id, "client_request_id": call.client_request_id,
        })
        return Response(202)

    def send_sms(self, call, meeting_id):
        return self._sms(call, meeting_id, reminder=False)

    def send_reminder_sms(self, call, meeting_id):
        return self._sms(call, meeting_id, reminder=True)

    # -- $batch -----------------------------------------------------------------------------------------------
    def batch(self, call):
        body = call.json()
        requests = body.get("requests")
        if set(body) - {"requests"} or not isinstance(requests, list) or not requests:
            raise bad_request("Invalid batch payload: a JSON object with a non-empty 'requests' array is required.")
        if len(requests) > 20:
            raise bad_request("Invalid batch payload: the number of batch requests (%d) exceeds the limit of 20."
                              % len(requests))
        items, seen = [], set()
        for index, item in enumerate(requests):
            items.append(self._batch_item(item, index, seen))
        order = self._batch_order(items)
        statuses, by_index = {}, {}
        for item in order:  # dependencies first
            failed = [d for d in item["dependsOn"] if statuses.get(d.lower(), 200) >= 400]
            if failed:
                err = GraphError(424, "FailedDependency", "The request depends on '%s', which failed." % failed[0])
                response = self._batch_refuse(self._batch_call(call, item), err)
            else:
                response = self._batch_dispatch(call, item)
            statuses[item["id"].lower()] = response.status
            entry = {"id": item["id"], "status": response.status, "headers": dict(response.headers)}
            if response.body is not None:
                entry["body"] = response.body
                entry["headers"]["Content-Type"] = JSON_TYPE
            by_index[item["index"]] = entry
        responses = [by_index[index] for index in sorted(by_index)]
        mode = self.emu.modes["batch_order"]
        if mode == "reverse":
            responses.reverse()
        elif mode == "shuffle":
            self.emu.rng.shuffle(responses)
        status = 200
        if self.emu.modes["batch_throttle_outer_424"] and any(r["status"] == 429 for r in responses):
            status = 424
        return Response(status, {"responses": responses})

    @staticmethod
    def _batch_item(item, index, seen):
        where = "requests[%d]" % index
        if not isinstance(item, dict):
            raise bad_request("Invalid batch payload: %s must be an object." % where)
        # Keys Graph does not know (msgraph-core always sends "depends_on") are ignored, not refused: graph-today.md 5.
        item_id = item.get("id")
        if not isinstance(item_id, str) or not item_id:
            raise bad_request("Invalid batch payload: %s.id is required and must be a string." % where)
        if item_id.lower() in seen:
            raise bad_request("Invalid batch payload: the batch request contains duplicate ids ('%s')." % item_id)
        seen.add(item_id.lower())
        method, url = item.get("method"), item.get("url")
        if not isinstance(method, str) or method.upper() not in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            raise bad_request("Invalid batch payload: %s.method must be GET, POST, PUT, PATCH or DELETE." % where)
        if not isinstance(url, str) or not url:
            raise bad_request("Invalid batch payload: %s.url is required." % where)
        headers = item.get("headers") or {}
        if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
            raise bad_request("Invalid batch payload: %s.headers must be an object of strings." % where)
        headers = {k.lower(): v for k, v in headers.items()}
        if "body" in item and item["body"] is not None and "content-type" not in headers:
            raise bad_request("Invalid batch payload: %s has a body but no Content-Type header." % where)
        depends = item.get("dependsOn") or []
        if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
            raise bad_request("Invalid batch payload: %s.dependsOn must be a list of request ids." % where)
        return {"id": item_id, "method": method.upper(), "url": url, "headers": headers, "body": item.get("body"),
                "dependsOn": depends, "index": index}

    @staticmethod
    def _batch_order(items):
        """The run order: the request order, once every dependsOn names an EARLIER request (ids are
        case-insensitive); a dependency on an unknown, a later or the same request refuses the whole batch as
        Graph does ("Invalid dependency for request Id ...", graph-today.md 5)."""
        earlier = set()
        for item in items:
            for dep in item["dependsOn"]:
                if dep.lower() not in earlier:
                    raise bad_request("Invalid dependency for request Id '%s': '%s' is not the id of an earlier "
                                      "request in the batch." % (item["id"], dep))
            earlier.add(item["id"].lower())
        return list(items)

    def _batch_call(self, outer, item):
        """The Call for one batch item, with its own log seq and the outer request's credentials."""
        path, query = item["url"].partition("?")[::2]
        client_request_id = item["headers"].get("client-request-id") or outer.client_request_id
        headers = dict(item["headers"])
        headers["authorization"] = outer.headers.get("authorization", "")
        sub = Call(item["method"], path if path.startswith("/") else "/" + path, dict(parse_qsl(query)), headers,
                   None, outer.version, client_request_id, batch=outer.seq)
        sub.seq = self.emu.next_seq()
        sub.principal = outer.principal
        sub.start_ms = outer.service_ms
        return sub

    def _batch_refuse(self, sub, err):
        """Answer (and log) an item that is refused without being dispatched: a bad url or body, or a 424."""
        try:
            sub.route = resolve(sub.segments)[0]
        except GraphError:
            sub.route = "(invalid)"
        response = Response(err.status, err.body(sub.request_id, sub.client_request_id), err.headers)
        response.headers["request-id"] = sub.request_id
        response.headers["client-request-id"] = sub.client_request_id
        self.emu.record(sub, err.status)
        return response

    def _batch_dispatch(self, outer, item):
        sub = self._batch_call(outer, item)
        body, bad_body = item["body"], False
        if isinstance(body, str):
            try:
                body = json.loads(base64.b64decode(body, validate=True))
            except (ValueError, binascii.Error):
                bad_body = True
        if body is not None and not isinstance(body, dict):
            bad_body = True
        if re.match(r"^(https?:|/?(beta|v1\.0)/)", item["url"], re.IGNORECASE):
            # An absolute or versioned url fails this item only, as Graph parses it: its first segment ('https:',
            # 'beta', 'v1.0') is not a resource (graph-today.md 5; msgraph-sdk-python#1015).
            segment = next(part for part in item["url"].split("/") if part)
            return self._batch_refuse(sub, bad_request("Resource not found for the segment '%s'." % segment))
        if bad_body:
            return self._batch_refuse(sub, bad_request(
                "Invalid batch request body: bodies are JSON objects or base64 of a JSON object."))
        sub.body = body
        if sub.method in WRITE_METHODS and sub.body is None and sub.method != "DELETE":
            sub.raw_body = b""
        try:
            response = self.dispatch(sub, principal=outer.principal)
        except Drop as drop:
            # A dropped item drops the connection that carries the whole batch, after the other items ran.
            outer.drop = "after" if outer.drop == "after" or drop.when == "after" else (outer.drop or "before")
            outer.service_ms += sub.service_ms
            err = GraphError(504, "GatewayTimeout", "connection dropped")
            return Response(504, err.body(sub.request_id, sub.client_request_id))
        outer.delay_ms += sub.delay_ms
        outer.service_ms += sub.service_ms
        return response
