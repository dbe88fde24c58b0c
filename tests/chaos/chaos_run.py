"""make chaos: provision N appointments with the role while the Graph emulator injects faults, then prove that
nothing was lost, duplicated or left behind, and that a re-run (faults still on) writes nothing.

    python -m tests.chaos.chaos_run --appointments 500            # what `make chaos` runs

1. generates an inventory with examples/inventory/generate.py (N appointments, 6 organizers in 2 tenants) and starts
   the emulator with its seed, ``--fault-seed`` and first-create provisioning (each tenant's first virtualAppointment
   PUTs are refused for 5 s, 409 + Retry-After by default so they can be told apart from the injected 503s);
2. installs the fault mix (FAULT_MIX): every Graph request the emulator sees - each top-level ``$batch`` POST and
   each of its sub-requests - draws 2% connection dropped after the request was applied, 2% dropped before, 10% 429
   with Retry-After 1, 5% 503 (no Retry-After), and each write sub-request (POST createOrGet, PUT, PATCH, DELETE)
   1% 500, half of them after the write was applied.  A dropped sub-request drops the connection of its whole
   ``$batch`` (after the other sub-requests ran), as a proxy or load balancer would.  The token endpoint is not
   faulted: the emulator injects faults into Graph only;
3. runs ``ansible-playbook cloudcomms.virtual_appointments.provision`` on the inventory (ledger and report on);
4. compares the emulator's state (/_emulator/state) with the inventory exactly: every meeting once per organizer
   and external ID with the desired subject and times, every appointment with the desired fields, nothing else;
   and the ledger names every meeting;
5. runs the playbook again with the faults still on: it must write nothing (no change of state and no write
   request) and report nothing changed.

Writes a Markdown summary (tests/chaos/results/chaos.md by default) and exits 1 when the state differs, a run
failed, or the re-run wrote.
"""

import argparse
import collections
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

from tests.graph_emulator.process import REPO_ROOT, EmulatorProcess, collection_root
from tests.helpers import load_generator

RESULTS = os.path.join(REPO_ROOT, "tests", "chaos", "results", "chaos.md")
CALLBACKS = os.path.join(REPO_ROOT, "tests", "integration", "callback_plugins")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BATCH_TASK = "Reconcile the organizer's appointments with Microsoft Graph"
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# (kind, share of the requests it matches, rule fields).  Every rule matches every Graph request (top-level and
# $batch sub-requests) except the 500s, which match write sub-requests only.  The emulator tries the rules in order
# and the first that fires wins, so each rule's own rate is its share of what the earlier rules left over: the
# shares below are the real fractions of requests (the 500s: of write requests).
FAULT_MIX = (
    ("dropped after", 0.02, {"drop": "after"}),
    ("dropped before", 0.02, {"drop": "before"}),
    ("429 Retry-After 1", 0.10, {"status": 429, "retry_after": 1}),
    ("503", 0.05, {"status": 503}),
    ("500 before the write", 0.005, {"status": 500, "method": "POST|PUT|PATCH|DELETE", "route": "^/(users|me)/"}),
    ("500 after the write", 0.005, {"status": 500, "after": True, "method": "POST|PUT|PATCH|DELETE",
                                    "route": "^/(users|me)/"}),
)


def fault_rules(mix=FAULT_MIX):
    """The emulator's fault rules for ``mix``: conditional rates so that each kind hits its share of requests."""
    rules, taken = [], 0.0
    for dummy, share, fields in mix:
        rule = dict(fields)
        rule["rate"] = round(share / (1.0 - taken), 6)
        rules.append(rule)
        taken += share
    return rules


