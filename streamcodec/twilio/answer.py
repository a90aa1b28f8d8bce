"""TwiML documents that start, connect and stop a Twilio media stream.

Twilio forks a call's audio to a WebSocket when it runs ``<Start><Stream>``
(one way: the call goes on with the next verb) or ``<Connect><Stream>``
(both ways: the call stays with the stream until the WebSocket closes)::

    from streamcodec.twilio import answer
    answer.connect_stream("wss://example.com/bot", parameters={"customer": "42"})
    answer.start_stream("wss://example.com/tap", track="both_tracks",
                        after=[answer.Say("The stream has started.")])
    answer.stop_stream("my-stream")

Every attribute of Twilio's ``<Stream>`` noun is a snake_case keyword
(``status_callback`` -> ``statusCallback``); only those given are written.
Values are checked against Twilio's reference (TwiML Voice: ``<Stream>``,
https://www.twilio.com/docs/voice/twiml/stream): the url is ``wss://`` and
carries no query string (Twilio's error 31920; pass values as
``<Parameter>`` children, which arrive in ``start.customParameters``), and
``<Connect><Stream>`` streams the inbound track only (error 31941).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Union

from .. import _xmlverbs
from .._xmlverbs import (
    Element,
    StopVerb,
    StreamVerb,
    choice,
    nonempty,
    parameters as parameter_children,
    status_callback as status_callback_attrs,
    url as check_url,
)

__all__ = [
    "Connect",
    "Parameter",
    "Response",
    "Say",
    "Start",
    "Stop",
    "Stream",
    "connect_stream",
    "start_stream",
    "stop_stream",
]

TRACKS = ("inbound_track", "outbound_track", "both_tracks")


class Parameter(_xmlverbs.Parameter):
    """``<Parameter name value>``: a custom key-value pair delivered in the
    ``start`` message's ``customParameters``."""


class Response(_xmlverbs.Response):
    """``<Response>``: the TwiML document's root; :meth:`document` gives the
    text with its XML declaration."""


def stream_url(value: Any) -> str:
    """Check a ``<Stream>`` url the way Twilio and SignalWire take it:
    absolute ``wss://``, no query string."""
    return check_url(value, ("wss",), "url", query=False)


class Stream(Element):
    """``<Stream>``: the WebSocket the call's audio goes to.

    Parameters
    ----------
    url : str, optional
        ``wss://`` URL without a query string (required inside Start and
        Connect; Stop names the stream instead).
    name : str, optional
        A name unique within the call, to stop the stream by later.
    track : str, optional
        ``inbound_track`` (Twilio's default), ``outbound_track`` or
        ``both_tracks``; ``<Connect>`` takes ``inbound_track`` only.
    status_callback : str, optional
        ``http://`` or ``https://`` URL told when the stream starts, stops or
        fails.
    status_callback_method : str, optional
        ``GET`` or ``POST`` (Twilio's default); only with ``status_callback``.
    parameters : mapping, optional
        ``<Parameter>`` children, name -> value, in the mapping's order;
        they arrive in the ``start`` message's ``customParameters``.
    """

    tag = "Stream"
    parameter_type: type[_xmlverbs.Parameter] = Parameter

    def __init__(self, url: Optional[str] = None, *, name: Optional[str] = None,
                 track: Optional[str] = None, status_callback: Optional[str] = None,
                 status_callback_method: Optional[str] = None,
                 parameters: Optional[Mapping[str, Union[str, int, float]]] = None):
        attrs: list[tuple[str, str]] = []
        if url is not None:
            attrs.append(("url", stream_url(url)))
        if name is not None:
            attrs.append(("name", nonempty(name, "name")))
        if track is not None:
            attrs.append(("track", choice(track, TRACKS, "track")))
        attrs += status_callback_attrs(status_callback, status_callback_method)
        super().__init__(attrs, parameter_children(parameters, self.parameter_type))


class Start(StreamVerb):
    """``<Start>``: fork the call's audio to the stream (one way) and go on
    with the next verb; with no next verb Twilio hangs up."""

    tag = "Start"
    stream_type = Stream


class Connect(StreamVerb):
    """``<Connect>``: hand the call to the stream (both ways) until the
    WebSocket closes; it holds one ``<Stream>`` of the inbound track."""

    tag = "Connect"
    stream_type = Stream
    max_streams = 1

    def _check(self, stream: Element) -> None:
        super()._check(stream)
        track = dict(stream.attributes).get("track", "inbound_track")
        if track != "inbound_track":
            raise ValueError(f"<Connect><Stream> streams the inbound track only (Twilio error "
                             f"31941); got track={track!r}")


class Stop(StopVerb):
    """``<Stop>``: stop a stream started earlier, named by its ``name``."""

    stream_type = Stream


class Say(Element):
    """``<Say>``: speak a text (the verb Twilio's examples put after
    ``<Start><Stream>`` so the call has something to do)."""

    tag = "Say"

    def __init__(self, text: str):
        super().__init__(text=nonempty(text, "Say text"))


def _document(verb: Element, after: Iterable[Element]) -> str:
    return Response(verb, *after).document()


def start_stream(url: str, *, after: Iterable[Element] = (), **attributes: Any) -> str:
    """A TwiML document that forks the call's audio to ``url``
    (``<Start><Stream>``), then runs the verbs in ``after``.

    Keywords are those of :class:`Stream` (``name``, ``track``,
    ``status_callback``, ``status_callback_method``, ``parameters``).
    Raises ValueError/TypeError for a value Twilio's reference does not
    allow.
    """
    return _document(Start(Stream(stream_url(url), **attributes)), after)


def connect_stream(url: str, *, after: Iterable[Element] = (), **attributes: Any) -> str:
    """A TwiML document that connects the call to the stream at ``url``
    both ways (``<Connect><Stream>``); ``after`` runs once the WebSocket
    closes.  Keywords as :func:`start_stream` (``track`` may only be
    ``inbound_track``)."""
    return _document(Connect(Stream(stream_url(url), **attributes)), after)


def stop_stream(name: str) -> str:
    """A TwiML document that stops the stream named ``name``
    (``<Stop><Stream name=... /></Stop>``)."""
    return Response(Stop(Stream(name=name))).document()
