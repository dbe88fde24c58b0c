# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection, authentication and retry options every module shares (documented once, in the
``cloudcomms.virtual_appointments.graph`` doc fragment), and their resolution into plain settings.

Precedence: a task option, else its environment variable (the names azure-identity users already export), else
the default.  ``cloud`` sets the authority host, Graph endpoint and token scope together; ``authority_host`` and
``graph_endpoint`` override the first two (a proxy, a private endpoint, the local emulator) but never the scope.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    CollectionError, ConfigurationError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.retry import RetrySettings
# The rules (validate.py); show, type_name, not_a_string and id_problems are also imported from here by callers.
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.validate import (
    PHONE_LENGTH, date_time_problems, email_problems, flag_problems, id_problems, not_a_string, parse_time,
    phone_problems, show, text_problems, type_name, url_problems)

AUTH_METHODS = ("auto", "access_token", "client_certificate", "client_secret", "federated_token",
                "username_password", "managed_identity", "device_code")
# The methods whose token is an application's own (no signed-in user): Graph serves the client join link and the
# virtual appointment SMS to delegated tokens only (graph-today.md 3).  access_token may be either.
APP_ONLY_METHODS = ("client_certificate", "client_secret", "federated_token", "managed_identity")

# cloud: (authority host, Graph endpoint, Graph resource the token is for)
CLOUDS = {
    "global": ("https://login.microsoftonline.com", "https://graph.microsoft.com", "https://graph.microsoft.com"),
    "usgov": ("https://login.microsoftonline.us", "https://graph.microsoft.us", "https://graph.microsoft.us"),
    "usgov_dod": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us",
                  "https://dod-graph.microsoft.us"),
    "china": ("https://login.partner.microsoftonline.cn", "https://microsoftgraph.chinacloudapi.cn",
              "https://microsoftgraph.chinacloudapi.cn"),
}


def _env(*names):
    return {"fallback": (env_fallback, list(names))}


CONNECTION_SPEC = {
    "auth_method": dict(type="str", default="auto", choices=list(AUTH_METHODS),
                        **_env("CLOUDCOMMS_GRAPH_AUTH_METHOD")),
    "tenant_id": dict(type="str", **_env("AZURE_TENANT_ID")),
    "client_id": dict(type="str", **_env("AZURE_CLIENT_ID")),
    "client_secret": dict(type="str", no_log=True, **_env("AZURE_CLIENT_SECRET")),
    "client_certificate_path": dict(type="path", **_env("AZURE_CLIENT_CERTIFICATE_PATH")),
    "client_certificate_password": dict(type="str", no_log=True, **_env("AZURE_CLIENT_CERTIFICATE_PASSWORD")),
    "federated_token_file": dict(type="path", **_env("AZURE_FEDERATED_TOKEN_FILE")),
    "username": dict(type="str", **_env("AZURE_USERNAME")),
    "password": dict(type="str", no_log=True, **_env("AZURE_PASSWORD")),
    "access_token": dict(type="str", no_log=True, **_env("CLOUDCOMMS_GRAPH_ACCESS_TOKEN")),
    "token_cache_path": dict(type="path", no_log=False, **_env("CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH")),
    "cloud": dict(type="str", default="global", choices=list(CLOUDS), **_env("CLOUDCOMMS_GRAPH_CLOUD")),
    "authority_host": dict(type="str", **_env("AZURE_AUTHORITY_HOST")),
    "graph_endpoint": dict(type="str", **_env("CLOUDCOMMS_GRAPH_ENDPOINT")),
    # No default: the module's (GraphModule api_version): beta for the virtualAppointment family, v1.0 for Bookings.
    "api_version": dict(type="str", choices=["beta", "v1.0"]),
    "validate_certs": dict(type="bool", default=True, **_env("CLOUDCOMMS_GRAPH_VALIDATE_CERTS")),
    "ca_path": dict(type="path", **_env("CLOUDCOMMS_GRAPH_CA_PATH")),
    "proxy_url": dict(type="str", **_env("CLOUDCOMMS_GRAPH_PROXY_URL")),
    "timeout": dict(type="float", default=30.0),
    "max_retries": dict(type="int", default=10),
    "retry_timeout": dict(type="float", default=300.0),
    "provisioning_timeout": dict(type="float", default=600.0),
}


def connection_spec(**module_options):
    """The module's argument spec: the shared options plus the module's own."""
    spec = {key: dict(value) for key, value in CONNECTION_SPEC.items()}
    spec.update(module_options)
    return spec


