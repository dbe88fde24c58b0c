"""Start and stop the emulator as a child process, and talk to its control API.

Used by the pytest fixture, the demo and the benchmarks, so there is one way to run it.
"""

import json
import os
import signal
import subprocess
import sys

import requests

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class EmulatorProcess:
    """A running emulator: its printed endpoints, a TLS-configured requests session, and control helpers."""

    def __init__(self, args=(), python=None, env=None):
        self.args = list(args)
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
        return self

    def stop(self):
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

    def reset(self):
        return self.control("POST", "reset")

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
