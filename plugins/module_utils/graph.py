# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one HTTP path to Microsoft Graph: a keep-alive session, TLS and proxy settings that also serve MSAL,
percent-encoded paths, the retry loop, and the ``$batch`` executor.

Nothing else in the collection talks HTTP.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - reported by the module with missing_required_lib
    requests = None
    HTTPAdapter = object
    ConnectTimeoutError = NewConnectionError = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = _exc

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import retry
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    GraphError, TransportError, ValidationError, parse_graph_error)

BATCH_LIMIT = 20
# Retries due within this long of each other go out in one $batch (a wait is never cut short for it, only
# lengthened by up to this much).
GATHER_S = 0.05


def encode_segment(value, name="id"):
    """Percent-encode one path segment so no value can change the route or the query."""
    text = "" if value is None else str(value)
    if not text:
        raise ValidationError("%s: must not be empty" % name)
    if set(text) == {"."}:
        return text.replace(".", "%2E")
    return quote(text, safe="")


def graph_path(*segments):
    """'/seg1/seg2/...' from (name, value) pairs or literal strings; values are encoded, literals kept."""
    parts = []
    for segment in segments:
        if isinstance(segment, tuple):
            parts.append(encode_segment(segment[1], segment[0]))
        else:
            parts.append(segment)
    return "/" + "/".join(parts)


class HTTPSession(requests.Session if HAS_REQUESTS else object):
    """A requests session whose TLS, proxy and timeout settings cannot be overridden by the environment.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace ``Session.verify``, and ``HTTPS_PROXY`` replace
    ``Session.proxies`` (requests #2018), unless they are passed per request, so ``ca_path``/``validate_certs`` and
    ``proxy_url`` are passed on every request here.  Only with neither ``ca_path`` nor ``proxy_url`` set do those
    variables apply, as for any Python tool.  MSAL gets this same session as ``http_client``.
    ``authority`` fixes MSAL's user-realm discovery, which drops the authority's port (MSAL issue #259).
    """

    def __init__(self, verify=True, proxy_url=None, timeout=30.0, authority=None, pool_size=10):
        super().__init__()
        self.fixed_verify = verify
        self.default_timeout = timeout
        self.fixed_proxies = {"http": proxy_url, "https": proxy_url} if proxy_url else None
        if self.fixed_proxies:
            self.proxies = dict(self.fixed_proxies)
        # No retries below us (urllib3 would resend even a POST on a dropped keep-alive connection): retry.py decides.
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, pool_size),
                              max_retries=retry.ADAPTER_MAX_RETRIES)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.authority_netloc = None
        if authority:
            parts = urlsplit(authority)
            if parts.port:
                self.authority_netloc = (parts.hostname, parts.netloc)

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        kwargs["verify"] = self.fixed_verify
        if self.fixed_proxies:
            kwargs["proxies"] = dict(self.fixed_proxies)
        kwargs.setdefault("timeout", self.default_timeout)
        if self.authority_netloc:
            parts = urlsplit(url)
            if parts.netloc == self.authority_netloc[0]:
                url = urlunsplit(parts._replace(netloc=self.authority_netloc[1]))
        return super().request(method, url, *args, **kwargs)


