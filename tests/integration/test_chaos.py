"""`make chaos` in small (tests/chaos/chaos_run.py): the role provisions 48 appointments through the real
ansible-playbook while the emulator injects the full fault mix - 2% connections dropped after the change, 2% before
it, 10% 429 (Retry-After 1), 5% 503, 1% 500 on writes, into every top-level $batch and every sub-request - and
first-create provisioning (503 for 5 s in each tenant).  The emulator's state must then equal the inventory exactly
(no meeting missing or twice, nothing stray), the ledger must name every meeting, and a re-run with the faults still
on must write nothing.  The session emulator runs with --fault-seed 7 and is reset first, so the draws repeat."""

import argparse

import pytest

from tests.chaos import chaos_run

pytestmark = pytest.mark.slow

APPOINTMENTS = 48


def test_chaos_provision_keeps_exact_state_and_rerun_writes_nothing(emulator, tmp_path):
    inventory = chaos_run.generate(str(tmp_path / "inventory"), APPOINTMENTS, organizers=6, tenants=2)
    emulator.seed(inventory.seed)
    emulator.modes(provisioning={"status": 503, "seconds": 5})
    rules = chaos_run.fault_rules()
    emulator.faults(rules)
    args = argparse.Namespace(appointments=APPOINTMENTS, organizers=6, tenants=2, fault_seed=7, forks=6,
                              provisioning_status=503, provisioning_seconds=5)
    chaos = chaos_run.Chaos(str(tmp_path), inventory, emulator, forks=6, verbose=False)
    outcome = chaos_run.judge(chaos, chaos_run.Outcome(args, inventory, rules))
    summary = chaos_run.markdown(outcome, 0.0)
    assert outcome.ok, summary

    first, rerun = outcome.first, outcome.rerun
    # Each kind of fault really happened, and where it was meant to: sub-requests and top-level $batch calls.
    kinds = ("dropped after", "dropped before", "429 Retry-After 1", "503")
    assert all(first.fired[kind] + rerun.fired[kind] > 0 for kind in kinds), summary
    levels = {level for (dummy, level) in list(first.seen) + list(rerun.seen)}
    assert {"sub-request", "top-level $batch"} <= levels, summary
    assert first.total_retries > 0 and rerun.total_retries > 0
    assert first.seen[("503", "sub-request")] > 0  # first-create provisioning and injected 503s
    # Exactly one meeting and one appointment per inventory item, and the re-run left them alone.
    assert outcome.state_summary == {"meetings": APPOINTMENTS, "appointments": APPOINTMENTS}
    assert rerun.writes == 0 and rerun.write_requests == 0
    assert rerun.changed["unchanged"] == APPOINTMENTS