# ------------------------------------------------------------------------------------------------------ inventory
class Inventory:
    """A generated inventory: hosts (organizers) with their tenant, UPN, user id and appointments."""

    def __init__(self, root):
        self.root = root
        self.hosts_file = os.path.join(root, "hosts.yml")
        with open(os.path.join(root, "emulator-seed.json"), encoding="utf-8") as handle:
            self.seed = json.load(handle)
        with open(self.hosts_file, encoding="utf-8") as handle:
            groups = yaml.load(handle, Loader=Loader)["all"]["children"]["virtual_appointments_tenants"]["children"]
        tenants = {t["example"]["key"]: t for t in self.seed["tenants"]}
        self.hosts = {}
        for group, body in groups.items():
            tenant = tenants[group]
            users = {u["upn"].casefold(): u["id"] for u in tenant["users"]}
            for host in body.get("hosts") or {}:
                host_vars = self._host_vars(host)
                upn = host_vars["virtual_appointments_organizer"]
                self.hosts[host] = {"tenant_id": tenant["id"], "upn": upn, "user_id": users[upn.casefold()],
                                    "appointments": host_vars.get("virtual_appointments") or []}
        self.n = sum(len(h["appointments"]) for h in self.hosts.values())

    def _host_vars(self, host):
        for ext, load in ((".yml", lambda h: yaml.load(h, Loader=Loader)), (".json", json.load)):
            path = os.path.join(self.root, "host_vars", host + ext)
            if os.path.exists(path):
                with open(path, encoding="utf-8") as handle:
                    return load(handle)
        raise FileNotFoundError("no host_vars for %s in %s" % (host, self.root))

    def secrets(self):
        return {t["example"]["secret_env"]: next(a for a in t["apps"] if not a.get("public"))["secrets"][0]
                for t in self.seed["tenants"]}


# The fault mix drops a whole $batch connection whenever one of its sub-requests draws a drop (4%), so a write in a
# full call of 20 is lost on about half of its attempts - far beyond what Graph does. Ten retries (the default) then
# leave a few-percent chance per run that one write runs out of them, and the verdict would depend on thread timing;
# the chaos runs give each request twenty.
CHAOS_MAX_RETRIES = 20


def generate(out, appointments, organizers=6, tenants=2, start="2026-12-07"):
    load_generator().generate(appointments, organizers, tenants, out, start)
    inventory = Inventory(out)
    for tenant in inventory.seed["tenants"]:  # group_vars/<tenant>.yml ends with its virtual_appointments_connection
        with open(os.path.join(out, "group_vars", tenant["example"]["key"] + ".yml"), "a", encoding="utf-8") as handle:
            handle.write("  max_retries: %d\n" % CHAOS_MAX_RETRIES)
    return inventory


# ------------------------------------------------------------------------------------------------------ state
def _instant(text):
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc)


def _clients(clients):
    """Clients as a comparable list: (case-folded e-mail, display name, phone) sorted; Graph's extras ignored."""
    return sorted(((c.get("emailAddress") or c.get("email_address") or "").casefold(),
                   c.get("displayName") if "displayName" in c else c.get("display_name"),
                   c.get("smsCapablePhoneNumber") if "smsCapablePhoneNumber" in c else c.get("sms_capable_phone_number"))
                  for c in clients or [])


def desired_state(inventory):
    """(tenant id, organizer user id, external id) -> what the emulator must hold for that appointment."""
    out = {}
    for host in inventory.hosts.values():
        for item in host["appointments"]:
            out[(host["tenant_id"], host["user_id"], item["external_id"])] = {
                "subject": item.get("subject"),
                "start": _instant(item["start_date_time"]),
                "end": _instant(item["end_date_time"]),
                "externalAppointmentId": item.get("external_appointment_id", item["external_id"]),
                "externalAppointmentUrl": item.get("external_appointment_url"),
                "clients": _clients(item.get("appointment_clients")),
                "allowClientToJoinUsingBrowser": bool((item.get("settings") or {}).get(
                    "allow_client_to_join_using_browser", False)),
            }
    return out


