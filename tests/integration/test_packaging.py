"""The collection as users get it: ``ansible-galaxy collection build``, installed into an empty path, run from there.

The tarball is built from this checkout with the real ansible-galaxy (galaxy.yml's ``build_ignore`` decides what is
in it), installed with ``ansible-galaxy collection install -p EMPTY_DIR``, verified against its own manifest, and
then the collection playbook ``cloudcomms.virtual_appointments.provision`` runs a generated inventory against the
emulator with ``ANSIBLE_COLLECTIONS_PATH`` naming only that directory (and no scan of ``sys.path``), so nothing can
come from the checkout. The result is read back from the emulator's state. ``make demo-installed`` runs the full demo
the same way.

The execution environment side: ``ansible-builder introspect`` reads the installed copy's
``meta/execution-environment.yml`` (the Python requirements an EE gets for this collection), and
``ansible-builder create`` accepts an EE definition that installs the built collection (``create`` writes the build
context and Containerfile; it needs no container runtime).
"""

import json
import os
import subprocess
import sys
import tarfile

import pytest
import yaml

from tests.graph_emulator.process import REPO_ROOT
from tests.helpers import Inventory, playbook_env, run_playbook

BIN = os.path.dirname(sys.executable)
NAMESPACE, NAME = "cloudcomms", "virtual_appointments"
FQCN = NAMESPACE + "." + NAME
# What a user of the collection needs, by directory of the checkout: every file under these is in the tarball.
SHIPPED_DIRS = ("plugins", "roles", "playbooks", "meta", "docs", "examples", "changelogs")
SHIPPED_FILES = ("README.md", "CHANGELOG.rst", "requirements.txt", "meta/runtime.yml", "meta/execution-environment.yml",
                 "docs/docsite/links.yml", "changelogs/changelog.yaml", "changelogs/config.yaml")
# What only developers need; none of it may be in the tarball.
NOT_SHIPPED = ("tests/", "tools/", ".venv", ".git", "build/", "Makefile", "requirements-dev.", "requirements-sanity-",
               "requirements-docs", "pytest.ini", ".ansible-lint", ".ci/", ".pytest_cache",
               "changelogs/.plugin-cache.yaml")


