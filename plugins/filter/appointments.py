# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data work of the ``virtual_appointments`` role, as pure functions over plain data: what to send to the batch
module (ledger ids, purge, decommission), the ledger to keep after a run, and the report for the scheduling system.

Each filter is documented in the ``.yml`` file of the same name beside this one.
"""

from __future__ import annotations

import csv
import io

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import items
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.ledger import ledger_entries
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.plugin_utils.worker import plain, settled

LEDGER_FORMAT = 1
ACTIONS = ("created", "updated", "deleted", "unchanged", "failed")
REPORT_COLUMNS = ("external_id", "organizer", "online_meeting_id", "join_web_url", "appointment_client_join_web_url",
                  "client_join_web_url", "action")
MODES = ("provision", "report", "decommission")


def _entries(ledger, where="ledger"):
    """The ledger's ``appointments`` mapping (external_id -> {user, online_meeting_id}); {} for no ledger."""
    try:
        return ledger_entries(ledger, where)
    except ValidationError as exc:
        raise AnsibleFilterError(str(exc))


@settled
def appointments_plan(appointments, organizer=None, flat=None, ledger_enabled=False, purge=False, mode="provision"):
    """The inventory's items for the batch module, validated.

    ``appointments`` (the host's ``virtual_appointments``) take ``organizer`` as their default ``user``; ``flat``
    (``virtual_appointments_list``) items must name their ``user``.  Every problem of every item is reported at once,
    naming the role variable, the index, the external ID and the field.  ``mode=decommission`` sends no item (the
    batch module removes what the ledger lists).  Ledger meeting IDs and purge are the batch module's work
    (its ``ledger`` and ``purge`` options), so they apply to the export file's items too.  The items come back as
    plain values (plugin_utils/worker.py): thousands of them are cheaper for Ansible to finalize and send back, and
    for the module to hold, without their tags.
    """
    if mode not in MODES:
        raise AnsibleFilterError("virtual_appointments_mode must be one of %s, got %r" % (", ".join(MODES), mode))
    if purge and not ledger_enabled:
        raise AnsibleFilterError("virtual_appointments_purge needs virtual_appointments_ledger_dir: only what the "
                                 "ledger lists is ever purged")
    if mode == "decommission":
        if not ledger_enabled:
            raise AnsibleFilterError("decommission needs virtual_appointments_ledger_dir: it removes what the ledger "
                                     "lists")
        return []

    problems, entries = [], []
    for source, values in (("virtual_appointments", appointments), ("virtual_appointments_list", flat)):
        if values is None:
            continue
        if not isinstance(values, list):
            problems.append("%s: must be a list, got %s" % (source, type(values).__name__))
            continue
        for where, value in items.entries_of(source, values):
            item = dict(plain(value)) if isinstance(value, dict) else value  # the input stays as it is
            if isinstance(item, dict) and not item.get("user"):
                if source == "virtual_appointments_list":
                    problems.append("%s.user: required in virtual_appointments_list" % where)
                elif organizer:
                    item["user"] = organizer
            entries.append((where, item))
    problems += items.validate(entries)
    if problems:
        raise AnsibleFilterError("Invalid input: " + "; ".join(problems))
    return [item for where, item in entries]


def _absent(result):
    """Whether the item was sent with state absent: the batch module says so (``state``); without it, an absent item
    is one whose meeting was deleted or is gone (no join URL and nothing done)."""
    if result.get("state"):
        return result["state"] == "absent"
    return result.get("meeting_action") == "deleted" or result.get("action") == "deleted" or (
        result.get("action") == "unchanged" and not result.get("join_web_url"))


@settled
def appointments_ledger(results, previous=None, host=None, tenant=None):
    """The ledger after a run: ``previous`` updated from the batch module's per-item ``results``.  Meetings that exist
    are recorded; deleted ones are dropped; a failed item keeps what the ledger knew (and records a meeting that was
    created before the failure); entries no item mentions are kept."""
    entries = _entries(previous)
    for result in results or []:
        external_id, user = result.get("external_id"), result.get("user")
        if not external_id:
            continue
        meeting_id = result.get("online_meeting_id")
        current = entries.get(external_id)
        same = current is not None and items.fold(current["user"]) == items.fold(user)
        absent = _absent(result)
        if result.get("action") == "failed":
            if not absent and meeting_id and (current is None or same):
                entries[external_id] = {"user": user, "online_meeting_id": meeting_id}
        elif absent:
            if same:
                del entries[external_id]
        elif meeting_id:
            entries[external_id] = {"user": user, "online_meeting_id": meeting_id}
    return {"format": LEDGER_FORMAT, "host": host, "tenant": tenant,
            "appointments": {key: {"online_meeting_id": entries[key]["online_meeting_id"],
                                   "user": entries[key]["user"]} for key in sorted(entries)}}


