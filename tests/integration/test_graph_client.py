"""The HTTP path (plugins/module_utils/graph.py) against the emulator: encoding, re-authentication, retries,
provisioning waits, TLS errors and the $batch executor under injected faults."""

import time

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import errors, retry
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import graph_path
from tests.helpers import MintedTokens, make_client, meetings_path


def new_meeting(client, emulator, external_id="m-1"):
    return client.request("POST", meetings_path(emulator) + "/createOrGet", {"externalId": external_id}).json()


@pytest.mark.parametrize("hostile", ["a/../b", "?x=1", "#frag", "%2F", "ünïcode", "..", ".", "a b", "x;y"])
def test_hostile_ids_stay_inside_their_segment(emulator, hostile):
    client = make_client(emulator)
    path = meetings_path(emulator) + graph_path(("meeting", hostile), "virtualAppointment")
    with pytest.raises(errors.NotFound) as caught:
        client.request("GET", path)
    assert caught.value.code == "itemNotFound"  # the meeting route answered, nothing else
    last = emulator.requests(kind="graph")[-1]
    assert last["route"] == "/users/{id}/onlineMeetings/{id}/virtualAppointment"


def test_empty_id_is_refused_before_any_request(emulator):
    with pytest.raises(errors.ValidationError, match="meeting: must not be empty"):
        graph_path("users", ("meeting", ""))
    assert emulator.requests(kind="graph") == []


def test_every_request_carries_a_client_request_id(emulator):
    client = make_client(emulator)
    new_meeting(client, emulator)
    ids = [r["client_request_id"] for r in emulator.requests(kind="graph")]
    assert len(ids) == 1 and len(ids[0]) == 36


def test_expired_token_is_reacquired_once(emulator):
    tokens = MintedTokens(emulator, first_lifetime=-10)
    client = make_client(emulator, tokens)
    assert new_meeting(client, emulator)["id"]
    assert tokens.invalidated == 1
    assert [r["status"] for r in emulator.requests(kind="graph")] == [401, 201]


def test_throttling_is_waited_out_and_reported(emulator):
    emulator.faults([{"route": "createOrGet", "status": 429, "retry_after": 1, "count": 2}])
    client = make_client(emulator)
    started = time.monotonic()
    new_meeting(client, emulator)
    assert time.monotonic() - started >= 2.0  # Retry-After honoured, never shortened
    assert client.waits.as_dict()["by_reason"] == {"429 throttled": 2}
    assert "429 throttled x2" in client.waits.summary()


@pytest.mark.parametrize("status", [503, 409])
def test_first_create_provisioning_is_waited_out(emulator, status):
    emulator.modes(provisioning={"status": status, "seconds": 2})
    client = make_client(emulator)
    meeting = new_meeting(client, emulator)
    path = meetings_path(emulator) + graph_path(("meeting", meeting["id"]), "virtualAppointment")
    response = client.request("PUT", path, {"externalAppointmentId": "a"}, provisioning=True)
    assert response.status_code == 201
    assert client.waits.as_dict()["by_reason"] == {"%d provisioning" % status: 1}  # Retry-After: 2 covers it
    assert client.waits.seconds == 2.0


def test_provisioning_beyond_the_timeout_fails_with_the_reason(emulator):
    emulator.modes(provisioning={"status": 503, "seconds": 30})
    client = make_client(emulator, settings=retry.RetrySettings(provisioning_timeout=3))
    meeting = new_meeting(client, emulator)
    path = meetings_path(emulator) + graph_path(("meeting", meeting["id"]), "virtualAppointment")
    with pytest.raises(errors.GraphError) as caught:
        client.request("PUT", path, {}, provisioning=True)
    assert caught.value.status == 503 and caught.value.request_id
    assert "provisioning_timeout" in str(caught.value)


def test_a_409_outside_provisioning_is_final(emulator):
    emulator.faults([{"route": "createOrGet", "status": 409, "count": 1}])
    with pytest.raises(errors.GraphError) as caught:
        new_meeting(make_client(emulator), emulator)
    assert caught.value.status == 409 and "retry" not in str(caught.value)


def test_dropped_connections_are_retried(emulator):
    emulator.faults([{"route": "createOrGet", "drop": "after", "count": 1}])
    client = make_client(emulator)
    first = new_meeting(client, emulator)
    assert first["id"]
    assert len(emulator.state()["tenants"][0]["meetings"]) == 1  # createOrGet: the retry found, not duplicated
    assert client.waits.as_dict()["by_reason"] == {"connection": 1}


def test_tls_without_the_ca_fails_clearly(emulator):
    client = make_client(emulator, verify=True)
    with pytest.raises(errors.TransportError, match="TLS certificate verification failed.*ca_path"):
        new_meeting(client, emulator)


def test_machine_ca_variables_do_not_override_ca_path(emulator, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/nonexistent/ca.pem")
    assert new_meeting(make_client(emulator), emulator)["id"]


def test_batch_results_come_back_in_input_order(emulator):
    client = make_client(emulator)
    items = [{"method": "POST", "path": meetings_path(emulator) + "/createOrGet", "body": {"externalId": "e%03d" % i}}
             for i in range(45)]
    items.insert(7, {"method": "GET", "path": meetings_path(emulator) + graph_path(("m", "missing"))})
    results = client.batch(items, concurrency=3)
    assert len(results) == 46
    assert results[7].status == 404 and isinstance(results[7].error, errors.NotFound)
    externals = [r.body["externalId"] for i, r in enumerate(results) if i != 7]
    assert externals == ["e%03d" % i for i in range(45)]
    assert emulator.metrics()["graph"]["by_route"]["POST /$batch"] == 3  # 46 items, 20 a call


def test_spread_batch_evens_its_calls_over_the_slots(emulator):
    """spread (Bookings: a call's items run one after another, four slots a mailbox): 25 items, 4 in flight, go as
    4 calls of 7, 6, 6 and 6 - not 20 and 5 - in input order and each once."""
    client = make_client(emulator)
    items = [{"method": "POST", "path": meetings_path(emulator) + "/createOrGet", "body": {"externalId": "s%02d" % i}}
             for i in range(25)]
    results = client.batch(items, concurrency=4, spread=True)
    assert [r.body["externalId"] for r in results] == ["s%02d" % i for i in range(25)]
    sizes = {}
    for entry in emulator.requests(kind="graph"):
        if entry["batch"] is not None:
            sizes[entry["batch"]] = sizes.get(entry["batch"], 0) + 1
    assert sorted(sizes.values(), reverse=True) == [7, 6, 6, 6]
    assert emulator.metrics()["graph"]["by_route"]["POST /$batch"] == 4


def test_batch_of_1000_under_20_percent_faults_all_succeed_and_none_is_resent(emulator):
    emulator.faults([
        {"route": ".", "status": 429, "retry_after": 1, "rate": 0.1},
        {"route": ".", "status": 503, "retry_after": 1, "rate": 0.11},
    ])
    client = make_client(emulator)
    items = [{"method": "POST", "path": meetings_path(emulator) + "/createOrGet", "body": {"externalId": "x%04d" % i}}
             for i in range(1000)]
    results = client.batch(items, concurrency=4)
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    assert len({r.body["id"] for r in results}) == 1000
    attempts = {}
    for entry in emulator.requests(kind="graph"):
        if entry["batch"] is not None:
            attempts.setdefault(entry["client_request_id"], []).append(entry["status"])
    assert len(attempts) == 1000
    for statuses in attempts.values():
        assert statuses[-1] in (200, 201) and all(s in (429, 503) for s in statuses[:-1])
    assert client.waits.retries > 0
