"""No secret anywhere: every auth method runs the modules at -vvv, and the output, results, diffs and the files
written must not contain a client secret, password, private key, federated assertion, or any access or refresh
token the identity platform issued.  The token cache is mode 0600."""

import copy
import datetime
import glob
import os
import pathlib
import shutil
import stat
import threading
import time
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import auth, graph, spec
from tests.conftest import emulator_env
from tests.helpers import Inventory, Runner
from tests.graph_emulator.directory import DEFAULT_SEED
from tests.graph_emulator.process import REPO_ROOT

APP_ID = "7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:cloudcomms/appointments:ref:refs/heads/main"
CERT_PASSWORD = "pfx-Passw0rd-do-not-leak"

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: meeting
      cloudcomms.virtual_appointments.online_meeting:
        {user}
        external_id: "scan-{method}"
        subject: Secret scan
        {params}
      register: meeting
    - name: appointment
      cloudcomms.virtual_appointments.virtual_appointment:
        {user}
        online_meeting_id: "{{{{ meeting.online_meeting.id }}}}"
        external_appointment_id: "scan-{method}"
        appointment_clients:
          - display_name: Grady Archie
            email_address: gradya@contoso.com
        {params}
      diff: true
    - name: info
      cloudcomms.virtual_appointments.virtual_appointment_info:
        {user}
        online_meeting_ids: ["{{{{ meeting.online_meeting.id }}}}"]
        include_join_web_url: {join}
        {params}
"""

# Graph serves the client join link to delegated tokens only: with an application sign-in the info task reads without
# it, and this task asks for it and is refused before any request - its message must not carry a secret either.
# failed_when: false, not ignore_errors: for a failed task ansible-core prints the task's lines from the playbook
# ("Origin: ..."), and this playbook has the secrets inline, as module options.
REFUSED_JOIN_LINK = """
    - name: join link refused
      cloudcomms.virtual_appointments.virtual_appointment_info:
        {user}
        online_meeting_ids: ["{{{{ meeting.online_meeting.id }}}}"]
        include_join_web_url: true
        {params}
      register: refused
      failed_when: false
    - name: check the refusal
      ansible.builtin.assert:
        that:
          - refused.msg is search('include_join_web_url.*delegated tokens only')
          - refused.changed is false