def may_have_been_sent(exc):
    """False when the connection was never made (refused, name not resolved, connect timeout): the request cannot
    have reached the service.  Anything else (dropped, reset, read timeout) may have come after it was applied."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    seen, todo = set(), [exc]
    while todo:  # requests wraps urllib3's MaxRetryError, which holds the reason
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (NewConnectionError, ConnectTimeoutError)):
            return False
        todo.extend([getattr(current, "reason", None), current.__cause__, current.__context__] +
                    [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)])
    return True


def tls_message(exc, url, verify):
    hint = ("the CA file %s does not vouch for it" % verify if isinstance(verify, str) else
            "set ca_path to the CA bundle that signed it, or validate_certs: false for a test endpoint")
    return "TLS certificate verification failed for %s: %s (%s)." % (url, exc, hint)


class GraphClient:
    """Graph requests with retries; ``token_provider`` has ``token()`` and ``invalidate()``."""

    def __init__(self, session, base_url, token_provider, settings=None, clock=time.monotonic, wall=time.time,
                 sleep=time.sleep, rand=random.random):
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.tokens = token_provider
        self.settings = settings or retry.RetrySettings()
        self.clock, self.wall, self.sleep, self.rand = clock, wall, sleep, rand
        self.waits = retry.WaitLog()
        self.requests_sent = 0
        self._lock = threading.Lock()
        self._pause_until = 0.0  # shared by every worker: the latest Retry-After anybody was told

    # -- one request ------------------------------------------------------------------------------------------
    def _send(self, method, url, body, headers, client_request_id):
        send_headers = {"Authorization": "Bearer " + self.tokens.token(), "client-request-id": client_request_id,
                        "Accept": "application/json"}
        send_headers.update(headers or {})
        with self._lock:
            self.requests_sent += 1
        try:
            return self.session.request(method, url, json=body, headers=send_headers)
        except requests.exceptions.SSLError as exc:
            raise TransportError(tls_message(exc, url, self.session.fixed_verify), method, url,
                                 client_request_id) from exc

    def request(self, method, path, body=None, headers=None, provisioning=False):
        """Send one request, retrying what the policy retries; return the requests.Response (status < 400)."""
        url = self.base_url + path
        client_request_id = str(uuid.uuid4())  # the same on every retry of this request
        started, attempt, backoffs, reauthenticated = self.clock(), 0, {}, False
        replayable = retry.replay_safe(method, path)
        while True:
            self._wait_for_shared_pause()
            try:
                response = self._send(method, url, body, headers, client_request_id)
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                attempt += 1
                kind = retry.classify_connection(may_have_been_sent(exc), replayable)
                decision = retry.decide(kind, attempt, None, started, self.clock(), self.settings, self.rand,
                                        _count_backoff(backoffs, kind, None))
                if not decision.retry:
                    reason = decision.reason if kind else "not sent again: it may have been applied"
                    raise TransportError("No answer from %s %s: %s (%s)" % (method, url, exc, reason),
                                         method, url, client_request_id) from exc
                self._wait(retry.CONNECTION, None, decision.delay)
                continue
            if response.status_code == 401 and not reauthenticated:
                reauthenticated = True
                self.tokens.invalidate()
                continue
            if response.status_code < 400:
                return response
            retry_after = retry.parse_retry_after(response.headers.get("Retry-After"), self.wall())
            kind = retry.classify(response.status_code, provisioning, retry_after is not None, replayable)
            attempt += retry.spends_retry(kind)
            decision = retry.decide(kind, attempt, retry_after, started, self.clock(), self.settings, self.rand,
                                    _count_backoff(backoffs, kind, retry_after))
            if not decision.retry:
                raise parse_graph_error(response.status_code, response.content, response.headers, method, url,
                                        client_request_id, decision.reason if kind else None)
            if kind == retry.THROTTLED and retry_after is not None:
                self._share_pause(retry_after)
            self._wait(kind, response.status_code, decision.delay)

    def _wait(self, kind, status, delay):
        with self._lock:
            self.waits.add(kind, status, delay, self.clock())
        if delay > 0:
            self.sleep(delay)

    def _share_pause(self, seconds):
        with self._lock:
            self._pause_until = max(self._pause_until, self.clock() + seconds)

    def _wait_for_shared_pause(self):
        remaining = self._pause_until - self.clock()
        if remaining > 0:
            self.sleep(remaining)

    # -- $batch -------------------------------------------------------------------------------------------------
    def batch(self, items, concurrency=4):
        """Run sub-requests through ``$batch``, 20 a call, ``concurrency`` calls in flight.

        ``items``: dicts with method, path (relative to the version), optional body, headers, provisioning.
        Returns one BatchResult per item, in input order.  Failed items are retried individually under the same
        policy; an item that succeeded is never sent again."""
        executor = _BatchExecutor(self, items, max(1, int(concurrency)))
        return executor.run()


class BatchResult:
    """One sub-request's final answer.  ``replayed``: it was sent again after an attempt whose answer was lost (a
    dropped connection, 500, 502, 504), so that attempt may have been applied: a 404 answering a DELETE or a 412
    answering a PATCH with If-Match may be our own earlier attempt's doing."""

    def __init__(self, status=None, headers=None, body=None, error=None, replayed=False):
        self.status, self.headers, self.body, self.error = status, headers or {}, body, error
        self.replayed = replayed

    @property
    def ok(self):
        return self.error is None and self.status is not None and self.status < 400

    def __repr__(self):
        return "BatchResult(status=%r, error=%r)" % (self.status, self.error)


