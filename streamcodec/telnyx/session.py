"""MediaStream: one Telnyx media-stream WebSocket, both directions.

Inbound, :meth:`MediaStream.feed` takes each text message Telnyx sends and
returns typed events; media frames come out decoded to PCM at the
session's rate, put back in chunk order, with gaps filled by the codec's
concealment.  Outbound (bidirectional mode), :meth:`MediaStream.play`
turns PCM into ready-to-send media messages in the declared playback codec,
and :meth:`MediaStream.mark` / :meth:`MediaStream.clear` keep account of
what the caller has heard.  All of that is the protocol core
(:class:`streamcodec.stream.MediaStream`); this module adds Telnyx's
frames and its MP3 playback mode.
"""

from __future__ import annotations

import time
from typing import Any, Callable, NoReturn, Optional, Union

from ..stream.events import Event
from ..stream.session import MediaStream as _CoreStream
from ..stream.session import TrackStats
from . import messages as _m
from .messages import clear_message, mark_message, media_message

__all__ = ["MP3RateLimitError", "MediaStream", "TrackStats"]


class MP3RateLimitError(ValueError):
    """:meth:`MediaStream.play_mp3` was called less than ``mp3_interval``
    after the previous file; ``retry_after`` says how many seconds to
    wait."""

    def __init__(self, retry_after: float):
        self.retry_after = retry_after
        super().__init__(f"Telnyx takes at most one MP3 message per second; "
                         f"retry in {retry_after:.3f} s")