def default_token_cache_path():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cloudcomms.virtual_appointments", "msal_token_cache.json")


def app_only_method(params):
    """The sign-in method when it is the application's own (no user: client secret, certificate, federated token,
    managed identity), else None - also when no sign-in is configured (reported where the client is made)."""
    try:
        method = choose_auth_method(params)
    except CollectionError:
        return None
    return method if method in APP_ONLY_METHODS else None


def delegated_only(params, option, what):
    """[problem] when ``option`` asks for ``what`` Graph serves to delegated tokens only (the client join link, the
    virtual appointment SMS: graph-today.md 3) and the sign-in is the application's own; [] otherwise (also when no
    sign-in is configured: that is reported where the client is made)."""
    method = app_only_method(params)
    if method is None:
        return []
    return ["%s: %s is served to delegated tokens only, and auth_method %s signs in as the application: sign in as "
            "the organizer - the sign_in module (device code) then auth_method device_code, auth_method "
            "username_password, or the access_token of a signed-in user" % (option, what, method)]


def choose_auth_method(params, environ=None):
    """The method ``auth_method: auto`` picks, in the documented order; raise when nothing is set."""
    environ = os.environ if environ is None else environ
    method = params.get("auth_method") or "auto"
    if method != "auto":
        return method
    if params.get("access_token"):
        return "access_token"
    if params.get("client_certificate_path"):
        return "client_certificate"
    if params.get("client_secret"):
        return "client_secret"
    if params.get("federated_token_file"):
        return "federated_token"
    if params.get("username") and params.get("password"):
        return "username_password"
    if environ.get("IDENTITY_ENDPOINT") or environ.get("MSI_ENDPOINT"):
        return "managed_identity"
    cache = params.get("token_cache_path") or default_token_cache_path()
    if params.get("client_id") and os.path.exists(cache):
        return "device_code"
    raise ConfigurationError(
        "No credentials found for Microsoft Graph: set access_token, or client_id with client_certificate_path, "
        "client_secret or federated_token_file, or username and password, run on a host with a managed identity, "
        "or sign in once with the device code (the sign_in playbook); each option also reads its environment "
        "variable (AZURE_CLIENT_SECRET, AZURE_FEDERATED_TOKEN_FILE, ...).")


REQUIRED = {
    "client_certificate": ("tenant_id", "client_id", "client_certificate_path"),
    "client_secret": ("tenant_id", "client_id", "client_secret"),
    "federated_token": ("tenant_id", "client_id", "federated_token_file"),
    "username_password": ("tenant_id", "client_id", "username", "password"),
    "device_code": ("tenant_id", "client_id"),
    "access_token": ("access_token",),
    "managed_identity": (),
}


def _env_name(key):
    """The environment variable an option falls back to (for messages)."""
    fallback = CONNECTION_SPEC.get(key, {}).get("fallback")
    return fallback[1][0] if fallback else key.upper()


def _value(params, key):
    """The param, or the spec's default when unset (params built by hand may omit keys or hold None)."""
    value = params.get(key)
    return CONNECTION_SPEC[key]["default"] if value is None else value


class ConnectionSettings:
    """Everything the auth and HTTP layers need, resolved from module params (plain values only)."""

    def __init__(self, params, environ=None, api_version="beta"):
        self.method = choose_auth_method(params, environ)
        missing = [key for key in REQUIRED[self.method] if not params.get(key)]
        if missing:
            raise ConfigurationError("auth_method %s needs %s" % (self.method, ", ".join(
                "%s (or %s)" % (key, _env_name(key)) for key in missing)))
        authority_host, graph_endpoint, resource = CLOUDS[params.get("cloud") or "global"]
        self.authority_host = (params.get("authority_host") or authority_host).rstrip("/")
        self.graph_endpoint = (params.get("graph_endpoint") or graph_endpoint).rstrip("/")
        for name, url in (("authority_host", self.authority_host), ("graph_endpoint", self.graph_endpoint)):
            if not url.lower().startswith("https://") or not urlsplit(url).hostname:
                raise ConfigurationError("%s must be an https:// URL, got %r" % (name, url))
        self.resource = resource
        self.scope = resource + "/.default"
        self.api_version = params.get("api_version") or api_version
        self.graph_base = "%s/%s" % (self.graph_endpoint, self.api_version)
        self.tenant_id = params.get("tenant_id")
        self.client_id = params.get("client_id")
        self.params = params
        self.token_cache_path = params.get("token_cache_path") or default_token_cache_path()
        if params.get("validate_certs", True) is False:
            self.verify = False
        else:
            self.verify = params.get("ca_path") or True
            if isinstance(self.verify, str) and not os.path.exists(self.verify):
                raise ConfigurationError(
                    "ca_path: the CA bundle %s does not exist (set by the ca_path option or the %s environment "
                    "variable; give the PEM file, or the directory of certificates, that signed the Graph and "
                    "authority endpoints)" % (self.verify, _env_name("ca_path")))
        self.proxy_url = params.get("proxy_url")
        # "timeout: 0" must fail here, not silently become the default (hence no "or 30.0").
        self.timeout = float(_value(params, "timeout"))
        if self.timeout <= 0:
            raise ConfigurationError("timeout must be a positive number of seconds")
        for key in ("max_retries", "retry_timeout", "provisioning_timeout"):
            if _value(params, key) < 0:
                raise ConfigurationError("%s must not be negative" % key)
        self.retry = RetrySettings(
            max_retries=_value(params, "max_retries"), retry_timeout=_value(params, "retry_timeout"),
            provisioning_timeout=_value(params, "provisioning_timeout"))

    @property
    def authority(self):
        return "%s/%s" % (self.authority_host, self.tenant_id)


