"""plan.py: the batch's items from the task, an export file and the ledger, each named in every message."""

import json

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import exports, plan
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError

ADELE = "adele.vance@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@contoso.onmicrosoft.com"
TIMES = {"start_date_time": "2026-12-01T10:00:00+01:00", "end_date_time": "2026-12-01T10:30:00+01:00"}


def ledger(**entries):
    return {"format": 1, "host": "h", "tenant": "t",
            "appointments": {k: {"online_meeting_id": v[0], "user": v[1]} for k, v in entries.items()}}


def entries(*items):
    return plan.entries_of("appointments", list(items))


def items_of(pairs):
    return [item for dummy, item in pairs]


def test_labels_name_the_source_the_index_and_the_external_id():
    assert plan.label("appointments", 3, {"external_id": "A-1"}) == "appointments[3] (external_id A-1)"
    assert plan.label("appointments", 0, "junk") == "appointments[0]"
    assert plan.label("appointments", 0, {"external_id": 5}) == "appointments[0]"


def test_ledger_gives_meeting_ids_for_the_same_external_id_and_organizer():
    known = ledger(**{"A-1": ("m1", ADELE.upper()), "A-3": ("m3", ADELE), "A-4": ("m4", ADELE)})
    given = entries({"external_id": "A-1", "user": ADELE}, {"external_id": "A-2", "user": ADELE},
                    {"external_id": "A-3", "user": DIEGO},
                    {"external_id": "A-4", "user": ADELE, "online_meeting_id": "given"})
    out = plan.with_ledger(given, known)
    assert items_of(out) == [{"external_id": "A-1", "user": ADELE, "online_meeting_id": "m1"},
                             {"external_id": "A-2", "user": ADELE},
                             {"external_id": "A-3", "user": DIEGO},  # another organizer: not the ledger's meeting
                             {"external_id": "A-4", "user": ADELE, "online_meeting_id": "given"}]
    assert given[0][1] == {"external_id": "A-1", "user": ADELE}  # copied, never changed
    assert out[0][0] == "appointments[0] (external_id A-1)"


def test_purge_appends_only_what_the_ledger_lists_and_the_items_do_not():
    known = ledger(**{"A-1": ("m1", ADELE), "A-9": ("m9", ADELE), "B-1": ("b1", DIEGO)})
    out = plan.with_ledger(entries({"external_id": "A-1", "user": ADELE}, {"external_id": "NEW", "user": ADELE}),
                           known, purge=True)
    assert out[2:] == [("ledger[A-9] (purge)", {"external_id": "A-9", "user": ADELE, "online_meeting_id": "m9",
                                                "state": "absent"}),
                       ("ledger[B-1] (purge)", {"external_id": "B-1", "user": DIEGO, "online_meeting_id": "b1",
                                                "state": "absent"})]
    assert len(plan.with_ledger(entries({"external_id": "A-1", "user": ADELE}), known)) == 1


def test_an_item_moved_to_another_organizer_is_purged_from_the_old_one():
    out = plan.with_ledger(entries({"external_id": "A-1", "user": DIEGO}), ledger(**{"A-1": ("m1", ADELE)}), True)
    assert items_of(out) == [{"external_id": "A-1", "user": DIEGO},
                             {"external_id": "A-1", "user": ADELE, "online_meeting_id": "m1", "state": "absent"}]


def test_decommission_is_purge_without_items():
    out = plan.with_ledger([], ledger(**{"A-2": ("m2", ADELE), "A-1": ("m1", ADELE)}), purge=True)
    assert items_of(out) == [{"external_id": "A-1", "user": ADELE, "online_meeting_id": "m1", "state": "absent"},
                             {"external_id": "A-2", "user": ADELE, "online_meeting_id": "m2", "state": "absent"}]
    # the bare mapping works as well as the whole ledger document
    assert plan.with_ledger([], ledger(A=("m", ADELE))["appointments"], purge=True)[0][1]["online_meeting_id"] == "m"


def test_with_a_ledger_an_external_id_names_one_appointment():
    with pytest.raises(ValidationError, match="A-1 each appear for several organizers"):
        plan.with_ledger(entries({"external_id": "A-1", "user": ADELE}, {"external_id": "A-1", "user": DIEGO}), {})


@pytest.mark.parametrize("bad, message", [
    (["x"], "ledger: must be a mapping"),
    ({"format": 1, "appointments": ["x"]}, "not a virtual_appointments ledger"),
    ({"format": 1, "appointments": {"A-1": {"user": ADELE}}}, r"ledger.A-1: must be a mapping with online_meeting_id"),
    ({"A-1": {"online_meeting_id": 5}}, r"ledger.A-1: must be a mapping with online_meeting_id"),
])
def test_a_corrupt_ledger_is_an_error(bad, message):
    with pytest.raises(ValidationError, match=message):
        plan.with_ledger([], bad)


def test_validate_lists_every_problem_and_duplicates_per_organizer():
    problems = plan.validate(entries({"external_id": "A-1", "user": ADELE}, {"user": ADELE},
                                     {"external_id": "a-1", "user": ADELE}, {"external_id": "A-1", "user": DIEGO},
                                     {"external_id": "A-1", "user": ADELE.upper()}, {"external_id": "X", "state": "gone"}))
    assert problems == [
        "appointments[1].external_id: required",
        "appointments[5] (external_id X).state: must be present or absent, got 'gone'",
        "appointments[4] (external_id A-1).external_id: A-1 is also appointments[0] for the same organizer"]


