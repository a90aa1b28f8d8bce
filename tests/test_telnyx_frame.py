"""The C frame paths (csrc/frame.c): base64 against the standard library,
the media-message scanner against json.loads + messages.parse (whatever the
scanner accepts, the general parser reads identically), and the outbound
path against Encoder + media_message."""

from __future__ import annotations

import base64
import binascii
import json
import os
import random
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamcodec as sc
from streamcodec._core import ffi, lib
from streamcodec.telnyx import MediaStream, messages

# ------------------------------------------------------------------ base64


def c_encode(data: bytes, cap=None) -> int | bytes:
    cap = lib.sc_base64_encoded_len(len(data)) if cap is None else cap
    out = ffi.new("char[]", max(cap, 1))
    n = lib.sc_base64_encode(data, len(data), out, cap)
    return n if n < 0 else ffi.buffer(out, n)[:]


def c_decode(text: bytes, cap=4096) -> int | bytes:
    out = ffi.new("uint8_t[]", max(cap, 1))
    n = lib.sc_base64_decode(text, len(text), out, cap)
    return n if n < 0 else ffi.buffer(out, n)[:]


@given(st.binary(max_size=400))
def test_base64_round_trip_matches_stdlib(data):
    text = base64.b64encode(data)
    assert lib.sc_base64_encoded_len(len(data)) == len(text)
    assert c_encode(data) == text
    assert c_decode(text) == data


def test_base64_every_length_and_byte():
    rng = random.Random(5)
    for n in range(0, 70):
        data = bytes(rng.randrange(256) for _ in range(n))
        assert c_encode(data) == base64.b64encode(data)
        assert c_decode(base64.b64encode(data)) == data
    everything = bytes(range(256)) * 3
    assert c_decode(base64.b64encode(everything)) == everything


@pytest.mark.parametrize("text", [
    b"A", b"AB", b"ABC", b"ABCDE",          # not a multiple of 4
    b"AB=C", b"A===", b"====", b"=AAA",      # padding out of place
    b"AAAA=AAA", b"AA==AAAA",                # padding before the end
    b"AA A", b"AA\nA", b"AA-_", b"AA\x80A",  # characters outside the alphabet
    b"AB==", b"AAB=",                        # unused bits set: not canonical
    b'AA"A', b"AA\\A",
])
def test_base64_strict_rejects(text):
    assert c_decode(text) == lib.SC_ECORRUPT


def test_base64_non_canonical_is_stricter_than_stdlib():
    # the stdlib accepts these; the fast path leaves them to it
    assert base64.b64decode(b"AB==", validate=True) == b"\x00"
    assert c_decode(b"AB==") == lib.SC_ECORRUPT


def test_base64_buffer_checks():
    assert c_encode(b"abcd", cap=7) == lib.SC_EBUFFER
    assert c_decode(b"YWJjZA==", cap=3) == lib.SC_EBUFFER
    assert c_decode(b"YWJjZA==", cap=4) == b"abcd"


# ------------------------------------------------------------------ scanner

SID = "32DE0DEA-53CB-4B21-89A4-9E1819C043BC"


class Scanner:
    """sc_frame_media_in with a PCMU decoder on both tracks."""

    def __init__(self):
        self.f = ffi.new("sc_frame_in *")
        self.payload = ffi.new("uint8_t[]", 1 << 16)
        self.pcm = ffi.new("int16_t[]", 1 << 16)
        self.sid = ffi.new("uint8_t[]", SID.encode())
        self.f.payload, self.f.payload_cap = self.payload, 1 << 16
        self.f.pcm, self.f.pcm_cap = self.pcm, 1 << 16
        self.f.stream_id, self.f.stream_id_cap = self.sid, len(SID)
        self.decoders = [sc.Decoder("PCMU"), sc.Decoder("PCMU")]
        for i, d in enumerate(self.decoders):
            self.f.decoders[i] = d._state
            t = self.f.tracks[i]
            t.next_chunk, t.stride, t.last_chunk, t.last_ts = -1, 1, -1, -1

    def __call__(self, text: bytes):
        rc = lib.sc_frame_media_in(self.f, text, len(text))
        if rc == lib.SC_FRAME_NEXT:      # decoded in order and counted: a media message too
            rc = lib.SC_FRAME_MEDIA
        if rc != lib.SC_FRAME_MEDIA:
            return rc, None
        f = self.f
        sid = None
        if f.stream_id_off >= 0:
            sid = text[f.stream_id_off:f.stream_id_off + f.stream_id_len].decode()
            assert bool(f.stream_id_same) == (sid == SID)
        return rc, dict(track=("inbound", "outbound")[f.track], chunk=f.chunk,
                        timestamp=None if f.timestamp < 0 else f.timestamp,
                        sequence_number=None if f.sequence_number < 0 else f.sequence_number,
                        payload=ffi.buffer(self.payload, f.payload_len)[:], stream_id=sid,
                        samples=f.samples)


