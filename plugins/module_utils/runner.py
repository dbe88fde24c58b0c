# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module's short ``main()`` shares: the AnsibleModule with the connection options, a lazily built
Graph client, and one mapping from the collection's exceptions to ``fail_json``."""

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


class GraphModule:
    """Composition over AnsibleModule (amazon.aws style): ``run(fn)`` calls ``fn(self)`` and exits."""

    def __init__(self, argument_spec, supports_check_mode=True, **kwargs):
        # The module's own options as the task gave them, before the argument spec converts them (``subject: no``
        # would be "False", ``external_id: 0755`` "493"): values of another type are refused, naming the option.
        problems = option_type_problems(basic._load_params(), argument_spec)  # pylint: disable=protected-access
        spec = connection_spec(**(relaxed_spec(argument_spec) if problems else argument_spec))
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=supports_check_mode, **kwargs)
        if problems:
            self.module.fail_json(msg="Invalid input: " + "; ".join(problems), problems=problems)
        self._client = None
        self.settings = None

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
            self.settings = ConnectionSettings(self.params)
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
        """Call ``fn(self)`` -> result dict (with ``changed``); exit or fail the task."""
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

    def _warn_waits(self):
        summary = self._client.waits.summary() if self._client is not None else None
        if summary:
            self.warn(summary)
