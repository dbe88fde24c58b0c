"""Bookings chaos: reconcile N appointments of one Microsoft Bookings business with ``booking_appointment_batch``
while the Graph emulator injects faults, then prove that the business holds exactly the desired appointments - each
external_id once, with the desired fields - and that a re-run (faults still on) writes nothing.

    python -m tests.chaos.bookings_chaos --appointments 1000

1. writes the appointments as one export file (tests/bench/bookings_bench.py's data: 30 minutes of "Mortgage
   consultation" with staff and one customer each, within Graph's rules for the application sign-in used) and starts
   the emulator with the seed's business, ``--fault-seed`` and ``--bookings-service-ms`` (default 10: each Bookings
   request and ``$batch`` item is in flight that long, so the four-requests-per-mailbox limit is in play too);
2. installs chaos_run.py's fault mix (FAULT_MIX, its installer fault_rules) on the Bookings paths: every Graph
   request - each top-level request, each ``$batch`` POST and each of its sub-requests - draws 2% connection dropped
   after the request was applied, 2% dropped before, 10% 429 with Retry-After 1, 5% 503, and each write
   sub-request to a Bookings path (POST, PATCH, DELETE) 1% 500, half of them after the write was applied.  A
   dropped sub-request drops the connection of its whole ``$batch``, so a create whose answer is lost is common:
   the module must find it again by its key (``appointmentLabel``) before sending it again;
3. runs ``ansible-playbook`` with one ``booking_appointment_batch`` task (max_retries 20, as chaos_run gives);
4. with the faults off for the read, compares the business's appointments (listed, then each read by ID for its
   customers) with the desired ones exactly: every external_id once, with the desired start, end, service,
   is_location_online and customers, nothing else;
5. runs the task again with the faults on: it must write nothing (no change of state, no write request) and report
   nothing changed; the state is compared again.

Writes tests/chaos/results/bookings_chaos.md and exits 1 on any mismatch, failed item or write in the re-run.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from tests.bench.bookings_bench import Dataset, compare_state, read_appointments
from tests.chaos.chaos_run import (
    BATCH_TASK, CHAOS_MAX_RETRIES, FAULT_MIX, Chaos, RunCounts, _row, fault_rules)
from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess

RESULTS = os.path.join(REPO_ROOT, "tests", "chaos", "results", "bookings_chaos.md")
BOOKINGS_ROUTE = r"^/solutions/bookingBusinesses/"
SERVICE_MS = 10

PLAYBOOK = """\
- name: Microsoft Bookings appointments under injected faults
  hosts: businesses
  gather_facts: false
  tasks:
    # The name is chaos_run.BATCH_TASK: chaos_run.RunCounts reads this task's results (summary, waits, items).
    - name: %s
      cloudcomms.virtual_appointments.booking_appointment_batch:
        business_id: "{{ business_id }}"
        appointments_file:
          path: "{{ appointments_file }}"
        max_retries: %d
""" % (json.dumps(BATCH_TASK), CHAOS_MAX_RETRIES)


def bookings_mix(mix=FAULT_MIX):
    """chaos_run's fault mix with its write-only rules (the 500s, aimed at /users and /me) aimed at Bookings."""
    out = []
    for kind, share, fields in mix:
        fields = dict(fields)
        if "route" in fields:
            fields["route"] = BOOKINGS_ROUTE
        out.append((kind, share, fields))
    return tuple(out)


class _Secrets:
    """What chaos_run.Chaos.env() asks of an inventory: the sign-in's environment variables."""

    @staticmethod
    def secrets():
        return Dataset.secrets_env()


def lost_creates(log):
    """Creates that were applied but whose answer the module never got: a POST .../appointments sub-request dropped
    after it ran, or answered 201 inside a ``$batch`` whose connection was dropped."""
    dropped_batches = {e["seq"] for e in log if e["batch"] is None and e.get("dropped")}
    count = 0
    for entry in log:
        if entry["batch"] is None or entry["method"] != "POST" or not entry["route"].endswith("/appointments"):
            continue
        if entry.get("dropped") == "after" or (entry["status"] == 201 and entry["batch"] in dropped_batches):
            count += 1
    return count


