"""make bench (Bookings): ``booking_appointment_batch`` against the Graph emulator's four-requests-per-mailbox limit.

    python -m tests.bench.bookings_bench [--quick]

Every measurement is one whole ``ansible-playbook`` run (tests/bench/collection_bench.py's runner: wall time, peak PSS
of the process tree, the emulator's counters).  The emulator serves every Microsoft Bookings request - each top-level
request and each ``$batch`` item - in ``bookings_service_ms`` = 50 ms, during which it counts against the four
concurrent requests Graph allows per app per booking mailbox (bookings-api.md 10); the items of one ``$batch`` run one
after another.  That is what makes the floor of bookings-api.md 10 a floor: ``--latency-ms 50`` delays each HTTP
request before it is dispatched, so a ``$batch`` of 20 items would take 50 ms and never hold a slot - the four-request
limit would never bind.  Network latency is 0, token requests included.

Data: appointments of the service "Mortgage consultation" (30 min, online) with staff adele.vance (Europe/Berlin),
one customer each, Monday-Friday 08:00-17:00 Berlin time, from two days ahead (Graph's rules for application
sign-ins: the module signs in with the seed's client secret, AZURE_* variables), in one export file per business
(``appointments_file``, JSON).  One business = one inventory host; four businesses run as four hosts with forks 4.

Scenarios:

1. N = 1,000 and 5,000 appointments in one business and in four (N/4 each): first provision, no-op re-run, and a
   re-run with 10% of the items rescheduled a week later (start and end: one PATCH each).  For each: Graph requests (HTTP
   requests and $batch sub-requests) against the floor - list pages max(1, ceil(listed/100)) + one GET by ID per
   listed item with customers (the list omits them) + one write per created or changed item, plus the fixed ones:
   one token, one $batch reading the business, its services and its staff; and ceil(G/20) + ceil(W/20) $batch
   calls - and wall time against the concurrency floor ceil(N/P)*L + (G+W)*L/4 per business (businesses in
   parallel: the largest); peak memory; after every run the emulator's appointments are read back: each external ID
   exactly once, with the desired times and is_location_online.
2. N = 200 in one business: the same no-op as a loop of ``booking_appointment`` tasks, given the appointment_id of
   each from the first run, and given only the external_id (each task lists all appointments to find its key) -
   wall time and requests, as the ratio against the batch module's no-op.

Targets (issue): Graph requests <= floor + 5%, wall time <= 1.5 x the concurrency floor, no failure, no duplicate.
Writes bookings.md and bookings.json to tests/bench/results; exit status 1 when a check fails (``--quick``: a smoke
run at small N where only the counts are judged).
"""

import argparse
import datetime
import json
import heapq
import math
import os
import random
import shutil
import sys
import tempfile
import time
from zoneinfo import ZoneInfo

from tests.bench.collection_bench import (
    RESULTS_DIR, Bench, BenchError, _row, ansible_core_version, counters, delta_of)
from tests.graph_emulator.bookings import APPOINTMENT_PAGE_SIZE, CONCURRENT_LIMIT
from tests.graph_emulator.directory import DEFAULT_SEED, EXAMPLE_BUSINESS, with_bookings
# Importing tests.helpers puts ansible_collections on sys.path.
from tests.helpers import COLLECTION_ROOT  # noqa: F401  pylint: disable=unused-import
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import spread_sizes  # noqa: E402
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Reconciler  # noqa: E402

SERVICE_MS = 50
BATCH_LIMIT = 20                      # $batch items per call (Graph)
REFERENCE_READS = 3                   # the business (its rules for app sign-ins), its services, its staff: one $batch
FLOOR_SLACK = 0.05                    # requests <= floor + 5%
WALL_FACTOR = 1.5                     # wall time <= 1.5 x the concurrency floor
CHANGED_SHARE = 0.10
FIRST_HOUR = 10                       # the first slot of a day, Europe/Berlin (see slots())
STAFF = "adele.vance@contoso.onmicrosoft.com"
SERVICE = "Mortgage consultation"
ZONE = ZoneInfo("Europe/Berlin")
DOMAIN = "contoso.onmicrosoft.com"
BOOKINGS_ROLES = ["Bookings.Read.All", "Bookings.ReadWrite.All", "BookingsAppointment.ReadWrite.All",
                  "Bookings.Manage.All"]
KEY_PREFIX = "external_id:"           # plugins/module_utils/kind_booking.py: the key kept in appointmentLabel
TIMEOUT_S = 3600

PLANS = {
    "full": {"ns": (1000, 5000), "businesses": (1, 4), "loop_n": 200},
    "quick": {"ns": (100,), "businesses": (1, 2), "loop_n": 10},
}

