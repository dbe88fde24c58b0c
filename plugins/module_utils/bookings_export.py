# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A business as Graph holds it, turned into the ``bookings`` role's variables (adopt / export), pure.

``role_vars(info)`` takes what ``booking_info`` read (the business, its services, staff members, custom questions
and appointments, each appointment read by ID for its customers) and returns ``bookings_business``,
``bookings_services``, ``bookings_staff``, ``bookings_custom_questions`` and ``bookings_appointments``: each object
projected onto the options of its module (only options the module has, only values that are set), with IDs turned
into the names the modules take (staff by e-mail, services and questions by name).  Provisioning from them writes
nothing: every value is in the form the module compares.  An appointment that carries the collection's key is
exported with its ``external_id``; one made elsewhere with its ``appointment_id``, which adopts it."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings

# Options that name or address the object, or say what to do with it: never exported as values.
NOT_VALUES = frozenset(("business_id", "state", "service_id", "staff_member_id", "question_id", "customer_id",
                        "appointment_id", "external_id", "cancellation_message", "published", "staff",
                        "custom_questions", "default_reminders", "reminders", "customers", "service_name",
                        "time_zone", "customer_notes"))


def project(view, spec):
    """The values of ``view`` (a snake_case view) for the options of ``spec``: dicts and lists of dicts by their
    suboptions, None left out."""
    out = {}
    for name, option in spec.items():
        if name in NOT_VALUES:
            continue
        value = (view or {}).get(name)
        if value is None:
            continue
        if option.get("type") == "dict" and option.get("options") and isinstance(value, dict):
            value = project(value, option["options"])
        elif option.get("type") == "list" and option.get("elements") == "dict" and option.get("options"):
            value = [project(element, option["options"]) for element in value if isinstance(element, dict)]
        out[name] = value
    return out


def _reminders(values):
    return [{"text": reminder.get("message"), "offset": reminder.get("offset"),
             "recipients": reminder.get("recipients") or "allAttendees"} for reminder in values or []]


def role_vars(info):
    """``booking_info``'s result (include everything, appointment details) -> the bookings role's variables."""
    business = info.get("booking_business") or {}
    staff_by_id = {member["id"]: member for member in info.get("staff_members") or []}
    questions_by_id = {question["id"]: question for question in info.get("custom_questions") or []}
    services = info.get("services") or []
    names = {}
    for service in services:
        names.setdefault((service.get("display_name") or "").casefold(), []).append(service["id"])

    out = {"bookings_business": dict(project(business, bookings.BUSINESS_OPTIONS),
                                     published=bool(business.get("is_published")))}
    out["bookings_staff"] = [project(member, bookings.STAFF_OPTIONS) for member in staff_by_id.values()]
    out["bookings_custom_questions"] = [project(question, bookings.QUESTION_OPTIONS)
                                        for question in questions_by_id.values()]
    out["bookings_services"] = []
    for service in services:
        entry = project(service, bookings.SERVICE_OPTIONS)
        entry["staff"] = [staff_by_id[i]["email_address"] for i in service.get("staff_member_ids") or []
                          if i in staff_by_id]
        entry["custom_questions"] = [{"display_name": questions_by_id[q["question_id"]]["display_name"],
                                      "is_required": bool(q.get("is_required"))}
                                     for q in service.get("custom_questions") or [] if q.get("question_id")
                                     in questions_by_id]
        entry["default_reminders"] = _reminders(service.get("default_reminders"))
        out["bookings_services"].append(entry)
    out["bookings_appointments"] = [appointment_vars(view, staff_by_id, names)
                                    for view in info.get("appointments") or []]
    return out


def appointment_vars(view, staff_by_id, names):
    """One appointment as an item of the role (booking_appointment's options without business_id)."""
    entry = project(view, bookings.APPOINTMENT_OPTIONS)
    if view.get("external_id"):
        entry["external_id"] = view["external_id"]
    else:
        entry["appointment_id"] = view["id"]
    same_name = names.get((view.get("service_name") or "").casefold(), [])
    if len(same_name) == 1 and same_name[0] == view.get("service_id"):
        entry["service_name"] = view["service_name"]
    else:
        entry["service_id"] = view.get("service_id")
    for name in ("start_date_time", "end_date_time"):
        entry[name] = view.get(name)
    entry["staff"] = [staff_by_id[i]["email_address"] for i in view.get("staff_member_ids") or []
                      if i in staff_by_id]
    if view.get("customers") is not None:
        entry["customers"] = [{key: customer[key] for key in ("name", "email_address", "phone")
                               if customer.get(key) is not None}
                              for customer in view["customers"] if customer.get("email_address")]
    if view.get("reminders") is not None:
        entry["reminders"] = _reminders(view["reminders"])
    return entry


