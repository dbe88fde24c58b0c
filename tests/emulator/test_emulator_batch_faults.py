"""Contract tests of the Graph emulator over HTTPS: JSON batching, throttling, provisioning, injected faults,
latency, the control API, the command line and concurrency (graph-api.md sections 7 and 9)."""

import json
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from requests.adapters import HTTPAdapter

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess

JSON = {"Content-Type": "application/json"}


class Graph:
    """A requests session against the emulator's Graph beta endpoint with the default app's token."""

    def __init__(self, emulator, token=None):
        self.emulator = emulator
        self.http = emulator.session()
        self.http.headers["Authorization"] = "Bearer " + (token or emulator.app_token())
        self.base = emulator.graph_url + "/beta"
        self.user = "/users/%s" % emulator.defaults["user_id"]

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, self.base + path, **kwargs)

    def batch(self, items):
        return self.request("POST", "/$batch", json={"requests": items})

    def meeting(self, meeting_id):
        return "%s/onlineMeetings/%s" % (self.user, meeting_id)

    def appointment(self, meeting_id):
        return self.meeting(meeting_id) + "/virtualAppointment"

    def new_meeting(self, subject="contract test"):
        response = self.request("POST", self.user + "/onlineMeetings", json={"subject": subject})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def meetings(self):
        """The meetings of the default tenant as the control API shows them."""
        tenant_id = self.emulator.defaults["tenant_id"]
        return next(t["meetings"] for t in self.emulator.state()["tenants"] if t["id"] == tenant_id)

    def close(self):
        self.http.close()


@pytest.fixture
def graph(emulator):
    client = Graph(emulator)
    yield client
    client.close()


def by_id(response):
    assert response.status_code == 200, response.text
    return {item["id"]: item for item in response.json()["responses"]}


def error_code(body):
    return body["error"]["code"]


# ---------------------------------------------------------------------------------------------------------------
# $batch
# ---------------------------------------------------------------------------------------------------------------
def test_batch_of_20_items_is_accepted(graph):
    path = graph.meeting(graph.new_meeting())
    items = by_id(graph.batch([{"id": str(i), "method": "GET", "url": path} for i in range(20)]))
    assert sorted(items, key=int) == [str(i) for i in range(20)]
    assert {item["status"] for item in items.values()} == {200}


def test_batch_of_21_items_is_refused_as_a_whole(emulator, graph):
    path = graph.meeting(graph.new_meeting())
    response = graph.batch([{"id": str(i), "method": "GET", "url": path} for i in range(21)])
    assert response.status_code == 400
    assert error_code(response.json()) == "BadRequest"
    assert "20" in response.json()["error"]["message"]
    assert [e for e in emulator.requests() if e["batch"] is not None] == []  # no item ran


@pytest.mark.parametrize("ids", [("a", "a"), ("req", "REQ")])
def test_batch_with_duplicate_ids_is_refused_as_a_whole(graph, ids):
    path = graph.meeting(graph.new_meeting())
    response = graph.batch([{"id": item_id, "method": "GET", "url": path} for item_id in ids])
    assert response.status_code == 400
    assert "duplicate" in response.json()["error"]["message"]


def test_batch_item_with_a_body_needs_a_content_type(graph):
    item = {"id": "1", "method": "POST", "url": graph.user + "/onlineMeetings", "body": {"subject": "x"}}
    response = graph.batch([item])
    assert response.status_code == 400
    assert "Content-Type" in response.json()["error"]["message"]
    assert graph.meetings() == []

    item["headers"] = {"content-type": "application/json"}  # header names are case-insensitive
    assert by_id(graph.batch([item]))["1"]["status"] == 201


@pytest.mark.parametrize("url, segment", [
    ("https://graph.microsoft.com/beta/users/{user}/onlineMeetings/{id}", "https:"),
    ("/beta/users/{user}/onlineMeetings/{id}", "beta"), ("v1.0/users/{user}/onlineMeetings/{id}", "v1.0")])