def general(text: bytes):
    try:
        ev = messages.parse(text)
    except messages.ProtocolError:
        return None
    if not isinstance(ev, messages.Media):
        return None
    return dict(track=ev.track, chunk=ev.chunk, timestamp=ev.timestamp,
                sequence_number=ev.sequence_number, payload=ev.payload, stream_id=ev.stream_id)


json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8))
json_value = st.recursive(json_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


@st.composite
def media_frames(draw):
    payload = draw(st.binary(max_size=200))
    num = lambda v: draw(st.sampled_from([v, str(v)]))  # noqa: E731
    media = {"payload": base64.b64encode(payload).decode(), "chunk": num(draw(st.integers(0, 10**6)))}
    if draw(st.booleans()):
        media["track"] = draw(st.sampled_from(["inbound", "outbound"]))
    if draw(st.booleans()):
        media["timestamp"] = num(draw(st.integers(0, 10**9)))
    frame = {"event": "media", "media": media}
    if draw(st.booleans()):
        frame["stream_id"] = draw(st.sampled_from([SID, "other"]))
    if draw(st.booleans()):
        frame["sequence_number"] = num(draw(st.integers(0, 10**6)))
    for _ in range(draw(st.integers(0, 2))):
        frame[draw(st.text(max_size=5))] = draw(json_value)
        media[draw(st.text(max_size=5))] = draw(json_value)
    items = list(frame.items())
    draw(st.randoms()).shuffle(items)
    indent = draw(st.sampled_from([None, 0, 2]))
    seps = draw(st.sampled_from([(",", ":"), (", ", ": "), (" ,", " :")]))
    text = json.dumps(dict(items), indent=indent, separators=seps,
                      ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass")


def mutate(text: bytes, rnd: random.Random) -> bytes:
    b = bytearray(text)
    for _ in range(rnd.randint(1, 3)):
        op, i = rnd.randrange(3), rnd.randrange(len(b) + 1)
        ch = rnd.choice(b'{}[]",:\\ 0123456789-.eEnulltrfasAZaz+/=\x00\x7f\xc3\xa9\n')
        if op == 0:
            b.insert(i, ch)
        elif op == 1 and i < len(b):
            del b[i]
        elif i < len(b):
            b[i] = ch
    return bytes(b)


@settings(max_examples=400, deadline=None)
@given(media_frames(), st.randoms(use_true_random=False))
def test_scanner_agrees_with_general_parser(text, rnd):
    for candidate in (text, mutate(text, rnd)):
        rc, fast = Scanner()(candidate)
        slow = general(candidate)
        if rc == lib.SC_FRAME_MEDIA:
            assert slow is not None, candidate
            samples = fast.pop("samples")
            assert fast == slow, candidate
            assert samples == (len(fast["payload"]) if fast["payload"] else -1)
        else:
            assert rc == lib.SC_FRAME_OTHER


@settings(max_examples=200, deadline=None)
@given(media_frames())
def test_plain_messages_take_the_fast_path(text):
    # ASCII, no escapes, canonical base64, known tracks: the scanner must take it
    obj = json.loads(text)
    if any(b >= 0x80 for b in text) or b"\\" in text or not obj["media"]["payload"]:
        return
    rc, fast = Scanner()(text)
    assert rc == lib.SC_FRAME_MEDIA
    assert fast["payload"] == base64.b64decode(obj["media"]["payload"])
    assert fast["samples"] == len(fast["payload"])


@pytest.mark.parametrize("text", [
    '{"event":"media","media":{"chunk":"1","payload":"AAAA"}} x',     # trailing data
    '{"event":"media","media":{"chunk":"1","payload":"AAAA"},}',       # trailing comma
    '{"event":"media","media":{"chunk":"1","payload":"AAAA","chunk":"2"}}',  # duplicate key
    '{"event":"media","event":"media","media":{"chunk":"1","payload":"AAAA"}}',
    '{"event":"media","media":{"chunk":"1.0","payload":"AAAA"}}',
    '{"event":"media","media":{"chunk":1.0,"payload":"AAAA"}}',
    '{"event":"media","media":{"chunk":-1,"payload":"AAAA"}}',
    '{"event":"media","media":{"chunk":"1","payload":"AA\\/A"}}',      # escaped slash
    '{"event":"media","media":{"chunk":"1","payload":"AAAA","track":"both"}}',
    '{"event":"media","media":{"chunk":"1","payload":"AAAA"},"x":NaN}',
    '{"event":"media","media":{"chunk":"1","payload":"AAAA"},"x":01}',
    '{"event":"media","media":{"chunk":"1","payload":"AAAA"},"x":"\\u0041"}',
    '{"event":"media","media":{"chunk":null,"payload":"AAAA"}}',
    '{"event":"media","stream_id":null,"media":{"chunk":"1","payload":"AAAA"}}',
    '{"event":"media","media":{"chunk":"1234567890123456789","payload":"AAAA"}}',
    '{"event":"media","media":{"chunk":"1"}}',
    '{"event":"media"}',
    '{"event":"start","media":{"chunk":"1","payload":"AAAA"}}',
    '{"event":"media","media":[1]}',
    '[{"event":"media"}]',
    '{"event":"media","media":{"chunk":"1","payload":"AAAA"},"deep":' + "[" * 40 + "]" * 40 + "}",
    "",
])
def test_scanner_hands_unusual_messages_over(text):
    rc, _ = Scanner()(text.encode())
    assert rc == lib.SC_FRAME_OTHER


def test_scanner_decodes_only_the_next_chunk():
    scan = Scanner()
    frame = lambda c, t="inbound": json.dumps(  # noqa: E731
        {"event": "media", "media": {"track": t, "chunk": str(c), "payload": "/39/fw=="}}).encode()
    assert scan(frame(5))[1]["samples"] == 4               # first: any chunk
    assert scan.f.tracks[0].next_chunk == 6
    assert scan(frame(7))[1]["samples"] == -1              # not next: parsed only
    assert scan.f.tracks[0].next_chunk == 6
    assert scan(frame(6))[1]["samples"] == 4
    assert scan(frame(9, "outbound"))[1]["samples"] == 4   # tracks are independent
    assert (scan.f.tracks[0].next_chunk, scan.f.tracks[1].next_chunk) == (7, 10)
    scan.f.decoders[1] = ffi.NULL
    assert scan(frame(10, "outbound"))[1]["samples"] == -1


def test_in_order_frames_are_decided_and_counted_in_c():
    scan = Scanner()
    frame = lambda c, ts: json.dumps(  # noqa: E731
        {"event": "media", "media": {"chunk": str(c), "timestamp": str(ts),
                                     "payload": "/39/fw=="}}).encode()
    t = scan.f.tracks[0]
    for chunk, ts in ((5, 100), (6, 120)):
        assert lib.sc_frame_media_in(scan.f, frame(chunk, ts), len(frame(chunk, ts))) == \
            lib.SC_FRAME_NEXT
    assert (t.received, t.last_chunk, t.last_ts, t.frame_samples, t.next_chunk) == \
        (2, 6, 120, 4, 7)
    assert (t.history[5], t.history[6], t.history[7]) == (5, 6, 0)
    t.hold = 1              # the caller has frames waiting: decoded, but left to it
    assert lib.sc_frame_media_in(scan.f, frame(7, 140), len(frame(7, 140))) == \
        lib.SC_FRAME_MEDIA
    assert (scan.f.samples, t.received, t.next_chunk, t.last_ts) == (4, 2, 8, 120)
    t.hold, t.stride = 0, 2  # a counter shared by both tracks
    assert lib.sc_frame_media_in(scan.f, frame(8, 160), len(frame(8, 160))) == \
        lib.SC_FRAME_NEXT
    assert (t.next_chunk, t.received) == (10, 3)


def test_scanner_reports_decoder_errors():
    scan = Scanner()
    scan.decoders[0] = sc.Decoder("L16", rate=8000)
    scan.f.decoders[0] = scan.decoders[0]._state
    text = json.dumps({"event": "media", "media": {"chunk": "1", "payload": "AAAA"}}).encode()
    rc, fast = scan(text)                                  # 3 bytes: odd for L16
    assert fast["samples"] == -1 and scan.f.decode_error == lib.SC_ECORRUPT
    assert scan.f.tracks[0].next_chunk == -1
    scan.f.pcm_cap = 1
    text = json.dumps({"event": "media", "media": {"chunk": "1", "payload": "AAAAAA=="}}).encode()
    assert scan(text)[1]["samples"] == -1 and scan.f.decode_error == lib.SC_EBUFFER


def test_scanner_argument_checks():
    f = ffi.new("sc_frame_in *")
    assert lib.sc_frame_media_in(f, b"{}", 2) == lib.SC_EARG
    assert lib.sc_frame_media_in(ffi.NULL, b"{}", 2) == lib.SC_EARG


# ------------------------------------------------------------------ outbound

class Out:
    def __init__(self, encoder, packet, messages, scratch_cap=None, out_cap=None):
        bound = lib.sc_encoder_bound(encoder._state, packet)
        self.f = ffi.new("sc_frame_out *")
        self.scratch = ffi.new("uint8_t[]", bound)
        cap = messages * lib.sc_frame_media_len(bound) if out_cap is None else out_cap
        self.out, self.ends = ffi.new("char[]", max(cap, 1)), ffi.new("int64_t[]", messages)
        self.f.encoder, self.f.packet = encoder._state, packet
        self.f.scratch = self.scratch
        self.f.scratch_cap = bound if scratch_cap is None else scratch_cap
        self.f.out, self.f.out_cap, self.f.ends, self.f.ends_cap = self.out, cap, self.ends, messages

    def __call__(self, pcm, n=None):
        return lib.sc_frame_media_out(self.f, pcm, len(pcm) // 2 if n is None else n)


@pytest.mark.parametrize("codec, packet", [("PCMU", 160), ("PCMA", 480), ("L16", 160)])
def test_media_out_matches_encoder_and_builder(codec, packet):
    rng = np.random.default_rng(3)
    pcm = rng.integers(-32768, 32768, packet * 3, dtype=np.int16)
    enc, ref = sc.Encoder(codec), sc.Encoder(codec)
    out = Out(enc, packet, 3)
    size = out(pcm.tobytes())
    text = ffi.buffer(out.out, size)[:].decode()
    expected = [messages.media_message(ref.encode(pcm[i * packet:(i + 1) * packet]))
                for i in range(3)]
    assert text == "".join(expected)
    assert [out.ends[i] for i in range(3)] == list(np.cumsum([len(e) for e in expected]))
    assert size == out.ends[2]


def test_media_out_errors():
    enc = sc.Encoder("PCMU")
    pcm = bytes(640)
    assert Out(enc, 160, 2)(pcm, 300) == lib.SC_EARG                     # not whole packets
    assert Out(enc, 160, 1)(pcm) == lib.SC_EBUFFER                       # ends too short
    assert Out(enc, 160, 2, out_cap=300)(pcm) == lib.SC_EBUFFER          # out too short
    assert Out(enc, 160, 2, scratch_cap=10)(pcm) == lib.SC_EBUFFER       # scratch too short
    bad = Out(enc, 160, 2)
    bad.f.packet = 0
    assert bad(pcm) == lib.SC_EARG
    assert lib.sc_frame_media_out(ffi.NULL, pcm, 320) == lib.SC_EARG


# --------------------------------------------------- session: fast == general

def slow_variant(msg: str) -> str:
    """The same frame with an escaped extra field, which the scanner hands
    over to json.loads."""
    return msg[:-1] + ',"x":"\\u0041"}'


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["inbound", "outbound", "inbound", "outbound",
                                           "inbound_track", "x", "y", "z"]),
                          st.integers(1, 12),
                          st.sampled_from([SID, SID, SID, "", "other", None]),
                          st.sampled_from(["full", "full", "full", "empty", "huge-chunk"])),
                max_size=40),
       st.integers(0, 3), st.booleans(), st.sampled_from([SID, None, ""]))
