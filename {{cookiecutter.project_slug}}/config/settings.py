"""Project settings, all read from the environment: .env.example lists every variable.

https://docs.djangoproject.com/en/5.2/ref/settings/
https://channels.readthedocs.io/en/stable/deploying.html
"""

from csp.constants import NONCE, NONE, SELF

from config import channel_layer, database
from config.env import BASE_DIR, env_bool, env_list, env_number, env_str

PROJECT_NAME = {{cookiecutter.project_name | tojson}}

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
DEBUG = env_bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", default="localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    # First, so that `manage.py runserver` is daphne's and serves websockets.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Checks the static files settings (STORAGES, the middleware below).
    "servestatic",
    "channels",
    # Django's task framework: the database backend and its `manage.py
    # db_worker` (TASKS below).
    "django_tasks_db",
    # Content-Security-Policy (CONTENT_SECURITY_POLICY below).
    "csp",
    # The websocket kit (realtime_kit/README.md): checks, `manage.py serve`.
    "realtime_kit",
    # The settings' own checks, where a project has them (config/checks.py of
    # a Redis project: where Redis is).
    "config",
    "accounts",
    # The sample apps: delete a folder and its line here to drop one.
    "echo",
    "chat",
    "tasks",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Static files from STATIC_ROOT (see STORAGES), before any other work.
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
                "config.context_processors.project",
            ],
        },
    },
]

DATABASES = database.DATABASES
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Users: a model of the project's own from the first migration, as Django
# recommends, so that fields can be added later without a painful switch.
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
# Every password check goes through the login throttles (accounts/throttles.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.ThrottledModelBackend"]
# Failed logins allowed per client address and per account in a window of so
# many seconds, and signup attempts per client address (django-allauth's
# defaults); past one, the form says when to try again (429). 0 turns one off.
LOGIN_FAILURES_PER_ADDRESS = env_number("LOGIN_FAILURES_PER_ADDRESS", 10)
LOGIN_FAILURES_PER_ADDRESS_SECONDS = env_number(
    "LOGIN_FAILURES_PER_ADDRESS_SECONDS", 60
)
LOGIN_FAILURES_PER_ACCOUNT = env_number("LOGIN_FAILURES_PER_ACCOUNT", 5)
LOGIN_FAILURES_PER_ACCOUNT_SECONDS = env_number(
    "LOGIN_FAILURES_PER_ACCOUNT_SECONDS", 300
)
SIGNUPS_PER_ADDRESS = env_number("SIGNUPS_PER_ADDRESS", 20)
SIGNUPS_PER_ADDRESS_SECONDS = env_number("SIGNUPS_PER_ADDRESS_SECONDS", 60)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Chosen with the layer, in config/channel_layer.py: on Redis, where Redis is
# (REDIS_URL, or REDIS_SENTINELS: config/redis_servers.py), REDIS_MAX_CONNECTIONS
# and REDIS_POOL_TIMEOUT_SECONDS (both pools) and, for the queue-based layer,
# CHANNEL_LAYER_CAPACITY and CHANNEL_LAYER_GROUP_EXPIRY.
CHANNEL_LAYERS = channel_layer.CHANNEL_LAYERS
CACHES = channel_layer.CACHES
# The Redis of the layer, as a channels-redis host dict, for code that talks to
# Redis itself (chat/presence.py); None without Redis.
REDIS_HOST = channel_layer.REDIS_HOST

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles"))
# `manage.py collectstatic` copies every static file into STATIC_ROOT under a
# name with its hash, plus a gzip copy; ServeStaticMiddleware serves them with
# DEBUG off, hashed names cached for ten years. With DEBUG on it serves the
# apps' folders directly, as runserver does.
# https://archmonger.github.io/ServeStatic/latest/django/
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"
    },
}

# Behind TLS (directly or through a proxy that sets X-Forwarded-Proto), set
# DJANGO_HTTPS=true: secure cookies, HSTS and redirects to https. No
# SECURE_PROXY_SSL_HEADER: it would believe X-Forwarded-Proto from anyone.
# `manage.py serve` believes it only from SERVER_FORWARDED_ALLOW_IPS and then
# gives Django the https scheme itself.
if env_bool("DJANGO_HTTPS", default=False):
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # HSTS starts short: a browser that saw it refuses plain http for this long,
    # so raise it (a week, then a year) once https works everywhere. Subdomains
    # and the browsers' preload list are opt-in: either can lock out every
    # subdomain that has no certificate, for months.
    # https://docs.djangoproject.com/en/5.2/ref/middleware/#http-strict-transport-security
    SECURE_HSTS_SECONDS = env_number("DJANGO_HSTS_SECONDS", 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
        "DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False
    )
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", default=False)