"""
APP_ONLY = ("client_secret", "client_certificate_pem", "client_certificate_pfx", "federated_token", "managed_identity")


def _certificate(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secret-scan")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    pem_path = tmp_path / "app.pem"
    pem_path.write_bytes(key_pem + cert_pem)
    pfx_path = tmp_path / "app.pfx"
    pfx_path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"scan", key, cert, None, serialization.BestAvailableEncryption(CERT_PASSWORD.encode())))
    key_body = "".join(key_pem.decode().splitlines()[1:-1])
    return cert_pem.decode(), pem_path, pfx_path, [key_body[i:i + 64] for i in range(0, len(key_body), 64)]


def _seed(emulator, cert_pem):
    seed = copy.deepcopy(DEFAULT_SEED)
    tenant = seed["tenants"][0]
    tenant["apps"].append({
        "client_id": APP_ID, "name": "secret-scan", "certificates": [cert_pem],
        "federated_credentials": [{"issuer": ISSUER, "subject": SUBJECT}],
        "application_permissions": ["OnlineMeetings.ReadWrite.All", "VirtualAppointment.ReadWrite.All"],
    })
    tenant["access_policies"][0]["app_ids"].append(APP_ID)
    emulator.seed(seed)


def _device_sign_in(emulator, cache_path):
    params = {"auth_method": "device_code", "tenant_id": emulator.defaults["tenant_id"],
              "client_id": emulator.defaults["public_client_id"], "token_cache_path": str(cache_path),
              "authority_host": emulator.authority_host, "graph_endpoint": emulator.graph_url}
    settings = spec.ConnectionSettings(params)
    session = graph.HTTPSession(verify=emulator.ca_file, authority=emulator.authority_host)
    flow, app, cache = auth.start_device_flow(settings, session)

    def approve():
        time.sleep(0.3)
        emulator.control("POST", "device/approve", {"user_code": flow["user_code"],
                                                    "user_id": emulator.defaults["user_id"]})

    thread = threading.Thread(target=approve)
    thread.start()
    auth.finish_device_flow(flow, app, cache, timeout=30)
    thread.join()


def _method_setup(emulator, tmp_path, method):
    """(env, module params as YAML lines, delegated?, extra secrets) for one auth method."""
    d = emulator.defaults
    cert_pem, pem_path, pfx_path, key_lines = _certificate(tmp_path)
    _seed(emulator, cert_pem)
    env = emulator_env(emulator)
    for key in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"):
        env.pop(key)
    secrets = [d["client_secret"], d["user_password"], CERT_PASSWORD] + key_lines
    params, delegated = {}, False
    if method == "client_secret":
        params = {"client_id": d["client_id"], "client_secret": d["client_secret"]}  # as module options
    elif method == "client_certificate_pem":
        env.update(AZURE_CLIENT_ID=APP_ID, AZURE_CLIENT_CERTIFICATE_PATH=str(pem_path))
    elif method == "client_certificate_pfx":
        params = {"client_id": APP_ID, "client_certificate_path": str(pfx_path),
                  "client_certificate_password": CERT_PASSWORD}
    elif method == "federated_token":
        assertion = emulator.control("POST", "federated-token", {"issuer": ISSUER, "subject": SUBJECT})["token"]
        token_file = tmp_path / "federated-token"
        token_file.write_text(assertion)
        secrets.append(assertion)
        env.update(AZURE_CLIENT_ID=APP_ID, AZURE_FEDERATED_TOKEN_FILE=str(token_file))
    elif method == "managed_identity":
        env.update(IDENTITY_ENDPOINT=emulator.info["msi_endpoint"], IDENTITY_HEADER=emulator.info["identity_header"])
        secrets.append(emulator.info["identity_header"])
    elif method == "username_password":
        delegated = True
        params = {"client_id": d["public_client_id"], "username": d["user_upn"], "password": d["user_password"],
                  "token_cache_path": str(tmp_path / "cache.json")}
    elif method == "device_code":
        delegated = True
        _device_sign_in(emulator, tmp_path / "cache.json")
        env.update(AZURE_CLIENT_ID=d["public_client_id"], CLOUDCOMMS_GRAPH_TOKEN_CACHE_PATH=str(tmp_path / "cache.json"),
                   CLOUDCOMMS_GRAPH_AUTH_METHOD="device_code")
    elif method == "access_token":
        token = emulator.app_token()
        params = {"access_token": token}
    return env, params, delegated, secrets


@pytest.mark.parametrize("method", ["client_secret", "client_certificate_pem", "client_certificate_pfx",
                                    "federated_token", "managed_identity", "username_password", "device_code",
                                    "access_token"])
def test_no_secret_in_output_results_diffs_or_files(emulator, ansible_playbook, tmp_path, method):
    env, params, delegated, secrets = _method_setup(emulator, tmp_path, method)
    user = "" if delegated else "user: %s" % emulator.defaults["user_id"]
    lines = "\n        ".join("%s: %s" % (k, v) for k, v in params.items())
    app_only = method in APP_ONLY
    playbook = PLAYBOOK.format(user=user, method=method, params=lines, join="false" if app_only else "true")
    if app_only:
        playbook += REFUSED_JOIN_LINK.format(user=user, params=lines)
    run = ansible_playbook(playbook, env=env, args=["-vvv"], callback="default")
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert ("include_join_web_url: the client join link (getVirtualAppointmentJoinWebUrl) is served to delegated "
            "tokens only" in output) == app_only, output[-4000:]
    expected = "client_certificate" if method.startswith("client_certificate") else method
    assert '"auth_method": "%s"' % expected in output
    issued = emulator.control("GET", "issued-tokens")
    secrets += issued["access_tokens"] + issued["refresh_tokens"]
    leaked = [s[:12] + "..." for s in secrets if s and s in output]
    assert not leaked, "secrets in -vvv output: %s" % leaked
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix not in (".pem", ".pfx")
             and p.name != "federated-token"]
    caches = sorted(p.name for p in files if p.name.startswith("cache.json"))
    # The delegated methods keep their MSAL token cache (and its lock file), mode 0600; the others write none.
    assert caches == (["cache.json", "cache.json.lock"] if delegated else []), caches
    for path in files:
        text = path.read_text(errors="replace")
        plain_secrets = [s for s in secrets if s not in issued["access_tokens"] + issued["refresh_tokens"]]
        if path.name.startswith("cache.json"):
            assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
            assert not [s for s in plain_secrets if s and s in text], "secret in the token cache %s" % path
        elif "playbook_" not in path.name:
            assert not [s for s in secrets if s and s in text], "secret in %s" % path


def test_validate_certs_false_warns(emulator, ansible_playbook):
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: info
      cloudcomms.virtual_appointments.virtual_appointment_info:
        user: %s
        online_meeting_ids: [missing]
        validate_certs: false
""" % emulator.defaults["user_id"]
    run = ansible_playbook(playbook, env=emulator_env(emulator))
    warnings = run.result("info").get("warnings", [])
    assert any("validate_certs is false" in w for w in warnings), warnings


