# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Microsoft Bookings modules (``booking_*``): their options, the checks made before any write, and each
module's ``run(module)`` - one item through the one engine with the Bookings kinds (kind_booking.py), or reads
for ``booking_info``.

Order of a run: the options are checked (types by the argument spec; here every value's field kind, naming the
option); the references the task makes by name are read in one ``$batch`` (staff by e-mail, services and custom
questions by name; the business, for the application-permission rules) and checked (unknown staff, a service that
is not in the business, a duration or a time the rules refuse); only then does the engine read, plan and write."""

from __future__ import annotations

import datetime

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_model as model
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import time_zones
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import PlanError, ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import follow_pages, graph_path
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_booking import (
    APPOINTMENT, BUSINESS, CUSTOMER, QUESTION, SERVICE, STAFF, BookingItem, appointment_label, business_path,
    external_id_of)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Reconciler
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import app_only_method
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.validate import (
    DATE_TIME, date_time_problems, email_problems, phone_problems, show, text_problems, url_problems, zone_info)

# -- options ---------------------------------------------------------------------------------------------------------
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WORK_HOURS = dict(type="list", elements="dict", options=dict(
    day=dict(type="str", required=True, choices=DAYS),
    time_slots=dict(type="list", elements="dict", default=[], options=dict(
        start_time=dict(type="str", required=True), end_time=dict(type="str", required=True)))))
SCHEDULING_POLICY = dict(type="dict", options=dict(
    time_slot_interval=dict(type="raw"), minimum_lead_time=dict(type="raw"), maximum_advance=dict(type="raw"),
    send_confirmations_to_owner=dict(type="bool"), allow_staff_selection=dict(type="bool"),
    is_meeting_invite_to_customers_enabled=dict(type="bool")))
ADDRESS = dict(type="dict", options=dict(
    street=dict(type="str"), city=dict(type="str"), state=dict(type="str"), country_or_region=dict(type="str"),
    postal_code=dict(type="str"), post_office_box=dict(type="str")))
PRICE_TYPES = ["undefined", "fixedPrice", "startingAt", "hourly", "free", "priceVaries", "callUs", "notSet"]
# ``text`` is Graph's bookingReminder ``message`` (Ansible reserves ``message`` as an option name).
REMINDERS = dict(type="list", elements="dict", options=dict(
    text=dict(type="str", required=True), offset=dict(type="raw", required=True),
    recipients=dict(type="str", default="allAttendees", choices=["allAttendees", "staff", "customer"])))
STATE = dict(type="str", default="present", choices=["present", "absent"])

BUSINESS_FIELDS = ("display_name", "business_type", "default_currency_iso", "email", "language_tag", "phone",
                   "web_site_url", "address", "business_hours", "scheduling_policy")
BUSINESS_OPTIONS = dict(
    display_name=dict(type="str"), business_id=dict(type="str"), state=STATE, published=dict(type="bool"),
    business_type=dict(type="str"), default_currency_iso=dict(type="str"), email=dict(type="str"),
    language_tag=dict(type="str"), phone=dict(type="str"), web_site_url=dict(type="str"), address=ADDRESS,
    business_hours=WORK_HOURS, scheduling_policy=SCHEDULING_POLICY)

SERVICE_FIELDS = ("display_name", "default_duration", "pre_buffer", "post_buffer", "default_price",
                  "default_price_type", "description", "notes", "additional_information", "is_hidden_from_customers",
                  "is_location_online", "is_anonymous_join_enabled", "is_customer_allowed_to_manage_booking",
                  "sms_notifications_enabled", "maximum_attendees_count", "default_reminders", "scheduling_policy",
                  "language_tag")
SERVICE_OPTIONS = dict(
    business_id=dict(type="str", required=True), display_name=dict(type="str", required=True),
    service_id=dict(type="str"), state=STATE,
    default_duration=dict(type="raw"), pre_buffer=dict(type="raw"), post_buffer=dict(type="raw"),
    default_price=dict(type="float"), default_price_type=dict(type="str", choices=PRICE_TYPES),
    description=dict(type="str"), notes=dict(type="str"), additional_information=dict(type="str"),
    is_hidden_from_customers=dict(type="bool"), is_location_online=dict(type="bool"),
    is_anonymous_join_enabled=dict(type="bool"), is_customer_allowed_to_manage_booking=dict(type="bool"),
    sms_notifications_enabled=dict(type="bool"), maximum_attendees_count=dict(type="int"),
    staff=dict(type="list", elements="str"),
    custom_questions=dict(type="list", elements="dict", options=dict(
        display_name=dict(type="str", required=True), is_required=dict(type="bool", default=False))),
    default_reminders=REMINDERS, scheduling_policy=SCHEDULING_POLICY, language_tag=dict(type="str"))

STAFF_ROLES = ["administrator", "viewer", "externalGuest", "guest", "scheduler", "teamMember"]
STAFF_FIELDS = ("email_address", "display_name", "role", "time_zone", "use_business_hours", "working_hours",
                "availability_is_affected_by_personal_calendar", "is_email_notification_enabled")
STAFF_OPTIONS = dict(
    business_id=dict(type="str", required=True), email_address=dict(type="str", required=True),
    staff_member_id=dict(type="str"), state=STATE, display_name=dict(type="str"),
    role=dict(type="str", choices=STAFF_ROLES), time_zone=dict(type="str"), use_business_hours=dict(type="bool"),
    working_hours=WORK_HOURS, availability_is_affected_by_personal_calendar=dict(type="bool"),
    is_email_notification_enabled=dict(type="bool"))

QUESTION_FIELDS = ("display_name", "answer_input_type", "answer_options")
QUESTION_OPTIONS = dict(
    business_id=dict(type="str", required=True), display_name=dict(type="str", required=True),
    question_id=dict(type="str"), state=STATE,
    answer_input_type=dict(type="str", choices=["text", "radioButton"]),
    answer_options=dict(type="list", elements="str"))

PHONE_TYPES = ["home", "business", "mobile", "other", "assistant", "homeFax", "businessFax", "otherFax", "pager",
               "radio"]
CUSTOMER_FIELDS = ("email_address", "display_name", "phones", "addresses")
CUSTOMER_OPTIONS = dict(
    business_id=dict(type="str", required=True), email_address=dict(type="str", required=True),
    customer_id=dict(type="str"), state=STATE, display_name=dict(type="str"),
    phones=dict(type="list", elements="dict", options=dict(
        number=dict(type="str", required=True), type=dict(type="str", default="mobile", choices=PHONE_TYPES))),
    addresses=dict(type="list", elements="dict", options=dict(
        street=dict(type="str"), city=dict(type="str"), state=dict(type="str"), country_or_region=dict(type="str"),
        postal_code=dict(type="str"), post_office_box=dict(type="str"),
        type=dict(type="str", default="home", choices=["home", "business", "other"]))))

APPOINTMENT_FIELDS = ("start_date_time", "end_date_time", "customers", "is_location_online", "customer_time_zone",
                      "sms_notifications_enabled", "opt_out_of_customer_email", "pre_buffer", "post_buffer", "price",
                      "price_type", "reminders", "service_notes", "customer_notes", "maximum_attendees_count",
                      "additional_information", "is_customer_allowed_to_manage_booking")
APPOINTMENT_OPTIONS = dict(
    business_id=dict(type="str", required=True), external_id=dict(type="str"), appointment_id=dict(type="str"),
    state=dict(type="str", default="present", choices=["present", "absent", "cancelled"]),
    cancellation_message=dict(type="str"),
    service_name=dict(type="str"), service_id=dict(type="str"),
    start_date_time=dict(type="str"), end_date_time=dict(type="str"), time_zone=dict(type="str"),
    customers=dict(type="list", elements="dict", options=dict(
        name=dict(type="str"), email_address=dict(type="str", required=True), phone=dict(type="str"),
        time_zone=dict(type="str"))),
    staff=dict(type="list", elements="str"), is_location_online=dict(type="bool"),
    customer_time_zone=dict(type="str"), sms_notifications_enabled=dict(type="bool"),
    opt_out_of_customer_email=dict(type="bool"), pre_buffer=dict(type="raw"), post_buffer=dict(type="raw"),
    price=dict(type="float"), price_type=dict(type="str", choices=PRICE_TYPES), reminders=REMINDERS,
    service_notes=dict(type="str"), customer_notes=dict(type="str"), maximum_attendees_count=dict(type="int"),
    additional_information=dict(type="str"), is_customer_allowed_to_manage_booking=dict(type="bool"))

INFO_SECTIONS = ["services", "staff_members", "custom_questions", "customers", "appointments"]
INFO_OPTIONS = dict(
    business_id=dict(type="str"), query=dict(type="str"),
    include=dict(type="list", elements="str", choices=INFO_SECTIONS, default=["services", "staff_members"]),
    window_start=dict(type="str"), window_end=dict(type="str"), appointment_details=dict(type="bool", default=False))

DURATION_OPTIONS = ("default_duration", "pre_buffer", "post_buffer")
POLICY_DURATIONS = ("time_slot_interval", "minimum_lead_time", "maximum_advance")
BUSINESS_ID_LENGTH = 320


# -- checks (one rule per field kind) --------------------------------------------------------------------------------
def business_id_problems(value, field="business_id"):
    """A business ID is the SMTP address of its mailbox (section 2)."""
    if value is None:
        return []
    return email_problems(value, field, BUSINESS_ID_LENGTH)


def _graph_id_problems(value, field):
    if value is None:
        return []
    problems = text_problems(value, field, 1024)
    if not problems and (not value.strip() or any(c in value for c in "/\\?#")):
        problems.append("%s: not a Graph ID: %s" % (field, show(value)))
    return problems


def _duration_problems(value, field):
    if value is None:
        return []
    try:
        model.duration_seconds(value)
    except ValueError as exc:
        return ["%s: %s" % (field, exc)]
    return []


def _hours_problems(hours, field):
    problems = []
    for index, day in enumerate(hours or []):
        for number, slot in enumerate(day.get("time_slots") or []):
            where = "%s[%d].time_slots[%d]" % (field, index, number)
            times = []
            for name in ("start_time", "end_time"):
                try:
                    times.append(model.normal_time_of_day(slot[name]))
                except ValueError as exc:
                    problems.append("%s.%s: %s" % (where, name, exc))
            if len(times) == 2 and times[0] >= times[1]:
                problems.append("%s: start_time %s is not before end_time %s" % (where, times[0], times[1]))
    return problems


def _policy_problems(policy, field="scheduling_policy"):
    return [problem for name in POLICY_DURATIONS
            for problem in _duration_problems((policy or {}).get(name), "%s.%s" % (field, name))]


def _emails_problems(values, field):
    return [problem for index, value in enumerate(values or [])
            for problem in email_problems(value, "%s[%d]" % (field, index))]


def _text_fields(params, names):
    return [problem for name in names if isinstance(params.get(name), str)
            for problem in text_problems(params[name], name, 4000)]


def instant(value, field, zone=None):
    """(UTC view text, problem): a date-time with an offset, or without one in the task's ``time_zone``."""
    problems = date_time_problems(value, field)
    if problems and zone is not None and isinstance(value, str) and DATE_TIME.match(value):
        try:
            naive = datetime.datetime.fromisoformat(value.strip())
        except ValueError:
            return None, problems[0]
        if naive.tzinfo is None:
            return model.utc_text(naive.replace(tzinfo=zone)), None
    if problems:
        hint = "" if zone is not None else " (or give time_zone)"
        return None, problems[0] + hint
    return model.utc_text(model.parse_instant(value)), None


