#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_appointment_info
short_description: Read the virtual appointments of Microsoft Teams online meetings
description:
  - Reads the virtual appointment of one or many online meetings in one task (Graph C($batch), 20 reads a call).
  - An appointment that does not exist is reported with RV(virtual_appointments[].exists=false), not as an error.
  - With O(include_join_web_url) it also calls C(getVirtualAppointmentJoinWebUrl), the function Microsoft points to
    after deprecating the resource (on C(v1.0) and C(beta) today), so the module stays useful against current Graph.
  - Graph cannot list meetings or find one by external ID without creating it; pass the meeting IDs that
    M(cloudcomms.virtual_appointments.online_meeting) returned.
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  online_meeting_ids:
    description:
      - IDs of the online meetings whose appointments to read.
      - Checked before any request by the same rule as the other modules' IDs (no spaces, no path or query
        characters).
    type: list
    elements: str
    required: true
    aliases: [online_meeting_id]
  user:
    description:
      - Object ID or user principal name of the organizer (C(/users/{user}), application permissions).
      - Omit it to act as the signed-in user (C(/me), delegated permissions).
    type: str
  include_join_web_url:
    description: Also get each meeting's client join URL with C(getVirtualAppointmentJoinWebUrl).
    type: bool
    default: false
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.info_attributes
seealso:
  - module: cloudcomms.virtual_appointments.virtual_appointment
  - name: getVirtualAppointmentJoinWebUrl (Microsoft Graph)
    description: The join-link function that replaces the deprecated resource.
    link: https://learn.microsoft.com/graph/api/virtualappointment-getvirtualappointmentjoinweburl
"""

EXAMPLES = r"""
- name: Ensure the meeting for appointment A-1001
  cloudcomms.virtual_appointments.online_meeting:
    user: adele.vance@contoso.onmicrosoft.com
    external_id: A-1001
  register: meeting

# Graph serves the client join link for signed-in users only, so these tasks sign in as the organizer: export AZURE_CLIENT_ID (a public
# client app registration), AZURE_USERNAME and AZURE_PASSWORD, or run the sign_in playbook once and set
# auth_method: device_code. An application's secret or certificate is refused before any request.
- name: Read its appointment and the client join link
  cloudcomms.virtual_appointments.virtual_appointment_info:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_ids:
      - "{{ meeting.online_meeting.id }}"
    include_join_web_url: true
  register: info

- name: Show whether it exists and where clients join
  ansible.builtin.debug:
    msg: "{{ info.virtual_appointments[0].exists }} {{ info.virtual_appointments[0].join_web_url }}"
"""

RETURN = r"""
virtual_appointments:
  description: One entry per requested meeting, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    online_meeting_id:
      description: The meeting ID.
      type: str
      sample: MSozYjZlOWYyMC03YzFhLTRkNTgtYjJlNC05YTBjNWQ3ZjFlODYqMCoqMTk6bWVldGluZ18
    exists:
      description: Whether the meeting has a virtual appointment.
      type: bool
      sample: true
    virtual_appointment:
      description: The appointment in snake_case (see M(cloudcomms.virtual_appointments.virtual_appointment)); empty when absent.
      type: dict
      sample: {"id": "0c7fda79-ff00-f57f-37e3-28183b6d09b5", "external_appointment_id": "A-1001"}
    join_web_url:
      description: The client join URL from C(getVirtualAppointmentJoinWebUrl), with O(include_join_web_url).
      type: str
      sample: https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=a796be92-&convId=19:meeting_x@thread.v2
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: managed_identity
waits:
  description: Retries Graph asked for, when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 1, "seconds": 1.0, "longest": 1.0, "by_reason": {"429 throttled": 1}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.single import virtual_appointment_info as run

ARGUMENT_SPEC = dict(
    online_meeting_ids=dict(type="list", elements="str", required=True, aliases=["online_meeting_id"]),
    user=dict(type="str"),
    include_join_web_url=dict(type="bool", default=False),
)


def main():
    GraphModule(ARGUMENT_SPEC).run(run)


if __name__ == "__main__":
    main()
