"""Contract tests: the check-mode fence (tests/graph_emulator/fence.py, ``/_emulator/fence``).

While armed, every write - what the metrics count as ``writes``, as a plain request or as a ``$batch`` item - is
refused with 423 ``checkModeFence`` before it changes anything, and recorded (method, path, time, label); reads and
requests that change nothing pass. ``reset`` keeps the record; only ``clear`` empties it.

Each test that arms the fence clears its record at the end (the ``fenced`` fixture): the suite fails the session on
any refused write left in the session emulator's record.
"""

import pytest

TIMEOUT = 10
APPOINTMENT = {"appointmentClients": [{"emailAddress": "gradya@contoso.com", "displayName": "Grady Archie"}],
               "externalAppointmentId": "F-1"}
SMS = {"attendees": [{"phoneNumber": "+13129224122", "timeZone": "Pacific Standard Time"}],
       "messageType": "confirmation"}


class Graph:
    """App-only requests on /beta/users/{default user}/onlineMeetings."""

    def __init__(self, emulator):
        self.http = emulator.session()
        self.base = "%s/beta/users/%s/onlineMeetings" % (emulator.graph_url, emulator.defaults["user_id"])
        self.headers = {"Authorization": "Bearer " + emulator.app_token()}

    def __call__(self, method, suffix="", body=None, **headers):
        return self.http.request(method, self.base + suffix, json=body, headers=dict(self.headers, **headers),
                                 timeout=TIMEOUT)

    def batch(self, requests):
        url = self.base.split("/beta/", 1)[0] + "/beta/$batch"
        return self.http.post(url, json={"requests": requests}, headers=self.headers, timeout=TIMEOUT)


@pytest.fixture
def graph(emulator):
    client = Graph(emulator)
    yield client
    client.http.close()


@pytest.fixture
def meeting(graph):
    """A meeting with its appointment, made before the fence is armed."""
    made = graph("POST", "/createOrGet", {"externalId": "F-1", "subject": "Fenced"})
    assert made.status_code == 201, made.text
    meeting = made.json()
    put = graph("PUT", "/%s/virtualAppointment" % meeting["id"], APPOINTMENT)
    assert put.status_code == 201, put.text
    meeting["etag"] = put.headers["ETag"]
    return meeting


@pytest.fixture
def fenced(emulator):
    """The session emulator with its fence armed; disarmed and its record cleared afterwards."""
    emulator.fence(armed=True, label="fence contract test")
    yield emulator
    emulator.fence(armed=False, clear=True)


def assert_refused(response):
    assert response.status_code == 423, response.text
    error = response.json()["error"]
    assert error["code"] == "checkModeFence" and "check-mode fence" in error["message"], error
    assert error["innerError"]["request-id"] == response.headers["request-id"]


def test_disarmed_by_default_and_control_answers(emulator):
    assert emulator.fence_record() == {"armed": False, "label": None, "refused": [], "dropped": 0}
    armed = emulator.fence(armed=True, label="run 1")
    assert armed["armed"] is True and armed["label"] == "run 1" and armed["refused"] == []
    assert emulator.fence(armed=False)["armed"] is False
    for bad in ({"armed": "yes"}, {"clear": 1}, {"label": 3}, {"armd": True}):
        response = emulator.http.post(emulator.info["control_url"] + "/fence", json=bad, timeout=TIMEOUT)
        assert response.status_code == 400, (bad, response.text)
    assert emulator.fence_record()["armed"] is False


def test_an_armed_fence_refuses_and_records_a_create(graph, fenced):
    writes, seq = fenced.metrics()["writes"], fenced.metrics()["seq"]
    response = graph("POST", "/createOrGet", {"externalId": "F-2"})
    assert_refused(response)
    assert fenced.metrics()["writes"] == writes
    assert all(not tenant["meetings"] for tenant in fenced.state()["tenants"])
    record = fenced.fence_record()
    assert record["armed"] is True and record["label"] == "fence contract test"
    [entry] = record["refused"]
    assert entry["method"] == "POST" and entry["path"].endswith("/onlineMeetings/createOrGet")
    assert entry["route"] == "/users/{id}/onlineMeetings/createOrGet" and entry["status"] == 423
    assert entry["label"] == "fence contract test" and entry["batch"] is None and entry["seq"] > seq
    assert isinstance(entry["time"], float) and entry["request_id"] == response.headers["request-id"]
    assert fenced.metrics()["fence_refused"] == 1
    # The request log shows the refused request with its status, like any other.
    assert fenced.requests(since=seq, kind="graph")[-1]["status"] == 423