def test_session_fast_and_general_paths_agree(arrivals, window, strict, start_id):
    """The C fast path and the json.loads path give the same events, the same
    ProtocolErrors and the same counters (stats and rejected)."""
    start = {"event": "start", "start": {"media_format": {"encoding": "PCMA",
                                                          "sample_rate": 8000}}}
    if start_id is not None:
        start["stream_id"] = start_id
    msgs = []
    for i, (track, c, sid, kind) in enumerate(arrivals):
        payload = b"" if kind == "empty" else bytes([c]) * 160
        frame = {"event": "media", "sequence_number": str(i),
                 "media": {"track": track, "chunk": str(10 ** 18 + c if kind == "huge-chunk"
                                                       else c),
                           "timestamp": str(20 * c),
                           "payload": base64.b64encode(payload).decode()}}
        if sid is not None:
            frame["stream_id"] = sid
        msgs.append(json.dumps(frame))
    results = []
    for variant in (lambda m: m, slow_variant):
        s = MediaStream(rate=8000, reorder_window=window, strict=strict)
        s.feed(variant(json.dumps(start)))
        out = []
        for m in msgs:
            try:
                out.append(s.feed(variant(m)))
            except messages.ProtocolError as exc:
                out.append(f"{type(exc).__name__}: {exc}")
        out.append(s.drain())
        results.append((out, s.stats, s.rejected))
    assert results[0] == results[1]