BATCH_PLAY = """\
- name: Microsoft Bookings appointments (booking_appointment_batch)
  hosts: businesses
  gather_facts: false
  tasks:
    - name: Reconcile the business's appointments
      cloudcomms.virtual_appointments.booking_appointment_batch:
        business_id: "{{ business_id }}"
        appointments_file:
          path: "{{ appointments_file }}"
"""

LOOP_PLAY = """\
- name: Microsoft Bookings appointments, one booking_appointment task each
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Ensure the appointment
      cloudcomms.virtual_appointments.booking_appointment:
        business_id: "{{ business_id }}"
        appointment_id: "{{ item.appointment_id | default(omit) }}"
        external_id: "{{ item.external_id }}"
        service_name: "{{ item.service_name }}"
        start_date_time: "{{ item.start_date_time }}"
        end_date_time: "{{ item.end_date_time }}"
        customers: "{{ item.customers }}"
        staff: "{{ item.staff }}"
        is_location_online: "{{ item.is_location_online }}"
      loop: "{{ appointments }}"
      loop_control:
        label: "{{ item.external_id }}"
"""


# ------------------------------------------------------------------------------------------------------ data set
def business_ids(count):
    """The businesses of a data set: the seed's example business first, then branch2@..., branch3@..."""
    return [EXAMPLE_BUSINESS["id"]] + ["branch%d@%s" % (index, DOMAIN) for index in range(2, count + 1)]


def seed_document(ids):
    """The default seed with the businesses ``ids``: each the example business's staff and service."""
    businesses = []
    for index, business_id in enumerate(ids):
        business = dict(EXAMPLE_BUSINESS, id=business_id)
        if index:
            business["displayName"] = "Contoso Bank branch %d" % (index + 1)
        businesses.append(business)
    return with_bookings(DEFAULT_SEED, businesses)


