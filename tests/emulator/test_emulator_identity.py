"""Contract tests: the real ``msal`` library obtains tokens from the emulator's Entra ID for every credential type,
and Graph accepts those tokens (and rejects bad ones) the way Microsoft Graph does.

Every MSAL client gets our own ``requests.Session`` (emulator CA, ``trust_env`` off, so machine-wide
REQUESTS_CA_BUNDLE cannot override it), ``authority=f"{authority_host}/{tenant}"`` and ``instance_discovery=False``
(msal-and-retries.md 2.14, option 2).
"""

import base64
import copy
import datetime
import hashlib
import json
import threading
import time
import urllib.parse
import uuid
import warnings

import jwt
import msal
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.graph_emulator.directory import DEFAULT_SEED

GRAPH = "https://graph.microsoft.com"
GRAPH_DEFAULT = [GRAPH + "/.default"]
DELEGATED = [GRAPH + "/OnlineMeetings.ReadWrite"]
TOKEN_ROUTE = "/oauth2/v2.0/token"
MSAL_VERSION = tuple(int(part) for part in msal.__version__.split(".")[:2])

CERT_APP_ID = "7b3e2a90-1c4d-4f5e-8a6b-9c0d1e2f3a4b"
FEDERATED_APP_ID = "2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a3b5c7d"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
GITHUB_SUBJECT = "repo:contoso/appointments:environment:ci"
USER_ASSIGNED_MI = {
    "client_id": "4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d",
    "object_id": "1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
    "resource_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg"
                   "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/scheduler",
    "application_permissions": ["OnlineMeetings.ReadWrite.All"],
}
USER_WITHOUT_POLICY = {"id": "5e7a9c1b-3d5f-4a7b-9c1d-3e5f7a9b1c3d", "upn": "lee.gu@contoso.onmicrosoft.com",
                       "display_name": "Lee Gu", "password": "An0ther-Passw0rd!"}
MI_ENV = ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT",
          "MSI_SECRET", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZUREPS_HOST_ENVIRONMENT", "MSAL_FORCE_REGION")


# -- helpers ---------------------------------------------------------------------------------------------------
class MsalHttp(requests.Session):
    """The ``http_client`` we hand to MSAL: trusts only the emulator CA, ignores CA/proxy environment variables,
    remembers what MSAL sent, and puts back the port MSAL drops from user-realm discovery URLs (it builds
    ``https://{host}/common/userrealm/...`` from the hostname alone, msal #259; the fix is a custom http client)."""

    def __init__(self, emulator):
        super().__init__()
        self.trust_env = False
        self.verify = emulator.ca_file
        self.emulator_netloc = urllib.parse.urlsplit(emulator.authority_host).netloc
        self.emulator_hostname = urllib.parse.urlsplit(emulator.authority_host).hostname
        self.sent = []

    def request(self, method, url, *args, **kwargs):  # pylint: disable=arguments-differ
        parts = urllib.parse.urlsplit(url)
        if parts.hostname == self.emulator_hostname and parts.port is None:
            url = urllib.parse.urlunsplit(parts._replace(netloc=self.emulator_netloc))
        self.sent.append({"method": method, "url": url, "params": kwargs.get("params"), "data": kwargs.get("data")})
        kwargs.setdefault("timeout", 30)
        return super().request(method, url, *args, **kwargs)

    def token_posts(self):
        return [s for s in self.sent if s["method"].upper() == "POST" and s["url"].endswith(TOKEN_ROUTE)]


def authority(emulator, tenant=None):
    return f"{emulator.authority_host}/{tenant or emulator.defaults['tenant_id']}"


def confidential_app(emulator, http, credential, client_id=None, tenant=None, token_cache=None):
    return msal.ConfidentialClientApplication(
        client_id or emulator.defaults["client_id"], client_credential=credential,
        authority=authority(emulator, tenant), http_client=http, instance_discovery=False, token_cache=token_cache)


def public_app(emulator, http, token_cache=None):
    return msal.PublicClientApplication(
        emulator.defaults["public_client_id"], authority=authority(emulator), http_client=http,
        instance_discovery=False, token_cache=token_cache)


def token_requests(emulator, since=0):
    """Token-endpoint requests the emulator has seen (its request log)."""
    return [e for e in emulator.requests(since=since, kind="identity") if e["route"].endswith(TOKEN_ROUTE)]


def last_seq(emulator):
    return emulator.metrics()["seq"]


def seed_with(emulator, apps=(), users=(), managed_identities=()):
    """Re-seed the default tenant with extra principals (seeding a tenant id replaces that tenant, so start from a
    copy of the default seed). New apps and managed identities may act for every user of the first policy."""
    seed = copy.deepcopy(DEFAULT_SEED)
    tenant = seed["tenants"][0]
    tenant["apps"].extend(copy.deepcopy(list(apps)))
    tenant["users"].extend(copy.deepcopy(list(users)))
    tenant["managed_identities"].extend(copy.deepcopy(list(managed_identities)))
    tenant["access_policies"][0]["app_ids"].extend(p["client_id"] for p in list(apps) + list(managed_identities))
    emulator.seed(seed)


