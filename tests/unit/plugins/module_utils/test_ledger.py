"""ledger.py: the ledger file, the recorder hook of the engine's write function, purge and its guard, organizers
under two spellings."""

import json
import os
import stat

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import items, ledger
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult

ADELE = "adele.vance@contoso.onmicrosoft.com"
ADELE_ID = "25358052-c237-5d6c-9663-c408c103a87b"
DIEGO = "diego.siciliani@contoso.onmicrosoft.com"


def doc(**entries):
    return {"format": 1, "appointments": {k: dict(zip(("online_meeting_id", "user"), v)) for k, v in entries.items()}}


def entries(*given):
    return items.entries_of("appointments", list(given))


def purge_items(out):
    return [item["external_id"] for name, item in out if name.endswith("(purge)")]


@pytest.mark.parametrize("limit, expected", [("50%", ("percent", 50.0)), ("10", ("count", 10.0)),
                                             (" 100% ", ("percent", 100.0)), (0, ("count", 0.0))])
def test_purge_limit_is_a_count_or_a_percent(limit, expected):
    assert ledger.parse_limit(limit) == (expected, None)


@pytest.mark.parametrize("limit", ["half", "150%", "-1", "1.5", "", None])
def test_a_bad_purge_limit_is_named(limit):
    parsed, problem = ledger.parse_limit(limit)
    assert parsed is None and problem.startswith("purge_limit: must be a count")


def test_purge_of_an_organizer_the_task_gives_nothing_for_is_refused_unless_purge_all():
    known = doc(**{"A-%d" % n: ("m%d" % n, ADELE) for n in range(4)}, **{"B-1": ("b1", DIEGO)})
    given = entries({"external_id": "B-1", "user": DIEGO})
    out = ledger.with_ledger(given, known, purge=True)
    problems = ledger.purge_guard(out, known)
    assert len(problems) == 1
    assert "no appointment for organizer %s" % ADELE in problems[0]
    assert "all 4 of the 4 appointments" in problems[0] and "purge_all: true" in problems[0]
    assert ledger.purge_guard(out, known, purge_all=True) == []


def test_purge_beyond_the_limit_is_refused_saying_how_many_of_how_many():
    known = doc(**{"A-%d" % n: ("m%d" % n, ADELE) for n in range(10)})
    keep = entries(*({"external_id": "A-%d" % n, "user": ADELE} for n in range(4)))
    out = ledger.with_ledger(keep, known, purge=True)
    assert len(purge_items(out)) == 6
    problems = ledger.purge_guard(out, known)
    assert problems and "would delete 6 of the 10 appointments the ledger lists for organizer %s" % ADELE \
        in problems[0] and "purge_limit 50%" in problems[0]
    assert ledger.purge_guard(out, known, limit="60%") == []
    assert ledger.purge_guard(out, known, limit="6") == []
    assert ledger.purge_guard(out, known, limit="5") != []
    # one of two (50%, rounded up) is fine; so is one of one when the organizer still has other items
    small = doc(**{"A-1": ("m1", ADELE)})
    assert ledger.purge_guard(ledger.with_ledger(entries({"external_id": "N", "user": ADELE}), small, True),
                              small) == []


def test_pending_entries_give_no_meeting_id_and_are_purged_as_pending():
    known = doc(**{"A-1": (None, ADELE), "A-2": (None, ADELE), "A-3": ("m3", ADELE)})
    out = ledger.with_ledger(entries({"external_id": "A-1", "user": ADELE}, {"external_id": "A-3", "user": ADELE}),
                             known, purge=True)
    assert out[0][1] == {"external_id": "A-1", "user": ADELE}
    assert out[2] == ("ledger[A-2] (purge)", {"external_id": "A-2", "user": ADELE, "online_meeting_id": None,
                                              "state": "absent", "pending": True})


