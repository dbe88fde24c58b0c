"""Access tokens, ID tokens and client assertions.

Access tokens are JWTs signed (HS256) with a key private to this emulator process (persisted in the state
directory, so tokens survive a restart).  Graph verifies them on every request; a token the emulator did not
sign is "forged".  The emulator also plays the external OIDC issuer of workload identity federation: it mints
federated tokens (control API) and verifies them with a second key.
"""

import base64
import collections
import json
import os
import secrets
import time
import uuid

import jwt

GRAPH_RESOURCES = (
    "https://graph.microsoft.com",
    "https://graph.microsoft.us",
    "https://dod-graph.microsoft.us",
    "https://microsoftgraph.chinacloudapi.cn",
    "00000003-0000-0000-c000-000000000000",
)
FEDERATION_AUDIENCES = ("api://AzureADTokenExchange", "api://AzureADTokenExchangeUSGov",
                        "api://AzureADTokenExchangeChina")


class TokenError(Exception):
    """A token or assertion is invalid; ``reason`` is one of expired, forged, malformed, audience."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


def b64url_json(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _load_key(path):
    if path and os.path.exists(path):
        with open(path, "rb") as handle:
            return handle.read()
    key = secrets.token_bytes(32)
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    return key


class TokenService:
    def __init__(self, state_dir=None):
        self.key = _load_key(os.path.join(state_dir, "signing.key") if state_dir else None)
        self.federation_key = _load_key(os.path.join(state_dir, "federation.key") if state_dir else None)
        self.lifetime = 3600
        self._verified = {}  # token -> claims; signature checks are done once per token
        self.issued = collections.deque(maxlen=10000)  # every access token handed out, for secret-leak tests

    # -- access tokens -------------------------------------------------------------------------------
    def issue_access_token(self, tenant_id, app_id, resource, user=None, scopes=None, roles=None,
                           object_id=None, lifetime=None, issuer_host="sts.windows.net"):
        now = int(time.time())
        claims = {
            "aud": resource,
            "iss": "https://%s/%s/" % (issuer_host, tenant_id),
            "iat": now, "nbf": now,
            "exp": now + int(self.lifetime if lifetime is None else lifetime),
            "tid": tenant_id,
            "appid": app_id,
            "uti": uuid.uuid4().hex,
            "ver": "1.0",
        }
        if user is not None:
            claims.update({"idtyp": "user", "oid": user.id, "sub": user.id, "upn": user.upn,
                           "name": user.display_name, "scp": " ".join(sorted(scopes or ()))})
        else:
            claims.update({"idtyp": "app", "oid": object_id or app_id, "sub": object_id or app_id,
                           "roles": sorted(roles or ())})
        token = jwt.encode(claims, self.key, algorithm="HS256")
        self.issued.append(token)
        return token, claims

    def verify_access_token(self, token):
        claims = self._verified.get(token)
        if claims is None:
            try:
                claims = jwt.decode(token, self.key, algorithms=["HS256"],
                                    options={"verify_exp": False, "verify_aud": False, "verify_nbf": False})
            except jwt.InvalidSignatureError as exc:
                raise TokenError("forged", "IDX10511: Signature validation failed.") from exc
            except jwt.PyJWTError as exc:
                raise TokenError("malformed", "IDX14100: JWT is not well formed.") from exc
            if len(self._verified) > 50000:
                self._verified.clear()
            self._verified[token] = claims
        if claims["exp"] <= time.time():
            raise TokenError("expired", "Lifetime validation failed, the token is expired.")
        if claims.get("aud") not in GRAPH_RESOURCES and not str(claims.get("aud", "")).startswith("https://127."):
            raise TokenError("audience", "Invalid audience.")
        return claims

    # -- user-flow extras --------------------------------------------------------------------------------
    def id_token(self, issuer, client_id, tenant_id, user):
        now = int(time.time())
        claims = {"aud": client_id, "iss": issuer, "iat": now, "nbf": now, "exp": now + 3600,
                  "oid": user.id, "sub": user.id, "tid": tenant_id, "preferred_username": user.upn,
                  "name": user.display_name, "ver": "2.0"}
        return jwt.encode(claims, self.key, algorithm="HS256")

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