def graph_post(emulator, http, token, path, headers=None):
    all_headers = {"Authorization": "Bearer " + token} if token is not None else {}
    all_headers.update(headers or {})
    return http.post(f"{emulator.graph_url}/beta/{path}/onlineMeetings/createOrGet",
                     json={"externalId": uuid.uuid4().hex}, headers=all_headers, timeout=30)


def assert_creates_meeting(emulator, http, token, user_id=None, as_app=None):
    """The token works on Graph: createOrGet for a user (app token) or for /me (delegated token) answers 201."""
    path = "me" if user_id is None else "users/" + user_id
    response = graph_post(emulator, http, token, path)
    assert response.status_code == 201, response.text
    if as_app is not None:
        assert emulator.requests(kind="graph")[-1]["app"] == as_app
    return response.json()


def assert_token_response(result, client_id=None):
    """The fields MSAL needs (msal-and-retries.md 2.7, 2.14); user flows (client_id given) carry the account too."""
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    assert result["token_type"] == "Bearer"
    assert isinstance(result["expires_in"], int) and result["expires_in"] > 0
    assert result["scope"]
    if client_id is None:
        assert "refresh_token" not in result and "id_token" not in result
        return None
    assert result["refresh_token"]
    claims = jwt.decode(result["id_token"], options={"verify_signature": False})
    assert claims["aud"] == client_id and result["id_token_claims"]["aud"] == client_id
    padded = result["client_info"] + "=" * (-len(result["client_info"]) % 4)
    client_info = json.loads(base64.urlsafe_b64decode(padded))
    assert client_info["uid"] == claims["oid"] and client_info["utid"] == claims["tid"]
    return claims


def assert_entra_error(result, error, code):
    assert result.get("error") == error, result
    assert result["error_codes"] == [code]
    assert result["error_description"].startswith(f"AADSTS{code}:")
    assert "access_token" not in result


def assert_graph_error(response, status, code, client_request_id):
    """Graph's documented error body, and the request-id / client-request-id headers."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    inner = error["innerError"]
    datetime.datetime.strptime(inner["date"], "%Y-%m-%dT%H:%M:%S")
    assert inner["request-id"] and inner["client-request-id"] == client_request_id
    assert response.headers["request-id"] == inner["request-id"]
    assert response.headers["client-request-id"] == client_request_id
    return error


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def verified_claims(emulator, http, token, tenant=None):
    """Validate a Graph access token as a resource would (graph-today.md 4.1): the v1.0 OpenID configuration of
    the tenant, its ``jwks_uri``, the key named by the header's ``kid``, RS256, Graph's audience and the issuer."""
    tenant = tenant or emulator.defaults["tenant_id"]
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "JWT" and header["alg"] == "RS256"
    assert header["kid"] and header["x5t"] == header["kid"]  # x5t: v1.0 tokens only, the same value as kid
    config = http.get(authority(emulator, tenant) + "/.well-known/openid-configuration").json()
    assert config["issuer"] == f"https://sts.windows.net/{tenant}/"
    keys = http.get(config["jwks_uri"]).json()["keys"]
    (jwk,) = [k for k in keys if k["kid"] == header["kid"]]
    assert set(jwk) >= {"kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"}
    assert jwk["kty"] == "RSA" and jwk["use"] == "sig"
    cert = x509.load_der_x509_certificate(base64.b64decode(jwk["x5c"][0]))
    assert base64.urlsafe_b64encode(cert.fingerprint(hashes.SHA1())).rstrip(b"=").decode() == jwk["x5t"]  # nosec
    key = jwt.PyJWK(jwk).key
    assert key.public_numbers() == cert.public_key().public_numbers()
    return jwt.decode(token, key, algorithms=["RS256"], audience=GRAPH, issuer=config["issuer"],
                      options={"require": ["exp", "iat", "nbf", "aud", "iss", "tid", "oid", "sub"]})


def assert_app_claims(claims, emulator, client_id, acr):
    """An app-only Graph token as Entra issues it: v1.0, idtyp app, oid = sub = the service principal (not the
    client id), roles, appid / appidacr, the opaque aio / rh / uti."""
    assert claims["ver"] == "1.0" and claims["idtyp"] == "app"
    assert claims["tid"] == emulator.defaults["tenant_id"]
    assert claims["appid"] == client_id and claims["appidacr"] == acr
    assert claims["oid"] == claims["sub"] and claims["oid"] != client_id
    assert "scp" not in claims and isinstance(claims["roles"], list)
    assert all(claims.get(k) for k in ("aio", "rh", "uti"))


def assert_user_claims(claims, emulator, client_id, acr="0"):
    """A delegated Graph token: no idtyp, scp, the user's oid, upn / unique_name / name / amr."""
    assert claims["ver"] == "1.0" and "idtyp" not in claims and "roles" not in claims
    assert claims["oid"] == emulator.defaults["user_id"] and claims["sub"] != claims["oid"]  # sub is pairwise
    assert claims["upn"] == claims["unique_name"] == emulator.defaults["user_upn"]
    assert claims["name"] and claims["amr"]
    assert claims["appid"] == client_id and claims["appidacr"] == acr
    return set(claims["scp"].split())