class MediaStream(_CoreStream):
    """One Telnyx media-stream WebSocket connection.

    Parameters
    ----------
    rate : int
        Rate of the PCM in :attr:`Media.pcm <streamcodec.stream.Media.pcm>`, Hz (default 16000).
    playback_codec : str
        Codec of the audio sent back, as declared in ``bidirectionalCodec``
        (default ``"PCMU"``).
    playback_rate : int
        Rate of the playback codec on the wire (``bidirectionalSamplingRate``,
        default 8000): 8000 for PCMU/PCMA, 16000 for G722/AMR-WB, one of
        8000/12000/16000/24000/48000 for OPUS, any rate for L16.
    reorder_window : int
        How many later frames may arrive before a missing chunk is given up
        and concealed (default 3: up to 60 ms of added delay, and only while
        a chunk is missing; in-order frames are released at once).  0
        conceals every gap at once and drops late frames.
    max_message_bytes : int
        Longest message :meth:`feed` accepts (default 256 KiB).
    playback_ptime : int
        Milliseconds of audio per outbound media message: a multiple of 20,
        at most 30000 (Telnyx's limit).  OPUS takes exactly 20 (one packet
        per message).
    mp3 : bool
        MP3 bidirectional mode (``bidirectionalMode="mp3"``): play whole MP3
        files with :meth:`play_mp3`; :meth:`play` is then unavailable.
    conceal_limit : int
        Most frames concealed for one gap (default 10, 200 ms); a longer
        gap is counted lost and the stream resumes without filling it.
    max_jump : int
        A chunk more than this many frames away from the expected one
        (default 500) is only believed when the next frame follows it;
        then the track resynchronises to the new numbering.
    strict : bool
        Raise :class:`~streamcodec.telnyx.ProtocolError` for a bad media
        payload instead of counting it in ``stats[track].bad`` (default
        False).
    mp3_interval : float
        Seconds between MP3 messages (default 1.0).
    clock : callable
        Monotonic clock in seconds, for the MP3 rate limit.
    l16_byteorder : str
        Byte order of L16 samples on the wire, both ways: ``"big"`` (the
        default: network order, as RFC 3551 defines L16) or ``"little"`` for
        peers that send little-endian.
    concealment : str, optional
        The decoders' concealment method (``Decoder(..., concealment=...)``);
        None (default) keeps the codec's own.

    Notes
    -----
    Everything but Telnyx's frames and MP3 mode is the protocol core's:
    bad input, ordering (Telnyx numbers chunks from 1, and does not say
    whether ``chunk`` counts each track's frames or both tracks' together),
    concealment, the C fast path and playback accounting are described in
    :class:`streamcodec.stream.MediaStream`.  In MP3 mode marks are echoed
    with ``played_ms`` None (there is no PCM timeline).
    """

    _STREAM_ID_KEY = "stream_id"
    _SEQUENCE_KEY = "sequence_number"
    _FIRST_CHUNK = 1
    #: Telnyx accepts 20 ms .. 30 s of audio per media message.
    _MAX_PTIME = 30000
    _CARRIER = "Telnyx"

    def __init__(self, rate: int = 16000, playback_codec: str = "PCMU",
                 playback_rate: int = 8000, reorder_window: int = 3,
                 max_message_bytes: int = 1 << 18, playback_ptime: int = 20,
                 mp3: bool = False, *, conceal_limit: int = 10, max_jump: int = 500,
                 strict: bool = False, mp3_interval: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, l16_byteorder: str = "big",
                 concealment: Optional[str] = None):
        self.mp3 = bool(mp3)
        self.mp3_interval = float(mp3_interval)
        self._clock = clock
        self._last_mp3: Optional[float] = None
        super().__init__(rate, playback_codec, playback_rate, reorder_window, max_message_bytes,
                         playback_ptime, conceal_limit=conceal_limit, max_jump=max_jump,
                         strict=strict, l16_byteorder=l16_byteorder, concealment=concealment,
                         pcm_playback=not self.mp3)

    # ---- the Telnyx dialect ----

    def _parse_frame(self, frame: dict) -> Event:
        return _m.parse_frame(frame)

    def _mark_message(self, name: str) -> str:
        return mark_message(name)

    def _clear_message(self) -> str:
        return clear_message()

    def _no_pcm_playback(self) -> NoReturn:
        raise ValueError("this stream plays MP3 (mp3=True): use play_mp3()")

    # ------------------------------------------------------------------
    # MP3 mode
    # ------------------------------------------------------------------

    def mp3_wait(self) -> float:
        """Seconds until :meth:`play_mp3` may be called again (0 when it may)."""
        if self._last_mp3 is None:
            return 0.0
        return max(0.0, self._last_mp3 + self.mp3_interval - self._clock())

    def play_mp3(self, data: Union[bytes, bytearray, memoryview]) -> str:
        """One media message carrying a whole MP3 file (MP3 mode).

        Telnyx queues MP3 messages and plays them in order, taking at most
        one per second.  A call sooner than ``mp3_interval`` after the last
        raises :class:`MP3RateLimitError` (its ``retry_after`` is the wait)
        and sends nothing; :meth:`mp3_wait` tells the wait beforehand.

        Raises
        ------
        ValueError
            Not MP3 mode, or ``data`` is not an MP3 file: after any ID3v2
            tags, a valid layer III frame header (version, layer, bitrate
            and sample-rate index not reserved), the whole frame, and a valid
            next frame when more follows (:func:`streamcodec.telnyx.mp3.check`).
        MP3RateLimitError
            Called too soon.
        """
        from . import mp3 as _mp3               # loaded for MP3 mode only
        if not self.mp3:
            raise ValueError("play_mp3() needs an MP3-mode stream (MediaStream(mp3=True))")
        try:
            _mp3.check(data)
        except ValueError as exc:
            raise ValueError(f"data is not an MP3 file: {exc}") from None
        wait = self.mp3_wait()
        if wait > 0:
            raise MP3RateLimitError(wait)
        message = media_message(data)
        self._last_mp3 = self._clock()
        return message

    def play_mp3_pcm(self, pcm: Any, rate: int, bitrate: int = 64) -> str:
        """Encode PCM as one MP3 file and wrap it like :meth:`play_mp3`.

        For MP3 mode when the text-to-speech gives PCM.  Needs ``lameenc``
        (``pip install 'streamcodec[mp3]'``).  The same one-message-per-
        ``mp3_interval`` limit holds; a call too soon raises before encoding.

        Parameters
        ----------
        pcm : bytes, bytearray, memoryview or numpy int16 array
            16-bit mono PCM, not empty.
        rate : int
            Its rate, one MP3 carries (8000, 11025, 12000, 16000, 22050,
            24000, 32000, 44100, 48000); the file is at that rate.
        bitrate : int
            kbit/s (default 64); see :func:`streamcodec.telnyx.mp3.encode`.
            LAME's encoder delay adds about 1100 samples (69 ms at 16 kHz)
            of silence before the audio.

        Returns
        -------
        str
            The media message.

        Raises
        ------
        ImportError
            ``lameenc`` is missing.
        ValueError, TypeError
            Not MP3 mode, bad PCM, rate or bitrate.
        MP3RateLimitError
            Called too soon.
        """
        from . import mp3 as _mp3
        if not self.mp3:
            raise ValueError("play_mp3_pcm() needs an MP3-mode stream (MediaStream(mp3=True))")
        wait = self.mp3_wait()
        if wait > 0:
            raise MP3RateLimitError(wait)
        return self.play_mp3(_mp3.encode(pcm, rate, bitrate))
