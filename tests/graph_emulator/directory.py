"""The identity side of the emulator's world: tenants, users, applications, access policies.

Loaded from a seed (``--seed FILE`` or ``POST /_emulator/seed``); the default seed is one tenant with one
confidential app, one public app, one user with a password and one system-assigned managed identity.
"""

import base64
import copy
import hashlib
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization

DEFAULT_TENANT_ID = "8a3f1c2e-5b7d-4e9a-9c61-2f4d8b0e7a13"
DEFAULT_SEED = {
    "tenants": [{
        "id": DEFAULT_TENANT_ID,
        "domain": "contoso.onmicrosoft.com",
        "users": [{
            "id": "3b6e9f20-7c1a-4d58-b2e4-9a0c5d7f1e86",
            "upn": "adele.vance@contoso.onmicrosoft.com",
            "display_name": "Adele Vance",
            "password": "Emulat0r-Passw0rd!",
            "teams_premium": True,
        }],
        "apps": [
            {
                "client_id": "5d2c8e41-9f3b-4a67-8e1d-6b0f2a9c4e75",
                "object_id": "e1a7c3d5-2b4f-4e69-8a0c-3d5f7b9e1c24",  # its service principal
                "name": "appointments-automation",
                "public": False,
                "secrets": ["emu~Q8x.confidential-app-secret-4f1d"],
                "application_permissions": [
                    "OnlineMeetings.ReadWrite.All",
                    "VirtualAppointment.ReadWrite.All",
                    "VirtualAppointmentNotification.Send",
                    # GET /users/{upn}?$select=id, the UPN -> object id step today's Graph needs (graph-today.md 2.1)
                    "User.Read.All",
                    # Microsoft Bookings (bookings-api.md 3); app tokens cannot create or delete businesses.
                    "Bookings.Read.All",
                    "Bookings.ReadWrite.All",
                    "BookingsAppointment.ReadWrite.All",
                    "Bookings.Manage.All",
                ],
                "delegated_permissions": ["OnlineMeetings.ReadWrite", "VirtualAppointment.ReadWrite"],
            },
            {
                "client_id": "0f9e7d6c-2b1a-4c3d-8e5f-7a6b9c0d1e2f",
                "object_id": "4c6e8a0b-1d3f-4a5c-9e7b-2f4a6c8e0b1d",  # its service principal
                "name": "appointments-cli",
                "public": True,
                "delegated_permissions": [
                    "OnlineMeetings.ReadWrite",
                    "VirtualAppointment.ReadWrite",
                    "VirtualAppointmentNotification.Send",
                    "User.Read",
                    # Microsoft Bookings (bookings-api.md 3): business create/delete/publish need Bookings.Manage.All.
                    "Bookings.Read.All",
                    "Bookings.ReadWrite.All",
                    "BookingsAppointment.ReadWrite.All",
                    "Bookings.Manage.All",
                ],
            },
        ],
        "managed_identities": [{
            "client_id": "6e4d2c1b-8a7f-4e3d-9c2b-1a0f9e8d7c6b",
            "object_id": "9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a",
            "resource_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg"
                           "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/appointments",
            "system_assigned": True,
            "application_permissions": ["OnlineMeetings.ReadWrite.All", "VirtualAppointment.ReadWrite.All",
                                        "User.Read.All"],
        }],
        "access_policies": [{
            "app_ids": ["5d2c8e41-9f3b-4a67-8e1d-6b0f2a9c4e75", "6e4d2c1b-8a7f-4e3d-9c2b-1a0f9e8d7c6b"],
            "users": ["3b6e9f20-7c1a-4d58-b2e4-9a0c5d7f1e86"],
        }],
    }],
}


class SeedError(ValueError):
    """The seed document is malformed; the message names the field."""


USER_ATTRIBUTES = {"teams_premium"}  # what POST /_emulator/user may change