def without_deprecation(func, *args, **kwargs):
    """ROPC on a public client warns (DeprecationWarning) from msal 1.35; it still works."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return func(*args, **kwargs)


def make_certificate(common_name):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return {
        "key": key,
        "cert": cert,
        "key_pem": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode("ascii"),
        "cert_pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "sha1": cert.fingerprint(hashes.SHA1()).hex(),  # nosec - x5t is SHA-1 by definition
    }


# -- fixtures ----------------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No managed-identity source or forced region from the machine may leak into MSAL. REQUESTS_CA_BUNDLE and
    CURL_CA_BUNDLE stay as they are on purpose: our session must work with them set."""
    for name in MI_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(name="http")
def _http(emulator):
    session = MsalHttp(emulator)
    yield session
    session.close()


@pytest.fixture(name="certs", scope="module")
def _certs():
    return {"registered": make_certificate("appointments-automation"), "unregistered": make_certificate("intruder")}


@pytest.fixture(name="cert_app")
def _cert_app(emulator, certs):
    seed_with(emulator, apps=[{
        "client_id": CERT_APP_ID, "name": "appointments-cert", "certificates": [certs["registered"]["cert_pem"]],
        "application_permissions": ["OnlineMeetings.ReadWrite.All"],
    }])
    return CERT_APP_ID


@pytest.fixture(name="federated_app")
def _federated_app(emulator):
    seed_with(emulator, apps=[{
        "client_id": FEDERATED_APP_ID, "name": "appointments-ci",
        "federated_credentials": [{"issuer": GITHUB_ISSUER, "subject": GITHUB_SUBJECT,
                                   "audience": "api://AzureADTokenExchange"}],
        "application_permissions": ["OnlineMeetings.ReadWrite.All"],
    }])
    return FEDERATED_APP_ID


# -- 1. client secret ------------------------------------------------------------------------------------------
def test_client_secret_token_works_on_graph_and_is_cached(emulator, http):
    app = confidential_app(emulator, http, emulator.defaults["client_secret"])
    result = app.acquire_token_for_client(scopes=GRAPH_DEFAULT)
    assert_token_response(result)
    assert result["scope"] == GRAPH_DEFAULT[0]
    body = http.token_posts()[0]["data"]
    assert body["grant_type"] == "client_credentials" and body["client_secret"] == emulator.defaults["client_secret"]
    assert_creates_meeting(emulator, http, result["access_token"], emulator.defaults["user_id"],
                           as_app=emulator.defaults["client_id"])

    seq = last_seq(emulator)
    again = app.acquire_token_for_client(scopes=GRAPH_DEFAULT)
    assert again["token_source"] == "cache"
    assert again["access_token"] == result["access_token"]
    assert token_requests(emulator, since=seq) == []
    assert len(token_requests(emulator)) == 1


def test_token_endpoint_wire_shape(emulator, http):
    """The raw client-credentials answer, as Entra sends it: no-store, every field MSAL reads, and ``scope``."""
    response = http.post(authority(emulator) + TOKEN_ROUTE, data={
        "client_id": emulator.defaults["client_id"], "client_secret": emulator.defaults["client_secret"],
        "grant_type": "client_credentials", "scope": GRAPH_DEFAULT[0], "client_info": "1"})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) >= {"token_type", "expires_in", "ext_expires_in", "access_token", "scope"}
    claims = verified_claims(emulator, http, body["access_token"])
    assert claims["aud"] == GRAPH and claims["tid"] == emulator.defaults["tenant_id"]
    assert claims["iss"] == f"https://sts.windows.net/{emulator.defaults['tenant_id']}/"
    assert_app_claims(claims, emulator, emulator.defaults["client_id"], acr="1")
    assert claims["oid"] == DEFAULT_SEED["tenants"][0]["apps"][0]["object_id"]  # the seeded service principal
    assert "OnlineMeetings.ReadWrite.All" in claims["roles"]

    discovery = http.get(authority(emulator) + "/v2.0/.well-known/openid-configuration").json()
    for key in ("authorization_endpoint", "token_endpoint", "device_authorization_endpoint", "issuer"):
        assert discovery[key].startswith("https://"), key
    assert discovery["token_endpoint"] == authority(emulator) + TOKEN_ROUTE


