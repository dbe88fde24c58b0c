"""The control API under /_emulator: state, request log, metrics, faults, modes, seeding, the check-mode fence
(fence.py), device approval and test helpers that mint tokens.  No token is needed; the server only answers it on
loopback.

Profiles (profiles.py; DESIGN.md "Two worlds"):

- ``GET /_emulator/profile`` -> ``{"profile": "documented", "start_profile": "documented", "profiles": [...]}``;
  ``POST /_emulator/profile {"profile": "current"}`` switches at runtime and answers the same shape.  The profile is
  also ``modes["profile"]`` (GET/POST /_emulator/modes) and ``"profile"`` in GET /_emulator/state.
- ``POST /_emulator/reset`` goes back to the ``--profile`` profile; ``POST /_emulator/reset {"profile": "current"}``
  resets into the named one instead (until the next switch or reset).

Directory changes (the seed entry follows, GET /_emulator/seed shows it; reset goes back to the initial seed):

- ``POST /_emulator/access-policy {"app_id": "...", "user_id": "<id or UPN>" | "global": true, "grant": true|false,
  "tenant_id": "..."}`` grants (default) or revokes the application access policy of the app for one user or the
  whole tenant (Grant-CsApplicationAccessPolicy ``-Identity`` / ``-Global``); answers ``{"tenant_id", "app_id",
  "global", "users"}``.  ``GET /_emulator/access-policy[?tenant_id=...]`` lists them: ``{"tenant_id", "policies"}``.
- ``POST /_emulator/user {"user_id": "<id or UPN>", "teams_premium": false, "tenant_id": "..."}`` changes a user's
  attributes (``teams_premium`` only: the SMS actions need it in the ``current`` profile); answers ``{"tenant_id",
  "user_id", "teams_premium"}``.

``tenant_id`` (id or domain) defaults to the default seed's tenant (else the first one)."""

from .behaviour import FaultError, ModeError
from .directory import SeedError
from .profiles import DOCUMENTED, PROFILES
from .tokens import FEDERATION_AUDIENCES


class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _object(body):
    if not isinstance(body, dict):
        raise ControlError(400, "a JSON object body is required")
    return body


def handle(emu, method, name, query, body):
    """Return (status, JSON body) for the control call ``method /_emulator/<name>``."""
    try:
        return _dispatch(emu, method, name, query, body)
    except (FaultError, ModeError, SeedError) as exc:
        raise ControlError(400, str(exc)) from exc


