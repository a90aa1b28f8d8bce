"""Telnyx media messages, one 20 ms message per step, against the
per-message path voice-bot frameworks glue from json, base64, audioop and
soxr (DESIGN.md, "Measured facts").

Inbound:  message text -> PCM bytes at 16 kHz, with track, chunk and sequence number.
  peer: json.loads -> base64.b64decode -> audioop.ulaw2lin
        -> soxr.ResampleStream(8000, 16000, 1, 'int16', quality='VHQ') -> bytes
  ours: one sc_frame_media_in() call (the raw C path), and MediaStream.feed
Outbound: 24 kHz PCM -> JSON text of a PCMU media message.
  peer: soxr.ResampleStream(24000, 8000) -> audioop.lin2ulaw -> base64
        -> json.dumps
  ours: one sc_frame_media_out() call, and MediaStream.play

Both sides run over the same messages in the same process; figures are
microseconds per message, the minimum over repeats.  G722 and OPUS rows
appear when those codecs are in the build (peer: the ``g722`` package and
``opuslib`` when installed, else json + base64 alone, marked as such).
"""

from __future__ import annotations

import base64
import json
import os
import struct

import numpy as np

import streamcodec as sc
from streamcodec import telnyx
from streamcodec._core import ffi, lib
from streamcodec.signals import speech_like

from report import Row, best_seconds

from peers import audioop, soxr

SID = "32DE0DEA-53CB-4B21-89A4-9E1819C043BC"
RATE = 16000            # what speech-to-text wants
TTS_RATE = 24000        # what text-to-speech makes


def media_messages(codec: str, count: int, seed: int = 1) -> list[str]:
    """``count`` consecutive 20 ms media messages of speech-like audio, as
    Telnyx sends them (digit strings, stream_id, sequence numbers)."""
    enc = sc.Encoder(codec, rate=sc.codec_info(codec).native_rate or RATE)
    pcm = speech_like(count * 0.02 + 0.02, rate=enc.rate, seed=seed)
    payloads = enc.packetize(pcm)[:count]
    return [json.dumps({"event": "media", "sequence_number": str(i + 2), "stream_id": SID,
                        "media": {"track": "inbound", "chunk": str(i + 1),
                                  "timestamp": str(20 * i),
                                  "payload": base64.b64encode(p).decode()}},
                       separators=(",", ":"))
            for i, p in enumerate(payloads)]


def start_message(codec: str, rate: int) -> str:
    return json.dumps({"event": "start", "sequence_number": "1", "stream_id": SID,
                       "start": {"media_format": {"encoding": codec, "sample_rate": rate,
                                                  "channels": 1}}})


class RawInbound:
    """The one-C-call inbound path: message text in, PCM bytes at `rate`
    plus track, chunk and sequence number out."""

    _outputs = struct.Struct("=4q").unpack_from   # samples, track, chunk, sequence_number

    def __init__(self, codec: str, rate: int):
        self.decoder = sc.Decoder(codec, rate=rate)
        self.f = ffi.new("sc_frame_in *")
        self.payload = ffi.new("uint8_t[]", 1 << 16)
        self.pcm = ffi.new("int16_t[]", 1 << 14)
        self.sid = ffi.new("uint8_t[]", SID.encode())
        f = self.f
        f.payload, f.payload_cap, f.pcm, f.pcm_cap = self.payload, 1 << 16, self.pcm, 1 << 14
        f.stream_id, f.stream_id_cap = self.sid, len(SID)
        f.decoders[0] = self.decoder._state
        for t in f.tracks:
            t.next_chunk, t.stride, t.last_chunk, t.last_ts = -1, 1, -1, -1
        self.view = ffi.buffer(f)
        self.pcm_bytes = ffi.buffer(self.pcm)

    def __call__(self, message: str):
        return self.run([message])[0]

    def run(self, messages: list[str]) -> list[tuple[bytes, int, int, int]]:
        """Each message's (pcm, track, chunk, sequence_number), in a loop as
        a server would write it around the C call."""
        call, f, outputs, view, pcm = (lib.sc_frame_media_in, self.f, self._outputs, self.view,
                                       self.pcm_bytes)
        media = lib.SC_FRAME_NEXT
        out = []
        for message in messages:
            data = message.encode()
            if call(f, data, len(data)) != media:
                raise RuntimeError("benchmark message left the fast path")
            samples, track, chunk, seq = outputs(view)
            out.append((pcm[0:2 * samples], track, chunk, seq))
        return out

    def rewind(self):
        t = self.f.tracks[0]
        t.next_chunk = t.last_chunk = -1