def test_validate_certs_false_warns_in_results_and_output(emulator, ansible_playbook):
    """Also on the write path (online_meeting, virtual_appointment_batch), in the result and in the default output."""
    playbook = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/cloudcomms.virtual_appointments.graph:
      validate_certs: false
  tasks:
    - name: meeting
      cloudcomms.virtual_appointments.online_meeting:
        user: %(user)s
        external_id: insecure-1
    - name: batch
      cloudcomms.virtual_appointments.virtual_appointment_batch:
        appointments:
          - {external_id: insecure-2, user: %(user)s}
""" % {"user": emulator.defaults["user_id"]}
    run = ansible_playbook(playbook, env=emulator_env(emulator))
    for name in ("meeting", "batch"):
        result = run.result(name)
        assert result.get("changed") and not result.get("failed"), result
        assert any("validate_certs is false" in w for w in result.get("warnings", [])), (name, result)
    shown = ansible_playbook(playbook, env=emulator_env(emulator), callback="default")
    assert shown.returncode == 0, shown.stdout[-3000:]
    # Shown as a warning (ansible-core 2.19 shows a repeated warning once).
    assert "[WARNING]: validate_certs is false" in shown.stdout + shown.stderr


# ---------------------------------------------------------------- the role, at -vvv, with its reports and ledgers

def secret_forms(secrets):
    """Each secret as it could appear: itself, percent-encoded, and a JWT's signature on its own."""
    forms = set()
    for secret in secrets:
        if not secret:
            continue
        forms.update({secret, quote(secret, safe="")})
        if secret.count(".") == 2 and secret.startswith("eyJ"):
            forms.add(secret.rsplit(".", 1)[1])
    return forms


def find_leaks(texts, secrets):
    """[(where, start of the secret)] for every secret form found in ``texts`` ({where: text})."""
    forms = secret_forms(secrets)
    return [(where, form[:10] + "...") for where, text in texts.items() for form in forms if form in text]


def role_texts(run, tmp_path, role):
    texts = {"output": run.run.stdout + run.run.stderr}
    for directory in (role.ledger, role.report):
        for path in sorted(p for p in pathlib.Path(directory).rglob("*") if p.is_file()):
            texts[str(path.relative_to(tmp_path))] = path.read_text(errors="replace")
    return texts


@pytest.fixture
def role_at_vvv(emulator, tmp_path):
    inventory = Inventory(tmp_path / "inventory", appointments=6, organizers=2, tenants=2)
    emulator.seed(inventory.seed)
    role = Runner(emulator, inventory, tmp_path)
    role.env["ANSIBLE_STDOUT_CALLBACK"] = "default"
    return inventory, role


