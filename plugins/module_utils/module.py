# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module's short ``main()`` shares: the AnsibleModule with the connection options, a lazily built
Graph client, and one mapping from the collection's exceptions to ``fail_json``.

``GraphModule(spec, args=...)`` runs the same ``run(fn)`` in the calling process instead (the batch module's action
plugin, on the controller): the options are checked by the same argument spec, and the result is returned."""

from __future__ import annotations

import warnings

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import auth, graph
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import CollectionError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    ConnectionSettings, connection_spec, option_type_problems, relaxed_spec)

INSECURE_WARNING = ("validate_certs is false: the TLS certificates of Microsoft Graph and of the authority are not "
                    "verified, so tokens and data can be intercepted. Use ca_path for a private CA instead.")


class Finished(Exception):
    """How an in-process run ends: its result (``failed`` set when it failed)."""

    def __init__(self, result):
        super().__init__(result.get("msg", ""))
        self.result = result


class InProcessModule:
    """The part of AnsibleModule a GraphModule uses, for a run inside the calling process: the options checked by the
    module's argument spec (types, choices, defaults, environment fallbacks), check and diff mode, warnings;
    ``exit_json``/``fail_json`` raise Finished with the result."""

    def __init__(self, argument_spec, args, check_mode=False, diff=False):
        from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel
        self.check_mode, self._diff, self._warnings = bool(check_mode), bool(diff), []
        validated = ArgumentSpecValidator(argument_spec).validate(dict(args))
        self.params = validated.validated_parameters
        if validated.error_messages:
            self.fail_json(msg="Invalid input: " + "; ".join(validated.error_messages),
                           problems=list(validated.error_messages))

    def warn(self, message):
        self._warnings.append(message)

    def _finish(self, result):
        if self._warnings:
            result["warnings"] = list(self._warnings)
        raise Finished(result)

    def exit_json(self, **result):
        self._finish(result)

    def fail_json(self, **result):
        result["failed"] = True
        self._finish(result)


class GraphModule:
    """Composition over AnsibleModule (amazon.aws style): ``run(fn)`` calls ``fn(self)`` and exits.

    With ``args`` (the task's options), the module runs in this process (InProcessModule) and ``run(fn)`` returns the
    result instead of exiting."""

    def __init__(self, argument_spec, supports_check_mode=True, args=None, check_mode=False, diff=False,
                 api_version="beta", **kwargs):
        # The module's own options as the task gave them, before the argument spec converts them (``subject: no``
        # would be "False", ``external_id: 0755`` "493"): values of another type are refused, naming the option.
        raw = basic._load_params() if args is None else args  # pylint: disable=protected-access
        problems = option_type_problems(raw, argument_spec)
        spec = connection_spec(**(relaxed_spec(argument_spec) if problems else argument_spec))
        self._client = None
        self.settings = None
        self.api_version = api_version  # the Graph version when the task sets none
        # Called with each slice's progress by engines that report it (the in-process action plugin shows it at -v;
        # a module process cannot print).
        self.progress = None
        if args is None:
            self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        else:
            self.module = InProcessModule(spec, args, check_mode, diff)
        if problems:
            self.module.fail_json(msg="Invalid input: " + "; ".join(problems), problems=problems)

    @property
    def params(self):
        return self.module.params

    @property
    def check_mode(self):
        return self.module.check_mode

    @property
    def diff_mode(self):
        return self.module._diff  # pylint: disable=protected-access

    def warn(self, message):
        self.module.warn(message)

    def client(self, concurrency=4):
        """The Graph client for this run (one keep-alive session, one token provider)."""
        if self._client is None:
            if not graph.HAS_REQUESTS:
                self.module.fail_json(msg=missing_required_lib("requests"), exception=str(graph.REQUESTS_IMPORT_ERROR))
            if not auth.HAS_MSAL and self.params.get("auth_method") != "access_token":
                self.module.fail_json(msg=missing_required_lib("msal"), exception=str(auth.MSAL_IMPORT_ERROR))
            self.settings = ConnectionSettings(self.params, api_version=self.api_version)
            if self.settings.verify is False:
                self.warn(INSECURE_WARNING)
                warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            session = graph.HTTPSession(verify=self.settings.verify, proxy_url=self.settings.proxy_url,
                                        timeout=self.settings.timeout, authority=self.settings.authority_host,
                                        pool_size=concurrency + 2)
            tokens = auth.token_provider(self.settings, session)
            self._client = graph.GraphClient(session, self.settings.graph_base, tokens, self.settings.retry)
        return self._client

    def _extra(self):
        out = {}
        if self.settings is not None:
            out["auth_method"] = self.settings.method
        if self._client is not None and self._client.waits.retries:
            out["waits"] = self._client.waits.as_dict()
        return out

    def run(self, fn):
        """Call ``fn(self)`` -> result dict (with ``changed``); exit or fail the task (in process: return it)."""
        try:
            try:
                result = fn(self)
            except CollectionError as exc:
                failure = exc.fail_kwargs()
                failure.update(self._extra())
                self._warn_waits()
                self.module.fail_json(**failure)
            result.update(self._extra())
            self._warn_waits()
            self.module.exit_json(**result)
        except Finished as done:
            return done.result
        return None  # AnsibleModule exited

    def _warn_waits(self):
        summary = self._client.waits.summary() if self._client is not None else None
        if summary:
            self.warn(summary)
