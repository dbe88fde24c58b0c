"""Lost and ambiguous answers (what `make chaos` found): the HTTP path, the $batch executor and the reconcile engine
against the emulator's injected faults.

* 500 after a write, or a connection dropped after it: replay-safe requests (createOrGet, PUT, PATCH, DELETE, GET)
  are sent again and nothing is duplicated; any other POST is never sent twice.
* A $batch whose connection dropped is retried in smaller $batch calls, so one bad sub-request stops failing the
  rest.
* Waits the service prescribed (Retry-After) do not inflate a later backoff.
* A PATCH or DELETE sent again after its answer was lost reports what happened (updated, deleted), not unchanged.
"""

import collections
import socket

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import errors, models, retry
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import (
    GraphClient, HTTPSession, graph_path)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import ABSENT, PRESENT
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item, Reconciler
from tests.helpers import MintedTokens, make_client, meetings_path


class FakeTime:
    """A monotonic clock that only moves when the client sleeps; the sleeps are recorded."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def clock(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def fake_time_client(emulator, settings=None):
    fake = FakeTime()
    client = GraphClient(HTTPSession(verify=emulator.ca_file), emulator.graph_url + "/beta", MintedTokens(emulator),
                         settings or retry.RetrySettings(retry_timeout=600, provisioning_timeout=600),
                         clock=fake.clock, sleep=fake.sleep, rand=lambda: 1.0)
    return client, fake


def meetings(emulator):
    return [m for t in emulator.state()["tenants"] for m in t["meetings"]]


def create_items(emulator, count):
    return [{"method": "POST", "path": meetings_path(emulator) + "/createOrGet", "body": {"externalId": "L-%02d" % i}}
            for i in range(count)]


def appointment_put(path, url):
    return {"method": "PUT", "path": path + "/virtualAppointment", "provisioning": True,
            "body": {"externalAppointmentId": "x", "externalAppointmentUrl": url, "appointmentClients": []}}


def test_a_500_after_a_write_is_retried_when_a_replay_is_harmless(emulator):
    emulator.faults([{"route": "createOrGet", "status": 500, "after": True, "count": 2},
                     {"route": "virtualAppointment$", "method": "PUT", "status": 500, "after": True, "count": 2}])
    client = make_client(emulator)
    created = client.batch(create_items(emulator, 5))
    assert all(r.ok for r in created), created
    assert sum(r.replayed for r in created) == 2  # the two whose first answer was a 500 after the create
    assert sorted(m["externalId"] for m in meetings(emulator)) == ["L-%02d" % i for i in range(5)]  # none twice
    puts = client.batch([appointment_put(meetings_path(emulator) + graph_path(("m", r.body["id"])), "https://a.example/1")
                         for r in created])
    assert all(r.ok for r in puts), puts
    assert all(m["virtualAppointment"]["externalAppointmentUrl"] == "https://a.example/1" for m in meetings(emulator))
    assert client.waits.as_dict()["by_reason"] == {"500 transient": 4}


def test_a_500_on_a_plain_create_is_final(emulator):
    emulator.faults([{"route": "onlineMeetings$", "method": "POST", "status": 500, "after": True, "count": 1}])
    client = make_client(emulator)
    with pytest.raises(errors.GraphError) as caught:
        client.request("POST", meetings_path(emulator), {"subject": "once"})
    assert caught.value.status == 500
    assert len(meetings(emulator)) == 1  # the create that answered 500 was applied, and not repeated


@pytest.mark.parametrize("batched", [False, True], ids=["request", "batch"])
def test_a_plain_create_whose_connection_dropped_after_it_is_not_sent_again(emulator, batched):
    emulator.faults([{"route": "onlineMeetings$", "method": "POST", "drop": "after", "count": 1}])
    client = make_client(emulator)
    if batched:
        result = client.batch([{"method": "POST", "path": meetings_path(emulator), "body": {"subject": "once"}}])[0]
        assert isinstance(result.error, errors.TransportError)
        assert "may have been applied" in str(result.error)
    else:
        with pytest.raises(errors.TransportError, match="may have been applied"):
            client.request("POST", meetings_path(emulator), {"subject": "once"})
    assert len(meetings(emulator)) == 1  # before: sent again, two meetings
    posts = [e for e in emulator.requests(kind="graph") if e["route"].endswith("/onlineMeetings")]
    assert len(posts) == 1


def test_a_connection_that_was_never_made_is_retried_even_for_a_plain_create():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    fake = FakeTime()
    client = GraphClient(HTTPSession(verify=False, timeout=5), "https://127.0.0.1:%d/beta" % port,
                         type("Tokens", (), {"token": lambda self: "t", "invalidate": lambda self: None})(),
                         retry.RetrySettings(max_retries=2, retry_timeout=60), clock=fake.clock, sleep=fake.sleep,
                         rand=lambda: 0.0)
    with pytest.raises(errors.TransportError, match="max_retries"):
        client.request("POST", "/users/u/onlineMeetings", {"subject": "never sent"})
    assert len(fake.sleeps) == 2 and client.waits.as_dict()["by_reason"] == {"connection": 2}  # sent 3 times


def test_a_batch_that_lost_its_connection_is_retried_in_smaller_batches(emulator):
    client = make_client(emulator)
    items = [{"method": "GET", "path": meetings_path(emulator) + graph_path(("m", "missing-%02d" % i))}
             for i in range(20)]
    emulator.faults([{"route": "missing-07$", "drop": "before", "count": 3}])
    results = client.batch(items, concurrency=1)
    assert [r.status for r in results] == [404] * 20
    sizes = collections.Counter(e["batch"] for e in emulator.requests(kind="graph") if e["batch"] is not None)
    sizes = [sizes[seq] for seq in sorted(sizes)]
    # 20 (dropped) -> 10 with the bad one (dropped) + 10 -> 5 (dropped) + 5 -> 3 + 2: never the whole 20 again,
    # and the retried items travel together instead of scattering into one $batch each (before: 21 calls)
    assert sizes[0] == 20 and max(sizes[1:]) <= 10, sizes
    assert len(sizes) <= 8, sizes


def test_waits_the_service_prescribed_do_not_inflate_a_later_backoff(emulator):
    emulator.faults([{"route": "createOrGet", "status": 429, "retry_after": 1, "count": 3},
                     {"route": "createOrGet", "status": 503, "count": 1}])
    client, fake = fake_time_client(emulator)
    client.request("POST", meetings_path(emulator) + "/createOrGet", {"externalId": "B-1"})
    # three prescribed 1 s waits, then the first backoff (base 1 s, jitter at its top): 1 s, not 8 s
    assert fake.sleeps == [1.0, 1.0, 1.0, 1.0]


def test_dropped_connections_back_off_from_a_quarter_of_the_base_delay(emulator):
    emulator.faults([{"route": "createOrGet", "drop": "after", "count": 3}])
    client, fake = fake_time_client(emulator)
    client.request("POST", meetings_path(emulator) + "/createOrGet", {"externalId": "B-2"})
    assert fake.sleeps == [0.25, 0.5, 1.0]
    assert len(meetings(emulator)) == 1


def test_failures_of_one_cause_do_not_inflate_the_backoff_of_another(emulator):
    emulator.faults([{"route": "createOrGet", "drop": "before", "count": 3},
                     {"route": "createOrGet", "status": 503, "count": 1}])
    client, fake = fake_time_client(emulator)
    client.request("POST", meetings_path(emulator) + "/createOrGet", {"externalId": "B-3"})
    assert fake.sleeps == [0.25, 0.5, 1.0, 1.0]  # the 503 gets its own first backoff (before: the fourth, 8 s)


def test_waiting_out_provisioning_leaves_every_retry_for_other_faults(emulator):
    client, fake = fake_time_client(emulator, retry.RetrySettings(max_retries=2, retry_timeout=600))
    meeting = client.request("POST", meetings_path(emulator) + "/createOrGet", {"externalId": "P-1"}).json()
    emulator.faults([{"route": "virtualAppointment$", "method": "PUT", "status": 409, "retry_after": 1, "count": 4},
                     {"route": "virtualAppointment$", "method": "PUT", "status": 429, "retry_after": 1, "count": 2}])
    client.request("PUT", meetings_path(emulator) + graph_path(("m", meeting["id"]), "virtualAppointment"),
                   {"externalAppointmentUrl": "https://p.example/1"}, provisioning=True)
    assert fake.sleeps == [1.0] * 6  # four provisioning waits, then two throttling retries: within max_retries=2
    assert meetings(emulator)[0]["virtualAppointment"]["externalAppointmentUrl"] == "https://p.example/1"


def _meeting_with_appointment(emulator, client, external_id):
    meeting = client.request("POST", meetings_path(emulator) + "/createOrGet", {"externalId": external_id}).json()
    client.request("PUT", meetings_path(emulator) + graph_path(("m", meeting["id"]), "virtualAppointment"),
                   {"externalAppointmentUrl": "https://before.example/1"}, provisioning=True)
    return meeting["id"]


def test_a_patch_replayed_after_its_answer_was_lost_reports_updated(emulator):
    client = make_client(emulator)
    meeting_id = _meeting_with_appointment(emulator, client, "R-1")
    emulator.faults([{"route": "virtualAppointment$", "method": "PATCH", "drop": "after", "count": 1}])
    spec = {"external_appointment_url": "https://after.example/1"}
    item = Item("appointments[0]", user=emulator.defaults["user_id"], meeting_id=meeting_id, external_id="R-1",
                states={"appointment": PRESENT}, desired={"appointment": models.desired_appointment(spec)})
    result = Reconciler(client).run([item])[0]
    assert result.error is None
    assert result.action == "updated" and result.changed  # before: "unchanged", changed false
    diff = result.diff()
    assert diff["before"]["appointment"]["external_appointment_url"] == "https://before.example/1"
    assert diff["after"]["appointment"]["external_appointment_url"] == "https://after.example/1"
    assert meetings(emulator)[0]["virtualAppointment"]["externalAppointmentUrl"] == "https://after.example/1"
    patches = [e["status"] for e in emulator.requests(kind="graph") if e["method"] == "PATCH"]
    assert patches == [0, 412]  # dropped after it was applied; the replay met the new ETag


def test_a_delete_replayed_after_its_answer_was_lost_reports_deleted(emulator):
    client = make_client(emulator)
    meeting_id = _meeting_with_appointment(emulator, client, "R-2")
    emulator.faults([{"route": "onlineMeetings/[^/]+$", "method": "DELETE", "drop": "after", "count": 1}])
    item = Item("appointments[0]", user=emulator.defaults["user_id"], meeting_id=meeting_id, external_id="R-2",
                states={"meeting": ABSENT, "appointment": ABSENT})
    result = Reconciler(client).run([item])[0]
    assert result.error is None
    assert result.parts["meeting"].action == "deleted" and result.action == "deleted" and result.changed
    assert meetings(emulator) == []
    deletes = [e["status"] for e in emulator.requests(kind="graph") if e["method"] == "DELETE"]
    assert deletes == [0, 404]


def test_a_delete_of_something_already_gone_is_unchanged(emulator):
    client = make_client(emulator)
    meeting_id = _meeting_with_appointment(emulator, client, "R-3")
    item = Item("appointments[0]", user=emulator.defaults["user_id"], meeting_id=meeting_id, external_id="R-3",
                states={"meeting": ABSENT, "appointment": ABSENT})
    # someone else deletes it between our read and our DELETE: the DELETE answers 404 at once (not a replay)
    emulator.faults([{"route": "onlineMeetings/[^/]+$", "method": "DELETE", "status": 404, "count": 1}])
    result = Reconciler(client).run([item])[0]
    assert result.error is None and result.parts["meeting"].action == "unchanged"