def slots(count, first_day=None):
    """``count`` (start, end) pairs of 30 minutes, Monday-Friday in Europe/Berlin, from two days ahead and within 300
    days (Graph's minimum lead time P1D and maximum advance P365D for application sign-ins; a reschedule by a week
    stays within them).  The business hours are 08:00-17:00; the slots are 10:00-16:30 (FIRST_HOUR), which lie
    within them read in Europe/Berlin and in UTC alike - the emulator judges a PATCH that does not resend the staff
    in UTC (a bug reported with the bench).  More appointments than slots share slots (the emulator does not model
    staff availability)."""
    first_day = first_day or datetime.date.today() + datetime.timedelta(days=2)
    days = [first_day + datetime.timedelta(days=offset) for offset in range(300)]
    days = [day for day in days if day.weekday() < 5]
    per_day = (17 - FIRST_HOUR) * 2
    out = []
    for index in range(count):
        position = index % (len(days) * per_day)
        day, slot = days[position // per_day], position % per_day
        start = datetime.datetime(day.year, day.month, day.day, FIRST_HOUR, 0, tzinfo=ZONE) + \
            datetime.timedelta(minutes=30 * slot)
        out.append((start, start + datetime.timedelta(minutes=30)))
    return out


def make_items(count, prefix):
    items = []
    for index, (start, end) in enumerate(slots(count)):
        number = "%s-%05d" % (prefix, index + 1)
        items.append({"external_id": number, "service_name": SERVICE,
                      "start_date_time": start.isoformat(), "end_date_time": end.isoformat(),
                      "customers": [{"name": "Customer %s" % number,
                                     "email_address": "customer.%s@example.com" % number.lower()}],
                      "staff": [STAFF], "is_location_online": True})
    return items


class Dataset:
    """N appointments in ``businesses`` businesses (N/businesses each): one export file per business, an inventory
    (one host per business), the emulator seed.  Duck-typed for collection_bench.Bench (seed_file, n,
    secrets_env)."""

    def __init__(self, workdir, n, businesses):
        self.n, self.count = n, businesses
        self.root = os.path.join(workdir, "bookings-%d-in-%d" % (n, businesses))
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        self.ids = business_ids(businesses)
        self.items = {}
        share, extra = divmod(n, businesses)
        for index, business_id in enumerate(self.ids):
            self.items[business_id] = make_items(share + (1 if index < extra else 0), "B%d" % (index + 1))
        self.seed_file = os.path.join(self.root, "emulator-seed.json")
        with open(self.seed_file, "w", encoding="utf-8") as handle:
            json.dump(seed_document(self.ids), handle, indent=1)
        self.inventory = os.path.join(self.root, "hosts.json")
        hosts = {"business%d" % (index + 1): {"business_id": business_id, "appointments_file": self.file(business_id),
                                              "ansible_connection": "local"}
                 for index, business_id in enumerate(self.ids)}
        with open(self.inventory, "w", encoding="utf-8") as handle:
            json.dump({"all": {"children": {"businesses": {"hosts": hosts}}}}, handle, indent=1)
        self.write()

    def file(self, business_id):
        return os.path.join(self.root, "appointments-%s.json" % business_id.split("@")[0])

    def write(self):
        for business_id, items in self.items.items():
            with open(self.file(business_id), "w", encoding="utf-8") as handle:
                json.dump({"appointments": items}, handle)

    def change(self, share=CHANGED_SHARE, seed=7):
        """Reschedule ``share`` of every business's items a week later, same time of day (start and end: one PATCH
        each, within Graph's rules); rewrite the files; return {business: [external ids]}."""
        rng, changed = random.Random(seed), {}
        for business_id, items in self.items.items():
            chosen = sorted(rng.sample(range(len(items)), int(round(len(items) * share))))
            for index in chosen:
                item = items[index]
                for field in ("start_date_time", "end_date_time"):
                    local = datetime.datetime.fromisoformat(item[field]).replace(tzinfo=None) + datetime.timedelta(days=7)
                    item[field] = local.replace(tzinfo=ZONE).isoformat()
            changed[business_id] = [items[index]["external_id"] for index in chosen]
        self.write()
        return changed

    @staticmethod
    def secrets_env():
        """The application sign-in (client secret) of the seed's confidential app, as the modules read it."""
        tenant = DEFAULT_SEED["tenants"][0]
        app = next(a for a in tenant["apps"] if not a.get("public"))
        return {"AZURE_TENANT_ID": tenant["id"], "AZURE_CLIENT_ID": app["client_id"],
                "AZURE_CLIENT_SECRET": app["secrets"][0]}


# ------------------------------------------------------------------------------------------------------ the state
def _instant(text):
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def _graph_instant(value):
    text = value["dateTime"] if isinstance(value, dict) else value
    text = text.rstrip("Z")
    if "." in text:
        head, fraction = text.split(".", 1)
        text = head + "." + fraction[:6]
    return _instant(text + "+00:00" if "+" not in text[10:] else text)


def read_appointments(emu, ids, by_id=False):
    """{business: [appointment]} as Graph lists them (every page; ``by_id``: each read again by ID in $batch calls of
    20, for the customers).  The requests count in the emulator's metrics: read between measured runs only."""
    http = emu.session()
    headers = {"Authorization": "Bearer " + emu.app_token(roles=BOOKINGS_ROLES)}
    out = {}
    try:
        for business_id in ids:
            url = "%s/v1.0/solutions/bookingBusinesses/%s/appointments" % (emu.graph_url, business_id)
            entries = []
            while url:
                response = http.get(url, headers=headers, timeout=60)
                response.raise_for_status()
                body = response.json()
                entries += body["value"]
                url = body.get("@odata.nextLink")
            if by_id:
                full = {}
                for start in range(0, len(entries), BATCH_LIMIT):
                    chunk = entries[start:start + BATCH_LIMIT]
                    requests = [{"id": str(n), "method": "GET", "url": "/solutions/bookingBusinesses/%s/appointments/%s"
                                 % (business_id, entry["id"])} for n, entry in enumerate(chunk)]
                    response = http.post(emu.graph_url + "/v1.0/$batch", json={"requests": requests}, headers=headers,
                                         timeout=60)
                    response.raise_for_status()
                    for answer in response.json()["responses"]:
                        if answer["status"] != 200:
                            raise RuntimeError("GET by ID answered %s: %s" % (answer["status"], answer.get("body")))
                        full[answer["body"]["id"]] = answer["body"]
                entries = [full[entry["id"]] for entry in entries]
            out[business_id] = entries
    finally:
        http.close()
    return out


def _customers(customers):
    return sorted(((c.get("emailAddress") or c.get("email_address") or "").casefold(), c.get("name"))
                  for c in customers or [])


def compare_state(desired, state, with_customers=False, limit=20):
    """Every difference between the emulator's appointments and ``desired`` ({business: [items]}): each external ID
    exactly once (no duplicate, none missing, none stray), with the desired times, is_location_online, service and
    (``with_customers``: the state read by ID) customers.  Returns (problems, counts)."""
    problems, counts = [], {"appointments": 0, "duplicates": 0, "missing": 0, "stray": 0}
    for business_id, items in desired.items():
        found = {}
        for entry in state.get(business_id, []):
            counts["appointments"] += 1
            label = entry.get("appointmentLabel") or ""
            key = label[len(KEY_PREFIX):] if label.startswith(KEY_PREFIX) else None
            found.setdefault(key, []).append(entry)
        wanted = {item["external_id"]: item for item in items}
        for key, entries in sorted(found.items(), key=lambda kv: str(kv[0])):
            if len(entries) > 1:
                counts["duplicates"] += len(entries) - 1
                problems.append("%s: %d appointments with external_id %s" % (business_id, len(entries), key))
            if key not in wanted:
                counts["stray"] += len(entries)
                problems.append("%s: stray appointment %s (label %r)" % (business_id, entries[0].get("id"), key))
        for key, item in wanted.items():
            if key not in found:
                counts["missing"] += 1
                problems.append("%s: external_id %s is missing" % (business_id, key))
                continue
            entry, where = found[key][0], "%s %s" % (business_id, key)
            for field, name in (("start_date_time", "startDateTime"), ("end_date_time", "endDateTime")):
                if _graph_instant(entry[name]) != _instant(item[field]):
                    problems.append("%s: %s %s, want %s" % (where, name, entry[name], item[field]))
            if bool(entry.get("isLocationOnline")) is not bool(item["is_location_online"]):
                problems.append("%s: isLocationOnline %r, want %r" % (where, entry.get("isLocationOnline"),
                                                                      item["is_location_online"]))
            if entry.get("serviceName") != item["service_name"]:
                problems.append("%s: serviceName %r, want %r" % (where, entry.get("serviceName"), item["service_name"]))
            if with_customers and _customers(entry.get("customers")) != _customers(item["customers"]):
                problems.append("%s: customers %r, want %r" % (where, _customers(entry.get("customers")),
                                                               _customers(item["customers"])))
    if len(problems) > limit:
        problems = problems[:limit] + ["... and %d more" % (len(problems) - limit)]
    return problems, counts


# ------------------------------------------------------------------------------------------------------ floors
def floor(work, service_ms, sizes):
    """The least Graph work for ``work`` ({business: (listed, reads by ID, writes)}; ``sizes``: {business: items}):
    request counts (fixed ones included) and the concurrency floor of bookings-api.md 10, ceil(N/P)*L + (G+W)*L/4
    per business (a list is one request even when empty), the businesses in parallel (the largest).  HTTP requests:
    ``http_fewest`` with every $batch call full (20), ``http`` as the module spreads them (graph.spread_sizes: per
    $batch run - the reference read, each slice's GETs, each slice's writes - at most 3 calls more than 20 a call)."""
    out = {"http": 0, "http_fewest": 0, "ops": 0, "tokens": 0, "pages": 0, "reads": 0, "writes": 0, "seconds": 0.0,
           "by_business": {}}
    for business_id, (listed, reads, writes) in work.items():
        pages = max(1, math.ceil(listed / APPOINTMENT_PAGE_SIZE))
        fewest = 1 + pages + math.ceil(reads / BATCH_LIMIT) + math.ceil(writes / BATCH_LIMIT)
        http = len(spread_sizes(REFERENCE_READS, CONCURRENT_LIMIT)) + pages + sum(
            len(spread_sizes(count, CONCURRENT_LIMIT))
            for count in _by_slice(reads, sizes[business_id]) + _by_slice(writes, sizes[business_id]))
        ops = REFERENCE_READS + pages + reads + writes
        seconds = (pages * service_ms + (reads + writes) * service_ms / CONCURRENT_LIMIT) / 1000.0
        out["by_business"][business_id] = {"pages": pages, "reads": reads, "writes": writes, "http": http,
                                           "ops": ops, "seconds": seconds}
        out["http"] += http
        out["http_fewest"] += fewest
        out["ops"] += ops
        out["tokens"] += 1
        out["pages"] += pages
        out["reads"] += reads
        out["writes"] += writes
        out["seconds"] = max(out["seconds"], seconds)
    return out


def _by_slice(count, size):
    """``count`` requests of a business of ``size`` items spread over its slices (Reconciler.SLICE) pro rata."""
    return [int(round(count * min(Reconciler.SLICE, size - start) / float(size)))
            for start in range(0, size, Reconciler.SLICE)] if size else [count]


def _rounds(count, service_ms, concurrency=CONCURRENT_LIMIT):
    """Seconds for ``count`` sub-requests sent as the module sends them: spread over $batch calls
    (graph.spread_sizes), each call to the first free of ``concurrency`` slots, its items one after another."""
    lanes = [0] * concurrency
    for size in spread_sizes(count, concurrency):
        heapq.heappush(lanes, heapq.heappop(lanes) + size)
    return max(lanes) * service_ms / 1000.0


def batching_bound(work, sizes, service_ms):
    """What the module's way of sending allows (info, beside the floor): per business, the reference read (3 items
    spread over 3 calls) and the list pages one after another, then per slice of Reconciler.SLICE items its reads by
    ID, then its writes, each spread over the four slots (the reads and writes spread pro rata over the slices);
    businesses in parallel."""
    worst = 0.0
    for business_id, (listed, reads, writes) in work.items():
        size = sizes[business_id]
        seconds = _rounds(REFERENCE_READS, service_ms) + max(
            1, math.ceil(listed / APPOINTMENT_PAGE_SIZE)) * service_ms / 1000.0
        for count in _by_slice(reads, size) + _by_slice(writes, size):
            seconds += _rounds(count, service_ms)
        worst = max(worst, seconds)
    return worst


# ------------------------------------------------------------------------------------------------------ runs
class BookingsBench(Bench):
    """collection_bench.Bench (emulator, work directory, measured ansible-playbook runs) with the Bookings service
    time set on every fresh emulator (network latency 0)."""

    def __init__(self, workdir, service_ms=SERVICE_MS, verbose=True):
        super().__init__(workdir, latency_ms=0, standin=True, verbose=verbose)
        self.service_ms = service_ms

    def fresh(self, dataset):
        emu = super().fresh(dataset)
        emu.modes(bookings_service_ms=self.service_ms)
        return emu

    def measured(self, label, dataset, args):
        """A measured run (collection_bench's Bench.playbook) plus the emulator's 429s; a failed run is kept, not
        raised, so that it becomes a failed check."""
        before, counted = self.emu.metrics()["graph"]["by_status"], counters(self.emu)
        try:
            run = self.playbook(label, dataset, args, timeout=TIMEOUT_S)
        except BenchError as exc:  # Bench.playbook raises without its Run: keep what the emulator counted
            self.log("  FAILED: %s" % str(exc)[:2000])
            run = FailedRun(label, str(exc), delta_of(counted, counters(self.emu)))
        after = self.emu.metrics()["graph"]["by_status"]
        run.throttled = after.get("429", 0) - before.get("429", 0)
        return run

    def batch(self, dataset, label):
        path = self._write("bookings-batch.yml", BATCH_PLAY)
        return self.measured(label, dataset, [path, "-i", dataset.inventory, "--forks", str(max(1, dataset.count))])

    def loop(self, dataset, label, items):
        path = self._write("bookings-loop.yml", LOOP_PLAY)
        extra = os.path.join(self.workdir, "loop-vars-%s.json" % label.replace(" ", "-"))
        with open(extra, "w", encoding="utf-8") as handle:
            json.dump({"business_id": dataset.ids[0], "appointments": items}, handle)
        return self.measured(label, dataset, [path, "-i", "localhost,", "-c", "local", "-e", "@" + extra])


class FailedRun:
    """Stands in for a Run whose ansible-playbook failed (collection_bench raises without the Run)."""

    def __init__(self, label, error, delta):
        self.label, self.error, self.delta = label, error, delta
        self.wall, self.returncode, self.pss_mb, self.rss_mb, self.largest_mb = 0.0, 1, 0.0, 0.0, 0.0
        self.tasks, self.breakdown, self.throttled = [], "", 0

    requests = property(lambda self: self.delta["http_requests"])
    tokens = property(lambda self: self.delta["token_requests"])
    writes = property(lambda self: self.delta["writes"])

    def routes(self, method):
        return sum(count for route, count in self.delta["by_route"].items() if route.startswith(method + " "))

    def as_dict(self):
        return {"label": self.label, "returncode": self.returncode, "error": self.error[-2000:]}


def bookings_requests(run):
    """What the four-request limit counts: every Graph request but the $batch envelopes - the top-level Bookings
    requests (the list's pages) and every $batch sub-request."""
    return run.requests - run.delta["by_route"].get("POST /$batch", 0) + run.delta["batch_items"]


def task_seconds(run, prefix):
    return sum(seconds for name, seconds in run.tasks if name.startswith(prefix))


class Results:
    def __init__(self, service_ms, quick):
        self.service_ms, self.quick = service_ms, quick
        self.scenarios, self.loops, self.checks = [], {}, []

    def check(self, name, ok, detail, kind="count"):
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail, "kind": kind})
        return ok

    def failed(self, kinds=("count", "target")):
        return [c for c in self.checks if not c["ok"] and c["kind"] in kinds]