def test_an_organizer_by_upn_and_by_object_id_is_one_when_the_ledger_knows_its_id():
    known = {"format": 1, "appointments": {
        "A-1": {"online_meeting_id": "m1", "user": ADELE, "organizer_id": ADELE_ID},
        "A-2": {"online_meeting_id": "m2", "user": ADELE, "organizer_id": ADELE_ID}}}
    out = ledger.with_ledger(entries({"external_id": "A-1", "user": ADELE_ID}, {"external_id": "A-2", "user": ADELE}),
                             known, purge=True)
    assert [item.get("online_meeting_id") for dummy, item in out] == ["m1", "m2"]  # nothing purged
    assert ledger.not_purged(entries({"external_id": "A-1", "user": ADELE_ID.upper()}), known) == [
        {"external_id": "A-2", "user": ADELE, "online_meeting_id": "m2"}]
    # the same appointment under both spellings in one task is refused, naming both
    with pytest.raises(ValidationError, match="A-1 each appear for several organizers") as info:
        ledger.with_ledger(entries({"external_id": "A-1", "user": ADELE_ID}, {"external_id": "A-1", "user": DIEGO}),
                           known)
    assert ADELE_ID in str(info.value) and DIEGO in str(info.value)


def test_a_mix_the_ledger_cannot_tell_apart_is_refused_naming_both_spellings():
    with pytest.raises(ValidationError) as info:
        ledger.with_ledger(entries({"external_id": "A-1", "user": ADELE_ID}), doc(**{"A-1": ("m1", ADELE)}), True)
    message = str(info.value)
    assert ADELE in message and ADELE_ID in message and "two spellings" in message
    assert message.startswith("appointments[0] (external_id A-1).user: ")
    # another UPN is another organizer (the appointment moved): its old meeting is purged, as before
    out = ledger.with_ledger(entries({"external_id": "A-1", "user": DIEGO}), doc(**{"A-1": ("m1", ADELE)}), True)
    assert purge_items(out) == ["A-1"]


def test_a_truncated_or_hand_edited_ledger_file_names_the_path_and_the_entry(tmp_path):
    path = tmp_path / "ledger.json"
    path.write_text('{"format": 1, "appointments": {"A-1": {"online_meeting_id": "m1", "us', encoding="utf-8")
    with pytest.raises(ValidationError, match="%s: not a valid ledger .*truncated or was edited by hand" % path):
        ledger.LedgerFile(str(path))
    path.write_text(json.dumps(doc(**{"A-1": ("m1", ADELE), "A-2": (7, ADELE)})), encoding="utf-8")
    with pytest.raises(ValidationError, match=r"%s\.A-2: must be a mapping with online_meeting_id and user, got "
                       r"\{\"online_meeting_id\": 7" % path):
        ledger.LedgerFile(str(path))
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(ValidationError, match="not a virtual_appointments ledger"):
        ledger.LedgerFile(str(path))


def op_create(external_id, user=ADELE):
    return {"method": "POST", "path": "/users/%s/onlineMeetings/createOrGet" % user.replace("@", "%40"),
            "body": {"externalId": external_id}, "predict": (201, {})}


def test_the_recorder_records_before_the_create_and_the_meeting_after_then_drops_deleted(tmp_path):
    path = tmp_path / "tenant" / "host.json"
    book = ledger.LedgerFile(str(path), {"host": "h", "tenant": "t"})
    recorder = ledger.Recorder(book)
    ops = [op_create("A-1"), op_create("A-2")]
    recorder.before(ops)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved == {"format": 1, "host": "h", "tenant": "t", "appointments": {
        "A-1": {"online_meeting_id": None, "user": ADELE}, "A-2": {"online_meeting_id": None, "user": ADELE}}}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) & 0o077 == 0
    body = {"id": "m1", "participants": {"organizer": {"identity": {"user": {"id": ADELE_ID}}}}}
    recorder.after(ops, [BatchResult(201, {}, body), BatchResult(500, {}, {"error": {}})])
    saved = json.loads(path.read_text(encoding="utf-8"))["appointments"]
    assert saved["A-1"] == {"online_meeting_id": "m1", "user": ADELE, "organizer_id": ADELE_ID}
    assert saved["A-2"] == {"online_meeting_id": None, "user": ADELE}  # its answer was lost: still pending
    delete = {"method": "DELETE", "path": "/users/%s/onlineMeetings/m1" % ADELE_ID}
    recorder.after([delete], [BatchResult(204, {}, None)])
    assert list(ledger.LedgerFile(str(path)).entries) == ["A-2"]
    assert ledger.LedgerFile(str(path)).labels == {"host": "h", "tenant": "t"}
