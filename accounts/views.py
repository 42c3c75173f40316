from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import forms, selectors, services
from core.exceptions import DomainError, NotFound
from core.forms import add_domain_error
from core.models import NotificationOptOut
from core.notifications import KINDS, set_opt_outs


def _safe_next(request, default="home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse_lazy(default)


def signup(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = forms.SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_sign_up(language=request.LANGUAGE_CODE, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            login(request, user, backend="accounts.backends.PhoneOrEmailBackend")
            messages.success(request, _("Welcome, %(name)s!") % {"name": user.display_name})
            return redirect(_safe_next(request))
    return render(request, "accounts/signup.html", {"form": form, "next": request.GET.get("next", "")})


class LoginView(auth_views.LoginView):
    form_class = forms.LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.lockout is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.lockout.seconds)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = forms.SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = forms.PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your password was changed. Your API tokens were revoked."))
        return response


@login_required
@require_POST
def api_token_revoke(request, token_id):
    try:
        services.api_token_revoke(user=request.user, token_id=token_id)
    except NotFound:
        raise Http404
    messages.success(request, _("The token was revoked. Apps using it must log in again."))
    return redirect(reverse("profile") + "#api-tokens")


@login_required
def profile(request):
    user = request.user
    profile_form = forms.ProfileForm(
        request.POST if request.POST.get("form") == "profile" else None,
        initial={"display_name": user.display_name, "email": user.email, "phone": user.phone,
                 "language": user.language},
    )
    opt_outs = list(NotificationOptOut.objects.filter(user=user).values_list("kind", "channel"))
    notice_form = forms.NotificationSettingsForm(
        request.POST if request.POST.get("form") == "notifications" else None, opt_outs=opt_outs
    )
    if request.method == "POST" and request.POST.get("form") == "profile" and profile_form.is_valid():
        try:
            services.user_update_profile(user=user, **profile_form.cleaned_data)
        except DomainError as error:
            add_domain_error(profile_form, error)
        else:
            messages.success(request, _("Your profile was saved."))
            response = redirect("profile")
            if user.language:
                from django.conf import settings

                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language)
            return response
    if request.method == "POST" and request.POST.get("form") == "notifications" and notice_form.is_valid():
        data = notice_form.cleaned_data
        set_opt_outs(
            user=user,
            all_off={kind for kind in KINDS if not data[f"inbox_{kind}"]},
            email_off={kind for kind in KINDS if not data[f"email_{kind}"]},
        )
        messages.success(request, _("Your notification settings were saved."))
        return redirect("profile")
    memberships = user.memberships.filter(status="active", community__parent__isnull=True).select_related("community")
    return render(request, "accounts/profile.html", {
        "profile_form": profile_form, "notice_form": notice_form, "memberships": memberships,
        "api_tokens": selectors.api_token_list(user=user),
    })
