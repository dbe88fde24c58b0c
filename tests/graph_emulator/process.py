"""Start and stop the emulator as a child process, and talk to its control API.

Used by the pytest fixture, the demo and the benchmarks, so there is one way to run it.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_root():
    """A directory holding ansible_collections/cloudcomms/virtual_appointments -> this checkout (a symlink in the
    temporary directory, one per checkout): put it on sys.path or ANSIBLE_COLLECTIONS_PATH."""
    root = os.path.join(tempfile.gettempdir(), "cloudcomms-va-%s" % hashlib.sha1(REPO_ROOT.encode()).hexdigest()[:10])
    parent = os.path.join(root, "ansible_collections", "cloudcomms")
    link = os.path.join(parent, "virtual_appointments")
    os.makedirs(parent, exist_ok=True)
    if not os.path.islink(link) or os.readlink(link) != REPO_ROOT:
        tmp = "%s.%d" % (link, os.getpid())
        os.symlink(REPO_ROOT, tmp)
        os.replace(tmp, link)
    return root


class EmulatorProcess:
    """A running emulator: its printed endpoints, a TLS-configured requests session, and control helpers.

    ``EmulatorProcess.live`` lists the ones this process started and has not stopped (the test suite arms the
    check-mode fence of each around an ``ansible-playbook --check`` run).

    ``profile`` ("documented" or "current", profiles.py) starts it with ``--profile``; None leaves the emulator's
    default (documented).  ``set_profile`` switches a running one; ``reset`` goes back to the start profile."""

    live = []

    def __init__(self, args=(), python=None, env=None, profile=None):
        self.args = list(args) + (["--profile", profile] if profile is not None else [])
        self.python = python or sys.executable
        self.env = env
        self.proc = None
        self.info = None
        self.http = None

    def start(self):
        cmd = [self.python, "-m", "tests.graph_emulator", "--port", "0"] + self.args
        self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, env=self.env)
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait(timeout=10)
            self.proc.stdout.close()
            self.proc = None
            raise RuntimeError("the emulator exited (%s) before it was ready" % code)
        self.info = json.loads(line)
        self.http = self.session()
        EmulatorProcess.live.append(self)
        return self

    def stop(self):
        if self in EmulatorProcess.live:
            EmulatorProcess.live.remove(self)
        if self.proc is None:
            return None
        if self.http is not None:
            self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        code, self.proc = self.proc.returncode, None
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- endpoints ------------------------------------------------------------------------------------------
    @property
    def graph_url(self):
        return self.info["graph_url"]

    @property
    def authority_host(self):
        return self.info["authority_host"]

    @property
    def ca_file(self):
        return self.info["ca_file"]

    @property
    def defaults(self):
        return self.info["defaults"]

    def session(self):
        """A requests session that trusts the emulator's CA (machine-wide CA variables must not override it)."""
        http = requests.Session()
        http.trust_env = False
        http.verify = self.ca_file
        return http

    # -- control API ----------------------------------------------------------------------------------------
    def control(self, method, name, body=None, **params):
        response = self.http.request(method, "%s/%s" % (self.info["control_url"], name), json=body,
                                     params=params or None, timeout=30)
        if response.status_code >= 400:
            raise RuntimeError("control %s %s failed: %s %s" % (method, name, response.status_code, response.text))
        return response.json()

    def reset(self, profile=None):
        """Back to the initial seed and the start modes, the start profile included, unless ``profile`` names one."""
        return self.control("POST", "reset", {"profile": profile} if profile is not None else None)

    def profile(self):
        """``{"profile", "start_profile", "profiles"}``."""
        return self.control("GET", "profile")

    def set_profile(self, profile):
        """Switch to "documented" or "current" until the next switch or reset."""
        return self.control("POST", "profile", {"profile": profile})

    def access_policy(self, app_id=None, user_id=None, everyone=False, grant=True, tenant_id=None):
        """Grant (or, ``grant=False``, revoke) the app's access policy for one user (id or UPN) or, ``everyone``,
        the whole tenant; defaults: the default app, the default tenant."""
        body = {"app_id": app_id or self.defaults["client_id"], "grant": grant}
        if everyone:
            body["global"] = True
        else:
            body["user_id"] = user_id or self.defaults["user_id"]
        if tenant_id:
            body["tenant_id"] = tenant_id
        return self.control("POST", "access-policy", body)

    def set_user(self, user_id=None, tenant_id=None, **attributes):
        """Change a user's attributes, e.g. ``set_user(teams_premium=False)`` (default: the default user)."""
        body = dict(attributes, user_id=user_id or self.defaults["user_id"])
        if tenant_id:
            body["tenant_id"] = tenant_id
        return self.control("POST", "user", body)

    def seed(self, document):
        return self.control("POST", "seed", document)

    def faults(self, rules):
        return self.control("POST", "faults", {"rules": rules})

    def modes(self, **modes):
        return self.control("POST", "modes", modes)

    def state(self):
        return self.control("GET", "state")

    def requests(self, since=0, kind=None):
        params = {"since": since}
        if kind:
            params["kind"] = kind
        return self.control("GET", "requests", **params)["requests"]

    def metrics(self):
        return self.control("GET", "metrics")

    def fence(self, armed=None, label=None, clear=False):
        """Arm or disarm the check-mode fence (None: leave as is); ``clear`` empties its record. Returns the fence
        with the refused writes recorded before any clearing."""
        body = {"clear": clear}
        if armed is not None:
            body["armed"] = armed
        if label is not None:
            body["label"] = label
        return self.control("POST", "fence", body)

    def fence_record(self):
        """The fence: ``armed``, ``label`` and the ``refused`` writes (method, path, route, time, label, ...)."""
        return self.control("GET", "fence")

    def app_token(self, tenant_id=None, client_id=None, roles=None, lifetime=None, user_id=None, scopes=None):
        """Mint an access token directly (the default app's roles unless told otherwise)."""
        body = {"tenant_id": tenant_id or self.defaults["tenant_id"],
                "client_id": client_id or self.defaults["client_id"]}
        if user_id:
            body.update(user_id=user_id, scopes=scopes if scopes is not None else ["OnlineMeetings.ReadWrite"])
        else:
            default_roles = ["OnlineMeetings.ReadWrite.All", "VirtualAppointment.ReadWrite.All"]
            body["roles"] = roles if roles is not None else default_roles
        if lifetime is not None:
            body["lifetime"] = lifetime
        return self.control("POST", "access-token", body)["access_token"]