class RawOutbound:
    """The one-C-call outbound path: 20 ms of PCM at `rate` in, the JSON
    text of one media message out."""

    def __init__(self, codec: str, rate: int, playback_rate: int | None = None):
        options = {"codec_rate": playback_rate} if codec in ("OPUS", "L16") and playback_rate \
            else {}
        self.encoder = sc.Encoder(codec, rate=rate, **options)
        self.packet = rate // 50
        bound = lib.sc_encoder_bound(self.encoder._state, self.packet)
        self.scratch = ffi.new("uint8_t[]", bound)
        cap = lib.sc_frame_media_len(bound)
        self.out = ffi.new("char[]", cap)
        self.ends = ffi.new("int64_t[]", 1)
        f = self.f = ffi.new("sc_frame_out *")
        f.encoder, f.packet, f.scratch, f.scratch_cap = self.encoder._state, self.packet, \
            self.scratch, bound
        f.out, f.out_cap, f.ends, f.ends_cap = self.out, cap, self.ends, 1
        self.text = ffi.buffer(self.out)

    def __call__(self, pcm: bytes) -> str:
        return self.run([pcm])[0]

    def run(self, frames: list[bytes]) -> list[str]:
        """One media message per 20 ms frame, in a loop as a server would
        write it around the C call."""
        call, f, n, text = lib.sc_frame_media_out, self.f, self.packet, self.text
        out = []
        for pcm in frames:
            size = call(f, pcm, n)
            if size < 0:
                raise RuntimeError(f"sc_frame_media_out returned {size}")
            out.append(text[0:size].decode("ascii"))
        return out


def _per_message(run, count: int, repeat: int) -> float:
    return best_seconds(run, number=1, repeat=repeat) / count * 1e6


def peer_inbound(msgs: list[str], native: int, peer_decode, stream=None) -> list:
    """The peer's per-message inbound path over ``msgs`` (``stream``: its
    resampler, made here when not given)."""
    if stream is None and native != RATE:
        stream = soxr.ResampleStream(native, RATE, 1, "int16", quality="VHQ")
    out = []
    for m in msgs:
        frame = json.loads(m)
        pcm = peer_decode(base64.b64decode(frame["media"]["payload"]))
        if stream is not None:   # PCM bytes out, as ours (and as the framework does)
            pcm = stream.resample_chunk(np.frombuffer(pcm, np.int16)).tobytes()
        out.append((pcm, frame["media"]["track"], frame["media"]["chunk"],
                    frame["sequence_number"]))
    return out


def new_stream(codec: str, native: int) -> telnyx.MediaStream:
    s = telnyx.MediaStream(rate=RATE)
    s.feed(start_message(codec, native))
    return s


def ours_feed(msgs: list[str], codec: str, native: int, stream=None) -> list:
    """MediaStream.feed over ``msgs`` (a fresh stream, as a new call, when
    ``stream`` is not given)."""
    feed = (stream or new_stream(codec, native)).feed
    return [feed(m) for m in msgs]


def peer_outbound(frames: list[bytes], playback_rate: int, peer_encode, stream=None) -> list[str]:
    """The peer's per-message outbound path over 20 ms frames at TTS_RATE."""
    if stream is None and playback_rate != TTS_RATE:
        stream = soxr.ResampleStream(TTS_RATE, playback_rate, 1, "int16")
    out = []
    for f in frames:
        low = stream.resample_chunk(np.frombuffer(f, np.int16)).tobytes() \
            if stream is not None else f
        for payload in peer_encode(low):
            out.append(json.dumps({"event": "media", "media": {
                "payload": base64.b64encode(payload).decode()}}))
    return out


