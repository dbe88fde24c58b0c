# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Microsoft Bookings kinds of the reconcile engine (bookings-api.md): the business, and what it contains -
services, staff members, custom questions, customers and appointments.

Graph has no PUT and no create-by-key in Bookings (section 3), so a resource whose ID the task does not give is
*found by its key* in a list the read asks for (a service by its display name, a staff member or a customer by its
e-mail address, an appointment by the collection's key in its ``appointmentLabel``, a business by its display name),
then created with POST when it is not there.  Lists that hold only part of an object (businesses: ID and name;
appointments: no customers, reminders or notes, section 5) are followed by a GET of the one found.

A create is a plain POST, which the retry policy never sends twice once it may have reached Graph.  When its answer
is lost (the connection dropped, 500, 502, 504), the engine's conflict path reads the list again and finds the
object by its key before anything is sent again: a lost answer never makes a second object (issue: no duplicate)."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_model as model
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import PlanError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult, graph_path
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    ABSENT, CANCELLED, CREATED, DELETED, UNCHANGED, UPDATED, Kind, Plan, Predicted)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item

# The appointment's key: the scheduling system's ID, kept in the appointment's appointmentLabel as
# ``external_id:<id>`` (the label is listed by calendarView and the appointment list, unlike notes, and is not sent
# to customers, unlike additionalInformation).  An appointment whose label does not start so carries no key of the
# collection (it was made elsewhere): it is managed by its appointment_id.
KEY_PREFIX = "external_id:"
LOST = (None, 500, 502, 504)  # a create answered so may have been applied


def business_path(business_id=None):
    if business_id is None:
        return graph_path("solutions", "bookingBusinesses")
    return graph_path("solutions", "bookingBusinesses", ("business_id", business_id))


def appointment_label(external_id):
    return KEY_PREFIX + external_id


def external_id_of(view):
    """The collection's key of an appointment view, or None when it carries none."""
    label = (view or {}).get("appointment_label")
    return label[len(KEY_PREFIX):] if isinstance(label, str) and label.startswith(KEY_PREFIX) else None


class BookingItem(Item):
    """One Bookings resource of a task: its business, its Graph ID when known (``resource_id``), else its key
    (``key``: the value of the kind's key field, found in the list); ``message``: an appointment's cancellation
    message."""

    def __init__(self, label, kind, state, desired=None, business_id=None, resource_id=None, key=None,
                 message=None, listed=None, rules=None):
        super().__init__(label, states={kind: state}, desired={kind: desired or {}})
        self.business_id, self.resource_id, self.key, self.message = business_id, resource_id, key, message
        # The checks a write of this item must pass (``rules(view)`` -> problems: Graph's rules for application
        # sign-ins), run on what would be written - never for an item that writes nothing.
        self.rules = rules
        # A batch reads the business's list once for all its items: the entry found there by the key (a dict),
        # False when none was, None when the item reads for itself.
        self.listed = listed


