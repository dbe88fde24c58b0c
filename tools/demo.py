"""make demo: one online meeting with one virtual appointment, end to end against the local Graph emulator.

Starts the emulator (HTTPS, its own CA), signs in with the real msal (client credentials), creates the meeting
through createOrGet, puts the virtual appointment on it, reads it back, and prints what Graph returned.
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import msal  # noqa: E402  pylint: disable=wrong-import-position

from tests.graph_emulator.process import EmulatorProcess  # noqa: E402  pylint: disable=wrong-import-position


def step(text):
    print("\n== %s" % text, flush=True)


def main():
    started = time.monotonic()
    step("Starting the Graph + identity emulator")
    with EmulatorProcess() as emu:
        info, d = emu.info, emu.defaults
        print("graph_url      %s\nauthority_host %s\nca_file        %s"
              % (info["graph_url"], info["authority_host"], info["ca_file"]))
        http = emu.session()

        step("Signing in with msal (client credentials, tenant %s)" % d["tenant_id"])
        app = msal.ConfidentialClientApplication(
            d["client_id"], client_credential=d["client_secret"], http_client=http,
            authority="%s/%s" % (info["authority_host"], d["tenant_id"]), instance_discovery=False)
        result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
        if "access_token" not in result:
            raise SystemExit("sign-in failed: %s" % result.get("error_description"))
        print("token acquired (%s, expires in %s s)" % (result["token_type"], result["expires_in"]))
        http.headers["Authorization"] = "Bearer " + result["access_token"]
        meetings = "%s/beta/users/%s/onlineMeetings" % (info["graph_url"], d["user_id"])

        step("Ensuring the online meeting (createOrGet, externalId demo-appointment-0001)")
        meeting = http.post(meetings + "/createOrGet", timeout=30, json={
            "externalId": "demo-appointment-0001", "subject": "Mortgage consultation",
            "startDateTime": "2026-12-01T15:00:00+01:00", "endDateTime": "2026-12-01T15:45:00+01:00"})
        meeting.raise_for_status()
        meeting = meeting.json()
        print("%s  id=%s...\njoinWebUrl %s" % (meeting["subject"], meeting["id"][:24], meeting["joinWebUrl"][:90]))

        step("Putting the virtual appointment on it")
        url = "%s/%s/virtualAppointment" % (meetings, meeting["id"])
        created = http.put(url, timeout=30, json={
            "appointmentClients": [{"displayName": "Grady Archie", "emailAddress": "gradya@contoso.com",
                                    "smsCapablePhoneNumber": "+1 312 555 0142"}],
            "externalAppointmentId": "demo-appointment-0001",
            "externalAppointmentUrl": "https://scheduling.example.com/appointments/demo-appointment-0001",
            "settings": {"allowClientToJoinUsingBrowser": True}})
        created.raise_for_status()
        print("PUT -> %d Created, ETag %s" % (created.status_code, created.headers["ETag"]))

        step("Reading it back (GET)")
        current = http.get(url, timeout=30)
        current.raise_for_status()
        body = current.json()
        print(json.dumps({k: v for k, v in body.items() if not k.startswith("@odata")}, indent=2))

        metrics = emu.metrics()
        step("Emulator saw %d Graph requests, %d token request(s), %d write(s)"
             % (metrics["graph"]["total"], metrics["token_requests"], metrics["writes"]))
    print("\nDone in %.1f s; the emulator is stopped." % (time.monotonic() - started))


if __name__ == "__main__":
    main()