def ours_play(frames: list[bytes], codec: str, playback_rate: int, stream=None) -> list:
    """MediaStream.play over 20 ms frames at TTS_RATE."""
    play = (stream or telnyx.MediaStream(rate=RATE, playback_codec=codec,
                                         playback_rate=playback_rate)).play
    return [play(f, TTS_RATE) for f in frames]


def tts_frames(count: int) -> list[bytes]:
    pcm = speech_like(count * 0.02, rate=TTS_RATE, seed=2)
    step = TTS_RATE // 50
    return [pcm[i * step:(i + 1) * step].tobytes() for i in range(count)]


def inbound_rows(codec: str, count: int, repeat: int, peer_decode, peer_name: str) -> list[Row]:
    group = f"Telnyx inbound {codec} -> PCM {RATE // 1000}k, 20 ms msg"
    msgs = media_messages(codec, count)
    native = sc.codec_info(codec).native_rate or RATE
    raw = RawInbound(codec, RATE)

    def ours_raw():
        raw.rewind()
        raw.run(msgs)

    peer_us = _per_message(lambda: peer_inbound(msgs, native, peer_decode), count, repeat)
    return [
        Row(group, "one C call", peer_name, peer_us, _per_message(ours_raw, count, repeat),
            "us/msg", higher_is_better=False),
        Row(group, "MediaStream.feed", peer_name, peer_us,
            _per_message(lambda: ours_feed(msgs, codec, native), count, repeat), "us/msg",
            higher_is_better=False),
    ]


def outbound_rows(codec: str, count: int, repeat: int, peer_encode, peer_name: str,
                  playback_rate: int) -> list[Row]:
    group = f"Telnyx outbound PCM {TTS_RATE // 1000}k -> {codec} msg, 20 ms"
    frames = tts_frames(count)
    raw = RawOutbound(codec, TTS_RATE, playback_rate)
    peer_us = _per_message(lambda: peer_outbound(frames, playback_rate, peer_encode), count,
                           repeat)
    return [
        Row(group, "one C call", peer_name, peer_us, _per_message(lambda: raw.run(frames),
                                                                   count, repeat),
            "us/msg", higher_is_better=False),
        Row(group, "MediaStream.play", peer_name, peer_us,
            _per_message(lambda: ours_play(frames, codec, playback_rate), count, repeat),
            "us/msg", higher_is_better=False),
    ]


def _resampling_available() -> bool:
    try:
        sc.Decoder("PCMU", rate=RATE)
        sc.Encoder("PCMU", rate=TTS_RATE)
    except ValueError:
        return False
    return True


def rows(quick: bool) -> list[Row]:
    count, repeat = (200, 5) if quick else (1000, 9)
    if audioop is None or soxr is None:
        return [Row("Telnyx media messages", "all", "json+base64+audioop+soxr", None, None,
                    "us/msg", note="audioop or soxr not installed")]
    if not _resampling_available():
        return [Row("Telnyx media messages", "all", "json+base64+audioop+soxr", None, None,
                    "us/msg", note="this build cannot resample yet")]
    peer = "json+b64+audioop+soxr"
    out = inbound_rows("PCMU", count, repeat, lambda p: audioop.ulaw2lin(p, 2), peer)
    out += outbound_rows("PCMU", count, repeat, lambda p: [audioop.lin2ulaw(p, 2)], peer, 8000)
    out += _g722_rows(count, repeat)
    out += _opus_rows(count, repeat)
    return out


def _framed(encode, frame_bytes: int):
    """A peer encoder for frame codecs: buffer what the stream resampler
    returns (its chunks vary) and encode each whole 20 ms frame."""
    held = bytearray()

    def run(pcm: bytes) -> list[bytes]:
        held.extend(pcm)
        out = []
        while len(held) >= frame_bytes:
            out.append(encode(bytes(held[:frame_bytes])))
            del held[:frame_bytes]
        return out
    return run