def test_role_at_vvv_leaks_no_secret_in_output_reports_or_ledgers(emulator, role_at_vvv, tmp_path):
    inventory, role = role_at_vvv
    secrets = list(inventory.secrets().values())
    # Create (diff of what is made), check mode with diff of a change, and the unchanged re-run - all at -vvv.
    runs = [role(args=["-vvv", "--diff"])]
    host = inventory.hosts()[0]
    data = inventory.host_vars(host)
    data["virtual_appointments"][0]["subject"] = "Rescheduled"
    inventory.save_host_vars(host, data)
    runs += [role(args=["-vvv", "--check", "--diff"]), role(args=["-vvv", "--diff"])]
    for run in runs:
        assert run.ok, run.why()
    output = "".join(run.run.stdout + run.run.stderr for run in runs)
    assert "<localhost> EXEC" in output and "Rescheduled" in output  # really -vvv, and the diff is shown
    files = role_texts(runs[-1], tmp_path, role)
    assert {"report/report.json", "report/report.csv"} <= set(files), sorted(files)
    assert len([name for name in files if name.startswith("ledger/")]) == len(inventory.hosts())
    issued = emulator.control("GET", "issued-tokens")
    assert issued["access_tokens"], "the role signed in with its client secret"
    secrets += issued["access_tokens"] + issued["refresh_tokens"]
    texts = dict(files, output=output)
    leaks = find_leaks(texts, secrets)
    assert not leaks, leaks


def test_a_planted_leak_is_caught(emulator, role_at_vvv, tmp_path):
    """The scan above would see a leak: a play that prints a client secret at -vvv and writes it beside the report."""
    inventory, role = role_at_vvv
    secret_env, secret = next(iter(inventory.secrets().items()))
    playbook = tmp_path / "leak.yml"
    playbook.write_text("""
- hosts: localhost
  gather_facts: false
  tasks:
    - name: A careless debug task
      ansible.builtin.debug:
        msg: "{{ lookup('ansible.builtin.env', '%s') }}"
    - name: A careless copy beside the report
      ansible.builtin.copy:
        content: "token={{ lookup('ansible.builtin.env', '%s') | urlencode }}"
        dest: "%s/leak.txt"
        mode: "0600"
""" % (secret_env, secret_env, role.report))
    os.makedirs(role.report, exist_ok=True)
    run = role(str(playbook), args=["-vvv"], inventory_args=["-i", "localhost,", "-c", "local"])
    assert run.ok, run.why()
    leaks = find_leaks(role_texts(run, tmp_path, role), [secret])
    assert ("output", secret[:10] + "...") in leaks
    assert ("report/leak.txt", quote(secret, safe="")[:10] + "...") in leaks


# ---------------------------------------------------------------- failed argument validation prints no secret
# Ansible templates a role's argument spec when the role's argument validation fails and prints it (issue 10: a
# lookup of the client secret in a description printed the secret at default verbosity).  A module whose options do
# not validate prints its invocation.  Neither may show a secret from the environment or the connection.

BAD_ROLE_VARS = {"virtual_appointments_concurrency": "lots", "virtual_appointments_purge": "maybe"}
VERBOSITIES = [pytest.param([], id="default"), pytest.param(["-vvv"], id="vvv")]
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(REPO_ROOT, "plugins", "modules", "*.py")))


def failed_role_validation(role, args):
    """The provision playbook with role variables of the wrong type: it fails in the role's argument validation,
    before any task of the role (and so before any request)."""
    seq = role.seq()
    run = role(args=list(args), extra=BAD_ROLE_VARS)
    assert not run.ok, "the role accepted %s" % BAD_ROLE_VARS
    output = run.run.stdout + run.run.stderr
    assert "virtual_appointments_concurrency" in output and "unable to convert to int" in output, output[-3000:]
    assert role.emu.requests(since=seq) == [], "a failed validation reached Graph"
    return run