def _reminders(params, name):
    """The task's reminders in Graph's names (``text`` is ``message``), or None when not set."""
    if params.get(name) is None:
        return None
    return [{"message": reminder["text"], "offset": model.normal_duration(reminder["offset"]),
             "recipients": reminder["recipients"]} for reminder in params[name]]


def _fail_if(problems):
    if problems:
        raise ValidationError(problems)


def _delegated_only_create(params, what):
    """Business create and delete need delegated Bookings.Manage.All (section 3): refused before any request."""
    method = app_only_method(params)
    if method is None:
        return []
    return ["state: %s a booking business is served to delegated tokens only (Bookings.Manage.All), and auth_method "
            "%s signs in as the application: sign in as a user (the sign_in module, then auth_method device_code; "
            "or username_password)" % (what, method)]


def app_only(module):
    return app_only_method(module.params) is not None


# -- reading references ----------------------------------------------------------------------------------------------
def get_all(client, paths):
    """GET each path (lists with every page followed) in one $batch; the bodies, or the first error raised."""
    # Staff roles scheduler and teamMember read as unknownFutureValue without this header (section 2).
    ops = [dict({"method": "GET", "path": path}, **({"headers": {"Prefer": "include-unknown-enum-members"}}
                                                    if path.endswith("/staffMembers") else {})) for path in paths]
    answers = client.batch(ops, spread=SERVICE.spread) if ops else []  # as the engine sends Bookings requests
    out = []
    for answer in answers:
        if answer.ok and isinstance(answer.body, dict) and "value" in answer.body:
            follow_pages(client, answer)
        if not answer.ok:
            raise answer.error
        out.append(answer.body)
    return out


