"""MediaStream: one Plivo audio stream (``<Stream bidirectional="true">``).

Plivo sends JSON text: ``start`` (``start.callId``, ``start.streamId``,
``start.mediaFormat.encoding`` / ``sampleRate``), ``media`` (``streamId``,
``media.chunk`` from 1, ``media.timestamp`` in ms), ``dtmf``,
``playedStream`` (a checkpoint reached) and ``clearedAudio``.  Back to
Plivo go ``playAudio`` (with ``contentType`` and ``sampleRate``),
``checkpoint`` and ``clearAudio``.  Audio is base64 μ-law at 8 kHz or L16 at
8 or 16 kHz, the same both ways.

Sources for what Plivo's pages leave unsaid: L16 is little-endian (Plivo's
own agent-transport decodes and encodes it with ``i16::from_le_bytes`` /
``to_le_bytes``, ``crates/agent-transport/src/audio_stream/protocol.rs``),
and ``media.chunk`` counts from 1 (the types of a Plivo engineer's
streaming SDK, ``plivo_streaming/types.py``: "Chunk number, starts at 1";
Plivo's protocol page has ``sequenceNumber`` start at 1 likewise).
"""

from __future__ import annotations

import json
from typing import Optional

from ..stream._fields import (codec_of, dispatch, id_reader, mark_name, media_format, obj,
                              rate_of, shared_parsers, string_list, text)
from ..stream.events import (
    Event,
    Mark,
    Start,
    Stop,
    Unknown,
)
from ..stream.session import MediaStream as _CoreStream

__all__ = ["MediaStream", "parse_frame"]

#: The content types Plivo plays, by (codec, rate).
_CONTENT = {("PCMU", 8000): "audio/x-mulaw", ("L16", 8000): "audio/x-l16",
            ("L16", 16000): "audio/x-l16"}


_ids = id_reader("streamId", "sequenceNumber")


def _start(frame: dict) -> Start:
    start = obj(frame, "start", "start")
    stream_id, seq = _ids(frame)
    fmt = media_format(start, "mediaFormat", "encoding", "sampleRate")
    headers = text(frame, "extra_headers", "extra_headers")
    return Start(media_format=fmt,
                 stream_id=text(start, "streamId", "start.streamId") or stream_id,
                 sequence_number=seq, custom_parameters=_extra_headers(headers), raw=frame,
                 call_id=text(start, "callId", "start.callId"),
                 account_id=text(start, "accountId", "start.accountId"),
                 tracks=string_list(start, "tracks", "start.tracks"),
                 codec=codec_of(fmt.encoding))


def _extra_headers(headers: Optional[str]) -> dict[str, str]:
    """``extraHeaders`` as Plivo passes them on (``"a=1;b=2"``, or with
    commas as the ``<Stream>`` attribute writes them)."""
    out: dict[str, str] = {}
    for item in (headers or "").replace(",", ";").split(";"):
        key, sep, value = item.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def _played(frame: dict) -> Mark:
    stream_id, seq = _ids(frame)
    return Mark(name=text(frame, "name", "name", required=True), stream_id=stream_id,
                sequence_number=seq, raw=frame)


def _stop(frame: dict) -> Stop:
    stream_id, seq = _ids(frame)
    return Stop(stream_id=stream_id, sequence_number=seq, raw=frame)


_PARSERS = {"start": _start, **shared_parsers(_ids, ("media", "dtmf")), "playedStream": _played,
            "stop": _stop}


def parse_frame(frame: dict) -> Event:
    """The event of one Plivo frame, already loaded from JSON.

    Parameters
    ----------
    frame : dict
        The message's JSON object, with a string ``event``.

    Returns
    -------
    Start, Media, Dtmf, Mark, Stop or Unknown
        ``playedStream`` gives a :class:`Mark` named after the checkpoint;
        ``clearedAudio`` and events Plivo does not document give
        :class:`Unknown` (:class:`MediaStream` turns ``clearedAudio`` into
        the cleared marks).

    Raises
    ------
    ProtocolError
        A field the event needs is missing or of the wrong type (named).
    """
    return dispatch(_PARSERS, frame)


