"""Connection options (plugins/module_utils/spec.py): task option > environment variable > default, through the REAL
Ansible argument validation; auth method selection; clouds and endpoints; TLS, timeout and retry settings."""

import os

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import spec
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import ConfigurationError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import (
    CONNECTION_SPEC, ConnectionSettings, choose_auth_method, connection_spec)

# option -> (environment variable, a value for the variable, a different value for the task option)
ENV_OPTIONS = {
    "auth_method": ("CLOUDCOMMS_GRAPH_AUTH_METHOD", "client_secret", "device_code"),
    "tenant_id": ("AZURE_TENANT_ID", "tenant-from-env", "tenant-from-task"),
    "client_id": ("AZURE_CLIENT_ID", "client-from-env", "client-from-task"),
    "client_secret": ("AZURE_CLIENT_SECRET", "secret-from-env", "secret-from-task"),
    "client_certificate_path": ("AZURE_CLIENT_CERTIFICATE_PATH", "/env/cert.pem", "/task/cert.pem"),
    "client_certificate_password": ("AZURE_CLIENT_CERTIFICATE_PASSWORD", "pfx-pass-env", "pfx-pass-task"),
    "federated_token_file": ("AZURE_FEDERATED_TOKEN_FILE", "/env/token", "/task/token"),
    "username": ("AZURE_USERNAME", "env@contoso.example", "task@contoso.example"),
    "password": ("AZURE_PASSWORD", "env-password", "task-password"),
    "access_token": ("CLOUDCOMMS_GRAPH_ACCESS_TOKEN", "eyJ.env.token", "eyJ.task.token"),
    "token_cache_path": ("CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH", "/env/cache.json", "/task/cache.json"),
    "cloud": ("CLOUDCOMMS_GRAPH_CLOUD", "usgov", "china"),
    "authority_host": ("AZURE_AUTHORITY_HOST", "https://login.env.example", "https://login.task.example"),
    "graph_endpoint": ("CLOUDCOMMS_GRAPH_ENDPOINT", "https://graph.env.example", "https://graph.task.example"),
    "validate_certs": ("CLOUDCOMMS_GRAPH_VALIDATE_CERTS", "false", True),
    "ca_path": ("CLOUDCOMMS_GRAPH_CA_PATH", "/env/ca.pem", "/task/ca.pem"),
    "proxy_url": ("CLOUDCOMMS_GRAPH_PROXY_URL", "http://proxy.env:3128", "http://proxy.task:3128"),
}
SECRETS = ("client_secret", "client_certificate_password", "password", "access_token")
MI_ENV = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET")


def _expected(option, raw):
    return False if option == "validate_certs" and raw == "false" else raw


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """Nothing from the machine: no fallback variable, no managed identity, no token cache under ~/.cache."""
    for env, dummy, dummy2 in ENV_OPTIONS.values():
        monkeypatch.delenv(env, raising=False)
    for name in MI_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def validate(params):
    """Module params as AnsibleModule would build them (fallbacks, defaults, types, no_log values)."""
    result = ArgumentSpecValidator(connection_spec()).validate(params)
    assert not result.error_messages, result.error_messages
    return result


# -- precedence ----------------------------------------------------------------------------------------------------
def test_every_documented_env_var_is_wired():
    wired = {key: value["fallback"][1] for key, value in CONNECTION_SPEC.items() if "fallback" in value}
    assert wired == {key: [env] for key, (env, dummy, dummy2) in ENV_OPTIONS.items()}


@pytest.mark.parametrize("option", sorted(ENV_OPTIONS))
def test_env_var_used_when_option_unset(monkeypatch, option):
    env, env_value, dummy = ENV_OPTIONS[option]
    monkeypatch.setenv(env, env_value)
    assert validate({}).validated_parameters[option] == _expected(option, env_value)


@pytest.mark.parametrize("option", sorted(ENV_OPTIONS))
def test_task_option_beats_env_var(monkeypatch, option):
    env, env_value, task_value = ENV_OPTIONS[option]
    monkeypatch.setenv(env, env_value)
    assert validate({option: task_value}).validated_parameters[option] == task_value


def test_defaults_without_options_or_env():
    params = validate({}).validated_parameters
    assert (params["auth_method"], params["cloud"], params["api_version"], params["validate_certs"]) == (
        "auto", "global", None, True)  # api_version: the module's default (beta; v1.0 for Bookings)
    assert (params["timeout"], params["max_retries"], params["retry_timeout"], params["provisioning_timeout"]) == (
        30.0, 10, 300.0, 600.0)
    assert all(params[key] is None for key in ENV_OPTIONS if key not in ("auth_method", "cloud", "validate_certs"))


