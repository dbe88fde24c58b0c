"""Contract tests: the emulator's Bookings service time (mode ``bookings_service_ms``, CLI ``--bookings-service-ms``).

bookings-api.md section 10: four concurrent requests per app per booking mailbox.  With ``bookings_service_ms`` every
Bookings request - each top-level request and each ``$batch`` item to a Bookings path - is in flight for its mailbox
that long and holds its answer that long (without blocking the emulator: other requests are served meanwhile); the
fifth in flight per (tenant, app, mailbox) is 429 + Retry-After.  The items of one ``$batch`` run one after another:
a ``$batch`` of k Bookings items takes about k x service time and holds one slot at a time.  The default, 0, changes
nothing (the existing contract tests of test_emulator_bookings.py and test_emulator_batch_faults.py run with it).
"""

import concurrent.futures
import time

import pytest

from tests.graph_emulator.directory import DEFAULT_SEED, with_bookings
from tests.graph_emulator.process import EmulatorProcess

TIMEOUT = 30
ALL = ["Bookings.Read.All", "Bookings.ReadWrite.All", "BookingsAppointment.ReadWrite.All", "Bookings.Manage.All"]
BASE = "/solutions/bookingBusinesses"
BUSINESS = "contosobank@contoso.onmicrosoft.com"
OTHER = "fabrikamshop@contoso.onmicrosoft.com"
PATH = "%s/%s" % (BASE, BUSINESS)
# Scheduling slack for a loaded CI machine: a held answer comes no sooner than its time, and not much later.
SLACK_S = 0.8


def business(business_id, name):
    return {"id": business_id, "displayName": name,
            "staffMembers": [{"displayName": "Adele Vance", "emailAddress": "adele.vance@contoso.onmicrosoft.com",
                              "role": "administrator", "timeZone": "Europe/Berlin"}],
            "services": [{"displayName": "Mortgage consultation", "defaultDuration": "PT30M",
                          "staffMemberEmails": ["adele.vance@contoso.onmicrosoft.com"]}]}


@pytest.fixture
def bookings(emulator):
    """The session emulator with two businesses in the default tenant, and an app token for Bookings."""
    emulator.seed(with_bookings(DEFAULT_SEED, [business(BUSINESS, "Contoso Bank"), business(OTHER, "Fabrikam Shop")]))
    return emulator, emulator.app_token(roles=ALL)


class Client:
    """One connection to the emulator's Graph v1.0 (a session each, so that threads send concurrently)."""

    def __init__(self, emulator, token):
        self.http = emulator.session()
        self.url = emulator.graph_url + "/v1.0"
        self.token = token

    def __call__(self, method, path, **kwargs):
        return self.http.request(method, self.url + path, headers={"Authorization": "Bearer " + self.token},
                                 timeout=TIMEOUT, **kwargs)

    def timed(self, method, path, **kwargs):
        began = time.monotonic()
        response = self(method, path, **kwargs)
        return response, time.monotonic() - began

    def close(self):
        self.http.close()


def batch_of(count, path=PATH):
    return {"requests": [{"id": str(n), "method": "GET", "url": path} for n in range(1, count + 1)]}


def statuses(response):
    assert response.status_code == 200, response.text
    by_id = {r["id"]: r for r in response.json()["responses"]}
    return [by_id[str(n)]["status"] for n in range(1, len(by_id) + 1)], by_id


def wait_for(emulator, predicate, what, seconds=10):
    deadline = time.monotonic() + seconds
    while not predicate(emulator.requests(kind="graph")):
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


# ---------------------------------------------------------------------------------------------------------------
# The mode
# ---------------------------------------------------------------------------------------------------------------
def test_default_is_zero_and_changes_nothing(bookings):
    emulator, token = bookings
    assert emulator.control("GET", "modes")["bookings_service_ms"] == 0
    client = Client(emulator, token)
    try:
        response, seconds = client.timed("POST", "/$batch", json=batch_of(20))
        assert statuses(response)[0] == [200] * 20  # at once: nothing overlaps, so no item is refused
        assert seconds < SLACK_S
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _n: Client(emulator, token)("GET", PATH).status_code, range(8)))
        assert answers == [200] * 8
    finally:
        client.close()


def test_mode_is_set_by_the_control_api_validated_and_reset(bookings):
    emulator, _token = bookings
    assert emulator.modes(bookings_service_ms=25)["bookings_service_ms"] == 25
    for bad in (-1, "50", True):
        with pytest.raises(RuntimeError, match="bookings_service_ms"):
            emulator.modes(bookings_service_ms=bad)
    emulator.reset()
    assert emulator.control("GET", "modes")["bookings_service_ms"] == 0


def test_cli_flag_sets_the_start_mode():
    with EmulatorProcess(["--bookings-service-ms", "40"]) as emulator:
        assert emulator.control("GET", "modes")["bookings_service_ms"] == 40
        emulator.reset()
        assert emulator.control("GET", "modes")["bookings_service_ms"] == 40  # a start mode: reset keeps it