def test_batch_item_with_an_absolute_or_versioned_url_fails_alone(emulator, graph, url, segment):
    """graph-today.md 5: Graph parses the url as a path; its first segment is no resource (msgraph-sdk-python#1015)."""
    meeting_id = graph.new_meeting()
    bad = url.format(user=emulator.defaults["user_id"], id=meeting_id)
    items = by_id(graph.batch([{"id": "bad", "method": "GET", "url": bad},
                               {"id": "good", "method": "GET", "url": graph.meeting(meeting_id)}]))
    assert items["bad"]["status"] == 400
    assert error_code(items["bad"]["body"]) == "BadRequest"
    assert items["bad"]["body"]["error"]["message"] == "Resource not found for the segment '%s'." % segment
    assert items["good"]["status"] == 200
    logged = {e["request_id"]: e for e in emulator.requests() if e["batch"] is not None}
    assert logged[items["bad"]["headers"]["request-id"]]["status"] == 400


def test_batch_item_with_a_body_that_is_not_a_json_object_fails_alone(graph):
    items = by_id(graph.batch([
        {"id": "list", "method": "POST", "url": graph.user + "/onlineMeetings", "body": [1], "headers": JSON},
        {"id": "b64", "method": "POST", "url": graph.user + "/onlineMeetings", "body": "not base64!", "headers": JSON},
        {"id": "ok", "method": "POST", "url": graph.user + "/onlineMeetings", "body": {}, "headers": JSON},
    ]))
    assert (items["list"]["status"], items["b64"]["status"], items["ok"]["status"]) == (400, 400, 201)


@pytest.mark.parametrize("order", ["request", "reverse", "shuffle"])
def test_batch_responses_correlate_by_id_in_any_order(emulator, graph, order):
    subjects = ["meeting %d" % i for i in range(6)]
    ids = [graph.new_meeting(subject) for subject in subjects]
    emulator.modes(batch_order=order)
    requested = ["item-%d" % i for i in range(6)]
    response = graph.batch([{"id": item_id, "method": "GET", "url": graph.meeting(meeting_id)}
                            for item_id, meeting_id in zip(requested, ids)])
    answered = [item["id"] for item in response.json()["responses"]]
    if order == "request":
        assert answered == requested
    elif order == "reverse":
        assert answered == requested[::-1]
    assert sorted(answered) == requested
    items = by_id(response)
    assert [items[item_id]["body"]["subject"] for item_id in requested] == subjects


def test_batch_items_have_their_own_status_headers_and_body(graph):
    meeting_id = graph.new_meeting()
    put = graph.request("PUT", graph.appointment(meeting_id), json={"externalAppointmentId": "A-1"})
    assert put.status_code == 201
    items = by_id(graph.batch([
        {"id": "get", "method": "GET", "url": graph.appointment(meeting_id),
         "headers": {"client-request-id": "0b5e3a0c-6a5e-4f8e-9d1f-2f1d6c4b7a90"}},
        {"id": "missing", "method": "GET", "url": graph.meeting("no-such-meeting")},
        {"id": "create", "method": "POST", "url": graph.user + "/onlineMeetings", "body": {"subject": "new"},
         "headers": JSON},
        {"id": "delete", "method": "DELETE", "url": graph.appointment(meeting_id), "dependsOn": ["get"]},
    ]))
    get = items["get"]
    assert get["status"] == 200
    assert get["headers"]["ETag"] == put.headers["ETag"]
    assert get["headers"]["ETag"].startswith('W/"')
    assert get["headers"]["Content-Type"].startswith("application/json")
    assert get["headers"]["client-request-id"] == "0b5e3a0c-6a5e-4f8e-9d1f-2f1d6c4b7a90"
    assert get["headers"]["request-id"]
    assert get["body"]["externalAppointmentId"] == "A-1"
    assert items["missing"]["status"] == 404
    assert error_code(items["missing"]["body"]) == "itemNotFound"
    assert items["create"]["status"] == 201
    assert items["create"]["body"]["subject"] == "new"
    assert items["delete"]["status"] == 204
    assert "body" not in items["delete"]
    assert len({item["headers"]["request-id"] for item in items.values()}) == 4


