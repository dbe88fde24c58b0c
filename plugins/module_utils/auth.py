# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bearer tokens for Microsoft Graph, from every credential type, through MSAL with our own HTTP session.

Every provider has ``token()`` (cached until it nears expiry or is invalidated) and ``invalidate()``, and is
safe to share between the ``$batch`` executor's threads.  MSAL is always given the collection's
:class:`~graph.HTTPSession` as ``http_client``, so the CA bundle, proxy and timeout apply to sign-in too.

The delegated token cache (device code, username/password) is a JSON file, mode 0600, written atomically
(temporary file + rename) under an exclusive lock, so parallel forks never read a torn file.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
import warnings

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows controllers, which Ansible does not support anyway
    fcntl = None

try:
    import msal
    HAS_MSAL = True
    MSAL_IMPORT_ERROR = None
except ImportError as _exc:  # pragma: no cover - reported by the module with missing_required_lib
    msal = None
    HAS_MSAL = False
    MSAL_IMPORT_ERROR = _exc

try:
    import requests
except ImportError:  # pragma: no cover
    requests = None

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import retry
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import (
    AuthenticationError, ConfigurationError, TransportError)

KNOWN_AUTHORITY_HOSTS = ("login.microsoftonline.com", "login.microsoft.com", "login.windows.net",
                         "login.microsoftonline.us", "login.partner.microsoftonline.cn", "login.usgovcloudapi.net")
EXPIRY_MARGIN = 300  # seconds; MSAL itself treats tokens with < 5 min left as expired


class StaticToken:
    """A given access token: used as is; a 401 after invalidate() surfaces as the Graph error."""

    method = "access_token"

    def __init__(self, token):
        self._token = token

    def token(self):
        return self._token

    def invalidate(self):
        pass


class MsalTokenProvider:
    """Caches the token from ``acquire()`` (a callable returning MSAL's result dict) until near expiry."""

    def __init__(self, method, acquire, settings, clock=time.time, sleep=time.sleep, rand=None, after=None):
        self.method = method
        self._acquire = acquire
        self._settings = settings
        self._clock, self._sleep = clock, sleep
        self._rand = rand or (lambda: 0.5)
        self._after = after  # called after each successful acquisition (persist the token cache)
        self._lock = threading.Lock()
        self._token = None
        self._expires = 0.0
        self._force = False  # after invalidate(): skip MSAL's cache and ask the identity platform

    def token(self):
        with self._lock:
            if self._token is None or self._clock() >= self._expires - EXPIRY_MARGIN / 10.0:
                self._token, self._expires = self._fetch()
            return self._token

    def invalidate(self):
        with self._lock:
            self._token = None
            self._force = True

    def _fetch(self):
        force, self._force = self._force, False
        started, attempt = self._clock(), 0
        while True:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)  # ROPC on a public client (msal >= 1.35)
                    result = self._acquire(force)
            except requests.exceptions.SSLError as exc:
                raise TransportError("TLS certificate verification failed while signing in with %s: %s (set "
                                     "ca_path to the CA bundle that signed the authority's certificate)."
                                     % (self.method, exc)) from exc
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout, msal.MsalServiceError) as exc:
                # 5xx from the token endpoint, or no answer. MSAL replays a cached error for up to its Retry-After
                # (5 s for confidential clients), so never retry sooner than that.
                attempt += 1
                decision = retry.decide(retry.TRANSIENT, attempt, 5.0, started, self._clock(), self._settings,
                                        self._rand)
                if not decision.retry:
                    raise AuthenticationError("Sign-in with %s failed: the identity platform did not answer "
                                              "(%s; %s)" % (self.method, exc, decision.reason),
                                              method=self.method) from exc
                self._sleep(decision.delay)
                continue
            if not result:
                raise AuthenticationError("Sign-in with %s found no usable token: sign in again with the device "
                                          "code (the sign_in playbook)." % self.method, method=self.method)
            if "access_token" not in result:
                raise AuthenticationError.from_msal(result, self.method)
            if self._after is not None:
                self._after()
            expires_in = float(result.get("expires_in") or 600)
            return result["access_token"], self._clock() + expires_in


