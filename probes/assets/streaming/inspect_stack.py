"""edgeprobe streaming probe: what this interpreter can serve. Prints one JSON object.

With "--redis" it also pings the Redis at $EDGEPROBE_REDIS_URL (from the environment, so that a password
never shows in a process listing) through redis-py, the client channels_redis uses.
"""
import json
import platform
import sys

out = {"version": platform.python_version(), "executable": sys.executable, "modules": {}, "errors": {}}
for name in ("django", "channels", "daphne", "uvicorn", "channels_redis", "redis", "websockets", "wsproto"):
    try:
        module = __import__(name)
        version = getattr(module, "__version__", None)
        if name == "django":
            version = module.get_version()
        out["modules"][name] = str(version) if version is not None else "unknown"
    except Exception as exc:  # ImportError, or a broken install raising anything at import
        out["modules"][name] = None
        out["errors"][name] = ("%s: %s" % (type(exc).__name__, exc))[:300]

if "--redis" in sys.argv:
    import os

    url = os.environ.get("EDGEPROBE_REDIS_URL", "")
    try:
        import redis

        # redis-py's unix-socket connection takes no socket_connect_timeout (a TypeError in 4.x), and a local
        # socket connects at once or not at all, so only TCP gets the connect timeout.
        timeouts = {"socket_timeout": 2}
        if not url.startswith("unix:"):
            timeouts["socket_connect_timeout"] = 2
        client = redis.Redis.from_url(url, **timeouts)
        client.ping()
        out["redis"] = {"reachable": True, "version": client.info("server").get("redis_version")}
        client.close()
    except Exception as exc:
        out["redis"] = {"reachable": False, "error": ("%s: %s" % (type(exc).__name__, exc))[:300]}

print(json.dumps(out))
