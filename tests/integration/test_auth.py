"""Every auth method of plugins/module_utils/auth.py against the emulator, end to end: ConnectionSettings ->
token_provider(settings, HTTPSession) -> GraphClient -> a Graph call; the failures a user meets (each message names
the cause, the Entra/Graph error code and an id to quote in a support case); the token cache file under parallel
writers; and no secret in any message."""

import copy
import datetime
import json
import multiprocessing
import os
import select
import socket
import socketserver
import stat
import threading
import time
import uuid

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import auth
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    AuthenticationError, ConfigurationError, GraphError, TransportError)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import (
    GraphClient, HTTPSession, graph_path)
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.retry import RetrySettings
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import ConnectionSettings
from tests.graph_emulator.directory import DEFAULT_SEED

TOKEN_ROUTE = "/{tenant}/oauth2/v2.0/token"
CERT_APP_ID = "3d5f7a9b-1c3e-4f5a-8b7c-9d0e1f2a3b4c"
FEDERATED_APP_ID = "6a8c0e2f-4b6d-4e8f-9a1b-3c5d7e9f1a2b"
NO_ROLES_APP_ID = "9e1c3a5b-7d9f-4b1d-8c3e-5a7b9c1d3e5f"
NO_ROLES_SECRET = "emu~no-roles-app-secret-77"
ISSUER = "https://token.actions.githubusercontent.com"
SUBJECTS = ("repo:contoso/appointments:environment:ci", "repo:contoso/appointments:ref:refs/heads/main")
USER_ASSIGNED = {"client_id": "2b4d6f8a-0c2e-4a4c-8e6a-0b2d4f6a8c0e",
                 "object_id": "7c9e1a3c-5e7a-4c9e-8a1c-3e5a7c9e1a3c",
                 "application_permissions": ["OnlineMeetings.ReadWrite.All"]}
USER_WITHOUT_POLICY = {"id": "4c6e8a0c-2e4a-4c6e-8a0c-2e4a6c8e0a2c", "upn": "lee.gu@contoso.onmicrosoft.com",
                       "display_name": "Lee Gu", "password": "An0ther-Passw0rd!"}
MI_ENV = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT",
          "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "MSAL_FORCE_REGION")
PFX_PASSWORD = "pfx-Passphrase-93"