class DevicePerson(threading.Thread):
    """The person at the browser during a device-code sign-in: waits for pending codes and approves them as the
    default user (or declines with ``deny``).  ``once``: handle the first code only.  Use as a context manager;
    ``problem`` holds anything that went wrong in the thread, ``handled`` the user codes it answered."""

    def __init__(self, emulator, deny=False, once=True, deadline=60):
        super().__init__(daemon=True)
        self.emulator, self.deny, self.once, self.deadline = emulator, deny, once, deadline
        self.handled, self.problem = [], None
        self.stop = threading.Event()

    @property
    def user_code(self):
        return self.handled[0] if self.handled else None

    def run(self):
        try:
            until = time.monotonic() + self.deadline
            while not self.stop.is_set():
                for pending in self.emulator.control("GET", "device/pending")["pending"]:
                    if pending["approved"] or pending["user_code"] in self.handled:
                        continue
                    body = {"user_code": pending["user_code"], "user_id": self.emulator.defaults["user_id"]}
                    if self.deny:
                        body["deny"] = True
                    self.emulator.control("POST", "device/approve", body)
                    self.handled.append(pending["user_code"])
                    if self.once:
                        return
                if time.monotonic() > until:
                    if self.once:
                        raise AssertionError("no device code became pending within %d s" % self.deadline)
                    return
                time.sleep(0.1)
        except Exception as exc:  # pylint: disable=broad-except
            self.problem = exc

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(30)