def service_principal_id(client_id):
    """The object id of an app's service principal when the seed gives none: derived from the client id, stable."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "service-principal:" + client_id.lower()))


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _require(obj, key, where, kind=str):
    value = obj.get(key)
    if not isinstance(value, kind) or (kind is str and not value):
        raise SeedError("%s: '%s' is required and must be a %s" % (where, key, kind.__name__))
    return value


class Certificate:
    def __init__(self, pem, where):
        try:
            self.cert = x509.load_pem_x509_certificate(pem.encode("ascii") if isinstance(pem, str) else pem)
        except ValueError as exc:
            raise SeedError("%s: not a PEM certificate (%s)" % (where, exc)) from exc
        der = self.cert.public_bytes(serialization.Encoding.DER)
        self.x5t = _b64url(hashlib.sha1(der).digest())  # nosec - the x5t thumbprint is SHA-1 by definition
        self.x5t_s256 = _b64url(hashlib.sha256(der).digest())
        self.public_key = self.cert.public_key()
        self.pem = pem if isinstance(pem, str) else pem.decode("ascii")


class App:
    def __init__(self, spec, where):
        self.client_id = _require(spec, "client_id", where).lower()
        self.name = spec.get("name", self.client_id)
        self.public = bool(spec.get("public", False))
        self.secrets = list(spec.get("secrets", []))
        self.certificates = [Certificate(pem, "%s.certificates[%d]" % (where, i))
                             for i, pem in enumerate(spec.get("certificates", []))]
        self.federated_credentials = []
        for i, cred in enumerate(spec.get("federated_credentials", [])):
            cwhere = "%s.federated_credentials[%d]" % (where, i)
            self.federated_credentials.append({
                "issuer": _require(cred, "issuer", cwhere),
                "subject": _require(cred, "subject", cwhere),
                "audience": cred.get("audience", "api://AzureADTokenExchange"),
            })
        self.application_permissions = set(spec.get("application_permissions", []))
        self.delegated_permissions = set(spec.get("delegated_permissions", []))
        # The service principal's object id: app-only tokens carry it as oid/sub (never the client id).
        self.object_id = (spec.get("object_id") or service_principal_id(self.client_id)).lower()


class ManagedIdentity:
    def __init__(self, spec, where):
        self.client_id = _require(spec, "client_id", where).lower()
        self.object_id = _require(spec, "object_id", where).lower()
        self.resource_id = spec.get("resource_id", "")
        self.system_assigned = bool(spec.get("system_assigned", False))
        self.application_permissions = set(spec.get("application_permissions", []))


class User:
    def __init__(self, spec, where):
        self.id = _require(spec, "id", where).lower()
        self.upn = _require(spec, "upn", where)
        self.display_name = spec.get("display_name", self.upn.split("@")[0])
        self.password = spec.get("password")
        # graph-today.md 3: both SMS actions need Teams Premium (checked in the `current` profile only); a user
        # without the key has it, so seeds written before the attribute keep working.
        self.teams_premium = spec.get("teams_premium", True)
        if not isinstance(self.teams_premium, bool):
            raise SeedError("%s: 'teams_premium' must be true or false" % where)


class Tenant:
    def __init__(self, spec, where):
        self.id = _require(spec, "id", where).lower()
        self.domain = spec.get("domain", "%s.onmicrosoft.com" % self.id[:8]).lower()
        self.users = {}
        self.users_by_upn = {}
        for i, user_spec in enumerate(spec.get("users", [])):
            user = User(user_spec, "%s.users[%d]" % (where, i))
            self.users[user.id] = user
            self.users_by_upn[user.upn.lower()] = user
        self.apps = {}
        for i, app_spec in enumerate(spec.get("apps", [])):
            app = App(app_spec, "%s.apps[%d]" % (where, i))
            self.apps[app.client_id] = app
        self.managed_identities = [ManagedIdentity(m, "%s.managed_identities[%d]" % (where, i))
                                   for i, m in enumerate(spec.get("managed_identities", []))]
        self.policies = {}  # app id -> set of user ids, or None meaning the whole tenant
        for i, pol in enumerate(spec.get("access_policies", [])):
            pwhere = "%s.access_policies[%d]" % (where, i)
            app_ids = pol.get("app_ids")
            if not isinstance(app_ids, list) or not app_ids:
                raise SeedError("%s: 'app_ids' must be a non-empty list" % pwhere)
            for app_id in app_ids:
                if pol.get("global"):
                    self.policies[app_id.lower()] = None
                elif self.policies.get(app_id.lower(), set()) is not None:
                    self.policies.setdefault(app_id.lower(), set()).update(u.lower() for u in pol.get("users", []))
        # Microsoft Bookings businesses the tenant starts with, as Graph objects (camelCase) with their contained
        # "services", "staffMembers", "customQuestions" and "customers" lists (bookings.Bookings builds them).
        self.bookings = copy.deepcopy(spec.get("bookings") or [])
        if not isinstance(self.bookings, list) or not all(isinstance(b, dict) and isinstance(b.get("displayName"), str)
                                                          for b in self.bookings):
            raise SeedError("%s.bookings: a list of businesses, each with a displayName" % where)
        self.spec = copy.deepcopy(spec)

    def find_user(self, key):
        """Resolve a user by object id or UPN (case-insensitive), as /users/{id | userPrincipalName} does."""
        key = (key or "").lower()
        return self.users.get(key) or self.users_by_upn.get(key)

    def policy_allows(self, app_id, user_id):
        if app_id not in self.policies:
            return False
        users = self.policies[app_id]
        return users is None or user_id in users

    def update_user(self, key, changes):
        """Change a user's attributes (control API, POST /_emulator/user): ``teams_premium`` only.  The seed entry
        (GET /_emulator/seed, state.json) follows; reset goes back to the initial seed."""
        user = self.find_user(key)
        if user is None:
            raise SeedError("unknown user '%s' in tenant '%s'" % (key, self.id))
        unknown = sorted(set(changes) - USER_ATTRIBUTES)
        if unknown:
            raise SeedError("user attribute '%s' cannot be changed; changeable: %s"
                            % (unknown[0], ", ".join(sorted(USER_ATTRIBUTES))))
        entry = next(u for u in self.spec["users"] if u["id"].lower() == user.id)
        updated = User(dict(entry, **changes), "user '%s'" % user.id)  # validates before anything changes
        entry.update(changes)
        self.users[updated.id] = self.users_by_upn[updated.upn.lower()] = updated
        return updated

    def set_policy(self, app_id, user_key=None, everyone=False, grant=True):
        """Grant-CsApplicationAccessPolicy for one user or ``-Global`` (graph-today.md 2.2), or take it back
        (control API, POST /_emulator/access-policy).  Revoking one user of a global grant is refused: the global
        grant still covers them.  The seed entry follows; reset goes back to the initial seed."""
        app_id = (app_id or "").lower()
        if not app_id:
            raise SeedError("'app_id' is required")
        users = self.policies.get(app_id, set())
        if everyone:
            users = None if grant else set()
        else:
            user = self.find_user(user_key)
            if user is None:
                raise SeedError("unknown user '%s' in tenant '%s'" % (user_key, self.id))
            if users is None and not grant:
                raise SeedError("app '%s' has a global access policy: revoke it with \"global\": true" % app_id)
            if users is not None:
                users = users | {user.id} if grant else users - {user.id}
        if users is None or users:
            self.policies[app_id] = users
        else:
            self.policies.pop(app_id, None)
        self.spec["access_policies"] = [{"app_ids": [app], "global": True} if members is None
                                        else {"app_ids": [app], "users": sorted(members)}
                                        for app, members in sorted(self.policies.items())]
        return self.describe_policy(app_id)

    def describe_policy(self, app_id):
        users = self.policies.get(app_id, set())
        return {"tenant_id": self.id, "app_id": app_id, "global": users is None, "users": sorted(users or ())}

    def find_managed_identity(self, client_id=None, object_id=None, resource_id=None):
        for mi in self.managed_identities:
            if client_id and mi.client_id == client_id.lower():
                return mi
            if object_id and mi.object_id == object_id.lower():
                return mi
            if resource_id and mi.resource_id.lower() == resource_id.lower():
                return mi
            if not (client_id or object_id or resource_id) and mi.system_assigned:
                return mi
        return None


class Directory:
    """All tenants, looked up by id or verified domain."""

    def __init__(self):
        self.tenants = {}

    def load(self, seed, replace=False):
        if not isinstance(seed, dict) or not isinstance(seed.get("tenants"), list):
            raise SeedError("seed: 'tenants' must be a list")
        loaded = [Tenant(spec, "tenants[%d]" % i) for i, spec in enumerate(seed["tenants"])]
        if replace:
            self.tenants = {}
        for tenant in loaded:
            self.tenants[tenant.id] = tenant
        return loaded

    def find_tenant(self, key):
        key = (key or "").lower()
        if key in self.tenants:
            return self.tenants[key]
        for tenant in self.tenants.values():
            if tenant.domain == key:
                return tenant
        return None

    def tenant_or_default(self, key=None):
        """The tenant ``key`` names (id or domain), or the default seed's (else the first) when ``key`` is empty."""
        tenant = self.find_tenant(key) if key else (self.find_tenant(DEFAULT_TENANT_ID)
                                                    or next(iter(self.tenants.values()), None))
        if tenant is None:
            raise SeedError("unknown tenant '%s'" % key)
        return tenant

    def tenant_of_upn(self, upn):
        domain = (upn or "").rpartition("@")[2].lower()
        for tenant in self.tenants.values():
            if tenant.domain == domain or tenant.find_user(upn):
                return tenant
        return None

    def dump(self):
        return {"tenants": [t.spec for t in self.tenants.values()]}


