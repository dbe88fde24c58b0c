"""Microsoft Bookings v1.0 (and beta): ``/solutions/bookingBusinesses`` and its contained collections.

The shared reference is ``bookings-api.md`` (section numbers below).  Both profiles serve Bookings the same: it is
live v1.0.  graph.py routes here through its usual pipeline (faults, authentication, request log): ``resolve``
maps the path, ``METHODS`` names the permission of each operation, ``authorize`` checks it, ``Bookings.handle``
answers with ``(status, body, headers)``.

Built: businesses (list, get, create, update, delete, publish, unpublish), services, staffMembers, customers,
customQuestions and appointments (list, get, create, update, delete), appointment ``cancel`` and ``calendarView``; the limit of four
concurrent requests per (app, mailbox) (section 10).  A request is "in flight" while its response is held back -
by the mode ``bookings_service_ms`` (every Bookings request, each ``$batch`` item included, is served that long;
the items of one ``$batch`` run one after another, so a ``$batch`` holds one slot at a time) and by an injected
``delay_ms`` fault: the fifth in flight for the same app and mailbox is 429 with Retry-After, also as a ``$batch``
item.  The handlers answer at once; the time is virtual (each call's interval is kept, a ``$batch`` item's starting
when the items before it end) and the server holds the answer that long without blocking the event loop.
"""

import base64
import copy
import datetime
import math
import re
import secrets
import time
import uuid
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import GraphError, bad_request, check_granted, not_found, throttled

PREFIX = "/solutions/bookingBusinesses"
BUSINESS_LIST_LIMIT = 500        # section 5: "limited to 500 mailboxes", no paging
APPOINTMENT_PAGE_SIZE = 100      # section 5 [rep]: nextLink when no $top; the page size is undocumented [inf]
STAFF_LIMIT = 100                # section 2: max 100 staff members per calendar
CONCURRENT_LIMIT = 4             # section 10: four concurrent requests per app per booking mailbox
CUSTOMER_INFO_TYPE = "#microsoft.graph.bookingCustomerInformation"
CUSTOMER_TYPE = "#microsoft.graph.bookingCustomer"

# Collections contained in a business: path segment -> (singular leaf, entity type name).
COLLECTIONS = {
    "services": ("service", "bookingService"),
    "staffmembers": ("staffMember", "bookingStaffMember"),
    "customers": ("customer", "bookingCustomer"),
    "appointments": ("appointment", "bookingAppointment"),
    "customquestions": ("customQuestion", "bookingCustomQuestion"),
}
SEGMENT_NAMES = {"services": "services", "staffmembers": "staffMembers", "customers": "customers",
                 "appointments": "appointments", "customquestions": "customQuestions"}

# Permissions, section 3 (least privileged first in the reference; higher ones also pass [inf]).  Per key:
# (delegated scopes, application roles); application None = "Not supported".
READ, READ_WRITE, MANAGE, APPOINTMENTS = ("Bookings.Read.All", "Bookings.ReadWrite.All", "Bookings.Manage.All",
                                          "BookingsAppointment.ReadWrite.All")
_ANY_READ = frozenset({READ, READ_WRITE, MANAGE, APPOINTMENTS})
_WRITE = frozenset({READ_WRITE, MANAGE})
_APPOINTMENT_WRITE = frozenset({APPOINTMENTS, READ_WRITE, MANAGE})
PERMISSIONS = {
    # List businesses: application [conflict] "Not supported" (Q&A 1233547) vs PERMS Bookings.Read.All: accepted.
    "bookings.business.list": (_ANY_READ, _ANY_READ),
    "bookings.business.create": (frozenset({MANAGE}), None),
    "bookings.business.delete": (frozenset({MANAGE}), None),
    "bookings.business.read": (_ANY_READ, _ANY_READ),
    "bookings.business.write": (_WRITE, _WRITE),
    "bookings.business.publish": (frozenset({MANAGE}), frozenset({MANAGE})),
    "bookings.service.read": (_ANY_READ, _ANY_READ),
    "bookings.service.write": (_WRITE, _WRITE),
    "bookings.staffMember.read": (_ANY_READ, _ANY_READ),
    "bookings.staffMember.write": (_WRITE, _WRITE),
    "bookings.customer.read": (_ANY_READ, _ANY_READ),
    "bookings.customQuestion.read": (_ANY_READ, _ANY_READ),
    "bookings.customQuestion.write": (_APPOINTMENT_WRITE, _WRITE),
    "bookings.customer.write": (_APPOINTMENT_WRITE, frozenset({APPOINTMENTS, MANAGE})),
    # Q&A 2283013: an app with only Bookings.ReadWrite.All is refused on /appointments.
    "bookings.appointment.read": (_ANY_READ, frozenset({APPOINTMENTS, MANAGE})),
    "bookings.appointment.write": (_APPOINTMENT_WRITE, frozenset({APPOINTMENTS, MANAGE})),
    "bookings.appointment.cancel": (_APPOINTMENT_WRITE, frozenset({READ_WRITE, APPOINTMENTS, MANAGE})),
    # getStaffAvailability: delegated "Not supported"; application Bookings.Read.All (also Calendars.Read).
    "bookings.staffAvailability": (None, _ANY_READ | {"Calendars.Read"}),
    # calendarView app-only: [conflict] "does not support the token type: App" (#8874) vs PERMS: accepted.
    "bookings.calendarView": (_ANY_READ, _ANY_READ),
}


def _methods():
    handler = "booking_call"
    out = {
        "bookings.businesses": {"GET": ("bookings.business.list", "Get", handler),
                                "POST": ("bookings.business.create", "Create", handler)},
        "bookings.business": {"GET": ("bookings.business.read", "Get", handler),
                              "PATCH": ("bookings.business.write", "Update", handler),
                              "DELETE": ("bookings.business.delete", "Delete", handler)},
        "bookings.publish": {"POST": ("bookings.business.publish", "Publish", handler)},
        "bookings.unpublish": {"POST": ("bookings.business.publish", "Unpublish", handler)},
        "bookings.cancel": {"POST": ("bookings.appointment.cancel", "Cancel", handler)},
        "bookings.calendarView": {"GET": ("bookings.calendarView", "Get", handler)},
        "bookings.getStaffAvailability": {"POST": ("bookings.staffAvailability", "Get", handler)},
    }
    for collection, (single, _type_name) in COLLECTIONS.items():
        out["bookings." + SEGMENT_NAMES[collection]] = {
            "GET": ("bookings.%s.read" % single, "Get", handler),
            "POST": ("bookings.%s.write" % single, "Create", handler)}
        out["bookings." + single] = {
            "GET": ("bookings.%s.read" % single, "Get", handler),
            "PATCH": ("bookings.%s.write" % single, "Update", handler),
            "DELETE": ("bookings.%s.write" % single, "Delete", handler)}
    return out


