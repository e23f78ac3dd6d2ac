"""ASGI entry of the throwaway project: HTTP to Django, WebSocket /echo/ to the echo consumer.

Works with Channels 3/4 on Django >= 3.0 and with Channels 2 on Django 2.2 (Debian bullseye), which have
neither django.core.asgi nor Consumer.as_asgi().
"""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgeprobe_echo.settings")

import django  # noqa: E402

try:
    from django.core.asgi import get_asgi_application  # Django >= 3.0
except ImportError:
    get_asgi_application = None

if get_asgi_application is not None:
    http_application = get_asgi_application()
else:
    django.setup()
    from channels.http import AsgiHandler  # Channels 2

    http_application = AsgiHandler

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from edgeprobe_echo.consumers import EchoConsumer  # noqa: E402

echo = EchoConsumer.as_asgi() if hasattr(EchoConsumer, "as_asgi") else EchoConsumer

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": URLRouter([path("echo/", echo)]),
    }
)
