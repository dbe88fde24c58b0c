# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``booking_appointment_batch``: the appointments of one Bookings business reconciled in one task.

The order of a run, every step before the first write:

1. gather the items (the task's ``appointments``, an export file's) and check each one by the options of
   booking_appointment (types by its argument spec, then the same field rules), and keys given twice;
2. read the business's services and staff members once (``bookings.References``) and resolve every item's service
   and staff, with Graph's rules for application sign-ins;
3. read the business's appointments once - the list (or calendarView for a window), every page - and give each item
   the entry found there by its key (the engine then reads by ID only the ones whose compared fields the list leaves
   out: customers, reminders, notes);
4. purge: the appointments that carry the collection's key but are named by no item are deleted - within the guard
   (none when the task names nothing, not more than ``purge_limit`` without ``purge_all``);

then the engine (reconcile.Reconciler with the appointment kind) plans and writes through ``$batch``, at most
``concurrency`` calls in flight (Graph allows four concurrent requests per app per business mailbox).

The key in each appointment's label is what the collection made: it is written with the appointment, so it needs no
file and survives any container; purge never touches an appointment without it (one made elsewhere, or adopted by
its ``appointment_id``)."""

from __future__ import annotations

import math

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings, exports, items, ledger
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import bookings_model as model
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.batch import BatchFailed
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    ValidationError, error_dict)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kind_booking import (
    APPOINTMENT, KEY_PREFIX, appointment_label, business_path, external_id_of)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import (
    CANCELLED, CREATED, DELETED, FAILED, UNCHANGED, UPDATED)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.validate import show

MAX_CONCURRENCY = 4  # Graph: four concurrent requests per app per business mailbox (bookings-api.md 10)
ITEM_SPEC = {key: value for key, value in bookings.APPOINTMENT_OPTIONS.items() if key != "business_id"}
STRING_OPTIONS = tuple(key for key, value in ITEM_SPEC.items() if value.get("type") == "str")
BATCH_OPTIONS = dict(
    business_id=dict(type="str", required=True),
    appointments=dict(type="list", elements="dict", default=[]),
    appointments_file=dict(type="dict", options=dict(
        path=dict(type="path", required=True),
        format=dict(type="str", choices=list(exports.FORMATS), default="auto"),
    )),
    window_start=dict(type="str"),
    window_end=dict(type="str"),
    purge=dict(type="bool", default=False),
    purge_all=dict(type="bool", default=False),
    purge_limit=dict(type="str", default=ledger.DEFAULT_PURGE_LIMIT),
    concurrency=dict(type="int", default=MAX_CONCURRENCY),
)


# -- the items, checked before any request ---------------------------------------------------------------------------
def item_params(where, item, business_id):
    """(the item as booking_appointment's options, problems naming ``where``): types, choices and defaults by the
    module's argument spec (a CSV cell's ``true`` is a bool), text options given as text only (YAML's 0755 is not
    the text 0755)."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel
    if not isinstance(item, dict):
        return None, ["%s: must be a mapping, got %s" % (where, "null" if item is None else type(item).__name__)]
    problems = ["%s.%s: must be text, got %s" % (where, key, show(item[key])) for key in STRING_OPTIONS
                if item.get(key) is not None and not isinstance(item[key], str)]
    unknown = sorted(str(key) for key in item if key not in ITEM_SPEC)
    if unknown:
        problems.append("%s: unknown key(s) %s; an item has the options of booking_appointment but business_id"
                        % (where, ", ".join(show(key) if len(key) > 60 else key for key in unknown)))
        item = {key: value for key, value in item.items() if key in ITEM_SPEC}
    validated = ArgumentSpecValidator(ITEM_SPEC).validate(dict(item))
    problems += ["%s: %s" % (where, message) for message in validated.error_messages]
    if problems:
        return None, problems
    params = dict(validated.validated_parameters, business_id=business_id)
    return params, []


def item_problems(where, item):
    """One export item's problems (exports.Schema)."""
    return item_params(where, item, "business@example.com")[1]


def _duplicate(seen, where, item):
    """[the problem] when ``item`` repeats an external_id (exactly) or an appointment_id already in ``seen``."""
    problems = []
    for key in ("external_id", "appointment_id"):
        value = item.get(key) if isinstance(item, dict) else None
        if isinstance(value, str) and value:
            if (key, value) in seen:
                problems.append("%s.%s: %s is also %s" % (where, key, value, seen[(key, value)].split(" (", 1)[0]))
            seen.setdefault((key, value), where)
    return problems


