"""The call engine: plays one call into a media-stream server as a carrier does.

:func:`simulate_call` connects to a WebSocket server and behaves as the
chosen carrier (:mod:`streamcodec.simulate.telnyx`, ``twilio``,
``signalwire``, ``plivo``, ``exotel``, ``vonage``) does on a bidirectional
stream:

- sends the carrier's opening messages (``connected``, ``start``, or
  Vonage's ``websocket:connected``) with the custom parameters and the
  media format of the chosen codec and rate, and its credential on the
  upgrade request;
- sends one media message per 20 ms of audio (Exotel: 100 ms), at real-time
  pace or as fast as possible, on the inbound track or on both tracks, with
  optional loss, duplication and reordering; dtmf spread through the call;
  the carrier's ``stop`` (or a close) at the end;
- decodes the audio the server plays back into what the caller heard,
  refusing (and counting in :attr:`CallResult.bad_frames`) messages that
  break the carrier's rules, and acknowledges each mark (Twilio's mark,
  Plivo's checkpoint, Vonage's notify) once the audio queued before it has
  "played" (at once when nothing is queued); a clear drops the audio not
  yet played and returns (or, for Plivo and Vonage, drops) the queued marks.

Payloads are made with :class:`streamcodec.Encoder` and decoded with
:class:`streamcodec.Decoder` (the codec core); the carriers' messages are
built and read by the carrier modules, independently of the server's
dialect code.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence, Type

import numpy as np

from .. import Decoder, Encoder, normalize_codec
from ..signals import speech_like
from ._carrier import Caller
from .exotel import ExotelCaller
from .plivo import PlivoCaller
from .signalwire import SignalWireCaller
from .telnyx import TRACKS, TelnyxCaller, wire_rate
from .twilio import TwilioCaller
from .vonage import VonageCaller

__all__ = ["CARRIERS", "CallResult", "playback_misfit", "run_call", "simulate_call"]

#: The carriers the simulator plays, by name.
CARRIERS: dict[str, Type[Caller]] = {
    c.name: c for c in (TelnyxCaller, TwilioCaller, SignalWireCaller, PlivoCaller,
                        ExotelCaller, VonageCaller)}


def _codec_options(codec: str, rate: int) -> dict:
    return {"codec_rate": rate} if codec in ("L16", "OPUS") else {}

# ----------------------------------------------------------------------------
# Result
# ----------------------------------------------------------------------------


@dataclass
class CallResult:
    """What a simulated call did and heard."""

    stream_id: str
    codec: str
    codec_rate: int
    track: str
    input_rate: int
    carrier: str = "telnyx"
    message_ms: int = 20
    """Milliseconds of audio per inbound media message."""
    frames: int = 0
    """Media messages the audio made, per track (20 ms each; Exotel's 100 ms)."""
    sent: int = 0
    """Media frames sent, all tracks, duplicates included."""
    lost: int = 0
    """Media frames withheld to simulate loss."""
    lost_chunks: list = field(default_factory=list)
    """Chunk numbers withheld on the track that carries ``pcm``."""
    duplicated: int = 0
    reordered: int = 0
    dtmf_sent: int = 0
    received_messages: int = 0
    received_media: int = 0
    received_bytes: int = 0
    marks_received: int = 0
    marks_echoed: int = 0
    marks: list = field(default_factory=list)
    """Names of the marks echoed, in order."""
    clears: int = 0
    overflowed: bool = False
    """In real time, the server queued more playback than the carrier keeps
    (Vonage 3072 frames, about 61 s; Twilio about 10 minutes)."""
    bad_frames: int = 0
    """Messages from the server that could not be read or decoded, or that
    break the carrier's rules (the reasons are in :attr:`errors`)."""
    undecodable: int = 0
    """Played-back payloads the playback codec refused (counted in ``bad_frames`` too)."""
    misfit_sizes: int = 0
    """Played-back payloads that are not a whole number of the playback
    codec's 20 ms frames (PCMU, PCMA, G722, L16)."""
    playback_mismatch: Optional[str] = None
    """Why the played-back payloads do not fit the playback codec the
    caller was told (sizes, decode failures, or content that decodes as
    another codec); None when they fit.  See :func:`playback_misfit`."""
    errors: list = field(default_factory=list)
    heard: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16), repr=False)
    heard_rate: int = 8000
    reference: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16), repr=False)
    """The inbound audio sent, at ``input_rate``."""
    close_code: Optional[int] = None
    close_reason: str = ""
    elapsed: float = 0.0
    encode_ns: int = 0
    decode_ns: int = 0

    @property
    def heard_seconds(self) -> float:
        return len(self.heard) / self.heard_rate if self.heard_rate else 0.0