class BookingsChaos:
    def __init__(self, args, workdir, dataset, emu, mix, verbose=True):
        self.args, self.workdir, self.dataset, self.emu, self.mix = args, workdir, dataset, emu, mix
        self.verbose = verbose
        self.env = Chaos(workdir, _Secrets(), emu, forks=1, verbose=verbose).env()
        self.counter = 0

    def log(self, text):
        if self.verbose:
            print(text, flush=True)

    def faults_on(self):
        self.emu.faults(fault_rules(self.mix))

    def state(self):
        """The business's appointments read with the faults off (each by ID, for the customers); faults back on."""
        self.emu.faults([])
        try:
            return read_appointments(self.emu, self.dataset.ids, by_id=True)
        finally:
            self.faults_on()

    def playbook(self, label, timeout=3600):
        self.counter += 1
        path = os.path.join(self.workdir, "bookings-chaos.yml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(PLAYBOOK)
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), path, "-i",
               self.dataset.inventory]
        before = self.emu.metrics()
        seq = before["seq"]
        fired_before = [r["fired"] for r in self.emu.control("GET", "faults")["rules"]]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=timeout,
                              check=False)
        wall = time.monotonic() - started
        with open(os.path.join(self.workdir, "run-%d-%s.log" % (self.counter, label.replace(" ", "-"))), "w",
                  encoding="utf-8") as handle:
            handle.write(proc.stdout + "\n--- stderr\n" + proc.stderr)
        try:
            document = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            document = None
        rules = self.emu.control("GET", "faults")["rules"]
        fired = {self.mix[i][0]: rule["fired"] - (fired_before[i] if i < len(fired_before) else 0)
                 for i, rule in enumerate(rules) if i < len(self.mix)}
        log = self.emu.requests(since=seq, kind="graph")
        counts = RunCounts(label, wall, proc.returncode, document, log, fired, before, self.emu.metrics())
        counts.lost_creates = lost_creates(log)
        # 429s beyond the injected ones: the emulator's four-in-flight limit per app and mailbox.
        counts.limit_429 = sum(1 for e in log if e["status"] == 429 and not e.get("dropped")) - \
            fired.get("429 Retry-After 1", 0)
        if document is None:
            counts.failures.append("no JSON output (exit %d): %s" % (proc.returncode, proc.stderr[-2000:]))
        self.log("  %-10s %6.1f s  rc=%d  HTTP %5d  sub-requests %5d  writes %4d  write requests %4d  retries %4d  "
                 "faults %d  lost creates %d" % (label, wall, proc.returncode, counts.http_requests,
                                                 counts.sub_requests, counts.writes, counts.write_requests,
                                                 counts.total_retries, sum(fired.values()), counts.lost_creates))
        return counts


class Outcome:
    def __init__(self, args, dataset, rules):
        self.args, self.dataset, self.rules = args, dataset, rules
        self.first = self.rerun = None
        self.problems, self.checks, self.state_counts = [], [], {}

    def check(self, name, ok, detail):
        self.checks.append((name, bool(ok), detail))

    @property
    def ok(self):
        return all(ok for _name, ok, _detail in self.checks)


