"""The batch module's action plugin: on the controller it runs the module's run() inside the Ansible worker; anywhere
else (here: a task with ``environment``, which only a module process can honour) the module runs as usual.  Both
paths must give the same results, check mode included, and the same failures.

The observable difference: with ANSIBLE_KEEP_REMOTE_FILES, each module process leaves its AnsiballZ payload in the
remote temp directory; the in-process runs leave none.
"""

import glob
import os

from tests.conftest import emulator_env

ITEMS = """
      - external_id: INPROC-1
        user: adele.vance@contoso.onmicrosoft.com
        subject: In-process one
        start_date_time: "2026-12-01T10:00:00+01:00"
        end_date_time: "2026-12-01T10:30:00+01:00"
        appointment_clients:
          - {display_name: Grady Archie, email_address: gradya@contoso.com}
      - external_id: INPROC-2
        user: adele.vance@contoso.onmicrosoft.com
        subject: In-process two
        start_date_time: "2026-12-01T11:00:00+01:00"
        end_date_time: "2026-12-01T11:30:00+01:00"
"""

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  vars:
    batch_items:%(items)s
  tasks:
    - name: In the worker (check mode)
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments: "{{ batch_items }}"
      check_mode: true
      register: planned_here
    - name: In a module process (check mode)
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments: "{{ batch_items }}"
      environment: {CLOUDCOMMS_MARKER: "1"}
      check_mode: true
      register: planned_there
    - name: In the worker
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments: "{{ batch_items }}"
      register: done_here
    - name: Again in a module process
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments: "{{ batch_items }}"
      environment: {CLOUDCOMMS_MARKER: "1"}
      register: again_there
    - name: Again in the worker
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments: "{{ batch_items }}"
      register: again_here
    - name: Bad input in the worker
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments:
          - {external_id: "A/1", user: adele.vance@contoso.onmicrosoft.com, colour: red}
        concurrency: 99
      ignore_errors: true
      register: bad_here
    - name: Bad input in a module process
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments:
          - {external_id: "A/1", user: adele.vance@contoso.onmicrosoft.com, colour: red}
        concurrency: 99
      environment: {CLOUDCOMMS_MARKER: "1"}
      ignore_errors: true
      register: bad_there
    - name: An unknown option in the worker
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments: []
        colour: red
      ignore_errors: true
      register: unknown_here
"""


def comparable(result):
    return {k: v for k, v in result.items() if k not in ("invocation", "_ansible_no_log", "warnings")}


def test_in_process_and_module_process_agree(emulator, ansible_playbook, tmp_path):
    remote_tmp = tmp_path / "remote-tmp"
    env = dict(emulator_env(emulator), ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=str(remote_tmp))
    run = ansible_playbook(PLAYBOOK % {"items": ITEMS.rstrip()}, env=env)
    # The three tasks with `environment` ran the module as a process; the five others ran in the worker.
    payloads = glob.glob(os.path.join(str(remote_tmp), "**", "AnsiballZ_virtual_appointment_batch.py"), recursive=True)
    assert len(payloads) == 3, payloads
    here, there = run.result("In the worker (check mode)"), run.result("In a module process (check mode)")
    assert here["changed"] and comparable(here) == comparable(there)
    assert here["summary"]["created"] == 2

    done = run.result("In the worker")
    assert done["changed"] and done["summary"]["created"] == 2 and "invocation" not in done
    for name in ("Again in a module process", "Again in the worker"):
        again = run.result(name)
        assert not again["changed"] and again["summary"]["unchanged"] == 2, again
    assert comparable(run.result("Again in a module process"))["appointments"] == \
        comparable(run.result("Again in the worker"))["appointments"]
    assert emulator.metrics()["writes"] == 4  # two meetings and two appointments, once

    bad_here, bad_there = run.result("Bad input in the worker"), run.result("Bad input in a module process")
    assert bad_here["failed"] and bad_there["failed"]
    assert bad_here["msg"] == bad_there["msg"], (bad_here["msg"], bad_there["msg"])
    assert "appointments[0] (external_id A/1)" in bad_here["msg"] and "concurrency" in bad_here["msg"]
    unknown = run.result("An unknown option in the worker")
    assert unknown["failed"] and "colour" in unknown["msg"], unknown