# -- validation of appointment and meeting values, before any request -------------------------------------------------
# Which kind of field each option is, and how long it may be; the rule of each kind is in validate.py (one rule per
# kind, so the same value gets the same answer in every module, the batch, the role and the SMS).
MAX_LENGTH = {"display_name": 256, "email_address": 320, "sms_capable_phone_number": PHONE_LENGTH,
              "external_appointment_id": 1024, "external_appointment_url": 2048,
              "appointment_client_join_web_url": 2048, "subject": 1024}
ID_FIELDS = ("external_id", "user", "online_meeting_id")
CLIENT_KEYS = ("display_name", "email_address", "sms_capable_phone_number")
SETTINGS_KEYS = ("allow_client_to_join_using_browser",)
_CLIENT_RULES = {"display_name": text_problems, "email_address": email_problems,
                 "sms_capable_phone_number": phone_problems}


def _blank(value):
    """Not given, or only whitespace (which the models strip to an empty string)."""
    return value is None or (isinstance(value, str) and not value.strip())


def _unknown_keys(given, known):
    """The keys of ``given`` not in ``known``, sorted, each shown cut short."""
    return sorted(show(key) if not isinstance(key, str) or len(key) > 60 else key for key in set(given) - set(known))


def appointment_problems(values, where):
    """Problems with the virtual appointment values in ``values`` (only keys that are set); [] when valid."""
    problems = []
    for key in ("external_appointment_id",):
        if values.get(key) is not None:
            problems += text_problems(values[key], "%s.%s" % (where, key), MAX_LENGTH[key])
            if isinstance(values[key], str) and not values[key].strip():
                problems.append("%s.%s: must not be empty (omit it to leave it unmanaged)" % (where, key))
    for key in ("external_appointment_url", "appointment_client_join_web_url"):
        if values.get(key) is not None:
            problems += url_problems(values[key], "%s.%s" % (where, key), MAX_LENGTH[key])
    clients = values.get("appointment_clients")
    if clients is not None:
        if not isinstance(clients, list):
            problems.append("%s.appointment_clients: must be a list, got %s" % (where, type_name(clients)))
            clients = []
        seen = {}
        for index, client in enumerate(clients):
            field = "%s.appointment_clients[%d]" % (where, index)
            if not isinstance(client, dict):
                problems.append("%s: must be a mapping with %s" % (field, ", ".join(CLIENT_KEYS)))
                continue
            unknown = _unknown_keys(client, CLIENT_KEYS)
            if unknown:
                problems.append("%s: unknown key(s) %s; known: %s" % (field, ", ".join(unknown), ", ".join(CLIENT_KEYS)))
            if all(_blank(client.get(k)) for k in ("email_address", "display_name")):
                problems.append("%s: needs an email_address or a display_name" % field)
            for key in CLIENT_KEYS:
                value = client.get(key)
                if value is None:
                    continue
                problems += _CLIENT_RULES[key](value, "%s.%s" % (field, key), MAX_LENGTH[key])
            email = client.get("email_address")
            if isinstance(email, str) and email.strip():
                folded = email.strip().casefold()
                if folded in seen:
                    problems.append("%s.email_address: %s is also appointment_clients[%d]" % (field, email, seen[folded]))
                seen.setdefault(folded, index)
    settings = values.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            problems.append("%s.settings: must be a mapping, got %s" % (where, type_name(settings)))
        else:
            unknown = _unknown_keys(settings, SETTINGS_KEYS)
            if unknown:
                problems.append("%s.settings: unknown key(s) %s; known: %s" % (where, ", ".join(unknown),
                                                                               ", ".join(SETTINGS_KEYS)))
            flag = settings.get("allow_client_to_join_using_browser")
            if flag is not None:
                problems += flag_problems(flag, "%s.settings.allow_client_to_join_using_browser" % where)
    return problems


