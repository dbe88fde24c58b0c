# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``sign_in`` module: a delegated device code sign-in in two steps - ``start`` shows the code, ``finish`` waits
for the person and writes the token cache that later runs use silently.

It writes no Graph resource - only local files (the token cache, the pending flow) - so it reads check mode itself
(``finish``), not through the reconcile engine's write function."""

from __future__ import annotations

import os
import time
import warnings

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import auth, graph
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    AuthenticationError, ConfigurationError, TransportError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.module import INSECURE_WARNING
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
    """Step finish: wait for the person, write the token cache, delete the pending flow.  Check mode is decided here:
    the token cache and the flow are local files, not Graph resources (see the module docstring)."""
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
