"""Settings of the throwaway Django project the edgeprobe streaming probe generates and removes.

EDGEPROBE_CHANNEL_LAYER selects the layer: "memory" (InMemoryChannelLayer) or "redis"
(channels_redis RedisChannelLayer at EDGEPROBE_REDIS_URL, keys under a unique prefix that expire).
"""
import os
import secrets

SECRET_KEY = secrets.token_hex(32)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
MIDDLEWARE = []
ROOT_URLCONF = "edgeprobe_echo.urls"
DATABASES = {}
USE_TZ = True
ASGI_APPLICATION = "edgeprobe_echo.asgi.application"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

if os.environ.get("EDGEPROBE_CHANNEL_LAYER") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [os.environ["EDGEPROBE_REDIS_URL"]],
                "prefix": os.environ.get("EDGEPROBE_REDIS_PREFIX", "edgeprobe"),
                "expiry": 10,
                "capacity": 1000,
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}
