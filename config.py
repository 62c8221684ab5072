"""Configuration classes, read from the environment.

Pick one with the ``CATALOG_ENV`` variable (``development``, ``production`` or
``testing``); ``create_app`` does that for you. Every secret comes from the
environment; the development defaults only work on a developer's own machine.
"""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

# A value the production config refuses, so a forgotten SECRET_KEY cannot slip through.
DEVELOPMENT_SECRET_KEY = "development-only-not-secret"


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'catalog.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # Keys personal calendar addresses (the secret key when unset). Set it on its own
    # so that changing SECRET_KEY does not change every subscriber's feed address.
    FEED_TOKEN_KEY = os.environ.get("FEED_TOKEN_KEY")
    # Absolute URLs in feeds and e-mails; the request's host is used when unset.
    BASE_URL = os.environ.get("BASE_URL", "")

    LANGUAGES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "catalog" / "translations")

    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead, so long forms do not expire
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # "Keep me logged in" lasts a month, not Flask-Login's default year.
    REMEMBER_COOKIE_DURATION = timedelta(days=30)

    # How many reverse proxies in front of the app set X-Forwarded-For (and -Proto).
    # 0 trusts none: a client could otherwise pick its own address and slip past the
    # rate limits. Behind one nginx or load balancer, set 1.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Rate-limit counts: memory:// is per process; production shares them between
    # workers with redis://host:6379/0.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_KEY_PREFIX = "catalog"
    RATELIMIT_STRATEGY = "sliding-window-counter"
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After on a 429
    # A storage that stops answering is replaced by per-process memory, not a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Failed logins per client address and per account (e-mail address), and
    # password-reset requests per address and per account.
    LOGIN_LIMIT_PER_IP = os.environ.get("LOGIN_LIMIT_PER_IP", "10/minute")
    LOGIN_LIMIT_PER_ACCOUNT = os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5/minute")
    RESET_LIMIT_PER_IP = os.environ.get("RESET_LIMIT_PER_IP", "5/hour")
    RESET_LIMIT_PER_ACCOUNT = os.environ.get("RESET_LIMIT_PER_ACCOUNT", "3/hour")
    # How long an e-mailed password-reset link works.
    PASSWORD_RESET_LIFETIME = timedelta(hours=1)
    # Strict-Transport-Security max-age in seconds; 0 sends no header (plain-HTTP
    # development must not pin browsers to HTTPS).
    HSTS_SECONDS = 0

    # smtp (a real server), file (instance/mail/*.eml) or console.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")  # STARTTLS
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")  # TLS from the first byte (port 465)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Peacekeeping Training Catalogue <no-reply@localhost>"
    )

    # Logs on standard error: "json" (one object a line), "text", or empty to leave
    # logging as Python sets it up; ACCESS_LOG adds one line per request.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    ACCESS_LOG = _bool("ACCESS_LOG")
    # /healthz fails when no scheduler job has started for this long (the outbox
    # job runs every minute).
    SCHEDULER_HEARTBEAT_SECONDS = int(os.environ.get("SCHEDULER_HEARTBEAT_SECONDS", "300"))

    CATALOGUE_PAGE_SIZE = 20
    # Public pages kept per web process for visitors who are not logged in
    # (catalog/pagecache.py): for at most this many seconds (0 turns it off), in at
    # most this many bytes, checking the data stamp at most once per interval.
    PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "60"))
    PAGE_CACHE_MAX_BYTES = int(os.environ.get("PAGE_CACHE_MAX_BYTES", str(32 * 1024 * 1024)))
    PAGE_CACHE_STAMP_RECHECK_SECONDS = float(
        os.environ.get("PAGE_CACHE_STAMP_RECHECK_SECONDS", "1")
    )
    # Reminders before each session, in minutes (default: a day and an hour before).
    REMINDER_OFFSETS_MINUTES = tuple(
        int(value) for value in os.environ.get("REMINDER_OFFSETS_MINUTES", "1440,60").split(",")
    )
    # How long someone promoted from a waiting list has to accept the place.
    WAITLIST_OFFER_HOURS = int(os.environ.get("WAITLIST_OFFER_HOURS", "72"))
    # No request body larger than this (CSV uploads are the largest, capped lower).
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    SEAT_LOCK_TIMEOUT_MS = int(os.environ.get("SEAT_LOCK_TIMEOUT_MS", "5000"))
    # Share of women among confirmed trainees that offerings aim for (UN Uniformed
    # Gender Parity Strategy 2018-2028: 15% of military contingents by 2028).
    GENDER_TARGET = float(os.environ.get("GENDER_TARGET", "0.15"))


class DevelopmentConfig(Config):
    DEBUG = True
    # make run never mails the internet: messages land in instance/mail/.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "file")


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    WTF_CSRF_ENABLED = False
    # Tests that send mail start a real SMTP server; the scheduler-process tests
    # point their subprocesses at it with MAIL_TRANSPORT=smtp, MAIL_SERVER, MAIL_PORT.
    MAIL_TRANSPORT = os.environ.get("MAIL_TRANSPORT", "console")
    # Hashing strength is not under test; keep the suite fast.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # The suite logs in hundreds of times from one address; the rate-limit tests
    # build their own app with limits on.
    RATELIMIT_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    # Every test that changes data and then looks at a page checks the cache's
    # invalidation; the stamp is read on every request so none sees a stale page.
    PAGE_CACHE_STAMP_RECHECK_SECONDS = 0.0


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    # The __Host- prefix makes browsers refuse these cookies unless they are Secure,
    # for this exact host and path /: no sibling subdomain can plant or overwrite them.
    SESSION_COOKIE_NAME = "__Host-session"
    REMEMBER_COOKIE_NAME = "__Host-remember_token"
    PREFERRED_URL_SCHEME = "https"
    HSTS_SECONDS = 365 * 24 * 3600
    # Never answer a login with a 500 because the rate-limit storage failed.
    RATELIMIT_SWALLOW_ERRORS = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    ACCESS_LOG = _bool("ACCESS_LOG", default=True)

    @staticmethod
    def check(config) -> None:
        """Refuse to run with a missing, short or well-known secret."""
        key = config.get("SECRET_KEY") or ""
        if key == DEVELOPMENT_SECRET_KEY or len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters "
                "in production (for example: python -c 'import secrets; "
                "print(secrets.token_hex(32))')."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    """The config class named by ``CATALOG_ENV`` (development when unset)."""
    name = os.environ.get("CATALOG_ENV", "development").strip().lower()
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"CATALOG_ENV={name!r} is not one of {', '.join(sorted(CONFIGS))}."
        ) from None