# ---------------------------------------------------------------------------------------------------------------
# Held answers
# ---------------------------------------------------------------------------------------------------------------
def test_a_bookings_request_holds_its_answer_and_others_are_not_slowed(bookings):
    emulator, token = bookings
    emulator.modes(bookings_service_ms=600)
    client = Client(emulator, token)
    try:
        response, seconds = client.timed("GET", PATH)
        assert response.status_code == 200
        assert 0.6 <= seconds < 0.6 + SLACK_S
        # The event loop is not blocked: while a Bookings answer is held, other requests are answered at once.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            slow = pool.submit(Client(emulator, token).timed, "GET", PATH)
            wait_for(emulator, lambda log: sum(1 for e in log if e["path"] == PATH) >= 2, "the slow GET never came")
            meeting, seconds = Client(emulator, emulator.app_token()).timed(
                "POST", "/users/%s/onlineMeetings" % emulator.defaults["user_id"], json={"subject": "not Bookings"})
            assert meeting.status_code == 201 and seconds < 0.4  # not a Bookings path: no service time
            assert slow.result()[0].status_code == 200
    finally:
        client.close()


def test_a_batch_of_k_bookings_items_takes_about_k_times_the_service_time(bookings):
    emulator, token = bookings
    emulator.modes(bookings_service_ms=100)
    client = Client(emulator, token)
    try:
        response, seconds = client.timed("POST", "/$batch", json=batch_of(10))
        # One after another: ten items, one slot at a time - never five in flight, so none is refused.
        assert statuses(response)[0] == [200] * 10
        assert 1.0 <= seconds < 1.0 + SLACK_S
        # Items to other paths take no service time; the Bookings ones still run one after another.
        mixed = batch_of(3)
        mixed["requests"].append({"id": "4", "method": "GET", "url": "/users/%s" % emulator.defaults["user_id"]})
        response, seconds = Client(emulator, emulator.app_token(roles=ALL + ["User.Read.All"])).timed(
            "POST", "/$batch", json=mixed)
        assert statuses(response)[0] == [200] * 4
        assert 0.3 <= seconds < 0.3 + SLACK_S
    finally:
        client.close()


# ---------------------------------------------------------------------------------------------------------------
# Four in flight per app and mailbox
# ---------------------------------------------------------------------------------------------------------------
def test_fifth_concurrent_request_is_429_with_retry_after(bookings):
    emulator, token = bookings
    emulator.modes(bookings_service_ms=1500)
    clients = [Client(emulator, token) for _n in range(4)]
    probe = Client(emulator, token)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            slow = [pool.submit(client, "GET", PATH) for client in clients]
            wait_for(emulator, lambda log: sum(1 for e in log if e["path"] == PATH) >= 4,
                     "the four slow requests never reached the emulator")
            refused, seconds = probe.timed("GET", PATH)
            assert refused.status_code == 429, refused.text
            assert seconds < 0.5  # a refused request is answered at once: it takes no service time
            assert int(refused.headers["Retry-After"]) >= 1
            assert "concurrent" in refused.json()["error"]["message"]
            # Another mailbox, and the same mailbox for another app, are not affected.
            assert probe("GET", "%s/%s" % (BASE, OTHER)).status_code == 200
            other_app = emulator.app_token(client_id=emulator.defaults["public_client_id"],
                                           user_id=emulator.defaults["user_id"], scopes=ALL)
            assert Client(emulator, other_app)("GET", PATH).status_code == 200
            assert [future.result().status_code for future in slow] == [200] * 4
        assert probe("GET", PATH).status_code == 200  # the four are done
    finally:
        for client in clients + [probe]:
            client.close()


def test_a_batch_holds_one_slot_at_a_time(bookings):
    emulator, token = bookings
    emulator.modes(bookings_service_ms=150)
    clients = [Client(emulator, token) for _n in range(4)]
    probe = Client(emulator, token)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            began = time.monotonic()
            batches = [pool.submit(client.timed, "POST", "/$batch", json=batch_of(8)) for client in clients]
            wait_for(emulator, lambda log: sum(1 for e in log if e["route"] == "/$batch") >= 4,
                     "the four $batch calls never reached the emulator")
            # Four $batch calls of 8 items: four slots busy for about 8 x 150 ms - a fifth request is refused ...
            refused = probe("GET", PATH)
            assert refused.status_code == 429, refused.text
            results = [future.result() for future in batches]
            elapsed = time.monotonic() - began
        # ... but no item of theirs was: each holds one slot at a time; they ran side by side, not one after another.
        for response, seconds in results:
            assert statuses(response)[0] == [200] * 8
            assert 1.2 <= seconds < 1.2 + SLACK_S
        assert elapsed < 2 * 1.2
    finally:
        for client in clients + [probe]:
            client.close()


def test_fifth_batch_item_in_flight_is_429_per_item(bookings):
    emulator, token = bookings
    emulator.modes(bookings_service_ms=1000)
    clients = [Client(emulator, token) for _n in range(5)]
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            slow = [pool.submit(client, "GET", PATH) for client in clients[:4]]
            wait_for(emulator, lambda log: sum(1 for e in log if e["path"] == PATH) >= 4,
                     "the four requests never reached the emulator")
            # Two items: the first starts while the four are in flight (429, taking no time), so the second starts
            # at once too and is refused as well; the other mailbox's item is served.
            body = {"requests": [{"id": "1", "method": "GET", "url": PATH}, {"id": "2", "method": "GET", "url": PATH},
                                 {"id": "3", "method": "GET", "url": "%s/%s" % (BASE, OTHER)}]}
            codes, by_id = statuses(clients[4]("POST", "/$batch", json=body))
            assert codes == [429, 429, 200]
            assert int(by_id["1"]["headers"]["Retry-After"]) >= 1
            assert [future.result().status_code for future in slow] == [200] * 4
    finally:
        for client in clients:
            client.close()
