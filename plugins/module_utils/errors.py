# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudcomms.virtual_appointments collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One exception hierarchy for the collection; modules map it to ``fail_json`` in one place.

Every error that came from Graph or Entra ID carries what a support case needs: HTTP status, error code,
message, request-id, client-request-id and date (graph-api.md 7.1: ``innerError`` and ``innererror`` both occur).
"""

from __future__ import annotations

import json
import re


class CollectionError(Exception):
    """Base class; ``fail_kwargs()`` is what the module passes to ``fail_json``."""

    def fail_kwargs(self):
        return {"msg": str(self)}


class ValidationError(CollectionError):
    """Bad input, found before any request: names the item and the field."""

    def __init__(self, problems):
        self.problems = list(problems) if isinstance(problems, (list, tuple)) else [problems]
        super().__init__("; ".join(self.problems))

    def fail_kwargs(self):
        return {"msg": "Invalid input: " + "; ".join(self.problems), "problems": self.problems}


class PlanError(ValidationError):
    """What Graph holds makes an item's desired state impossible (found after the reads, before any write of the
    item): ``part`` names the kind whose plan refused it."""

    def __init__(self, problems, part=None):
        super().__init__(problems)
        self.part = part


class ConfigurationError(CollectionError):
    """Connection or authentication options that cannot work together (no request was made)."""


class TransportError(CollectionError):
    """No HTTP answer: TLS failure, refused or dropped connection, timeout."""

    def __init__(self, message, method=None, url=None, client_request_id=None):
        super().__init__(message)
        self.method, self.url, self.client_request_id = method, url, client_request_id

    def as_dict(self):
        return {"status": None, "code": None, "message": str(self), "request_id": None,
                "client_request_id": self.client_request_id, "date": None, "retry_note": None}

    def fail_kwargs(self):
        out = {"msg": str(self)}
        if self.client_request_id:
            out["client_request_id"] = self.client_request_id
        return out


# What to check for the Entra errors users meet most (AADSTS code -> hint appended to the message).
ENTRA_HINTS = {
    7000215: "check client_secret: it must be the secret's value, not its ID, and not expired",
    7000222: "the client secret has expired; create a new one",
    700024: "the federated token in federated_token_file has expired or is not yet valid; the platform must "
            "rotate it (AKS and CI tokens live about an hour)",
    70021: "no federated credential on the app matches the token's issuer and subject",
    700027: "the certificate is not registered on the app (or the key does not match it)",
    700016: "check client_id and tenant_id: the app is not registered in this tenant",
    90002: "check tenant_id and cloud/authority_host",
    50126: "check username and password",
    50076: "the account needs multi-factor authentication; use the device code sign-in",
    50079: "the account needs multi-factor authentication; use the device code sign-in",
    65001: "an administrator must grant consent to the app's permissions",
}


class AuthenticationError(CollectionError):
    """Entra ID refused to issue a token (bad secret, expired assertion, unknown tenant, ...)."""

    def __init__(self, message, error=None, error_codes=None, correlation_id=None, trace_id=None, method=None):
        super().__init__(message)
        self.error, self.error_codes = error, list(error_codes or [])
        self.correlation_id, self.trace_id, self.method = correlation_id, trace_id, method

    @classmethod
    def from_msal(cls, result, method, context=None):
        """Build from MSAL's error dict (``error``, ``error_description``, ``error_codes``, ``trace_id``, ...).

        The message keeps the AADSTS line and appends the ids a support case needs (the trace text Entra puts in
        the description is replaced by the structured fields); ``context`` says what was being done."""
        description = (result.get("error_description") or "").strip()
        first_line = re.split(r"\s*Trace ID:", description)[0].strip() or result.get("error") or "unknown error"
        text = "Sign-in with %s failed: %s%s (%s)" % (method, context + ": " if context else "", first_line,
                                                      result.get("error"))
        hints = [ENTRA_HINTS[code] for code in result.get("error_codes") or () if code in ENTRA_HINTS]
        if hints:
            text += "; " + hints[0]
        ids = ", ".join("%s %s" % (name, result[key]) for name, key in (
            ("trace-id", "trace_id"), ("correlation-id", "correlation_id"), ("timestamp", "timestamp"))
            if result.get(key))
        if ids:
            text += " [%s]" % ids
        return cls(text, error=result.get("error"), error_codes=result.get("error_codes"),
                   correlation_id=result.get("correlation_id"), trace_id=result.get("trace_id"), method=method)

    def fail_kwargs(self):
        out = {"msg": str(self), "auth_method": self.method}
        if self.error:
            out["error"] = {"code": self.error, "error_codes": self.error_codes,
                            "correlation_id": self.correlation_id, "trace_id": self.trace_id}
        return out


class GraphError(CollectionError):
    """Graph answered with an error status."""

    def __init__(self, status, code, message, request_id=None, client_request_id=None, date=None, method=None,
                 url=None, retry_note=None):
        self.status, self.code, self.message = status, code, message
        self.request_id, self.client_request_id, self.date = request_id, client_request_id, date
        self.method, self.url, self.retry_note = method, url, retry_note
        super().__init__(self._text())

    def _text(self):
        where = " on %s %s" % (self.method, self.url) if self.method else ""
        message = self.message or "(no message)"
        text = "Graph answered %s %s%s: %s" % (self.status, self.code or "(no code)", where, message)
        ids = ", ".join("%s %s" % (k, v) for k, v in (("request-id", self.request_id),
                                                      ("client-request-id", self.client_request_id),
                                                      ("date", self.date)) if v)
        if ids:
            text += " [%s]" % ids
        if self.retry_note:
            text += " (%s)" % self.retry_note
        return text

    def as_dict(self):
        """The error's fields; ``retry_note`` says why the collection stopped retrying (``max_retries``,
        ``retry_timeout``, ``provisioning_timeout``, or a request that is not sent twice), None when it was final."""
        return {"status": self.status, "code": self.code, "message": self.message, "request_id": self.request_id,
                "client_request_id": self.client_request_id, "date": self.date, "retry_note": self.retry_note}

    def fail_kwargs(self):
        return {"msg": str(self), "error": self.as_dict()}


class NotFound(GraphError):
    pass


class WrongMeeting(CollectionError):
    """The meeting an ``online_meeting_id`` names carries another external ID than the item's: writing to it would
    change (or delete) another appointment's meeting, so the item is refused before any write to it."""

    def __init__(self, online_meeting_id, external_id, actual_external_id):
        self.online_meeting_id, self.external_id = online_meeting_id, external_id
        self.actual_external_id = actual_external_id
        super().__init__(
            "online_meeting_id %s is the meeting of external_id %s, not of external_id %s: refused, nothing was "
            "written to it (give the online_meeting_id of %s's meeting, or leave it out to find that meeting by "
            "external_id)" % (online_meeting_id, "(none)" if actual_external_id is None else repr(actual_external_id),
                              repr(external_id), repr(external_id)))

    def as_dict(self):
        return {"status": None, "code": "externalIdMismatch", "message": str(self), "request_id": None,
                "client_request_id": None, "date": None, "retry_note": None,
                "online_meeting_id": self.online_meeting_id, "external_id": self.external_id,
                "meeting_external_id": self.actual_external_id}

    def fail_kwargs(self):
        return {"msg": str(self), "error": self.as_dict()}


