"""Plivo XML documents that stream a call's audio to a WebSocket.

Plivo's ``<Stream>`` element holds the WebSocket URL as its text, and its
attributes choose the direction, the track, the audio format and more::

    from streamcodec.plivo import answer
    answer.stream("wss://example.com/bot", bidirectional=True, keep_call_alive=True,
                  content_type="audio/x-l16;rate=16000")

Every attribute of Plivo's reference (the ``<Stream>`` element,
https://www.plivo.com/docs/voice/xml/audio-streaming) is a snake_case
keyword (``audio_track`` -> ``audioTrack``); only those given are written,
checked against the allowed values.  Plivo's two pages disagree on the
default ``contentType`` (``audio/x-l16;rate=8000`` in the XML reference,
μ-law in an overview): set it.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Optional, Union

from .. import _xmlverbs
from .._xmlverbs import Element, boolean, choice, nonempty, url as check_url

__all__ = ["CONTENT_TYPES", "Response", "Speak", "Stream", "extra_headers", "stream"]

TRACKS = ("inbound", "outbound", "both")
METHODS = ("GET", "POST")
#: What ``contentType`` takes (codec and rate of the streamed audio).
CONTENT_TYPES = ("audio/x-l16;rate=8000", "audio/x-l16;rate=16000", "audio/x-mulaw;rate=8000")
_ALNUM = re.compile(r"^[A-Za-z0-9]+$")
_EXTRA_HEADERS_MAX = 512


class Response(_xmlverbs.Response):
    """``<Response>``: the Plivo XML document's root; :meth:`document` gives
    the text with its XML declaration."""


def extra_headers(headers: Union[str, Mapping[str, Union[str, int]]]) -> str:
    """Plivo's ``extraHeaders`` text from a mapping (or a ready string).

    Plivo takes ``key=value`` pairs joined by commas, letters and digits
    only, 512 bytes at most; it echoes them in every message of the stream.

    Raises
    ------
    ValueError
        For an empty key or value, any other character, or more than 512
        bytes.
    """
    pairs: list[list[Any]]
    if isinstance(headers, str):
        pairs = [p.split("=", 1) if "=" in p else [p, ""] for p in headers.split(",")]
    elif isinstance(headers, Mapping):
        pairs = [[k, v] for k, v in headers.items()]
    else:
        raise TypeError(f"extra_headers must be a mapping or a string, "
                        f"not {type(headers).__name__}")
    out = []
    for key, value in pairs:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError("extra_headers keys and values must be strings")
        if not _ALNUM.match(key) or not _ALNUM.match(value):
            raise ValueError(f"extra_headers allows letters and digits only, as key=value; "
                             f"got {key!r}={value!r}")
        out.append(f"{key}={value}")
    if not out:
        raise ValueError("extra_headers must not be empty")
    joined = ",".join(out)
    if len(joined) > _EXTRA_HEADERS_MAX:
        raise ValueError(f"extra_headers is {len(joined)} bytes; Plivo takes at most "
                         f"{_EXTRA_HEADERS_MAX}")
    return joined


# Stream's keyword of the same name hides the function inside __init__.
_extra_headers_text = extra_headers


def _positive_int(value: Any, what: str, low: int = 1, high: Optional[int] = None) -> str:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an integer, not {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{what} must be {bound}; got {value}")
    return str(value)


class Stream(Element):
    """``<Stream>``: the WebSocket (its URL is the element's text).

    Parameters
    ----------
    url : str
        ``wss://`` (or ``ws://``) URL of the WebSocket.
    bidirectional : bool, optional
        ``True``: the server may play audio back (``playAudio``); Plivo's
        default is one way.
    audio_track : str, optional
        ``inbound`` (default), ``outbound`` or ``both``; a bidirectional
        stream takes ``inbound`` only.
    stream_timeout : int, optional
        Seconds after which streaming stops (default 86400).
    content_type : str, optional
        One of :data:`CONTENT_TYPES`.
    keep_call_alive : bool, optional
        ``True``: the rest of the document runs only after the stream ends.
    extra_headers : mapping or str, optional
        ``key=value`` pairs (see :func:`extra_headers`) echoed in every
        message.
    status_callback_url : str, optional
        ``http(s)://`` URL told of StartStream, StopStream, DroppedStream.
    status_callback_method : str, optional
        ``GET`` or ``POST`` (default); only with ``status_callback_url``.
    noise_cancellation : bool, optional
        Plivo's noise cancellation on the streamed audio.
    noise_cancellation_level : int, optional
        60..100 (default 85); only with ``noise_cancellation=True``.
    """

    tag = "Stream"

    def __init__(self, url: str, *, bidirectional: Optional[bool] = None,
                 audio_track: Optional[str] = None, stream_timeout: Optional[int] = None,
                 content_type: Optional[str] = None, keep_call_alive: Optional[bool] = None,
                 extra_headers: Optional[Union[str, Mapping[str, Union[str, int]]]] = None,
                 status_callback_url: Optional[str] = None,
                 status_callback_method: Optional[str] = None,
                 noise_cancellation: Optional[bool] = None,
                 noise_cancellation_level: Optional[int] = None):
        ws_url = check_url(url, ("wss", "ws"), "url")
        attrs: list[tuple[str, str]] = []
        two_way = False
        if bidirectional is not None:
            value = boolean(bidirectional, "bidirectional")
            two_way = value == "true"
            attrs.append(("bidirectional", value))
        if audio_track is not None:
            track = choice(audio_track, TRACKS, "audio_track")
            if two_way and track != "inbound":
                raise ValueError(f"a bidirectional stream takes audio_track='inbound' only; "
                                 f"got {track!r}")
            attrs.append(("audioTrack", track))
        if stream_timeout is not None:
            attrs.append(("streamTimeout", _positive_int(stream_timeout, "stream_timeout")))
        if content_type is not None:
            attrs.append(("contentType",
                          choice(content_type.replace(" ", "") if isinstance(content_type, str)
                                 else content_type, CONTENT_TYPES, "content_type")))
        if keep_call_alive is not None:
            attrs.append(("keepCallAlive", boolean(keep_call_alive, "keep_call_alive")))
        if extra_headers is not None:
            attrs.append(("extraHeaders", _extra_headers_text(extra_headers)))
        if status_callback_url is not None:
            attrs.append(("statusCallbackUrl", check_url(
                status_callback_url, ("http", "https"), "status_callback_url")))
        if status_callback_method is not None:
            if status_callback_url is None:
                raise ValueError("status_callback_method needs a status_callback_url")
            attrs.append(("statusCallbackMethod",
                          choice(status_callback_method, METHODS, "status_callback_method")))
        noise = None
        if noise_cancellation is not None:
            noise = boolean(noise_cancellation, "noise_cancellation")
            attrs.append(("noiseCancellation", noise))
        if noise_cancellation_level is not None:
            if noise != "true":
                raise ValueError("noise_cancellation_level needs noise_cancellation=True")
            attrs.append(("noiseCancellationLevel", _positive_int(
                noise_cancellation_level, "noise_cancellation_level", 60, 100)))
        super().__init__(attrs, text=ws_url)


class Speak(Element):
    """``<Speak>``: say a text (e.g. after a one-way stream so the call has
    something to do)."""

    tag = "Speak"

    def __init__(self, text: str):
        super().__init__(text=nonempty(text, "Speak text"))


def stream(url: str, *, after: Iterable[Element] = (), **attributes: Any) -> str:
    """A Plivo XML document that streams the call to ``url``, then runs the
    elements in ``after``.

    Keywords are those of :class:`Stream` (``bidirectional``,
    ``audio_track``, ``stream_timeout``, ``content_type``,
    ``keep_call_alive``, ``extra_headers``, ``status_callback_url``,
    ``status_callback_method``, ``noise_cancellation``,
    ``noise_cancellation_level``).  Raises ValueError/TypeError for a value
    Plivo's reference does not allow.
    """
    return Response(Stream(url, **attributes), *after).document()