# ----------------------------------------------------------------------------
# Does what the server plays back fit the codec the caller was told?
# ----------------------------------------------------------------------------

#: Codecs whose 20 ms payloads are 160 bytes: a server in one of them is
#: heard by a caller told another one without any size or decode error.
_SAME_SIZE = ("PCMU", "PCMA", "G722")
#: The codes of the four quietest levels of each G.711 law (near silence).
_QUIET_CODES = {"PCMU": (0xFF, 0x7F, 0xFE, 0x7E), "PCMA": (0xD5, 0x55, 0xD4, 0x54)}


def _frame_bytes(codec: str, rate: int) -> Optional[int]:
    """Bytes of one 20 ms payload, for the codecs that have a fixed size."""
    if codec in _SAME_SIZE:
        return 160
    if codec == "L16":
        return 2 * rate // 50
    return None                                    # OPUS, AMR-WB: variable


def _lag1_and_rms(payloads: Sequence[bytes], codec: str) -> tuple[float, float]:
    """Lag-1 autocorrelation (mean removed) and RMS of the payloads decoded as ``codec``."""
    decoder = Decoder(codec)
    x = np.frombuffer(b"".join(decoder.decode(p) for p in payloads), np.int16).astype(np.float64)
    x -= x.mean()
    energy = float(np.dot(x, x))
    lag1 = float(np.dot(x[1:], x[:-1])) / energy if energy else 1.0
    return lag1, math.sqrt(energy / max(len(x), 1))


def playback_misfit(payloads: Sequence[bytes], codec: str) -> Optional[str]:
    """Why 160-byte payloads heard as ``codec`` (PCMU, PCMA or G722) look
    like another of the three, or None.

    PCMU, PCMA and G722 all make 160-byte payloads, and each decodes any
    bytes, so a caller told the wrong one hears noise without an error.
    The payloads are decoded as all three and compared; the told codec is
    refused only when another one clearly fits better:

    - the told decode is noise-like (lag-1 autocorrelation below 0.3) where
      another is smooth (above 0.8), as audio is (and, for G722, not more
      than twice as loud);
    - told G722, the decode is loud (above -12 dBFS RMS) and three times
      the level of a G.711 decode that is smooth (lag-1 above 0.5): G.711
      bytes as G.722 codes come out near full scale;
    - told PCMU or PCMA, at least 5 % of the bytes are the other law's
      near-silence codes, four times more than the told law's (pauses and
      zero crossings are what audio has most of).

    Audio without structure (white noise, a single loud tone) may go
    undetected; it is not refused.
    """
    if codec not in _SAME_SIZE or not payloads:
        return None
    data = b"".join(payloads)
    decoded = {c: _lag1_and_rms(payloads, c) for c in _SAME_SIZE}
    quiet = {c: sum(data.count(code) for code in codes) for c, codes in _QUIET_CODES.items()}
    told_lag1, told_rms = decoded[codec]
    for other in _SAME_SIZE:
        if other == codec:
            continue
        lag1, rms = decoded[other]
        # (Quiet G.711 noise decoded as G.722 can come out smooth, but many
        # times louder than as G.711; real G.722 is not louder than that.)
        if told_lag1 < 0.3 and lag1 > 0.8 and not (other == "G722" and rms > 2 * told_rms):
            return (f"as {codec} they decode to noise (lag-1 correlation {told_lag1:.2f}); "
                    f"as {other} to smooth audio ({lag1:.2f})")
        if codec == "G722" and told_rms > 8231 and told_rms > 3 * rms and lag1 > 0.5:
            return (f"as G722 they decode near full scale ({told_rms:.0f} RMS), "
                    f"{told_rms / rms:.1f} times louder than as {other}")
        if codec in quiet and other in quiet and quiet[other] >= 0.05 * len(data) \
                and quiet[other] >= 4 * quiet[codec]:
            return (f"{100 * quiet[other] / len(data):.0f} % of the bytes are {other}'s "
                    f"near-silence codes, {100 * quiet[codec] / len(data):.1f} % {codec}'s")
    return None


