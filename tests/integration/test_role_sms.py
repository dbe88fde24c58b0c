"""The virtual_appointments role with ``virtual_appointments_notify_sms``, through the real ansible-playbook against the
emulator (a generated inventory of 12 appointments, 2 organizers in 2 tenants): each appointment created with a client
phone number gets one confirmation, a re-run and check mode send nothing, a purge sends the cancellation, and the
report rows say which SMS went.  The SMS are counted where Graph receives them (the emulator's ``sms`` state).

Graph serves the SMS to delegated tokens only, so each organizer signs in as themselves: its host_vars carry a
``virtual_appointments_connection`` with username and password through the tenant's public client app
(Inventory.use_delegated_connections), in place of the tenant's application connection from group_vars.  With that
application connection the role is refused before any request (test_delegated_only.py)."""

import pytest

from tests.helpers import Inventory, Runner
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import sms as sms_utils

NOTIFY = {"virtual_appointments_notify_sms": {"time_zone": "America/New_York"}}


@pytest.fixture
def small(tmp_path):
    return Inventory(tmp_path / "inventory", appointments=12, organizers=2, tenants=2)


@pytest.fixture
def role(emulator, small, tmp_path):
    emulator.seed(small.seed)
    small.use_delegated_connections(tmp_path / "tokens")
    return Runner(emulator, small, tmp_path)


def assert_sent_as_the_organizers(emulator, small, since=0):
    """Every SMS request came from the tenant's public client app (a delegated token), for the signed-in organizer."""
    public = {t["id"]: t["example"]["public_client_id"] for t in small.seed["tenants"]}
    sms = [r for r in emulator.requests(since=since, kind="graph") if r["path"].endswith("/sendVirtualAppointmentSms")]
    assert sms and all(r["app"] == public[r["tenant"]] for r in sms), sms
    organizers = {small.organizer_of(host)["id"] for host in small.hosts()}
    assert {r["user"] for r in sms} <= organizers, sms


def phones(item):
    """The distinct E.164 numbers of an item's clients: who gets its SMS."""
    numbers = []
    for client in item.get("appointment_clients") or []:
        if client.get("sms_capable_phone_number"):
            number, problem = sms_utils.normalize_phone(client["sms_capable_phone_number"])
            assert problem is None, problem
            if number not in numbers:
                numbers.append(number)
    return numbers


def test_role_sends_each_sms_once(role, small, emulator):
    items = {item["external_id"]: item for host in small.hosts() for item in small.host_vars(host)["virtual_appointments"]}
    texted = sorted(external_id for external_id, item in items.items() if phones(item))
    assert 0 < len(texted) < len(items)  # the generator gives most, not all, clients a number

    # Check mode first: the plan names the confirmations; nothing is sent or written.
    writes = role.writes()
    plan = role(args=["--check"], extra=NOTIFY)
    assert plan.ok, plan.why()
    assert role.writes() == writes and emulator.state()["sms"] == []
    assert sorted(r["external_id"] for r in plan.report()["appointments"] if r.get("notified") == "confirmation") \
        == texted

    first = role(extra=NOTIFY)
    assert first.ok, first.why()
    received = emulator.state()["sms"]
    assert len(received) == len(texted)
    assert {r["type"] for r in received} == {"confirmation"}
    assert all(a["timeZone"] == "Eastern Standard Time" for r in received for a in r["attendees"])
    rows = {r["external_id"]: r for r in first.report()["appointments"]}
    assert sorted(k for k, r in rows.items() if r.get("notified") == "confirmation") == texted
    by_meeting = {r["meeting_id"]: r for r in received}
    for external_id in texted:
        body = by_meeting[rows[external_id]["online_meeting_id"]]["body"]
        assert body == {"attendees": [{"phoneNumber": n, "timeZone": "Eastern Standard Time"}
                                      for n in phones(items[external_id])], "messageType": "confirmation"}

    again = role(extra=NOTIFY)
    assert again.ok and again.changed_hosts() == [], again.why()
    assert len(emulator.state()["sms"]) == len(texted)
    assert_sent_as_the_organizers(emulator, small)

    # An appointment leaves the inventory; purge deletes it and sends its cancellation first, once.
    host = next(h for h in small.hosts() if any(phones(i) for i in small.host_vars(h)["virtual_appointments"]))
    data = small.host_vars(host)
    gone = next(i for i in data["virtual_appointments"] if phones(i))
    data["virtual_appointments"] = [i for i in data["virtual_appointments"] if i is not gone]
    small.save_host_vars(host, data)
    purged = role(extra=dict(NOTIFY, virtual_appointments_purge=True))
    assert purged.ok, purged.why()
    received = emulator.state()["sms"]
    assert len(received) == len(texted) + 1 and received[-1]["type"] == "cancellation"
    assert received[-1]["meeting_id"] == rows[gone["external_id"]]["online_meeting_id"]
    assert [(r["external_id"], r["action"], r.get("notified")) for r in purged.report()["appointments"]
            if r["action"] != "unchanged"] == [(gone["external_id"], "deleted", "cancellation")]
    assert role(extra=dict(NOTIFY, virtual_appointments_purge=True)).ok
    assert len(emulator.state()["sms"]) == len(texted) + 1


def test_role_fails_the_organizer_whose_sms_failed_and_keeps_the_ledger(role, small, emulator):
    emulator.faults([{"route": "sendVirtualAppointmentSms$", "method": "POST", "status": 500, "after": True,
                      "count": 1}])
    first = role(extra=NOTIFY)
    assert not first.ok
    report = first.report()
    assert report["summary"]["failed"] == 0 and report["summary"]["created"] == 12, report["summary"]
    failed = [r for r in report["appointments"] if r.get("notify_error")]
    assert len(failed) == 1
    host = next(e["host"] for e in report["organizers"] if e.get("error"))
    assert "the appointments themselves were written" in first.host_results(
        "Fail the organizers whose appointments failed")[host]["msg"]
    assert failed[0]["external_id"] in role.ledger_file(host)["appointments"]
    sent = len(emulator.state()["sms"])
    emulator.faults([])
    again = role(extra=NOTIFY)
    assert again.ok and again.changed_hosts() == [], again.why()
    assert len(emulator.state()["sms"]) == sent  # the SMS whose answer was lost is not sent again
