"""cXML documents that start, connect and stop a SignalWire media stream.

SignalWire's cXML ``<Stream>`` is Twilio's TwiML noun (see
:mod:`streamcodec.twilio.answer`) with three more attributes: ``codec``
(the audio the stream carries both ways), ``authBearerToken`` (sent as
``Authorization: Bearer <token>`` on the WebSocket upgrade, which
:class:`streamcodec.signalwire.auth.BearerTokenAuth` checks) and
``realtime``::

    from streamcodec.signalwire import answer
    answer.connect_stream("wss://example.com/bot", codec="L16@16000h",
                          auth_bearer_token="s3cret")

Reference: SignalWire's cXML ``<Stream>`` page
(https://developer.signalwire.com/compatibility-api/cxml/voice/stream/):
``wss://`` only, no query string, ``<Connect><Stream>`` of the inbound
track only.  Its codec table lists ``PCMU@8000h`` (the default),
``L16@16000h`` and ``L16@24000h``; SignalWire's SWML ``connect`` to a
stream also names ``PCMA`` and ``G722`` and a packet-time modifier
(``PCMU@40i``, ``L16@24000h@40i``), which this builder accepts too.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from .. import _xmlverbs
from .._xmlverbs import Element, StopVerb, boolean, nonempty
from ..twilio import answer as _twiml
from .session import codec_attribute

__all__ = [
    "Connect",
    "Parameter",
    "Response",
    "Say",
    "Start",
    "Stop",
    "Stream",
    "codec_text",
    "connect_stream",
    "start_stream",
    "stop_stream",
]

def codec_text(codec: str) -> str:
    """The ``codec`` attribute as written: checked by
    :func:`streamcodec.signalwire.codec_attribute` (the reading the
    session uses), the name upper-cased, the modifiers kept.

    Raises
    ------
    ValueError
        For a codec or rate SignalWire does not offer, or a packet time of 0.
    """
    name, _, ptime = codec_attribute(codec)
    if ptime is not None and ptime <= 0:
        raise ValueError(f"codec {codec!r}: the packet time must be at least 1 ms")
    return "@".join([name] + codec.strip().split("@")[1:])


class Parameter(_xmlverbs.Parameter):
    """``<Parameter name value>``: a custom key-value pair delivered in the
    ``start`` message's ``customParameters``."""


class Response(_xmlverbs.Response):
    """``<Response>``: the cXML document's root; :meth:`document` gives the
    text with its XML declaration."""


class Say(_twiml.Say):
    """``<Say>``: speak a text."""


class Stream(_twiml.Stream):
    """``<Stream>``: the WebSocket the call's audio goes to.

    Parameters
    ----------
    url, name, track, status_callback, status_callback_method, parameters
        As :class:`streamcodec.twilio.answer.Stream` (``wss://`` without a
        query string; tracks ``inbound_track`` ``outbound_track``
        ``both_tracks``).
    codec : str, optional
        ``PCMU@8000h`` (SignalWire's default), ``L16@16000h``,
        ``L16@24000h``, ... (see :func:`codec_text`).
    auth_bearer_token : str, optional
        Sent as ``Authorization: Bearer <token>`` on the WebSocket upgrade.
    realtime : bool, optional
        On a bidirectional stream, let SignalWire manage packet delays and
        bursts for a live feel instead of buffering.
    """

    parameter_type = Parameter

    def __init__(self, url: Optional[str] = None, *, codec: Optional[str] = None,
                 auth_bearer_token: Optional[str] = None, realtime: Optional[bool] = None,
                 **common: Any):
        super().__init__(url, **common)
        extra: list[tuple[str, str]] = []
        if auth_bearer_token is not None:
            token = nonempty(auth_bearer_token, "auth_bearer_token")
            if any(c.isspace() for c in token):
                raise ValueError("auth_bearer_token must not contain whitespace")
            extra.append(("authBearerToken", token))
        if codec is not None:
            extra.append(("codec", codec_text(codec)))
        if realtime is not None:
            extra.append(("realtime", boolean(realtime, "realtime")))
        at = 1 if self.attributes and self.attributes[0][0] == "url" else 0
        self.attributes[at:at] = extra


class Start(_twiml.Start):
    """``<Start>``: fork the call's audio to the stream (one way) and go on
    with the next verb."""

    stream_type = Stream


class Connect(_twiml.Connect):
    """``<Connect>``: a bidirectional stream (inbound track only) until the
    WebSocket closes."""

    stream_type = Stream


class Stop(StopVerb):
    """``<Stop>``: stop a stream started earlier, named by its ``name``."""

    stream_type = Stream


def start_stream(url: str, *, after: Iterable[Element] = (), **attributes: Any) -> str:
    """A cXML document that forks the call's audio to ``url``
    (``<Start><Stream>``), then runs the verbs in ``after``.

    Keywords are those of :class:`Stream` (``codec``,
    ``auth_bearer_token``, ``realtime``, ``name``, ``track``,
    ``status_callback``, ``status_callback_method``, ``parameters``).
    """
    return Response(Start(Stream(_twiml.stream_url(url), **attributes)), *after).document()


def connect_stream(url: str, *, after: Iterable[Element] = (), **attributes: Any) -> str:
    """A cXML document that connects the call to the stream at ``url`` both
    ways (``<Connect><Stream>``); keywords as :func:`start_stream`."""
    return Response(Connect(Stream(_twiml.stream_url(url), **attributes)), *after).document()


def stop_stream(name: str) -> str:
    """A cXML document that stops the stream named ``name``."""
    return Response(Stop(Stream(name=name))).document()

