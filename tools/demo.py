"""make demo: bulk provisioning of examples/inventory (2 tenants, 6 organizers, 300 appointments) with the
virtual_appointments role, end to end against the local Graph emulator.

1. starts the emulator (HTTPS, its own CA) seeded with examples/inventory/emulator-seed.json;
2. provisions the inventory with ``ansible-playbook cloudcomms.virtual_appointments.provision`` and prints the
   role's summary, the emulator's request counts and where the report and the ledger are;
3. runs it again: nothing to do, no write;
4. edits one appointment in a temporary copy of the inventory and runs ``--check --diff``: the plan names that
   appointment and the fields that would change, and nothing is written;
5. stops the emulator.

Part 2, today's Graph (what Microsoft Graph serves in late 2026): a second emulator with the same seed and
``--profile current``. The virtualAppointment resource is retired there; today's flow manages each appointment as its
online meeting (createOrGet by external ID) with its client join link, signed in as the organizer (the steps 4 to 8
it prints):

- writes a temporary extra inventory source (``-i hosts.yml -i $DEMO/today/sign-in.yml``, from the seed): each
  organizer host signs in as that organizer (``auth_method: username_password``, the tenant's public client, the
  organizer's UPN and password), with ``virtual_appointments_appointment_resource: false`` and
  ``virtual_appointments_include_join_web_url: true``;
- runs the seed's API once (``virtual_appointments_appointment_resource: true``, one appointment of one organizer):
  it fails with one message naming the retirement, after createOrGet made the meeting;
- provisions the inventory in today's flow: 300 meetings with client join links (the one of step 5 found again),
  in report.csv (column client_join_web_url);
- runs it again: nothing to do, no write;
- moves one appointment and adds one in a temporary copy and runs ``--check --diff`` with
  ``virtual_appointments_notify_sms``: the SMS that would be sent (reschedule, confirmation); nothing is sent;
- stops the second emulator.

The collection comes from this checkout, or with ``--collections-path DIR`` from a copy installed there
(``ansible-galaxy collection install -p DIR``; ``make demo-installed`` builds, installs and runs it that way): then
DIR is the only place Ansible looks for collections.

Nothing is written into the checkout (or into ~/.cache): the ledgers, the reports, the inventory copies, the sign-in
overlay (it holds the emulator users' passwords) and the token cache of the delegated sign-ins live in a temporary
directory that is removed at the end (pass --keep to keep it).
"""

import argparse
import csv
import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import yaml  # noqa: E402  pylint: disable=wrong-import-position

from tests.graph_emulator.process import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position

INVENTORY = os.path.join(ROOT, "examples", "inventory")
SEED = os.path.join(INVENTORY, "emulator-seed.json")
CALLBACKS = os.path.join(ROOT, "tests", "integration", "callback_plugins")
ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")


def step(text):
    print("\n== %s" % text, flush=True)


def collection_path(workdir):
    """ANSIBLE_COLLECTIONS_PATH for this checkout: ansible_collections/cloudcomms/virtual_appointments -> ROOT."""
    parent = os.path.join(workdir, "collections", "ansible_collections", "cloudcomms")
    os.makedirs(parent)
    os.symlink(ROOT, os.path.join(parent, "virtual_appointments"))
    return os.path.join(workdir, "collections")


