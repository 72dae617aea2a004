"""Settings for the MSP onboarding portal.

Every value comes from the environment through the typed helpers in portal/env.py, with embedded
defaults that run on a laptop with nothing else installed (SQLite and a file-system Celery broker
under var/). `.env.example` documents each variable; portal/checks.py reports bad combinations.
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import dj_database_url

from portal.env import env, envbool, envint, envlist, envurl

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = envbool("DJANGO_DEBUG", False)
# Development-only fallback so `make demo` runs with no configuration; checks.py refuses it in
# production (DEBUG off and a non-loopback base URL).
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env("DJANGO_SECRET_KEY", DEV_SECRET_KEY)
PORTAL_BASE_URL = envurl("PORTAL_BASE_URL", "http://127.0.0.1:8000")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "rest_framework",
    "knox",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "portal.apps.PortalConfig",
    "accounts",
    "tenants",
    "onboarding",
    "notifications",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ClientAddressMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "portal.middleware.RejectNulInQuery",
    "portal.middleware.NoStoreForConsentLinks",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # request.user.is_verified() for the TOTP second factor, then the step that asks for it.
    "django_otp.middleware.OTPMiddleware",
    "accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.StaffSessionLimit",  # after messages: it says why you are signed out
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Turns a rate-limited request into RATELIMIT_VIEW's 429 (without it, a plain 403 page).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last: turns a sign-in refused by django-axes (too many failures) into the lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Refuses any sign-in (login page, admin) while the account is locked out from that address.
    "axes.backends.AxesStandaloneBackend",
    # Local passwords (refused under the Microsoft-only policy, except break-glass accounts).
    "accounts.backends.StaffPasswordBackend",
    "accounts.backends.MicrosoftSignInBackend",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Workers and the web process share the file: wait for locks instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    # Transactions take the write lock when they begin, so concurrent ones wait for it (up to the
    # timeout) instead of failing with "database is locked" when a read lock cannot be upgraded.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so that a real worker process started by a test sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-portal.sqlite3")}
ONBOARDING_PIPELINE = env(
    "ONBOARDING_PIPELINE", "onboarding.pipeline.STEPS"
)  # tests swap in short ones
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
if env("CACHE_URL").startswith("redis"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL"),
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Local passwords go through StaffPasswordBackend (refused under STAFF_SIGNIN_REQUIRED except for
# break-glass users); Microsoft sign-ins log in through MicrosoftSignInBackend
# (accounts/microsoft.py).
LOGIN_URL = "login"
# --- staff accounts (accounts/) ------------------------------------------------------------------
# Failed sign-ins (wrong password, or wrong second-factor code) from one address for one account
# before that account is locked out from that address, and for how long (django-axes).
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_COOLOFF_MINUTES = envint("LOGIN_COOLOFF_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures are forgotten after the cool-off, not at a successful password: a guessed password must
# not reset the count of wrong second-factor codes.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
# The client's address: portal.middleware.ClientAddressMiddleware sets REMOTE_ADDR behind the proxy.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
# Local (password) sign-in asks for a TOTP code from an authenticator app; people without one are
# sent to enrol first. Default: on in production (DJANGO_DEBUG off). Microsoft sign-ins skip it.
STAFF_LOCAL_MFA_REQUIRED = envbool("STAFF_LOCAL_MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = env("MSP_NAME", "Your MSP") + " onboarding"
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait for the next try (1 s, 2 s, 4 s...)
# Personal API tokens (django-rest-knox: only a hash is stored): their lifetime, and how often their
# "last used" time is written (not at every request).
API_TOKEN_DAYS = envint("API_TOKEN_DAYS", 365, minimum=1)
API_TOKEN_LAST_USED_EVERY_SECONDS = envint("API_TOKEN_LAST_USED_EVERY_SECONDS", 60, minimum=0)
KNOX_TOKEN_MODEL = "accounts.ApiToken"
# knox's own migrations create its AuthToken table even though accounts.ApiToken replaces it.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_DAYS),
    "AUTH_HEADER_PREFIX": "Token",  # api.md: `Authorization: Token <key>`
    "AUTO_REFRESH": False,
}
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- security -------------------------------------------------------------------------------
SECURE_COOKIES = PORTAL_BASE_URL.startswith("https://")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session ends when the browser closes, and at the latest after a working day (Django's default is
# two weeks): a shared or stolen laptop does not stay signed in to every customer's onboarding.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


# --- field encryption -------------------------------------------------------------------------
def _dev_fernet_key(secret: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(("fernet:" + secret).encode()).digest()).decode()


FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS") or [_dev_fernet_key(SECRET_KEY)]
FIELD_ENCRYPTION_KEYS_FROM_ENV = bool(envlist("FIELD_ENCRYPTION_KEYS"))

# --- Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem"):
    CELERY_BROKER_TRANSPORT = "portal.broker:Transport"  # publishes each message file atomically
    _queue_dir = VAR_DIR / "celery" / "queue"
    (VAR_DIR / "celery" / "processed").mkdir(parents=True, exist_ok=True)
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }
else:
    # A message unacknowledged for this long is redelivered: longer than any step's lease.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 3600)
    }
# The queue jobs go to. Portals sharing one Redis database each need their own (tests use one per
# test).
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
SWEEP_INTERVAL_SECONDS = envint("SWEEP_INTERVAL_SECONDS", 15, minimum=1)
# A job no worker has picked up this long after it was sent is sent again (a message lost by the
# broker).
REDISPATCH_AFTER_SECONDS = envint(
    "REDISPATCH_AFTER_SECONDS", max(60, 4 * SWEEP_INTERVAL_SECONDS), minimum=5
)
CELERY_BEAT_SCHEDULE = {
    "sweep-onboarding-steps": {
        "task": "onboarding.sweep",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "daily-manager-digest": {"task": "onboarding.send_manager_digest", "schedule": 24 * 3600.0},
    "daily-secret-rotation": {
        "task": "onboarding.rotate_expiring_secrets",
        "schedule": 24 * 3600.0,
    },
}
# Every live tenant is health-checked this often (api.md v1.1); the sweep that sends the checks runs
# a few times per interval and sends at most HEALTH_SWEEP_BATCH checks each time.
HEALTH_CHECK_INTERVAL_MINUTES = envint("HEALTH_CHECK_INTERVAL_MINUTES", 60, minimum=1)
HEALTH_SWEEP_BATCH = envint("HEALTH_SWEEP_BATCH", 500, minimum=1)
CELERY_BEAT_SCHEDULE["health-check-sweep"] = {
    "task": "onboarding.health_sweep",
    "schedule": min(300.0, HEALTH_CHECK_INTERVAL_MINUTES * 60 / 4),
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- the onboarding engine --------------------------------------------------------------------
STEP_LEASE_SECONDS = envint("STEP_LEASE_SECONDS", 300, minimum=5)
# A last-resort guard: a step whose worker died this many times in a row (no outcome) fails.
STEP_MAX_ATTEMPTS = envint("STEP_MAX_ATTEMPTS", 8, minimum=1)
STEP_RETRY_BASE_SECONDS = envint("STEP_RETRY_BASE_SECONDS", 5, minimum=0)
# Transient trouble is retried for a time, not a number of attempts (onboarding/engine/budgets.py):
# an outage (5xx, timeouts) this long, throttling (429, Retry-After honoured) this long; Entra
# replication within ENTRA_REPLICATION_SECONDS / ENTRA_SECRET_PROPAGATION_SECONDS below.
OUTAGE_BUDGET_MINUTES = envint("OUTAGE_BUDGET_MINUTES", 30, minimum=1)
THROTTLE_BUDGET_MINUTES = envint("THROTTLE_BUDGET_MINUTES", 30, minimum=1)
CONSENT_LINK_HOURS = envint("CONSENT_LINK_HOURS", 72, minimum=1)
CONSENT_WAIT_DAYS = envint("CONSENT_WAIT_DAYS", 14, minimum=1)
REVIEW_WAIT_DAYS = envint("REVIEW_WAIT_DAYS", 30, minimum=1)
ROUTING_WAIT_SECONDS = envint("ROUTING_WAIT_SECONDS", 3600, minimum=0)
# The sync app's secret is rotated this many days before it expires (domain.md §6).
SECRET_ROTATE_DAYS = envint("SECRET_ROTATE_DAYS", 30, minimum=1)

# --- external services --------------------------------------------------------------------------
MICROSOFT_LOGIN_URL = envurl("MICROSOFT_LOGIN_URL", "https://login.microsoftonline.com", ("https",))
MICROSOFT_GRAPH_URL = envurl("MICROSOFT_GRAPH_URL", "https://graph.microsoft.com", ("https",))
# Where customers' browsers go for admin consent (the sandbox serves people on a plain-http front).
MICROSOFT_LOGIN_BROWSER_URL = envurl("MICROSOFT_LOGIN_BROWSER_URL", "") or MICROSOFT_LOGIN_URL
ENTRA_ADMIN_CENTER_URL = envurl("ENTRA_ADMIN_CENTER_URL", "https://entra.microsoft.com")
MSP_APP_CLIENT_ID = env("MSP_APP_CLIENT_ID")
MSP_APP_CLIENT_SECRET = env("MSP_APP_CLIENT_SECRET")
SYNC_APP_DISPLAY_NAME = env("SYNC_APP_DISPLAY_NAME", "ProofPoint")
# How long a new app or secret may take to work in Entra before the step gives up (domain.md §3).
ENTRA_REPLICATION_SECONDS = envint("ENTRA_REPLICATION_SECONDS", 60, minimum=1)
ENTRA_SECRET_PROPAGATION_SECONDS = envint("ENTRA_SECRET_PROPAGATION_SECONDS", 120, minimum=1)
# Staff sign-in with Microsoft Entra ID (api.md v1.1): a single-tenant app in the MSP's own tenant.
# Off while STAFF_SIGNIN_TENANT_ID is empty. The secret is never logged or rendered.
STAFF_SIGNIN_TENANT_ID = env("STAFF_SIGNIN_TENANT_ID").lower()
STAFF_SIGNIN_CLIENT_ID = env("STAFF_SIGNIN_CLIENT_ID")
STAFF_SIGNIN_CLIENT_SECRET = env("STAFF_SIGNIN_CLIENT_SECRET")
STAFF_SIGNIN_REQUIRED = envbool("STAFF_SIGNIN_REQUIRED", False)  # local passwords: break-glass only
STAFF_BREAK_GLASS_USERS = envlist("STAFF_BREAK_GLASS_USERS", "")
STAFF_SESSION_HOURS = envint(
    "STAFF_SESSION_HOURS", 12, minimum=1
)  # a Microsoft sign-in lasts at most
PROOFPOINT_API_URL = envurl("PROOFPOINT_API_URL", "")
# White-label Proofpoint hosts a tenant's custom stack may use (host or host:port, comma-separated).
# The only hosts besides the ones above that ever receive the channel-admin credentials.
PROOFPOINT_CUSTOM_HOSTS = [host.lower() for host in envlist("PROOFPOINT_CUSTOM_HOSTS", "")]
PROOFPOINT_API_USER = env("PROOFPOINT_API_USER")
PROOFPOINT_API_PASSWORD = env("PROOFPOINT_API_PASSWORD")
PROOFPOINT_PARTNER_DOMAIN = env("PROOFPOINT_PARTNER_DOMAIN").lower()
OUTBOUND_CA_BUNDLE = env("OUTBOUND_CA_BUNDLE")
# The resolver for the MX check: "host" or "host:port" entries; empty = the system's resolver.
DNS_NAMESERVERS = envlist("DNS_NAMESERVERS", "")
DNS_TIMEOUT_SECONDS = envint("DNS_TIMEOUT_SECONDS", 5, minimum=1)
OUTBOUND_TIMEOUT_SECONDS = envint("OUTBOUND_TIMEOUT_SECONDS", 30, minimum=1)
PROOFPOINT_STACKS_FILE = Path(
    env("PROOFPOINT_STACKS_FILE", str(BASE_DIR / "onboarding" / "stacks.json"))
)
# Licences given to an org the portal creates (create_proofpoint_org); the MSP adjusts them in
# Proofpoint.
PROOFPOINT_NEW_ORG_USER_LICENSES = envint("PROOFPOINT_NEW_ORG_USER_LICENSES", 0, minimum=0)
# Check a tenant with Microsoft and Proofpoint when it is saved and at Start (tenants/preflight.py).
TENANT_PREFLIGHT = envbool("TENANT_PREFLIGHT", True)
PROOFPOINT_IMPORT_BATCH_SIZE = envint("PROOFPOINT_IMPORT_BATCH_SIZE", 200, minimum=1)
# The whole fleet (issue 14): the partner org's stack (discovery lists its child orgs there), the
# page
# size asked for when listing them, and how many onboarding jobs may work at once against one
# Proofpoint partner and one customer's Graph tenant (the rest wait their turn, they do not fail).
PROOFPOINT_PARTNER_STACK = env("PROOFPOINT_PARTNER_STACK", "us1").lower()
PROOFPOINT_ORGS_PAGE_SIZE = envint("PROOFPOINT_ORGS_PAGE_SIZE", 200, minimum=1)
MAX_JOBS_IN_FLIGHT_PER_PARTNER = envint("MAX_JOBS_IN_FLIGHT_PER_PARTNER", 10, minimum=1)
MAX_JOBS_IN_FLIGHT_PER_GRAPH_TENANT = envint("MAX_JOBS_IN_FLIGHT_PER_GRAPH_TENANT", 2, minimum=1)
IN_FLIGHT_DEFER_SECONDS = envint("IN_FLIGHT_DEFER_SECONDS", 5, minimum=1)
REPORT_STALE_HOURS = envint(
    "REPORT_STALE_HOURS", 24, minimum=1
)  # the review page suggests a rebuild after this

# --- email ------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "onboarding.outbox.OutboxBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_HOST_FROM_ENV = bool(env("EMAIL_HOST"))  # the SMTP backend needs it said (portal/checks.py)
# The directory the file backend (django.core.mail.backends.filebased.EmailBackend) writes to.
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH") or None
EMAIL_PORT = envint("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Onboarding portal <onboarding@localhost>")
MSP_NAME = env("MSP_NAME", "Your MSP")
DEMO_OUTBOX = envbool("DEMO_OUTBOX", EMAIL_BACKEND == "onboarding.outbox.OutboxBackend")

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["portal.permissions.IsStaffMember"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [],
    "EXCEPTION_HANDLER": "portal.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MSP onboarding portal API",
    "VERSION": "1.0.0",
    "DESCRIPTION": "Tenants, onboardings and the sync review report. Auth: `Authorization: Token "
    "<key>`.",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The schema and Swagger UI need a staff session or token, like the API itself.
    "SERVE_PERMISSIONS": ["portal.permissions.IsStaffMember"],
    # Swagger UI's files come from the installed sidecar package, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema states the rules the API enforces (lengths, NUL, domain syntax, "ids or filter").
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "onboarding.api.schema.state_the_rules",
    ],
}
# Webhook deliveries are retried with exponential backoff (30 s doubling, at most an hour apart).
WEBHOOK_MAX_RETRIES = envint("WEBHOOK_MAX_RETRIES", 8, minimum=0)
# Webhooks go to public addresses only (no loopback, private, link-local or cloud metadata address);
# true lets them reach a PSA on the MSP's own network.
WEBHOOK_ALLOW_PRIVATE_TARGETS = envbool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)

RATELIMIT_VIEW = "portal.views.rate_limited"

# Error reports (the 500 email to ADMINS, DEBUG's technical page) mask consent tokens and the
# callbacks' state/code/id_token, like every log line (portal/logging.py).
DEFAULT_EXCEPTION_REPORTER = "portal.logging.SafeErrorReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.logging.SafeErrorReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "portal.logging.RedactSecrets"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "one_line_403": {"()": "portal.logging.OneLineForbidden"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "redact"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "msal": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        # Django's own handlers, replaced by ones that mask paths: request errors ("Not Found:
        # /consent/<token>/") and runserver's access log.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A 403 is one line with its reason (portal/logging.py), not a traceback.
        "django.request": {"filters": ["one_line_403"]},
    },
}