def compare_state(desired, state, limit=20):
    """Every difference between the emulator's state and the desired one (a list of lines; empty when equal)."""
    problems, seen = [], collections.Counter()
    found = {}
    for tenant in state["tenants"]:
        for meeting in tenant["meetings"]:
            key = (tenant["id"], meeting["organizerUserId"], meeting.get("externalId"))
            seen[key] += 1
            found.setdefault(key, meeting)
    for key, count in sorted(seen.items(), key=lambda kv: str(kv[0])):
        if count > 1:
            problems.append("duplicate meeting: %d meetings with externalId %s for organizer %s" % (count, key[2], key[1]))
        if key not in desired:
            problems.append("stray meeting: externalId %s of organizer %s is not in the inventory" % (key[2], key[1]))
    for key, want in sorted(desired.items(), key=lambda kv: str(kv[0])):
        meeting = found.get(key)
        if meeting is None:
            problems.append("missing meeting: externalId %s of organizer %s" % (key[2], key[1]))
            continue
        where = "%s (organizer %s)" % (key[2], key[1])
        if meeting.get("subject") != want["subject"]:
            problems.append("%s: subject %r, want %r" % (where, meeting.get("subject"), want["subject"]))
        for field, name in (("start", "startDateTime"), ("end", "endDateTime")):
            if meeting.get(name) is None or _instant(meeting[name]) != want[field]:
                problems.append("%s: %s %r, want %s" % (where, name, meeting.get(name), want[field].isoformat()))
        appointment = meeting.get("virtualAppointment")
        if appointment is None:
            problems.append("%s: the meeting has no virtualAppointment" % where)
            continue
        for name in ("externalAppointmentId", "externalAppointmentUrl"):
            if appointment.get(name) != want[name]:
                problems.append("%s: %s %r, want %r" % (where, name, appointment.get(name), want[name]))
        if _clients(appointment.get("appointmentClients")) != want["clients"]:
            problems.append("%s: appointmentClients %r, want %r" % (where, _clients(appointment.get(
                "appointmentClients")), want["clients"]))
        browser = (appointment.get("settings") or {}).get("allowClientToJoinUsingBrowser")
        if browser is not want["allowClientToJoinUsingBrowser"]:
            problems.append("%s: allowClientToJoinUsingBrowser %r, want %r"
                            % (where, browser, want["allowClientToJoinUsingBrowser"]))
    if len(problems) > limit:
        problems = problems[:limit] + ["... and %d more" % (len(problems) - limit)]
    return problems


def compare_ledger(ledger_dir, inventory, state):
    """The ledger must name, for every appointment, the meeting that exists for it."""
    ids = {}
    for tenant in state["tenants"]:
        for meeting in tenant["meetings"]:
            ids[(tenant["id"], meeting["organizerUserId"], meeting.get("externalId"))] = meeting["id"]
    problems = []
    for host, info in sorted(inventory.hosts.items()):
        path = os.path.join(ledger_dir, info["tenant_id"], host + ".json")
        try:
            with open(path, encoding="utf-8") as handle:
                entries = json.load(handle)["appointments"]
        except (OSError, ValueError, KeyError) as exc:
            problems.append("ledger of %s unreadable: %s" % (host, exc))
            continue
        for item in info["appointments"]:
            meeting_id = ids.get((info["tenant_id"], info["user_id"], item["external_id"]))
            entry = entries.get(item["external_id"])
            if entry is None:
                problems.append("ledger of %s: no entry for %s" % (host, item["external_id"]))
            elif entry.get("online_meeting_id") != meeting_id:
                problems.append("ledger of %s: %s names meeting %s, the emulator has %s"
                                % (host, item["external_id"], entry.get("online_meeting_id"), meeting_id))
    return problems