def environment(emu, workdir, collections_path=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLOUDCOMMS_", "ANSIBLE_"))}
    env.update({
        # Only this path: no ~/.ansible/collections, no ansible_collections on sys.path.
        "ANSIBLE_COLLECTIONS_PATH": collections_path or collection_path(workdir),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "0",
        # Task results as one JSON document (the test callback); the demo prints what matters from it.
        "ANSIBLE_STDOUT_CALLBACK": "json_results", "ANSIBLE_CALLBACK_PLUGINS": CALLBACKS,
        "ANSIBLE_FORKS": "6", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable, "ANSIBLE_LOCAL_TEMP": os.path.join(workdir, "ansible-tmp"),
        "ANSIBLE_HOME": os.path.join(workdir, "ansible-home"),
        # What points the modules at the emulator instead of Microsoft Graph and Entra ID.
        "CLOUDCOMMS_GRAPH_ENDPOINT": emu.graph_url, "AZURE_AUTHORITY_HOST": emu.authority_host,
        "CLOUDCOMMS_GRAPH_CA_PATH": emu.ca_file,
    })
    with open(SEED, encoding="utf-8") as handle:
        for tenant in json.load(handle)["tenants"]:
            env[tenant["example"]["secret_env"]] = tenant["apps"][0]["secrets"][0]
    return env


class Demo:
    def __init__(self, emu, workdir, collections_path=None, part=""):
        self.emu, self.workdir = emu, workdir
        self.env = environment(emu, workdir, collections_path)
        self.ledger = os.path.join(workdir, part, "ledger")
        self.report = os.path.join(workdir, part, "report")
        self.seen = emu.metrics()
        self.writes = 0  # of the last run

    def provision(self, inventory, *args, may_fail=False, brief=False):
        """Run the provision playbook on ``inventory`` (a path, or a list of inventory sources) and print the
        summary and the counts. ``may_fail``: a run that fails is returned (its exit code in ``rc``), not fatal;
        ``brief``: only the summary's totals, not the appointments it lists."""
        sources = [inventory] if isinstance(inventory, str) else list(inventory)
        cmd = [ANSIBLE_PLAYBOOK, "cloudcomms.virtual_appointments.provision"]
        for source in sources:
            cmd += ["-i", source]
        cmd += ["-e", "virtual_appointments_ledger_dir=%s" % self.ledger,
                "-e", "virtual_appointments_report_dir=%s" % self.report] + list(args)
        shown = " ".join(shlex.quote(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a) for a in cmd[1:])
        print("$ ansible-playbook %s" % shown.replace(self.workdir, "$DEMO"), flush=True)
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env, capture_output=True, text=True, check=False,
                              timeout=600)
        elapsed = time.monotonic() - started
        try:
            document = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            document = None
        if document is None or (proc.returncode != 0 and not may_fail):
            print(proc.stdout[-6000:], proc.stderr[-6000:], sep="\n")
            raise SystemExit("ansible-playbook failed (exit %d)" % proc.returncode)
        document["rc"] = proc.returncode
        summary = self.task_results(document, "Summary")
        if not summary and not may_fail:
            raise SystemExit("no task 'Summary' in the playbook output")
        for line in next(iter(summary.values()))["msg"] if summary else []:
            if brief and line.startswith("The "):
                break
            print("   " + line)
        stats = document["stats"]
        print("   ansible-playbook: %d hosts, changed on %d, failed on %d; %.1f s"
              % (len(stats), sum(1 for s in stats.values() if s["changed"]),
                 sum(1 for s in stats.values() if s["failures"]), elapsed))
        self.graph_counts()
        return document

    def where(self):
        """Say which copy of the collection Ansible loads (ansible-galaxy collection list, with the demo's env)."""
        proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-galaxy"), "collection", "list",
                               "cloudcomms.virtual_appointments", "--format", "json"], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, check=False, timeout=120)
        try:
            found = {path: entry["cloudcomms.virtual_appointments"]["version"]
                     for path, entry in json.loads(proc.stdout).items() if "cloudcomms.virtual_appointments" in entry}
        except (ValueError, KeyError, TypeError):
            found = {}
        if len(found) != 1:
            print(proc.stdout[-3000:], proc.stderr[-3000:], sep="\n")
            raise SystemExit("expected exactly one cloudcomms.virtual_appointments on the collections path, found %d"
                             % len(found))
        path, version = next(iter(found.items()))
        print("   collection cloudcomms.virtual_appointments %s from %s"
              % (version, path.replace(self.workdir, "$DEMO")))

    def shown(self, path):
        return path.replace(self.workdir, "$DEMO")

    @staticmethod
    def task_result(document, name):
        for play in document["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"].split(" : ", 1)[-1] == name:
                    return next(iter(task["hosts"].values()))
        raise SystemExit("no task %r in the playbook output" % name)

    @staticmethod
    def task_results(document, name):
        """{host: result} of the task ``name`` ({} when it did not run)."""
        for play in document["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"].split(" : ", 1)[-1] == name and task["hosts"]:
                    return task["hosts"]
        return {}

    def graph_counts(self):
        now = self.emu.metrics()
        print("   emulator: %d Graph requests in %d HTTP calls ($batch), %d token requests, %d writes (total %d)"
              % (now["graph"]["batch_items"] - self.seen["graph"]["batch_items"],
                 now["graph"]["http_requests"] - self.seen["graph"]["http_requests"],
                 now["token_requests"] - self.seen["token_requests"], now["writes"] - self.seen["writes"],
                 now["writes"]), flush=True)
        self.writes = now["writes"] - self.seen["writes"]
        self.seen = now


