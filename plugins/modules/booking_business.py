#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_business
short_description: Manage a Microsoft Bookings business
description:
  - Ensures a Bookings business (C(bookingBusiness)) is present with the given values, or absent; publishes or
    unpublishes its booking page.
  - The business is found by O(display_name) (without regard to case) in Graph's business list
    (C(GET /solutions/bookingBusinesses?query=), which holds only the ID and the name of at most 500 businesses),
    then the one found is read by ID. Or it is read by O(business_id), the SMTP address of the business mailbox,
    which Graph makes when the business is created.
  - Graph has no create-by-key in Bookings, so the module compares the options that are set with the business found
    and writes only the difference - C(POST) to create, C(PATCH) with only the changed properties, C(DELETE) to
    remove. Options that are not set are never changed.
  - Creating and deleting a business need the delegated permission Bookings.Manage.All - Graph serves them to a
    signed-in user only. With an application sign-in (O(auth_method) V(client_secret), V(client_certificate),
    V(federated_token) or V(managed_identity)) the module refuses O(state=absent) before any request, and a create
    before any write (it first looks the business up by O(display_name); one that exists can still be updated).
    Sign in as a user - O(auth_method=username_password), or the C(cloudcomms.virtual_appointments.sign_in) module
    then O(auth_method=device_code).
  - When the answer to a create is lost (the connection dropped after Graph took it), the module looks the business
    up by O(display_name) again and finds the one it made before sending anything again, so a business is never
    created twice.
version_added: 0.3.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  display_name:
    description:
      - Name of the business; the key it is found by (compared without regard to case; a difference in case only is
        corrected with a C(PATCH)). Required to create a business.
      - With O(business_id), the business is read by ID and O(display_name) renames it.
      - One of O(display_name) and O(business_id) is required. Two businesses with this name fail the task - give
        O(business_id).
    type: str
  business_id:
    description:
      - ID of the business, the SMTP address of its mailbox (for example V(contosobank@contoso.onmicrosoft.com)),
        when known (RV(booking_business.id) of a previous run); the business is then read by ID.
      - Graph chooses the ID when it creates a business, so a business that does not exist yet is given by
        O(display_name) alone.
    type: str
  state:
    description:
      - V(present) creates or updates the business; V(absent) deletes it (a business that O(display_name) does not
        find is not an error).
      - Both create and delete need a delegated sign-in (Bookings.Manage.All).
    type: str
    default: present
    choices: [present, absent]
  published:
    description:
      - V(true) publishes the business's self-service booking page, V(false) unpublishes it (C(POST publish) or
        C(POST unpublish), Bookings.Manage.All); compared with the business's C(isPublished).
      - A new business with V(true) is published right after its create (its ID is known only then).
      - Not set, the publication is not changed.
    type: bool
  business_type:
    description: Type of business (free text, for example V(Bank)).
    type: str
  default_currency_iso:
    description: Currency of the business's prices, an ISO 4217 code of three letters (V(USD), V(EUR)).
    type: str
  email:
    description: E-mail address of the business, shown to customers (compared without regard to case).
    type: str
  language_tag:
    description: Language of the self-service booking page (V(en-US)); Graph's default for a new business is V(en-US).
    type: str
  phone:
    description: Telephone number of the business.
    type: str
  web_site_url:
    description: URL of the business's web site, an absolute C(http) or C(https) URL.
    type: str
  address:
    description:
      - Street address of the business. Only the suboptions given are compared.
    type: dict
    suboptions:
      street:
        description: Street and house number.
        type: str
      city:
        description: City.
        type: str
      state:
        description: State or province.
        type: str
      country_or_region:
        description: Country or region.
        type: str
      postal_code:
        description: Postal code.
        type: str
      post_office_box:
        description: Post office box.
        type: str
  business_hours:
    description:
      - Opening hours of the business, one entry per day, compared in order. The list replaces the current one; a
        day that is not listed, or listed without time slots, is closed.
      - Graph's default for a new business is Monday to Friday, 08:00 to 17:00.
    type: list
    elements: dict
    suboptions:
      day:
        description: Day of the week.
        type: str
        required: true
        choices: [monday, tuesday, wednesday, thursday, friday, saturday, sunday]
      time_slots:
        description: Open periods of the day; V([]) closes it.
        type: list
        elements: dict
        default: []
        suboptions:
          start_time:
            description: Start of the period, a time of day (V(08:00) or V(08:00:00)).
            type: str
            required: true
          end_time:
            description: End of the period, after O(business_hours[].time_slots[].start_time) (V(17:00) or V(17:00:00)).
            type: str
            required: true
  scheduling_policy:
    description:
      - The business's scheduling policy (a service can override it). Only the suboptions given are compared.
      - Graph's defaults for a new business - slots every 30 minutes (V(PT30M)), a minimum lead time of one day
        (V(P1D)), a maximum advance of 365 days (V(P365D)), confirmations to the owner and staff selection allowed.
    type: dict
    suboptions:
      time_slot_interval:
        description: Interval between bookable slots - minutes (V(30)) or an ISO 8601 duration (V(PT30M)).
        type: raw
      minimum_lead_time:
        description: How long before its start an appointment can be booked at the latest - minutes or an ISO 8601
          duration (V(P1D)).
        type: raw
      maximum_advance:
        description: How far ahead an appointment can be booked - minutes or an ISO 8601 duration (V(P365D)).
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
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
notes:
  - Permissions - Bookings.Manage.All, delegated only, to create or delete a business; Bookings.Manage.All to publish
    or unpublish; Bookings.ReadWrite.All to update; Bookings.Read.All (delegated) or
    BookingsAppointment.ReadWrite.All (application) to read.
  - With O(auth_method=access_token) the module cannot tell whether the token is a user's or the application's; an
    application token's create or delete is then refused by Graph.
  - Graph's business list holds at most 500 businesses and has no paging; a business beyond them is managed by its
    O(business_id).
  - Graph allows four concurrent requests per application per business mailbox; more are answered 429 and waited
    out.
