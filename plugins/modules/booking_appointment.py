#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_appointment
short_description: Manage an appointment of a Microsoft Bookings business
description:
  - Ensures an appointment (C(bookingAppointment)) of a Bookings business is present with the given values, absent
    (deleted), or cancelled - the Bookings appointments behind Teams Virtual Appointments, with a Teams join link
    when O(is_location_online=true).
  - The appointment is keyed by O(external_id), the ID the scheduling system gives it. The collection keeps it in
    the appointment's C(appointmentLabel) as C(external_id:<id>) - the label is listed by Graph's appointment list
    and C(calendarView), unlike the notes, and is not sent to customers, unlike C(additionalInformation) - so do not
    use the label for anything else.
  - Without O(appointment_id), the module lists the business's appointments (C(GET /appointments), every
    C(@odata.nextLink) page followed) to find the one with that label, then reads it by ID (the list leaves out
    customers, reminders and notes). With O(appointment_id) (returned by an earlier run) it reads that appointment
    directly, which is faster for a business with many appointments.
  - The options that are set are compared with the appointment found and only the difference is written - C(POST)
    to create, C(PATCH) with only the changed properties. Options that are not set are never changed.
  - Date-times are compared in UTC (Graph answers in UTC). O(customers) are compared as a set keyed by the e-mail
    address without regard to case, so reordering them changes nothing; when they differ the whole list is sent,
    each customer with the C(@odata.type) Graph requires.
  - The service of an existing appointment cannot change (Graph's C(serviceId) is immutable); a task that names
    another service fails and says to cancel the appointment and book a new one.
  - O(state=cancelled) cancels the appointment (C(POST /cancel) with O(cancellation_message)); Graph notifies the
    customers and the staff, and the appointment leaves the calendar. O(state=absent) deletes it (C(DELETE)). An
    appointment that is already gone is not an error.
  - When the answer to a create is lost (the connection dropped after Graph took it), the module finds the
    appointment again by O(external_id) before sending anything again, so an appointment is never created twice.
  - With application permissions (an app-only sign-in) Graph applies the business rules of Bookings; the module
    checks them before any write and fails naming the option - O(staff) is required; the scheduling policy must
    allow staff selection; the length must equal the service's C(default_duration); the start must respect the
    minimum lead time and the maximum advance (the service's scheduling policy over the business's); the
    appointment must lie within the business hours, read in the time zone of the first staff member (else UTC).
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
  external_id:
    description:
      - The scheduling system's ID of the appointment; the key it is found by (kept in C(appointmentLabel) as
        C(external_id:<id>)).
      - Required unless O(appointment_id) is given. With O(appointment_id), it sets the label of that appointment
        (an appointment made elsewhere gets the key).
    type: str
  appointment_id:
    description:
      - Graph ID of the appointment, when known (RV(booking_appointment.id) of an earlier run); it is then read by
        ID instead of searched for in the list of appointments.
    type: str
  state:
    description:
      - V(present) creates or updates the appointment.
      - V(absent) deletes it.
      - V(cancelled) cancels it with O(cancellation_message); Graph notifies the customers and the staff.
    type: str
    default: present
    choices: [present, absent, cancelled]
  cancellation_message:
    description:
      - Message sent to the customers and staff when the appointment is cancelled. Only with O(state=cancelled).
    type: str
  service_name:
    description:
      - Display name of the service the appointment is booked on (without regard to case). Required with
        O(state=present) unless O(service_id) is given.
      - The service of an existing appointment cannot change.
    type: str
  service_id:
    description:
      - ID of the service, instead of O(service_name) (it wins when both are given).
    type: str
  start_date_time:
    description:
      - Start of the appointment; required with O(state=present).
      - An ISO 8601 date-time with an offset (V(2026-12-01T15:00:00+01:00) or V(2026-12-01T14:00:00Z)), or without
        one together with O(time_zone). Quote it in YAML.
    type: str
  end_date_time:
    description:
      - End of the appointment (after the start); required with O(state=present). The same forms as
        O(start_date_time).
    type: str
  time_zone:
    description:
      - Time zone of O(start_date_time) and O(end_date_time) given without an offset - an IANA name
        (V(Europe/Berlin)) or a Windows name (V(W. Europe Standard Time)).
    type: str
  customers:
    description:
      - The customers of the appointment, compared as a set keyed by the e-mail address (without regard to case);
        a name, phone or time zone that is given must match. When they differ the whole list replaces the current
        one.
      - An e-mail address is named once.
      - When the service is for more than one attendee (its C(maximumAttendeesCount) above 1), Graph books existing
        customers only, so each customer is linked by the ID of the business's customer with that e-mail address (read
        once for the task), and a customer the business does not have fails the task before any write, naming it
        (create it first with M(cloudcomms.virtual_appointments.booking_customer); in check mode a warning, as an
        earlier task may create it).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the customer.
        type: str
      email_address:
        description: E-mail address of the customer.
        type: str
        required: true
      phone:
        description: Phone number of the customer.
        type: str
      time_zone:
        description: Time zone of the customer (V(America/Chicago)).
        type: str
  staff:
    description:
      - E-mail addresses of the staff members of the appointment (compared as a set), resolved to their staff member
        IDs. An address that is not a staff member of the business fails the task before any write.
      - Required with application permissions.
    type: list
    elements: str
  is_location_online:
    description:
      - Whether the appointment is online. V(true) gives it a Teams join link (RV(booking_appointment.join_web_url))
        and, when the service has C(is_anonymous_join_enabled), a browser join link
        (RV(booking_appointment.anonymous_join_web_url)).
    type: bool
  customer_time_zone:
    description: Time zone of the customer - an IANA name (V(America/Chicago)) or a Windows name.
    type: str
  sms_notifications_enabled:
    description: Whether Bookings sends SMS notifications for the appointment.
    type: bool
  opt_out_of_customer_email:
    description: Whether the customers get no e-mail about the appointment.
    type: bool
  pre_buffer:
    description: Time blocked before the appointment - minutes or an ISO 8601 duration (V(PT5M)).
    type: raw
  post_buffer:
    description: Time blocked after the appointment - minutes or an ISO 8601 duration.
    type: raw
  price:
    description: Price of the appointment.
    type: float
  price_type:
    description: How the price is charged.
    type: str
    choices: [undefined, fixedPrice, startingAt, hourly, free, priceVaries, callUs, notSet]
  reminders:
    description: Reminders of the appointment. The list replaces the current one.
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
  service_notes:
    description: Notes for the staff.
    type: str
  customer_notes:
    description:
      - Notes from the customer. Set only when the appointment is created (Graph does not take them later); never
        changed afterwards.
    type: str
  maximum_attendees_count:
    description: How many customers the appointment can have.
    type: int
  additional_information:
    description: Information sent to the customers in the confirmation.
    type: str
  is_customer_allowed_to_manage_booking:
    description: Whether the customers can change or cancel the appointment themselves.
    type: bool
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
notes:
  - Permissions - BookingsAppointment.ReadWrite.All (delegated or application).
  - Graph allows four concurrent requests per application per business mailbox; more are answered 429 and waited
    out.
  - Graph sends the appointment's date-times back in UTC; RV(booking_appointment.start_date_time) and
    RV(booking_appointment.end_date_time) are in UTC whatever zone the task gave.
