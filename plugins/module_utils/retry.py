# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry policy as pure functions: what to retry, how long to wait, when to give up.

Nothing here sleeps or reads the clock; callers pass ``now`` and a random source, so the policy is tested
with a fake clock.  Rules (graph-api.md 7.2, 3.2; msal-and-retries.md 3.1-3.3):

* 429, 502, 503, 504, dropped connections and read timeouts are retried: every request this collection sends is
  idempotent (PUT, PATCH with If-Match, DELETE, GET, createOrGet).
* A 503 or a 409 answering a virtualAppointment PUT is first-create provisioning, waited out up to
  ``provisioning_timeout`` (the docs promise under five minutes).
* ``Retry-After`` (seconds or an HTTP date) is honoured exactly and never shortened; without it, jittered
  exponential backoff.  A wait that would pass the deadline is not started: the caller fails at once with the
  reason instead of hanging.
"""

from __future__ import annotations

import email.utils
import math

THROTTLED = "throttled"
TRANSIENT = "transient"
PROVISIONING = "provisioning"
CONNECTION = "connection"

RETRY_STATUS = {429: THROTTLED, 502: TRANSIENT, 503: TRANSIENT, 504: TRANSIENT}


class RetrySettings:
    """The user's knobs (module options ``max_retries``, ``retry_timeout``, ``provisioning_timeout``)."""

    def __init__(self, max_retries=10, retry_timeout=300.0, provisioning_timeout=600.0, base_delay=1.0,
                 max_delay=60.0):
        self.max_retries = int(max_retries)
        self.retry_timeout = float(retry_timeout)
        self.provisioning_timeout = float(provisioning_timeout)
        self.base_delay = float(base_delay)
        self.max_delay = float(max_delay)


def parse_retry_after(value, now_epoch):
    """Seconds to wait from a Retry-After value (delta-seconds or HTTP-date), or None when absent or invalid."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text.split(",", 1)[0])  # "5,5" (a repeated header folded by a proxy) means 5
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        return max(0.0, when.timestamp() - now_epoch)
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def classify(status, provisioning_put=False, has_retry_after=False):
    """The retry kind of an HTTP status, or None when the answer is final.

    ``provisioning_put``: the request is a virtualAppointment PUT (first-create provisioning answers 503, or 409
    with a retry header)."""
    if provisioning_put and (status == 503 or (status == 409 and has_retry_after)):
        return PROVISIONING
    return RETRY_STATUS.get(status)


def backoff(attempt, settings, rand):
    """Jittered exponential backoff for retry ``attempt`` (1-based): base * 2**(attempt-1), half of it random."""
    ceiling = min(settings.max_delay, settings.base_delay * (2 ** max(0, attempt - 1)))
    return ceiling / 2.0 + rand() * ceiling / 2.0


class Decision:
    """Wait ``delay`` seconds and retry, or (``delay is None``) give up for ``reason``."""

    def __init__(self, delay, reason):
        self.delay = delay
        self.reason = reason

    @property
    def retry(self):
        return self.delay is not None

    def __repr__(self):
        return "Decision(delay=%r, reason=%r)" % (self.delay, self.reason)


def decide(kind, attempt, retry_after, started, now, settings, rand):
    """Decide about retry ``attempt`` (1 = the first retry) of a request first sent at ``started``.

    ``retry_after`` is the parsed header in seconds (or None).  Returns a Decision."""
    if kind is None:
        return Decision(None, "not retryable")
    if kind == PROVISIONING:
        deadline, budget = started + settings.provisioning_timeout, "provisioning_timeout"
    else:
        deadline, budget = started + settings.retry_timeout, "retry_timeout"
        if attempt > settings.max_retries:
            return Decision(None, "gave up after %d retries (max_retries)" % settings.max_retries)
    delay = retry_after if retry_after is not None else backoff(attempt, settings, rand)
    if now + delay > deadline:
        return Decision(None, "the next wait (%.1f s%s) would pass %s (%.0f s)" % (
            delay, " from Retry-After" if retry_after is not None else "", budget, deadline - started))
    return Decision(delay, kind)


class WaitLog:
    """What the client waited for, so a module can warn once at the end instead of per retry."""

    def __init__(self):
        self.count = {}
        self.seconds = 0.0
        self.longest = 0.0

    def add(self, kind, status, delay):
        key = "%s %s" % (status, kind) if status else kind
        self.count[key] = self.count.get(key, 0) + 1
        self.seconds += delay
        self.longest = max(self.longest, delay)

    def merge(self, other):
        for key, value in other.count.items():
            self.count[key] = self.count.get(key, 0) + value
        self.seconds += other.seconds
        self.longest = max(self.longest, other.longest)

    @property
    def retries(self):
        return sum(self.count.values())

    def summary(self):
        """A one-line account of the waits, or None when there were none."""
        if not self.retries:
            return None
        parts = ", ".join("%s x%d" % (key, n) for key, n in sorted(self.count.items()))
        return "Microsoft Graph asked to wait: %d retr%s (%s), %.1f s waited in all, longest %.1f s." % (
            self.retries, "y" if self.retries == 1 else "ies", parts, self.seconds, self.longest)

    def as_dict(self):
        return {"retries": self.retries, "seconds": round(self.seconds, 3), "longest": round(self.longest, 3),
                "by_reason": dict(self.count)}