def test_discovery_documents_publish_the_signing_key(emulator, http):
    """Both OpenID configurations per tenant (v1.0: Graph's tokens; v2.0: what MSAL reads) point to a JWKS holding
    the key the tokens are signed with, with its self-signed certificate (graph-today.md 4.1)."""
    tenant, domain = emulator.defaults["tenant_id"], emulator.defaults["tenant_domain"]
    v2 = http.get(authority(emulator, domain) + "/v2.0/.well-known/openid-configuration").json()
    v1 = http.get(authority(emulator, domain) + "/.well-known/openid-configuration").json()
    assert v2["jwks_uri"] == authority(emulator, domain) + "/discovery/v2.0/keys"
    assert v1["jwks_uri"] == authority(emulator, domain) + "/discovery/keys"
    assert v1["issuer"] == f"https://sts.windows.net/{tenant}/" and v2["issuer"].endswith(f"/{tenant}/v2.0")
    assert v1["id_token_signing_alg_values_supported"] == v2["id_token_signing_alg_values_supported"] == ["RS256"]
    v2_keys, v1_keys = http.get(v2["jwks_uri"]).json()["keys"], http.get(v1["jwks_uri"]).json()["keys"]
    assert [k["kid"] for k in v2_keys] == [k["kid"] for k in v1_keys] and v2_keys
    assert all(k["issuer"] == v2["issuer"] for k in v2_keys)
    common = http.get(authority(emulator, "common") + "/v2.0/.well-known/openid-configuration").json()
    assert "{tenantid}" in common["issuer"]
    assert http.get(common["jwks_uri"]).json()["keys"][0]["kid"] == v2_keys[0]["kid"]

    token = confidential_app(emulator, http, emulator.defaults["client_secret"]).acquire_token_for_client(
        scopes=GRAPH_DEFAULT)["access_token"]
    assert jwt.get_unverified_header(token)["kid"] == v2_keys[0]["kid"]
    verified_claims(emulator, http, token)


def test_instance_discovery_answers_for_the_tenant_asked(emulator, http):
    """MSAL's authority validation call: the tenant discovery endpoint is the asked tenant's, not /common's."""
    tenant = emulator.defaults["tenant_id"]
    asked = f"https://127.0.0.1/{tenant}/oauth2/v2.0/authorize"
    response = http.get(emulator.authority_host + "/common/discovery/instance",
                        params={"api-version": "1.1", "authorization_endpoint": asked})
    assert response.status_code == 200, response.text
    endpoint = response.json()["tenant_discovery_endpoint"]
    assert endpoint == authority(emulator, tenant) + "/v2.0/.well-known/openid-configuration"
    assert http.get(endpoint).json()["token_endpoint"] == authority(emulator, tenant) + TOKEN_ROUTE

    # MSAL itself, told to use the emulator for instance discovery (a custom discovery endpoint, no patching).
    app = msal.ConfidentialClientApplication(
        emulator.defaults["client_id"], client_credential=emulator.defaults["client_secret"],
        authority=authority(emulator), http_client=http,
        instance_discovery=emulator.authority_host + "/common/discovery/instance")
    result = app.acquire_token_for_client(scopes=GRAPH_DEFAULT)
    assert_token_response(result)
    assert [e["route"] for e in emulator.requests(kind="identity")][-3:] == [
        "/common/discovery/instance", "/{tenant}/v2.0/.well-known/openid-configuration", "/{tenant}" + TOKEN_ROUTE]


def test_token_for_the_emulator_url_is_refused(emulator, http):
    """The emulator's own URL is not a resource Entra knows (AADSTS500011), so no token can carry it as audience."""
    app = confidential_app(emulator, http, emulator.defaults["client_secret"])
    result = app.acquire_token_for_client(scopes=[emulator.graph_url + "/.default"])
    assert_entra_error(result, "invalid_resource", 500011)


# -- 2. certificate --------------------------------------------------------------------------------------------
def _certificate_credential(form, cert, tmp_path):
    if form == "thumbprint":
        return {"private_key": cert["key_pem"], "thumbprint": cert["sha1"]}
    if form == "public_certificate":
        return {"private_key": cert["key_pem"], "public_certificate": cert["cert_pem"]}
    pfx = tmp_path / "client.pfx"
    pfx.write_bytes(pkcs12.serialize_key_and_certificates(
        b"client", cert["key"], cert["cert"], None, serialization.BestAvailableEncryption(b"pfx-passphrase")))
    return {"private_key_pfx_path": str(pfx), "passphrase": "pfx-passphrase"}