seealso:
  - module: cloudcomms.virtual_appointments.booking_service
  - module: cloudcomms.virtual_appointments.booking_staff_member
  - module: cloudcomms.virtual_appointments.booking_customer
  - module: cloudcomms.virtual_appointments.booking_info
  - name: bookingAppointment resource type
    description: The Graph resource.
    link: https://learn.microsoft.com/graph/api/resources/bookingappointment
  - name: Bookings business rules
    description: What Graph enforces for appointments made with application permissions.
    link: https://learn.microsoft.com/graph/bookingsbusiness-business-rules
"""

EXAMPLES = r"""
- name: Ensure the online appointment A-1001 with its customer and staff member
  cloudcomms.virtual_appointments.booking_appointment:
    business_id: contosobank@contoso.onmicrosoft.com
    external_id: A-1001
    service_name: Mortgage consultation
    start_date_time: "2026-12-07T16:00:00+01:00"
    end_date_time: "2026-12-07T16:30:00+01:00"
    is_location_online: true
    customers:
      - name: Jordan Miller
        email_address: jordan.miller@fabrikam.com
        phone: "+1 206 555 0100"
        time_zone: America/Chicago
    staff:
      - adele.vance@contoso.onmicrosoft.com
  register: appointment

- name: Show the join links (Teams, and browser join when the service allows it)
  ansible.builtin.debug:
    msg:
      - "Staff join: {{ appointment.booking_appointment.join_web_url }}"
      - "Client join: {{ appointment.booking_appointment.anonymous_join_web_url }}"

