"""Profiles: which Microsoft Graph the emulator plays (DESIGN.md, "Two worlds").

``documented`` (the default) is the API as its documentation described it in 2022-2023, the seed's world:
the beta ``virtualAppointment`` resource lives, app tokens may name a user by UPN, the access-policy denial is the
documentation sample's, the join URL and both SMS actions take the union of the documented permissions.

``current`` is what Graph serves in late 2026 (shared reference ``graph-today.md`` sections 1-3 and 7):

- ``.../onlineMeetings/{id}/virtualAppointment`` (beta or v1.0, any method, ``$batch`` items too) is a URL parse
  error: 400 ``BadRequest`` "Resource not found for the segment 'virtualAppointment'." Answered parse-first, like
  every other unknown segment: before faults, authentication and permission checks (section 1.1).
- With an application token ``/users/{userId}/onlineMeetings...`` takes the user's object id only; anything else
  (a UPN) is 404 ``Request_ResourceNotFound`` (section 2.1). Delegated tokens keep /me, their own id and UPN.
- No application access policy for (app, user): 403 ``General`` "No application access policy found for this app."
  (section 2.2).
- getVirtualAppointmentJoinWebUrl and both SMS actions refuse application tokens (403 ``Forbidden``) and take the
  current delegated scopes only; the SMS actions also need a Teams Premium organizer and US numbers (section 3).

The profile lives in the modes (``modes["profile"]``): ``--profile`` sets it at start, ``POST /_emulator/profile
{"profile": "current"}`` (or ``POST /_emulator/modes``) switches it at runtime, and ``POST /_emulator/reset`` goes
back to the ``--profile`` value unless its body names one (``{"profile": "current"}``).
"""

import re

from .errors import GraphError, bad_request

DOCUMENTED, CURRENT = "documented", "current"
PROFILES = (DOCUMENTED, CURRENT)

# Per operation, the current documentation's (delegated scopes, application roles); None: application permissions
# are not supported.  Operations absent here keep graph.PERMISSIONS.  graph-today.md section 3.
CURRENT_PERMISSIONS = {
    # getVirtualAppointmentJoinWebUrl (in `current` the retired virtualAppointment GET, which shares this key, is a
    # 400 before any permission check).  Current Learn: delegated VirtualAppointment.Read (least privileged) or
    # VirtualAppointment.ReadWrite; application "Not supported".  The ACS tutorial's OnlineMeetings.ReadWrite is not
    # in the current permission table and is refused here on purpose: a client asking only for it is the one this
    # profile must catch.
    "appointment.read": ({"VirtualAppointment.Read", "VirtualAppointment.ReadWrite"}, None),
    # sendVirtualAppointmentSms / sendVirtualAppointmentReminderSms: delegated VirtualAppointmentNotification.Send;
    # v1.0 Learn render 2025-07-23 and the v1.0 include @ 2f2d3025: application "Not supported".
    "appointment.sms": ({"VirtualAppointmentNotification.Send"}, None),
}

# graph-today.md section 3 [doc]: SMS needs "a valid United States phone number"; a NANP number in E.164 form
# (+1, area code and exchange starting 2-9) is what we check [inf]: NANP numbers of Canada and the Caribbean pass.
_US_PHONE = re.compile(r"^\+1[2-9][0-9]{2}[2-9][0-9]{6}$")
_PHONE_SEPARATORS = re.compile(r"[ ()\-.]")


def current(emu):
    return emu.modes["profile"] == CURRENT


def check_profile(value):
    """The profile named by a control call or the command line; raise ValueError for anything else."""
    if value not in PROFILES:
        raise ValueError("profile must be one of %s, not %r" % (", ".join(PROFILES), value))
    return value


def check_retired(emu, call, leaf):
    """graph-today.md 1.1 [inf]: the retired segment answers as a segment missing from metadata (400)."""
    if leaf == "virtualAppointment" and current(emu):
        raise bad_request("Resource not found for the segment '%s'." % call.segments[-1])


def permissions(emu, key, documented):
    """(delegated, application) permissions of operation ``key``; application None means not supported."""
    if current(emu):
        return CURRENT_PERMISSIONS.get(key, documented)
    return documented


def app_owner(emu, tenant, owner_id):
    """The organizer an application token names in /users/{userId}: id or UPN (documented), object id only
    (current: graph-today.md 2.1, 404 for a UPN; msgraph-sdk-dotnet#1215, microsoft-graph-docs#12301).  None makes
    the caller answer the directory's unknown-user 404, code ``Request_ResourceNotFound``: the sources quote the
    status and "the user could not be found", not the code [inf]."""
    if current(emu):
        return tenant.users.get((owner_id or "").lower())
    return tenant.find_user(owner_id)


def policy_denied(emu, app_id, verb, user_id):
    """The application access policy denial (graph-today.md 2.2): the doc sample's, or today's as reported."""
    if current(emu):
        # msgraph-sdk-dotnet#2350 (2024-02-20): 403 Forbidden, code "General".
        return GraphError(403, "General", "No application access policy found for this app.")
    # Access-policy doc sample (cloud-communication-online-meeting-application-access-policy.md).
    return GraphError(403, "Unauthorized", "App %s is not authorized to %s meeting on behalf of user %s"
                      % (app_id, verb, user_id))


def check_sms(emu, user, attendees, action):
    """graph-today.md 3 [doc]: US numbers only, then a Teams Premium organizer; `current` only (the documented
    profile keeps its looser phone check and no licence)."""
    if not current(emu):
        return
    for index, attendee in enumerate(attendees):
        phone = attendee.get("phoneNumber") or ""
        if not _US_PHONE.match(_PHONE_SEPARATORS.sub("", phone)):
            raise bad_request("Invalid request body: attendees[%d].phoneNumber '%s' is not a United States phone "
                              "number (+1 and 10 digits); %s supports United States numbers only."
                              % (index, phone[:40], action))
    if not user.teams_premium:
        # The licence is documented, Graph's answer without it is not: 403 is our inference [inf].
        raise GraphError(403, "Forbidden", "%s requires a Teams Premium license; the organizer %s has none."
                         % (action, user.id))