def test_env_values_are_typed_and_checked(monkeypatch):
    monkeypatch.setenv("CLOUDCOMMS_GRAPH_VALIDATE_CERTS", "no")
    monkeypatch.setenv("AZURE_CLIENT_CERTIFICATE_PATH", "~/certs/app.pem")
    params = validate({}).validated_parameters
    assert params["validate_certs"] is False
    assert params["client_certificate_path"] == os.path.expanduser("~/certs/app.pem")  # the option is of type path

    monkeypatch.setenv("CLOUDCOMMS_GRAPH_AUTH_METHOD", "kerberos")
    result = ArgumentSpecValidator(connection_spec()).validate({})
    assert result.error_messages and "auth_method" in result.error_messages[0]


def test_secrets_are_no_log_and_censored_from_env_too(monkeypatch):
    assert {key for key, value in CONNECTION_SPEC.items() if value.get("no_log")} == set(SECRETS)
    assert CONNECTION_SPEC["token_cache_path"]["no_log"] is False  # a path, not a token (and no sanity warning)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "secret-from-env")
    monkeypatch.setenv("AZURE_PASSWORD", "password-from-env")
    result = validate({"access_token": "given-token", "client_certificate_password": "pfx-pass",
                       "client_id": "not-a-secret"})
    no_log_values = result._no_log_values  # pylint: disable=protected-access
    assert no_log_values == {"secret-from-env", "password-from-env", "given-token", "pfx-pass"}
    assert not result._warnings  # pylint: disable=protected-access


def test_module_options_are_added_to_the_shared_ones():
    module_spec = connection_spec(meeting_id=dict(type="str", required=True))
    assert module_spec["meeting_id"]["required"] and set(CONNECTION_SPEC) < set(module_spec)
    module_spec["tenant_id"]["required"] = True
    assert "required" not in CONNECTION_SPEC["tenant_id"], "a module must not change the shared spec"


def test_settings_from_env_only(monkeypatch):
    """What a user who exported the azure-identity variables gets, end to end."""
    for env, value in (("AZURE_TENANT_ID", "t-1"), ("AZURE_CLIENT_ID", "c-1"), ("AZURE_CLIENT_SECRET", "s-1"),
                       ("AZURE_AUTHORITY_HOST", "https://127.0.0.1:8443/"),
                       ("CLOUDCOMMS_GRAPH_ENDPOINT", "https://127.0.0.1:8443"),
                       ("CLOUDCOMMS_GRAPH_CA_PATH", os.path.abspath(__file__))):  # a file that exists
        monkeypatch.setenv(env, value)
    settings = ConnectionSettings(validate({}).validated_parameters)
    assert settings.method == "client_secret"
    assert settings.authority == "https://127.0.0.1:8443/t-1"
    assert settings.graph_base == "https://127.0.0.1:8443/beta"
    assert settings.scope == "https://graph.microsoft.com/.default"
    assert settings.verify == os.path.abspath(__file__)


# -- auth method ---------------------------------------------------------------------------------------------------
ALL_CREDENTIALS = {"access_token": "at", "client_certificate_path": "/c.pem", "client_secret": "s",
                   "federated_token_file": "/f", "username": "u@x.example", "password": "p", "tenant_id": "t",
                   "client_id": "c"}
ORDER = [("access_token", ("access_token",)), ("client_certificate", ("client_certificate_path",)),
         ("client_secret", ("client_secret",)), ("federated_token", ("federated_token_file",)),
         ("username_password", ("username", "password"))]


@pytest.mark.parametrize("position", range(len(ORDER)))
def test_auto_picks_the_first_configured_method_in_documented_order(position, tmp_path):
    params = dict(ALL_CREDENTIALS, auth_method="auto", token_cache_path=str(tmp_path / "cache.json"))
    (tmp_path / "cache.json").write_text("{}")
    for dummy, keys in ORDER[:position]:
        for key in keys:
            params.pop(key)
    environ = {"IDENTITY_ENDPOINT": "http://169.254.1.1/msi/token"}
    assert choose_auth_method(params, environ) == ORDER[position][0]


def test_username_needs_password_for_auto():
    assert choose_auth_method({"username": "u", "password": "p"}, {}) == "username_password"
    with pytest.raises(ConfigurationError):
        choose_auth_method({"username": "u", "client_id": "c"}, {})


