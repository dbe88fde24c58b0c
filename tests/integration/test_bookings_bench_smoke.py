"""Smoke test of the Bookings bench (tests/bench/bookings_bench.py): its scenarios run at tiny N and their counts hold.

Speed is never asserted here (the emulator serves Bookings at once: bookings_service_ms 0) - only that the bench runs
end to end (booking_appointment_batch on one host and on two, the loop of booking_appointment both ways), that the
request counts stay within the floor + 5%, that no-op re-runs write nothing, that the changed re-run writes exactly
the changed items, that the state read back holds each external_id once, and that the results are written.
"""

import datetime
import os

import pytest

from tests.bench import bookings_bench as bench_mod

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """N=20 in two businesses (first, no-op, 10% changed) and the loop at N=2, shared by the tests below."""
    workdir = str(tmp_path_factory.mktemp("bookings-bench"))
    results = bench_mod.Results(service_ms=0, quick=True)
    with bench_mod.BookingsBench(workdir, service_ms=0, verbose=False) as bench:
        bench_mod.scenario(bench, results, workdir, 20, 2)
        bench_mod.loops(bench, results, workdir, 2)
    out_dir = os.path.join(workdir, "results")
    text = bench_mod.write_results(results, out_dir, runtime_s=0.0)
    return results, out_dir, text


def test_counts_hold(smoke):
    results = smoke[0]
    failed = results.failed(kinds=("count",))
    assert not failed, failed
    names = [check["name"] for check in results.checks if check["kind"] == "count"]
    assert any("Graph HTTP requests <= as spread + 5%" in name for name in names)
    assert any("Bookings requests (top-level and $batch items) <= floor + 5%" in name for name in names)
    assert any("each external_id once" in name for name in names)


def test_runs_match_the_floor_counts(smoke):
    by_label = {entry["label"]: entry for entry in smoke[0].scenarios}
    first, noop, changed = by_label["first provision"], by_label["no-op re-run"], by_label["10% changed"]
    for entry in (first, noop, changed):
        assert entry["run"].returncode == 0
        assert entry["run"].tokens == 2  # one sign-in per business (host)
        assert entry["state"] == {"appointments": 20, "duplicates": 0, "missing": 0, "stray": 0}
    assert first["run"].writes == 20 and noop["run"].writes == 0
    assert changed["run"].writes == changed["run"].routes("PATCH") == 2  # 10% of 10 per business, one PATCH each
    assert noop["run"].requests == noop["floor"]["http"]
    assert bench_mod.bookings_requests(noop["run"]) == noop["floor"]["ops"]


def test_loops_ran_the_no_op(smoke):
    loops = smoke[0].loops
    assert loops["n"] == 2
    for key in ("batch", "appointment_id", "external_id"):
        assert loops[key].returncode == 0 and loops[key].writes == 0, key
    assert loops["appointment_id"].tokens == loops["external_id"].tokens == 2  # every task signs in
    assert loops["batch"].tokens == 1


def test_results_written(smoke):
    _results, out_dir, text = smoke
    assert "## booking_appointment_batch" in text and "as a loop of booking_appointment tasks" in text
    for name in ("bookings.md", "bookings.json"):
        assert os.path.getsize(os.path.join(out_dir, name)) > 0, name


def test_floor_formula():
    # 1,000 listed, all read by ID (customers), no write: 10 pages; Bookings requests 3 + 10 + 1000; 10 x 50 ms +
    # 1000 x 50 ms / 4.  HTTP with every call full: 1 + 10 + 50; as spread: the reference read in 3 calls, each slice
    # of 500 GETs in 28 (7 rounds of 4 calls of 17 or 18).
    bound = bench_mod.floor({"a": (1000, 1000, 0)}, 50, {"a": 1000})
    assert (bound["http_fewest"], bound["http"], bound["ops"], bound["tokens"]) == (61, 3 + 10 + 56, 1013, 1)
    assert bound["seconds"] == pytest.approx(13.0)
    # An empty list is still one request; businesses run in parallel (the largest), counts add up.
    bound = bench_mod.floor({"a": (0, 0, 1000), "b": (0, 0, 250)}, 50, {"a": 1000, "b": 250})
    assert (bound["http_fewest"], bound["ops"], bound["tokens"]) == (52 + 15, 1004 + 254, 2)
    assert bound["http"] == (3 + 1 + 28 + 28) + (3 + 1 + 16)
    assert bound["seconds"] == pytest.approx(0.05 + 12.5)


def test_data_obeys_graphs_rules_for_application_sign_ins():
    today = datetime.date.today()
    for start, end in bench_mod.slots(5000):
        local = start.astimezone(bench_mod.ZONE)
        assert end - start == datetime.timedelta(minutes=30)
        assert local.weekday() < 5 and 8 <= local.hour and end.astimezone(bench_mod.ZONE).hour * 60 + \
            end.astimezone(bench_mod.ZONE).minute <= 17 * 60
        assert today + datetime.timedelta(days=1) < local.date() <= today + datetime.timedelta(days=365 - 7)


def test_compare_state_finds_duplicates_missing_and_stray():
    items = bench_mod.make_items(3, "X")
    entry = {"appointmentLabel": "external_id:X-00001", "startDateTime": {"dateTime": items[0]["start_date_time"]},
             "endDateTime": {"dateTime": items[0]["end_date_time"]}, "isLocationOnline": True,
             "serviceName": bench_mod.SERVICE, "id": "1"}
    stray = dict(entry, appointmentLabel="external_id:Y", id="2")
    problems, counts = bench_mod.compare_state({"b": items}, {"b": [entry, dict(entry, id="3"), stray]})
    assert counts == {"appointments": 3, "duplicates": 1, "missing": 2, "stray": 1}
    assert any("2 appointments with external_id X-00001" in p for p in problems)