# -- helpers -------------------------------------------------------------------------------------------------------
class RecordingSession(HTTPSession):
    """Our HTTPSession, remembering the form fields MSAL posted (to see which assertion reached the wire)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.forms = []

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        if isinstance(kwargs.get("data"), dict):
            self.forms.append(dict(kwargs["data"]))
        return super().request(method, url, *args, **kwargs)


def session_for(emulator, verify=None, cls=HTTPSession):
    return cls(verify=emulator.ca_file if verify is None else verify, authority=emulator.authority_host)


def params_for(emulator, tmp_path, **options):
    params = {"tenant_id": emulator.defaults["tenant_id"], "authority_host": emulator.authority_host,
              "graph_endpoint": emulator.graph_url, "ca_path": emulator.ca_file,
              "token_cache_path": str(tmp_path / "cache" / "msal_token_cache.json"),
              "max_retries": 2, "retry_timeout": 10.0}
    params.update(options)
    return params


def connect(emulator, params, session=None):
    """(settings, provider, client) as a module builds them (runner.GraphModule.client)."""
    settings = ConnectionSettings(params)
    if session is None:
        session = HTTPSession(verify=settings.verify, proxy_url=settings.proxy_url, timeout=settings.timeout,
                              authority=settings.authority_host)
    provider = auth.token_provider(settings, session)
    client = GraphClient(session, emulator.graph_url + "/beta", provider,
                         RetrySettings(max_retries=2, retry_timeout=10))
    return settings, provider, client


def create_meeting(client, user_id=None):
    """POST createOrGet for a user (app token) or for /me (delegated token); the meeting's JSON."""
    owner = graph_path("me") if user_id is None else graph_path("users", ("user", user_id))
    response = client.request("POST", owner + "/onlineMeetings/createOrGet", {"externalId": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()


def last_graph(emulator):
    return emulator.requests(kind="graph")[-1]


def token_requests(emulator, since=0):
    return [e for e in emulator.requests(since=since, kind="identity") if e["route"] == TOKEN_ROUTE]


def seq(emulator):
    return emulator.metrics()["seq"]


def seed_with(emulator, apps=(), users=(), managed_identities=(), policy=True):
    """The default tenant plus extra principals (seeding a tenant id replaces the tenant: start from a copy)."""
    seed = copy.deepcopy(DEFAULT_SEED)
    tenant = seed["tenants"][0]
    tenant["apps"].extend(copy.deepcopy(list(apps)))
    tenant["users"].extend(copy.deepcopy(list(users)))
    tenant["managed_identities"].extend(copy.deepcopy(list(managed_identities)))
    if policy:
        tenant["access_policies"][0]["app_ids"].extend(p["client_id"] for p in list(apps) + list(managed_identities))
    emulator.seed(seed)


def make_certificate(common_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return key, cert


def federated_token(emulator, subject, lifetime=3600):
    return emulator.control("POST", "federated-token", {"issuer": ISSUER, "subject": subject,
                                                        "lifetime": lifetime})["token"]


def assert_mode_0600(path):
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, oct(os.stat(path).st_mode)


def approve_after_first_poll(emulator, user_code, since, problems):
    """The person at the browser signs in once the client has polled at least once."""
    try:
        deadline = time.monotonic() + 20
        while not token_requests(emulator, since=since):
            if time.monotonic() > deadline:
                raise AssertionError("the device flow never polled the token endpoint")
            time.sleep(0.05)
        emulator.control("POST", "device/approve", {"user_code": user_code, "user_id": emulator.defaults["user_id"]})
    except Exception as exc:  # pylint: disable=broad-except
        problems.append(exc)


def device_sign_in(emulator, tmp_path):
    """start_device_flow + approval in a thread + finish_device_flow; returns the settings params used."""
    params = params_for(emulator, tmp_path, auth_method="device_code", client_id=emulator.defaults["public_client_id"])
    settings = ConnectionSettings(params)
    flow, app, cache = auth.start_device_flow(settings, session_for(emulator))
    assert set(auth.describe_flow(flow)) == {"user_code", "verification_uri", "message", "expires_in"}
    assert flow["device_code"] not in json.dumps(auth.describe_flow(flow))
    problems = []
    approver = threading.Thread(target=approve_after_first_poll,
                                args=(emulator, flow["user_code"], seq(emulator), problems))
    approver.start()
    try:
        account = auth.finish_device_flow(flow, app, cache, timeout=20)
    finally:
        approver.join(30)
    assert not problems, problems
    assert account == emulator.defaults["user_upn"]
    return params


# -- fixtures ------------------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No managed identity, forced region, credential variable or real token cache from the machine."""
    for name in MI_ENV:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith(("AZURE_", "CLOUDCOMMS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


@pytest.fixture(name="app_service_env")
def _app_service_env(emulator, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", emulator.info["msi_endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", emulator.info["identity_header"])


@pytest.fixture(name="cert_files", scope="module")
def _cert_files(tmp_path_factory):
    """The registered certificate as a PEM (key + certificate in one file) and as a password-protected PFX."""
    key, cert = make_certificate("appointments-cert")
    folder = tmp_path_factory.mktemp("certs")
    pem = folder / "app.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()) + cert.public_bytes(serialization.Encoding.PEM))
    pfx = folder / "app.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"app", key, cert, None, serialization.BestAvailableEncryption(PFX_PASSWORD.encode())))
    return {"pem": str(pem), "pfx": str(pfx), "cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode()}


@pytest.fixture(name="federated_app")
def _federated_app(emulator):
    seed_with(emulator, apps=[{
        "client_id": FEDERATED_APP_ID, "name": "appointments-ci",
        "federated_credentials": [{"issuer": ISSUER, "subject": s} for s in SUBJECTS],
        "application_permissions": ["OnlineMeetings.ReadWrite.All"]}])
    return FEDERATED_APP_ID


# -- each method gets a token that works on Graph ------------------------------------------------------------------
def test_client_secret(emulator, tmp_path):
    d = emulator.defaults
    settings, provider, client = connect(emulator, params_for(emulator, tmp_path, client_id=d["client_id"],
                                                              client_secret=d["client_secret"]))
    assert settings.method == provider.method == "client_secret"
    create_meeting(client, d["user_id"])
    create_meeting(client, d["user_id"])
    assert last_graph(emulator)["app"] == d["client_id"]
    assert [e["grant_type"] for e in token_requests(emulator)] == ["client_credentials"]  # cached between calls


@pytest.mark.parametrize("form", ["pem", "pfx"])
def test_client_certificate(emulator, tmp_path, cert_files, form):
    seed_with(emulator, apps=[{"client_id": CERT_APP_ID, "name": "appointments-cert",
                               "certificates": [cert_files["cert_pem"]],
                               "application_permissions": ["OnlineMeetings.ReadWrite.All"]}])
    options = {"client_id": CERT_APP_ID, "client_certificate_path": cert_files[form]}
    if form == "pfx":
        options["client_certificate_password"] = PFX_PASSWORD
    settings, provider, client = connect(emulator, params_for(emulator, tmp_path, **options),
                                         session_for(emulator, cls=RecordingSession))
    assert settings.method == provider.method == "client_certificate"
    create_meeting(client, emulator.defaults["user_id"])
    assert last_graph(emulator)["app"] == CERT_APP_ID
    (form_sent,) = [f for f in client.session.forms if f.get("grant_type") == "client_credentials"]
    assert form_sent["client_assertion_type"].endswith("jwt-bearer") and "client_secret" not in form_sent


def test_client_certificate_wrong_pfx_password_is_a_configuration_error(emulator, tmp_path, cert_files):
    seed_with(emulator, apps=[{"client_id": CERT_APP_ID, "certificates": [cert_files["cert_pem"]]}])
    params = params_for(emulator, tmp_path, client_id=CERT_APP_ID, client_certificate_path=cert_files["pfx"],
                        client_certificate_password="wrong-" + PFX_PASSWORD)
    with pytest.raises((ConfigurationError, AuthenticationError)) as caught:
        connect(emulator, params)[1].token()
    assert cert_files["pfx"] in str(caught.value)
    assert PFX_PASSWORD not in str(caught.value)


def test_federated_token_file_is_read_on_every_token_request(emulator, tmp_path, federated_app):
    token_file = tmp_path / "azure-identity-token"
    first, second = federated_token(emulator, SUBJECTS[0]), federated_token(emulator, SUBJECTS[1], lifetime=600)
    token_file.write_text(first + "\n", encoding="ascii")
    settings, provider, client = connect(
        emulator, params_for(emulator, tmp_path, client_id=federated_app, federated_token_file=str(token_file)),
        session_for(emulator, cls=RecordingSession))
    assert settings.method == provider.method == "federated_token"
    create_meeting(client, emulator.defaults["user_id"])
    access_1 = provider.token()

    token_file.write_text(second, encoding="ascii")  # the platform rotates the projected token
    provider.invalidate()  # what a Graph 401 does: the next token comes from the identity platform, not a cache
    access_2 = provider.token()
    assert access_2 != access_1
    create_meeting(client, emulator.defaults["user_id"])
    assert last_graph(emulator)["app"] == federated_app
    assertions = [f["client_assertion"] for f in client.session.forms if "client_assertion" in f]
    assert assertions == [first, second]
    assert [(e["grant_type"], e["status"]) for e in token_requests(emulator)] == [("client_credentials", 200)] * 2

    token_file.write_text(federated_token(emulator, "repo:contoso/other:ref:refs/heads/x"), encoding="ascii")
    provider.invalidate()
    with pytest.raises(AuthenticationError, match="AADSTS70021"):
        provider.token()


@pytest.mark.usefixtures("app_service_env")
def test_managed_identity_system_assigned(emulator, tmp_path):
    params = params_for(emulator, tmp_path)
    params.pop("tenant_id")
    settings, provider, client = connect(emulator, params)
    assert settings.method == provider.method == "managed_identity"  # auto: IDENTITY_ENDPOINT is set
    create_meeting(client, emulator.defaults["user_id"])
    assert last_graph(emulator)["app"] == emulator.defaults["managed_identity_client_id"]
    assert [e["route"] for e in emulator.requests(kind="identity")] == ["/msi/token"]
    provider.invalidate()
    create_meeting(client, emulator.defaults["user_id"])
    assert [e["route"] for e in emulator.requests(kind="identity")] == ["/msi/token"] * 2


@pytest.mark.usefixtures("app_service_env")
def test_managed_identity_user_assigned(emulator, tmp_path):
    seed_with(emulator, managed_identities=[USER_ASSIGNED])
    settings, provider, client = connect(emulator, params_for(emulator, tmp_path, auth_method="managed_identity",
                                                              client_id=USER_ASSIGNED["client_id"]))
    assert provider.method == settings.method == "managed_identity"
    create_meeting(client, emulator.defaults["user_id"])
    assert last_graph(emulator)["app"] == USER_ASSIGNED["client_id"]


def test_username_password_on_a_non_443_port(emulator, tmp_path):
    d = emulator.defaults
    assert ":" in emulator.authority_host.split("//", 1)[1] and not emulator.authority_host.endswith(":443")
    settings, provider, client = connect(emulator, params_for(
        emulator, tmp_path, client_id=d["public_client_id"], username=d["user_upn"], password=d["user_password"]))
    assert settings.method == provider.method == "username_password"
    meeting = create_meeting(client)
    assert meeting["id"] and last_graph(emulator)["user"] == d["user_id"]
    identity = emulator.requests(kind="identity")
    realm = [e for e in identity if e["route"] == "/common/userrealm"]
    assert realm and realm[0]["status"] == 200, "MSAL's user-realm call reached the emulator's port"
    assert [e["grant_type"] for e in identity if e["route"] == TOKEN_ROUTE] == ["password"]
    assert_mode_0600(settings.token_cache_path)


def test_device_code_then_silent_then_refresh(emulator, tmp_path):
    params = device_sign_in(emulator, tmp_path)
    cache_path = params["token_cache_path"]
    assert_mode_0600(cache_path)
    assert stat.S_IMODE(os.stat(os.path.dirname(cache_path)).st_mode) == 0o700
    with open(cache_path, encoding="utf-8") as handle:
        assert json.load(handle)["RefreshToken"]

    # A later task: a NEW provider uses the cache silently (no token request), and the token works on /me.
    since = seq(emulator)
    settings, provider, client = connect(emulator, dict(params))
    assert provider.method == "device_code"
    create_meeting(client)
    assert last_graph(emulator)["user"] == emulator.defaults["user_id"]
    assert token_requests(emulator, since=since) == []

    # A forced refresh redeems the refresh token and rewrites the cache atomically (a new file, still 0600).
    before = os.stat(cache_path)
    with open(cache_path, encoding="utf-8") as handle:
        old_refresh = json.load(handle)["RefreshToken"]
    since = seq(emulator)
    provider.invalidate()
    provider.token()
    assert [(e["grant_type"], e["status"]) for e in token_requests(emulator, since=since)] == [("refresh_token", 200)]
    after = os.stat(cache_path)
    assert after.st_ino != before.st_ino, "replaced by rename, not rewritten in place"
    assert_mode_0600(cache_path)
    with open(cache_path, encoding="utf-8") as handle:
        assert json.load(handle)["RefreshToken"] != old_refresh
    create_meeting(client)
    assert not [name for name in os.listdir(os.path.dirname(cache_path)) if name.startswith(".msal-cache-")]
    assert settings.token_cache_path == cache_path


def test_device_code_without_a_cache_says_how_to_sign_in(emulator, tmp_path):
    params = params_for(emulator, tmp_path, auth_method="device_code", client_id=emulator.defaults["public_client_id"])
    with pytest.raises(ConfigurationError, match="sign_in") as caught:
        connect(emulator, params)
    assert params["token_cache_path"] in str(caught.value)


def test_access_token_given_and_expired(emulator, tmp_path):
    d = emulator.defaults
    settings, provider, client = connect(emulator, params_for(emulator, tmp_path, access_token=emulator.app_token()))
    assert settings.method == provider.method == "access_token"
    create_meeting(client, d["user_id"])
    assert emulator.requests(kind="identity") == []

    expired = emulator.app_token(lifetime=-60)
    dummy, dummy2, client = connect(emulator, params_for(emulator, tmp_path, access_token=expired))
    since = seq(emulator)
    with pytest.raises(GraphError) as caught:
        create_meeting(client, d["user_id"])
    error = caught.value
    assert (error.status, error.code) == (401, "InvalidAuthenticationToken")
    assert error.request_id and error.request_id in str(error) and "InvalidAuthenticationToken" in str(error)
    assert [e["status"] for e in emulator.requests(since=since, kind="graph")] == [401, 401]  # one retry, no more


AUTO_COMBOS = {
    "access_token beats client_secret": (lambda emu, d: {"access_token": emu.app_token(), "client_id": d["client_id"],
                                                         "client_secret": d["client_secret"]}, "access_token"),
    "client_secret beats federated_token": (lambda emu, d: {"client_id": d["client_id"],
                                                            "client_secret": d["client_secret"],
                                                            "federated_token_file": "/nonexistent"}, "client_secret"),
    "username and password": (lambda emu, d: {"client_id": d["public_client_id"], "username": d["user_upn"],
                                              "password": d["user_password"]}, "username_password"),
}


@pytest.mark.parametrize("combo", sorted(AUTO_COMBOS))
def test_auto_picks_the_documented_method(emulator, tmp_path, combo):
    options, expected = AUTO_COMBOS[combo]
    d = emulator.defaults
    settings, provider, client = connect(emulator, params_for(emulator, tmp_path, auth_method="auto",
                                                              **options(emulator, d)))
    assert settings.method == provider.method == expected
    create_meeting(client, None if expected == "username_password" else d["user_id"])


@pytest.mark.usefixtures("app_service_env")
def test_auto_prefers_a_credential_over_managed_identity_and_managed_identity_over_a_cache(emulator, tmp_path):
    d = emulator.defaults
    settings = connect(emulator, params_for(emulator, tmp_path, client_id=d["client_id"],
                                            client_secret=d["client_secret"]))[0]
    assert settings.method == "client_secret"
    cache = tmp_path / "cache" / "msal_token_cache.json"
    cache.parent.mkdir()
    cache.write_text("{}")
    assert ConnectionSettings(params_for(emulator, tmp_path, client_id=d["public_client_id"])).method == \
        "managed_identity"


def test_auto_uses_a_signed_in_cache(emulator, tmp_path):
    params = device_sign_in(emulator, tmp_path)
    params["auth_method"] = "auto"
    settings, provider, client = connect(emulator, params)
    assert settings.method == provider.method == "device_code"
    create_meeting(client)


class ConnectProxy(socketserver.ThreadingTCPServer):
    """A minimal HTTPS (CONNECT) proxy on loopback that records the targets it tunnelled to."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.targets = []
        super().__init__(("127.0.0.1", 0), ConnectHandler)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]


class ConnectHandler(socketserver.StreamRequestHandler):
    def handle(self):
        request_line = self.rfile.readline().decode("latin-1").split()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        if len(request_line) < 2 or request_line[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            return
        host, port = request_line[1].rsplit(":", 1)
        self.server.targets.append(request_line[1])
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            sockets = [self.connection, upstream]
            while True:
                readable = select.select(sockets, [], [], 10)[0]
                if not readable:
                    return
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    (upstream if source is self.connection else self.connection).sendall(data)


def test_proxy_url_carries_sign_in_and_graph_and_beats_https_proxy(emulator, tmp_path, monkeypatch):
    """MSAL gets our session: sign-in goes through proxy_url like Graph does, and HTTPS_PROXY cannot override it."""
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
    d = emulator.defaults
    with ConnectProxy() as proxy:
        worker = threading.Thread(target=proxy.serve_forever, daemon=True)
        worker.start()
        try:
            client = connect(emulator, params_for(emulator, tmp_path, client_id=d["client_id"],
                                                  client_secret=d["client_secret"], proxy_url=proxy.url))[2]
            create_meeting(client, d["user_id"])
        finally:
            proxy.shutdown()
    netloc = emulator.authority_host.split("//", 1)[1]
    assert proxy.targets and set(proxy.targets) == {netloc}
    assert [e["grant_type"] for e in token_requests(emulator)] == ["client_credentials"]


# -- failures: the cause, the code and an id -----------------------------------------------------------------------
def assert_entra_failure(error, cause, code):
    message = str(error)
    assert cause in message, message
    assert "AADSTS%d" % code in message, message
    assert error.trace_id and error.correlation_id
    assert error.trace_id in message or error.correlation_id in message, message
    assert error.fail_kwargs()["error"]["error_codes"] == [code]


def test_wrong_secret(emulator, tmp_path):
    params = params_for(emulator, tmp_path, client_id=emulator.defaults["client_id"], client_secret="not-the-secret")
    with pytest.raises(AuthenticationError) as caught:
        connect(emulator, params)[1].token()
    assert_entra_failure(caught.value, "Invalid client secret", 7000215)
    assert caught.value.error == "invalid_client" and "client_secret" in str(caught.value)


def test_expired_federated_token(emulator, tmp_path, federated_app):
    token_file = tmp_path / "token"
    token_file.write_text(federated_token(emulator, SUBJECTS[0], lifetime=-120), encoding="ascii")
    params = params_for(emulator, tmp_path, client_id=federated_app, federated_token_file=str(token_file))
    with pytest.raises(AuthenticationError) as caught:
        connect(emulator, params)[1].token()
    assert_entra_failure(caught.value, "federated_token_file has expired", 700024)


def test_unknown_tenant(emulator, tmp_path):
    tenant = str(uuid.uuid4())
    params = params_for(emulator, tmp_path, tenant_id=tenant, client_id=emulator.defaults["client_id"],
                        client_secret=emulator.defaults["client_secret"])
    with pytest.raises(AuthenticationError) as caught:
        connect(emulator, params)
    message = str(caught.value)
    assert tenant in message and emulator.authority_host + "/" + tenant in message
    assert "AADSTS90002" in message
    assert caught.value.trace_id and caught.value.trace_id in message
    assert emulator.defaults["client_secret"] not in message


def test_missing_permission_is_graph_403_forbidden(emulator, tmp_path):
    seed_with(emulator, apps=[{"client_id": NO_ROLES_APP_ID, "name": "no-roles", "secrets": [NO_ROLES_SECRET]}])
    dummy, provider, client = connect(emulator, params_for(emulator, tmp_path, client_id=NO_ROLES_APP_ID,
                                                           client_secret=NO_ROLES_SECRET))
    with pytest.raises(GraphError) as caught:
        create_meeting(client, emulator.defaults["user_id"])
    error = caught.value
    assert (error.status, error.code) == (403, "Forbidden")
    assert "OnlineMeetings.ReadWrite.All" in str(error) and "Forbidden" in str(error)
    assert error.request_id and error.request_id in str(error)
    assert provider.token() not in str(error)


def test_missing_access_policy_is_graph_403_unauthorized(emulator, tmp_path):
    seed_with(emulator, users=[USER_WITHOUT_POLICY])
    d = emulator.defaults
    client = connect(emulator, params_for(emulator, tmp_path, client_id=d["client_id"],
                                          client_secret=d["client_secret"]))[2]
    with pytest.raises(GraphError) as caught:
        create_meeting(client, USER_WITHOUT_POLICY["id"])
    error = caught.value
    assert (error.status, error.code) == (403, "Unauthorized")
    assert d["client_id"] in str(error) and USER_WITHOUT_POLICY["id"] in str(error)
    assert error.request_id and error.request_id in str(error)
    assert error.fail_kwargs()["error"]["request_id"] == error.request_id


def test_tls_without_the_ca_fails_sign_in_and_graph(emulator, tmp_path):
    d = emulator.defaults
    untrusting = session_for(emulator, verify=True)
    params = params_for(emulator, tmp_path, client_id=d["client_id"], client_secret=d["client_secret"])
    with pytest.raises(TransportError) as caught:
        connect(emulator, params, untrusting)
    assert "certificate verif" in str(caught.value) and "ca_path" in str(caught.value)

    dummy, dummy2, client = connect(emulator, params_for(emulator, tmp_path, access_token=emulator.app_token()),
                                    untrusting)
    with pytest.raises(TransportError) as caught:
        create_meeting(client, d["user_id"])
    assert "certificate verif" in str(caught.value) and "ca_path" in str(caught.value)
    assert emulator.requests(kind="graph") == [] and emulator.requests(kind="identity") == []


# -- the token cache file under parallel writers -------------------------------------------------------------------
def _fake_cache(writer, entries=200):
    """A large, valid MSAL cache document unique to ``writer`` (so a torn or interleaved file would not parse)."""
    tokens = {"%s-%d" % (writer, n): {"credential_type": "AccessToken", "secret": "w%s-%d-%s" % (writer, n, "x" * 64),
                                      "home_account_id": "h", "environment": "e", "client_id": "c", "target": "t",
                                      "realm": "r", "cached_at": "0", "expires_on": "0"} for n in range(entries)}
    return json.dumps({"AccessToken": tokens, "AppMetadata": {"writer": {"client_id": str(writer)}}})


def _write_cache(path, writer, rounds=5):
    for dummy in range(rounds):
        cache = auth.TokenCacheFile(path)
        cache.cache.deserialize(_fake_cache(writer))
        cache.cache.has_state_changed = True
        cache.save()


def test_token_cache_file_survives_parallel_writers(tmp_path):
    path = str(tmp_path / "shared" / "msal_token_cache.json")
    problems, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            if os.path.exists(path):
                try:
                    with open(path, encoding="utf-8") as handle:
                        json.load(handle)
                except ValueError as exc:
                    problems.append(exc)

    threads = [threading.Thread(target=_write_cache, args=(path, "thread-%d" % n)) for n in range(8)]
    watcher = threading.Thread(target=reader)
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_cache, args=(path, "process-%d" % n)) for n in range(4)]
    watcher.start()
    for worker in threads + processes:
        worker.start()
    for worker in threads + processes:
        worker.join(60)
    stop.set()
    watcher.join(10)
    assert not problems, problems[:3]
    assert [p.exitcode for p in processes] == [0] * 4
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    writers = {key.rsplit("-", 1)[0] for key in document["AccessToken"]}
    assert len(writers) == 1 and len(document["AccessToken"]) == 200  # one whole writer's state, never a mix
    assert_mode_0600(path)
    assert not [name for name in os.listdir(os.path.dirname(path)) if name.startswith(".msal-cache-")]
    loaded = auth.TokenCacheFile(path)
    assert not loaded.cache.has_state_changed


def test_a_corrupt_cache_file_is_a_configuration_error(tmp_path):
    path = tmp_path / "cache.json"
    path.write_text("{not json")
    with pytest.raises(ConfigurationError, match="delete it and sign in again"):
        auth.TokenCacheFile(str(path))


# -- no secret in any message --------------------------------------------------------------------------------------
def test_no_secret_in_messages_or_cache(emulator, tmp_path, federated_app):
    d = emulator.defaults
    messages, tokens = [], []

    def failure(fn):
        with pytest.raises((AuthenticationError, GraphError, TransportError, ConfigurationError)) as caught:
            fn()
        messages.extend([str(caught.value), json.dumps(caught.value.fail_kwargs(), default=str)])

    # client secret: works, then a wrong one
    dummy, provider, client = connect(emulator, params_for(emulator, tmp_path, client_id=d["client_id"],
                                                           client_secret=d["client_secret"]))
    create_meeting(client, d["user_id"])
    tokens.append(provider.token())
    wrong_secret = d["client_secret"] + "-wrong"

    def wrong_secret_token():
        return connect(emulator, params_for(emulator, tmp_path, client_id=d["client_id"],
                                            client_secret=wrong_secret))[1].token()
    failure(wrong_secret_token)
    # federated token: works, then an expired one
    token_file = tmp_path / "federated"
    assertion = federated_token(emulator, SUBJECTS[0])
    token_file.write_text(assertion, encoding="ascii")
    fed_params = params_for(emulator, tmp_path, client_id=federated_app, federated_token_file=str(token_file))
    tokens.append(connect(emulator, fed_params)[1].token())
    expired = federated_token(emulator, SUBJECTS[0], lifetime=-120)
    token_file.write_text(expired, encoding="ascii")

    def expired_assertion_token():
        return connect(emulator, fed_params)[1].token()
    failure(expired_assertion_token)
    # username/password: works (writes the cache), then a wrong password
    user_params = params_for(emulator, tmp_path, client_id=d["public_client_id"], username=d["user_upn"],
                             password=d["user_password"])
    tokens.append(connect(emulator, user_params)[1].token())
    wrong_password = d["user_password"] + "-wrong"

    def wrong_password_token():
        return connect(emulator, dict(user_params, password=wrong_password,
                                      token_cache_path=str(tmp_path / "other.json")))[1].token()
    failure(wrong_password_token)
    # an expired given token, and a TLS failure
    expired_at = emulator.app_token(lifetime=-60)
    failure(lambda: create_meeting(connect(emulator, params_for(emulator, tmp_path, access_token=expired_at))[2],
                                   d["user_id"]))
    failure(lambda: connect(emulator, params_for(emulator, tmp_path, client_id=d["client_id"],
                                                 client_secret=d["client_secret"]), session_for(emulator, True)))
    # device code sign-in, into its own cache, then a refresh
    device_params = device_sign_in(emulator, tmp_path / "device")
    device_provider = connect(emulator, device_params)[1]
    tokens.append(device_provider.token())
    device_provider.invalidate()
    tokens.append(device_provider.token())

    caches = [user_params["token_cache_path"], device_params["token_cache_path"]]
    for path in caches:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        tokens += [entry["secret"] for kind in ("AccessToken", "RefreshToken") for entry in document[kind].values()]
    secrets = [d["client_secret"], wrong_secret, d["user_password"], wrong_password, assertion, expired, expired_at,
               PFX_PASSWORD] + tokens
    assert len(messages) == 10 and len(tokens) >= 6
    for message in messages:
        for secret in secrets:
            assert secret not in message, "a secret leaked into: %s" % message[:200]
    for path in caches:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for secret in (d["client_secret"], d["user_password"], wrong_password, assertion):
            assert secret not in text
    other_files = [os.path.join(root, name) for root, dummy2, names in os.walk(tmp_path) for name in names
                   if os.path.join(root, name) not in caches and name != "federated"]
    for path in other_files:
        with open(path, "rb") as handle:
            data = handle.read()
        for secret in secrets:
            assert secret.encode() not in data, "%s holds a secret" % path
