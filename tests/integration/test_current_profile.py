"""The collection on the emulator's ``current`` profile (what Graph serves in late 2026, graph-today.md): the seed's
virtualAppointment resource is gone, and every module that touches it fails with one clear message naming the
retirement and what works today - never Graph's bare 400 - in check mode too; a missing application access policy
names the Teams PowerShell cmdlets that grant one. The meeting itself works on both profiles."""

import copy
import csv

import pytest

from tests.conftest import emulator_env
from tests.graph_emulator.directory import DEFAULT_SEED

RETIRED = "Microsoft retired the virtualAppointment resource in 2023"
TODAY = "appointment_resource: false"


@pytest.fixture
def current(emulator):
    emulator.set_profile("current")
    return emulator


def play(*tasks):
    return "- hosts: localhost\n  gather_facts: false\n  tasks:\n" + "".join(tasks)


def task(name, module, options, ignore=True):
    body = "".join("        %s\n" % line for line in options.strip().splitlines())
    return "    - name: %s\n      cloudcomms.virtual_appointments.%s:\n%s%s" % (
        name, module, body, "      ignore_errors: true\n" if ignore else "")


def meeting_task(emulator, external_id="today-1"):
    return task("meeting", "online_meeting", """
user: %s
external_id: %s
subject: Loan review
start_date_time: "2026-12-07T15:00:00Z"
end_date_time: "2026-12-07T15:30:00Z"
""" % (emulator.defaults["user_id"], external_id), ignore=False)


@pytest.mark.parametrize("profile", ["documented", "current"])
def test_the_online_meeting_works_on_both_profiles(emulator, ansible_playbook, profile):
    emulator.set_profile(profile)
    first = ansible_playbook(play(meeting_task(emulator)), env=emulator_env(emulator))
    again = ansible_playbook(play(meeting_task(emulator)), env=emulator_env(emulator))
    assert first.result("meeting")["changed"] and not again.result("meeting")["changed"], first.result("meeting")
    assert again.result("meeting")["online_meeting"]["id"] == first.result("meeting")["online_meeting"]["id"]


def test_the_seeds_resource_fails_with_the_retirement_in_every_module_and_in_check_mode(current, ansible_playbook):
    made = ansible_playbook(play(meeting_task(current)), env=emulator_env(current))
    meeting_id = made.result("meeting")["online_meeting"]["id"]
    user = current.defaults["user_id"]
    appointment = """
user: %s
online_meeting_id: %s
external_appointment_url: https://scheduling.example.com/today-1
""" % (user, meeting_id)
    info = "user: %s\nonline_meeting_ids: [%s]\n" % (user, meeting_id)
    tasks = [task("appointment", "virtual_appointment", appointment), task("info", "virtual_appointment_info", info)]
    for args in ((), ("--check",)):
        run = ansible_playbook(play(*tasks), env=emulator_env(current), args=args)
        for name in ("appointment", "info"):
            result = run.result(name)
            assert result.get("failed"), (args, name, result)
            assert RETIRED in result["msg"] and TODAY in result["msg"], (args, name, result["msg"])
            assert "Resource not found for the segment 'virtualAppointment'" in result["msg"]  # Graph's words too
            assert result["error"]["cause"] == "resource_retired"


def test_a_batch_with_appointment_fields_names_the_retirement_once_for_all_its_items(current, ansible_playbook):
    user = current.defaults["user_id"]
    items = "".join("  - {external_id: today-b%d, user: %s, subject: Review %d, start_date_time: "
                    "'2026-12-07T1%d:00:00Z', end_date_time: '2026-12-07T1%d:30:00Z', external_appointment_url: "
                    "'https://scheduling.example.com/b%d'}\n" % (i, user, i, i, i, i) for i in range(5))
    run = ansible_playbook(play(task("batch", "virtual_appointment_batch", "appointments:\n%s" % items)),
                           env=emulator_env(current))
    result = run.result("batch")
    assert result.get("failed"), result
    assert result["msg"].count(RETIRED) == 1, result["msg"]
    assert "appointments[0] (external_id today-b0), appointments[1] (external_id today-b1), appointments[2] " \
           "(external_id today-b2) and 2 more:" in result["msg"], result["msg"]
    # What was written is said: the meetings exist (createOrGet), their appointments could not be made.
    assert [(r["meeting_action"], r["appointment_action"], r["error"]["cause"]) for r in result["appointments"]] \
        == [("created", "failed", "resource_retired")] * 5


def test_a_missing_application_access_policy_names_the_cmdlets_that_grant_one(current, ansible_playbook):
    current.access_policy(user_id=current.defaults["user_id"], everyone=False, grant=False)
    run = ansible_playbook(play(task("meeting", "online_meeting", """
user: %s
external_id: today-policy
subject: Loan review
""" % current.defaults["user_id"])), env=emulator_env(current))
    result = run.result("meeting")
    assert result.get("failed"), result
    assert "No application access policy found for this app" in result["msg"]
    assert "New-CsApplicationAccessPolicy" in result["msg"] and "Grant-CsApplicationAccessPolicy" in result["msg"]
    assert result["error"]["cause"] == "access_policy_missing"
    assert current.state()["tenants"][0]["meetings"] == []