def _by_id(values):
    return {entry.get("id"): model.from_graph(entry) for entry in values}


def _staff_ids(staff_views, emails, field):
    """Staff e-mail addresses -> staff member IDs; an address no staff member has is a problem naming it."""
    by_email = {(view.get("email_address") or "").casefold(): view["id"] for view in staff_views.values()}
    ids, problems = [], []
    for index, email in enumerate(emails or []):
        staff_id = by_email.get(email.strip().casefold())
        if staff_id is None:
            problems.append("%s[%d]: %s is not a staff member of the business (add it with booking_staff_member)"
                            % (field, index, email))
        else:
            ids.append(staff_id)
    return ids, problems


def _staff_emails(staff_views, ids):
    return [staff_views[staff_id]["email_address"] if staff_id in staff_views else staff_id for staff_id in ids or []]


# -- running one item ------------------------------------------------------------------------------------------------
def _reconcile(module, kind, item, returned):
    """One item through the engine with ``kind``; the module's result (``returned``: the object's return key)."""
    result = engine(module, kind).run([item])[0]
    if isinstance(result.error, PlanError):  # a task has one item: its problems name the options alone
        prefix = item.label + "."
        raise ValidationError([problem[len(prefix):] if problem.startswith(prefix) else problem
                               for problem in result.error.problems])
    if result.error is not None:
        raise result.error
    view = result.view(kind.name)
    out = {"changed": result.changed, "action": result.action, returned: dict(view) if view else {}}
    for warning in result.warnings:
        module.warn(warning)
    if module.diff_mode:
        diff = result.diff()
        out["diff"] = {"before": diff["before"].get(kind.name, {}), "after": diff["after"].get(kind.name, {})}
    return out, result