@pytest.mark.parametrize("variable", ["IDENTITY_ENDPOINT", "MSI_ENDPOINT"])
def test_auto_uses_managed_identity_before_a_token_cache(variable, tmp_path):
    cache = tmp_path / "cache.json"
    cache.write_text("{}")
    params = {"client_id": "c", "tenant_id": "t", "token_cache_path": str(cache)}
    assert choose_auth_method(params, {variable: "http://127.0.0.1:1/msi"}) == "managed_identity"
    assert choose_auth_method(params, {}) == "device_code"


def test_auto_uses_the_default_token_cache_when_present(tmp_path, monkeypatch):
    params = {"client_id": "c", "tenant_id": "t"}
    with pytest.raises(ConfigurationError):
        choose_auth_method(params, {})
    default = spec.default_token_cache_path()
    assert default.startswith(str(tmp_path / "xdg-cache"))
    os.makedirs(os.path.dirname(default))
    with open(default, "w", encoding="utf-8") as handle:
        handle.write("{}")
    assert choose_auth_method(params, {}) == "device_code"
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi")
    assert choose_auth_method(params) == "managed_identity"  # reads os.environ by default


def test_a_cache_without_client_id_is_not_enough(tmp_path):
    cache = tmp_path / "cache.json"
    cache.write_text("{}")
    with pytest.raises(ConfigurationError):
        choose_auth_method({"tenant_id": "t", "token_cache_path": str(cache)}, {})


def test_nothing_configured_names_the_options():
    with pytest.raises(ConfigurationError) as caught:
        ConnectionSettings({"auth_method": "auto"}, environ={})
    message = str(caught.value)
    for name in ("access_token", "client_id", "client_certificate_path", "client_secret", "federated_token_file",
                 "username", "password", "managed identity", "device code", "AZURE_CLIENT_SECRET"):
        assert name in message


def test_explicit_method_wins_over_auto_order():
    params = dict(ALL_CREDENTIALS, auth_method="client_secret")
    assert ConnectionSettings(params, environ={}).method == "client_secret"


@pytest.mark.parametrize("method, given, missing", [
    ("client_secret", {"tenant_id": "t"}, ["client_id", "client_secret"]),
    ("client_certificate", {"client_id": "c"}, ["tenant_id", "client_certificate_path"]),
    ("federated_token", {"tenant_id": "t", "client_id": "c"}, ["federated_token_file"]),
    ("username_password", {"tenant_id": "t", "client_id": "c", "username": "u"}, ["password"]),
    ("device_code", {}, ["tenant_id", "client_id"]),
    ("access_token", {"client_secret": "s"}, ["access_token"]),
])
def test_explicit_method_with_missing_options_names_them(method, given, missing):
    with pytest.raises(ConfigurationError) as caught:
        ConnectionSettings(dict(given, auth_method=method), environ={})
    message = str(caught.value)
    assert method in message
    for key in missing:
        assert key in message and CONNECTION_SPEC[key]["fallback"][1][0] in message
    for key in given:
        assert "%s (" % key not in message


def test_managed_identity_needs_nothing():
    settings = ConnectionSettings({"auth_method": "managed_identity"}, environ={})
    assert settings.method == "managed_identity" and settings.client_id is None


# -- clouds and endpoints ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("cloud, authority_host, graph, scope", [
    ("global", "https://login.microsoftonline.com", "https://graph.microsoft.com",
     "https://graph.microsoft.com/.default"),
    ("usgov", "https://login.microsoftonline.us", "https://graph.microsoft.us", "https://graph.microsoft.us/.default"),
    ("usgov_dod", "https://login.microsoftonline.us", "https://dod-graph.microsoft.us",
     "https://dod-graph.microsoft.us/.default"),
    ("china", "https://login.partner.microsoftonline.cn", "https://microsoftgraph.chinacloudapi.cn",
     "https://microsoftgraph.chinacloudapi.cn/.default"),
])
def test_cloud_sets_authority_graph_and_scope_together(cloud, authority_host, graph, scope):
    params = validate({"cloud": cloud, "access_token": "at", "tenant_id": "t"}).validated_parameters
    settings = ConnectionSettings(params, environ={})
    assert (settings.authority_host, settings.graph_endpoint, settings.scope) == (authority_host, graph, scope)
    assert settings.resource + "/.default" == scope
    assert settings.authority == authority_host + "/t"
    assert settings.graph_base == graph + "/beta"