BOOKINGS = exports.Schema(item_problems, _duplicate, tuple(ITEM_SPEC), ("customers", "staff", "reminders"),
                          "customers", {"customer_name": "name", "customer_email_address": "email_address",
                                        "customer_phone": "phone", "customer_time_zone_name": "time_zone"})


def gather(params):
    """[(where, params of booking_appointment, desired view)] of every item, checked; what the export file held."""
    entries, source, problems = checked_entries(params)
    if problems:
        raise ValidationError(problems)
    return entries, source


def checked_entries(params):
    """The items that passed their own checks, what the export file held, and every problem found."""
    given = items.entries_of("appointments", params["appointments"] or [])
    problems, source = [], None
    if params["concurrency"] < 1 or params["concurrency"] > MAX_CONCURRENCY:
        problems.append("concurrency: between 1 and %d (Graph allows %d concurrent requests per app per business "
                        "mailbox)" % (MAX_CONCURRENCY, MAX_CONCURRENCY))
    problems += [problem for problem in [ledger.parse_limit(params["purge_limit"])[1]] if problem]
    if (params.get("window_start") is None) != (params.get("window_end") is None):
        problems.append("window_start, window_end: give both (calendarView) or neither (the whole list)")
    if params["appointments_file"]:
        from_file, source = exports.read_export(params["appointments_file"]["path"],
                                                params["appointments_file"]["format"], schema=BOOKINGS)
        given += from_file
    entries, seen = [], {}
    for where, item in given:
        checked, more = item_params(where, item, params["business_id"])
        problems += more + _duplicate(seen, where, item)
        if checked is not None:
            desired, more = bookings.appointment_problems(checked)
            problems += ["%s.%s" % (where, problem) for problem in more]
            entries.append((where, checked, desired))
    return entries, source, problems


def window(params):
    """The calendarView window as UTC texts, or None (the whole list)."""
    if params.get("window_start") is None:
        return None
    out, problems = [], []
    for name in ("window_start", "window_end"):
        text, problem = bookings.instant(params[name], name)
        out.append(text)
        problems += [problem] if problem else []
    if not problems and out[1] <= out[0]:
        problems.append("window_end: %s is not after window_start %s" % (params["window_end"], params["window_start"]))
    if problems:
        raise ValidationError(problems)
    return out


def listing_path(business_id, span):
    base = business_path(business_id)
    if span is None:
        return base + "/appointments"
    return base + "/calendarView?start=%s&end=%s" % (
        graph_path(("start", span[0]))[1:], graph_path(("end", span[1]))[1:])


# -- purge -----------------------------------------------------------------------------------------------------------
def purge_entries(entries, listed, params):
    """The appointments to delete (carrying the collection's key, named by no item), refused beyond the guard."""
    named = {checked.get("external_id") for _where, checked, _desired in entries}
    keyed = [entry for entry in listed if external_id_of({"appointment_label": entry.get("appointmentLabel")})]
    purged = [entry for entry in keyed
              if external_id_of({"appointment_label": entry.get("appointmentLabel")}) not in named]
    if not purged or params["purge_all"]:
        return purged
    if not entries:
        raise ValidationError("purge: the task gives no appointment for business %s (an empty or missing list - a typo "
                              "in the variable name?), so purge would delete all %d appointments that carry the "
                              "collection's key; nothing was sent. Set purge_all: true to purge them all"
                              % (params["business_id"], len(purged)))
    kind, number = ledger.parse_limit(params["purge_limit"])[0]
    allowed = number if kind == "count" else math.ceil(len(keyed) * number / 100.0)
    if len(purged) > allowed:
        raise ValidationError("purge: would delete %d of the %d appointments of business %s that carry the "
                              "collection's key, more than purge_limit %s allows (%d); nothing was sent. If that is "
                              "intended, raise purge_limit (such as 100%%) or set purge_all: true"
                              % (len(purged), len(keyed), params["business_id"], params["purge_limit"], allowed))
    return purged


