"""Behaviour switches: latency, throttling, first-create provisioning, injected faults, documentation modes.

Everything here is plain data plus a clock and a random generator passed in, so it is unit-testable and
deterministic under a fixed ``--fault-seed``.
"""

import math
import random
import re
import time

from .profiles import DOCUMENTED, check_profile

# The documentation contradicts itself (graph-api.md section 8); each reading is a mode.
DOC_MODES = {
    "get_wrapped_in_value": False,    # GET virtualAppointment returns {"value": {...}} as every GET example does
    "browser_flag_as_string": False,  # settings.allowClientToJoinUsingBrowser emitted as "true"/"false"
    "patch_returns_200": False,       # PATCH virtualAppointment answers 200 + entity (early docs) instead of 204
    "batch_throttle_outer_424": False,  # a batch with a throttled item fails as a whole with 424 (old docs)
    "sms_legacy_bodies": False,       # accept the 2023 SMS bodies (phoneNumbers + smsType/virtualAppointmentSmsType)
    # Bookings: GET customers/{id} "requires the ID to be Base64 encoded. GUID IDs do not work" (bookings-api.md 4,
    # 12.8): by default a GUID is refused (400 ErrorInvalidIdMalformed [inf]) and its Base64 form read; true: both read.
    "bookings_customer_get_by_guid": False,
}
OTHER_MODES = {
    "latency_ms": 0,
    # Microsoft Bookings (bookings.py): how long every Bookings request - top-level or $batch item - is in flight for
    # its mailbox (the four-request limit counts it) and holds its answer; the items of one $batch run one after
    # another.  0: answered at once, as before.
    "bookings_service_ms": 0,
    "throttle": None,         # {"rate_per_s": float, "burst": int} per app per tenant
    "provisioning": None,     # {"status": 503 | 409, "seconds": float}: the first create in each tenant
    "token_lifetime_s": 3600,
    "device_code_interval_s": 1,
    "batch_order": "shuffle",  # order of $batch responses: request | reverse | shuffle
    "profile": DOCUMENTED,     # which Graph the emulator plays: documented | current (profiles.py)
}


class ModeError(ValueError):
    pass


def default_modes():
    modes = dict(DOC_MODES)
    modes.update(OTHER_MODES)
    return modes