def booking_business(module):
    params = module.params
    problems = business_id_problems(params.get("business_id"))
    if not params.get("display_name") and not params.get("business_id"):
        problems.append("display_name: required (or business_id of a business that exists)")
    problems += _text_fields(params, ("display_name", "business_type", "language_tag", "phone"))
    if params.get("email") is not None:
        problems += email_problems(params["email"], "email")
    if params.get("web_site_url") is not None:
        problems += url_problems(params["web_site_url"], "web_site_url")
    currency = params.get("default_currency_iso")
    if currency is not None and (len(currency) != 3 or not currency.isalpha()):
        problems.append("default_currency_iso: an ISO 4217 code of three letters (USD, EUR), got %s" % show(currency))
    problems += _hours_problems(params.get("business_hours"), "business_hours")
    problems += _policy_problems(params.get("scheduling_policy"))
    if params["state"] == "absent":
        problems += _delegated_only_create(params, "deleting")
    _fail_if(problems)
    desired = model.desired_view(params, BUSINESS_FIELDS)
    if desired.get("default_currency_iso"):
        desired["default_currency_iso"] = desired["default_currency_iso"].upper()
    if params.get("published") is not None:
        desired["is_published"] = params["published"]
    item = BookingItem("booking business %s" % (params.get("display_name") or params.get("business_id")),
                       BUSINESS.name, params["state"], desired, resource_id=params.get("business_id"),
                       key=params.get("display_name"))
    if params["state"] == "present" and not params.get("business_id") and app_only(module):
        # A create would be refused (delegated only): find it first, refuse only if it is not there.
        found = _find_business(module.client(), params["display_name"])
        if found is None:
            _fail_if(_delegated_only_create(params, "creating"))
    out, _result = _reconcile(module, BUSINESS, item, "booking_business")
    return out


def _find_business(client, display_name):
    body = get_all(client, [business_path() + "?query=" + graph_path(("display_name", display_name))[1:]])[0]
    for entry in body.get("value") or []:
        if model.matches(model.from_graph(entry), "display_name", display_name):
            return entry
    return None


def booking_service(module):
    params = module.params
    problems = business_id_problems(params["business_id"])
    problems += _graph_id_problems(params.get("service_id"), "service_id")
    problems += _text_fields(params, ("display_name", "description", "notes", "additional_information",
                                      "language_tag"))
    problems += [problem for name in DURATION_OPTIONS for problem in _duration_problems(params.get(name), name)]
    problems += _policy_problems(params.get("scheduling_policy"))
    problems += _emails_problems(params.get("staff"), "staff")
    problems += [problem for index, reminder in enumerate(params.get("default_reminders") or [])
                 for problem in _duration_problems(reminder["offset"], "default_reminders[%d].offset" % index)]
    if params.get("maximum_attendees_count") is not None and params["maximum_attendees_count"] < 1:
        problems.append("maximum_attendees_count: at least 1, got %d" % params["maximum_attendees_count"])
    if params.get("default_price") is not None and params["default_price"] < 0:
        problems.append("default_price: not negative, got %s" % params["default_price"])
    _fail_if(problems)
    desired = model.desired_view(params, [name for name in SERVICE_FIELDS if name != "default_reminders"])
    if params.get("default_reminders") is not None:
        desired["default_reminders"] = _reminders(params, "default_reminders")
    staff_views = {}
    if params["state"] == "present" and (params.get("staff") is not None or params.get("custom_questions")):
        base = business_path(params["business_id"])
        staff_body, questions_body = get_all(module.client(), [base + "/staffMembers", base + "/customQuestions"])
        staff_views = _by_id(staff_body.get("value") or [])
        if params.get("staff") is not None:
            desired["staff_member_ids"], more = _staff_ids(staff_views, params["staff"], "staff")
            problems += unresolved(module, more)
        if params.get("custom_questions") is not None:
            desired["custom_questions"], more = _question_refs(questions_body.get("value") or [],
                                                               params["custom_questions"])
            problems += unresolved(module, more)
        _fail_if(problems)
    item = BookingItem("booking service %s" % params["display_name"], SERVICE.name, params["state"], desired,
                       business_id=params["business_id"], resource_id=params.get("service_id"),
                       key=params["display_name"])
    out, _result = _reconcile(module, SERVICE, item, "booking_service")
    if out["booking_service"] and staff_views:
        out["booking_service"]["staff"] = _staff_emails(staff_views, out["booking_service"].get("staff_member_ids"))
    return out


