"""Fuzz targets for streamcodec: one function per target, each taking the
fuzzer's bytes and asserting the documented invariants.

The same functions run under atheris (``tests/fuzz/run.py``, driven by
``scripts/fuzz.sh``) and, over the seed corpus plus seeded mutations, in
the unit suite (``tests/test_fuzz_short.py``).  A target that returns has
found nothing; anything it raises is a finding: :class:`Finding` for a
broken invariant, or whatever undocumented exception escaped the library
(the target lets it through so the traceback shows where it came from).

Input formats
-------------
``feed`` and ``diff``: text.  The first line configures the session::

    rate=11025 playback=PCMU@8000 ptime=20 strict=0 window=3

(missing or unreadable settings take the defaults below).  Every further
line is one WebSocket message for :meth:`MediaStream.feed`, except lines
that start with ``#``, which are commands on the outbound side::

    #play RATE SAMPLES     play SAMPLES of a test tone at RATE Hz
    #mark NAME             place a mark
    #clear                 clear the playback queue

``decode``, ``encode``, ``resample``, ``amrwb``: binary, read with
:class:`Reader` (a tiny stand-in for atheris' FuzzedDataProvider that needs
no atheris, so the suite runs without it): a few configuration bytes, then
operations.

How the differential target reaches the general path
----------------------------------------------------
``MediaStream.feed`` takes a media message through the C scanner when it
can and through ``json.loads`` otherwise; the class documents that
messages with escapes always take ``json.loads`` and that both give
identical results.  ``diff`` feeds each message as it is to one session,
and to a twin session re-encoded so that the first character of every
object key is written as a ``\\uXXXX`` escape: the same JSON value, which
the scanner refuses, so the twin only ever uses the general path.  Both
sessions must then return the same events (pcm included), raise the same
exception class, and keep the same ``stats`` and ``rejected``.  Messages
that are not JSON go to both sessions unchanged, and must be refused by
both.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Optional

import numpy as np

import streamcodec as sc
from streamcodec import amrwb, telnyx
from streamcodec.telnyx import messages as _m

RATES = tuple(sc.SUPPORTED_RATES)
CODECS = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16")
QUALITIES = ("low-latency", "default", "high-quality")
#: Largest message the text targets feed (the fuzzer may build bigger ones).
MAX_MESSAGE = 1 << 16


#: STREAMCODEC_FUZZ_AVOID_KNOWN=1 steers the text targets around the defects
#: already filed (issue 10 items 1, 2, 6, 7, 8 and the OverflowError of huge
#: rates), to look for new ones; never set in the suite.
AVOID_KNOWN = os.environ.get("STREAMCODEC_FUZZ_AVOID_KNOWN") == "1"
_WHOLE_20MS_RATES = (8000, 16000, 24000, 32000, 48000)   # 12000: odd sizes (item 1)


def _known_trigger(line: bytes) -> bool:
    """A message that would only show an already-filed defect (AVOID_KNOWN)."""
    if re.search(rb"\d{19}", line) or b'"stream_id":""' in line.replace(b" ", b""):
        return True
    if line.startswith(b"#play"):
        words = line.split()
        return len(words) < 2 or words[1] not in [str(r).encode() for r in _WHOLE_20MS_RATES]
    if b"start" in line:
        try:
            fmt = json.loads(line)["start"]["media_format"]
            return int(fmt["sample_rate"]) not in RATES or fmt.get("encoding") not in CODECS
        except Exception:  # noqa: BLE001 - not a start the session takes
            return False
    return False


class Finding(AssertionError):
    """A broken invariant: the message says which, with what input."""


def available(codec: str) -> bool:
    return sc.codecs()[codec].available


# ---------------------------------------------------------------------------
# A byte reader (the parts of atheris.FuzzedDataProvider the targets use)
# ---------------------------------------------------------------------------


class Reader:
    """Consume a fuzzer's bytes front to back; past the end everything is 0."""

    def __init__(self, data: bytes):
        self.data, self.pos = bytes(data), 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def u16(self) -> int:
        return self.byte() | self.byte() << 8

    def pick(self, options: tuple) -> Any:
        return options[self.byte() % len(options)]

    def take(self, n: int) -> bytes:
        out = self.data[self.pos:self.pos + n]
        self.pos += len(out)
        return out


