"""Online meetings and their virtual appointments, as Graph stores them."""

import base64
import datetime
import hashlib
import re
import secrets
import uuid
from urllib.parse import quote

from .fence import Fence

_FRACTION = re.compile(r"(\.\d{1,6})\d*")
# onlineMeeting properties the service generates: a create may adjust them but keeps this key of each.
GENERATED_KEYS = {"joinMeetingIdSettings": "joinMeetingId", "chatInfo": "threadId"}


def parse_datetime(text):
    """Parse an ISO 8601 date-time (any fraction length, Z or offset; naive means UTC) to aware UTC."""
    if not isinstance(text, str) or not text:
        raise ValueError("not a date-time string")
    value = datetime.datetime.fromisoformat(_FRACTION.sub(r"\1", text.strip(), count=1).replace("z", "Z"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def format_datetime(value):
    """Graph's UTC form: 2019-07-12T21:30:34.2444915Z (7 fraction digits when there is a fraction)."""
    value = value.astimezone(datetime.timezone.utc)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += ".%07d" % (value.microsecond * 10)
    return text + "Z"


def new_etag():
    return 'W/"%s"' % base64.b64encode(secrets.token_bytes(18)).decode("ascii")


class Meeting:
    """One onlineMeeting plus its optional virtualAppointment (a single-valued containment child)."""

    def __init__(self, tenant_id, user_id, entity, thread):
        self.tenant_id = tenant_id
        self.user_id = user_id
        self.entity = entity
        self.thread = thread
        self.appointment = None
        self.etag = None

    @property
    def id(self):
        return self.entity["id"]

    def client_join_url(self):
        return ("https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=%s&convId=%s"
                % (self.tenant_id, quote(self.thread, safe=":@")))

    def dump(self):
        out = dict(self.entity)
        out["organizerUserId"] = self.user_id
        out["virtualAppointment"] = dict(self.appointment) if self.appointment is not None else None
        out["virtualAppointmentETag"] = self.etag
        return out


class Store:
    def __init__(self, fence=None):
        self.fence = fence if fence is not None else Fence()  # outlives reset(): see fence.py
        self.reset()

    def reset(self):
        self.meetings = {}        # meeting id -> Meeting
        self.by_external_id = {}  # (tenant id, user id, externalId) -> meeting id
        self.sms = []             # every accepted SMS request, for assertions
        self.mutations = 0        # every change of state (writes that did something)

    def write(self):
        """Count one change of state, called before the change is made; the armed fence refuses it here (423)."""
        self.fence.check()
        self.mutations += 1

    def new_meeting(self, tenant_id, user, fields, external_id=None):
        self.write()
        thread = "19:meeting_%s@thread.v2" % base64.urlsafe_b64encode(secrets.token_bytes(33)).decode("ascii")
        meeting_id = base64.urlsafe_b64encode(("1*%s*0**%s" % (user.id, thread)).encode()).decode().rstrip("=")
        now = datetime.datetime.now(datetime.timezone.utc)
        join_id = str(int(hashlib.sha256(meeting_id.encode()).hexdigest(), 16))[:12]
        entity = {
            "id": meeting_id,
            "creationDateTime": format_datetime(now),
            "startDateTime": None,
            "endDateTime": None,
            "joinUrl": None,
            "joinWebUrl": "https://teams.microsoft.com/l/meetup-join/%s/0?context=%s" % (
                quote(thread, safe=""),
                quote('{"Tid":"%s","Oid":"%s"}' % (tenant_id, user.id), safe="")),
            "meetingCode": join_id,
            "subject": None,
            "isBroadcast": False,
            "autoAdmittedUsers": "everyoneInCompany",
            "outerMeetingAutoAdmittedUsers": None,
            "isEntryExitAnnounced": True,
            "allowedPresenters": "everyone",
            "allowMeetingChat": "enabled",
            "allowTeamworkReactions": True,
            "allowAttendeeToEnableMic": True,
            "allowAttendeeToEnableCamera": True,
            "recordAutomatically": False,
            "externalId": external_id,
            "videoTeleconferenceId": None,
            "lobbyBypassSettings": {"scope": "organization", "isDialInBypassEnabled": False},
            "joinMeetingIdSettings": {"isPasscodeRequired": True, "joinMeetingId": join_id,
                                      "passcode": secrets.token_hex(3)},
            "chatInfo": {"threadId": thread, "messageId": "0", "replyChainMessageId": None},
            "participants": {
                "organizer": {"upn": user.upn, "role": "presenter",
                              "identity": {"user": {"id": user.id, "displayName": None,
                                                    "tenantId": tenant_id, "identityProvider": "AAD"}}},
                "attendees": [],
            },
        }
        for key, value in fields.items():
            if key in GENERATED_KEYS:
                # Server-generated structures: a create may tune them (isPasscodeRequired, ...), never replace
                # their generated keys (joinMeetingId, threadId) or null them.
                if isinstance(value, dict):
                    generated = entity[key][GENERATED_KEYS[key]]
                    entity[key] = dict(entity[key], **value)
                    entity[key][GENERATED_KEYS[key]] = generated
            else:
                entity[key] = value
        meeting = Meeting(tenant_id, user.id, entity, thread)
        self.meetings[meeting_id] = meeting
        if external_id is not None:
            self.by_external_id[(tenant_id, user.id, external_id)] = meeting_id
        return meeting

    def find(self, tenant_id, user_id, meeting_id):
        meeting = self.meetings.get(meeting_id)
        if meeting is None or meeting.tenant_id != tenant_id or meeting.user_id != user_id:
            return None
        return meeting

    def find_external(self, tenant_id, user_id, external_id):
        meeting_id = self.by_external_id.get((tenant_id, user_id, external_id))
        return self.meetings.get(meeting_id) if meeting_id else None

    def delete_meeting(self, meeting):
        self.write()
        del self.meetings[meeting.id]
        external_id = meeting.entity.get("externalId")
        if external_id is not None:
            self.by_external_id.pop((meeting.tenant_id, meeting.user_id, external_id), None)

    def put_appointment(self, meeting, appointment):
        self.write()
        created = meeting.appointment is None
        appointment["id"] = meeting.appointment["id"] if not created else str(uuid.uuid4())
        if not appointment.get("appointmentClientJoinWebUrl"):
            appointment["appointmentClientJoinWebUrl"] = meeting.client_join_url()
        meeting.appointment = appointment
        meeting.etag = new_etag()
        return created

    def patch_appointment(self, meeting, changes):
        self.write()
        for key, value in changes.items():
            if key == "settings" and isinstance(value, dict) and isinstance(meeting.appointment.get("settings"), dict):
                meeting.appointment["settings"].update(value)
            else:
                meeting.appointment[key] = value
        meeting.etag = new_etag()

    def delete_appointment(self, meeting):
        self.write()
        meeting.appointment = None
        meeting.etag = None

    def save(self):
        return {"meetings": [{"tenant_id": m.tenant_id, "user_id": m.user_id, "thread": m.thread, "entity": m.entity,
                              "appointment": m.appointment, "etag": m.etag} for m in self.meetings.values()],
                "sms": self.sms, "mutations": self.mutations}

    def load(self, saved):
        self.reset()
        for item in saved.get("meetings", []):
            meeting = Meeting(item["tenant_id"], item["user_id"], item["entity"], item["thread"])
            meeting.appointment, meeting.etag = item.get("appointment"), item.get("etag")
            self.meetings[meeting.id] = meeting
            if meeting.entity.get("externalId") is not None:
                self.by_external_id[(meeting.tenant_id, meeting.user_id, meeting.entity["externalId"])] = meeting.id
        self.sms = list(saved.get("sms", []))
        self.mutations = saved.get("mutations", 0)

    def dump(self, directory):
        tenants = []
        for tenant in directory.tenants.values():
            meetings = [m.dump() for m in self.meetings.values() if m.tenant_id == tenant.id]
            tenants.append({"id": tenant.id, "domain": tenant.domain, "meetings": meetings})
        return {"tenants": tenants, "sms": list(self.sms), "mutations": self.mutations}