def _question_refs(questions, wanted):
    """custom_questions by display name -> [{question_id, is_required}] (the service's ``customQuestions``)."""
    by_name = {(q.get("displayName") or "").strip().casefold(): q["id"] for q in questions}
    refs, problems = [], []
    for index, question in enumerate(wanted):
        question_id = by_name.get(question["display_name"].strip().casefold())
        if question_id is None:
            problems.append("custom_questions[%d].display_name: %s is not a custom question of the business (add it "
                            "with booking_custom_question)" % (index, question["display_name"]))
        else:
            refs.append({"question_id": question_id, "is_required": bool(question.get("is_required"))})
    return refs, problems


def booking_staff_member(module):
    params = module.params
    problems = business_id_problems(params["business_id"])
    problems += email_problems(params["email_address"], "email_address")
    problems += _graph_id_problems(params.get("staff_member_id"), "staff_member_id")
    problems += _text_fields(params, ("display_name",))
    problems += _hours_problems(params.get("working_hours"), "working_hours")
    if params.get("time_zone") is not None:
        problems += [problem for problem in [zone_info(params["time_zone"], "time_zone")[1]] if problem]
    _fail_if(problems)
    desired = model.desired_view(params, STAFF_FIELDS)
    item = BookingItem("booking staff member %s" % params["email_address"], STAFF.name, params["state"], desired,
                       business_id=params["business_id"], resource_id=params.get("staff_member_id"),
                       key=params["email_address"])
    out, _result = _reconcile(module, STAFF, item, "booking_staff_member")
    return out


def booking_custom_question(module):
    params = module.params
    problems = business_id_problems(params["business_id"])
    problems += _graph_id_problems(params.get("question_id"), "question_id")
    problems += _text_fields(params, ("display_name",))
    problems += [problem for index, option in enumerate(params.get("answer_options") or [])
                 for problem in text_problems(option, "answer_options[%d]" % index, 400)]
    if params.get("answer_input_type") == "radioButton" and not params.get("answer_options"):
        problems.append("answer_options: a radioButton question needs its options")
    _fail_if(problems)
    desired = model.desired_view(params, QUESTION_FIELDS)
    item = BookingItem("booking custom question %s" % params["display_name"], QUESTION.name, params["state"],
                       desired, business_id=params["business_id"], resource_id=params.get("question_id"),
                       key=params["display_name"])
    out, _result = _reconcile(module, QUESTION, item, "booking_custom_question")
    return out


def booking_customer(module):
    params = module.params
    problems = business_id_problems(params["business_id"])
    problems += email_problems(params["email_address"], "email_address")
    problems += _graph_id_problems(params.get("customer_id"), "customer_id")
    problems += _text_fields(params, ("display_name",))
    problems += [problem for index, phone in enumerate(params.get("phones") or [])
                 for problem in phone_problems(phone["number"], "phones[%d].number" % index)]
    _fail_if(problems)
    desired = model.desired_view(params, CUSTOMER_FIELDS)
    item = BookingItem("booking customer %s" % params["email_address"], CUSTOMER.name, params["state"], desired,
                       business_id=params["business_id"], resource_id=params.get("customer_id"),
                       key=params["email_address"])
    out, _result = _reconcile(module, CUSTOMER, item, "booking_customer")
    return out


