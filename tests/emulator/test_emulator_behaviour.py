"""Unit tests of the Graph emulator's behaviour switches and date-time helpers (no server, fake clock)."""

import datetime

import pytest

from tests.graph_emulator.behaviour import (DOC_MODES, FaultError, Faults, ModeError, Provisioning, TokenBuckets,
                                            default_modes, validate_modes)
from tests.graph_emulator.store import format_datetime, parse_datetime

UTC = datetime.timezone.utc


class FakeClock:
    """A monotonic clock that only moves when told to."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


# ---------------------------------------------------------------------------------------------------------------
# TokenBuckets
# ---------------------------------------------------------------------------------------------------------------
def test_bucket_allows_the_burst_then_answers_the_wait(clock):
    buckets = TokenBuckets(clock)
    assert [buckets.take("app", 2, 3) for attempt in range(3)] == [0, 0, 0]
    assert buckets.take("app", 2, 3) == 1  # one token refills in 0.5 s: Retry-After is at least 1


def test_bucket_wait_is_rounded_up_to_whole_seconds(clock):
    buckets = TokenBuckets(clock)
    assert buckets.take("app", 0.25, 1) == 0
    assert buckets.take("app", 0.25, 1) == 4
    clock.advance(1.5)  # 0.375 tokens: 0.625 missing at 0.25/s is 2.5 s
    assert buckets.take("app", 0.25, 1) == 3


def test_bucket_refills_over_time_up_to_the_burst(clock):
    buckets = TokenBuckets(clock)
    for attempt in range(3):
        buckets.take("app", 2, 3)
    clock.advance(0.5)
    assert buckets.take("app", 2, 3) == 0
    assert buckets.take("app", 2, 3) == 1
    clock.advance(3600)  # a long pause refills only up to the burst
    assert [buckets.take("app", 2, 3) for attempt in range(4)] == [0, 0, 0, 1]


def test_buckets_are_per_key(clock):
    buckets = TokenBuckets(clock)
    assert [buckets.take(("tenant-a", "app"), 1, 1) for attempt in range(2)] == [0, 1]
    assert buckets.take(("tenant-b", "app"), 1, 1) == 0
    assert buckets.take(("tenant-a", "other-app"), 1, 1) == 0
    assert buckets.take(("tenant-a", "app"), 1, 1) == 1


def test_bucket_reset_forgets_every_key(clock):
    buckets = TokenBuckets(clock)
    buckets.take("app", 1, 1)
    buckets.reset()
    assert buckets.take("app", 1, 1) == 0


# ---------------------------------------------------------------------------------------------------------------
# Provisioning
# ---------------------------------------------------------------------------------------------------------------
def test_provisioning_refuses_with_a_rounded_up_retry_after_until_the_time_has_passed(clock):
    provisioning = Provisioning(clock)
    config = {"status": 503, "seconds": 2.5}
    assert provisioning.check("tenant", config) == (503, 3)
    clock.advance(1)
    assert provisioning.check("tenant", config) == (503, 2)
    clock.advance(1.4)
    assert provisioning.check("tenant", config) == (503, 1)
    clock.advance(0.1)
    assert provisioning.check("tenant", config) is None


def test_provisioning_is_done_forever_once_the_tenant_is_provisioned(clock):
    provisioning = Provisioning(clock)
    config = {"status": 409, "seconds": 1}
    assert provisioning.check("tenant", config) == (409, 1)
    clock.advance(1)
    assert provisioning.check("tenant", config) is None
    assert provisioning.check("tenant", {"status": 409, "seconds": 1000}) is None
    clock.advance(86400)
    assert provisioning.check("tenant", config) is None


def test_provisioning_clock_starts_per_tenant_at_its_first_create(clock):
    provisioning = Provisioning(clock)
    config = {"status": 503, "seconds": 2}
    assert provisioning.check("tenant-a", config) == (503, 2)
    clock.advance(2)
    assert provisioning.check("tenant-a", config) is None
    assert provisioning.check("tenant-b", config) == (503, 2)
    clock.advance(1)
    assert provisioning.check("tenant-b", config) == (503, 1)
    assert provisioning.check("tenant-a", config) is None


@pytest.mark.parametrize("config", [None, {}])
def test_provisioning_without_a_config_is_always_provisioned(clock, config):
    assert Provisioning(clock).check("tenant", config) is None


def test_provisioning_of_zero_seconds_never_refuses(clock):
    assert Provisioning(clock).check("tenant", {"status": 503, "seconds": 0}) is None


def test_provisioning_reset_starts_over(clock):
    provisioning = Provisioning(clock)
    config = {"status": 503, "seconds": 1}
    provisioning.check("tenant", config)
    clock.advance(1)
    assert provisioning.check("tenant", config) is None
    provisioning.reset()
    assert provisioning.check("tenant", config) == (503, 1)


# ---------------------------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------------------------
APPOINTMENT = "/users/u/onlineMeetings/m/virtualAppointment"


def faults(*rules, seed=7):
    out = Faults(seed)
    out.set_rules(list(rules))
    return out


def test_fault_route_is_a_regular_expression_searched_in_the_path():
    rules = faults({"route": "virtualAppointment$", "status": 503})
    assert rules.pick("PUT", APPOINTMENT) is not None
    assert rules.pick("GET", "/users/u/onlineMeetings/m") is None
    assert rules.pick("POST", APPOINTMENT + "/x") is None


@pytest.mark.parametrize("method", ["PUT|PATCH", "put | patch", ["PUT", "patch"]])
def test_fault_method_filter(method):
    rules = faults({"method": method, "status": 500})
    assert [rules.pick(m, APPOINTMENT) is not None for m in ("GET", "PUT", "PATCH", "POST", "DELETE")] == \
        [False, True, True, False, False]


def test_fault_without_route_or_method_matches_everything():
    rules = faults({"status": 500})
    assert rules.pick("GET", "/$batch") is not None
    assert rules.pick("DELETE", APPOINTMENT) is not None


def test_first_matching_rule_wins():
    rules = faults({"route": "virtualAppointment", "status": 503}, {"status": 500})
    assert rules.pick("GET", APPOINTMENT).status == 503
    assert rules.pick("GET", "/me/onlineMeetings").status == 500


def test_fault_count_limits_how_often_a_rule_fires():
    rules = faults({"status": 503, "count": 2}, {"status": 500})
    assert [rules.pick("GET", APPOINTMENT).status for attempt in range(4)] == [503, 503, 500, 500]
    assert rules.rules[0].describe() == {"status": 503, "count": 2, "fired": 2}


def test_fault_count_zero_never_fires():
    assert faults({"status": 503, "count": 0}).pick("GET", APPOINTMENT) is None


def test_fault_rate_with_a_seeded_generator_fires_about_that_often_and_repeatably():
    def pattern(seed):
        rules = faults({"status": 503, "rate": 0.5}, seed=seed)
        return [rules.pick("GET", APPOINTMENT) is not None for attempt in range(1000)]

    fired = pattern(7)
    assert 400 <= sum(fired) <= 600
    assert pattern(7) == fired
    assert pattern(8) != fired


@pytest.mark.parametrize("rate, expected", [(0, 0), (1, 50)])
def test_fault_rate_bounds(rate, expected):
    rules = faults({"status": 503, "rate": rate})
    assert sum(rules.pick("GET", APPOINTMENT) is not None for attempt in range(50)) == expected


def test_non_matching_requests_do_not_use_up_the_count():
    rules = faults({"route": "virtualAppointment", "status": 503, "count": 1})
    assert rules.pick("GET", "/me/onlineMeetings") is None
    assert rules.pick("GET", APPOINTMENT) is not None
    assert rules.pick("GET", APPOINTMENT) is None


def test_fault_retry_after_is_whole_seconds():
    rules = faults({"status": 429, "retry_after": 1.2}, {"status": 503})
    assert rules.rules[0].retry_after == 2
    assert rules.rules[1].retry_after is None


@pytest.mark.parametrize("spec, message", [
    ("503", "rules[0] must be an object"),
    ({"status": 503, "colour": "red"}, "rules[0]: unknown field(s) colour"),
    ({"route": "(", "status": 503}, "rules[0].route: invalid regular expression"),
    ({"method": 5, "status": 503}, "rules[0].method"),
    ({"route": "x"}, "rules[0] needs exactly one of status, drop, delay_ms"),
    ({"status": 503, "drop": "before"}, "rules[0] needs exactly one of status, drop, delay_ms"),
    ({"status": 200}, "rules[0].status must be an HTTP error status"),
    ({"status": "503"}, "rules[0].status"),
    ({"drop": "during"}, "rules[0].drop"),
    ({"delay_ms": -1}, "rules[0].delay_ms"),
    ({"status": 503, "rate": 1.5}, "rules[0].rate"),
    ({"status": 503, "rate": "half"}, "rules[0].rate"),
    ({"status": 503, "count": -1}, "rules[0].count"),
    ({"status": 503, "count": 1.5}, "rules[0].count"),
    ({"status": 503, "count": True}, "rules[0].count"),
    ({"status": 503, "retry_after": -1}, "rules[0].retry_after"),
])
def test_invalid_fault_rules_name_the_rule_and_field(spec, message):
    with pytest.raises(FaultError) as caught:
        faults(spec)
    assert message in str(caught.value)


def test_fault_errors_name_the_index_of_the_bad_rule():
    with pytest.raises(FaultError, match=r"^rules\[2\]\.status"):
        faults({"status": 503}, {"drop": "after"}, {"status": 99})


def test_an_invalid_update_keeps_the_previous_rules():
    rules = faults({"status": 503})
    with pytest.raises(FaultError, match="'rules' must be a list"):
        rules.set_rules({"status": 500})
    with pytest.raises(FaultError):
        rules.set_rules([{"status": 500}, {"status": 1}])
    assert [r.status for r in rules.rules] == [503]
    rules.set_rules([])
    assert rules.pick("GET", APPOINTMENT) is None


# ---------------------------------------------------------------------------------------------------------------
# validate_modes
# ---------------------------------------------------------------------------------------------------------------
def test_default_modes_are_the_current_documentation():
    modes = default_modes()
    assert all(modes[name] is False for name in DOC_MODES)
    assert modes["throttle"] is None and modes["provisioning"] is None
    assert modes["batch_order"] == "shuffle"


def test_valid_modes_pass_through():
    update = {"patch_returns_200": True, "latency_ms": 12.5, "throttle": {"rate_per_s": 2, "burst": 3},
              "provisioning": {"status": 409, "seconds": 1}, "batch_order": "reverse", "token_lifetime_s": 0}
    assert validate_modes(update) == update
    assert validate_modes({"throttle": None, "provisioning": None}) == {"throttle": None, "provisioning": None}


def test_unknown_mode_is_rejected_with_the_known_ones():
    with pytest.raises(ModeError) as caught:
        validate_modes({"patch_returns_201": True})
    message = str(caught.value)
    assert "unknown mode 'patch_returns_201'" in message
    assert "patch_returns_200" in message and "batch_order" in message


@pytest.mark.parametrize("update, message", [
    ([("latency_ms", 1)], "modes must be a JSON object"),
    ({"patch_returns_200": "yes"}, "mode 'patch_returns_200' must be true or false"),
    ({"get_wrapped_in_value": 1}, "mode 'get_wrapped_in_value' must be true or false"),
    ({"latency_ms": "100"}, "mode 'latency_ms' must be a non-negative number"),
    ({"latency_ms": -1}, "mode 'latency_ms' must be a non-negative number"),
    ({"token_lifetime_s": True}, "mode 'token_lifetime_s' must be a non-negative number"),
    ({"throttle": "fast"}, "throttle must be null or"),
    ({"throttle": {"burst": 3}}, "throttle must be null or"),
    ({"throttle": {"rate_per_s": 0, "burst": 3}}, "throttle must be null or"),
    ({"throttle": {"rate_per_s": 2, "burst": 0.5}}, "throttle must be null or"),
    ({"provisioning": {"status": 500, "seconds": 1}}, "provisioning must be null or"),
    ({"provisioning": {"status": 503.0, "seconds": 1}}, "provisioning must be null or"),
    ({"provisioning": {"status": 503}}, "provisioning must be null or"),
    ({"provisioning": {"status": 409, "seconds": -1}}, "provisioning must be null or"),
    ({"batch_order": "random"}, "batch_order must be request, reverse or shuffle"),
])
def test_modes_of_the_wrong_type_are_rejected_with_a_clear_message(update, message):
    with pytest.raises(ModeError) as caught:
        validate_modes(update)
    assert message in str(caught.value)


# ---------------------------------------------------------------------------------------------------------------
# store.parse_datetime / format_datetime
# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("2025-03-01T10:00:00Z", datetime.datetime(2025, 3, 1, 10, 0, tzinfo=UTC)),
    ("2025-03-01T10:00:00z", datetime.datetime(2025, 3, 1, 10, 0, tzinfo=UTC)),
    ("2025-03-01T10:00:00+02:00", datetime.datetime(2025, 3, 1, 8, 0, tzinfo=UTC)),
    ("2025-03-01T01:00:00-05:30", datetime.datetime(2025, 3, 1, 6, 30, tzinfo=UTC)),
    ("2025-03-01T00:30:00+01:00", datetime.datetime(2025, 2, 28, 23, 30, tzinfo=UTC)),
    ("2025-03-01T10:00:00.1234567Z", datetime.datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    ("2025-03-01T10:00:00.5+00:00", datetime.datetime(2025, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)),
    ("2025-03-01T10:00:00.0000000-01:00", datetime.datetime(2025, 3, 1, 11, 0, tzinfo=UTC)),
    ("2025-03-01T10:00:00", datetime.datetime(2025, 3, 1, 10, 0, tzinfo=UTC)),
    ("2025-03-01T10:00:00.1234567", datetime.datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC)),
    (" 2025-03-01T10:00:00Z ", datetime.datetime(2025, 3, 1, 10, 0, tzinfo=UTC)),
])
def test_parse_datetime_gives_aware_utc(text, expected):
    value = parse_datetime(text)
    assert value == expected
    assert value.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize("text", [None, "", 20250301, "tomorrow", "2025-13-01T10:00:00Z"])
def test_parse_datetime_rejects_what_is_not_a_date_time(text):
    with pytest.raises(ValueError):
        parse_datetime(text)


@pytest.mark.parametrize("value, text", [
    (datetime.datetime(2025, 3, 1, 10, 0, tzinfo=UTC), "2025-03-01T10:00:00Z"),
    (datetime.datetime(2025, 3, 1, 10, 0, 0, 123456, tzinfo=UTC), "2025-03-01T10:00:00.1234560Z"),
    (datetime.datetime(2025, 3, 1, 10, 0, 0, 5, tzinfo=UTC), "2025-03-01T10:00:00.0000050Z"),
])
def test_format_datetime_writes_utc_z_with_seven_digit_fractions(value, text):
    assert format_datetime(value) == text


def test_a_graph_date_time_round_trips():
    assert format_datetime(parse_datetime("2025-03-01T12:34:56.1234567+02:00")) == "2025-03-01T10:34:56.1234560Z"
    assert format_datetime(parse_datetime("2025-03-01T10:00:00")) == "2025-03-01T10:00:00Z"


@pytest.mark.parametrize("value", [0, 0.5, 1.5, True, "1"])
def test_device_code_interval_must_be_whole_seconds(value):
    with pytest.raises(ModeError, match="device_code_interval_s"):
        validate_modes({"device_code_interval_s": value})