# ------------------------------------------------------------------------------------------------------ runs
class RunCounts:
    """What one ansible-playbook run did, from the emulator's request log and the module results."""

    def __init__(self, label, wall, returncode, document, log, fired, metrics_before, metrics_after):
        self.label, self.wall, self.returncode = label, wall, returncode
        self.fired = fired
        self.http_requests = metrics_after["graph"]["http_requests"] - metrics_before["graph"]["http_requests"]
        self.sub_requests = metrics_after["graph"]["batch_items"] - metrics_before["graph"]["batch_items"]
        self.writes = metrics_after["writes"] - metrics_before["writes"]
        self.token_requests = metrics_after["token_requests"] - metrics_before["token_requests"]
        self.write_requests = sum(1 for e in log if e["method"] in WRITE_METHODS and e["route"] != "/$batch")
        self.by_status = collections.Counter()
        self.seen = collections.Counter()  # (kind, level) -> count, from the log
        carried = {e["batch"] for e in log if e["batch"] is not None and e.get("dropped")}
        for entry in log:
            level = "top-level $batch" if entry["batch"] is None else "sub-request"
            if entry.get("dropped"):
                if entry["batch"] is None and entry["seq"] in carried:
                    level = "top-level $batch, lost with its dropped sub-request"
                self.seen[("dropped " + entry["dropped"], level)] += 1
                continue
            self.by_status[entry["status"]] += 1
            if entry["status"] in (429, 500, 503):
                self.seen[(str(entry["status"]), level)] += 1
            if entry["status"] == 409:
                self.seen[("409 provisioning", level)] += 1
        attempts = collections.Counter(e["client_request_id"] for e in log if e["batch"] is not None)
        self.most_attempts = max(attempts.values()) if attempts else 0  # one sub-request (retries keep its id)
        self.provisioning = sum(n for (kind, dummy), n in self.seen.items() if kind == "409 provisioning")
        self.hosts = {}
        self.retries = collections.Counter()
        self.changed = collections.Counter()
        self.failed_items = []
        self.failures = []
        for play in (document or {}).get("plays", []):
            for task in play.get("tasks", []):
                name = task["task"]["name"].split(" : ", 1)[-1]
                for host, result in task.get("hosts", {}).items():
                    if result.get("failed"):
                        self.failures.append("%s: %s: %s" % (host, name, str(result.get("msg"))[:300]))
                    if name != BATCH_TASK:
                        continue
                    self.hosts[host] = result
                    for reason, count in ((result.get("waits") or {}).get("by_reason") or {}).items():
                        self.retries[reason] += count
                    for action, count in (result.get("summary") or {}).items():
                        if action != "total":
                            self.changed[action] += count
                    self.failed_items += ["%s %s: %s" % (host, a.get("external_id"), (a.get("error") or {}).get(
                        "message")) for a in result.get("appointments") or [] if a.get("action") == "failed"]

    @property
    def total_retries(self):
        return sum(self.retries.values())

    def as_dict(self):
        return {"label": self.label, "wall_s": round(self.wall, 1), "returncode": self.returncode,
                "http_requests": self.http_requests, "sub_requests": self.sub_requests, "writes": self.writes,
                "write_requests": self.write_requests, "token_requests": self.token_requests,
                "retries": self.total_retries, "retries_by_reason": dict(self.retries),
                "most_attempts": self.most_attempts,
                "faults_fired": self.fired, "provisioning_refusals": self.provisioning,
                "actions": dict(self.changed), "failed_items": self.failed_items, "failures": self.failures}


