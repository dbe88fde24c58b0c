"""The retry policy, with a fake clock and a fixed random source: no real sleeps."""

import email.utils

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import retry

SETTINGS = retry.RetrySettings(max_retries=3, retry_timeout=60, provisioning_timeout=600, base_delay=1, max_delay=8)


def half():
    return 0.5


@pytest.mark.parametrize("value, expected", [
    ("10", 10.0), (" 3 ", 3.0), ("0", 0.0), ("5,5", 5.0), ("1.5", 1.5), ("-4", 0.0),
    (None, None), ("", None), ("soon", None), ("nan", None),
])
def test_retry_after_seconds(value, expected):
    assert retry.parse_retry_after(value, now_epoch=1000.0) == expected


def test_retry_after_http_date_is_relative_to_now():
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 42, usegmt=True)
    assert retry.parse_retry_after(header, now_epoch=now) == pytest.approx(42.0)
    assert retry.parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now_epoch=now) == 0.0


@pytest.mark.parametrize("status, put, has_header, kind", [
    (429, False, True, retry.THROTTLED), (503, False, True, retry.TRANSIENT), (503, False, False, retry.TRANSIENT),
    (503, True, True, retry.PROVISIONING), (503, True, False, retry.TRANSIENT),  # provisioning has a retry header
    (409, True, True, retry.PROVISIONING), (409, True, False, None), (409, False, True, None),
    (500, False, False, None), (502, False, False, None), (504, False, False, None),
    (400, False, False, None), (404, True, False, None), (412, False, False, None),
])
def test_classify(status, put, has_header, kind):
    """Without ``replayable`` only refusals (429, 503) and provisioning are retried."""
    assert retry.classify(status, provisioning_put=put, has_retry_after=has_header) == kind


@pytest.mark.parametrize("status, kind", [
    (429, retry.THROTTLED), (503, retry.TRANSIENT), (500, retry.TRANSIENT), (502, retry.TRANSIENT),
    (504, retry.TRANSIENT), (400, None), (404, None), (409, None), (412, None), (501, None),
])
def test_classify_a_replay_safe_request(status, kind):
    """500, 502 and 504 may come after the request was applied: retried only when a replay is harmless."""
    assert retry.classify(status, replayable=True) == kind


@pytest.mark.parametrize("method, path, safe", [
    ("GET", "/users/u/onlineMeetings/m/virtualAppointment", True),
    ("PUT", "/users/u/onlineMeetings/m/virtualAppointment", True),
    ("PATCH", "/users/u/onlineMeetings/m/virtualAppointment", True),
    ("PATCH", "/users/u/onlineMeetings/m", True),
    ("DELETE", "/users/u/onlineMeetings/m", True),
    ("delete", "/users/u/onlineMeetings/m/virtualAppointment", True),
    ("POST", "/users/u/onlineMeetings/createOrGet", True),
    ("POST", "/me/onlineMeetings/createorget/", True),
    ("POST", "/users/u/onlineMeetings", False),  # a plain create makes a second meeting
    ("POST", "/users/u/onlineMeetings/m/sendVirtualAppointmentSms", False),  # a second SMS
    ("POST", "/users/u/onlineMeetings/m/sendVirtualAppointmentReminderSms", False),
    ("POST", "/users/createOrGet-like/onlineMeetings", False),
    ("POST", "/$batch", False),
])
def test_replay_safe(method, path, safe):
    assert retry.replay_safe(method, path) is safe


def test_a_lost_answer_is_retried_only_for_replay_safe_requests():
    assert retry.classify_connection(sent=True, replayable=True) == retry.CONNECTION
    assert retry.classify_connection(sent=True, replayable=False) is None  # dropped after it may have been applied
    assert retry.classify_connection(sent=False, replayable=False) == retry.CONNECTION  # never reached the service
    assert not retry.decide(retry.classify_connection(True, False), 1, None, 0.0, 0.0, SETTINGS, half).retry


def test_the_http_stack_retries_nothing_on_its_own():
    assert retry.ADAPTER_MAX_RETRIES == 0


