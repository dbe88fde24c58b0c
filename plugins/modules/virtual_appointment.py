#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_appointment
short_description: Manage the virtual appointment of a Microsoft Teams online meeting
description:
  - Ensures the Microsoft Graph C(virtualAppointment) of an online meeting is present with the given values, or
    absent.
  - Reads the appointment, compares the options that are set with what Graph holds, and writes only the difference
    - C(PUT) to create, C(PATCH) with only the changed properties and C(If-Match) (a concurrent change answers 412;
    the module reads again and plans once more), C(DELETE) to remove.
  - Options that are not set are never changed. O(appointment_clients) is compared as a set keyed by the
    case-folded e-mail address, so order and e-mail case never cause a change.
  - The first create in a tenant is answered with 503 or 409 and C(Retry-After) while Graph provisions the
    service; the module waits it out up to O(provisioning_timeout).
  - The resource is in the Graph C(beta) version only and Microsoft has deprecated it; see
    M(cloudcomms.virtual_appointments.virtual_appointment_info) for the join URL function that replaces it.
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  state:
    description:
      - V(present) creates or updates the appointment; V(absent) deletes it (an appointment that is already gone
        is not an error).
    type: str
    default: present
    choices: [present, absent]
  online_meeting_id:
    description:
      - ID of the online meeting that carries the appointment (RV(cloudcomms.virtual_appointments.online_meeting#module:online_meeting.id)
        of M(cloudcomms.virtual_appointments.online_meeting)).
    type: str
    required: true
  user:
    description:
      - Object ID or user principal name of the meeting organizer (C(/users/{user}), application permissions).
      - Omit it to act as the signed-in user (C(/me), delegated permissions).
    type: str
  appointment_clients:
    description:
      - The clients (customers) of the appointment. The list replaces the current one; V([]) removes every client.
    type: list
    elements: dict
    suboptions:
      display_name:
        description: Name of the client.
        type: str
      email_address:
        description: E-mail address of the client; compared without regard to case.
        type: str
      sms_capable_phone_number:
        description: Phone number that can receive SMS (digits, spaces, C(()-./) and a leading C(+)).
        type: str
  external_appointment_id:
    description: ID of the appointment in the scheduling system.
    type: str
  external_appointment_url:
    description: Absolute http(s) URL of the appointment in the scheduling system.
    type: str
  appointment_client_join_web_url:
    description:
      - Join URL for clients. Graph generates one when it is not set; set it only to override.
    type: str
  settings:
    description: Appointment settings.
    type: dict
    suboptions:
      allow_client_to_join_using_browser:
        description: Whether clients may join from a browser; V(false) means Teams only.
        type: bool
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
seealso:
  - module: cloudcomms.virtual_appointments.online_meeting
  - module: cloudcomms.virtual_appointments.virtual_appointment_info
  - name: virtualAppointment resource type (Microsoft Graph beta)
    description: The documented resource.
    link: https://learn.microsoft.com/graph/api/resources/virtualappointment?view=graph-rest-beta
"""

EXAMPLES = r"""
- name: Ensure the meeting for appointment A-1001
  cloudcomms.virtual_appointments.online_meeting:
    user: adele.vance@contoso.onmicrosoft.com
    external_id: A-1001
    subject: Mortgage consultation
    start_date_time: "2026-12-01T15:00:00+01:00"
    end_date_time: "2026-12-01T15:45:00+01:00"
  register: meeting

- name: Ensure its virtual appointment
  cloudcomms.virtual_appointments.virtual_appointment:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    external_appointment_id: A-1001
    external_appointment_url: https://scheduling.example.com/appointments/A-1001
    appointment_clients:
      - display_name: Grady Archie
        email_address: gradya@contoso.com
        sms_capable_phone_number: "+1 312 555 0142"
    settings:
      allow_client_to_join_using_browser: true
  register: appointment

- name: Show the link to send to the client
  ansible.builtin.debug:
    msg: "{{ appointment.virtual_appointment.appointment_client_join_web_url }}"

- name: Remove every client but keep the appointment
  cloudcomms.virtual_appointments.virtual_appointment:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    appointment_clients: []

- name: Delete the appointment
  cloudcomms.virtual_appointments.virtual_appointment:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    state: absent
"""

RETURN = r"""
virtual_appointment:
  description:
    - The appointment as Graph holds it after the task (predicted in check mode), in snake_case.
    - Empty when the appointment is absent.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the appointment (null for a create predicted in check mode).
      type: str
      sample: 0c7fda79-ff00-f57f-37e3-28183b6d09b5
    appointment_client_join_web_url:
      description: The URL clients join with (waiting room, browser join).
      type: str
      sample: https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=a796be92-&convId=19:meeting_x@thread.v2
    appointment_clients:
      description: The clients.
      type: list
      elements: dict
      sample: [{"display_name": "Grady Archie", "email_address": "gradya@contoso.com",
                "sms_capable_phone_number": "+1 312 555 0142"}]
    external_appointment_id:
      description: ID of the appointment in the scheduling system.
      type: str
      sample: A-1001
    external_appointment_url:
      description: URL of the appointment in the scheduling system.
      type: str
      sample: https://scheduling.example.com/appointments/A-1001
    settings:
      description: Appointment settings.
      type: dict
      sample: {"allow_client_to_join_using_browser": true}
online_meeting_id:
  description: ID of the meeting that carries the appointment.
  returned: always
  type: str
  sample: MSozYjZlOWYyMC03YzFhLTRkNTgtYjJlNC05YTBjNWQ3ZjFlODYqMCoqMTk6bWVldGluZ18
action:
  description: What the task did (or would do in check mode).
  returned: always
  type: str
  sample: updated
  choices: [created, updated, deleted, unchanged]
diff:
  description:
    - Before and after of the compared view (the options that are set; every property for a delete), in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"external_appointment_id": "A-1000"}, "after": {"external_appointment_id": "A-1001"}}
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: client_secret
waits:
  description: Retries Graph asked for (throttling, provisioning), when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 2, "seconds": 6.0, "longest": 5.0, "by_reason": {"503 provisioning": 1, "429 throttled": 1}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.single import virtual_appointment as run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import APPOINTMENT_OPTIONS

ARGUMENT_SPEC = dict(
    state=dict(type="str", default="present", choices=["present", "absent"]),
    online_meeting_id=dict(type="str", required=True),
    user=dict(type="str"),
    **APPOINTMENT_OPTIONS
)


def main():
    GraphModule(ARGUMENT_SPEC).run(run)


if __name__ == "__main__":
    main()
