"""A reference server for carriers' media streams: Telnyx, Twilio,
SignalWire, Plivo, Exotel and Vonage (``carrier="auto"``, the default,
tells each from its first messages, so one URL serves them all).

One carrier ``MediaStream`` (:mod:`streamcodec.stream`) per WebSocket; the
application is an ``async def app(call)`` that sees the call's ``start``
frame, iterates the call's events and plays audio back::

    from streamcodec.server import StreamServer

    async def app(call):                     # echo what the caller says
        async for event in call:
            if isinstance(event, telnyx.Media) and event.track == "inbound":
                await call.play(event.pcm, call.rate)

    async with StreamServer(app, port=8765, auth_token="s3cret") as server:
        await server.serve_forever()

Events are :class:`~streamcodec.telnyx.Media` (``pcm`` at ``call.rate``, in
chunk order, gaps concealed), :class:`~streamcodec.telnyx.Dtmf`,
:class:`~streamcodec.telnyx.Mark` (echoes, with ``played_ms``),
:class:`~streamcodec.telnyx.Error`, :class:`~streamcodec.telnyx.Unknown`
and, last, :class:`~streamcodec.telnyx.Stop`; iteration ends after
``stop`` or when the connection goes away.

:class:`StreamServer` runs on the ``websockets`` library;
:class:`ASGIStreamApp` runs the same application under any ASGI server
(uvicorn) or inside Starlette / FastAPI.  Both share :class:`CallHandler`:
the streaming auth token check (close code 1008), bounded message size and
event queue, survival of malformed frames and vanished clients, and a log
line of per-stream counters when each stream ends.
"""


from .apps import EchoApp, echo_app, load_app, playback_from_parameters
from .asgi import ASGIStreamApp
from .call import Call
from .handler import CallHandler, Connection
from .listening import ListeningServer
from .picows_server import PicowsServer, require_picows
from .stats import CallStats
from .transport import AUTH_HEADER
from .websockets_server import StreamServer, require_websockets

__all__ = [
    "ASGIStreamApp",
    "AUTH_HEADER",
    "Call",
    "CallHandler",
    "CallStats",
    "Connection",
    "ListeningServer",
    "PicowsServer",
    "StreamServer",
    "EchoApp",
    "echo_app",
    "load_app",
    "playback_from_parameters",
    "require_picows",
    "require_websockets",
]
