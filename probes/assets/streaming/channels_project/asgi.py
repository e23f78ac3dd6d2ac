"""ASGI entry of the throwaway project: HTTP to Django, WebSocket /echo/ to the echo consumer."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edgeprobe_echo.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from edgeprobe_echo.consumers import EchoConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter([path("echo/", EchoConsumer.as_asgi())]),
    }
)
