"""The session core every carrier's ``MediaStream`` is built on.

Inbound, :meth:`MediaStream.feed` takes each message the carrier sends and
returns typed events (:mod:`streamcodec.stream.events`); media frames come
out decoded to PCM at the session's rate, put back in chunk order, with
gaps filled by the codec's concealment.  Outbound,
:meth:`MediaStream.play` turns PCM into ready-to-send media messages in
the playback codec, and :meth:`MediaStream.mark` /
:meth:`MediaStream.clear` keep account of what the caller has heard.

A carrier module (:mod:`streamcodec.telnyx`, :mod:`streamcodec.twilio`,
...) subclasses :class:`MediaStream` and says only what differs on its
wire: how a JSON frame maps onto the events (``_parse_frame``), the keys of
its media messages that the C scanner reads, the text around an outbound
payload, its mark and clear messages, its framing limits and the number of
its first media frame.
"""

from __future__ import annotations

import struct
from abc import ABCMeta, abstractmethod
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, Optional, Union

from .. import _fast
from .._buffers import address, pcm_view
from .._codecs import Decoder, Encoder, codec_info, normalize_codec
from .._resample import Resampler
from .._core import ffi, lib
from .._errors import CorruptPayloadError, check
from ._fields import codec_of, load
from .events import (
    Event,
    Mark,
    Media,
    MediaFormat,
    PayloadError,
    ProtocolError,
    Start,
    Stop,
    _media_event,
)

__all__ = ["MediaStream", "TrackStats"]

Message = Union[str, bytes, bytearray, memoryview]

#: Rates an Opus encoder runs at.
_OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
#: Chunks remembered after release (a ring indexed by chunk % _HISTORY, in C),
#: to tell a duplicate from a frame that came too late.
_HISTORY = lib.SC_FRAME_HISTORY
#: Track names the C fast path knows, by its index.
_FAST_TRACKS = ("inbound", "outbound")
_FRAME_MEDIA = lib.SC_FRAME_MEDIA
_FRAME_NEXT = lib.SC_FRAME_NEXT
#: Largest payload the C path decodes (bytes); larger ones go through json.loads.
_FAST_PAYLOAD = 16384
_media_in = lib.sc_frame_media_in
#: The leading outputs of sc_frame_in: samples, track, chunk,
#: sequence_number, timestamp, payload_len, stream_id_same.
_outputs = struct.Struct("=7q").unpack_from
_media_out = lib.sc_frame_media_out
#: Largest chunk number taken (18 digits, what the C scanner reads): at 50
#: frames a second a call never gets near it, and chunk arithmetic stays
#: inside the int64 the C path keeps it in.
_MAX_CHUNK = 10 ** 18 - 1
#: Largest chunk step between two frames of one track taken as "the next
#: frame" (a counter shared by both tracks steps by about 2).
_MAX_STRIDE = 4
#: Carriers send "inbound" and "outbound"; more names than this is garbage.
_MAX_TRACKS = 4


@dataclass
class TrackStats:
    """Counters of one track's media frames.

    Attributes
    ----------
    received
        Media frames that arrived for this track with a valid payload
        (duplicates and late ones included).
    late
        Frames that arrived after a higher chunk and were put back in order.
    too_late
        Frames that arrived after their place in the stream had been passed
        (concealed or skipped); dropped.
    duplicate
        Frames whose chunk had already arrived; dropped.
    lost
        Chunks that never arrived in time.
    concealed
        Frames synthesised by the codec's concealment in their place (at
        most ``conceal_limit`` per gap, so ``concealed <= lost``).
    bad
        Frames dropped because the payload was empty, not base64, or
        rejected by the codec.
    resync
        Times the chunk numbering jumped by more than ``max_jump`` and the
        track followed it.
    recovered
        Of the concealed frames, those rebuilt from the in-band FEC of the
        frame after them (OPUS) rather than extrapolated.
    """

    received: int = 0
    late: int = 0
    too_late: int = 0
    duplicate: int = 0
    lost: int = 0
    concealed: int = 0
    bad: int = 0
    resync: int = 0
    recovered: int = 0

    @property
    def dropped(self) -> int:
        """Frames received but not delivered: duplicate + too_late + bad."""
        return self.duplicate + self.too_late + self.bad


_COUNTERS = ("received", "late", "too_late", "duplicate", "lost", "concealed", "bad", "resync",
             "recovered")


def _c_field(name: str, none_below_zero: bool = False) -> property:
    """A _Track attribute kept in its C sc_frame_track, where the in-order
    case of sc_frame_media_in() reads and updates it."""
    if none_below_zero:
        def get_or_none(self: "_Track") -> Optional[int]:
            value = getattr(self.c, name)
            return None if value < 0 else value

        def put_or_none(self: "_Track", value: Optional[int]) -> None:
            setattr(self.c, name, -1 if value is None else value)
        return property(get_or_none, put_or_none)

    def get(self: "_Track") -> int:
        return getattr(self.c, name)

    def put(self: "_Track", value: int) -> None:
        setattr(self.c, name, value)
    return property(get, put)


class _Track:
    """Reorder state and decoder of one track.  What the in-order case needs
    lives in a C sc_frame_track that sc_frame_media_in() reads and updates
    (for "inbound"/"outbound" one of the stream's sc_frame_in, else its own):
    ``expected`` (the next chunk to release; None before the first),
    ``stride`` (the chunk step between this track's frames), ``received``,
    ``last_chunk``, ``last_ts``, ``frame_samples`` and the ``history`` ring.
    The last chunk released is ``expected - stride``."""

    __slots__ = ("name", "decoder", "c", "pending", "suspect") + tuple(
        c for c in _COUNTERS if c != "received")
    # the counters of TrackStats but received (in C), set in __init__
    late: int
    too_late: int
    duplicate: int
    lost: int
    concealed: int
    bad: int
    resync: int
    recovered: int

    expected = _c_field("next_chunk", none_below_zero=True)
    stride = _c_field("stride")
    received = _c_field("received")
    last_chunk = _c_field("last_chunk")                # highest chunk received, -1 before
    last_ts = _c_field("last_ts", none_below_zero=True)  # timestamp (ms) of the last released
    frame_samples = _c_field("frame_samples")          # PCM samples of the last decoded frame

    def __init__(self, name: str, decoder: Decoder, frame_samples: int, cell: Any = None):
        self.name = name
        self.decoder = decoder
        for counter in _COUNTERS:
            if counter != "received":
                setattr(self, counter, 0)
        self.c = ffi.new("sc_frame_track *") if cell is None else cell
        ffi.memmove(self.c, bytes(ffi.sizeof("sc_frame_track")), ffi.sizeof("sc_frame_track"))
        c = self.c
        c.next_chunk, c.stride, c.last_chunk, c.last_ts = -1, 1, -1, -1
        c.frame_samples = frame_samples
        c.history[0:_HISTORY] = [-1] * _HISTORY          # slot chunk % 256: that chunk arrived
        self.pending: dict[int, Media] = {}   # arrived ahead of `expected`, not decoded
        self.suspect: Optional[Media] = None  # a far-off frame awaiting confirmation

    @property
    def history(self) -> Any:
        return self.c.history

    def sync_hold(self) -> None:
        """Tell C whether this track has frames waiting (then C leaves the
        bookkeeping of the next frame to Python)."""
        self.c.hold = 1 if self.pending or self.suspect is not None else 0