# -- appointments ----------------------------------------------------------------------------------------------------
def appointment_problems(params):
    """The appointment's options, field by field; (desired view without references, problems)."""
    state = params["state"]
    problems = business_id_problems(params["business_id"])
    problems += _graph_id_problems(params.get("appointment_id"), "appointment_id")
    problems += _graph_id_problems(params.get("service_id"), "service_id")
    if params.get("external_id") is not None:
        problems += text_problems(params["external_id"], "external_id", 200)
        if not params["external_id"].strip():
            problems.append("external_id: must not be empty")
    elif not params.get("appointment_id"):
        problems.append("external_id: required (the scheduling system's ID of the appointment), or appointment_id")
    if state == "present":
        if not params.get("service_name") and not params.get("service_id"):
            problems.append("service_name: required with state present (or service_id)")
        for name in ("start_date_time", "end_date_time"):
            if not params.get(name):
                problems.append("%s: required with state present" % name)
    if state != "cancelled" and params.get("cancellation_message") is not None:
        problems.append("cancellation_message: only with state cancelled")
    zone = None
    if params.get("time_zone") is not None:
        zone, problem = zone_info(params["time_zone"], "time_zone")
        problems += [problem] if problem else []
    desired = model.desired_view(params, [name for name in APPOINTMENT_FIELDS if name not in
                                          ("start_date_time", "end_date_time", "customers", "reminders",
                                           "customer_time_zone")])
    for name in ("start_date_time", "end_date_time"):
        if params.get(name) is not None:
            desired[name], problem = instant(params[name], name, zone)
            problems += [problem] if problem else []
    if desired.get("start_date_time") and desired.get("end_date_time") and \
            desired["end_date_time"] <= desired["start_date_time"]:
        problems.append("end_date_time: %s is not after start_date_time %s"
                        % (params["end_date_time"], params["start_date_time"]))
    for name in ("pre_buffer", "post_buffer"):
        problems += _duration_problems(params.get(name), name)
    problems += [problem for index, reminder in enumerate(params.get("reminders") or [])
                 for problem in _duration_problems(reminder["offset"], "reminders[%d].offset" % index)]
    if params.get("customer_time_zone") is not None:
        zone_problem = zone_info(params["customer_time_zone"], "customer_time_zone")[1]
        problems += [zone_problem] if zone_problem else []
        desired["customer_time_zone"] = time_zones.iana_name(params["customer_time_zone"])  # samples use IANA
    if params.get("reminders") is not None and not any("reminders[" in problem for problem in problems):
        desired["reminders"] = _reminders(params, "reminders")
    problems += _emails_problems(params.get("staff"), "staff")
    if params.get("customers") is not None:
        customers, seen = [], {}
        for index, customer in enumerate(params["customers"]):
            where = "customers[%d]" % index
            problems += email_problems(customer.get("email_address"), where + ".email_address")
            if customer.get("phone") is not None:
                problems += phone_problems(customer["phone"], where + ".phone")
            if customer.get("name") is not None:
                problems += text_problems(customer["name"], where + ".name", 256)
            if customer.get("time_zone") is not None:
                zone_problem = zone_info(customer["time_zone"], where + ".time_zone")[1]
                problems += [zone_problem] if zone_problem else []
            key = (customer.get("email_address") or "").strip().casefold()
            if key in seen:
                problems.append("%s.email_address: %s is also customers[%d]: a customer is named once"
                                % (where, customer["email_address"], seen[key]))
            seen[key] = index
            customers.append({k: (v.strip() if k == "email_address" else
                                  time_zones.iana_name(v) if k == "time_zone" and isinstance(v, str) else v)
                              for k, v in customer.items() if v is not None})
        desired["customers"] = customers
    problems += _text_fields(params, ("service_notes", "customer_notes", "additional_information",
                                      "cancellation_message"))
    if params.get("external_id"):
        desired["appointment_label"] = appointment_label(params["external_id"])
    return desired, problems


class References:
    """What appointments name by name, read once for a task (one $batch): the business's services and staff members
    (and the business itself when an application signs in: its hours and scheduling policy, for Graph's rules)."""

    def __init__(self, client, business_id, strict):
        base = business_path(business_id)
        paths = [base + "/services", base + "/staffMembers"] + ([base] if strict else [])
        bodies = get_all(client, paths)
        self.services = _by_id(bodies[0].get("value") or [])
        self.staff = _by_id(bodies[1].get("value") or [])
        self.business = bodies[2] if strict else None
        self.now = datetime.datetime.now(datetime.timezone.utc)
        self.client, self.business_id, self._customers = client, business_id, None

    def resolve(self, params, desired):
        """Complete ``desired`` with the service's and the staff's IDs, and the customers' IDs when the service is
        for more than one attendee; the problems (unknown service, staff or customer), unprefixed."""
        problems = []
        service, problem = _service(self.services, params)
        problems += [problem] if problem else []
        if service is not None:
            desired["service_id"] = service["id"]
            if (service.get("maximum_attendees_count") or 1) > 1 and desired.get("customers"):
                problems += self._link_customers(service, desired["customers"])
        if params.get("staff") is not None:
            desired["staff_member_ids"], more = _staff_ids(self.staff, params["staff"], "staff")
            problems += more
        return problems

    def _link_customers(self, service, customers):
        """Section 8: a service for more than one attendee books existing customers by their ID ("pass valid customer
        IDs"): each customer's ``customer_id``, found by e-mail address in the business's customers (read once, on
        the first such appointment); the problems, naming the customer."""
        if self._customers is None:
            self._customers = {}
            for entry in get_all(self.client, [business_path(self.business_id) + "/customers"])[0].get("value") or []:
                view = model.from_graph(entry)
                self._customers.setdefault(model.customer_key(view), []).append(view["id"])
        problems = []
        for index, customer in enumerate(customers):
            found, address = self._customers.get(model.customer_key(customer)) or [], customer.get("email_address")
            if len(found) == 1:
                customer["customer_id"] = found[0]
            elif found:
                problems.append("customers[%d].email_address: %d customers of business %s have the address %s"
                                % (index, len(found), self.business_id, address))
            else:
                problems.append("customers[%d].email_address: %s is not a customer of business %s; %s "
                                "(maximum_attendees_count %d) books existing customers: create it first "
                                "(booking_customer)" % (index, address, self.business_id, service.get("display_name"),
                                                        service["maximum_attendees_count"]))
        return problems

    @property
    def rules(self):
        """Graph's rules for application sign-ins, for the engine to check on what an item would write (an item
        that writes nothing is not held to them: a booking inside the lead time stays as it is); None when a user
        signs in (a user's bookings are not held to them)."""
        if self.business is None:
            return None

        def check(view):
            service = self.services.get(view.get("service_id"))
            if service is None:
                return []
            return application_rules(self.business, service, self.staff, view, self.now)
        return check

    def returned(self, view):
        """An appointment view as a module returns it: its external_id, and its staff by e-mail."""
        if view:
            view["external_id"] = external_id_of(view)
            if self.staff:
                view["staff"] = _staff_emails(self.staff, view.get("staff_member_ids"))
        return view