def test_batch_depends_on_runs_dependencies_first(emulator, graph):
    meeting_id = graph.new_meeting()
    emulator.modes(batch_order="reverse")
    since = emulator.metrics()["seq"]
    response = graph.batch([
        {"id": "put", "method": "PUT", "url": graph.appointment(meeting_id), "body": {}, "headers": JSON},
        {"id": "get", "method": "GET", "url": graph.appointment(meeting_id), "dependsOn": ["PUT"]},  # ids: any case
    ])
    assert [item["id"] for item in response.json()["responses"]] == ["get", "put"]  # answer order is not run order
    items = by_id(response)
    assert (items["put"]["status"], items["get"]["status"]) == (201, 200)
    assert items["get"]["body"]["id"] == items["put"]["body"]["id"]
    ran = [e["method"] for e in emulator.requests(since) if e["batch"] is not None]
    assert ran == ["PUT", "GET"]


@pytest.mark.parametrize("depends_on", [["later"], ["nowhere"], ["self"]], ids=["later", "unknown", "itself"])
def test_batch_dependency_on_a_later_or_unknown_request_refuses_the_batch(emulator, graph, depends_on):
    """graph-today.md 5: dependsOn must name an EARLIER request, else Graph refuses the batch with "Invalid
    dependency for request Id ..." (msgraph-sdk-dotnet-core#891); no item runs."""
    meeting_id = graph.new_meeting()
    response = graph.batch([
        {"id": "self", "method": "GET", "url": graph.meeting(meeting_id), "dependsOn": depends_on},
        {"id": "later", "method": "PATCH", "url": graph.meeting(meeting_id), "body": {"subject": "x"},
         "headers": JSON},
    ])
    assert response.status_code == 400
    assert error_code(response.json()) == "BadRequest"
    assert response.json()["error"]["message"].startswith("Invalid dependency for request Id 'self'")
    assert [e for e in emulator.requests() if e["batch"] is not None] == []
    assert graph.meetings()[0]["subject"] == "contract test"


def test_batch_ignores_item_keys_graph_does_not_know(graph):
    """graph-today.md 5: msgraph-core 1.5.2 always sends "depends_on": []; Graph ignores such keys (it does not
    refuse the batch, and a "depends_on" does not sequence anything)."""
    meeting_id = graph.new_meeting()
    items = by_id(graph.batch([
        {"id": "1", "method": "GET", "url": graph.meeting(meeting_id), "depends_on": [], "atomicityGroup": "g"},
        {"id": "2", "method": "GET", "url": graph.meeting("no-such-meeting"), "x-unknown": {"a": 1}},
        {"id": "3", "method": "GET", "url": graph.meeting(meeting_id), "depends_on": ["2"]},
    ]))
    assert (items["1"]["status"], items["2"]["status"], items["3"]["status"]) == (200, 404, 200)


def test_batch_dependents_of_a_failed_item_fail_with_424(emulator, graph):
    meeting_id = graph.new_meeting()
    items = by_id(graph.batch([
        {"id": "put", "method": "PUT", "url": graph.appointment("no-such-meeting"), "body": {}, "headers": JSON},
        {"id": "get", "method": "GET", "url": graph.appointment("no-such-meeting"), "dependsOn": ["put"]},
        {"id": "then", "method": "PATCH", "url": graph.meeting(meeting_id), "body": {"subject": "changed"},
         "headers": JSON, "dependsOn": ["GET"]},
        {"id": "free", "method": "GET", "url": graph.meeting(meeting_id)},
    ]))
    assert items["put"]["status"] == 404
    assert (items["get"]["status"], items["then"]["status"]) == (424, 424)
    assert error_code(items["get"]["body"]) == "FailedDependency"
    assert items["free"]["status"] == 200
    assert graph.meetings()[0]["subject"] == "contract test"  # the 424 PATCH did not run
    statuses = {e["request_id"]: e["status"] for e in emulator.requests() if e["batch"] is not None}
    assert statuses[items["then"]["headers"]["request-id"]] == 424