def galaxy_version():
    with open(os.path.join(REPO_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["version"]


def tool_env(home, collections_path=None):
    """The caller's environment without Ansible, Azure or collection settings; ANSIBLE_HOME in a temp dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLOUDCOMMS_", "ANSIBLE_"))}
    env.update({"ANSIBLE_HOME": str(home), "ANSIBLE_NOCOLOR": "1"})
    if collections_path:
        env.update({"ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "0"})
    return env


def run(cmd, env, cwd, timeout=300):
    proc = subprocess.run([str(part) for part in cmd], cwd=str(cwd), env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert proc.returncode == 0, "%s failed (exit %d)\n%s\n%s" % (" ".join(map(str, cmd)), proc.returncode,
                                                                  proc.stdout[-4000:], proc.stderr[-4000:])
    return proc


def checkout_files(top):
    """Files under ``top`` in the checkout, relative to its root (caches left out)."""
    out = set()
    for directory, dirs, files in os.walk(os.path.join(REPO_ROOT, top)):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        out.update(os.path.relpath(os.path.join(directory, name), REPO_ROOT) for name in files
                   if not name.endswith((".pyc", ".plugin-cache.yaml")))
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", out, REPO_ROOT],
        tool_env(out / "ansible-home"), out)
    tarball = out / ("%s-%s-%s.tar.gz" % (NAMESPACE, NAME, galaxy_version()))
    assert tarball.is_file(), sorted(os.listdir(out))
    return tarball


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory):
    """An empty directory, then the tarball installed into it: the only collections path of the runs below."""
    path = tmp_path_factory.mktemp("collections")
    assert not os.listdir(path)
    run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--offline", "-p", path, built],
        tool_env(path.parent / (path.name + "-home")), path.parent)
    return path


def test_tarball_holds_what_users_need_and_no_development_files(built):
    with tarfile.open(built) as archive:
        members = {m.name for m in archive.getmembers() if m.isfile()}
        manifest = json.load(archive.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["namespace"] == NAMESPACE and manifest["collection_info"]["name"] == NAME
    assert manifest["collection_info"]["version"] == galaxy_version()

    missing = set(SHIPPED_FILES) - members
    for top in SHIPPED_DIRS:
        missing |= checkout_files(top) - members
    assert not missing, "not in the tarball: %s" % sorted(missing)
    unwanted = sorted(m for m in members if m.startswith(NOT_SHIPPED) or "__pycache__" in m or m.endswith(".pyc"))
    assert not unwanted, "development files in the tarball: %s" % unwanted


def test_installed_copy_matches_its_manifest_and_is_the_one_ansible_loads(installed):
    env = tool_env(installed.parent / (installed.name + "-home"), installed)
    verify = run([os.path.join(BIN, "ansible-galaxy"), "collection", "verify", "--offline", FQCN], env, installed)
    assert "Successfully verified" in verify.stdout, verify.stdout

    listed = json.loads(run([os.path.join(BIN, "ansible-galaxy"), "collection", "list", FQCN, "--format", "json"],
                            env, installed).stdout)
    assert listed == {str(installed / "ansible_collections"): {FQCN: {"version": galaxy_version()}}}

    doc = json.loads(run([os.path.join(BIN, "ansible-doc"), "--json", "-t", "module",
                          FQCN + ".virtual_appointment_batch"], env, installed).stdout)
    filename = doc[FQCN + ".virtual_appointment_batch"]["doc"]["filename"]
    assert os.path.realpath(filename).startswith(os.path.realpath(str(installed)) + os.sep), filename


def test_provision_playbook_runs_from_the_installed_copy(installed, emulator, tmp_path):
    inventory = Inventory(tmp_path / "inventory", appointments=12, organizers=2, tenants=2)
    emulator.seed(inventory.seed)
    env = playbook_env(emulator, inventory, tmp_path)
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(installed), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "0"})
    cmd = [os.path.join(BIN, "ansible-playbook"), FQCN + ".provision", "-i", inventory.hosts_file,
           "-e", json.dumps({"virtual_appointments_ledger_dir": str(tmp_path / "ledger"),
                             "virtual_appointments_report_dir": str(tmp_path / "report")})]
    first = run_playbook(cmd, cwd=str(tmp_path), env=env, timeout=300)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]

    # The emulator holds exactly the inventory: one meeting per appointment, for its organizer, with its appointment.
    users = {user["upn"]: (tenant["id"], user["id"])
             for tenant in inventory.seed["tenants"] for user in tenant["users"]}
    wanted = {}
    for host in inventory.hosts():
        data = inventory.host_vars(host)
        for item in data["virtual_appointments"]:
            wanted[(users[data["virtual_appointments_organizer"]], item["external_id"])] = item
    meetings = {((tenant["id"], meeting["organizerUserId"]), meeting["externalId"]): meeting
                for tenant in emulator.state()["tenants"] for meeting in tenant["meetings"]}
    assert len(wanted) == 12 and set(meetings) == set(wanted)
    for key, item in wanted.items():
        meeting = meetings[key]
        assert meeting["subject"] == item["subject"], key
        appointment = meeting["virtualAppointment"]
        assert appointment is not None, key
        assert appointment["externalAppointmentUrl"] == item["external_appointment_url"], key
        assert sorted(c["emailAddress"] for c in appointment["appointmentClients"]) == \
            sorted(c["email_address"] for c in item["appointment_clients"]), key
    with open(tmp_path / "report" / "report.json", encoding="utf-8") as handle:
        assert json.load(handle)["summary"]["created"] == 12

    # Idempotent from the installed copy too: the second run writes nothing.
    writes = emulator.metrics()["writes"]
    again = subprocess.run(cmd, cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-4000:]
    assert emulator.metrics()["writes"] == writes


def test_execution_environment_gets_the_collection_requirements(installed, built, tmp_path):
    env = tool_env(tmp_path / "ansible-home")
    # What an EE build does inside the image once the collection is installed: read meta/execution-environment.yml.
    introspected = yaml.safe_load(run([os.path.join(BIN, "ansible-builder"), "introspect", "--sanitize",
                                       installed], env, tmp_path).stdout)
    with open(os.path.join(REPO_ROOT, "requirements.txt"), encoding="utf-8") as handle:
        requirements = [line.strip() for line in handle if line.strip() and not line.startswith("#")]
    python = introspected["python"]
    assert requirements and all(any(line.startswith(req.split(">=")[0]) and FQCN in line for line in python)
                                for req in requirements), introspected
    assert not introspected.get("system"), introspected

    # An EE definition that installs this collection (from the built tarball) is accepted by ansible-builder create.
    definition = {
        "version": 3,
        "images": {"base_image": {"name": "quay.io/fedora/python-312:latest"}},
        "dependencies": {
            "python_interpreter": {"python_path": "/usr/bin/python3"},
            "ansible_core": {"package_pip": "ansible-core>=2.16"},
            "ansible_runner": {"package_pip": "ansible-runner"},
            "galaxy": {"collections": [{"name": "collections/" + built.name, "type": "file"}]},
        },
        "additional_build_files": [{"src": str(built), "dest": "collections"}],
    }
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump(definition), encoding="utf-8")
    created = run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
                   "--output-filename", "Containerfile"],
                  env, tmp_path)
    assert "Complete!" in created.stdout, created.stdout
    containerfile = (tmp_path / "context" / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile and "introspect" in containerfile, containerfile
    with open(tmp_path / "context" / "_build" / "requirements.yml", encoding="utf-8") as handle:
        assert yaml.safe_load(handle)["collections"] == definition["dependencies"]["galaxy"]["collections"]
    assert (tmp_path / "context" / "_build" / "collections" / built.name).is_file()
