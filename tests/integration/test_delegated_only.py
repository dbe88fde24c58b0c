"""An application (app-only) sign-in is refused, before any request, for what Graph serves to delegated tokens only
(graph-today.md 3): the virtual_appointment_sms module, virtual_appointment_batch's notify_sms and
include_join_web_url, and virtual_appointment_info's include_join_web_url.

Every application method is tried - client_secret, client_certificate, federated_token, managed_identity - given as
module options or picked by ``auth_method: auto`` from the environment variables users export (AZURE_CLIENT_SECRET,
AZURE_CLIENT_CERTIFICATE_PATH, AZURE_FEDERATED_TOKEN_FILE, IDENTITY_ENDPOINT).  Each task fails naming the option,
that the feature is served to "delegated" tokens, the method that signs in as the application, and the way to sign in
as the organizer (the ``sign_in`` module); the emulator records no request at all - no token request either.  The
same tasks signed in as the organizer (username and password) do reach Graph, so the refusal is the sign-in's."""

import pytest

from tests.helpers import emulator_env

# Any well-formed meeting ID: nothing is sent.
MEETING_ID = "MSpkYzE3Njc0LWZjMzUtNDRmOS1hYmE0LTAwMDAwMDAwMDAwMCowKioxOTptZWV0aW5nX25vdGhlcmVAdGhyZWFkLnYy"

# (task name, module, options, the option the message names); the batch names the organizer in each item
CASES = [
    ("sms", "virtual_appointment_sms", """
        online_meeting_id: %(meeting)s
        message_type: confirmation
        attendees:
          - {phone_number: "+1 312 555 0142", time_zone: Central Standard Time}
""", "auth_method"),
    ("batch notify_sms", "virtual_appointment_batch", """
        appointment_resource: false
        notify_sms: {time_zone: Central Standard Time}
        appointments:
          - external_id: delegated-only-1
            subject: Loan review%(item_user)s
            appointment_clients:
              - {display_name: Grady Archie, sms_capable_phone_number: "+1 312 555 0142"}
""", "notify_sms"),
    ("batch include_join_web_url", "virtual_appointment_batch", """
        appointment_resource: false
        include_join_web_url: true
        appointments:
          - {external_id: delegated-only-2, subject: Card review%(item_user_inline)s}
""", "include_join_web_url"),
    ("info include_join_web_url", "virtual_appointment_info", """
        online_meeting_ids: [%(meeting)s]
        include_join_web_url: true
""", "include_join_web_url"),
]


def playbook(user=None, connection=""):
    """One play with the four tasks, naming the organizer ``user`` (None: /me) and with ``connection`` lines."""
    tasks = []
    for name, module, options, dummy in CASES:
        body = options % {"meeting": MEETING_ID, "item_user": "\n            user: %s" % user if user else "",
                          "item_user_inline": ", user: %s" % user if user else ""}
        top = "        user: %s\n" % user if user and module != "virtual_appointment_batch" else ""
        tasks.append("    - name: %s\n      cloudcomms.virtual_appointments.%s:\n%s%s%s      ignore_errors: true\n"
                     % (name, module, top, connection, body.lstrip("\n")))
    return "- hosts: localhost\n  gather_facts: false\n  tasks:\n" + "".join(tasks)


def option_lines(options):
    return "".join("        %s: %s\n" % (key, value) for key, value in options.items())


def app_sign_in(emulator, tmp_path, how):
    """(env, module option lines, the auth_method the message names) for one application sign-in: ``how`` is
    "<method> options" (auth_method and its options on the task) or "<method> auto" (environment variables only)."""
    d = emulator.defaults
    env = emulator_env(emulator)
    env.pop("AZURE_CLIENT_SECRET")
    cert = tmp_path / "app.pem"  # never read: the refusal comes first
    cert.write_text("-----BEGIN PRIVATE KEY-----\nnot read: refused before\n-----END PRIVATE KEY-----\n")
    assertion = tmp_path / "federated-token"
    assertion.write_text("not.read.before-the-refusal")
    options = {
        "client_secret options": {"auth_method": "client_secret", "client_id": d["client_id"],
                                  "client_secret": d["client_secret"]},
        "client_certificate options": {"auth_method": "client_certificate", "client_certificate_path": str(cert)},
        "managed_identity options": {"auth_method": "managed_identity"},
    }
    variables = {
        "client_secret auto": {"AZURE_CLIENT_SECRET": d["client_secret"]},
        "client_certificate auto": {"AZURE_CLIENT_CERTIFICATE_PATH": str(cert)},
        "federated_token auto": {"AZURE_FEDERATED_TOKEN_FILE": str(assertion)},
        "managed_identity auto": {"IDENTITY_ENDPOINT": emulator.info["msi_endpoint"],
                                  "IDENTITY_HEADER": emulator.info["identity_header"]},
    }
    if how == "managed_identity auto":
        env.pop("AZURE_CLIENT_ID")  # else a user-assigned identity is asked for; either way it is refused first
    env.update(variables.get(how, {}))
    return env, option_lines(options.get(how, {})), how.split(" ", 1)[0]


