"""Test settings: the base ones, with fast hashing and captured e-mail."""

from config.settings.base import *  # noqa: F403
from config.settings.base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-private"
# Tasks run in-process; the integration tests start a real worker against the real broker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The suite runs with the perimeter on: the second factor required, logins throttled.
ICSM_REQUIRE_SECOND_FACTOR = True
