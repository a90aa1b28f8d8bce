"""TeXML documents that start, connect and stop a Telnyx media stream.

Three helpers return a whole ``<Response>`` document::

    from streamcodec.telnyx import texml
    texml.start_stream("wss://example.com/stream", track="both_tracks")
    texml.connect_stream("wss://example.com/bot", bidirectional_mode="rtp",
                         bidirectional_codec="OPUS", bidirectional_sampling_rate=16000)
    texml.stop_stream("my-stream")

They are built from composable element objects (:class:`Response`,
:class:`Start`, :class:`Connect`, :class:`Stop`, :class:`Stream`,
:class:`Parameter`) that can be combined with other verbs by hand.  Every
``<Stream>`` attribute of the Telnyx reference is a snake_case keyword
(``status_callback`` -> ``statusCallback``); only the attributes given are
written.  Values are checked against the reference's allowed values, and
text is XML-escaped.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from .. import _xmlverbs
from .._xmlverbs import (
    Element,
    StopVerb,
    StreamVerb,
    choice as _choice,
    parameters as parameter_children,
    rate as _rate,
    status_callback as status_callback_attrs,
    text as _text,
    url as _url,
)

__all__ = [
    "Connect",
    "Element",
    "Parameter",
    "Response",
    "Start",
    "Stop",
    "Stream",
    "connect_stream",
    "start_stream",
    "stop_stream",
]

#: Values of the ``track`` attribute.
TRACKS = ("inbound_track", "outbound_track", "both_tracks")
#: Values of ``codec`` (the inbound codec).
CODECS = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "default")
#: Values of ``bidirectionalMode``.
BIDIRECTIONAL_MODES = ("mp3", "rtp")
#: Values of ``bidirectionalCodec``.
BIDIRECTIONAL_CODECS = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB")
#: Values of ``bidirectionalSamplingRate``, Hz.
BIDIRECTIONAL_RATES = (8000, 16000, 24000)


def _rtp_only(mode: Optional[str], given_mode: Any, mode_field: str,
              fields: Any) -> None:
    """The bidirectional codec and rate mean something in RTP mode only:
    refuse them with any other mode (or none: Telnyx's default is MP3)."""
    for key, given in fields:
        if given is not None and mode != "rtp":
            raise ValueError(f"{key} is used only with {mode_field}='rtp' (got "
                             f"{mode_field}={given_mode!r}; Telnyx's default is mp3)")


class Parameter(_xmlverbs.Parameter):
    """``<Parameter name value>``: a custom key-value pair delivered in the
    stream's ``start.custom_parameters``."""


class Response(_xmlverbs.Response):
    """``<Response>``: the TeXML document's root; :meth:`document` gives the
    text with its XML declaration."""


class Stream(Element):
    """``<Stream>``: the WebSocket stream, with every attribute of the Telnyx
    reference as a keyword argument.

    Parameters
    ----------
    url : str, optional
        ``ws://`` or ``wss://`` destination (required inside Start/Connect).
    track : str, optional
        ``inbound_track`` (Telnyx default), ``outbound_track``, ``both_tracks``.
    name : str, optional
        Name of the stream instance (what :func:`stop_stream` refers to).
    codec : str, optional
        ``PCMU PCMA G722 OPUS AMR-WB default``.
    bidirectional_mode : str, optional
        ``mp3`` (Telnyx default) or ``rtp``.
    bidirectional_codec : str, optional
        ``PCMU`` (default) ``PCMA G722 OPUS AMR-WB``; only with
        ``bidirectional_mode="rtp"``.
    bidirectional_sampling_rate : int, optional
        8000 (default), 16000 or 24000; only with ``bidirectional_mode="rtp"``.
        The verb allows any listed codec with any listed rate, and so does
        this builder.  What plays well: the verb does not say what a rate
        other than the codec's own means for G.711 (8 kHz audio by
        definition) or G.722 and AMR-WB (16 kHz), and
        :class:`~streamcodec.telnyx.MediaStream` encodes those at their own
        rate only; declare PCMU/PCMA with 8000 and G722/AMR-WB with 16000
        unless you have checked what Telnyx does with another pair.  OPUS
        carries any of the three.
    status_callback : str, optional
        ``http://`` or ``https://`` URL for stream-started/stopped/failed.
    status_callback_method : str, optional
        ``GET`` or ``POST`` (Telnyx default); only with ``status_callback``.
    parameters : mapping, optional
        ``<Parameter>`` children, name -> value, in the mapping's order.
    """

    tag = "Stream"

    def __init__(self, url: Optional[str] = None, *, track: Optional[str] = None,
                 name: Optional[str] = None, codec: Optional[str] = None,
                 bidirectional_mode: Optional[str] = None,
                 bidirectional_codec: Optional[str] = None,
                 bidirectional_sampling_rate: Optional[int] = None,
                 status_callback: Optional[str] = None,
                 status_callback_method: Optional[str] = None,
                 parameters: Optional[Mapping[str, Union[str, int, float]]] = None):
        attrs: list[tuple[str, str]] = []
        if url is not None:
            attrs.append(("url", _url(url, ("ws", "wss"), "url")))
        if track is not None:
            attrs.append(("track", _choice(track, TRACKS, "track")))
        if name is not None:
            name = _text(name, "name")
            if not name:
                raise ValueError("name must not be empty")
            attrs.append(("name", name))
        if codec is not None:
            attrs.append(("codec", _choice(codec, CODECS, "codec")))
        mode = None
        if bidirectional_mode is not None:
            mode = _choice(bidirectional_mode, BIDIRECTIONAL_MODES, "bidirectional_mode")
            attrs.append(("bidirectionalMode", mode))
        _rtp_only(mode, bidirectional_mode, "bidirectional_mode",
                  (("bidirectional_codec", bidirectional_codec),
                   ("bidirectional_sampling_rate", bidirectional_sampling_rate)))
        if bidirectional_codec is not None:
            attrs.append(("bidirectionalCodec", _choice(
                bidirectional_codec, BIDIRECTIONAL_CODECS, "bidirectional_codec")))
        if bidirectional_sampling_rate is not None:
            attrs.append(("bidirectionalSamplingRate", str(_rate(
                bidirectional_sampling_rate, BIDIRECTIONAL_RATES,
                "bidirectional_sampling_rate"))))
        attrs += status_callback_attrs(status_callback, status_callback_method)
        super().__init__(attrs, parameter_children(parameters, Parameter))


class Start(StreamVerb):
    """``<Start>``: fork the call's audio to the stream and go on with the
    next verb (the call continues while it streams)."""

    tag = "Start"
    stream_type = Stream


class Connect(StreamVerb):
    """``<Connect>``: hand the call to the stream until the WebSocket closes."""

    tag = "Connect"
    stream_type = Stream


class Stop(StopVerb):
    """``<Stop>``: stop a stream started earlier, named by its ``name``."""

    stream_type = Stream


def start_stream(url: str, **attributes: Any) -> str:
    """A TeXML document that starts streaming the call to ``url``::

        <Response><Start><Stream url=... /></Start></Response>

    Keywords are those of :class:`Stream` (``track``, ``name``, ``codec``,
    ``bidirectional_mode``, ``bidirectional_codec``,
    ``bidirectional_sampling_rate``, ``status_callback``,
    ``status_callback_method``, ``parameters``).  Raises ValueError/TypeError
    for a value the Telnyx reference does not allow.
    """
    _url(url, ("ws", "wss"), "url")
    return Response(Start(Stream(url, **attributes))).document()


def connect_stream(url: str, **attributes: Any) -> str:
    """A TeXML document that connects the call to the stream at ``url``
    (``<Connect><Stream>``); keywords as :func:`start_stream`."""
    _url(url, ("ws", "wss"), "url")
    return Response(Connect(Stream(url, **attributes))).document()


def stop_stream(name: str) -> str:
    """A TeXML document that stops the stream named ``name``
    (``<Stop><Stream name=... /></Stop>``)."""
    return Response(Stop(Stream(name=name))).document()