def test_endpoint_overrides_change_hosts_but_not_scope():
    settings = ConnectionSettings({"cloud": "usgov", "access_token": "at", "tenant_id": "t",
                                   "authority_host": "https://127.0.0.1:8443/", "graph_endpoint": "https://gw.example/",
                                   "api_version": "v1.0"}, environ={})
    assert settings.authority == "https://127.0.0.1:8443/t"
    assert settings.graph_base == "https://gw.example/v1.0"
    assert settings.scope == "https://graph.microsoft.us/.default"


@pytest.mark.parametrize("option, value", [
    ("authority_host", "http://127.0.0.1:8080"), ("graph_endpoint", "http://graph.microsoft.com"),
    ("graph_endpoint", "graph.microsoft.com"), ("authority_host", "ftp://login.example"),
    ("authority_host", "https://"),
])
def test_non_https_endpoints_are_rejected(option, value):
    with pytest.raises(ConfigurationError) as caught:
        ConnectionSettings({"access_token": "at", option: value}, environ={})
    assert option in str(caught.value) and "https://" in str(caught.value)


# -- TLS, timeout, retries -----------------------------------------------------------------------------------------
CA = "(a CA file that exists)"


@pytest.mark.parametrize("given, verify", [
    ({}, True),
    ({"ca_path": CA}, CA),
    ({"validate_certs": False}, False),
    ({"validate_certs": False, "ca_path": CA}, False),
    ({"validate_certs": True, "ca_path": CA}, CA),
])
def test_verify(given, verify, tmp_path):
    ca_file = tmp_path / "private-ca.pem"
    ca_file.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    given = {k: str(ca_file) if v == CA else v for k, v in given.items()}
    params = validate(dict(given, access_token="at")).validated_parameters
    assert ConnectionSettings(params, environ={}).verify == (str(ca_file) if verify == CA else verify)


@pytest.mark.parametrize("from_env", [False, True], ids=["option", "environment"])
def test_a_missing_ca_path_names_the_option_and_its_variable(from_env, tmp_path, monkeypatch):
    """Before: requests failed later, on the first request, with "Could not find a suitable TLS CA certificate
    bundle" - naming neither ca_path nor CLOUDCOMMS_GRAPH_CA_PATH."""
    missing = str(tmp_path / "no-such-ca.pem")
    if from_env:
        monkeypatch.setenv("CLOUDCOMMS_GRAPH_CA_PATH", missing)
    params = validate({"access_token": "at"} if from_env else {"access_token": "at", "ca_path": missing})
    with pytest.raises(ConfigurationError) as caught:
        ConnectionSettings(params.validated_parameters, environ={})
    text = str(caught.value)
    assert text.startswith("ca_path: ") and missing in text and "CLOUDCOMMS_GRAPH_CA_PATH" in text
    # validate_certs: false needs no CA file
    assert ConnectionSettings(dict(params.validated_parameters, validate_certs=False), environ={}).verify is False


def test_timeout_retry_and_proxy_settings():
    params = validate({"access_token": "at", "timeout": 12.5, "max_retries": 3, "retry_timeout": 45,
                       "provisioning_timeout": 90, "proxy_url": "http://proxy:3128"}).validated_parameters
    settings = ConnectionSettings(params, environ={})
    assert settings.timeout == 12.5 and settings.proxy_url == "http://proxy:3128"
    assert (settings.retry.max_retries, settings.retry.retry_timeout, settings.retry.provisioning_timeout) == (
        3, 45.0, 90.0)


def test_retry_defaults_when_params_are_built_by_hand():
    settings = ConnectionSettings({"access_token": "at", "max_retries": None}, environ={})
    assert settings.timeout == 30.0
    assert (settings.retry.max_retries, settings.retry.retry_timeout, settings.retry.provisioning_timeout) == (
        10, 300.0, 600.0)


@pytest.mark.parametrize("key, value", [("timeout", 0), ("timeout", -1), ("max_retries", -1),
                                        ("retry_timeout", -0.5), ("provisioning_timeout", -10)])
def test_bad_numbers_are_rejected(key, value):
    with pytest.raises(ConfigurationError) as caught:
        ConnectionSettings({"access_token": "at", key: value}, environ={})
    assert key in str(caught.value)


def test_token_cache_path_default_and_override(tmp_path):
    settings = ConnectionSettings({"access_token": "at"}, environ={})
    assert settings.token_cache_path == str(tmp_path / "xdg-cache" / "cloudcomms.virtual_appointments"
                                            / "msal_token_cache.json")
    custom = ConnectionSettings({"access_token": "at", "token_cache_path": "/x/c.json"}, environ={})
    assert custom.token_cache_path == "/x/c.json"
