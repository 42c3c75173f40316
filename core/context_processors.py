from core.models import Notification


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    # Lazy: the query runs only when a template shows the badge.
    return {"inbox_unread": unread}


def console(request):
    """The console's side navigation needs the viewer's permissions on every console page."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    from communities.permissions import Perm, has_perm

    return {"console_perms": {perm.value: has_perm(membership, perm) for perm in Perm}}
