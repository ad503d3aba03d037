"""GenFans settings: every knob comes from the environment (see `.env.example`)."""

import ipaddress
import os
from urllib.parse import urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from genfans.config.env import BASE_DIR, env_bool, env_float, env_int, env_list, env_str

DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("AUTH_SECRET")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUTH_SECRET is not set. With DEBUG off GenFans refuses to start without it: "
            "set AUTH_SECRET to a long random string (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "genfans-insecure-development-key-change-me-in-production"

BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
_base = urlparse(BASE_URL)
ALLOWED_HOSTS = [_base.hostname or "127.0.0.1"]
if DEBUG:
    ALLOWED_HOSTS += ["127.0.0.1", "localhost", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]

VAR_DIR = BASE_DIR / "var"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    # Listed so /api/docs serves Swagger UI from our static files rather than a CDN.
    "ninja",
    # Two-factor sign-in: TOTP apps, and single-use recovery codes as static tokens.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "genfans.core",
    "genfans.accounts",
    "genfans.teams",
    "genfans.emails",
    "genfans.billing",
    "genfans.credits",
    "genfans.catalog",
    "genfans.storage",
    "genfans.studio",
    "genfans.providers",
    "genfans.api",
    "genfans.web",
]

MIDDLEWARE = [
    "genfans.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "genfans.core.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "genfans.core.middleware.ControlCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "genfans.accounts.middleware.SlidingSessionMiddleware",
    "genfans.teams.middleware.CurrentTeamMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "genfans.config.urls"
WSGI_APPLICATION = "genfans.config.wsgi.application"
ASGI_APPLICATION = "genfans.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "genfans.web.context_processors.dashboard",
            ],
        },
    }
]

# Web and worker processes write to one SQLite file: WAL lets readers run beside the writer,
# and IMMEDIATE takes the write lock at BEGIN, where the busy timeout waits for it, instead of
# at the first write, where SQLite answers "database is locked" at once.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
DATABASE_URL = env_str("DATABASE_URL") or env_str("POSTGRES_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=None)}
    DATABASES["default"].setdefault("OPTIONS", {})
    # Parallel test runs (several checkouts on one machine) must not share a test database.
    DATABASES["default"]["TEST"] = {"NAME": f"test_genfans_{os.getpid()}"}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "genfans.sqlite3",
            "OPTIONS": {},
            # A file, not shared-cache memory: worker threads and the live server then share
            # it through WAL and the busy timeout, as they do outside tests.
            "TEST": {"NAME": VAR_DIR / f"test_genfans_{os.getpid()}.sqlite3"},
        }
    }
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"]["OPTIONS"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
# Each wrong code doubles the wait before the next try (1 s, 2 s, 4 s …) per device, so guessing
# six digits takes centuries; the last accepted time step is kept, so a code is never replayed.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_TOTP_ISSUER = "GenFans"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/sign-in"
LOGIN_REDIRECT_URL = "/dashboard/"

SESSION_COOKIE_AGE = 24 * 60 * 60
# Browsers send Secure cookies over https only, so they follow the public address's scheme.
SESSION_COOKIE_SECURE = _base.scheme == "https"
CSRF_COOKIE_SECURE = _base.scheme == "https"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# The reverse proxies in front of GenFans (addresses or CIDR ranges, comma-separated). Only a
# request from one of them may say who the client is (X-Forwarded-For, see core/http.py) and
# that it came over https (X-Forwarded-Proto: core.middleware.TrustedProxyMiddleware drops the
# header from anyone else). Empty: the peer's own address counts, and no header is believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or CIDR range."
        ) from None
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("REDIS_URL"),
        }
        if env_str("REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "genfans_cache",
        }
    )
}