@pytest.mark.parametrize("args", VERBOSITIES)
def test_failed_role_validation_prints_no_secret(emulator, role_at_vvv, tmp_path, args):
    """The client secrets are in the environment and, through the group_vars' env lookups, in the connection."""
    inventory, role = role_at_vvv
    role.env["AZURE_CLIENT_SECRET"] = emulator.defaults["client_secret"]
    run = failed_role_validation(role, args)
    secrets = list(inventory.secrets().values()) + [emulator.defaults["client_secret"]]
    leaks = find_leaks(role_texts(run, tmp_path, role), secrets)
    assert not leaks, leaks


def planted_collection(tmp_path, spec_text):
    """A copy of the collection (what ansible-playbook loads) whose role argument spec is ``spec_text``."""
    root = tmp_path / "planted"
    target = root / "ansible_collections" / "cloudcomms" / "virtual_appointments"
    target.mkdir(parents=True)
    for name in ("galaxy.yml", "meta", "plugins", "playbooks", "roles"):
        source = os.path.join(REPO_ROOT, name)
        if os.path.isdir(source):
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    (target / "roles" / "virtual_appointments" / "meta" / "argument_specs.yml").write_text(spec_text, encoding="utf-8")
    return str(root)


def test_a_lookup_planted_in_the_role_spec_is_caught(emulator, role_at_vvv, tmp_path):
    """The scan above sees a leak: a copy of the collection with a lookup of the client secret planted in a
    description of the role spec (as before commit 47d72eb) prints it when validation fails, at default verbosity."""
    inventory, role = role_at_vvv
    secret_env, secret = next(iter(inventory.secrets().items()))
    spec_path = os.path.join(REPO_ROOT, "roles", "virtual_appointments", "meta", "argument_specs.yml")
    with open(spec_path, encoding="utf-8") as handle:
        spec_text = handle.read()
    anchor = "      virtual_appointments_connection:\n        description:\n"
    assert anchor in spec_text
    planted = spec_text.replace(anchor, anchor + "          - \"Keep secrets out of inventory files - "
                                "C({{ lookup('ansible.builtin.env', '%s') }}).\"\n" % secret_env, 1)
    role.env["ANSIBLE_COLLECTIONS_PATH"] = planted_collection(tmp_path, planted)
    run = failed_role_validation(role, [])
    assert ("output", secret[:10] + "...") in find_leaks(role_texts(run, tmp_path, role), [secret])


MODULE_TASK = """
    - name: {module}
      cloudcomms.virtual_appointments.{module}:
        client_id: {client_id}
        client_secret: {secret}
        password: {secret}
        access_token: "{{{{ lookup('ansible.builtin.env', 'AZURE_CLIENT_SECRET') }}}}"
        no_such_option: true
        timeout: soon
      ignore_errors: true
"""


@pytest.mark.parametrize("args", VERBOSITIES)
def test_failed_module_validation_prints_no_secret(emulator, ansible_playbook, args):
    """Every module, given an unknown option and a wrong-typed one, with the client secret in the environment and
    in its connection options (as a value and through an env lookup)."""
    secret = emulator.defaults["client_secret"]
    tasks = "".join(MODULE_TASK.format(module=module, client_id=emulator.defaults["client_id"], secret=secret)
                    for module in MODULES)
    playbook = "- hosts: localhost\n  gather_facts: false\n  tasks:\n" + tasks
    seq = emulator.metrics()["seq"]
    run = ansible_playbook(playbook, env=emulator_env(emulator), args=args, callback="default")
    output = run.stdout + run.stderr
    assert len(MODULES) >= 6 and output.count("FAILED!") == len(MODULES), output[-4000:]
    assert "no_such_option" in output
    assert emulator.requests(since=seq) == [], "a failed validation reached Graph"
    leaks = find_leaks({"output": output}, [secret])
    assert not leaks, leaks