def test_every_batch_item_is_counted_and_logged_under_its_batch(emulator, graph):
    meeting_id = graph.new_meeting()
    before = emulator.metrics()["graph"]
    since = emulator.metrics()["seq"]
    response = graph.batch([
        {"id": "1", "method": "GET", "url": graph.meeting(meeting_id)},
        {"id": "2", "method": "GET", "url": graph.meeting("no-such-meeting")},
        {"id": "3", "method": "GET", "url": graph.appointment(meeting_id), "dependsOn": ["2"]},
    ])
    assert response.status_code == 200
    after = emulator.metrics()["graph"]
    assert after["batch_items"] - before["batch_items"] == 3
    assert after["http_requests"] - before["http_requests"] == 1
    log = emulator.requests(since)
    parent = next(e for e in log if e["route"] == "/$batch")
    assert parent["batch"] is None and parent["status"] == 200
    children = [e for e in log if e["batch"] is not None]
    assert [e["batch"] for e in children] == [parent["seq"]] * 3
    assert sorted(e["status"] for e in children) == [200, 404, 424]
    assert {e["request_id"] for e in children} == {item["headers"]["request-id"] for item in by_id(response).values()}


def test_nested_batch_item_fails_alone(graph):
    meeting_id = graph.new_meeting()
    items = by_id(graph.batch([
        {"id": "nested", "method": "POST", "url": "/$batch", "headers": JSON,
         "body": {"requests": [{"id": "1", "method": "GET", "url": graph.meeting(meeting_id)}]}},
        {"id": "plain", "method": "GET", "url": graph.meeting(meeting_id)},
    ]))
    assert items["nested"]["status"] == 400
    assert items["plain"]["status"] == 200


def test_batch_endpoint_only_takes_post(graph):
    response = graph.request("GET", "/$batch")
    assert response.status_code == 405
    assert error_code(response.json()) == "MethodNotAllowed"


# ---------------------------------------------------------------------------------------------------------------
# Throttling
# ---------------------------------------------------------------------------------------------------------------
def test_throttling_answers_429_with_retry_after_beyond_the_burst(emulator, graph):
    path = graph.meeting(graph.new_meeting())
    emulator.modes(throttle={"rate_per_s": 2, "burst": 3})
    assert [graph.request("GET", path).status_code for attempt in range(3)] == [200, 200, 200]
    throttled = graph.request("GET", path)
    assert throttled.status_code == 429
    retry_after = int(throttled.headers["Retry-After"])
    assert retry_after >= 1
    body = throttled.json()
    assert error_code(body) == "TooManyRequests"
    assert body["error"]["innerError"]["code"] == "429"
    time.sleep(retry_after)
    assert graph.request("GET", path).status_code == 200


def test_throttled_batch_items_have_their_own_retry_after(emulator, graph):
    path = graph.meeting(graph.new_meeting())
    emulator.modes(throttle={"rate_per_s": 2, "burst": 3}, batch_order="request")
    response = graph.batch([{"id": str(i), "method": "GET", "url": path} for i in range(5)])
    assert response.status_code == 200
    items = by_id(response)
    assert [items[str(i)]["status"] for i in range(5)] == [200, 200, 200, 429, 429]
    for item_id in ("3", "4"):
        assert int(items[item_id]["headers"]["Retry-After"]) >= 1
        assert error_code(items[item_id]["body"]) == "TooManyRequests"
    assert "Retry-After" not in items["0"]["headers"]