# ---------------------------------------------------------------------------
# Text targets: MediaStream.feed and the fast/general differential
# ---------------------------------------------------------------------------

_DEFAULTS = {"rate": "16000", "playback": "PCMU@8000", "ptime": "20", "strict": "0",
             "window": "3"}


def parse_config(line: str) -> dict:
    """The session settings of a text input's first line (tolerant)."""
    fields = dict(_DEFAULTS)
    for word in line.split():
        key, _, value = word.partition("=")
        if key in fields:
            fields[key] = value
    try:
        rate = int(fields["rate"])
    except ValueError:
        rate = 16000
    codec, _, prate = fields["playback"].partition("@")
    try:
        prate_i = int(prate)
    except ValueError:
        prate_i = 8000
    try:
        ptime = int(fields["ptime"])
    except ValueError:
        ptime = 20
    try:
        window = int(fields["window"])
    except ValueError:
        window = 3
    if AVOID_KNOWN and rate not in _WHOLE_20MS_RATES:
        rate = 16000
    return {"rate": rate if rate in RATES else 16000,
            "playback_codec": codec.upper() if codec.upper() in CODECS else "PCMU",
            "playback_rate": prate_i, "playback_ptime": ptime,
            "strict": fields["strict"] == "1" and not AVOID_KNOWN, "reorder_window": min(max(window, 0), 8)}


def make_stream(config: dict, **extra: Any) -> Optional[telnyx.MediaStream]:
    """A MediaStream for ``config``; None for a playback setting the
    constructor refuses (a documented ValueError: nothing to fuzz)."""
    options = dict(config)
    options.update(extra)
    try:
        return telnyx.MediaStream(**options)
    except sc.CodecUnavailableError:
        return None
    except ValueError:
        options.update(playback_codec="PCMU", playback_rate=8000, playback_ptime=20)
        return telnyx.MediaStream(**options)


def split_messages(data: bytes) -> tuple[str, list[bytes]]:
    lines = data.split(b"\n")
    body = [m[:MAX_MESSAGE] for m in lines[1:]]
    if AVOID_KNOWN:
        body = [m for m in body if not _known_trigger(m)]
    return lines[0].decode("ascii", "replace"), body


def _tone(rate: int, samples: int) -> bytes:
    t = np.arange(samples)
    return (8000 * np.sin(2 * np.pi * 440 * t / rate)).astype(np.int16).tobytes()


def _outbound(stream: telnyx.MediaStream, line: bytes, where: str) -> None:
    """One ``#`` command: the playback side, whose accounting must hold."""
    words = line[1:].decode("ascii", "replace").split()
    if not words:
        return
    before = stream.sent_ms
    if words[0] == "play" and len(words) >= 3:
        try:
            rate, samples = int(words[1]), min(int(words[2]), 48000)
        except ValueError:
            return
        if rate <= 0 or samples < 0:
            return
        pcm = _tone(rate, samples)
        try:
            out = stream.play(pcm, rate)
        except ValueError as exc:
            if stream.sent_ms != before:
                raise Finding(f"{where}: play() raised {exc!r} but sent_ms moved "
                              f"{before} -> {stream.sent_ms} (known item 8)") from None
            if rate in RATES:
                raise Finding(f"{where}: play({samples} samples, {rate} Hz) refused a "
                              f"supported rate: {exc}") from None
            return
    elif words[0] == "mark" and len(words) >= 2:
        out = stream.mark(words[1])
        out = out[:-1]                           # the mark frame itself
    elif words[0] == "clear":
        stream.clear()
        return
    else:
        return
    for text in out:
        frame = json.loads(text)
        if frame.get("event") != "media":
            raise Finding(f"{where}: play/mark returned a non-media frame {text[:80]!r}")
        _m.decode_payload(frame["media"]["payload"])
    if stream.sent_ms - before != len(out) * stream.playback_ptime:
        raise Finding(f"{where}: {len(out)} media messages moved sent_ms by "
                      f"{stream.sent_ms - before} ms, not {len(out)} x {stream.playback_ptime}")


