"""Checks every carrier's MediaStream must pass, given how that carrier
writes its messages (a `Wire`, written from the carrier's documentation in
each tests/test_<carrier>_session.py, independently of the library's
dialect code)."""

from __future__ import annotations

import base64
import json
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # the independent G.711 reference (audioop-lts on 3.13+)


@dataclass
class Wire:
    """How one carrier writes its messages to the server."""

    new: Callable[..., Any]                       # MediaStream(rate=..., ...) for (codec, rate)
    start: Callable[[str, int], str]             # start message for (codec, rate)
    media: Callable[[int, bytes, int], Any]      # (chunk, payload, sequence number) -> message
    mark_echo: Callable[[str], str]              # the ack of a mark named so
    stop: Optional[str]                          # the stop message, if the carrier has one
    l16_order: str = "<"                         # numpy byte order of L16 on the wire


def feed_all(s: Any, msgs: list) -> list:
    out = []
    for msg in msgs:
        out.extend(s.feed(msg))
    return out


def payload_of(codec: str, rate: int, chunk: int, ms: int = 20, order: str = "<") -> bytes:
    """A frame of noise, different for every chunk."""
    rng = np.random.default_rng(chunk)
    n = rate * ms // 1000
    if codec in ("PCMU", "PCMA"):
        return bytes(rng.integers(0, 256, n, dtype=np.uint8))
    return rng.integers(-20000, 20000, n).astype(order + "i2").tobytes()


def reference(codec: str, payload: bytes, order: str = "<") -> bytes:
    """The PCM a frame decodes to, from an independent decoder."""
    if codec == "PCMU":
        return audioop.ulaw2lin(payload, 2)
    if codec == "PCMA":
        return audioop.alaw2lin(payload, 2)
    assert codec == "L16"
    return np.frombuffer(payload, order + "i2").astype("=i2").tobytes()


def replayed(codec: str, rate: int, events: list, order: str = "<") -> list:
    """What one fresh Decoder gives for these Media events in order: the
    delivered payloads decoded, the lost frames concealed."""
    import streamcodec as sc
    options = {}
    if codec == "L16":
        options = {"codec_rate": rate, "byteorder": "little" if order == "<" else "big"}
    d = sc.Decoder(codec, rate=rate, **options)
    return [d.conceal(len(m.pcm) // 2) if m.concealed else d.decode(m.payload) for m in events]


def media_events(events: list) -> list:
    return [e for e in events if type(e).__name__ == "Media"]


def check_decodes(wire: Wire, codec: str, rate: int, ms: int = 20) -> None:
    """In order, at the codec's own rate: PCM equals the reference, at once."""
    s = wire.new(codec, rate)
    (start,) = [e for e in s.feed(wire.start(codec, rate)) if type(e).__name__ == "Start"]
    assert s.codec == codec and start.codec == codec
    for chunk in range(1, 6):
        payload = payload_of(codec, rate, chunk, ms, wire.l16_order)
        (m,) = s.feed(wire.media(chunk, payload, chunk + 1))
        assert m.chunk == chunk and not m.concealed
        assert m.pcm == reference(codec, payload, wire.l16_order)
    assert s.stats["inbound"].received == 5 and s.stats["inbound"].lost == 0


def check_reorder_loss_duplicates(wire: Wire, codec: str = "PCMU", rate: int = 8000) -> None:
    s = wire.new(codec, rate)
    s.feed(wire.start(codec, rate))
    arrival = [1, 2, 4, 3, 3, 5, 7, 8, 9, 10]         # 4/3 swapped, 3 twice, 6 lost
    payloads = {c: payload_of(codec, rate, c, order=wire.l16_order) for c in range(1, 11)}
    out = media_events(feed_all(s, [wire.media(c, payloads[c], i + 2)
                                    for i, c in enumerate(arrival)]))
    assert [m.chunk for m in out] == list(range(1, 11))
    assert [m.concealed for m in out] == [c == 6 for c in range(1, 11)]
    for m in out[:5]:                    # before the loss: the independent reference
        assert m.pcm == reference(codec, payloads[m.chunk], wire.l16_order)
    # from the loss on, what one decoder gives for these frames in this order
    # (G.711 Appendix I conceals from the history and delays what follows)
    assert [m.pcm for m in out] == replayed(codec, rate, out, wire.l16_order)
    assert len(out[5].pcm) == len(out[4].pcm)
    t = s.stats["inbound"]
    assert (t.received, t.late, t.duplicate, t.lost, t.concealed) == (10, 1, 1, 1, 1)


def check_first_frames_swapped(wire: Wire, codec: str = "PCMU", rate: int = 8000) -> None:
    """Issue 22: the first two frames swapped both play, in order; in order,
    the first frame comes out at once."""
    s = wire.new(codec, rate)
    s.feed(wire.start(codec, rate))
    p = {c: payload_of(codec, rate, c, order=wire.l16_order) for c in (1, 2, 3)}
    assert s.feed(wire.media(2, p[2], 3)) == []          # waits for chunk 1
    out = media_events(s.feed(wire.media(1, p[1], 2)))
    assert [m.chunk for m in out] == [1, 2] and not any(m.concealed for m in out)
    assert [m.pcm for m in out] == [reference(codec, p[c], wire.l16_order) for c in (1, 2)]
    assert s.stats["inbound"].too_late == 0
    fresh = wire.new(codec, rate)
    fresh.feed(wire.start(codec, rate))
    assert [m.chunk for m in media_events(fresh.feed(wire.media(1, p[1], 2)))] == [1]


def check_fast_path_matches_python(wire: Wire, codec: str = "PCMU", rate: int = 8000) -> None:
    """The C scanner (feed) and the Python path (_feed_other) give the same
    events and counters, with this carrier's key names."""
    fast, slow = wire.new(codec, rate), wire.new(codec, rate)
    msgs = [wire.start(codec, rate)] + [
        wire.media(c, payload_of(codec, rate, c, order=wire.l16_order), c + 1)
        for c in (1, 2, 3, 5, 4, 6, 6, 9, 10, 11, 12, 13)]
    for msg in msgs:
        a, b = fast.feed(msg), slow._feed_other(msg)
        assert a == b
        assert [getattr(e, "pcm", None) for e in a] == [getattr(e, "pcm", None) for e in b]
        assert [getattr(e, "stream_id", None) for e in a] == \
            [getattr(e, "stream_id", None) for e in b]
        assert [getattr(e, "sequence_number", None) for e in a] == \
            [getattr(e, "sequence_number", None) for e in b]
    assert fast.stats == slow.stats


def check_mark_accounting(wire: Wire, s: Any, packet_bytes: int, rate: int) -> list:
    """play one message's worth, mark, echo: played_ms is that audio."""
    before = s.sent_ms
    played = s.play(bytes(packet_bytes), rate)
    (mark,) = s.mark("m1")
    (echo,) = s.feed(wire.mark_echo("m1"))
    assert echo.name == "m1" and echo.played_ms == s.sent_ms
    assert s.sent_ms - before == s.playback_ptime * len(played) > 0
    assert not echo.cleared and s.played_ms == echo.played_ms
    return played + [mark]


def decode_b64(message: str, *path: str) -> bytes:
    node = json.loads(message)
    for key in path:
        node = node[key]
    return base64.b64decode(node)