def defaults(directory):
    """The values printed under "defaults" at start: the default seed's first tenant and its principals."""
    tenant = directory.find_tenant(DEFAULT_TENANT_ID) or next(iter(directory.tenants.values()), None)
    if tenant is None:
        return {}
    confidential = next((a for a in tenant.apps.values() if not a.public), None)
    public = next((a for a in tenant.apps.values() if a.public), None)
    user = next(iter(tenant.users.values()), None)
    mi = next(iter(tenant.managed_identities), None)
    return {
        "tenant_id": tenant.id,
        "tenant_domain": tenant.domain,
        "client_id": confidential.client_id if confidential else None,
        "client_secret": (confidential.secrets or [None])[0] if confidential else None,
        "public_client_id": public.client_id if public else None,
        "user_id": user.id if user else None,
        "user_upn": user.upn if user else None,
        "user_password": user.password if user else None,
        "managed_identity_client_id": mi.client_id if mi else None,
    }


# The Microsoft Bookings business the modules' EXAMPLES use (tests/integration/test_examples.py seeds it): Contoso
# Bank, with the default user as its staff member and an online service with browser join.
EXAMPLE_BUSINESS = {
    "id": "contosobank@contoso.onmicrosoft.com", "displayName": "Contoso Bank",
    "staffMembers": [{"displayName": "Adele Vance", "emailAddress": "adele.vance@contoso.onmicrosoft.com",
                      "role": "administrator", "timeZone": "Europe/Berlin"}],
    "services": [{"displayName": "Mortgage consultation", "defaultDuration": "PT30M", "isLocationOnline": True,
                  "isAnonymousJoinEnabled": True, "staffMemberEmails": ["adele.vance@contoso.onmicrosoft.com"]}],
    "customQuestions": [], "customers": [],
}


def with_bookings(seed, businesses=(EXAMPLE_BUSINESS,), tenant_index=0):
    """A copy of ``seed`` whose tenant ``tenant_index`` starts with the Bookings ``businesses``."""
    out = copy.deepcopy(seed)
    out["tenants"][tenant_index]["bookings"] = copy.deepcopy(list(businesses))
    return out
