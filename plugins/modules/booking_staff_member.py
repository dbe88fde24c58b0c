#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_staff_member
short_description: Manage a staff member of a Microsoft Bookings business
description:
  - Ensures a staff member (C(bookingStaffMember)) of a Bookings business is present with the given values, or
    absent.
  - The staff member is found by O(email_address) within the business (without regard to case), or by
    O(staff_member_id). Graph has no create-by-key in Bookings, so the module lists the business's staff members,
    compares the options that are set with the one found and writes only the difference - C(POST) to create,
    C(PATCH) with only the changed properties, C(DELETE) to remove. Options that are not set are never changed.
  - O(role) is required to create a staff member - when there is none with O(email_address) and O(role) is not given,
    the task fails before any write, naming O(role).
  - When the answer to a create is lost (the connection dropped after Graph took it), the module lists the staff
    members again and finds the one it made before sending anything again, so a staff member is never created twice.
version_added: 0.3.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  business_id:
    description:
      - ID of the business, the SMTP address of its mailbox
        (RV(cloudcomms.virtual_appointments.booking_business#module:booking_business.id) of
        M(cloudcomms.virtual_appointments.booking_business)).
    type: str
    required: true
  email_address:
    description:
      - E-mail address of the staff member; the key it is found by within the business (compared without regard to
        case). Two staff members with this address fail the task - give O(staff_member_id).
    type: str
    required: true
  staff_member_id:
    description:
      - ID of the staff member, when known (a previous run returned it); the staff member is then read by ID and
        O(email_address) is compared like any other option.
    type: str
  state:
    description:
      - V(present) creates or updates the staff member; V(absent) removes it from the business (a staff member that
        is already gone is not an error).
    type: str
    default: present
    choices: [present, absent]
  display_name:
    description: Name of the staff member, as customers see it.
    type: str
  role:
    description:
      - Role of the staff member in the business. Required to create one; not set, the role of an existing staff
        member is not changed.
      - Graph serves V(scheduler) and V(teamMember) only to requests that send the C(Prefer) header
        V(include-unknown-enum-members).
    type: str
    choices: [administrator, viewer, externalGuest, guest, scheduler, teamMember]
  time_zone:
    description:
      - Time zone of the staff member - an IANA name (V(Europe/Berlin)) or a Windows name
        (V(W. Europe Standard Time)). A name that is neither fails the task before any request.
    type: str
  use_business_hours:
    description:
      - Whether the staff member is available during the business hours (O(working_hours) is not used then). With
        V(false), O(working_hours) applies.
    type: bool
  working_hours:
    description:
      - Working hours of the staff member, one entry per day, compared in order; Bookings uses them when
        O(use_business_hours=false). The list replaces the current one; a day that is not listed, or listed without
        time slots, is not worked.
    type: list
    elements: dict
    suboptions:
      day:
        description: Day of the week.
        type: str
        required: true
        choices: [monday, tuesday, wednesday, thursday, friday, saturday, sunday]
      time_slots:
        description: Working periods of the day; V([]) for none.
        type: list
        elements: dict
        default: []
        suboptions:
          start_time:
            description: Start of the period, a time of day (V(08:00) or V(08:00:00)).
            type: str
            required: true
          end_time:
            description: End of the period, after O(working_hours[].time_slots[].start_time) (V(17:00) or V(17:00:00)).
            type: str
            required: true
  availability_is_affected_by_personal_calendar:
    description: Whether the staff member's personal calendar (busy times) limits their availability for bookings.
    type: bool
  is_email_notification_enabled:
    description: Whether the staff member gets an e-mail when a booking assigned to them is made or changed.
    type: bool
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
notes:
  - Permissions - Bookings.ReadWrite.All (delegated or application) to write; Bookings.Read.All (delegated) or
    BookingsAppointment.ReadWrite.All (application) to read.
  - Graph allows at most 100 staff members per business.
  - Graph allows four concurrent requests per application per business mailbox; more are answered 429 and waited
    out.
seealso:
  - module: cloudcomms.virtual_appointments.booking_business
  - module: cloudcomms.virtual_appointments.booking_service
  - name: bookingStaffMember resource type
    description: The Graph resource.
    link: https://learn.microsoft.com/graph/api/resources/bookingstaffmember
"""

EXAMPLES = r"""
- name: Ensure Adele is a bookable staff member who works her own hours
  cloudcomms.virtual_appointments.booking_staff_member:
    business_id: contosobank@contoso.onmicrosoft.com
    email_address: adele.vance@contoso.onmicrosoft.com
    display_name: Adele Vance
    role: guest
    time_zone: America/Chicago
    use_business_hours: false
    working_hours:
      - day: monday
        time_slots:
          - start_time: "09:00"
            end_time: "17:00"
      - day: wednesday
        time_slots:
          - start_time: "09:00"
            end_time: "13:00"
    availability_is_affected_by_personal_calendar: true
    is_email_notification_enabled: true
  register: staff

- name: Show her ID and whether she has accepted
  ansible.builtin.debug:
    msg: "{{ staff.booking_staff_member.id }} {{ staff.booking_staff_member.membership_status }}"

- name: Make an existing staff member a viewer (nothing else changes)
  cloudcomms.virtual_appointments.booking_staff_member:
    business_id: contosobank@contoso.onmicrosoft.com
    email_address: grady.archie@contoso.onmicrosoft.com
    role: viewer

- name: Remove a staff member who has left
  cloudcomms.virtual_appointments.booking_staff_member:
    business_id: contosobank@contoso.onmicrosoft.com
    email_address: lee.gu@contoso.onmicrosoft.com
    state: absent
"""

RETURN = r"""
booking_staff_member:
  description:
    - The staff member as Graph holds it after the task (predicted in check mode), in snake_case; times of day as
      C(HH:MM:SS).
    - Empty when the staff member is absent.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the staff member (null for a create predicted in check mode).
      type: str
      sample: 311a5454-08b2-4560-ba1c-f715e938cb79
    email_address:
      description: E-mail address of the staff member.
      type: str
      sample: adele.vance@contoso.onmicrosoft.com
    display_name:
      description: Name of the staff member.
      type: str
      sample: Adele Vance
    role:
      description: Role in the business.
      type: str
      sample: guest
    time_zone:
      description: Time zone of the staff member.
      type: str
      sample: America/Chicago
    use_business_hours:
      description: Whether the business hours apply rather than RV(booking_staff_member.working_hours).
      type: bool
      sample: false
    working_hours:
      description: Working hours, one entry per day.
      type: list
      elements: dict
      sample: [{"day": "monday", "time_slots": [{"start_time": "09:00:00", "end_time": "17:00:00"}]}]
    availability_is_affected_by_personal_calendar:
      description: Whether the personal calendar limits availability.
      type: bool
      sample: true
    is_email_notification_enabled:
      description: Whether the staff member gets booking e-mails.
      type: bool
      sample: true
    membership_status:
      description:
        - Whether the staff member accepted the membership - V(active), V(pendingAcceptance) or V(rejectedByStaff).
      type: str
      sample: active
action:
  description: What the task did (or would do in check mode).
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, unchanged]
diff:
  description: Before and after of the compared view (the options that are set), in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"role": "guest"}, "after": {"role": "viewer"}}
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: client_secret
waits:
  description: Retries Graph asked for (throttling, the four-request limit per mailbox), when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 1, "seconds": 1.0, "longest": 1.0, "by_reason": {"429 throttled": 1}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import STAFF_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import (
    booking_staff_member as run)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(STAFF_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
