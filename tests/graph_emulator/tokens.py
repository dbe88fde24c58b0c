"""Access tokens, ID tokens and client assertions.

Access and ID tokens are JWTs as Entra ID issues them for Microsoft Graph (graph-today.md 4): RS256, header
``{"typ": "JWT", "alg": "RS256", "kid", "x5t"}``, signed with an RSA key the emulator generates at start (kept in
the state directory, if there is one, so tokens survive a restart) and publishes with its self-signed certificate
at the discovery documents' ``jwks_uri``.  Graph verifies every token with the public key; a token the emulator did
not sign is "forged".  The claims are v1.0-shaped, whichever endpoint the client used (Graph picks the version).

The emulator also plays the external OIDC issuer of workload identity federation: it mints federated tokens
(control API) and verifies them with a second key.
"""

import base64
import collections
import datetime
import hashlib
import json
import os
import secrets
import time
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .directory import service_principal_id

GRAPH_RESOURCES = (
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
    "00000003-0000-0000-c000-000000000000",
)
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# The audiences Graph of each cloud accepts (graph-today.md 4.2, 4.3): its own URL, with or without the trailing
# slash, and Graph's application id.  The emulator's one endpoint is Graph of ``TokenService.cloud``.
GRAPH_AUDIENCES = {
    "global": ("https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID),
    "usgov": ("https://graph.microsoft.us", "https://graph.microsoft.us/", GRAPH_APP_ID),
    "usgov_dod": ("https://dod-graph.microsoft.us", "https://dod-graph.microsoft.us/", GRAPH_APP_ID),
    "china": ("https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/", GRAPH_APP_ID),
}
FEDERATION_AUDIENCES = ("api://AzureADTokenExchange", "api://AzureADTokenExchangeUSGov",
                        "api://AzureADTokenExchangeChina")
# appidacr: how the client authenticated (0 public client, 1 client secret, 2 certificate or client assertion).
CLIENT_AUTH_ACR = {None: "0", "secret": "1", "assertion": "2", "certificate": "2"}


class TokenError(Exception):
    """A token or assertion is invalid; ``reason`` is one of expired, forged, malformed, audience."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj):
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def _write_private(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _load_key(path):
    if path and os.path.exists(path):
        with open(path, "rb") as handle:
            return handle.read()
    key = secrets.token_bytes(32)
    if path:
        _write_private(path, key)
    return key


class SigningKey:
    """The RSA key Entra signs tokens with, and the self-signed certificate it publishes in the JWKS (``x5c``).

    ``kid`` and ``x5t`` are the same value, the certificate's SHA-1 thumbprint (base64url), as in Entra's v1.0 keys.
    """

    def __init__(self, state_dir=None):
        key_path = os.path.join(state_dir, "signing-rsa.pem") if state_dir else None
        cert_path = os.path.join(state_dir, "signing-rsa-cert.pem") if state_dir else None
        if key_path and os.path.exists(key_path) and os.path.exists(cert_path):
            with open(key_path, "rb") as handle:
                self.private_key = serialization.load_pem_private_key(handle.read(), password=None)
            with open(cert_path, "rb") as handle:
                self.cert = x509.load_pem_x509_certificate(handle.read())
        else:
            self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.accesscontrol.windows.net")])
            now = datetime.datetime.now(datetime.timezone.utc)
            self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                         .public_key(self.private_key.public_key()).serial_number(x509.random_serial_number())
                         .not_valid_before(now - datetime.timedelta(days=1))
                         .not_valid_after(now + datetime.timedelta(days=5 * 365))
                         .sign(self.private_key, hashes.SHA256()))
            if key_path:
                _write_private(key_path, self.private_key.private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
                _write_private(cert_path, self.cert.public_bytes(serialization.Encoding.PEM))
        self.public_key = self.private_key.public_key()
        der = self.cert.public_bytes(serialization.Encoding.DER)
        self.x5t = b64url(hashlib.sha1(der).digest())  # nosec - the x5t thumbprint is SHA-1 by definition
        self.kid = self.x5t
        self.x5c = base64.b64encode(der).decode("ascii")  # x5c is standard base64 (RFC 7517 4.7), not base64url

    def jwk(self, issuer):
        numbers = self.public_key.public_numbers()

        def b64_int(value):
            return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        return {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.x5t, "n": b64_int(numbers.n),
                "e": b64_int(numbers.e), "x5c": [self.x5c], "cloud_instance_name": "microsoftonline.com",
                "issuer": issuer}

    def sign(self, claims, x5t=True):
        headers = {"typ": "JWT", "kid": self.kid}
        if x5t:
            headers["x5t"] = self.x5t
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers=headers)


def _opaque(size=36):
    """An opaque claim value like Entra's ``aio`` and ``rh`` (the client must not read them)."""
    return b64url(secrets.token_bytes(size))


class TokenService:
    def __init__(self, state_dir=None):
        self.signing = SigningKey(state_dir)
        self.federation_key = _load_key(os.path.join(state_dir, "federation.key") if state_dir else None)
        self.lifetime = 3600
        self.cloud = "global"  # the cloud whose Graph the emulator's endpoint is (GRAPH_AUDIENCES)
        self._verified = {}  # token -> claims; signature checks are done once per token
        self.issued = collections.deque(maxlen=10000)  # every access token handed out, for secret-leak tests

    def jwks(self, issuer):
        return {"keys": [self.signing.jwk(issuer)]}

    # -- access tokens -------------------------------------------------------------------------------------------
    def issue_access_token(self, tenant_id, app_id, resource, user=None, scopes=None, roles=None,
                           object_id=None, lifetime=None, issuer_host="sts.windows.net", client_auth=None,
                           app_name=None, amr=("pwd",)):
        """A v1.0 access token as Entra issues it for Graph (graph-today.md 4.2).

        App-only (``user`` None): ``idtyp`` "app", ``oid`` = ``sub`` = the service principal's object id (not the
        client id), ``roles``.  Delegated: ``scp`` (the consented scopes), ``oid`` = the user's id, a pairwise
        ``sub``, ``upn``, ``unique_name``, ``name``, ``amr``; no ``idtyp``.  ``client_auth`` (None, "secret",
        "certificate", "assertion") gives ``appidacr``; left None it is "1" for app-only and "0" for delegated."""
        now = int(time.time())
        acr = CLIENT_AUTH_ACR.get(client_auth, "0") if client_auth or user is not None else "1"
        claims = {
            "aud": resource,
            "iss": "https://%s/%s/" % (issuer_host, tenant_id),
            "iat": now, "nbf": now,
            "exp": now + int(self.lifetime if lifetime is None else lifetime),
            "aio": _opaque(),
            "app_displayname": app_name or app_id,
            "appid": app_id,
            "appidacr": acr,
            "rh": "0.%s." % _opaque(24),
            "tid": tenant_id,
            "uti": b64url(uuid.uuid4().bytes),
            "ver": "1.0",
        }
        if user is not None:
            claims.update({
                "acr": "1", "amr": list(amr), "name": user.display_name, "oid": user.id,
                "scp": " ".join(sorted(scopes or ())),
                "sub": b64url(hashlib.sha256(("%s|%s|%s" % (tenant_id, app_id, user.id)).encode()).digest()),
                "unique_name": user.upn, "upn": user.upn,
            })
        else:
            sp_id = object_id or service_principal_id(app_id)
            claims.update({"idtyp": "app", "oid": sp_id, "sub": sp_id, "roles": sorted(roles or ())})
        token = self.signing.sign(claims)
        self.issued.append(token)
        return token, claims

    def verify_access_token(self, token):
        """The claims of a token this emulator signed for Graph of its cloud; TokenError otherwise."""
        claims = self._verified.get(token)
        if claims is None:
            try:
                header = jwt.get_unverified_header(token)
            except jwt.PyJWTError as exc:
                raise TokenError("malformed", "IDX14100: JWT is not well formed.") from exc
            if header.get("kid") not in (None, self.signing.kid):
                raise TokenError("forged", "IDX10503: Signature validation failed. The token's kid is not among "
                                 "the signing keys.")
            try:
                claims = jwt.decode(token, self.signing.public_key, algorithms=["RS256"],
                                    options={"verify_exp": False, "verify_aud": False, "verify_nbf": False,
                                             "verify_iat": False})
            except jwt.InvalidSignatureError as exc:
                raise TokenError("forged", "IDX10511: Signature validation failed.") from exc
            except jwt.PyJWTError as exc:
                raise TokenError("malformed", "IDX14100: JWT is not well formed.") from exc
            if len(self._verified) > 50000:
                self._verified.clear()
            self._verified[token] = claims
        if claims["exp"] <= time.time():
            raise TokenError("expired", "Lifetime validation failed, the token is expired.")
        if claims.get("aud") not in GRAPH_AUDIENCES[self.cloud]:
            raise TokenError("audience", "Access token validation failure. Invalid audience.")
        return claims

    @staticmethod
    def is_app_only(claims):
        """Graph's rule: an app-only token says ``idtyp: app``; a token without ``scp`` has no user either."""
        return claims.get("idtyp") == "app" or "scp" not in claims

    # -- user-flow extras --------------------------------------------------------------------------------------------
    def id_token(self, issuer, client_id, tenant_id, user):
        now = int(time.time())
        claims = {"aud": client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + 3600,
                  "oid": user.id, "sub": user.id, "tid": tenant_id, "preferred_username": user.upn,
                  "name": user.display_name, "ver": "2.0"}
        return self.signing.sign(claims, x5t=False)

    @staticmethod
    def client_info(tenant_id, user):
        return b64url_json({"uid": user.id, "utid": tenant_id})

    # -- workload identity federation ------------------------------------------------------------------
    def mint_federated_token(self, issuer, subject, audience=FEDERATION_AUDIENCES[0], lifetime=3600):
        now = int(time.time())
        claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": now - 5, "nbf": now - 5,
                  "exp": now + int(lifetime), "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self.federation_key, algorithm="HS256", headers={"kid": "emulator-federation"})

    def verify_federated_token(self, token):
        try:
            return jwt.decode(token, self.federation_key, algorithms=["HS256"], options={"verify_aud": False})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("expired", "Client assertion is not within its valid time range.") from exc
        except jwt.InvalidSignatureError as exc:
            raise TokenError("forged", "Client assertion failed signature validation.") from exc
        except jwt.PyJWTError as exc:
            raise TokenError("malformed", "Client assertion contains an invalid signature or is malformed.") from exc

    @staticmethod
    def verify_certificate_assertion(token, app, audience):
        """Verify an MSAL client assertion against the app's registered certificates."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise TokenError("malformed", "Client assertion is malformed.") from exc
        # MSAL sends the thumbprints base64url-encoded *with* padding ("=") and Entra accepts that; compare them
        # without it (the registered thumbprints are kept unpadded, as in RFC 7515).
        x5t_s256 = str(header.get("x5t#S256") or "").rstrip("=")
        x5t = str(header.get("x5t") or "").rstrip("=")
        cert = None
        for candidate in app.certificates:
            if (x5t_s256 and x5t_s256 == candidate.x5t_s256) or (x5t and x5t == candidate.x5t):
                cert = candidate
                break
        if cert is None:
            raise TokenError("forged", "The certificate with identifier used to sign the client assertion is "
                             "not registered on application. [Reason - The key was not found.]")
        try:
            claims = jwt.decode(token, cert.public_key, algorithms=["RS256", "PS256", "ES256"],
                                audience=audience, options={"require": ["exp", "aud", "iss"]})
        except jwt.ExpiredSignatureError as exc:
            raise TokenError("expired", "Client assertion is not within its valid time range.") from exc
        except jwt.InvalidAudienceError as exc:
            raise TokenError("audience", "The audience claim in the client assertion is not the token "
                             "endpoint %s." % audience) from exc
        except jwt.PyJWTError as exc:
            raise TokenError("forged", "Client assertion failed signature validation.") from exc
        if claims.get("iss") != app.client_id or claims.get("sub", app.client_id) != app.client_id:
            raise TokenError("forged", "The client assertion's issuer and subject must be the client id.")
        return claims
