"""Helpers of test_bookings.py (imported, never collected): the two sign-ins, playbooks as JSON (JSON is YAML: no
quoting surprises), tasks of the booking modules, markers that cut the emulator's request log into steps, and counts
of the log."""

import collections
import json

from tests.integration.test_targets import connections as target_connections

GROUP = "group/cloudcomms.virtual_appointments.graph"
NS = "cloudcomms.virtual_appointments."
MARKER = "/zz-marker-"
# A Tuesday in 2027, well past the default minimum lead time (P1D) and within the maximum advance (P365D) of the
# emulator's clock; 10:00 in Europe/Berlin is within the default business hours (Mon-Fri 08:00-17:00).
DAY = "2027-01-12"


def connections(emulator, tmp_path):
    """{"application": client secret, "delegated": username_password as the default user}: the targets' complete
    sets of the group's connection options (a task's entry for the group replaces the play's); the delegated token
    cache is always a file of the test's temp dir."""
    return target_connections(emulator, str(tmp_path / "token-cache.json"))


class Plays:
    """Builds playbooks for one test: ``plays.playbook(tasks, sign_in)``; ``plays.task(...)``; ``plays.mark(name)``."""

    def __init__(self, emulator, tmp_path):
        self.emulator = emulator
        self.conn = connections(emulator, tmp_path)
        self.staff_email = emulator.defaults["user_upn"]

    def play(self, tasks, sign_in="delegated", hosts="localhost", **extra):
        play = {"name": "bookings", "hosts": hosts, "gather_facts": False,
                "module_defaults": {GROUP: self.conn[sign_in]}, "tasks": list(tasks)}
        play.update(extra)
        return play

    def playbook(self, tasks, sign_in="delegated", **extra):
        return json.dumps([self.play(tasks, sign_in, **extra)], indent=1)

    def task(self, name, module, options, register=None, ignore=False, sign_in=None):
        task = {"name": name, NS + module: options}
        if register:
            task["register"] = register
        if ignore:
            task["ignore_errors"] = True
        if sign_in:
            task["module_defaults"] = {GROUP: self.conn[sign_in]}
        return task

    def mark(self, name):
        """A task whose only request is a GET of an unknown Graph path (a 404 the log records): it cuts the log into
        the steps of one playbook."""
        return {"name": "marker %s" % name, "ansible.builtin.uri": {
            "url": self.emulator.graph_url + "/v1.0" + MARKER + name, "status_code": [404],
            "validate_certs": False, "use_proxy": False}}

    # -- the objects of the first playbook ---------------------------------------------------------------------
    def business(self, name="Contoso Bank", register="business", **options):
        return self.task("business", "booking_business", dict({"display_name": name, "published": True},
                                                              **options), register=register)

    def staff(self, business_id="{{ business.booking_business.id }}", name="staff", **options):
        return self.task(name, "booking_staff_member", dict({
            "business_id": business_id, "email_address": self.staff_email, "display_name": "Adele Vance",
            "role": "administrator", "time_zone": "Europe/Berlin"}, **options))

    def service(self, business_id="{{ business.booking_business.id }}", name="service", **options):
        return self.task(name, "booking_service", dict({
            "business_id": business_id, "display_name": "Mortgage consultation", "default_duration": 30,
            "is_location_online": True, "is_anonymous_join_enabled": True, "staff": [self.staff_email]}, **options))

    def appointment(self, external_id, business_id="{{ business.booking_business.id }}", name=None, start="10:00",
                    end="10:30", day=DAY, ignore=False, sign_in=None, **options):
        values = {"business_id": business_id, "external_id": external_id, "service_name": "Mortgage consultation",
                  "start_date_time": "%sT%s:00+01:00" % (day, start), "end_date_time": "%sT%s:00+01:00" % (day, end),
                  "customers": [{"name": "Grady Archie", "email_address": "grady.archie@fabrikam.com"},
                                {"name": "Lee Gu", "email_address": "lee.gu@fabrikam.com"}],
                  "staff": [self.staff_email], "is_location_online": True}
        values.update(options)
        values = {k: v for k, v in values.items() if v is not None}
        return self.task(name or "appointment %s" % external_id, "booking_appointment", values, ignore=ignore,
                         sign_in=sign_in)

    def first_playbook_tasks(self):
        """A user's first playbook: business, staff member, online service with browser join, appointment."""
        return [self.business(), self.staff(), self.service(), self.appointment("CRM-1001", name="appointment")]


# -- the request log -------------------------------------------------------------------------------------------------
def graph_requests(entries):
    return [e for e in entries if e["kind"] == "graph"]


def is_write(entry):
    """A Graph request that may change something: any method but GET, the $batch envelope (a POST) aside (its
    sub-requests are logged each on its own)."""
    return entry["kind"] == "graph" and entry["method"] != "GET" and entry["route"] != "/$batch"


def writes(entries):
    return [e for e in entries if is_write(e)]


def steps(entries):
    """The log cut at the markers: {marker name: entries after it up to the next marker}; "" holds what came
    before the first marker.  The markers themselves are left out."""
    out = collections.OrderedDict([("", [])])
    current = ""
    for entry in entries:
        if entry["kind"] == "graph" and entry["path"].startswith(MARKER):
            current = entry["path"][len(MARKER):]
            out[current] = []
            continue
        out[current].append(entry)
    return out


def counts(entries, writes_done=None):
    """Request counts for a report: Graph requests (HTTP requests and $batch sub-requests), by method, by status,
    identity (token) requests, and writes (non-GET Graph requests outside the $batch envelope)."""
    graph = [e for e in graph_requests(entries) if not e["path"].startswith(MARKER)]
    out = {
        "graph_requests": len(graph),
        "http_requests": sum(1 for e in graph if e["batch"] is None),
        "batch_calls": sum(1 for e in graph if e["route"] == "/$batch"),
        "batch_items": sum(1 for e in graph if e["batch"] is not None),
        "by_method": dict(collections.Counter(
            ("$batch" if e["route"] == "/$batch" else e["method"]) for e in graph)),
        "by_status": dict(collections.Counter(str(e["status"]) for e in graph)),
        "identity_requests": sum(1 for e in entries if e["kind"] == "identity"),
        "write_requests": len(writes(graph)),
    }
    if writes_done is not None:
        out["emulator_writes"] = writes_done
    return out


def failed_tasks(run):
    return {name: results[-1].get("msg") for name, results in run.tasks.items()
            if results[-1].get("failed") and not name.startswith("marker")}