def judge(chaos, outcome):
    n = chaos.dataset.n
    outcome.first = first = chaos.playbook("provision")
    problems, counts = compare_state(chaos.dataset.items, chaos.state(), with_customers=True)
    outcome.state_counts = counts
    outcome.rerun = rerun = chaos.playbook("re-run")
    again, _counts = compare_state(chaos.dataset.items, chaos.state(), with_customers=True)
    outcome.problems = problems + ["after the re-run: " + p for p in again]
    outcome.check("first run succeeded", first.returncode == 0 and not first.failures,
                  "exit %d; %s" % (first.returncode, "; ".join(first.failures[:3]) or "no failed task"))
    outcome.check("no item failed", not first.failed_items and not rerun.failed_items,
                  "; ".join((first.failed_items + rerun.failed_items)[:5]) or "none")
    outcome.check("every appointment created", first.changed.get("created", 0) == n,
                  "created %d of %d" % (first.changed.get("created", 0), n))
    outcome.check("state equals the desired appointments (each external_id once)", not outcome.problems,
                  "; ".join(outcome.problems[:5]) or "%(appointments)d appointments, %(duplicates)d duplicates, "
                  "%(missing)d missing, %(stray)d stray; customers read by ID" % counts)
    outcome.check("faults were injected", sum(first.fired.values()) > 0 and sum(rerun.fired.values()) > 0,
                  "%d in the first run, %d in the re-run" % (sum(first.fired.values()), sum(rerun.fired.values())))
    outcome.check("creates whose answer was lost were found again", first.lost_creates > 0 and not problems,
                  "%d lost answers to applied creates, 0 duplicates" % first.lost_creates if not problems else
                  "%d lost answers to applied creates" % first.lost_creates)
    outcome.check("re-run succeeded", rerun.returncode == 0 and not rerun.failures,
                  "exit %d; %s" % (rerun.returncode, "; ".join(rerun.failures[:3]) or "no failed task"))
    outcome.check("re-run wrote nothing", rerun.writes == 0 and rerun.write_requests == 0,
                  "%d changes of state, %d write requests" % (rerun.writes, rerun.write_requests))
    outcome.check("re-run changed nothing", sum(rerun.changed[a] for a in ("created", "updated", "deleted")) == 0,
                  "actions %s" % {k: v for k, v in rerun.changed.items() if k in (
                      "created", "updated", "cancelled", "deleted", "unchanged", "failed")})
    return outcome