class _Player:
    """Telnyx's playback queue, as far as marks and ``clear`` can tell.

    Audio plays back to back from the moment it arrives; a mark is echoed
    when the audio queued before it has played (at once when none is).  In
    fast mode audio "plays" the moment it arrives."""

    def __init__(self, realtime: bool, rate: int):
        self.realtime, self.rate = realtime, rate
        self.end = 0.0                       # when the queued audio finishes
        self.pending: list[tuple[float, str]] = []
        self.segments: list[tuple[float, np.ndarray]] = []   # (start time, samples)
        self.wakeup = asyncio.Event()

    def add_audio(self, pcm: np.ndarray) -> None:
        now = time.monotonic()
        start = max(now, self.end) if self.realtime else now
        self.segments.append((start, pcm))
        if self.realtime:
            self.end = start + len(pcm) / self.rate

    def queued_seconds(self) -> float:
        """Seconds of audio waiting to play (real time only)."""
        return max(0.0, self.end - time.monotonic()) if self.realtime else 0.0

    def add_mark(self, name: str) -> bool:
        """Queue a mark; True when it is due now."""
        now = time.monotonic()
        if not self.realtime or self.end <= now:
            if not self.pending:
                return True
        self.pending.append((max(self.end, now), name))
        self.wakeup.set()
        return False

    def due(self) -> list[str]:
        now = time.monotonic()
        names = []
        while self.pending and self.pending[0][0] <= now:
            names.append(self.pending.pop(0)[1])
        return names

    def next_due(self) -> Optional[float]:
        return self.pending[0][0] if self.pending else None

    def clear(self) -> list[str]:
        """Drop the audio not yet played; the queued marks, to echo now."""
        now = time.monotonic()
        kept = []
        for start, pcm in self.segments:
            if start >= now:
                continue
            played = int((now - start) * self.rate) if self.realtime else len(pcm)
            kept.append((start, pcm[:played]))
        self.segments = kept
        self.end = min(self.end, now)
        names = [name for _, name in self.pending]
        self.pending.clear()
        return names

    def heard(self) -> np.ndarray:
        if not self.segments:
            return np.zeros(0, np.int16)
        return np.concatenate([pcm for _, pcm in self.segments]).astype(np.int16)

    def drained(self) -> bool:
        return not self.pending and (not self.realtime or self.end <= time.monotonic())


class _Payloads:
    """One track's payloads, encoded one at a time as the sender needs them.

    Encoding a whole call up front held the event loop (about 70 ms per
    10 s OPUS call), so hundreds of calls simulated at once starved each
    other's handshakes into timeouts."""

    def __init__(self, codec: str, audio: np.ndarray, rate: int, wire: int,
                 result: CallResult, caller: Caller):
        self._encoder = Encoder(codec, rate=rate, ptime=caller.message_ms,
                                **_codec_options(codec, wire))
        self._to_wire = caller.to_wire
        self._audio = audio
        self._step = int(self._encoder.rate * self._encoder.ptime / 1000)   # samples per payload
        self._pos = 0
        self._result = result
        self._count = -(-len(audio) // self._step)     # the last one padded with silence

    def __len__(self) -> int:
        return self._count

    def next(self) -> bytes:
        """The next payload, in order."""
        if self._pos >= len(self._audio):
            raise IndexError("no payloads left on this track")
        piece = self._audio[self._pos:self._pos + self._step]
        self._pos += self._step
        t0 = time.perf_counter_ns()
        out = self._encoder.packetize(piece) + self._encoder.flush()
        self._result.encode_ns += time.perf_counter_ns() - t0
        return self._to_wire(out[0])


@functools.lru_cache(maxsize=16)
def _speech(seconds: float, rate: int, seed: int) -> np.ndarray:
    pcm = speech_like(seconds, rate, seed=seed)
    pcm.flags.writeable = False               # shared by the calls that ask for it
    return pcm


_synthesizer: Optional[concurrent.futures.ThreadPoolExecutor] = None


async def _synthesize(seconds: float, rate: int, seed: int) -> np.ndarray:
    """The default speech-like audio, made in one worker thread and cached.

    Synthesis costs ~15 ms per second of audio; in the coroutine it held
    every other call on the event loop (hundreds of calls starting together
    timed out in their handshakes).  One thread, not a pool: more threads
    would take the GIL from the event loop in turn."""
    global _synthesizer
    if _synthesizer is None:
        _synthesizer = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="streamcodec-simulate")
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_synthesizer, _speech, float(seconds), int(rate), seed)


