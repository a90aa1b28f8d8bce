"""The seed corpus and the mutator the fuzz targets share.

``python tests/fuzz/corpus.py`` (re)writes ``tests/fuzz/corpus/TARGET/*``
from real encoders: realistic Telnyx calls (every codec, several session
rates including 11025 and 44100 Hz, loss, reordering, duplicates, odd
payload sizes, playback commands) and valid payloads for the binary
targets.  The files are committed; regenerate them only when a target's
input format changes.

:func:`mutate` is structure-aware: on the text targets it edits whole
lines and the fields in them (chunk numbers, payload sizes, escapes,
19-digit numbers) as well as bytes; atheris uses it as its custom mutator,
and the suite applies it with a seeded ``random.Random``.
"""

from __future__ import annotations

import base64
import json
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
TEXT_TARGETS = ("feed", "diff", "carriers")
#: Targets that start from another target's seeds.
_SEEDS_OF = {"carriers": "diff"}

#: Numbers that have broken parsers: the int64 edges, 19 digits, zero.
INTERESTING_NUMBERS = [b"0", b"1", b"9223372036854775807", b"9223372036854775806",
                       b"9223372036854775808", b"9999999999999999999", b"999999999999999999",
                       b"18446744073709551615", b"-1", b"00", b"1e3", b"1.0", b"\"\"", b"null"]
INTERESTING_TOKENS = [b"\\u0065", b"\\\"", b"\\/", b"\xc3\xa9", b"\x00", b"\"", b"{", b"}",
                      b"[", b"]", b",", b":", b"=", b"==", b"NaN", b"true", b" "]


def load(target: str) -> list[tuple[str, bytes]]:
    """The committed seeds of ``target``: (file name, bytes), sorted."""
    folder = os.path.join(CORPUS, _SEEDS_OF.get(target, target))
    out = []
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            out.append((name, f.read()))
    return out


# ---------------------------------------------------------------------------
# Mutation
# ---------------------------------------------------------------------------


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(5)
        pos = rng.randrange(len(b) + 1)
        if kind == 0 and b:
            b[min(pos, len(b) - 1)] ^= 1 << rng.randrange(8)
        elif kind == 1:
            b[pos:pos] = bytes([rng.randrange(256)])
        elif kind == 2 and b:
            del b[pos:pos + rng.randint(1, 8)]
        elif kind == 3:
            b[pos:pos] = rng.choice(INTERESTING_TOKENS)
        elif b:
            b[min(pos, len(b) - 1)] = rng.choice(b"0123456789\"\\{}[]:,")
    return bytes(b)


