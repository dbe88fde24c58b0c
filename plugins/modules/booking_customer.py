#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_customer
short_description: Manage a customer of a Microsoft Bookings business
description:
  - Ensures a customer (C(bookingCustomer)) of the customer directory of a Bookings business is present with the
    given values, or absent.
  - The customer is found by O(email_address) within the business (without regard to case), or by O(customer_id).
    Graph has no create-by-key in Bookings, so the module lists the business's customers, compares the options that
    are set with the one found and writes only the difference - C(POST) to create, C(PATCH) with only the changed
    properties, C(DELETE) to remove. Options that are not set are never changed.
  - When the answer to a create is lost (the connection dropped after Graph took it), the module lists the customers
    again and finds the one it made before sending anything again, so a customer is never created twice.
  - The values are checked before any request (an e-mail address, phone numbers); a value that is not valid fails
    the task naming the option.
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
  email_address:
    description:
      - E-mail address of the customer; the key it is found by within the business (compared without regard to
        case).
      - With O(customer_id), the address the customer is given (a different address is changed with a C(PATCH)).
    type: str
    required: true
  customer_id:
    description:
      - ID of the customer, when known (a previous run returned it); the customer is then found by this ID (and only
        when no customer has it, by O(email_address)), so that its address can be changed.
      - The module finds it in the business's list of customers, never with a read by ID, which Graph serves only
        for Base64-encoded IDs (its customers have GUID IDs; "GUID IDs do not work").
    type: str
  state:
    description:
      - V(present) creates or updates the customer; V(absent) deletes it (a customer that is already gone is not an
        error).
    type: str
    default: present
    choices: [present, absent]
  display_name:
    description: Name of the customer as Bookings shows it.
    type: str
  phones:
    description:
      - Phone numbers of the customer, in order. The list replaces the current one; V([]) removes every number.
    type: list
    elements: dict
    suboptions:
      number:
        description:
          - The phone number - digits, spaces, parentheses, C(-), C(.), C(/) and a leading C(+) followed by the
            country code (V(+1 206 555 0100)).
        type: str
        required: true
      type:
        description: Kind of the number.
        type: str
        default: mobile
        choices: [home, business, mobile, other, assistant, homeFax, businessFax, otherFax, pager, radio]
  addresses:
    description:
      - Postal addresses of the customer, in order. The list replaces the current one; V([]) removes every address.
    type: list
    elements: dict
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
      type:
        description: Kind of the address.
        type: str
        default: home
        choices: [home, business, other]
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
notes:
  - Permissions - BookingsAppointment.ReadWrite.All (delegated or application) to write; Bookings.Read.All to read.
  - Graph allows four concurrent requests per application per business mailbox; more are answered 429 and waited
    out.
  - An appointment names its customers itself (O(cloudcomms.virtual_appointments.booking_appointment#module:customers)
    of M(cloudcomms.virtual_appointments.booking_appointment)); a customer in the directory makes the business know
    them for later bookings.
seealso:
  - module: cloudcomms.virtual_appointments.booking_business
  - module: cloudcomms.virtual_appointments.booking_appointment
  - module: cloudcomms.virtual_appointments.booking_info
  - name: bookingCustomer resource type
    description: The Graph resource.
    link: https://learn.microsoft.com/graph/api/resources/bookingcustomer
"""

EXAMPLES = r"""
- name: Ensure a customer with a phone number and an address
  cloudcomms.virtual_appointments.booking_customer:
    business_id: contosobank@contoso.onmicrosoft.com
    email_address: jordan.miller@fabrikam.com
    display_name: Jordan Miller
    phones:
      - number: "+1 206 555 0100"
        type: mobile
    addresses:
      - street: 123 Main Street
        city: Redmond
        state: WA
        postal_code: "98052"
        country_or_region: United States
        type: home
  register: customer

- name: Show its ID
  ansible.builtin.debug:
    msg: "{{ customer.booking_customer.id }}"

- name: Remove a customer from the directory
  cloudcomms.virtual_appointments.booking_customer:
    business_id: contosobank@contoso.onmicrosoft.com
    email_address: former.client@fabrikam.com
    state: absent
"""

RETURN = r"""
booking_customer:
  description:
    - The customer as Graph holds it after the task (predicted in check mode), in snake_case.
    - Empty when the customer is absent.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the customer (null for a create predicted in check mode).
      type: str
      sample: 7ed53fa5-9ef2-4f2f-975b-27447440bc09
    display_name:
      description: Name of the customer.
      type: str
      sample: Jordan Miller
    email_address:
      description: E-mail address of the customer.
      type: str
      sample: jordan.miller@fabrikam.com
    phones:
      description: Phone numbers of the customer.
      type: list
      elements: dict
      sample: [{"number": "+1 206 555 0100", "type": "mobile"}]
    addresses:
      description: Postal addresses of the customer.
      type: list
      elements: dict
      sample: [{"street": "123 Main Street", "city": "Redmond", "state": "WA", "postal_code": "98052",
                "country_or_region": "United States", "type": "home"}]
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
  sample: {"before": {"display_name": "Jordan Miller"}, "after": {"display_name": "Jordan A. Miller"}}
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

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import CUSTOMER_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import booking_customer as run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(CUSTOMER_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
