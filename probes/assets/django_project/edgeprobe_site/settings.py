"""Settings of the throwaway project the django probe serves: production-like (DEBUG off, a few middleware),
one app of its own, SQLite in the probe's temporary directory (EDGEPROBE_DB)."""
import os

SECRET_KEY = os.environ.get("EDGEPROBE_SECRET_KEY", "edgeprobe-throwaway-project")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["edgeprobe_site"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "edgeprobe_site.views.served_by",
]
ROOT_URLCONF = "edgeprobe_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]
WSGI_APPLICATION = "edgeprobe_site.wsgi.application"
ASGI_APPLICATION = "edgeprobe_site.asgi.application"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EDGEPROBE_DB", os.path.join(os.getcwd(), "edgeprobe.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
USE_I18N = False
# Failed requests go to stderr, which the agent keeps the tail of for its error messages.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
}