@pytest.mark.parametrize("form, alg, thumbprint_header, digest", [
    pytest.param("thumbprint", "RS256", "x5t", hashlib.sha1, id="pem-sha1-thumbprint"),
    pytest.param("public_certificate", "PS256", "x5t#S256", hashlib.sha256, id="pem-public-certificate",
                 marks=pytest.mark.skipif(MSAL_VERSION < (1, 35), reason="SHA-256 from a PEM needs msal>=1.35")),
    pytest.param("pfx", "PS256", "x5t#S256", hashlib.sha256, id="pfx"),
])
def test_certificate_credential(emulator, http, certs, cert_app, tmp_path, form, alg, thumbprint_header, digest):
    cert = certs["registered"]
    app = confidential_app(emulator, http, _certificate_credential(form, cert, tmp_path), client_id=cert_app)
    result = app.acquire_token_for_client(scopes=GRAPH_DEFAULT)
    assert_token_response(result)
    assert_app_claims(verified_claims(emulator, http, result["access_token"]), emulator, cert_app, acr="2")

    body = http.token_posts()[0]["data"]
    assert body["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert "client_secret" not in body
    header = jwt.get_unverified_header(body["client_assertion"])
    der = cert["cert"].public_bytes(serialization.Encoding.DER)
    assert header["alg"] == alg
    assert header[thumbprint_header].rstrip("=") == base64.urlsafe_b64encode(digest(der).digest()).rstrip(b"=").decode()
    assert claims_of(body["client_assertion"])["aud"] == authority(emulator) + TOKEN_ROUTE

    assert_creates_meeting(emulator, http, result["access_token"], emulator.defaults["user_id"], as_app=cert_app)


def test_unregistered_certificate_is_invalid_client(emulator, http, certs, cert_app):
    intruder = certs["unregistered"]
    app = confidential_app(emulator, http, {"private_key": intruder["key_pem"], "thumbprint": intruder["sha1"]},
                           client_id=cert_app)
    result = app.acquire_token_for_client(scopes=GRAPH_DEFAULT)
    assert_entra_error(result, "invalid_client", 700027)
    assert token_requests(emulator)[-1]["status"] == 401


@pytest.mark.usefixtures("cert_app")
def test_certificate_of_another_app_is_rejected(emulator, http, certs):
    """A key registered on one app does not authenticate another (the default app has only a secret)."""
    registered = certs["registered"]
    app = confidential_app(emulator, http, {"private_key": registered["key_pem"], "thumbprint": registered["sha1"]})
    assert_entra_error(app.acquire_token_for_client(scopes=GRAPH_DEFAULT), "invalid_client", 700027)


# -- 3. federated token (workload identity) -------------------------------------------------------------------
def _federated_credential(emulator, tmp_path, subject=GITHUB_SUBJECT, lifetime=3600):
    """Mint an external OIDC token (the CI's), write it where AZURE_FEDERATED_TOKEN_FILE would point, and return
    MSAL's credential: a callable that re-reads the file on every token request, plus a call counter."""
    token = emulator.control("POST", "federated-token", {"issuer": GITHUB_ISSUER, "subject": subject,
                                                         "lifetime": lifetime})["token"]
    token_file = tmp_path / "azure-identity-token"
    token_file.write_text(token, encoding="ascii")
    calls = []

    def read_token_file():
        calls.append(time.time())
        return token_file.read_text(encoding="ascii").strip()

    return {"client_assertion": read_token_file}, calls


def test_federated_token(emulator, http, tmp_path, federated_app):
    credential, calls = _federated_credential(emulator, tmp_path)
    app = confidential_app(emulator, http, credential, client_id=federated_app)
    result = app.acquire_token_for_client(scopes=GRAPH_DEFAULT)
    assert_token_response(result)
    assert len(calls) == 1
    body = http.token_posts()[0]["data"]
    assert body["client_assertion"] == (tmp_path / "azure-identity-token").read_text(encoding="ascii")
    assert_app_claims(verified_claims(emulator, http, result["access_token"]), emulator, federated_app, acr="2")
    assert_creates_meeting(emulator, http, result["access_token"], emulator.defaults["user_id"], as_app=federated_app)

    assert app.acquire_token_for_client(scopes=GRAPH_DEFAULT)["token_source"] == "cache"
    assert len(calls) == 1, "a cached token must not read the assertion again"


@pytest.mark.parametrize("subject, lifetime, error, code", [
    pytest.param(GITHUB_SUBJECT, -60, "invalid_client", 700024, id="expired"),
    pytest.param("repo:contoso/other:ref:refs/heads/main", 3600, "invalid_request", 70021, id="unregistered-subject"),
])
def test_federated_token_rejected(emulator, http, tmp_path, federated_app, subject, lifetime, error, code):
    credential = _federated_credential(emulator, tmp_path, subject=subject, lifetime=lifetime)[0]
    app = confidential_app(emulator, http, credential, client_id=federated_app)
    assert_entra_error(app.acquire_token_for_client(scopes=GRAPH_DEFAULT), error, code)


# -- 4. managed identity ----------------------------------------------------------------------------------------
@pytest.fixture(name="app_service_env")
def _app_service_env(emulator, monkeypatch):
    monkeypatch.setenv("IDENTITY_ENDPOINT", emulator.info["msi_endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", emulator.info["identity_header"])


@pytest.mark.usefixtures("app_service_env")
def test_system_assigned_managed_identity(emulator, http):
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=http)
    result = client.acquire_token_for_client(resource=GRAPH)
    assert result.get("token_source") == "identity_provider", result
    assert result["token_type"] == "Bearer" and result["expires_in"] > 0
    mi_client_id = emulator.defaults["managed_identity_client_id"]
    (sent,) = http.sent
    assert sent["url"] == emulator.info["msi_endpoint"]
    assert sent["params"] == {"api-version": "2019-08-01", "resource": GRAPH}
    assert emulator.requests(kind="identity")[-1]["route"] == "/msi/token"
    claims = verified_claims(emulator, http, result["access_token"])
    assert_app_claims(claims, emulator, mi_client_id, acr="2")
    assert claims["oid"] == DEFAULT_SEED["tenants"][0]["managed_identities"][0]["object_id"]
    assert_creates_meeting(emulator, http, result["access_token"], emulator.defaults["user_id"], as_app=mi_client_id)

    assert client.acquire_token_for_client(resource=GRAPH)["token_source"] == "cache"
    assert len([e for e in emulator.requests(kind="identity") if e["route"] == "/msi/token"]) == 1


@pytest.mark.parametrize("kind", ["client_id", "object_id", "resource_id"])
@pytest.mark.usefixtures("app_service_env")
def test_user_assigned_managed_identity(emulator, http, kind):
    seed_with(emulator, managed_identities=[USER_ASSIGNED_MI])
    identity = msal.UserAssignedManagedIdentity(**{kind: USER_ASSIGNED_MI[kind]})
    result = msal.ManagedIdentityClient(identity, http_client=http).acquire_token_for_client(resource=GRAPH)
    assert "access_token" in result, result
    assert claims_of(result["access_token"])["appid"] == USER_ASSIGNED_MI["client_id"]
    assert_creates_meeting(emulator, http, result["access_token"], emulator.defaults["user_id"],
                           as_app=USER_ASSIGNED_MI["client_id"])


@pytest.mark.usefixtures("app_service_env")
def test_unknown_managed_identity_and_wrong_header(emulator, http, monkeypatch):
    unknown = msal.UserAssignedManagedIdentity(client_id=str(uuid.uuid4()))
    result = msal.ManagedIdentityClient(unknown, http_client=http).acquire_token_for_client(resource=GRAPH)
    assert "access_token" not in result and result["error"]
    assert result["error_description"].startswith("400, ")  # MSAL renders App Service's statusCode and message

    monkeypatch.setenv("IDENTITY_HEADER", "not-the-header")
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=http)
    result = client.acquire_token_for_client(resource=GRAPH)
    assert "access_token" not in result and result["error_description"].startswith("401, ")
    assert [e["status"] for e in emulator.requests(kind="identity")] == [400, 401]


