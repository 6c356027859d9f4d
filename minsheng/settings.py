"""Settings, read from environment variables with safe defaults.

The defaults run the demo on embedded SQLite. Production sets MINSHENG_SECRET_KEY,
DATABASE_URL and MINSHENG_KEY_FILE; it refuses to start with the demo secret.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("MINSHENG_VAR_DIR", BASE_DIR.parent / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("MINSHENG_DEBUG", False)

DEMO_SECRET_KEY = "minsheng-demo-secret-key-not-for-production"  # noqa: S105
SECRET_KEY = os.environ.get("MINSHENG_SECRET_KEY", DEMO_SECRET_KEY)
KEY_FILE = Path(os.environ.get("MINSHENG_KEY_FILE", VAR_DIR / "keys" / "minsheng.key"))
DEMO_MODE = SECRET_KEY == DEMO_SECRET_KEY


def refuse_demo_secrets_in_production() -> None:
    """Called where the production server starts (wsgi.py): the demo key is public."""
    if DEMO_MODE and not DEBUG and not env_bool("MINSHENG_ALLOW_DEMO_SECRETS"):
        raise ImproperlyConfigured(
            "Refusing to start in production mode with the demo secret key: set MINSHENG_SECRET_KEY "
            "(or MINSHENG_DEBUG=1 for the demo)."
        )


ALLOWED_HOSTS = [
    h for h in os.environ.get("MINSHENG_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o for o in os.environ.get("MINSHENG_CSRF_TRUSTED_ORIGINS", "").split(",") if o
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "minsheng.geo",
    "minsheng.accounts",
    "minsheng.audit",
    "minsheng.sources",
    "minsheng.residents",
    "minsheng.screening",
    "minsheng.pipeline",
    "minsheng.benefits",
    "minsheng.grid",
    "minsheng.synth",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "minsheng.accounts.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "minsheng.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "minsheng.urls"
WSGI_APPLICATION = "minsheng.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "minsheng.accounts.context_processors.navigation",
            ],
        },
    },
]

# SQLite in WAL mode is the embedded default; DATABASE_URL selects PostgreSQL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'minsheng.sqlite3'}"),
        conn_max_age=int(os.environ.get("MINSHENG_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # 16 KiB pages (only a new, empty database takes them; they must come before WAL):
        # a screening rule scans the whole archive, and a quarter as many page reads made
        # city-wide rules a third faster, while a 10,000-row delta import still writes few
        # enough pages. A page cache of up to 512 MB (MINSHENG_SQLITE_CACHE_MB; a connection's
        # cache grows only with the pages it reads): the archive build sorts and stages whole
        # tables, and at full scale it read pages again and again through 256 MB (a full
        # refresh 111 s, a fifth of it in the kernel; 92 s with 512 MB, 91 s with 1 GB).
        # Temporary tables stay on disk (in memory they would cost gigabytes at full scale),
        # and so do the database's pages (mmap gained less, and its pages count as the
        # process's memory).
        "init_command": (
            "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA cache_size=-{int(os.environ.get('MINSHENG_SQLITE_CACHE_MB', '512')) * 1024};"
        ),
    }

elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs up to seconds on the long generated statements of the archive
    # and the screening rules, and pays off only for analytic queries running far longer.
    DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}

# Background jobs (imports, archive refresh, tags) are queued in the database and run by
# `minsheng worker` (pipeline/jobs.py); the same table on SQLite and PostgreSQL.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["minsheng.accounts.backends.LockoutBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# 等保三级: complex passwords, expiry, lockout, idle logout.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "minsheng.accounts.passwords.ComplexityValidator"},
    {"NAME": "minsheng.accounts.passwords.PasswordHistoryValidator"},
]
PASSWORD_HISTORY_COUNT = int(os.environ.get("MINSHENG_PASSWORD_HISTORY_COUNT", "5"))
# Per account: LOCKOUT_THRESHOLD failures (from any addresses) within LOCKOUT_WINDOW_MINUTES
# lock it for LOCKOUT_MINUTES.
LOCKOUT_THRESHOLD = int(os.environ.get("MINSHENG_LOCKOUT_THRESHOLD", "5"))
LOCKOUT_MINUTES = int(os.environ.get("MINSHENG_LOCKOUT_MINUTES", "30"))
LOCKOUT_WINDOW_MINUTES = int(os.environ.get("MINSHENG_LOCKOUT_WINDOW_MINUTES", "30"))
# Per client address (accounts/throttle.py), over a sliding window of LOGIN_THROTTLE_MINUTES:
# LOGIN_THROTTLE_ACCOUNT_FAILURES failures for one account name stop that address trying
# that name, LOGIN_THROTTLE_FAILURES failures for any names stop the address altogether.
LOGIN_THROTTLE_MINUTES = int(os.environ.get("MINSHENG_LOGIN_THROTTLE_MINUTES", "30"))
LOGIN_THROTTLE_FAILURES = int(os.environ.get("MINSHENG_LOGIN_THROTTLE_FAILURES", "10"))
LOGIN_THROTTLE_ACCOUNT_FAILURES = int(
    os.environ.get("MINSHENG_LOGIN_THROTTLE_ACCOUNT_FAILURES", "3")
)
# Reverse proxies in front of the server, each appending to X-Forwarded-For: the throttle
# takes the client address from the entry the outermost one added (0: the peer address).
TRUSTED_PROXIES = int(os.environ.get("MINSHENG_TRUSTED_PROXIES", "1"))


def check_login_limits(
    lockout_threshold: int,
    lockout_window: int,
    throttle_account_failures: int,
    throttle_minutes: int,
) -> None:
    """One address alone must never be able to lock an account: it is throttled for an
    account name before it reaches the lockout threshold, for at least the lockout window."""
    if not 0 < throttle_account_failures < lockout_threshold:
        raise ImproperlyConfigured(
            "MINSHENG_LOGIN_THROTTLE_ACCOUNT_FAILURES must be at least 1 and below "
            "MINSHENG_LOCKOUT_THRESHOLD, or one address could lock an account."
        )
    if throttle_minutes < lockout_window:
        raise ImproperlyConfigured(
            "MINSHENG_LOGIN_THROTTLE_MINUTES must be at least MINSHENG_LOCKOUT_WINDOW_MINUTES, "
            "or one address could lock an account."
        )


check_login_limits(
    LOCKOUT_THRESHOLD,
    LOCKOUT_WINDOW_MINUTES,
    LOGIN_THROTTLE_ACCOUNT_FAILURES,
    LOGIN_THROTTLE_MINUTES,
)
IDLE_TIMEOUT_MINUTES = int(os.environ.get("MINSHENG_IDLE_TIMEOUT_MINUTES", "30"))
PASSWORD_MAX_AGE_DAYS = int(os.environ.get("MINSHENG_PASSWORD_MAX_AGE_DAYS", "90"))
OTP_TOTP_ISSUER = "Minsheng"
SESSION_COOKIE_AGE = IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("MINSHENG_SECURE_COOKIES", not DEBUG and not DEMO_MODE)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Response headers (SecurityMiddleware, XFrameOptionsMiddleware, security.py). HSTS only in
# production mode: a browser remembers it, and would then refuse plain http to a developer's
# localhost. Django sends it on https requests only; behind a TLS-terminating proxy set
# MINSHENG_PROXY_SSL_HEADER=1 so that requests the proxy marks X-Forwarded-Proto: https count.
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("MINSHENG_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = False  # an intranet host is no candidate for the browsers' preload list
if env_bool("MINSHENG_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every script is a static file (no inline <script> or on…= handlers: tests guard the
# templates); inline style attributes remain (chart heights, progress bars).
CONTENT_SECURITY_POLICY = os.environ.get(
    "MINSHENG_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("MINSHENG_STATIC_ROOT", VAR_DIR / "staticfiles"))
WHITENOISE_USE_FINDERS = True
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MINSHENG_LOG_LEVEL", "WARNING")},
}

# Grid work. The smart doorplates' QR codes point at DOORPLATE_BASE_URL, the platform's
# address residents can reach (not the intranet host a clerk prints from); the public page
# answers each client at most DOORPLATE_RATE_LIMIT times in DOORPLATE_RATE_WINDOW seconds
# (counted in the default cache: give several server processes a shared one).
DOORPLATE_BASE_URL = os.environ.get("MINSHENG_DOORPLATE_BASE_URL", "")
DOORPLATE_RATE_LIMIT = int(os.environ.get("MINSHENG_DOORPLATE_RATE_LIMIT", "30"))
DOORPLATE_RATE_WINDOW = int(os.environ.get("MINSHENG_DOORPLATE_RATE_WINDOW", "60"))