def effective_action(item):
    """The item's action, counting a change of the meeting alone (subject, times) as an update: the batch module's
    ``action`` is the appointment's, ``meeting_action`` the meeting's."""
    action = item.get("action")
    if action == "unchanged" and item.get("meeting_action") in ("created", "updated", "deleted"):
        return "deleted" if item["meeting_action"] == "deleted" else "updated"
    return action


def _render(value, nested=False):
    """A compared value as short text: strings quoted at the top level, clients as 'Name <e-mail> phone'."""
    if isinstance(value, list):
        return "[%s]" % "; ".join(_render(v, True) for v in value)
    if isinstance(value, dict):
        if "email_address" in value or "display_name" in value:
            parts = [value.get("display_name") or "", "<%s>" % value["email_address"] if value.get("email_address")
                     else "", value.get("sms_capable_phone_number") or ""]
            return " ".join(part for part in parts if part)
        return ", ".join("%s=%s" % (k, _render(v, True)) for k, v in value.items() if v is not None)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and not nested:
        return repr(value)
    return str(value)


def _flatten(view, prefix=""):
    out = {}
    for key, value in (view or {}).items():
        path = "%s.%s" % (prefix, key) if prefix else key
        if isinstance(value, dict) and key != "appointment_clients":
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def changes(diff):
    """'field: before -> after' for every compared field that differs in a per-item diff ({before, after})."""
    if not isinstance(diff, dict):
        return []
    before, after = _flatten(diff.get("before")), _flatten(diff.get("after"))
    lines = []
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if path.endswith("appointment_clients") and isinstance(old, list) and isinstance(new, list):
            if sorted(_render(c) for c in old) == sorted(_render(c) for c in new):
                continue
        if old != new:
            lines.append("%s: %s -> %s" % (path, "(none)" if old is None else _render(old),
                                           "(none)" if new is None else _render(new)))
    return lines


@settled
def appointments_report(hostvars, hosts, check_mode=False):
    """One report over the organizer hosts of the play (``hosts``, read from ``hostvars``: the role's
    ``__virtual_appointments_outcome`` {host, tenant, organizer} and the registered ``virtual_appointments_batch``).
    Returns {check_mode, summary, organizers, appointments}: the rows carry the report columns, ``tenant``, ``error``
    for a failed item, ``changes`` for an updated one when the run was in diff mode, and with the batch's
    ``notify_sms`` ``notified`` (the SMS sent, or planned in check mode) or ``notify_error``."""
    outcomes = []
    for host in hosts or []:
        host_vars = hostvars[host] if host in hostvars else {}
        if "__virtual_appointments_outcome" not in host_vars:
            continue  # the role did not run for this host
        outcome = dict(host_vars["__virtual_appointments_outcome"])
        outcome["result"] = host_vars["virtual_appointments_batch"] if "virtual_appointments_batch" in host_vars \
            else {}
        outcomes.append(outcome)
    summary = dict.fromkeys(("total",) + ACTIONS, 0)
    organizers, rows = [], []
    report = {"check_mode": bool(check_mode), "summary": summary, "organizers": organizers, "appointments": rows}
    unclaimed = _unclaimed(outcomes)
    if unclaimed:
        report["unclaimed"] = unclaimed
    for outcome in outcomes:
        result = outcome.get("result") or {}
        host_summary = dict.fromkeys(("total",) + ACTIONS, 0)
        for item in result.get("appointments") or []:
            row = {column: item.get(column) for column in REPORT_COLUMNS}
            row["organizer"] = item.get("user")
            row["action"] = effective_action(item)
            row["tenant"] = outcome.get("tenant")
            if item.get("error"):
                _failure(row, item)
            if row["action"] == "updated" and item.get("diff"):
                row["changes"] = changes(item["diff"])
            note = item.get("notification")
            if isinstance(note, dict):  # the batch module's notify_sms
                if note.get("error"):
                    row["notify_error"] = note["error"].get("message") if isinstance(note["error"], dict) \
                        else note["error"]
                else:
                    row["notified"] = note.get("message_type")
            rows.append(row)
            host_summary["total"] += 1
            if row["action"] in host_summary:
                host_summary[row["action"]] += 1
        for key, count in host_summary.items():
            summary[key] += count
        entry = {"host": outcome.get("host"), "tenant": outcome.get("tenant"), "organizer": outcome.get("organizer"),
                 "summary": host_summary}
        if result.get("msg") and (host_summary["failed"] or not result.get("appointments")
                                  or (result.get("summary") or {}).get("notify_failed")):
            entry["error"] = result["msg"]
        organizers.append(entry)
    return report


