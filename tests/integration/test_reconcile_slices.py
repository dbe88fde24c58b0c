"""The reconcile engine works through a large batch a slice at a time (Reconciler.SLICE items: read, plan, apply),
so Graph's answers for one slice are held at once, not for the whole batch; results stay in input order and a
second run is a no-op."""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import models
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.kinds import PRESENT
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.reconcile import Item, Reconciler
from tests.helpers import make_client


class SmallSlices(Reconciler):
    SLICE = 4


def items(emulator, count):
    out = []
    for index in range(count):
        spec = {"external_id": "S-%02d" % index, "subject": "slice %d" % index,
                "start_date_time": "2026-12-01T10:00:00Z", "end_date_time": "2026-12-01T10:30:00Z",
                "external_appointment_url": "https://scheduling.example.com/S-%02d" % index}
        appointment = dict(models.desired_appointment(spec), external_appointment_id=spec["external_id"])
        out.append(Item("appointments[%d]" % index, user=emulator.defaults["user_id"], external_id=spec["external_id"],
                        states={"meeting": PRESENT, "appointment": PRESENT},
                        desired={"meeting": models.desired_meeting(spec), "appointment": appointment}))
    return out


def batch_calls(emulator, since):
    return [r for r in emulator.requests(since=since, kind="graph") if r["route"] == "/$batch"]


def test_a_batch_is_reconciled_a_slice_at_a_time(emulator):
    client = make_client(emulator)
    since = emulator.metrics()["seq"]
    results = SmallSlices(client).run(items(emulator, 10))
    assert [r.item.label for r in results] == ["appointments[%d]" % i for i in range(10)]
    assert [(r.parts["meeting"].action, r.action) for r in results] == [("created", "created")] * 10
    # Three slices (4, 4, 2), each a createOrGet round and a PUT round: six $batch calls where one slice makes two.
    assert len(batch_calls(emulator, since)) == 6
    assert sorted(m["externalId"] for t in emulator.state()["tenants"] for m in t["meetings"]) == \
        ["S-%02d" % i for i in range(10)]

    writes, since = emulator.metrics()["writes"], emulator.metrics()["seq"]
    again = SmallSlices(client).run(items(emulator, 10))
    assert [r.action for r in again] == ["unchanged"] * 10 and not any(r.changed for r in again)
    assert emulator.metrics()["writes"] == writes
    assert len(batch_calls(emulator, since)) == 6  # createOrGet and GET appointment, per slice


def test_the_default_slice_keeps_batch_calls_full():
    assert Reconciler.SLICE % 10 == 0 and Reconciler.SLICE >= 100
