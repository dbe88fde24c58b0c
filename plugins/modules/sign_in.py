#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sign_in
short_description: Sign in once with a device code and keep the token cache for later runs
description:
  - Delegated sign-in for a person, in two steps, because a module cannot print while it waits.
    O(step=start) asks Microsoft Entra ID for a code and returns the sign-in page and the code (show RV(message)
    with M(ansible.builtin.debug)); O(step=finish) waits until the person has entered the code and signed in, then
    writes the token cache.
  - The token cache at O(token_cache_path) is written with mode 0600, atomically and under a lock, so parallel forks
    can share it. Later tasks with O(auth_method=device_code), or V(auto) when the cache exists, get their tokens
    from it silently and renew them with its refresh token, until the refresh token expires or is revoked.
  - The C(cloudcomms.virtual_appointments.sign_in) playbook runs both steps and shows the code in between -
    C(ansible-playbook cloudcomms.virtual_appointments.sign_in -e tenant_id=... -e client_id=...).
  - Between the steps the pending flow, which holds the secret device code, is kept in C(<token_cache_path>.flow)
    (mode 0600). O(step=finish) deletes it when the sign-in succeeded, was declined or expired.
  - Always signs in with the device code - O(auth_method) and the other credential options are accepted (so
    C(module_defaults) for the C(cloudcomms.virtual_appointments.graph) group apply) but not used.
  - O(client_id) must be a public client app registration (C(Allow public client flows) enabled) with the
    delegated Graph permissions the later tasks need; O(tenant_id) and O(client_id) are required (or
    E(AZURE_TENANT_ID) and E(AZURE_CLIENT_ID)).
version_added: 0.1.0
author:
  - Cloudcomms engineering (@cloudcomms)
options:
  step:
    description:
      - V(start) - report the account when the token cache already holds a usable sign-in; otherwise request a
        device code, keep the pending flow in C(<token_cache_path>.flow) and return the code and the page to enter it.
      - V(finish) - wait up to O(wait_timeout) seconds for the person to complete the sign-in started by V(start),
        then write the token cache. Nothing to do when already signed in.
    type: str
    choices: [start, finish]
    default: start
  wait_timeout:
    description:
      - Seconds O(step=finish) waits for the person to sign in (the code itself expires after about 15 minutes).
      - When it runs out the pending flow is kept, so O(step=finish) can be run again while the code is valid.
    type: int
    default: 900
extends_documentation_fragment:
  - cloudcomms.virtual_appointments.graph
attributes:
  check_mode:
    support: partial
    details:
      - O(step=start) runs as usual in check mode - it only reads the token cache, asks for a code and keeps the
        pending flow (it never changes the token cache or the tenant).
      - O(step=finish) does not wait or write in check mode; it reports what it would do.
    description: Runs with C(--check) as described in the details.
  diff_mode:
    support: none
    description: Nothing is compared, so there is no diff.
  action_group:
    support: full
    membership:
      - cloudcomms.virtual_appointments.graph
    description: Use C(group/cloudcomms.virtual_appointments.graph) in C(module_defaults) to set the connection once.
notes:
  - The code is for a person at a browser; the task running O(step=finish) blocks until they are done, they
    decline, the code expires or O(wait_timeout) passes.
  - The device code itself is never returned or logged. RV(user_code) is meant to be shown.
seealso:
  - name: Microsoft identity platform and the OAuth 2.0 device authorization grant flow
    description: How the device code sign-in works.
    link: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
"""

EXAMPLES = r"""
# The collection playbook does all of this:
#   ansible-playbook cloudcomms.virtual_appointments.sign_in -e tenant_id=contoso.onmicrosoft.com -e client_id=...
- name: Ask for a device code unless the token cache already holds a sign-in
  cloudcomms.virtual_appointments.sign_in:
    tenant_id: contoso.onmicrosoft.com
    client_id: 0f9e7d6c-2b1a-4c3d-8e5f-7a6b9c0d1e2f
  register: sign_in

- name: Show the page and the code to enter there
  ansible.builtin.debug:
    msg: "{{ sign_in.message }}"
  when: not sign_in.signed_in

- name: Wait until the code has been entered and keep the tokens
  cloudcomms.virtual_appointments.sign_in:
    tenant_id: contoso.onmicrosoft.com
    client_id: 0f9e7d6c-2b1a-4c3d-8e5f-7a6b9c0d1e2f
    step: finish
    wait_timeout: 600
  when: not sign_in.signed_in

- name: Later tasks use the cached sign-in silently
  cloudcomms.virtual_appointments.online_meeting:
    tenant_id: contoso.onmicrosoft.com
    client_id: 0f9e7d6c-2b1a-4c3d-8e5f-7a6b9c0d1e2f
    auth_method: device_code
    external_id: A-1001
"""

RETURN = r"""
signed_in:
  description: Whether the token cache holds a usable sign-in at the end of the task.
  returned: always
  type: bool
  sample: false
account:
  description: The signed-in user's name (C(preferred_username)).
  returned: when RV(signed_in) is true
  type: str
  sample: adele.vance@contoso.onmicrosoft.com
user_code:
  description: The code the person enters at RV(verification_uri).
  returned: when a sign-in is pending
  type: str
  sample: GX7Q2KTPL
verification_uri:
  description: The page where the person enters RV(user_code).
  returned: when a sign-in is pending
  type: str
  sample: https://microsoft.com/devicelogin
message:
  description: Instructions for the person, from Microsoft Entra ID (the page and the code).
  returned: when a sign-in is pending
  type: str
  sample: To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code
    GX7Q2KTPL to authenticate.
expires_in:
  description: Seconds the code stays valid, counted from O(step=start).
  returned: when O(step=start) requested a code
  type: int
  sample: 900
token_cache_path:
  description: The token cache file the sign-in is kept in.
  returned: always
  type: str
  sample: /home/ops/.cache/cloudcomms.virtual_appointments/msal_token_cache.json
msg:
  description: What O(step=finish) would do, in check mode.
  returned: in check mode with O(step=finish), when not signed in
  type: str
  sample: Would wait up to 900 s for the sign-in with code GX7Q2KTPL, then write the token cache.
auth_method:
  description: Always C(device_code).
  returned: always
  type: str
  sample: device_code
"""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.device_sign_in import run
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import GraphModule


ARGUMENT_SPEC = dict(
    step=dict(type="str", choices=["start", "finish"], default="start"),
    wait_timeout=dict(type="int", default=900),
)


def main():
    GraphModule(ARGUMENT_SPEC).run(run)


if __name__ == "__main__":
    main()