def test_throttled_batch_fails_as_a_whole_with_424_in_the_old_documentation_mode(emulator, graph):
    path = graph.meeting(graph.new_meeting())
    emulator.modes(throttle={"rate_per_s": 2, "burst": 1}, batch_throttle_outer_424=True)
    response = graph.batch([{"id": str(i), "method": "GET", "url": path} for i in range(3)])
    assert response.status_code == 424
    statuses = sorted(item["status"] for item in response.json()["responses"])
    assert statuses == [200, 429, 429]


# ---------------------------------------------------------------------------------------------------------------
# First-create provisioning
# ---------------------------------------------------------------------------------------------------------------
def assert_provisioning(client, status, seconds):
    """The first virtualAppointment create in the tenant is refused until ``seconds`` pass, then never again."""
    first, second = client.new_meeting(), client.new_meeting()
    refused = client.request("PUT", client.appointment(first), json={})
    assert refused.status_code == status
    assert refused.headers["Retry-After"] == str(seconds)
    assert error_code(refused.json()) == {503: "ServiceUnavailable", 409: "Conflict"}[status]
    again = client.request("PUT", client.appointment(first), json={})
    assert again.status_code == status
    assert 1 <= int(again.headers["Retry-After"]) <= seconds
    time.sleep(int(again.headers["Retry-After"]))
    assert client.request("PUT", client.appointment(first), json={}).status_code == 201
    assert client.request("PUT", client.appointment(second), json={}).status_code == 201
    assert client.request("PUT", client.appointment(first), json={}).status_code == 200  # a replace, not a create


@pytest.mark.parametrize("status, seconds", [(503, 2), (409, 1)])
def test_first_appointment_create_in_a_tenant_waits_for_provisioning(emulator, graph, status, seconds):
    emulator.modes(provisioning={"status": status, "seconds": seconds})
    assert_provisioning(graph, status, seconds)


def test_provisioning_from_the_command_line():
    with EmulatorProcess(["--provisioning", "409:1"]) as emulator:
        client = Graph(emulator)
        assert_provisioning(client, 409, 1)
        client.close()


# ---------------------------------------------------------------------------------------------------------------
# Injected faults
# ---------------------------------------------------------------------------------------------------------------
CREATE = r"/onlineMeetings$"
APPOINTMENT = r"/virtualAppointment$"


@pytest.mark.parametrize("status, code", [(429, "TooManyRequests"), (500, "InternalServerError"),
                                          (502, "BadGateway"), (503, "ServiceUnavailable"),
                                          (504, "GatewayTimeout")])
def test_status_fault_with_retry_after(emulator, graph, status, code):
    emulator.faults([{"route": CREATE, "method": "POST", "status": status, "retry_after": 3}])
    response = graph.request("POST", graph.user + "/onlineMeetings", json={})
    assert response.status_code == status
    assert response.headers["Retry-After"] == "3"
    assert error_code(response.json()) == code
    assert graph.meetings() == []  # refused before the handler ran


def test_status_fault_with_its_own_code_and_message(emulator, graph):
    """Bookings answers some creates with 500 UnknownError and an empty message (bookings-api.md 7, 12.8)."""
    emulator.faults([{"route": CREATE, "method": "POST", "status": 500, "code": "UnknownError", "message": ""}])
    response = graph.request("POST", graph.user + "/onlineMeetings", json={})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "UnknownError" and response.json()["error"]["message"] == ""
    assert graph.meetings() == []


def test_fault_count_limits_the_failures(emulator, graph):
    emulator.faults([{"route": CREATE, "status": 503, "count": 2}])
    statuses = [graph.request("POST", graph.user + "/onlineMeetings", json={}).status_code for attempt in range(3)]
    assert statuses == [503, 503, 201]
    assert emulator.control("GET", "faults")["rules"][0]["fired"] == 2


def fault_pattern(emulator, graph, count):
    path = graph.meeting(graph.new_meeting())
    emulator.faults([{"route": r"/onlineMeetings/[^/]+$", "method": "GET", "status": 503, "rate": 0.5}])
    return [graph.request("GET", path).status_code for attempt in range(count)]