def test_retry_after_is_honoured_exactly_never_shortened():
    decision = retry.decide(retry.THROTTLED, 1, 37.0, started=0.0, now=0.0, settings=SETTINGS, rand=half)
    assert decision.retry and decision.delay == 37.0


def test_backoff_without_retry_after_is_jittered_exponential_and_capped():
    delays = [retry.decide(retry.TRANSIENT, a, None, 0.0, 0.0, SETTINGS, half).delay for a in (1, 2, 3)]
    assert delays == [0.75, 1.5, 3.0]
    assert retry.backoff(10, SETTINGS, lambda: 1.0) == 8.0
    assert retry.backoff(10, SETTINGS, lambda: 0.0) == 4.0


def test_max_retries_bounds_throttling_but_not_provisioning():
    assert not retry.decide(retry.THROTTLED, 4, 1.0, 0.0, 0.0, SETTINGS, half).retry
    assert "max_retries" in retry.decide(retry.THROTTLED, 4, 1.0, 0.0, 0.0, SETTINGS, half).reason
    assert retry.decide(retry.PROVISIONING, 50, 5.0, 0.0, 100.0, SETTINGS, half).retry


def test_a_wait_past_the_deadline_is_not_started():
    decision = retry.decide(retry.THROTTLED, 1, 30.0, started=0.0, now=40.0, settings=SETTINGS, rand=half)
    assert not decision.retry
    assert "retry_timeout" in decision.reason and "30.0 s from Retry-After" in decision.reason
    decision = retry.decide(retry.PROVISIONING, 1, 30.0, started=0.0, now=580.0, settings=SETTINGS, rand=half)
    assert not decision.retry and "provisioning_timeout" in decision.reason


def test_provisioning_waits_out_a_five_minute_window_on_a_fake_clock():
    now, attempt, waited = 0.0, 0, []
    while now < 300:  # the service says Retry-After: 60 until it is provisioned
        attempt += 1
        decision = retry.decide(retry.PROVISIONING, attempt, 60.0, 0.0, now, SETTINGS, half)
        assert decision.retry
        waited.append(decision.delay)
        now += decision.delay
    assert waited == [60.0] * 5


def test_final_answers_are_not_retried():
    assert not retry.decide(None, 1, None, 0.0, 0.0, SETTINGS, half).retry


def test_wait_log_summary():
    log = retry.WaitLog()
    assert log.summary() is None
    log.add(retry.THROTTLED, 429, 2.0, start=100.0)
    log.add(retry.THROTTLED, 429, 1.0, start=102.0)
    log.add(retry.PROVISIONING, 503, 5.0, start=200.0)
    assert log.retries == 3
    assert log.summary() == ("Microsoft Graph asked to wait: 3 retries (429 throttled x2, 503 provisioning x1), "
                             "8.0 s of wall time spent waiting, longest 5.0 s.")
    assert log.as_dict()["by_reason"] == {"429 throttled": 2, "503 provisioning": 1}


def test_parallel_waits_are_reported_as_wall_time_not_summed():
    """The $batch workers wait side by side (and a $batch of 20 refused items logs 20 waits of one delay): a 182 s run
    said "8094 s waited".  On a fake clock: 4 workers, each 10 waits of 20 items x 5 s, overlapping."""
    log, clock = retry.WaitLog(), 0.0
    for dummy in range(10):
        for worker in range(4):
            for dummy2 in range(20):
                log.add(retry.THROTTLED, 429, 5.0, start=clock + worker * 0.5)
        clock += 6.0
    assert log.retries == 800 and log.summed == 4000.0
    # each round: [t, t + 6.5) covered (workers start 0.5 s apart, each waits 5 s), the next round starts 6 s later
    assert log.seconds == pytest.approx(9 * 6.0 + 6.5)
    assert "60.5 s of wall time spent waiting (waits ran side by side: 4000.0 s added up)" in log.summary()
    assert log.as_dict()["seconds"] == 60.5 and log.as_dict()["summed"] == 4000.0
    # waits logged without a start (a caller without a clock) are laid end to end
    plain = retry.WaitLog()
    plain.add(retry.THROTTLED, 429, 1.0)
    plain.add(retry.THROTTLED, 429, 2.0)
    assert plain.seconds == 3.0


