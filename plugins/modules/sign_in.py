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

import os
import time
import warnings

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import auth, graph
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    AuthenticationError, ConfigurationError, TransportError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.runner import (
    INSECURE_WARNING, GraphModule)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import ConnectionSettings

# Errors that leave the code usable: the person may still sign in, so the pending flow is kept.
STILL_PENDING = ("authorization_pending", "slow_down")


def start(settings, session, flow_file):
    """Step start: the signed-in account, or a new device code (the flow is kept in ``flow_file``)."""
    account = auth.signed_in_account(settings, session)
    if account:
        return {"changed": False, "signed_in": True, "account": account}
    flow = auth.start_device_flow(settings, session)[0]
    flow_file.save(flow, settings)
    result = {"changed": False, "signed_in": False}
    result.update(auth.describe_flow(flow))
    return result


def finish(settings, session, flow_file, wait_timeout, check_mode):
    """Step finish: wait for the person, write the token cache, delete the pending flow."""
    account = auth.signed_in_account(settings, session)
    if account:
        if not check_mode:
            flow_file.remove()  # a leftover code from a start that was not finished
        return {"changed": False, "signed_in": True, "account": account}
    flow = flow_file.load(settings)
    if flow is None:
        raise ConfigurationError("No device code sign-in is pending for %s (%s does not exist): run step start first "
                                 "and have the person enter its code, or run the cloudcomms.virtual_appointments."
                                 "sign_in playbook, which does both" % (settings.token_cache_path, flow_file.path))
    if check_mode:
        return {"changed": True, "signed_in": False, "user_code": flow.get("user_code"),
                "verification_uri": flow.get("verification_uri"),
                "msg": "Would wait up to %d s for the sign-in with code %s, then write the token cache."
                       % (wait_timeout, flow.get("user_code"))}
    if flow.get("expires_at", 0) <= time.time():
        flow_file.remove()
        raise AuthenticationError("The device code %s has expired: run step start again for a new code"
                                  % flow.get("user_code"), error="expired_token", method="device_code")
    app, cache = auth.resume_device_flow(settings, session)
    try:
        account = auth.finish_device_flow(flow, app, cache, timeout=wait_timeout)
    except AuthenticationError as exc:
        if exc.error in STILL_PENDING:
            raise AuthenticationError(
                "Nobody completed the sign-in within wait_timeout (%d s): open %s and enter the code %s, then run "
                "step finish again (the code is valid for another %d s), or run step start for a new code (%s)"
                % (wait_timeout, flow.get("verification_uri"), flow.get("user_code"),
                   max(0, flow.get("expires_at", 0) - time.time()), exc.error),
                error=exc.error, error_codes=exc.error_codes, correlation_id=exc.correlation_id,
                trace_id=exc.trace_id, method="device_code") from exc
        flow_file.remove()  # declined, expired or already redeemed: the code is of no further use
        raise AuthenticationError("%s; run step start again for a new code" % exc, error=exc.error,
                                  error_codes=exc.error_codes, correlation_id=exc.correlation_id,
                                  trace_id=exc.trace_id, method="device_code") from exc
    flow_file.remove()
    return {"changed": True, "signed_in": True, "account": account or "signed in"}


def run(module):
    params = module.params
    if not graph.HAS_REQUESTS:
        module.module.fail_json(msg=missing_required_lib("requests"), exception=str(graph.REQUESTS_IMPORT_ERROR))
    if not auth.HAS_MSAL:
        module.module.fail_json(msg=missing_required_lib("msal"), exception=str(auth.MSAL_IMPORT_ERROR))
    if params.get("auth_method") not in (None, "auto", "device_code"):
        module.warn("sign_in always signs in with the device code; auth_method %s is ignored" % params["auth_method"])
    if params["wait_timeout"] <= 0:
        raise ConfigurationError("wait_timeout must be a positive number of seconds")
    settings = ConnectionSettings(dict(params, auth_method="device_code"))
    module.settings = settings
    if settings.verify is False:
        module.warn(INSECURE_WARNING)
        warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    session = graph.HTTPSession(verify=settings.verify, proxy_url=settings.proxy_url, timeout=settings.timeout,
                                authority=settings.authority_host)
    flow_file = auth.DeviceFlowFile(settings.token_cache_path)
    try:
        if params["step"] == "start":
            result = start(settings, session, flow_file)
        else:
            result = finish(settings, session, flow_file, params["wait_timeout"], module.check_mode)
    except graph.requests.exceptions.RequestException as exc:
        raise TransportError("No usable answer from the authority %s during the device code sign-in: %s"
                             % (settings.authority, exc)) from exc
    finally:
        session.close()
    result["token_cache_path"] = os.path.abspath(settings.token_cache_path)  # type path: ~ already expanded
    return result


def main():
    module = GraphModule(dict(
        step=dict(type="str", choices=["start", "finish"], default="start"),
        wait_timeout=dict(type="int", default=900),
    ))
    module.run(run)


if __name__ == "__main__":
    main()