@pytest.mark.skipif(MSAL_VERSION < (1, 32), reason="AZURE_POD_IDENTITY_AUTHORITY_HOST needs msal>=1.32")
def test_imds_managed_identity(emulator, http, monkeypatch):
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", emulator.authority_host)
    client = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=http)
    result = client.acquire_token_for_client(resource=GRAPH)
    assert "access_token" in result, result
    assert emulator.requests(kind="identity")[-1]["route"] == "/metadata/identity/oauth2/token"
    assert_creates_meeting(emulator, http, result["access_token"], emulator.defaults["user_id"])


# -- 5. username / password (ROPC) -----------------------------------------------------------------------------
def test_username_password(emulator, http):
    app = public_app(emulator, http)
    result = without_deprecation(app.acquire_token_by_username_password, emulator.defaults["user_upn"],
                                 emulator.defaults["user_password"], scopes=DELEGATED)
    claims = assert_token_response(result, client_id=emulator.defaults["public_client_id"])
    assert claims["preferred_username"] == emulator.defaults["user_upn"]
    assert claims["oid"] == emulator.defaults["user_id"]

    realm, token_post = [s for s in http.sent if "/common/userrealm/" in s["url"] or s["url"].endswith(TOKEN_ROUTE)]
    assert realm["url"].startswith(emulator.authority_host + "/common/userrealm/"), "the port was put back"
    assert token_post["data"]["grant_type"] == "password"
    assert [e["route"] for e in emulator.requests(kind="identity")] == [
        "/{tenant}/v2.0/.well-known/openid-configuration", "/common/userrealm", "/{tenant}" + TOKEN_ROUTE]
    scopes = assert_user_claims(verified_claims(emulator, http, result["access_token"]), emulator,
                                emulator.defaults["public_client_id"], acr="0")
    assert scopes == {"OnlineMeetings.ReadWrite"}
    assert_creates_meeting(emulator, http, result["access_token"])


def test_delegated_scp_holds_every_scope_consented_so_far(emulator, http):
    """scp is the set of scopes the user consented to for the app so far, not only the ones this request named."""
    app = public_app(emulator, http)
    first = without_deprecation(app.acquire_token_by_username_password, emulator.defaults["user_upn"],
                                emulator.defaults["user_password"], scopes=[GRAPH + "/User.Read"])
    assert set(claims_of(first["access_token"])["scp"].split()) == {"User.Read"}
    second = without_deprecation(app.acquire_token_by_username_password, emulator.defaults["user_upn"],
                                 emulator.defaults["user_password"], scopes=DELEGATED)
    claims = verified_claims(emulator, http, second["access_token"])
    assert assert_user_claims(claims, emulator, emulator.defaults["public_client_id"]) == {
        "User.Read", "OnlineMeetings.ReadWrite"}
    assert_creates_meeting(emulator, http, second["access_token"])


def test_username_password_wrong_password(emulator, http):
    app = public_app(emulator, http)
    result = without_deprecation(app.acquire_token_by_username_password, emulator.defaults["user_upn"],
                                 "wrong-password", scopes=DELEGATED)
    assert_entra_error(result, "invalid_grant", 50126)