def test_union_seconds():
    assert retry.union_seconds([]) == 0.0
    assert retry.union_seconds([(0, 5), (1, 2), (4, 7), (10, 11)]) == 8.0


@pytest.mark.parametrize("kind, status, name", [
    (retry.TRANSIENT, 503, "503 service unavailable"), (retry.PROVISIONING, 503, "503 provisioning"),
    (retry.PROVISIONING, 409, "409 provisioning"), (retry.THROTTLED, 429, "429 throttled"),
    (retry.TRANSIENT, 502, "502 transient"), (retry.CONNECTION, None, "connection"),
])
def test_a_503_is_called_provisioning_only_when_it_is(kind, status, name):
    log = retry.WaitLog()
    log.add(kind, status, 1.0, start=0.0)
    assert list(log.count) == [name]


def test_a_503_without_a_retry_header_on_a_put_is_service_unavailable():
    """The documented provisioning answer carries a retry header; the chaos run's plain 503s on PUTs were counted as
    "503 provisioning" and waited out under provisioning_timeout instead of retry_timeout and max_retries."""
    assert retry.classify(503, provisioning_put=True, has_retry_after=False) == retry.TRANSIENT
    assert retry.classify(503, provisioning_put=True, has_retry_after=True) == retry.PROVISIONING
    assert retry.classify(503, provisioning_put=False, has_retry_after=True) == retry.TRANSIENT


def test_the_backoff_exponent_is_what_the_caller_counts_not_every_attempt():
    """Two 429s with Retry-After then a 503 without: the 503 gets the first backoff, not the third."""
    assert retry.decide(retry.TRANSIENT, 3, None, 0.0, 0.0, SETTINGS, half, backoffs=1).delay == 0.75
    assert retry.decide(retry.TRANSIENT, 3, None, 0.0, 0.0, SETTINGS, half).delay == 3.0  # default: attempt


def test_a_lost_connection_backs_off_from_a_quarter_of_the_base_delay():
    assert [retry.backoff(n, SETTINGS, half, retry.CONNECTION) for n in (1, 2, 3, 4)] == [0.1875, 0.375, 0.75, 1.5]
    assert retry.backoff(20, SETTINGS, half, retry.CONNECTION) == retry.backoff(20, SETTINGS, half) == 6.0


def test_waiting_out_provisioning_spends_no_retry():
    assert not retry.spends_retry(retry.PROVISIONING)
    assert all(retry.spends_retry(kind) for kind in (retry.THROTTLED, retry.TRANSIENT, retry.CONNECTION))


# -- next_step: the one rule for every answer (a request, a $batch sub-request, a $batch call), on a fake clock ---------

def attempts(method="POST", path="/users/u/onlineMeetings/createOrGet", provisioning=False, started=0.0):
    return retry.Attempts(started, retry.replay_safe(method, path), provisioning)


def step(state, status, now=0.0, **kwargs):
    return retry.next_step(state, status, now, SETTINGS, half, **kwargs)


def test_a_success_is_done_and_spends_nothing():
    state = attempts()
    assert step(state, 201).action == retry.DONE
    assert (state.retries, state.backoffs, state.reauthenticated, state.replayed) == (0, {}, False, False)


def test_a_401_gets_one_new_token_then_is_final():
    state = attempts()
    assert step(state, 401).action == retry.REAUTHENTICATE and state.retries == 0
    final = step(state, 401)
    assert final.action == retry.GIVE_UP and final.reason is None  # the service's own answer, no retry note
    assert step(attempts(), 401, of_batch=True).action == retry.REAUTHENTICATE  # a $batch call's 401: the same rule


def test_retry_after_is_waited_exactly_and_shared_by_every_worker():
    wait = step(attempts(), 429, retry_after=37.0)
    assert (wait.action, wait.delay, wait.kind, wait.pause) == (retry.WAIT, 37.0, retry.THROTTLED, 37.0)
    unavailable = step(attempts(), 503, retry_after=5.0)
    assert (unavailable.delay, unavailable.kind, unavailable.pause) == (5.0, retry.TRANSIENT, None)  # not a throttle
    backed_off = step(attempts(), 429)
    assert backed_off.pause is None and backed_off.delay == 0.75  # no Retry-After: the first jittered backoff