def error_dict(error):
    """An error as a batch item's result carries it: its fields (``as_dict()``) with, as ``message``, the whole text
    a single module fails with - HTTP status, Graph error code, request-id and why retrying stopped."""
    out = error.as_dict() if hasattr(error, "as_dict") else {}
    out["message"] = str(error)
    return out


class PreconditionFailed(GraphError):
    pass


class TenantWide(GraphError):
    """An answer about the tenant or the credential, not the item: the same for every item of a run (a batch names
    them once, together).  ``GUIDANCE`` is what to do, added to Graph's own words."""

    GUIDANCE = ""
    CAUSE = None

    def _text(self):
        return "%s - %s" % (super()._text(), self.GUIDANCE)

    def as_dict(self):
        return dict(super().as_dict(), cause=self.CAUSE)


class ResourceRetired(TenantWide):
    """Graph no longer serves the virtualAppointment resource (graph-today.md 1.1): 400 "Resource not found for the
    segment 'virtualAppointment'"."""

    CAUSE = "resource_retired"
    GUIDANCE = ("Microsoft retired the virtualAppointment resource in 2023 and Graph no longer serves it. What works "
                "today: the online meeting found by external_id (createOrGet), its client join link "
                "(getVirtualAppointmentJoinWebUrl) and the SMS actions, with the appointment's own data (clients, "
                "external appointment ID and URL, settings) kept by the scheduling system and the ledger - run "
                "virtual_appointment_batch with appointment_resource: false (the role: "
                "virtual_appointments_appointment_resource: false), or online_meeting and virtual_appointment_info "
                "with include_join_web_url")


class AccessPolicyMissing(TenantWide):
    """An app-only call for a user the app has no application access policy for (graph-today.md 2.2)."""

    CAUSE = "access_policy_missing"
    GUIDANCE = ("the app needs an application access policy for this organizer: grant one with Teams PowerShell, "
                "New-CsApplicationAccessPolicy -Identity <name> -AppIds <client_id> and then "
                "Grant-CsApplicationAccessPolicy -PolicyName <name> -Identity <the user's object id> (or -Global); "
                "it can take up to 30 minutes to take effect")


class DelegatedOnly(TenantWide):
    """Graph refused an application token for an operation it serves with delegated permissions only (the client
    join link and the SMS actions, graph-today.md 3)."""

    CAUSE = "delegated_only"
    GUIDANCE = ("the client join link and the virtual appointment SMS take delegated permissions only "
                "(VirtualAppointment.Read, VirtualAppointmentNotification.Send): sign in as the organizer - the "
                "sign_in module (device code) then auth_method device_code, auth_method username_password, or an "
                "access_token of a signed-in user")


STATUS_CLASSES = {404: NotFound, 412: PreconditionFailed}


def _error_class(status, message):
    """The GraphError subclass for an answer: by status, and by Graph's words where the status alone is ambiguous."""
    text = (message or "").lower()
    if status == 400 and "resource not found for the segment 'virtualappointment'" in text:
        return ResourceRetired
    if status == 403 and ("application access policy" in text or "is not authorized to" in text):
        return AccessPolicyMissing
    if status == 403 and "does not support application permissions" in text:
        return DelegatedOnly
    return STATUS_CLASSES.get(status, GraphError)


def _inner(error):
    inner = error.get("innerError")
    if not isinstance(inner, dict):
        inner = error.get("innererror")
    return inner if isinstance(inner, dict) else {}


def parse_graph_error(status, body, headers=None, method=None, url=None, client_request_id=None, retry_note=None):
    """Turn an error answer (raw bytes, text or parsed JSON) into the right GraphError subclass."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body) if body.strip() else {}
        except ValueError:
            body = {"error": {"code": None, "message": body.strip()[:500]}}
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        error = {}
    inner = _inner(error)
    cls = _error_class(status, error.get("message"))
    return cls(status, error.get("code"), error.get("message"),
               request_id=inner.get("request-id") or headers.get("request-id"),
               client_request_id=inner.get("client-request-id") or headers.get("client-request-id")
               or client_request_id,
               date=inner.get("date") or headers.get("date"), method=method, url=url, retry_note=retry_note)
