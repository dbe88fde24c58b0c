"""Graph and Entra error parsing."""

import json

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import errors
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import parse_graph_error

DOCUMENTED = {"error": {"code": "Unauthorized",
                        "message": "App a is not authorized to Create meeting on behalf of user u",
                        "innerError": {"date": "2026-11-24T10:00:00", "request-id": "599d9cb0",
                                       "client-request-id": "c-1"}}}


def test_documented_body_with_inner_error():
    err = errors.parse_graph_error(403, json.dumps(DOCUMENTED).encode(), method="PUT", url="/users/u/x")
    assert (err.status, err.code, err.request_id, err.client_request_id, err.date) == (
        403, "Unauthorized", "599d9cb0", "c-1", "2026-11-24T10:00:00")
    assert str(err).startswith(
        "Graph answered 403 Unauthorized on PUT /users/u/x: App a is not authorized to Create meeting on behalf of "
        "user u [request-id 599d9cb0, client-request-id c-1, date 2026-11-24T10:00:00] - the app needs an "
        "application access policy")
    assert err.fail_kwargs()["error"]["code"] == "Unauthorized"


def test_schema_spelling_innererror_is_accepted():
    body = {"error": {"code": "invalidRange", "message": "m", "innererror": {"request-id": "r2", "date": "d2"}}}
    err = errors.parse_graph_error(400, body)
    assert (err.request_id, err.date) == ("r2", "d2")


def test_ids_fall_back_to_headers_and_to_what_we_sent():
    err = errors.parse_graph_error(500, b"", headers={"Request-Id": "r3", "Date": "Tue"}, client_request_id="mine")
    assert (err.code, err.request_id, err.date, err.client_request_id) == (None, "r3", "Tue", "mine")


def test_non_json_body_is_kept_as_the_message():
    err = errors.parse_graph_error(502, "<html>Bad gateway</html>")
    assert err.message == "<html>Bad gateway</html>" and err.code is None


def test_an_empty_message_says_so():
    """Bookings answers some creates with 500 UnknownError and an empty message (bookings-api.md 7)."""
    error = parse_graph_error(500, json.dumps({"error": {"code": "UnknownError", "message": ""}}), {}, "POST",
                              "https://graph.microsoft.com/v1.0/solutions/bookingBusinesses/b/appointments", "c-1")
    assert str(error).startswith("Graph answered 500 UnknownError on POST https://graph.microsoft.com/v1.0/solutions/"
                                 "bookingBusinesses/b/appointments: (no message)")
    assert error.as_dict()["message"] == ""


def test_status_subclasses():
    assert isinstance(errors.parse_graph_error(404, {}), errors.NotFound)
    assert isinstance(errors.parse_graph_error(412, {}), errors.PreconditionFailed)
    assert errors.parse_graph_error(409, {}).__class__ is errors.GraphError


def test_msal_error_dict_keeps_code_and_drops_trace_noise():
    result = {"error": "invalid_client", "error_codes": [7000215], "correlation_id": "corr",
              "error_description": "AADSTS7000215: Invalid client secret provided. Trace ID: t Correlation ID: c"}
    err = errors.AuthenticationError.from_msal(result, "client_secret")
    assert str(err) == ("Sign-in with client_secret failed: AADSTS7000215: Invalid client secret provided. "
                        "(invalid_client); check client_secret: it must be the secret's value, not its ID, and not "
                        "expired [correlation-id corr]")
    assert err.fail_kwargs()["error"]["error_codes"] == [7000215]


def test_validation_error_lists_every_problem():
    err = errors.ValidationError(["appointments[0].email: not an e-mail", "appointments[3].user: required"])
    assert err.fail_kwargs()["problems"] == ["appointments[0].email: not an e-mail", "appointments[3].user: required"]


def test_a_batch_item_error_carries_what_a_single_module_says():
    """Before: a batch item's error had Graph's message alone and no retry note (``as_dict()`` left it out), so the
    batch's message and the role's report lost the status, the request-id and why retrying stopped."""
    error = errors.parse_graph_error(503, b'{"error": {"code": "ServiceUnavailable", "message": "busy"}}',
                                     {"request-id": "r-1", "client-request-id": "c-1"}, "PUT", "https://g/x",
                                     retry_note="the next wait (60.0 s from Retry-After) would pass "
                                                "provisioning_timeout (10 s)")
    out = errors.error_dict(error)
    assert out["retry_note"].endswith("provisioning_timeout (10 s)") and error.as_dict()["retry_note"] == \
        out["retry_note"]
    fields = (out["status"], out["code"], out["request_id"], out["client_request_id"])
    assert fields == (503, "ServiceUnavailable", "r-1", "c-1")
    assert out["message"] == str(error) and "request-id r-1" in out["message"] and \
        "provisioning_timeout" in out["message"]
    lost = errors.error_dict(errors.TransportError("No answer from GET x: reset (gave up after 3 retries "
                                                   "(max_retries))", "GET", "x", "c-2"))
    assert lost["client_request_id"] == "c-2" and "max_retries" in lost["message"] and lost["status"] is None


def test_a_meeting_of_another_external_id_names_both():
    error = errors.WrongMeeting("MSo-b", "A-1", "B-1")
    assert "online_meeting_id MSo-b is the meeting of external_id 'B-1', not of external_id 'A-1'" in str(error)
    assert error.fail_kwargs()["error"]["code"] == "externalIdMismatch"
    assert "external_id (none)" in str(errors.WrongMeeting("MSo-b", "A-1", None))


# -- answers about the tenant or the credential (today's Graph, graph-today.md 1.1, 2.2, 3) -------------------------
def graph_answer(status, code, message):
    return parse_graph_error(status, json.dumps({"error": {"code": code, "message": message,
                                                           "innerError": {"request-id": "r-1"}}}))


@pytest.mark.parametrize("status, code, message, cls, words", [
    (400, "BadRequest", "Resource not found for the segment 'virtualAppointment'.", errors.ResourceRetired,
     "appointment_resource: false"),
    (403, "General", "No application access policy found for this app.", errors.AccessPolicyMissing,
     "Grant-CsApplicationAccessPolicy"),
    (403, "Unauthorized", "App 5d2c is not authorized to Create meeting on behalf of user 3b6e",
     errors.AccessPolicyMissing, "New-CsApplicationAccessPolicy"),
    (403, "Forbidden", "This API does not support application permissions. Use delegated permissions.",
     errors.DelegatedOnly, "sign_in module"),
])
def test_answers_about_the_tenant_name_their_cause_and_what_to_do(status, code, message, cls, words):
    error = graph_answer(status, code, message)
    assert error.__class__ is cls and error.message == message
    assert message in str(error) and words in str(error) and "request-id r-1" in str(error)
    assert error.as_dict()["cause"] == cls.CAUSE


@pytest.mark.parametrize("status, message", [
    (400, "Resource not found for the segment 'auditLog'."),      # another segment: not the retirement
    (404, "Resource not found for the segment 'virtualAppointment'."),
    (403, "Missing role permissions on the request."),
])
def test_other_answers_keep_their_plain_class(status, message):
    assert graph_answer(status, "X", message).as_dict().get("cause") is None
