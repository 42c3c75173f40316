from communities.permissions import Perm, has_perm


def console(request):
    """The console's side navigation needs the viewer's permissions on every console page."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {"console_perms": {perm.value: has_perm(membership, perm) for perm in Perm}}