# Content-Security-Policy on every page: scripts, styles, images and
# connections from this site only ('self' covers ws:// and wss:// to the same
# host), inline scripts only with the page's nonce (a <script> tag's nonce
# attribute set to request.csp_nonce in the template), no framing. django-csp on every
# Django version the project supports: one code path until Django 5.2 is
# dropped, then Django 6.0's own SECURE_CSP can replace it.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Deliberately silenced: `check --deploy` warns when HSTS leaves out subdomains
# (security.W005) or preloading (security.W021); both are opt-in, above.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {
        "plain_line": {"()": "realtime_kit.log_filters.PlainLine"},
        "once_a_minute": {"()": "realtime_kit.log_filters.OncePerInterval"},
        "no_query_string": {"()": "realtime_kit.log_filters.NoQueryString"},
        # What any client can make uvicorn log with a traceback: a plain line.
        "uvicorn_client_errors": {
            "()": "realtime_kit.log_filters.PlainLine",
            "messages": ["Invalid UTF-8 sequence received from client"],
        },
    },
    "handlers": {
        # Query strings may carry secrets: no line shows them.
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["no_query_string"],
        },
        "console_plain_line": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["plain_line"],
        },
        "console_plain_line_once_a_minute": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["plain_line", "once_a_minute"],
        },
    },
    "loggers": {
        # Django's own default gives "django" a handler of its own (bare
        # messages, with DEBUG on) that prints every line a second time before
        # it reaches the root's: runserver's request lines (daphne logs them to
        # "django.channels.server"), the autoreloader's. None here: each line
        # is printed once, by the root's handler, in the format above.
        "django": {"handlers": [], "level": LOG_LEVEL},
        # A Host header outside ALLOWED_HOSTS: anyone can send one, so one
        # WARNING line, not an ERROR with a traceback.
        "django.security.DisallowedHost": {
            "handlers": ["console_plain_line"],
            "propagate": False,
        },
        # The production server's own lines; a text message that is not UTF-8
        # is one WARNING line, not an ERROR with a traceback (the client's
        # handshakes are then refused for WEBSOCKET_CLIENT_COOLDOWN_SECONDS).
        "uvicorn.error": {"filters": ["uvicorn_client_errors"]},
        # channels-redis's pub/sub reader logs a traceback each second while
        # Redis is down: one line a minute instead.
        "channels_redis.pubsub": {
            "handlers": ["console_plain_line_once_a_minute"],
            "propagate": False,
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# Every websocket: a client sending over WEBSOCKET_RATE_LIMIT messages/s
# (WEBSOCKET_RATE_BURST at once) is closed with 4008; 0 turns it off
# (realtime_kit/rate_limit.py). A message over WEBSOCKET_MAX_MESSAGE_BYTES is
# refused by the production server with 1009; daphne's own cap is 1 MiB.
WEBSOCKET_RATE_LIMIT = env_number("WEBSOCKET_RATE_LIMIT", 20.0, kind=float)
WEBSOCKET_RATE_BURST = env_number("WEBSOCKET_RATE_BURST", 40)
WEBSOCKET_MAX_MESSAGE_BYTES = env_number("WEBSOCKET_MAX_MESSAGE_BYTES", 64 * 1024)
# Each client address, over all its websockets (realtime_kit/client_limits.py),
# per server process (no Redis involved): sockets at once, handshakes per second
# (burst at once), messages per second (burst at once; over it the socket that
# sent is closed with 4008), and seconds its handshakes are refused after one
# of its sockets was closed with 4008, 1009 or 1007 (text that is not UTF-8).
# 0 turns each off. The address is the one in X-Forwarded-For only under
# `manage.py serve`, from a proxy in SERVER_FORWARDED_ALLOW_IPS; under daphne,
# all clients of a proxy are one.
WEBSOCKET_CLIENT_MAX_SOCKETS = env_number("WEBSOCKET_CLIENT_MAX_SOCKETS", 100)
WEBSOCKET_CLIENT_HANDSHAKE_RATE = env_number(
    "WEBSOCKET_CLIENT_HANDSHAKE_RATE", 10.0, kind=float
)
WEBSOCKET_CLIENT_HANDSHAKE_BURST = env_number("WEBSOCKET_CLIENT_HANDSHAKE_BURST", 50)
WEBSOCKET_CLIENT_RATE_LIMIT = env_number(
    "WEBSOCKET_CLIENT_RATE_LIMIT", 40.0, kind=float
)
WEBSOCKET_CLIENT_RATE_BURST = env_number("WEBSOCKET_CLIENT_RATE_BURST", 80)
WEBSOCKET_CLIENT_COOLDOWN_SECONDS = env_number(
    "WEBSOCKET_CLIENT_COOLDOWN_SECONDS", 10.0, kind=float
)
# The production server, `manage.py serve` (uvicorn; realtime_kit/serving.py).
# Where it listens, and how many processes (more than 1 needs a Redis layer).
SERVER_BIND = env_str("SERVER_BIND", "127.0.0.1:8000")
SERVER_PROCESSES = env_number("SERVER_PROCESSES", 1)
# Proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: the client's
# address and scheme come from them ("*": any, only where no one else connects).
# A proxy left out makes all its clients one address: every per-address cap and
# throttle then counts them together (one WARNING line says so).
SERVER_FORWARDED_ALLOW_IPS = env_str("SERVER_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Seconds a stopping process waits for its requests and sockets before it exits.
SERVER_SHUTDOWN_SECONDS = env_number("SERVER_SHUTDOWN_SECONDS", 10)
# Each websocket is pinged this often; a client that does not answer within the
# timeout is dropped. Keep a proxy's read timeout above the interval.
WEBSOCKET_PING_SECONDS = env_number("WEBSOCKET_PING_SECONDS", 20.0, kind=float)
WEBSOCKET_PING_TIMEOUT_SECONDS = env_number(
    "WEBSOCKET_PING_TIMEOUT_SECONDS", 20.0, kind=float
)
# Seconds a websocket ticket (realtime_kit/tickets.py) stays valid; it opens one
# socket.
WEBSOCKET_TICKET_SECONDS = env_number("WEBSOCKET_TICKET_SECONDS", 60)

# The sample apps.
CHAT_MAX_MESSAGE_LENGTH = env_number("CHAT_MAX_MESSAGE_LENGTH", 2000)
# Who is in a chat room (chat/presence.py). On Redis, each process refreshes its
# sockets every HEARTBEAT seconds; those of a dead process or host leave the
# list within EXPIRY + HEARTBEAT seconds. A room hears of changes at most once
# per ANNOUNCE seconds, however many join at once.
CHAT_PRESENCE_HEARTBEAT_SECONDS = env_number(
    "CHAT_PRESENCE_HEARTBEAT_SECONDS", 10.0, kind=float
)
CHAT_PRESENCE_EXPIRY_SECONDS = env_number(
    "CHAT_PRESENCE_EXPIRY_SECONDS", 30.0, kind=float
)
CHAT_PRESENCE_ANNOUNCE_SECONDS = env_number(
    "CHAT_PRESENCE_ANNOUNCE_SECONDS", 0.5, kind=float
)
TASK_MAX_STEPS = 1000
# A step of the sample job; a running job whose worker has not beaten for
# TASK_LOST_SECONDS (it beats every third of that) is marked lost.
TASK_STEP_SECONDS = env_number("TASK_STEP_SECONDS", 0.2, kind=float)
TASK_LOST_SECONDS = env_number("TASK_LOST_SECONDS", 15, kind=float)
# Jobs queued or running at once per owner (user or browser session) and per
# client address; the database enforces both (tasks/models.py).
TASK_MAX_PER_OWNER = env_number("TASK_MAX_PER_OWNER", 3)
TASK_MAX_PER_ADDRESS = env_number("TASK_MAX_PER_ADDRESS", 10)
TASK_MAX_FOLLOWED = 100  # jobs one socket may watch at once
# How often a socket reads its watched jobs' rows (config/channel_layer.py).
TASK_POLL_SECONDS = channel_layer.TASK_POLL_SECONDS

# Django's task framework: jobs are rows in this database, run by `manage.py
# db_worker`. Another backend (RQ, Celery) is a change here: README.md.
# https://docs.djangoproject.com/en/6.0/topics/tasks/
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
