from core.models import Notification


def inbox(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread():
        return Notification.objects.filter(recipient=user, read_at__isnull=True).count()

    # Lazy: the query runs only when a template shows the badge.
    return {"inbox_unread": unread}