def _dispatch(emu, method, name, query, body):
    if (method, name) == ("POST", "reset"):
        emu.reset(_object(body).get("profile") if body is not None else None)
        return 200, {"reset": True, "profile": emu.modes["profile"]}
    if (method, name) == ("POST", "profile"):
        emu.set_modes({"profile": _object(body).get("profile")})
        return 200, _profile(emu)
    if (method, name) == ("GET", "profile"):
        return 200, _profile(emu)
    if (method, name) == ("POST", "access-policy"):
        body = _object(body)
        tenant = emu.directory.tenant_or_default(body.get("tenant_id"))
        return 200, tenant.set_policy(body.get("app_id"), body.get("user_id"), everyone=_flag(body, "global", False),
                                      grant=_flag(body, "grant", True))
    if (method, name) == ("GET", "access-policy"):
        tenant = emu.directory.tenant_or_default(query.get("tenant_id"))
        return 200, {"tenant_id": tenant.id, "policies": [tenant.describe_policy(a) for a in sorted(tenant.policies)]}
    if (method, name) == ("POST", "user"):
        body = _object(body)
        tenant = emu.directory.tenant_or_default(body.get("tenant_id"))
        changes = {k: v for k, v in body.items() if k not in ("tenant_id", "user_id")}
        user = tenant.update_user(body.get("user_id"), changes)
        return 200, {"tenant_id": tenant.id, "user_id": user.id, "teams_premium": user.teams_premium}
    if (method, name) == ("POST", "seed"):
        body = _object(body)
        loaded = emu.directory.load(body, replace=bool(body.get("replace")))
        return 200, {"tenants": [t.id for t in loaded]}
    if (method, name) == ("GET", "seed"):
        return 200, emu.directory.dump()
    if (method, name) == ("GET", "state"):
        # bookings: {"tenants": {tenant id: {business id: {"entity", "services", ..., "appointments",
        # "cancelled"?}}}} - what Bookings holds, and the cancellations with their messages.
        return 200, dict(emu.store.dump(emu.directory), profile=emu.modes["profile"],
                         bookings=emu.graph.bookings.save())
    if (method, name) == ("GET", "requests"):
        try:
            since = int(query.get("since", "0") or 0)
        except ValueError as exc:
            raise ControlError(400, "'since' must be a request log seq (an integer)") from exc
        return 200, {"requests": emu.requests(since, query.get("kind")), "seq": emu.seq}
    if (method, name) == ("POST", "fence"):
        try:
            return 200, emu.fence.update(_object(body))
        except ValueError as exc:
            raise ControlError(400, str(exc)) from exc
    if (method, name) == ("GET", "fence"):
        return 200, emu.fence.describe()
    if (method, name) == ("GET", "metrics"):
        return 200, emu.metrics()
    if (method, name) == ("POST", "faults"):
        emu.faults.set_rules(_object(body).get("rules"))
        return 200, {"rules": [r.describe() for r in emu.faults.rules]}
    if (method, name) == ("GET", "faults"):
        return 200, {"rules": [r.describe() for r in emu.faults.rules]}
    if (method, name) == ("POST", "modes"):
        return 200, emu.set_modes(_object(body))
    if (method, name) == ("GET", "modes"):
        return 200, emu.modes
    if (method, name) == ("POST", "device/approve"):
        body = _object(body)
        problem = emu.identity.approve_device_code(body.get("user_code"), body.get("user_id"),
                                                   deny=bool(body.get("deny")))
        if problem:
            raise ControlError(404, problem)
        return 200, {"approved": not body.get("deny")}
    if (method, name) == ("GET", "device/pending"):
        return 200, {"pending": emu.identity.pending_device_codes()}
    if (method, name) == ("POST", "federated-token"):
        body = _object(body)
        issuer, subject = body.get("issuer"), body.get("subject")
        if not isinstance(issuer, str) or not isinstance(subject, str):
            raise ControlError(400, "'issuer' and 'subject' are required strings")
        token = emu.tokens.mint_federated_token(issuer, subject, body.get("audience", FEDERATION_AUDIENCES[0]),
                                                body.get("lifetime", 3600))
        return 200, {"token": token}
    if (method, name) == ("GET", "issued-tokens"):
        # Test aid: every access and refresh token handed out, so a test can prove none leaked into output.
        return 200, {"access_tokens": list(emu.tokens.issued), "refresh_tokens": list(emu.identity.refresh_tokens)}
    if (method, name) == ("POST", "access-token"):
        return 200, _mint_access_token(emu, _object(body))
    raise ControlError(404, "unknown control call %s /_emulator/%s" % (method, name))


def _flag(body, key, default):
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ControlError(400, "'%s' must be true or false" % key)
    return value


def _profile(emu):
    return {"profile": emu.modes["profile"], "start_profile": emu.start_modes.get("profile", DOCUMENTED),
            "profiles": list(PROFILES)}


def _mint_access_token(emu, body):
    """Mint a Graph access token directly (tests of expired, wrong-tenant or under-privileged tokens)."""
    tenant_id = body.get("tenant_id")
    tenant = emu.directory.find_tenant(tenant_id)
    user = None
    if body.get("user_id"):
        if tenant is None or tenant.find_user(body["user_id"]) is None:
            raise ControlError(400, "unknown user '%s' in tenant '%s'" % (body["user_id"], tenant_id))
        user = tenant.find_user(body["user_id"])
    token, claims = emu.tokens.issue_access_token(
        tenant.id if tenant else str(tenant_id), body.get("client_id", "00000000-0000-0000-0000-000000000000"),
        body.get("resource", "https://graph.microsoft.com"), user=user, scopes=body.get("scopes"),
        roles=body.get("roles"), lifetime=body.get("lifetime"))
    return {"access_token": token, "claims": claims}
