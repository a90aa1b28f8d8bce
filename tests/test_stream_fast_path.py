"""MediaStream.feed and MediaStream.play: the C path (StreamBase in
streamcodec/_fast.c) and the Python path (_feed_other, _play_other) give
the same events, messages and counters on the same input.

Twin streams take one long sequence each: in-order frames, reordered and
duplicated ones, both tracks, dtmf, marks, stop, and malformed messages
that must raise the same ProtocolError on both sides; the routing itself
(which inputs reach Python at all) is checked with spies."""

from __future__ import annotations

import base64
import json
import random

import numpy as np
import pytest

import streamcodec as sc
from streamcodec import telnyx
from streamcodec.telnyx import Media, ProtocolError

from speech_signal import speech_like

SID = "7f1c2a3b-0000-4000-8000-00000000abcd"


def _start(codec: str = "PCMU", rate: int = 8000, tracks: str = "both_tracks") -> str:
    return json.dumps({"event": "start", "sequence_number": "1", "stream_id": SID,
                       "start": {"media_format": {"encoding": codec, "sample_rate": rate,
                                                  "channels": 1}, "tracks": tracks}})


def _media(payload: bytes, chunk: int, track: str = "inbound", seq: int = 0,
           stream_id: str = SID, timestamp: int | None = None) -> str:
    media = {"track": track, "chunk": str(chunk),
             "timestamp": str(20 * chunk if timestamp is None else timestamp),
             "payload": base64.b64encode(payload).decode()}
    return json.dumps({"event": "media", "sequence_number": str(seq), "stream_id": stream_id,
                       "media": media}, separators=(",", ":"))


def _payloads(codec: str, count: int, seed: int) -> list[bytes]:
    enc = sc.Encoder(codec)
    pcm = speech_like(count * 0.02 + 0.02, enc.rate, seed=seed)
    return enc.packetize(pcm)[:count]


def _messages(codec: str, seed: int) -> list:
    """A call's worth of messages: mostly in order, with the faults a
    carrier's network and a buggy peer produce."""
    rng = random.Random(seed)
    payloads = _payloads(codec, 400, seed)
    out: list = [_start(codec, sc.codec_info(codec).native_rate or 16000)]
    chunk, seq = 0, 1
    pending = []
    for i, p in enumerate(payloads):
        chunk += 1
        seq += 1
        track = "outbound" if i % 7 == 3 else "inbound"
        msg = _media(p, chunk, track, seq)
        roll = rng.random()
        if roll < 0.05:
            pending.append(msg)                   # arrives later: reordered
            continue
        out.append(msg)
        if roll < 0.08:
            out.append(msg)                       # duplicate
        elif roll < 0.10:
            out.append(msg.encode())              # bytes, as a binary frame
        elif roll < 0.11:
            out.append(bytearray(msg.encode()))   # other buffer types: Python path
        elif roll < 0.12:
            out.append('{"event":"dtmf","dtmf":{"digit":"5"},"stream_id":"%s"}' % SID)
        elif roll < 0.13:
            out.append('{"event":"mark","mark":{"name":"m"},"stream_id":"%s"}' % SID)
        elif roll < 0.14:
            out.append('{"event":"media","media":')          # truncated JSON
        elif roll < 0.15:
            out.append(msg.replace('"chunk":"', '"chunk":"x'))  # bad chunk
        elif roll < 0.16:
            out.append(_media(p, chunk + 1, track, seq, stream_id="other"))
        elif roll < 0.17:
            out.append(msg.replace('"payload":"', '"payload":"\\u0041'))  # escape: json path
        elif roll < 0.18:
            out.append("\ud800" + msg)                      # lone surrogate
        elif roll < 0.19:
            out.append(msg + " " * 300_000)                 # longer than max_message_bytes
        if pending and rng.random() < 0.3:
            out.append(pending.pop(0))
    out.extend(pending)
    out.append('{"event":"stop","sequence_number":"999","stream_id":"%s","stop":{}}' % SID)
    return out


def _run(feed, messages) -> list:
    results = []
    for m in messages:
        try:
            results.append(feed(m))
        except (ProtocolError, TypeError) as exc:
            results.append((type(exc).__name__, str(exc)))
    return results


def _twins(**options):
    return (telnyx.MediaStream(max_message_bytes=1 << 18, **options),
            telnyx.MediaStream(max_message_bytes=1 << 18, **options))


@pytest.mark.parametrize("codec", ["PCMU", "PCMA", "G722", "L16"])
@pytest.mark.parametrize("seed", [1, 2])
def test_feed_c_and_python_paths_agree(codec, seed):
    fast, slow = _twins(rate=16000)
    messages = _messages(codec, seed)
    got, want = _run(fast.feed, messages), _run(slow._feed_other, messages)
    assert got == want
    media = [e for r in got if isinstance(r, list) for e in r if type(e) is Media]
    assert len(media) > 300 and all(e.pcm for e in media if e.track == "inbound")
    assert sum(isinstance(r, tuple) for r in got) > 5      # the faults were refused
    assert fast.stats == slow.stats and fast.rejected == slow.rejected


