import hashlib
import re
import secrets
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PHONE_RE = re.compile(r"^\+?\d{6,15}$")


def normalize_phone(value: str) -> str:
    """'+86 138-0013-8000' -> '+8613800138000'; spaces, dashes and brackets are dropped."""
    return re.sub(r"[\s\-()]", "", value or "")


def validate_phone(value: str) -> None:
    if not PHONE_RE.match(value):
        raise ValidationError(_("Enter a phone number of 6 to 15 digits, optionally starting with +."), code="phone")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, *, email=None, phone=None, password=None, **extra):
        email = (email or "").strip().lower() or None
        phone = normalize_phone(phone) or None
        if not email and not phone:
            raise ValueError("A user needs an e-mail address or a phone number")
        user = self.model(email=email, phone=phone, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email=None, password=None, *, phone=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email=email, phone=phone, password=password, **extra)

    def create_superuser(self, email=None, password=None, *, phone=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email=email, phone=phone, password=password, **extra)

    def get_by_natural_key(self, login):
        return self.get_by_login(login)

    def get_by_login(self, login: str):
        login = (login or "").strip()
        if "@" in login:
            return self.get(email=login.lower())
        return self.get(phone=normalize_phone(login))


class User(AbstractBaseUser, PermissionsMixin):
    """A person, global across communities; logs in with a phone number or an e-mail address."""

    # Stored lower-cased (services normalise), so a plain unique index is case-insensitive.
    email = models.EmailField(_("e-mail address"), null=True, blank=True, unique=True)
    phone = models.CharField(
        _("phone number"), max_length=16, null=True, blank=True, unique=True, validators=[validate_phone]
    )
    display_name = models.CharField(_("display name"), max_length=60)
    language = models.CharField(_("language"), max_length=10, blank=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(email__isnull=False) | models.Q(phone__isnull=False),
                name="user_has_email_or_phone",
                violation_error_message=_("Give a phone number or an e-mail address."),
            ),
        ]

    def __str__(self):
        return self.display_name or self.email or self.phone or f"#{self.pk}"

    @property
    def login(self) -> str:
        return self.phone or self.email or ""

    def get_full_name(self):
        return str(self)

    def get_short_name(self):
        return str(self)


class ApiToken(models.Model):
    """A key for `Authorization: Token <key>`. A user may hold several (one per app or script).

    Only the SHA-256 of the key is stored: the key is shown once, when the token is made. Keys are
    long random strings, so an unsalted fast hash is enough and keeps the lookup one indexed query.
    """

    # last_used_at is written at most this often per token (a guarded UPDATE), not on every call.
    LAST_USED_RESOLUTION = timedelta(minutes=5)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=60, blank=True)
    key_hash = models.CharField(_("key (SHA-256)"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name or f"#{self.pk}"

    @staticmethod
    def new_key() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())
