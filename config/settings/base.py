"""Settings shared by every environment; everything that differs comes from the environment."""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "core",
    "accounts",
    "communities",
    "catalog",
    "payments",
    "orders",
    "crowdfunding",
    "engagement",
    "partners",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "core.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login that axes refused into the lockout answer (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "core.context_processors.inbox",
                "communities.context_processors.console",
            ],
        },
    }
]


_PRODUCTION = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".prod")


def _service_urls():
    """DATABASE_URL / REDIS_URL from the environment, or the embedded servers under var/."""
    database = env("DATABASE_URL", default="")
    redis = env("REDIS_URL", default="")
    if (not database or not redis) and not _PRODUCTION:
        from core import devservices

        database = database or devservices.database_url()
        redis = redis or devservices.redis_url()
    if not database or not redis:
        raise environ.ImproperlyConfigured("DATABASE_URL and REDIS_URL are required in production")
    return database, redis


DATABASE_URL, REDIS_URL = _service_urls()
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Reports (analytics) read from DATABASE_REPLICA_URL when it is set: config/settings/replica.py.
from .replica import DATABASE_ROUTERS, replica_databases  # noqa: E402,F401
DATABASES.update(replica_databases(DATABASES["default"]))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def _celery_broker(url: str) -> str:
    # redis-py spells a unix socket unix://PATH; kombu spells it redis+socket://PATH.
    return "redis+socket://" + url[len("unix://"):] if url.startswith("unix://") else url


CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "accounts.backends.PhoneOrEmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
# An expired form gets a friendly page that keeps what was entered (core.views.csrf_failure).
CSRF_FAILURE_VIEW = "core.views.csrf_failure"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request otherwise
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media"))
# Uploads are served by Django from MEDIA_ROOT; in production put a CDN or object storage in front.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=True)
# Share posters draw Chinese text with a CJK font from the machine (never downloaded at run time):
# Debian's fonts-noto-cjk, which scripts/ensure-cjk-font.sh and the Dockerfile install.
# core.posters falls back to other common CJK fonts, and its system check warns when none is found.
POSTER_FONT = env.str("POSTER_FONT", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
POSTER_FONT_BOLD = env.str("POSTER_FONT_BOLD", default="/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Shequn <noreply@shequn.local>")
# Well under the e-mail lease (core.notifications.EMAIL_LEASE), so a hung mail server cannot let
# a second worker claim and send a copy that is still being sent.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# Reverse proxies whose X-Forwarded-For is believed (IPs or CIDRs, comma-separated), e.g. the
# load balancer's address. Empty: REMOTE_ADDR is the client and the header is ignored (core.net).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise environ.ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or a CIDR range")

# Failed logins (page, API, admin alike): per account (its phone and e-mail count as one) and per
# client address, each refused for LOGIN_COOLOFF_MINUTES after its limit. See accounts/lockout.py.
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=20)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
AXES_HANDLER = "accounts.lockout.LoginLimitsHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "accounts.lockout.username_from_credentials"
AXES_CLIENT_IP_CALLABLE = "core.net.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A success clears the account's failures (LoginLimitsHandler), never the address's.
AXES_RESET_ON_SUCCESS = False
# Attempts while locked out do not push the end of the lockout back, so "try again in N minutes" holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures are kept for the cool-off only; a log of every successful login would grow unbounded.
AXES_DISABLE_ACCESS_LOG = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.rest.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "DEFAULT_METADATA_CLASS": "core.rest.APIMetadata",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Throttles derive from core.throttling (keyed on core.net.client_ip); 0 makes any stock DRF
    # throttle use REMOTE_ADDR rather than an X-Forwarded-For that anyone can send.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {"login": env("LOGIN_THROTTLE_RATE", default="30/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Shequn API",
    "DESCRIPTION": "Community-commerce groups: communities, membership, invites, join requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Stable enum names, so apps added later (with their own status fields) do not collide.
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "communities.models.Role",
        "MembershipStatusEnum": "communities.models.Membership.Status",
        "JoinRequestStatusEnum": "communities.models.JoinRequest.Status",
        "JoinPolicyEnum": "communities.models.Community.JoinPolicy",
        "CommunityKindEnum": "communities.models.Community.Kind",
        "PartnerEventTypeEnum": "partners.models.EventType",
        "WebhookDeliveryStatusEnum": "partners.models.WebhookDelivery.Status",
        "PartnerScopeEnum": "partners.models.Scope",
        "PartnerConnectionStatusEnum": "partners.models.Connection.Status",
    },
}