class BookingKind(Kind):
    """A resource contained in a business (``collection``: its path segment), keyed by ``key_field`` (a view
    key); ``by_id_only``: the view keys its list leaves out (a GET by ID follows the list)."""

    key_field = None
    collection = None
    by_id_only = ()
    required_on_create = ()  # view keys Graph requires to create one (the option is optional for an update)
    key_casefold = True      # names and addresses match without regard to case; an external ID exactly
    read_by_list = False     # True: never read by ID, but from the list (found by ID when one is given)
    graph_name = None  # for messages: "service"
    spread = True      # every request counts against the mailbox's four in flight (bookings-api.md 10)

    def __init__(self, name):
        self.name = name

    # -- addresses ------------------------------------------------------------------------------------------------
    def list_path(self, item):
        return business_path(item.business_id) + "/" + self.collection

    def address(self, item, meeting_id):
        return self.list_path(item) + graph_path(("id", meeting_id))

    def find(self, item):
        """The list read that finds the resource by its key."""
        return {"method": "GET", "path": self.list_path(item), "pages": True}

    # -- reads ----------------------------------------------------------------------------------------------------
    def read(self, result):
        item = result.item
        if self.state(item) is None:
            return None
        if item.listed is not None:  # the batch's list read holds the answer
            return {"given": BatchResult(200, {}, {"value": [item.listed] if item.listed else []})}
        if item.resource_id and not self.read_by_list:
            return {"method": "GET", "path": self.address(item, item.resource_id)}
        return self.find(item)

    def reread(self, result):
        """A conflict's re-read (after a lost create) reads the list again, whatever a batch read before."""
        item = result.item
        if item.resource_id and not self.read_by_list:
            return {"method": "GET", "path": self.address(item, item.resource_id)}
        return self.find(item)

    def took_read(self, result, answer):
        part, item = self.part(result), result.item
        if answer.ok and isinstance(answer.body, dict) and isinstance(answer.body.get("value"), list):
            found = []
            if item.key is None or (self.read_by_list and item.resource_id):  # by its ID, from the list
                found = [entry for entry in answer.body["value"] if entry.get("id") == item.resource_id]
            if not found and item.key is not None:  # by its key (also: one created under a new ID, answer lost)
                found = [entry for entry in answer.body["value"]
                         if model.matches(model.from_graph(entry), self.key_field, item.key, self.key_casefold)]
            if len(found) > 1:
                result.fail(PlanError("%s: %d %ss of business %s have %s %r; give the one to manage by its ID"
                                      % (item.label, len(found), self.graph_name, item.business_id, self.key_field,
                                         item.key), self.name), self.name)
                return
            view = model.from_graph(found[0]) if found else None
            part.view = part.before = view
            part.exists = bool(found)
            part.note = {"partial": bool(found) and bool(self.by_id_only)}
            part.found = bool(found)
        elif answer.ok:
            part.view = part.before = model.from_graph(answer.body)
            part.exists, part.note = True, {"partial": False}
        elif answer.status == 404 and item.resource_id and self._business_exists(answer):
            part.view = part.before = None
            part.exists = False
        else:
            result.fail(answer.error, self.name)

    @staticmethod
    def _business_exists(answer):
        """A 404 for the resource, not for its business (a missing mailbox is ErrorNonExistentMailbox or
        ErrorFolderNotFound, section 7)."""
        code = getattr(answer.error, "code", None) or ""
        return "mailbox" not in code.lower() and "folder" not in code.lower()

    def read_found(self, result):
        """The GET of one found in a list that leaves out part of it - only when the task compares that part (an
        appointment's customers, reminders or notes) or the kind's list holds nothing but the key (a business)."""
        part = self.part(result)
        if not (part.found and (part.note or {}).get("partial") and part.view is not None):
            return None
        wanted = self.desired(result.item) or {}
        if "*" not in self.by_id_only and not any(key in wanted for key in self.by_id_only):
            return None
        return {"method": "GET", "path": self.address(result.item, part.view["id"])}

    # -- the plan (pure) ------------------------------------------------------------------------------------------
    def compared(self, item, observed):
        """The desired view and the keys not to compare (a partial view lacks them)."""
        part = observed.parts.get(self.name)
        desired = self.desired(item) or {}
        if not (part is not None and (part.note or {}).get("partial")):
            return desired, set()
        if "*" in self.by_id_only:  # the list holds the key alone
            return desired, set(desired) - {self.key_field}
        return desired, set(self.by_id_only)

    def check(self, item, actual, desired):
        """Raise PlanError when ``actual`` makes ``desired`` impossible (a kind's own rule)."""

    def plan(self, item, observed, planned=()):
        actual = observed.view(self.name)
        state = self.state(item)
        if state == ABSENT:
            return Plan([(self.name + "_delete", {"method": "DELETE", "path": self.address(item, actual["id"]),
                                                  "predict": (204, None)})] if actual is not None else [])
        desired, skip = self.compared(item, observed)
        if actual is None and item.key is None:
            raise PlanError("%s: the %s %s is not in business %s (deleted?), and without its key (%s) the task cannot "
                            "make it again" % (item.label, self.graph_name, item.resource_id, item.business_id,
                                               self.key_field), self.name)
        if actual is None:
            missing = [key for key in self.required_on_create if desired.get(key) is None]
            if missing:
                raise PlanError("%s: %s required to create it (there is none with %s %s)" % (
                    item.label, " and ".join(missing), self.key_field, item.key), self.name)
            predicted = dict(desired, id=None)
            return Plan([(self.name + "_create", {"method": "POST", "path": self.list_path(item),
                                                  "body": self.create_body(desired),
                                                  "predict": (201, model.to_graph(predicted))})])
        self.check(item, actual, desired)
        changed = model.changes(desired, actual, skip)
        return Plan(self.updates(item, actual, changed))

    def create_body(self, desired):
        return model.to_graph({k: v for k, v in desired.items() if k not in model.READ_ONLY})

    def updates(self, item, actual, changed):
        changed = {key: model.whole(value, actual.get(key)) for key, value in changed.items()}
        body = {k: v for k, v in changed.items() if k not in model.READ_ONLY}
        if not body:
            return []
        return [(self.name + "_update", {"method": "PATCH", "path": self.address(item, actual["id"]),
                                         "body": model.to_graph(body), "predict": (204, None), "changes": changed})]

    # -- answers --------------------------------------------------------------------------------------------------
    def took_write(self, result, name, op, answer):
        part = self.part(result)
        if self.stale_after(name, op) and not isinstance(answer, Predicted):
            part.note = dict(part.note or {}, stale=True)
        what = name[len(self.name) + 1:]
        if what == "delete":
            gone = answer.status == 404 and not answer.replayed
            part.action = UNCHANGED if gone else DELETED
            part.view = None
        elif what == "create":
            part.view = model.from_graph(answer.body) if answer.body else dict(self.desired(result.item) or {})
            part.action = CREATED
        elif what == "update":
            part.view = model.merged(part.view, op["changes"])
            part.action = CREATED if part.action == CREATED else UPDATED

    def stale_after(self, name, op):
        """Whether a successful write ``name`` leaves the view without what Graph made of it (its answer has no
        body): the engine then reads the resource again (``refresh``); none by default."""
        return False

    def refresh(self, result):
        """The GET of a resource whose writes left its view stale (real runs only: a predicted answer never marks
        it), or None."""
        part = self.part(result)
        if (part.note or {}).get("stale") and part.view and part.view.get("id"):
            return {"method": "GET", "path": self.address(result.item, part.view["id"])}
        return None

    def took_refresh(self, result, answer):
        if answer.ok:
            self.part(result).view = model.from_graph(answer.body)

    def conflict(self, name, answer):
        """A create whose answer was lost may have been applied: find it by its key before sending it again."""
        return name == self.name + "_create" and not answer.ok and answer.status in LOST

    def replanned(self, result, before, replayed, more):
        """After a lost create: found by its key, it was ours (created); not found, it is sent once more."""
        part = self.part(result)
        if part.view is not None:
            part.before = before
            part.action = CREATED

    def diff(self, result):
        item, part = result.item, self.part(result)
        if self.state(item) is None:
            return None
        if self.state(item) != "present":
            return (dict(part.before) if part.before else {}), (dict(part.view) if part.view else {})
        desired = self.desired(item) or {}
        before = model.compared_view(part.before, desired) if part.before is not None else {}
        after = model.compared_view(part.view, desired) if part.view is not None else {}
        return before, after