def _g722_rows(count: int, repeat: int) -> list[Row]:
    if not sc.codec_info("G722").available:
        return [Row("Telnyx G722 messages", "-", "-", None, None, "us/msg",
                    note="G722 not in this build")]
    try:
        import G722  # the "g722" package on PyPI
        dec, enc = G722.G722(16000, 64000), G722.G722(16000, 64000)
        name = "json+b64+g722(pkg)"
        decode = lambda p: np.asarray(dec.decode(p), np.int16).tobytes()  # noqa: E731
        encode = _framed(lambda pcm: enc.encode(np.frombuffer(pcm, np.int16)), 640)
    except ImportError:
        name = "json+b64 only"
        decode = lambda p: p  # noqa: E731
        encode = _framed(lambda pcm: pcm[:160], 640)
    return (inbound_rows("G722", count, repeat, decode, name)
            + outbound_rows("G722", count, repeat, encode, name + "+soxr", 16000))


def _opus_rows(count: int, repeat: int) -> list[Row]:
    if not sc.codec_info("OPUS").available:
        return [Row("Telnyx OPUS messages", "-", "-", None, None, "us/msg",
                    note="OPUS not in this build")]
    try:
        import opuslib
        dec = opuslib.Decoder(RATE, 1)
        enc = opuslib.Encoder(16000, 1, opuslib.APPLICATION_VOIP)
        name = "json+b64+opuslib"
        decode = lambda p: dec.decode(p, 320)  # noqa: E731
        encode = _framed(lambda pcm: enc.encode(pcm, 320), 640)
    except Exception:   # opuslib missing, or its ctypes lookup of libopus failed
        name = "json+b64 only"
        decode = lambda p: p  # noqa: E731
        encode = _framed(lambda pcm: pcm[:40], 640)
    rows = (inbound_rows("OPUS", count, repeat, decode, name)
            + outbound_rows("OPUS", count, repeat, encode, name + "+soxr", 16000))
    for row in rows:
        row.note = ("libopus itself dominates; streamcodec encodes at complexity 5, "
                    "opuslib at libopus's default") if "outbound" in row.group \
            else "libopus decoding dominates"
    return rows


# ------------------------------------------------------------------ callgrind

def _ulaw(p):
    return audioop.ulaw2lin(p, 2)


def _lin2ulaw(p):
    return [audioop.lin2ulaw(p, 2)]


def _inbound(n):
    return media_messages("PCMU", n)


#: The PCMU paths counted by --callgrind: name -> (make the input, make one
#: pass's state (a new call's stream), run one pass).
_COUNTED = {
    "peer-inbound": (_inbound, lambda: soxr.ResampleStream(8000, RATE, 1, "int16",
                                                           quality="VHQ"),
                     lambda msgs, st: peer_inbound(msgs, 8000, _ulaw, st)),
    "feed": (_inbound, lambda: new_stream("PCMU", 8000),
             lambda msgs, st: ours_feed(msgs, "PCMU", 8000, st)),
    "raw-inbound": (_inbound, lambda: RawInbound("PCMU", RATE), lambda msgs, st: st.run(msgs)),
    "peer-outbound": (tts_frames, lambda: soxr.ResampleStream(TTS_RATE, 8000, 1, "int16"),
                      lambda frames, st: peer_outbound(frames, 8000, _lin2ulaw, st)),
    "play": (tts_frames, lambda: telnyx.MediaStream(rate=RATE),
             lambda frames, st: ours_play(frames, "PCMU", 8000, st)),
    "raw-outbound": (tts_frames, lambda: RawOutbound("PCMU", TTS_RATE, 8000),
                     lambda frames, st: st.run(frames)),
    "server-echo": (_inbound, lambda: _server_connection(),
                    lambda msgs, st: _server_pass(msgs, *st)),
}


# ---- the other carriers: the same 20 ms PCMU messages in each dialect ----