class Chaos:
    """One emulator, one inventory, the fault mix; ``run()`` does the provision and the re-run and judges them."""

    def __init__(self, workdir, inventory, emu, forks=6, verbose=True):
        self.workdir, self.inventory, self.emu = workdir, inventory, emu
        self.forks, self.verbose = forks, verbose
        self.ledger = os.path.join(workdir, "ledger")
        self.report = os.path.join(workdir, "report")
        self.counter = 0

    def log(self, text):
        if self.verbose:
            print(text, flush=True)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLOUDCOMMS_", "ANSIBLE_"))}
        home = os.path.join(self.workdir, "ansible-home")
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": collection_root(), "ANSIBLE_HOME": home,
            "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_STDOUT_CALLBACK": "json_results",
            "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS, "ANSIBLE_FORKS": str(self.forks),
            "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "CLOUDCOMMS_GRAPH_ENDPOINT": self.emu.graph_url, "AZURE_AUTHORITY_HOST": self.emu.authority_host,
            "CLOUDCOMMS_GRAPH_CA_PATH": self.emu.ca_file,
        })
        env.update(self.inventory.secrets())
        return env

    def playbook(self, label, timeout=1800):
        self.counter += 1
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
               "cloudcomms.virtual_appointments.provision", "-i", self.inventory.hosts_file,
               "-e", json.dumps({"virtual_appointments_ledger_dir": self.ledger,
                                 "virtual_appointments_report_dir": self.report})]
        before, seq = self.emu.metrics(), self.emu.metrics()["seq"]
        fired_before = [r["fired"] for r in self.emu.control("GET", "faults")["rules"]]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env(), capture_output=True, text=True, timeout=timeout,
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
        fired = {FAULT_MIX[i][0]: rule["fired"] - (fired_before[i] if i < len(fired_before) else 0)
                 for i, rule in enumerate(rules) if i < len(FAULT_MIX)}
        counts = RunCounts(label, wall, proc.returncode, document, self.emu.requests(since=seq, kind="graph"), fired,
                           before, self.emu.metrics())
        if document is None:
            counts.failures.append("no JSON output (exit %d): %s" % (proc.returncode, proc.stderr[-2000:]))
        line = "  %-22s %6.1f s  rc=%d  HTTP %5d  sub-requests %5d  writes %4d  write requests %4d  retries %4d  faults %s"
        self.log(line % (label, wall, proc.returncode, counts.http_requests, counts.sub_requests, counts.writes,
                         counts.write_requests, counts.total_retries, sum(fired.values())))
        return counts


class Outcome:
    def __init__(self, args, inventory, rules):
        self.args, self.inventory, self.rules = args, inventory, rules
        self.first = self.rerun = None
        self.state_problems, self.ledger_problems, self.checks = [], [], []
        self.state_summary = {}

    def check(self, name, ok, detail):
        self.checks.append((name, bool(ok), detail))

    @property
    def ok(self):
        return all(ok for dummy, ok, dummy2 in self.checks)


def judge(chaos, outcome):
    """Provision, compare state and ledger, re-run; fill ``outcome`` (emulator seeded, faults and modes set)."""
    inventory, emu = chaos.inventory, chaos.emu
    outcome.first = chaos.playbook("provision")
    state = emu.state()
    desired = desired_state(inventory)
    outcome.state_problems = compare_state(desired, state)
    outcome.ledger_problems = compare_ledger(chaos.ledger, inventory, state)
    outcome.state_summary = {
        "meetings": sum(len(t["meetings"]) for t in state["tenants"]),
        "appointments": sum(1 for t in state["tenants"] for m in t["meetings"] if m.get("virtualAppointment")),
    }
    outcome.rerun = chaos.playbook("re-run")
    outcome.state_problems += ["after the re-run: " + p for p in compare_state(desired, emu.state())]
    first, rerun = outcome.first, outcome.rerun
    outcome.check("first run succeeded", first.returncode == 0 and not first.failures,
                  "exit %d; %s" % (first.returncode, "; ".join(first.failures[:5]) or "no failed task"))
    outcome.check("no item failed", not first.failed_items and not rerun.failed_items,
                  "; ".join((first.failed_items + rerun.failed_items)[:5]) or "none")
    outcome.check("state equals the inventory", not outcome.state_problems,
                  "; ".join(outcome.state_problems[:5]) or "%(meetings)d meetings, %(appointments)d appointments"
                  % outcome.state_summary)
    outcome.check("ledger names every meeting", not outcome.ledger_problems,
                  "; ".join(outcome.ledger_problems[:5]) or "%d entries" % inventory.n)
    outcome.check("faults were injected", sum(first.fired.values()) > 0 and sum(rerun.fired.values()) > 0,
                  "%d in the first run, %d in the re-run" % (sum(first.fired.values()), sum(rerun.fired.values())))
    outcome.check("re-run succeeded", rerun.returncode == 0 and not rerun.failures,
                  "exit %d; %s" % (rerun.returncode, "; ".join(rerun.failures[:5]) or "no failed task"))
    outcome.check("re-run wrote nothing", rerun.writes == 0 and rerun.write_requests == 0,
                  "%d changes of state, %d write requests" % (rerun.writes, rerun.write_requests))
    outcome.check("re-run changed nothing", sum(rerun.changed[a] for a in ("created", "updated", "deleted")) == 0,
                  "actions %s" % dict(rerun.changed))
    return outcome