def _check_events(stream: telnyx.MediaStream, events: Any, where: str) -> None:
    if not isinstance(events, list):
        raise Finding(f"{where}: feed returned {type(events).__name__}, not a list")
    for event in events:
        if isinstance(event, telnyx.Media):
            if not isinstance(event.pcm, bytes) or len(event.pcm) % 2:
                raise Finding(f"{where}: Media.pcm is {type(event.pcm).__name__} of "
                              f"{len(event.pcm or b'')} bytes, not whole int16 samples")
            if event.concealed and event.payload:
                raise Finding(f"{where}: a concealed frame carries a payload")
    for name, t in stream.stats.items():
        values = vars(t)
        if any(v < 0 for v in values.values()):
            raise Finding(f"{where}: negative counter in stats[{name!r}]: {values}")
        if t.concealed > t.lost + t.bad:
            raise Finding(f"{where}: stats[{name!r}] concealed {t.concealed} > lost {t.lost} "
                          f"+ bad {t.bad}")
        if t.recovered > t.concealed:
            raise Finding(f"{where}: stats[{name!r}] recovered > concealed: {values}")


def _feed_one(stream: telnyx.MediaStream, message: bytes, where: str) -> Any:
    """feed() one message; returns the events or the ProtocolError.  Any
    other exception escapes (a finding); so does a wrong ``rejected``."""
    before = stream.rejected
    try:
        events = stream.feed(message)
    except telnyx.ProtocolError as exc:
        if stream.rejected != before + 1:
            raise Finding(f"{where}: feed raised {type(exc).__name__}({exc}) but rejected went "
                          f"{before} -> {stream.rejected} (must count it once; known item 7 "
                          "when it is a strict-mode PayloadError)") from None
        return exc
    if stream.rejected != before:
        raise Finding(f"{where}: feed returned events but rejected went {before} -> "
                      f"{stream.rejected}")
    _check_events(stream, events, where)
    return events


def _closing_checks(stream: telnyx.MediaStream, where: str) -> None:
    """The session still works: a stop ends the stream (its Stop comes out
    last), and a new start with one media frame decodes."""
    events = _feed_one(stream, b'{"event":"stop","stop":{}}', f"{where}, closing stop")
    if isinstance(events, Exception) or not events or not isinstance(events[-1], telnyx.Stop):
        raise Finding(f"{where}: the closing stop gave {events!r}, not a Stop last (the session "
                      "did not recover)")
    start = ('{"event":"start","stream_id":"s","start":{"media_format":'
             '{"encoding":"PCMU","sample_rate":8000,"channels":1}}}')
    events = _feed_one(stream, start.encode(), f"{where}, closing start")
    if isinstance(events, Exception):
        raise Finding(f"{where}: a plain PCMU start was refused after the stream: {events}")
    media = ('{"event":"media","stream_id":"s","media":{"track":"inbound","chunk":"1",'
             '"timestamp":"0","payload":"%s"}}' % _b64(bytes(160)))
    events = _feed_one(stream, media.encode(), f"{where}, closing media")
    if isinstance(events, Exception) or len(events) != 1 or events[0].concealed:
        raise Finding(f"{where}: the first media frame after a fresh start gave {events!r}")
    want = 160 * stream.rate // 8000        # a fresh resampler's first 20 ms
    if len(events[0].pcm) != 2 * want:
        raise Finding(f"{where}: the first frame after a fresh start has "
                      f"{len(events[0].pcm) // 2} samples, not {want}")


def _b64(data: bytes) -> str:
    import base64
    return base64.b64encode(data).decode("ascii")


def target_feed(data: bytes) -> None:
    """MediaStream.feed over a message stream: only ProtocolError escapes,
    each counted once in ``rejected``; events are well formed; counters
    hold together; playback keeps its accounting; the session survives to
    a clean stop and a fresh start."""
    header, lines = split_messages(data)
    config = parse_config(header)
    stream = make_stream(config)
    # The twin never sees the messages `stream` refused: "the session's state
    # is unchanged" by a refusal, so both must agree on everything else.
    twin = make_stream(config)
    if stream is None or twin is None:
        return
    for i, line in enumerate(lines):
        where = f"message {i + 1} ({line[:120]!r}) at rate {config['rate']}"
        if line.startswith(b"#"):
            try:
                _outbound(twin, line, where)
            except (Finding, ValueError):
                pass
            _outbound(stream, line, where)
            continue
        got = _feed_one(stream, line, where)
        if isinstance(got, Exception):
            continue
        try:
            again = twin.feed(line)
        except telnyx.ProtocolError as exc:
            raise Finding(f"{where}: accepted here, refused ({exc}) by a session that never saw "
                          "the messages refused before it: a refusal changed the state "
                          "(known item 6 when it follows a refused start)") from None
        if _outcome(got) != _outcome(again) or _counters(stream)[1] != _counters(twin)[1]:
            raise Finding(f"{where}: a message refused earlier changed what this one gives:\n"
                          f"  after refusals: {_outcome(got)!r} {_counters(stream)!r}\n"
                          f"  without them:   {_outcome(again)!r} {_counters(twin)!r}")
    _closing_checks(stream, f"after {len(lines)} messages at rate {config['rate']}")