class MediaStream(_CoreStream):
    """One Plivo audio-stream WebSocket connection.

    Parameters
    ----------
    rate : int
        Rate of the PCM in ``Media.pcm``, Hz (default 16000).  :meth:`play`
        takes PCM at the playback rate unless told its ``rate``.
    content_type : str
        The ``<Stream contentType>`` the stream was started with:
        ``"audio/x-mulaw;rate=8000"`` (default), ``"audio/x-l16;rate=8000"``
        or ``"audio/x-l16;rate=16000"``.  Playback uses it until ``start``
        announces the stream's format, then follows
        ``start.mediaFormat``.
    reorder_window, max_message_bytes, conceal_limit, max_jump, strict, concealment
        As for :class:`streamcodec.stream.MediaStream`.
    playback_ptime : int
        Milliseconds per ``playAudio`` message, a multiple of 20 (default 20).
    l16_byteorder : str
        Byte order of L16 on the wire (default ``"little"``, what Plivo's own
        code sends and reads; its pages do not say, so ``"big"`` remains for
        network order).

    Notes
    -----
    :meth:`feed` gives the core's events: ``start`` a
    :class:`~streamcodec.stream.Start` (``stream_id`` the streamId,
    ``call_id`` the callId, ``custom_parameters`` the ``extra_headers``),
    ``playedStream`` the :class:`~streamcodec.stream.Mark` of its
    checkpoint, and ``clearedAudio`` a cleared Mark for each checkpoint the
    clear dropped (then the :class:`~streamcodec.stream.Unknown` itself).
    :meth:`mark` sends a ``checkpoint``; :meth:`mark` and :meth:`clear` name
    the streamId, so they need the ``start`` first.
    """

    _STREAM_ID_KEY = "streamId"
    _SEQUENCE_KEY = "sequenceNumber"
    _FIRST_CHUNK = 1
    _MAX_PTIME = 30000
    _FOLLOW_START = True
    _CARRIER = "Plivo"

    def __init__(self, rate: int = 16000, reorder_window: int = 3,
                 max_message_bytes: int = 1 << 18, playback_ptime: int = 20, *,
                 content_type: str = "audio/x-mulaw;rate=8000", conceal_limit: int = 10,
                 max_jump: int = 500, strict: bool = False, l16_byteorder: str = "little",
                 concealment: Optional[str] = None):
        codec, codec_rate = _content(content_type)
        super().__init__(rate, codec, codec_rate, reorder_window, max_message_bytes,
                         playback_ptime, conceal_limit=conceal_limit, max_jump=max_jump,
                         strict=strict, l16_byteorder=l16_byteorder, concealment=concealment)

    def _check_framing(self) -> None:
        if (self.playback_codec, self.playback_rate) not in _CONTENT:
            raise ValueError(f"Plivo plays audio/x-mulaw at 8000 Hz or audio/x-l16 at 8000 or "
                             f"16000 Hz, not {self.playback_codec} at {self.playback_rate} Hz")

    def _parse_frame(self, frame: dict) -> Event:
        return parse_frame(frame)

    def _handle(self, event: Event) -> list[Event]:
        if isinstance(event, Unknown) and event.event == "clearedAudio":
            stream_id = event.raw.get("streamId")
            return [*self._queue_cleared(stream_id if isinstance(stream_id, str) else None,
                                         event.raw), event]
        return super()._handle(event)

    def _media_head(self) -> str:
        content = _CONTENT[(self.playback_codec, self.playback_rate)]
        return ('{"event":"playAudio","media":{"contentType":"' + content + '","sampleRate":' +
                str(self.playback_rate) + ',"payload":"')

    def _sid(self) -> str:
        if self._stream_id_text is None:
            raise ValueError("Plivo's checkpoint and clearAudio name the stream: feed the start "
                             "frame (or call configure(..., stream_id=...)) first")
        return json.dumps(self._stream_id_text)

    def _mark_message(self, name: str) -> str:
        return '{"event":"checkpoint","streamId":' + self._sid() + ',"name":' + \
            mark_name(name) + "}"

    def _clear_message(self) -> str:
        return '{"event":"clearAudio","streamId":' + self._sid() + "}"


def _content(content_type: str) -> tuple[str, int]:
    if not isinstance(content_type, str):
        raise TypeError(f"content_type must be a str, not {type(content_type).__name__}")
    codec = codec_of(content_type)
    rate = rate_of(content_type) or 8000
    if codec is None or (codec, rate) not in _CONTENT:
        raise ValueError(f"content_type {content_type!r}: Plivo streams audio/x-mulaw;rate=8000, "
                         "audio/x-l16;rate=8000 or audio/x-l16;rate=16000")
    return codec, rate
