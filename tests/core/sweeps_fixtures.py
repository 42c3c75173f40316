"""A test-only sweep over communities: a community whose description is "due" is due; settling
it writes "done". Rows listed in ``bad`` raise."""

import threading

from django.urls import reverse

from communities.models import Community
from core.sweeps import Sweep, register


@register
class FlagSweep(Sweep):
    name = "tests.flag_communities"
    label = "Flagging communities"  # not translated: tests read it as is

    def __init__(self, bad=()):
        self.bad = set(bad)
        self.settled = []  # pks, in settle order, from every thread
        self._lock = threading.Lock()

    def due(self, now):
        return Community.objects.filter(description="due").order_by("pk")

    def settle(self, community, now):
        with self._lock:
            self.settled.append(community.pk)
        if community.pk in self.bad:
            Community.objects.filter(pk=community.pk).update(description="half-done")  # rolled back
            raise RuntimeError(f"boom on {community.slug}")
        Community.objects.filter(pk=community.pk).update(description="done")

    def community_id(self, community):
        return community.pk

    def console_url(self, community):
        return reverse("console:dashboard", kwargs={"slug": community.slug})


class ParentFirstSweep(Sweep):
    """A sweep over notifications (the child rows) that locks each one's community (the parent)
    first, the way a sweep over orders locks the round before the order."""

    name = "tests.parent_first"
    label = "Parent first"

    def __init__(self):
        self.locked = []  # ("community", pk) / ("notification", pk) in the order taken

    def due(self, now):
        from core.models import Notification

        return Notification.objects.filter(kind="tests.due").order_by("created_at", "pk")

    def claim(self, pk, now):
        from core.models import Notification

        community_id = Notification.objects.filter(pk=pk).values_list("community_id", flat=True).first()
        if community_id is None or not (Community.objects.select_for_update(skip_locked=True, no_key=True)
                                        .filter(pk=community_id).values_list("pk", flat=True)):
            return None
        self.locked.append(("community", community_id))
        notification = super().claim(pk, now)
        if notification is not None:
            self.locked.append(("notification", pk))
        return notification

    def settle(self, notification, now):
        type(notification).objects.filter(pk=notification.pk).update(kind="tests.done")
