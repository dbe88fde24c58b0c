"""plugin_utils/worker.py: plain values for the batch's items, and the worker's frozen inheritance."""

import datetime
import gc
import multiprocessing

from ansible_collections.cloudcomms.virtual_appointments.plugins.plugin_utils.worker import is_plain, plain, settle


class Tagged(str):
    """A str subclass carrying something, as Ansible's tagged strings do."""

    origin = "host_vars/adele.yml:3"


def test_plain_keeps_what_is_plain_and_copies_only_what_is_not():
    items = [{"external_id": "A-1", "appointment_clients": [{"display_name": "Ann"}], "count": 2, "on": True}]
    assert is_plain(items) and plain(items) is items
    args = {"appointments": items, "tenant_id": Tagged("contoso"), "labels": ("a", Tagged("b"))}
    out = plain(args)
    assert out["appointments"] is items  # the thousands of items are not copied again
    assert out["tenant_id"].__class__ is str and out["tenant_id"] == "contoso"
    assert out["labels"] == ["a", "b"] and all(value.__class__ is str for value in out["labels"])
    assert not is_plain(args) and is_plain(out)


def test_plain_strips_ansible_tags_when_ansible_has_them():
    try:
        from ansible._internal._datatag._tags import Origin  # ansible-core 2.19 and later
    except ImportError:
        return
    tagged = Origin(path="/inventory/host_vars/adele.yml", line_num=3).tag("adele@contoso.com")
    assert not is_plain([tagged])
    assert plain(tagged).__class__ is str and plain({"user": tagged}) == {"user": "adele@contoso.com"}


def test_other_scalars_are_left_for_the_checks_that_follow():
    day = datetime.date(2026, 12, 1)
    assert plain({"start_date_time": day})["start_date_time"] is day


def _freeze_count(pipe):
    settle()
    pipe.send(gc.get_freeze_count())


class WorkerProcess(multiprocessing.get_context("fork").Process):
    """Named as Ansible's worker (ansible.executor.process.worker.WorkerProcess)."""


def _frozen_in(process_class):
    ours, theirs = multiprocessing.get_context("fork").Pipe()
    child = process_class(target=_freeze_count, args=(theirs,))
    child.start()
    count = ours.recv()
    child.join()
    return count


def test_settle_freezes_in_an_ansible_worker_only():
    before = gc.get_freeze_count()
    settle()  # the test runner is no worker: nothing frozen (it would never be freed)
    assert gc.get_freeze_count() == before
    assert _frozen_in(multiprocessing.get_context("fork").Process) == before  # any other child: nothing either
    assert _frozen_in(WorkerProcess) > 0
    assert gc.get_freeze_count() == before