def judge(bench, results, dataset, label, run, work, expected_writes, patches=None):
    """Checks of one batch run: success, the state read back, writes, requests and wall time against the floor."""
    name = "%s N=%d in %d business%s" % (label, dataset.n, dataset.count, "es" if dataset.count > 1 else "")
    sizes = {b: len(items) for b, items in dataset.items.items()}
    bound = floor(work, bench.service_ms, sizes)
    bound["batching_s"] = batching_bound(work, sizes, bench.service_ms)
    state = read_appointments(bench.emu, dataset.ids)
    problems, counts = compare_state(dataset.items, state)
    ops = bookings_requests(run)
    ok_run = run.returncode == 0
    results.check("%s: ansible-playbook succeeded, no item failed" % name, ok_run,
                  "exit %d%s" % (run.returncode, "" if ok_run else ": " + getattr(run, "error", "")[-300:]))
    results.check("%s: the state holds each external_id once, as desired" % name, not problems,
                  "; ".join(problems[:3]) or "%(appointments)d appointments, 0 duplicates, 0 missing, 0 stray" % counts)
    writes_ok = run.writes == expected_writes and (patches is None or run.routes("PATCH") == patches)
    results.check("%s: writes %d" % (name, expected_writes), writes_ok,
                  "writes %d, POST %d, PATCH %d, DELETE %d" % (run.writes, run.routes("POST") - run.delta["by_route"].get(
                      "POST /$batch", 0), run.routes("PATCH"), run.routes("DELETE")))
    limit_http = math.floor(bound["http"] * (1 + FLOOR_SLACK))
    limit_ops = math.floor(bound["ops"] * (1 + FLOOR_SLACK))
    results.check("%s: Graph HTTP requests <= as spread + 5%%" % name, ok_run and run.requests <= limit_http,
                  "%d, as spread %d (limit %d; %d with every call full)"
                  % (run.requests, bound["http"], limit_http, bound["http_fewest"]))
    results.check("%s: Bookings requests (top-level and $batch items) <= floor + 5%%" % name,
                  ok_run and ops <= limit_ops, "%d, floor %d (limit %d)" % (ops, bound["ops"], limit_ops))
    results.check("%s: one token per business" % name, run.tokens == bound["tokens"],
                  "%d token requests, %d businesses" % (run.tokens, bound["tokens"]))
    ratio = run.wall / bound["seconds"] if bound["seconds"] else float("inf")
    results.check("%s: wall time <= %.1f x the concurrency floor" % (name, WALL_FACTOR),
                  ok_run and ratio <= WALL_FACTOR, "%.1f s = %.2f x %.2f s" % (run.wall, ratio, bound["seconds"]),
                  "target")
    entry = {"name": name, "label": label, "n": dataset.n, "businesses": dataset.count, "run": run, "floor": bound,
             "ratio": ratio, "task_s": task_seconds(run, "Reconcile the business"), "state": counts}
    results.scenarios.append(entry)
    bench.log("    floor: HTTP %d, Bookings requests %d, %.2f s -> wall %.2f x, %d x 429; state %s"
              % (bound["http"], bound["ops"], bound["seconds"], ratio, run.throttled, counts))
    return entry


