# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry policy as pure functions: what to retry, how long to wait, when to give up.

Nothing here sleeps or reads the clock; callers pass ``now`` and a random source, so the policy is tested
with a fake clock.  Rules (graph-api.md 7.2, 3.2; msal-and-retries.md 3.1-3.3):

* Refusals are retried for every request: 429 and 503 say the service did not do it.
* Lost or ambiguous answers - a dropped connection or read timeout after the request was sent, 500, 502, 504 - are
  retried only for requests that may be *replayed*: sending them twice has the effect of sending them once
  (``replay_safe``).  That is GET, PUT (the virtualAppointment singleton), DELETE (a replay answers 404, which the
  engine takes as done), PATCH (the bodies carry absolute values; the appointment's also carries If-Match, so a
  replay after the first landed answers 412 and the engine re-reads), and POST ``createOrGet`` (idempotent by
  externalId).  Any other POST (a plain create, an SMS) is never sent again once it may have reached the service;
  a ``$batch`` is replayed only for its replay-safe sub-requests.  A connection that was never made (refused,
  connect timeout) is retried for every request.
* Neither requests nor urllib3 retry anything on their own (``ADAPTER_MAX_RETRIES``): every retry is decided here,
  so none can slip past this policy.
* A 503 or a 409 with a retry header answering a virtualAppointment PUT (a create) is first-create provisioning,
  waited out up to ``provisioning_timeout`` (the docs promise under five minutes).  Any other 503 - one without the
  retry header on that PUT too - is the service being unavailable, retried within ``retry_timeout`` and
  ``max_retries``, and reported as such.
* ``Retry-After`` (seconds or an HTTP date) is honoured exactly and never shortened; without it, jittered
  exponential backoff.  A wait that would pass the deadline is not started: the caller fails at once with the
  reason instead of hanging.
* A 401 gets one new token.

