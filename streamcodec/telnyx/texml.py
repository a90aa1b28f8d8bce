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

import re
from typing import Any, Iterable, Mapping, Optional, Union
from urllib.parse import urlsplit

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
#: Values of ``statusCallbackMethod``.
METHODS = ("GET", "POST")

#: XML 1.0 forbids these characters even as references.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INDENT = "  "


def _escape_attr(value: str) -> str:
    """Quote an attribute value for a double-quoted XML attribute; tabs and
    line breaks become character references so a parser keeps them."""
    bad = _XML_ILLEGAL.search(value)
    if bad:
        raise ValueError(f"character {bad.group()!r} cannot appear in an XML document")
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
            .replace("\r", "&#13;"))


class Element:
    """One XML element: a tag, attributes in order, child elements.

    Subclasses validate their arguments; :meth:`to_xml` writes the element
    indented the way the Telnyx reference shows it.
    """

    tag = ""

    def __init__(self, attributes: Optional[Iterable[tuple[str, str]]] = None,
                 children: Iterable["Element"] = ()):
        self.attributes: list[tuple[str, str]] = list(attributes or ())
        self.children: list[Element] = list(children)
        for child in self.children:
            if not isinstance(child, Element):
                raise TypeError(
                    f"<{self.tag}> children must be elements, not {type(child).__name__}")

    def append(self, child: "Element") -> "Element":
        """Add a child element; returns self so calls chain."""
        if not isinstance(child, Element):
            raise TypeError(f"<{self.tag}> children must be elements, not {type(child).__name__}")
        self.children.append(child)
        return self

    def _lines(self, depth: int) -> list[str]:
        attrs = "".join(f' {k}="{_escape_attr(v)}"' for k, v in self.attributes)
        pad = _INDENT * depth
        if not self.children:
            return [f"{pad}<{self.tag}{attrs} />" if attrs else f"{pad}<{self.tag} />"]
        lines = [f"{pad}<{self.tag}{attrs}>"]
        for child in self.children:
            lines.extend(child._lines(depth + 1))
        lines.append(f"{pad}</{self.tag}>")
        return lines

    def to_xml(self) -> str:
        """This element and its children as indented XML (no declaration)."""
        return "\n".join(self._lines(0))

    def __str__(self) -> str:
        return self.to_xml()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_xml()!r}>"


def _text(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"{what} must be a string, not {type(value).__name__}")
    return str(value)


def _rtp_only(mode: Optional[str], given_mode: Any, mode_field: str,
              fields: Iterable[tuple[str, Any]]) -> None:
    """The bidirectional codec and rate mean something in RTP mode only:
    refuse them with any other mode (or none: Telnyx's default is MP3)."""
    for key, given in fields:
        if given is not None and mode != "rtp":
            raise ValueError(f"{key} is used only with {mode_field}='rtp' (got "
                             f"{mode_field}={given_mode!r}; Telnyx's default is mp3)")


def _choice(value: Any, allowed: Iterable[Any], what: str, fold=str.lower) -> Any:
    """Match value against allowed values (case-insensitive for strings);
    return the canonical spelling."""
    allowed = tuple(allowed)
    if isinstance(value, str):
        for option in allowed:
            if isinstance(option, str) and fold(option) == fold(value.strip()):
                return option
    elif not isinstance(value, bool):
        for option in allowed:
            if option == value:
                return option
    shown = ", ".join(str(a) for a in allowed)
    raise ValueError(f"{what} must be one of {shown}; got {value!r}")


def _rate(value: Any, allowed: tuple[int, ...], what: str) -> int:
    """A rate in Hz from the allowed ones; a string of digits is taken too."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    return _choice(value, allowed, what)


def _url(value: Any, schemes: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string URL, not {type(value).__name__}")
    try:
        parts = urlsplit(value)
    except ValueError as exc:
        raise ValueError(f"{what} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in schemes or not parts.netloc or not parts.hostname:
        raise ValueError(f"{what} must be an absolute {' or '.join(schemes)} URL; got {value!r}")
    if any(c.isspace() for c in value):
        raise ValueError(f"{what} must not contain whitespace; got {value!r}")
    return value


class Parameter(Element):
    """``<Parameter name value>``: a custom key-value pair delivered in the
    stream's ``start.custom_parameters``."""

    tag = "Parameter"

    def __init__(self, name: str, value: Union[str, int, float]):
        name = _text(name, "Parameter name")
        if not name:
            raise ValueError("Parameter name must not be empty")
        super().__init__([("name", name), ("value", _text(value, f"Parameter {name!r} value"))])


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
        if status_callback is not None:
            attrs.append(("statusCallback", _url(status_callback, ("http", "https"),
                                                 "status_callback")))
        if status_callback_method is not None:
            if status_callback is None:
                raise ValueError("status_callback_method needs a status_callback")
            attrs.append(("statusCallbackMethod",
                          _choice(status_callback_method, METHODS, "status_callback_method")))
        if parameters is None:
            parameters = {}
        if not isinstance(parameters, Mapping):
            raise TypeError(
                f"parameters must be a mapping of name to value, not {type(parameters).__name__}")
        super().__init__(attrs, [Parameter(k, v) for k, v in parameters.items()])


class _Verb(Element):
    """A verb wrapping one or more ``<Stream>`` elements."""

    def __init__(self, *streams: Stream):
        if not streams:
            raise ValueError(f"<{self.tag}> needs a <Stream>")
        for stream in streams:
            if not isinstance(stream, Stream):
                raise TypeError(f"<{self.tag}> takes Stream elements, not {type(stream).__name__}")
            self._check(stream)
        super().__init__(children=streams)

    def _check(self, stream: Stream) -> None:
        if not any(k == "url" for k, _ in stream.attributes):
            raise ValueError(f"<Stream> inside <{self.tag}> needs a url")


class Start(_Verb):
    """``<Start>``: fork the call's audio to the stream and go on with the
    next verb (the call continues while it streams)."""

    tag = "Start"


class Connect(_Verb):
    """``<Connect>``: hand the call to the stream until the WebSocket closes."""

    tag = "Connect"


class Stop(_Verb):
    """``<Stop>``: stop a stream started earlier, named by its ``name``."""

    tag = "Stop"

    def _check(self, stream: Stream) -> None:
        if not any(k == "name" for k, _ in stream.attributes):
            raise ValueError("<Stream> inside <Stop> needs the name of the stream to stop")


class Response(Element):
    """``<Response>``: the TeXML document's root; :meth:`document` gives the
    text with its XML declaration."""

    tag = "Response"

    def __init__(self, *verbs: Element):
        super().__init__(children=verbs)

    def document(self) -> str:
        """The whole TeXML document, starting with the XML declaration."""
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + self.to_xml() + "\n"


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