class MediaStream(_fast.StreamBase, metaclass=ABCMeta):
    """One carrier media-stream WebSocket connection: the core of every
    carrier's ``MediaStream``.

    Use a carrier's class (:class:`streamcodec.telnyx.MediaStream`,
    ``streamcodec.twilio.MediaStream``, ...); this one holds what
    they share.

    Parameters
    ----------
    rate : int
        Rate of the PCM in :attr:`Media.pcm <streamcodec.stream.Media.pcm>`, Hz.
    playback_codec : str
        Codec of the audio sent back.
    playback_rate : int
        Rate of the playback codec on the wire: 8000 for PCMU/PCMA, 16000
        for G722/AMR-WB, one of 8000/12000/16000/24000/48000 for OPUS, any
        rate for L16.
    reorder_window : int
        How many later frames may arrive before a missing chunk is given up
        and concealed (up to 60 ms of added delay with 3, and only while a
        chunk is missing; in-order frames are released at once).  0
        conceals every gap at once and drops late frames.
    max_message_bytes : int
        Longest message :meth:`feed` accepts.
    playback_ptime : int
        Milliseconds of audio per outbound media message: a multiple of 20
        within the carrier's limits.  OPUS takes exactly 20.
    conceal_limit : int
        Most frames concealed for one gap; a longer gap is counted lost and
        the stream resumes without filling it.
    max_jump : int
        A chunk more than this many frames away from the expected one is
        only believed when the next frame follows it; then the track
        resynchronises to the new numbering.
    strict : bool
        Raise :class:`~streamcodec.stream.events.PayloadError` for a bad
        media payload instead of counting it in ``stats[track].bad``.
    l16_byteorder : str
        Byte order of L16 samples on the wire, both ways: ``"big"``
        (network order, as RFC 3551 defines L16) or ``"little"``.
    concealment : str, optional
        The decoders' concealment method, passed on as
        ``Decoder(..., concealment=...)`` when given; None keeps the
        codec's default.
    pcm_playback : bool
        False for a session that plays no PCM (Telnyx's MP3 mode): then
        :meth:`play` raises and marks carry no ``played_ms``.

    Notes
    -----
    **Bad input.**  :meth:`feed` raises :class:`ProtocolError` (and counts
    it in :attr:`rejected`) for a message that is longer than
    ``max_message_bytes``, not JSON, not an object with a string
    ``event``, missing or mistyping a field its event needs, a ``chunk``
    above 10**18 - 1, media before ``start``, or a ``start`` whose encoding
    streamcodec does not know (that ``start`` then changes nothing).
    ``error`` frames are read leniently.  A media frame whose payload is
    empty, not base64 or rejected by the codec is a counted drop
    (``stats[track].bad``) unless ``strict``.  Either way the session's
    state is unchanged and the next message is handled normally.

    **Ordering.**  Frames are released in chunk order per track.  A
    duplicate chunk is dropped; a frame that arrives once its place has
    passed is dropped (``too_late``).  Gaps are filled when more than
    ``reorder_window`` later frames are waiting, or on ``stop`` /
    :meth:`drain`, with the codec's concealment (OPUS rebuilds the frame
    just before the next one from that frame's in-band FEC when it carries
    some).  Where the carrier documents the number of a stream's first
    frame (1 for Telnyx, Twilio, SignalWire, Plivo and Exotel), a first
    frame that arrives with a later number waits for the frames before it
    for the reorder window, so the first two frames swapped both play in
    order, while a stream that arrives in order starts at once; when the
    window passes, the stream starts at the earliest frame held, nothing
    counted lost before it.  Each track learns its stride: a frame whose
    ``timestamp`` (ms) is one frame after the last one released follows it
    whatever its chunk step (up to 4), and that step becomes the track's
    stride (1 per track, 2 for a counter shared by both tracks).  A gap is
    filled with as many frames as the chunks say are missing, or fewer
    when the timestamps say so.  Track names ``inbound_track`` /
    ``outbound_track`` are ``inbound`` / ``outbound``.

    **Concealment** never raises: a lost frame is replaced by as many
    samples at the codec's rate as the last frame had, resampled like a
    decoded one.

    **Fast path.**  A media message that is the next frame of its track
    takes one C call (csrc/frame.c): the JSON is scanned (with the
    carrier's key names), the payload base64-decoded, decoded and
    resampled to ``rate``, and the frame counted and placed in its
    track's order there; Python only makes the event.  Frames out of order
    or while others wait go through the reorder window in Python; messages
    the scanner is not sure about and every other event go through
    ``json.loads``; both give identical events and counters.
    :meth:`play` likewise encodes and writes each message in one C call.

    **Playback accounting.**  :attr:`sent_ms` counts the audio returned by
    :meth:`play` and friends since the stream began; a mark records that
    position, and its acknowledgement comes back from :meth:`feed` as a
    :class:`~streamcodec.stream.events.Mark` whose ``played_ms`` is that
    position: the caller has heard everything sent before it.
    """

    # ---- the dialect: what a carrier's subclass says about its wire ----
    #: Top-level keys of a media message's stream id and sequence number,
    #: for the C scanner (the other keys it reads are "event", "media" and
    #: media.track/chunk/timestamp/payload, the same on every JSON carrier).
    _STREAM_ID_KEY = "stream_id"
    _SEQUENCE_KEY = "sequence_number"
    #: The chunk number of a stream's first media frame, where the carrier
    #: documents it; None: whatever frame comes first starts the stream.
    _FIRST_CHUNK: Optional[int] = None
    #: Longest playback message, ms.
    _MAX_PTIME = 30000
    #: The carrier's name, for messages.
    _CARRIER = "the carrier"

    @abstractmethod
    def _parse_frame(self, frame: dict) -> Event:
        """The event of one JSON frame (its dict, with a string ``event``)."""

    def _media_head(self) -> str:
        """The text of an outbound media message before its base64 payload."""
        return '{"event":"media","media":{"payload":"'

    #: The text after the payload.
    _MEDIA_TAIL = '"}}'

    @abstractmethod
    def _mark_message(self, name: str) -> str:
        """The message that places a mark named ``name``."""

    @abstractmethod
    def _clear_message(self) -> str:
        """The message that drops the carrier's queued audio."""

    def _check_framing(self) -> None:
        """ValueError when ``playback_ptime`` at the playback codec and rate
        breaks the carrier's framing rules (beyond a multiple of 20 ms up to
        ``_MAX_PTIME``)."""

    def __init__(self, rate: int = 16000, playback_codec: str = "PCMU",
                 playback_rate: int = 8000, reorder_window: int = 3,
                 max_message_bytes: int = 1 << 18, playback_ptime: Optional[int] = 20, *,
                 conceal_limit: int = 10, max_jump: int = 500, strict: bool = False,
                 l16_byteorder: str = "big", concealment: Optional[str] = None,
                 pcm_playback: bool = True):
        abstract = type(self).__abstractmethods__
        if abstract:   # the C base's tp_new does not make this check
            raise TypeError(f"{type(self).__name__} is the protocol core without a dialect "
                            f"(no {', '.join(sorted(abstract))}): use a carrier's MediaStream, "
                            "such as streamcodec.telnyx.MediaStream")
        #: Rate of the decoded audio (``Media.pcm``), Hz.
        self.rate = _positive_int(rate, "rate")
        self.reorder_window = _count(reorder_window, "reorder_window")
        self.max_message_bytes = _positive_int(max_message_bytes, "max_message_bytes")
        self.conceal_limit = _count(conceal_limit, "conceal_limit")
        self.max_jump = _positive_int(max_jump, "max_jump")
        self.strict = bool(strict)
        if l16_byteorder not in ("big", "little"):
            raise ValueError("l16_byteorder must be 'big' (network order, RFC 3551) or "
                             f"'little', got {l16_byteorder!r}")
        self.l16_byteorder = l16_byteorder
        if concealment is not None and not isinstance(concealment, str):
            raise TypeError(f"concealment must be a str or None, not {type(concealment).__name__}")
        self.concealment = concealment
        self.playback_codec = normalize_codec(playback_codec)
        #: Rate :meth:`play` takes PCM at when none is given, Hz.
        self.playback_rate = _positive_int(playback_rate, "playback_rate")
        self._ptime_asked = None if playback_ptime is None else \
            _positive_int(playback_ptime, "playback_ptime")
        self.playback_ptime = self._ptime_for(self.playback_codec, self.playback_rate,
                                              self._ptime_asked)
        if self.playback_ptime % 20 or self.playback_ptime > self._MAX_PTIME:
            raise ValueError(f"playback_ptime must be a multiple of 20 ms up to "
                             f"{self._MAX_PTIME} ms; got {playback_ptime}")
        if self.playback_codec == "OPUS" and self.playback_ptime != 20:
            raise ValueError("OPUS playback sends one 20 ms packet per message; "
                             f"playback_ptime must be 20, got {playback_ptime}")
        self._check_playback_rate()
        self._check_framing()

        #: The ``start`` frame, once it has arrived.
        self.start: Optional[Start] = None
        #: Inbound codec, from ``start``.
        self.codec: Optional[str] = None
        self._fec = False
        self._tracks: dict[str, _Track] = {}
        #: Messages :meth:`feed` refused with ProtocolError.
        self.rejected = 0

        # C fast path state: one decoder and next-chunk cell per known track,
        # and buffers reused by every message.
        self._in = ffi.new("sc_frame_in *")
        self._in_outputs = ffi.buffer(self._in)
        if (self._STREAM_ID_KEY, self._SEQUENCE_KEY) != ("stream_id", "sequence_number"):
            # NULL keys: the scanner's own (Telnyx's), compared as literals
            self._keys = [ffi.new("char[]", key.encode()) for key in
                          (self._STREAM_ID_KEY, self._SEQUENCE_KEY)]   # kept alive here
            self._in.id_key, self._in.id_key_len = self._keys[0], len(self._STREAM_ID_KEY)
            self._in.seq_key, self._in.seq_key_len = self._keys[1], len(self._SEQUENCE_KEY)
        # Media payloads are 20-100 ms; a rarer larger one takes the general path.
        payload_cap = min(self.max_message_bytes * 3 // 4 + 3, _FAST_PAYLOAD)
        self._payload = ffi.new("uint8_t[]", payload_cap)
        self._payload_bytes = ffi.buffer(self._payload)
        self._in.payload, self._in.payload_cap = self._payload, payload_cap
        self._bind_in(address(self._in), Media, _FAST_TRACKS)
        self._grow_pcm(4096)
        self._set_stream_id(None)

        self._encoder: Optional[Encoder] = None
        self._encoder_rate: Optional[int] = None
        self._pre: Optional[Resampler] = None
        self._sent_packets = 0   # messages of the encoders before the current one
        self._out_ctx: Any   # the C sc_frame_out of the encoder, made by _set_encoder
        if pcm_playback:
            self._set_encoder(self.playback_rate)
        self._played_ms: Optional[int] = None
        self._marks: deque[list[Any]] = deque()   # [name, position_ms, cleared]

    # ------------------------------------------------------------------
    # Inbound
    # ------------------------------------------------------------------

    @property
    def stats(self) -> dict[str, TrackStats]:
        """Per-track counters (``"inbound"``, and ``"outbound"`` with
        both_tracks), a snapshot taken now."""
        return {name: TrackStats(*(getattr(t, c) for c in _COUNTERS))
                for name, t in self._tracks.items()}

    if TYPE_CHECKING:  # defined in C (streamcodec/_fast.c), documented there
        def feed(self, message: Message, /) -> list[Event]: ...
        def play(self, pcm: Any, rate: Optional[int] = None) -> list[str]: ...
        def _feed_one(self, message: Message, /) -> Union[Media, list[Event]]: ...
        def feed_audio(self, message: Any, /) -> list[Event]: ...

    # feed() is StreamBase.feed (C): a str or bytes message goes through the
    # C scanner there, and the usual frame (the next of its track) comes
    # back as its Media without any Python; _feed_scanned takes the other
    # outcomes of that scan.  _feed_other is the same step in Python, for
    # the other message types (and the reference the tests hold C to).

    def _feed_other(self, message: Message) -> list[Event]:
        """feed() in Python: any message type, through the cffi scanner."""
        if type(message) is str:
            try:
                data = message.encode()
            except UnicodeEncodeError:   # lone surrogates: only json.loads can say
                if len(message) > self.max_message_bytes:
                    return self._reject(len(message))
                return self._general(message)
        elif type(message) is bytes:
            data = message
        elif isinstance(message, (bytearray, memoryview)):
            data = bytes(message)
        else:
            raise TypeError(f"message must be str or bytes, not {type(message).__name__}")
        size = len(data)
        if size > self.max_message_bytes:
            return self._reject(size)
        rc = _media_in(self._in, data, size)    # no decoders before start: never NEXT
        if rc == _FRAME_NEXT:
            # The next frame of its track with nothing waiting: decoded,
            # counted and placed in C; only the event is made here.
            samples, index, chunk, seq, timestamp, payload_len, same = _outputs(self._in_outputs)
            return [_media_event(_FAST_TRACKS[index], chunk,
                                 None if timestamp < 0 else timestamp,
                                 self._payload_bytes[0:payload_len],
                                 None if seq < 0 else seq,
                                 self._stream_id_text if same else self._stream_id_of(data),
                                 self._pcm_bytes[0:2 * samples])]
        return self._feed_scanned(data, rc)

    def _feed_audio_other(self, message: Any) -> list[Event]:
        """feed_audio() in Python: a carrier whose audio is binary overrides
        it (the usual frame takes one C call, sc_frame_audio_in)."""
        raise TypeError(f"{self._CARRIER} sends its audio as JSON text: use feed()")

    def _feed_scanned(self, message: Union[str, bytes], rc: int) -> list[Event]:
        """A message the C scanner read and did not deliver (``rc``): a media
        frame out of order, of a new track or with a payload the decoder
        refused; or anything else, parsed with json.loads."""
        if rc == _FRAME_MEDIA and self.codec is not None:
            data = message if isinstance(message, bytes) else message.encode()
            try:
                return list(self._media_info(data))
            except ProtocolError:
                self.rejected += 1    # counted as the json.loads path counts it
                raise
        return self._general(message)

    def _reject(self, size: int) -> list:
        self.rejected += 1
        raise ProtocolError(f"message of {size} bytes is longer than "
                            f"max_message_bytes={self.max_message_bytes}")

    def _stream_id_of(self, data: bytes) -> Optional[str]:
        f = self._in
        if f.stream_id_same:
            return self._stream_id_text
        if f.stream_id_off < 0:
            return None
        return data[f.stream_id_off:f.stream_id_off + f.stream_id_len].decode("ascii")

    def _set_stream_id(self, stream_id: Optional[str]) -> None:
        self._stream_id_text = stream_id
        if stream_id is None:
            # no expected id: C then never reports "same", so a message's
            # own stream_id ('' included) is read from it, as json.loads does
            self._stream_id = ffi.NULL
            self._in.stream_id, self._in.stream_id_cap = ffi.NULL, 0
            return
        text = stream_id.encode("utf-8", "surrogatepass")
        self._stream_id = ffi.new("uint8_t[]", text or b"\0")
        self._in.stream_id, self._in.stream_id_cap = self._stream_id, len(text)

    def _media_info(self, data: bytes) -> list[Media]:
        """A media frame the C scanner read but did not deliver: out of
        order, the track is new, or the decoder refused the payload."""
        f = self._in
        track = self._track(_FAST_TRACKS[f.track])
        media = _media_event(track.name, f.chunk, None if f.timestamp < 0 else f.timestamp,
                             self._payload_bytes[0:f.payload_len],
                             None if f.sequence_number < 0 else f.sequence_number,
                             self._stream_id_of(data), None)
        if f.decode_error == lib.SC_EBUFFER:
            self._grow_pcm(2 * self._in.pcm_cap)
        if not media.payload:
            return self._bad_payload(track, "field 'media.payload' is empty")
        pcm = self._pcm_bytes[0:2 * f.samples] if f.samples >= 0 else None
        return self._accept(track, media, pcm)

    def _general(self, message: Message) -> list[Event]:
        """Any message, through json.loads."""
        try:
            frame = load(message)
            if frame["event"] == "media":
                return list(self._media_frame(frame))
            event = self._parse_frame(frame)
        except ProtocolError:
            self.rejected += 1
            raise
        try:
            return self._handle(event)
        except PayloadError:   # strict: a stop's drain refused a frame still waiting
            self.rejected += 1
            raise

    def _handle(self, event: Event) -> list[Event]:
        """What one event (not media) does to the session, and the events
        :meth:`feed` returns for it; a carrier extends it for its own acks."""
        if isinstance(event, Mark):
            return [self._mark_echo(event)]
        if isinstance(event, Start):
            if self._ADDRESSED and event.stream_id is None:
                # every reply names the stream: a start frame without its id
                # would leave nothing the session could send
                self.rejected += 1
                raise ProtocolError(f"field '{self._STREAM_ID_KEY}' is missing from the start: "
                                    f"{self._CARRIER} names the stream in every reply")
            self._begin(event)
        elif isinstance(event, Stop):
            return [*self.drain(), event]
        return [event]

    def _grow_pcm(self, samples: int) -> None:
        cap = min(samples, 1 << 22)
        self._pcm = ffi.new("int16_t[]", cap)
        self._pcm_bytes = ffi.buffer(self._pcm)
        self._in.pcm, self._in.pcm_cap = self._pcm, cap

    def configure(self, encoding: str, sample_rate: Optional[int] = None, *,
                  stream_id: Optional[str] = None, channels: int = 1,
                  start: Optional[Start] = None) -> Start:
        """Set the inbound codec without a ``start`` frame.

        For frameworks that read the carrier's ``start`` frame themselves (pipecat's
        runner does) and hand over only its fields: afterwards :meth:`feed`
        takes media frames as if that ``start`` had arrived.

        Parameters
        ----------
        encoding : str
            ``start.media_format.encoding`` (PCMU, PCMA, G722, OPUS, AMR-WB, L16).
        sample_rate : int, optional
            ``start.media_format.sample_rate``; default the codec's native rate.
        stream_id : str, optional
            The stream id, for the events' ``stream_id``.
        start : Start, optional
            A whole parsed ``start`` (:func:`streamcodec.telnyx.parse`); then
            the other arguments must match it or be left out.

        Returns
        -------
        Start
            The ``start`` the session now follows (:attr:`start`).

        Raises
        ------
        ProtocolError
            Unknown codec, not mono, or a rate the codec cannot take.
        """
        if start is None:
            if not isinstance(encoding, str):
                raise TypeError(f"encoding must be a str, not {type(encoding).__name__}")
            if sample_rate is None:
                try:
                    sample_rate = codec_info(codec_of(encoding) or encoding).native_rate
                except ValueError:
                    sample_rate = 8000   # _begin names the unknown codec
            start = Start(media_format=MediaFormat(encoding=encoding,
                                                      sample_rate=_positive_int(
                                                          sample_rate, "sample_rate"),
                                                      channels=channels),
                          stream_id=stream_id)
        elif not isinstance(start, Start):
            raise TypeError(f"start must be a telnyx.Start, not {type(start).__name__}")
        self._begin(start)
        return start

    def drain(self) -> list[Media]:
        """Release every frame still waiting in the reorder window, filling
        the gaps before them; for the end of a stream."""
        out: list[Media] = []
        for track in self._tracks.values():
            if track.suspect is not None:
                track.too_late += 1
                track.suspect = None
            self._release(track, out, force=True)
            track.sync_hold()
        return out

    def _begin(self, start: Start) -> None:
        fmt = start.media_format
        codec = start.codec or codec_of(fmt.encoding)
        if codec is None:
            self.rejected += 1
            raise ProtocolError(f"start.media_format.encoding {fmt.encoding!r} is not a codec "
                                "streamcodec knows (PCMU PCMA G722 OPUS AMR-WB L16)")
        if fmt.channels != 1:
            self.rejected += 1
            raise ProtocolError(f"start.media_format.channels={fmt.channels}: media streams "
                                "are mono")
        # Build one decoder up front so a codec this build lacks fails here,
        # before anything of the session changes.
        options = self._l16_options(fmt.sample_rate) if codec == "L16" else {}
        if self.concealment is not None:   # only then: a build without the option still works
            options["concealment"] = self.concealment
        try:
            Decoder(codec, rate=self.rate, **options)
        except ValueError as exc:
            self.rejected += 1
            raise ProtocolError(f"cannot decode {codec} at {fmt.sample_rate} Hz to PCM at "
                                f"{self.rate} Hz: {exc}") from None
        plan = None
        if self._FOLLOW_START:
            try:
                plan = self._plan_playback(codec, fmt.sample_rate)
            except ValueError as exc:
                self.rejected += 1
                raise ProtocolError(f"cannot play {codec} at {fmt.sample_rate} Hz back to "
                                    f"{self._CARRIER}: {exc}") from None
        self.start, self.codec, self._decoder_options = start, codec, options
        self._fec = codec == "OPUS"
        self._tracks = {}
        for i in range(len(_FAST_TRACKS)):
            self._in.decoders[i] = ffi.NULL   # C leaves a track alone without one
        self._set_stream_id(start.stream_id)
        if plan is not None:
            self._apply_playback(plan)        # sets the head too
        elif self._encoder is not None:
            self._set_head()

    def _l16_options(self, codec_rate: int) -> dict[str, Any]:
        """Decoder/Encoder options of L16 on this stream: its rate on the
        wire, and the byte order when it is not the network order."""
        options: dict[str, Any] = {"codec_rate": codec_rate}
        if self.l16_byteorder != "big":
            options["byteorder"] = self.l16_byteorder
        return options

    def _track(self, name: str) -> _Track:
        track = self._tracks.get(name)
        if track is None:
            if self.codec is None:
                raise ProtocolError("media before the start frame: the codec is not known yet")
            if len(self._tracks) >= _MAX_TRACKS:
                raise ProtocolError(f"media.track {name!r}: more than {_MAX_TRACKS} different "
                                    "tracks on one stream")
            decoder = Decoder(self.codec, rate=self.rate, **self._decoder_options)
            if name in _FAST_TRACKS:
                index = _FAST_TRACKS.index(name)
                track = _Track(name, decoder, self.rate // 50, self._in.tracks + index)
                self._in.decoders[index] = decoder._state
            else:
                track = _Track(name, decoder, self.rate // 50)
            if self._FIRST_CHUNK is not None:
                # C then takes only the carrier's first number as the first
                # frame; any other waits for the ones before it (_release)
                track.expected = self._FIRST_CHUNK
            self._tracks[name] = track
        return track

    def _bad_payload(self, track: _Track, why: str) -> list[Media]:
        if self.strict:   # refused: counted in `rejected`, not in the track
            raise PayloadError(why)
        track.bad += 1
        return []

    def _media_frame(self, frame: dict) -> list[Media]:
        if self.codec is None:
            raise ProtocolError("media frame before the start frame: the codec is not known yet")
        try:
            media = self._parse_frame(frame)
        except PayloadError as exc:
            body = frame.get("media")
            name = body.get("track") if isinstance(body, dict) else None
            return self._bad_payload(self._track(name if isinstance(name, str) else "inbound"),
                                     str(exc))
        if not isinstance(media, Media):   # a dialect whose audio is not JSON (Vonage)
            raise ProtocolError(f"{self._CARRIER} sends no media messages as JSON")
        if media.chunk > _MAX_CHUNK:
            raise ProtocolError(f"field 'media.chunk' is out of range: {media.chunk} "
                                f"(at most {_MAX_CHUNK}, 18 digits)")
        track = self._track(media.track)
        if not media.payload:
            return self._bad_payload(track, "field 'media.payload' is empty")
        return self._accept(track, media)

    def _accept(self, track: _Track, media: Media, pcm: Optional[bytes] = None) -> list[Media]:
        """Place one frame.  ``pcm`` is given when the C path already decoded
        it as the next frame of its track (and advanced ``expected``)."""
        if self.strict:
            saved = (track.received, track.late, track.last_chunk, track.expected, track.stride)
        try:
            return self._place(track, media, pcm)
        except PayloadError:
            # strict: a refused frame leaves the track's counters as they were
            # (it is counted in `rejected`), like any other refused message.
            (track.received, track.late, track.last_chunk, track.expected,
             track.stride) = saved
            raise
        finally:
            track.sync_hold()

    def _place(self, track: _Track, media: Media, pcm: Optional[bytes]) -> list[Media]:
        track.received += 1
        chunk = media.chunk
        if pcm is None:
            expected = track.expected
            if expected is None or (chunk < expected and self._unstarted(track)):
                # the first frame (or one numbered below the carrier's
                # first number, before anything was released) starts it
                expected = track.expected = chunk
            if abs(chunk - expected) > self.max_jump:
                return self._far_off(track, media)
        if track.suspect is not None:
            track.too_late += 1
            track.suspect = None
        out: list[Media] = []
        if pcm is not None:
            if chunk < track.last_chunk:
                track.late += 1
            else:
                track.last_chunk = chunk
            self._delivered(track, media, pcm, out)
            self._release(track, out, force=False)
            return out
        if chunk <= expected - track.stride:       # at or before the last one released
            if track.history[chunk % _HISTORY] == chunk:
                track.duplicate += 1
            else:
                track.too_late += 1
            return []
        if chunk in track.pending:
            track.duplicate += 1
            return []
        if chunk < track.last_chunk:
            track.late += 1
        else:
            track.last_chunk = chunk
        if not track.pending and self._follows(track, media):
            self._deliver(track, media, out)
            track.expected = chunk + track.stride
            return out
        track.pending[chunk] = media
        self._release(track, out, force=False)
        return out

    def _follows(self, track: _Track, media: Media) -> bool:
        """Whether ``media`` is the frame right after the last one released:
        its chunk is the expected one, or (when the stride is not yet known:
        a chunk counter shared by both tracks steps by about 2 per track)
        its ``timestamp`` is one frame after the last one's.  Then the
        track's stride becomes the step seen."""
        chunk, expected = media.chunk, track.expected
        if chunk == expected:
            return True
        ts, last_ts = media.timestamp, track.last_ts
        if ts is None or last_ts is None:
            return False
        released = expected - track.stride
        step = chunk - released
        frame_ms = 1000 * track.frame_samples / self.rate
        if 0 < step <= _MAX_STRIDE and 0 < ts - last_ts <= 1.5 * frame_ms:
            track.stride = step
            return True
        return False

    def _far_off(self, track: _Track, media: Media) -> list[Media]:
        """A chunk far from the expected one: believe it only when the next
        frame follows it (the numbering restarted or jumped)."""
        suspect = track.suspect
        if suspect is None or not 0 < media.chunk - suspect.chunk <= _MAX_STRIDE:
            if suspect is not None:
                track.too_late += 1
            track.suspect = media
            return []
        track.suspect = None
        track.resync += 1
        out: list[Media] = []
        self._release(track, out, force=True)
        track.last_chunk = suspect.chunk
        track.history[0:_HISTORY] = [-1] * _HISTORY
        self._deliver(track, suspect, out)
        self._deliver(track, media, out)
        track.stride = media.chunk - suspect.chunk
        track.last_chunk = media.chunk
        track.expected = media.chunk + track.stride
        return out

    def _release(self, track: _Track, out: list[Media], force: bool) -> None:
        pending = track.pending
        while pending:
            following = min(pending)
            media = pending[following]
            if not self._follows(track, media):
                if not force and len(pending) <= self.reorder_window:
                    return
                if self._unstarted(track):
                    # the frames before it never came: the stream starts here
                    track.expected = following
                else:
                    self._conceal(track, media, out)
            del pending[following]
            self._deliver(track, media, out)
            track.expected = following + track.stride

    def _unstarted(self, track: _Track) -> bool:
        """Whether the track still waits for the carrier's first chunk
        (nothing released yet)."""
        first = self._FIRST_CHUNK
        return first is not None and track.expected == first and \
            track.history[first % _HISTORY] != first

    def _conceal(self, track: _Track, after: Media, out: list[Media]) -> None:
        """Fill the gap before ``after``: as many frames as the chunks say
        are missing, or fewer when the timestamps say so (they cross-check
        the stride)."""
        stride = track.stride
        released = track.expected - stride
        gap = max(0, (after.chunk - released) // stride - 1)
        last_ts, ts = track.last_ts, after.timestamp
        if last_ts is not None and ts is not None and ts > last_ts and track.frame_samples:
            by_time = round((ts - last_ts) * self.rate / (1000 * track.frame_samples)) - 1
            gap = max(0, min(gap, by_time))
        track.lost += gap
        history = track.history
        for chunk in range(released + 1, min(after.chunk, released + 1 + len(history))):
            history[chunk % _HISTORY] = -1
        filled = min(gap, self.conceal_limit)
        for i in range(filled):
            pcm = None
            if i == gap - 1 and self._fec:
                # The frame just before `after`: OPUS rebuilds it from the
                # in-band FEC that `after` carries.
                try:
                    pcm = track.decoder.recover(after.payload)
                    track.recovered += 1
                except ValueError:
                    pcm = None
            if pcm is None:
                pcm = self._conceal_frame(track)
            track.concealed += 1
            timestamp = None
            if last_ts is not None and ts is not None:
                timestamp = last_ts + (ts - last_ts) * (i + 1) // (gap + 1)
            out.append(Media(track=track.name, chunk=released + stride * (i + 1),
                             timestamp=timestamp, payload=b"", stream_id=after.stream_id,
                             pcm=pcm, concealed=True))

    def _conceal_frame(self, track: _Track) -> bytes:
        """PCM standing in for one lost frame of ``track``: as long as the
        last frame at the codec's rate, so its length follows the resampler's
        phase like a decoded frame's (at 11025 Hz a 20 ms PCMU frame is 220
        or 221 samples) and it never has to be exact; never raises."""
        state = track.decoder._state
        n = lib.sc_decoder_conceal_frame(state, self._pcm, self._in.pcm_cap)
        if n == lib.SC_EBUFFER:
            self._grow_pcm(lib.sc_decoder_conceal_frame_bound(state))
            n = lib.sc_decoder_conceal_frame(state, self._pcm, self._in.pcm_cap)
        if n < 0:   # the codec could not (out of memory): silence of a frame's length
            return bytes(2 * track.frame_samples)
        return self._pcm_bytes[0:2 * n]

    def _deliver(self, track: _Track, media: Media, out: list[Media]) -> None:
        try:
            pcm = track.decoder.decode(media.payload)
        except (CorruptPayloadError, ValueError) as exc:
            # The chunk arrived but cannot be played: conceal it in place so
            # the timeline and the decoder state stay continuous.
            if self.strict:
                raise PayloadError(f"media chunk {media.chunk} of track {track.name!r}: {exc}") \
                    from None
            track.bad += 1
            pcm = self._conceal_frame(track)
            track.concealed += 1
            out.append(Media(track=track.name, chunk=media.chunk, timestamp=media.timestamp,
                             payload=b"", sequence_number=media.sequence_number,
                             stream_id=media.stream_id, pcm=pcm, concealed=True))
            track.history[media.chunk % _HISTORY] = media.chunk
            if media.timestamp is not None:
                track.last_ts = media.timestamp
            return
        self._delivered(track, media, pcm, out)

    @staticmethod
    def _delivered(track: _Track, media: Media, pcm: bytes, out: list[Media]) -> None:
        if pcm:
            track.frame_samples = len(pcm) // 2
        out.append(_media_event(media.track, media.chunk, media.timestamp, media.payload,
                                media.sequence_number, media.stream_id, pcm))
        track.history[media.chunk % _HISTORY] = media.chunk
        if media.timestamp is not None:
            track.last_ts = media.timestamp

    # ------------------------------------------------------------------
    # Playback
    # ------------------------------------------------------------------

    def _check_playback_rate(self) -> None:
        codec, rate = self.playback_codec, self.playback_rate
        if codec == "OPUS":
            if rate not in _OPUS_RATES:
                raise ValueError(f"OPUS runs at {', '.join(map(str, _OPUS_RATES))} Hz; "
                                 f"playback_rate={rate} is not one of them")
        elif codec != "L16":
            native = {"PCMU": 8000, "PCMA": 8000, "G722": 16000, "AMR-WB": 16000}[codec]
            if rate != native:
                raise ValueError(f"{codec} carries audio at {native} Hz; "
                                 f"playback_rate={rate} does not fit it")

    def _new_encoder(self, rate: int) -> tuple[Encoder, Optional[Resampler]]:
        """The encoder (and resampler before it, when one is needed) taking
        PCM at ``rate``; ValueError for a rate that cannot be played, with
        nothing of the session changed."""
        options: dict[str, Any] = {}
        if self.playback_codec == "L16":
            options = self._l16_options(self.playback_rate)
        elif self.playback_codec == "OPUS":
            options["codec_rate"] = self.playback_rate
        pre, encoder_rate = None, rate
        try:
            if rate != self.playback_rate and rate * self.playback_ptime % 1000:
                # No whole number of samples per message at this rate (11025
                # Hz: 20 ms is 220.5): resample to the codec's rate first and
                # cut the messages there.
                pre, encoder_rate = Resampler(rate, self.playback_rate), self.playback_rate
            encoder = Encoder(self.playback_codec, rate=encoder_rate, ptime=self.playback_ptime,
                              **options)
        except ValueError as exc:
            if rate != self.playback_rate:
                raise ValueError(
                    f"cannot play PCM at {rate} Hz as {self.playback_codec} at "
                    f"{self.playback_rate} Hz: {exc}") from None
            raise
        return encoder, pre

    def _set_encoder(self, rate: int,
                     chain: Optional[tuple[Encoder, Optional[Resampler]]] = None) -> None:
        """Play PCM at ``rate`` from now on with a fresh encoder (``chain``
        from :meth:`_new_encoder` when already built), and the C buffers the
        outbound path writes into."""
        encoder, pre = self._new_encoder(rate) if chain is None else chain
        if self._encoder is not None:
            self._sent_packets += self._out_ctx.sent   # C counts the messages of one encoder
        packet = encoder.rate * self.playback_ptime // 1000
        self._encoder, self._encoder_rate, self._packet, self._pre = encoder, rate, packet, pre
        bound = check(lib.sc_encoder_bound(encoder._state, packet), self.playback_codec)
        self._scratch = ffi.new("uint8_t[]", bound)
        self._held = ffi.new("int16_t[]", packet)   # < one packet waiting for more PCM
        self._held_n = 0
        out = self._out_ctx = ffi.new("sc_frame_out *")
        out.encoder, out.packet = encoder._state, packet
        out.scratch, out.scratch_cap = self._scratch, bound
        self._set_head()
        self._bind_out(address(out))

    def _set_head(self) -> None:
        """Give the C outbound path this dialect's text around a payload
        (again when it changes: Twilio's names the streamSid of ``start``)."""
        head, tail = self._media_head().encode("ascii"), self._MEDIA_TAIL.encode("ascii")
        out = self._out_ctx
        self._head_tail = (ffi.new("char[]", head), ffi.new("char[]", tail))   # kept alive here
        out.head, out.head_len = self._head_tail[0], len(head)
        out.tail, out.tail_len = self._head_tail[1], len(tail)
        self._message_len = lib.sc_frame_out_len(out, out.scratch_cap)
        self._grow_out(4)
        # play() in one C call at this rate (none until the messages can
        # name the stream, where the carrier wants that)
        assert self._encoder_rate is not None   # only called once an encoder is set
        self._play_rate = self._encoder_rate if self._pre is None and self._addressed() else 0

    def _grow_out(self, messages: int) -> None:
        out = self._out_ctx
        out.out_cap = messages * self._message_len
        self._out = ffi.new("char[]", out.out_cap)
        self._out_text = ffi.buffer(self._out)
        self._ends = ffi.new("int64_t[]", messages)
        out.out, out.ends, out.ends_cap = self._out, self._ends, messages

    def _encode(self, pcm: Any, n: int) -> list[str]:
        """Whole packets of PCM (n samples at the encoder's rate) to messages."""
        count = n // self._packet
        if count > self._out_ctx.ends_cap:
            self._grow_out(count)
        size = _media_out(self._out_ctx, pcm, n)
        if size < 0:
            check(size, f"{self.playback_codec} playback")
        if count == 1:
            return [self._out_text[0:size].decode("ascii")]
        text = self._out_text[0:size].decode("ascii")
        ends = self._ends
        out, begin = [], 0
        for i in range(count):
            end = ends[i]
            out.append(text[begin:end])
            begin = end
        return out

    @property
    def sent_ms(self) -> int:
        """Milliseconds of audio in the media messages returned so far."""
        sent = self._sent_packets if self._encoder is None else \
            self._sent_packets + self._out_ctx.sent
        return sent * self.playback_ptime

    @property
    def played_ms(self) -> Optional[int]:
        """Position (on the :attr:`sent_ms` timeline) of the latest mark the carrier
        echoed as played; None before the first."""
        return self._played_ms

    @property
    def outstanding_marks(self) -> tuple[str, ...]:
        """Names of the marks sent and not yet echoed, oldest first."""
        return tuple(entry[0] for entry in self._marks)

    # play() is StreamBase.play (C, documented there): bytes of one whole
    # packet at the encoder's rate with nothing held is one
    # sc_frame_media_out() call there; every other call comes here.

    def _play_other(self, pcm: Any, rate: Optional[int] = None) -> list[Any]:
        """play() in Python: any PCM type and length, rate changes.  The
        messages are what :meth:`_encode` makes: text, or Vonage's binary
        frames."""
        if self._encoder is None:
            self._no_pcm_playback()
        self._check_addressed()
        data: Any   # bytes, or a cffi int16_t pointer
        if type(pcm) is bytes and not len(pcm) & 1:
            data, n = pcm, len(pcm) >> 1          # passed to C as it is
        else:
            data, n = pcm_view(pcm)               # checked before anything changes
        out: Optional[list[str]] = None
        if rate is not None and rate != self._encoder_rate:
            # build (and so validate) the new encoder before the held audio goes
            chain = self._new_encoder(_positive_int(rate, "rate"))
            out = self.flush_playback()
            self._set_encoder(rate, chain)
        if self._pre is not None:
            data = self._pre.process(pcm)
            n = len(data) >> 1
        packet, held = self._packet, self._held_n
        if not held and n == packet:              # the common case: one packet in, one out
            one = self._encode(data, n)
            return one if out is None else out + one
        start = ffi.cast("int16_t *", ffi.from_buffer(data) if type(data) is bytes else data)
        if held:
            take = min(packet - held, n)
            ffi.memmove(self._held + held, start, 2 * take)
            held += take
            if held < packet:
                self._held_n = held
                return out or []
            self._held_n = 0
            first = self._encode(self._held, packet)
            out = first if out is None else out + first
            start, n = start + take, n - take
        whole = n - n % packet
        if whole:
            more = self._encode(start, whole)
            out = more if out is None else out + more
        if n > whole:
            ffi.memmove(self._held, start + whole, 2 * (n - whole))
            self._held_n = n - whole
        return out or []

    def _play_failed(self, code: int) -> list[str]:
        """sc_frame_media_out's error ``code`` as the exception it stands for."""
        check(code, f"{self.playback_codec} playback")
        raise AssertionError(f"error code {code} not raised")   # check() raises for < 0

    def flush_playback(self) -> list[str]:
        """The audio :meth:`play` still holds, padded with silence to a whole
        message (no message when nothing is held).

        When :meth:`play` resamples, the resampler's filter delay (about
        2.5 ms at 8 kHz with the default quality) is still inside it; the
        padding pushes it out when anything was held, otherwise it leaves
        with the next audio played."""
        if self._encoder is None or not self._held_n:
            return []
        held = self._held_n
        ffi.memmove(self._held + held, bytes(2 * (self._packet - held)), 2 * (self._packet - held))
        self._held_n = 0
        return self._encode(self._held, self._packet)

    def mark(self, name: str, flush: bool = True) -> list[str]:
        """Frames that place a mark after the audio played so far.

        With ``flush`` (default) the audio :meth:`play` still holds is sent
        first (padded with silence), so the mark follows all of it;
        otherwise the remainder stays buffered and will follow the mark.
        """
        self._check_addressed()
        out = self.flush_playback() if flush else []
        message = self._mark_message(name)
        self._marks.append([name, self.sent_ms, False])
        out.append(message)
        return out

    def clear(self) -> list[str]:
        """Frames that make the carrier drop the audio it has queued.

        The audio :meth:`play` holds is dropped too, and the encoder starts
        afresh.  The carrier returns the marks that were queued; when their echoes
        arrive they are reported with ``cleared=True`` and no ``played_ms``.
        """
        self._check_addressed()
        for entry in self._marks:
            entry[2] = True
        if self._encoder_rate is not None:   # set with the encoder
            self._set_encoder(self._encoder_rate)
        return [self._clear_message()]

    def _queue_cleared(self, stream_id: Optional[str], raw: Any) -> list[Mark]:
        """The marks a clear dropped, for carriers that acknowledge the clear
        itself rather than echoing each mark it dropped (Plivo's
        ``clearedAudio``, Vonage's ``websocket:cleared``): each comes back
        ``cleared`` with no ``played_ms``."""
        out = []
        while self._marks and self._marks[0][2]:
            name = self._marks.popleft()[0]
            out.append(Mark(name=name, stream_id=stream_id, cleared=True,
                            outstanding=len(self._marks), raw=raw))
        return out

    def _mark_echo(self, event: Mark) -> Mark:
        marks = self._marks
        for i, entry in enumerate(marks):
            if entry[0] == event.name:
                del marks[i]
                name, position, cleared = entry
                played = None if cleared or self._encoder is None else position
                if played is not None and (self._played_ms is None or played > self._played_ms):
                    self._played_ms = played
                return Mark(name=name, stream_id=event.stream_id,
                            sequence_number=event.sequence_number, played_ms=played,
                            cleared=cleared, outstanding=len(marks), raw=event.raw)
        return Mark(name=event.name, stream_id=event.stream_id,
                    sequence_number=event.sequence_number, outstanding=len(marks), raw=event.raw)

    #: Whether outbound messages name the stream (Twilio's streamSid), so
    #: nothing can be sent before the stream id is known.
    _ADDRESSED = False

    def _addressed(self) -> bool:
        return not self._ADDRESSED or self._stream_id_text is not None

    def _check_addressed(self) -> None:
        if not self._addressed():
            raise ValueError(f"{self._CARRIER} messages name the stream: feed the start frame "
                             "(or call configure(..., stream_id=...)) before playing")

    #: Whether playback takes the format ``start`` announces (SignalWire,
    #: Plivo, Exotel, Vonage: the stream's codec is the same both ways).
    _FOLLOW_START = False

    def _plan_playback(self, codec: str, rate: int) -> Optional[tuple]:
        """How to play ``codec`` at ``rate`` (the format ``start``
        announced): the new settings and encoder, built and checked with
        nothing of the session changed; None when they are the current
        ones.  ValueError when the carrier cannot play it."""
        # G.711 is 8 kHz, G.722 16 kHz whatever the start says (G.722's RTP
        # clock is 8000)
        rate = {"PCMU": 8000, "PCMA": 8000, "G722": 16000}.get(codec, rate)
        encoder_rate = self._encoder_rate   # set with the encoder
        if (codec, rate) == (self.playback_codec, self.playback_rate) or encoder_rate is None:
            return None
        old = (self.playback_codec, self.playback_rate, self.playback_ptime)
        # a PCM rate given to play() before stays; the default follows
        pcm_rate = rate if encoder_rate == self.playback_rate else encoder_rate
        try:
            self.playback_codec, self.playback_rate = codec, rate
            self.playback_ptime = self._ptime_for(codec, rate, self._ptime_asked)
            self._check_playback_rate()
            self._check_framing()
            plan = (codec, rate, self.playback_ptime, pcm_rate, self._new_encoder(pcm_rate))
        finally:
            self.playback_codec, self.playback_rate, self.playback_ptime = old
        return plan

    def _apply_playback(self, plan: tuple) -> None:
        codec, rate, ptime, pcm_rate, chain = plan
        self.playback_codec, self.playback_rate, self.playback_ptime = codec, rate, ptime
        self._set_encoder(pcm_rate, chain)

    def _ptime_for(self, codec: str, rate: int, asked: Optional[int]) -> int:
        """The playback ptime for ``codec`` at ``rate`` (``asked``: the
        ptime given to the constructor, None for the carrier's default)."""
        return 20 if asked is None else asked

    def _no_pcm_playback(self) -> NoReturn:
        raise ValueError("this stream has no PCM playback")


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{what} must be positive, got {value}")
    return value


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return value