def test_fault_rate_with_the_fixed_seed_fires_about_half_the_time_repeatably(emulator, graph):
    pattern = fault_pattern(emulator, graph, 40)
    assert set(pattern) == {200, 503}
    assert 10 <= pattern.count(503) <= 30
    assert emulator.control("GET", "faults")["rules"][0]["fired"] == pattern.count(503)
    emulator.reset()  # resets the seeded generator too
    assert fault_pattern(emulator, graph, 40) == pattern


def test_fault_method_filter(emulator, graph):
    emulator.faults([{"method": "PUT|PATCH", "status": 500}])
    meeting_id = graph.new_meeting()
    assert graph.request("GET", graph.meeting(meeting_id)).status_code == 200
    assert graph.request("PATCH", graph.meeting(meeting_id), json={"subject": "x"}).status_code == 500
    assert graph.request("PUT", graph.appointment(meeting_id), json={}).status_code == 500
    assert graph.request("DELETE", graph.meeting(meeting_id)).status_code == 204


def test_drop_before_closes_the_connection_without_applying_the_change(emulator, graph):
    meeting_id = graph.new_meeting()
    emulator.faults([{"route": APPOINTMENT, "method": "PUT", "drop": "before"}])
    with pytest.raises(requests.ConnectionError):
        graph.request("PUT", graph.appointment(meeting_id), json={})
    assert graph.meetings()[0]["virtualAppointment"] is None
    assert graph.request("GET", graph.appointment(meeting_id)).status_code == 404  # a new connection works
    assert emulator.metrics()["graph"]["dropped"] == 1
    assert [e["dropped"] for e in emulator.requests() if "dropped" in e] == ["before"]


def test_drop_after_closes_the_connection_but_applies_the_change(emulator, graph):
    meeting_id = graph.new_meeting()
    emulator.faults([{"route": APPOINTMENT, "method": "PUT", "drop": "after"}])
    with pytest.raises(requests.ConnectionError):
        graph.request("PUT", graph.appointment(meeting_id), json={"externalAppointmentId": "A-7"})
    assert graph.meetings()[0]["virtualAppointment"]["externalAppointmentId"] == "A-7"
    assert graph.request("GET", graph.appointment(meeting_id)).status_code == 200


def test_delay_fault_slows_the_response(emulator, graph):
    meeting_id = graph.new_meeting()
    emulator.faults([{"route": r"/onlineMeetings/[^/]+$", "delay_ms": 300}])
    start = time.monotonic()
    assert graph.request("GET", graph.meeting(meeting_id)).status_code == 200
    assert time.monotonic() - start >= 0.3


def test_status_fault_after_the_handler_applies_the_change_and_still_fails(emulator, graph):
    emulator.faults([{"route": CREATE, "method": "POST", "status": 503, "after": True}])
    response = graph.request("POST", graph.user + "/onlineMeetings", json={"subject": "applied"})
    assert response.status_code == 503
    assert [m["subject"] for m in graph.meetings()] == ["applied"]


def test_status_faults_apply_to_batch_items(emulator, graph):
    meeting_id = graph.new_meeting()
    emulator.faults([{"route": APPOINTMENT, "method": "PUT", "status": 503, "retry_after": 2}])
    response = graph.batch([
        {"id": "put", "method": "PUT", "url": graph.appointment(meeting_id), "body": {}, "headers": JSON},
        {"id": "get", "method": "GET", "url": graph.meeting(meeting_id)},
    ])
    items = by_id(response)
    assert items["put"]["status"] == 503
    assert items["put"]["headers"]["Retry-After"] == "2"
    assert items["get"]["status"] == 200