def test_feed_one_returns_the_media_itself():
    stream = telnyx.MediaStream(rate=16000)
    assert stream._feed_one(_start()) and stream.codec == "PCMU"
    payloads = _payloads("PCMU", 4, 5)
    first = stream._feed_one(_media(payloads[0], 1))                 # a new track: a list
    assert [type(e) for e in first] == [Media] and first[0].chunk == 1
    second = stream._feed_one(_media(payloads[1], 2, seq=7))
    assert type(second) is Media and second.chunk == 2 and len(second.pcm) == 640
    assert second.stream_id == SID and second.sequence_number == 7 and second.timestamp == 40
    assert second.track == "inbound" and not second.concealed and second.payload == payloads[1]
    assert stream._feed_one(_media(payloads[1], 2)) == []            # a duplicate: a list
    assert stream._feed_one(_media(payloads[3], 4)) == []            # waits for chunk 3
    both = stream._feed_one(_media(payloads[2], 3))
    assert [e.chunk for e in both] == [3, 4]


def test_feed_routing(monkeypatch):
    """In-order str and bytes frames reach no Python; the rest does."""
    stream = telnyx.MediaStream(rate=16000)
    p = _payloads("PCMU", 7, 3)
    stream.feed(_start()), stream.feed(_media(p[0], 1))     # a new track: Python's to set up
    seen = []
    for name in ("_feed_other", "_feed_scanned"):
        original = getattr(stream, name)

        def spy(*args, _original=original, _name=name):
            seen.append((_name, type(args[0]).__name__))
            return _original(*args)
        monkeypatch.setattr(stream, name, spy)
    assert type(stream.feed(_media(p[1], 2))[0]) is Media
    assert type(stream.feed(_media(p[2], 3).encode())[0]) is Media
    assert seen == []
    stream.feed(bytearray(_media(p[3], 4).encode()))
    stream.feed(_media(p[5], 6))                       # out of order: scanned, then Python
    stream.feed('{"event":"dtmf","dtmf":{"digit":"1"}}')
    with pytest.raises(TypeError, match="message must be str or bytes, not int"):
        stream.feed(7)
    assert seen == [("_feed_other", "bytearray"), ("_feed_scanned", "str"),
                    ("_feed_scanned", "str"), ("_feed_other", "int")]


@pytest.mark.parametrize("codec,rate", [("PCMU", 8000), ("PCMA", 8000), ("G722", 16000),
                                        ("L16", 16000), ("L16", 24000)])
def test_play_c_and_python_paths_agree(codec, rate):
    fast, slow = _twins(playback_codec=codec, playback_rate=rate)
    rng = random.Random(rate)
    pcm = speech_like(8.0, 48000, seed=4)
    position = 0
    for step in range(300):
        at = rng.choice([rate, rate, rate, 16000, 24000, 8000, 11025])
        size = at // 50 if rng.random() < 0.7 else rng.randrange(0, at // 20)
        chunk = pcm[position:position + size]
        position = (position + size) % (len(pcm) // 2)
        data = chunk.tobytes() if rng.random() < 0.8 else chunk   # numpy: Python path
        rate_arg = at if (at != rate or rng.random() < 0.5) else None
        assert fast.play(data, rate_arg) == slow._play_other(data, rate_arg), step
        if step % 50 == 49:
            assert fast.mark(f"m{step}") == slow.mark(f"m{step}")
    assert fast.flush_playback() == slow.flush_playback()
    assert fast.sent_ms == slow.sent_ms > 3000


def test_play_routing(monkeypatch):
    stream = telnyx.MediaStream(playback_codec="PCMU", playback_rate=8000)
    seen = []
    original = stream._play_other

    def spy(*args, **kwargs):
        seen.append((type(args[0]).__name__, len(args[0]), args[1:], kwargs))
        return original(*args, **kwargs)
    monkeypatch.setattr(stream, "_play_other", spy)
    frame = bytes(320)
    assert len(stream.play(frame)) == len(stream.play(frame, 8000)) == 1
    assert len(stream.play(frame, rate=8000)) == 1
    assert seen == []
    assert stream.play(frame[:100]) == []               # part of a packet: Python, held
    assert len(stream.play(frame[:220])) == 1           # something held: Python
    stream.play(np.zeros(160, np.int16))                # numpy: Python
    assert len(stream.play(bytes(960), 24000)) == 1     # rate change: Python
    assert len(stream.play(bytes(960), 24000)) == 1     # now the C path at 24 kHz
    assert [s[:3] for s in seen] == [("bytes", 100, ()), ("bytes", 220, ()),
                                     ("ndarray", 160, ()), ("bytes", 960, (24000,))]
    with pytest.raises(ValueError, match="odd"):
        stream.play(b"\x00" * 3, 24000)
    with pytest.raises(TypeError):
        stream.play("not pcm")
    with pytest.raises(TypeError):
        stream.play(frame, 8000, 1)
    with pytest.raises(TypeError, match=r"^play\(\) got an unexpected keyword argument 'volume'"):
        stream.play(frame, volume=2)
    other = telnyx.MediaStream()
    assert len(other.play(pcm=bytes(320), rate=8000)) == 1        # keywords as documented


def test_mp3_stream_play_is_refused_by_the_python_path():
    stream = telnyx.MediaStream(mp3=True)
    with pytest.raises(ValueError, match="use play_mp3"):
        stream.play(bytes(320))


def test_c_half_alone_is_safe():
    """StreamBase without MediaStream.__init__: nothing bound, so every call
    takes the Python path, which says what is missing."""
    bare = telnyx.MediaStream.__new__(telnyx.MediaStream)
    with pytest.raises(AttributeError):
        bare.feed(_start())
    with pytest.raises(AttributeError):
        bare.play(bytes(320))
    stream = telnyx.MediaStream()
    with pytest.raises(TypeError, match="_bind_in"):
        stream._bind_in(1, 2, 3)
    with pytest.raises(ValueError, match="NULL"):
        stream._bind_out(0)
