#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: virtual_appointment_batch
short_description: Reconcile many virtual appointments and their online meetings in one task
description:
  - Ensures a list of appointments - each an online meeting ensured by its external ID and the virtual appointment
    on it - in one task, with one sign-in and Graph C($batch) (20 requests a call, O(concurrency) calls in flight).
  - Reads every item first, then writes only the differences (the same engine and rules as
    M(cloudcomms.virtual_appointments.virtual_appointment) and M(cloudcomms.virtual_appointments.online_meeting)). A
    second run with the same input makes no write and reports C(changed=false).
  - Every item is validated before any request; all problems are reported together, each naming the item (index and
    external ID) and the field.
  - A Graph failure on one item never stops the others; the task fails at the end naming every failed item, and
    still returns every item's result.
  - An item with O(appointments[].state=absent) deletes the meeting, and with it its appointment. Graph cannot find a
    meeting by external ID without creating it, so an absent item needs its O(appointments[].online_meeting_id) (the
    C(virtual_appointments) role keeps them in its ledger, see O(ledger)); without it the item is left alone with a
    warning.
  - The items come from O(appointments), from a scheduling-system export file (O(appointments_file), read by the
    module itself, so thousands of items never pass through Ansible variables), or both.
  - With O(notify_sms), the clients with an C(sms_capable_phone_number) get the SMS of what this run did to their
    appointment - a confirmation when it was created, a reschedule when its meeting's start or end moved, a
    cancellation when it was deleted - each once, since a second run changes nothing and so sends nothing.
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  appointments:
    description: The appointments to reconcile (items of O(appointments_file) come after these).
    type: list
    elements: dict
    default: []
    suboptions:
      external_id:
        description:
          - Your ID of the appointment (scheduling system); the meeting's C(createOrGet) external ID. Unique per
            organizer.
        type: str
        required: true
      user:
        description:
          - Organizer - object ID or user principal name (application permissions). Omit for the signed-in user
            (delegated).
        type: str
      state:
        description: V(present) or V(absent).
        type: str
        choices: [present, absent]
        default: present
      online_meeting_id:
        description:
          - Graph ID of the meeting when known (from a previous run); makes check mode exact.
          - The meeting must carry the item's O(appointments[].external_id); one of another external ID (a stale or
            copied ID) fails the item, naming both, and nothing is written to it.
        type: str
      subject:
        description: Meeting subject.
        type: str
      start_date_time:
        description: Meeting start, ISO 8601 with offset.
        type: str
      end_date_time:
        description: Meeting end, ISO 8601 with offset.
        type: str
      appointment_clients:
        description: Clients; see M(cloudcomms.virtual_appointments.virtual_appointment).
        type: list
        elements: dict
      external_appointment_id:
        description: ID of the appointment in the scheduling system (defaults to O(appointments[].external_id)).
        type: str
      external_appointment_url:
        description: Absolute http(s) URL of the appointment in the scheduling system.
        type: str
      appointment_client_join_web_url:
        description: Overrides the client join URL Graph generates.
        type: str
      settings:
        description: Appointment settings (C(allow_client_to_join_using_browser)).
        type: dict
      sms_time_zone:
        description:
          - Time zone of this appointment's clients for O(notify_sms) (overrides O(notify_sms.time_zone)) - a Windows
            time zone name such as C(Central Standard Time), or an IANA name such as C(America/Chicago).
          - Never sent to Graph as part of the appointment; checked whenever it is given.
        type: str
  appointments_file:
    description:
      - A scheduling-system export holding more appointments, read on the controller by the module. Each item has the
        keys of O(appointments).
      - JSON or YAML - a list of items, or a mapping whose only key is C(appointments), a list; any other top-level
        key is an error.
      - CSV - comma-separated, a header row naming item keys, one row an item; an empty cell is an option not set;
        C(appointment_clients) and C(settings) cells hold JSON; the columns C(client_display_name),
        C(client_email_address) and C(client_sms_capable_phone_number) give a single client instead.
      - CSV header names are matched case-insensitively with surrounding spaces stripped (C( Start_Date_Time ) is
        C(start_date_time)); a column given twice, or a column that names no item key, is an error naming it (with a
        hint when the header looks separated by semicolons, tabs or pipes). A column without a name must be empty.
      - Date-times need an offset (C(2026-12-01T15:00:00+01:00) or C(Z)), as everywhere in the collection.
      - The file is data and is never templated - a value holding a Jinja expression or statement (two opening
        braces, or an opening brace and a percent sign) is an error naming the item and the field; put templated
        values in O(appointments) or the inventory instead.
      - Errors name the file and the item (C(export.json[4]), C(export.csv line 5)) and the field.
    type: dict
    suboptions:
      path:
        description: Path of the file on the controller (UTF-8).
        type: path
        required: true
      format:
        description: File format; V(auto) goes by the extension (C(.csv), C(.yml)/C(.yaml), else JSON).
        type: str
        choices: [auto, json, yaml, csv]
        default: auto
      user:
        description:
          - Take only this organizer's items (compared case-insensitively), for a file shared by several organizers
            (one task per organizer, as the C(virtual_appointments) role runs it). Every item of the file must then
            name its C(user), and every item of the file is validated, so bad input anywhere in the file stops every
            organizer before anything is written.
        type: str
  ledger:
    description:
      - What a previous run recorded - a mapping of external ID to C({online_meeting_id, user}), or a whole ledger
        document of the C(virtual_appointments) role (C({format, appointments})). The module records in a copy as
        meetings are created and deleted, and returns it as RV(ledger_document) for the caller to store (the role's
        fact-cache store); O(ledger_path) keeps a ledger file up to date instead.
      - Items that give no C(online_meeting_id) take the recorded one for the same external ID and organizer, so
        check mode is exact and absent items can be found. With a ledger, an external ID names one appointment; the
        same external ID for several organizers is an error.
      - An organizer given by its user principal name in one place and by its object ID in another is one organizer
        when the ledger recorded its object ID (C(organizer_id), from the meeting Graph returned); when the ledger
        cannot tell, an item whose organizer is spelt the other way than its ledger entry is refused, naming both.
    type: dict
  ledger_path:
    description:
      - A ledger file (JSON, the C(virtual_appointments) role's format) that the module reads and keeps up to date
        as it writes - what the collection created, recorded as it is created - so that a run interrupted part-way
        (killed, lost connection) leaves a ledger that lists every meeting it may have made.
      - Before each round of meeting creates, every C(createOrGet) about to be sent is recorded as a pending entry
        (external ID and organizer, no meeting ID yet; C(createOrGet) by external ID makes sending it again safe);
        after the round, each meeting's ID and its organizer's object ID; an entry is dropped once its meeting is
        deleted. Each change is written atomically (a temporary file in the same directory, flushed to disk, then
        renamed) with mode C(0600), in a directory created C(0700) - the ledger holds meeting IDs of people's
        appointments.
      - Never written in check mode. A missing file is an empty ledger; a truncated or hand-edited file fails the
        task before any request, naming the path and the entry.
      - "A later run resolves a pending entry: an item still in the task proceeds (C(createOrGet) finds its meeting);
        with O(purge), one that left the task is found by C(createOrGet), then deleted; check mode and RV(pending)
        list them."
      - Mutually exclusive with O(ledger).
    type: path
  ledger_labels:
    description:
      - Top-level keys written into the O(ledger_path) file besides its appointments, for people reading it (the
        role records C(host) and C(tenant)).
    type: dict
  purge:
    description:
      - With O(ledger) or O(ledger_path), delete the meeting (and its appointment) of every ledger entry that no item
        names any more. Nothing the ledger does not list is ever deleted.
      - Guarded against mass deletion before any request (also in check mode, which shows the refusal) - a purge of
        an organizer for whom the task gives no appointment at all (an empty or missing list, such as a typo in a
        variable name) is refused unless O(purge_all); so is a purge of more of an organizer's ledger entries than
        O(purge_limit) allows.
      - Without O(purge), RV(not_purged) lists the ledger entries that no item names (they stay in Graph and in the
        ledger), with a warning.
    type: bool
    default: false
  purge_all:
    description:
      - Lift the guards of O(purge) - purge an organizer for whom the task gives no appointment (everything the
        ledger lists for it), and more than O(purge_limit). The way to empty an organizer (decommission).
    type: bool
    default: false
  purge_limit:
    description:
      - The most of one organizer's ledger entries one run may purge - a count (V(10)) or a percent of the entries
        the ledger lists for the organizer (V(50%), rounded up). More is refused before any request, saying how many
        of how many, for which organizer. Ignored with O(purge_all).
    type: str
    default: "50%"
  option_names:
    description:
      - How messages name this task's options, for a caller whose users know them by other names (the
        C(virtual_appointments) role passes its variable names) - a mapping of option name (V(appointments),
        V(notify_sms), V(concurrency), V(purge), V(purge_all), V(purge_limit), ...) to the name to show.
      - For V(appointments), a list name, or a list of C([name, count]) pairs when the items were joined from several
        lists (the first C(count) items are C(name[0]) ...).
    type: dict
  concurrency:
    description: C($batch) calls in flight at once (each carries up to 20 requests).
    type: int
    default: 4
  appointment_resource:
    description:
      - Manage the virtualAppointment resource of each meeting (the seed's API, documented 2022-2023). Microsoft
        retired it in 2023 and Graph no longer serves it; set V(false) for today's flow (Microsoft's "bring your own
        scheduling system"), in which each item is its online meeting, found by O(appointments[].external_id) with
        C(createOrGet), and - with O(include_join_web_url) - the client join link; the appointment options of the
        items are then checked as always but never sent (the scheduling system keeps them).
      - With V(true) on today's Graph, the items fail with one message that names the retirement and this option.
      - With V(false), O(notify_sms) confirms a meeting that C(createOrGet) made, reschedules one whose start or end
        moved, and announces a delete, each to the O(appointments[].appointment_clients) the task gives.
    type: bool
    default: true
  include_join_web_url:
    description:
      - Read the client join link of each present item's meeting (C(getVirtualAppointmentJoinWebUrl)) into
        RV(appointments[].client_join_web_url), for the scheduling system to send to the client.
      - Graph serves it to delegated tokens only, so an application sign-in (O(auth_method) V(client_secret),
        V(client_certificate), V(federated_token), V(managed_identity)) is refused before any request; sign in as the
        organizer (M(cloudcomms.virtual_appointments.sign_in), V(username_password) or a user's O(access_token)).
    type: bool
    default: false
  notify_sms:
    description:
      - Send the SMS of C(sendVirtualAppointmentSms) (see M(cloudcomms.virtual_appointments.virtual_appointment_sms))
        to the clients of the appointments this run changed - V(confirmation) for an appointment created, V(reschedule)
        for one whose meeting's start or end moved, V(cancellation) for one deleted (O(appointments[].state=absent),
        O(purge)). Other changes (subject, clients, URLs) send nothing.
      - The recipients are the clients with an C(sms_capable_phone_number), each number once, in the appointment as
        it is after the run (for a cancellation, as read before the delete). An appointment without such a client
        gets no SMS.
      - "Each SMS is sent once: a second run with the same input changes nothing, so it sends nothing. An SMS is never
        sent again once it may have reached Graph (a lost answer, 500, 502, 504); a failed SMS fails the task at the
        end, which says that the appointments themselves were written and which SMS may not have been sent (send it
        with M(cloudcomms.virtual_appointments.virtual_appointment_sms))."
      - A cancellation is sent before the meeting is deleted (the SMS action is bound to the meeting, so it cannot
        follow the delete). When Graph refuses it (an error that means it was not sent, such as 403), the meeting is
        not deleted and the item fails, so the next run sends the cancellation and deletes; drop V(cancellation)
        from O(notify_sms.message_types) to delete without it.
      - With O(notify_sms), every client phone number of the task and the time zones are checked before any
        request; a number the SMS cannot be sent to (not a phone number, or one without a country code that is not
        a ten-digit United States number) fails the task naming the item and the field, and nothing is written.
        Numbers with a country code outside the United States get a warning (Graph sends these SMS to US numbers
        only).
      - In check mode nothing is sent; each item's RV(appointments[].notification) shows the request with
        C(sent=false).
      - Needs Microsoft Teams Premium; Microsoft documents the SMS for the global cloud only and lists only the
        delegated permission C(VirtualAppointmentNotification.Send).
    type: dict
    suboptions:
      enabled:
        description:
          - Whether to send the SMS. Defaults to V(true) when O(notify_sms) is given, so O(notify_sms) with a
            O(notify_sms.time_zone) alone turns the notifications on; V(false) turns them off (for a templated value).
        type: bool
        default: true
      time_zone:
        description:
          - Time zone of the clients, in which the SMS states the time - a Windows time zone name such as
            C(Pacific Standard Time), or an IANA name such as C(America/Los_Angeles) (translated to its Windows name).
          - Required when O(notify_sms.enabled), unless every item gives its own O(appointments[].sms_time_zone)
            (which overrides this one). Items that O(purge) adds give none.
        type: str
      message_types:
        description: Which of the SMS to send.
        type: list
        elements: str
        choices: [confirmation, reschedule, cancellation]
        default: [confirmation, reschedule, cancellation]
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
seealso:
  - module: cloudcomms.virtual_appointments.virtual_appointment
  - module: cloudcomms.virtual_appointments.online_meeting
"""

EXAMPLES = r"""
- name: Provision appointments exported from the scheduling system
  cloudcomms.virtual_appointments.virtual_appointment_batch:
    appointments:
      - external_id: A-1001
        user: adele.vance@contoso.onmicrosoft.com
        subject: Mortgage consultation
        start_date_time: "2026-12-01T15:00:00+01:00"
        end_date_time: "2026-12-01T15:45:00+01:00"
        external_appointment_url: https://scheduling.example.com/appointments/A-1001
        appointment_clients:
          - display_name: Grady Archie
            email_address: gradya@contoso.com
        settings:
          allow_client_to_join_using_browser: true
      - external_id: A-1002
        user: adele.vance@contoso.onmicrosoft.com
        subject: Pension review
        start_date_time: "2026-12-02T09:00:00+01:00"
        end_date_time: "2026-12-02T09:30:00+01:00"
        appointment_clients:
          - display_name: Megan Bowen
            email_address: meganb@contoso.com
  register: batch

- name: Show what happened
  ansible.builtin.debug:
    msg: "{{ batch.summary }}"

# Graph sends these SMS for signed-in users only, so these tasks sign in as the organizer: export AZURE_CLIENT_ID (a public
# client app registration), AZURE_USERNAME and AZURE_PASSWORD, or run the sign_in playbook once and set
# auth_method: device_code. An application's secret or certificate is refused before any request.
- name: Provision and text each client a confirmation (once; a reschedule or a cancellation when they change)
  cloudcomms.virtual_appointments.virtual_appointment_batch:
    appointments:
      - external_id: A-1003
        user: adele.vance@contoso.onmicrosoft.com
        subject: Tax consultation
        start_date_time: "2026-12-04T10:00:00-06:00"
        end_date_time: "2026-12-04T10:30:00-06:00"
        appointment_clients:
          - display_name: Grady Archie
            email_address: gradya@contoso.com
            sms_capable_phone_number: "+1 312 555 0142"
      - external_id: A-1004
        user: adele.vance@contoso.onmicrosoft.com
        subject: Tax consultation
        start_date_time: "2026-12-04T11:00:00-08:00"
        end_date_time: "2026-12-04T11:30:00-08:00"
        sms_time_zone: America/Los_Angeles
        appointment_clients:
          - display_name: Lynne Robbins
            email_address: lynner@contoso.com
            sms_capable_phone_number: "(206) 555-0199"
    notify_sms:
      time_zone: Central Standard Time
  register: notified

- name: Show who was told what
  ansible.builtin.debug:
    msg: "{{ notified.appointments | selectattr('notification', 'defined') | map(attribute='notification') }}"

- name: Save a scheduling-system export (usually it arrives as a file; one row an appointment)
  ansible.builtin.copy:
    dest: /tmp/appointments-export.csv
    mode: "0600"
    content: |
      external_id,user,subject,start_date_time,end_date_time,client_display_name,client_email_address
      A-2001,adele.vance@contoso.onmicrosoft.com,Loan review,2026-12-03T10:00:00+01:00,2026-12-03T10:30:00+01:00,Lee Gu,leeg@contoso.com
      A-2002,diego.siciliani@contoso.onmicrosoft.com,Card review,2026-12-03T11:00:00+01:00,2026-12-03T11:30:00+01:00,Pat Q,pat@contoso.com

- name: Plan one organizer's share of the export; the module reads the file, not Ansible
  cloudcomms.virtual_appointments.virtual_appointment_batch:
    appointments_file:
      path: /tmp/appointments-export.csv
      user: adele.vance@contoso.onmicrosoft.com
  check_mode: true
  register: plan

- name: Show the plan
  ansible.builtin.debug:
    msg: "{{ plan.summary }} ({{ plan.source.taken }} of the {{ plan.source['items'] }} rows are this organizer's)"
"""

RETURN = r"""
appointments:
  description: One result per input item, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    external_id:
      description: The item's external ID.
      type: str
      sample: A-1001
    user:
      description: The organizer as given.
      type: str
      sample: adele.vance@contoso.onmicrosoft.com
    state:
      description: The item's O(appointments[].state).
      type: str
      choices: [present, absent]
      sample: present
    online_meeting_id:
      description: Graph ID of the meeting (null for a create predicted in check mode).
      type: str
      sample: MSozYjZlOWYyMC03YzFhLTRkNTgtYjJlNC05YTBjNWQ3ZjFlODYqMCoqMTk6bWVldGluZ18
    join_web_url:
      description: Teams join link of the meeting.
      type: str
      sample: https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0
    client_join_web_url:
      description:
        - The client join link of the meeting (C(getVirtualAppointmentJoinWebUrl)); null for a meeting predicted in
          check mode.
      type: str
      returned: when O(include_join_web_url) is true and the item is present
      sample: https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=x&convId=19:meeting_x@thread.v2
    appointment_client_join_web_url:
      description: The link clients join with.
      type: str
      sample: https://visit.teams.microsoft.com/webrtc-svc/api/route?tid=a796be92-&convId=19:meeting_x@thread.v2
    action:
      description:
        - What happened to the item - the appointment's action, V(updated) when its meeting alone changed, V(failed)
          when any part of it failed (RV(appointments[].meeting_action) and RV(appointments[].appointment_action)
          then say what was written and what was not).
      type: str
      choices: [created, updated, deleted, unchanged, failed]
      sample: created
    meeting_action:
      description:
        - What happened to the meeting, as it happened - also when the appointment failed afterwards (a meeting
          created before its appointment's write failed is V(created)); V(failed) when the meeting's read or write
          failed.
      type: str
      choices: [created, updated, deleted, unchanged, failed]
      sample: created
    appointment_action:
      description:
        - What happened to the virtual appointment, as it happened; V(failed) when its read or write failed;
          V(unchanged) when it was not written (also when its meeting failed first).
      type: str
      choices: [created, updated, deleted, unchanged, failed]
      sample: created
    failed_part:
      description:
        - Which part of a failed item failed - V(meeting), V(appointment), V(both), or V(notification) (an absent item
          not deleted because its cancellation SMS was refused).
      type: str
      returned: when the item failed
      choices: [meeting, appointment, both, notification]
      sample: appointment
    pending:
      description:
        - A purge of a ledger entry recorded before its C(createOrGet) by an interrupted run (see O(ledger_path)); in
          check mode its meeting ID is unknown (null) and the delete is predicted.
      type: bool
      returned: for such purge items
      sample: true
    diff:
      description:
        - Before and after of the compared view, in diff mode - C(meeting) and C(appointment) as given, and
          C(notification) (nothing before; after, the SMS sent or planned - C(message_type), C(request_body)) when the
          item called for an SMS.
      type: dict
      sample: {"before": {"meeting": {}, "appointment": {}}, "after": {"meeting": {"subject": "x"}, "appointment": {}}}
    error:
      description:
        - The error of a failed item - C(status) (HTTP), C(code) (Graph error code), C(request_id),
          C(client_request_id), C(date), C(retry_note) (why the collection stopped retrying - C(max_retries),
          C(retry_timeout), C(provisioning_timeout) - or null when the answer was final), and C(message), the whole
          text a single module fails with.
        - An O(appointments[].online_meeting_id) whose meeting has another external ID fails its item with C(code)
          C(externalIdMismatch) and both IDs (C(external_id), C(meeting_external_id)); nothing is written to it.
        - An answer about the tenant or the credential rather than the item carries C(cause), and the task's message
          names it once for all the items it failed - C(resource_retired) (Graph no longer serves the
          virtualAppointment resource; the message says what works today), C(access_policy_missing) (the app has no
          application access policy for the organizer; the message names the Teams PowerShell cmdlets that grant one)
          or C(delegated_only) (the client join link and the SMS take delegated permissions only).
      type: dict
      returned: when the item failed
      sample: {"status": 503, "code": "ServiceUnavailable", "request_id": "599d9cb0", "client_request_id": "6d1b4c5e",
               "date": "Tue, 01 Dec 2026 10:00:00 GMT",
               "retry_note": "the next wait (60.0 s from Retry-After) would pass provisioning_timeout (600 s)",
               "message": "Graph answered 503 ServiceUnavailable on PUT ... [request-id 599d9cb0, ...] (the next wait ...)"}
    notification:
      description:
        - The SMS of O(notify_sms) for this item - C(message_type), C(sent) (V(false) in check mode and when it failed),
          C(request_body) (exactly as sent, or as it would be), and C(request_id) when Graph accepted it, or C(error)
          (as RV(appointments[].error)) and C(may_have_been_sent) when it failed.
        - Absent when the run called for no SMS (nothing created, moved or deleted, the type not in
          O(notify_sms.message_types), or no client with a phone number).
      type: dict
      returned: when O(notify_sms) is enabled and the item called for an SMS
      sample: {"message_type": "confirmation", "sent": true, "request_id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
               "request_body": {"attendees": [{"phoneNumber": "+13125550142", "timeZone": "Central Standard Time"}],
                                "messageType": "confirmation"}}
diff:
  description:
    - In diff mode, one entry per changed item (before and after of its compared view), which C(--diff) displays.
  returned: when diff mode is on
  type: list
  elements: dict
  sample: [{"before_header": "appointments[0] (external_id A-1001) updated", "before": {"meeting": {"subject": "a"}},
            "after_header": "appointments[0] (external_id A-1001) updated", "after": {"meeting": {"subject": "b"}}}]
source:
  description: What O(appointments_file) held - its items in all, the items taken, and the items by organizer.
  returned: when O(appointments_file) is given
  type: dict
  sample: {"path": "/srv/export.csv", "format": "csv", "items": 300, "taken": 50,
           "users": {"adele.vance@contoso.onmicrosoft.com": 50, "diego.siciliani@contoso.onmicrosoft.com": 250}}
not_purged:
  description:
    - The ledger entries that no item names, when O(purge) is off - they stay in Graph and in the ledger (a warning
      says so), so a review of the plan sees them. C(online_meeting_id) is null for a pending entry.
  returned: when a ledger is given, O(purge) is off and some of its entries are named by no item
  type: list
  elements: dict
  sample: [{"external_id": "A-1003", "user": "adele.vance@contoso.onmicrosoft.com", "online_meeting_id": "MSoz..."}]
pending:
  description:
    - External IDs of ledger entries recorded before their C(createOrGet) by a run that was interrupted (no meeting
      ID yet). This run resolves them (see O(ledger_path)); their items (and purge results) show what it does.
  returned: when the ledger has pending entries
  type: list
  elements: str
  sample: ["A-1007"]
ledger_document:
  description:
    - The ledger after the run, when O(ledger) is given - the given one with the meetings this run created and
      without those it deleted (in check mode, as given). Store it for the next run (the role keeps it as a
      cacheable fact).
  returned: when O(ledger) is given
  type: dict
  sample: {"format": 1, "host": "adele", "tenant": "contoso",
           "appointments": {"A-1001": {"user": "adele.vance@contoso.com", "online_meeting_id": "MSo1..."}}}
ledger:
  description: The O(ledger_path) file and its number of entries after the run.
  returned: when O(ledger_path) is given
  type: dict
  sample: {"path": "/srv/ledger/contoso/adele.json", "entries": 42}
summary:
  description:
    - Counts of items by action (an item whose meeting alone changed counts as updated).
    - With O(notify_sms) enabled also C(notified), the items whose SMS was sent (in check mode - would be sent), and
      C(notify_failed), the items whose SMS failed.
  returned: always
  type: dict
  sample: {"total": 2, "created": 1, "updated": 0, "deleted": 0, "unchanged": 1, "failed": 0}
auth_method:
  description: How the module signed in.
  returned: always
  type: str
  sample: client_secret
waits:
  description:
    - Retries Graph asked for, when there were any - C(seconds) is the wall time spent waiting (the C($batch) calls
      in flight wait side by side, and a wait counts once however many requests it held back), C(summed) what the
      waits add up to.
  returned: when Graph asked to wait
  type: dict
  sample: {"retries": 3, "seconds": 1.0, "summed": 3.0, "longest": 1.0, "by_reason": {"429 throttled": 3}}
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.batch import ARGUMENT_SPEC, run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    # On the controller, the action plugin of the same name runs run() in Ansible's worker instead (see
    # plugins/action/virtual_appointment_batch.py); this is the module process everywhere else.
    GraphModule(ARGUMENT_SPEC).run(run)


if __name__ == "__main__":
    main()
