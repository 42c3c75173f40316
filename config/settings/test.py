import os

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Two suites may run side by side on one server (a developer and CI): TEST_DB_NAME keeps them apart.
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DB_NAME", default="test_shequn")}  # noqa: F405
# ...and the cache too: every suite and every xdist worker has its own keys in the one Redis, so rows of one
# worker's test database (throttle histories keyed by a key's id) never meet another's with the same id.
CACHES["default"]["KEY_PREFIX"] = "{}-{}".format(  # noqa: F405
    DATABASES["default"]["TEST"]["NAME"], os.environ.get("PYTEST_XDIST_WORKER", "main"))  # noqa: F405
# Tests run task bodies in-process (the site itself always goes through the broker).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
WEBHOOK_ALLOW_PRIVATE_URLS = True  # receivers in the tests listen on 127.0.0.1
WEBHOOK_KICK_DEBOUNCE = 0  # every kick runs (eagerly): tests see deliveries as soon as they commit
# The suite needs no replica (tests/analytics/test_replica.py starts a real one itself).
DATABASES.pop("replica", None)  # noqa: F405
