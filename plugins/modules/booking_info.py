#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_info
short_description: Read Microsoft Bookings businesses and what they contain
description:
  - Reads Bookings; changes nothing.
  - Without O(business_id), lists the Bookings businesses the sign-in can see (RV(booking_businesses), ID and
    display name only; O(query) filters them by a substring). Graph returns at most 500 and does not page this list.
  - With O(business_id), returns the business (RV(booking_business)) and, as O(include) asks, its services, staff
    members, custom questions, customers and appointments, read in one C($batch) with every page of each list
    followed.
  - Appointments are those of a time window (O(window_start) to O(window_end)), read from Graph's C(calendarView),
    which - as Graph does - leaves out each appointment's customers, reminders and notes (read one appointment with
    M(cloudcomms.virtual_appointments.booking_appointment) for them). Each carries RV(appointments[].external_id), the
    collection's key from its label.
version_added: 0.3.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  business_id:
    description:
      - ID of the business to read, the SMTP address of its mailbox.
      - Omit it to list the businesses instead.
    type: str
  query:
    description:
      - Without O(business_id), list only the businesses whose name contains this text (Graph's C(query)).
      - Not with O(business_id) (the task fails before any request).
    type: str
  include:
    description:
      - What of the business to read besides the business itself, with O(business_id).
      - V(appointments) needs O(window_start) and O(window_end).
    type: list
    elements: str
    choices: [services, staff_members, custom_questions, customers, appointments]
    default: [services, staff_members]
  window_start:
    description:
      - Start of the window of appointments to read, an ISO 8601 date-time with an offset
        (V(2026-12-01T00:00:00+01:00) or V(2026-12-01T00:00:00Z)). Quote it in YAML.
      - Required with V(appointments) in O(include).
    type: str
  appointment_details:
    description:
      - Read each appointment of the window by its ID too (in C($batch)), for what C(calendarView) leaves out - its
        customers, reminders and notes. An export for adoption needs it.
    type: bool
    default: false
  window_end:
    description:
      - End of the window of appointments to read, an ISO 8601 date-time with an offset.
      - Required with V(appointments) in O(include).
    type: str
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.info_attributes
notes:
  - Permissions - Bookings.Read.All (delegated or application). With application permissions, listing the
    businesses and reading C(calendarView) have been reported refused by Graph.
  - Graph allows four concurrent requests per application per business mailbox; more are answered 429 and waited
    out.
seealso:
  - module: cloudcomms.virtual_appointments.booking_business
  - module: cloudcomms.virtual_appointments.booking_service
  - module: cloudcomms.virtual_appointments.booking_staff_member
  - module: cloudcomms.virtual_appointments.booking_customer
  - module: cloudcomms.virtual_appointments.booking_appointment
  - name: List Bookings appointments in a date range (calendarView)
    description: The Graph call behind RV(appointments).
    link: https://learn.microsoft.com/graph/api/bookingbusiness-list-calendarview
"""

EXAMPLES = r"""
- name: List the businesses whose name contains Contoso
  cloudcomms.virtual_appointments.booking_info:
    query: Contoso
  register: businesses

- name: Show their IDs
  ansible.builtin.debug:
    msg: "{{ businesses.booking_businesses | map(attribute='id') | list }}"

- name: Read a business with its services, staff and the appointments of December
  cloudcomms.virtual_appointments.booking_info:
    business_id: contosobank@contoso.onmicrosoft.com
    include:
      - services
      - staff_members
      - appointments
    window_start: "2026-12-01T00:00:00+01:00"
    window_end: "2027-01-01T00:00:00+01:00"
  register: bank

- name: Show the scheduling system's IDs of the appointments the collection made
  ansible.builtin.debug:
    msg: "{{ bank.appointments | selectattr('external_id') | map(attribute='external_id') | list }}"
"""

RETURN = r"""
booking_businesses:
  description: The businesses (ID and display name only, at most 500).
  returned: without O(business_id)
  type: list
  elements: dict
  contains:
    id:
      description: ID of the business, the SMTP address of its mailbox.
      type: str
      sample: contosobank@contoso.onmicrosoft.com
    display_name:
      description: Name of the business.
      type: str
      sample: Contoso Bank
booking_business:
  description: The business, in snake_case; durations in ISO 8601.
  returned: with O(business_id)
  type: dict
  sample: {"id": "contosobank@contoso.onmicrosoft.com", "display_name": "Contoso Bank", "is_published": true,
           "scheduling_policy": {"time_slot_interval": "PT30M", "minimum_lead_time": "P1D"}}
services:
  description: The services of the business, in snake_case (see M(cloudcomms.virtual_appointments.booking_service)).
  returned: with O(business_id) and V(services) in O(include)
  type: list
  elements: dict
  sample: [{"id": "57da6774-a087-4d69-b0e6-6fb82c339976", "display_name": "Mortgage consultation",
            "default_duration": "PT30M", "is_location_online": true}]
staff_members:
  description: The staff members of the business, in snake_case.
  returned: with O(business_id) and V(staff_members) in O(include)
  type: list
  elements: dict
  sample: [{"id": "311a5454-08b2-4560-ba1c-f715e938cb79", "email_address": "adele.vance@contoso.onmicrosoft.com",
            "role": "administrator"}]
custom_questions:
  description: The custom questions of the business, in snake_case.
  returned: with O(business_id) and V(custom_questions) in O(include)
  type: list
  elements: dict
  sample: [{"id": "3bc6fde0-4ad3-445d-ab17-0fc15dba0774", "display_name": "What is your account number?",
            "answer_input_type": "text"}]
customers:
  description: The customers of the business, in snake_case.
  returned: with O(business_id) and V(customers) in O(include)
  type: list
  elements: dict
  sample: [{"id": "7ed53fa5-9ef2-4f2f-975b-27447440bc09", "display_name": "Jordan Miller",
            "email_address": "jordan.miller@fabrikam.com"}]
appointments:
  description:
    - The appointments between O(window_start) and O(window_end), in snake_case, date-times in UTC; without
      customers, reminders and notes (Graph's C(calendarView) leaves them out).
  returned: with O(business_id) and V(appointments) in O(include)
  type: list
  elements: dict
  contains:
    id:
      description: ID of the appointment.
      type: str
      sample: AAMkADKnAAA=
    external_id:
      description:
        - The scheduling system's ID the collection keeps in the label; null when the appointment carries no key of
          the collection (it was made elsewhere).
      type: str
      sample: A-1001
    service_name:
      description: Name of the service.
      type: str
      sample: Mortgage consultation
    start_date_time:
      description: Start, in UTC.
      type: str
      sample: "2026-12-07T15:00:00Z"
    end_date_time:
      description: End, in UTC.
      type: str
      sample: "2026-12-07T15:30:00Z"
    join_web_url:
      description: Teams join link of an online appointment.
      type: str
      sample: https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: managed_identity
waits:
  description: Retries Graph asked for (throttling, the four-request limit per mailbox), when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 1, "seconds": 1.0, "longest": 1.0, "by_reason": {"429 throttled": 1}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import INFO_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import booking_info as run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(INFO_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
