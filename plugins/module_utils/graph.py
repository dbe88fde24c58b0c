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
    CollectionError, GraphError, TransportError, ValidationError, parse_graph_error)

BATCH_LIMIT = 20
# Retries due within this long of each other go out in one $batch (a wait is never cut short for it, only
# lengthened by up to this much).
GATHER_S = 0.05


# What a request that got no answer raises (the connection failed or timed out).
NO_ANSWER = (requests.exceptions.ConnectionError, requests.exceptions.Timeout) if HAS_REQUESTS else ()


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
        self._lock = threading.Lock()
        self._pause_until = 0.0  # shared by every worker: the latest Retry-After anybody was told

    # -- what every request path uses -------------------------------------------------------------------------
    def send(self, method, url, body, headers, client_request_id):
        """Send one HTTP request once, with the current token; raises one of NO_ANSWER when no answer came."""
        send_headers = {"Authorization": "Bearer " + self.tokens.token(), "client-request-id": client_request_id,
                        "Accept": "application/json"}
        send_headers.update(headers or {})
        try:
            return self.session.request(method, url, json=body, headers=send_headers)
        except requests.exceptions.SSLError as exc:
            raise TransportError(tls_message(exc, url, self.session.fixed_verify), method, url,
                                 client_request_id) from exc

    def next_step(self, attempts, status, headers=None, sent=True, of_batch=False):
        """``retry.next_step`` for this answer on this client's clock and settings, and what follows from it for every
        sender: a 401 drops the token, a Retry-After on a throttled request pauses every worker."""
        value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
        retry_after = retry.parse_retry_after(value, self.wall())
        step = retry.next_step(attempts, status, self.clock(), self.settings, self.rand, retry_after, sent, of_batch)
        if step.action == retry.REAUTHENTICATE:
            self.tokens.invalidate()
        if step.pause is not None:
            self.share_pause(step.pause)
        return step

    def record_wait(self, kind, status, delay, start):
        """Log a wait in the wait log (the caller sleeps or schedules it)."""
        with self._lock:
            self.waits.add(kind, status, delay, start)

    def share_pause(self, seconds):
        """Hold back every sender of this client for ``seconds`` from now (Graph's Retry-After holds for all)."""
        with self._lock:
            self._pause_until = max(self._pause_until, self.clock() + seconds)

    def wait_for_pause(self):
        """Sleep out the shared pause, if one is running."""
        remaining = self._pause_until - self.clock()
        if remaining > 0:
            self.sleep(remaining)

    # -- one request ------------------------------------------------------------------------------------------
    def request(self, method, path, body=None, headers=None, provisioning=False):
        """Send one request, retrying what the policy retries; return the requests.Response (status < 400)."""
        url = self.base_url + path
        client_request_id = str(uuid.uuid4())  # the same on every retry of this request
        attempts = retry.Attempts(self.clock(), retry.replay_safe(method, path), provisioning)
        while True:
            self.wait_for_pause()
            status = None
            try:
                response = self.send(method, url, body, headers, client_request_id)
            except NO_ANSWER as exc:
                step = self.next_step(attempts, None, sent=may_have_been_sent(exc))
                if step.action == retry.GIVE_UP:
                    raise TransportError("No answer from %s %s: %s (%s)" % (method, url, exc, step.reason),
                                         method, url, client_request_id) from exc
            else:
                status = response.status_code
                step = self.next_step(attempts, status, response.headers)
                if step.action == retry.DONE:
                    return response
                if step.action == retry.GIVE_UP:
                    raise parse_graph_error(status, response.content, response.headers, method, url,
                                            client_request_id, step.reason)
            if step.action == retry.WAIT:
                self.record_wait(step.kind, status, step.delay, self.clock())
                if step.delay > 0:
                    self.sleep(step.delay)

    # -- $batch -------------------------------------------------------------------------------------------------
    def batch(self, items, concurrency=4, spread=False):
        """Run sub-requests through ``$batch``, 20 a call, ``concurrency`` calls in flight.

        ``items``: dicts with method, path (relative to the version), optional body, headers, provisioning.
        Returns one BatchResult per item, in input order.  Failed items are retried individually under the same
        policy; an item that succeeded is never sent again.  ``spread``: the service runs a call's items one after
        another, each holding one of a few slots (Bookings: four per mailbox), so the items are spread evenly over
        the calls of each round (spread_sizes) rather than 20 a call and a small last call that leaves slots idle."""
        concurrency = max(1, int(concurrency))
        sizes = spread_sizes(len(items), concurrency) if spread else []
        executor = _BatchExecutor(self, items, concurrency, sizes)
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