def engine(module, kind, concurrency=1):
    """The engine of a Bookings task: one kind, the module's client (made when first needed) and check mode."""
    return Reconciler(module.client, module.check_mode, concurrency=concurrency, kinds=(kind,))


def unresolved(module, problems):
    """Names the task gives that the business does not have: problems, or warnings in check mode (the engine's
    ``unresolved``)."""
    return engine(module, APPOINTMENT).unresolved(problems, module.warn)


def appointment_item(params, desired, where, listed=None, rules=None):
    """The engine's item of one appointment (``params``: the options of booking_appointment)."""
    return BookingItem(where, APPOINTMENT.name, params["state"], desired, business_id=params["business_id"],
                       resource_id=params.get("appointment_id"),
                       key=appointment_label(params["external_id"]) if params.get("external_id") else None,
                       message=params.get("cancellation_message"), listed=listed, rules=rules)


def booking_appointment(module):
    params = module.params
    desired, problems = appointment_problems(params)
    _fail_if(problems)
    references = None
    if params["state"] == "present":
        references = References(module.client(), params["business_id"], app_only(module))
        _fail_if(unresolved(module, references.resolve(params, desired)))
    item = appointment_item(params, desired, "booking appointment %s" % (params.get("external_id")
                                                                         or params.get("appointment_id")),
                            rules=references.rules if references is not None else None)
    out, result = _reconcile(module, APPOINTMENT, item, "booking_appointment")
    if references is not None:
        references.returned(out["booking_appointment"])
    elif out["booking_appointment"]:
        out["booking_appointment"]["external_id"] = external_id_of(out["booking_appointment"])
    if not out["booking_appointment"] and result.parts[APPOINTMENT.name].before:
        out["appointment_id"] = result.parts[APPOINTMENT.name].before.get("id")
    return out


def _service(services, params):
    """The appointment's service, by service_id or service_name; (view, problem)."""
    if params.get("service_id"):
        service = services.get(params["service_id"])
        if service is None:
            return None, "service_id: %s is not a service of business %s" % (
                params["service_id"], params["business_id"])
        return service, None
    found = [view for view in services.values() if model.matches(view, "display_name", params["service_name"])]
    if not found:
        return None, "service_name: %s is not a service of business %s (%s)" % (
            params["service_name"], params["business_id"],
            "its services: " + ", ".join(sorted(v["display_name"] for v in services.values()))
            if services else "it has none")
    if len(found) > 1:
        return None, "service_name: %d services of business %s are named %s: give service_id" % (
            len(found), params["business_id"], params["service_name"])
    return found[0], None


