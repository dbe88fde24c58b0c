"""exports.py: scheduling-system export files (JSON, YAML, CSV) read into batch entries, each item named in every
message by the file and its position, before any request."""

import importlib.util
import json
import os

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import exports
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError

ADELE = "adele.vance@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@contoso.onmicrosoft.com"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
TIMES = {"start_date_time": "2026-12-01T10:00:00+01:00", "end_date_time": "2026-12-01T10:30:00+01:00"}


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
    ("bad.csv", "external_id,colour\nA-1,red\n", "bad.csv line 1: unknown column(s) colour; known columns (any "
     "case): external_id, user,"),
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
    ('{"appointments": [{"external_id": "A-1", "user": "a@x.io"}]}', 1),
    (' { "appointments" : [ {"external_id": "A-1", "user": "a@x.io"} , {"external_id": "A-2"} ] } ', 2),
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


# -- issue 10: an export file is data (never templated), its keys and CSV columns are known, each given once --------

@pytest.mark.parametrize("name, text, where", [
    ("jinja.json", json.dumps([dict(TIMES, external_id="J-1", user=ADELE, subject="{{ lookup('env', 'HOME') }}")]),
     "jinja.json[0] (external_id J-1).subject"),
    ("jinja.yml", "- external_id: J-2\n  user: %s\n  appointment_clients:\n    - display_name: \"{%% if x %%}A{%% endif %%}\"\n"
     % ADELE, "jinja.yml[0] (external_id J-2).appointment_clients[0].display_name"),
    ("jinja.csv", "external_id,user,external_appointment_url\nJ-3,%s,https://x.example/{{ id }}\n" % ADELE,
     "jinja.csv line 2 (external_id J-3).external_appointment_url"),
    ("jinja.json", json.dumps([{"external_id": "{{ x }}", "user": ADELE}]), "jinja.json[0] (external_id {{ x }})"
     ".external_id"),
])
def test_jinja_in_an_export_is_refused_naming_the_item_and_the_field(tmp_path, name, text, where):
    with pytest.raises(ValidationError) as caught:
        exports.read_export(write(tmp_path, name, text))
    assert "%s: holds a Jinja template (" % where in str(caught.value)
    assert "an export file is never templated" in str(caught.value)


def test_braces_that_are_not_jinja_are_kept(tmp_path):
    text = json.dumps([dict(TIMES, external_id="B-1", user=ADELE, subject="Follow-up {A} {#1}")])
    taken, dummy = exports.read_export(write(tmp_path, "braces.json", text))
    assert taken[0][1]["subject"] == "Follow-up {A} {#1}"


@pytest.mark.parametrize("name, text, unknown", [
    ("extra.json", '{"generated_by": {"tool": ["x", 1]}, "appointments": [{"external_id": "A-1", "user": "a@x.io"}], '
     '"n": 1}', "generated_by, n"),
    ("typo.json", '{"appointment": [{"external_id": "A-1", "user": "a@x.io"}]}', "appointment"),
    ("extra.yml", "appointments:\n  - external_id: A-1\nversion: 2\n", "version"),
    ("typo.yaml", "Appointments:\n  - external_id: A-1\n", "Appointments"),
])
def test_unknown_top_level_keys_are_errors(tmp_path, name, text, unknown):
    with pytest.raises(ValidationError) as caught:
        exports.read_export(write(tmp_path, name, text))
    assert "appointments_file.path: %s: unknown top-level key(s) %s; a mapping export holds only its appointments " \
        "list" % (name, unknown) in str(caught.value)


def test_appointments_twice_in_a_json_mapping_is_an_error(tmp_path):
    text = '{"appointments": [{"external_id": "A-1", "user": "a@x.io"}], "appointments": []}'
    with pytest.raises(ValidationError, match="twice.json: the key appointments appears twice"):
        exports.read_export(write(tmp_path, "twice.json", text))


@pytest.mark.parametrize("header, message", [
    ("external_id,user,subject,subject", "dup.csv line 1: the column subject appears twice (columns 3 and 4)"),
    ("external_id,user,Subject, SUBJECT ", "dup.csv line 1: the column subject appears twice (columns 3 and 4)"),
    ("external_id,user,client_email_address,client_email_address",
     "dup.csv line 1: the column client_email_address appears twice (columns 3 and 4)"),
])
def test_a_repeated_csv_column_is_refused_naming_it(tmp_path, header, message):
    """The last column used to win: A-1's subject would have been "Second" without a word."""
    text = header + "\nA-1,%s,First,Second\n" % ADELE
    with pytest.raises(ValidationError) as caught:
        exports.read_export(write(tmp_path, "dup.csv", text))
    assert "appointments_file.path: " + message in str(caught.value)