def edit_one(copy):
    """Change one appointment in the copy: a new subject, half an hour later, and a second client."""
    path = os.path.join(copy, "host_vars", "contoso-adele-vance.yml")
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    item = data["virtual_appointments"][2]
    before = dict(item)
    item["subject"] = item["subject"].split(" - ")[0] + " (rescheduled) - " + item["subject"].split(" - ")[-1]
    item["appointment_clients"] = item["appointment_clients"] + [
        {"display_name": "Jordan Lee", "email_address": "jordan.lee@example.com"}]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("---\n" + yaml.safe_dump(data, sort_keys=False))
    print("   edited %s in host_vars/contoso-adele-vance.yml of the copy:\n     subject %r -> %r\n     clients + "
          "Jordan Lee <jordan.lee@example.com>" % (item["external_id"], before["subject"], item["subject"]))


# -- Part 2: today's Graph ----------------------------------------------------------------------------------------
RECONCILE = "Reconcile the organizer's appointments with Microsoft Graph"
FAIL = "Fail the organizers whose appointments failed"
# What the batch module answered while notify_sms in today's flow was not implemented: step 8 then says so, and the
# demo goes on.
SMS_NOT_YET = "notify_sms: not supported with appointment_resource false yet"


def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def organizers(inventory=INVENTORY):
    """[(host, tenant key, organizer UPN, appointments)] of an inventory shaped like examples/inventory: the tenants
    are the groups under virtual_appointments_tenants, each host's organizer and appointments its host_vars file."""
    groups = load_yaml(os.path.join(inventory, "hosts.yml"))["all"]["children"]["virtual_appointments_tenants"]
    found = []
    for key, group in groups["children"].items():
        for host in group["hosts"]:
            data = load_yaml(os.path.join(inventory, "host_vars", host + ".yml"))
            found.append((host, key, data["virtual_appointments_organizer"], data["virtual_appointments"]))
    return found


def sign_in_overlay(path):
    """Today's flow as an extra inventory source (``-i hosts.yml -i path``), written from the emulator seed: the role
    settings for every host and, per organizer host, a delegated sign-in as that organizer (username and password
    through the tenant's public client). A host variable of an inventory source wins over group_vars/<tenant>.yml
    (the tenant app's sign-in), so the checkout is not touched. Mode 0600: it holds the users' passwords.
    Returns {host: virtual_appointments_connection}."""
    with open(SEED, encoding="utf-8") as handle:
        tenants = {tenant["example"]["key"]: tenant for tenant in json.load(handle)["tenants"]}
    connections = {}
    for host, key, upn, dummy in organizers():
        tenant = tenants[key]
        user = next(user for user in tenant["users"] if user["upn"].lower() == upn.lower())
        connections[host] = {"auth_method": "username_password", "tenant_id": tenant["id"],
                             "client_id": tenant["example"]["public_client_id"], "username": user["upn"],
                             "password": user["password"]}
    document = {"all": {"vars": {"virtual_appointments_appointment_resource": False,
                                 "virtual_appointments_include_join_web_url": True},
                        "hosts": {host: {"virtual_appointments_connection": connection}
                                  for host, connection in connections.items()}}}
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        handle.write("---\n# Today's flow for examples/inventory: each organizer signs in as themselves.\n"
                     + yaml.safe_dump(document, sort_keys=False))
    return connections


