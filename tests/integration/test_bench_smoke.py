"""Smoke test of make bench (tests/bench/collection_bench.py): every scenario runs at tiny N and its counts hold.

Speed is never asserted here - only that the bench runs end to end (the role, the uri loop, the single-item module
loop), that the Graph request counts stay within the issue's formulas, that no-op re-runs write nothing, that a
changed re-run writes exactly the changed items, and that the table and the chart are written.
"""

import os

import pytest

from tests.bench import collection_bench as bench_mod

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """One tiny run of every scenario (2 organizers in 2 tenants), shared by the tests below."""
    workdir = str(tmp_path_factory.mktemp("collection-bench"))
    results = bench_mod.Results(organizers=2, tenants=2, approach_c="smoke")
    with bench_mod.Bench(workdir, latency_ms=0, verbose=False) as bench:
        bench_mod.scale(bench, results, workdir, 20)
        bench_mod.side_by_side(bench, results, workdir, 3)
        bench_mod.large(bench, results, workdir, 40)
        bench_mod.curve(bench, results, workdir, role_ns=(10,), loop_ns=())
    out_dir = os.path.join(workdir, "results")
    text = bench_mod.write_results(results, out_dir, runtime_s=0.0, latency_ms=0)
    return results, out_dir, text


def test_request_budgets_and_writes_hold(smoke):
    results = smoke[0]
    failed = results.failed(kinds=("count",))
    assert not failed, failed
    names = [check["name"] for check in results.checks if check["kind"] == "count"]
    assert any("ceil(3N/20)+10" in name for name in names)
    assert any("ceil(2N/20)+10" in name for name in names)
    assert any("writes exactly those" in name for name in names)


def test_formulas():
    # ceil(3N/20)+10 and ceil(2N/20)+10, plus one request per organizer (6): the read of its object ID.
    assert bench_mod.ORGANIZERS == 6
    assert bench_mod.first_budget(1000) == 166
    assert bench_mod.noop_budget(1000) == 116
    assert bench_mod.noop_budget(1) == 17


def test_changed_rerun_patches_only_the_changed_items(smoke):
    results = smoke[0]
    changed = results.scale["changed"]
    assert len(results.changed_ids) == 2
    assert changed.writes == 2
    assert changed.routes("PATCH") == 2
    assert changed.routes("PUT") == changed.routes("DELETE") == 0


def test_the_three_approaches_ran_the_no_op(smoke):
    side = smoke[0].side
    for key in ("uri", "modules", "role"):
        assert side[key].writes == 0, key
        assert side[key].requests > 0, key
    assert side["uri"].tokens == 2  # one per tenant
    assert side["modules"].tokens == 2 * side["n"]  # every module task signs in
    assert side["uri"].requests == 2 * side["n"]  # createOrGet + GET per item
    for key in ("uri", "modules", "role"):
        assert side[key].pss_mb > 0 and side[key].largest_mb > 0, key


def test_table_and_chart_written(smoke):
    dummy, out_dir, text = smoke
    assert "## N=3: the same no-op re-run, three ways" in text
    assert "(a) ansible.builtin.uri loop" in text
    for name in ("collection.md", "collection.json", "collection.png"):
        assert os.path.getsize(os.path.join(out_dir, name)) > 0, name