class ServiceKind(BookingKind):
    key_field, collection, graph_name = "display_name", "services", "service"


class StaffKind(BookingKind):
    """Staff members; every request asks for the roles Graph hides behind ``unknownFutureValue`` (``scheduler``,
    ``teamMember``: section 2), so they read back as written."""

    key_field, collection, graph_name = "email_address", "staffMembers", "staff member"
    required_on_create = ("role",)
    PREFER = {"Prefer": "include-unknown-enum-members"}

    def read(self, result):
        return self._preferring(super().read(result))

    def find(self, item):
        return self._preferring(super().find(item))

    def plan(self, item, observed, planned=()):
        return Plan([(name, self._preferring(op)) for name, op in super().plan(item, observed, planned)])

    def _preferring(self, op):
        if op is not None:
            op["headers"] = dict(op.get("headers") or {}, **self.PREFER)
        return op


class QuestionKind(BookingKind):
    key_field, collection, graph_name = "display_name", "customQuestions", "custom question"


class CustomerKind(BookingKind):
    key_field, collection, graph_name = "email_address", "customers", "customer"
    # Graph reads a customer by a Base64-encoded ID only: "GUID IDs do not work" (bookings-api.md 4), and the IDs it
    # hands out are GUIDs. A customer is read from the business's list, found by its ID when the task gives one.
    read_by_list = True

    def create_body(self, desired):
        # The collection is of the abstract bookingCustomerBase: the concrete type must be named (section 4).
        return dict({"@odata.type": model.CUSTOMER_TYPE}, **super().create_body(desired))