# ------------------------------------------------- SIMD and scalar agree

HARNESS = r"""
#include "frame.h"
#include <stdio.h>
#include <string.h>
/* stdin lines: "B <text>" -> base64 decode; "M <json>" -> media scan (parse only) */
int main(void) {
    static char line[1 << 16]; static uint8_t out[1 << 16]; static int16_t pcm[1 << 15];
    sc_frame_in f; memset(&f, 0, sizeof f);
    f.payload = out; f.payload_cap = sizeof out; f.pcm = pcm; f.pcm_cap = 1 << 15;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = 0;
        if (line[0] == 'B') {
            long long r = sc_base64_decode(line + 2, n - 2, out, sizeof out);
            printf("%lld", r);
            for (long long i = 0; i < r; i++) printf(" %d", out[i]);
        } else {
            int rc = sc_frame_media_in(&f, (const unsigned char *)line + 2, n - 2);
            printf("%d %lld %lld %lld %lld %lld %lld %lld", rc, (long long)f.track,
                   (long long)f.chunk, (long long)f.timestamp, (long long)f.sequence_number,
                   (long long)f.payload_len, (long long)f.stream_id_off, (long long)f.stream_id_len);
            memset(&f.samples, 0, 10 * sizeof(int64_t));
            f.payload = out; f.payload_cap = sizeof out; f.pcm = pcm; f.pcm_cap = 1 << 15;
        }
        printf("\n");
    }
    return 0;
}
"""