def validate_modes(update):
    if not isinstance(update, dict):
        raise ModeError("modes must be a JSON object")
    out = {}
    for key, value in update.items():
        if key in DOC_MODES:
            if not isinstance(value, bool):
                raise ModeError("mode '%s' must be true or false" % key)
        elif key == "device_code_interval_s":
            # MSAL rounds the polling interval down to whole seconds; below 1 it would poll in a tight loop.
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ModeError("mode 'device_code_interval_s' must be a whole number of seconds, at least 1")
        elif key in ("latency_ms", "bookings_service_ms", "token_lifetime_s"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ModeError("mode '%s' must be a non-negative number" % key)
        elif key == "throttle":
            # A bucket that holds less than one token would refuse every request forever.
            if value is not None and not (isinstance(value, dict)
                                          and _positive(value.get("rate_per_s"))
                                          and _positive(value.get("burst", 1)) and value.get("burst", 1) >= 1):
                raise ModeError("throttle must be null or {\"rate_per_s\": >0, \"burst\": >=1}")
        elif key == "provisioning":
            if value is not None and not (isinstance(value, dict) and isinstance(value.get("status"), int)
                                          and value.get("status") in (503, 409)
                                          and _non_negative(value.get("seconds"))):
                raise ModeError("provisioning must be null or {\"status\": 503|409, \"seconds\": >=0}")
        elif key == "batch_order":
            if value not in ("request", "reverse", "shuffle"):
                raise ModeError("batch_order must be request, reverse or shuffle")
        elif key == "profile":
            try:
                check_profile(value)
            except ValueError as exc:
                raise ModeError(str(exc)) from exc
        else:
            raise ModeError("unknown mode '%s'; known: %s" % (key, ", ".join(sorted(default_modes()))))
        out[key] = value
    return out


def _positive(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value > 0


def _non_negative(value):
    return not isinstance(value, bool) and isinstance(value, (int, float)) and value >= 0


class TokenBuckets:
    """Token-bucket throttling per (tenant, app); every Graph request and every batch item takes a token."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.buckets = {}

    def reset(self):
        self.buckets = {}

    def take(self, key, rate, burst):
        """Return 0 if allowed, else the seconds to wait (Retry-After, at least 1)."""
        now = self.clock()
        tokens, last = self.buckets.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self.buckets[key] = (tokens - 1.0, now)
            return 0
        self.buckets[key] = (tokens, now)
        return max(1, int(math.ceil((1.0 - tokens) / rate)))


class Provisioning:
    """The first virtualAppointment create in a tenant is refused for N seconds (503 or 409 + Retry-After)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.started = {}
        self.done = set()

    def reset(self):
        self.started = {}
        self.done = set()

    def check(self, tenant_id, config):
        """Return None when the tenant is provisioned, else (status, retry_after_seconds)."""
        if not config or tenant_id in self.done:
            return None
        now = self.clock()
        started = self.started.setdefault(tenant_id, now)
        remaining = config["seconds"] - (now - started)
        if remaining <= 0:
            self.done.add(tenant_id)
            return None
        return config["status"], max(1, int(math.ceil(remaining)))


class FaultError(ValueError):
    pass


class Fault:
    FIELDS = {"route", "method", "status", "drop", "rate", "count", "retry_after", "delay_ms", "after", "code",
              "message"}

    def __init__(self, spec, index):
        where = "rules[%d]" % index
        if not isinstance(spec, dict):
            raise FaultError("%s must be an object" % where)
        unknown = set(spec) - self.FIELDS
        if unknown:
            raise FaultError("%s: unknown field(s) %s" % (where, ", ".join(sorted(unknown))))
        try:
            self.route = re.compile(spec.get("route", ".*"))
        except re.error as exc:
            raise FaultError("%s.route: invalid regular expression (%s)" % (where, exc)) from exc
        method = spec.get("method")
        if method is None:
            self.methods = None
        elif isinstance(method, str):
            self.methods = {m.strip().upper() for m in method.split("|")}
        elif isinstance(method, list) and all(isinstance(m, str) for m in method):
            self.methods = {m.upper() for m in method}
        else:
            raise FaultError("%s.method must be a string like \"PUT|PATCH\" or a list" % where)
        self.status = spec.get("status")
        self.drop = spec.get("drop")
        self.delay_ms = spec.get("delay_ms")
        actions = [a for a in (self.status, self.drop, self.delay_ms) if a is not None]
        if len(actions) != 1:
            raise FaultError("%s needs exactly one of status, drop, delay_ms" % where)
        if self.status is not None and (not isinstance(self.status, int) or not 400 <= self.status <= 599):
            raise FaultError("%s.status must be an HTTP error status (400-599)" % where)
        if self.drop is not None and self.drop not in ("before", "after"):
            raise FaultError("%s.drop must be \"before\" or \"after\"" % where)
        if self.delay_ms is not None and not _non_negative(self.delay_ms):
            raise FaultError("%s.delay_ms must be a non-negative number" % where)
        self.rate = spec.get("rate", 1.0)
        if not _non_negative(self.rate) or self.rate > 1:
            raise FaultError("%s.rate must be between 0 and 1" % where)
        self.count = spec.get("count")
        if self.count is not None and (isinstance(self.count, bool) or not isinstance(self.count, int)
                                       or self.count < 0):
            raise FaultError("%s.count must be a non-negative integer" % where)
        self.retry_after = spec.get("retry_after")
        if self.retry_after is not None and not _non_negative(self.retry_after):
            raise FaultError("%s.retry_after must be a non-negative number" % where)
        if self.retry_after is not None:
            self.retry_after = int(math.ceil(self.retry_after))  # Retry-After is a whole number of seconds
        self.after = bool(spec.get("after", False))
        # The error body's code and message (default: the status's usual code, "Injected fault: ..."): e.g. the 500
        # UnknownError with an empty message Bookings answers some creates with (bookings-api.md 7, 12.8).
        self.code, self.message = spec.get("code"), spec.get("message")
        for name in ("code", "message"):
            value = getattr(self, name)
            if value is not None and (self.status is None or not isinstance(value, str)):
                raise FaultError("%s.%s must be a string, with status" % (where, name))
        self.fired = 0
        self.spec = spec

    def matches(self, method, path):
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.route.search(path) is not None

    def describe(self):
        out = dict(self.spec)
        out["fired"] = self.fired
        return out


class Faults:
    def __init__(self, seed=None):
        self.rules = []
        self.rng = random.Random(seed)

    def set_rules(self, rules):
        if not isinstance(rules, list):
            raise FaultError("'rules' must be a list ([] clears)")
        self.rules = [Fault(spec, i) for i, spec in enumerate(rules)]

    def pick(self, method, path):
        """Return the first rule that matches and fires for this request, or None."""
        for rule in self.rules:
            if rule.count is not None and rule.fired >= rule.count:
                continue
            if not rule.matches(method, path):
                continue
            if rule.rate < 1.0 and self.rng.random() >= rule.rate:
                continue
            rule.fired += 1
            return rule
        return None
