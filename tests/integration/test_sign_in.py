"""The device-code sign-in, end to end: the collection playbook ``cloudcomms.virtual_appointments.sign_in`` run by the
real ansible-playbook against the emulator, while a thread plays the person at the browser (it waits for the code to
be pending and approves or declines it through the emulator's control API).

Then: the token cache is 0600 and holds no password, a second run signs in silently (no device code requested),
and the collection's own auth/graph code uses the cache for a delegated Graph call and renews it with the refresh
token.
"""

import json
import os
import stat

import pytest

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import auth, graph
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.spec import ConnectionSettings
from tests.conftest import emulator_env
from tests.graph_emulator.process import DevicePerson

SIGN_IN_PLAYBOOK = "- ansible.builtin.import_playbook: cloudcomms.virtual_appointments.sign_in\n"
START = "Reuse the cached sign-in, or ask for a device code"
SHOW = "Show where to sign in and the code to enter"
FINISH = "Wait for the sign-in and keep the tokens"
DEVICECODE_ROUTE = "/{tenant}/oauth2/v2.0/devicecode"
TOKEN_ROUTE = "/{tenant}/oauth2/v2.0/token"


@pytest.fixture
def cache_path(tmp_path):
    return str(tmp_path / "tokens" / "msal_token_cache.json")


@pytest.fixture
def env(emulator, cache_path):
    """What a person would export: the public client, no secret, and a token cache of their own."""
    values = emulator_env(emulator)
    values.pop("AZURE_CLIENT_SECRET")
    values["AZURE_CLIENT_ID"] = emulator.defaults["public_client_id"]
    values["CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH"] = cache_path
    return values


def identity_routes(emulator, since=0):
    return [e["route"] for e in emulator.requests(since=since, kind="identity")]


def last_seq(emulator):
    return emulator.control("GET", "requests", since=0)["seq"]


def all_results(run):
    return [result for results in run.tasks.values() for result in results]


def test_sign_in_playbook_then_silent_reuse(emulator, env, cache_path, ansible_playbook):
    defaults = emulator.defaults
    with DevicePerson(emulator) as person:
        first = ansible_playbook(SIGN_IN_PLAYBOOK, env=env, extra_vars={"wait_timeout": 60})
    assert person.problem is None, person.problem
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]

    start = first.result(START)
    assert start["changed"] is False and start["signed_in"] is False
    assert start["user_code"] == person.user_code
    assert start["verification_uri"] == "https://microsoft.com/devicelogin"
    assert start["expires_in"] > 0 and start["auth_method"] == "device_code"
    shown = first.result(SHOW)["msg"]
    assert start["verification_uri"] in shown and person.user_code in shown
    finish = first.result(FINISH)
    assert finish["changed"] is True and finish["signed_in"] is True
    assert finish["account"] == defaults["user_upn"]
    assert finish["token_cache_path"] == cache_path
    for result in all_results(first):
        assert "device_code" not in result
    assert identity_routes(emulator).count(DEVICECODE_ROUTE) == 1

    # The cache: 0600, MSAL's JSON with a refresh token, no password or secret; the pending flow is gone.
    assert stat.S_IMODE(os.stat(cache_path).st_mode) == 0o600
    with open(cache_path, encoding="utf-8") as handle:
        text = handle.read()
    assert json.loads(text)["RefreshToken"]
    for secret in (defaults["user_password"], defaults["client_secret"]):
        assert secret not in text
    assert not os.path.exists(cache_path + ".flow")
    assert sorted(os.listdir(os.path.dirname(cache_path))) == ["msal_token_cache.json", "msal_token_cache.json.lock"]

    # A second run: already signed in, nothing asked, not even a token (the access token is still fresh).
    seq = last_seq(emulator)
    second = ansible_playbook(SIGN_IN_PLAYBOOK, env=env)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    again = second.result(START)
    assert again["changed"] is False and again["signed_in"] is True and again["account"] == defaults["user_upn"]
    assert second.result(SHOW).get("skipped") and second.result(FINISH).get("skipped")
    routes = identity_routes(emulator, since=seq)
    assert DEVICECODE_ROUTE not in routes and TOKEN_ROUTE not in routes, routes
    assert emulator.control("GET", "device/pending")["pending"] == []

    # Later runs with auth_method device_code: a delegated Graph call from the cache, silently.
    settings = ConnectionSettings({
        "auth_method": "device_code", "tenant_id": defaults["tenant_id"], "client_id": defaults["public_client_id"],
        "token_cache_path": cache_path, "authority_host": emulator.authority_host,
        "graph_endpoint": emulator.graph_url, "ca_path": emulator.ca_file})
    session = graph.HTTPSession(verify=settings.verify, timeout=settings.timeout, authority=settings.authority_host)
    tokens = auth.token_provider(settings, session)
    client = graph.GraphClient(session, settings.graph_base, tokens, settings.retry)
    seq = last_seq(emulator)
    response = client.request("POST", "/me/onlineMeetings/createOrGet", {"externalId": "sign-in-test-1"})
    assert response.status_code == 201
    assert TOKEN_ROUTE not in identity_routes(emulator, since=seq)  # the cached access token
    graph_call = emulator.requests(since=seq, kind="graph")[-1]
    assert graph_call["status"] == 201

    # When the access token is refused or expires, the refresh token renews it, and the cache is rewritten (0600).
    before = os.stat(cache_path).st_mtime_ns
    tokens.invalidate()
    seq = last_seq(emulator)
    response = client.request("POST", "/me/onlineMeetings/createOrGet", {"externalId": "sign-in-test-2"})
    assert response.status_code == 201
    grants = [(e["route"], e["grant_type"]) for e in emulator.requests(since=seq, kind="identity")
              if e["route"] == TOKEN_ROUTE]
    assert grants == [(TOKEN_ROUTE, "refresh_token")]
    assert os.stat(cache_path).st_mtime_ns != before
    assert stat.S_IMODE(os.stat(cache_path).st_mode) == 0o600
    assert DEVICECODE_ROUTE not in identity_routes(emulator, since=seq)
    session.close()


