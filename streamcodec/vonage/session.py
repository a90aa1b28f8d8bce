"""MediaStream: one Vonage Voice API WebSocket (NCCO ``connect`` to a
``websocket`` endpoint).

The first message is text: ``{"event":"websocket:connected",
"content-type":"audio/l16;rate=16000", ...}`` with the NCCO's ``headers``.
After it, audio travels as **binary** messages of raw 16-bit little-endian
PCM, exactly 20 ms each, both ways, at the rate ``content-type`` names
(8000 or 16000).  Control is text JSON: Vonage sends ``websocket:dtmf``,
``websocket:notify`` (the payload of a ``notify`` once the audio queued
before it has played) and ``websocket:cleared``; the server sends
``{"action":"notify","payload":{...}}`` and ``{"action":"clear"}``.
No sequence numbers: frames arrive in TCP order, numbered here from 1.
"""

from __future__ import annotations

from typing import Any, Optional, Union

from ..stream._fields import codec_of, dispatch, integer, mark_name, rate_of, text
from ..stream.events import (
    Dtmf,
    Error,
    Event,
    Mark,
    Media,
    MediaFormat,
    ProtocolError,
    Start,
    Unknown,
    _media_event,
)
from ..stream.session import MediaStream as _CoreStream
from .._core import ffi

__all__ = ["MediaStream", "parse_frame"]

_RATES = (8000, 16000)
Message = Union[str, bytes, bytearray, memoryview]


def _connected(frame: dict) -> Start:
    content = text(frame, "content-type", "content-type", required=True)
    codec, rate = codec_of(content), rate_of(content)
    if codec != "L16" or rate is None:
        raise ProtocolError(f"field 'content-type' {content!r}: Vonage streams "
                            "audio/l16;rate=8000 or audio/l16;rate=16000")
    params = {k: v for k, v in frame.items() if k not in ("event", "content-type")}
    return Start(media_format=MediaFormat(encoding=content, sample_rate=rate),
                 custom_parameters=params, raw=frame, codec=codec)


def _dtmf(frame: dict) -> Dtmf:
    digit = frame.get("digit")
    if digit is None and isinstance(frame.get("dtmf"), dict):   # the newer nested form
        frame_dtmf = frame["dtmf"]
        return Dtmf(digit=text(frame_dtmf, "digit", "dtmf.digit", required=True), raw=frame,
                    duration=integer(frame_dtmf, "duration", "dtmf.duration"))
    return Dtmf(digit=text(frame, "digit", "digit", required=True), raw=frame,
                duration=integer(frame, "duration", "duration"))


def _notify(frame: dict) -> Mark:
    payload = frame.get("payload")
    name = payload.get("name") if isinstance(payload, dict) else None
    if not isinstance(name, str):
        raise ProtocolError("field 'payload.name' is missing (a notify this session did not send)")
    return Mark(name=name, raw=frame)


def _error(frame: dict) -> Error:
    code = frame.get("code")
    return Error(code=code if isinstance(code, int) and not isinstance(code, bool) else None,
                 detail=frame.get("reason") if isinstance(frame.get("reason"), str) else None,
                 raw=frame)


_PARSERS = {
    "websocket:connected": _connected,
    "websocket:dtmf": _dtmf,
    "websocket:notify": _notify,
    "websocket:error": _error,
}


def parse_frame(frame: dict) -> Event:
    """The event of one Vonage text message, already loaded from JSON.

    Parameters
    ----------
    frame : dict
        The message's JSON object, with a string ``event``.

    Returns
    -------
    Start, Dtmf, Mark, Error or Unknown
        ``websocket:connected`` gives the :class:`Start` (its
        ``custom_parameters`` are the NCCO ``headers``), ``websocket:notify``
        the :class:`Mark` named in its payload; ``websocket:cleared`` and
        other events give :class:`Unknown`.

    Raises
    ------
    ProtocolError
        A field the event needs is missing or of the wrong type (named).
    """
    return dispatch(_PARSERS, frame)


