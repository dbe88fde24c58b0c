#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_service
short_description: Manage a service of a Microsoft Bookings business
description:
  - Ensures a service (C(bookingService)) of a Bookings business is present with the given values, or absent.
  - The service is found by O(display_name) within the business (without regard to case), or by O(service_id).
    Graph has no create-by-key in Bookings, so the module lists the business's services, compares the options that
    are set with the one found and writes only the difference - C(POST) to create, C(PATCH) with only the changed
    properties, C(DELETE) to remove. Options that are not set are never changed.
  - A service with O(is_location_online=true) gives its appointments a Teams C(joinWebUrl);
    O(is_anonymous_join_enabled=true) adds the browser-join C(anonymousJoinWebUrl) (the waiting room Teams Virtual
    Appointments show clients).
  - When the answer to a create is lost (the connection dropped after Graph took it), the module lists the services
    again and finds the one it made before sending anything again, so a service is never created twice.
  - O(staff) and O(custom_questions) name staff members by e-mail address and questions by display name; one that
    the business does not have fails the task before any write.
version_added: 0.3.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  business_id:
    description:
      - ID of the business, the SMTP address of its mailbox (RV(cloudcomms.virtual_appointments.booking_business#module:booking_business.id)
        of M(cloudcomms.virtual_appointments.booking_business)).
    type: str
    required: true
  display_name:
    description:
      - Name of the service; the key it is found by within the business (compared without regard to case; a
        difference in case only is corrected with a PATCH).
    type: str
    required: true
  service_id:
    description:
      - ID of the service, when known (a previous run returned it); the service is then read by ID, and
        O(display_name) renames it.
    type: str
  state:
    description:
      - V(present) creates or updates the service; V(absent) deletes it (a service that is already gone is not an
        error).
    type: str
    default: present
    choices: [present, absent]
  default_duration:
    description:
      - Length of an appointment of this service - minutes (V(45)) or an ISO 8601 duration (V(PT45M), V(PT1H)).
    type: raw
  pre_buffer:
    description: Time blocked before each appointment - minutes or an ISO 8601 duration.
    type: raw
  post_buffer:
    description: Time blocked after each appointment - minutes or an ISO 8601 duration.
    type: raw
  default_price:
    description: Price of the service.
    type: float
  default_price_type:
    description: How the price is charged.
    type: str
    choices: [undefined, fixedPrice, startingAt, hourly, free, priceVaries, callUs, notSet]
  description:
    description: Description of the service.
    type: str
  notes:
    description: Notes for staff.
    type: str
  additional_information:
    description: Information sent to the customer when an appointment is confirmed.
    type: str
  is_hidden_from_customers:
    description: Whether the service is hidden from the booking page.
    type: bool
  is_location_online:
    description: Whether appointments of this service are online (a Teams meeting, C(joinWebUrl)).
    type: bool
  is_anonymous_join_enabled:
    description:
      - Whether clients can join appointments of this service from a browser without a Teams account
        (C(anonymousJoinWebUrl)).
    type: bool
  is_customer_allowed_to_manage_booking:
    description: Whether customers can change or cancel their own bookings.
    type: bool
  sms_notifications_enabled:
    description: Whether Bookings sends SMS notifications for appointments of this service.
    type: bool
  maximum_attendees_count:
    description: How many customers an appointment of this service can have (at least 1).
    type: int
  staff:
    description:
      - E-mail addresses of the staff members who provide the service (compared as a set). V([]) removes every
        staff member from the service.
    type: list
    elements: str
  custom_questions:
    description:
      - Custom questions of the business to ask when booking the service, by display name, in order.
    type: list
    elements: dict
    suboptions:
      display_name:
        description: Display name of the question (a M(cloudcomms.virtual_appointments.booking_custom_question)).
        type: str
        required: true
      is_required:
        description: Whether the customer must answer it.
        type: bool
        default: false
  default_reminders:
    description: Reminders of the service's appointments. The list replaces the current one.
    type: list
    elements: dict
    suboptions:
      text:
        description: Text of the reminder (Graph's C(message)).
        type: str
        required: true
      offset:
        description: How long before the appointment - minutes or an ISO 8601 duration (V(P1D)).
        type: raw
        required: true
      recipients:
        description: Who receives it.
        type: str
        default: allAttendees
        choices: [allAttendees, staff, customer]
  scheduling_policy:
    description:
      - The service's own scheduling policy (it overrides the business's). Only the suboptions given are compared.
    type: dict
    suboptions:
      time_slot_interval:
        description: Interval between bookable slots - minutes or an ISO 8601 duration.
        type: raw
      minimum_lead_time:
        description: How long before its start an appointment can be booked at the latest.
        type: raw
      maximum_advance:
        description: How far ahead an appointment can be booked.
        type: raw
      send_confirmations_to_owner:
        description: Whether the business owner gets a confirmation of each booking.
        type: bool
      allow_staff_selection:
        description:
          - Whether a staff member can be chosen when booking. Graph requires it for appointments booked with
            application permissions that name staff.
        type: bool
      is_meeting_invite_to_customers_enabled:
        description: Whether customers get a meeting invitation.
        type: bool
  language_tag:
    description: Language of the service's self-service booking page (V(en-US)).
    type: str
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
notes:
  - Permissions - Bookings.ReadWrite.All (delegated or application) to write; Bookings.Read.All to read.
  - Graph allows four concurrent requests per application per business mailbox; more are answered 429 and waited
    out.
seealso:
  - module: cloudcomms.virtual_appointments.booking_business
  - module: cloudcomms.virtual_appointments.booking_staff_member
  - module: cloudcomms.virtual_appointments.booking_appointment
  - name: bookingService resource type
    description: The Graph resource.
    link: https://learn.microsoft.com/graph/api/resources/bookingservice
"""

EXAMPLES = r"""
- name: Ensure the online consultation service, with browser join
  cloudcomms.virtual_appointments.booking_service:
    business_id: contosobank@contoso.onmicrosoft.com
    display_name: Mortgage consultation
    default_duration: 30
    is_location_online: true
    is_anonymous_join_enabled: true
    staff:
      - adele.vance@contoso.onmicrosoft.com
    scheduling_policy:
      allow_staff_selection: true
  register: service

- name: Show its ID
  ansible.builtin.debug:
    msg: "{{ service.booking_service.id }}"

- name: Remove a service that is no longer offered
  cloudcomms.virtual_appointments.booking_service:
    business_id: contosobank@contoso.onmicrosoft.com
    display_name: Walk-in advice
    state: absent
"""

RETURN = r"""
booking_service:
  description:
    - The service as Graph holds it after the task (predicted in check mode), in snake_case; durations in ISO 8601.
    - Empty when the service is absent.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the service (null for a create predicted in check mode).
      type: str
      sample: 57da6774-a087-4d69-b0e6-6fb82c339976
    display_name:
      description: Name of the service.
      type: str
      sample: Mortgage consultation
    default_duration:
      description: Length of its appointments.
      type: str
      sample: PT30M
    is_location_online:
      description: Whether its appointments are online.
      type: bool
      sample: true
    is_anonymous_join_enabled:
      description: Whether clients can join from a browser.
      type: bool
      sample: true
    staff_member_ids:
      description: IDs of its staff members.
      type: list
      elements: str
      sample: ["311a5454-08b2-4560-ba1c-f715e938cb79"]
    staff:
      description: E-mail addresses of its staff members, when O(staff) or O(custom_questions) was given.
      type: list
      elements: str
      sample: ["adele.vance@contoso.onmicrosoft.com"]
    web_url:
      description: URL of the service's booking page.
      type: str
      sample: https://outlook.office.com/bookwithme/...
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
  sample: {"before": {"default_duration": "PT30M"}, "after": {"default_duration": "PT45M"}}
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

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import SERVICE_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import booking_service as run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(SERVICE_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
