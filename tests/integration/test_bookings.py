"""The Microsoft Bookings modules (booking_*) through the real ansible-playbook against the emulator.

* A user's first playbook (business, staff member, online service, appointment) creates everything, gives the
  appointment its join links, and a second run is unchanged with no write at all.
* An appointment's lifecycle: one field changed is one PATCH; customers reordered or re-cased are unchanged;
  cancelled is one POST .../cancel, and again unchanged; absent is a DELETE.  An appointment turned online returns
  the join links Graph made; an appointment the task does not change is not held to the application rules again.
* Check mode predicts and writes nothing: changes to existing objects, and the first playbook on an existing
  business (its staff member, service and appointment predicted from the tasks before them).
* Application versus delegated sign-in: a business create or delete needs the user; the application-permission
  business rules fail before any write, naming the field; the user books the same appointment.
* Bad input fails before any write, naming the field.
* A create whose answer is lost never makes a second object.
* The four-concurrent-requests limit per app and mailbox is waited out.
* booking_info: sections, a window of appointments (over more than one page), the business list with query.

The request log cuts a playbook into steps with marker tasks (bookings_plays.mark); the log does not record request
bodies, so what a PATCH sent is read from the task's diff.
"""

import collections
import json

from tests.integration.bookings_plays import (
    DAY, Plays, counts, failed_tasks, graph_requests, steps, writes)


def last_seq(emulator):
    """The request log's last sequence number (the log is in the order answers went out: a $batch envelope, which
    takes its number first, comes after its sub-requests)."""
    return emulator.control("GET", "requests", since=0)["seq"]


def business_id_of(run):
    return run.result("business")["booking_business"]["id"]


def assert_ok(run, *names):
    failed = failed_tasks(run)
    for name in names or list(run.tasks):
        if name.startswith("marker"):
            continue
        result = run.result(name)
        assert not result.get("failed"), "%s failed: %s\nall failures: %s\n%s" % (
            name, result.get("msg"), failed, run.stderr[-2000:])
    if not names:
        assert run.returncode == 0, (run.returncode, failed, run.stdout[-2000:], run.stderr[-2000:])


def setup(ansible_playbook, plays, appointments=(), service=True):
    """Business, staff member and (``service``) the online service, with the delegated sign-in; then the
    appointments asked for.  Returns the business ID."""
    tasks = [plays.business(), plays.staff()] + ([plays.service()] if service else []) + list(appointments)
    run = ansible_playbook(plays.playbook(tasks))
    assert_ok(run)
    return business_id_of(run)


def read(ansible_playbook, plays, business_id, include, window=("2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z"),
         sign_in="delegated"):
    options = {"business_id": business_id, "include": include}
    if "appointments" in include:
        options.update(window_start=window[0], window_end=window[1])
    run = ansible_playbook(plays.playbook([plays.task("read", "booking_info", options)], sign_in))
    assert_ok(run)
    return run.result("read")


# ---------------------------------------------------------------- 1. the first playbook, and its second run