MAX_PAGES = 10000  # a list longer than this many pages is refused rather than read forever


def follow_pages(client, answer):
    """Complete a list ``answer`` (a BatchResult whose body has ``value``) with every further page: each
    ``@odata.nextLink`` is fetched in turn, as Graph wants (serially), and its ``value`` appended; the body's
    nextLink is dropped at the end.  A nextLink must point under the client's Graph base URL: the token is never
    sent anywhere else.  A page that fails makes ``answer`` that failure."""
    body = answer.body if isinstance(answer.body, dict) else {}
    values = body.setdefault("value", [])
    link, pages = body.pop("@odata.nextLink", None), 1
    while link:
        if not link.startswith(client.base_url + "/") or pages >= MAX_PAGES:
            answer.status, answer.error = None, TransportError(
                "Graph's @odata.nextLink %s is not under %s (or the list passed %d pages): refused"
                % (link[:200], client.base_url, MAX_PAGES), "GET", link)
            return answer
        try:
            page = client.request("GET", link[len(client.base_url):]).json()
        except GraphError as exc:
            answer.status, answer.error = exc.status, exc
            return answer
        except CollectionError as exc:
            answer.status, answer.error = None, exc
            return answer
        values.extend(page.get("value") or [])
        link, pages = page.get("@odata.nextLink"), pages + 1
    return answer


class _Pending:
    __slots__ = ("index", "item", "attempts", "not_before", "client_request_id", "limit")

    def __init__(self, index, item, now):
        self.index, self.item, self.not_before = index, item, now
        self.attempts = retry.Attempts(now, retry.replay_safe(item["method"], item["path"]),
                                       bool(item.get("provisioning")))
        self.client_request_id = str(uuid.uuid4())  # the same on every retry of this item
        self.limit = BATCH_LIMIT  # the largest $batch it goes in: halved each time its $batch got no answer


