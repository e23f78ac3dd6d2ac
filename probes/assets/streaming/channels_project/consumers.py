"""The one consumer of the throwaway project.

Every frame goes through the channel layer (sent to the consumer's own channel, echoed by the handler),
as a consumer that relays messages between clients would: with the RedisChannelLayer each echo is a
round trip through Redis. A text message "edgeprobe:identify" is answered with the consumer's tag: its
class, channel name, layer, server and the number of frames it has echoed, so that a test can prove that
a Channels consumer served the echoes.
"""
import os

import channels
import django
from channels.generic.websocket import AsyncWebsocketConsumer

ECHOED = {"frames": 0, "connections": 0}


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        ECHOED["connections"] += 1
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "edgeprobe:identify":
            await self.send(text_data=self.identity())
            return
        await self.channel_layer.send(self.channel_name, {"type": "echo.frame", "text": text_data, "bytes": bytes_data})

    async def echo_frame(self, event):
        ECHOED["frames"] += 1
        if event.get("bytes") is not None:
            await self.send(bytes_data=event["bytes"])
        else:
            await self.send(text_data=event["text"])

    def identity(self):
        import json

        layer = type(self.channel_layer)
        return json.dumps(
            {
                "served_by": "django-channels",
                "consumer": "%s.%s" % (type(self).__module__, type(self).__qualname__),
                "channel_name": self.channel_name,
                "layer": "%s.%s" % (layer.__module__, layer.__qualname__),
                "asgi_server": os.environ.get("EDGEPROBE_ASGI_SERVER", ""),
                "django": django.get_version(),
                "channels": channels.__version__,
                "pid": os.getpid(),
                "echoed": ECHOED["frames"],
                "connections": ECHOED["connections"],
            }
        )