#: carrier -> (stream-id key, sequence key, start message, how numbers are written)
_DIALECTS = {
    "twilio": ("streamSid", "sequenceNumber", {
        "event": "start", "sequenceNumber": "1", "streamSid": SID,
        "start": {"streamSid": SID, "callSid": "CA1", "accountSid": "AC1", "tracks": ["inbound"],
                  "customParameters": {},
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                  "channels": 1}}}, str),
    "plivo": ("streamId", "sequenceNumber", {
        "event": "start", "sequenceNumber": 1,
        "start": {"callId": "c1", "streamId": SID, "accountId": "MA1", "tracks": ["inbound"],
                  "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000}}}, int),
    "exotel": ("stream_sid", "sequence_number", {
        "event": "start", "sequence_number": 1, "stream_sid": SID,
        "start": {"stream_sid": SID, "call_sid": "c1", "account_sid": "a1",
                  "media_format": {"encoding": "audio/x-mulaw;rate=8000",
                                   "sample_rate": "8000"}}}, int),
}
_DIALECTS["signalwire"] = _DIALECTS["twilio"]


def carrier_messages(carrier: str, count: int) -> list[str]:
    """The PCMU messages of media_messages() as ``carrier`` writes them."""
    id_key, seq_key, _, number = _DIALECTS[carrier]
    out = []
    for text in media_messages("PCMU", count):
        frame = json.loads(text)
        media = frame["media"]
        body = {"track": "inbound", "chunk": number(media["chunk"]),
                "timestamp": media["timestamp"], "payload": media["payload"]}
        if carrier == "exotel":
            del body["track"]
        out.append(json.dumps({"event": "media", seq_key: number(frame["sequence_number"]),
                               id_key: SID, "media": body}, separators=(",", ":")))
    return out


def carrier_stream(carrier: str) -> object:
    """A new session of ``carrier`` past its start, PCM at 16 kHz."""
    from streamcodec import exotel, plivo, signalwire, twilio
    stream = {"twilio": twilio, "signalwire": signalwire, "plivo": plivo,
              "exotel": exotel}[carrier].MediaStream(rate=RATE)
    stream.feed(json.dumps(_DIALECTS[carrier][2]))
    return stream


def vonage_frames(count: int) -> list[bytes]:
    """``count`` binary 20 ms frames of 16 kHz L16 (little-endian)."""
    pcm = speech_like(count * 0.02 + 0.02, rate=16000, seed=1)
    return [pcm[i * 320:(i + 1) * 320].astype("<i2").tobytes() for i in range(count)]


def vonage_stream() -> object:
    from streamcodec import vonage
    stream = vonage.MediaStream(rate=RATE)
    stream.feed('{"event":"websocket:connected","content-type":"audio/l16;rate=16000"}')
    return stream


def _feed_pass(msgs, stream):
    feed = stream.feed
    for m in msgs:
        feed(m)


for _carrier in ("twilio", "signalwire", "plivo", "exotel"):
    _COUNTED[f"feed-{_carrier}"] = (
        lambda n, c=_carrier: carrier_messages(c, n), lambda c=_carrier: carrier_stream(c),
        _feed_pass)
_COUNTED["feed-vonage"] = (vonage_frames, vonage_stream, _feed_pass)
# play: the same 24 kHz frames as PCMU 20 ms messages in each dialect
for _carrier in ("twilio", "plivo"):
    _COUNTED[f"play-{_carrier}"] = (tts_frames, lambda c=_carrier: carrier_stream(c),
                                    lambda frames, st: ours_play(frames, "PCMU", 8000, st))


def _server_connection():
    """A connection of the reference server (CallHandler + the echo app of
    ``streamcodec serve``) past its ``start``, its application listening,
    on a transport that keeps what is written: the server's whole
    per-message path in this process, without the WebSocket library."""
    import asyncio

    from streamcodec.server import CallHandler
    from streamcodec.server.apps import EchoApp
    from streamcodec.server.transport import Transport

    class Kept(Transport):
        peer = "bench"

        def __init__(self):
            self.out: list[str] = []

        def headers(self, name):
            return []

        def write(self, frames):
            self.out.extend(frames)

        async def close(self, code, reason):
            pass

        def abort(self):
            pass

        def backlog(self):
            return 0

        @property
        def gone(self):
            return False

    async def begin():
        kept = Kept()
        connection = CallHandler(EchoApp()).connect(kept)
        connection.on_message(start_message("PCMU", 8000))
        for _ in range(5):               # the application starts and listens
            await asyncio.sleep(0)
        return connection, kept

    global _SERVER_LOOP
    if _SERVER_LOOP is None:
        _SERVER_LOOP = asyncio.new_event_loop()
    return _SERVER_LOOP.run_until_complete(begin())


_SERVER_LOOP = None


def _server_pass(msgs, connection, kept):
    """Each message into the connection as a transport's read pass would
    hand it; the echo it writes is dropped."""
    on_message, out = connection.on_message, kept.out
    for m in msgs:
        on_message(m)
        out.clear()


#: Messages per pass of a counted run.
_COUNTED_MESSAGES = 500


#: Passes (each over a fresh stream, as a new call) a counted run times.
_COUNTED_PASSES = 3


def _instructions(target: str) -> float:
    """Instructions (callgrind Ir) per message of ``target``.  callgrind
    dumps its counts at every os.getppid() call, and the run calls it just
    before and just after its passes, so the part between the two holds the
    passes alone: no start-up, no input making, no teardown."""
    import subprocess
    import sys
    import tempfile
    from callgrind_calls import MARKER, _part_totals
    with tempfile.TemporaryDirectory() as tmp:
        prefix = os.path.join(tmp, "cg.out")
        run = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}",
                              f"--dump-before={MARKER}", sys.executable,
                              os.path.abspath(__file__), "--run", target],
                             capture_output=True, text=True,
                             env=dict(os.environ, PYTHONHASHSEED="0"))
        if run.returncode:
            raise RuntimeError(run.stderr[-2000:])
        totals = _part_totals(prefix)
    # part 1: start-up to the first marker; part 2: the passes (the rest,
    # from the second marker to the end, is the file without a number)
    return totals[1] / (_COUNTED_PASSES * _COUNTED_MESSAGES)