# What a failed row carries of its error beside the message: the fields a support case needs.
ERROR_FIELDS = ("status", "code", "request_id", "client_request_id", "date", "retry_note")


def _failure(row, item):
    """A failed item's row: the whole error message (HTTP status, Graph code, request-id, why retrying stopped), the
    error's fields, and per part what was written and what was not (``meeting_action``, ``appointment_action``,
    ``failed_part``)."""
    error = item["error"]
    if isinstance(error, dict):
        row["error"] = error.get("message")
        row.update({"error_%s" % key if key in ("status", "code") else key: error.get(key)
                    for key in ERROR_FIELDS if error.get(key) is not None})
    else:
        row["error"] = error
    for key in ("meeting_action", "appointment_action", "failed_part"):
        if item.get(key) is not None:
            row[key] = item[key]


def _unclaimed(outcomes):
    """Items of an export file whose organizer is no organizer of the play: {path: {user: count}}."""
    organizers = {items.fold(outcome.get("organizer")) for outcome in outcomes}
    out = {}
    for outcome in outcomes:
        source = (outcome.get("result") or {}).get("source") or {}
        for user, count in (source.get("users") or {}).items():
            if items.fold(user) not in organizers:
                out.setdefault(source.get("path"), {})[user] = count
    return out


# A cell a spreadsheet would run as a formula (or that turns into one once a leading tab or CR is stripped).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell that a spreadsheet shows as text: a value starting with = + - @, a tab or a carriage return gets a
    single quote in front (OWASP CSV injection); report.json keeps the exact values."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@settled
def appointments_csv(report):
    """The report's rows as CSV (RFC 4180), with a header line of the report columns; cells that a spreadsheet
    would run as a formula are neutralised (``csv_cell``)."""
    rows = report.get("appointments", []) if isinstance(report, dict) else report
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    for row in rows or []:
        writer.writerow([csv_cell(row.get(column)) for column in REPORT_COLUMNS])
    return buffer.getvalue()


def _counts(summary, every=False):
    return ", ".join("%d %s" % (summary.get(action, 0), action) for action in ACTIONS
                     if every or summary.get(action))


@settled
def appointments_report_lines(report, limit=20):
    """Short human-readable lines: the totals, one line per organizer, and the first ``limit`` changes."""
    report = report or {}
    summary = report.get("summary") or {}
    organizers = report.get("organizers") or []
    # The report says whether it is a plan (a --check run or the report playbook) or what was done.
    planned = bool(report.get("check_mode"))
    verb = "would be" if planned else "were"
    total = summary.get("total", 0)
    lines = ["%d %s of %d %s %s: %s%s" % (
        total, _plural(total, "appointment"), len(organizers), _plural(len(organizers), "organizer"),
        "planned" if planned else "reconciled",
        _counts(summary, every=True), " (check mode: nothing was changed in Graph)" if planned else "")]
    for entry in organizers:
        line = "  %s (%s): %s" % (entry.get("host"), entry.get("organizer"),
                                  _counts(entry.get("summary") or {}) or "nothing to do")
        if entry.get("error") and not (entry.get("summary") or {}).get("total"):
            line += " - %s" % entry["error"]
        lines.append(line)
    for path, users in sorted((report.get("unclaimed") or {}).items()):
        lines.append("Left alone: %d appointments of %s belong to organizers not in this play: %s" % (
            sum(users.values()), path, ", ".join("%s (%d)" % (user or "(no user)", count)
                                                 for user, count in sorted(users.items()))))
    rows = report.get("appointments") or []
    changes = [row for row in rows if row.get("action") in ("created", "updated", "deleted")]
    failures = [row for row in rows if row.get("action") == "failed"]
    for found, whole, part in ((changes, "The changes that %s made:" % verb,
                                "The first %%d of the %%d changes that %s made:" % verb),
                               (failures, "The appointments that failed:",
                                "The first %d of the %d appointments that failed:")):
        shown = found[:limit] if limit else found
        if len(shown) < len(found):
            lines.append(part % (len(shown), len(found)))
        elif found:
            lines.append(whole)
        for row in shown:
            line = "  %-9s %s  %s" % (row.get("action"), row.get("external_id"), row.get("organizer"))
            if row.get("action") == "failed":
                line += "  (%s)" % _written(row)
            lines.append(line)
            lines.extend("      %s" % change for change in row.get("changes") or [])
    return lines


