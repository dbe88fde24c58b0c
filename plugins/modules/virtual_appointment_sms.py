#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_appointment_sms
short_description: Send the SMS of a Microsoft Teams virtual appointment - confirmation, reschedule, cancellation, reminder
description:
  - Sends an SMS about the virtual appointment on an online meeting to its external attendees through Microsoft Graph.
  - O(message_type=confirmation), V(reschedule) and V(cancellation) call C(sendVirtualAppointmentSms) with a body of
    C(attendees) (each a C(phoneNumber) and a C(timeZone)) and C(messageType); V(reminder) calls
    C(sendVirtualAppointmentReminderSms) with C(attendees) and C(remindBeforeTimeInMinutesType). The 2023 body shapes
    (C(phoneNumbers) with C(smsType) or C(virtualAppointmentSmsType)) are never sent.
  - An SMS cannot be taken back and sending it twice sends it twice, so the task always reports a change. Every
    attendee is checked before any request; an error names the attendee and the field, for example
    C(attendees[1].time_zone).
  - Graph is never asked to send the same request twice once it may have reached the service (a dropped connection,
    a 500, 502 or 504 answer); the task fails instead, saying so, and nothing is resent. Throttling (429) and 503,
    which mean the SMS was not sent, are retried as for every request.
  - The feature needs a Microsoft Teams Premium license and reaches United States phone numbers only; Microsoft
    documents it for the global cloud only.
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  online_meeting_id:
    description:
      - ID of the online meeting that carries the appointment (RV(cloudcomms.virtual_appointments.online_meeting#module:online_meeting.id)
        of M(cloudcomms.virtual_appointments.online_meeting)).
    type: str
    required: true
  user:
    description:
      - Object ID or user principal name of the meeting organizer (C(/users/{user})).
      - Omit it to act as the signed-in user (C(/me), delegated permissions). Microsoft's current permission table
        lists only the delegated permission C(VirtualAppointmentNotification.Send) for these actions; with
        application permissions Graph may refuse the request.
    type: str
  message_type:
    description:
      - V(confirmation), V(reschedule) or V(cancellation) of the appointment (C(sendVirtualAppointmentSms)).
      - V(reminder) before the appointment starts (C(sendVirtualAppointmentReminderSms)); see O(remind_before).
    type: str
    required: true
    choices: [confirmation, reschedule, cancellation, reminder]
  remind_before:
    description:
      - How long before the appointment the reminder is sent, for O(message_type=reminder) only (Graph's
        C(remindBeforeTimeInMinutesType)). Microsoft documents V(mins15) alone.
      - Defaults to V(mins15) for a reminder.
    type: str
    choices: [mins15]
  attendees:
    description:
      - The external attendees who get the SMS. Each gets it once; a number given twice is an error.
    type: list
    elements: dict
    required: true
    suboptions:
      phone_number:
        description:
          - Phone number that receives the SMS, with a leading C(+) and its country code, for example
            C(+1 312 555 0142). Spaces, C(-), C(.), C(/) and C(()) are allowed and removed; Graph gets
            C(+13125550142). The same phone number rule as C(sms_capable_phone_number) (7 to 15 digits).
          - Graph sends these SMS to United States numbers only, so a number without a leading C(+) is taken as a
            United States number and must have ten digits (or eleven starting with 1); any other number without a
            country code is an error. A number with a country code outside the United States gets a warning.
          - Required.
        type: str
      time_zone:
        description:
          - Time zone of the attendee, in which the SMS states the time. Graph wants a Windows time zone name such
            as C(Pacific Standard Time) (matched without regard to case).
          - An IANA name such as C(America/Los_Angeles) is translated to its Windows name (every United States zone
            and the main zone of each Windows zone); the result's RV(request_body) shows the name sent.
          - Required.
        type: str
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
attributes:
  check_mode:
    support: full
    description:
      - Checks every option and returns the request it would send in RV(request_body), with RV(sent=false); makes
        no request to Graph at all (not even to sign in).
  diff_mode:
    support: full
    description: Shows the SMS request as the C(after) state (nothing is sent before).
notes:
  - The SMS texts are Microsoft's; the request chooses only the kind of message, the recipients and their time zones.
  - Graph answers C(202 Accepted); delivery itself is not reported. RV(request_id) identifies the request in a
    support case.
seealso:
  - module: cloudcomms.virtual_appointments.online_meeting
  - module: cloudcomms.virtual_appointments.virtual_appointment
  - name: sendVirtualAppointmentSms (Microsoft Graph)
    description: The documented action for confirmation, reschedule and cancellation.
    link: https://learn.microsoft.com/graph/api/virtualappointment-sendvirtualappointmentsms
  - name: sendVirtualAppointmentReminderSms (Microsoft Graph)
    description: The documented action for reminders.
    link: https://learn.microsoft.com/graph/api/virtualappointment-sendvirtualappointmentremindersms
"""

EXAMPLES = r"""
- name: Ensure the meeting for appointment A-1001
  cloudcomms.virtual_appointments.online_meeting:
    user: adele.vance@contoso.onmicrosoft.com
    external_id: A-1001
    subject: Mortgage consultation
    start_date_time: "2026-12-01T15:00:00-06:00"
    end_date_time: "2026-12-01T15:45:00-06:00"
  register: meeting

# Graph sends these SMS for signed-in users only, so these tasks sign in as the organizer: export AZURE_CLIENT_ID (a public
# client app registration), AZURE_USERNAME and AZURE_PASSWORD, or run the sign_in playbook once and set
# auth_method: device_code. An application's secret or certificate is refused before any request.
- name: Confirm the appointment to its clients by SMS
  cloudcomms.virtual_appointments.virtual_appointment_sms:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    message_type: confirmation
    attendees:
      - phone_number: "+1 312 555 0142"
        time_zone: Central Standard Time
      - phone_number: "(206) 555-0199"
        time_zone: America/Los_Angeles
  register: confirmation

- name: Show what was sent and the request-id for a support case
  ansible.builtin.debug:
    msg: "{{ confirmation.request_body }} (request-id {{ confirmation.request_id }})"

- name: Preview the cancellation without sending it
  cloudcomms.virtual_appointments.virtual_appointment_sms:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    message_type: cancellation
    attendees:
      - phone_number: "+1 312 555 0142"
        time_zone: Central Standard Time
  check_mode: true
  register: preview

- name: Remind the clients 15 minutes before the appointment
  cloudcomms.virtual_appointments.virtual_appointment_sms:
    user: adele.vance@contoso.onmicrosoft.com
    online_meeting_id: "{{ meeting.online_meeting.id }}"
    message_type: reminder
    remind_before: mins15
    attendees: "{{ clients | map('combine', {'time_zone': 'Central Standard Time'}) | list }}"
  vars:
    clients:
      - phone_number: "+1 312 555 0142"
      - phone_number: "+1 312 555 0177"
"""

RETURN = r"""
sent:
  description: Whether the request was sent (V(false) in check mode).
  returned: always
  type: bool
  sample: true
graph_action:
  description: The Graph action called (or that would be called in check mode).
  returned: always
  type: str
  sample: sendVirtualAppointmentSms
  choices: [sendVirtualAppointmentSms, sendVirtualAppointmentReminderSms]
request_body:
  description: The request body sent to Graph (or that would be sent in check mode), exactly as sent.
  returned: always
  type: dict
  sample: {"attendees": [{"phoneNumber": "+13125550142", "timeZone": "Central Standard Time"},
                         {"phoneNumber": "+12065550199", "timeZone": "Pacific Standard Time"}],
           "messageType": "confirmation"}
online_meeting_id:
  description: ID of the meeting whose appointment the SMS is about.
  returned: always
  type: str
  sample: MSozYjZlOWYyMC03YzFhLTRkNTgtYjJlNC05YTBjNWQ3ZjFlODYqMCoqMTk6bWVldGluZ18
message_type:
  description: The O(message_type) sent.
  returned: always
  type: str
  sample: confirmation
status:
  description: The HTTP status Graph answered (C(202) Accepted).
  returned: when sent
  type: int
  sample: 202
request_id:
  description: The C(request-id) Graph gave the request, for a support case.
  returned: when sent
  type: str
  sample: 94fb3b52-452a-4535-a601-69e0a90e3aa2
client_request_id:
  description: The C(client-request-id) the module sent with the request.
  returned: when sent
  type: str
  sample: e70c5c1b-8d4b-4b8e-9a3e-6c1f0b2d7a54
diff:
  description: Nothing before, the Graph action and the request body after, in diff mode.
  returned: when diff mode is on
  type: dict
  sample: {"before": {}, "after": {"graph_action": "sendVirtualAppointmentSms",
                                   "request_body": {"attendees": [], "messageType": "confirmation"}}}
auth_method:
  description: How the module signed in.
  returned: when sent
  type: str
  sample: client_secret
waits:
  description: Retries Graph asked for (throttling), when there were any.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 1, "seconds": 1.0, "longest": 1.0, "by_reason": {"429 throttled": 1}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import sms
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.single import virtual_appointment_sms as run

ARGUMENT_SPEC = dict(
    online_meeting_id=dict(type="str", required=True),
    user=dict(type="str"),
    message_type=dict(type="str", required=True, choices=list(sms.MODULE_MESSAGE_TYPES)),
    remind_before=dict(type="str", choices=list(sms.REMIND_BEFORE)),
    attendees=dict(type="list", elements="dict", required=True, options=dict(
        phone_number=dict(type="str"),
        time_zone=dict(type="str"),
    )),
)


def main():
    GraphModule(ARGUMENT_SPEC).run(run)


if __name__ == "__main__":
    main()