def run(args, verbose=True):
    """Generate the inventory, start the emulator with the fault mix, judge; return an Outcome."""
    workdir = args.workdir or tempfile.mkdtemp(prefix="virtual-appointments-chaos-")
    os.makedirs(workdir, exist_ok=True)
    try:
        inventory = generate(os.path.join(workdir, "inventory"), args.appointments, args.organizers, args.tenants)
        rules = fault_rules()
        outcome = Outcome(args, inventory, rules)
        emu_args = ["--seed", os.path.join(inventory.root, "emulator-seed.json"), "--fault-seed", str(args.fault_seed),
                    "--provisioning", "%d:%g" % (args.provisioning_status, args.provisioning_seconds)]
        with EmulatorProcess(emu_args) as emu:
            chaos = Chaos(workdir, inventory, emu, forks=args.forks, verbose=verbose)
            emu.faults(rules)
            chaos.log("chaos: %d appointments, %d organizers in %d tenants, fault seed %d, workdir %s"
                      % (inventory.n, len(inventory.hosts), args.tenants, args.fault_seed, workdir))
            return judge(chaos, outcome)
    finally:
        if args.keep or args.workdir:
            if verbose:
                print("kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------------------------------------ report
def _row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def markdown(outcome, runtime_s):
    args, first, rerun = outcome.args, outcome.first, outcome.rerun
    lines = [
        "# make chaos",
        "",
        "`python -m tests.chaos.chaos_run --appointments %d --fault-seed %d` (generated %s): %d appointments of %d "
        "organizers in %d tenants provisioned with the `cloudcomms.virtual_appointments.provision` playbook while the "
        "emulator injected faults, then run again with the faults still on. ansible-core forks: %d. Total %.0f s."
        % (args.appointments, args.fault_seed, datetime.date.today().isoformat(), outcome.inventory.n,
           len(outcome.inventory.hosts), args.tenants, args.forks, runtime_s),
        "",
        "**Result: %s**" % ("PASS - the state equals the inventory and the re-run wrote nothing" if outcome.ok
                            else "FAIL"),
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
        "Every Graph request - each top-level `$batch` POST and each of its sub-requests - draws from the rules in "
        "order (emulator `POST /_emulator/faults`, rates conditional so the shares hold). A dropped sub-request "
        "drops the connection of its whole `$batch` after the other sub-requests ran. First-create provisioning: "
        "each tenant's first virtualAppointment PUTs answer %d with Retry-After for %g s. The token endpoint is not "
        "faulted (the emulator's faults apply to Graph only)." % (args.provisioning_status, args.provisioning_seconds),
        "",
        _row(["kind", "share", "applies to", "fired: provision", "fired: re-run"]),
        _row(["---", "---:", "---", "---:", "---:"]),
    ]
    for kind, share, fields in FAULT_MIX:
        applies = "write sub-requests (POST, PUT, PATCH, DELETE)" if "method" in fields else \
            "all Graph requests ($batch and sub-requests)"
        lines.append(_row([kind, "%g%%" % (share * 100), applies, first.fired.get(kind, 0), rerun.fired.get(kind, 0)]))
    lines.append(_row(["409 provisioning (first create per tenant)", "", "virtualAppointment PUT",
                       first.provisioning, rerun.provisioning]))
    lines += ["", "Seen in the request log, by where they hit (a `$batch` whose sub-request was dropped is logged as "
              "dropped too; a 500-after that fired on a request the service refused anyway - a provisioning 409 - "
              "shows the refusal):", "",
              _row(["kind", "where", "provision", "re-run"]), _row(["---", "---", "---:", "---:"])]
    for key in sorted(set(first.seen) | set(rerun.seen)):
        lines.append(_row([key[0], key[1], first.seen.get(key, 0), rerun.seen.get(key, 0)]))
    lines += ["", "## Runs", "",
              _row(["", "provision", "re-run"]), _row(["---", "---:", "---:"])]
    for name, attr in (("wall time (s)", "wall"), ("exit status", "returncode"),
                       ("HTTP requests (Graph, top-level)", "http_requests"), ("$batch sub-requests", "sub_requests"),
                       ("token requests", "token_requests"), ("writes (changes of state)", "writes"),
                       ("write requests (POST/PUT/PATCH/DELETE sub-requests)", "write_requests"),
                       ("retries (module `waits`)", "total_retries"),
                       ("most times one sub-request reached the service", "most_attempts")):
        a, b = getattr(first, attr), getattr(rerun, attr)
        lines.append(_row([name, "%.1f" % a if isinstance(a, float) else a, "%.1f" % b if isinstance(b, float) else b]))
    for reason in sorted(set(first.retries) | set(rerun.retries)):
        lines.append(_row(["retries: " + reason, first.retries.get(reason, 0), rerun.retries.get(reason, 0)]))
    for action in ("created", "updated", "deleted", "unchanged", "failed"):
        lines.append(_row(["items " + action, first.changed.get(action, 0), rerun.changed.get(action, 0)]))
    problems = outcome.state_problems + outcome.ledger_problems + first.failed_items + rerun.failed_items
    if problems:
        lines += ["", "## Problems", ""] + ["- " + p for p in problems[:50]]
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.chaos.chaos_run",
                                     description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--appointments", type=int, default=500, help="appointments to provision (default 500)")
    parser.add_argument("--organizers", type=int, default=6, help="organizers (hosts, default 6)")
    parser.add_argument("--tenants", type=int, default=2, help="tenants (groups, default 2)")
    parser.add_argument("--fault-seed", type=int, default=1, help="the emulator's --fault-seed (default 1)")
    parser.add_argument("--forks", type=int, default=6, help="ansible-playbook forks (default 6)")
    parser.add_argument("--provisioning-status", type=int, choices=(409, 503), default=409,
                        help="first-create provisioning answer (default 409: the injected 503s stay countable)")
    parser.add_argument("--provisioning-seconds", type=float, default=5.0, help="first-create provisioning time "
                        "per tenant (default 5)")
    parser.add_argument("--out", default=RESULTS, help="Markdown summary (default tests/chaos/results/chaos.md); "
                        "'-' for none")
    parser.add_argument("--json", help="also write every count as JSON to this file")
    parser.add_argument("--workdir", help="work directory (kept); default a temporary one, removed at the end")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work directory (logs, ledger)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    outcome = run(args)
    runtime = time.monotonic() - started
    text = markdown(outcome, runtime)
    if args.out != "-":
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
        print("wrote %s" % os.path.relpath(args.out, os.getcwd()))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"first": outcome.first.as_dict(), "rerun": outcome.rerun.as_dict(), "checks": outcome.checks,
                       "state_problems": outcome.state_problems, "ledger_problems": outcome.ledger_problems}, handle,
                      indent=2)
    for name, ok, detail in outcome.checks:
        print("%-30s %s  %s" % (name, "ok" if ok else "FAILED", detail))
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
