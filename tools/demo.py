"""make demo: bulk provisioning of examples/inventory (2 tenants, 6 organizers, 300 appointments) with the
virtual_appointments role, end to end against the local Graph emulator.

1. starts the emulator (HTTPS, its own CA) seeded with examples/inventory/emulator-seed.json;
2. provisions the inventory with ``ansible-playbook cloudcomms.virtual_appointments.provision`` and prints the
   role's summary, the emulator's request counts and where the report and the ledger are;
3. runs it again: nothing to do, no write;
4. edits one appointment in a temporary copy of the inventory and runs ``--check --diff``: the plan names that
   appointment and the fields that would change, and nothing is written;
5. stops the emulator.

The collection comes from this checkout, or with ``--collections-path DIR`` from a copy installed there
(``ansible-galaxy collection install -p DIR``; ``make demo-installed`` builds, installs and runs it that way): then
DIR is the only place Ansible looks for collections.

Nothing is written into the checkout: the ledger, the report and the inventory copy live in a temporary directory
that is removed at the end (pass --keep to keep it).
"""

import argparse
import json
import os
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
    def __init__(self, emu, workdir, collections_path=None):
        self.emu, self.workdir = emu, workdir
        self.env = environment(emu, workdir, collections_path)
        self.ledger = os.path.join(workdir, "ledger")
        self.report = os.path.join(workdir, "report")
        self.seen = emu.metrics()

    def provision(self, inventory, *args):
        cmd = [ANSIBLE_PLAYBOOK, "cloudcomms.virtual_appointments.provision", "-i", inventory,
               "-e", "virtual_appointments_ledger_dir=%s" % self.ledger,
               "-e", "virtual_appointments_report_dir=%s" % self.report] + list(args)
        shown = " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in cmd[1:])
        print("$ ansible-playbook %s" % shown.replace(self.workdir, "$DEMO"), flush=True)
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=self.workdir, env=self.env, capture_output=True, text=True, check=False,
                              timeout=600)
        elapsed = time.monotonic() - started
        try:
            document = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            document = None
        if proc.returncode != 0 or document is None:
            print(proc.stdout[-6000:], proc.stderr[-6000:], sep="\n")
            raise SystemExit("ansible-playbook failed (exit %d)" % proc.returncode)
        for line in self.task_result(document, "Summary")["msg"]:
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

    @staticmethod
    def task_result(document, name):
        for play in document["plays"]:
            for task in play["tasks"]:
                if task["task"]["name"].split(" : ", 1)[-1] == name:
                    return next(iter(task["hosts"].values()))
        raise SystemExit("no task %r in the playbook output" % name)

    def graph_counts(self):
        now = self.emu.metrics()
        print("   emulator: %d Graph requests in %d HTTP calls ($batch), %d token requests, %d writes (total %d)"
              % (now["graph"]["batch_items"] - self.seen["graph"]["batch_items"],
                 now["graph"]["http_requests"] - self.seen["graph"]["http_requests"],
                 now["token_requests"] - self.seen["token_requests"], now["writes"] - self.seen["writes"],
                 now["writes"]), flush=True)
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
    finally:
        if args.keep:
            print("   kept %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\nDone in %.1f s." % (time.monotonic() - started))


if __name__ == "__main__":
    main()