def _escaped_key(key: str) -> str:
    if not key:
        return '""'
    return '"\\u%04x' % ord(key[0]) + json.dumps(key[1:])[1:]


def _escaped_json(value: Any) -> str:
    """``value`` as JSON text with the first character of every key escaped."""
    if isinstance(value, dict):
        return "{" + ",".join(_escaped_key(k) + ":" + _escaped_json(v)
                              for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_escaped_json(v) for v in value) + "]"
    return json.dumps(value)


def general_form(message: bytes) -> Optional[str]:
    """The same JSON value as ``message``, in a form the C scanner refuses;
    None when ``message`` is not JSON."""
    try:
        value = json.loads(message)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    try:
        return _escaped_json(value)
    except RecursionError:
        return None


def _outcome(result: Any) -> Any:
    """What must match between the two paths: each event's fields (pcm
    included), or the exception's class."""
    if isinstance(result, Exception):
        return ("raised", type(result).__name__)
    out = []
    for event in result:
        fields = repr(event)
        if isinstance(event, telnyx.Media):
            fields += repr(event.pcm)
        out.append(fields)
    return out


def _counters(stream: telnyx.MediaStream) -> Any:
    return stream.rejected, {name: vars(t) for name, t in stream.stats.items()}


def target_diff(data: bytes) -> None:
    """The C fast path and the json.loads path of MediaStream.feed give the
    same events and counters for the same messages."""
    header, lines = split_messages(data)
    config = parse_config(header)
    fast = make_stream(config, max_message_bytes=1 << 20)
    general = make_stream(config, max_message_bytes=1 << 20)
    if fast is None or general is None:
        return
    for i, line in enumerate(lines):
        if line.startswith(b"#"):
            continue
        where = f"message {i + 1} ({line[:160]!r}) at rate {config['rate']}"
        other = general_form(line)
        a = _feed_one(fast, line, where + " (as sent)")
        b = _feed_one(general, line if other is None else other.encode(),
                      where + " (general path)")
        if other is None and not isinstance(a, Exception):
            raise Finding(f"{where}: not JSON, yet feed accepted it: {a!r}")
        oa, ob = _outcome(a), _outcome(b)
        if oa != ob:
            raise Finding(f"{where}: fast path and json.loads path differ:\n  fast:    "
                          f"{oa!r}\n  general: {ob!r}  (known item 7 when stream_id None vs '')")
        ca, cb = _counters(fast), _counters(general)
        if ca != cb:
            raise Finding(f"{where}: counters differ after it:\n  fast:    {ca!r}\n  general: "
                          f"{cb!r}  (known item 7 when only rejected differs)")


#: The key renames that turn a Telnyx message into each JSON carrier's
#: (the C scanner then reads that carrier's stream-id and sequence keys).
_DIALECT_KEYS = {
    "twilio": ((b'"stream_id"', b'"streamSid"'), (b'"sequence_number"', b'"sequenceNumber"'),
               (b'"media_format"', b'"mediaFormat"'), (b'"sample_rate"', b'"sampleRate"')),
    "plivo": ((b'"stream_id"', b'"streamId"'), (b'"sequence_number"', b'"sequenceNumber"'),
              (b'"media_format"', b'"mediaFormat"'), (b'"sample_rate"', b'"sampleRate"')),
    "exotel": ((b'"stream_id"', b'"stream_sid"'),),
}