def _json_field_mutation(line: bytes, rng: random.Random) -> bytes:
    """Edit one field of a JSON message, keeping the rest valid."""
    try:
        frame = json.loads(line)
    except ValueError:
        return _mutate_bytes(line, rng)
    if not isinstance(frame, dict):
        return _mutate_bytes(line, rng)
    media = frame.get("media") if isinstance(frame.get("media"), dict) else None
    kind = rng.randrange(9)
    if media is not None and kind == 0:
        # an odd payload size: random bytes of any length, valid base64
        n = rng.choice([0, 1, 2, 3, 7, 80, 159, 161, 163, 241, 321, 479, 960, 1500])
        media["payload"] = base64.b64encode(bytes(rng.randrange(256) for _ in range(n))).decode()
    elif media is not None and kind == 1:
        key = rng.choice(["chunk", "timestamp"])
        media[key] = rng.choice([str(rng.randrange(1, 40)), rng.randrange(0, 40), "0",
                                 "9223372036854775807", "9999999999999999999",
                                 "18446744073709551615", -1, None, 1.5, "12a"])
    elif media is not None and kind == 2:
        media["track"] = rng.choice(["inbound", "outbound", "other", "", None, 1])
    elif kind == 3:
        frame["stream_id"] = rng.choice(["", "s", None, "\u00e9", 7, "x" * 40])
    elif kind == 4:
        frame["sequence_number"] = rng.choice(["1", "9999999999999999999", -5, None, "x"])
    elif kind == 5 and frame.get("event") == "start" and isinstance(frame.get("start"), dict):
        fmt = frame["start"].setdefault("media_format", {})
        if isinstance(fmt, dict):
            fmt["encoding"] = rng.choice(["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16",
                                          "pcmu", "MP3", ""])
            fmt["sample_rate"] = rng.choice([8000, 11025, 16000, 44100, 48000, 0, -1, "8000"])
    elif kind == 6:
        frame["event"] = rng.choice(["media", "start", "stop", "mark", "dtmf", "error",
                                     "connected", "other", 5])
    elif kind == 7 and media is not None:
        media.pop(rng.choice(["payload", "chunk", "timestamp", "track"]), None)
    else:
        return _mutate_bytes(line, rng)
    text = json.dumps(frame, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


def _mutate_text(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    head, body = lines[0], lines[1:]
    kind = rng.randrange(8)
    if not body:
        body = [b'{"event":"stop"}']
    i = rng.randrange(len(body))
    if kind == 0:
        del body[i]                                  # loss
    elif kind == 1:
        body.insert(i, body[rng.randrange(len(body))])   # duplicate / replay
    elif kind == 2 and len(body) > 1:
        j = rng.randrange(len(body))
        body[i], body[j] = body[j], body[i]          # reordering
    elif kind == 3:
        body[i] = _mutate_bytes(body[i], rng)
    elif kind == 4:
        # a number in the line replaced by an interesting one
        line = body[i]
        digits = [k for k in range(len(line)) if 48 <= line[k] <= 57]
        if digits:
            k = rng.choice(digits)
            end = k
            while end < len(line) and 48 <= line[end] <= 57:
                end += 1
            body[i] = line[:k] + rng.choice(INTERESTING_NUMBERS) + line[end:]
    elif kind == 5:
        head = rng.choice([b"rate=11025", b"rate=44100", b"rate=8000", b"rate=12000",
                           b"rate=22050", b"rate=48000 strict=1", b"rate=16000 window=0",
                           b"rate=24000 playback=G722@16000", b"rate=11025 playback=OPUS@48000",
                           b"rate=32000 playback=L16@11025 ptime=40"])
    elif kind == 6:
        body.insert(i, rng.choice([b"#play 11025 441", b"#play 44100 882", b"#play 8000 160",
                                   b"#play 7000 160", b"#play 16000 100", b"#mark m1",
                                   b"#clear", b"#play 24000 480"]))
    else:
        body[i] = _json_field_mutation(body[i], rng)
    return b"\n".join([head] + body)


def mutate(data: bytes, rng: random.Random, text: bool) -> bytes:
    """One mutation of a fuzz input (structure-aware for the text targets)."""
    out = _mutate_text(data, rng) if text else _mutate_bytes(data, rng)
    if not text and rng.random() < 0.3 and len(out) > 4:
        # binary inputs: also splice in a block from elsewhere in the input
        a, b = sorted(rng.randrange(len(out)) for _ in range(2))
        out = out[:a] + out[b:] + out[a:b]
    return out


# ---------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------


def _call(codec: str, wire_rate: int, frames: int, *, track: str = "inbound",
          stream_id: str = "call-1", order: list | None = None, extra: list | None = None) -> list[bytes]:
    """The messages of a short call, frames in ``order`` (chunk numbers)."""
    import numpy as np

    import streamcodec as sc
    from streamcodec.signals import speech_like
    from streamcodec.simulate import (connected_frame, dtmf_frame, mark_frame, media_frame,
                                      start_frame, stop_frame)

    pcm = speech_like(frames * 0.02, wire_rate, seed=3)
    options = {"codec_rate": wire_rate} if codec in ("L16", "OPUS") else {}
    enc = sc.Encoder(codec, rate=wire_rate, **options)
    payloads = enc.packetize(np.asarray(pcm, np.int16)) + enc.flush()
    out = [connected_frame().encode(),
           start_frame(stream_id, 1, codec, wire_rate, custom_parameters={"k": "v"}).encode()]
    seq = 2
    for chunk in order or range(1, len(payloads) + 1):
        for name in (["inbound", "outbound"] if track == "both_tracks" else ["inbound"]):
            out.append(media_frame(stream_id, seq, name, chunk, (chunk - 1) * 20,
                                   payloads[chunk - 1]).encode())
            seq += 1
    out.append(dtmf_frame(stream_id, seq, "5").encode())
    out.append(mark_frame(stream_id, seq + 1, "m1").encode())
    out.extend(extra or [])
    out.append(stop_frame(stream_id, seq + 2).encode())
    return out


def text_seeds() -> dict[str, bytes]:
    import streamcodec as sc

    seeds = {}
    plan = [
        ("pcmu-16k", "rate=16000", "PCMU", 8000, {}),
        ("pcmu-11025-loss", "rate=11025", "PCMU", 8000, {"order": [1, 2, 4, 5, 6, 7, 8, 9]}),
        ("pcma-44100-reorder", "rate=44100", "PCMA", 8000, {"order": [1, 3, 2, 4, 6, 5, 7, 8]}),
        ("g722-11025-loss", "rate=11025 playback=G722@16000", "G722", 16000,
         {"order": [1, 2, 3, 7, 8, 9, 10]}),
        ("g722-16k-dup", "rate=16000", "G722", 16000, {"order": [1, 2, 2, 3, 4, 4, 5]}),
        ("opus-48k-loss", "rate=48000 playback=OPUS@48000", "OPUS", 48000,
         {"order": [1, 2, 4, 5, 6, 8, 9]}),
        ("opus-12k", "rate=12000 playback=OPUS@16000", "OPUS", 16000, {}),
        ("amrwb-16k-loss", "rate=16000 playback=AMR-WB@16000", "AMR-WB", 16000,
         {"order": [1, 2, 5, 6, 7, 8]}),
        ("l16-22050", "rate=22050 playback=L16@16000", "L16", 16000, {}),
        ("l16-8k-strict", "rate=8000 strict=1", "L16", 8000, {"order": [2, 1, 3, 4, 5]}),
        ("pcmu-both-24k", "rate=24000 playback=PCMA@8000 ptime=40", "PCMU", 8000,
         {"track": "both_tracks", "order": [1, 2, 3, 5, 4, 6]}),
        ("pcmu-32k-window0", "rate=32000 window=0", "PCMU", 8000,
         {"order": [1, 2, 3, 6, 4, 5, 7]}),
    ]
    for name, head, codec, wire, kw in plan:
        if not sc.codecs()[codec].available:
            continue
        plays = [b"#play 16000 320", b"#play 24000 480", b"#mark reply-1", b"#clear",
                 b"#play 8000 160"]
        if "11025" in head or "44100" in head:
            plays.insert(3, b"#play 44100 882")
            plays.append(b"#play 11025 441")
        messages = _call(codec, wire, 10, extra=plays, **kw)
        seeds[name] = b"\n".join([head.encode()] + messages)
    # odd payload sizes and edge numbers, in place of a seed's frames
    base = text_seeds_edge()
    seeds.update(base)
    return seeds


def text_seeds_edge() -> dict[str, bytes]:
    sid = "call-1"
    start = ('{"event":"start","sequence_number":"1","stream_id":"%s","start":{"media_format":'
             '{"encoding":"%s","sample_rate":%d,"channels":1}}}')

    def media(chunk: str, payload: bytes, track: str = "inbound", ts: str = "0") -> bytes:
        return ('{"event":"media","stream_id":"%s","media":{"track":"%s","chunk":"%s",'
                '"timestamp":"%s","payload":"%s"}}' % (sid, track, chunk, ts,
                                                      base64.b64encode(payload).decode())).encode()

    odd = [media(str(i + 1), bytes(range(n % 256)) * (n // 256) + bytes(range(n % 256)))
           for i, n in enumerate([160, 161, 159, 163, 80, 241, 160])]
    seeds = {
        "odd-sizes-pcmu-11025": b"\n".join([b"rate=11025", (start % (sid, "PCMU", 8000)).encode()]
                                           + odd + [b'{"event":"stop"}']),
        "odd-sizes-g722-44100": b"\n".join([b"rate=44100", (start % (sid, "G722", 8000)).encode()]
                                           + odd + [b'{"event":"stop"}']),
        "big-chunk": b"\n".join([b"rate=16000", (start % (sid, "PCMU", 8000)).encode(),
                                 media("9223372036854775806", bytes(160)),
                                 media("9223372036854775807", bytes(160)),
                                 media("9999999999999999999", bytes(160)),
                                 b'{"event":"stop"}']),
        "no-stream-id": b"\n".join([
            b"rate=16000",
            b'{"event":"start","start":{"media_format":{"encoding":"PCMU","sample_rate":8000}}}',
            b'{"event":"media","stream_id":"","media":{"chunk":"1","payload":"' +
            base64.b64encode(bytes(160)) + b'"}}',
            b'{"event":"media","media":{"chunk":"2","payload":"' + base64.b64encode(bytes(160))
            + b'"}}',
            b'{"event":"stop"}']),
        "second-start": b"\n".join([
            b"rate=16000", (start % (sid, "L16", 8000)).encode(), media("1", bytes(320)),
            (start % (sid, "L16", 7000)).encode(), (start % (sid, "MP3", 8000)).encode(),
            media("2", bytes(320)), media("1", bytes(320), track="outbound"),
            b'{"event":"stop"}']),
        "strict-bad-payload": b"\n".join([
            b"rate=16000 strict=1", (start % (sid, "L16", 8000)).encode(),
            media("1", bytes(320)), media("2", bytes(321)), media("3", b""),
            b'{"event":"media","media":{"chunk":"4","payload":"AAA"}}',
            media("5", bytes(320)), b'{"event":"stop"}']),
        "junk": b"\n".join([b"rate=16000", b"", b"{", b"[]", b'{"event":1}', b"\xff\xfe",
                            b'{"event":"media","media":{"chunk":"1","payload":"AAAA"}}',
                            b'{"event":"start","start":{}}', b'{"event":"stop"}']),
    }
    return seeds


def binary_seeds() -> dict[str, dict[str, bytes]]:
    import numpy as np

    import streamcodec as sc
    from streamcodec import amrwb
    from streamcodec.signals import speech_like

    codecs = ("PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16")
    rates = tuple(sc.SUPPORTED_RATES)
    out: dict[str, dict[str, bytes]] = {"decode": {}, "encode": {}, "resample": {}, "amrwb": {},
                                        "simd": {}}
    pcm16 = np.asarray(speech_like(0.1, 16000, seed=5), np.int16)
    for ci, codec in enumerate(codecs):
        if not sc.codecs()[codec].available:
            continue
        wire = {"PCMU": 8000, "PCMA": 8000}.get(codec, 16000)
        opts = {"codec_rate": wire} if codec in ("L16", "OPUS") else {}
        enc = sc.Encoder(codec, rate=16000, **opts)
        payloads = enc.packetize(pcm16) + enc.flush()
        for rate in (8000, 11025, 16000, 44100):
            flags = {"L16": rates.index(16000), "OPUS": 3}.get(codec, 0)
            body = bytearray([ci, rates.index(rate), flags])
            for k, p in enumerate(payloads[:4]):
                body += bytes([0]) + struct.pack("<H", len(p)) + p
                if k == 1:
                    body += bytes([2, 0])          # conceal one whole frame
            body += bytes([1]) + struct.pack("<H", 7) + bytes(7)   # odd size
            body += bytes([2, 1])                                 # conceal rate // 50
            out["decode"][f"{codec.lower()}-{rate}"] = bytes(body)
        for rate in (8000, 11025, 24000, 48000):
            n = 700
            sig = np.asarray(speech_like(n / rate, rate, seed=ci), np.int16)[:n].tobytes()
            out["encode"][f"{codec.lower()}-{rate}"] = (
                bytes([ci, rates.index(rate)]) + struct.pack("<H", len(sig) // 2) + sig
                + struct.pack("<H", 301))
    for a, b, q in ((8000, 16000, 1), (16000, 8000, 0), (8000, 11025, 1), (44100, 8000, 2),
                    (24000, 16000, 1), (11025, 48000, 1), (22050, 12000, 0)):
        sig = np.asarray(speech_like(0.05, a, seed=1), np.int16).tobytes()
        n = len(sig) // 2
        cuts = b"".join(struct.pack("<H", c) for c in (7, n // 3, n // 2, n - 1))
        out["resample"][f"{a}-{b}-q{q}"] = (bytes([rates.index(a), rates.index(b), q])
                                           + struct.pack("<H", n) + sig + bytes([4]) + cuts)
    if sc.codecs()["AMR-WB"].available:
        for mode in (0, 2, 8):
            for align in (False, True):
                enc = sc.Encoder("AMR-WB", mode=mode, octet_align=align, ptime=40)
                p = enc.packetize(pcm16)[0]
                out["amrwb"][f"mode{mode}-{'oa' if align else 'be'}"] = bytes([0]) + p
                out["amrwb"][f"mode{mode}-{'oa' if align else 'be'}-forced"] = \
                    bytes([1 if align else 2]) + p
        frames = amrwb.unpack(out["amrwb"]["mode2-be"][1:]).frames
        out["amrwb"]["sid-nodata"] = bytes([0]) + amrwb.pack(
            [bytes([9 << 3 | 4]) + bytes(5), bytes([15 << 3 | 4])] + list(frames[:1]))
    # simd: rate-pair byte, name length, level name, then samples / text / noise
    import base64 as _b64
    rng = np.random.default_rng(3)
    tone = (12000 * np.sin(np.arange(640) * 0.05)).astype("<i2").tobytes()
    out["simd"] = {
        "speech-8k16k": bytes([0, 4]) + b"avx2" + tone,
        "base64-text-16k8k": bytes([1, 8]) + b"baseline"
        + _b64.b64encode(rng.integers(0, 256, 300, dtype=np.uint8).tobytes()),
        "noise-44k48k": bytes([4, 6]) + b"avx512" + rng.integers(0, 256, 1200, np.uint8).tobytes(),
        "bad-name-48k8k": bytes([5, 3]) + b"neo" + rng.integers(0, 256, 333, np.uint8).tobytes(),
    }
    return out


def write_all() -> None:
    import shutil
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    groups = {"feed": text_seeds(), "diff": text_seeds()}
    groups.update(binary_seeds())
    for target, seeds in groups.items():
        folder = os.path.join(CORPUS, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(seeds)} seeds, {sum(map(len, seeds.values()))} bytes")


if __name__ == "__main__":
    write_all()
