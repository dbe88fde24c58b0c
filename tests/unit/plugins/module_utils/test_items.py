"""items.py: the batch's items from the task, an export file and the ledger, each named in every message."""

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import items
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.ledger import with_ledger
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ValidationError

ADELE = "adele.vance@contoso.onmicrosoft.com"
DIEGO = "diego.siciliani@contoso.onmicrosoft.com"
TIMES = {"start_date_time": "2026-12-01T10:00:00+01:00", "end_date_time": "2026-12-01T10:30:00+01:00"}


def ledger(**entries):
    return {"format": 1, "host": "h", "tenant": "t",
            "appointments": {k: {"online_meeting_id": v[0], "user": v[1]} for k, v in entries.items()}}


def entries(*given):
    return items.entries_of("appointments", list(given))


def items_of(pairs):
    return [item for dummy, item in pairs]


def test_labels_name_the_source_the_index_and_the_external_id():
    assert items.label("appointments", 3, {"external_id": "A-1"}) == "appointments[3] (external_id A-1)"
    assert items.label("appointments", 0, "junk") == "appointments[0]"
    assert items.label("appointments", 0, {"external_id": 5}) == "appointments[0]"


def test_ledger_gives_meeting_ids_for_the_same_external_id_and_organizer():
    known = ledger(**{"A-1": ("m1", ADELE.upper()), "A-3": ("m3", ADELE), "A-4": ("m4", ADELE)})
    given = entries({"external_id": "A-1", "user": ADELE}, {"external_id": "A-2", "user": ADELE},
                    {"external_id": "A-3", "user": DIEGO},
                    {"external_id": "A-4", "user": ADELE, "online_meeting_id": "given"})
    out = with_ledger(given, known)
    assert items_of(out) == [{"external_id": "A-1", "user": ADELE, "online_meeting_id": "m1"},
                             {"external_id": "A-2", "user": ADELE},
                             {"external_id": "A-3", "user": DIEGO},  # another organizer: not the ledger's meeting
                             {"external_id": "A-4", "user": ADELE, "online_meeting_id": "given"}]
    assert given[0][1] == {"external_id": "A-1", "user": ADELE}  # copied, never changed
    assert out[0][0] == "appointments[0] (external_id A-1)"


def test_purge_appends_only_what_the_ledger_lists_and_the_items_do_not():
    known = ledger(**{"A-1": ("m1", ADELE), "A-9": ("m9", ADELE), "B-1": ("b1", DIEGO)})
    out = with_ledger(entries({"external_id": "A-1", "user": ADELE}, {"external_id": "NEW", "user": ADELE}),
                      known, purge=True)
    assert out[2:] == [("ledger[A-9] (purge)", {"external_id": "A-9", "user": ADELE, "online_meeting_id": "m9",
                                                "state": "absent"}),
                       ("ledger[B-1] (purge)", {"external_id": "B-1", "user": DIEGO, "online_meeting_id": "b1",
                                                "state": "absent"})]
    assert len(with_ledger(entries({"external_id": "A-1", "user": ADELE}), known)) == 1


def test_an_item_moved_to_another_organizer_is_purged_from_the_old_one():
    out = with_ledger(entries({"external_id": "A-1", "user": DIEGO}), ledger(**{"A-1": ("m1", ADELE)}), True)
    assert items_of(out) == [{"external_id": "A-1", "user": DIEGO},
                             {"external_id": "A-1", "user": ADELE, "online_meeting_id": "m1", "state": "absent"}]


def test_decommission_is_purge_without_items():
    out = with_ledger([], ledger(**{"A-2": ("m2", ADELE), "A-1": ("m1", ADELE)}), purge=True)
    assert items_of(out) == [{"external_id": "A-1", "user": ADELE, "online_meeting_id": "m1", "state": "absent"},
                             {"external_id": "A-2", "user": ADELE, "online_meeting_id": "m2", "state": "absent"}]
    # the bare mapping works as well as the whole ledger document
    assert with_ledger([], ledger(A=("m", ADELE))["appointments"], purge=True)[0][1]["online_meeting_id"] == "m"


def test_with_a_ledger_an_external_id_names_one_appointment():
    with pytest.raises(ValidationError, match="A-1 each appear for several organizers"):
        with_ledger(entries({"external_id": "A-1", "user": ADELE}, {"external_id": "A-1", "user": DIEGO}), {})


@pytest.mark.parametrize("bad, message", [
    (["x"], "ledger: must be a mapping"),
    ({"format": 1, "appointments": ["x"]}, "not a virtual_appointments ledger"),
    ({"format": 1, "appointments": {"A-1": {"user": ADELE}}}, r"ledger.A-1: must be a mapping with online_meeting_id"),
    ({"A-1": {"online_meeting_id": 5}}, r"ledger.A-1: must be a mapping with online_meeting_id"),
])
def test_a_corrupt_ledger_is_an_error(bad, message):
    with pytest.raises(ValidationError, match=message):
        with_ledger([], bad)


def test_validate_lists_every_problem_and_duplicates_per_organizer():
    problems = items.validate(entries({"external_id": "A-1", "user": ADELE}, {"user": ADELE},
                                      {"external_id": "a-1", "user": ADELE}, {"external_id": "A-1", "user": DIEGO},
                                      {"external_id": "A-1", "user": ADELE.upper()}, {"external_id": "X", "state": "gone"}))
    assert problems == [
        "appointments[1].external_id: required",
        "appointments[5] (external_id X).state: must be present or absent, got 'gone'",
        "appointments[4] (external_id A-1).external_id: A-1 is also appointments[0] for the same organizer"]