# Each web process remembers a valid API key (with its team) for this many seconds, so a status
# poll costs one query instead of two. A key revoked in one process stops working there at once
# and in the others within this time. 0 turns the cache off.
API_KEY_CACHE_SECONDS = env_int("API_KEY_CACHE_SECONDS", 5)
CACHES["api_keys"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "api_keys",
    "TIMEOUT": API_KEY_CACHE_SECONDS,
    "OPTIONS": {"MAX_ENTRIES": 10_000},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "genfans.storage.backends.SignedFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Request bodies other than files (JSON, form fields) stay small; uploaded files above
# FILE_UPLOAD_MAX_MEMORY_SIZE spool to a temporary file. Uploads are capped at
# MAX_UPLOAD_BYTES by the upload service (HTTP 413); cap the body at the proxy too.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
WHITENOISE_USE_FINDERS = DEBUG

# Console in development (emails are printed), SMTP in production.
_email_backend = env_str("EMAIL_BACKEND", "console" if DEBUG else "smtp")
MAILERS = {
    "default": (
        {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
        if _email_backend == "console"
        else {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", default=True),
                "timeout": 10,
            },
        }
    )
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "GenFans <no-reply@genfans.local>")

TASKS = {
    "default": {
        "BACKEND": (
            "django.tasks.backends.immediate.ImmediateBackend"
            if env_str("GENFANS_TASKS") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Credits, providers, storage and billing knobs, read here so the rest of the code never
# touches os.environ.
RETENTION_DAYS = env_int("RETENTION_DAYS", 90)
# Sign-in attempts per window (see accounts/throttle.py): for one account from one IP, for one
# account from all IPs, and from one IP across all accounts; past them one attempt per backoff
# slot, the slots doubling from SIGN_IN_BACKOFF_SECONDS.
SIGN_IN_MAX_FAILURES = env_int("SIGN_IN_MAX_FAILURES", 5)
SIGN_IN_ACCOUNT_MAX_FAILURES = env_int("SIGN_IN_ACCOUNT_MAX_FAILURES", 20)
SIGN_IN_IP_MAX_FAILURES = env_int("SIGN_IN_IP_MAX_FAILURES", 100)
SIGN_IN_WINDOW_SECONDS = env_int("SIGN_IN_WINDOW_SECONDS", 60 * 60)
SIGN_IN_BACKOFF_SECONDS = env_int("SIGN_IN_BACKOFF_SECONDS", 30)
INVITATION_DAYS = 7

STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
STRIPE_PRICES = {
    plan: env_str(f"STRIPE_PRICE_{plan.upper()}") for plan in ("starter", "pro", "studio")
}
# One-off prices of the credit packs (`genfans setup` creates them).
STRIPE_PACK_PRICES = {
    pack: env_str(f"STRIPE_PRICE_PACK_{pack.upper()}") for pack in ("small", "medium", "large")
}

FAL_KEY = env_str("FAL_KEY")
HIGGSFIELD_API_KEY = env_str("HIGGSFIELD_API_KEY")
HIGGSFIELD_API_SECRET = env_str("HIGGSFIELD_API_SECRET")
GENFANS_PROVIDER = env_str("GENFANS_PROVIDER") or (
    "fal" if FAL_KEY else "higgsfield" if HIGGSFIELD_API_KEY else "sandbox"
)
SANDBOX_LATENCY_SECONDS = env_float("SANDBOX_LATENCY_SECONDS", 1.0)
SANDBOX_FAILURE_RATE = env_float("SANDBOX_FAILURE_RATE", 0.0)
FAL_QUEUE_URL = env_str("FAL_QUEUE_URL", "https://queue.fal.run")
FAL_JWKS_URL = env_str("FAL_JWKS_URL", "https://rest.alpha.fal.ai/.well-known/jwks.json")
HIGGSFIELD_BASE_URL = env_str("HIGGSFIELD_BASE_URL", "https://platform.higgsfield.ai")
# Output downloads go only to public addresses over https; hosts listed here (`host` or
# `host:port`, e.g. a local fake provider) are exempt from both rules.
PROVIDER_DOWNLOAD_ALLOWED_HOSTS = env_list("PROVIDER_DOWNLOAD_ALLOWED_HOSTS")
_JOB_TYPES = (
    "image_generation",
    "model_creation",
    "model_refinement",
    "video_generation",
    "face_swap",
)
# GENFANS_PROVIDER_<JOB TYPE> sends one operation elsewhere, e.g. GENFANS_PROVIDER_VIDEO_GENERATION.
PROVIDER_BY_OPERATION = {
    op: env_str(f"GENFANS_PROVIDER_{op.upper()}")
    for op in _JOB_TYPES
    if env_str(f"GENFANS_PROVIDER_{op.upper()}")
}
PROVIDER_ENDPOINTS = {
    "fal": {
        "image_generation": env_str("FAL_IMAGE_ENDPOINT", "fal-ai/flux-lora"),
        "model_creation": env_str("FAL_TRAINING_ENDPOINT", "fal-ai/flux-lora-fast-training"),
        "model_refinement": env_str("FAL_TRAINING_ENDPOINT", "fal-ai/flux-lora-fast-training"),
        "video_generation": env_str(
            "FAL_VIDEO_ENDPOINT", "fal-ai/kling-video/v1.6/standard/image-to-video"
        ),
        "face_swap": env_str("FAL_FACE_SWAP_ENDPOINT", "fal-ai/face-swap"),
    },
    "higgsfield": {
        "image_generation": env_str("HIGGSFIELD_IMAGE_ENDPOINT", "higgsfield-ai/soul/standard"),
        "video_generation": env_str("HIGGSFIELD_VIDEO_ENDPOINT", "higgsfield-ai/dop/standard"),
    },
}

# The job engine (see studio/services.py).
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 300)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 5)
JOB_RETRY_BASE_SECONDS = env_float("JOB_RETRY_BASE_SECONDS", 2.0)
JOB_POLL_SECONDS = env_float("JOB_POLL_SECONDS", 30.0)
JOB_DEADLINE_SECONDS = env_int("JOB_DEADLINE_SECONDS", 2 * 60 * 60)
# A submit whose answer was lost (timed out after sending) is never sent again; the job waits
# this long for the provider's webhook to name its request, then fails and is released.
PROVIDER_OUTCOME_SECONDS = env_int("PROVIDER_OUTCOME_SECONDS", 60 * 60)
JOB_SWEEP_GRACE_SECONDS = env_int("JOB_SWEEP_GRACE_SECONDS", 60)
WORKER_POLL_INTERVAL = env_float("WORKER_POLL_INTERVAL", 0.2)
# (name, every N seconds, task): fired once per slot by whichever worker gets there first.
PERIODIC_TASKS = [
    ("jobs-sweep", 60, "genfans.studio.tasks.jobs_sweep_task"),
    ("tasks-prune", 24 * 60 * 60, "genfans.studio.tasks.task_results_prune_task"),
    ("retention-cleanup", 24 * 60 * 60, "genfans.storage.tasks.retention_cleanup_task"),
    ("files-expiring", 24 * 60 * 60, "genfans.studio.tasks.files_expiring_announce_task"),
    ("rate-counters-prune", 60 * 60, "genfans.core.tasks.rate_counters_prune_task"),
    ("emails-sweep", 60, "genfans.emails.sweep.email_deliveries_sweep_task"),
]

AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
AWS_S3_BUCKET = env_str("AWS_S3_BUCKET")
AWS_REGION = env_str("AWS_REGION", "us-east-1")
AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL")
CLOUDFRONT_DOMAIN = env_str("CLOUDFRONT_DOMAIN")
# Signed CloudFront URLs (optional): the key pair id and its PEM private key.
CLOUDFRONT_KEY_ID = env_str("CLOUDFRONT_KEY_ID")
CLOUDFRONT_PRIVATE_KEY = env_str("CLOUDFRONT_PRIVATE_KEY").replace("\\n", "\n")
if AWS_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "genfans.storage.backends.S3AssetStorage",
        "OPTIONS": {
            "bucket_name": AWS_S3_BUCKET,
            "region_name": AWS_REGION,
            "endpoint_url": AWS_S3_ENDPOINT_URL or None,
            "access_key": AWS_ACCESS_KEY_ID or None,
            "secret_key": AWS_SECRET_ACCESS_KEY or None,
            "addressing_style": "path" if AWS_S3_ENDPOINT_URL else None,
            "custom_domain": CLOUDFRONT_DOMAIN or None,
            "cloudfront_key_id": CLOUDFRONT_KEY_ID or None,
            "cloudfront_key": CLOUDFRONT_PRIVATE_KEY.encode() or None,
        },
    }

# Security headers. Pages run only our own scripts and styles plus inline blocks carrying the
# request's nonce; media may come from the bucket or CloudFront; forms may land on Stripe's
# hosted pages, since browsers check form-action on the redirect after a post too.
_media_origins = []
if CLOUDFRONT_DOMAIN:
    _media_origins.append(f"https://{CLOUDFRONT_DOMAIN}")
if AWS_S3_ENDPOINT_URL:
    _endpoint = urlparse(AWS_S3_ENDPOINT_URL)
    _media_origins.append(f"{_endpoint.scheme}://{_endpoint.netloc}")
elif AWS_S3_BUCKET:
    _media_origins += [
        f"https://{AWS_S3_BUCKET}.s3.amazonaws.com",
        f"https://{AWS_S3_BUCKET}.s3.{AWS_REGION}.amazonaws.com",
    ]
_stripe_pages = ["https://checkout.stripe.com", "https://billing.stripe.com"]
if STRIPE_API_BASE:
    _stripe_api = urlparse(STRIPE_API_BASE)
    _stripe_pages.append(f"{_stripe_api.scheme}://{_stripe_api.netloc}")
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", "blob:", *_media_origins],
    "media-src": [CSP.SELF, "blob:", *_media_origins],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF, *_stripe_pages],
}
# HSTS only when the public address is https: over plain http it would lock browsers out.
SECURE_HSTS_SECONDS = (
    env_int("SECURE_HSTS_SECONDS", 365 * 24 * 60 * 60) if _base.scheme == "https" else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_query_string": {"()": "genfans.core.logs.QueryStringFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Django's own console handler would print every line a second time, unformatted.
    "loggers": {
        "django": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        "django.server": {"level": "INFO", "filters": ["no_query_string"]},
    },
}