def test_the_first_playbook_creates_everything_and_a_second_run_writes_nothing(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    playbook = plays.playbook(plays.first_playbook_tasks())

    first = ansible_playbook(playbook)
    assert_ok(first)
    first_log = emulator.requests()
    first_writes = emulator.metrics()["writes"]
    for name in ("business", "staff", "service", "appointment"):
        assert first.result(name)["changed"] and first.result(name)["action"] == "created", first.result(name)
    business = first.result("business")["booking_business"]
    assert business["is_published"] is True
    # documented: after the publish the business is read again, so public_url is the new one
    assert (business["public_url"] or "").endswith("/bookings/"), business
    appointment = first.result("appointment")["booking_appointment"]
    assert appointment["external_id"] == "CRM-1001"
    assert appointment["appointment_label"] == "external_id:CRM-1001"
    assert appointment["join_web_url"].startswith("https://teams.microsoft.com/l/meetup-join/")
    assert appointment["anonymous_join_web_url"].startswith("https://visit.teams.microsoft.com/")
    assert appointment["start_date_time"] == "2027-01-12T09:00:00Z"
    assert appointment["end_date_time"] == "2027-01-12T09:30:00Z"
    assert appointment["staff"] == [plays.staff_email]
    assert sorted(c["email_address"] for c in appointment["customers"]) == [
        "grady.archie@fabrikam.com", "lee.gu@fabrikam.com"]
    service = first.result("service")["booking_service"]
    assert service["is_location_online"] and service["is_anonymous_join_enabled"]
    assert service["default_duration"] == "PT30M" and service["staff"] == [plays.staff_email]
    made = [(e["method"], e["route"]) for e in writes(first_log)]
    assert collections.Counter(m for m, _r in made) == {"POST": 5}, made  # business, publish, staff, service, appt.

    mark = last_seq(emulator)
    again = ansible_playbook(playbook)
    assert_ok(again)
    second_log = emulator.requests(since=mark)
    for name in ("business", "staff", "service", "appointment"):
        assert not again.result(name)["changed"] and again.result(name)["action"] == "unchanged", \
            again.result(name)
    assert again.result("appointment")["booking_appointment"]["join_web_url"] == appointment["join_web_url"]
    assert again.result("business")["booking_business"]["public_url"] == business["public_url"]
    assert writes(second_log) == [], json.dumps(writes(second_log), indent=1)
    assert emulator.metrics()["writes"] == first_writes

    report = {"first_run": counts(first_log, first_writes),
              "second_run": counts(second_log, emulator.metrics()["writes"] - first_writes)}
    (tmp_path / "request-counts.json").write_text(json.dumps(report, indent=1))
    print("\nBOOKINGS FIRST PLAYBOOK REQUEST COUNTS %s" % json.dumps(report, sort_keys=True))


# ---------------------------------------------------------------- 2. the appointment's lifecycle

def test_an_appointment_changes_cancels_and_goes_with_one_write_each(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays, [plays.appointment("A-1"), plays.appointment("A-2", start="11:00",
                                                                                              end="11:30")])
    listed = read(ansible_playbook, plays, business_id, ["appointments"])["appointments"]
    ids = {a["external_id"]: a["id"] for a in listed}
    assert set(ids) == {"A-1", "A-2"}, listed

    customers = [{"name": "Lee Gu", "email_address": "LEE.GU@Fabrikam.com"},
                 {"name": "Grady Archie", "email_address": "Grady.Archie@FABRIKAM.com"}]
    message = "Your adviser is unwell; we will call you to book a new time."
    run = ansible_playbook(plays.playbook([
        plays.mark("change"),
        plays.appointment("A-1", business_id=business_id, name="change", end="10:45"),
        plays.mark("reorder"),
        plays.appointment("A-1", business_id=business_id, name="reorder", end="10:45", customers=customers),
        plays.mark("cancel"),
        plays.task("cancel", "booking_appointment", {"business_id": business_id, "external_id": "A-1",
                                                     "state": "cancelled", "cancellation_message": message}),
        plays.mark("cancel-again"),
        plays.task("cancel again", "booking_appointment", {"business_id": business_id, "external_id": "A-1",
                                                           "state": "cancelled", "cancellation_message": message}),
        plays.mark("absent"),
        plays.task("absent", "booking_appointment", {"business_id": business_id, "external_id": "A-2",
                                                     "state": "absent"}),
        plays.mark("end"),
        plays.task("read", "booking_info", {"business_id": business_id, "include": ["appointments"],
                                            "window_start": "2027-01-01T00:00:00Z",
                                            "window_end": "2027-03-01T00:00:00Z"}),
    ]), args=("--diff",))
    assert_ok(run)
    log = steps(emulator.requests())

    change = run.result("change")
    assert change["changed"] and change["action"] == "updated", change
    before, after = change["diff"]["before"], change["diff"]["after"]
    assert {k for k in set(before) | set(after) if before.get(k) != after.get(k)} == {"end_date_time"}, change["diff"]
    assert (before["end_date_time"], after["end_date_time"]) == ("2027-01-12T09:30:00Z", "2027-01-12T09:45:00Z")
    assert change["booking_appointment"]["end_date_time"] == "2027-01-12T09:45:00Z"
    assert [(e["method"], e["path"].rsplit("/", 1)[-1]) for e in writes(log["change"])] == [("PATCH", ids["A-1"])]

    reorder = run.result("reorder")
    assert not reorder["changed"] and reorder["action"] == "unchanged", reorder
    assert writes(log["reorder"]) == []

    cancel = run.result("cancel")
    assert cancel["changed"] and cancel["action"] == "cancelled" and cancel["appointment_id"] == ids["A-1"], cancel
    assert cancel["invocation"]["module_args"]["cancellation_message"] == message
    assert [(e["method"], e["path"].split("/")[-2:], e["status"]) for e in writes(log["cancel"])] == [
        ("POST", [ids["A-1"], "cancel"], 204)]

    again = run.result("cancel again")
    assert not again["changed"] and again["action"] == "unchanged", again
    assert writes(log["cancel-again"]) == []

    absent = run.result("absent")
    assert absent["changed"] and absent["action"] == "deleted" and absent["appointment_id"] == ids["A-2"], absent
    assert [(e["method"], e["path"].rsplit("/", 1)[-1], e["status"]) for e in writes(log["absent"])] == [
        ("DELETE", ids["A-2"], 204)]
    assert run.result("read")["appointments"] == []


# ---------------------------------------------------------------- 3. check mode

def test_check_mode_predicts_changes_to_existing_objects_and_writes_nothing(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays, [plays.appointment("CRM-1001")])
    mark = last_seq(emulator)
    writes_before = emulator.metrics()["writes"]

    run = ansible_playbook(plays.playbook([
        plays.business(),
        plays.staff(display_name="Adele Vance (mortgages)"),
        plays.service(default_duration="PT45M"),
        plays.appointment("CRM-1001", name="move", start="11:00", end="11:45"),
        plays.appointment("CRM-1002", name="new", start="14:00", end="14:45"),
        plays.task("cancel", "booking_appointment", {"business_id": business_id, "external_id": "CRM-1001",
                                                     "state": "cancelled", "cancellation_message": "Moved."}),
        plays.task("customer", "booking_customer", {"business_id": business_id,
                                                    "email_address": "grady.archie@fabrikam.com",
                                                    "display_name": "Grady Archie"}),
    ]), args=("--check", "--diff"))
    log = emulator.requests(since=mark)
    assert writes(log) == [] and emulator.metrics()["writes"] == writes_before, writes(log)
    assert_ok(run)
    assert not run.result("business")["changed"]
    expected = {"staff": "updated", "service": "updated", "move": "updated", "new": "created", "cancel": "cancelled",
                "customer": "created"}
    assert {name: run.result(name)["action"] for name in expected} == expected
    assert all(run.result(name)["changed"] for name in expected)
    assert run.result("service")["diff"]["after"]["default_duration"] == "PT45M"
    assert run.result("service")["booking_service"]["default_duration"] == "PT45M"
    assert run.result("move")["booking_appointment"]["start_date_time"] == "2027-01-12T10:00:00Z"
    # nothing changed in fact
    state = read(ansible_playbook, plays, business_id, ["services", "appointments", "customers"])
    assert [s["default_duration"] for s in state["services"]] == ["PT30M"]
    assert [(a["external_id"], a["start_date_time"]) for a in state["appointments"]] == [
        ("CRM-1001", "2027-01-12T09:00:00Z")]
    assert state["customers"] == []


def test_a_customer_given_by_its_id_is_found_in_the_list_never_read_by_its_guid(emulator, ansible_playbook, tmp_path):
    """Graph reads a customer by a Base64-encoded ID only ("GUID IDs do not work"; the emulator refuses the GUID): with
    customer_id the module finds the customer in the business's list, so its address can be changed."""
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays, service=False)
    made = ansible_playbook(plays.playbook([plays.task("customer", "booking_customer", {
        "business_id": business_id, "email_address": "grady.archie@fabrikam.com", "display_name": "Grady Archie"})]))
    assert_ok(made)
    customer_id = made.result("customer")["booking_customer"]["id"]
    mark = last_seq(emulator)
    task = plays.task("customer", "booking_customer", {"business_id": business_id, "customer_id": customer_id,
                                                       "email_address": "grady@fabrikam.com",
                                                       "display_name": "Grady Archie"})
    moved = ansible_playbook(plays.playbook([task]))
    again = ansible_playbook(plays.playbook([task]))
    assert_ok(moved)
    assert_ok(again)
    log = graph_requests(emulator.requests(since=mark))
    assert not [e for e in log if customer_id in e["path"] and e["method"] == "GET"], log
    assert [(e["method"], e["status"]) for e in writes(log)] == [("PATCH", 204)]
    assert moved.result("customer")["action"] == "updated"
    assert again.result("customer")["action"] == "unchanged" and not again.result("customer")["changed"]
    state = read(ansible_playbook, plays, business_id, ["customers"])
    assert [(c["id"], c["email_address"]) for c in state["customers"]] == [(customer_id, "grady@fabrikam.com")]