def seed_api_once(demo, sources, path):
    """Step 5: the role with the seed's API (appointment_resource true) for one appointment of one organizer, which
    fails on today's Graph. Returns (external_id, online_meeting_id) of the meeting it made before that."""
    host, dummy, upn, items = organizers()[0]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("---\n" + yaml.safe_dump(
            {"virtual_appointments_appointment_resource": True, "virtual_appointments": items[:1]}, sort_keys=False))
    print("   %s: virtual_appointments_appointment_resource: true (the role's default) and only %s of %s"
          % (demo.shown(path), items[0]["external_id"], upn))
    document = demo.provision(sources, "--limit", host, "-e", "@" + path, may_fail=True, brief=True)
    failed = demo.task_results(document, FAIL)
    if document["rc"] == 0 or host not in failed:
        raise SystemExit("expected the seed's API to fail on the current profile (exit %d)" % document["rc"])
    message = failed[host]["msg"]
    missing = [words for words in ("Microsoft retired the virtualAppointment resource in 2023",
                                   "appointment_resource: false") if words not in message]
    if missing:
        raise SystemExit("the failure message does not name %s: %s" % (" nor ".join(missing), message))
    print("   the role fails %s with one message (one line):\n     %s" % (host, message))
    item = demo.task_results(document, RECONCILE)[host]["appointments"][0]
    print("   %s: meeting %s (createOrGet by external ID), appointment %s - step 6 finds this meeting again"
          % (item["external_id"], item.get("meeting_action"), item.get("appointment_action")))
    return item["external_id"], item.get("online_meeting_id")


def todays_flow(demo, sources, earlier):
    """Step 6: the inventory in today's flow; report.csv with the client join links."""
    demo.provision(sources, "-e", "virtual_appointments_summary_limit=3")
    path = os.path.join(demo.report, "report.csv")
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    links = [row for row in rows if row["client_join_web_url"].startswith("https://")]
    print("   report for the scheduling system: %s (%d rows, %d with a client_join_web_url) and report.json"
          % (demo.shown(path), len(rows), len(links)))
    print("     external_id  action     client_join_web_url")
    for row in [row for row in links if row["action"] == "created"][:3]:
        print("     %-12s %-10s %s" % (row["external_id"], row["action"], row["client_join_web_url"]))
    if len(links) != len(rows):
        raise SystemExit("%d rows of report.csv have no client join link" % (len(rows) - len(links)))
    meetings = [meeting for tenant in demo.emu.state()["tenants"] for meeting in tenant["meetings"]]
    print("   the emulator holds %d online meetings, %d of them with a virtualAppointment"
          % (len(meetings), sum(1 for meeting in meetings if meeting.get("virtualAppointment"))))
    external_id, meeting_id = earlier
    row = next(row for row in rows if row["external_id"] == external_id)
    if row["online_meeting_id"] != meeting_id:
        raise SystemExit("%s: online_meeting_id %s, not the meeting step 5 made (%s)"
                         % (external_id, row["online_meeting_id"], meeting_id))
    print("   %s: %s - the meeting step 5 made (the same online_meeting_id), found by createOrGet, now with its "
          "client join link" % (external_id, row["action"]))