class _Pending:
    __slots__ = ("index", "item", "attempt", "started", "not_before", "reauthenticated", "client_request_id",
                 "replayable", "replayed", "limit", "backoffs")

    def __init__(self, index, item, now):
        self.index, self.item, self.attempt, self.started = index, item, 0, now
        self.not_before, self.reauthenticated = now, False
        self.client_request_id = str(uuid.uuid4())  # the same on every retry of this item
        self.replayable = retry.replay_safe(item["method"], item["path"])
        self.replayed = False  # sent again after an attempt that may have been applied
        self.limit = BATCH_LIMIT  # the largest $batch it goes in: halved each time its $batch got no answer
        self.backoffs = {}  # kind -> retries without Retry-After so far (the backoff's exponent)


class _BatchExecutor:
    def __init__(self, client, items, concurrency):
        self.client = client
        self.items = items
        self.concurrency = concurrency
        self.results = [None] * len(items)
        now = client.clock()
        self.queue = [_Pending(i, item, now) for i, item in enumerate(items)]
        self.in_flight = 0
        self.cond = threading.Condition()
        self.failure = None

    def run(self):
        if not self.queue:
            return []
        workers = [threading.Thread(target=self._worker, daemon=True) for dummy in range(self.concurrency)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if self.failure is not None:
            raise self.failure  # pylint: disable=raising-bad-type
        return self.results

    def _take(self):
        """Wait for up to 20 items that are due; None when everything is done."""
        with self.cond:
            while True:
                if self.failure is not None or (not self.queue and self.in_flight == 0):
                    self.cond.notify_all()
                    return None
                now = self.client.clock()
                due = [p for p in self.queue if p.not_before <= now]
                if due:
                    chunk = _chunk(due)
                    taken = set(id(p) for p in chunk)
                    self.queue = [p for p in self.queue if id(p) not in taken]
                    self.in_flight += 1
                    return chunk
                wait = min(p.not_before for p in self.queue) - now + GATHER_S if self.queue else None
                self.cond.wait(timeout=wait if wait is None or wait > 0 else 0)

    def _done(self, retry_later):
        with self.cond:
            self.in_flight -= 1
            self.queue.extend(retry_later)
            self.cond.notify_all()

    def _worker(self):
        while True:
            chunk = self._take()
            if chunk is None:
                return
            try:
                later = self._send(chunk)
            except Exception as exc:  # pylint: disable=broad-except
                with self.cond:
                    self.failure = self.failure or exc
                later = []
            self._done(later)

    def _send(self, chunk):
        client = self.client
        client._wait_for_shared_pause()  # pylint: disable=protected-access
        requests_body = []
        for n, pending in enumerate(chunk):
            entry = {"id": str(n), "method": pending.item["method"], "url": pending.item["path"]}
            headers = dict(pending.item.get("headers") or {})
            headers["client-request-id"] = pending.client_request_id
            if pending.item.get("body") is not None:
                entry["body"] = pending.item["body"]
                headers.setdefault("Content-Type", "application/json")
            if headers:
                entry["headers"] = headers
            requests_body.append(entry)
        client_request_id = str(uuid.uuid4())
        url = client.base_url + "/$batch"
        try:
            response = client._send("POST", url, {"requests": requests_body},  # pylint: disable=protected-access
                                    {"Content-Type": "application/json"}, client_request_id)
        except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
            # No answer for any sub-request: each may have been applied (the connection dropped after the service
            # ran them) or not.  The replay-safe ones go again, in smaller $batch calls so that one request that
            # keeps losing its connection stops taking the others down with it.
            sent = may_have_been_sent(exc)
            for pending in chunk:
                pending.limit = max(1, min(pending.limit, (len(chunk) + 1) // 2))
            return self._retry_all(chunk, None, None, exc, sent=sent)
        if response.status_code == 401:
            client.tokens.invalidate()
            return self._reauthenticate(chunk, response, url, client_request_id)
        answers = None
        if response.status_code in (200, 424):  # 424: older docs, a throttled item failed the whole batch
            try:
                answers = {str(r.get("id")): r for r in response.json().get("responses", [])}
            except (ValueError, AttributeError):
                answers = None
        if answers is None:
            retry_after = retry.parse_retry_after(response.headers.get("Retry-After"), client.wall())
            error = parse_graph_error(response.status_code, response.content, response.headers, "POST", url,
                                      client_request_id)
            return self._retry_all(chunk, response.status_code, retry_after, None, error=error)
        later = []
        for n, pending in enumerate(chunk):
            answer = answers.get(str(n))
            if answer is None:  # the service may or may not have run it: a lost answer
                later.extend(self._retry_all([pending], None, None, "no answer for it in the $batch response",
                                             sent=True))
                continue
            later.extend(self._settle(pending, answer, url, client_request_id))
        return later

    def _settle(self, pending, answer, url, client_request_id):
        client = self.client
        status = int(answer.get("status") or 0)
        headers = answer.get("headers") or {}
        lowered = {k.lower(): v for k, v in headers.items()}
        if status == 401 and not pending.reauthenticated:
            pending.reauthenticated = True
            client.tokens.invalidate()
            pending.not_before = client.clock()
            return [pending]
        if 0 < status < 400:
            self.results[pending.index] = BatchResult(status, headers, answer.get("body"), replayed=pending.replayed)
            return []
        retry_after = retry.parse_retry_after(lowered.get("retry-after"), client.wall())
        kind = retry.classify(status, bool(pending.item.get("provisioning")), retry_after is not None,
                              pending.replayable)
        pending.attempt += retry.spends_retry(kind)
        decision = retry.decide(kind, pending.attempt, retry_after, pending.started, client.clock(),
                                client.settings, client.rand, _count_backoff(pending.backoffs, kind, retry_after))
        if decision.retry:
            with client._lock:  # pylint: disable=protected-access
                client.waits.add(kind, status, decision.delay, client.clock())
            if kind == retry.THROTTLED and retry_after is not None:
                client._share_pause(retry_after)  # pylint: disable=protected-access
            if status in retry.AMBIGUOUS_STATUS:
                pending.replayed = True
            pending.not_before = client.clock() + decision.delay
            return [pending]
        item_url = client.base_url + pending.item["path"]
        error = parse_graph_error(status, answer.get("body") or {}, lowered, pending.item["method"], item_url,
                                  lowered.get("client-request-id") or pending.client_request_id,
                                  decision.reason if kind else None)
        self.results[pending.index] = BatchResult(status, headers, answer.get("body"), error, pending.replayed)
        return []

    def _reauthenticate(self, chunk, response, url, client_request_id):
        """401 for the whole $batch: once more with a new token; a second 401 is final."""
        later = []
        error = None
        for pending in chunk:
            if not pending.reauthenticated:
                pending.reauthenticated = True
                later.append(pending)
                continue
            if error is None:
                error = parse_graph_error(401, response.content, response.headers, "POST", url, client_request_id)
            self.results[pending.index] = BatchResult(401, error=error, replayed=pending.replayed)
        return later

    def _retry_all(self, chunk, status, retry_after, exc, sent=True, error=None):
        """The whole $batch (or one sub-request's answer) failed: no answer (``exc``), or ``status`` for all.

        Each sub-request is retried or failed by the policy for what it is (retry.replay_safe)."""
        client = self.client
        later = []
        if status is not None and retry.classify(status, False, retry_after is not None) == retry.THROTTLED \
                and retry_after is not None:
            client._share_pause(retry_after)  # pylint: disable=protected-access
        retried = []
        for pending in chunk:
            if status is None:
                kind = retry.classify_connection(sent, pending.replayable)
            else:
                kind = retry.classify(status, False, retry_after is not None, pending.replayable)
            pending.attempt += 1
            decision = retry.decide(kind, pending.attempt, retry_after, pending.started, client.clock(),
                                    client.settings, client.rand, _count_backoff(pending.backoffs, kind, retry_after))
            if decision.retry:
                if status is None and sent or status in retry.AMBIGUOUS_STATUS:
                    pending.replayed = True
                retried.append((pending, kind, decision.delay))
                continue
            if kind is not None:
                reason = decision.reason
            elif status is None or status in retry.AMBIGUOUS_STATUS:
                reason = "not sent again: it may have been applied"
            else:
                reason = None  # a final answer
            if status is None:
                message = "No answer for %s %s: %s (%s)" % (pending.item["method"], pending.item["path"], exc,
                                                            reason)
                failure = TransportError(message, pending.item["method"], pending.item["path"],
                                         pending.client_request_id)
            elif error is not None and reason is None:
                failure = error
            elif error is not None:
                failure = GraphError(status, error.code, error.message, request_id=error.request_id,
                                     client_request_id=pending.client_request_id, date=error.date,
                                     method=pending.item["method"], url=client.base_url + pending.item["path"],
                                     retry_note="the $batch call failed; %s" % reason)
            else:
                failure = GraphError(status, None, "the $batch call failed",
                                     client_request_id=pending.client_request_id, method=pending.item["method"],
                                     url=client.base_url + pending.item["path"], retry_note=reason)
            self.results[pending.index] = BatchResult(status, error=failure, replayed=pending.replayed)
        if retried:
            # They failed together, as one call: they wait one delay - the shortest of theirs, so that one item's
            # long history does not hold back the rest - and go out together again (in $batch calls no larger than
            # their limit) instead of scattering into one small $batch per jittered delay.
            delay = min(d for dummy, dummy2, d in retried)
            now = client.clock()
            due = now + delay
            with client._lock:  # pylint: disable=protected-access
                for pending, kind, dummy in retried:
                    client.waits.add(kind, status, delay, now)
            for pending, dummy, dummy2 in retried:
                pending.not_before = due
                later.append(pending)
        return later


def _count_backoff(counts, kind, retry_after):
    """The backoff exponent of this retry: retries of the same kind without Retry-After so far, this one included
    (consecutive failures of one cause grow the wait; waits the service prescribed and other causes do not)."""
    if retry_after is None and kind is not None:
        counts[kind] = counts.get(kind, 0) + 1
    return max(1, counts.get(kind, 0))


def _chunk(due):
    """The next $batch: due items in order, as many as the smallest ``limit`` among them allows (at most 20)."""
    chunk, cap = [], BATCH_LIMIT
    for pending in due:
        if len(chunk) >= min(cap, pending.limit):
            continue
        chunk.append(pending)
        cap = min(cap, pending.limit)
        if len(chunk) >= cap:
            break
    return chunk