# leaf -> method -> (permission key, verb, handler name on GraphService); no PUT anywhere (section 3): 405.
METHODS = _methods()


ACTIONS = {"publish": "publish", "unpublish": "unpublish", "calendarview": "calendarView",
           "getstaffavailability": "getStaffAvailability"}


def resolve(segments):
    """Map ``solutions/bookingBusinesses/...`` segments to graph.resolve's tuple: (template, "bookings",
    business id, (leaf, business id, child id), leaf).  Unknown segments are 404 like the rest of Graph."""
    def missing(segment):
        return not_found("Resource not found for the segment '%s'." % segment, code="NotFound")

    if len(segments) < 2 or segments[1].lower() != "bookingbusinesses":
        raise missing(segments[1] if len(segments) > 1 else segments[0])
    rest = segments[2:]
    if not rest:
        return PREFIX, "bookings", None, ("bookings.businesses", None, None), "bookings.businesses"
    business_id = rest[0]
    template = PREFIX + "/{id}"
    if len(rest) == 1:
        leaf = "bookings.business"
    elif len(rest) == 2 and rest[1].lower() in ACTIONS:
        name = ACTIONS[rest[1].lower()]
        leaf, template = "bookings." + name, template + "/" + name
    elif rest[1].lower() in COLLECTIONS and len(rest) <= 4:
        collection = SEGMENT_NAMES[rest[1].lower()]
        template += "/" + collection
        if len(rest) == 2:
            leaf = "bookings." + collection
        elif len(rest) == 3:
            leaf, template = "bookings." + COLLECTIONS[rest[1].lower()][0], template + "/{id}"
        elif collection == "appointments" and rest[3].lower() == "cancel":
            leaf, template = "bookings.cancel", template + "/{id}/cancel"
        else:
            raise missing(rest[3])
    else:
        raise missing(rest[1] if len(rest) > 1 else rest[0])
    child_id = rest[2] if len(rest) >= 3 else None
    return template, "bookings", business_id, (leaf, business_id, child_id), leaf


def authorize(principal, permission):
    """Section 3's matrix, the same in both profiles; returns the signed-in user (None for app tokens)."""
    # Section 3: getStaffAvailability is "Not supported" with delegated permissions, business create and delete with
    # application permissions (None in PERMISSIONS).
    check_granted(principal, *PERMISSIONS[permission])
    return principal.user


# --------------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------------
# Windows time zone names (getStaffAvailability's samples use them) -> IANA, for the common ones [inf: a partial
# table; an unknown name is a 400].
WINDOWS_ZONES = {
    "utc": "UTC", "pacific standard time": "America/Los_Angeles", "mountain standard time": "America/Denver",
    "central standard time": "America/Chicago", "eastern standard time": "America/New_York",
    "gmt standard time": "Europe/London", "w. europe standard time": "Europe/Berlin",
    "romance standard time": "Europe/Paris", "india standard time": "Asia/Kolkata",
    "china standard time": "Asia/Shanghai", "tokyo standard time": "Asia/Tokyo",
    "aus eastern standard time": "Australia/Sydney",
}
_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def parse_duration(value, name):
    """An ISO-8601 Duration (``PT30M``, ``P1D``, ``P11D23H59M59.999S``-style) to a timedelta; else 400."""
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise bad_request("Invalid request body: cannot convert the value of property '%s' to Edm.Duration." % name)
    days, hours, minutes, seconds = match.groups()
    return datetime.timedelta(days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0),
                              seconds=float(seconds or 0))