def _plural(count, noun):
    return noun if count == 1 else noun + "s"


def _written(row):
    """What a failed row's parts did, then its error: 'meeting created, appointment failed: Graph answered ...'."""
    parts = ["%s %s" % (part, row[part + "_action"]) for part in ("meeting", "appointment")
             if row.get(part + "_action")]
    if row.get("failed_part") == "notification":
        parts.append("cancellation SMS failed")
    text = ", ".join(parts)
    if row.get("error"):
        text = "%s: %s" % (text, row["error"]) if text else str(row["error"])
    return text or "failed"


_UNSET = object()


def appointments_tenant_groups(hostvars, host, variable="virtual_appointments_connection"):
    """The groups whose own variables give ``host`` its ``variable`` (the tenant's connection) and that compete: a
    group that sets it, is not an ancestor of another such group (a child group overriding its parent is
    deliberate), and gives a different value.  More than one means the host is in two tenant groups and Ansible
    would silently use one of them (unless the host sets the variable itself, which wins over every group).

    Group variables come from the inventory (inline ``vars``), its vars plugins (``group_vars/`` beside the inventory)
    and ``group_vars/`` beside the playbook - the places Ansible reads them from.  The values are compared as
    written, never templated.  [] when the inventory cannot be inspected (``hostvars`` is not Ansible's)."""
    try:
        from ansible.vars.plugins import (  # pylint: disable=import-outside-toplevel
            get_vars_from_inventory_sources, get_vars_from_path)
        inventory, loader = hostvars._inventory, hostvars._loader  # pylint: disable=protected-access
        sources = inventory._sources  # pylint: disable=protected-access
        target = inventory.get_host(host)
    except (AttributeError, ImportError):
        return []
    if target is None:
        return []

    def own(entity):
        """The value ``entity`` (a group or the host) sets itself, as written; ``_UNSET`` when it sets none."""
        found = _UNSET
        # Stage "task", as Ansible's VariableManager asks them while a play runs (vars plugins that ran when the
        # inventory was parsed put their values in get_vars()).
        for values in (entity.get_vars(), get_vars_from_inventory_sources(loader, sources, [entity], "task"),
                       get_vars_from_path(loader, loader.get_basedir(), [entity], "task")):
            found = values[variable] if variable in values else found
        return found

    if own(target) is not _UNSET:
        return []  # the host's own value wins over every group's
    setters = {group: own(group) for group in target.get_groups() if group.name != "all"}
    setters = {group: value for group, value in setters.items() if value is not _UNSET}
    leaves = [group for group in setters
              if not any(other is not group and group in other.get_ancestors() for other in setters)]
    distinct = []
    for group in sorted(leaves, key=lambda g: g.name):
        if all(setters[group] != setters[other] for other in distinct):
            distinct.append(group)
    return [group.name for group in distinct] if len(distinct) > 1 else []


class FilterModule:
    """Filters of the virtual_appointments role."""

    def filters(self):
        return {
            "appointments_plan": appointments_plan,
            "appointments_ledger": appointments_ledger,
            "appointments_report": appointments_report,
            "appointments_csv": appointments_csv,
            "appointments_report_lines": appointments_report_lines,
            "appointments_tenant_groups": appointments_tenant_groups,
        }