def write(tmp_path, name, text, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def test_json_export_shared_by_organizers(tmp_path):
    rows = [dict(TIMES, external_id="A-%d" % n, user=user, subject="s") for n, user in enumerate((ADELE, DIEGO,
                                                                                                 ADELE.upper()))]
    path = write(tmp_path, "export.json", json.dumps({"appointments": rows}))
    taken, source = exports.read_export(path, user=ADELE)
    assert [where for where, dummy in taken] == ["export.json[0] (external_id A-0)", "export.json[2] (external_id A-2)"]
    assert source == {"path": path, "format": "json", "items": 3, "taken": 2,
                      "users": {ADELE: 1, DIEGO: 1, ADELE.upper(): 1}}
    everything, dummy = exports.read_export(path)
    assert len(everything) == 3


def test_yaml_export_and_its_surprises_are_named(tmp_path):
    path = write(tmp_path, "export.yml", "- external_id: no\n  user: %s\n- external_id: B-1\n  user: %s\n"
                 "  start_date_time: 2026-12-01\n" % (ADELE, DIEGO))
    with pytest.raises(ValidationError) as caught:
        exports.read_export(path, user=ADELE)
    text = str(caught.value)
    assert "export.yml[0].external_id: must be a string, got bool" in text
    assert "export.yml[1] (external_id B-1).start_date_time" in text  # another organizer's item is validated too


def test_csv_export_with_json_cells_and_client_columns(tmp_path):
    path = write(tmp_path, "export.csv",
                 "external_id,user,subject,start_date_time,end_date_time,client_display_name,client_email_address,"
                 "settings\n"
                 "A-1,%s,Consult,%s,%s,Grady Archie,gradya@contoso.com,\"{\"\"allow_client_to_join_using_browser\"\": "
                 "true}\"\n"
                 "A-2,%s,,,,,,\n" % (ADELE, TIMES["start_date_time"], TIMES["end_date_time"], DIEGO))
    taken, source = exports.read_export(path, user=ADELE)
    assert taken == [("export.csv line 2 (external_id A-1)", dict(
        TIMES, external_id="A-1", user=ADELE, subject="Consult", settings={"allow_client_to_join_using_browser": True},
        appointment_clients=[{"display_name": "Grady Archie", "email_address": "gradya@contoso.com"}]))]
    assert source["items"] == 2 and source["format"] == "csv"


@pytest.mark.parametrize("name, text, message", [
    ("bad.csv", "external_id,user,settings\nA-1,%s,{not json}\n" % ADELE, "bad.csv line 2 (external_id A-1).settings: not valid JSON"),
    ("bad.csv", "external_id,user\nA-1,%s,extra\n" % ADELE, "bad.csv line 2 (external_id A-1): more cells than the header has columns"),
    ("bad.csv", "external_id,colour\nA-1,red\n", "bad.csv line 2 (external_id A-1): unknown key(s) colour"),
    ("nouser.json", '[{"external_id": "A-1"}]', "nouser.json[0] (external_id A-1).user: required in a file shared"),
    ("dup.json", '[{"external_id": "A-1", "user": "a@x.io"}, {"external_id": "A-1", "user": "A@x.io"}]',
     "dup.json[1] (external_id A-1).external_id: A-1 is also dup.json[0]"),
    ("broken.json", "[{", "broken.json is not valid JSON"),
    ("broken.yml", "- [", "broken.yml is not valid YAML"),
    ("scalar.json", '"A-1"', "must hold a list of appointments"),
])
def test_bad_exports_name_the_file_the_item_and_the_field(tmp_path, name, text, message):
    path = write(tmp_path, name, text)
    with pytest.raises(ValidationError) as caught:
        exports.read_export(path, user=ADELE if name != "dup.json" else "a@x.io")
    assert message in str(caught.value)


def test_unreadable_and_non_utf8_files(tmp_path):
    with pytest.raises(ValidationError, match="cannot read"):
        exports.read_export(str(tmp_path / "missing.json"))
    path = write(tmp_path, "latin1.csv", b"external_id,user,subject\nA-1,a@x.io,Caf\xe9\n", mode="wb")
    with pytest.raises(ValidationError, match=r"latin1.csv is not UTF-8 text \(line 2"):
        exports.read_export(path)


def test_format_by_extension_and_explicit():
    assert exports.export_format("/x/a.CSV") == "csv"
    assert exports.export_format("/x/a.yaml") == "yaml"
    assert exports.export_format("/x/a.txt") == "json"
    assert exports.export_format("/x/a.txt", "csv") == "csv"


@pytest.mark.parametrize("text, count", [
    ('{"generated_by": {"tool": ["x", 1]}, "appointments": [{"external_id": "A-1", "user": "a@x.io"}], "n": 1}', 1),
    ('  [ ]  ', 0),
    ('{"appointments": null}', 0),
    ('null', 0),
    ('{}', 0),
])
def test_json_exports_are_read_item_by_item(tmp_path, text, count):
    taken, source = exports.read_export(write(tmp_path, "e.json", text))
    assert len(taken) == count and source["items"] == count


def test_a_large_json_export_keeps_only_the_organizer_s_items(tmp_path):
    rows = [dict(TIMES, external_id="A-%d" % n, user=(ADELE, DIEGO)[n % 2], subject="s" * 200) for n in range(4000)]
    path = write(tmp_path, "big.json", json.dumps(rows))
    taken, source = exports.read_export(path, user=DIEGO)
    assert len(taken) == 2000 and source["users"] == {ADELE: 2000, DIEGO: 2000}
    assert taken[0][0] == "big.json[1] (external_id A-1)"