def _corpus() -> bytes:
    rng = random.Random(11)
    lines = []
    alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    odd = [b for b in range(1, 256) if b not in (10, 13)]
    for n in list(range(0, 70)) + [rng.randrange(70, 400) for _ in range(60)]:
        text = base64.b64encode(bytes(rng.randrange(256) for _ in range(n)))
        lines.append(b"B " + text)
        if text:
            for _ in range(6):                    # one wrong byte anywhere
                i = rng.randrange(len(text))
                lines.append(b"B " + text[:i] + bytes([rng.choice(odd)]) + text[i + 1:])
    block = base64.b64encode(bytes(range(48)))    # 64 characters: several SIMD blocks
    for value in odd:                             # every byte value inside a block
        lines.append(b"B " + block[:21] + bytes([value]) + block[22:])
    for _ in range(300):
        sid = bytes(rng.choice(alphabet + b"-_ \x7f\xc3\xa9\\\"") for _ in range(rng.randrange(0, 60)))
        payload = base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200))))
        keys = [b'"event":"media"', b'"stream_id":"' + sid + b'"',
                b'"sequence_number":"%d"' % rng.randrange(10**6),
                b'"media":{"track":"inbound","chunk":%d,"payload":"' % rng.randrange(10**5)
                + payload + b'"}', b'"extra":[1,{"a":"' + sid + b'"}]']
        rng.shuffle(keys)
        msg = b"{" + b",".join(keys) + b"}"
        lines.append(b"M " + msg)
        i = rng.randrange(len(msg))
        lines.append(b"M " + msg[:i] + bytes([rng.choice(odd)]) + msg[i + 1:])
    return b"\n".join(lines) + b"\n"


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_long_numbers_scan_without_signed_overflow(tmp_path):
    """19- and 20-digit numbers (chunk, timestamp, sequence_number) are
    handed to json.loads without ever overflowing int64 in the scanner: the
    harness is built with UBSan trapping on signed overflow."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    csrc = os.path.join(repo, "csrc")
    (tmp_path / "h.c").write_text(HARNESS)
    sources = [os.path.join(csrc, f) for f in sorted(os.listdir(csrc)) if f.endswith(".c")]
    exe = tmp_path / "h-ubsan"
    subprocess.run(["cc", "-O1", "-std=c11", "-fsanitize=signed-integer-overflow",
                    "-fno-sanitize-recover=all", "-I", csrc, str(tmp_path / "h.c"), *sources,
                    "-lm", "-o", str(exe)], check=True)
    numbers = ["9" * 18, "1" + "0" * 18, "9" * 19, "9223372036854775807", "9223372036854775808",
               "9" * 20, "1" + "0" * 19]
    lines = []
    for number in numbers:
        for key in ("chunk", "timestamp"):
            for quoted in ('"%s"', "%s"):
                media = {"chunk": "1", "payload": "AAAA", key: "@"}
                text = json.dumps({"event": "media", "media": media}).replace(
                    '"@"', quoted % number)
                lines.append("M " + text)
        lines.append("M " + json.dumps({"event": "media", "sequence_number": number,
                                        "media": {"chunk": "1", "payload": "AAAA"}}))
    run = subprocess.run([str(exe)], input="\n".join(lines).encode() + b"\n",
                         capture_output=True)
    assert run.returncode == 0, run.stderr.decode()
    results = run.stdout.decode().splitlines()
    assert len(results) == len(lines)
    for line, result in zip(lines, results):
        rc = int(result.split()[0])
        digits = max(len(t) for t in line.replace('"', " ").replace(",", " ").replace(
            ":", " ").replace("}", " ").split() if t.isdigit())
        # up to 18 digits the scanner reads the number; longer ones go to json.loads
        assert rc == (lib.SC_FRAME_MEDIA if digits <= 18 else lib.SC_FRAME_OTHER), line


@pytest.mark.parametrize("number", ["9" * 18, "9" * 19, "9223372036854775807", "9" * 20])
def test_long_numbers_same_through_both_paths(number):
    """Through the session, a long chunk/sequence_number/timestamp gives what
    the json.loads path gives: the same event, or the same ProtocolError."""
    start = json.dumps({"event": "start", "stream_id": SID, "start": {
        "media_format": {"encoding": "PCMU", "sample_rate": 8000}}})
    payload = base64.b64encode(bytes(160)).decode()
    for key in ("chunk", "timestamp", "sequence_number"):
        media = {"track": "inbound", "chunk": "5", "timestamp": "100", "payload": payload}
        frame = {"event": "media", "stream_id": SID, "media": media}
        (media if key != "sequence_number" else frame)[key] = number
        outcomes = []
        for variant in (lambda m: m, slow_variant):
            s = MediaStream(rate=8000)
            s.feed(start)
            try:
                got = s.feed(variant(json.dumps(frame)))
            except messages.ProtocolError as exc:
                got = type(exc).__name__ + str(exc)
            outcomes.append((got, s.stats, s.rejected))
        assert outcomes[0] == outcomes[1], key


@pytest.mark.skipif(os.uname().machine != "x86_64" or shutil.which("cc") is None,
                    reason="x86-64 SIMD paths")
def test_simd_and_scalar_paths_agree(tmp_path):
    """The extension runs the SSE2/SSSE3 paths on this CPU; build the frame
    code with and without them and compare on the same corpus."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    csrc = os.path.join(repo, "csrc")
    (tmp_path / "h.c").write_text(HARNESS)
    sources = [os.path.join(csrc, f) for f in sorted(os.listdir(csrc)) if f.endswith(".c")]
    corpus = _corpus()
    outputs = {}
    for name, flags in (("simd", []), ("scalar", ["-DSC_NO_SIMD"])):
        exe = tmp_path / f"h-{name}"
        subprocess.run(["cc", "-O2", "-std=c11", *flags, "-I", csrc, str(tmp_path / "h.c"),
                        *sources, "-lm", "-o", str(exe)], check=True)
        outputs[name] = subprocess.run([str(exe)], input=corpus, check=True,
                                       capture_output=True).stdout
    assert outputs["simd"] == outputs["scalar"]
    # and base64 results are the standard library's, where the text is canonical
    for line, result in zip(corpus.split(b"\n"), outputs["simd"].split(b"\n")):
        if not line.startswith(b"B "):
            continue
        text, got = line[2:], result.split()
        try:
            expected = base64.b64decode(text, validate=True)
            canonical = base64.b64encode(expected) == text
        except binascii.Error:
            canonical = False
        if canonical:
            assert [int(v) for v in got] == [len(expected), *expected]
        else:
            assert got == [str(lib.SC_ECORRUPT).encode()]
