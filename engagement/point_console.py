"""Console page of the points area (admins, desktop): the community's levels (name and the
lifetime points they start from, up to ten), how many members are at each level now, and the
leaderboard of the week. Levels change through engagement.levels.levels_set (Perm.MANAGE_LOYALTY);
a refused list shows its errors on the form and changes nothing."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from communities.permissions import Perm
from core.exceptions import DomainError
from engagement import levels as services
from engagement import points
from communities.pages import console_context as _ctx
from communities.pages import console_page

SECTION = "loyalty"


class LevelsForm(forms.Form):
    """Up to ten rows of (name, from lifetime points); empty rows are left out. Bounds and order
    are the service's (engagement.levels.levels_set), shown back on the form."""

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(services.MAX_LEVELS):
            self.fields[f"name_{i}"] = forms.CharField(
                label=gettext_lazy("Name"), required=False, max_length=20, strip=True,
                initial=levels[i].name if i < len(levels) else "")
            self.fields[f"points_{i}"] = forms.CharField(
                label=gettext_lazy("From lifetime points"), required=False, max_length=12, strip=True,
                initial=levels[i].min_points if i < len(levels) else "",
                widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def rows(self):
        return [(self[f"name_{i}"], self[f"points_{i}"]) for i in range(services.MAX_LEVELS)]

    def levels(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [(data[f"name_{i}"], data[f"points_{i}"]) for i in range(services.MAX_LEVELS)
                if data.get(f"name_{i}") or data.get(f"points_{i}")]


def week_board(community) -> list:
    """The top 20 of the week, each row with its branch's name (two queries)."""
    rows = points.leaderboard(community, period="week")
    names = dict(community.branches.filter(pk__in={r.branch_id for r in rows if r.branch_id})
                 .values_list("pk", "name")) if any(r.branch_id for r in rows) else {}
    for row in rows:
        row.branch_name = names.get(row.branch_id, "")
    return rows


def _url(community) -> str:
    return reverse("engagement_console:levels", kwargs={"slug": community.slug})


@console_page(Perm.MANAGE_LOYALTY)
def levels(request, community, membership):
    current = services.levels_of(community)
    form = LevelsForm(request.POST if request.method == "POST" else None, levels=current)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.levels_set(actor=membership, levels=form.levels())
            except DomainError as error:
                for message in (error.fields or {}).get("levels", [error.message]):
                    form.add_error(None, message)
            else:
                messages.success(request, _("The levels were saved."))
                return redirect(_url(community))
    return render(request, "engagement/points/console/levels.html", _ctx(
        community, membership, SECTION, form=form,
        members=services.members_per_level(community, current),
        custom=services.has_own_levels(community),
        board=week_board(community)),
        status=400 if request.method == "POST" else 200)
