"""MediaStream: one Twilio Media Streams WebSocket, both directions.

Twilio sends JSON text: ``connected``, ``start``, ``media``, ``dtmf``,
``mark`` and ``stop``, with camelCase fields (``streamSid``,
``sequenceNumber``, ``start.mediaFormat``, ``start.customParameters``) and
numbers as strings of digits; audio is base64 μ-law at 8 kHz both ways,
``media.chunk`` counting from 1.  Back to Twilio go ``media``, ``mark`` and
``clear``, each naming the ``streamSid``.
"""

from __future__ import annotations

import json
from typing import Optional

from ..stream._fields import (TRACK_NAMES, codec_of, dispatch, id_reader, mapping, mark_name,
                              media_format, obj, shared_parsers, string_list, text)
from ..stream.events import (
    Connected,
    Event,
    Start,
    Stop,
)
from ..stream.session import MediaStream as _CoreStream

__all__ = ["MediaStream", "parse_frame"]


_ids = id_reader("streamSid", "sequenceNumber")


def _start(frame: dict) -> Start:
    start = obj(frame, "start", "start")
    stream_id, seq = _ids(frame)
    fmt = media_format(start, "mediaFormat", "encoding", "sampleRate")
    return Start(
        media_format=fmt,
        stream_id=text(start, "streamSid", "start.streamSid") or stream_id,
        sequence_number=seq,
        custom_parameters=mapping(start, "customParameters", "start.customParameters"),
        raw=frame,
        call_id=text(start, "callSid", "start.callSid"),
        account_id=text(start, "accountSid", "start.accountSid"),
        tracks=tuple(TRACK_NAMES.get(t, t)
                     for t in string_list(start, "tracks", "start.tracks")),
        codec=codec_of(fmt.encoding),
    )


def _stop(frame: dict) -> Stop:
    stop = mapping(frame, "stop", "stop")
    stream_id, seq = _ids(frame)
    return Stop(stream_id=stream_id, sequence_number=seq, raw=frame,
                call_id=text(stop, "callSid", "stop.callSid"),
                account_id=text(stop, "accountSid", "stop.accountSid"))


_PARSERS = {
    "connected": lambda frame: Connected(version=text(frame, "version", "version"), raw=frame),
    "start": _start,
    **shared_parsers(_ids),
    "stop": _stop,
}


def parse_frame(frame: dict) -> Event:
    """The event of one Twilio frame, already loaded from JSON.

    Parameters
    ----------
    frame : dict
        The message's JSON object, with a string ``event``.

    Returns
    -------
    Connected, Start, Media, Dtmf, Mark, Stop or Unknown
        An ``event`` Twilio does not document gives :class:`Unknown`.

    Raises
    ------
    ProtocolError
        A field the event needs is missing or of the wrong type (named).
    """
    return dispatch(_PARSERS, frame)


class MediaStream(_CoreStream):
    """One Twilio Media Streams WebSocket connection (``<Connect><Stream>``
    bidirectional, or ``<Start><Stream>`` listening only).

    Parameters
    ----------
    rate : int
        Rate of the PCM in ``Media.pcm``, Hz (default 16000).  :meth:`play`
        takes PCM at the playback rate unless told its ``rate``.
    reorder_window : int
        Later frames that may arrive before a missing chunk is concealed
        (default 3).
    max_message_bytes : int
        Longest message :meth:`feed` accepts (default 256 KiB).
    playback_ptime : int
        Milliseconds of audio per outbound media message, a multiple of 20
        (default 20; Twilio queues whatever it is sent, up to 10 minutes).
    conceal_limit, max_jump, strict, concealment
        As for :class:`streamcodec.stream.MediaStream`.

    Notes
    -----
    :meth:`feed` takes each text message and returns
    :class:`~streamcodec.stream.Start` (``stream_id`` is the streamSid,
    ``call_id`` the callSid, ``account_id`` the accountSid,
    ``custom_parameters`` the ``<Parameter>`` children), in-order
    :class:`~streamcodec.stream.Media` with ``pcm`` at ``rate``,
    :class:`~streamcodec.stream.Dtmf`, :class:`~streamcodec.stream.Mark`
    when Twilio echoes a mark (``played_ms``: what the caller has heard),
    and :class:`~streamcodec.stream.Stop`.  :meth:`play`, :meth:`mark` and
    :meth:`clear` return JSON text naming the streamSid, so they need the
    ``start`` first (or :meth:`configure` with ``stream_id``).  Reordering,
    concealment and the accounting are the core's
    (:class:`streamcodec.stream.MediaStream`).
    """

    _STREAM_ID_KEY = "streamSid"
    _SEQUENCE_KEY = "sequenceNumber"
    _FIRST_CHUNK = 1
    #: Twilio queues up to 10 minutes; one message need not be longer than this.
    _MAX_PTIME = 30000
    _CARRIER = "Twilio"
    _ADDRESSED = True

    def __init__(self, rate: int = 16000, reorder_window: int = 3,
                 max_message_bytes: int = 1 << 18, playback_ptime: int = 20, *,
                 conceal_limit: int = 10, max_jump: int = 500, strict: bool = False,
                 concealment: Optional[str] = None):
        super().__init__(rate, "PCMU", 8000, reorder_window, max_message_bytes, playback_ptime,
                         conceal_limit=conceal_limit, max_jump=max_jump, strict=strict,
                         concealment=concealment)

    def _parse_frame(self, frame: dict) -> Event:
        return parse_frame(frame)

    def _sid(self) -> str:
        return json.dumps(self._stream_id_text)

    def _media_head(self) -> str:
        return '{"event":"media","streamSid":' + self._sid() + ',"media":{"payload":"'

    def _mark_message(self, name: str) -> str:
        return '{"event":"mark","streamSid":' + self._sid() + ',"mark":{"name":' + \
            mark_name(name) + "}}"

    def _clear_message(self) -> str:
        return '{"event":"clear","streamSid":' + self._sid() + "}"