# -- today's flow: the meeting by external ID and its client join link, the appointment's data never sent ----------
def delegated_env(emulator, tmp_path):
    """Signed in as the organizer (username and password): Graph serves the join link to delegated tokens only.  The
    token cache goes to the test's directory, never to ~/.cache."""
    d = emulator.defaults
    env = emulator_env(emulator)
    env["CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH"] = str(tmp_path / "tokens" / "msal_token_cache.json")
    del env["AZURE_CLIENT_SECRET"]
    env.update({"AZURE_CLIENT_ID": d["public_client_id"], "AZURE_USERNAME": d["user_upn"],
                "AZURE_PASSWORD": d["user_password"]})
    return env


def todays_batch(count=3, **options):
    items = "".join("  - {external_id: today-j%d, subject: Review %d, start_date_time: '2026-12-08T1%d:00:00Z', "
                    "end_date_time: '2026-12-08T1%d:30:00Z', external_appointment_url: "
                    "'https://scheduling.example.com/j%d', appointment_clients: [{display_name: Client %d, "
                    "email_address: 'client%d@example.com'}]}\n" % (i, i, i, i, i, i, i) for i in range(count))
    extra = "".join("%s: %s\n" % pair for pair in sorted(options.items()))
    return play(task("batch", "virtual_appointment_batch", "appointment_resource: false\n%sappointments:\n%s"
                     % (extra, items)))


@pytest.mark.parametrize("profile", ["documented", "current"])
def test_todays_flow_makes_meetings_with_client_join_links_and_never_touches_the_retired_resource(
        emulator, ansible_playbook, profile, tmp_path):
    emulator.set_profile(profile)
    env = delegated_env(emulator, tmp_path)
    playbook = todays_batch(include_join_web_url="true")
    seq = emulator.metrics()["seq"]
    planned = ansible_playbook(playbook, env=env, args=["--check", "--diff"]).result("batch")
    assert not planned.get("failed") and planned["changed"], planned
    assert [r["action"] for r in planned["appointments"]] == ["created"] * 3
    assert emulator.state()["tenants"][0]["meetings"] == []
    first = ansible_playbook(playbook, env=env).result("batch")
    assert not first.get("failed"), first
    assert [(r["action"], r["meeting_action"]) for r in first["appointments"]] == [("created", "created")] * 3
    links = [r["client_join_web_url"] for r in first["appointments"]]
    assert all(link and link.startswith("https://") for link in links) and len(set(links)) == 3, links
    again = ansible_playbook(playbook, env=env).result("batch")
    assert not again.get("failed") and not again["changed"], again
    assert [r["client_join_web_url"] for r in again["appointments"]] == links
    paths = [r.get("path") or "" for r in emulator.requests(since=seq, kind="graph")]
    assert not [path for path in paths if path.endswith("/virtualAppointment")], paths
    meetings = emulator.state()["tenants"][0]["meetings"]
    assert sorted(m["externalId"] for m in meetings) == ["today-j0", "today-j1", "today-j2"]
    assert all(m.get("virtualAppointment") is None for m in meetings)


def test_the_join_link_with_an_application_sign_in_is_refused_before_any_request(emulator, ansible_playbook):
    seq = emulator.metrics()["seq"]
    result = ansible_playbook(todays_batch(include_join_web_url="true"), env=emulator_env(emulator)).result("batch")
    assert result.get("failed"), result
    assert "include_join_web_url" in result["msg"] and "delegated" in result["msg"] and "sign_in" in result["msg"]
    assert emulator.requests(since=seq) == []


