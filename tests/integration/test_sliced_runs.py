"""Job slicing as AWX / Automation Platform runs it: the provision playbook as three slices at the same time, each a
separate ``ansible-runner`` run with its own private data dir (as AWX runs every job), the inventory split as AWX
splits it (slice k of n takes hosts k-1, k-1+n, ...), with both ledger stores:

- ``file``: the ledger files in one directory all slices share (what a persistent volume would be);
- ``facts``: each organizer's ledger as a cacheable fact in a fact cache (the ``jsonfile`` plugin here; AWX keeps a
  job's facts per host in its database and hands them to the next job).

Afterwards Graph holds exactly the inventory - every appointment once, none twice - each organizer's ledger lists all
of its appointments, a second sliced run writes nothing, and the role's ``set_stats`` summary is in every slice's
runner artifacts (what AWX shows of a job and passes along a workflow)."""

import json
import os
import sys

import ansible_runner
import pytest

from tests.graph_emulator.process import REPO_ROOT
from tests.helpers import COLLECTION_ROOT, Inventory, playbook_env

SLICES = 3
# AWX's fact storage: host -> its cached facts, kept between jobs (cleared by each test).
FACTS = {}
PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "provision.yml")


def awx_slices(hosts, count):
    """AWX's job slicing: slice k (1-based) of ``count`` runs hosts[k-1::count] of the inventory's hosts."""
    return [hosts[number::count] for number in range(count)]


def run_slices(emulator, inventory, tmp_path, label, store):
    """The provision playbook as SLICES concurrent ansible-runner runs; their runners, in slice order."""
    env = playbook_env(emulator, inventory, tmp_path)
    for key in ("ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_CALLBACK_PLUGINS"):  # ansible-runner brings its own
        env.pop(key, None)
    # ansible-runner finds ansible-playbook on PATH: this Python's (as an execution environment has its own).
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update({"ANSIBLE_COLLECTIONS_PATH": COLLECTION_ROOT, "ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    extravars = {"virtual_appointments_ledger_store": store}
    if store == "file":
        extravars["virtual_appointments_ledger_dir"] = str(tmp_path / "ledger")
    started = []
    for number, hosts in enumerate(awx_slices(inventory.hosts(), SLICES), 1):
        private = tmp_path / ("%s-slice-%d" % (label, number))
        # As AWX does for a job template with fact storage: the job's hosts' facts from its database are written to
        # the job's fact cache (ansible-runner's jsonfile cache in the job's artifacts) before the run, and read
        # back after it.
        cache = private / "artifacts" / "job" / "fact_cache"
        cache.mkdir(parents=True)
        for name, content in FACTS.items():
            if cached_host(name) in hosts:
                (cache / name).write_text(content, encoding="utf-8")
        thread, runner = ansible_runner.run_async(
            private_data_dir=str(private), ident="job", playbook=PLAYBOOK, inventory=inventory.hosts_file,
            limit=",".join(hosts), envvars=env, extravars=extravars, quiet=True, timeout=600,
            fact_cache_type="jsonfile")
        started.append((thread, runner, cache, hosts))
    for thread, _runner, cache, hosts in started:
        thread.join(timeout=660)
        for path in cache.iterdir():
            if cached_host(path.name) in hosts:
                FACTS[path.name] = path.read_text(encoding="utf-8")
    return [runner for _thread, runner, _cache, _hosts in started]


def custom_stats(runner):
    """The set_stats data of a run, as ansible-runner keeps it (the playbook_on_stats event's artifact_data)."""
    for event in runner.events:
        if event.get("event") == "playbook_on_stats":
            return event["event_data"].get("artifact_data") or {}
    return {}


def meetings_by_key(emulator):
    """(organizer object ID, externalId) -> how many meetings Graph holds for it."""
    out = {}
    for tenant in emulator.state()["tenants"]:
        for meeting in tenant["meetings"]:
            key = (meeting["organizerUserId"], meeting.get("externalId"))
            out[key] = out.get(key, 0) + 1
    return out


def wanted(inventory):
    """host -> the external IDs of its appointments."""
    return {host: {item["external_id"] for item in inventory.host_vars(host).get("virtual_appointments", [])}
            for host in inventory.hosts()}


def cached_host(name):
    """The host of a jsonfile fact cache file: its name, after the format prefix ansible-core 2.19 adds (s1_)."""
    return name.split("_", 1)[1] if name.startswith("s1_") else name


def cached_facts(host):
    """The facts the cache holds for ``host`` (ansible-core 2.19 wraps them in a tagged payload)."""
    name = next(name for name in FACTS if cached_host(name) == host)
    data = json.loads(FACTS[name])
    if "__payload__" in data:
        data = json.loads(data["__payload__"])
    return {key: value["value"] if isinstance(value, dict) and "__ansible_type" in value else value
            for key, value in data.items()}


def ledger_of(tmp_path, inventory, host, store):
    if store == "facts":
        return cached_facts(host)["virtual_appointments_ledger"]
    path = tmp_path / "ledger" / inventory.tenant_of(host)["id"] / (host + ".json")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.mark.parametrize("store", ["file", "facts"])
def test_three_slices_at_once_provision_exactly_the_inventory_and_a_second_sliced_run_writes_nothing(
        emulator, tmp_path, store):
    FACTS.clear()
    inventory = Inventory(tmp_path / "inventory", appointments=36, organizers=6, tenants=2)
    emulator.seed(inventory.seed)
    expected = wanted(inventory)

    first = run_slices(emulator, inventory, tmp_path, "first", store)
    assert [runner.status for runner in first] == ["successful"] * SLICES, [r.stdout.read()[-3000:] for r in first]
    held = meetings_by_key(emulator)
    assert sum(held.values()) == sum(len(ids) for ids in expected.values()) == 36
    assert set(held.values()) == {1}, "a meeting made twice: %s" % {k: v for k, v in held.items() if v > 1}
    appointments = [m for tenant in emulator.state()["tenants"] for m in tenant["meetings"]
                    if m.get("virtualAppointment")]
    assert len(appointments) == 36
    for host, external_ids in expected.items():
        ledger = ledger_of(tmp_path, inventory, host, store)
        assert set(ledger["appointments"]) == external_ids, host
        assert all(entry["online_meeting_id"] for entry in ledger["appointments"].values()), host

    stats = [custom_stats(runner) for runner in first]
    assert sum(stat["virtual_appointments_created"] for stat in stats) == 36, stats
    assert all(stat["virtual_appointments_failed"] == 0 and stat["virtual_appointments_failed_items"] == []
               for stat in stats)
    assert sorted(host for stat in stats for host in stat["virtual_appointments_hosts"]) == inventory.hosts()

    writes = emulator.metrics()["writes"]
    second = run_slices(emulator, inventory, tmp_path, "second", store)
    assert [runner.status for runner in second] == ["successful"] * SLICES
    assert emulator.metrics()["writes"] == writes, "the second sliced run wrote"
    stats = [custom_stats(runner) for runner in second]
    assert sum(stat["virtual_appointments_unchanged"] for stat in stats) == 36, stats
    assert sum(stat["virtual_appointments_created"] + stat["virtual_appointments_updated"] for stat in stats) == 0
