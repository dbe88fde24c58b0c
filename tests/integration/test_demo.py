"""The sign-in of ``make demo``'s part 2 (tools/demo.py): today's flow signs each organizer of examples/inventory in as
themselves through a temporary extra inventory source written from the emulator seed (``sign_in_overlay``). Cheap
checks, no emulator and no playbook: the overlay gives every organizer host its own user and the tenant's public
client, and Ansible (``ansible-inventory`` with both sources) gives each host that sign-in over the tenant app's in
group_vars/<tenant>.yml. The demo itself runs with ``make demo``; it is not run here (it takes about 40 s)."""

import importlib.util
import json
import os
import stat
import subprocess
import sys

from tests.graph_emulator.process import REPO_ROOT

INVENTORY = os.path.join(REPO_ROOT, "examples", "inventory")


def load_demo():
    spec = importlib.util.spec_from_file_location("tools_demo", os.path.join(REPO_ROOT, "tools", "demo.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_demos_sign_in_overlay_signs_each_organizer_in_as_themselves(tmp_path, capsys):
    demo = load_demo()
    overlay = tmp_path / "sign-in.yml"
    connections = demo.sign_in_overlay(str(overlay))
    capsys.readouterr()
    assert stat.S_IMODE(os.stat(overlay).st_mode) == 0o600  # it holds passwords
    with open(os.path.join(INVENTORY, "emulator-seed.json"), encoding="utf-8") as handle:
        tenants = {tenant["id"]: tenant for tenant in json.load(handle)["tenants"]}
    organizers = demo.organizers()
    assert sorted(connections) == sorted(host for host, dummy, dummy2, dummy3 in organizers) and len(organizers) == 6
    for host, key, upn, dummy in organizers:
        connection = connections[host]
        tenant = tenants[connection["tenant_id"]]
        user = next(user for user in tenant["users"] if user["upn"] == connection["username"])
        assert tenant["example"]["key"] == key and user["upn"].lower() == upn.lower(), (host, connection)
        assert connection == {"auth_method": "username_password", "tenant_id": tenant["id"],
                              "client_id": tenant["example"]["public_client_id"], "username": user["upn"],
                              "password": user["password"]}
        assert [app["public"] for app in tenant["apps"] if app["client_id"] == connection["client_id"]] == [True]

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "CLOUDCOMMS_", "ANSIBLE_"))}
    env.update({"ANSIBLE_HOME": str(tmp_path / "ansible-home"), "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
                "ANSIBLE_NOCOLOR": "1"})
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "--list",
                           "-i", os.path.join(INVENTORY, "hosts.yml"), "-i", str(overlay)],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    hostvars = json.loads(proc.stdout)["_meta"]["hostvars"]
    for host, connection in connections.items():
        assert hostvars[host]["virtual_appointments_connection"] == connection, host
        assert hostvars[host]["virtual_appointments_appointment_resource"] is False
        assert hostvars[host]["virtual_appointments_include_join_web_url"] is True
        assert len(hostvars[host]["virtual_appointments"]) == 50