CELERY_BROKER_URL = _celery_broker(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULE = {
    # Sweeps (core.sweeps) run by name through one task; each settles its due rows one by one and
    # skips the rows that keep failing (the console shows those to the community's admins).
    # Communities' own timezones differ; the digest runs hourly and each community's admins get
    # at most one per local day, after 09:00 local time.
    "join-request-digest": {
        "task": "core.tasks.run_sweep",
        "args": ("communities.join_request_digest",),
        "schedule": crontab(minute=5),
    },
    # E-mail copies whose task was lost, whose worker died, or whose retry is due.
    "notification-emails": {
        "task": "core.tasks.run_sweep",
        "args": ("core.notification_emails",),
        "schedule": 60.0,
    },
    # Domain events (core.events) are passed on right after commit; this catches up on the rest.
    "domain-events": {
        "task": "core.tasks.run_sweep",
        "args": ("core.domain_events",),
        "schedule": 60.0,
    },
    "webhook-deliveries": {
        "task": "core.tasks.run_sweep",
        "args": ("partners.webhook_deliveries",),
        "schedule": 30.0,
    },
    "forget-idempotency-keys": {
        "task": "core.tasks.run_sweep",
        "args": ("core.forget_idempotency_keys",),
        "schedule": crontab(minute=17),
    },
    # Orders: every minute (orders/sweeps.py).
    **{
        name: {"task": "core.tasks.run_sweep", "args": (name,), "schedule": 60.0}
        for name in ("orders.open_group_buys", "orders.close_group_buys", "orders.expire_unpaid",
                     "orders.settle_teams", "orders.remind_closing", "orders.remind_unpaid",
                     "orders.remind_transfers", "crowdfunding.settle_campaigns", "crowdfunding.expire_pledges",
                     "crowdfunding.remind_ending", "crowdfunding.remind_transfers",
                     "crowdfunding.remind_collections", "engagement.expire_offers", "engagement.expire_unpaid_rsvps",
                     "engagement.remind_day_before", "engagement.remind_hour_before", "engagement.poll_results")
    },
    # Loyalty: referral rewards whose refund window has passed; repurchase prompts, hourly so each
    # community's members get theirs in the morning of its own timezone (the prompt's unique key
    # makes a rerun send nothing twice).
    "referral-rewards": {"task": "core.tasks.run_sweep", "args": ("engagement.referral_rewards",), "schedule": 600.0},
    "repurchase-prompts": {"task": "core.tasks.run_sweep", "args": ("engagement.repurchase_prompts",),
                           "schedule": crontab(minute=23)},
    # Analytics: each community's rollups are refreshed at 03:00 its own time (due rows, so a run every
    # ten minutes finds each when it is due); exports past their keeping time are deleted.
    "analytics-rollups": {"task": "core.tasks.run_sweep", "args": ("analytics.refresh_rollups",),
                          "schedule": crontab(minute="*/10")},
    "analytics-exports": {"task": "core.tasks.run_sweep", "args": ("analytics.delete_expired_exports",),
                          "schedule": crontab(minute=47)},
}

# Cover images and other uploads.
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # The handler carries the level too: records that propagate from named loggers skip the root's.
    "handlers": {"console": {"class": "logging.StreamHandler", "level": env("LOG_LEVEL", default="INFO")}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # axes: failures and lockouts are warnings; its start-up banner and resets are info.
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Partner shops (partners/). Webhook URLs must be https:// on a public address unless this is
# set (tests and a laptop, where receivers listen on 127.0.0.1).
WEBHOOK_ALLOW_PRIVATE_URLS = env.bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=False)
# Failed attempts in a row after which an endpoint is switched off and its partner told.
WEBHOOK_DISABLE_AFTER = env.int("WEBHOOK_DISABLE_AFTER", default=10)
# Requests per API key: one busy partner system never starves the others.
PARTNER_API_RATE = env("PARTNER_API_RATE", default="600/min")
