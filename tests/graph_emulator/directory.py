"""The identity side of the emulator's world: tenants, users, applications, access policies.

Loaded from a seed (``--seed FILE`` or ``POST /_emulator/seed``); the default seed is one tenant with one
confidential app, one public app, one user with a password and one system-assigned managed identity.
"""

import base64
import copy
import hashlib

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
        }],
        "apps": [
            {
                "client_id": "5d2c8e41-9f3b-4a67-8e1d-6b0f2a9c4e75",
                "name": "appointments-automation",
                "public": False,
                "secrets": ["emu~Q8x.confidential-app-secret-4f1d"],
                "application_permissions": [
                    "OnlineMeetings.ReadWrite.All",
                    "VirtualAppointment.ReadWrite.All",
                    "VirtualAppointmentNotification.Send",
                ],
                "delegated_permissions": ["OnlineMeetings.ReadWrite", "VirtualAppointment.ReadWrite"],
            },
            {
                "client_id": "0f9e7d6c-2b1a-4c3d-8e5f-7a6b9c0d1e2f",
                "name": "appointments-cli",
                "public": True,
                "delegated_permissions": [
                    "OnlineMeetings.ReadWrite",
                    "VirtualAppointment.ReadWrite",
                    "VirtualAppointmentNotification.Send",
                    "User.Read",
                ],
            },
        ],
        "managed_identities": [{
            "client_id": "6e4d2c1b-8a7f-4e3d-9c2b-1a0f9e8d7c6b",
            "object_id": "9c8b7a6f-5e4d-4c3b-8a29-1f0e9d8c7b6a",
            "resource_id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/rg"
                           "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/appointments",
            "system_assigned": True,
            "application_permissions": ["OnlineMeetings.ReadWrite.All", "VirtualAppointment.ReadWrite.All"],
        }],
        "access_policies": [{
            "app_ids": ["5d2c8e41-9f3b-4a67-8e1d-6b0f2a9c4e75", "6e4d2c1b-8a7f-4e3d-9c2b-1a0f9e8d7c6b"],
            "users": ["3b6e9f20-7c1a-4d58-b2e4-9a0c5d7f1e86"],
        }],
    }],
}


class SeedError(ValueError):
    """The seed document is malformed; the message names the field."""


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
        self.object_id = spec.get("object_id", self.client_id)


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