def _carrier_stream(carrier: str, rate: int) -> Any:
    from streamcodec import exotel, plivo, twilio
    if carrier == "twilio":
        return twilio.MediaStream(rate=rate, max_message_bytes=1 << 20)
    if carrier == "plivo":
        return plivo.MediaStream(rate=rate, max_message_bytes=1 << 20)
    return exotel.MediaStream(rate=rate, max_message_bytes=1 << 20)


def target_carriers(data: bytes) -> None:
    """target_diff in each JSON carrier's dialect: the Telnyx messages with
    the carrier's key names, through the C scanner (reading those keys) and
    through json.loads, give the same events and counters; only
    ProtocolError escapes.  Then each message as a Vonage binary frame
    through sc_frame_audio_in and through the Python path."""
    header, lines = split_messages(data)
    config = parse_config(header)
    for carrier, renames in _DIALECT_KEYS.items():
        fast, general = (_carrier_stream(carrier, config["rate"]) for _ in range(2))
        for i, line in enumerate(lines):
            if line.startswith(b"#"):
                continue
            for old, new in renames:
                line = line.replace(old, new)
            where = f"{carrier} message {i + 1} ({line[:160]!r}) at rate {config['rate']}"
            other = general_form(line)
            a = _feed_one(fast, line, where + " (as sent)")
            b = _feed_one(general, line if other is None else other.encode(),
                          where + " (general path)")
            oa, ob = _outcome(a), _outcome(b)
            if oa != ob:
                raise Finding(f"{where}: fast path and json.loads path differ:\n  fast:    "
                              f"{oa!r}\n  general: {ob!r}")
            if _counters(fast) != _counters(general):
                raise Finding(f"{where}: counters differ after it:\n  fast:    "
                              f"{_counters(fast)!r}\n  general: {_counters(general)!r}")
    _vonage_audio(lines, config["rate"])


def _vonage_audio(lines: list[bytes], rate: int) -> None:
    """Each line as a Vonage binary audio message: feed_audio's C path
    (sc_frame_audio_in) and its Python path agree, and only ProtocolError
    escapes."""
    from streamcodec import vonage
    connected = '{"event":"websocket:connected","content-type":"audio/l16;rate=16000"}'
    fast, general = (vonage.MediaStream(rate=rate) for _ in range(2))
    fast.feed(connected)
    general.feed(connected)
    for i, line in enumerate(lines):
        where = f"vonage audio message {i + 1} ({line[:60]!r}, {len(line)} B) at rate {rate}"
        results = []
        for feed in (fast.feed_audio, general._feed_audio_other):
            try:
                results.append(_outcome(feed(line)))
            except vonage.ProtocolError as exc:
                results.append(("ProtocolError", str(exc)))
        if results[0] != results[1] or _counters(fast) != _counters(general):
            raise Finding(f"{where}: C and Python paths differ:\n  C:      {results[0]!r} "
                          f"{_counters(fast)!r}\n  Python: {results[1]!r} "
                          f"{_counters(general)!r}")


# ---------------------------------------------------------------------------
# Binary targets
# ---------------------------------------------------------------------------


def _decoder_config(r: Reader) -> Optional[tuple[str, int, dict]]:
    codec = r.pick(CODECS)
    rate = r.pick(RATES)
    flags = r.byte()
    options: dict = {}
    if codec == "G722":
        options["bitrate"] = (64000, 56000, 48000)[flags % 3]
    elif codec == "AMR-WB":
        options["octet_align"] = (None, True, False)[flags % 3]
    elif codec == "L16":
        options["codec_rate"] = RATES[flags % len(RATES)]
    elif codec == "OPUS":
        options["codec_rate"] = (None, 8000, 12000, 16000, 24000, 48000)[flags % 6]
        if options["codec_rate"] is None:
            del options["codec_rate"]
    # the concealment (G.711 Appendix I runs for PCMU, PCMA, L16 only)
    kinds = ("auto", "silence", "appendix-i") if codec in ("PCMU", "PCMA", "L16") \
        else ("auto", "silence")
    options["concealment"] = kinds[(flags >> 4) % len(kinds)]
    if not available(codec):
        return None
    return codec, rate, options