# -- 6. device code, then silent refresh from a serialized cache ---------------------------------------------------
def _approve_after_first_poll(emulator, user_code, since, problems):
    """The person at the browser: signs in once MSAL has polled at least once (so it saw authorization_pending)."""
    try:
        deadline = time.monotonic() + 20
        while not token_requests(emulator, since=since):
            if time.monotonic() > deadline:
                raise AssertionError("MSAL never polled the token endpoint")
            time.sleep(0.05)
        emulator.control("POST", "device/approve", {"user_code": user_code, "user_id": emulator.defaults["user_id"]})
    except Exception as exc:  # pylint: disable=broad-except
        problems.append(exc)


def test_device_code_then_silent_refresh(emulator, http):
    cache = msal.SerializableTokenCache()
    app = public_app(emulator, http, token_cache=cache)
    flow = app.initiate_device_flow(scopes=DELEGATED)
    assert "user_code" in flow, flow
    assert flow["interval"] == 1 and flow["verification_uri"] and flow["user_code"] in flow["message"]
    flow["expires_at"] = time.time() + 20  # fail fast instead of polling for 15 minutes

    seq, problems = last_seq(emulator), []
    approver = threading.Thread(target=_approve_after_first_poll, args=(emulator, flow["user_code"], seq, problems))
    approver.start()
    try:
        result = app.acquire_token_by_device_flow(flow)
    finally:
        approver.join(30)
    assert not problems, problems
    claims = assert_token_response(result, client_id=emulator.defaults["public_client_id"])
    assert claims["oid"] == emulator.defaults["user_id"]
    statuses = [e["status"] for e in token_requests(emulator, since=seq)]
    assert statuses[-1] == 200 and statuses[:-1] and set(statuses[:-1]) == {400}  # pending, then the token
    polls = http.token_posts()
    assert polls[-1]["data"]["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code"
    assert "scope" not in polls[-1]["data"]
    assert_creates_meeting(emulator, http, result["access_token"])

    # A later process: a fresh app whose cache was deserialized from the first one's.
    later_cache = msal.SerializableTokenCache()
    later_cache.deserialize(cache.serialize())
    later = public_app(emulator, http, token_cache=later_cache)
    (account,) = later.get_accounts()
    assert account["username"] == emulator.defaults["user_upn"]
    assert account["home_account_id"] == f"{emulator.defaults['user_id']}.{emulator.defaults['tenant_id']}"

    seq = last_seq(emulator)
    cached = later.acquire_token_silent(DELEGATED, account=account)
    assert cached["token_source"] == "cache" and cached["access_token"] == result["access_token"]
    assert token_requests(emulator, since=seq) == []

    refreshed = later.acquire_token_silent(DELEGATED, account=account, force_refresh=True)
    assert_token_response(refreshed, client_id=emulator.defaults["public_client_id"])
    assert refreshed["access_token"] != result["access_token"]
    assert refreshed["refresh_token"] != result["refresh_token"]
    assert [(e["status"], e["grant_type"]) for e in token_requests(emulator, since=seq)] == [(200, "refresh_token")]
    sent = http.token_posts()[-1]["data"]
    assert sent["grant_type"] == "refresh_token" and sent["refresh_token"] == result["refresh_token"]
    assert later_cache.has_state_changed
    assert_creates_meeting(emulator, http, refreshed["access_token"])


def test_device_code_declined(emulator, http):
    app = public_app(emulator, http)
    flow = app.initiate_device_flow(scopes=DELEGATED)
    emulator.control("POST", "device/approve", {"user_code": flow["user_code"], "deny": True})
    flow["expires_at"] = time.time() + 20
    result = app.acquire_token_by_device_flow(flow)
    assert result["error"] == "authorization_declined", result
    assert "access_token" not in result


# -- 7. token-endpoint errors ---------------------------------------------------------------------------------------
def test_wrong_secret(emulator, http):
    result = confidential_app(emulator, http, "not-the-secret").acquire_token_for_client(scopes=GRAPH_DEFAULT)
    assert_entra_error(result, "invalid_client", 7000215)
    assert set(result) >= {"timestamp", "trace_id", "correlation_id", "error_uri"}


def test_unknown_tenant_fails_at_construction(emulator, http):
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        confidential_app(emulator, http, emulator.defaults["client_secret"], tenant=str(uuid.uuid4()))
    assert emulator.requests(kind="identity")[-1]["status"] == 400


def test_unknown_client_id(emulator, http):
    app = confidential_app(emulator, http, "whatever", client_id=str(uuid.uuid4()))
    assert_entra_error(app.acquire_token_for_client(scopes=GRAPH_DEFAULT), "unauthorized_client", 700016)


def test_client_credentials_need_a_default_scope(emulator, http):
    app = confidential_app(emulator, http, emulator.defaults["client_secret"])
    result = app.acquire_token_for_client(scopes=[GRAPH + "/OnlineMeetings.ReadWrite.All"])
    assert result.get("error") == "invalid_scope", result
    assert result["error_description"].startswith("AADSTS")


# -- 8. Graph-side token checks ---------------------------------------------------------------------------------------
def _forge(token):
    header, payload, signature = token.split(".")
    middle = len(signature) // 2  # not the last character: its low bits are padding and may not count
    flipped = "A" if signature[middle] != "A" else "B"
    return ".".join([header, payload, signature[:middle] + flipped + signature[middle + 1:]])


BAD_TOKENS = {
    "missing": lambda emu: None,
    "malformed": lambda emu: "not-a-jwt",
    "expired": lambda emu: emu.app_token(lifetime=-10),
    "forged": lambda emu: _forge(emu.app_token()),
    "unknown-tenant": lambda emu: emu.app_token(tenant_id="unknown-tenant"),
    "wrong-audience": lambda emu: _token_for(emu, "https://management.azure.com"),
    # graph-today.md 4.3: Graph of another cloud, or the emulator's own URL, is not this endpoint's audience.
    "other-cloud-audience": lambda emu: _token_for(emu, "https://graph.microsoft.us"),
    "emulator-url-audience": lambda emu: _token_for(emu, emu.graph_url),
    "hs256": lambda emu: jwt.encode(claims_of(emu.app_token()), "x" * 32, algorithm="HS256"),
}
INVALID_AUDIENCE = "Access token validation failure. Invalid audience."


def _token_for(emulator, resource):
    return emulator.control("POST", "access-token", {
        "tenant_id": emulator.defaults["tenant_id"], "client_id": emulator.defaults["client_id"],
        "resource": resource, "roles": ["OnlineMeetings.ReadWrite.All"]})["access_token"]


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_graph_rejects_bad_token(emulator, http, case):
    token = BAD_TOKENS[case](emulator)
    client_request_id = str(uuid.uuid4())
    response = graph_post(emulator, http, token, "users/" + emulator.defaults["user_id"],
                          headers={"client-request-id": client_request_id})
    error = assert_graph_error(response, 401, "InvalidAuthenticationToken", client_request_id)
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    if case == "expired":
        assert "expired" in error["message"].lower()
    if case.endswith("audience"):
        assert error["message"] == INVALID_AUDIENCE
    assert emulator.metrics()["writes"] == 0  # nothing was created


@pytest.mark.parametrize("audience", [GRAPH, GRAPH + "/", "00000003-0000-0000-c000-000000000000"])
def test_graph_accepts_each_form_of_its_audience(emulator, http, audience):
    """graph-today.md 4.2: Graph's aud is emitted as its URL, with a trailing slash, or as its application id."""
    assert_creates_meeting(emulator, http, _token_for(emulator, audience), emulator.defaults["user_id"])


def test_graph_forbids_token_without_permission(emulator, http):
    client_request_id = str(uuid.uuid4())
    response = graph_post(emulator, http, emulator.app_token(roles=[]), "users/" + emulator.defaults["user_id"],
                          headers={"client-request-id": client_request_id})
    error = assert_graph_error(response, 403, "Forbidden", client_request_id)
    assert "OnlineMeetings.ReadWrite.All" in error["message"]


def test_graph_forbids_delegated_token_without_scope(emulator, http):
    token = emulator.app_token(user_id=emulator.defaults["user_id"], scopes=["User.Read"])
    client_request_id = str(uuid.uuid4())
    response = graph_post(emulator, http, token, "me", headers={"client-request-id": client_request_id})
    error = assert_graph_error(response, 403, "Forbidden", client_request_id)
    assert "OnlineMeetings.ReadWrite" in error["message"]


def test_graph_requires_an_access_policy_for_app_tokens(emulator, http):
    seed_with(emulator, users=[USER_WITHOUT_POLICY])
    client_id, user_id = emulator.defaults["client_id"], USER_WITHOUT_POLICY["id"]
    client_request_id = str(uuid.uuid4())
    response = graph_post(emulator, http, emulator.app_token(), "users/" + user_id,
                          headers={"client-request-id": client_request_id})
    error = assert_graph_error(response, 403, "Unauthorized", client_request_id)
    assert error["message"] == f"App {client_id} is not authorized to Create meeting on behalf of user {user_id}"
    # The same app may still act for the user its policy names.
    assert_creates_meeting(emulator, http, emulator.app_token(), emulator.defaults["user_id"])


# -- 9. token lifetime -----------------------------------------------------------------------------------------------
def test_token_lifetime_mode(emulator, http):
    emulator.modes(token_lifetime_s=2)
    result = confidential_app(emulator, http, emulator.defaults["client_secret"]).acquire_token_for_client(
        scopes=GRAPH_DEFAULT)
    assert result["expires_in"] == 2
    token = result["access_token"]
    assert_creates_meeting(emulator, http, token, emulator.defaults["user_id"])
    time.sleep(max(0.0, claims_of(token)["exp"] - time.time()) + 0.1)
    client_request_id = str(uuid.uuid4())
    response = graph_post(emulator, http, token, "users/" + emulator.defaults["user_id"],
                          headers={"client-request-id": client_request_id})
    error = assert_graph_error(response, 401, "InvalidAuthenticationToken", client_request_id)
    assert "expired" in error["message"].lower()