def test_max_retries_then_the_reason():
    state = attempts()
    delays = [step(state, 429, retry_after=1.0).delay for n in range(3)]
    assert delays == [1.0, 1.0, 1.0]
    final = step(state, 429, retry_after=1.0)
    assert final.action == retry.GIVE_UP and "max_retries" in final.reason


def test_a_wait_past_the_deadline_gives_up_at_once():
    state = attempts(started=100.0)
    final = step(state, 429, now=150.0, retry_after=30.0)  # retry_timeout 60: 150 + 30 > 160
    assert final.action == retry.GIVE_UP and "retry_timeout" in final.reason


def test_provisioning_waits_spend_no_retry_and_run_to_their_own_deadline():
    put = "/users/u/onlineMeetings/m/virtualAppointment"
    state = attempts("PUT", put, provisioning=True)
    now = 0.0
    for n in range(20):  # far past max_retries=3
        wait = step(state, 409 if n % 2 else 503, now=now, retry_after=25.0)
        assert (wait.action, wait.kind) == (retry.WAIT, retry.PROVISIONING)
        now += wait.delay
    assert state.retries == 0
    assert step(state, 503, now=590.0, retry_after=25.0).reason.endswith("provisioning_timeout (600 s)")
    # the same 503 answering the $batch call that carried the PUT is the service's, not provisioning
    assert step(attempts("PUT", put, provisioning=True), 503, retry_after=5.0, of_batch=True).kind == retry.TRANSIENT
    assert step(attempts("PUT", put, provisioning=False), 409, retry_after=5.0).action == retry.GIVE_UP


@pytest.mark.parametrize("status", [None, 500, 502, 504])
def test_a_lost_answer_is_resent_only_when_a_replay_is_harmless_and_marks_it_replayed(status):
    safe = attempts("POST", "/users/u/onlineMeetings/createOrGet")
    wait = step(safe, status)
    assert wait.action == retry.WAIT and safe.replayed
    assert wait.kind == (retry.CONNECTION if status is None else retry.TRANSIENT)
    plain = attempts("POST", "/users/u/onlineMeetings")
    final = step(plain, status)
    assert final.action == retry.GIVE_UP and not plain.replayed
    # no answer, or the $batch call's 5xx: the request may have been applied; its own 500 is the service's answer
    assert final.reason == (retry.NOT_SENT_AGAIN if status is None else None)
    assert step(attempts("POST", "/users/u/onlineMeetings"), status, of_batch=True).reason == retry.NOT_SENT_AGAIN


def test_a_connection_never_made_is_resent_for_any_request_and_is_no_replay():
    plain = attempts("POST", "/users/u/onlineMeetings")
    wait = step(plain, None, sent=False)
    assert (wait.action, wait.kind, wait.delay) == (retry.WAIT, retry.CONNECTION, 0.1875)
    assert not plain.replayed


def test_a_refusal_is_no_replay():
    state = attempts()
    assert step(state, 429, retry_after=1.0).action == retry.WAIT and not state.replayed


def test_each_cause_has_its_own_backoff_exponent_and_prescribed_waits_do_not_grow_it():
    state = attempts()
    assert step(state, 429, retry_after=1.0).delay == 1.0
    assert step(state, None).delay == 0.1875  # the first connection backoff
    assert step(state, 503).delay == 0.75  # the first 503 backoff, not the third
    assert step(state, 503, now=5.0).action == retry.GIVE_UP  # all three retries (max_retries=3) spent
    assert state.backoffs == {retry.CONNECTION: 1, retry.TRANSIENT: 2} and state.retries == 4


def test_an_answer_to_a_batch_call_without_item_answers_is_final():
    """A $batch call answered 200 without a readable body: not DONE for the items it carried."""
    final = step(attempts(), 200, of_batch=True)
    assert final.action == retry.GIVE_UP and final.reason is None
