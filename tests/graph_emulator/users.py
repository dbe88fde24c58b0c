"""GET /users/{id | userPrincipalName}: the directory read a client uses to turn a UPN into the object id that
application-token onlineMeetings calls need (graph-today.md 2.1: peers resolve it with
``GET /v1.0/users/{upn}?$select=id``).  Served in both profiles.

Permissions (user-get.md): delegated User.Read for the signed-in user, User.ReadBasic.All, User.Read.All,
Directory.Read.All (or their ReadWrite forms) for anyone; application User.ReadBasic.All, User.Read.All,
Directory.Read.All (or ReadWrite).  Without one: 403 ``Authorization_RequestDenied`` "Insufficient privileges to
complete the operation." (the directory's denial).  Unknown user: 404 ``Request_ResourceNotFound``.
"""

from .errors import GraphError, bad_request, user_not_found

PERMISSION = "user.read"
ANY_USER = {"User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All",
            "Directory.ReadWrite.All"}
SIGNED_IN_USER = ANY_USER | {"User.Read", "User.ReadWrite"}
# user-get.md: the default property set of GET /users/{id}.
DEFAULT_PROPERTIES = ("businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
                      "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id")


def authorize(principal, owner_id):
    """The user ``owner_id`` (object id or UPN) names, once the token may read it; privileges are checked first."""
    user = principal.tenant.find_user(owner_id)
    is_self = principal.user is not None and user is not None and user.id == principal.user.id
    if not principal.permissions & (SIGNED_IN_USER if is_self else ANY_USER):
        raise GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
    if user is None:
        raise user_not_found(owner_id)
    return user


def view(public_url, version, user, select):
    """The user as GET /users/{id}[?$select=...] returns it: the default properties, or only the selected ones."""
    entity = {name: None for name in DEFAULT_PROPERTIES}
    entity.update(businessPhones=[], displayName=user.display_name, userPrincipalName=user.upn, id=user.id)
    context = "%s/%s/$metadata#users/$entity" % (public_url, version)
    if select:
        names = [name.strip() for name in select.split(",") if name.strip()]
        for name in names:
            if name not in entity:
                raise bad_request("Parsing OData Select and Expand failed: Could not find a property named '%s' on "
                                  "type 'microsoft.graph.user'." % name)
        entity = {name: entity[name] for name in names}
        context = "%s/%s/$metadata#users(%s)/$entity" % (public_url, version, ",".join(names))
    body = {"@odata.context": context}
    body.update(entity)
    return body