def run(args, verbose=True):
    workdir = args.workdir or tempfile.mkdtemp(prefix="bookings-chaos-")
    os.makedirs(workdir, exist_ok=True)
    try:
        dataset = Dataset(workdir, args.appointments, 1)
        mix = bookings_mix()
        outcome = Outcome(args, dataset, fault_rules(mix))
        emu_args = ["--seed", dataset.seed_file, "--fault-seed", str(args.fault_seed),
                    "--bookings-service-ms", str(args.service_ms)]
        with EmulatorProcess(emu_args) as emu:
            chaos = BookingsChaos(args, workdir, dataset, emu, mix, verbose=verbose)
            chaos.faults_on()
            chaos.log("bookings chaos: %d appointments in %s, fault seed %d, bookings_service_ms %g, workdir %s"
                      % (dataset.n, dataset.ids[0], args.fault_seed, args.service_ms, workdir))
            return judge(chaos, outcome)
    finally:
        if args.keep or args.workdir:
            if verbose:
                print("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------------ report
def markdown(outcome, runtime_s):
    args, first, rerun = outcome.args, outcome.first, outcome.rerun
    lines = [
        "# Bookings chaos",
        "",
        "`python -m tests.chaos.bookings_chaos --appointments %d --fault-seed %d --service-ms %g` (generated %s): %d "
        "appointments of one Bookings business (%s) reconciled by one `booking_appointment_batch` task (application "
        "sign-in, `max_retries` %d, `concurrency` 4) while the emulator injected faults, then run again with the "
        "faults still on. Every Bookings request and `$batch` item was served in %g ms (`bookings_service_ms`), "
        "counting against the four requests in flight per app and mailbox. Total %.0f s."
        % (args.appointments, args.fault_seed, args.service_ms, datetime.date.today().isoformat(), outcome.dataset.n,
           outcome.dataset.ids[0], CHAOS_MAX_RETRIES, args.service_ms, runtime_s),
        "",
        "**Result: %s**" % ("PASS - the business holds exactly the desired appointments and the re-run wrote nothing"
                            if outcome.ok else "FAIL"),
        "",
        "## Checks",
        "",
        _row(["check", "result", "detail"]),
        _row(["---", "---", "---"]),
    ]
    lines += [_row([name, "ok" if ok else "**FAILED**", detail.replace("|", "/")]) for name, ok, detail in outcome.checks]
    lines += [
        "",
        "## Fault mix",
        "",
        "chaos_run.py's FAULT_MIX, installed with its fault_rules (rates conditional so the shares hold), the write "
        "rules aimed at the Bookings paths (`%s`). Every Graph request - each top-level request (the list's next "
        "pages), each `$batch` POST and each of its sub-requests - draws from the rules in order. A dropped "
        "sub-request drops the connection of its whole `$batch` after the other sub-requests ran, so the answers of "
        "the creates in it are lost. The token endpoint is not faulted." % BOOKINGS_ROUTE,
        "",
        _row(["kind", "share", "applies to", "fired: provision", "fired: re-run"]),
        _row(["---", "---:", "---", "---:", "---:"]),
    ]
    for kind, share, fields in bookings_mix():
        applies = "write sub-requests to Bookings (POST, PATCH, DELETE)" if "method" in fields else \
            "all Graph requests ($batch and sub-requests)"
        lines.append(_row([kind, "%g%%" % (share * 100), applies, first.fired.get(kind, 0), rerun.fired.get(kind, 0)]))
    lines += ["", "Seen in the request log, by where they hit (a `$batch` whose sub-request was dropped is logged as "
              "dropped too; 429s include the emulator's four-in-flight limit):", "",
              _row(["kind", "where", "provision", "re-run"]), _row(["---", "---", "---:", "---:"])]
    for key in sorted(set(first.seen) | set(rerun.seen)):
        lines.append(_row([key[0], key[1], first.seen.get(key, 0), rerun.seen.get(key, 0)]))
    lines += ["", "## Runs", "", _row(["", "provision", "re-run"]), _row(["---", "---:", "---:"])]
    for name, attr in (("wall time (s)", "wall"), ("exit status", "returncode"),
                       ("HTTP requests (Graph, top-level)", "http_requests"), ("$batch sub-requests", "sub_requests"),
                       ("token requests", "token_requests"), ("writes (changes of state)", "writes"),
                       ("write requests (POST/PATCH/DELETE sub-requests)", "write_requests"),
                       ("applied creates whose answer was lost", "lost_creates"),
                       ("429s of the four-in-flight limit (not injected)", "limit_429"),
                       ("retries (module `waits`)", "total_retries"),
                       ("most times one sub-request reached the service", "most_attempts")):
        a, b = getattr(first, attr), getattr(rerun, attr)
        lines.append(_row([name, "%.1f" % a if isinstance(a, float) else a, "%.1f" % b if isinstance(b, float) else b]))
    for reason in sorted(set(first.retries) | set(rerun.retries)):
        lines.append(_row(["retries: " + reason, first.retries.get(reason, 0), rerun.retries.get(reason, 0)]))
    for action in ("created", "updated", "cancelled", "deleted", "unchanged", "failed"):
        lines.append(_row(["items " + action, first.changed.get(action, 0), rerun.changed.get(action, 0)]))
    problems = outcome.problems + first.failed_items + rerun.failed_items + first.failures + rerun.failures
    if problems:
        lines += ["", "## Problems", ""] + ["- " + p.replace("\n", " ") for p in problems[:50]]
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.bookings_chaos",
                                     description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--appointments", type=int, default=1000, help="appointments to reconcile (default 1000)")
    parser.add_argument("--fault-seed", type=int, default=1, help="the emulator's --fault-seed (default 1)")
    parser.add_argument("--service-ms", type=float, default=SERVICE_MS, help="the emulator's --bookings-service-ms "
                        "(default %d)" % SERVICE_MS)
    parser.add_argument("--out", default=RESULTS, help="Markdown summary (default "
                        "tests/chaos/results/bookings_chaos.md); '-' for none")
    parser.add_argument("--json", help="also write every count as JSON to this file")
    parser.add_argument("--workdir", help="work directory (kept); default a temporary one, removed at the end")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work directory (logs, data)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    outcome = run(args)
    text = markdown(outcome, time.monotonic() - started)
    if args.out != "-":
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print("wrote %s" % os.path.relpath(args.out, os.getcwd()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"first": dict(outcome.first.as_dict(), lost_creates=outcome.first.lost_creates,
                                     limit_429=outcome.first.limit_429),
                       "rerun": dict(outcome.rerun.as_dict(), lost_creates=outcome.rerun.lost_creates,
                                     limit_429=outcome.rerun.limit_429),
                       "checks": outcome.checks, "problems": outcome.problems}, handle, indent=2)
    for name, ok, detail in outcome.checks:
        print("%-62s %s  %s" % (name, "ok" if ok else "FAILED", detail))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