def test_a_service_for_several_attendees_books_the_business_customers_by_id(emulator, ansible_playbook, tmp_path):
    """Section 8: "If maximumAttendeesCount of the service is greater than 1, pass valid customer IDs" (the emulator
    refuses a customer without one): the module links each customer by the ID of the business's customer with that
    address, writes nothing on a re-run, and names a customer the business does not have before any write."""
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays, service=False)
    workshop = plays.service(business_id, name="workshop", display_name="Mortgage workshop", maximum_attendees_count=5)
    people = (("Grady Archie", "grady.archie@fabrikam.com"), ("Lee Gu", "lee.gu@fabrikam.com"))
    customers = [plays.task("customer %d" % n, "booking_customer",
                            {"business_id": business_id, "email_address": address, "display_name": name})
                 for n, (name, address) in enumerate(people)]
    booking = plays.appointment("GROUP-1", business_id=business_id, name="booking", service_name="Mortgage workshop",
                                customers=[{"name": "Grady Archie", "email_address": "Grady.Archie@fabrikam.com"},
                                           {"name": "Lee Gu", "email_address": "lee.gu@fabrikam.com"}])
    run = ansible_playbook(plays.playbook([workshop] + customers + [booking]))
    assert_ok(run)
    ids = {run.result("customer %d" % n)["booking_customer"]["email_address"]:
           run.result("customer %d" % n)["booking_customer"]["id"] for n in range(2)}
    made = run.result("booking")
    assert made["action"] == "created"
    assert sorted(c["customer_id"] for c in made["booking_appointment"]["customers"]) == sorted(ids.values())
    mark = last_seq(emulator)
    again = ansible_playbook(plays.playbook([booking]))
    assert_ok(again)
    assert again.result("booking")["action"] == "unchanged" and writes(emulator.requests(since=mark)) == []

    stranger = plays.appointment("GROUP-2", business_id=business_id, name="stranger", start="11:00", end="11:30",
                                 service_name="Mortgage workshop",
                                 customers=[{"name": "Pat", "email_address": "pat@fabrikam.com"}])
    mark = last_seq(emulator)
    refused = ansible_playbook(plays.playbook([stranger]))
    assert refused.returncode != 0 and writes(emulator.requests(since=mark)) == []
    assert "customers[0].email_address: pat@fabrikam.com is not a customer of business" in \
        refused.result("stranger")["msg"], refused.result("stranger")["msg"]
    checked = ansible_playbook(plays.playbook([stranger]), args=("--check",))
    assert checked.returncode == 0 and writes(emulator.requests(since=mark)) == []
    assert any("pat@fabrikam.com is not a customer" in w for w in checked.result("stranger").get("warnings", []))


