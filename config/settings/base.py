"""Settings for every environment. The environment is read here and only here.

The defaults are the embedded ones: an SQLite file and a broker on the file system,
so a laptop needs no server. Set DATABASE_URL and REDIS_URL for PostgreSQL and Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ICSM_VAR_DIR", BASE_DIR / "var"))
# Local state of the embedded defaults (SQLite file, file-system broker, private uploads).
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


INSECURE_SECRET_KEY = "django-insecure-icsm-development-only"
SECRET_KEY = os.environ.get("SECRET_KEY", INSECURE_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Before the admin, as django-modeltranslation asks.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "guardian",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "clusters",
    "missions",
    "commitments",
    "reports",
]

MIDDLEWARE = [
    # Compresses pages for slow field connections (and adds random padding against BREACH,
    # besides Django's masked CSRF tokens); static files come compressed from whitenoise.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before whitenoise and everything that may answer early: every response gets the headers.
    "csp.middleware.CSPMiddleware",
    "clusters.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The cookie, then the browser's languages; a signed-in user's own choice wins (below).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clusters.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages: each says on the next page why it sent the user there.
    "clusters.middleware.StaffIdleTimeoutMiddleware",
    "clusters.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clusters.middleware.MethodNotAllowedPageMiddleware",
    "clusters.middleware.NotFoundPageMiddleware",
    # Last, as django-axes asks: it turns a lock-out into the page that says how long to wait.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Django's, with its commonest form templates written in Python (formats/forms.py).
FORM_RENDERER = "formats.forms.FormRenderer"

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
                "missions.views.home.unread_notifications",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the Celery worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    # No server-side cursors: Django declares one for every QuerySet.iterator(), and so for
    # every select of a form (ModelChoiceField iterates its queryset), four round trips and a
    # cursor held over the commit for a dozen choices. Nothing reads more rows than fit in
    # memory, and a transaction-pooling PgBouncer can sit in front.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses every attempt on an account or from an address that is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # guardian's object permissions, read once per request and object.
    "missions.selectors.missions.RequestObjectPermissionBackend",
    # HCSS, the Task Team and the GCC on every submitted mission, by rule.
    "missions.selectors.missions.GlobalRoleBackend",
]
# guardian looks for its own backend by name; the subclass above is it, caching per request.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
# Direct foreign-key permission tables: one indexed join instead of generic lookups.
GUARDIAN_MONKEY_PATCH_USER = False
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# The perimeter (clusters.security, clusters.middleware) ---------------------------------------
# Login throttling (django-axes): after this many failed logins for an account, or from an
# address, that account or address is locked out until this many minutes pass without a try.
ICSM_LOGIN_FAILURE_LIMIT = int(os.environ.get("ICSM_LOGIN_FAILURE_LIMIT", "5"))
ICSM_LOGIN_COOLOFF_MINUTES = int(os.environ.get("ICSM_LOGIN_COOLOFF_MINUTES", "15"))
AXES_FAILURE_LIMIT = ICSM_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=ICSM_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The page that says how long to wait (registration/lockout.html).
AXES_LOCKOUT_CALLABLE = "clusters.views.password.locked_out"
# A success does not wipe the count: one known password must not reset an address's guesses.
AXES_RESET_ON_SUCCESS = False
# Successful logins in AccessLog, failed ones in AccessFailureLog (both in the admin).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Behind a reverse proxy, the client's address is the proxy's unless it is read from
# X-Forwarded-For: set this to the number of proxies in front of the application.
ICSM_TRUSTED_PROXY_COUNT = int(os.environ.get("ICSM_TRUSTED_PROXY_COUNT", "0"))
if ICSM_TRUSTED_PROXY_COUNT:
    AXES_IPWARE_PROXY_COUNT = ICSM_TRUSTED_PROXY_COUNT
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
# Password reset requests: at most this many per address and per e-mail address in a window.
ICSM_PASSWORD_RESET_LIMIT = int(os.environ.get("ICSM_PASSWORD_RESET_LIMIT", "5"))
ICSM_PASSWORD_RESET_WINDOW_MINUTES = int(os.environ.get("ICSM_PASSWORD_RESET_WINDOW_MINUTES", "15"))

# The second factor (django-otp: an authenticator app, and single-use backup codes) is required
# of staff and of the global roles. Only a development server (DEBUG on) may skip it, and only
# when asked to: bin/run asks, for the demo, and says so. Test and production settings require it.
ICSM_REQUIRE_SECOND_FACTOR = not (DEBUG and env_bool("ICSM_SKIP_SECOND_FACTOR", False))
ICSM_BACKUP_CODE_COUNT = 10
OTP_TOTP_ISSUER = "ICSM"
# The admin never shows a device's secret or its QR code; each user sees their own, once.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Sessions: staff are logged out after this many minutes without a request.
ICSM_STAFF_IDLE_MINUTES = int(os.environ.get("ICSM_STAFF_IDLE_MINUTES", "30"))
# No script of the site reads the CSRF cookie (there is no script of the site).
CSRF_COOKIE_HTTPONLY = True

# Headers. The policy: nothing inline, nothing from elsewhere, never in a frame.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Features no page uses, off for every page (clusters.middleware.PermissionsPolicyMiddleware).
ICSM_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), "
    "serial=(), bluetooth=(), hid=(), screen-wake-lock=(), xr-spatial-tracking=()"
)

LANGUAGE_CODE = "en-gb"
# The six UN languages. The catalogues (locale/) are compiled and committed, so a machine
# without GNU gettext shows them; `make messages` extracts and compiles them again.
LANGUAGES = [
    ("en-gb", "English"),
    ("fr", "Français"),
    ("es", "Español"),
    ("ar", "العربية"),
    ("ru", "Русский"),
    ("zh-hans", "中文"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Reference data (clusters, issues, the framework, criteria, checklist) has a column per
# language; an empty one reads as English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en-gb"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en-gb",)
LANGUAGE_COOKIE_NAME = "icsm_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In development whitenoise serves from the finders; production serves the collected files.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploads are private: kept outside any served folder and handed out by permission-checked views.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "private"))

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    # A broker with no server: messages are files under var/celery.
    CELERY_BROKER_URL = "filesystem://"
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ICSM <icsm@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint tells every step of every render at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}},
}

# The procedure's own settings.
# HCSS aims to triage a request within this many days of its submission.
ICSM_TRIAGE_TARGET_DAYS = int(os.environ.get("ICSM_TRIAGE_TARGET_DAYS", "10"))
ICSM_ATTACHMENT_MAX_BYTES = int(os.environ.get("ICSM_ATTACHMENT_MAX_BYTES", str(10 * 2**20)))
ICSM_ATTACHMENT_MAX_COUNT = int(os.environ.get("ICSM_ATTACHMENT_MAX_COUNT", "10"))
# A tie in the leader's election goes to the more senior candidate ("seniority") or to a
# further round between the tied candidates ("run_off").
ICSM_ELECTION_TIE_RULE = os.environ.get("ICSM_ELECTION_TIE_RULE", "seniority")
if ICSM_ELECTION_TIE_RULE not in ("seniority", "run_off"):
    raise ImproperlyConfigured("ICSM_ELECTION_TIE_RULE must be 'seniority' or 'run_off'.")
# Cross-cutting issue briefings are due before departure: reminders this many days ahead.
ICSM_BRIEFING_REMINDER_DAYS = (14, 3)
# Action points: the owner is reminded this many days before the due date, on it, and this
# many days after it; the leader is told once a point is overdue this long.
ICSM_REMINDER_DAYS_BEFORE = int(os.environ.get("ICSM_REMINDER_DAYS_BEFORE", "7"))
ICSM_REMINDER_DAYS_OVERDUE = int(os.environ.get("ICSM_REMINDER_DAYS_OVERDUE", "7"))
ICSM_ESCALATION_DAYS = int(os.environ.get("ICSM_ESCALATION_DAYS", "30"))

# Mission reports: a recipient's personal download link works this many days after it is
# sent; a PDF rendering that runs longer (seconds) or uses more memory (MiB) fails cleanly.
ICSM_REPORT_LINK_DAYS = int(os.environ.get("ICSM_REPORT_LINK_DAYS", "30"))
ICSM_PDF_TIME_LIMIT = int(os.environ.get("ICSM_PDF_TIME_LIMIT", "90"))
ICSM_PDF_MEMORY_MB = int(os.environ.get("ICSM_PDF_MEMORY_MB", "1024"))

# Demo data (load_demo) is refused where this is False: see production settings.
DEMO_DATA_ALLOWED = True

# Links in e-mails point here.
ICSM_SITE_URL = os.environ.get("ICSM_SITE_URL", "http://127.0.0.1:8000")

# Periodic work, declared once. Each job is a plain function the tests call directly.
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "missions.tasks.outbox_sweep_task",
        "schedule": 60,  # every minute: the notices a lost queueing or a dead worker left
    },
    "deferral-reminders": {
        "task": "missions.tasks.deferral_reminders_task",
        "schedule": 60 * 60,  # hourly; each reminder is claimed once, so reruns are harmless
    },
    "action-point-reminders": {
        "task": "missions.tasks.action_point_reminders_task",
        "schedule": 60 * 60,  # hourly: decided from the current state, each claimed once
    },
    "action-point-digests": {
        "task": "missions.tasks.action_point_digests_task",
        "schedule": 6 * 60 * 60,  # any tick of the week sends the week's digest once
    },
    "point-tally-fold": {
        "task": "missions.tasks.point_tally_fold_task",
        "schedule": 60 * 60,  # hourly: the points' tally is read as a sum of its rows
    },
    "briefing-reminders": {
        "task": "missions.tasks.briefing_reminders_task",
        "schedule": 60 * 60,
    },
    "commitment-round-deadlines": {
        "task": "commitments.tasks.round_deadlines_task",
        "schedule": 60 * 60,  # hourly: rounds past their date close, reminders claimed once
    },
    "documents-sweep": {
        "task": "reports.tasks.documents_sweep_task",
        "schedule": 5 * 60,  # a PDF whose queueing or worker was lost renders without asking
    },
    "follow-up-status-reports": {
        "task": "reports.tasks.followup_status_reports_task",
        "schedule": 6 * 60 * 60,  # any tick of the month makes the month's report once
    },
}