def test_dropped_batch_item_drops_the_batch_connection_after_the_other_items_ran(emulator, graph):
    meeting_id = graph.new_meeting()
    emulator.faults([{"route": APPOINTMENT, "method": "PUT", "drop": "before"}])
    with pytest.raises(requests.ConnectionError):
        graph.batch([
            {"id": "patch", "method": "PATCH", "url": graph.meeting(meeting_id), "body": {"subject": "patched"},
             "headers": JSON},
            {"id": "put", "method": "PUT", "url": graph.appointment(meeting_id), "body": {}, "headers": JSON},
            {"id": "create", "method": "POST", "url": graph.user + "/onlineMeetings", "body": {"subject": "second"},
             "headers": JSON},
        ])
    meetings = {m["subject"]: m for m in graph.meetings()}
    assert sorted(meetings) == ["patched", "second"]
    assert meetings["patched"]["virtualAppointment"] is None


def test_posting_no_rules_clears_the_faults(emulator, graph):
    emulator.faults([{"status": 500}])
    assert graph.request("POST", graph.user + "/onlineMeetings", json={}).status_code == 500
    assert emulator.faults([]) == {"rules": []}
    assert emulator.control("GET", "faults") == {"rules": []}
    assert graph.request("POST", graph.user + "/onlineMeetings", json={}).status_code == 201


def test_invalid_fault_rule_is_refused_naming_the_field(emulator):
    emulator.faults([{"status": 503}])
    response = emulator.http.post(emulator.info["control_url"] + "/faults", timeout=10,
                                  json={"rules": [{"status": 503}, {"status": 503, "rate": 2}]})
    assert response.status_code == 400
    assert "rules[1].rate" in response.json()["error"]
    response = emulator.http.post(emulator.info["control_url"] + "/faults", timeout=10,
                                  json={"rules": [{"drop": "before", "code": "UnknownError"}]})
    assert response.status_code == 400 and "rules[0].code" in response.json()["error"]
    assert [r["status"] for r in emulator.control("GET", "faults")["rules"]] == [503]  # unchanged


# ---------------------------------------------------------------------------------------------------------------
# Latency and the control API
# ---------------------------------------------------------------------------------------------------------------
def test_latency_mode_delays_every_request(emulator, graph):
    emulator.modes(latency_ms=100)
    start = time.monotonic()
    assert graph.request("GET", graph.meeting("no-such-meeting")).status_code == 404
    assert time.monotonic() - start >= 0.1


def test_reset_clears_meetings_log_faults_and_modes(emulator, graph):
    graph.new_meeting()
    emulator.faults([{"status": 500}])
    emulator.modes(patch_returns_200=True, latency_ms=5, throttle={"rate_per_s": 1, "burst": 1})
    emulator.reset()
    assert graph.meetings() == []
    assert emulator.requests() == []
    assert emulator.metrics()["graph"]["total"] == 0
    assert emulator.control("GET", "faults") == {"rules": []}
    modes = emulator.control("GET", "modes")
    assert (modes["patch_returns_200"], modes["latency_ms"], modes["throttle"]) == (False, 0, None)


def test_unknown_control_call_is_404(emulator):
    response = emulator.http.get(emulator.info["control_url"] + "/no-such-call", timeout=10)
    assert response.status_code == 404
    assert "unknown control call" in response.json()["error"]


def test_request_log_since_must_be_a_number(emulator):
    response = emulator.http.get(emulator.info["control_url"] + "/requests", params={"since": "x"}, timeout=10)
    assert response.status_code == 400
    assert "'since'" in response.json()["error"]


def test_invalid_mode_is_refused_with_a_clear_message(emulator):
    response = emulator.http.post(emulator.info["control_url"] + "/modes", json={"latency": 5}, timeout=10)
    assert response.status_code == 400
    assert "unknown mode 'latency'" in response.json()["error"]


# ---------------------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------------------
def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tests.graph_emulator"] + list(args), cwd=REPO_ROOT, text=True,
                          capture_output=True, timeout=30, check=False)


def test_help_documents_every_flag():
    result = run_cli("--help")
    assert result.returncode == 0
    documented = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", result.stdout))
    assert documented >= {"--port", "--state-dir", "--latency-ms", "--seed", "--provisioning", "--throttle", "--mode",
                          "--token-lifetime", "--batch-order", "--fault-seed"}