def test_csv_header_names_match_case_insensitively_with_spaces_stripped(tmp_path):
    text = (" External_ID ,USER,Subject,Start_Date_Time,end_date_time ,Client_Email_Address\n"
            "A-1,%s,Consult,%s,%s,gradya@contoso.com\n" % (ADELE, TIMES["start_date_time"], TIMES["end_date_time"]))
    taken, dummy = exports.read_export(write(tmp_path, "case.csv", text), user=ADELE)
    assert taken == [("case.csv line 2 (external_id A-1)", dict(
        TIMES, external_id="A-1", user=ADELE, subject="Consult", appointment_clients=[{"email_address":
                                                                                      "gradya@contoso.com"}]))]


@pytest.mark.parametrize("header, delimiter", [
    ("external_id;user;subject", "';' (semicolon)"),
    ("external_id\tuser\tsubject", "a tab"),
    ("external_id|user|subject", "'|' (pipe)"),
    ("external_id,user;subject", "';' (semicolon)"),
])
def test_a_csv_with_another_delimiter_gets_a_hint(tmp_path, header, delimiter):
    text = header + "\n" + header.replace("external_id", "A-1").replace("user", ADELE).replace("subject", "s") + "\n"
    with pytest.raises(ValidationError) as caught:
        exports.read_export(write(tmp_path, "semi.csv", text))
    message = str(caught.value)
    assert "semi.csv line 1: unknown column(s) " in message
    assert "the header looks separated by %s, not by commas" % delimiter in message


def test_csv_unknown_columns_are_named_without_a_delimiter_hint(tmp_path):
    with pytest.raises(ValidationError) as caught:
        exports.read_export(write(tmp_path, "cols.csv", "external_id,user,colour,Organiser\nA-1,%s,red,x\n" % ADELE))
    message = str(caught.value)
    assert "cols.csv line 1: unknown column(s) colour, Organiser; known columns (any case): external_id" in message
    assert "looks separated" not in message


def test_csv_columns_without_a_name_hold_no_values(tmp_path):
    taken, dummy = exports.read_export(write(tmp_path, "trail.csv", "external_id,user,,\nA-1,%s,,\n\n" % ADELE))
    assert taken == [("trail.csv line 2 (external_id A-1)", {"external_id": "A-1", "user": ADELE})]
    with pytest.raises(ValidationError, match=r"trail.csv line 2 \(external_id A-1\): a value in column 3, which has "
                                              "no name in the header"):
        exports.read_export(write(tmp_path, "trail.csv", "external_id,user,\nA-1,%s,lost\n" % ADELE))


@pytest.mark.parametrize("name, text", [
    ("naive.json", json.dumps([{"external_id": "T-1", "user": ADELE, "start_date_time": "2026-12-01T15:00:00",
                                "end_date_time": "2026-12-01T15:30:00+01:00"}])),
    ("naive.csv", "external_id,user,start_date_time,end_date_time\nT-1,%s,2026-12-01T15:00:00,"
                  "2026-12-01T15:30:00+01:00\n" % ADELE),
    ("naive.yml", "- external_id: T-1\n  user: %s\n  start_date_time: 2026-12-01 15:00:00\n"
                  "  end_date_time: \"2026-12-01T15:30:00+01:00\"\n" % ADELE),
])
def test_a_date_time_without_an_offset_is_refused(tmp_path, name, text):
    with pytest.raises(ValidationError) as caught:
        exports.read_export(write(tmp_path, name, text))
    assert ".start_date_time: needs an offset such as +01:00 or Z" in str(caught.value)
    assert "(external_id T-1).start_date_time" in str(caught.value)


@pytest.mark.parametrize("export", ["json", "csv"])
def test_the_example_generator_s_exports_are_read(tmp_path, export):
    """examples/inventory/generate.py --export json|csv writes what read_export takes: only the appointments key, known
    columns, date-times with their offsets."""
    generator = os.path.join(ROOT, "examples", "inventory", "generate.py")
    spec = importlib.util.spec_from_file_location("inventory_generator", generator)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(12, 3, 2, str(tmp_path), "2026-12-07", export=export)
    taken, source = exports.read_export(str(tmp_path / ("appointments." + export)))
    assert source["items"] == 12 and len(taken) == 12
    assert all(item["start_date_time"][-6] in "+-" for dummy, item in taken)