def edit_for_sms(copy):
    """In the copy, move one appointment half an hour later and add one: a reschedule and a confirmation SMS."""
    path = os.path.join(copy, "host_vars", "contoso-adele-vance.yml")
    data = load_yaml(path)
    moved = data["virtual_appointments"][1]
    before = moved["start_date_time"]
    for key in ("start_date_time", "end_date_time"):
        moved[key] = (datetime.datetime.fromisoformat(moved[key]) + datetime.timedelta(minutes=30)).isoformat()
    data["virtual_appointments"].append({
        "external_id": "CON-000151", "subject": "Mortgage pre-approval - Jordan Lee",
        "start_date_time": "2026-12-18T15:00:00-06:00", "end_date_time": "2026-12-18T15:30:00-06:00",
        "external_appointment_url": "https://scheduling.contoso.com/appointments/CON-000151",
        "appointment_clients": [{"display_name": "Jordan Lee", "email_address": "jordan.lee@example.com",
                                 "sms_capable_phone_number": "+1 312 555 0142"}]})
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("---\n" + yaml.safe_dump(data, sort_keys=False))
    print("   edited host_vars/contoso-adele-vance.yml of the copy:\n     %s moved %s -> %s\n     CON-000151 added "
          "(Jordan Lee, +1 312 555 0142)" % (moved["external_id"], before, moved["start_date_time"]))


def sms_plan(demo, sources):
    """Step 8: --check --diff with notify_sms: the SMS that would be sent; nothing is sent or written.
    Returns False when the batch module refuses notify_sms in today's flow (not implemented yet)."""
    sms = {"virtual_appointments_notify_sms": {"time_zone": "Central Standard Time"}}
    received = len(demo.emu.state()["sms"])
    document = demo.provision(sources, "--check", "--diff", "-e", json.dumps(sms), may_fail=True)
    results = demo.task_results(document, RECONCILE)
    if document["rc"] != 0:
        messages = sorted({str(result.get("msg")) for result in results.values() if result.get("failed")})
        if any(SMS_NOT_YET in message for message in messages):
            print("   NOT AVAILABLE YET: the batch module refuses notify_sms in today's flow:\n     %s"
                  % "\n     ".join(messages))
            return False
        raise SystemExit("the --check --diff with notify_sms failed: %s" % "; ".join(messages))
    planned = [(item, item["notification"]) for result in results.values()
               for item in result.get("appointments") or [] if isinstance(item.get("notification"), dict)]
    print("   the SMS that would be sent (sendVirtualAppointmentSms, one per changed meeting):")
    for item, note in planned:
        print("     %-12s %s  %s" % (note.get("message_type"), item["external_id"],
                                     json.dumps(note.get("request_body"), sort_keys=True)))
    received = len(demo.emu.state()["sms"]) - received
    print("   SMS the emulator received: %d (check mode sends nothing)" % received)
    if not planned or received or demo.writes:
        raise SystemExit("expected planned SMS, none sent and no write: %d planned, %d sent, %d writes"
                         % (len(planned), received, demo.writes))
    return True


