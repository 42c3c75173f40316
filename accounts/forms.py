from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.lockout import lockout_of
from core.notifications import KINDS, kinds_grouped

TOO_MANY_ATTEMPTS = "too_many_attempts"


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Phone or e-mail"), max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username", "inputmode": "email"}),
    )
    error_messages = {
        "invalid_login": _("The phone number, e-mail address or password is not right. Try again."),
        "inactive": _("This account is inactive."),
    }

    lockout = None  # set when the login limits (accounts.lockout) refused the attempt

    def get_invalid_login_error(self):
        self.lockout = lockout_of(self.request)
        if self.lockout is not None:
            return ValidationError(self.lockout.message, code=TOO_MANY_ATTEMPTS)
        return super().get_invalid_login_error()


class _PasswordThroughService:
    """Django's password forms, saving through accounts.services.user_set_password (which also
    revokes the user's API tokens)."""

    def set_password_and_save(self, user, password_field_name="password1", commit=True):
        if not commit:
            return super().set_password_and_save(user, password_field_name=password_field_name, commit=False)
        return services.user_set_password(user=user, password=self.cleaned_data[password_field_name])


class SetPasswordForm(_PasswordThroughService, auth_forms.SetPasswordForm):
    """The last step of a password reset by e-mail."""


class PasswordChangeForm(_PasswordThroughService, auth_forms.PasswordChangeForm):
    """Change the password while logged in (knowing the old one)."""


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    def set_password_and_save(self, user, commit=True, **kwargs):
        if not commit:
            return super().set_password_and_save(user, commit=False, **kwargs)
        usable = self.cleaned_data.get("set_usable_password", True)
        return services.user_set_password(user=user, password=self.cleaned_data["password1"] if usable else None)


class SignUpForm(forms.Form):
    login = forms.CharField(label=_("Phone or e-mail"), max_length=254,
                            widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
                            help_text=_("You will log in with it."))
    display_name = forms.CharField(label=_("Your name"), max_length=60,
                                   help_text=_("How other members see you."))
    password = forms.CharField(label=_("Password"), min_length=8,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text=_("At least 8 characters, not only digits."))


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=60)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Browser default"))] + list(settings.LANGUAGES),
                                 required=False)


class NotificationSettingsForm(forms.Form):
    def __init__(self, *args, opt_outs=(), **kwargs):
        super().__init__(*args, **kwargs)
        off_all = {kind for kind, channel in opt_outs if channel == "all"}
        off_email = {kind for kind, channel in opt_outs if channel == "email"}
        for kind, label in KINDS.items():
            self.fields[f"inbox_{kind}"] = forms.BooleanField(label=label, required=False,
                                                             initial=kind not in off_all)
            self.fields[f"email_{kind}"] = forms.BooleanField(label=_("By e-mail"), required=False,
                                                             initial=kind not in off_all and kind not in off_email)

    def rows(self):
        return [(self[f"inbox_{kind}"], self[f"email_{kind}"]) for kind in KINDS]

    def groups(self):
        """[(group label, [(kind, inbox field, e-mail field)])]: every kind once, grouped for the page."""
        return [(label, [(kind, self[f"inbox_{kind}"], self[f"email_{kind}"]) for kind in kinds])
                for label, kinds in kinds_grouped()]
