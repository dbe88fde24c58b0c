#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: booking_custom_question
short_description: Manage a custom question of a Microsoft Bookings business
description:
  - Ensures a custom question (C(bookingCustomQuestion)) of a Bookings business is present with the given values,
    or absent. Services ask their customers the questions they name
    (O(cloudcomms.virtual_appointments.booking_service#module:custom_questions) of
    M(cloudcomms.virtual_appointments.booking_service)).
  - The question is found by O(display_name) within the business (without regard to case), or by O(question_id).
    Graph has no create-by-key in Bookings, so the module lists the business's custom questions, compares the
    options that are set with the one found and writes only the difference - C(POST) to create, C(PATCH) with only
    the changed properties, C(DELETE) to remove. Options that are not set are never changed.
  - When the answer to a create is lost (the connection dropped after Graph took it), the module lists the questions
    again and finds the one it made before sending anything again, so a question is never created twice.
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
  display_name:
    description:
      - Text of the question; the key it is found by within the business (compared without regard to case; a
        difference in case only is corrected with a C(PATCH)). Two questions with this text fail the task - give
        O(question_id).
    type: str
    required: true
  question_id:
    description:
      - ID of the question, when known (a previous run returned it); the question is then read by ID, and
        O(display_name) renames it.
    type: str
  state:
    description:
      - V(present) creates or updates the question; V(absent) deletes it (a question that is already gone is not an
        error).
    type: str
    default: present
    choices: [present, absent]
  answer_input_type:
    description:
      - How the customer answers - V(text) in a free text box, V(radioButton) by choosing one of O(answer_options).
    type: str
    choices: [text, radioButton]
  answer_options:
    description:
      - The answers a customer can choose from, in order (the order is compared). The list replaces the current one.
      - A V(radioButton) question needs at least one; O(answer_input_type=radioButton) without O(answer_options)
        (or with V([])) fails the task before any request.
    type: list
    elements: str
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
  - cloudcomms.virtual_appointments.graph.attributes
notes:
  - Permissions - BookingsAppointment.ReadWrite.All (delegated) or Bookings.ReadWrite.All (application) to write;
    Bookings.Read.All to read.
  - Graph allows four concurrent requests per application per business mailbox; more are answered 429 and waited
    out.
seealso:
  - module: cloudcomms.virtual_appointments.booking_business
  - module: cloudcomms.virtual_appointments.booking_service
  - name: bookingCustomQuestion resource type
    description: The Graph resource.
    link: https://learn.microsoft.com/graph/api/resources/bookingcustomquestion
"""

EXAMPLES = r"""
- name: Ensure a free text question
  cloudcomms.virtual_appointments.booking_custom_question:
    business_id: contosobank@contoso.onmicrosoft.com
    display_name: What would you like to discuss?
    answer_input_type: text
  register: question

- name: Show its ID
  ansible.builtin.debug:
    msg: "{{ question.booking_custom_question.id }}"

- name: Ensure a question with choices
  cloudcomms.virtual_appointments.booking_custom_question:
    business_id: contosobank@contoso.onmicrosoft.com
    display_name: Are you already a customer?
    answer_input_type: radioButton
    answer_options:
      - "Yes"
      - "No"

- name: Ask it in the mortgage consultation
  cloudcomms.virtual_appointments.booking_service:
    business_id: contosobank@contoso.onmicrosoft.com
    display_name: Mortgage consultation
    custom_questions:
      - display_name: Are you already a customer?
        is_required: true

- name: Remove a question that is no longer asked
  cloudcomms.virtual_appointments.booking_custom_question:
    business_id: contosobank@contoso.onmicrosoft.com
    display_name: How did you hear about us?
    state: absent
"""

RETURN = r"""
booking_custom_question:
  description:
    - The question as Graph holds it after the task (predicted in check mode), in snake_case.
    - Empty when the question is absent.
  returned: always
  type: dict
  contains:
    id:
      description: ID of the question (null for a create predicted in check mode).
      type: str
      sample: 8bb9f5f4-8ea9-4c0c-a0b9-5e2fd9c4b8f4
    display_name:
      description: Text of the question.
      type: str
      sample: Are you already a customer?
    answer_input_type:
      description: How the customer answers.
      type: str
      sample: radioButton
    answer_options:
      description: The answers a customer can choose from.
      type: list
      elements: str
      sample: ["Yes", "No"]
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
  sample: {"before": {"answer_options": ["Yes", "No"]}, "after": {"answer_options": ["Yes", "No", "Not sure"]}}
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

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import QUESTION_OPTIONS
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.bookings import (
    booking_custom_question as run)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


def main():
    GraphModule(QUESTION_OPTIONS, api_version="v1.0").run(run)


if __name__ == "__main__":
    main()