def callgrind(targets=tuple(_COUNTED)) -> dict[str, float]:
    """Instructions per message of each counted path (see _instructions);
    the garbage collector is off during the passes and hashing is seeded,
    so the counts repeat."""
    return {target: _instructions(target) for target in targets}


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--callgrind", action="store_true",
                        help="count instructions per PCMU message under valgrind (slow)")
    parser.add_argument("--only", nargs="*", choices=list(_COUNTED),
                        help="with --callgrind: just these paths")
    parser.add_argument("--run", metavar="TARGET", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        make, setup, run = _COUNTED[args.run]
        data = make(_COUNTED_MESSAGES)
        warm, *states = [setup() for _ in range(1 + _COUNTED_PASSES)]
        run(data, warm)         # specialisation, caches, lazy imports: not counted
        import gc
        gc.collect()
        gc.disable()
        os.getppid()            # the markers callgrind dumps at
        for state in states:
            run(data, state)
        os.getppid()
    elif args.callgrind:
        counts = callgrind(tuple(args.only or _COUNTED))
        for target, ir in counts.items():
            print(f"{target:14s} {ir:10.0f} instructions/message")
        for peer, ours in (("peer-inbound", "feed"), ("peer-outbound", "play")):
            if peer in counts and ours in counts:
                print(f"{ours}: {counts[peer] / counts[ours]:.2f}x fewer than the peer")
        for target in counts:
            base = target.partition("-")[0]
            if "-" in target and base in ("feed", "play") and base in counts:
                print(f"{target}: {counts[target] / counts[base]:.2f}x Telnyx's {base}")
        if "server-echo" in counts:
            print("server-echo: one media message through the server's handler, the echo "
                  "app (play at 16 kHz) and its PCMU answer, no WebSocket library")
    else:
        from report import print_rows
        print_rows(rows(quick=False))