def spread_sizes(count, concurrency, limit=BATCH_LIMIT):
    """The sizes of the $batch calls that spread ``count`` items evenly over rounds of ``concurrency`` calls: as few
    rounds as calls of ``limit`` need, every call about as large (250 items, 4 in flight: 16 calls of 15 or 16 - four
    each - not 12 calls of 20 and one of 10 that runs alone).  Pure."""
    calls = min(count, concurrency * -(-count // (concurrency * limit))) if count > 0 else 0
    sizes, left = [], count
    for remaining in range(calls, 0, -1):
        sizes.append(-(-left // remaining))
        left -= sizes[-1]
    return sizes


class _BatchExecutor:
    def __init__(self, client, items, concurrency, sizes=()):
        self.client = client
        self.items = items
        self.concurrency = concurrency
        self.sizes = list(reversed(sizes))  # the first calls' sizes at most (spread_sizes), then 20 a call
        self.results = [None] * len(items)
        now = client.clock()
        self.queue = [_Pending(i, item, now) for i, item in enumerate(items)]
        self.in_flight = 0
        self.cond = threading.Condition()
        self.failure = None

    def run(self):
        if not self.queue:
            return []
        workers = [threading.Thread(target=self._worker, name="graph-batch-%d" % n, daemon=True)
                   for n in range(self.concurrency)]
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
                    chunk = _chunk(due, self.sizes.pop() if self.sizes else BATCH_LIMIT)
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
        client.wait_for_pause()
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
            response = client.send("POST", url, {"requests": requests_body}, {"Content-Type": "application/json"},
                                   client_request_id)
        except NO_ANSWER as exc:
            # No answer for any sub-request: each may have been applied (the connection dropped after the service
            # ran them) or not.  The replay-safe ones go again, in smaller $batch calls so that one request that
            # keeps losing its connection stops taking the others down with it.
            for pending in chunk:
                pending.limit = max(1, min(pending.limit, (len(chunk) + 1) // 2))
            return self._failed_together(chunk, None, exc=exc, sent=may_have_been_sent(exc))
        answers = None
        if response.status_code in (200, 424):  # 424: older docs, a throttled item failed the whole batch
            try:
                answers = {str(r.get("id")): r for r in response.json().get("responses", [])}
            except (ValueError, AttributeError):
                answers = None
        if answers is None:  # 401 included: each item gets a new token once, like a request of its own
            error = parse_graph_error(response.status_code, response.content, response.headers, "POST", url,
                                      client_request_id)
            return self._failed_together(chunk, response.status_code, response.headers, error=error)
        later = []
        for n, pending in enumerate(chunk):
            answer = answers.get(str(n))
            if answer is None:  # the service may or may not have run it: a lost answer
                later.extend(self._failed_together([pending], None, exc="no answer for it in the $batch response"))
                continue
            later.extend(self._settle(pending, answer))
        return later

    def _settle(self, pending, answer):
        """One sub-request's own answer: its result, or it goes again."""
        client = self.client
        status = int(answer.get("status") or 0)
        headers = answer.get("headers") or {}
        step = client.next_step(pending.attempts, status, headers)
        if step.action == retry.GIVE_UP:
            lowered = {k.lower(): v for k, v in headers.items()}
            error = parse_graph_error(status, answer.get("body") or {}, lowered, pending.item["method"],
                                      client.base_url + pending.item["path"],
                                      lowered.get("client-request-id") or pending.client_request_id, step.reason)
        elif step.action == retry.DONE:
            error = None
        else:
            return self._again([(pending, step)], status)
        self.results[pending.index] = BatchResult(status, headers, answer.get("body"), error,
                                                  pending.attempts.replayed)
        return []

    def _failed_together(self, chunk, status, headers=None, error=None, exc=None, sent=True):
        """The whole $batch (or one sub-request's answer) failed: no answer (``exc``), or ``status`` for all.

        Each sub-request is retried or failed by the policy for what it is (retry.replay_safe)."""
        client = self.client
        again = []
        for pending in chunk:
            step = client.next_step(pending.attempts, status, headers, sent=sent, of_batch=True)
            if step.action != retry.GIVE_UP:
                again.append((pending, step))
                continue
            method, path = pending.item["method"], pending.item["path"]
            if status is None:
                failure = TransportError("No answer for %s %s: %s (%s)" % (method, path, exc, step.reason), method,
                                         path, pending.client_request_id)
            elif step.reason is None:
                failure = error
            else:
                failure = GraphError(status, error.code, error.message, request_id=error.request_id,
                                     client_request_id=pending.client_request_id, date=error.date, method=method,
                                     url=client.base_url + path, retry_note="the $batch call failed; %s" % step.reason)
            self.results[pending.index] = BatchResult(status, error=failure, replayed=pending.attempts.replayed)
        return self._again(again, status)

    def _again(self, again, status):
        """Queue ``(pending, step)`` pairs to be sent again.

        Those that failed together, as one call, wait one delay - the shortest of theirs, so that one item's long
        history does not hold back the rest - and go out together again (in $batch calls no larger than their limit)
        instead of scattering into one small $batch per jittered delay.  A new token is tried at once."""
        delays = [step.delay for pending, step in again if step.action == retry.WAIT]
        delay = min(delays) if delays else 0.0
        now = self.client.clock()
        for pending, step in again:
            if step.action == retry.WAIT:
                self.client.record_wait(step.kind, status, delay, now)
                pending.not_before = now + delay
            else:
                pending.not_before = now
        return [pending for pending, step in again]


def _chunk(due, size=BATCH_LIMIT):
    """The next $batch: due items in order, as many as the smallest ``limit`` among them allows (at most ``size``)."""
    chunk, cap = [], size
    for pending in due:
        if len(chunk) >= min(cap, pending.limit):
            continue
        chunk.append(pending)
        cap = min(cap, pending.limit)
        if len(chunk) >= cap:
            break
    return chunk
