"""The bookings role and its collection playbooks (bookings_provision, bookings_report, bookings_export), through the
real ansible-playbook against the emulator.

Every test seeds the emulator's default tenant with the Bookings business of the modules' EXAMPLES
(``with_bookings(DEFAULT_SEED)``: Contoso Bank, its staff member Adele Vance and its online service) and works on a
copy of ``examples/bookings`` - the business as a host named by its mailbox, the tenant's application connection as a
group variable - with the appointments moved to a Tuesday a few weeks from today, so that the business rules Graph
applies to an application (lead time, maximum advance, business hours) hold whenever the tests run. The application
signs in everywhere but where a business is created (a delegated sign-in, its token cache in the test's temp dir).

Writes are counted by the emulator (metrics ``writes``: changes of state). Out-of-band changes go straight to the
emulator's Graph with a token of the seed's user.
"""

import datetime
import json
import os
import shutil
import stat
import sys

import pytest
import yaml

from tests.graph_emulator.directory import DEFAULT_SEED, EXAMPLE_BUSINESS, with_bookings
from tests.graph_emulator.process import REPO_ROOT
from tests.helpers import Outcome, PlaybookRun, playbook_env, run_playbook

EXAMPLE = os.path.join(REPO_ROOT, "examples", "bookings")
BUSINESS = EXAMPLE_BUSINESS["id"]
STAFF = "adele.vance@contoso.onmicrosoft.com"
SERVICE = "Mortgage consultation"
EXAMPLE_DAY = "2027-03-02"  # the day of the example's appointments (a Tuesday)
HOST_VARS = "host_vars/%s.yml" % BUSINESS
BASE = "/v1.0/solutions/bookingBusinesses/" + BUSINESS.replace("@", "%40")
SCOPES = ["Bookings.Read.All", "Bookings.ReadWrite.All", "BookingsAppointment.ReadWrite.All", "Bookings.Manage.All"]
TASK_STAFF = "Ensure the staff members"
TASK_SERVICES = "Ensure the services"
TASK_BATCH = "Reconcile the business's appointments"


def tuesday_ahead(days=21):
    """A Tuesday at least ``days`` from today: past the minimum lead time (P1D), within the maximum advance
    (P365D), a weekday (the business hours)."""
    day = datetime.date.today() + datetime.timedelta(days=days)
    return (day + datetime.timedelta(days=(1 - day.weekday()) % 7)).isoformat()