def test_exits_0_on_sigterm_even_right_after_it_is_ready():
    emulator = EmulatorProcess().start()
    assert emulator.stop() == 0


def test_exits_0_on_sigint():
    emulator = EmulatorProcess().start()
    try:
        assert emulator.http.get(emulator.info["control_url"] + "/metrics", timeout=10).status_code == 200
        emulator.proc.send_signal(signal.SIGINT)
        emulator.proc.wait(timeout=15)
    finally:
        code = emulator.stop()
    assert code == 0


CUSTOM_TENANT = "c0ffee00-1111-4222-8333-444455556666"
CUSTOM_APP = "a11ce000-1111-4222-8333-444455556666"
CUSTOM_USER = "b0b00000-1111-4222-8333-444455556666"
CUSTOM_SEED = {"tenants": [{
    "id": CUSTOM_TENANT, "domain": "fabrikam.onmicrosoft.com",
    "users": [{"id": CUSTOM_USER, "upn": "bob@fabrikam.onmicrosoft.com"}],
    "apps": [{"client_id": CUSTOM_APP, "secrets": ["s3cret"],
              "application_permissions": ["OnlineMeetings.ReadWrite.All", "VirtualAppointment.ReadWrite.All"]}],
    "access_policies": [{"app_ids": [CUSTOM_APP], "global": True}],
}]}


def test_seed_file_loads_a_custom_tenant(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(CUSTOM_SEED), encoding="utf-8")
    with EmulatorProcess(["--seed", str(seed)]) as emulator:
        defaults = emulator.defaults
        assert (defaults["tenant_id"], defaults["client_id"], defaults["user_id"]) == (
            CUSTOM_TENANT, CUSTOM_APP, CUSTOM_USER)
        client = Graph(emulator)
        meeting_id = client.new_meeting("in fabrikam")
        assert client.request("GET", client.meeting(meeting_id)).json()["subject"] == "in fabrikam"
        client.close()


def test_bad_seed_file_exits_non_zero_naming_the_field(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"tenants": [{"domain": "no-id.onmicrosoft.com"}]}), encoding="utf-8")
    result = run_cli("--port", "0", "--seed", str(seed))
    assert result.returncode != 0
    assert result.stdout == ""  # never reported ready
    assert "tenants[0]" in result.stderr and "'id'" in result.stderr


def test_state_dir_keeps_meetings_and_signing_keys_across_restarts(tmp_path):
    state_dir = str(tmp_path / "state")
    first = EmulatorProcess(["--state-dir", state_dir]).start()
    try:
        token = first.app_token()
        client = Graph(first, token)
        meeting_id = client.new_meeting("kept")
        assert client.request("PUT", client.appointment(meeting_id), json={}).status_code == 201
        client.close()
    finally:
        code = first.stop()
    assert code == 0
    with EmulatorProcess(["--state-dir", state_dir]) as second:
        client = Graph(second, token)  # minted by the first process
        response = client.request("GET", client.meeting(meeting_id))
        assert response.status_code == 200, response.text
        assert response.json()["subject"] == "kept"
        assert client.request("GET", client.appointment(meeting_id)).status_code == 200
        client.close()


# ---------------------------------------------------------------------------------------------------------------
# Concurrency
# ---------------------------------------------------------------------------------------------------------------
def test_concurrent_requests_over_keep_alive_all_succeed(emulator, graph):
    path = graph.meeting(graph.new_meeting())
    graph.http.mount("https://", HTTPAdapter(pool_connections=1, pool_maxsize=10, pool_block=True))
    with ThreadPoolExecutor(max_workers=10) as pool:
        responses = list(pool.map(lambda attempt: graph.request("GET", path), range(50)))
    assert [r.status_code for r in responses] == [200] * 50
    assert len({r.headers["request-id"] for r in responses}) == 50
    assert emulator.metrics()["graph"]["by_route"]["GET /users/{id}/onlineMeetings/{id}"] == 50
