#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_appointment_batch
short_description: Reconcile the appointments of a Microsoft Bookings business in one task
description:
  - Brings many appointments of one Bookings business to their desired state in one task - thousands of them, from
    O(appointments) and an export of a scheduling system (O(appointments_file), JSON, YAML or CSV).
  - Each item takes the options of M(cloudcomms.virtual_appointments.booking_appointment) but O(business_id), and is
    found again by its C(external_id) (kept in the appointment's C(appointmentLabel) as C(external_id:<id>)) or,
    for an appointment the collection did not make, by its C(appointment_id).
  - Every item is checked before any write - its options, keys given twice, its service and staff (read once for
    the task), and Graph's rules for application sign-ins; a problem anywhere stops the task before anything is sent,
    naming the item and the field.
  - The business's appointments are read once, every page - the whole list, or Graph's C(calendarView) between
    O(window_start) and O(window_end) - and only the ones whose compared fields the list leaves out (customers,
    reminders, notes) are read again by ID, in C($batch). Writes go in C($batch) too (20 a call), at most
    O(concurrency) calls in flight; Graph's C(429) answers (four requests in flight per app per business mailbox) are
    waited out as C(Retry-After) says.
  - A failure of one item never stops or half-writes another; the task fails at the end, naming every failed item,
    with every item's result.
  - With O(purge), the appointments that carry the collection's key but that no item names are deleted. The key is
    written with each appointment the collection makes, so purge needs no ledger file and never touches an
    appointment made elsewhere.
version_added: 0.3.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  business_id:
    description: ID of the business (the SMTP address of its mailbox).
    type: str
    required: true
  appointments:
    description:
      - The appointments, each a mapping of the options of M(cloudcomms.virtual_appointments.booking_appointment)
        but O(business_id) (C(external_id) or C(appointment_id), C(state), C(service_name), C(start_date_time), ...).
    type: list
    elements: dict
    default: []
  appointments_file:
    description:
      - An export of a scheduling system with more items, read by the module (a file of thousands of items is never
        an Ansible variable). A list, or a mapping with an C(appointments) list; CSV columns are item keys, with
        C(customers), C(staff) and C(reminders) cells as JSON and C(customer_name), C(customer_email_address),
        C(customer_phone) for one customer.
    type: dict
    suboptions:
      path:
        description: Path of the file on the host that runs the module.
        type: path
        required: true
      format:
        description: Its format; V(auto) goes by the extension.
        type: str
        default: auto
        choices: [auto, json, yaml, csv]
  window_start:
    description:
      - With O(window_end), read only the appointments of this window (Graph's C(calendarView)) - faster for a
        business with a long history. An appointment the task names that lies outside the window is not found, and
        would be booked again - give a window that holds every appointment the task names, as they are now.
      - A date-time with an offset.
    type: str
  window_end:
    description: End of the window; see O(window_start).
    type: str
  purge:
    description:
      - Delete the appointments that carry the collection's key (in the window, if one is given) and that no item
        names.
    type: bool
    default: false
  purge_all:
    description:
      - Allow purge to delete any number, also when the task names no appointment at all.
    type: bool
    default: false
  purge_limit:
    description:
      - The most purge may delete without O(purge_all) - a count (V(10)) or a percentage of the appointments that
        carry the key (V(50%)). A larger purge is refused before any write.
    type: str
    default: 50%
  concurrency:
    description:
      - C($batch) calls in flight (1 to 4; Graph serves four concurrent requests per app per business mailbox).
    type: int
    default: 4
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
notes:
  - Permissions - BookingsAppointment.ReadWrite.All (delegated or application); with application permissions Graph's
    business rules apply and are checked first (see M(cloudcomms.virtual_appointments.booking_appointment)).
seealso:
  - module: cloudcomms.virtual_appointments.booking_appointment
  - module: cloudcomms.virtual_appointments.booking_info
"""

EXAMPLES = r"""
- name: Keep the business's appointments as the scheduling system exported them
  cloudcomms.virtual_appointments.booking_appointment_batch:
    business_id: contosobank@contoso.onmicrosoft.com
    appointments:
      - external_id: A-2001
        service_name: Mortgage consultation
        start_date_time: "2027-03-02T10:00:00+01:00"
        end_date_time: "2027-03-02T10:30:00+01:00"
        is_location_online: true
        customers:
          - name: Grady Archie
            email_address: gradya@contoso.com
        staff:
          - adele.vance@contoso.onmicrosoft.com
      - external_id: A-2002
        state: cancelled
        cancellation_message: The branch is closed that day.
  register: booked

- name: Show what was done
  ansible.builtin.debug:
    msg: "{{ booked.summary }}"
"""

RETURN = r"""
appointments:
  description: One result per item, in order (the items of the file after those of O(appointments)), then the purged.
  returned: always
  type: list
  elements: dict
  contains:
    external_id:
      description: The item's external ID.
      type: str
      sample: A-2001
    appointment_id:
      description: ID of the appointment in Graph (null for a create predicted in check mode).
      type: str
      sample: AAMkADc3MWUyMGRmLTE0ZjAtNGMyNy05Y2Ez
    state:
      description: The item's state.
      type: str
      sample: present
    action:
      description: What was done (or would be, in check mode).
      type: str
      sample: created
      choices: [created, updated, cancelled, deleted, unchanged, failed]
    start_date_time:
      description: Start, in UTC.
      type: str
      sample: "2027-03-02T09:00:00Z"
    end_date_time:
      description: End, in UTC.
      type: str
      sample: "2027-03-02T09:30:00Z"
    join_web_url:
      description: The Teams join link of an online appointment.
      type: str
      sample: https://teams.microsoft.com/l/meetup-join/...
    anonymous_join_web_url:
      description: The browser join link, when the service allows anonymous join.
      type: str
      sample: https://visit.teams.microsoft.com/webrtc-svc/api/route?...
    staff:
      description: E-mail addresses of the staff members.
      type: list
      elements: str
      sample: ["adele.vance@contoso.onmicrosoft.com"]
    error:
      description: Why the item failed.
      type: dict
      sample: {"status": 400, "code": "BadRequest", "message": "Invalid Staff"}
    diff:
      description: Before and after of the compared view, in diff mode, for a changed item.
      type: dict
      sample: {"before": {"end_date_time": "2027-03-02T09:30:00Z"}, "after": {"end_date_time": "2027-03-02T09:45:00Z"}}
summary:
  description:
    - Counts of the items by action, how many appointments the business's list held (C(listed)), and how many of
      them no item names (C(unmanaged)).
  returned: always
  type: dict
  sample: {"total": 2, "listed": 120, "created": 1, "updated": 0, "cancelled": 1, "deleted": 0, "unchanged": 0,
           "failed": 0, "unmanaged": 118}
unmanaged:
  description:
    - The appointments of the business (of the window, when one is given) that no item names and purge did not
      take - made elsewhere, or keyed by an item that left the task. Adopt them by C(appointment_id), or purge the
      keyed ones.
  returned: always
  type: list
  elements: dict
  contains:
    appointment_id:
      description: ID of the appointment in Graph.
      type: str
      sample: AAMkADc3MWUyMGRmLTE0ZjAtNGMyNy05Y2Ez
    external_id:
      description: Its external ID when it carries the collection's key, else null.
      type: str
      sample: A-1999
    service_name:
      description: Its service.
      type: str
      sample: Mortgage consultation
    start_date_time:
      description: Start, in UTC.
      type: str
      sample: "2027-03-02T09:00:00Z"
    end_date_time:
      description: End, in UTC.
      type: str
      sample: "2027-03-02T09:30:00Z"
source:
  description: What O(appointments_file) held.
  returned: when O(appointments_file) is given
  type: dict
  sample: {"path": "/srv/export.csv", "format": "csv", "items": 1200, "taken": 1200, "users": {"": 1200}}
diff:
  description: One entry per changed item, in diff mode.
  returned: when diff mode is on
  type: list
  elements: dict
  sample: [{"before_header": "appointments[0] (external_id A-2001) created", "before": {}, "after": {}}]
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: client_secret
waits:
  description: Retries Graph asked for (throttling, the four-request limit per mailbox), when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 3, "seconds": 3.0, "longest": 1.0, "by_reason": {"429 throttled": 3}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings_batch import BATCH_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings_batch import run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(BATCH_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