class MediaStream(_CoreStream):
    """One Vonage Voice API WebSocket connection.

    Parameters
    ----------
    rate : int
        Rate of the PCM in ``Media.pcm``, Hz (default 16000).  :meth:`play`
        takes PCM at the playback rate unless told its ``rate``.
    content_type : str
        The endpoint's ``content-type`` in the NCCO
        (``"audio/l16;rate=16000"``, the default, or ``rate=8000``):
        playback uses it until ``websocket:connected`` says otherwise.
    max_message_bytes : int
        Longest message :meth:`feed` accepts (default 64 KiB).
    strict : bool
        Raise :class:`~streamcodec.stream.PayloadError` for an audio message
        of an odd byte count instead of counting it in ``stats["inbound"].bad``.
    concealment : str, optional
        As for :class:`streamcodec.stream.MediaStream`.

    Notes
    -----
    :meth:`feed` takes text (``str``) and binary (``bytes``) messages as
    the WebSocket delivers them.  A binary message is one audio frame: it is
    decoded without base64 or JSON and comes back as a
    :class:`~streamcodec.stream.Media` numbered from 1 (``timestamp`` the
    milliseconds before it).  :meth:`play` returns ``bytes``, one message
    per 20 ms exactly (the remainder waits for more, or for
    :meth:`flush_playback` / :meth:`mark`, which pad it with silence);
    :meth:`mark` and :meth:`clear` return JSON text.  A ``notify`` is
    answered with ``websocket:notify`` once the audio before it has played:
    that gives the :class:`~streamcodec.stream.Mark` with ``played_ms``;
    ``websocket:cleared`` gives the cleared marks of the dropped audio.
    """

    _FOLLOW_START = True
    _CARRIER = "Vonage"

    def __init__(self, rate: int = 16000, *, content_type: str = "audio/l16;rate=16000",
                 max_message_bytes: int = 1 << 16, strict: bool = False,
                 concealment: Optional[str] = None):
        if not isinstance(content_type, str):
            raise TypeError(f"content_type must be a str, not {type(content_type).__name__}")
        codec_rate = rate_of(content_type)
        if codec_of(content_type) != "L16" or codec_rate not in _RATES:
            raise ValueError(f"content_type {content_type!r}: Vonage streams "
                             "audio/l16;rate=8000 or audio/l16;rate=16000")
        super().__init__(rate, "L16", codec_rate, 0, max_message_bytes, 20, strict=strict,
                         l16_byteorder="little", concealment=concealment)

    # ---- inbound: text through the core, binary decoded here ----

    def feed(self, message: Message) -> list[Event]:  # type: ignore[override]
        """Handle one WebSocket message from Vonage.

        Parameters
        ----------
        message : str or bytes
            Text (``str``) is JSON control; binary (``bytes``, ``bytearray``
            or ``memoryview``) is one frame of audio.

        Returns
        -------
        list of events
            One :class:`~streamcodec.stream.Media` per audio frame (none for
            an empty or bad one), else the control message's events.

        Raises
        ------
        ProtocolError
            Audio before ``websocket:connected``, a message longer than
            ``max_message_bytes``, text that is not a JSON object with an
            ``event``, or a required field missing.
        """
        if isinstance(message, str):
            return self._feed_other(message)
        return self.feed_audio(message)

    def _feed_other(self, message: Message) -> list[Event]:
        # Vonage's text is control only (its audio comes binary, through
        # feed_audio), so no text message goes to the media scanner: one that
        # looks like another carrier's media frame is refused here exactly as
        # json.loads's path refuses it, never decoded.
        if type(message) is str:
            size = len(message.encode("utf-8", "surrogatepass"))
        elif isinstance(message, (bytes, bytearray, memoryview)):
            size = memoryview(message).nbytes
        else:
            raise TypeError(f"message must be str or bytes, not {type(message).__name__}")
        if size > self.max_message_bytes:
            return self._reject(size)
        return self._general(message)

    def _feed_one(self, message: Message) -> Union[Media, list[Event]]:  # type: ignore[override]
        # the server's text path: transports that read text as bytes (picows)
        # hand binary messages to feed_audio themselves
        return self._feed_other(message)

    # feed_audio() is StreamBase.feed_audio (C, documented there): bytes
    # of a frame in order is one sc_frame_audio_in() call; everything else
    # (other buffer types, errors, a frame the decoder refuses) comes here.

    def _feed_audio_other(self, message: Any) -> list[Event]:
        """feed_audio() in Python: any buffer type, every check."""
        if not isinstance(message, (bytes, bytearray, memoryview)):
            raise TypeError(f"message must be str or bytes, not {type(message).__name__}")
        data = bytes(message)
        if len(data) > self.max_message_bytes:
            return self._reject(len(data))
        if self.codec is None:
            self.rejected += 1
            raise ProtocolError("audio before websocket:connected: the rate is not known yet")
        track = self._tracks.get("inbound") or self._track("inbound")
        if not data:   # no audio, so no place in the timeline
            return list(self._bad_payload(track, "an empty audio message"))
        # TCP keeps the frames in order and they are numbered here (from 1,
        # as C numbers them): nothing to reorder, so the frame goes straight
        # to the decoder (one it refuses is concealed in its place)
        chunk = max(track.last_chunk, 0) + 1
        media = _media_event("inbound", chunk, 20 * (chunk - 1), data, None, None, None)
        track.received += 1
        track.last_chunk = chunk
        out: list[Media] = []
        self._deliver(track, media, out)
        track.expected = chunk + 1
        return list(out)

    def _parse_frame(self, frame: dict) -> Event:
        return parse_frame(frame)

    def _handle(self, event: Event) -> list[Event]:
        if isinstance(event, Start):
            self._begin(event)          # new tracks: numbering from 1 again
            return [event]
        if isinstance(event, Unknown) and event.event == "websocket:cleared":
            return [*self._queue_cleared(None, event.raw), event]
        return super()._handle(event)

    # ---- outbound: raw 20 ms frames, text control ----

    def play(self, pcm: Any, rate: Optional[int] = None) -> list[bytes]:  # type: ignore[override]
        """Encode PCM for playback: one binary message per 20 ms.

        Parameters
        ----------
        pcm : bytes, bytearray, memoryview or numpy int16 array
            16-bit mono PCM.
        rate : int, optional
            Its rate in Hz (default: the playback rate, the stream's).

        Returns
        -------
        list of bytes
            Raw 16-bit little-endian PCM at the stream's rate, exactly 20
            ms per message; the remainder waits for the next call.
        """
        return self._play_other(pcm, rate)

    def _encode(self, pcm: Any, n: int) -> list[bytes]:  # type: ignore[override]
        data = pcm if type(pcm) is bytes else ffi.buffer(ffi.cast("char *", pcm), 2 * n)[:]
        encoder = self._encoder
        if encoder is None:
            self._no_pcm_playback()
        encoded = encoder.encode(data)
        size = len(encoded) * self._packet // n
        self._out_ctx.sent += n // self._packet
        return [encoded[i:i + size] for i in range(0, len(encoded), size)]

    def flush_playback(self) -> list[bytes]:  # type: ignore[override]
        """The audio :meth:`play` still holds, padded with silence to one
        whole 20 ms message (none when nothing is held)."""
        return super().flush_playback()  # type: ignore[return-value]

    def _mark_message(self, name: str) -> str:
        return '{"action":"notify","payload":{"name":' + mark_name(name) + "}}"

    def _clear_message(self) -> str:
        return '{"action":"clear"}'