def _connect_kwargs() -> dict:
    from websockets.asyncio.client import connect
    kwargs: dict[str, Any] = {"compression": None, "max_size": 1 << 22, "open_timeout": 10,
                              "close_timeout": 2}
    if "proxy" in inspect.signature(connect).parameters:
        kwargs["proxy"] = None   # loopback servers: never through a proxy
    return kwargs



async def simulate_call(
    url: str,
    pcm: Optional[np.ndarray] = None,
    rate: Optional[int] = None,
    *,
    carrier: str = "telnyx",
    codec: Optional[str] = None,
    codec_rate: Optional[int] = None,
    seconds: float = 3.0,
    seed: int = 0,
    track: str = "inbound",
    outbound_pcm: Optional[np.ndarray] = None,
    realtime: bool = False,
    loss: float = 0.0,
    duplicate: float = 0.0,
    reorder: float = 0.0,
    dtmf: str = "",
    playback_codec: Optional[str] = None,
    playback_rate: Optional[int] = None,
    heard_rate: Optional[int] = None,
    auth_token: Optional[str] = None,
    token_in: str = "both",
    signed_url: Optional[str] = None,
    custom_parameters: Optional[Mapping[str, Any]] = None,
    stream_id: Optional[str] = None,
    linger_idle: Optional[float] = None,
    linger_max: float = 5.0,
    expect_media: Optional[int] = None,
    expect_marks: Optional[int] = None,
    timeout: float = 120.0,
) -> CallResult:
    """Play one call into the media-stream server at ``url``.

    Parameters
    ----------
    url : str
        ``ws://host:port[/path]`` of the server.
    pcm, rate : int16 array and Hz, optional
        The caller's audio; by default ``seconds`` of
        :func:`~streamcodec.signals.speech_like` audio (``seed``) at the
        codec's wire rate.
    carrier : str
        Whose dialect to speak: ``telnyx`` (default), ``twilio``,
        ``signalwire``, ``plivo``, ``exotel`` or ``vonage`` (see
        :data:`CARRIERS`).
    codec : str, optional
        Codec of the stream (Telnyx: ``start.media_format.encoding``);
        default PCMU, or L16 for Exotel and Vonage.
    codec_rate : int, optional
        Its rate on the wire: for Telnyx's OPUS and L16 (default 16000; the
        others have fixed rates); for the other carriers one of the rates
        they offer for the codec (default the first; Vonage 16000).
    track : {"inbound", "outbound", "both_tracks", "inbound_track", "outbound_track"}
        The media tracks to send (TeXML's spellings are accepted too).
        ``pcm`` goes on the inbound track, or on the outbound one with
        ``outbound``/``outbound_track``.  With ``both_tracks`` an outbound
        track is sent too (``outbound_pcm``, default speech-like audio with
        ``seed + 1``), chunk-numbered on its own.  Exotel and Vonage send
        the inbound track only.
    realtime : bool
        Pace media at one message per 20 ms (Exotel: 100 ms) instead of as
        fast as the server reads.
    loss, duplicate, reorder : float
        Probabilities per media message of withholding it, sending it twice,
        and swapping it with the next one (not for Vonage: unnumbered
        binary frames in TCP order).
    dtmf : str
        Keys to press, spread evenly through the call.
    playback_codec, playback_rate
        Telnyx only: the bidirectional codec (default PCMU) and rate the
        server plays back in.  The other carriers play back in the
        stream's codec and rate.
    heard_rate : int, optional
        Rate of :attr:`CallResult.heard` (default the playback rate).
    auth_token : str, optional
        The credential the carrier presents: Telnyx's streaming auth token
        (``token_in`` is ``"both"``, ``"header"`` or ``"connected"``),
        Twilio's auth token (signs the upgrade, over ``signed_url``, default
        ``url``), SignalWire's Bearer token, Exotel's ``KEY:TOKEN`` (Basic),
        Vonage's JWT secret.
    custom_parameters : mapping, optional
        The answer document's parameters, as the carrier passes them on
        (Plivo: ``extra_headers``; Vonage: fields of ``websocket:connected``).
    linger_idle, linger_max : float
        After the last media message, wait until playback has drained and
        the server has been quiet for ``linger_idle`` seconds (default 0.2,
        or 0.5 in real time), at most ``linger_max`` seconds, before
        hanging up.
    expect_media, expect_marks : int, optional
        What the caller waits for instead of quiet: after the last media
        message it hangs up once it has received at least ``expect_media``
        media messages (decodable or not) and acknowledged at least
        ``expect_marks`` marks (and
        the playback has drained), however long the server takes, up to
        ``linger_max`` seconds; short of that it notes the shortfall in
        :attr:`CallResult.errors`.  A quiet spell says nothing on a busy
        machine (a server's late mark comes after it); a count does.
    timeout : float
        Hard limit on the whole call, seconds.
    """
    try:
        import websockets.asyncio.client  # noqa: F401  (13 or newer)
    except ImportError:
        raise ImportError("the call simulator needs the websockets library (13 or newer): "
                          "pip install 'streamcodec[server]'") from None
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    if carrier not in CARRIERS:
        raise ValueError(f"carrier must be one of {', '.join(CARRIERS)}, got {carrier!r}")
    kind = CARRIERS[carrier]
    telnyx = kind is TelnyxCaller
    codec = normalize_codec(codec or next(iter(kind.offers)))   # the first is the default
    if telnyx:
        wire = wire_rate(codec, codec_rate)
    elif codec_rate is None:
        offered = kind.offers.get(codec, (0,))
        wire = 16000 if kind is VonageCaller and 16000 in offered else offered[0]
    else:
        wire = codec_rate
    if track not in TRACKS:
        raise ValueError(f"track must be one of {', '.join(TRACKS)}, got {track!r}")
    names = TRACKS[track]
    if names != ("inbound",) and kind in (ExotelCaller, VonageCaller):
        raise ValueError(f"{carrier} streams the inbound track only, not {track!r}")
    if token_in not in ("both", "header", "connected"):
        raise ValueError(f"token_in must be 'both', 'header' or 'connected', got {token_in!r}")
    for name, p in (("loss", loss), ("duplicate", duplicate), ("reorder", reorder)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a probability in [0, 1], got {p}")
        if p and kind is VonageCaller:
            raise ValueError(f"vonage sends unnumbered binary frames in TCP order: no {name}")
    for digit in dtmf:
        if digit not in "0123456789*#ABCD":
            raise ValueError(f"dtmf digit {digit!r} is not one of 0-9 * # A-D")
    stream_id = stream_id or (f"MZ{uuid.uuid4().hex}" if carrier == "twilio" else str(uuid.uuid4()))
    common: dict[str, Any] = dict(stream_id=stream_id, tracks=names, custom_parameters=custom_parameters,
                  auth_token=auth_token, url=signed_url or url)
    if telnyx:
        caller: Caller = TelnyxCaller(codec, wire, playback_codec=playback_codec or "PCMU",
                                      playback_rate=playback_rate, token_in=token_in, **common)
    else:
        if playback_codec is not None and normalize_codec(playback_codec) != codec \
                or playback_rate is not None and playback_rate != wire:
            raise ValueError(f"{carrier} plays back in the stream's codec and rate "
                             f"({codec} at {wire} Hz); playback_codec/playback_rate are "
                             "Telnyx's")
        caller = kind(codec, wire, **common)
    playback_codec, play_wire = caller.playback()
    if pcm is None:
        rate = wire
        pcm = await _synthesize(seconds, rate, seed)
    elif rate is None:
        raise ValueError("pass the rate of pcm")
    pcm = np.asarray(pcm, dtype=np.int16)
    heard_rate = heard_rate or play_wire
    step = caller.message_ms
    result = CallResult(stream_id=stream_id, codec=codec, codec_rate=wire, track=track,
                        input_rate=rate, carrier=carrier, message_ms=step,
                        heard_rate=heard_rate, reference=pcm)

    tracks = {names[0]: _Payloads(codec, pcm, rate, wire, result, caller)}
    if len(names) == 2:
        other = outbound_pcm if outbound_pcm is not None else await _synthesize(
            len(pcm) / rate, rate, seed + 1)
        tracks["outbound"] = _Payloads(codec, np.asarray(other, dtype=np.int16), rate, wire,
                                       result, caller)
    result.frames = len(tracks[names[0]])
    decoder = Decoder(playback_codec, rate=heard_rate, **_codec_options(playback_codec, play_wire))
    player = _Player(realtime, heard_rate)
    # Telnyx takes 20 ms frames; the other carriers' own rules are checked by their read().
    frame_bytes = _frame_bytes(playback_codec, play_wire) if telnyx else None
    sample: list[bytes] = []                  # the first played-back payloads
    rng = np.random.default_rng(seed + 7919)

    began = time.monotonic()
    deadline = began + timeout
    last_heard = [time.monotonic()]
    stopped = asyncio.Event()

    async with connect(url, additional_headers=caller.headers(), **_connect_kwargs()) as ws:

        async def send(message: Any) -> None:
            await ws.send(message)

        async def receive() -> None:
            async for message in ws:
                last_heard[0] = time.monotonic()
                result.received_messages += 1
                result.received_bytes += len(message)
                try:
                    kind_, value = caller.read(message)
                    if kind_ == "media":
                        payload = caller.from_wire(value, playback_codec)
                        if frame_bytes and len(payload) % frame_bytes:
                            result.misfit_sizes += 1
                        if len(sample) < 150:               # 3 s to judge the codec by
                            sample.append(payload)
                        t0 = time.perf_counter_ns()
                        try:
                            audio = np.frombuffer(decoder.decode(payload), dtype=np.int16)
                        except ValueError:
                            result.undecodable += 1
                            raise
                        result.decode_ns += time.perf_counter_ns() - t0
                        result.received_media += 1
                        player.add_audio(audio)
                        ahead = player.queued_seconds()
                        if ahead > caller.max_queued_s and not result.overflowed:
                            result.overflowed = True
                            result.errors.append(
                                f"{ahead:.1f} s of playback queued: {carrier} keeps at most "
                                f"{caller.max_queued_s:g} s and drops the rest")
                    elif kind_ == "mark":
                        result.marks_received += 1
                        if player.add_mark(value) and not stopped.is_set():
                            await echo(value)
                    else:                                    # clear
                        result.clears += 1
                        queued = player.clear()
                        if not stopped.is_set():
                            if caller.clear_returns_marks:
                                for name in queued:
                                    await echo(name)
                            for answer in caller.cleared():
                                await send(answer)
                except (ValueError, TypeError) as exc:  # RuleBroken, ProtocolError, ...
                    result.bad_frames += 1
                    if len(result.errors) < 20:
                        result.errors.append(str(exc))

        async def echo(name: str) -> None:
            result.marks_echoed += 1
            result.marks.append(name)
            await send(caller.played(name))

        async def pump_marks() -> None:
            while not stopped.is_set():
                for name in player.due():
                    await echo(name)
                when = player.next_due()
                player.wakeup.clear()
                wait = 1.0 if when is None else max(0.0, when - time.monotonic())
                try:
                    await asyncio.wait_for(player.wakeup.wait(), min(wait, 1.0))
                except asyncio.TimeoutError:
                    pass

        async def send_media() -> None:
            for message in caller.opening():
                await send(message)
            n = result.frames
            dtmf_at = {int(round((i + 1) * n / (len(dtmf) + 1))): d for i, d in enumerate(dtmf)}
            held: dict[str, Optional[tuple[int, bytes]]] = {name: None for name in tracks}
            t0 = time.monotonic()

            async def send_one(name: str, chunk: int, payload: bytes) -> None:
                await send(caller.media(name, chunk, (chunk - 1) * step, payload))
                result.sent += 1

            for k in range(n):
                if realtime:
                    delay = t0 + k * step / 1000 - time.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                if k in dtmf_at:
                    await send(caller.dtmf(dtmf_at[k]))
                    result.dtmf_sent += 1
                if not realtime:
                    await asyncio.sleep(0)      # let the other calls on this loop run
                for name, frames in tracks.items():
                    if k >= len(frames):
                        continue
                    chunk = (k + 1, frames.next())
                    if rng.random() < loss:
                        result.lost += 1
                        if name == names[0]:
                            result.lost_chunks.append(chunk[0])
                        continue
                    if held[name] is None and k + 1 < len(frames) and rng.random() < reorder:
                        held[name] = chunk          # goes out after the next one
                        result.reordered += 1
                        continue
                    copies = 2 if rng.random() < duplicate else 1
                    result.duplicated += copies - 1
                    for _ in range(copies):
                        await send_one(name, *chunk)
                    late = held[name]
                    if late is not None:
                        held[name] = None
                        await send_one(name, *late)
            for name, late in held.items():
                if late is not None:
                    await send_one(name, *late)
            for k in sorted(d for d in dtmf_at if d >= n):
                await send(caller.dtmf(dtmf_at[k]))
                result.dtmf_sent += 1
            # Let the playback finish (and what is expected arrive, or the
            # server fall quiet), then hang up.
            idle = linger_idle if linger_idle is not None else (0.5 if realtime else 0.2)
            end = min(time.monotonic() + linger_max, deadline)
            expecting = expect_media is not None or expect_marks is not None

            def expected() -> bool:
                media = result.received_media + result.undecodable
                return (media >= (expect_media or 0)
                        and result.marks_echoed >= (expect_marks or 0))

            while time.monotonic() < end:
                if expecting:
                    if expected() and player.drained():
                        break
                    await asyncio.sleep(0.02)
                    continue
                quiet = time.monotonic() - last_heard[0]
                if quiet >= idle and player.drained():
                    break
                await asyncio.sleep(max(0.01, min(idle - quiet, 0.05)))
            if expecting and not expected():
                result.errors.append(
                    f"expected {expect_media or 0} media messages and {expect_marks or 0} "
                    f"marks within {linger_max:g} s of the last frame; got "
                    f"{result.received_media + result.undecodable} and {result.marks_echoed}")
            stopped.set()
            player.wakeup.set()
            last = caller.stop()
            if last is not None:
                await send(last)
            else:
                await ws.close()              # the carrier hangs up by closing

        receiver = asyncio.create_task(receive())
        pump = asyncio.create_task(pump_marks())
        try:
            try:
                await asyncio.wait_for(send_media(), max(0.0, deadline - time.monotonic()))
            except ConnectionClosed:
                pass                          # the server hung up: collect what it said
            except asyncio.TimeoutError:
                result.errors.append(f"call did not finish within {timeout} s")
            stopped.set()
            player.wakeup.set()
            # After stop the server closes the connection.
            try:
                await asyncio.wait_for(asyncio.shield(receiver),
                                       max(0.1, min(5.0, deadline - time.monotonic())))
            except asyncio.TimeoutError:
                pass
            except ConnectionClosed:
                pass
        finally:
            for task in (receiver, pump):
                task.cancel()
            await asyncio.gather(receiver, pump, return_exceptions=True)
        await ws.close()
        result.close_code = ws.close_code
        result.close_reason = ws.close_reason or ""
    result.heard = player.heard()
    result.playback_mismatch = _judge_playback(result, sample, playback_codec, frame_bytes)
    result.elapsed = time.monotonic() - began
    return result


def _judge_playback(result: CallResult, sample: Sequence[bytes], codec: str,
                    frame_bytes: Optional[int]) -> Optional[str]:
    """The reason the played-back payloads do not fit ``codec``, or None."""
    if result.misfit_sizes:
        sizes = sorted({len(p) for p in sample if frame_bytes and len(p) % frame_bytes})
        return (f"{result.misfit_sizes} of {result.received_media + result.undecodable} "
                f"payloads are not whole 20 ms {codec} frames of {frame_bytes} bytes "
                f"(sizes {', '.join(map(str, sizes[:5]))})")
    if result.undecodable:
        return (f"{result.undecodable} of {result.received_media + result.undecodable} "
                f"payloads could not be decoded as {codec}")
    why = playback_misfit(sample, codec)
    return None if why is None else f"the payloads do not fit {codec}: {why}"


def run_call(url: str, **kwargs: Any) -> CallResult:
    """:func:`simulate_call` from synchronous code."""
    return asyncio.run(simulate_call(url, **kwargs))