``next_step`` applies these rules to one answer; graph.py calls it for single requests, ``$batch`` sub-requests and
``$batch`` calls alike.
"""

from __future__ import annotations

import email.utils
import math

THROTTLED = "throttled"
TRANSIENT = "transient"
PROVISIONING = "provisioning"
CONNECTION = "connection"

# The service refused the request: safe to send again whatever it was.
REFUSED_STATUS = {429: THROTTLED, 503: TRANSIENT}
# The request may have been applied before the error: sent again only when it may be replayed.
AMBIGUOUS_STATUS = {500: TRANSIENT, 502: TRANSIENT, 504: TRANSIENT}
# requests' HTTPAdapter / urllib3 Retry: no retry of their own, not even of a stale keep-alive connection.
ADAPTER_MAX_RETRIES = 0

REPLAY_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"))
REPLAY_SAFE_POST_ACTIONS = ("/createorget",)


def replay_safe(method, path):
    """Whether sending this request a second time has the effect of sending it once (see the module docstring)."""
    method = (method or "").upper()
    if method in REPLAY_SAFE_METHODS:
        return True
    if method == "POST":
        route = (path or "").split("?", 1)[0].rstrip("/").lower()
        return route.endswith(REPLAY_SAFE_POST_ACTIONS)
    return False


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


def classify(status, provisioning_put=False, has_retry_after=False, replayable=False):
    """The retry kind of an HTTP status, or None when the answer is final.

    ``provisioning_put``: the request is a virtualAppointment PUT (first-create provisioning answers 503 or 409, with
    a retry header; a 503 without one is the service being unavailable).  ``replayable``: ``replay_safe()`` of the
    request; 500, 502 and 504 are retried only then."""
    if provisioning_put and has_retry_after and status in (503, 409):
        return PROVISIONING
    if status in REFUSED_STATUS:
        return REFUSED_STATUS[status]
    if replayable:
        return AMBIGUOUS_STATUS.get(status)
    return None


def classify_connection(sent, replayable):
    """The retry kind of a request that got no answer, or None when it must not be sent again.

    ``sent``: the request may have reached the service (the connection dropped or timed out after it was written),
    as opposed to a connection that was never made."""
    if not sent or replayable:
        return CONNECTION
    return None


# A lost connection says nothing about load: its retries start sooner (base_delay / 4) and grow the same way.
CONNECTION_BASE_SHARE = 0.25


def spends_retry(kind):
    """Whether a retry of this kind counts against ``max_retries``: waiting out first-create provisioning does not
    (``provisioning_timeout`` bounds it), so a request that waited for its tenant still has every retry left."""
    return kind is not None and kind != PROVISIONING


def backoff(attempt, settings, rand, kind=None):
    """Jittered exponential backoff for the ``attempt``-th (1-based) backed-off retry: base * 2**(attempt-1), half
    of it random, capped at max_delay."""
    base = settings.base_delay * (CONNECTION_BASE_SHARE if kind == CONNECTION else 1.0)
    ceiling = min(settings.max_delay, base * (2 ** max(0, attempt - 1)))
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


def decide(kind, attempt, retry_after, started, now, settings, rand, backoffs=None):
    """Decide about retry ``attempt`` (1 = the first retry) of a request first sent at ``started``.

    ``retry_after`` is the parsed header in seconds (or None).  ``backoffs``: how many retries of this request for
    this ``kind``, this one included, had no Retry-After (default ``attempt``): the exponent of the backoff, so that
    waits the service prescribed (a 429 with Retry-After: 1) and failures of another cause do not inflate it.
    Returns a Decision."""
    if kind is None:
        return Decision(None, "not retryable")
    if kind == PROVISIONING:
        deadline, budget = started + settings.provisioning_timeout, "provisioning_timeout"
    else:
        deadline, budget = started + settings.retry_timeout, "retry_timeout"
        if attempt > settings.max_retries:
            return Decision(None, "gave up after %d retries (max_retries)" % settings.max_retries)
    delay = retry_after if retry_after is not None else backoff(attempt if backoffs is None else backoffs, settings,
                                                                rand, kind)
    if now + delay > deadline:
        return Decision(None, "the next wait (%.1f s%s) would pass %s (%.0f s)" % (
            delay, " from Retry-After" if retry_after is not None else "", budget, deadline - started))
    return Decision(delay, kind)


class Attempts:
    """One request's history so far - what ``next_step`` reads and updates; one per request, reused on every try.

    ``started``: when it was first sent (the deadlines run from there).  ``replayable``: ``replay_safe()`` of it.
    ``provisioning``: a virtualAppointment PUT, whose 503/409 with a retry header is first-create provisioning."""

    __slots__ = ("started", "replayable", "provisioning", "retries", "backoffs", "reauthenticated", "replayed")

    def __init__(self, started, replayable, provisioning=False):
        self.started = started
        self.replayable = replayable
        self.provisioning = provisioning
        self.retries = 0  # those counted against max_retries (spends_retry)
        self.backoffs = {}  # kind -> retries without Retry-After so far (the backoff's exponent)
        self.reauthenticated = False  # a 401 was answered with a new token: a second 401 is final
        self.replayed = False  # sent again after an attempt whose answer was lost: that attempt may have been applied


DONE = "done"  # the answer is the request's result
REAUTHENTICATE = "reauthenticate"  # drop the token and send again at once
WAIT = "wait"  # wait Step.delay seconds (logged as Step.kind), then send again
GIVE_UP = "give up"  # the answer is final; Step.reason says why it is not retried (None: the service's own answer)
NOT_SENT_AGAIN = "not sent again: it may have been applied"


class Step:
    """What ``next_step`` decided: ``action`` (DONE, REAUTHENTICATE, WAIT, GIVE_UP), the wait's ``delay`` and ``kind``,
    the give-up ``reason``, and ``pause``: the Retry-After every sender of this client should now wait out too."""

    __slots__ = ("action", "delay", "kind", "reason", "pause")

    def __init__(self, action, delay=0.0, kind=None, reason=None, pause=None):
        self.action, self.delay, self.kind, self.reason, self.pause = action, delay, kind, reason, pause

    def __repr__(self):
        return "Step(%r, delay=%r, kind=%r, reason=%r, pause=%r)" % (self.action, self.delay, self.kind, self.reason,
                                                                     self.pause)


def next_step(attempts, status, now, settings, rand, retry_after=None, sent=True, of_batch=False):
    """The one retry rule for every answer: a single request's, a ``$batch`` sub-request's, and a ``$batch`` call's
    that failed as a whole (``of_batch``: the status answered the call carrying the request, not the request).

    ``status``: the HTTP status, or None when no answer came (``sent``: the request may have reached the service, see
    ``classify_connection``).  ``retry_after``: the parsed header in seconds.  ``now``: the caller's monotonic clock.
    A first 401 gets a new token; a lost answer (no answer after sending, 500, 502, 504) is resent only for a
    replay-safe request, which is then marked ``replayed``; provisioning spends no retry; consecutive failures of one
    cause grow its backoff, waits the service prescribed and failures of other causes do not.  Updates ``attempts``
    and returns a Step; reads no clock and sleeps nowhere."""
    if status is not None and 0 < status < 400 and not of_batch:
        return Step(DONE)
    if status == 401 and not attempts.reauthenticated:
        attempts.reauthenticated = True
        return Step(REAUTHENTICATE)
    if status is None:
        kind, lost = classify_connection(sent, attempts.replayable), sent
    else:
        kind = classify(status, attempts.provisioning and not of_batch, retry_after is not None, attempts.replayable)
        lost = status in AMBIGUOUS_STATUS
    attempts.retries += spends_retry(kind)
    if retry_after is None and kind is not None:
        attempts.backoffs[kind] = attempts.backoffs.get(kind, 0) + 1
    decision = decide(kind, attempts.retries, retry_after, attempts.started, now, settings, rand,
                      max(1, attempts.backoffs.get(kind, 0)))
    if not decision.retry:
        if kind is not None:
            reason = decision.reason
        elif status is None or (of_batch and lost):
            reason = NOT_SENT_AGAIN
        else:
            reason = None  # the service's own final answer
        return Step(GIVE_UP, reason=reason)
    attempts.replayed = attempts.replayed or lost
    pause = retry_after if kind == THROTTLED and retry_after is not None else None
    return Step(WAIT, decision.delay, kind, pause=pause)


# How the waits are named in warnings and ``waits.by_reason``: "<status> <reason>".
REASON_NAMES = {TRANSIENT: {503: "service unavailable"}}


def reason_name(kind, status=None):
    """The name of a wait: ``429 throttled``, ``503 provisioning``, ``503 service unavailable``, ``502 transient``,
    ``connection``."""
    name = REASON_NAMES.get(kind, {}).get(status, kind)
    return "%s %s" % (status, name) if status else name


def union_seconds(intervals):
    """The wall time covered by (start, end) intervals: overlapping waits (the $batch workers wait side by side)
    count once."""
    total, reach = 0.0, None
    for start, end in sorted(intervals):
        if reach is None or start > reach:
            total += end - start
            reach = end
        elif end > reach:
            total += end - reach
            reach = end
    return total


class WaitLog:
    """What the client waited for, so a module can warn once at the end instead of per retry.

    Each wait is an interval of the caller's clock (``add(kind, status, delay, start)``); ``seconds`` is the wall time
    they cover together - waits that ran side by side count once, as the user lived them - and ``summed`` what they
    add up to."""

    def __init__(self):
        self.count = {}
        self.intervals = []
        self.summed = 0.0
        self.longest = 0.0
        self._cursor = 0.0  # where a wait without a start goes: after the previous one

    def add(self, kind, status, delay, start=None):
        key = reason_name(kind, status)
        self.count[key] = self.count.get(key, 0) + 1
        delay = max(0.0, float(delay))
        if start is None:
            start = self._cursor
        self._cursor = max(self._cursor, start + delay)
        self.intervals.append((start, start + delay))
        self.summed += delay
        self.longest = max(self.longest, delay)

    @property
    def retries(self):
        return sum(self.count.values())

    @property
    def seconds(self):
        """Wall time spent waiting (the union of the waits)."""
        return union_seconds(self.intervals)

    def summary(self):
        """A one-line account of the waits, or None when there were none."""
        if not self.retries:
            return None
        parts = ", ".join("%s x%d" % (key, n) for key, n in sorted(self.count.items()))
        seconds = self.seconds
        overlap = " (waits ran side by side: %.1f s added up)" % self.summed if self.summed - seconds >= 0.05 else ""
        return "Microsoft Graph asked to wait: %d retr%s (%s), %.1f s of wall time spent waiting%s, longest %.1f s." % (
            self.retries, "y" if self.retries == 1 else "ies", parts, seconds, overlap, self.longest)

    def as_dict(self):
        return {"retries": self.retries, "seconds": round(self.seconds, 3), "summed": round(self.summed, 3),
                "longest": round(self.longest, 3), "by_reason": dict(self.count)}