def whole_conceal(rate: int, codec_rate: int = 16000) -> int:
    """The fewest samples, a multiple of 20 ms, that are a whole number of
    samples at ``rate`` and at the codec's own rate (at 11025/22050/44100 Hz
    20 ms is not), and even at ``rate``."""
    for ms in (20, 40, 60, 80, 100, 120, 140, 160):
        if all(r * ms % 1000 == 0 for r in (rate, codec_rate, 8000)) \
                and (rate * ms // 1000) % 2 == 0:
            return rate * ms // 1000
    raise AssertionError(rate)


def target_decode(data: bytes) -> None:
    """Every decoder at every session rate: decode/conceal/recover raise only
    ValueError subclasses (CorruptPayloadError for bad payloads); outputs are
    whole int16 samples; conceal(n) of a whole number of codec samples
    returns exactly n; a refused call leaves no trace (a twin decoder that
    never saw the refused calls returns the same bytes for all the rest)."""
    r = Reader(data)
    config = _decoder_config(r)
    if config is None:
        return
    codec, rate, options = config
    if AVOID_KNOWN and rate not in _WHOLE_20MS_RATES:
        rate = 16000
    try:
        main = sc.Decoder(codec, rate=rate, **options)
    except ValueError:
        return   # a documented refusal of the combination (e.g. OPUS codec_rate)
    twin = sc.Decoder(codec, rate=rate, **options)
    codec_rate = options.get("codec_rate") or {"PCMU": 8000, "PCMA": 8000, "L16": rate}.get(
        codec, 16000)
    whole = whole_conceal(rate, codec_rate)
    ops: list[tuple[str, Any]] = []
    while r.left() > 0 and len(ops) < 64:
        op = r.byte() % 4
        if op in (0, 1):
            ops.append(("decode", r.take(r.u16() % 1500)))
        elif op == 2:
            ops.append(("conceal", r.pick((whole, rate // 50, rate // 100,
                                           r.u16() % 4000, 1, 0))))
        else:
            ops.append(("recover", r.take(r.u16() % 1500)))
    kept = []
    for i, (name, arg) in enumerate(ops):
        where = f"{codec} {options} at {rate} Hz, op {i} {name}({len(arg) if name != 'conceal' else arg})"
        try:
            out = getattr(main, name)(arg)
        except ValueError:   # CorruptPayloadError is one
            continue
        if not isinstance(out, bytes) or len(out) % 2:
            raise Finding(f"{where}: returned {len(out)} bytes, not whole samples")
        if name == "conceal" and len(out) != 2 * arg:
            raise Finding(f"{where}: conceal({arg}) returned {len(out) // 2} samples")
        if not 0 <= main.delay <= rate // 50:
            raise Finding(f"{where}: delay {main.delay} samples")
        kept.append((where, name, arg, out))
    for where, name, arg, out in kept:
        try:
            again = getattr(twin, name)(arg)
        except ValueError as exc:
            raise Finding(f"{where}: the twin decoder refused what the first took: {exc}") \
                from None
        if again != out:
            raise Finding(f"{where}: a refused call earlier changed the decoder's state "
                          "(the twin, which never saw it, returns other samples)")
    # whole-frame concealment is always possible (what a session needs after loss)
    n = whole
    out = main.conceal(n)
    if len(out) != 2 * n:
        raise Finding(f"{codec} at {rate} Hz: conceal({n}) gave {len(out) // 2} samples")


def _unaligned(pcm: bytes) -> memoryview:
    """The same samples starting at an odd address (AVOID_KNOWN: aligned, as
    issue 10 item 4 has that filed)."""
    if AVOID_KNOWN:
        return memoryview(bytearray(pcm))
    buf = bytearray(len(pcm) + 1)
    buf[1:] = pcm
    return memoryview(buf)[1:]


def target_encode(data: bytes) -> None:
    """Every encoder: PCM at an odd address gives the same payloads as
    aligned PCM (item 4 under UBSan), packetize in any chunking equals one
    call, and every payload decodes."""
    r = Reader(data)
    codec = r.pick(CODECS)
    rate = r.pick(RATES)
    if not available(codec):
        return
    options = {"codec_rate": 16000} if codec in ("L16", "OPUS") else {}
    try:
        a = sc.Encoder(codec, rate=rate, **options)
    except ValueError:
        return
    b = sc.Encoder(codec, rate=rate, **options)
    pcm = r.take(r.u16() % 8000 * 2)
    pcm = pcm[:len(pcm) & ~1]
    cut = (r.u16() * 2) % (len(pcm) + 2) if pcm else 0
    one = a.packetize(pcm) + a.flush()
    two = b.packetize(_unaligned(pcm[:cut])) + b.packetize(np.frombuffer(pcm[cut:], np.int16)) \
        + b.flush()
    if one != two:
        raise Finding(f"{codec} at {rate} Hz: packetize of {len(pcm) // 2} samples differs when "
                      f"split at {cut // 2} / fed unaligned")
    d = sc.Decoder(codec, rate=rate, **options)
    for payload in one:
        d.decode(payload)
    # encode() hands the caller's buffer to C as it is: an odd address too
    whole = len(pcm) // 2 // a.quantum * a.quantum
    if whole:
        c = sc.Encoder(codec, rate=rate, **options)
        e = sc.Encoder(codec, rate=rate, **options)
        if c.encode(pcm[:2 * whole]) != e.encode(_unaligned(pcm[:2 * whole])):
            raise Finding(f"{codec} at {rate} Hz: encode() of {whole} samples at an odd address "
                          "differs from the aligned input")


def target_resample(data: bytes) -> None:
    """The streaming resampler: any chunking (bytes, numpy, unaligned views)
    gives bit-identical output to one call; lengths are exact
    (floor(k * out / in) after k inputs); the one-shot resample() is that
    stream with the delay removed; float32 chunking is exact too."""
    r = Reader(data)
    in_rate, out_rate = r.pick(RATES), r.pick(RATES)
    quality = r.pick(QUALITIES)
    n = r.u16() % 6000
    raw = r.take(2 * n)
    pcm = raw[:len(raw) & ~1]
    n = len(pcm) // 2
    cuts = sorted({r.u16() % (n + 1) for _ in range(r.byte() % 12)} | {0, n})
    whole = sc.Resampler(in_rate, out_rate, quality)
    expect = whole.process(pcm)
    tail = whole.flush()
    if len(expect) != 2 * (n * out_rate // in_rate):
        raise Finding(f"{in_rate}->{out_rate}: {n} samples gave {len(expect) // 2}, not "
                      f"floor(n*out/in) = {n * out_rate // in_rate}")
    chunked = sc.Resampler(in_rate, out_rate, quality)
    parts = []
    done = 0
    for k, (lo, hi) in enumerate(zip(cuts, cuts[1:])):
        piece = pcm[2 * lo:2 * hi]
        form = k % 3
        arg = piece if form == 0 else np.frombuffer(piece, np.int16) if form == 1 else \
            _unaligned(piece)
        got = chunked.process(arg)
        done += hi - lo
        parts.append(got)
        total = sum(len(p) for p in parts) // 2
        if total != done * out_rate // in_rate:
            raise Finding(f"{in_rate}->{out_rate} {quality}: after {done} inputs {total} "
                          f"outputs, not {done * out_rate // in_rate}")
    if b"".join(parts) != expect or chunked.flush() != tail:
        raise Finding(f"{in_rate}->{out_rate} {quality}: chunks at {cuts} differ from one call")
    one_shot = sc.resample(pcm, in_rate, out_rate, quality)
    delay = whole.delay
    stream = expect + tail
    want = -(-n * out_rate // in_rate)
    if one_shot != stream[2 * delay:2 * (delay + want)]:
        raise Finding(f"{in_rate}->{out_rate} {quality}: resample() of {n} samples is not the "
                      f"stream with its {delay}-sample delay removed")
    if n:
        x = np.frombuffer(pcm, np.int16).astype(np.float32) / 4
        f1 = sc.Resampler(in_rate, out_rate, quality)
        f2 = sc.Resampler(in_rate, out_rate, quality)
        y1 = f1.process(x)
        mid = cuts[len(cuts) // 2]
        y2 = np.concatenate([f2.process(x[:mid]), f2.process(x[mid:])])
        if not np.array_equal(y1, y2):
            raise Finding(f"{in_rate}->{out_rate} {quality}: float32 split at {mid} differs")


def target_amrwb(data: bytes) -> None:
    """amrwb.unpack: only CorruptPayloadError for bad payloads; frames are
    whole storage frames; pack() of what unpack() read reads back the same;
    a Decoder takes every payload unpack accepts."""
    r = Reader(data)
    mode = r.pick((None, True, False))
    payload = r.take(r.left())
    try:
        p = amrwb.unpack(payload, octet_align=mode)
    except sc.CorruptPayloadError:
        return
    if len(p.frames) > amrwb.MAX_FRAMES or not p.frames:
        raise Finding(f"unpack({payload.hex()}, {mode}) gave {len(p.frames)} frames")
    for f in p.frames:
        if len(f) != amrwb.storage_size((f[0] >> 3) & 15):
            raise Finding(f"unpack({payload.hex()}) gave a frame of {len(f)} octets "
                          f"for type {(f[0] >> 3) & 15}")
    if mode is not None and p.octet_align != mode:
        raise Finding(f"unpack({payload.hex()}, octet_align={mode}) read it as {p.octet_align}")
    packed = amrwb.pack(p.frames, cmr=p.cmr if 0 <= p.cmr <= 8 else amrwb.CMR_NONE,
                        octet_align=p.octet_align)
    again = amrwb.unpack(packed, octet_align=p.octet_align)
    if again.frames != p.frames:
        raise Finding(f"pack(unpack({payload.hex()})) reads back other frames")
    if available("AMR-WB"):
        d = sc.Decoder("AMR-WB", octet_align=p.octet_align)
        out = d.decode(payload)
        if len(out) != 2 * 320 * len(p.frames):
            raise Finding(f"AMR-WB decode of {len(p.frames)} frames gave {len(out) // 2} samples")


def target_simd(data: bytes) -> None:
    """Every SIMD level this CPU runs (csrc/cpu.c, switched in-process and
    restored) gives the same G.711, L16, G.722 and base64 results on the
    input's bytes, and resampled int16 output (a rate pair from the first
    byte) equal at the FMA levels and within one unit at baseline; the rest
    of the input, as a level name, is refused or names a level."""
    from streamcodec import _simd
    from streamcodec._core import ffi, lib
    r = Reader(data)
    in_rate, out_rate = r.pick(((8000, 16000), (16000, 8000), (8000, 24000), (24000, 16000),
                                (44100, 48000), (48000, 8000)))
    name = r.take(r.byte() % 16)
    payload = r.take(r.left())
    pcm = payload[: len(payload) & ~3]
    level = lib.sc_cpu_level_from_name(name)
    if level != lib.SC_EARG and ffi.string(lib.sc_cpu_level_name(level)) != name:
        raise Finding(f"level name {name!r} read as {level}")
    info = sc.simd_info()
    results = {}
    try:
        for lvl in info.levels[: info.levels.index(info.detected) + 1]:
            _simd._select(lvl)
            out = [sc.Encoder(c).encode(pcm) for c in ("PCMU", "PCMA", "L16", "G722")]
            out += [sc.Decoder(c).decode(payload) for c in ("PCMU", "PCMA")]
            out += [sc.Decoder("L16").decode(pcm), sc.Decoder("G722").decode(payload)]
            buf = ffi.new("uint8_t[]", len(payload) + 1)
            n = lib.sc_base64_decode(payload, len(payload), buf, len(payload) + 1)
            out.append((n, bytes(ffi.buffer(buf, max(n, 0)))))
            res = np.frombuffer(sc.resample(pcm, in_rate, out_rate), np.int16)
            results[lvl] = (out, res)
    finally:
        _simd._select(_simd._REQUESTED)
    base_out, base_res = results["baseline"]
    fma = None
    for lvl, (out, res) in results.items():
        if out != base_out:
            raise Finding(f"level {lvl}: codec or base64 output differs from baseline")
        if len(res) != len(base_res) or (len(res) and np.max(
                np.abs(res.astype(np.int32) - base_res)) > 1):
            raise Finding(f"level {lvl}: {in_rate}->{out_rate} more than one unit off baseline")
        if lvl != "baseline":
            if fma is not None and not np.array_equal(res, fma):
                raise Finding(f"level {lvl}: {in_rate}->{out_rate} differs from the other FMA level")
            fma = res


TARGETS: dict[str, Callable[[bytes], None]] = {
    "feed": target_feed,
    "diff": target_diff,
    "carriers": target_carriers,
    "decode": target_decode,
    "encode": target_encode,
    "resample": target_resample,
    "amrwb": target_amrwb,
    "simd": target_simd,
}