def application_rules(business_body, service, staff_views, desired, now):
    """Section 6: what Graph refuses when an application (not a user) books - checked before any write, naming the
    field.  Staff is required and must be selectable; the duration is the service's; the start respects the lead
    time and the maximum advance (the service's policy over the business's); the time lies within the business
    hours, read in the time zone of the first staff member (else UTC) [inf: Graph's v1.0 business has no time
    zone property]."""
    problems = []
    business = model.from_graph(business_body)
    policy = dict(business.get("scheduling_policy") or {})
    policy.update({k: v for k, v in (service.get("scheduling_policy") or {}).items() if v is not None})
    staff_ids = desired.get("staff_member_ids") or []
    if not staff_ids:
        problems.append("staff: required when the application signs in (Graph answers 400 'Invalid Staff' without "
                        "it, section 6 of the Bookings rules)")
    elif policy.get("allow_staff_selection") is False:
        problems.append("staff: the scheduling policy of service %s does not allow staff selection "
                        "(allow_staff_selection: false), which application sign-ins need to name staff"
                        % service.get("display_name"))
    start = model.parse_instant(desired["start_date_time"])
    end = model.parse_instant(desired["end_date_time"])
    length = (end - start).total_seconds()
    if service.get("default_duration") and length != model.duration_seconds(service["default_duration"]):
        problems.append("end_date_time: the appointment lasts %s but service %s lasts %s; with application "
                        "permissions Graph takes only the service's duration" % (
                            model.format_duration(length), service.get("display_name"), service["default_duration"]))
    if policy.get("minimum_lead_time") and start < now + datetime.timedelta(
            seconds=model.duration_seconds(policy["minimum_lead_time"])):
        problems.append("start_date_time: %s is sooner than the minimum lead time %s of the scheduling policy"
                        % (desired["start_date_time"], policy["minimum_lead_time"]))
    if policy.get("maximum_advance") and start > now + datetime.timedelta(
            seconds=model.duration_seconds(policy["maximum_advance"])):
        problems.append("start_date_time: %s is later than the maximum advance %s of the scheduling policy"
                        % (desired["start_date_time"], policy["maximum_advance"]))
    zone_name = (staff_views.get(staff_ids[0]) or {}).get("time_zone") if staff_ids else None
    zone = zone_info(zone_name, "time_zone")[0] if zone_name else None
    if not within_hours(business.get("business_hours"), start, end, zone or datetime.timezone.utc):
        problems.append("start_date_time: %s to %s is outside the business hours of %s (in %s)" % (
            desired["start_date_time"], desired["end_date_time"], business.get("display_name"),
            zone_name or "UTC"))
    return problems


def within_hours(hours, start, end, zone):
    """Whether [start, end] lies within one time slot of the business hours of its day, in ``zone``."""
    if not hours:
        return True  # no hours read: nothing to hold it to
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.date() != local_end.date() and local_end.time() != datetime.time(0):
        return False
    day = DAYS[local_start.weekday()]
    begin = local_start.strftime("%H:%M:%S")
    finish = "24:00:00" if local_end.time() == datetime.time(0) and local_end > local_start else \
        local_end.strftime("%H:%M:%S")
    for entry in hours:
        if entry.get("day") == day:
            for slot in entry.get("time_slots") or []:
                if slot.get("start_time") <= begin and finish <= slot.get("end_time"):
                    return True
    return False


# -- booking_info ----------------------------------------------------------------------------------------------------
def booking_info(module):
    params = module.params
    problems = business_id_problems(params.get("business_id"))
    if params.get("query") is not None:
        problems += text_problems(params["query"], "query", 256)
    window = []
    for name in ("window_start", "window_end"):
        if params.get(name) is not None:
            text, problem = instant(params[name], name, None)
            problems += [problem] if problem else []
            window.append(text)
    if params.get("business_id") is not None:
        if "appointments" in params["include"] and len(window) != 2:
            problems.append("window_start, window_end: both required to read appointments (Graph's calendarView)")
        if params.get("query") is not None:
            problems.append("query: filters the list of businesses, read only without business_id")
    if len(window) == 2 and window[0] and window[1] and window[1] <= window[0]:
        problems.append("window_end: %s is not after window_start %s"
                        % (params["window_end"], params["window_start"]))
    _fail_if(problems)
    client = module.client()
    if params.get("business_id") is None:
        path = business_path() + ("?query=" + graph_path(("query", params["query"]))[1:] if params.get("query") else "")
        body = get_all(client, [path])[0]
        return {"changed": False, "booking_businesses": model.from_graph(body.get("value") or [])}
    base = business_path(params["business_id"])
    sections = [name for name in INFO_SECTIONS if name in params["include"]]
    paths = [base]
    segments = {"services": "/services", "staff_members": "/staffMembers", "custom_questions": "/customQuestions",
                "customers": "/customers"}
    for name in sections:
        if name == "appointments":
            paths.append(base + "/calendarView?start=%s&end=%s"
                         % (graph_path(("start", window[0]))[1:], graph_path(("end", window[1]))[1:]))
        else:
            paths.append(base + segments[name])
    bodies = get_all(client, paths)
    out = {"changed": False, "booking_business": model.from_graph(bodies[0])}
    for name, body in zip(sections, bodies[1:]):
        values = body.get("value") or []
        if name == "appointments" and params["appointment_details"] and values:
            # calendarView leaves out customers, reminders and notes (section 5): each one read by ID, in $batch.
            values = get_all(client, [APPOINTMENT.address(appointment_item(
                {"business_id": params["business_id"], "state": "present"}, {}, ""), value["id"])
                for value in values])
        values = model.from_graph(values)
        if name == "appointments":
            for view in values:
                view["external_id"] = external_id_of(view)
        out[name] = values
    return out
