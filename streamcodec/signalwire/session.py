"""MediaStream: one SignalWire media stream (cXML ``<Stream>``, SWML
``stream:``), both directions.

SignalWire speaks Twilio's messages (:mod:`streamcodec.twilio`) and adds a
codec choice: the ``codec`` attribute takes ``PCMU`` (the default),
``PCMA``, ``G722``, ``L16``, ``L16@16000h`` or ``L16@24000h``; the stream
carries that codec both ways, announced in ``start.mediaFormat``.

SignalWire's ``<Stream>`` page (signalwire/docs, ``cxml/voice/stream.mdx``)
gives the encodings as ``audio/x-mulaw`` and ``audio/x-L16`` at 8000, 16000
or 24000 Hz, ``sequenceNumber`` and ``media.chunk`` counting from 1, the
``connected`` version ``0.2.0`` and ids that are UUIDs (Twilio's are
``MZ``/``CA``/``AC`` and 32 hex digits: that is how ``--carrier auto``
tells a SignalWire μ-law stream from Twilio's).  It does not give the byte
order of L16: little-endian is what working integrations assume (the
SignalWire transport of OpenAI's agents SDK hands L16@24000h payloads,
untouched, to a little-endian ``pcm16`` API), not a documented fact, so
``l16_byteorder`` stays.
"""

from __future__ import annotations

from typing import Optional

from ..twilio.session import MediaStream as _TwilioStream
from ..twilio.session import parse_frame

__all__ = ["MediaStream", "codec_attribute", "parse_frame"]

#: The codecs and rates SignalWire streams offer.
_OFFERED = {("PCMU", 8000), ("PCMA", 8000), ("G722", 16000), ("L16", 8000), ("L16", 16000),
            ("L16", 24000)}


def codec_attribute(codec: str) -> tuple[str, int, Optional[int]]:
    """Read a ``codec`` attribute (``"PCMU"``, ``"L16@16000h"``,
    ``"PCMU@40i"``...) as (codec, rate, ptime).

    Parameters
    ----------
    codec : str
        The attribute's value.

    Returns
    -------
    tuple
        streamcodec's codec name, its rate on the wire in Hz, and the
        ptime in ms the ``@NNi`` modifier asks for (None without one).

    Raises
    ------
    ValueError
        A codec or rate SignalWire does not offer.
    """
    if not isinstance(codec, str):
        raise TypeError(f"codec must be a str, not {type(codec).__name__}")
    name, *mods = codec.strip().split("@")
    name = name.upper()
    rate = {"G722": 16000}.get(name, 8000)
    ptime = None
    for mod in mods:
        if mod[-1:] == "h" and mod[:-1].isdigit():
            rate = int(mod[:-1])
        elif mod[-1:] == "i" and mod[:-1].isdigit():
            ptime = int(mod[:-1])
        else:
            raise ValueError(f"codec {codec!r}: {mod!r} is neither a rate (16000h) "
                             "nor a ptime (40i)")
    if (name, rate) not in _OFFERED:
        raise ValueError(f"codec {codec!r}: SignalWire streams offer PCMU, PCMA, G722 and "
                         "L16 at 8000, 16000 or 24000 Hz")
    return name, rate, ptime


class MediaStream(_TwilioStream):
    """One SignalWire media-stream WebSocket connection.

    Parameters
    ----------
    rate : int
        Rate of the PCM in ``Media.pcm``, Hz (default 16000).  :meth:`play`
        takes PCM at the playback rate unless told its ``rate``.
    codec : str
        The ``codec`` attribute the stream was started with (default
        ``"PCMU"``; ``"PCMA"``, ``"G722"``, ``"L16"``, ``"L16@16000h"``,
        ``"L16@24000h"``, optionally with ``@NNi`` for the ptime).  Playback
        uses it until ``start`` announces the stream's format, and then
        follows ``start.mediaFormat``.
    reorder_window, max_message_bytes, conceal_limit, max_jump, strict, concealment
        As for :class:`streamcodec.twilio.MediaStream`.
    playback_ptime : int, optional
        Milliseconds per outbound message (default: the codec's ``@NNi``,
        else 20).
    l16_byteorder : str
        Byte order of L16 on the wire (default ``"little"``, what working
        integrations assume; SignalWire does not document it, so ``"big"``
        is there for network order).

    Notes
    -----
    The messages, ids and acknowledgements are Twilio's
    (:class:`streamcodec.twilio.MediaStream`).
    """

    _FOLLOW_START = True
    _CARRIER = "SignalWire"

    def __init__(self, rate: int = 16000, reorder_window: int = 3,
                 max_message_bytes: int = 1 << 18, playback_ptime: Optional[int] = None, *,
                 codec: str = "PCMU", conceal_limit: int = 10, max_jump: int = 500,
                 strict: bool = False, l16_byteorder: str = "little",
                 concealment: Optional[str] = None):
        name, codec_rate, ptime = codec_attribute(codec)
        if playback_ptime is None:
            playback_ptime = ptime
        super(_TwilioStream, self).__init__(
            rate, name, codec_rate, reorder_window, max_message_bytes, playback_ptime,
            conceal_limit=conceal_limit, max_jump=max_jump, strict=strict,
            l16_byteorder=l16_byteorder, concealment=concealment)

