"""Settings for the AutoML platform, driven by environment variables.

With no variables at all the platform runs embedded: SQLite and files under `var/`, and a
private Redis on a Unix socket under `var/` (started by the launcher). Production sets
DATABASE_URL, REDIS_URL and the S3 variables. Every variable is listed in the README.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("AUTOML_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """Use DJANGO_SECRET_KEY, else a random key kept in var/ so sessions survive restarts."""
    key = env_str("DJANGO_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_NAME = env_str("AUTOML_SITE_NAME", "AutoML")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "channels",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.google",
    "guardian",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "storages",
    "accounts",
    "projects",
    "datasets",
    "training",
    "monitoring",
]

MIDDLEWARE = [
    "automl_site.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "automl_site.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserTimezoneMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "automl_site.urls"
WSGI_APPLICATION = "automl_site.wsgi.application"
ASGI_APPLICATION = "automl_site.asgi.application"

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
                "projects.context_processors.workspace_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker, beat) share the file: wait for locks instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# Tests on SQLite use a file, so that real worker processes can share the test database.
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / "test_db.sqlite3")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker, channel layer, cache ----------------------------------------------
# Without REDIS_URL the launcher runs a private Redis on this socket (see automl_site/embedded_redis.py).
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env_str("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}"
EMBEDDED_REDIS = not env_str("REDIS_URL")


def _celery_broker_url(redis_url: str) -> str:
    # kombu spells a Unix-socket Redis as redis+socket:// (its database as ?virtual_host=N);
    # redis-py and channels as unix:// (?db=N).
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :].replace("?db=", "?virtual_host=")
    return redis_url


CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            # redis-py 8 times reads out after 5 s, exactly the channel layer's blocking wait
            # for a message: a quiet socket would then fail. Allow well beyond that wait.
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
            "prefix": env_str("CHANNELS_PREFIX", "automl"),
        },
    }
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "automl",
    }
}

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = _celery_broker_url(env_str("CELERY_BROKER_URL") or REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Above the longest hard time limit of any job (the largest training budget, plus its margins),
# so Redis does not redeliver a task that is still running. Set with the training settings below.
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Scheduled work (drift checks, retraining, the reaper of stuck jobs) is added by the apps that own it.
CELERY_BEAT_SCHEDULE: dict = {
    "fail-stalled-dataset-versions": {"task": "datasets.fail_stalled_versions", "schedule": 300.0},
    "fail-stalled-training-jobs": {"task": "training.fail_stalled_jobs", "schedule": 30.0},
    "fail-stalled-batch-predictions": {"task": "training.fail_stalled_batches", "schedule": 300.0},
    "fail-stalled-candidate-refits": {"task": "training.fail_stalled_refits", "schedule": 300.0},
}
# Training runs on a queue of its own, so operators can give it workers of its own (long jobs then
# never hold up dataset processing; `make run` serves both queues from one worker).
TRAINING_QUEUE = "training"
CELERY_TASK_ROUTES = {
    "training.run_job": {"queue": TRAINING_QUEUE},
    "training.refit_candidate": {"queue": TRAINING_QUEUE},
}

# --- Auth and accounts ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SITE_ID = 1
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "optional")
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS_ENABLED = env_bool("ACCOUNT_RATE_LIMITS_ENABLED", True)
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row
GUARDIAN_RAISE_403 = False

# --- Email ----------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif env_str("EMAIL_FILE_PATH"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AutoML <noreply@localhost>")


# --- Files: static and media through django-storages ----------------------------------
def _plotly_js_dir() -> str:
    """Plotly's bundled plotly.min.js, served as a static file: charts work air-gapped."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    return str(Path(spec.origin).parent / "package_data")


STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/plotly", _plotly_js_dir())]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
STORAGES = {
    "default": default_storage,
    # Plain (non-manifest) storage so tests and `make run` work without collectstatic.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "automl_site.api_errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "1200/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "Workspaces, projects, datasets, training jobs and the algorithm catalog.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # No call to the public schema validator: the platform must work air-gapped.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}

# --- Security -------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY") else None
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# --- Locale ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Platform -------------------------------------------------------------------------
INVITATION_TTL_DAYS = env_int("AUTOML_INVITATION_TTL_DAYS", 14)
API_TOKEN_DEFAULT_TTL_DAYS = env_int("AUTOML_API_TOKEN_TTL_DAYS", 90)
DEMO_WORKSPACE = env_bool("AUTOML_DEMO_WORKSPACE", True)

# Datasets: upload limits, processing time limit, profile sampling, SQL import guards.
DATASET_MAX_UPLOAD_BYTES = env_int("AUTOML_MAX_UPLOAD_MB", 2048) * 1024 * 1024
DATASET_MAX_COLUMNS = env_int("AUTOML_MAX_COLUMNS", 20000)
DATASET_TIME_LIMIT_S = env_int("AUTOML_DATASET_TIME_LIMIT_S", 3600)
DATASET_PROFILE_SAMPLE_ROWS = env_int("AUTOML_PROFILE_SAMPLE_ROWS", 250_000)
DATASET_CACHE_BYTES = env_int("AUTOML_CACHE_MB", 10240) * 1024 * 1024
SQL_TIMEOUT_S = env_int("AUTOML_SQL_TIMEOUT_S", 60)
SQL_ROW_CAP = env_int("AUTOML_SQL_ROW_CAP", 1_000_000)
# Hosts SQL imports may connect to (shell patterns, e.g. "db.internal,*.warehouse.example.com");
# empty allows any. Set it where editors must not reach other machines on the server's network.
AUTOML_SQL_ALLOWED_HOSTS = env_list("AUTOML_SQL_ALLOWED_HOSTS")
AUTOML_ENCRYPTION_KEY = env_str("AUTOML_ENCRYPTION_KEY")
# Training: budget bounds, liveness of workers, cancel grace, memory and cores per job.
TRAINING_DEFAULT_BUDGET_S = env_int("AUTOML_TRAINING_DEFAULT_BUDGET_S", 60)
TRAINING_MIN_BUDGET_S = env_int("AUTOML_TRAINING_MIN_BUDGET_S", 10)
TRAINING_MAX_BUDGET_S = env_int("AUTOML_TRAINING_MAX_BUDGET_S", 24 * 3600)
TRAINING_HEARTBEAT_S = float(env_str("AUTOML_TRAINING_HEARTBEAT_S", "10"))
TRAINING_STALE_AFTER_S = env_int("AUTOML_TRAINING_STALE_AFTER_S", 120)
TRAINING_REQUEUE_AFTER_S = env_int("AUTOML_TRAINING_REQUEUE_AFTER_S", 900)
TRAINING_CANCEL_GRACE_S = env_int("AUTOML_TRAINING_CANCEL_GRACE_S", 30)
TRAINING_MEMORY_BYTES = env_int("AUTOML_TRAINING_MEMORY_MB", 0) * 1024 * 1024
TRAINING_CORES = env_int("AUTOML_TRAINING_CORES", 0)
# Predictions: loaded models kept in memory (per web process), and rows per API request.
PREDICT_CACHE_BYTES = env_int("AUTOML_PREDICT_CACHE_MB", 512) * 1024 * 1024
PREDICT_MAX_ROWS = env_int("AUTOML_PREDICT_MAX_ROWS", 1000)
PREDICTION_LOG_SAMPLE = float(env_str("AUTOML_PREDICTION_LOG_SAMPLE", "1"))
# The prediction API's fast lane remembers who may predict with which version this long.
PREDICT_AUTH_CACHE_S = float(env_str("AUTOML_PREDICT_AUTH_CACHE_S", "5"))
# API prediction logs are written in bulk this often (0: each with its request).
PREDICTION_LOG_FLUSH_S = float(env_str("AUTOML_PREDICTION_LOG_FLUSH_S", "1"))
# A batch prediction (a file scored on a worker) is stopped after this long.
BATCH_TIME_LIMIT_S = env_int("AUTOML_BATCH_TIME_LIMIT_S", 3 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = env_int(
    "CELERY_VISIBILITY_TIMEOUT", max(6 * 3600, int(TRAINING_MAX_BUDGET_S * 1.1) + 3600)
)
FILE_UPLOAD_HANDLERS = ["datasets.uploads.SizeLimitedUploadHandler"]
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "uploads")
Path(FILE_UPLOAD_TEMP_DIR).mkdir(exist_ok=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
