# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The single-resource modules, each the batch of one through the one engine: ``online_meeting``,
``virtual_appointment``, ``virtual_appointment_info`` and ``virtual_appointment_sms``.

Each function is a module's ``run(module)``: it checks the options before any request (the same rules as the batch),
reconciles (or reads) through reconcile.Reconciler, and returns the result.  The module files hold only their
documentation, their argument spec and ``main()``."""

from __future__ import annotations

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models, organizers, sms
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import Predicted
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import (
    Item, Reconciler, read_appointments)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    APP_ONLY_METHODS, appointment_problems, delegated_only, id_problems, ids_problems, meeting_problems)

GLOBAL_ONLY_WARNING = ("Microsoft documents the virtual appointment SMS actions for the global cloud only; cloud is "
                       "%s.")


def _options(problems):
    """Problems named as the task's options (``options.subject`` -> ``subject``)."""
    return [problem.replace("options.", "", 1) for problem in problems]


def _object_id(module, client, user):
    """The organizer's object ID when the sign-in is the application's own (Graph takes no UPN then:
    organizers.py); ``user`` as given otherwise."""
    if user is None or module.settings.method not in APP_ONLY_METHODS:
        return user
    ids, errors = organizers.resolve(client, [user])
    for error in errors.values():
        raise error
    return organizers.object_id(ids, user)


def _reconcile_one(module, item, part):
    """Reconcile one item; fail with its error; the result dict's common part and the diff of ``part``."""
    client = module.client()
    item.user = _object_id(module, client, item.user)
    result = Reconciler(client, module.check_mode).run([item])[0]
    if result.error is not None:
        raise result.error
    out = {"changed": result.changed, "action": result.action}
    if module.diff_mode:
        diff = result.diff()
        out["diff"] = {"before": diff["before"].get(part, {}), "after": diff["after"].get(part, {})}
    return result, out


def online_meeting(module):
    """online_meeting: a meeting ensured by external ID (createOrGet), updated, or deleted."""
    params = module.params
    problems = meeting_problems(params, "options")
    if params["state"] == "absent" and not params.get("online_meeting_id"):
        problems.append("options.online_meeting_id: required with state absent (Graph cannot look a meeting up "
                        "by external_id without creating it)")
    if params["state"] == "present" and not params.get("external_id") and not params.get("online_meeting_id"):
        problems.append("options.external_id: required with state present (or online_meeting_id of a meeting "
                        "that exists)")
    if problems:
        raise ValidationError(_options(problems))
    item = Item("online meeting", user=params.get("user"), meeting_id=params.get("online_meeting_id"),
                external_id=params.get("external_id"), states={"meeting": params["state"]},
                desired={"meeting": models.desired_meeting(params)})
    result, out = _reconcile_one(module, item, "meeting")
    out["online_meeting"] = result.view("meeting") or {}
    return out


def virtual_appointment(module):
    """virtual_appointment: the appointment of a known meeting, created, updated or deleted."""
    params = module.params
    problems = appointment_problems({k: params.get(k) for k in models.APPOINTMENT_FIELDS}, "options")
    problems += ids_problems({"online_meeting_id": params["online_meeting_id"] or "", "user": params.get("user")},
                             "options")
    if problems:
        raise ValidationError(_options(problems))
    item = Item("virtual appointment", user=params.get("user"), meeting_id=params["online_meeting_id"],
                states={"appointment": params["state"]}, desired={"appointment": models.desired_appointment(params)})
    result, out = _reconcile_one(module, item, "appointment")
    out.update(online_meeting_id=params["online_meeting_id"], virtual_appointment=result.view("appointment") or {})
    return out


def virtual_appointment_info(module):
    """virtual_appointment_info: the appointments of many meetings (and their client join URLs), read in $batch."""
    params = module.params
    ids = params["online_meeting_ids"]
    # The same ID rule as every module, before any request: IDs end up in URL paths.
    problems = [problem for index, value in enumerate(ids)
                for problem in id_problems(value, "online_meeting_ids[%d]" % index, "online_meeting_id")]
    if params.get("user") is not None:
        problems += id_problems(params["user"], "user", "user")
    if params["include_join_web_url"]:
        problems += delegated_only(params, "include_join_web_url", "the client join link (getVirtualAppointmentJoinWebUrl)")
    if problems:
        raise ValidationError(problems)
    client = module.client()
    user = _object_id(module, client, params.get("user"))
    answers = read_appointments(client, [(user, mid) for mid in ids], include_join_web_url=params["include_join_web_url"])
    entries = []
    for meeting_id, (view, join, error) in zip(ids, answers):
        if error is not None:
            raise error
        entry = {"online_meeting_id": meeting_id, "exists": view is not None, "virtual_appointment": view or {}}
        if params["include_join_web_url"]:
            entry["join_web_url"] = join
        entries.append(entry)
    return {"changed": False, "virtual_appointments": entries}


def virtual_appointment_sms(module):
    """virtual_appointment_sms: one SMS, sent through the engine's write function (nothing in check mode)."""
    params = module.params
    problems = _options(ids_problems({"online_meeting_id": params["online_meeting_id"] or "",
                                      "user": params.get("user")}, "options"))
    operation = None
    try:
        operation = sms.sms_operation(params.get("user"), params["online_meeting_id"], params["message_type"],
                                      params["attendees"], params.get("remind_before"))
    except ValidationError as exc:
        named = set(problem.split(":", 1)[0] for problem in problems)
        problems += [problem for problem in exc.problems if problem.split(":", 1)[0] not in named]
    problems += delegated_only(params, "auth_method", "the virtual appointment SMS (%s)" % sms.SMS_ACTION)
    if problems:
        raise ValidationError(problems)
    for warning in operation["warnings"]:
        module.warn(warning)
    if (params.get("cloud") or "global") != "global":
        module.warn(GLOBAL_ONLY_WARNING % params["cloud"])
    out = {"changed": True, "sent": False, "graph_action": operation["action"], "request_body": operation["body"],
           "online_meeting_id": params["online_meeting_id"], "message_type": params["message_type"]}
    if module.diff_mode:
        out["diff"] = {"before": {}, "after": {"graph_action": operation["action"], "request_body": operation["body"]}}
    # A request of its own, as the SMS action is one call; the client (so the sign-in) is made only when it is sent.
    answer = Reconciler(module.client, module.check_mode).write([{
        "method": operation["method"], "path": operation["path"], "body": operation["body"], "direct": True,
        "predict": (202, None)}])[0]
    if isinstance(answer, Predicted):
        return out
    if not answer.ok:
        raise answer.error
    headers = {key.lower(): value for key, value in answer.headers.items()}
    out.update(sent=True, status=answer.status, request_id=headers.get("request-id"),
               client_request_id=headers.get("client-request-id"))
    return out