# -- drift -----------------------------------------------------------------------------------------------------------
KEYS = {"services": "display_name", "staff": "email_address", "custom_questions": "display_name"}
INFO_SECTIONS = {"services": "services", "staff": "staff_members", "custom_questions": "custom_questions"}


def changed_fields(diff):
    """{field: {"inventory": desired, "graph": actual}} of the fields a check-mode diff shows changing."""
    before, after = (diff or {}).get("before") or {}, (diff or {}).get("after") or {}
    return {key: {"inventory": after.get(key), "graph": before.get(key)}
            for key in sorted(set(before) | set(after)) if before.get(key) != after.get(key)}


def drift(business_id, results, info=None):
    """What differs between the inventory and Graph for one business, from check-mode runs with diff:
    ``results`` maps ``business`` to booking_business's result, ``services``, ``staff`` and ``custom_questions`` to
    lists of (key, result) pairs of their modules, and ``appointments`` to booking_appointment_batch's result;
    ``info`` (booking_info's result) lists what Graph holds, for the unmanaged services, staff and questions.

    ``missing``: in the inventory, not in Graph (a check run would create it); ``different``: in both, with the
    fields that differ (inventory and Graph values); ``unmanaged``: in Graph, named by nothing in the inventory."""
    out = {"business_id": business_id, "missing": [], "different": [], "unmanaged": []}

    def classify(kind, key, result):
        action = (result or {}).get("action")
        if action == "created":
            out["missing"].append({"kind": kind, "key": key})
        elif action in ("updated", "cancelled", "deleted"):
            fields = changed_fields(result.get("diff"))
            if action != "updated":
                fields["state"] = {"inventory": result.get("state") or action, "graph": "present"}
            out["different"].append({"kind": kind, "key": key, "fields": fields})

    if results.get("business"):
        classify("business", business_id, results["business"])
    for kind in ("staff", "custom_questions", "services"):
        named = set()
        for key, result in results.get(kind) or []:
            named.add((key or "").casefold())
            classify(kind, key, result)
        if info is not None and INFO_SECTIONS[kind] in info:
            for entry in info[INFO_SECTIONS[kind]]:
                if (entry.get(KEYS[kind]) or "").casefold() not in named:
                    out["unmanaged"].append({"kind": kind, "key": entry.get(KEYS[kind]), "id": entry.get("id")})
    batch = results.get("appointments") or {}
    for entry in batch.get("appointments") or []:
        key = entry.get("external_id") or entry.get("appointment_id")
        classify("appointments", key, entry)
    for entry in batch.get("unmanaged") or []:
        out["unmanaged"].append(dict({"kind": "appointments", "key": entry.get("external_id")
                                      or entry.get("appointment_id")}, **entry))
    out["drift"] = bool(out["missing"] or out["different"] or out["unmanaged"])
    return out


def drift_markdown(reports):
    """The drift of every business as Markdown (drift.md)."""
    lines = ["# Bookings drift", ""]
    total = sum(len(r["missing"]) + len(r["different"]) + len(r["unmanaged"]) for r in reports)
    lines.append("%d difference%s in %d business%s."
                 % (total, "" if total == 1 else "s", len(reports), "" if len(reports) == 1 else "es"))
    for report in reports:
        lines += ["", "## %s" % report["business_id"], ""]
        if not report["drift"]:
            lines.append("No drift.")
            continue
        for title, name in (("Missing from Graph", "missing"), ("Different", "different"),
                            ("Unmanaged (in Graph, not in the inventory)", "unmanaged")):
            if not report[name]:
                continue
            lines += ["### %s" % title, ""]
            for entry in report[name]:
                line = "- %s `%s`" % (entry["kind"], entry["key"])
                if name == "different":
                    line += ": " + "; ".join("%s: inventory %s, Graph %s" % (field, _shown(values["inventory"]),
                                                                             _shown(values["graph"]))
                                             for field, values in entry["fields"].items())
                elif entry.get("start_date_time"):
                    line += " (%s)" % entry["start_date_time"]
                lines.append(line)
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _shown(value):
    text = "%s" % (value,)
    return "`%s`" % (text if len(text) <= 80 else text[:77] + "...")
