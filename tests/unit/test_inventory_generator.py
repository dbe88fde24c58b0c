"""examples/inventory/generate.py: deterministic, realistic, the shape the role and the emulator expect, and the
checked-in example is what the generator makes."""

import datetime
import filecmp
import importlib.util
import json
import os
import re

import pytest
import yaml

from tests.graph_emulator.directory import Directory
from tests.graph_emulator.process import REPO_ROOT

EXAMPLE = os.path.join(REPO_ROOT, "examples", "inventory")


@pytest.fixture(scope="module")
def generator():
    spec = importlib.util.spec_from_file_location("inventory_generator", os.path.join(EXAMPLE, "generate.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_tree(root):
    out = {}
    for directory, dummy, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            with open(path, encoding="utf-8") as handle:
                out[os.path.relpath(path, root)] = handle.read()
    return out


def test_the_checked_in_example_is_what_the_generator_makes(generator, tmp_path):
    generator.main(["--out", str(tmp_path)])
    made = read_tree(tmp_path)
    assert sorted(made) == sorted(["hosts.yml", "emulator-seed.json", "group_vars/all.yml", "group_vars/contoso.yml",
                                   "group_vars/fabrikam.yml"] + ["host_vars/%s" % n for n in
                                                                 os.listdir(os.path.join(EXAMPLE, "host_vars"))])
    for name in made:
        assert filecmp.cmp(os.path.join(tmp_path, name), os.path.join(EXAMPLE, name), shallow=False), name


def test_shape_and_realism(generator, tmp_path):
    generator.generate(1000, 7, 3, str(tmp_path), "2026-12-07")
    hosts = yaml.safe_load((tmp_path / "hosts.yml").read_text())
    tenants = hosts["all"]["children"]["virtual_appointments_tenants"]["children"]
    assert list(tenants) == ["contoso", "fabrikam", "northwind"]
    organizers = [h for t in tenants.values() for h in t["hosts"]]
    assert len(organizers) == 7
    seed = json.loads((tmp_path / "emulator-seed.json").read_text())
    Directory().load(seed)  # the emulator accepts it
    total = 0
    for tenant_key, group in tenants.items():
        group_vars = (tmp_path / "group_vars" / (tenant_key + ".yml")).read_text()
        assert "lookup('ansible.builtin.env', '%s_CLIENT_SECRET'" % tenant_key.upper() in group_vars
        tenant = next(t for t in seed["tenants"] if t["example"]["key"] == tenant_key)
        assert tenant["apps"][0]["secrets"][0] not in group_vars
        upns = {u["upn"] for u in tenant["users"]}
        assert tenant["access_policies"][0]["users"] == [u["id"] for u in tenant["users"]]
        for host in group["hosts"]:
            data = yaml.safe_load((tmp_path / "host_vars" / (host + ".yml")).read_text())
            assert data["virtual_appointments_organizer"] in upns
            ids = [item["external_id"] for item in data["virtual_appointments"]]
            assert len(ids) == len(set(ids))
            previous_end = None
            for item in data["virtual_appointments"]:
                total += 1
                assert re.match(r"^[A-Z]{3}-\d{6}$", item["external_id"])
                assert item["external_appointment_url"].endswith("/appointments/" + item["external_id"])
                start = datetime.datetime.fromisoformat(item["start_date_time"])
                end = datetime.datetime.fromisoformat(item["end_date_time"])
                assert isinstance(item["start_date_time"], str) and start.utcoffset() is not None
                assert start.weekday() < 5 and 9 * 60 <= start.hour * 60 + start.minute
                assert end.hour * 60 + end.minute <= 17 * 60 and (end - start).seconds // 60 in (30, 45, 60)
                assert previous_end is None or start >= previous_end  # one organizer, no overlaps
                previous_end = end
                for client in item["appointment_clients"]:
                    assert re.match(r"^[a-z-]+\.[a-z]+@(mail\.)?example\.(com|net|org)$", client["email_address"])
                    if "sms_capable_phone_number" in client:
                        assert re.match(r"^\+1 \d{3} 555 01\d\d$", client["sms_capable_phone_number"])
    assert total == 1000


def test_deterministic_and_replaces_only_its_own_files(generator, tmp_path):
    generator.generate(50, 4, 2, str(tmp_path / "a"), "2026-12-07")
    generator.generate(50, 4, 2, str(tmp_path / "b"), "2026-12-07")
    assert read_tree(tmp_path / "a") == read_tree(tmp_path / "b")
    mine = tmp_path / "a" / "host_vars" / "mine.yml"
    mine.write_text("---\nvirtual_appointments: []\n")
    generator.generate(10, 2, 2, str(tmp_path / "a"), "2026-12-07")
    expected = ["contoso-adele-vance.yml", "fabrikam-alex-wilber.yml", "mine.yml"]
    assert sorted(os.listdir(tmp_path / "a" / "host_vars")) == expected


@pytest.mark.parametrize("text", ["plain text", "yes", "No", "null", "12", "2026-12-07", "+1 312 555 0101", "a: b",
                                  "x #y", "ends:", "O'Brien", "https://x.example.com/a?b=c&d=%20", "", " lead", "tab\t",
                                  "quote\"d", "back\\slash", "ünïcode", "-dash", "[list]", "{map}", "*star", "&amp"])
def test_scalars_read_back_as_the_same_string(generator, text):
    assert yaml.safe_load("key: %s\n" % generator.scalar(text)) == {"key": text}


def test_json_host_vars_hold_the_same_data_and_replace_the_yaml(generator, tmp_path):
    generator.generate(40, 2, 2, str(tmp_path / "y"), "2026-12-07")
    generator.generate(40, 2, 2, str(tmp_path / "j"), "2026-12-07", host_vars_format="json")
    generator.generate(40, 2, 2, str(tmp_path / "y"), "2026-12-07", host_vars_format="json")
    assert read_tree(tmp_path / "y") == read_tree(tmp_path / "j")
    for host in ("contoso-adele-vance", "fabrikam-alex-wilber"):
        data = json.loads((tmp_path / "j" / "host_vars" / (host + ".json")).read_text())
        assert data.pop("virtual_appointments_generated_by").startswith("examples/inventory/generate.py")
        generator.generate(40, 2, 2, str(tmp_path / "y2"), "2026-12-07")
        assert data == yaml.safe_load((tmp_path / "y2" / "host_vars" / (host + ".yml")).read_text())


def test_bad_sizes_are_refused(generator, tmp_path):
    with pytest.raises(ValueError):
        generator.generate(10, 1, 2, str(tmp_path), "2026-12-07")
    with pytest.raises(ValueError):
        generator.generate(10, 2, 2, str(tmp_path), "2026-12-07", host_vars_format="toml")