def ids_problems(values, where):
    """Problems with the IDs among ``values`` (external_id, online_meeting_id, user - only those that are set)."""
    problems = []
    for key in ID_FIELDS:
        if values.get(key) is not None:
            problems += id_problems(values[key], "%s.%s" % (where, key), key)
    return problems


def meeting_problems(values, where):
    """Problems with meeting values (subject, start_date_time, end_date_time) and the IDs (external_id,
    online_meeting_id, user) among ``values``."""
    problems = []
    if values.get("subject") is not None:
        problems += text_problems(values["subject"], "%s.subject" % where, MAX_LENGTH["subject"])
    problems += ids_problems(values, where)
    times = {}
    for key in ("start_date_time", "end_date_time"):
        value = values.get(key)
        if value is None:
            continue
        found = date_time_problems(value, "%s.%s" % (where, key))
        problems += found
        if not found:
            times[key] = parse_time(value)
    given = [k for k in ("start_date_time", "end_date_time") if values.get(k) is not None]
    if len(given) == 1:
        problems.append("%s: start_date_time and end_date_time go together (Graph changes both at once); %s is "
                        "missing" % (where, ({"start_date_time", "end_date_time"} - set(given)).pop()))
    if len(times) == 2 and times["end_date_time"] <= times["start_date_time"]:
        problems.append("%s: end_date_time (%s) must be after start_date_time (%s)"
                        % (where, values["end_date_time"], values["start_date_time"]))
    return problems


def option_type_problems(raw, argument_spec, where=""):
    """The module's options as the task gave them (``raw``, before Ansible's argument spec converts them) that are not
    of their type: a string option given a boolean, number or date (``subject: no`` would become "False",
    ``external_id: 0755`` "493"), a list of mappings or a mapping given anything else (Ansible would split a string
    at commas and fail with "dictionary requested", naming no option).  Walks suboptions; ``where`` prefixes the
    option path."""
    problems = []
    if not isinstance(raw, dict):
        return problems
    for name, option in argument_spec.items():
        given = [key for key in [name] + list(option.get("aliases") or []) if raw.get(key) is not None]
        if not given:
            continue
        value, field = raw[given[0]], where + given[0]
        kind, elements = option.get("type", "str"), option.get("elements")
        if kind == "str" and not isinstance(value, str):
            problems.append(not_a_string(value, field))
        elif kind == "list" and elements == "dict" and not isinstance(value, list):
            problems.append("%s: must be a list of mappings, got %s" % (field, type_name(value)))
        elif kind == "list" and isinstance(value, list):
            for index, element in enumerate(value):
                sub = "%s[%d]" % (field, index)
                if elements == "str" and not isinstance(element, str):
                    problems.append(not_a_string(element, sub))
                elif elements == "dict" and not isinstance(element, dict):
                    problems.append("%s: must be a mapping, got %s" % (sub, type_name(element)))
                elif elements == "dict" and option.get("options"):
                    problems += option_type_problems(element, option["options"], sub + ".")
        elif kind == "dict" and not isinstance(value, dict):
            problems.append("%s: must be a mapping, got %s" % (field, type_name(value)))
        elif kind == "dict" and option.get("options"):
            problems += option_type_problems(value, option["options"], field + ".")
    return problems


def relaxed_spec(argument_spec):
    """``argument_spec`` with every option of type raw (names and aliases kept): for failing with the problems of
    option_type_problems rather than the argument spec's first conversion error."""
    return {name: dict(type="raw", aliases=list(option.get("aliases") or [])) for name, option in
            argument_spec.items()}


APPOINTMENT_OPTIONS = {
    "appointment_clients": dict(type="list", elements="dict", options=dict(
        display_name=dict(type="str"),
        email_address=dict(type="str"),
        sms_capable_phone_number=dict(type="str"),
    )),
    "external_appointment_id": dict(type="str"),
    "external_appointment_url": dict(type="str"),
    "appointment_client_join_web_url": dict(type="str"),
    "settings": dict(type="dict", options=dict(allow_client_to_join_using_browser=dict(type="bool"))),
}
