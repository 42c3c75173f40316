"""The split-bill collections' periodic job (imported by crowdfunding/sweeps.py; beat runs it).

A day after a collection opens, those who have not paid yet are reminded once. The sweep holds the
collection's row (FOR NO KEY UPDATE, the first lock of crowdfunding.collections' lock order), and
clears remind_at in the same transaction: a second run, or a retried task, finds nothing due, and
the notices' dedupe keys make a rerun send nothing twice even so.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.sweeps import Sweep, register
from crowdfunding import collections
from crowdfunding.models import Collection


@register
class RemindCollections(Sweep):
    name = "crowdfunding.remind_collections"
    label = _("Reminding participants who have not paid their share")
    # Shares point to the collection by foreign key: a FOR UPDATE would block their key checks.
    lock_no_key = True

    def due(self, now):
        # Served by the partial index cf_collection_remind_due (open collections only).
        return Collection.objects.filter(status=Collection.Status.OPEN, remind_at__lte=now).order_by("remind_at")

    def claim(self, pk, now):
        return (self.due(now).filter(pk=pk).select_related("community", "organizer")
                .select_for_update(skip_locked=True, of=("self",), no_key=True).first())

    def settle(self, collection, now):
        collections.collection_remind_due(collection, now)

    def console_url(self, collection):
        return reverse("crowdfunding_console:collection", kwargs={"slug": collection.community.slug,
                                                                  "pk": collection.pk})