class Bookings:
    """One test's inventories, its runs of the collection playbooks, and Graph out of band."""

    def __init__(self, emulator, tmp_path):
        self.emulator, self.tmp_path = emulator, tmp_path
        self.day = tuesday_ahead()
        self.env = playbook_env(emulator, None, tmp_path)
        self.env["CONTOSO_BOOKINGS_CLIENT_SECRET"] = emulator.defaults["client_secret"]
        self.http = emulator.session()
        self.http.headers["Authorization"] = "Bearer " + emulator.app_token(
            user_id=emulator.defaults["user_id"], scopes=SCOPES)

    # -- inventories -------------------------------------------------------------------------------------------
    def inventory(self, name="inventory"):
        """A copy of examples/bookings with the appointments on ``self.day``; returns its directory."""
        root = self.tmp_path / name
        shutil.copytree(EXAMPLE, root)
        path = root / HOST_VARS
        path.write_text(path.read_text(encoding="utf-8").replace(EXAMPLE_DAY, self.day), encoding="utf-8")
        return root

    @staticmethod
    def host_vars(root):
        return yaml.safe_load((root / HOST_VARS).read_text(encoding="utf-8"))

    @staticmethod
    def save_host_vars(root, data):
        (root / HOST_VARS).write_text("---\n" + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    # -- runs ------------------------------------------------------------------------------------------------------
    def run(self, playbook, root, args=(), extra=None):
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "cloudcomms.virtual_appointments." + playbook, "-i", str(root / "hosts.yml")]
        if extra:
            cmd += ["-e", json.dumps(extra)]
        proc = run_playbook(cmd + list(args), cwd=str(self.tmp_path), env=self.env, timeout=300)
        return Outcome(PlaybookRun(proc.returncode, proc.stdout, proc.stderr))

    def writes(self):
        return self.emulator.metrics()["writes"]

    # -- Graph out of band -----------------------------------------------------------------------------------------
    def graph(self, method, path, **kwargs):
        response = self.http.request(method, self.emulator.graph_url + BASE + path, timeout=30, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def appointments(self):
        return self.graph("GET", "/appointments")["value"]

    def appointment(self, external_id):
        return next(a for a in self.appointments() if a.get("appointmentLabel") == "external_id:" + external_id)

    def book_out_of_band(self, start="12:00", end="12:30", customer="Walk In"):
        """An appointment made elsewhere (no label): by a person in the Bookings app, or on the public page."""
        service = next(s for s in self.graph("GET", "/services")["value"] if s["displayName"] == SERVICE)
        staff = next(s for s in self.graph("GET", "/staffMembers")["value"] if s["emailAddress"] == STAFF)
        return self.graph("POST", "/appointments", json={
            "@odata.type": "#microsoft.graph.bookingAppointment", "serviceId": service["id"],
            "staffMemberIds": [staff["id"]], "isLocationOnline": True,
            "startDateTime": {"dateTime": "%sT%s:00.0000000+00:00" % (self.day, start), "timeZone": "UTC"},
            "endDateTime": {"dateTime": "%sT%s:00.0000000+00:00" % (self.day, end), "timeZone": "UTC"},
            "customers": [{"@odata.type": "#microsoft.graph.bookingCustomerInformation", "name": customer,
                           "emailAddress": "walk.in@example.com"}]})


@pytest.fixture
def bookings(emulator, tmp_path):
    emulator.seed(with_bookings(DEFAULT_SEED))
    helper = Bookings(emulator, tmp_path)
    yield helper
    helper.http.close()


def results(outcome, task):
    """The host's result of a role task."""
    found = outcome.host_results(task)
    assert BUSINESS in found, "task %r did not run: %s" % (task, outcome.why())
    return found[BUSINESS]


def actions(outcome, task, key):
    return {entry["item"][key]: entry.get("action") for entry in results(outcome, task)["results"]}


def test_the_example_seed_is_the_emulators_bookings_seed():
    with open(os.path.join(EXAMPLE, "emulator-seed.json"), encoding="utf-8") as handle:
        assert json.load(handle) == with_bookings(DEFAULT_SEED)


def test_provision_from_the_example_inventory_and_a_rerun_writes_nothing(bookings):
    root = bookings.inventory()
    first = bookings.run("bookings_provision", root)
    assert first.ok, first.why()
    assert results(first, "Ensure the business")["action"] == "updated"  # business_type, phone, ... of the example
    assert actions(first, TASK_STAFF, "email_address") == {STAFF: "unchanged"}  # as the seed has it
    assert actions(first, "Ensure the custom questions", "display_name") == {"Are you already a customer?": "created"}
    assert actions(first, TASK_SERVICES, "display_name") == {SERVICE: "updated"}  # the question added
    batch = results(first, TASK_BATCH)
    assert batch["summary"]["created"] == 2 and batch["summary"]["failed"] == 0, batch["summary"]
    made = {a["appointmentLabel"]: a for a in bookings.appointments()}
    assert sorted(made) == ["external_id:CRM-1001", "external_id:CRM-1002"]
    assert made["external_id:CRM-1001"]["startDateTime"]["dateTime"].startswith(bookings.day + "T09:00:00")
    assert made["external_id:CRM-1001"]["joinWebUrl"].startswith("https://")

    writes = bookings.writes()
    again = bookings.run("bookings_provision", root)
    assert again.ok, again.why()
    assert bookings.writes() == writes
    assert again.changed_hosts() == [], again.run.json["stats"]
    assert results(again, TASK_BATCH)["summary"]["unchanged"] == 2


def test_check_diff_of_a_changed_inventory_writes_nothing_and_shows_the_change(bookings):
    root = bookings.inventory()
    assert bookings.run("bookings_provision", root).ok
    data = bookings.host_vars(root)
    data["bookings_staff"].append({"email_address": "megan.bowen@contoso.onmicrosoft.com",
                                   "display_name": "Megan Bowen", "role": "viewer", "time_zone": "Europe/Berlin"})
    data["bookings_services"][0]["description"] = "Talk to us about your home loan."
    # A new service that names the new staff member: Graph does not have that staff member yet, so check mode plans
    # the service without it, with a warning, and the check goes on.
    data["bookings_services"].append({"display_name": "Account opening", "default_duration": "PT45M",
                                      "staff": ["megan.bowen@contoso.onmicrosoft.com"]})
    moved = data["bookings_appointments"][0]
    moved["start_date_time"] = "%sT11:00:00+01:00" % bookings.day
    moved["end_date_time"] = "%sT11:30:00+01:00" % bookings.day
    data["bookings_appointments"].append(dict(data["bookings_appointments"][1], external_id="CRM-1003",
                                              start_date_time="%sT15:00:00+01:00" % bookings.day,
                                              end_date_time="%sT15:30:00+01:00" % bookings.day))
    bookings.save_host_vars(root, data)

    writes = bookings.writes()
    plan = bookings.run("bookings_provision", root, args=["--check", "--diff"])
    assert plan.ok, plan.why()
    assert bookings.writes() == writes
    assert actions(plan, TASK_STAFF, "email_address") == {STAFF: "unchanged",
                                                          "megan.bowen@contoso.onmicrosoft.com": "created"}
    services = {entry["item"]["display_name"]: entry for entry in results(plan, TASK_SERVICES)["results"]}
    assert services[SERVICE]["action"] == "updated"
    assert services[SERVICE]["diff"]["after"]["description"] == "Talk to us about your home loan."
    assert services["Account opening"]["action"] == "created"
    assert services["Account opening"]["diff"]["after"]["staff_member_ids"] == []  # left out (the module warns)
    batch = results(plan, TASK_BATCH)
    by_id = {entry["external_id"]: entry for entry in batch["appointments"]}
    assert {key: entry["action"] for key, entry in by_id.items()} == {
        "CRM-1001": "updated", "CRM-1002": "unchanged", "CRM-1003": "created"}
    assert by_id["CRM-1001"]["diff"]["after"]["start_date_time"] == "%sT10:00:00Z" % bookings.day
    assert by_id["CRM-1001"]["diff"]["before"]["start_date_time"] == "%sT09:00:00Z" % bookings.day
    summary = results(plan, "Summary")["msg"]
    assert summary["check_mode"] is True
    assert summary["services"] == {SERVICE: "updated", "Account opening": "created"}
    assert plan.changed_hosts() == [BUSINESS]
    # The diff is shown in the output for the reviewer of the change.
    assert "Talk to us about your home loan." in plan.run.stdout


def test_export_round_trip_writes_nothing_and_adopts_an_appointment_made_elsewhere(bookings):
    root = bookings.inventory()
    assert bookings.run("bookings_provision", root).ok
    # Booked on the public page by someone who typed a template as their name: exported as the text it is, never run.
    planted = bookings.tmp_path / "planted"
    name = "Walk In {{ lookup('pipe', 'touch %s') }} {%% raw %%}{#" % planted
    elsewhere = bookings.book_out_of_band(customer=name)

    export_dir = bookings.tmp_path / "export"
    exported = bookings.run("bookings_export", root, extra={"bookings_export_dir": str(export_dir)})
    assert exported.ok, exported.why()
    path = export_dir / HOST_VARS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n# Microsoft Bookings business %s as Graph holds it" % BUSINESS)
    data = yaml.safe_load(text)
    assert sorted(data) == ["bookings_appointments", "bookings_business", "bookings_custom_questions",
                            "bookings_services", "bookings_staff"]
    assert data["bookings_business"]["display_name"] == "Contoso Bank"
    assert [member["email_address"] for member in data["bookings_staff"]] == [STAFF]
    keys = sorted((item.get("external_id") or "", item.get("appointment_id") or "")
                  for item in data["bookings_appointments"])
    assert keys == [("", elsewhere["id"]), ("CRM-1001", ""), ("CRM-1002", "")], keys
    adopted = next(item for item in data["bookings_appointments"] if item.get("appointment_id"))
    assert adopted["customers"] == [{"name": name.replace("{{", "{{ '{{' }}").replace("{%", "{{ '{%' }}")
                                     .replace("{#", "{{ '{#' }}"), "email_address": "walk.in@example.com"}]

    # An inventory whose host_vars are the export: provisioning it writes nothing, and adopts the appointment.
    adopt = bookings.tmp_path / "adopt"
    adopt.mkdir()
    shutil.copy(root / "hosts.yml", adopt / "hosts.yml")
    shutil.copytree(root / "group_vars", adopt / "group_vars")
    shutil.copytree(export_dir / "host_vars", adopt / "host_vars")
    writes = bookings.writes()
    provisioned = bookings.run("bookings_provision", adopt)
    assert provisioned.ok, provisioned.why()
    assert bookings.writes() == writes
    assert provisioned.changed_hosts() == [], provisioned.run.json["stats"]
    batch = results(provisioned, TASK_BATCH)
    assert batch["summary"]["unchanged"] == 3 and batch["unmanaged"] == [], batch["summary"]
    assert {entry["appointment_id"]: entry["action"] for entry in batch["appointments"]}[elsewhere["id"]] \
        == "unchanged"
    assert not planted.exists()
    assert [c["name"] for a in bookings.appointments() if a["id"] == elsewhere["id"]
            for c in bookings.graph("GET", "/appointments/" + a["id"])["customers"]] == [name]


def test_drift_report_names_exactly_what_changed_out_of_band(bookings):
    root = bookings.inventory()
    assert bookings.run("bookings_provision", root).ok
    report_dir = bookings.tmp_path / "report"
    writes = bookings.writes()

    # No drift: the report says so, and bookings_fail_on_drift passes.
    clean = bookings.run("bookings_report", root, extra={"bookings_report_dir": str(report_dir),
                                                         "bookings_fail_on_drift": True})
    assert clean.ok, clean.why()
    with open(report_dir / "drift.json", encoding="utf-8") as handle:
        assert json.load(handle) == [{"business_id": BUSINESS, "missing": [], "different": [], "unmanaged": [],
                                      "drift": False, "host": BUSINESS}]
    assert "No drift." in (report_dir / "drift.md").read_text(encoding="utf-8")
    assert bookings.writes() == writes

    # Out of band: an appointment made elsewhere, a managed one made longer, a managed one deleted.
    elsewhere = bookings.book_out_of_band()
    longer = bookings.appointment("CRM-1001")
    bookings.graph("PATCH", "/appointments/" + longer["id"], json={
        "@odata.type": "#microsoft.graph.bookingAppointment",
        "endDateTime": {"dateTime": "%sT09:45:00.0000000+00:00" % bookings.day, "timeZone": "UTC"}})
    bookings.graph("DELETE", "/appointments/" + bookings.appointment("CRM-1002")["id"])
    writes = bookings.writes()

    for name in ("drift.json", "drift.md"):
        os.remove(report_dir / name)
    drifted = bookings.run("bookings_report", root, extra={"bookings_report_dir": str(report_dir)})
    assert drifted.ok, drifted.why()
    with open(report_dir / "drift.json", encoding="utf-8") as handle:
        reports = json.load(handle)
    assert len(reports) == 1
    report = reports[0]
    assert report["drift"] is True
    assert report["missing"] == [{"kind": "appointments", "key": "CRM-1002"}]
    assert report["different"] == [{"kind": "appointments", "key": "CRM-1001", "fields": {
        "end_date_time": {"inventory": "%sT09:30:00Z" % bookings.day, "graph": "%sT09:45:00Z" % bookings.day}}}]
    assert [(entry["kind"], entry["key"], entry["appointment_id"]) for entry in report["unmanaged"]] == [
        ("appointments", elsewhere["id"], elsewhere["id"])]
    markdown = (report_dir / "drift.md").read_text(encoding="utf-8")
    assert "3 differences in 1 business." in markdown
    assert "`CRM-1002`" in markdown and "`CRM-1001`: end_date_time" in markdown and elsewhere["id"] in markdown
    assert bookings.writes() == writes  # the report is read-only

    # bookings_fail_on_drift: the play fails, after the files are written.
    for name in ("drift.json", "drift.md"):
        os.remove(report_dir / name)
    failing = bookings.run("bookings_report", root, extra={"bookings_report_dir": str(report_dir),
                                                           "bookings_fail_on_drift": True})
    assert not failing.ok, failing.why()
    assert results(failing, "Fail the businesses with drift").get("failed"), failing.why()
    with open(report_dir / "drift.json", encoding="utf-8") as handle:
        assert json.load(handle) == reports
    assert (report_dir / "drift.md").read_text(encoding="utf-8") == markdown
    assert bookings.writes() == writes


def test_a_business_to_create_is_ensured_first_with_a_delegated_sign_in(bookings, emulator):
    """A host not named by its mailbox: bookings_business creates the business (a user's sign-in), and the staff
    member, service and appointment go to the ID Graph gave it; a second run writes nothing."""
    root = bookings.tmp_path / "new"
    root.mkdir()
    defaults = emulator.defaults
    (root / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"contoso": {"hosts": {
        "fourth-coffee": None}}}}}), encoding="utf-8")
    host_vars = {
        "bookings_connection": {
            "auth_method": "username_password", "tenant_id": defaults["tenant_id"],
            "client_id": defaults["public_client_id"], "username": defaults["user_upn"],
            "password": defaults["user_password"], "token_cache_path": str(bookings.tmp_path / "token-cache.json")},
        "bookings_business": {"display_name": "Fourth Coffee", "business_type": "Cafe"},
        "bookings_staff": [{"email_address": STAFF, "display_name": "Adele Vance", "role": "administrator",
                            "time_zone": "Europe/Berlin"}],
        "bookings_services": [{"display_name": "Tasting", "default_duration": "PT30M", "is_location_online": True,
                               "staff": [STAFF]}],
        "bookings_appointments": [{"external_id": "FC-1", "service_name": "Tasting", "staff": [STAFF],
                                   "start_date_time": "%sT10:00:00+01:00" % bookings.day,
                                   "end_date_time": "%sT10:30:00+01:00" % bookings.day}],
    }
    (root / "host_vars").mkdir()
    (root / "host_vars" / "fourth-coffee.yml").write_text(yaml.safe_dump(host_vars), encoding="utf-8")

    first = bookings.run("bookings_provision", root)
    assert first.ok, first.why()
    created = first.host_results("Ensure the business")["fourth-coffee"]
    assert created["action"] == "created" and created["auth_method"] == "username_password", created
    business_id = created["booking_business"]["id"]
    assert business_id.startswith("fourthcoffee@")
    batch = first.host_results(TASK_BATCH)["fourth-coffee"]
    assert batch["summary"]["created"] == 1, batch
    # The batch ran on the business Graph made (its appointment is found there).
    assert batch["appointments"][0]["appointment_id"] and batch["summary"]["total"] == 1

    writes = bookings.writes()
    again = bookings.run("bookings_provision", root)
    assert again.ok, again.why()
    assert bookings.writes() == writes and again.changed_hosts() == []
