from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ApiToken, User, normalize_phone, validate_phone
from core.exceptions import Conflict, NotFound, ValidationFailed

API_TOKEN_MAX_DAYS = 365


def parse_login(login: str) -> dict:
    """A login is an e-mail address (it has an @) or a phone number: {'email': ...} or {'phone': ...}."""
    login = (login or "").strip()
    if "@" in login:
        try:
            validate_email(login)
        except ValidationError:
            raise ValidationFailed(_("Enter a valid e-mail address."), fields={"login": [_("Enter a valid e-mail address.")]})
        return {"email": login.lower()}
    phone = normalize_phone(login)
    try:
        validate_phone(phone)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields={"login": exc.messages})
    return {"phone": phone}


def user_sign_up(*, login: str, display_name: str, password: str, language: str = "") -> User:
    identity = parse_login(login)
    display_name = (display_name or "").strip()
    if not display_name:
        raise ValidationFailed(_("Tell us what to call you."), fields={"display_name": [_("This field is required.")]})
    candidate = User(display_name=display_name, **identity)
    try:  # lengths and formats, as the columns hold them (an overlong e-mail is a field error, not a 500)
        candidate.full_clean(exclude=["password", "language"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        fields = {"login" if key in ("email", "phone") else key: value for key, value in exc.message_dict.items()}
        raise ValidationFailed(exc.messages[0], fields=fields)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields={"password": exc.messages})
    try:
        with transaction.atomic():
            return User.objects.create_user(password=password, display_name=display_name, language=language, **identity)
    except IntegrityError:
        raise Conflict(
            _("An account with this phone number or e-mail address already exists. Log in instead."),
            code="account_exists",
            fields={"login": [_("Already registered.")]},
        )


def user_update_profile(*, user: User, display_name: str, email: str | None, phone: str | None, language: str) -> User:
    user.display_name = (display_name or "").strip()
    user.email = (email or "").strip().lower() or None
    user.phone = normalize_phone(phone or "") or None
    user.language = language or ""
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ValidationFailed(exc.messages[0], fields=exc.message_dict)
    try:
        with transaction.atomic():
            user.save(update_fields=["display_name", "email", "phone", "language"])
    except IntegrityError:
        raise Conflict(_("Another account uses this phone number or e-mail address."), code="account_exists")
    return user


def user_set_password(*, user: User, password: str | None) -> User:
    """Set a new password (None: no usable password) and revoke every API token of the user.

    Whoever had the old password may have made tokens with it; a password reset or change is
    when the owner takes the account back, so tokens made before it stop working. Callers
    (the reset, change and admin forms) have validated the password already.
    """
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    with transaction.atomic():
        user.save(update_fields=["password"])
        ApiToken.objects.filter(user=user).delete()
    return user


def api_token_create(*, user: User, name: str = "", expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for the user; returns it and its key, which is stored only as a hash."""
    name = (name or "").strip()
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationFailed(_("The name is too long."), fields={"name": [_("At most 60 characters.")]})
    expires_at = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= API_TOKEN_MAX_DAYS:
            message = _("Give a number of days from 1 to %(max)d.") % {"max": API_TOKEN_MAX_DAYS}
            raise ValidationFailed(message, fields={"expires_in_days": [message]})
        expires_at = timezone.now() + timedelta(days=expires_in_days)
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash_key(key), expires_at=expires_at)
    return token, key


def api_token_revoke(*, user: User, token_id: int) -> None:
    """Delete one of the user's tokens; someone else's token is not found, whatever its id."""
    deleted, _rows = ApiToken.objects.filter(pk=token_id, user=user).delete()
    if not deleted:
        raise NotFound(_("No such token."))