def todays_graph(demo, workdir):
    """Part 2, steps 4-8, on an emulator started with --profile current. Returns whether step 8 planned the SMS."""
    today = os.path.join(workdir, "today")
    os.makedirs(today, exist_ok=True)
    overlay = os.path.join(today, "sign-in.yml")
    sources = [os.path.join(INVENTORY, "hosts.yml"), overlay]
    # The delegated sign-ins' MSAL token cache: here, not in ~/.cache (the modules' default).
    demo.env["CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH"] = os.path.join(today, "tokens", "msal_token_cache.json")

    step("4. Today's flow signs in as each organizer: a temporary inventory source beside examples/inventory")
    connections = sign_in_overlay(overlay)
    host, connection = next(iter(connections.items()))
    print("   %s (mode 0600, from the seed's users and public clients):\n"
          "     all: virtual_appointments_appointment_resource: false, virtual_appointments_include_join_web_url: true\n"
          "     %s: virtual_appointments_connection: {auth_method: username_password,\n"
          "       tenant_id: %s, client_id: %s (public client),\n"
          "       username: %s, password: ***}\n"
          "     ... and the same for the other %d organizers (host variables win over group_vars/<tenant>.yml)"
          % (demo.shown(overlay), host, connection["tenant_id"], connection["client_id"], connection["username"],
             len(connections) - 1))

    step("5. The seed's API on today's Graph (virtual_appointments_appointment_resource: true): retired")
    earlier = seed_api_once(demo, sources, os.path.join(today, "seed-api.yml"))

    step("6. The inventory in today's flow: 300 online meetings with client join links")
    todays_flow(demo, sources, earlier)

    step("7. The same again: nothing to do, no write")
    demo.provision(sources)
    if demo.writes:
        raise SystemExit("the re-run wrote %d times" % demo.writes)

    step("8. Move one appointment and add one in a copy, then --check --diff with virtual_appointments_notify_sms")
    copy = os.path.join(today, "inventory")
    shutil.copytree(INVENTORY, copy, ignore=shutil.ignore_patterns("*.py", "*.json", "*.md"))
    edit_for_sms(copy)
    return sms_plan(demo, [os.path.join(copy, "hosts.yml"), overlay])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (ledger, report, copy)")
    parser.add_argument("--collections-path", metavar="DIR",
                        help="run the collection installed in DIR (ansible-galaxy collection install -p DIR) "
                             "instead of this checkout; DIR is then the only collections path")
    args = parser.parse_args()
    if args.collections_path:
        args.collections_path = os.path.abspath(args.collections_path)
        if not os.path.isfile(os.path.join(args.collections_path, "ansible_collections", "cloudcomms",
                                           "virtual_appointments", "MANIFEST.json")):
            parser.error("no installed cloudcomms.virtual_appointments (MANIFEST.json) under %s"
                         % args.collections_path)
    started = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="virtual-appointments-demo-")
    try:
        step("Starting the Graph + identity emulator with the example tenants (examples/inventory/emulator-seed.json)")
        with EmulatorProcess(["--seed", SEED]) as emu:
            print("   graph_url %s, CA %s" % (emu.graph_url, emu.ca_file))
            demo = Demo(emu, workdir, args.collections_path)
            demo.where()

            step("1. Provision examples/inventory: 2 tenants (groups), 6 organizers (hosts), 300 appointments")
            demo.provision(os.path.join(INVENTORY, "hosts.yml"), "-e", "virtual_appointments_summary_limit=5")
            with open(os.path.join(demo.report, "report.csv"), encoding="utf-8") as handle:
                rows = handle.read().splitlines()
            print("   report for the scheduling system: %s (%d rows) and report.json"
                  % (os.path.join(demo.report, "report.csv"), len(rows) - 1))
            print("     " + rows[0])
            print("     " + (rows[1] if len(rows[1]) <= 150 else rows[1][:147] + "..."))
            ledgers = sorted(os.path.relpath(os.path.join(d, f), workdir)
                             for d, dummy, files in os.walk(demo.ledger) for f in files)
            print("   ledger (external_id -> meeting id, one file per organizer): $DEMO/%s, ... (%d files)"
                  % (ledgers[0], len(ledgers)))

            step("2. The same inventory again: nothing to do")
            demo.provision(os.path.join(INVENTORY, "hosts.yml"))

            step("3. Edit one appointment in a temporary copy of the inventory, then --check --diff")
            copy = os.path.join(workdir, "inventory")
            shutil.copytree(INVENTORY, copy, ignore=shutil.ignore_patterns("*.py", "*.json", "*.md"))
            edit_one(copy)
            demo.provision(os.path.join(copy, "hosts.yml"), "--check", "--diff")

            step("Stopping the emulator")
            collections = demo.env["ANSIBLE_COLLECTIONS_PATH"]

        step("Part 2: today's Graph. A second emulator, same seed, --profile current (what Graph serves in late "
             "2026)")
        with EmulatorProcess(["--seed", SEED], profile="current") as emu:
            print("   graph_url %s, profile %s: the virtualAppointment resource is retired, the join link and the SMS "
                  "need a delegated sign-in" % (emu.graph_url, emu.profile()["profile"]))
            sms_planned = todays_graph(Demo(emu, workdir, collections, part="today"), workdir)
            step("Stopping the second emulator")
        if not sms_planned:
            print("   (step 8: notify_sms with appointment_resource false is not available yet, see above)")
    finally:
        if args.keep:
            print("   kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\nDone in %.1f s." % (time.monotonic() - started))


if __name__ == "__main__":
    main()
