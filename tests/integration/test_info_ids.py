"""virtual_appointment_info checks its IDs by the same rule as every other module (spec.id_problems) before any
request: an online meeting ID or organizer that is not one token (it would end up in the URL path) fails naming the
option, and the emulator sees no request at all - no read, no token."""

from tests.conftest import emulator_env

CASES = [
    # (task name, options as YAML, the message's field, more text of the message)
    ("traversal", "online_meeting_ids: ['MSpkYzE3/../../../users/someone-else']", "online_meeting_ids[0]",
     "is not an ID"),
    ("query", "online_meeting_ids: [good-id, 'MSpkYzE3?$expand=attendees']", "online_meeting_ids[1]", "is not an ID"),
    ("fragment", "online_meeting_ids: ['MSpkYzE3#virtualAppointment']", "online_meeting_ids[0]", "is not an ID"),
    ("percent", "online_meeting_ids: ['19%3ameeting_MjRhMjcw%40thread.v2']", "online_meeting_ids[0]", "is not an ID"),
    ("space", "online_meeting_ids: ['MSpk YzE3']", "online_meeting_ids[0]", "is not an ID"),
    ("zero-width", "online_meeting_ids: [\"MSpkYzE3\\u200B\"]", "online_meeting_ids[0]", "is not an ID"),
    ("dot-dot", "online_meeting_ids: ['..']", "online_meeting_ids[0]", "is not an ID"),
    ("empty", "online_meeting_ids: ['  ']", "online_meeting_ids[0]", "must not be empty"),
    ("huge", "online_meeting_ids: ['%s']" % ("x" * 1025), "online_meeting_ids[0]", "longer than 1024 characters"),
    ("user-traversal", "online_meeting_ids: [good-id]\n        user: '../me'", "user", "is not an ID"),
    ("user-query", "online_meeting_ids: [good-id]\n        user: 'adele@contoso.com?$select=id'", "user",
     "is not an ID"),
    ("user-space", "online_meeting_ids: [good-id]\n        user: Adele Vance", "user", "is not an ID"),
]

PLAYBOOK = "- hosts: localhost\n  gather_facts: false\n  tasks:\n" + "".join(
    "    - name: %s\n      cloudcomms.virtual_appointments.virtual_appointment_info:\n        %s\n"
    "      ignore_errors: true\n" % (name, options) for name, options, dummy, dummy2 in CASES)


def test_bad_ids_fail_naming_the_option_before_any_request(emulator, ansible_playbook):
    """One playbook, a task a case (one run for all cases)."""
    seq = emulator.metrics()["seq"]
    run = ansible_playbook(PLAYBOOK, env=emulator_env(emulator))
    requests = emulator.requests(since=seq)
    wrong = []
    for name, dummy, field, expect in CASES:
        result = run.result(name)
        message = result.get("msg", "")
        if not (result.get("failed") and message.startswith("Invalid input: %s: " % field) and expect in message
                and len(message) < 2000):
            wrong.append("%s: %s" % (name, message[:300] or result))
    assert not wrong, "\n".join(wrong)
    assert requests == [], ["%s %s" % (r["method"], r.get("path", r.get("route"))[:120]) for r in requests]


def test_good_ids_are_read(emulator, ansible_playbook):
    """A guest's user principal name holds #EXT# (the user rule allows #); an unknown meeting is exists=false."""
    playbook = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: info
      cloudcomms.virtual_appointments.virtual_appointment_info:
        user: %s
        online_meeting_ids: [MSpkYzE3LWFiY2QtNDc0OS05Yjk1LWQ3ZWQ4NDI0ZTVjOSowKioxOTptZWV0aW5n]
""" % emulator.defaults["user_id"]
    run = ansible_playbook(playbook, env=emulator_env(emulator))
    result = run.result("info")
    assert not result.get("failed"), result
    assert result["virtual_appointments"][0]["exists"] is False
