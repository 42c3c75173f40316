"""Console: the community's analytics exports (a leader's own) with download links, and a form to
ask for a new one. The file is written in the background (analytics.tasks)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics import exports, selectors
from analytics.models_exports import AnalyticsExport
from communities.pages import community_page
from communities.permissions import Perm, acts_community_wide
from core.exceptions import Conflict, DomainError


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"), choices=AnalyticsExport.Kind.choices)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=list(selectors.PERIOD_CHOICES.items()),
                               initial="30d")
    month = forms.CharField(label=gettext_lazy("Month"), max_length=7, required=False,
                            help_text=gettext_lazy("With “A month”: e.g. 2026-11"))
    start = forms.CharField(label=gettext_lazy("From"), max_length=10, required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.CharField(label=gettext_lazy("To"), max_length=10, required=False,
                          widget=forms.DateInput(attrs={"type": "date"}))
    branch = forms.ModelChoiceField(label=gettext_lazy("Branch"), queryset=None, required=False,
                                    empty_label=gettext_lazy("The whole community"))

    def __init__(self, *args, community, membership, **kwargs):
        super().__init__(*args, **kwargs)
        if acts_community_wide(membership):
            self.fields["branch"].queryset = community.active_branches().order_by("name")
        else:
            del self.fields["branch"]  # a leader exports their own branch


@community_page(Perm.VIEW_ANALYTICS)
def export_list(request, community, membership):
    form = ExportForm(request.POST or None, community=community, membership=membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = selectors.period_from(community, period=data["period"], month=data["month"],
                                           start=data["start"], end=data["end"])
            exports.export_request(actor=membership, kind=data["kind"], period=period, period_name=data["period"],
                                   branch=data.get("branch"))
        except DomainError as error:
            for field, errors in (error.fields or {}).items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.fields:
                form.add_error(None, error.message)
        else:
            messages.success(request, _("The export is being prepared. It will be listed here, ready to download."))
            return redirect("analytics_console:exports", community.slug)
    page = Paginator(exports.exports_visible(membership), 50).get_page(request.GET.get("page"))
    return render(request, "analytics/exports.html", {
        "community": community, "membership": membership, "form": form, "page": page, "section": "analytics",
        "keep_days": exports.KEEP_FOR.days})


@community_page(Perm.VIEW_ANALYTICS)
def export_download(request, community, membership, pk):
    export = exports.export_for_download(membership, pk)
    if export.status != AnalyticsExport.Status.READY or not export.file:
        raise Conflict(_("This export is not ready."), code="export_not_ready")
    return FileResponse(export.file.open("rb"), as_attachment=True, content_type="text/csv; charset=utf-8",
                        filename=export.file.name.rsplit("/", 1)[-1])