def format_duration(delta):
    total = int(delta.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = "P%dD" % days if days else "P"
    clock = "".join("%d%s" % (n, u) for n, u in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n)
    if clock:
        text += "T" + clock
    return text if text != "P" else "PT0S"


def utc_text(value):
    """Graph's dateTimeTimeZone text in UTC: 2018-05-01T12:00:00.0000000Z."""
    value = value.astimezone(datetime.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % (value.microsecond * 10)


def parse_instant(value, name):
    """A dateTimeTimeZone to aware UTC: an offset in dateTime wins, else timeZone (UTC or IANA) applies."""
    if not isinstance(value, dict) or not isinstance(value.get("dateTime"), str):
        raise bad_request("Invalid request body: '%s' must be a microsoft.graph.dateTimeTimeZone with a dateTime."
                          % name)
    text = re.sub(r"(\.\d{1,6})\d*", r"\1", value["dateTime"].strip(), count=1)
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError as exc:
        raise bad_request("Invalid request body: '%s.dateTime' is not a date-time (%s)." % (name, exc)) from exc
    if parsed.tzinfo is None:
        zone = value.get("timeZone") or "UTC"
        if zone.upper() in ("UTC", "Z", "GMT"):
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        else:
            try:
                parsed = parsed.replace(tzinfo=ZoneInfo(WINDOWS_ZONES.get(zone.lower(), zone)))
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise bad_request("Invalid request body: '%s.timeZone' '%s' is not a supported time zone."
                                  % (name, zone[:80])) from exc
    return parsed.astimezone(datetime.timezone.utc)


def parse_query_instant(text, name):
    """calendarView's start/end: DateTimeOffset text (section 5); no offset means UTC [inf]."""
    try:
        return parse_instant({"dateTime": text, "timeZone": "UTC"}, name)
    except GraphError as exc:
        raise bad_request("The parameter '%s' is not a valid DateTimeOffset: '%s'." % (name, text)) from exc


def date_time_zone(instant):
    return {"@odata.type": "#microsoft.graph.dateTimeTimeZone", "dateTime": utc_text(instant), "timeZone": "UTC"}


def _mailbox_name(display_name):
    """Section 2/4: the business id is its new mailbox's SMTP address; the create sample turns "Fourth Coffee" into
    ``fourthcoffee@<tenant domain>``: the letters and digits of displayName, lower case [inf]."""
    name = re.sub(r"[^A-Za-z0-9]", "", display_name).lower()
    return name or "bookings"


def _business_defaults():
    """Section 2: what a business create fills in."""
    hours = [{"@odata.type": "#microsoft.graph.bookingWorkHours", "day": day,
              "timeSlots": [{"startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000"}]}
             for day in ("monday", "tuesday", "wednesday", "thursday", "friday")]
    hours += [{"@odata.type": "#microsoft.graph.bookingWorkHours", "day": day, "timeSlots": []}
              for day in ("saturday", "sunday")]
    return {
        "businessType": None, "defaultCurrencyIso": "USD", "email": None, "phone": None, "webSiteUrl": None,
        "address": None, "languageTag": "en-US", "isPublished": False, "publicUrl": None,
        "businessHours": hours,
        "schedulingPolicy": {"timeSlotInterval": "PT30M", "minimumLeadTime": "P1D", "maximumAdvance": "P365D",
                             "sendConfirmationsToOwner": True, "allowStaffSelection": True,
                             "isMeetingInviteToCustomersEnabled": False},
        "bookingPageSettings": None,
    }


BUSINESS_SETTABLE = {"displayName", "address", "bookingPageSettings", "businessHours", "businessType",
                     "defaultCurrencyIso", "email", "languageTag", "phone", "schedulingPolicy", "webSiteUrl"}
SERVICE_DEFAULTS = {
    "displayName": None, "defaultDuration": "PT30M", "preBuffer": "PT0S", "postBuffer": "PT0S", "defaultPrice": 0.0,
    "defaultPriceType": "notSet", "defaultLocation": None, "defaultReminders": [], "description": None,
    "notes": None, "additionalInformation": None, "isHiddenFromCustomers": False, "isLocationOnline": False,
    "isAnonymousJoinEnabled": False, "isCustomerAllowedToManageBooking": False, "smsNotificationsEnabled": False,
    "maximumAttendeesCount": 1, "staffMemberIds": [], "customQuestions": [], "languageTag": "en-US",
    "schedulingPolicy": None, "webUrl": None,
}
STAFF_DEFAULTS = {
    "displayName": None, "emailAddress": None, "role": None, "availabilityIsAffectedByPersonalCalendar": False,
    "isEmailNotificationEnabled": True, "timeZone": None, "useBusinessHours": True, "workingHours": [],
    "membershipStatus": "active",
}
CUSTOMER_DEFAULTS = {"displayName": None, "emailAddress": None, "addresses": [], "phones": []}
QUESTION_DEFAULTS = {"displayName": None, "answerInputType": "text", "answerOptions": []}
ANSWER_INPUT_TYPES = {"text", "radioButton", "unknownFutureValue"}
APPOINTMENT_DEFAULTS = {
    "serviceId": None, "serviceName": None, "startDateTime": None, "endDateTime": None, "customers": [],
    "staffMemberIds": [], "isLocationOnline": False, "customerTimeZone": None, "smsNotificationsEnabled": False,
    "optOutOfCustomerEmail": False, "preBuffer": "PT0S", "postBuffer": "PT0S", "price": 0.0, "priceType": "notSet",
    "reminders": [], "serviceNotes": None, "customerNotes": None, "maximumAttendeesCount": 1,
    "additionalInformation": None, "appointmentLabel": None, "isCustomerAllowedToManageBooking": False,
    "serviceLocation": None, "customerEmailAddress": None, "customerName": None, "customerPhone": None,
    "joinWebUrl": None, "anonymousJoinWebUrl": None,
}
READ_ONLY = {"id", "createdDateTime", "lastUpdatedDateTime", "isPublished", "publicUrl", "webUrl",
             "membershipStatus", "duration", "filledAttendeesCount", "joinWebUrl", "anonymousJoinWebUrl",
             "selfServiceAppointmentId"}
DURATIONS = {"defaultDuration", "preBuffer", "postBuffer"}
HIDDEN_ROLES = {"scheduler", "teamMember"}  # section 2: "only with Prefer: include-unknown-enum-members"
STAFF_ROLES = {"guest", "administrator", "viewer", "externalGuest", "unknownFutureValue", "scheduler",
               "teamMember"}
# Section 5: list and calendarView omit these; only GET by id fills them.
BY_ID_ONLY = ("customers", "reminders", "serviceNotes", "customerNotes")


def _settable(body, defaults, extra=()):
    """The body's known, writable properties; unknown ones are ignored (section 8: "ignore unknown fields")."""
    allowed = (set(defaults) | set(extra)) - READ_ONLY
    out = {}
    for key, value in body.items():
        if key.startswith("@") or "@odata." in key or key not in allowed:
            continue
        if key in DURATIONS and value is not None:
            parse_duration(value, key)
        out[key] = copy.deepcopy(value)
    return out


# --------------------------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------------------------
class Bookings:
    """Bookings state per tenant: business id (lower case) -> {"entity", "services", "staffMembers", "customers",
    "appointments"}.  Cleared with the store (control API reset, state load)."""

    def __init__(self, emulator):
        self.emu = emulator
        self._epoch = None
        self._tenants = {}
        self._in_flight = {}  # (tenant, app, mailbox) -> [(monotonic start, end)] of the calls served or held

    def _state(self, tenant_id):
        # The store's reset() (control API reset, load_state) builds a new meetings dict: Bookings follows it.
        if self._epoch is not self.emu.store.meetings:
            self._epoch = self.emu.store.meetings
            self._tenants = {}
            self._in_flight = {}
        tenant = self.emu.directory.find_tenant(tenant_id)
        seeded = self._tenants.get(tenant_id, {}).get("@seed")
        if tenant_id not in self._tenants or (tenant is not None and tenant.bookings and seeded is not tenant):
            self._tenants[tenant_id] = self._seeded(tenant)
        return self._tenants[tenant_id]["businesses"]

    def _seeded(self, tenant):
        """The Bookings state a tenant starts with: the businesses of its seed (directory.Tenant.bookings)."""
        businesses = {}
        for spec in (tenant.bookings if tenant is not None else []):
            domain = tenant.domain
            business_id = spec.get("id") or "%s@%s" % (_mailbox_name(spec["displayName"]), domain)
            entity = {"id": business_id, "displayName": spec["displayName"]}
            entity.update(_business_defaults())
            entity.update({k: copy.deepcopy(v) for k, v in spec.items() if k in BUSINESS_SETTABLE})
            entity["createdDateTime"] = entity["lastUpdatedDateTime"] = self._now()
            record = {"entity": entity, "services": {}, "staffMembers": {}, "customers": {}, "appointments": {},
                      "customQuestions": {}}
            for collection, defaults in (("staffMembers", STAFF_DEFAULTS), ("customQuestions", QUESTION_DEFAULTS),
                                         ("customers", CUSTOMER_DEFAULTS), ("services", SERVICE_DEFAULTS)):
                for child in spec.get(collection) or []:
                    item = dict(copy.deepcopy(defaults), **_settable(child, defaults))
                    item["id"] = child.get("id") or str(uuid.uuid5(uuid.NAMESPACE_URL, "%s/%s/%s" % (
                        business_id, collection, child.get("displayName") or child.get("emailAddress"))))
                    if collection == "services":  # staff named by e-mail in the seed
                        emails = [e.lower() for e in child.get("staffMemberEmails") or []]
                        item["staffMemberIds"] = [s["id"] for s in record["staffMembers"].values()
                                                  if (s.get("emailAddress") or "").lower() in emails]
                    item["createdDateTime"] = item["lastUpdatedDateTime"] = entity["createdDateTime"]
                    record[collection][item["id"]] = item
            businesses[business_id.lower()] = record
        return {"@seed": tenant, "businesses": businesses}

    def save(self):
        """The Bookings state as JSON-ready data, for state.json (core.save_state)."""
        if self._epoch is not self.emu.store.meetings:
            return {"tenants": {}}
        return {"tenants": {tenant_id: copy.deepcopy(state["businesses"]) for tenant_id, state in self._tenants.items()}}

    def load(self, saved):
        """Restore ``save()``'s data (core.load_state calls it after ``store.load``, which resets the store)."""
        self._epoch = self.emu.store.meetings
        self._tenants = {tenant_id: {"@seed": self.emu.directory.find_tenant(tenant_id),
                                     "businesses": copy.deepcopy(businesses)}
                         for tenant_id, businesses in ((saved or {}).get("tenants", {})).items()}
        self._in_flight = {}

    def _now(self):
        return utc_text(self.emu.now())

    def handle(self, call, ids):
        """Answer one routed call: (status, body, headers)."""
        leaf, business_id, child_id = ids
        businesses = self._state(call.principal.tenant.id)
        if business_id is not None:
            self._admit(call, business_id)
        else:  # the business list names no mailbox: it is served as long, but counts against no limit
            call.service_ms += self.emu.modes.get("bookings_service_ms") or 0
        if leaf == "bookings.businesses":
            return self.list_businesses(call, businesses) if call.method == "GET" else \
                self.create_business(call, businesses)
        record = businesses.get(business_id.lower())
        if record is None:
            # Section 7: a non-mailbox id answers ErrorNonExistentMailbox; the status is not quoted, 404 [inf].
            raise GraphError(404, "ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.")
        if leaf == "bookings.business":
            return getattr(self, call.method.lower() + "_business")(call, businesses, record)
        if leaf in ("bookings.publish", "bookings.unpublish"):
            return self.publish(record, leaf == "bookings.publish")
        if leaf == "bookings.calendarView":
            return self.calendar_view(call, record)
        if leaf == "bookings.getStaffAvailability":
            return self.staff_availability(call, record)
        if leaf == "bookings.cancel":
            return self.cancel(call, record, child_id)
        collection = leaf[len("bookings."):]
        if collection in record:
            return self.list_items(call, record, collection) if call.method == "GET" else \
                self.create_item(call, record, collection)
        collection = next(SEGMENT_NAMES[c] for c, (single, _t) in COLLECTIONS.items() if "bookings." + single == leaf)
        item = record[collection].get(child_id)
        if collection == "customers" and call.method == "GET":
            item = self._customer_by_id(record, child_id, item)
        if item is None:
            raise not_found("The %s '%s' was not found." % (collection[:-1], child_id))
        if call.method == "GET":
            return 200, self._context(call, item, "%s('%s')/%s/$entity" % (PREFIX[1:], record["entity"]["id"],
                                                                           collection)), {}
        if call.method == "DELETE":
            self.emu.store.write()
            del record[collection][child_id]
            return 204, None, {}
        self.update_item(call, record, collection, item)
        return 204, None, {}

    def _customer_by_id(self, record, child_id, item):
        """Section 4 / 12.8: a customer is read by the Base64 encoding of its ID; its GUID ID is refused (mode
        bookings_customer_get_by_guid: read as well)."""
        if item is not None:
            if self.emu.modes.get("bookings_customer_get_by_guid"):
                return item
            raise GraphError(400, "ErrorInvalidIdMalformed", "Id is malformed.")
        padded = child_id + "=" * (-len(child_id) % 4)
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = decode(padded.encode("ascii")).decode("utf-8")
            except (ValueError, UnicodeError):
                continue
            if decoded in record["customers"]:
                return record["customers"][decoded]
        return None

    def _admit(self, call, business_id):
        """Section 10: at most four requests in flight per app ID per booking mailbox, then 429 + Retry-After.

        The call starts ``call.start_ms`` after now (a ``$batch`` item: when the Bookings items before it in its
        ``$batch`` are done) and, once admitted, is in flight for ``bookings_service_ms`` plus any injected
        ``delay_ms``; a refused call takes no time."""
        key = (call.principal.tenant.id, call.principal.app_id, business_id.lower())
        service_ms = self.emu.modes.get("bookings_service_ms") or 0
        now = time.monotonic()
        start = now + call.start_ms / 1000.0
        flights = [(begin, until) for begin, until in self._in_flight.get(key, ()) if until > now]
        # In flight at ``start``: begun, not ended (a microsecond of slack, so that the item after another of the same
        # $batch - starting when it ends - never counts it, whatever the float rounding).
        busy = [until for begin, until in flights if begin <= start + 1e-6 and start < until - 1e-6]
        if len(busy) >= CONCURRENT_LIMIT:
            self._in_flight[key] = flights
            raise throttled(max(1, math.ceil(min(busy) - start)),
                            "Too many concurrent requests for this booking mailbox: at most %d per app."
                            % CONCURRENT_LIMIT)
        hold_ms = service_ms + call.delay_ms
        if hold_ms:
            flights.append((start, start + hold_ms / 1000.0))
        call.service_ms += service_ms
        if flights:
            self._in_flight[key] = flights
        else:
            self._in_flight.pop(key, None)

    # -- helpers ----------------------------------------------------------------------------------------------
    @staticmethod
    def _evolvable(call, entity):
        """Section 2: the staff roles scheduler and teamMember are sent only to requests with ``Prefer:
        include-unknown-enum-members``; others read ``unknownFutureValue``."""
        if entity.get("role") in HIDDEN_ROLES and "include-unknown-enum-members" not in \
                (call.headers or {}).get("prefer", "").lower():
            return dict(entity, role="unknownFutureValue")
        return entity

    def _context(self, call, entity, suffix):
        body = {"@odata.context": "%s/%s/$metadata#%s" % (self.emu.public_url, call.version, suffix)}
        body.update(copy.deepcopy(self._evolvable(call, entity)))
        return body

    def _collection_body(self, call, suffix, values, next_link=None):
        body = {"@odata.context": "%s/%s/$metadata#%s" % (self.emu.public_url, call.version, suffix),
                "value": [self._evolvable(call, value) for value in values]}
        if next_link:
            body["@odata.nextLink"] = next_link
        return body

    # -- businesses -------------------------------------------------------------------------------------------
    def list_businesses(self, call, businesses):
        """Section 3/5: only id and displayName, at most 500, no paging; ``query`` matches a substring [inf: of
        displayName or id, case-insensitive]."""
        query = (call.query.get("query") or "").lower()
        values = [{"id": r["entity"]["id"], "displayName": r["entity"]["displayName"]} for r in businesses.values()
                  if not query or query in r["entity"]["displayName"].lower() or query in r["entity"]["id"].lower()]
        return 200, self._collection_body(call, PREFIX[1:] + "(id,displayName)", values[:BUSINESS_LIST_LIMIT]), {}

    def create_business(self, call, businesses):
        body = call.json()
        display_name = body.get("displayName")
        if not isinstance(display_name, str) or not display_name.strip():
            raise bad_request("Invalid request body: 'displayName' is required.")
        domain = call.principal.tenant.domain
        base = _mailbox_name(display_name)
        business_id, counter = "%s@%s" % (base, domain), 1
        while business_id.lower() in businesses:  # a taken address gets a number [inf]
            counter += 1
            business_id = "%s%d@%s" % (base, counter, domain)
        entity = {"id": business_id, "displayName": display_name}
        entity.update(_business_defaults())
        fields = {k: copy.deepcopy(v) for k, v in body.items() if k in BUSINESS_SETTABLE}
        if isinstance(fields.get("schedulingPolicy"), dict):
            fields["schedulingPolicy"] = dict(entity["schedulingPolicy"], **fields["schedulingPolicy"])
        entity.update(fields)
        entity["createdDateTime"] = entity["lastUpdatedDateTime"] = self._now()
        self.emu.store.write()
        businesses[business_id.lower()] = {"entity": entity, "services": {}, "staffMembers": {}, "customers": {},
                                           "appointments": {}, "customQuestions": {}}
        return 201, self._context(call, entity, PREFIX[1:] + "/$entity"), {}

    def get_business(self, call, _businesses, record):
        return 200, self._context(call, record["entity"], PREFIX[1:] + "/$entity"), {}

    def patch_business(self, call, _businesses, record):
        body = call.json()
        fields = {k: copy.deepcopy(v) for k, v in body.items() if k in BUSINESS_SETTABLE}
        if "displayName" in fields and (not isinstance(fields["displayName"], str) or not fields["displayName"]):
            raise bad_request("Invalid request body: 'displayName' cannot be empty.")
        current = record["entity"].get("schedulingPolicy")
        if isinstance(fields.get("schedulingPolicy"), dict) and isinstance(current, dict):
            # A complex value is merged (OData 4.01 PATCH semantics) [inf].
            fields["schedulingPolicy"] = dict(current, **fields["schedulingPolicy"])
        self.emu.store.write()
        record["entity"].update(fields)
        record["entity"]["lastUpdatedDateTime"] = self._now()
        return 204, None, {}

    def delete_business(self, _call, businesses, record):
        self.emu.store.write()
        del businesses[record["entity"]["id"].lower()]
        return 204, None, {}

    def publish(self, record, published):
        """Section 3: 204; sets isPublished and publicUrl (null after unpublish).  The URL's form is [inf]."""
        entity = record["entity"]
        self.emu.store.write()
        entity["isPublished"] = published
        entity["publicUrl"] = ("https://outlook.office365.com/owa/calendar/%s/bookings/" % quote(entity["id"], safe="@")
                               if published else None)
        entity["lastUpdatedDateTime"] = self._now()
        return 204, None, {}

    # -- contained collections --------------------------------------------------------------------------------
    def list_items(self, call, record, collection):
        suffix = "%s('%s')/%s" % (PREFIX[1:], record["entity"]["id"], collection)
        items = list(record[collection].values())
        if collection != "appointments":
            return 200, self._collection_body(call, suffix, [copy.deepcopy(i) for i in items]), {}
        if call.query.get("$filter"):
            raise bad_request("This filter query is not supported.")  # section 5
        items.sort(key=lambda a: (a["startDateTime"]["dateTime"], a["id"]))
        return 200, self._page(call, suffix, [self._list_view(a) for a in items]), {}

    def _page(self, call, suffix, values):
        """Section 5 [rep]: @odata.nextLink pages when no $top is sent; with $top, that many and no nextLink."""
        top = call.query.get("$top")
        if top is not None:
            if not top.isdigit():
                raise bad_request("Invalid value '%s' for $top query option." % top)
            return self._collection_body(call, suffix, values[:int(top)])
        skip = call.query.get("$skiptoken", "0")
        start = int(skip) if skip.isdigit() else 0
        page = values[start:start + APPOINTMENT_PAGE_SIZE]
        next_link = None
        if start + APPOINTMENT_PAGE_SIZE < len(values):
            query = "&".join("%s=%s" % (quote(k, safe="$"), quote(v, safe=""))
                             for k, v in sorted(call.query.items()) if k != "$skiptoken")
            query = query + "&" if query else ""
            next_link = "%s/%s%s?%s$skiptoken=%d" % (self.emu.public_url, call.version, call.path, query,
                                                     start + APPOINTMENT_PAGE_SIZE)
        return self._collection_body(call, suffix, page, next_link)

    @staticmethod
    def _list_view(appointment):
        return {k: copy.deepcopy(v) for k, v in appointment.items() if k not in BY_ID_ONLY}

    def create_item(self, call, record, collection):
        body = call.json()
        now = self._now()
        if collection == "appointments":
            entity = self._new_appointment(call, record, body)
        elif collection == "services":
            if not isinstance(body.get("displayName"), str) or not body["displayName"].strip():
                raise bad_request("Invalid request body: 'displayName' is required.")
            entity = dict(copy.deepcopy(SERVICE_DEFAULTS), **_settable(body, SERVICE_DEFAULTS))
            self._check_staff_ids(record, entity["staffMemberIds"])
        elif collection == "staffMembers":
            if body.get("role") not in STAFF_ROLES:
                raise bad_request("Invalid request body: 'role' is required and must be one of %s."
                                  % ", ".join(sorted(STAFF_ROLES)))
            if len(record["staffMembers"]) >= STAFF_LIMIT:
                # Section 2: at most 100 staff members per calendar; the answer is undocumented, 400 [inf].
                raise bad_request("A booking calendar cannot have more than %d staff members." % STAFF_LIMIT)
            entity = dict(copy.deepcopy(STAFF_DEFAULTS), **_settable(body, STAFF_DEFAULTS))
        elif collection == "customQuestions":
            if not isinstance(body.get("displayName"), str) or not body["displayName"].strip():
                raise bad_request("Invalid request body: 'displayName' is required.")
            entity = dict(copy.deepcopy(QUESTION_DEFAULTS), **_settable(body, QUESTION_DEFAULTS))
            self._check_question(entity)
        else:
            # customers: the collection is of the abstract bookingCustomerBase, so @odata.type names the concrete
            # type (section 4 sample); without it the create fails [inf: status and message].
            if body.get("@odata.type") not in (CUSTOMER_TYPE, CUSTOMER_TYPE[1:]):
                raise bad_request("Invalid request body: '@odata.type' must be '%s': bookingCustomerBase is abstract."
                                  % CUSTOMER_TYPE)
            entity = dict(copy.deepcopy(CUSTOMER_DEFAULTS), **_settable(body, CUSTOMER_DEFAULTS))
        entity["id"] = str(uuid.uuid4())
        entity["createdDateTime"] = entity["lastUpdatedDateTime"] = now
        self.emu.store.write()
        record[collection][entity["id"]] = entity
        suffix = "%s('%s')/%s/$entity" % (PREFIX[1:], record["entity"]["id"], collection)
        return 201, self._context(call, entity, suffix), {}

    def update_item(self, call, record, collection, item):
        """PATCH: a merge (section 12.2); ``customers`` replaced whole; 204 without a body."""
        body = call.json()
        if collection == "appointments":
            changes = self._appointment_changes(call, record, body, item)
        elif collection == "services":
            changes = _settable(body, SERVICE_DEFAULTS)
            if "staffMemberIds" in changes:
                self._check_staff_ids(record, changes["staffMemberIds"])
        elif collection == "staffMembers":
            changes = _settable(body, STAFF_DEFAULTS)
            if "role" in changes and changes["role"] not in STAFF_ROLES:
                raise bad_request("Invalid request body: 'role' must be one of %s." % ", ".join(sorted(STAFF_ROLES)))
        elif collection == "customQuestions":
            changes = _settable(body, QUESTION_DEFAULTS)
            self._check_question(dict(item, **changes))
        else:
            changes = _settable(body, CUSTOMER_DEFAULTS)
        self.emu.store.write()
        item.update(changes)
        item["lastUpdatedDateTime"] = self._now()

    @staticmethod
    def _check_question(entity):
        if entity["answerInputType"] not in ANSWER_INPUT_TYPES:
            raise bad_request("Invalid request body: 'answerInputType' must be text or radioButton.")
        options = entity["answerOptions"]
        if not isinstance(options, list) or not all(isinstance(o, str) for o in options):
            raise bad_request("Invalid request body: 'answerOptions' must be a collection of strings.")

    @staticmethod
    def _check_staff_ids(record, staff_ids):
        if not isinstance(staff_ids, list) or not all(isinstance(s, str) for s in staff_ids):
            raise bad_request("Invalid request body: 'staffMemberIds' must be a collection of strings.")
        for staff_id in staff_ids:
            if staff_id not in record["staffMembers"]:
                raise bad_request("Invalid Staff")  # section 6's wording for a bad staff list [inf: here too]

    # -- appointments -----------------------------------------------------------------------------------------
    def _customers(self, record, customers, service=None):
        """Section 8/11: each element needs @odata.type; unknown customerIds are dropped silently.  For a service of
        more than one attendee (``maximumAttendeesCount`` > 1) Graph says to "pass valid customer IDs" (section 8):
        a customer without the ID of one of the business's customers is refused [inf: the status and wording]."""
        if not isinstance(customers, list):
            raise bad_request("Invalid request body: 'customers' must be a collection.")
        out = []
        for index, customer in enumerate(customers):
            if not isinstance(customer, dict) or customer.get("@odata.type") not in (CUSTOMER_INFO_TYPE,
                                                                                     CUSTOMER_INFO_TYPE[1:]):
                raise bad_request("Invalid request body: customers[%d] must have '@odata.type': '%s'."
                                  % (index, CUSTOMER_INFO_TYPE))
            customer_id = customer.get("customerId")
            if (service or {}).get("maximumAttendeesCount", 1) > 1 and customer_id not in record["customers"]:
                raise bad_request("Invalid request body: customers[%d]: a service for more than one attendee books "
                                  "existing customers; pass the customerId of a customer of this business." % index)
            if customer_id is not None and customer_id not in record["customers"]:
                continue
            entry = {"@odata.type": CUSTOMER_INFO_TYPE, "customerId": None, "name": None, "emailAddress": None,
                     "phone": None, "location": None, "notes": None, "timeZone": None, "customQuestionAnswers": []}
            entry.update({k: copy.deepcopy(v) for k, v in customer.items() if k in entry and k != "@odata.type"})
            out.append(entry)
        return out

    def _times(self, body, current=None):
        start = body.get("startDateTime", body.get("start"))  # section 8: accept start/end too
        end = body.get("endDateTime", body.get("end"))
        start_dt = parse_instant(start, "startDateTime") if start is not None else current[0]
        end_dt = parse_instant(end, "endDateTime") if end is not None else current[1]
        if end_dt < start_dt:
            raise bad_request("Invalid request body: endDateTime must not be earlier than startDateTime.")
        return start_dt, end_dt

    def _join_urls(self, call, record, entity):
        """Section 1: isLocationOnline -> a Teams joinWebUrl; anonymousJoinWebUrl only when the service has
        isAnonymousJoinEnabled."""
        if not entity.get("isLocationOnline"):
            entity["joinWebUrl"] = entity["anonymousJoinWebUrl"] = None
            return
        if not entity.get("joinWebUrl"):
            thread = "19:meeting_%s@thread.v2" % secrets.token_urlsafe(33)
            entity["joinWebUrl"] = "https://teams.microsoft.com/l/meetup-join/%s/0?context=%s" % (
                quote(thread, safe=""), quote('{"Tid":"%s","Oid":"%s"}' % (call.principal.tenant.id,
                                                                           record["entity"]["id"]), safe=""))
        service = record["services"].get(entity.get("serviceId")) or {}
        if service.get("isAnonymousJoinEnabled"):
            thread = unquote(entity["joinWebUrl"].split("/")[5])
            entity["anonymousJoinWebUrl"] = ("https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=%s&convId=%s"
                                             % (call.principal.tenant.id, quote(thread, safe=":@")))
        else:
            entity["anonymousJoinWebUrl"] = None

    def _new_appointment(self, call, record, body):
        service = record["services"].get(body.get("serviceId"))
        if service is None:
            raise bad_request("Invalid request body: 'serviceId' must name a service of this business.")
        if body.get("startDateTime", body.get("start")) is None or body.get("endDateTime", body.get("end")) is None:
            raise bad_request("Invalid request body: 'startDateTime' and 'endDateTime' are required.")
        start_dt, end_dt = self._times(body)
        fields = _settable(body, APPOINTMENT_DEFAULTS)
        if call.principal.user is None and not fields.get("staffMemberIds"):
            raise bad_request("Invalid Staff")  # section 6: required with application permissions
        if "staffMemberIds" in fields:
            self._check_staff_ids(record, fields["staffMemberIds"])
        if call.principal.user is None:
            self._business_rules(record, service, start_dt, end_dt, fields.get("staffMemberIds"))
        entity = dict(copy.deepcopy(APPOINTMENT_DEFAULTS), **fields)
        entity["customers"] = self._customers(record, fields.get("customers", []), service)
        entity["serviceName"] = fields.get("serviceName") or service["displayName"]
        entity["selfServiceAppointmentId"] = "%08X" % secrets.randbits(32)
        self._set_times(entity, start_dt, end_dt)
        self._join_urls(call, record, entity)
        return entity

    def _business_rules(self, record, service, start_dt, end_dt, staff_ids, booked_staff=None):
        """Section 6, application permissions only: the duration is the service's; minimumLeadTime and
        maximumAdvance apply (the service's policy overrides the business's); staff need allowStaffSelection; the time
        lies within the business hours.  The answers are undocumented: 400 [inf].  Not modelled: staff availability
        (working hours, personal calendars), buffers."""
        policy = dict(record["entity"].get("schedulingPolicy") or {})
        policy.update({k: v for k, v in (service.get("schedulingPolicy") or {}).items() if v is not None})
        duration = service.get("defaultDuration")
        if duration and end_dt - start_dt != parse_duration(duration, "defaultDuration"):
            raise bad_request("The appointment duration must be the service's default duration (%s)." % duration)
        now = self.emu.now()
        if policy.get("minimumLeadTime") and start_dt < now + parse_duration(policy["minimumLeadTime"],
                                                                             "minimumLeadTime"):
            raise bad_request("The appointment starts sooner than the minimum lead time (%s)."
                              % policy["minimumLeadTime"])
        if policy.get("maximumAdvance") and start_dt > now + parse_duration(policy["maximumAdvance"],
                                                                            "maximumAdvance"):
            raise bad_request("The appointment starts later than the maximum advance (%s)." % policy["maximumAdvance"])
        if staff_ids and policy.get("allowStaffSelection") is False:
            raise bad_request("Staff selection is not allowed by the scheduling policy.")
        # The hours are read in the zone of the appointment's staff as it will be (a PATCH may not name them).
        if not self._within_business_hours(record, start_dt, end_dt, booked_staff or staff_ids):
            raise bad_request("The appointment is outside the business hours.")

    @staticmethod
    def _within_business_hours(record, start_dt, end_dt, staff_ids):
        """Section 6: "not outside business hours".  A v1.0 business has no time zone property: the hours are read
        in the time zone of the first staff member, else UTC [inf]; the appointment must fit one time slot of its
        day."""
        hours = record["entity"].get("businessHours") or []
        if not hours:
            return True
        staff = record["staffMembers"].get((staff_ids or [None])[0]) or {}
        zone = datetime.timezone.utc
        if staff.get("timeZone"):
            try:
                zone = ZoneInfo(WINDOWS_ZONES.get(staff["timeZone"].lower(), staff["timeZone"]))
            except (ZoneInfoNotFoundError, ValueError):
                zone = datetime.timezone.utc
        start, end = start_dt.astimezone(zone), end_dt.astimezone(zone)
        day = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[start.weekday()]
        last = end - datetime.timedelta(microseconds=1)
        if last.date() != start.date():
            return False
        begin = start.strftime("%H:%M:%S")
        finish = end.strftime("%H:%M:%S") if end.date() == start.date() else "24:00:00"
        for entry in hours:
            if entry.get("day") == day:
                for slot in entry.get("timeSlots") or []:
                    if slot.get("startTime", "")[:8] <= begin and finish <= slot.get("endTime", "")[:8]:
                        return True
        return False

    @staticmethod
    def _set_times(entity, start_dt, end_dt):
        entity["startDateTime"], entity["endDateTime"] = date_time_zone(start_dt), date_time_zone(end_dt)
        entity["duration"] = format_duration(end_dt - start_dt)
        entity["filledAttendeesCount"] = len(entity["customers"])

    def _appointment_changes(self, call, record, body, item):
        changes = _settable(body, APPOINTMENT_DEFAULTS)
        if "serviceId" in changes and changes["serviceId"] not in record["services"]:
            # serviceId: CSDL Immutable vs the update page [conflict]: a change to another service is accepted.
            raise bad_request("Invalid request body: 'serviceId' must name a service of this business.")
        if "staffMemberIds" in changes:
            self._check_staff_ids(record, changes["staffMemberIds"])
        after = dict(copy.deepcopy(item), **changes)
        if "customers" in changes:
            after["customers"] = self._customers(record, changes["customers"],
                                                 record["services"].get(after.get("serviceId")))
        current = (parse_instant(item["startDateTime"], "startDateTime"),
                   parse_instant(item["endDateTime"], "endDateTime"))
        start_dt, end_dt = self._times(body, current)
        if call.principal.user is None:
            service = record["services"].get(after.get("serviceId")) or {}
            self._business_rules(record, service, start_dt, end_dt, changes.get("staffMemberIds"),
                                 after.get("staffMemberIds"))
        self._set_times(after, start_dt, end_dt)
        self._join_urls(call, record, after)
        return after

    def cancel(self, call, record, appointment_id):
        """Section 3/7: POST .../cancel {"cancellationMessage"}: 204, 404 when missing.  The appointment goes
        away (a cancelled booking leaves the calendar) [inf]; the message is kept for assertions."""
        appointment = record["appointments"].get(appointment_id)
        if appointment is None:
            raise not_found("The appointment '%s' was not found." % appointment_id)
        body = call.json()
        message = body.get("cancellationMessage")
        if not isinstance(message, str):
            raise bad_request("Invalid request body: 'cancellationMessage' is required.")
        self.emu.store.write()
        del record["appointments"][appointment_id]
        record.setdefault("cancelled", []).append({"id": appointment_id, "cancellationMessage": message,
                                                   "time": self._now()})
        return 204, None, {}

    def calendar_view(self, call, record):
        """Section 5: start and end required (startDateTime/endDateTime accepted too), offsets honoured; the
        appointments that overlap the window, without customers and notes; nextLink paging."""
        start = call.query.get("start", call.query.get("startDateTime"))
        end = call.query.get("end", call.query.get("endDateTime"))
        if not start or not end:
            raise bad_request("The 'start' and 'end' query parameters are required for calendarView.")
        start_dt, end_dt = parse_query_instant(start, "start"), parse_query_instant(end, "end")
        found = []
        for appointment in record["appointments"].values():
            a_start = parse_instant(appointment["startDateTime"], "startDateTime")
            a_end = parse_instant(appointment["endDateTime"], "endDateTime")
            if a_start < end_dt and a_end > start_dt:
                found.append(appointment)
        found.sort(key=lambda a: (a["startDateTime"]["dateTime"], a["id"]))
        suffix = "%s('%s')/calendarView" % (PREFIX[1:], record["entity"]["id"])
        return 200, self._page(call, suffix, [self._list_view(a) for a in found]), {}

    def staff_availability(self, call, record):
        """Section 4: POST getStaffAvailability {staffIds, startDateTime, endDateTime} -> per staff member, the
        window split into "busy" (their appointments) and "available" items, in UTC.  A window under 30 minutes is
        500 UnknownError (Q&A 1191270).  Not modelled [inf]: business hours, workingHours, personal calendars,
        slotsAvailable and outOfOffice."""
        body = call.json()
        staff_ids = body.get("staffIds")
        if not isinstance(staff_ids, list) or not staff_ids or not all(isinstance(i, str) for i in staff_ids):
            raise bad_request("Invalid request body: 'staffIds' must be a non-empty collection of strings.")
        for name in ("startDateTime", "endDateTime"):
            if body.get(name) is None:
                raise bad_request("Invalid request body: '%s' is required." % name)
        start_dt = parse_instant(body["startDateTime"], "startDateTime")
        end_dt = parse_instant(body["endDateTime"], "endDateTime")
        if end_dt - start_dt < datetime.timedelta(minutes=30):
            raise GraphError(500, "UnknownError", "")
        values = []
        for staff_id in staff_ids:
            if staff_id not in record["staffMembers"]:
                raise bad_request("Invalid Staff")  # [inf]
            busy = []
            for appointment in record["appointments"].values():
                if staff_id not in (appointment.get("staffMemberIds") or []):
                    continue
                a_start = max(parse_instant(appointment["startDateTime"], "startDateTime"), start_dt)
                a_end = min(parse_instant(appointment["endDateTime"], "endDateTime"), end_dt)
                if a_start < a_end:
                    busy.append((a_start, a_end, appointment.get("serviceId") or ""))
            busy.sort()
            items, cursor = [], start_dt
            for b_start, b_end, service_id in busy:
                if b_start > cursor:
                    items.append(self._availability(cursor, b_start, "available", ""))
                if b_end > cursor:
                    items.append(self._availability(max(b_start, cursor), b_end, "busy", service_id))
                    cursor = b_end
            if cursor < end_dt:
                items.append(self._availability(cursor, end_dt, "available", ""))
            values.append({"staffId": staff_id, "availabilityItems": items})
        return 200, self._collection_body(call, "Collection(microsoft.graph.staffAvailabilityItem)", values), {}

    @staticmethod
    def _availability(start, end, status, service_id):
        return {"startDateTime": date_time_zone(start), "endDateTime": date_time_zone(end), "serviceId": service_id,
                "status": status}
