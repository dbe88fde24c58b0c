"""Graph and Entra error parsing."""

import json

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import errors

DOCUMENTED = {"error": {"code": "Unauthorized",
                        "message": "App a is not authorized to Create meeting on behalf of user u",
                        "innerError": {"date": "2026-11-24T10:00:00", "request-id": "599d9cb0",
                                       "client-request-id": "c-1"}}}


def test_documented_body_with_inner_error():
    err = errors.parse_graph_error(403, json.dumps(DOCUMENTED).encode(), method="PUT", url="/users/u/x")
    assert (err.status, err.code, err.request_id, err.client_request_id, err.date) == (
        403, "Unauthorized", "599d9cb0", "c-1", "2026-11-24T10:00:00")
    assert str(err) == ("Graph answered 403 Unauthorized on PUT /users/u/x: App a is not authorized to Create meeting "
                        "on behalf of user u [request-id 599d9cb0, client-request-id c-1, date 2026-11-24T10:00:00]")
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