class TokenCacheFile:
    """MSAL's SerializableTokenCache persisted in a 0600 JSON file, shared safely by parallel forks."""

    def __init__(self, path):
        self.path = os.path.abspath(os.path.expanduser(path))
        self.cache = msal.SerializableTokenCache()
        self.load()

    @contextlib.contextmanager
    def _locked(self):
        directory = os.path.dirname(self.path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def exists(self):
        return os.path.exists(self.path)

    def load(self):
        if not self.exists():
            return
        with open(self.path, encoding="utf-8") as handle:
            text = handle.read()
        if text.strip():
            try:
                self.cache.deserialize(text)
            except ValueError as exc:
                raise ConfigurationError("token_cache_path %s is not an MSAL token cache (%s); delete it and "
                                         "sign in again" % (self.path, exc)) from exc

    def save(self):
        """Write the cache if MSAL changed it: temporary file (0600) in the same directory, then rename."""
        if not self.cache.has_state_changed:
            return
        with self._locked():
            write_private_file(self.path, self.cache.serialize())
        self.cache.has_state_changed = False


def _authority_kwargs(settings):
    host = settings.authority_host.split("://", 1)[1].split("/", 1)[0].split(":", 1)[0].lower()
    return {"authority": settings.authority, "instance_discovery": host in KNOWN_AUTHORITY_HOSTS}


def _discovery_answer(exc):
    """Entra's error JSON from a failed OIDC discovery, which MSAL keeps only in the ValueError's context
    ("OIDC Discovery failed on URL. HTTP status: 400, Error: {...}"); None when there is none."""
    text = str(exc.__context__ or "")
    if "OIDC Discovery failed" not in text or "{" not in text:
        return None
    try:
        body = json.loads(text[text.index("{"):])
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("error") else None


def _construct(settings, factory):
    """Build an MSAL application; tenant discovery happens here, so an unknown tenant fails here."""
    try:
        return factory()
    except ValueError as exc:
        if "authority" not in str(exc).lower():
            # Not discovery: MSAL could not use the credential (a wrong .pfx password, a malformed key, ...).
            raise ConfigurationError("Sign-in with %s cannot start: %s" % (settings.method, exc)) from exc
        answer = _discovery_answer(exc)
        cause = "unknown tenant %r or wrong authority_host" % settings.tenant_id
        if answer is not None:
            raise AuthenticationError.from_msal(answer, settings.method, "the authority %s could not be discovered "
                                                "(%s)" % (settings.authority, cause)) from exc
        detail = str(exc.__context__ or exc)[:600]
        message = "Sign-in with %s failed: the authority %s could not be discovered (%s): %s" % (
            settings.method, settings.authority, cause, detail)
        raise AuthenticationError(message, method=settings.method) from exc
    except requests.exceptions.SSLError as exc:
        raise TransportError("TLS certificate verification failed for %s: %s (set ca_path to the CA bundle that "
                             "signed it)." % (settings.authority, exc)) from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise TransportError("No answer from the authority %s: %s" % (settings.authority, exc)) from exc


def _certificate_credential(settings):
    path = settings.params["client_certificate_path"]
    password = settings.params.get("client_certificate_password")
    if not os.path.isfile(path):
        raise ConfigurationError("client_certificate_path %s does not exist" % path)
    if path.lower().endswith((".pfx", ".p12")):
        # Open it here so a wrong password or a broken file is named as such (MSAL would fail in its constructor,
        # next to tenant discovery); MSAL still reads the file itself, to sign with SHA-256 (PS256, x5t#S256).
        from cryptography.hazmat.primitives.serialization import pkcs12  # pylint: disable=import-outside-toplevel
        try:
            with open(path, "rb") as handle:
                key = pkcs12.load_key_and_certificates(handle.read(), password.encode() if password else None)[0]
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigurationError("client_certificate_path %s: cannot open the PKCS#12 file with the given "
                                     "client_certificate_password (%s)" % (path, exc)) from exc
        if key is None:
            raise ConfigurationError("client_certificate_path %s holds no private key" % path)
        credential = {"private_key_pfx_path": path}
        if password:
            credential["passphrase"] = password
        return credential
    # A PEM with the private key and the certificate: MSAL wants them apart, plus the thumbprint.
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        cert = x509.load_pem_x509_certificate(data)
        key = serialization.load_pem_private_key(data, password.encode() if password else None)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError("client_certificate_path %s must be a PEM file with the private key and the "
                                 "certificate, or a .pfx/.p12 file (%s)" % (path, exc)) from exc
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode("ascii")
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return {"private_key": key_pem, "thumbprint": cert.fingerprint(hashes.SHA1()).hex(),  # nosec - x5t is SHA-1
            "public_certificate": cert_pem}


def _federated_credential(settings):
    path = settings.params["federated_token_file"]

    def read_assertion():
        # Re-read on every token request: AKS and CI rotate the projected token (about an hour).
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise ConfigurationError("federated_token_file %s cannot be read: %s" % (path, exc)) from exc

    return {"client_assertion": read_assertion}


def _public_client(settings, session):
    """The public client application (delegated flows) with its persisted token cache: (app, cache)."""
    if not HAS_MSAL:
        raise ConfigurationError("auth_method %s needs the Python package msal>=1.33" % settings.method)
    cache = TokenCacheFile(settings.token_cache_path)
    app = _construct(settings, lambda: msal.PublicClientApplication(
        settings.client_id, http_client=session, token_cache=cache.cache, **_authority_kwargs(settings)))
    return app, cache


def token_provider(settings, session, clock=time.time, sleep=time.sleep):
    """The provider for ``settings.method`` (see spec.ConnectionSettings)."""
    method = settings.method
    if method == "access_token":
        return StaticToken(settings.params["access_token"])
    if not HAS_MSAL:
        raise ConfigurationError("auth_method %s needs the Python package msal>=1.33" % method)
    scopes = [settings.scope]
    if method == "managed_identity":
        identity = (msal.UserAssignedManagedIdentity(client_id=settings.client_id) if settings.client_id
                    else msal.SystemAssignedManagedIdentity())
        clients = [msal.ManagedIdentityClient(identity, http_client=session)]

        def acquire_mi(force):
            if force:  # after invalidate(): a new client has an empty token cache, so the endpoint is asked
                clients[0] = msal.ManagedIdentityClient(identity, http_client=session)
            return clients[0].acquire_token_for_client(resource=settings.resource)
        return MsalTokenProvider(method, acquire_mi, settings.retry, clock, sleep)
    if method in ("client_secret", "client_certificate", "federated_token"):
        credential = {"client_secret": lambda: settings.params["client_secret"],
                      "client_certificate": lambda: _certificate_credential(settings),
                      "federated_token": lambda: _federated_credential(settings)}[method]()
        app = _construct(settings, lambda: msal.ConfidentialClientApplication(
            settings.client_id, client_credential=credential, http_client=session, **_authority_kwargs(settings)))

        def acquire_app(force):
            if force:  # acquire_token_for_client refuses force_refresh; dropping the cached token is MSAL's way
                app.remove_tokens_for_client()
            return app.acquire_token_for_client(scopes)
        return MsalTokenProvider(method, acquire_app, settings.retry, clock, sleep)
    app, cache = _public_client(settings, session)
    if method == "username_password":
        def acquire(force):
            result = _silent(app, scopes, force, settings.params["username"])
            if result and "access_token" in result:
                return result
            return app.acquire_token_by_username_password(settings.params["username"], settings.params["password"],
                                                          scopes)
        return MsalTokenProvider(method, acquire, settings.retry, clock, sleep, after=cache.save)
    if method == "device_code":
        if not cache.exists():
            raise ConfigurationError("auth_method device_code needs a signed-in token cache at %s: run the "
                                     "sign_in playbook once (it shows the code to enter at the sign-in page)"
                                     % cache.path)
        return MsalTokenProvider(method, lambda force: _silent(app, scopes, force, settings.params.get("username")),
                                 settings.retry, clock, sleep, after=cache.save)
    raise ConfigurationError("unknown auth_method %r" % method)


def _silent(app, scopes, force, username=None):
    accounts = app.get_accounts(username=username) if username else app.get_accounts()
    if not accounts:
        return None
    return app.acquire_token_silent_with_error(scopes, account=accounts[0], force_refresh=force)


def describe_flow(flow):
    """What a person needs from a device-code flow dict (never the device code itself)."""
    return {"user_code": flow.get("user_code"), "verification_uri": flow.get("verification_uri"),
            "message": flow.get("message"), "expires_in": flow.get("expires_in")}


def start_device_flow(settings, session):
    """Begin a device-code sign-in; returns (flow dict, app, cache).  The flow carries the secret device code."""
    app, cache = _public_client(settings, session)
    flow = app.initiate_device_flow(scopes=[settings.scope])
    if "user_code" not in flow:
        raise AuthenticationError.from_msal(flow, "device_code")
    return flow, app, cache


def signed_in_account(settings, session):
    """The account a previous sign-in left in the token cache with a usable token, or None."""
    if not HAS_MSAL or not os.path.exists(settings.token_cache_path):
        return None
    app, cache = _public_client(settings, session)
    username = settings.params.get("username")
    result = _silent(app, [settings.scope], False, username)
    cache.save()
    if result and "access_token" in result:
        # A token served from the cache carries no id_token_claims; the cached account has the name.
        accounts = app.get_accounts(username=username) if username else app.get_accounts()
        return ((result.get("id_token_claims") or {}).get("preferred_username")
                or (accounts[0].get("username") if accounts else None) or "signed in")
    return None


def finish_device_flow(flow, app, cache, timeout=None):
    """Wait for the person to complete the sign-in; persist the token cache; return the account name."""
    if timeout is not None:
        flow["expires_at"] = min(flow.get("expires_at", time.time() + timeout), time.time() + timeout)
    result = app.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        raise AuthenticationError.from_msal(result, "device_code")
    cache.save()
    return (result.get("id_token_claims") or {}).get("preferred_username")


# -- device-code sign-in in two steps (the sign_in module: start shows the code, finish waits) -----------------------
def write_private_file(path, text):
    """Write ``text`` to ``path`` atomically with mode 0600: a temporary file in the same directory, then rename."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".cloudcomms-", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class DeviceFlowFile:
    """The pending device-code flow between the two steps, kept next to the token cache (``<cache>.flow``).

    The flow dict holds the device code, which redeems a token until it expires, so the file is 0600 and is
    deleted once the flow is finished, declined or expired.  It records the authority and client it belongs to."""

    def __init__(self, token_cache_path):
        self.path = os.path.abspath(os.path.expanduser(token_cache_path)) + ".flow"

    def exists(self):
        return os.path.exists(self.path)

    def save(self, flow, settings):
        write_private_file(self.path, json.dumps({"authority": settings.authority, "client_id": settings.client_id,
                                                  "flow": flow}))

    def load(self, settings):
        """The flow dict, or None when there is no pending flow; raise when it belongs to another app."""
        try:
            with open(self.path, encoding="utf-8") as handle:
                saved = json.load(handle)
            flow = saved["flow"]
            if "device_code" not in flow:
                raise KeyError("device_code")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError("%s is not a pending device code sign-in (%s); delete it and run step start "
                                     "again" % (self.path, exc)) from exc
        if (saved.get("authority"), saved.get("client_id")) != (settings.authority, settings.client_id):
            raise ConfigurationError("The pending sign-in in %s is for client_id %s at %s, not client_id %s at %s; "
                                     "run step start again with the same options as step finish"
                                     % (self.path, saved.get("client_id"), saved.get("authority"),
                                        settings.client_id, settings.authority))
        return flow

    def remove(self):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def resume_device_flow(settings, session):
    """The public client app and token cache that finish a flow begun by start_device_flow in an earlier process
    (MSAL needs only the flow dict and an app for the same client and authority); returns (app, cache)."""
    return _public_client(settings, session)
