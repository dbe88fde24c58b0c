#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: online_meeting
short_description: Manage a Microsoft Teams online meeting by its external ID
description:
  - Ensures the online meeting that carries a virtual appointment exists, with the given subject and times, or is
    deleted.
  - The meeting is ensured with Graph C(createOrGet) on O(external_id) (your appointment ID), so a lost answer or
    a re-run never creates a second meeting. The module then updates O(subject), O(start_date_time) and
    O(end_date_time) when they differ (Graph takes both times together).
  - Graph cannot look a meeting up by its external ID without creating it. In check mode the module therefore reads
    the meeting by O(online_meeting_id) when you pass it (a previous run returned it); without it, check mode
    reports the create that C(createOrGet) would make.
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  state:
    description:
      - V(present) ensures the meeting; V(absent) deletes it (with its virtual appointment). Deleting needs
        O(online_meeting_id).
    type: str
    default: present
    choices: [present, absent]
  external_id:
    description:
      - Your ID for the meeting (for example the appointment ID in the scheduling system); with O(user) it
        identifies the meeting in C(createOrGet).
    type: str
  online_meeting_id:
    description:
      - Graph ID of the meeting, when known. Lets check mode read the meeting, and is required with
        O(state=absent).
      - With O(external_id), the meeting must be that external ID's; one of another external ID (a stale or copied
        ID) is refused, naming both, and nothing is written to it.
    type: str
  user:
    description:
      - Object ID or user principal name of the organizer (C(/users/{user}), application permissions).
      - Omit it to act as the signed-in user (C(/me), delegated permissions).
    type: str
  subject:
    description: Subject of the meeting.
    type: str
  start_date_time:
    description:
      - Start as an ISO 8601 date-time with an offset, for example C(2026-12-01T15:00:00+01:00). Graph stores UTC;
        times are compared as instants. Give O(end_date_time) with it.
    type: str
  end_date_time:
    description: End as an ISO 8601 date-time with an offset, after O(start_date_time).
    type: str
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
seealso:
  - module: cloudcomms.virtual_appointments.virtual_appointment
  - name: onlineMeeting createOrGet (Microsoft Graph)
    description: Create or get an online meeting by external ID.
    link: https://learn.microsoft.com/graph/api/onlinemeeting-createorget
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

- name: Show the Teams join link
  ansible.builtin.debug:
    msg: "{{ meeting.online_meeting.join_web_url }}"

- name: Move it by half an hour
  cloudcomms.virtual_appointments.online_meeting:
    user: adele.vance@contoso.onmicrosoft.com
    external_id: A-1001
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    start_date_time: "2026-12-01T15:30:00+01:00"
    end_date_time: "2026-12-01T16:15:00+01:00"

- name: Delete it
  cloudcomms.virtual_appointments.online_meeting:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    state: absent
"""

RETURN = r"""
online_meeting:
  description: The meeting after the task (predicted in check mode); empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Graph ID of the meeting (null for a create predicted in check mode).
      type: str
      sample: MSozYjZlOWYyMC03YzFhLTRkNTgtYjJlNC05YTBjNWQ3ZjFlODYqMCoqMTk6bWVldGluZ18
    external_id:
      description: The external ID.
      type: str
      sample: A-1001
    join_web_url:
      description: The Teams join link of the meeting.
      type: str
      sample: https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0
    subject:
      description: Subject.
      type: str
      sample: Mortgage consultation
    start_date_time:
      description: Start in UTC.
      type: str
      sample: "2026-12-01T14:00:00Z"
    end_date_time:
      description: End in UTC.
      type: str
      sample: "2026-12-01T14:45:00Z"
    creation_date_time:
      description: When Graph created the meeting.
      type: str
      sample: "2026-11-24T08:00:00.1234567Z"
action:
  description: What the task did (or would do in check mode).
  returned: always
  type: str
  sample: created
  choices: [created, updated, deleted, unchanged]
diff:
  description: Before and after of subject and times, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {"before": {"subject": "Consultation"}, "after": {"subject": "Mortgage consultation"}}
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: client_secret
waits:
  description: Retries Graph asked for, when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 1, "seconds": 2.0, "longest": 2.0, "by_reason": {"429 throttled": 1}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.single import online_meeting as run

ARGUMENT_SPEC = dict(
    state=dict(type="str", default="present", choices=["present", "absent"]),
    external_id=dict(type="str"),
    online_meeting_id=dict(type="str"),
    user=dict(type="str"),
    subject=dict(type="str"),
    start_date_time=dict(type="str"),
    end_date_time=dict(type="str"),
)


def main():
    GraphModule(ARGUMENT_SPEC).run(run)


if __name__ == "__main__":
    main()