seealso:
  - module: cloudcomms.virtual_appointments.booking_service
  - module: cloudcomms.virtual_appointments.booking_staff_member
  - module: cloudcomms.virtual_appointments.booking_custom_question
  - module: cloudcomms.virtual_appointments.sign_in
  - name: bookingBusiness resource type
    description: The Graph resource.
    link: https://learn.microsoft.com/graph/api/resources/bookingbusiness
"""

EXAMPLES = r"""
# Creating, publishing and deleting a business need a delegated sign-in (Bookings.Manage.All): run these as a user,
# e.g. auth_method device_code after the sign_in playbook, or AZURE_USERNAME and AZURE_PASSWORD in the environment.
- name: Ensure the business, published
  cloudcomms.virtual_appointments.booking_business:
    display_name: Contoso Bank
    business_type: Bank
    default_currency_iso: USD
    email: contact@contoso.com
    phone: "+1 206 555 0100"
    web_site_url: https://www.contoso.com
    language_tag: en-US
    address:
      street: 4567 Main Street
      city: Buffalo
      state: NY
      country_or_region: USA
      postal_code: "98052"
    business_hours:
      - day: monday
        time_slots:
          - start_time: "08:00"
            end_time: "17:00"
      - day: tuesday
        time_slots:
          - start_time: "08:00"
            end_time: "12:00"
          - start_time: "13:00"
            end_time: "17:00"
    scheduling_policy:
      time_slot_interval: 30
      minimum_lead_time: P1D
      maximum_advance: P90D
      allow_staff_selection: true
    published: true
  register: business

- name: Show its ID (the SMTP address of its mailbox) and booking page
  ansible.builtin.debug:
    msg: "{{ business.booking_business.id }} {{ business.booking_business.public_url }}"

- name: Change its phone number (an update; an application sign-in with Bookings.ReadWrite.All can do it too)
  cloudcomms.virtual_appointments.booking_business:
    business_id: "{{ business.booking_business.id }}"
    phone: "+1 206 555 0199"

- name: Take the booking page offline
  cloudcomms.virtual_appointments.booking_business:
    business_id: "{{ business.booking_business.id }}"
    published: false

- name: Delete a business that is no longer used
  cloudcomms.virtual_appointments.booking_business:
    display_name: Fabrikam Walk-in Clinic
    state: absent
"""

RETURN = r"""
booking_business:
  description:
    - The business as Graph holds it after the task (predicted in check mode), in snake_case; durations in ISO 8601,
      times of day as C(HH:MM:SS).
    - After a publish or unpublish (which Graph answers without a body) the business is read again, so
      RV(booking_business.public_url) is the new one; in check mode it is as read before.
    - Empty when the business is absent.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the business, the SMTP address of its mailbox (null for a create predicted in check mode).
      type: str
      sample: contosobank@contoso.onmicrosoft.com
    display_name:
      description: Name of the business.
      type: str
      sample: Contoso Bank
    business_type:
      description: Type of business.
      type: str
      sample: Bank
    default_currency_iso:
      description: Currency of its prices.
      type: str
      sample: USD
    email:
      description: E-mail address of the business.
      type: str
      sample: contact@contoso.com
    language_tag:
      description: Language of its booking page.
      type: str
      sample: en-US
    phone:
      description: Telephone number.
      type: str
      sample: "+1 206 555 0100"
    web_site_url:
      description: URL of its web site.
      type: str
      sample: https://www.contoso.com
    address:
      description: Street address.
      type: dict
      sample: {"street": "4567 Main Street", "city": "Buffalo", "state": "NY", "country_or_region": "USA",
               "postal_code": "98052"}
    business_hours:
      description: Opening hours, one entry per day.
      type: list
      elements: dict
      sample: [{"day": "monday", "time_slots": [{"start_time": "08:00:00", "end_time": "17:00:00"}]}]
    scheduling_policy:
      description: The business's scheduling policy.
      type: dict
      sample: {"time_slot_interval": "PT30M", "minimum_lead_time": "P1D", "maximum_advance": "P90D",
               "send_confirmations_to_owner": true, "allow_staff_selection": true}
    is_published:
      description: Whether its booking page is published.
      type: bool
      sample: true
    public_url:
      description: URL of its published booking page (null when it is not published).
      type: str
      sample: https://outlook.office365.com/owa/calendar/ContosoBank@contoso.onmicrosoft.com/bookings/
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
  sample: {"before": {"is_published": false}, "after": {"is_published": true}}
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: device_code
waits:
  description: Retries Graph asked for (throttling, the four-request limit per mailbox), when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 1, "seconds": 1.0, "longest": 1.0, "by_reason": {"429 throttled": 1}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import BUSINESS_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import booking_business as run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(BUSINESS_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