def test_finish_without_start_says_what_to_do(emulator, env, cache_path, ansible_playbook):
    run = ansible_playbook("""
- name: Finish a sign-in nobody started
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Finish
      cloudcomms.virtual_appointments.sign_in:
        step: finish
""", env=env)
    assert run.returncode != 0
    result = run.result("Finish")
    assert result["failed"] is True
    assert "No device code sign-in is pending" in result["msg"] and "run step start first" in result["msg"]
    assert cache_path + ".flow" in result["msg"]
    assert DEVICECODE_ROUTE not in identity_routes(emulator)
    assert not os.path.exists(cache_path)


def test_declined_sign_in_fails_with_authorization_declined(emulator, env, cache_path, ansible_playbook):
    with DevicePerson(emulator, deny=True) as person:
        run = ansible_playbook(SIGN_IN_PLAYBOOK, env=env, extra_vars={"wait_timeout": 60})
    assert person.problem is None, person.problem
    assert run.returncode != 0
    assert run.result(START)["user_code"] == person.user_code
    result = run.result(FINISH)
    assert result["failed"] is True
    assert "authorization_declined" in result["msg"] and "run step start again" in result["msg"]
    assert result["error"]["code"] == "authorization_declined"
    assert result["auth_method"] == "device_code"
    assert not os.path.exists(cache_path)  # nothing was signed in
    assert not os.path.exists(cache_path + ".flow")  # the declined code is of no further use


def test_check_mode_shows_the_code_but_does_not_wait(emulator, env, cache_path, ansible_playbook):
    # The documented command line: tenant and client as extra vars instead of AZURE_TENANT_ID / AZURE_CLIENT_ID.
    client_id = env.pop("AZURE_CLIENT_ID")
    tenant_id = env.pop("AZURE_TENANT_ID")
    run = ansible_playbook(SIGN_IN_PLAYBOOK, env=env, args=["--check", "-e", "tenant_id=" + tenant_id,
                                                            "-e", "client_id=" + client_id])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    start = run.result(START)
    assert start["signed_in"] is False and start["user_code"] in run.result(SHOW)["msg"]
    finish = run.result(FINISH)
    assert finish["changed"] is True and finish["signed_in"] is False
    assert finish["msg"].startswith("Would wait up to 900 s for the sign-in with code %s" % start["user_code"])
    token_polls = [e for e in emulator.requests(kind="identity") if e["route"] == TOKEN_ROUTE]
    assert token_polls == []
    assert not os.path.exists(cache_path)
    # The pending flow is kept (0600) so a real 'step: finish' could still complete it while the code is valid.
    assert stat.S_IMODE(os.stat(cache_path + ".flow").st_mode) == 0o600


def test_wait_timeout_keeps_the_pending_code(emulator, env, cache_path, ansible_playbook):
    run = ansible_playbook(SIGN_IN_PLAYBOOK, env=env, extra_vars={"wait_timeout": 2})
    assert run.returncode != 0
    code = run.result(START)["user_code"]
    result = run.result(FINISH)
    assert "within wait_timeout (2 s)" in result["msg"] and code in result["msg"]
    assert result["error"]["code"] == "authorization_pending"
    assert os.path.exists(cache_path + ".flow")

    # The person signs in late; 'step: finish' again collects it with the same code.
    emulator.control("POST", "device/approve", {"user_code": code, "user_id": emulator.defaults["user_id"]})
    later = ansible_playbook("""
- name: Finish the pending sign-in
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Finish
      cloudcomms.virtual_appointments.sign_in:
        step: finish
        wait_timeout: 30
""", env=env)
    assert later.returncode == 0, later.stdout[-3000:] + later.stderr[-3000:]
    assert later.result("Finish")["changed"] is True
    assert identity_routes(emulator).count(DEVICECODE_ROUTE) == 1
    assert not os.path.exists(cache_path + ".flow")