class AppointmentKind(BookingKind):
    """Appointments: found by the collection's key in ``appointmentLabel`` (KEY_PREFIX); the list leaves out the
    customers, reminders and notes, so the one found is read by ID; ``cancelled`` cancels it (Graph notifies the
    customers and staff, and the appointment leaves the calendar); the service of an appointment cannot change
    (``serviceId`` is immutable, section 8)."""

    key_field, collection, graph_name = "appointment_label", "appointments", "appointment"
    key_casefold = False
    by_id_only = ("customers", "reminders", "service_notes", "customer_notes")

    RULED = ("start_date_time", "end_date_time", "staff_member_ids", "service_id")  # what the rules look at

    def plan(self, item, observed, planned=()):
        actual = observed.view(self.name)
        if self.state(item) == CANCELLED:
            if actual is None:
                return Plan()
            return Plan([(self.name + "_cancel", {
                "method": "POST", "path": self.address(item, actual["id"]) + "/cancel",
                "body": {"cancellationMessage": item.message or ""}, "predict": (204, None)})])
        ops = super().plan(item, observed, planned)
        writes = [op for name, op in ops if name.endswith(("_create", "_update"))]
        if item.rules is not None and any(op["method"] == "POST" or set(op.get("changes") or ()) & set(self.RULED)
                                          for op in writes):
            problems = item.rules(dict(actual or {}, **(self.desired(item) or {})))
            if problems:
                raise PlanError(["%s.%s" % (item.label, problem) for problem in problems], self.name)
        return ops

    def stale_after(self, name, op):
        """An appointment turned online (or offline) by a PATCH - answered without a body - has join links only
        Graph knows."""
        return name == self.name + "_update" and "is_location_online" in (op.get("changes") or {})

    def conflict(self, name, answer):
        """A create, or a cancel, whose answer was lost: read again before sending it again (a cancel that went
        through has taken the appointment off the calendar)."""
        return name in (self.name + "_create", self.name + "_cancel") and not answer.ok and answer.status in LOST

    def replanned(self, result, before, replayed, more):
        part = self.part(result)
        if self.state(result.item) == CANCELLED:
            if part.view is None:  # gone: the lost cancel went through
                part.before, part.action = before, CANCELLED
            return
        super().replanned(result, before, replayed, more)

    def check(self, item, actual, desired):
        wanted = desired.get("service_id")
        if wanted and actual.get("service_id") and wanted != actual["service_id"]:
            raise PlanError("%s: service_name/service_id: the appointment %s is booked on service %s (%s); Graph "
                            "cannot move an appointment to another service (serviceId is immutable): cancel it "
                            "(state: cancelled) and book a new one" % (item.label, actual.get("id"),
                                                                       actual.get("service_name"),
                                                                       actual["service_id"]), self.name)

    def updates(self, item, actual, changed):
        # customerNotes can be set only when the appointment is made (section 8): never PATCHed.
        changed = {k: v for k, v in changed.items() if k != "customer_notes"}
        return super().updates(item, actual, changed)

    def took_write(self, result, name, op, answer):
        if name == self.name + "_cancel":
            part = self.part(result)
            gone = answer.status == 404 and not answer.replayed
            part.action = UNCHANGED if gone else CANCELLED
            part.view = None
            return
        super().took_write(result, name, op, answer)

    def failed_write(self, result, name, op, answer):
        if name == self.name + "_cancel" and answer.status == 404:  # cancel of one already gone (section 7)
            self.part(result).view = None
            return
        super().failed_write(result, name, op, answer)