def scenario(bench, results, workdir, n, businesses):
    """First provision, no-op re-run, 10% changed: N appointments in ``businesses`` businesses."""
    bench.log("[batch] N=%d in %d business(es)" % (n, businesses))
    dataset = Dataset(workdir, n, businesses)
    bench.fresh(dataset)
    sizes = {b: len(items) for b, items in dataset.items.items()}
    first = bench.batch(dataset, "first N=%d x%d" % (n, businesses))
    judge(bench, results, dataset, "first provision", first, {b: (0, 0, k) for b, k in sizes.items()}, n, patches=0)
    noop = bench.batch(dataset, "no-op N=%d x%d" % (n, businesses))
    judge(bench, results, dataset, "no-op re-run", noop, {b: (k, k, 0) for b, k in sizes.items()}, 0)
    changed = dataset.change()
    count = sum(len(ids) for ids in changed.values())
    run = bench.batch(dataset, "changed N=%d x%d" % (n, businesses))
    judge(bench, results, dataset, "%d%% changed" % round(CHANGED_SHARE * 100), run,
          {b: (k, k, len(changed[b])) for b, k in sizes.items()}, count, patches=count)
    return dataset


def loops(bench, results, workdir, n):
    """The no-op of N appointments: the batch module, then a loop of booking_appointment tasks (with appointment_id,
    then with external_id only)."""
    bench.log("[loop] N=%d" % n)
    dataset = Dataset(workdir, n, 1)
    bench.fresh(dataset)
    first = bench.batch(dataset, "loop first N=%d" % n)
    results.check("loop N=%d: first provision by the batch module" % n, first.returncode == 0 and first.writes == n,
                  "exit %d, writes %d" % (first.returncode, first.writes))
    batch = bench.batch(dataset, "loop batch no-op N=%d" % n)
    ids = {entry.get("appointmentLabel", "")[len(KEY_PREFIX):]: entry["id"]
           for entry in read_appointments(bench.emu, dataset.ids)[dataset.ids[0]]}
    items = dataset.items[dataset.ids[0]]
    with_ids = [dict(item, appointment_id=ids.get(item["external_id"])) for item in items]
    by_id = bench.loop(dataset, "loop booking_appointment appointment_id N=%d" % n, with_ids)
    by_key = bench.loop(dataset, "loop booking_appointment external_id N=%d" % n, items)
    problems, counts = compare_state(dataset.items, read_appointments(bench.emu, dataset.ids, by_id=True),
                                     with_customers=True)
    results.check("loop N=%d: the state holds each external_id once, as desired (customers read by ID)" % n,
                  not problems, "; ".join(problems[:3]) or "%(appointments)d appointments" % counts)
    for key, run in (("batch", batch), ("appointment_id", by_id), ("external_id", by_key)):
        results.check("loop N=%d %s no-op: succeeded and wrote nothing" % (n, key),
                      run.returncode == 0 and run.writes == 0, "exit %d, writes %d" % (run.returncode, run.writes))
    for key, run in (("appointment_id", by_id), ("external_id", by_key)):
        ratio = run.wall / batch.wall if batch.wall else float("inf")
        results.check("loop N=%d: booking_appointment loop (%s) against the batch module" % (n, key),
                      ratio > 1, "%.1f s / %.1f s = %.1fx slower" % (run.wall, batch.wall, ratio), "info")
    results.loops = {"n": n, "first": first, "batch": batch, "appointment_id": by_id, "external_id": by_key}