SIGN_INS = ["client_secret options", "client_secret auto", "client_certificate options", "client_certificate auto",
            "federated_token auto", "managed_identity options", "managed_identity auto"]


def assert_refused(run, method):
    for name, dummy, dummy, option in CASES:
        result = run.result(name)
        message = result.get("msg", "")
        assert result.get("failed") and not result.get("changed"), (name, result)
        assert message.startswith("Invalid input: ") and ("%s: " % option) in message, (name, message)
        assert "delegated" in message and "sign_in" in message, (name, message)
        assert "auth_method %s signs in as the application" % method in message, (name, message)
        assert any(p.startswith("%s: " % option) for p in result.get("problems", [])), (name, result)


@pytest.mark.parametrize("how", SIGN_INS)
def test_an_application_sign_in_is_refused_before_any_request(emulator, ansible_playbook, tmp_path, how):
    env, connection, method = app_sign_in(emulator, tmp_path, how)
    seq = emulator.metrics()["seq"]
    run = ansible_playbook(playbook(emulator.defaults["user_id"], connection), env=env)
    assert run.returncode == 0 and run.stats.get("ignored") == len(CASES), run.stdout[-3000:]
    assert_refused(run, method)
    assert emulator.requests(since=seq) == []


@pytest.mark.parametrize("profile", ["documented", "current"])
def test_refused_in_check_mode_and_on_both_profiles_too(emulator, ansible_playbook, tmp_path, profile):
    emulator.set_profile(profile)
    env, connection, method = app_sign_in(emulator, tmp_path, "client_secret auto")
    seq = emulator.metrics()["seq"]
    run = ansible_playbook(playbook(emulator.defaults["user_id"], connection), env=env,
                           args=["--check", "--diff"])
    assert_refused(run, method)
    assert emulator.requests(since=seq) == []


def test_the_same_tasks_signed_in_as_the_organizer_reach_graph(emulator, ansible_playbook, tmp_path):
    """The control: with the organizer's own sign-in nothing is refused up front (the made-up meeting ID then makes
    the SMS and the info read answer 404 from Graph, which is not what this file tests)."""
    d = emulator.defaults
    env = emulator_env(emulator)
    env.pop("AZURE_CLIENT_SECRET")
    env.update(AZURE_CLIENT_ID=d["public_client_id"], AZURE_USERNAME=d["user_upn"], AZURE_PASSWORD=d["user_password"],
               CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH=str(tmp_path / "tokens" / "msal_token_cache.json"))
    seq = emulator.metrics()["seq"]
    run = ansible_playbook(playbook(), env=env)
    for name, dummy, dummy, dummy in CASES:
        result = run.result(name)
        assert "served to delegated tokens only" not in result.get("msg", ""), (name, result)
        assert result.get("auth_method") == "username_password" or "Graph answered" in result.get("msg", ""), \
            (name, result)
    batch = [run.result(name) for name in ("batch notify_sms", "batch include_join_web_url")]
    assert all(not r.get("failed") and r["changed"] for r in batch), batch
    assert batch[0]["appointments"][0]["notification"]["sent"], batch[0]
    assert batch[1]["appointments"][0]["client_join_web_url"].startswith("https://"), batch[1]
    paths = [r["path"] for r in emulator.requests(since=seq, kind="graph")]
    assert any(p.endswith("/sendVirtualAppointmentSms") for p in paths), paths
    assert any(p.endswith("/getVirtualAppointmentJoinWebUrl") for p in paths), paths


@pytest.mark.parametrize("variable, value, option", [
    ("virtual_appointments_notify_sms", {"time_zone": "Central Standard Time"}, "notify_sms"),
    ("virtual_appointments_include_join_web_url", True, "include_join_web_url"),
])
def test_the_role_with_the_tenants_application_connection_is_refused_naming_its_variable(role, inventory, emulator,
                                                                                         variable, value, option):
    """The generated inventory signs in per tenant as the application (group_vars): every organizer fails before any
    request, and the message names the role variable, not the module option."""
    seq = emulator.metrics()["seq"]
    run = role(extra={variable: value, "virtual_appointments_appointment_resource": False})
    assert not run.ok
    results = run.batches()
    assert sorted(results) == inventory.hosts(), run.why()
    for host, result in results.items():
        message = result.get("msg", "")
        assert result.get("failed") and ("%s: " % variable) in message, (host, message)
        assert "delegated" in message and "sign_in" in message and "auth_method client_secret" in message, message
        assert (" %s: " % option) not in message and not message.startswith(option), message
    assert emulator.requests(since=seq) == []
