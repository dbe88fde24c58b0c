"""Microsoft Entra ID as MSAL sees it: discovery, the token endpoint for every grant, the device-code endpoint,
instance discovery and user realm, and the App Service / IMDS managed-identity endpoints.

Handlers take plain values (method, path segments, query, form, headers, base URL) and return
(status, JSON body, headers); the HTTP layer stays in server.py.
"""

import secrets
import string
import time
import urllib.parse
import uuid

import jwt

from .errors import entra_error
from .tokens import GRAPH_RESOURCES, TokenError

RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class IdentityError(Exception):
    def __init__(self, status, error, code, description):
        super().__init__(description)
        self.status, self.error, self.code, self.description = status, error, code, description


def _user_code():
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for unused in range(9))


class IdentityService:
    def __init__(self, emulator):
        self.emu = emulator
        self.reset()

    def reset(self):
        self.device_codes = {}    # device_code -> flow record
        self.user_codes = {}      # user_code -> device_code
        self.refresh_tokens = {}  # refresh token -> grant record
        self.consents = {}        # (tenant id, client id, user id) -> every delegated scope consented so far

    # -- routing ------------------------------------------------------------------------------------------
    def handle(self, method, segments, query, form, headers, base_url):
        """Return (status, body, headers, route template) or None when the path is not an identity route."""
        try:
            route, result = self._route(method, segments, query, form, headers, base_url)
        except IdentityError as err:
            status, body = entra_error(err.status, err.error, err.code, err.description)
            return status, body, dict(NO_STORE), self._template(segments)
        if route is None:
            return None
        status, body, extra = result
        return status, body, extra, route

    @staticmethod
    def _template(segments):
        if len(segments) >= 2 and segments[0] == "common" and segments[1] in ("discovery", "userrealm"):
            return "/common/" + segments[1]
        return "/{tenant}/" + "/".join(segments[1:]) if segments else "/"

    def _route(self, method, segs, query, form, headers, base_url):
        if segs[:1] == ["msi"] and segs[1:] == ["token"] and method == "GET":
            return "/msi/token", self.managed_identity(query, headers, app_service=True)
        if segs == ["metadata", "identity", "oauth2", "token"] and method == "GET":
            return "/metadata/identity/oauth2/token", self.managed_identity(query, headers, app_service=False)
        if segs[:3] == ["common", "discovery", "instance"] and method == "GET":
            return "/common/discovery/instance", self.instance_discovery(query, base_url)
        if len(segs) == 3 and segs[0] == "common" and segs[1] == "userrealm" and method == "GET":
            return "/common/userrealm", self.user_realm(segs[2])
        if len(segs) < 2:
            return None, None
        tenant_key, rest = segs[0], segs[1:]
        if rest == ["v2.0", ".well-known", "openid-configuration"] and method == "GET":
            return "/{tenant}/v2.0/.well-known/openid-configuration", self.openid_configuration(tenant_key, base_url)
        if rest == [".well-known", "openid-configuration"] and method == "GET":
            return "/{tenant}/.well-known/openid-configuration", self.openid_configuration_v1(tenant_key, base_url)
        if rest == ["discovery", "v2.0", "keys"] and method == "GET":
            return "/{tenant}/discovery/v2.0/keys", self.keys(tenant_key, base_url)
        if rest == ["discovery", "keys"] and method == "GET":
            return "/{tenant}/discovery/keys", self.keys(tenant_key, base_url)
        if rest == ["oauth2", "v2.0", "token"] and method == "POST":
            return "/{tenant}/oauth2/v2.0/token", self.token(tenant_key, form, base_url + "/" + "/".join(segs))
        if rest == ["oauth2", "v2.0", "devicecode"] and method == "POST":
            return "/{tenant}/oauth2/v2.0/devicecode", self.device_code(tenant_key, form)
        if rest == ["oauth2", "v2.0", "authorize"]:
            raise IdentityError(400, "invalid_request", 50059, "Interactive sign-in is not available in the "
                                "emulator; use the device code flow.")
        return None, None

    # -- discovery --------------------------------------------------------------------------------------------
    def _tenant(self, key, allow_common=False):
        if allow_common and key.lower() in ("common", "organizations"):
            return None
        tenant = self.emu.directory.find_tenant(key)
        if tenant is None:
            raise IdentityError(400, "invalid_tenant", 90002, "Tenant '%s' not found. Check to make sure you have "
                                "the correct tenant ID and are signing into the correct cloud." % key)
        return tenant

    def openid_configuration(self, tenant_key, base_url):
        """The v2.0 OpenID configuration (what MSAL reads; v2.0 tokens would validate against it)."""
        tenant = self._tenant(tenant_key, allow_common=True)
        prefix = "%s/%s" % (base_url, tenant_key)
        return 200, {
            "issuer": self._v2_issuer(tenant, base_url),
            "authorization_endpoint": prefix + "/oauth2/v2.0/authorize",
            "token_endpoint": prefix + "/oauth2/v2.0/token",
            "device_authorization_endpoint": prefix + "/oauth2/v2.0/devicecode",
            "jwks_uri": prefix + "/discovery/v2.0/keys",
            "end_session_endpoint": prefix + "/oauth2/v2.0/logout",
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }, {}

    def openid_configuration_v1(self, tenant_key, base_url):
        """The v1.0 OpenID configuration: the one Graph's (v1.0) access tokens validate against (graph-today.md 4.1:
        issuer ``https://sts.windows.net/{tid}/``, keys at ``/{tenant}/discovery/keys``)."""
        tenant = self._tenant(tenant_key, allow_common=True)
        prefix = "%s/%s" % (base_url, tenant_key)
        return 200, {
            "issuer": "https://sts.windows.net/%s/" % (tenant.id if tenant else "{tenantid}"),
            "authorization_endpoint": prefix + "/oauth2/authorize",
            "token_endpoint": prefix + "/oauth2/token",
            "device_authorization_endpoint": prefix + "/oauth2/devicecode",
            "jwks_uri": prefix + "/discovery/keys",
            "end_session_endpoint": prefix + "/oauth2/logout",
            "response_types_supported": ["code", "id_token", "code id_token", "token id_token", "token"],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "scopes_supported": ["openid"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "microsoft_multi_refresh_token": True,
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        }, {}

    @staticmethod
    def _v2_issuer(tenant, base_url):
        return "%s/%s/v2.0" % (base_url, tenant.id if tenant else "{tenantid}")

    def keys(self, tenant_key, base_url):
        """The signing keys (JWKS) both discovery documents point to: the emulator's one RSA key and certificate."""
        tenant = self._tenant(tenant_key, allow_common=True)
        return 200, self.emu.tokens.jwks(self._v2_issuer(tenant, base_url)), {}

    @staticmethod
    def instance_discovery(query, base_url):
        """Instance discovery answers for the tenant of the ``authorization_endpoint`` asked about (``common`` when
        none is given), as Entra does: MSAL then reads that tenant's OpenID configuration."""
        host = base_url.split("://", 1)[1]
        hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        asked = urllib.parse.urlsplit(query.get("authorization_endpoint") or "").path.strip("/").split("/")[0]
        tenant_key = asked or "common"
        return 200, {
            "tenant_discovery_endpoint": "%s/%s/v2.0/.well-known/openid-configuration" % (base_url, tenant_key),
            "api-version": query.get("api-version", "1.1"),
            "metadata": [{"preferred_network": hostname, "preferred_cache": hostname, "aliases": [hostname, host]}],
        }, {}

    def user_realm(self, username):
        tenant = self.emu.directory.tenant_of_upn(username)
        if tenant is None:
            return 200, {"ver": "1.0", "account_type": "Unknown", "domain_name": username.rpartition("@")[2]}, {}
        return 200, {"ver": "1.0", "account_type": "Managed", "domain_name": tenant.domain,
                     "cloud_instance_name": "microsoftonline.com",
                     "cloud_audience_urn": "urn:federation:MicrosoftOnline"}, {}

    # -- token endpoint -----------------------------------------------------------------------------------------
    def token(self, tenant_key, form, token_endpoint):
        grant = form.get("grant_type")
        if not grant:
            raise IdentityError(400, "invalid_request", 900144, "The request body must contain the following "
                                "parameter: 'grant_type'.")
        tenant = self._tenant(tenant_key, allow_common=grant in ("password", DEVICE_GRANT, "refresh_token"))
        client_id = (form.get("client_id") or "").lower()
        if not client_id:
            raise IdentityError(400, "invalid_request", 900144, "The request body must contain the following "
                                "parameter: 'client_id'.")
        if grant == "client_credentials":
            app = self._app(tenant, client_id)
            client_auth = self._authenticate_client(app, form, token_endpoint, required=True)
            resource = self._resource(form.get("scope"), app_only=True)
            return self._app_token(tenant, app.client_id, app.object_id, app.application_permissions, resource,
                                   client_auth=client_auth, app_name=app.name)
        if grant == "password":
            username = form.get("username") or ""
            tenant = tenant or self.emu.directory.tenant_of_upn(username)
            if tenant is None:
                raise IdentityError(400, "invalid_grant", 50034, "The user account %s does not exist in the "
                                    "directory." % username)
            app = self._app(tenant, client_id)
            client_auth = self._authenticate_client(app, form, token_endpoint, required=not app.public)
            user = tenant.find_user(username)
            password = form.get("password") or ""
            if user is None or not user.password or not secrets.compare_digest(user.password, password):
                raise IdentityError(400, "invalid_grant", 50126, "Error validating credentials due to invalid "
                                    "username or password.")
            scopes, resource = self._delegated_scopes(app, form.get("scope"))
            return self._user_token(tenant, app, user, scopes, resource, form.get("scope"), client_auth)
        if grant == DEVICE_GRANT:
            return self._redeem_device_code(tenant, client_id, form)
        if grant == "refresh_token":
            record = self.refresh_tokens.get(form.get("refresh_token") or "")
            if record is None or record["client_id"] != client_id or (tenant and tenant.id != record["tenant_id"]):
                raise IdentityError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid: "
                                    "the refresh token is not valid for this client.")
            tenant = self.emu.directory.find_tenant(record["tenant_id"])
            app = self._app(tenant, client_id)
            client_auth = self._authenticate_client(app, form, token_endpoint, required=not app.public)
            user = tenant.users.get(record["user_id"]) if tenant else None
            if user is None:
                raise IdentityError(400, "invalid_grant", 50034, "The user account does not exist in the directory.")
            requested = form.get("scope") or record["scope"]
            scopes, resource = self._delegated_scopes(app, requested)
            return self._user_token(tenant, app, user, scopes, resource, requested, client_auth)
        raise IdentityError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type "
                            "'%s'." % grant)

    def _app(self, tenant, client_id):
        app = tenant.apps.get(client_id) if tenant else None
        if app is None:
            raise IdentityError(400, "unauthorized_client", 700016, "Application with identifier '%s' was not found in "
                                "the directory '%s'." % (client_id, tenant.domain if tenant else "common"))
        return app

    def _authenticate_client(self, app, form, token_endpoint, required):
        secret, assertion = form.get("client_secret"), form.get("client_assertion")
        if assertion:
            if form.get("client_assertion_type") != JWT_BEARER:
                raise IdentityError(400, "invalid_request", 50027, "Invalid client_assertion_type.")
            try:
                self._verify_assertion(app, assertion, token_endpoint)
            except TokenError as exc:
                code = {"expired": 700024, "audience": 700021, "malformed": 50027}.get(exc.reason, 700027)
                raise IdentityError(401, "invalid_client", code, str(exc)) from exc
            return "assertion"
        if secret:
            if app.public:
                raise IdentityError(401, "invalid_client", 700025, "Client is public so neither 'client_assertion' "
                                    "nor 'client_secret' should be presented.")
            if not any(secrets.compare_digest(secret, s) for s in app.secrets):
                raise IdentityError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the "
                                    "secret being sent in the request is the client secret value, not the client "
                                    "secret ID, for a secret added to app '%s'." % app.client_id)
            return "secret"
        if required:
            raise IdentityError(401, "invalid_client", 7000218, "The request body must contain the following "
                                "parameter: 'client_assertion' or 'client_secret'.")
        return None

    def _verify_assertion(self, app, assertion, token_endpoint):
        try:
            issuer = jwt.decode(assertion, options={"verify_signature": False}).get("iss")
        except jwt.PyJWTError as exc:
            raise TokenError("malformed", "Client assertion is malformed.") from exc
        if issuer == app.client_id:
            return self.emu.tokens.verify_certificate_assertion(assertion, app, token_endpoint)
        claims = self.emu.tokens.verify_federated_token(assertion)
        for cred in app.federated_credentials:
            if cred["issuer"] == claims.get("iss") and cred["subject"] == claims.get("sub"):
                audience = claims.get("aud")
                audiences = audience if isinstance(audience, list) else [audience]
                if cred["audience"] not in audiences:
                    raise TokenError("audience", "The audience of the federated token is not '%s'." % cred["audience"])
                return claims
        raise IdentityError(400, "invalid_request", 70021, "No matching federated identity record found for "
                            "presented assertion. Assertion Issuer: '%s'. Assertion Subject: '%s'."
                            % (claims.get("iss"), claims.get("sub")))

    @staticmethod
    def _split_scopes(scope):
        return [s for s in (scope or "").split() if s]

    def _resource_of(self, scope):
        resource, name = scope.rpartition("/")[::2]
        if not resource:
            return "https://graph.microsoft.com", scope
        if resource.rstrip("/") in GRAPH_RESOURCES:  # Graph of any cloud; never the emulator's own URL
            return resource.rstrip("/"), name
        raise IdentityError(400, "invalid_resource", 500011, "The resource principal named %s was not found in the "
                            "tenant. This can happen if the application has not been installed by the administrator "
                            "of the tenant." % resource)

    def _resource(self, scope, app_only):
        scopes = self._split_scopes(scope)
        if app_only and (len(scopes) != 1 or not scopes[0].endswith("/.default")):
            raise IdentityError(400, "invalid_scope", 1002012, "The provided value for scope %s is not valid. Client "
                                "credential flows must have a scope value with /.default suffixed to the resource "
                                "identifier (application ID URI)." % (scope or "''"))
        return self._resource_of(scopes[0])[0]

    def _delegated_scopes(self, app, scope):
        resource, granted = "https://graph.microsoft.com", set()
        for item in self._split_scopes(scope):
            if item in RESERVED_SCOPES:
                continue
            resource, name = self._resource_of(item)
            if name == ".default":
                granted |= app.delegated_permissions
            elif name in app.delegated_permissions:
                granted.add(name)
            else:
                raise IdentityError(400, "invalid_grant", 65001, "The user or administrator has not consented to use "
                                    "the application with ID '%s' for the scope '%s'." % (app.client_id, name))
        return granted, resource

    def _app_token(self, tenant, app_id, object_id, roles, resource, client_auth=None, app_name=None):
        lifetime = self.emu.modes["token_lifetime_s"]
        token = self.emu.tokens.issue_access_token(tenant.id, app_id, resource, roles=roles, object_id=object_id,
                                                   lifetime=lifetime, client_auth=client_auth, app_name=app_name)[0]
        return 200, {"token_type": "Bearer", "expires_in": int(lifetime), "ext_expires_in": int(lifetime),
                     "access_token": token, "scope": resource + "/.default"}, dict(NO_STORE)

    def _user_token(self, tenant, app, user, scopes, resource, requested_scope, client_auth=None):
        lifetime = self.emu.modes["token_lifetime_s"]
        # scp is every scope this user has consented to for this app so far, not only this request's (ENTRA: "the
        # set of scopes ... for which the client application has requested (and received) consent").
        consented = self.consents.setdefault((tenant.id, app.client_id, user.id), set())
        consented |= set(scopes)
        token = self.emu.tokens.issue_access_token(tenant.id, app.client_id, resource, user=user, scopes=consented,
                                                   lifetime=lifetime, client_auth=client_auth, app_name=app.name)[0]
        refresh = secrets.token_urlsafe(48)
        self.refresh_tokens[refresh] = {"tenant_id": tenant.id, "client_id": app.client_id, "user_id": user.id,
                                        "scope": requested_scope}
        issuer = "%s/%s/v2.0" % (self.emu.public_url, tenant.id)
        return 200, {
            "token_type": "Bearer",
            "scope": " ".join(self._split_scopes(requested_scope)) or resource + "/.default",
            "expires_in": int(lifetime), "ext_expires_in": int(lifetime),
            "access_token": token, "refresh_token": refresh,
            "id_token": self.emu.tokens.id_token(issuer, app.client_id, tenant.id, user),
            "client_info": self.emu.tokens.client_info(tenant.id, user),
        }, dict(NO_STORE)

    # -- device code -----------------------------------------------------------------------------------------------
    def device_code(self, tenant_key, form):
        tenant = self._tenant(tenant_key, allow_common=True)
        client_id = (form.get("client_id") or "").lower()
        app = None
        for candidate in ([tenant] if tenant else self.emu.directory.tenants.values()):
            app = candidate.apps.get(client_id)
            if app:
                tenant = candidate
                break
        if app is None:
            raise IdentityError(400, "unauthorized_client", 700016, "Application with identifier '%s' was not found "
                                "in the directory." % client_id)
        if not app.public:
            raise IdentityError(400, "invalid_client", 7000218, "The device code flow needs a public client "
                                "application (allowPublicClient).")
        scopes = self._delegated_scopes(app, form.get("scope"))[0]
        device_code, user_code = secrets.token_urlsafe(32), _user_code()
        expires_in = 900
        self.device_codes[device_code] = {
            "tenant_id": tenant.id, "client_id": client_id, "scope": form.get("scope") or "", "user_code": user_code,
            "expires_at": time.time() + expires_in, "user_id": None, "declined": False, "redeemed": False,
            "granted": sorted(scopes),
        }
        self.user_codes[user_code] = device_code
        interval = self.emu.modes["device_code_interval_s"]
        uri = "https://microsoft.com/devicelogin"
        return 200, {
            "user_code": user_code, "device_code": device_code, "verification_uri": uri,
            "expires_in": expires_in, "interval": int(interval),
            "message": "To sign in, use a web browser to open the page %s and enter the code %s to authenticate."
                       % (uri, user_code),
        }, dict(NO_STORE)

    def approve_device_code(self, user_code, user_id=None, deny=False):
        """Control API: the person at the browser signs in (or declines). Returns an error message or None."""
        device_code = self.user_codes.get((user_code or "").upper())
        flow = self.device_codes.get(device_code) if device_code else None
        if flow is None:
            return "unknown user_code '%s'" % user_code
        tenant = self.emu.directory.find_tenant(flow["tenant_id"])
        if deny:
            flow["declined"] = True
            return None
        user = tenant.find_user(user_id) if user_id else next(iter(tenant.users.values()), None)
        if user is None:
            return "unknown user '%s' in tenant %s" % (user_id, tenant.id)
        flow["user_id"] = user.id
        return None

    def pending_device_codes(self):
        return [{"user_code": f["user_code"], "tenant_id": f["tenant_id"], "client_id": f["client_id"],
                 "approved": f["user_id"] is not None} for f in self.device_codes.values()
                if not f["redeemed"] and f["expires_at"] > time.time()]

    def _redeem_device_code(self, tenant, client_id, form):
        code = form.get("device_code") or form.get("code") or ""
        flow = self.device_codes.get(code)
        if flow is None or flow["client_id"] != client_id:
            raise IdentityError(400, "invalid_grant", 70000, "The provided device code is not valid for this client.")
        if flow["redeemed"]:
            raise IdentityError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed.")
        if flow["expires_at"] <= time.time():
            raise IdentityError(400, "expired_token", 70020, "The provided value for the input parameter "
                                "'device_code' is not valid. This device code has expired.")
        if flow["declined"]:
            raise IdentityError(400, "authorization_declined", 70000, "The user declined the sign-in request.")
        if flow["user_id"] is None:
            raise IdentityError(400, "authorization_pending", 70016, "OAuth 2.0 device flow error. Authorization is "
                                "pending. Continue polling.")
        flow["redeemed"] = True
        tenant = self.emu.directory.find_tenant(flow["tenant_id"])
        app = tenant.apps[client_id]
        user = tenant.users[flow["user_id"]]
        scopes, resource = self._delegated_scopes(app, flow["scope"])
        return self._user_token(tenant, app, user, scopes, resource, flow["scope"])

    # -- managed identity -------------------------------------------------------------------------------------------
    def managed_identity(self, query, headers, app_service):
        """App Service (``/msi/token``, api-version 2019-08-01) or VM IMDS. The two report errors differently:
        App Service as ``{"statusCode", "message", "correlationId"}`` (MSAL shows "statusCode, message"), IMDS as
        ``{"error", "error_description"}`` (MSAL returns it as is)."""
        def fail(status, error, message):
            if app_service:
                return status, {"statusCode": status, "message": message, "correlationId": str(uuid.uuid4())}, {}
            return status, {"error": error, "error_description": message}, {}

        if app_service:
            if not secrets.compare_digest(headers.get("x-identity-header", ""), self.emu.identity_header):
                return fail(401, "unauthorized", "Unauthorized: missing or wrong X-IDENTITY-HEADER.")
            resource_id = query.get("mi_res_id")
        else:
            if headers.get("metadata", "").lower() != "true":
                return fail(400, "invalid_request", "Required metadata header not specified")
            resource_id = query.get("msi_res_id")
        resource = query.get("resource", "")
        if resource.rstrip("/") not in GRAPH_RESOURCES:
            return fail(400, "invalid_resource", "AADSTS500011: The resource principal named %s was not found in "
                        "the tenant." % resource)
        found = None
        for tenant in self.emu.directory.tenants.values():
            mi = tenant.find_managed_identity(query.get("client_id"), query.get("object_id") or
                                              query.get("principal_id"), resource_id)
            if mi is not None:
                found = (tenant, mi)
                break
        if found is None:
            return fail(400, "invalid_request", "Unable to load the proper Managed Identity." if app_service
                        else "Identity not found")
        tenant, mi = found
        status, body = self._app_token(tenant, mi.client_id, mi.object_id, mi.application_permissions,
                                       resource.rstrip("/"), client_auth="assertion")[:2]
        expires_on = int(time.time()) + body["expires_in"]
        out = {"access_token": body["access_token"], "expires_on": str(expires_on), "resource": resource,
               "token_type": "Bearer", "client_id": mi.client_id}
        if not app_service:
            out["expires_in"] = str(body["expires_in"])
        return status, out, {}