# ------------------------------------------------------------------------------------------------------ report
def _mb(value):
    return "%.0f" % value


def _fmt_ratio(value):
    return "%.2f" % value if value != float("inf") else "-"


def markdown(results, meta):
    ok_count = sum(1 for c in results.checks if c["ok"])
    out = ["# Microsoft Bookings benchmark (%s)" % meta["date"], "",
           "`python -m tests.bench.bookings_bench%s`: `booking_appointment_batch` in real `ansible-playbook` runs "
           "against the Graph emulator. %d cores; ansible-core %s; bench runtime %.0f s."
           % (" --quick" if results.quick else "", os.cpu_count(), meta["ansible_core"], meta["runtime_s"]), "",
           "**Emulator: `bookings_service_ms` = %d ms, network latency 0.** Every Bookings request - each top-level "
           "request and each `$batch` item - is served in %d ms and is in flight for its mailbox meanwhile; the fifth "
           "in flight per app and mailbox is 429 + Retry-After (bookings-api.md 10), and the items of one `$batch` run "
           "one after another. That is the L of the floor T >= ceil(N/P)*L + (G+W)*L/4. `--latency-ms 50` was not "
           "used: it delays each HTTP request before dispatch, so a `$batch` of 20 items would cost 50 ms and never "
           "hold a slot - the four-request limit would never bind and the formula would be no floor."
           % (results.service_ms, results.service_ms), "",
           "Data: one export file (`appointments_file`, JSON) per business; every appointment 30 min of \"%s\" with "
           "staff %s, one customer, online, Monday-Friday between 10:00 and 17:00 Europe/Berlin (business hours "
           "08:00-17:00) from two days ahead - Graph's rules for the application sign-in used (client secret). "
           "Several businesses run as that many inventory hosts with as many forks, N/businesses appointments each. "
           "The 10%% change reschedules the item a week later, same time (start and end: one PATCH each; a change of "
           "`is_location_online` would add a GET after each PATCH, as the join links change and the PATCH answers "
           "without a body)." % (SERVICE, STAFF), "",
           "Floors, per business: list pages max(1, ceil(listed/100)); G = GETs by ID (every listed item has "
           "customers, which the list omits); W = writes; fixed: one token and one `$batch` reading the business, "
           "its services and staff (3 sub-requests). HTTP requests: with every `$batch` call full, 1 + pages + "
           "ceil(G/20) + ceil(W/20); as the module sends them (\"as spread\"), each `$batch` run - the reference "
           "read, a slice's GETs, a slice's writes - is spread evenly over the four slots (graph.spread_sizes: 25 "
           "writes go as 7+6+6+6, not 20+5), at most 3 calls more per run, which the check allows. Bookings "
           "requests are what the four-request limit counts - every Graph request but the `$batch` envelopes (the "
           "top-level list pages and every sub-request); their floor = 3 + pages + G + W. Wall floor = pages*L + "
           "(G+W)*L/4, businesses in parallel (the largest). Wall time is the whole `ansible-playbook` run (start-up "
           "included); \"task s\" is the batch task alone (ansible's log; it includes the module's start and "
           "sign-in). Peak PSS: the process tree's proportional set size (collection_bench's sampler).", "",
           "## booking_appointment_batch", "",
           _row(["scenario", "N", "businesses", "wall s", "floor s", "wall / floor", "batching bound s", "task s",
                 "HTTP requests",
                 "HTTP as spread (all full)", "$batch sub-requests", "Bookings requests", "Bookings floor", "tokens", "writes",
                 "429s", "peak PSS MB"]),
           _row(["---"] + ["---:"] * 16)]
    for entry in results.scenarios:
        run, bound = entry["run"], entry["floor"]
        out.append(_row([entry["label"], entry["n"], entry["businesses"], "%.1f" % run.wall, "%.2f" % bound["seconds"],
                         _fmt_ratio(entry["ratio"]), "%.2f" % bound["batching_s"], "%.1f" % entry["task_s"],
                         run.requests, "%d (%d)" % (bound["http"], bound["http_fewest"]),
                         run.delta["batch_items"], bookings_requests(run), bound["ops"], run.tokens, run.writes,
                         run.throttled, _mb(run.pss_mb)]))
    out += ["", "\"Batching bound\" (info) is what the module's way of sending allows at best: the reference read "
            "(3 items, spread over 3 calls) and the list pages first, then per slice of %d items (reconcile.py "
            "`Reconciler.SLICE`) its GETs by ID, then its writes, each spread evenly over the four slots "
            "(ceil(count/4) L); the slices and the reads and writes of a slice do not overlap. Task time beyond it is the "
            "module's own start (Python, the AnsiballZ payload, the sign-in) and CPU: the machine has %d cores "
            "shared by ansible, the module processes and the emulator." % (Reconciler.SLICE, os.cpu_count() or 0), ""]
    if results.scenarios:
        out += ["Peak PSS at the peak, by process: " + "; ".join(
            "%s: %s" % (entry["name"], entry["run"].breakdown) for entry in results.scenarios
            if entry["label"] == "no-op re-run" and entry["run"].breakdown), ""]
    if results.loops:
        lp = results.loops
        batch = lp["batch"]
        out += ["## The no-op of N=%d as a loop of booking_appointment tasks" % lp["n"], "",
                "One business; the loop's tasks sign in once each (a module process each) and read the business, its "
                "services and staff each. With `appointment_id` (from the first run) each task reads its appointment "
                "by ID; with `external_id` only, each lists all %d appointments (every page) to find its key, then "
                "reads it by ID." % lp["n"], "",
                _row(["approach", "wall s", "Graph HTTP requests", "$batch sub-requests", "token requests", "writes",
                      "peak PSS MB", "against the batch module"]),
                _row(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"])]
        for key, title in (("batch", "booking_appointment_batch"),
                           ("appointment_id", "loop of booking_appointment, with appointment_id"),
                           ("external_id", "loop of booking_appointment, external_id only")):
            run = lp[key]
            out.append(_row([title, "%.1f" % run.wall, run.requests, run.delta["batch_items"], run.tokens, run.writes,
                             _mb(run.pss_mb), "1x" if key == "batch" else "%.1fx" % (run.wall / batch.wall)]))
        out.append("")
    out += ["## Checks (%d of %d ok)" % (ok_count, len(results.checks)), "",
            _row(["", "check", "measured", "kind"]), _row(["---", "---", "---", "---"])]
    for check in results.checks:
        out.append(_row(["PASS" if check["ok"] else "**FAIL**", check["name"], check["detail"].replace("|", "/"),
                         check["kind"]]))
    return "\n".join(out) + "\n"


def _run_dict(run):
    out = run.as_dict()
    out["throttled_429"] = getattr(run, "throttled", 0)
    return out


def write_results(results, out_dir, runtime_s):
    os.makedirs(out_dir, exist_ok=True)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M"), "service_ms": results.service_ms, "latency_ms": 0,
            "ansible_core": ansible_core_version(), "runtime_s": runtime_s, "quick": results.quick}
    text = markdown(results, meta)
    with open(os.path.join(out_dir, "bookings.md"), "w", encoding="utf-8") as handle:
        handle.write(text)
    document = {"meta": meta, "checks": results.checks,
                "scenarios": [dict({k: v for k, v in entry.items() if k != "run"}, run=_run_dict(entry["run"]))
                              for entry in results.scenarios],
                "loops": {k: (_run_dict(v) if k != "n" else v) for k, v in results.loops.items()}}
    with open(os.path.join(out_dir, "bookings.json"), "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, default=str)
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run at small N (N=100 in 1 and 2 businesses, "
                        "the loop at N=10); only the counts are judged")
    parser.add_argument("--service-ms", type=float, default=SERVICE_MS, help="the emulator's bookings_service_ms "
                        "(default %d)" % SERVICE_MS)
    parser.add_argument("--out", default=RESULTS_DIR, help="where bookings.md and bookings.json go (default "
                        "tests/bench/results)")
    parser.add_argument("--only", default="batch,loop", help="scenarios, comma-separated (default batch,loop)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data, playbooks, logs)")
    args = parser.parse_args(argv)
    plan = PLANS["quick" if args.quick else "full"]
    began = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="bookings-bench-")
    results = Results(args.service_ms, args.quick)
    print("bookings bench (%s): work directory %s; bookings_service_ms %g" % ("quick" if args.quick else "full",
                                                                              workdir, args.service_ms), flush=True)
    only = set(args.only.split(","))
    try:
        with BookingsBench(workdir, service_ms=args.service_ms) as bench:
            if "batch" in only:
                for n in plan["ns"]:
                    for businesses in plan["businesses"]:
                        scenario(bench, results, workdir, n, businesses)
            if "loop" in only:
                loops(bench, results, workdir, plan["loop_n"])
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = write_results(results, args.out, time.monotonic() - began)
    print()
    print(text)
    print("results: %s (bookings.md, bookings.json)" % args.out)
    failed = results.failed(("count",) if args.quick else ("count", "target"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
