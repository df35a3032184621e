"""Safeharbor settings: read from the environment only (see docs/configuration.md).

Profiles (SAFEHARBOR_ENV):
- production (default): secret key and allowed hosts required, HTTPS-only cookies, HSTS.
- development: what `make run` uses; a secret key is generated once into the data directory.
- test: what the test suite uses; fast password hashing, immediate tasks, in-memory email.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import zoneinfo
from pathlib import Path

import dj_database_url

from safeharbor.core.environment import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_optional,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

ENVIRONMENT = env_choice("SAFEHARBOR_ENV", ("production", "development", "test"), "production")
PRODUCTION = ENVIRONMENT == "production"
TESTING = ENVIRONMENT == "test"

DATA_DIR = Path(env_str("SAFEHARBOR_DATA_DIR", str(PROJECT_DIR / "var"))).resolve()
try:
    # WhiteNoise expects STATIC_ROOT to exist even before the first collectstatic.
    (DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
    if not os.access(DATA_DIR, os.W_OK):
        raise PermissionError(13, "Permission denied")
except OSError as _error:
    raise ConfigurationError(
        f"SAFEHARBOR_DATA_DIR is {str(DATA_DIR)!r}, which cannot be created or written "
        f"({_error.strerror}); point it to a directory this user may write."
    ) from None

DEBUG = env_bool("SAFEHARBOR_DEBUG", False)
if DEBUG and PRODUCTION:
    raise ConfigurationError("SAFEHARBOR_DEBUG cannot be true when SAFEHARBOR_ENV=production.")


def _secret_key() -> str:
    configured = env_optional("SAFEHARBOR_SECRET_KEY")
    if configured:
        if PRODUCTION and len(configured) < 50:
            raise ConfigurationError(
                "SAFEHARBOR_SECRET_KEY must be at least 50 characters in production; "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(64))'"
            )
        return configured
    if PRODUCTION:
        raise ConfigurationError(
            "SAFEHARBOR_SECRET_KEY (or SAFEHARBOR_SECRET_KEY_FILE) is required when "
            "SAFEHARBOR_ENV=production; generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(64))'"
        )
    if TESTING:
        return "test-only-secret-key-" + "x" * 40
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(64), encoding="utf-8")
        key_file.chmod(0o600)
    return key_file.read_text(encoding="utf-8").strip()


SECRET_KEY = _secret_key()


def _media_key() -> bytes | None:
    """The AES-256 key of media kept as evidence for a case (hash matching). Without it the key
    is derived from the secret key, so rotating the secret key would make kept media unreadable:
    production installs that keep media should set their own and back it up."""
    configured = env_optional("SAFEHARBOR_MEDIA_KEY")
    if not configured:
        return None
    try:
        key = base64.urlsafe_b64decode(configured.strip() + "=" * (-len(configured.strip()) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ConfigurationError(
            "SAFEHARBOR_MEDIA_KEY must be 32 bytes in URL-safe base64; generate one with: python "
            "-c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'"
        )
    return key


SAFEHARBOR_MEDIA_KEY = _media_key()

ALLOWED_HOSTS = env_list(
    "SAFEHARBOR_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError(
        "SAFEHARBOR_ALLOWED_HOSTS is required when SAFEHARBOR_ENV=production: "
        "a comma-separated list of host names, e.g. safety.example.org"
    )
CSRF_TRUSTED_ORIGINS = env_list("SAFEHARBOR_CSRF_TRUSTED_ORIGINS", [])
_site_url = env_optional("SAFEHARBOR_SITE_URL")
if _site_url is None and PRODUCTION:
    raise ConfigurationError(
        "SAFEHARBOR_SITE_URL is required when SAFEHARBOR_ENV=production: the public address "
        "used in emailed links, e.g. https://safety.example.org"
    )
SITE_URL = (_site_url or "http://127.0.0.1:8000").rstrip("/")
if not SITE_URL.lower().startswith(("http://", "https://")):
    raise ConfigurationError(
        "SAFEHARBOR_SITE_URL must be the public address, e.g. https://safety.example.org; "
        f"got {SITE_URL!r}."
    )
SITE_NAME = env_str("SAFEHARBOR_SITE_NAME", "Safeharbor")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "safeharbor.core",
    "safeharbor.accounts",
    "safeharbor.passwords",
    "safeharbor.safety",
    "safeharbor.moderation",
    "safeharbor.disclosure",
    "safeharbor.hashmatch",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "safeharbor.core.middleware.SecurityHeadersMiddleware",
    "safeharbor.core.middleware.APIProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "safeharbor.accounts.middleware.RequireMFAMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "safeharbor.urls"
WSGI_APPLICATION = "safeharbor.wsgi.application"
ASGI_APPLICATION = "safeharbor.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safeharbor.core.context_processors.navigation",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'safeharbor.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", _default_sqlite),
            conn_max_age=0 if TESTING else env_int("SAFEHARBOR_DB_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError as error:
    raise ConfigurationError(
        "DATABASE_URL must be a database URL such as postgres://user@host:5432/name or "
        f"sqlite:////absolute/path.sqlite3 ({error})."
    ) from error
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers never both read and then fail to upgrade (which matters for the audit chain).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    DATABASES["default"]["TEST"] = {"NAME": None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["safeharbor.accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"
PASSWORD_HASHERS = [
    "safeharbor.passwords.hashers.NormalizingArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    # Argon2 costs ~100 ms a hash by design; the suite hashes thousands of passwords.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The installation's password policy (NIST SP 800-63B-4 by default; administrators choose).
AUTH_PASSWORD_VALIDATORS = [{"NAME": "safeharbor.passwords.validators.PasswordPolicyValidator"}]
# A breached-password index built with `safeharbor pwned build`; without one, no breach check.
SAFEHARBOR_PWNED_INDEX = env_optional("SAFEHARBOR_PWNED_INDEX")
# An NTLM index, served by the range API with ?mode=ntlm (never used to check passwords).
SAFEHARBOR_PWNED_NTLM_INDEX = env_optional("SAFEHARBOR_PWNED_NTLM_INDEX")
# Outbound HTTP (safeharbor.core.http_client): loopback/private destinations refused unless true.
SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE = env_bool("SAFEHARBOR_OUTBOUND_ALLOW_PRIVATE", False)
# Range API for breach checks when no local index is configured; "off" disables remote checks.
SAFEHARBOR_PWNED_REMOTE_URL = env_str(
    "SAFEHARBOR_PWNED_REMOTE_URL", "off" if TESTING else "https://api.pwnedpasswords.com"
).rstrip("/")
if SAFEHARBOR_PWNED_REMOTE_URL.lower() != "off" and not SAFEHARBOR_PWNED_REMOTE_URL.startswith(
    ("http://", "https://")
):
    raise ConfigurationError(
        "SAFEHARBOR_PWNED_REMOTE_URL must start with http:// or https://, or be off; "
        f"got {SAFEHARBOR_PWNED_REMOTE_URL!r}."
    )
SAFEHARBOR_PWNED_REMOTE_TIMEOUT = env_int(
    "SAFEHARBOR_PWNED_REMOTE_TIMEOUT", 3, minimum=1, maximum=30
)
SAFEHARBOR_PWNED_FAIL_CLOSED = env_bool("SAFEHARBOR_PWNED_FAIL_CLOSED", False)
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour

SAFEHARBOR_LOGIN_MAX_FAILURES = env_int("SAFEHARBOR_LOGIN_MAX_FAILURES", 5, minimum=1)
SAFEHARBOR_LOGIN_LOCKOUT_MINUTES = env_int("SAFEHARBOR_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
SAFEHARBOR_SUDO_MINUTES = env_int("SAFEHARBOR_SUDO_MINUTES", 10, minimum=1, maximum=120)
SAFEHARBOR_ADMIN_PASSWORD = env_optional("SAFEHARBOR_ADMIN_PASSWORD")

# --- Sessions and cookies -------------------------------------------------------------------
SESSION_COOKIE_AGE = env_int("SAFEHARBOR_SESSION_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
if PRODUCTION:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = PRODUCTION and env_bool("SAFEHARBOR_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("SAFEHARBOR_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION and env_bool("SAFEHARBOR_HSTS_PRELOAD", True)
if env_bool("SAFEHARBOR_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
SAFEHARBOR_TRUSTED_PROXY_COUNT = env_int("SAFEHARBOR_TRUSTED_PROXY_COUNT", 0, minimum=0)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_str("SAFEHARBOR_TIME_ZONE", "UTC")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ConfigurationError(
        "SAFEHARBOR_TIME_ZONE must be an IANA time zone such as UTC or Europe/Madrid; "
        f"got {TIME_ZONE!r}."
    ) from None
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "media"

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("SAFEHARBOR_EMAIL_FROM", "Safeharbor <safeharbor@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_url = env_optional("SAFEHARBOR_EMAIL_URL")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif _email_url is None:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    if PRODUCTION:
        raise ConfigurationError(
            "SAFEHARBOR_EMAIL_URL is required when SAFEHARBOR_ENV=production, e.g. "
            "smtp+tls://user:password@mail.example.org:587 (use SAFEHARBOR_EMAIL_URL_FILE for "
            "the secret), or console:// to print messages to the log."
        )
else:
    from safeharbor.core.email_url import parse_email_url

    _email = parse_email_url(_email_url, "SAFEHARBOR_EMAIL_URL")
    EMAIL_BACKEND = _email.backend
    EMAIL_HOST = _email.host
    EMAIL_PORT = _email.port
    EMAIL_HOST_USER = _email.user
    EMAIL_HOST_PASSWORD = _email.password
    EMAIL_USE_TLS = _email.use_tls
    EMAIL_USE_SSL = _email.use_ssl
EMAIL_TIMEOUT = 15

# --- Background tasks -----------------------------------------------------------------------
TASK_BACKEND = env_choice(
    "SAFEHARBOR_TASK_BACKEND",
    ("database", "redis", "immediate"),
    "immediate" if TESTING else "database",
)
REDIS_URL = env_str("SAFEHARBOR_REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "redis": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASK_BACKEND], "QUEUES": ["default"]}}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600}}
if TASK_BACKEND == "redis":
    INSTALLED_APPS.append("django_rq")

# --- Cache ------------------------------------------------------------------------------------
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Logging ----------------------------------------------------------------------------------
LOG_LEVEL = env_choice(
    "SAFEHARBOR_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), "INFO", normalize=str.upper
)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.security.DisallowedHost": {"level": "ERROR"}},
}

# --- Web server (`safeharbor serve` and `safeharbor run`) ---------------------------------------
SAFEHARBOR_BIND = env_str("SAFEHARBOR_BIND", "127.0.0.1:8000")
SAFEHARBOR_WEB_WORKERS = env_int("SAFEHARBOR_WEB_WORKERS", 2, minimum=1, maximum=64)
SAFEHARBOR_WEB_THREADS = env_int("SAFEHARBOR_WEB_THREADS", 4, minimum=1, maximum=64)
SAFEHARBOR_FORWARDED_ALLOW_IPS = env_str("SAFEHARBOR_FORWARDED_ALLOW_IPS", "127.0.0.1")

# --- API --------------------------------------------------------------------------------------
NINJA_PAGINATION_MAX_LIMIT = 200
SAFEHARBOR_API_PAGE_SIZE = 50
