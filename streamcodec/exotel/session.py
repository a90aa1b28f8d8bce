"""MediaStream: one Exotel AgentStream (Voicebot applet) WebSocket.

Exotel sends JSON text with snake_case fields: ``connected``, ``start``
(``stream_sid``, ``start.call_sid``, ``start.account_sid``,
``start.custom_parameters``, ``start.media_format``), ``media``
(``media.chunk`` from 1, about 100 ms each), ``dtmf``, ``mark`` (when the
audio sent before it has played) and ``stop``.  Audio is base64 16-bit
little-endian PCM at the rate the URL's ``sample-rate`` chose (8000, 16000
or 24000), or μ-law when ``media_format`` says so.  Back to Exotel go
``media``, ``mark`` and ``clear`` naming the ``stream_sid``; each media
message must be at least 3.2 KB, at most 100 KB and a multiple of 320
bytes.

``media.chunk`` counting from 1 is read off Exotel's WebSocket-protocol
page (developer.exotel.com, AgentStream): its example ``start`` is
``sequence_number`` 1 and its ``media`` ``sequence_number`` 3 carries
``chunk`` 2, so the first media message (sequence 2) is chunk 1.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from ..stream._fields import (codec_of, dispatch, id_reader, integer, mapping, mark_name, obj,
                              rate_of, shared_parsers, text)
from ..stream.events import (
    Connected,
    Event,
    MediaFormat,
    ProtocolError,
    Start,
    Stop,
)
from ..stream.session import MediaStream as _CoreStream

__all__ = ["MediaStream", "parse_frame", "playback_ptime"]

#: Exotel's limits on one outbound media message, bytes.
MIN_BYTES, MAX_BYTES, MULTIPLE = 3200, 100_000, 320
_RATES = (8000, 16000, 24000)


_ids = id_reader("stream_sid", "sequence_number")


def _format(start: Mapping[str, Any]) -> tuple[MediaFormat, str]:
    """``start.media_format`` and its codec.  The base guide sends raw
    16-bit PCM (``audio/x-raw``, or ``base64`` as some messages say); the
    extension guide's ``audio/x-mulaw;rate=8000`` and ``audio/L16;rate=N``
    name theirs."""
    fmt = start.get("media_format")
    if fmt is None:
        fmt = {}
    elif not isinstance(fmt, dict):
        raise ProtocolError(f"field 'start.media_format' must be an object, "
                            f"got {type(fmt).__name__}")
    encoding = text(fmt, "encoding", "start.media_format.encoding") or "audio/x-raw"
    rate = integer(fmt, "sample_rate", "start.media_format.sample_rate") or \
        rate_of(encoding) or 8000
    codec = codec_of(encoding)
    if codec is None and encoding.split(";")[0].strip().lower() in ("base64", "raw", "slin"):
        codec = "L16"
    if codec is None:
        raise ProtocolError(f"start.media_format.encoding {encoding!r} is not a codec "
                            "streamcodec knows")
    return MediaFormat(encoding=encoding, sample_rate=rate), codec


def _start(frame: dict) -> Start:
    start = obj(frame, "start", "start")
    stream_id, seq = _ids(frame)
    fmt, codec = _format(start)
    return Start(media_format=fmt,
                 stream_id=text(start, "stream_sid", "start.stream_sid") or stream_id,
                 sequence_number=seq, from_=text(start, "from", "start.from"),
                 to=text(start, "to", "start.to"), raw=frame,
                 custom_parameters=mapping(start, "custom_parameters", "start.custom_parameters"),
                 call_id=text(start, "call_sid", "start.call_sid"),
                 account_id=text(start, "account_sid", "start.account_sid"), codec=codec)


def _stop(frame: dict) -> Stop:
    stop = mapping(frame, "stop", "stop")
    stream_id, seq = _ids(frame)
    return Stop(stream_id=stream_id, sequence_number=seq, raw=frame,
                call_id=text(stop, "call_sid", "stop.call_sid"),
                account_id=text(stop, "account_sid", "stop.account_sid"))


_PARSERS = {
    "connected": lambda frame: Connected(raw=frame),
    "start": _start,
    **shared_parsers(_ids),
    "stop": _stop,
}


def parse_frame(frame: dict) -> Event:
    """The event of one Exotel frame, already loaded from JSON.

    Parameters
    ----------
    frame : dict
        The message's JSON object, with a string ``event``.

    Returns
    -------
    Connected, Start, Media, Dtmf, Mark, Stop or Unknown

    Raises
    ------
    ProtocolError
        A field the event needs is missing or of the wrong type (named).
    """
    return dispatch(_PARSERS, frame)


def playback_ptime(codec: str, rate: int) -> int:
    """The shortest ptime (ms, a multiple of 20) whose message Exotel takes:
    at least 3.2 KB and a multiple of 320 bytes (200 ms of PCM at 8 kHz,
    100 ms at 16 kHz, 80 ms at 24 kHz, 400 ms of μ-law).

    Parameters
    ----------
    codec : str
        ``"L16"`` or ``"PCMU"``.
    rate : int
        Hz.

    Returns
    -------
    int
        Milliseconds.
    """
    width = 1 if codec in ("PCMU", "PCMA") else 2
    ptime = 20
    while not _fits(rate * width * ptime // 1000):
        ptime += 20
    return ptime


def _fits(size: int) -> bool:
    return MIN_BYTES <= size <= MAX_BYTES and size % MULTIPLE == 0


class MediaStream(_CoreStream):
    """One Exotel Voicebot-applet WebSocket connection.

    Parameters
    ----------
    rate : int
        Rate of the PCM in ``Media.pcm``, Hz (default 16000).  :meth:`play`
        takes PCM at the playback rate unless told its ``rate``.
    sample_rate : int
        The ``sample-rate`` of the stream URL (8000, the default, 16000 or
        24000): playback uses 16-bit PCM at this rate until ``start``
        announces the stream's format, then follows ``start.media_format``.
    reorder_window, max_message_bytes, conceal_limit, max_jump, strict, concealment
        As for :class:`streamcodec.stream.MediaStream`.
    playback_ptime : int, optional
        Milliseconds per outbound media message; default the shortest
        Exotel takes (:func:`playback_ptime`).  A ptime whose message is
        under 3.2 KB, over 100 KB or not a multiple of 320 bytes is refused.

    Notes
    -----
    Every message :meth:`play` returns is whole; :meth:`flush_playback`
    (and :meth:`mark`) pad the remainder with silence to a whole message,
    never a short one (a short one leaves a 20 ms wait, an audible gap).
    ``mark`` is echoed by Exotel when the audio before it has played.
    """

    _STREAM_ID_KEY = "stream_sid"
    _SEQUENCE_KEY = "sequence_number"
    _FIRST_CHUNK = 1
    _MAX_PTIME = 30000
    _FOLLOW_START = True
    _CARRIER = "Exotel"
    _ADDRESSED = True

    def __init__(self, rate: int = 16000, reorder_window: int = 3,
                 max_message_bytes: int = 1 << 18, playback_ptime: Optional[int] = None, *,
                 sample_rate: int = 8000, conceal_limit: int = 10, max_jump: int = 500,
                 strict: bool = False, concealment: Optional[str] = None):
        if sample_rate not in _RATES:
            raise ValueError(f"Exotel streams at 8000, 16000 or 24000 Hz, not {sample_rate!r}")
        super().__init__(rate, "L16", sample_rate, reorder_window, max_message_bytes,
                         playback_ptime, conceal_limit=conceal_limit, max_jump=max_jump,
                         strict=strict, l16_byteorder="little", concealment=concealment)

    def _ptime_for(self, codec: str, rate: int, asked: Optional[int]) -> int:
        return playback_ptime(codec, rate) if asked is None else asked

    def _check_framing(self) -> None:
        width = 1 if self.playback_codec in ("PCMU", "PCMA") else 2
        size = self.playback_rate * width * self.playback_ptime // 1000
        if not _fits(size):
            raise ValueError(f"playback_ptime={self.playback_ptime} makes {size}-byte messages; "
                             "Exotel takes 3200 to 100000 bytes, a multiple of 320")


    def _parse_frame(self, frame: dict) -> Event:
        return parse_frame(frame)

    def _sid(self) -> str:
        return json.dumps(self._stream_id_text)

    def _media_head(self) -> str:
        return '{"event":"media","stream_sid":' + self._sid() + ',"media":{"payload":"'

    def _mark_message(self, name: str) -> str:
        return '{"event":"mark","stream_sid":' + self._sid() + ',"mark":{"name":' + \
            mark_name(name) + "}}"

    def _clear_message(self) -> str:
        return '{"event":"clear","stream_sid":' + self._sid() + "}"