def test_the_role_in_todays_flow_puts_the_client_join_links_in_its_report(current, ansible_playbook, tmp_path):
    d = current.defaults
    items = [{"external_id": "today-r%d" % i, "subject": "Review %d" % i, "start_date_time": "2026-12-09T1%d:00:00Z" % i,
              "end_date_time": "2026-12-09T1%d:30:00Z" % i, "external_appointment_url": "https://s.example/r%d" % i}
             for i in range(4)]
    role_vars = {
        "virtual_appointments_organizer": d["user_id"], "virtual_appointments_tenant": "contoso",
        "virtual_appointments_connection": {"auth_method": "username_password", "tenant_id": d["tenant_id"],
                                            "client_id": d["public_client_id"], "username": d["user_upn"],
                                            "password": d["user_password"],
                                            "token_cache_path": str(tmp_path / "tokens" / "cache.json")},
        "virtual_appointments_appointment_resource": False, "virtual_appointments_include_join_web_url": True,
        "virtual_appointments_report_dir": str(tmp_path / "report"), "virtual_appointments_ledger_dir": "",
        "virtual_appointments": items}
    playbook = ("- hosts: localhost\n  gather_facts: false\n  roles:\n"
                "    - role: cloudcomms.virtual_appointments.virtual_appointments\n")
    env = emulator_env(current)
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        env.pop(name)
    run = ansible_playbook(playbook, env=env, extra_vars=role_vars)
    assert run.returncode == 0, run.stdout[-3000:]
    with open(tmp_path / "report" / "report.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["external_id"] for row in rows] == ["today-r%d" % i for i in range(4)]
    assert all(row["client_join_web_url"].startswith("https://") and row["action"] == "created" for row in rows), rows


@pytest.mark.parametrize("profile", ["documented", "current"])
def test_todays_flow_texts_each_new_meetings_clients_once_and_plans_it_in_check_mode(
        emulator, ansible_playbook, profile, tmp_path):
    emulator.set_profile(profile)
    env = delegated_env(emulator, tmp_path)
    user = emulator.defaults["user_id"]
    items = "".join("  - {external_id: today-s%d, user: %s, subject: Review %d, start_date_time: "
                    "'2026-12-10T1%d:00:00Z', end_date_time: '2026-12-10T1%d:30:00Z', appointment_clients: "
                    "[{display_name: Client %d, email_address: 'c%d@example.com', sms_capable_phone_number: "
                    "'+1 312 555 01%02d'}]}\n" % (i, user, i, i, i, i, i, 40 + i) for i in range(3))
    playbook = play(task("batch", "virtual_appointment_batch",
                         "appointment_resource: false\nnotify_sms: {time_zone: Central Standard Time}\n"
                         "appointments:\n%s" % items))
    planned = ansible_playbook(playbook, env=env, args=["--check", "--diff"]).result("batch")
    assert not planned.get("failed"), planned
    assert [r["notification"]["message_type"] for r in planned["appointments"]] == ["confirmation"] * 3
    assert planned["diff"][0]["after"]["notification"]["request_body"]["messageType"] == "confirmation"
    assert emulator.state()["sms"] == []
    sent = ansible_playbook(playbook, env=env).result("batch")
    assert not sent.get("failed"), sent
    received = emulator.state()["sms"]
    assert sorted(r["body"]["attendees"][0]["phoneNumber"] for r in received) == \
        ["+13125550140", "+13125550141", "+13125550142"]
    assert all(r["notification"]["sent"] for r in sent["appointments"])
    again = ansible_playbook(playbook, env=env).result("batch")
    assert not again.get("failed") and not again["changed"] and len(emulator.state()["sms"]) == 3, again


# -- an organizer given by UPN, with an application sign-in ------------------------------------------------------
def test_a_upn_is_resolved_once_to_the_object_id_so_both_spellings_are_one_organizer(current, ansible_playbook):
    d = current.defaults
    items = "".join("  - {external_id: today-u%d, user: '%s', subject: Review %d}\n"
                    % (i, d["user_upn"] if i % 2 else d["user_id"], i) for i in range(4))
    seq = current.metrics()["seq"]
    run = ansible_playbook(play(task("batch", "virtual_appointment_batch",
                                     "appointment_resource: false\nappointments:\n%s" % items)), env=emulator_env(current))
    result = run.result("batch")
    assert not result.get("failed"), result
    assert [r["user"] for r in result["appointments"]] == [d["user_id"], d["user_upn"]] * 2  # as the task spells it
    paths = [r.get("path") or "" for r in current.requests(since=seq, kind="graph")]
    assert [p for p in paths if p.startswith("/users/") and "onlineMeetings" not in p] == \
        ["/users/%s" % d["user_upn"].replace("@", "%40")], paths  # one read of the UPN's object ID
    meeting = ansible_playbook(play(task("meeting", "online_meeting", "user: '%s'\nexternal_id: today-u1\n"
                                         % d["user_upn"].upper())), env=emulator_env(current)).result("meeting")
    assert not meeting.get("failed") and not meeting["changed"], meeting
    assert meeting["online_meeting"]["id"] == result["appointments"][1]["online_meeting_id"]


def test_without_permission_to_read_users_the_message_names_user_read_all(current, ansible_playbook):
    seed = copy.deepcopy(DEFAULT_SEED)
    app = next(a for a in seed["tenants"][0]["apps"] if not a.get("public"))
    app["application_permissions"] = [p for p in app["application_permissions"] if p != "User.Read.All"]
    current.seed(seed)
    current.set_profile("current")
    run = ansible_playbook(play(meeting_task(current).replace("user: %s" % current.defaults["user_id"],
                                                              "user: %s" % current.defaults["user_upn"])
                                .replace("      cloudcomms", "      cloudcomms", 1) + "      ignore_errors: true\n"),
                           env=emulator_env(current))
    result = run.result("meeting")
    assert result.get("failed") and "User.Read.All" in result["msg"], result
    assert current.state()["tenants"][0]["meetings"] == []
