"""Graph and Entra error shapes."""

import datetime
import uuid


def utc_now_text():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class GraphError(Exception):
    """An error answer from Graph: status, code and message, rendered as the documented error body."""

    def __init__(self, status, code, message, headers=None, inner=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.inner = dict(inner or {})

    def body(self, request_id, client_request_id):
        inner = {"date": utc_now_text(), "request-id": request_id, "client-request-id": client_request_id}
        inner.update(self.inner)
        return {"error": {"code": self.code, "message": self.message, "innerError": inner}}


def bad_request(message, code="BadRequest"):
    return GraphError(400, code, message)


def not_found(message, code="itemNotFound"):
    return GraphError(404, code, message)


def user_not_found(key):
    """The directory's answer for a user id or UPN it does not know (GET /users/{key}, /users/{key}/...)."""
    return not_found("Resource '%s' does not exist or one of its queried reference-property objects are not present."
                     % key, code="Request_ResourceNotFound")


# graph-today.md section 3 / bookings-api.md section 3: an API "Not supported" with a permission type; the status
# Graph answers is undocumented, 403 is our inference [inf].
NOT_SUPPORTED = "This API does not support %s permissions. Use %s permissions."


def check_granted(principal, delegated, application):
    """Raise Graph's 403 unless the token holds one of the permissions its type needs: ``delegated`` scopes for a
    user's token, ``application`` roles for an app's (None: that type is not supported)."""
    user = principal.user is not None
    needed, kind, other = (delegated, "scope", "application") if user else (application, "role", "delegated")
    if needed is None:
        raise GraphError(403, "Forbidden", NOT_SUPPORTED % ("delegated" if user else "application", other))
    if not principal.permissions & needed:
        raise GraphError(403, "Forbidden", "Missing %s permissions on the request. API requires one of '%s'. %ss on "
                         "the request '%s'." % (kind, ", ".join(sorted(needed)), kind.capitalize(),
                                                ", ".join(sorted(principal.permissions))))


def throttled(retry_after, message="Please retry again later."):
    return GraphError(429, "TooManyRequests", message, headers={"Retry-After": str(retry_after)},
                      inner={"code": "429", "message": "Please retry after", "status": "429"})


STATUS_CODES = {
    400: "BadRequest", 401: "InvalidAuthenticationToken", 403: "Forbidden", 404: "itemNotFound",
    405: "MethodNotAllowed", 409: "Conflict", 412: "PreconditionFailed", 424: "FailedDependency",
    429: "TooManyRequests", 500: "InternalServerError", 501: "NotImplemented", 502: "BadGateway",
    503: "ServiceUnavailable", 504: "GatewayTimeout",
}


def injected(status, retry_after=None, code=None, message=None):
    """The error a fault rule injects (``code`` and ``message``: the rule's own, else the status's usual ones)."""
    if status == 429 and code is None and message is None:
        return throttled(retry_after if retry_after is not None else 1)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return GraphError(status, code if code is not None else STATUS_CODES.get(status, "generalException"),
                      message if message is not None else "Injected fault: the service answered %d." % status,
                      headers=headers)


def entra_error(status, error, code, description, extra=None):
    """Entra ID's token-endpoint error JSON (error, error_description, error_codes, ...)."""
    trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
    timestamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s" % (
            code, description, trace_id, correlation_id, timestamp),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": "https://login.microsoftonline.com/error?code=%d" % code,
    }
    body.update(extra or {})
    return status, body
