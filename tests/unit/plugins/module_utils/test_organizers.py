"""organizers.py: which organizers need their object ID read, one batched round for all of them, the ledger's record
used instead of a request, and the errors that name what to do."""

from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils import organizers
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.errors import GraphError
from ansible_collections.cloudcomms.virtual_appointments.plugins.module_utils.graph import BatchResult

ADELE_ID = "3b6e9f20-7c1a-4d58-b2e4-9a0c5d7f1e86"


class Directory:
    """A client whose batch answers GET /users/{upn}?$select=id from a table, counting the calls."""

    def __init__(self, users, status=None):
        self.users, self.status, self.calls = users, status, []

    def batch(self, ops, concurrency):
        self.calls.append([op["path"] for op in ops])
        out = []
        for op in ops:
            upn = op["path"].split("/")[2].split("?")[0].replace("%40", "@")
            if self.status:
                out.append(BatchResult(self.status, {}, None, GraphError(self.status, "X", "no")))
            elif upn.lower() in self.users:
                out.append(BatchResult(200, {}, {"id": self.users[upn.lower()]}))
            else:
                out.append(BatchResult(404, {}, None, GraphError(404, "Request_ResourceNotFound", "gone")))
        return out


def test_object_ids_and_known_spellings_need_no_request_and_each_upn_is_read_once():
    users = [ADELE_ID, None, "Adele.Vance@contoso.com", "adele.vance@contoso.com", "lee.gu@contoso.com"]
    assert organizers.needs_resolving(users, {"lee.gu@contoso.com": "x"}) == ["Adele.Vance@contoso.com"]
    client = Directory({"adele.vance@contoso.com": ADELE_ID})
    entries = [("a[%d]" % i, {"external_id": str(i), "user": user}) for i, user in enumerate(users)]
    mapped, spellings, errors = organizers.of_entries(client, entries, {"lee.gu@contoso.com": "L1"})
    assert len(client.calls) == 1 and client.calls[0] == ["/users/Adele.Vance%40contoso.com?$select=id"]
    assert [spec["user"] for where, spec in mapped] == [ADELE_ID, None, ADELE_ID, ADELE_ID, "L1"]
    assert spellings == {ADELE_ID: "Adele.Vance@contoso.com", "L1": "lee.gu@contoso.com"} and errors == {}
    assert [spec["user"] for where, spec in entries] == users  # the task's entries are never changed


def test_a_refusal_names_the_permission_and_an_unknown_user_says_so():
    ids, errors = organizers.resolve(Directory({}, status=403), ["adele.vance@contoso.com"])
    assert ids == {} and "User.Read.All" in str(errors["adele.vance@contoso.com"])
    ids, errors = organizers.resolve(Directory({}), ["nobody@contoso.com"])
    assert "no such user" in str(errors["nobody@contoso.com"]) and errors["nobody@contoso.com"].status == 404