# -- the run ---------------------------------------------------------------------------------------------------------
def run(module):
    params = module.params
    problems = bookings.business_id_problems(params["business_id"])
    if problems:
        raise ValidationError(problems)
    entries, source, problems = checked_entries(params)
    span = window(params)
    references = None
    if any(checked["state"] == "present" for _where, checked, _desired in entries):
        # Read even when some items failed their own checks: the message then names every problem at once.
        client = module.client(concurrency=params["concurrency"])
        references = bookings.References(client, params["business_id"], bookings.app_only(module))
        problems += bookings.unresolved(module, [
            "%s.%s" % (where, problem) for where, checked, desired in entries if checked["state"] == "present"
            for problem in references.resolve(checked, desired)])
    if problems:
        raise ValidationError(problems)
    client = module.client(concurrency=params["concurrency"])
    listed = bookings.get_all(client, [listing_path(params["business_id"], span)])[0].get("value") or []
    by_label = {entry.get("appointmentLabel"): entry for entry in listed
                if str(entry.get("appointmentLabel") or "").startswith(KEY_PREFIX)}
    by_id = {entry.get("id"): entry for entry in listed}
    work = []
    for where, checked, desired in entries:
        if checked.get("external_id"):
            found = by_label.get(appointment_label(checked["external_id"]), False)
        else:
            found = by_id.get(checked.get("appointment_id"), False)
        work.append((where, checked, bookings.appointment_item(
            checked, desired, where, listed=found, rules=references.rules if references is not None else None)))
    if params["purge"]:
        for entry in purge_entries(entries, listed, params):
            external_id = external_id_of({"appointment_label": entry.get("appointmentLabel")})
            checked = {"business_id": params["business_id"], "external_id": external_id, "state": "absent",
                       "appointment_id": None, "cancellation_message": None}
            where = "business %s (purge) (external_id %s)" % (params["business_id"], external_id)
            work.append((where, checked, bookings.appointment_item(checked, {}, where, listed=entry)))
    results = bookings.engine(module, APPOINTMENT, params["concurrency"]).run([pair[2] for pair in work], progress=getattr(module, "progress", None))
    out = [item_result(checked, result, module.diff_mode, references) for (_w, checked, _i), result
           in zip(work, results)]
    summary = {"total": len(out), "listed": len(listed)}
    for action in (CREATED, UPDATED, CANCELLED, DELETED, UNCHANGED, FAILED):
        summary[action] = sum(1 for entry in out if entry["action"] == action)
    named = {entry.get("id") for entry in (result.parts[APPOINTMENT.name].before for result in results) if entry}
    unmanaged = [unmanaged_entry(entry) for entry in listed if entry.get("id") not in named]
    summary["unmanaged"] = len(unmanaged)
    result = {"changed": any(r.changed for r in results), "appointments": out, "summary": summary,
              "unmanaged": unmanaged}
    if source is not None:
        result["source"] = source
    if module.diff_mode:
        result["diff"] = [{"before_header": "%s %s" % (where, r.action), "after_header": "%s %s" % (where, r.action),
                           "before": r.diff()["before"].get(APPOINTMENT.name, {}),
                           "after": r.diff()["after"].get(APPOINTMENT.name, {})}
                          for (where, _c, _i), r in zip(work, results) if r.changed]
    warned = set()
    for warning in (w for r in results for w in r.warnings):
        if warning not in warned:
            warned.add(warning)
            module.warn(warning)
    failed = [(index, entry) for index, entry in enumerate(out) if entry["action"] == FAILED]
    if failed:
        raise BatchFailed(failed, [(where, checked) for where, checked, _i in work], result)
    return result


def unmanaged_entry(entry):
    """An appointment of the business that no item names (and purge did not take): made elsewhere, or keyed by an
    item that left the task."""
    view = {"appointment_label": entry.get("appointmentLabel")}
    return {"appointment_id": entry.get("id"), "external_id": external_id_of(view),
            "service_name": entry.get("serviceName"),
            "start_date_time": model.instant_from_graph(entry.get("startDateTime")),
            "end_date_time": model.instant_from_graph(entry.get("endDateTime"))}


def item_result(checked, result, diff_mode, references):
    """One item's result: its keys, what happened, the appointment's ID, time and join links."""
    view = result.view(APPOINTMENT.name) or {}
    before = result.parts[APPOINTMENT.name].before or {}
    out = {"external_id": checked.get("external_id"), "state": checked["state"], "action": result.action,
           "appointment_id": view.get("id") or before.get("id") or checked.get("appointment_id"),
           "start_date_time": view.get("start_date_time"), "end_date_time": view.get("end_date_time"),
           "join_web_url": view.get("join_web_url"), "anonymous_join_web_url": view.get("anonymous_join_web_url")}
    if references is not None and view.get("staff_member_ids") is not None:
        out["staff"] = references.returned(dict(view)).get("staff")
    if result.error is not None:
        out["error"] = error_dict(result.error)
    if diff_mode and result.changed:
        diff = result.diff()
        out["diff"] = {"before": diff["before"].get(APPOINTMENT.name, {}),
                       "after": diff["after"].get(APPOINTMENT.name, {})}
    return out
