"""ampdash settings, read from the environment.

Defaults run locally on SQLite in debug mode. `DJANGO_DEBUG=0` switches to production
behaviour and then requires `DJANGO_SECRET_KEY` and `DJANGO_ALLOWED_HOSTS`.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY to be set.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105  # nosec B105
# Former SECRET_KEYs, newest first, while sessions and stored API keys move to the current one
# (`manage.py reencrypt_api_keys`).
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_DEBUG=0 needs DJANGO_ALLOWED_HOSTS to be set.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "dashboard.apps.OpsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_htmx",
    "django_tasks_db",
    "integrations",
    "accounts",
    "emulator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"
ASGI_APPLICATION = "dashboard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite (WAL) by default; DATABASE_URL switches, e.g. postgres://postgres@127.0.0.1:5432/ampdash
# (empty counts as unset).
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
            conn_health_checks=True,
        )
    }
except ValueError as error:  # dj_database_url's UnknownSchemeError is one
    raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA mmap_size=134217728;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file, not memory: the live-server tests serve the emulator from another thread,
    # which needs its own connection to the same data. One file per process, so parallel
    # runs do not collide.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses a locked-out username and IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/integrations/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic puts the files WhiteNoise serves.
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    if env_bool("DJANGO_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.TokenAuthentication",
        "accounts.authentication.BearerTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Counted in the "shared" cache: by all processes together with REDIS_URL.
    "DEFAULT_THROTTLE_CLASSES": [
        "integrations.api.throttles.AnonRateThrottle",
        "integrations.api.throttles.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "120/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
        # POSTs that start a sync or a deploy (integrations.api.throttles.ActionRateThrottle).
        "api-actions": env_str("API_THROTTLE_ACTIONS", "60/minute"),
    },
}

# Personal API tokens (accounts.ApiToken): stored as SHA-512 digests, never readable again.
# bandit takes these setting and model names for passwords (B105); they hold no secret.
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False}  # nosec B105
KNOX_TOKEN_MODEL = "accounts.ApiToken"  # noqa: S105  # nosec B105
# knox's migrations would create its own token table even though accounts.ApiToken replaces it.
MIGRATION_MODULES = {"knox": None}

SPECTACULAR_SETTINGS = {
    "TITLE": "ampdash API",
    "DESCRIPTION": "The dashboard's data for scripts, scoped to the projects you are a member of.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are public; the data they describe is not.
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Django's <int:...> matches digits only: a negative id is no URL of the API at all.
    "PATH_CONVERTER_OVERRIDES": {"int": {"type": "integer", "minimum": 0}},
}

# Failed logins (django-axes): AXES_FAILURE_LIMIT wrong passwords for one username from one IP
# lock that pair out for AXES_COOLOFF_MINUTES after the last one; the lockout page and its
# Retry-After say when to retry (accounts.views.lockout).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# What is rendered from a snapshot never changes, so pages keep it here (per process). The
# memory it takes is bounded by MAX_ENTRIES times the largest entry: the list keeps pieces of at
# most LIST_CACHE_MAX_PIECE_CHARS characters (larger ones are served, not kept).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": env_int("DJANGO_CACHE_MAX_ENTRIES", 5_000)},
    }
}
LIST_CACHE_MAX_PIECE_CHARS = env_int("LIST_CACHE_MAX_PIECE_CHARS", 100_000)
# What every web process must count together (the API's throttles): in Redis at REDIS_URL
# (e.g. redis://127.0.0.1:6379/0) when it is set; otherwise in this process's memory, which is
# right for one process (runserver) but lets each gunicorn worker count on its own.
REDIS_URL = env_str("REDIS_URL")


def redis_cache(url: str) -> dict[str, Any]:
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "ampdash",
        # An unreachable Redis must not hold a request up (the throttles then let it through).
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


if REDIS_URL:
    CACHES["shared"] = redis_cache(REDIS_URL)
else:
    CACHES["shared"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "shared",
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# --- Ampersand ---------------------------------------------------------------------------
# The emulator of the Ampersand API, served under /emulator/v1/ by this same server.
AMPERSAND_EMULATOR = env_bool("AMPERSAND_EMULATOR", False)
if AMPERSAND_EMULATOR and not DEBUG:
    raise ImproperlyConfigured("AMPERSAND_EMULATOR=1 is for development and tests only.")
# Whether /emulator/ is routed at all: never in production (DJANGO_DEBUG=0). Decided here, as
# the settings load: tests run with DEBUG turned off later and switch AMPERSAND_EMULATOR per
# test, which each emulator view checks on every request.
AMPERSAND_EMULATOR_ROUTED = DEBUG
# Fault injection for the emulator, in the syntax of its X-Emulator-Faults header.
AMPERSAND_EMULATOR_FAULTS = env_str("AMPERSAND_EMULATOR_FAULTS")

PORT = env_int("PORT", 8000)
AMPERSAND_API_URL = env_str(
    "AMPERSAND_API_URL",
    f"http://127.0.0.1:{PORT}/emulator/v1"
    if AMPERSAND_EMULATOR
    else "https://api.withampersand.com/v1",
)
AMPERSAND_API_KEY = env_str("AMPERSAND_API_KEY", "demo-key" if AMPERSAND_EMULATOR else "")
AMPERSAND_PROJECT = env_str("AMPERSAND_PROJECT", "demo" if AMPERSAND_EMULATOR else "")
AMPERSAND_TIMEOUT_SECONDS = float(env_str("AMPERSAND_TIMEOUT_SECONDS", "10"))

# --- Deploy -------------------------------------------------------------------------------
# How long a deploy waits for another deploy of the same project to end before it gives up.
DEPLOY_WAIT_SECONDS = env_int("DEPLOY_WAIT_SECONDS", 60)