- name: Move it by an hour, found directly by its ID
  cloudcomms.virtual_appointments.booking_appointment:
    business_id: contosobank@contoso.onmicrosoft.com
    external_id: A-1001
    appointment_id: "{{ appointment.booking_appointment.id }}"
    service_name: Mortgage consultation
    start_date_time: "2026-12-07T17:00:00"
    end_date_time: "2026-12-07T17:30:00"
    time_zone: Europe/Berlin

- name: Cancel it, telling the customer why
  cloudcomms.virtual_appointments.booking_appointment:
    business_id: contosobank@contoso.onmicrosoft.com
    external_id: A-1001
    state: cancelled
    cancellation_message: Your adviser is unwell; we will call you to book a new time.
"""

RETURN = r"""
booking_appointment:
  description:
    - The appointment as Graph holds it after the task (predicted in check mode), in snake_case; durations in ISO
      8601, date-times in UTC.
    - Empty when the appointment is absent or was cancelled.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the appointment (null for a create predicted in check mode).
      type: str
      sample: AAMkADKnAAA=
    external_id:
      description: The scheduling system's ID, read from the label (null when it carries no key of the collection).
      type: str
      sample: A-1001
    appointment_label:
      description: The label that holds the key.
      type: str
      sample: external_id:A-1001
    service_id:
      description: ID of the service.
      type: str
      sample: 57da6774-a087-4d69-b0e6-6fb82c339976
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
    duration:
      description: Length of the appointment.
      type: str
      sample: PT30M
    customers:
      description: The customers (read by ID; Graph's lists leave them out).
      type: list
      elements: dict
      sample: [{"name": "Jordan Miller", "email_address": "jordan.miller@fabrikam.com", "time_zone": "America/Chicago"}]
    staff_member_ids:
      description: IDs of its staff members.
      type: list
      elements: str
      sample: ["311a5454-08b2-4560-ba1c-f715e938cb79"]
    staff:
      description: E-mail addresses of its staff members, with O(state=present).
      type: list
      elements: str
      sample: ["adele.vance@contoso.onmicrosoft.com"]
    is_location_online:
      description: Whether the appointment is online.
      type: bool
      sample: true
    join_web_url:
      description: Teams join link of an online appointment.
      type: str
      sample: https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0
    anonymous_join_web_url:
      description: Browser join link for clients, when the service has C(is_anonymous_join_enabled); else null.
      type: str
      sample: https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=a796be92
    self_service_appointment_id:
      description: ID customers use to manage their booking.
      type: str
      sample: 00000000-0000-0000-0000-000000000000
action:
  description: What the task did (or would do in check mode).
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, cancelled, unchanged]
appointment_id:
  description: ID the appointment had, when the task deleted or cancelled it.
  returned: when the appointment was deleted or cancelled
  type: str
  sample: AAMkADKnAAA=
diff:
  description: Before and after of the compared view (the options that are set), in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"start_date_time": "2026-12-07T15:00:00Z"}, "after": {"start_date_time": "2026-12-07T16:00:00Z"}}
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

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import APPOINTMENT_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import booking_appointment as run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(APPOINTMENT_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