def test_every_kind_of_write_is_refused_and_nothing_changes(graph, meeting, emulator):
    state, writes = emulator.state(), emulator.metrics()["writes"]
    path = "/%s" % meeting["id"]
    emulator.fence(armed=True, label="every write")
    try:
        attempts = [
            ("POST", "", {"subject": "new"}, {}),
            ("PATCH", path, {"subject": "changed"}, {}),
            ("DELETE", path, None, {}),
            ("PUT", path + "/virtualAppointment", dict(APPOINTMENT, externalAppointmentId="F-9"), {}),
            ("PATCH", path + "/virtualAppointment", {"externalAppointmentId": "F-8"}, {"If-Match": meeting["etag"]}),
            ("DELETE", path + "/virtualAppointment", None, {"If-Match": meeting["etag"]}),
            ("POST", path + "/sendVirtualAppointmentSms", SMS, {}),
            ("POST", path + "/sendVirtualAppointmentReminderSms",
             dict(SMS, messageType=None, remindBeforeTimeInMinutesType="mins15"), {}),
        ]
        for method, suffix, body, headers in attempts:
            if body is not None:
                body = {k: v for k, v in body.items() if v is not None}
            assert_refused(graph(method, suffix, body, **headers))
        record = emulator.fence(armed=False, clear=True)
    finally:
        emulator.fence(armed=False, clear=True)
    assert [(e["method"], e["route"]) for e in record["refused"]] == [
        ("POST", "/users/{id}/onlineMeetings"), ("PATCH", "/users/{id}/onlineMeetings/{id}"),
        ("DELETE", "/users/{id}/onlineMeetings/{id}"), ("PUT", "/users/{id}/onlineMeetings/{id}/virtualAppointment"),
        ("PATCH", "/users/{id}/onlineMeetings/{id}/virtualAppointment"),
        ("DELETE", "/users/{id}/onlineMeetings/{id}/virtualAppointment"),
        ("POST", "/users/{id}/onlineMeetings/{id}/sendVirtualAppointmentSms"),
        ("POST", "/users/{id}/onlineMeetings/{id}/sendVirtualAppointmentReminderSms")]
    assert emulator.state() == state and emulator.metrics()["writes"] == writes
    assert emulator.fence_record()["refused"] == []


def test_reads_and_requests_that_change_nothing_pass(graph, meeting, fenced):
    path = "/%s" % meeting["id"]
    assert graph("GET", path).status_code == 200
    assert graph("GET", path + "/virtualAppointment").status_code == 200
    assert graph("GET", path + "/getVirtualAppointmentJoinWebUrl").status_code == 200
    assert graph("POST", "/createOrGet", {"externalId": "F-1"}).status_code == 200  # finds, creates nothing
    assert graph("PATCH", path, {"subject": "Fenced"}).status_code == 200  # sets what is there: not a write
    assert fenced.fence_record()["refused"] == []


def test_batch_items_are_fenced_one_by_one(graph, meeting, fenced):
    path = "/users/%s/onlineMeetings/%s" % (fenced.defaults["user_id"], meeting["id"])
    response = graph.batch([
        {"id": "read", "method": "GET", "url": path},
        {"id": "write", "method": "PATCH", "url": path, "body": {"subject": "changed"},
         "headers": {"Content-Type": "application/json"}},
    ])
    assert response.status_code == 200, response.text
    answers = {item["id"]: item for item in response.json()["responses"]}
    assert answers["read"]["status"] == 200
    assert answers["write"]["status"] == 423 and answers["write"]["body"]["error"]["code"] == "checkModeFence"
    [entry] = fenced.fence_record()["refused"]
    assert entry["method"] == "PATCH" and entry["path"] == path and entry["batch"] is not None
    assert graph("GET", "/%s" % meeting["id"]).json()["subject"] == "Fenced"


def test_reset_keeps_the_fence_and_its_record_and_clear_returns_what_it_cleared(graph, fenced):
    assert_refused(graph("POST", "", {"subject": "x"}))
    fenced.reset()
    record = fenced.fence_record()
    assert record["armed"] is True and len(record["refused"]) == 1
    cleared = fenced.fence(clear=True)
    assert cleared["cleared"] is True and len(cleared["refused"]) == 1 and cleared["armed"] is True
    assert fenced.fence_record()["refused"] == []


def test_a_disarmed_fence_lets_writes_through(graph, emulator):
    emulator.fence(armed=True, label="briefly")
    emulator.fence(armed=False)
    assert graph("POST", "", {"subject": "after"}).status_code == 201
    record = emulator.fence_record()
    assert record == {"armed": False, "label": None, "refused": [], "dropped": 0}