class BusinessKind(BookingKind):
    """The business (its ID is the SMTP address of the mailbox Graph makes on create): found by its display name
    in ``GET /solutions/bookingBusinesses?query=`` (ID and name only, at most 500, section 5), then read by ID.
    ``is_published`` is set by publish / unpublish, not PATCH; a new business is published once its create
    answered (its ID is known only then)."""

    key_field, collection, graph_name = "display_name", None, "business"
    by_id_only = ("*",)

    def list_path(self, item):
        return business_path()

    def address(self, item, meeting_id):
        return business_path(meeting_id)

    def find(self, item):
        return {"method": "GET", "path": business_path() + "?query=" + graph_path(("display_name", item.key))[1:]}

    def compared(self, item, observed):
        """A business found in the list only (the re-read after a lost create: ours, made unpublished) is compared
        on its name and on being published: a lost answer does not lose the publish that was to follow."""
        desired, skip = super().compared(item, observed)
        return desired, skip - {"is_published"}

    def updates(self, item, actual, changed):
        ops = super().updates(item, actual, changed)
        if "is_published" in changed:
            ops.append(self._publication(actual["id"], changed["is_published"]))
        return ops

    def stale_after(self, name, op):
        """Publish and unpublish answer without a body: the business is read again for its publicUrl."""
        return name in (self.name + "_publish", self.name + "_unpublish")

    def _publication(self, business_id, published, after=None):
        op = {"method": "POST", "path": business_path(business_id) + ("/publish" if published else "/unpublish"),
              "predict": (204, None), "changes": {"is_published": published}}
        if after:
            op["after"] = after
        return (self.name + ("_publish" if published else "_unpublish"), op)

    def took_write(self, result, name, op, answer):
        part = self.part(result)
        if name in (self.name + "_publish", self.name + "_unpublish"):
            if not isinstance(answer, Predicted):
                part.note = dict(part.note or {}, stale=True)
            part.view = model.merged(part.view, op["changes"])
            part.action = CREATED if part.action == CREATED else UPDATED
            return
        super().took_write(result, name, op, answer)
        desired = self.desired(result.item) or {}
        if name == self.name + "_create" and desired.get("is_published") and part.view is not None:
            # Its ID (the mailbox) exists only now: publish it after the create, in the engine's ``after`` round.
            result.pending.append(self._publication(part.view.get("id") or "(new business)", True,
                                                    after=self.name + "_create"))


BUSINESS = BusinessKind("booking_business")
SERVICE = ServiceKind("booking_service")
STAFF = StaffKind("booking_staff_member")
QUESTION = QuestionKind("booking_custom_question")
CUSTOMER = CustomerKind("booking_customer")
APPOINTMENT = AppointmentKind("booking_appointment")
BOOKING_KINDS = (BUSINESS, SERVICE, STAFF, QUESTION, CUSTOMER, APPOINTMENT)