# ---------------------------------------------------------------- 4. application versus delegated sign-in

def test_the_application_sign_in_is_held_to_its_rules_before_any_write(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    appointment = dict(business_id="{{ business.booking_business.id }}", ignore=True, sign_in="application")
    run = ansible_playbook(plays.playbook([
        plays.task("app business create", "booking_business", {"display_name": "Fabrikam Advisory"}, ignore=True,
                   sign_in="application"),
        plays.mark("app-delete"),
        plays.task("app business delete", "booking_business",
                   {"business_id": "fabrikamadvisory@contoso.com", "state": "absent"}, ignore=True,
                   sign_in="application"),
        plays.mark("setup"),
        plays.business(), plays.staff(), plays.service(),
        plays.mark("no-staff"),
        plays.appointment("APP-1", name="no staff", staff=None, **appointment),
        plays.mark("duration"),
        plays.appointment("APP-1", name="duration", end="10:45", **appointment),
        plays.mark("hours"),
        plays.appointment("APP-1", name="hours", start="18:00", end="18:30", **appointment),
        plays.mark("delegated"),
        plays.appointment("APP-1", name="delegated", staff=None, start="18:00", end="18:45"),
    ]))
    log = steps(emulator.requests())

    create = run.result("app business create")
    assert create.get("failed"), create
    assert "delegated" in create["msg"] and "Bookings.Manage.All" in create["msg"], create["msg"]
    # Documented: the create looks the business up by name first (one that exists could still be updated), then
    # refuses before any write.
    solutions = [e for e in graph_requests(log[""]) if e["path"].startswith("/solutions")]
    assert writes(log[""]) == [], writes(log[""])
    assert [(e["method"], e["path"]) for e in solutions] == [("GET", "/solutions/bookingBusinesses")], solutions
    delete = run.result("app business delete")
    assert delete.get("failed") and "delegated" in delete["msg"] and "Bookings.Manage.All" in delete["msg"], delete
    assert graph_requests(log["app-delete"]) == [], log["app-delete"]  # documented: before any request

    assert_ok(run, "business", "staff", "service", "delegated")
    for step, name, field in (("no-staff", "no staff", "staff"), ("duration", "duration", "end_date_time"),
                              ("hours", "hours", "start_date_time")):
        result = run.result(name)
        assert result.get("failed"), result
        assert result["msg"].startswith("Invalid input: %s: " % field), result["msg"]
        assert writes(log[step]) == [], writes(log[step])
    assert "outside the business hours" in run.result("hours")["msg"]
    assert "Europe/Berlin" in run.result("hours")["msg"]

    booked = run.result("delegated")
    assert booked["changed"] and booked["action"] == "created", booked
    assert booked["booking_appointment"]["staff"] == []
    assert booked["booking_appointment"]["start_date_time"] == "2027-01-12T17:00:00Z"
    assert [(e["method"], e["path"].rsplit("/", 1)[-1], e["status"]) for e in writes(log["delegated"])] == [
        ("POST", "appointments", 201)]


# ---------------------------------------------------------------- 5. bad input

def test_bad_input_fails_before_any_write_naming_the_field(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    bid = "{{ business.booking_business.id }}"
    bad = dict(business_id=bid, ignore=True)
    cases = [
        ("duration", plays.task("duration", "booking_service", {"business_id": bid, "display_name": "Quick chat",
                                                                "default_duration": "abc"}, ignore=True),
         "default_duration"),
        ("service staff", plays.task("service staff", "booking_service", {
            "business_id": bid, "display_name": "Quick chat", "default_duration": 15,
            "staff": ["nobody@contoso.onmicrosoft.com"]}, ignore=True), "staff[0]"),
        ("appointment staff", plays.appointment("BAD-1", name="appointment staff",
                                                staff=["nobody@contoso.onmicrosoft.com"], **bad), "staff[0]"),
        ("no e-mail", plays.appointment("BAD-2", name="no e-mail", customers=[{"name": "Grady Archie"}], **bad),
         "customers"),
        ("service id", plays.appointment("BAD-3", name="service id", service_name=None,
                                         service_id="0f6c7b1e-0000-4000-8000-000000000000", **bad), "service_id"),
        ("end before start", plays.appointment("BAD-4", name="end before start", start="10:00", end="09:30", **bad),
         "end_date_time"),
        ("no offset", plays.task("no offset", "booking_appointment", {
            "business_id": bid, "external_id": "BAD-5", "service_name": "Mortgage consultation",
            "start_date_time": DAY + "T10:00:00", "end_date_time": DAY + "T10:30:00+01:00",
            "staff": [plays.staff_email]}, ignore=True), "start_date_time"),
    ]
    run = ansible_playbook(plays.playbook([plays.business(), plays.staff(), plays.service(), plays.mark("bad")]
                                          + [task for _name, task, _field in cases]))
    assert_ok(run, "business", "staff", "service")
    for name, _task, field in cases:
        result = run.result(name)
        assert result.get("failed"), result
        assert field in result["msg"], (name, result["msg"])
    assert "customers" in run.result("no e-mail")["msg"] and "email_address" in run.result("no e-mail")["msg"]
    assert "time_zone" in run.result("no offset")["msg"]
    assert run.result("service staff")["msg"].startswith("Invalid input: staff[0]: ")
    assert run.result("appointment staff")["msg"].startswith("Invalid input: staff[0]: ")
    after = steps(emulator.requests())["bad"]
    assert writes(after) == [], writes(after)
    # only reads after the setup: the lists the references are resolved in
    assert all(e["method"] == "GET" or e["route"] == "/$batch" for e in graph_requests(after))


# ---------------------------------------------------------------- 6. lost answers

def test_a_create_whose_answer_was_lost_never_makes_a_second_object(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays, service=False)
    mark = last_seq(emulator)
    rules = []
    for route in ("services$", "customers$", "appointments$"):
        rules += [{"route": route, "method": "POST", "drop": "after", "count": 1},
                  {"route": route, "method": "POST", "status": 500, "after": True, "count": 1}]
    emulator.faults(rules)

    tasks = []
    for variant, duration in (("dropped", 30), ("500", 60)):
        tasks.append(plays.service(business_id, name="service " + variant, display_name="Consultation " + variant,
                                   default_duration=duration))
    for variant in ("dropped", "500"):
        tasks.append(plays.task("customer " + variant, "booking_customer", {
            "business_id": business_id, "email_address": "%s@fabrikam.com" % variant, "display_name": variant}))
    for variant, start, end in (("dropped", "10:00", "10:30"), ("500", "13:00", "14:00")):
        tasks.append(plays.appointment("LOST-" + variant, business_id=business_id, name="appointment " + variant,
                                       service_name="Consultation " + variant, start=start, end=end))
    run = ansible_playbook(plays.playbook(tasks, sign_in="application"))
    assert_ok(run)
    for name in ("service", "customer", "appointment"):
        for variant in ("dropped", "500"):
            result = run.result("%s %s" % (name, variant))
            assert result["changed"] and result["action"] == "created", result
    assert all(rule["fired"] == 1 for rule in emulator.control("GET", "faults")["rules"])
    emulator.faults([])
    posts = collections.Counter(e["path"].rsplit("/", 1)[-1] for e in writes(emulator.requests(since=mark)))
    assert posts == {"services": 2, "customers": 2, "appointments": 2}, posts  # each POST sent once

    state = read(ansible_playbook, plays, business_id, ["services", "customers", "appointments"])
    assert sorted(s["display_name"] for s in state["services"]) == ["Consultation 500", "Consultation dropped"]
    assert sorted(c["email_address"] for c in state["customers"]) == ["500@fabrikam.com", "dropped@fabrikam.com"]
    assert sorted(a["external_id"] for a in state["appointments"]) == ["LOST-500", "LOST-dropped"]
    assert run.result("appointment 500")["booking_appointment"]["id"] in [a["id"] for a in state["appointments"]]


def test_bookings_500_unknown_error_on_create_is_read_before_sending_again_and_capped(
        emulator, ansible_playbook, tmp_path):
    """Graph answers some appointment creates with 500 UnknownError and an empty message, applied or not (bookings-
    api.md 7, 12.8; 13.6: read before re-creating, cap the retries): never a second appointment, and a create that
    keeps failing fails its task after a few tries, saying what Graph answered."""
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays)
    unknown = {"route": "appointments$", "method": "POST", "status": 500, "code": "UnknownError", "message": ""}
    emulator.faults([dict(unknown, count=1), dict(unknown, after=True, count=1)])
    mark = last_seq(emulator)
    run = ansible_playbook(plays.playbook([
        plays.appointment("UNKNOWN-1", business_id=business_id, name="refused", start="10:00", end="10:30"),
        plays.appointment("UNKNOWN-2", business_id=business_id, name="applied", start="11:00", end="11:30")],
        sign_in="application"))
    assert_ok(run)
    assert [run.result(name)["action"] for name in ("refused", "applied")] == ["created", "created"]
    statuses = [e["status"] for e in writes(emulator.requests(since=mark))]
    assert statuses == [500, 500, 201], statuses  # the refused one sent again once, the applied one found by its key

    emulator.faults([unknown])  # every create, from now on
    mark = last_seq(emulator)
    run = ansible_playbook(plays.playbook([
        plays.appointment("UNKNOWN-3", business_id=business_id, name="always", start="12:00", end="12:30")],
        sign_in="application"))
    result = run.result("always")
    assert result.get("failed") and run.returncode != 0
    assert "500" in result["msg"] and "UnknownError" in result["msg"], result["msg"]
    posts = writes(emulator.requests(since=mark))
    assert 1 < len(posts) <= 6, len(posts)  # read again and sent again, a few times, then given up
    emulator.faults([])
    state = read(ansible_playbook, plays, business_id, ["appointments"])
    assert sorted(a["external_id"] for a in state["appointments"]) == ["UNKNOWN-1", "UNKNOWN-2"]


# ---------------------------------------------------------------- 7. four concurrent requests per app and mailbox

def test_more_than_four_concurrent_requests_to_a_business_are_waited_out(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays)
    mark = last_seq(emulator)
    emulator.faults([{"route": "bookingBusinesses", "delay_ms": 300}])
    hosts = ["h%d" % i for i in range(1, 7)]
    booking = plays.appointment("PAR-{{ inventory_hostname }}", business_id=business_id, name="book",
                                start="{{ '%02d' % (8 + inventory_hostname[1:] | int) }}:00",
                                end="{{ '%02d' % (8 + inventory_hostname[1:] | int) }}:30")
    playbook = json.dumps([
        plays.play([booking], "application", hosts=",".join(hosts), connection="local"),
        plays.play([plays.task("read", "booking_info", {"business_id": business_id, "include": ["appointments"],
                                                        "window_start": "2027-01-01T00:00:00Z",
                                                        "window_end": "2027-03-01T00:00:00Z"})], "application"),
    ], indent=1)
    run = ansible_playbook(playbook, args=("-i", ",".join(hosts) + ",", "--forks", "6"))
    emulator.faults([])
    results = run.tasks["book"]
    assert len(results) == 6 and all(not r.get("failed") and r["action"] == "created" for r in results), \
        [r.get("msg") or r.get("action") for r in results]
    log = emulator.requests(since=mark)
    throttled = [e for e in graph_requests(log) if e["status"] == 429]
    assert throttled, collections.Counter(e["status"] for e in graph_requests(log))
    assert all(e["path"].startswith("/solutions/bookingBusinesses/") for e in throttled)
    assert sum((r.get("waits") or {}).get("retries", 0) for r in results) >= 1
    created = [e for e in writes(log) if e["status"] == 201]
    assert len(created) == 6, created
    found = collections.Counter(a["external_id"] for a in run.result("read")["appointments"])
    assert found == {"PAR-h%d" % i: 1 for i in range(1, 7)}, found
    print("\nBOOKINGS 4-CONCURRENT: %d answered 429 of %d Graph requests" % (len(throttled), len(graph_requests(log))))


# ---------------------------------------------------------------- 8. booking_info

def test_booking_info_reads_sections_a_window_over_pages_and_the_business_list(
        emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    business_id = setup(ansible_playbook, plays, [
        plays.appointment("INFO-1"), plays.appointment("INFO-2", start="11:00", end="11:30"),
        plays.appointment("INFO-FEB", day="2027-02-16"),
        plays.task("other business", "booking_business", {"display_name": "Fabrikam Advisory"})])
    listed = read(ansible_playbook, plays, business_id, ["services", "staff_members", "appointments"],
                  window=("2027-01-12T00:00:00+01:00", "2027-01-13T00:00:00+01:00"))
    service_id = listed["services"][0]["id"]
    staff_id = listed["staff_members"][0]["id"]

    # more than a page (100) of appointments in one window, made straight through Graph as the user
    token = emulator.app_token(user_id=emulator.defaults["user_id"], scopes=["Bookings.Manage.All"])
    http = emulator.session()
    url = "%s/v1.0/solutions/bookingBusinesses/%s/appointments" % (emulator.graph_url, business_id)
    for index in range(105):
        day, hour, minute = 1 + index // 18, 8 + (index % 18) // 2, 30 * (index % 2)
        body = {"serviceId": service_id, "staffMemberIds": [staff_id],
                "appointmentLabel": "external_id:BULK-%03d" % index,
                "startDateTime": {"dateTime": "2027-03-%02dT%02d:%02d:00" % (day, hour, minute), "timeZone": "UTC"},
                "endDateTime": {"dateTime": "2027-03-%02dT%02d:%02d:00" % (day, hour, minute + 29),
                                "timeZone": "UTC"}}
        answer = http.post(url, json=body, headers={"Authorization": "Bearer " + token}, timeout=30)
        assert answer.status_code == 201, answer.text
    http.close()
    mark = last_seq(emulator)

    run = ansible_playbook(plays.playbook([
        plays.task("march", "booking_info", {"business_id": business_id, "include": ["appointments"],
                                             "window_start": "2027-03-01T00:00:00Z",
                                             "window_end": "2027-04-01T00:00:00Z"}),
        plays.task("businesses", "booking_info", {"query": "BANK"}),
        plays.task("all businesses", "booking_info", {}),
    ], "application"))
    assert_ok(run)

    assert [s["display_name"] for s in listed["services"]] == ["Mortgage consultation"]
    assert listed["services"][0]["is_anonymous_join_enabled"] is True
    assert [m["email_address"] for m in listed["staff_members"]] == [plays.staff_email]
    assert listed["booking_business"]["id"] == business_id
    window = [(a["external_id"], a["start_date_time"], a["service_name"]) for a in listed["appointments"]]
    assert window == [("INFO-1", "2027-01-12T09:00:00Z", "Mortgage consultation"),
                      ("INFO-2", "2027-01-12T10:00:00Z", "Mortgage consultation")], window
    assert all(a["join_web_url"] for a in listed["appointments"])

    march = run.result("march")["appointments"]
    assert sorted(a["external_id"] for a in march) == ["BULK-%03d" % i for i in range(105)]
    pages = [e for e in graph_requests(emulator.requests(since=mark)) if "calendarView" in e["path"]]
    assert len(pages) == 2, pages  # the first page, and the nextLink
    assert not run.result("march")["changed"]

    assert [(b["id"], b["display_name"]) for b in run.result("businesses")["booking_businesses"]] == [
        (business_id, "Contoso Bank")]
    assert sorted(b["display_name"] for b in run.result("all businesses")["booking_businesses"]) == [
        "Contoso Bank", "Fabrikam Advisory"]


# ---------------------------------------------------------------- 2. the appointment's lifecycle: what follows a write

def test_an_appointment_turned_online_returns_the_join_links_graph_made(emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    run = ansible_playbook(plays.playbook([
        plays.business(), plays.staff(), plays.service(),
        plays.appointment("ON-1", name="offline", is_location_online=False),
        plays.appointment("ON-1", name="online", is_location_online=True),
        plays.task("read", "booking_info", {"business_id": "{{ business.booking_business.id }}",
                                            "include": ["appointments"], "window_start": "2027-01-01T00:00:00Z",
                                            "window_end": "2027-03-01T00:00:00Z"}),
    ]))
    assert_ok(run)
    assert run.result("offline")["booking_appointment"]["join_web_url"] is None
    online = run.result("online")
    assert online["changed"] and online["action"] == "updated", online
    [held] = run.result("read")["appointments"]
    assert held["join_web_url"] and held["anonymous_join_web_url"]
    # what the task returns is what Graph holds after the PATCH (answered 204 without a body), as after a create
    assert online["booking_appointment"]["join_web_url"] == held["join_web_url"], online["booking_appointment"]
    assert online["booking_appointment"]["anonymous_join_web_url"] == held["anonymous_join_web_url"]


def test_an_unchanged_appointment_is_not_held_to_the_application_rules_again(emulator, ansible_playbook, tmp_path):
    """The rules Graph applies to an application's booking hold for a write; a booked appointment the task does
    not change (here: now sooner than the minimum lead time, as every appointment becomes) is unchanged."""
    plays = Plays(emulator, tmp_path)
    booking = plays.appointment("LEAD-1", name="book", sign_in="application", ignore=True)
    run = ansible_playbook(plays.playbook([
        plays.business(), plays.staff(), plays.service(), booking,
        plays.service(name="lead time", scheduling_policy={"minimum_lead_time": "P60D"}),
        plays.mark("again"),
        dict(booking, name="again"),
    ]))
    assert_ok(run, "business", "staff", "service", "book", "lead time")
    assert run.result("book")["action"] == "created"
    again = run.result("again")
    assert writes(steps(emulator.requests())["again"]) == []
    assert not again.get("failed") and again["action"] == "unchanged", again.get("msg")


# ---------------------------------------------------------------- 3. check mode of the first playbook

def test_check_mode_predicts_the_first_playbook_on_an_existing_business_and_writes_nothing(
        emulator, ansible_playbook, tmp_path):
    plays = Plays(emulator, tmp_path)
    made = ansible_playbook(plays.playbook([plays.business()]))
    assert_ok(made)
    mark = last_seq(emulator)
    writes_before = emulator.metrics()["writes"]

    tasks = plays.first_playbook_tasks()
    for task in tasks:
        task["ignore_errors"] = True  # every task's answer, for the report when one fails
    run = ansible_playbook(plays.playbook(tasks), args=("--check", "--diff"))
    log = emulator.requests(since=mark)
    assert writes(log) == [] and emulator.metrics()["writes"] == writes_before, writes(log)
    assert_ok(run)
    assert not run.result("business")["changed"]
    for name, key in (("staff", "booking_staff_member"), ("service", "booking_service"),
                      ("appointment", "booking_appointment")):
        result = run.result(name)
        assert result["changed"] and result["action"] == "created", result
        assert result["diff"]["before"] == {} and result["diff"]["after"], result
        assert result[key] and result[key].get("id") is None, result  # predicted: no ID yet
    assert run.result("appointment")["booking_appointment"]["external_id"] == "CRM-1001"
    assert run.result("service")["booking_service"]["default_duration"] == "PT30M"
