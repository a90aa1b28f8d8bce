"""MediaStream: every frame type through feed(), inbound codec from start,
reordering, duplicates, gaps and concealment, both tracks, playback framing,
mark accounting, MP3 mode and bad input."""

from __future__ import annotations

import base64
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamcodec as sc
from streamcodec import telnyx
from streamcodec.telnyx import Media, MediaStream, ProtocolError

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # the independent G.711 reference (audioop-lts on 3.13+)


def start_msg(encoding="PCMU", sample_rate=8000, **extra):
    start = {"media_format": {"encoding": encoding, "sample_rate": sample_rate, "channels": 1},
             "call_control_id": "v3:abc", "custom_parameters": {"k": "v"}}
    start.update(extra)
    return json.dumps({"event": "start", "sequence_number": "1", "stream_id": "S", "start": start})


def media_msg(payload: bytes, chunk: int, track="inbound", ts=None, seq=None) -> str:
    return json.dumps({"event": "media", "sequence_number": str(seq if seq else chunk + 1),
                       "stream_id": "S",
                       "media": {"track": track, "chunk": str(chunk),
                                 "timestamp": str(ts if ts is not None else 20 * chunk),
                                 "payload": base64.b64encode(payload).decode()}})


def ulaw_frames(n, seed=0, size=160):
    rng = np.random.default_rng(seed)
    return [bytes(rng.integers(0, 256, size, dtype=np.uint8)) for _ in range(n)]


def ulaw_ref(payload: bytes) -> bytes:
    return audioop.ulaw2lin(payload, 2)


def replayed(events, codec: str = "PCMU") -> list[bytes]:
    """What a fresh Decoder gives for these Media events in order (decode the
    delivered payloads, conceal the lost frames): G.711 Appendix I conceals
    from the decoded history, and delays the output from the first loss on."""
    d = sc.Decoder(codec)
    return [d.conceal(len(m.pcm) // 2) if m.concealed else d.decode(m.payload) for m in events]


def session(**kw) -> MediaStream:
    kw.setdefault("rate", 8000)
    s = MediaStream(**kw)
    assert isinstance(s.feed('{"event":"connected","version":"1.0.0"}')[0], telnyx.Connected)
    return s


def feed_all(s, msgs):
    out = []
    for msg in msgs:
        out.extend(s.feed(msg))
    return out


# ---------------------------------------------------------------- frame types

def test_every_inbound_frame_type():
    s = session()
    (start,) = s.feed(start_msg())
    assert isinstance(start, telnyx.Start) and s.start is start and s.codec == "PCMU"
    assert start.custom_parameters == {"k": "v"}
    frame = ulaw_frames(1)[0]
    (media,) = s.feed(media_msg(frame, 1))
    assert isinstance(media, Media) and media.pcm == ulaw_ref(frame) and not media.concealed
    assert (media.track, media.chunk, media.timestamp, media.payload, media.sequence_number) == \
        ("inbound", 1, 20, frame, 2)
    assert s.feed('{"event":"dtmf","dtmf":{"digit":"5"}}') == [telnyx.Dtmf(digit="5")]
    (err,) = s.feed('{"event":"error","payload":{"code":100003,"title":"Malformed frame"}}')
    assert err == telnyx.Error(code=100003, title="Malformed frame")
    (unknown,) = s.feed('{"event":"future_event","x":1}')
    assert unknown == telnyx.Unknown("future_event", {"event": "future_event", "x": 1})
    (mark,) = s.feed('{"event":"mark","mark":{"name":"never-sent"}}')
    assert mark == telnyx.Mark(name="never-sent") and mark.played_ms is None
    (stop,) = s.feed(b'{"event":"stop","stop":{"call_control_id":"v3:abc"}}')
    assert stop == telnyx.Stop(call_control_id="v3:abc")


@pytest.mark.parametrize("encoding, ref", [
    ("PCMU", lambda p: audioop.ulaw2lin(p, 2)),
    ("PCMA", lambda p: audioop.alaw2lin(p, 2)),
    ("pcma", lambda p: audioop.alaw2lin(p, 2)),
])
def test_inbound_codec_comes_from_start(encoding, ref):
    # The same bytes decode as whatever start.media_format says, never an assumed PCMU.
    s = session()
    s.feed(start_msg(encoding))
    frames = ulaw_frames(3, seed=4)
    out = feed_all(s, [media_msg(f, i + 1) for i, f in enumerate(frames)])
    assert [m.pcm for m in out] == [ref(f) for f in frames]


def test_l16_uses_sample_rate_from_start():
    rng = np.random.default_rng(7)
    pcm = rng.integers(-32768, 32768, 320, dtype=np.int16)
    s = session(rate=16000)
    s.feed(start_msg("L16", 16000))
    (m,) = s.feed(media_msg(pcm.astype(">i2").tobytes(), 1))
    assert np.array_equal(np.frombuffer(m.pcm, np.int16), pcm)
    # the same bytes announced as 8 kHz L16 are resampled to the session's 16 kHz
    s.feed(start_msg("L16", 8000))
    (m,) = s.feed(media_msg(pcm.astype(">i2").tobytes(), 1))
    assert m.pcm == sc.Resampler(8000, 16000).process(pcm) and len(m.pcm) == 4 * 320
    with pytest.raises(ProtocolError, match="L16 at 11111 Hz"):
        s.feed(start_msg("L16", 11111))


def test_default_session_gives_16k_pcm():
    # PCMU at 8 kHz in, the session's default 16 kHz out: G.711 by audioop,
    # then the streaming resampler, state kept across messages
    s = MediaStream()
    assert s.rate == 16000
    s.feed(start_msg("PCMU"))
    frames = ulaw_frames(6, seed=11)
    out = feed_all(s, [media_msg(f, i + 1) for i, f in enumerate(frames)])
    resampler = sc.Resampler(8000, 16000)
    assert [m.pcm for m in out] == [resampler.process(ulaw_ref(f)) for f in frames]
    assert all(len(m.pcm) == 640 for m in out)


def test_both_tracks_resample_independently():
    s = MediaStream(rate=24000)
    s.feed(start_msg("PCMA"))
    a, b = ulaw_frames(3, seed=1), ulaw_frames(3, seed=2)
    msgs = [media_msg(x, i + 1, track=t) for i in range(3)
            for t, x in (("inbound", a[i]), ("outbound", b[i]))]
    out = feed_all(s, msgs)
    ra, rb = sc.Resampler(8000, 24000), sc.Resampler(8000, 24000)
    assert [m.pcm for m in out if m.track == "inbound"] == \
        [ra.process(audioop.alaw2lin(x, 2)) for x in a]
    assert [m.pcm for m in out if m.track == "outbound"] == \
        [rb.process(audioop.alaw2lin(x, 2)) for x in b]


def test_unknown_encoding_is_refused():
    s = session()
    with pytest.raises(ProtocolError, match="G729"):
        s.feed(start_msg("G729"))
    with pytest.raises(ProtocolError, match="before the start"):
        s.feed(media_msg(b"\xff" * 160, 1))
    assert s.rejected == 2
    s.feed(start_msg())
    assert len(s.feed(media_msg(b"\xff" * 160, 1))) == 1


# ---------------------------------------------------------------- ordering

def chunks(out):
    return [(m.chunk, m.concealed) for m in out]


def test_in_order_is_released_at_once():
    s = session()
    s.feed(start_msg())
    for i, f in enumerate(ulaw_frames(5), start=1):
        assert chunks(s.feed(media_msg(f, i))) == [(i, False)]
    st_ = s.stats["inbound"]
    assert (st_.received, st_.late, st_.duplicate, st_.lost, st_.concealed, st_.bad) == (5, 0, 0, 0, 0, 0)


def test_late_frame_put_back_in_order():
    s = session()
    s.feed(start_msg())
    frames = ulaw_frames(6)
    got = []
    for c in [1, 2, 4, 5, 3, 6]:
        got.append([m.chunk for m in s.feed(media_msg(frames[c - 1], c))])
    assert got == [[1], [2], [], [], [3, 4, 5], [6]]
    out = [m for m in s.drain()]
    assert out == []
    st_ = s.stats["inbound"]
    assert (st_.received, st_.late, st_.lost, st_.concealed) == (6, 1, 0, 0)


def test_pcm_follows_the_chunk_not_the_arrival():
    s = session()
    s.feed(start_msg())
    frames = ulaw_frames(4, seed=9)
    out = feed_all(s, [media_msg(frames[c - 1], c) for c in [2, 1, 4, 3]])
    # Telnyx numbers chunks from 1: chunk 2 arriving first waits for 1
    # (issue 22: no lost first frame)
    assert [m.chunk for m in out] == [1, 2, 3, 4]
    assert [m.pcm for m in out] == [ulaw_ref(frames[c - 1]) for c in [1, 2, 3, 4]]
    assert s.stats["inbound"].too_late == 0


def test_duplicates_dropped():
    s = session()
    s.feed(start_msg())
    frames = ulaw_frames(4)
    out = feed_all(s, [media_msg(frames[c - 1], c) for c in [1, 2, 2, 4, 4, 3, 1]])
    assert chunks(out) == [(1, False), (2, False), (3, False), (4, False)]
    assert s.stats["inbound"].duplicate == 3
    assert s.stats["inbound"].dropped == 3


def test_gap_concealed_after_window():
    s = session(reorder_window=3)
    s.feed(start_msg())
    frames = ulaw_frames(8)
    got = [chunks(s.feed(media_msg(frames[c - 1], c))) for c in [1, 2, 4, 5, 6, 7, 8]]
    assert got[:5] == [[(1, False)], [(2, False)], [], [], []]
    assert got[5] == [(3, True), (4, False), (5, False), (6, False), (7, False)]
    assert got[6] == [(8, False)]
    st_ = s.stats["inbound"]
    assert (st_.lost, st_.concealed) == (1, 1)
    # a frame whose place was concealed is too late
    assert s.feed(media_msg(frames[2], 3)) == []
    assert s.stats["inbound"].too_late == 1 and st_.too_late == 0   # stats are snapshots


def test_concealed_frame_content_and_timestamp():
    s = session(reorder_window=0)
    s.feed(start_msg())
    frames = ulaw_frames(5, size=80)   # 10 ms frames: concealment follows the frame size
    s.feed(media_msg(frames[0], 1, ts=1000))
    out = s.feed(media_msg(frames[3], 4, ts=1030))
    assert chunks(out) == [(2, True), (3, True), (4, False)]
    reference = sc.Decoder("PCMU")
    reference.decode(frames[0])
    assert [m.pcm for m in out] == [reference.conceal(80), reference.conceal(80),
                                    reference.decode(frames[3])]
    assert out[0].pcm != bytes(160)   # G.711 Appendix I, not silence
    assert out[0].payload == b"" and out[0].timestamp == 1010 and out[1].timestamp == 1020


def test_conceal_limit_bounds_long_gaps():
    s = session(reorder_window=0, conceal_limit=2)
    s.feed(start_msg())
    s.feed(media_msg(b"\x00" * 160, 1))
    out = s.feed(media_msg(b"\x00" * 160, 7))
    assert chunks(out) == [(2, True), (3, True), (7, False)]
    st_ = s.stats["inbound"]
    assert (st_.lost, st_.concealed) == (5, 2)


def test_stop_drains_the_window():
    s = session(reorder_window=5)
    s.feed(start_msg())
    frames = ulaw_frames(5)
    out = feed_all(s, [media_msg(frames[c - 1], c) for c in [1, 3, 5]])
    assert chunks(out) == [(1, False)]
    out = s.feed('{"event":"stop"}')
    assert [(type(e).__name__, getattr(e, "chunk", None), getattr(e, "concealed", None))
            for e in out] == [("Media", 2, True), ("Media", 3, False), ("Media", 4, True),
                              ("Media", 5, False), ("Stop", None, None)]


def test_numbering_jump_resyncs_and_stray_frame_is_dropped():
    s = session(max_jump=100)
    s.feed(start_msg())
    out = feed_all(s, [media_msg(b"\x01" * 160, c) for c in [1, 2, 3, 999999, 4, 5]])
    assert [m.chunk for m in out] == [1, 2, 3, 4, 5]
    assert s.stats["inbound"].too_late == 1 and s.stats["inbound"].lost == 0
    out = feed_all(s, [media_msg(b"\x01" * 160, c) for c in [50000, 50001, 50002]])
    assert [m.chunk for m in out] == [50000, 50001, 50002]
    assert s.stats["inbound"].resync == 1 and s.stats["inbound"].lost == 0


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_reorder_invariants(data):
    n = data.draw(st.integers(1, 40))
    window = data.draw(st.integers(0, 4))
    arrival = []
    for c in range(1, n + 1):
        if data.draw(st.integers(0, 9)) == 0:
            continue                              # lost
        arrival.append(c)
        if data.draw(st.integers(0, 9)) == 0:
            arrival.append(c)                     # duplicated
    # local reordering: swap neighbours a few times
    for _ in range(data.draw(st.integers(0, 6))):
        if len(arrival) > 1:
            i = data.draw(st.integers(0, len(arrival) - 2))
            arrival[i], arrival[i + 1] = arrival[i + 1], arrival[i]
    frames = {c: bytes([c % 256]) * 160 for c in range(1, n + 1)}
    s = session(reorder_window=window, conceal_limit=1000)
    s.feed(start_msg())
    out = feed_all(s, [media_msg(frames[c], c) for c in arrival]) + s.drain()
    stats = s.stats.get("inbound", telnyx.TrackStats())
    if not arrival:
        assert out == []
        return
    got = [m.chunk for m in out]
    assert got == list(range(got[0], got[0] + len(got)))        # contiguous, in order
    # the first frame waits (reorder window) for those numbered before it
    # (issue 22: no lost first frame)
    assert got[0] == min(list(dict.fromkeys(arrival))[:window + 1])
    delivered = [m for m in out if not m.concealed]
    assert len(set(m.chunk for m in delivered)) == len(delivered)
    assert all(m.payload == frames[m.chunk] for m in delivered)
    assert [m.pcm for m in out] == replayed(out)
    concealed = [m for m in out if m.concealed]
    assert stats.concealed == stats.lost == len(concealed)
    assert all(len(m.pcm) == 320 for m in concealed)
    assert stats.received == len(arrival)
    assert stats.received == len(delivered) + stats.duplicate + stats.too_late
    # every chunk that arrived and was not delivered came too late
    missed = set(arrival) - {m.chunk for m in delivered}
    assert len(missed) <= stats.too_late
    if window >= 1 and all(abs(a - b) <= 1 for a, b in zip(arrival, sorted(arrival))):
        assert missed == {c for c in missed if c < arrival[0]}   # only before the first


# ---------------------------------------------------------------- both tracks

def test_both_tracks_independent():
    s = session()
    s.feed(start_msg())
    inbound, outbound = ulaw_frames(4, seed=1), ulaw_frames(4, seed=2)
    msgs = []
    for i in range(4):
        msgs.append(media_msg(inbound[i], i + 1, track="inbound"))
        msgs.append(media_msg(outbound[i], i + 1, track="outbound"))
    msgs[2], msgs[4] = msgs[4], msgs[2]       # inbound 3 before inbound 2
    out = feed_all(s, msgs)
    by_track = {t: [m for m in out if m.track == t] for t in ("inbound", "outbound")}
    assert [m.chunk for m in by_track["inbound"]] == [1, 2, 3, 4]
    assert [m.chunk for m in by_track["outbound"]] == [1, 2, 3, 4]
    assert [m.pcm for m in by_track["inbound"]] == [ulaw_ref(f) for f in inbound]
    assert [m.pcm for m in by_track["outbound"]] == [ulaw_ref(f) for f in outbound]
    assert set(s.stats) == {"inbound", "outbound"}
    assert s.stats["inbound"].late == 1 and s.stats["outbound"].late == 0
    assert s.stats["outbound"].received == 4


def test_too_many_tracks():
    s = session()
    s.feed(start_msg())
    for t in ["inbound", "outbound", "a", "b"]:
        s.feed(media_msg(b"\x00" * 160, 1, track=t))
    with pytest.raises(ProtocolError, match="tracks"):
        s.feed(media_msg(b"\x00" * 160, 1, track="c"))


# ---------------------------------------------------------------- bad input

def test_bad_input_raises_or_counts_and_session_keeps_working():
    s = session(max_message_bytes=2000)
    s.feed(start_msg())
    good = ulaw_frames(6, seed=3)
    assert len(s.feed(media_msg(good[0], 1))) == 1
    for bad, match in [
        ("{not json", "not valid JSON"),
        ("[]", "JSON object"),
        ('{"event":"media"}', "'media' is missing"),
        ('{"event":"media","media":{"chunk":"2"}}', "'media.payload' is missing"),
        ('{"event":"media","media":{"payload":"AAAA"}}', "'media.chunk' is missing"),
        ('{"event":"media","media":{"chunk":"x","payload":"AAAA"}}', "'media.chunk'"),
        ("x" * 2001, "max_message_bytes"),
        (memoryview(b"y" * 2001), "max_message_bytes"),
    ]:
        with pytest.raises(ProtocolError, match=match):
            s.feed(bad)
    assert s.rejected == 8
    # payload problems are counted drops
    not_b64 = media_msg(b"", 2).replace('"payload": ""', '"payload": "@@@@"')
    assert s.feed(not_b64) == []
    assert s.feed(media_msg(b"", 2)) == []          # empty payload
    assert s.stats["inbound"].bad == 2
    out = feed_all(s, [media_msg(good[c - 1], c) for c in (2, 3)])
    assert [m.pcm for m in out] == [ulaw_ref(good[1]), ulaw_ref(good[2])]


def test_codec_rejected_payload_is_concealed_in_place():
    s = session(rate=8000)
    s.feed(start_msg("L16", 8000))
    pcm = np.arange(160, dtype=np.int16)
    out = feed_all(s, [media_msg(pcm.astype(">i2").tobytes(), 1),
                       media_msg(b"\x00" * 161, 2),                  # odd length L16
                       media_msg(pcm.astype(">i2").tobytes(), 3)])
    assert chunks(out) == [(1, False), (2, True), (3, False)]
    reference = sc.Decoder("L16")
    reference.decode(pcm.astype(">i2").tobytes())
    assert out[1].pcm == reference.conceal(160)
    st_ = s.stats["inbound"]
    assert (st_.bad, st_.concealed, st_.lost) == (1, 1, 0)


def test_strict_raises_for_bad_payload():
    s = session(strict=True)
    s.feed(start_msg())
    bad = media_msg(b"", 1).replace('"payload": ""', '"payload": "A"')
    with pytest.raises(telnyx.PayloadError):
        s.feed(bad)
    with pytest.raises(telnyx.PayloadError, match="empty"):
        s.feed(media_msg(b"", 1))
    assert len(s.feed(media_msg(b"\x10" * 160, 1))) == 1


# ---------------------------------------------------------------- playback

def payloads(msgs):
    out = []
    for msg in msgs:
        frame = json.loads(msg)
        assert frame["event"] == "media" and set(frame) == {"event", "media"}
        assert set(frame["media"]) == {"payload"}
        out.append(base64.b64decode(frame["media"]["payload"]))
    return out


def tone(ms, rate=8000, freq=440.0, amp=8000):
    t = np.arange(rate * ms // 1000) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def test_play_frames_by_ptime_and_keeps_remainder():
    s = MediaStream(rate=8000)
    pcm = tone(50)
    msgs = s.play(pcm, 8000)
    assert [len(p) for p in payloads(msgs)] == [160, 160]
    assert s.sent_ms == 40
    rest = s.flush_playback()
    assert [len(p) for p in payloads(rest)] == [160] and s.sent_ms == 60
    audio = b"".join(payloads(msgs + rest))
    decoded = np.frombuffer(audioop.ulaw2lin(audio, 2), np.int16)
    ref = np.concatenate([pcm, np.zeros(80, np.int16)])
    assert np.max(np.abs(decoded.astype(int) - ref)) <= 256   # within mu-law quantisation
    assert np.all(decoded[400:] == 0)                        # padding is silence
    assert s.flush_playback() == []


def test_play_ptime_multiple_and_pcma():
    s = MediaStream(rate=8000, playback_codec="PCMA", playback_ptime=60)
    msgs = s.play(tone(130).tobytes())
    assert [len(p) for p in payloads(msgs)] == [480, 480]
    assert s.sent_ms == 120
    ref = sc.Encoder("PCMA").encode(tone(120))
    assert b"".join(payloads(msgs)) == ref


def test_play_l16_at_playback_rate():
    s = MediaStream(rate=16000, playback_codec="L16", playback_rate=16000)
    pcm = tone(40, rate=16000)
    (a, b) = payloads(s.play(pcm, 16000))
    assert a + b == pcm.astype(">i2").tobytes()


def test_playback_configuration_errors():
    with pytest.raises(ValueError, match="multiple of 20"):
        MediaStream(playback_ptime=30)
    with pytest.raises(ValueError, match="one 20 ms packet"):
        MediaStream(playback_codec="OPUS", playback_rate=16000, playback_ptime=40)
    with pytest.raises(ValueError, match="8000 Hz"):
        MediaStream(playback_codec="PCMU", playback_rate=16000)
    with pytest.raises(ValueError, match="OPUS runs at"):
        MediaStream(playback_codec="OPUS", playback_rate=11025)
    with pytest.raises(ValueError, match="unknown codec"):
        MediaStream(playback_codec="G729")
    with pytest.raises(ValueError, match="whole 16-bit|odd"):
        MediaStream(rate=8000).play(b"\x00\x01\x02")


def test_mark_accounting():
    s = MediaStream(rate=8000)
    assert s.play(tone(100)) and s.sent_ms == 100
    assert s.mark("a") == ['{"event":"mark","mark":{"name":"a"}}']
    msgs = s.play(tone(30))
    assert len(msgs) == 1 and s.sent_ms == 120
    out = s.mark("b")                                  # flushes the 10 ms remainder first
    assert len(payloads(out[:-1])) == 1 and json.loads(out[-1]) == {"event": "mark",
                                                                     "mark": {"name": "b"}}
    assert s.sent_ms == 140 and s.outstanding_marks == ("a", "b")
    (echo,) = s.feed('{"event":"mark","mark":{"name":"a"}}')
    assert (echo.name, echo.played_ms, echo.cleared, echo.outstanding) == ("a", 100, False, 1)
    assert s.played_ms == 100
    s.play(tone(60))
    s.mark("c", flush=False)
    assert s.outstanding_marks == ("b", "c")
    assert s.clear() == ['{"event":"clear"}']
    # Telnyx returns the queued marks after a clear: nothing before them was confirmed
    (b, c) = s.feed('{"event":"mark","mark":{"name":"b"}}') + \
        s.feed('{"event":"mark","mark":{"name":"c"}}')
    assert (b.cleared, b.played_ms, c.cleared, c.played_ms) == (True, None, True, None)
    assert s.played_ms == 100 and s.outstanding_marks == ()
    # after clear the encoder starts afresh: nothing held back
    assert s.flush_playback() == []
    # a new reply: heard = mark position - position when the reply began
    begin = s.sent_ms
    s.play(tone(200))
    s.mark("reply-2")
    (r2,) = s.feed('{"event":"mark","mark":{"name":"reply-2"}}')
    assert r2.played_ms - begin == 200 and not r2.cleared


def test_repeated_mark_names_are_fifo():
    s = MediaStream(rate=8000)
    s.play(tone(20)); s.mark("x")
    s.play(tone(40)); s.mark("x")
    first, second = s.feed('{"event":"mark","mark":{"name":"x"}}')[0], \
        s.feed('{"event":"mark","mark":{"name":"x"}}')[0]
    assert (first.played_ms, second.played_ms) == (20, 60)


# ---------------------------------------------------------------- MP3 mode

class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_mp3_mode_one_message_per_second():
    clock = FakeClock()
    s = MediaStream(mp3=True, clock=clock)
    mp3 = b"ID3\x04" + bytes(6) + (b"\xff\xfb\x90\xc4" + bytes(413)) * 2  # ID3, two MP3 frames
    msg = s.play_mp3(mp3)
    assert base64.b64decode(json.loads(msg)["media"]["payload"]) == mp3
    clock.t += 0.4
    assert s.mp3_wait() == pytest.approx(0.6)
    with pytest.raises(telnyx.MP3RateLimitError) as info:
        s.play_mp3(mp3)
    assert info.value.retry_after == pytest.approx(0.6)
    clock.t += 0.6
    frame_sync = b"\xff\xfb\x90\xc4" + bytes(413)     # one whole 128 kbit/s frame
    assert s.play_mp3(frame_sync)
    with pytest.raises(ValueError, match="not an MP3"):
        clock.t += 5
        s.play_mp3(b"RIFF....WAVE")
    with pytest.raises(ValueError, match="play_mp3"):
        s.play(tone(20))
    with pytest.raises(ValueError, match="MP3-mode"):
        MediaStream(rate=8000).play_mp3(mp3)
    assert s.mark("m") == ['{"event":"mark","mark":{"name":"m"}}']
    assert s.clear() == ['{"event":"clear"}']


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 700), max_size=12), st.sampled_from([20, 40]),
       st.sampled_from(["bytes", "numpy", "bytearray", "memoryview"]))
def test_play_any_split_gives_the_same_messages(sizes, ptime, kind):
    pcm = tone(sum(sizes) * 1000 // 8000 + 1)[:sum(sizes)]
    whole = MediaStream(rate=8000, playback_ptime=ptime)
    expected = whole.play(pcm.tobytes()) + whole.flush_playback()
    split = MediaStream(rate=8000, playback_ptime=ptime)
    got, pos = [], 0
    for size in sizes:
        part = pcm[pos:pos + size]
        pos += size
        arg = {"bytes": part.tobytes(), "numpy": part, "bytearray": bytearray(part.tobytes()),
               "memoryview": memoryview(part.tobytes())}[kind]
        got += split.play(arg)
    got += split.flush_playback()
    assert got == expected
    assert split.sent_ms == whole.sent_ms == len(expected) * ptime
    if expected:
        assert b"".join(payloads(expected))[:len(pcm)] == sc.Encoder("PCMU").encode(pcm)


# ---------------------------------------------------------------- OPUS, AMR-WB

def encoded(codec, rate, frames, **options):
    from streamcodec.signals import speech_like
    enc = sc.Encoder(codec, rate=rate, **options)
    return enc.packetize(speech_like(frames * 0.02, rate=rate, seed=3))[:frames]


@pytest.mark.parametrize("codec, rate", [("OPUS", 16000), ("OPUS", 8000), ("AMR-WB", 16000)])
def test_stateful_codec_decoded_in_chunk_order(codec, rate):
    if not sc.codec_info(codec).available:
        pytest.fail(f"{codec} must be in the build for this test")
    packets = encoded(codec, rate, 8)
    s = session(rate=rate)
    s.feed(start_msg(codec, 48000 if codec == "OPUS" else 16000))
    order = [1, 2, 4, 3, 5, 6, 8, 7]
    out = feed_all(s, [media_msg(packets[c - 1], c) for c in order]) + s.drain()
    reference = sc.Decoder(codec, rate=rate)
    assert [m.chunk for m in out] == list(range(1, 9))
    assert [m.pcm for m in out] == [reference.decode(p) for p in packets]


def test_opus_gap_uses_fec_from_the_next_packet():
    packets = encoded("OPUS", 16000, 6, fec=True, bitrate=24000)
    s = session(rate=16000, reorder_window=0)
    s.feed(start_msg("OPUS", 48000))
    out = feed_all(s, [media_msg(packets[c - 1], c) for c in (1, 2, 4, 5, 6)])
    assert chunks(out) == [(1, False), (2, False), (3, True), (4, False), (5, False),
                           (6, False)]
    reference = sc.Decoder("OPUS", rate=16000)
    expected = [reference.decode(packets[0]), reference.decode(packets[1]),
                reference.recover(packets[3])] + [reference.decode(p) for p in packets[3:]]
    assert [m.pcm for m in out] == expected
    st_ = s.stats["inbound"]
    assert (st_.lost, st_.concealed, st_.recovered) == (1, 1, 1)
    assert np.abs(np.frombuffer(out[2].pcm, np.int16)).max() > 100   # not silence


def test_opus_longer_gap_extrapolates_then_recovers():
    packets = encoded("OPUS", 16000, 6, fec=True, bitrate=24000)
    s = session(rate=16000, reorder_window=0)
    s.feed(start_msg("OPUS", 48000))
    out = feed_all(s, [media_msg(packets[c - 1], c) for c in (1, 4)])
    reference = sc.Decoder("OPUS", rate=16000)
    expected = [reference.decode(packets[0]), reference.conceal(320),
                reference.recover(packets[3]), reference.decode(packets[3])]
    assert [m.pcm for m in out] == expected
    assert s.stats["inbound"].recovered == 1 and s.stats["inbound"].concealed == 2


@pytest.mark.parametrize("codec, playback_rate, ptime", [("OPUS", 16000, 20), ("OPUS", 24000, 20),
                                                         ("AMR-WB", 16000, 40)])
def test_packet_codec_playback(codec, playback_rate, ptime):
    from streamcodec.signals import speech_like
    pcm = speech_like(0.3, rate=playback_rate, seed=4)
    s = MediaStream(rate=16000, playback_codec=codec, playback_rate=playback_rate,
                    playback_ptime=ptime)
    msgs = s.play(pcm[:1000], playback_rate) + s.play(pcm[1000:], playback_rate) + \
        s.flush_playback()
    options = {"codec_rate": playback_rate} if codec == "OPUS" else {}
    reference = sc.Encoder(codec, rate=playback_rate, ptime=ptime, **options)
    assert payloads(msgs) == reference.packetize(pcm) + reference.flush()
    assert s.sent_ms == len(msgs) * ptime == 300 + (-300 % ptime)


def test_large_payload_takes_the_general_path_with_the_same_result():
    big = ulaw_frames(1, size=24000)[0]            # 3 s in one message: past the C buffer
    s = session(max_message_bytes=1 << 20)
    s.feed(start_msg())
    (m,) = s.feed(media_msg(big, 1))
    assert m.pcm == ulaw_ref(big) and m.payload == big
    (m,) = s.feed(media_msg(big[:160], 2))
    assert m.pcm == ulaw_ref(big[:160])


# ---------------------------------------------------------------- resampled playback

def test_play_24k_tts_as_pcmu():
    from streamcodec.signals import speech_like
    pcm = speech_like(0.5, rate=24000, seed=5)
    s = MediaStream()                                   # PCMU at 8 kHz back to Telnyx
    msgs = s.play(pcm[:7000], 24000) + s.play(pcm[7000:], 24000)
    assert len(msgs) == 25 and s.sent_ms == 500
    low = sc.Resampler(24000, 8000).process(pcm)       # same filter, state kept across calls
    assert b"".join(payloads(msgs)) == sc.Encoder("PCMU").encode(low)
    decoded = np.frombuffer(audioop.ulaw2lin(b"".join(payloads(msgs)), 2), np.int16)
    ref = np.frombuffer(low, np.int16).astype(float)
    snr = 10 * np.log10(np.sum(ref ** 2) / np.sum((decoded.astype(float) - ref) ** 2))
    assert snr > 30                                      # mu-law quantisation, nothing worse


def test_play_rate_change_flushes_the_old_rate():
    s = MediaStream()
    first = s.play(tone(30, rate=24000), 24000)         # 20 ms out, 10 ms held at 24 kHz
    assert len(first) == 1
    second = s.play(tone(20, rate=16000), 16000)        # held 10 ms flushed, then 20 ms
    assert len(second) == 2 and s.sent_ms == 60
    with pytest.raises(ValueError, match="11111"):
        s.play(tone(20), 11111)


def test_opus_playback_from_24k():
    from streamcodec.signals import speech_like
    pcm = speech_like(0.2, rate=24000, seed=6)
    s = MediaStream(playback_codec="OPUS", playback_rate=16000)
    msgs = s.play(pcm, 24000)
    ref = sc.Encoder("OPUS", rate=24000, codec_rate=16000)
    assert payloads(msgs) == ref.packetize(pcm)
    assert len(msgs) == 10


# ---------------------------------------------------------------- G722

def test_g722_both_ways_against_the_g722_package():
    import G722  # independent G.722 implementation (PyPI "G722")
    from streamcodec.signals import speech_like
    pcm = speech_like(0.2, rate=16000, seed=8)
    peer = G722.G722(16000, 64000)
    codes = bytes(peer.encode(pcm))
    frames = [codes[i:i + 160] for i in range(0, len(codes), 160)]
    s = session(rate=16000)
    s.feed(start_msg("G722", 8000))         # Telnyx may report G722's 8000 RTP clock
    order = [1, 3, 2] + list(range(4, len(frames) + 1))
    out = feed_all(s, [media_msg(frames[c - 1], c) for c in order])
    reference = G722.G722(16000, 64000)
    expected = np.asarray(reference.decode(codes), np.int16).tobytes()
    assert b"".join(m.pcm for m in out) == expected

    play = MediaStream(playback_codec="G722", playback_rate=16000)
    msgs = play.play(pcm[:1000], 16000) + play.play(pcm[1000:], 16000)
    assert b"".join(payloads(msgs)) == codes


def test_configure_without_start_frame_decodes_media_like_start():
    """MediaStream.configure(): for frameworks that read `start` themselves."""
    payloads = ulaw_frames(3, seed=7)
    bare = MediaStream(rate=8000)
    with pytest.raises(ProtocolError, match="before the start frame"):
        bare.feed(media_msg(payloads[0], 0))
    configured = MediaStream(rate=8000)
    start = configured.configure("pcmu", 8000, stream_id="S")
    assert configured.codec == "PCMU" and start.stream_id == "S"
    reference = session()
    reference.feed(start_msg("PCMU", 8000))
    for i, p in enumerate(payloads):
        got, want = configured.feed(media_msg(p, i)), reference.feed(media_msg(p, i))
        assert [m.pcm for m in got] == [m.pcm for m in want] == [ulaw_ref(p)]
        assert got[0].stream_id == "S"
    with pytest.raises(ProtocolError, match="not a codec"):
        MediaStream().configure("GSM", 8000)
    g722 = MediaStream(rate=16000)
    assert g722.configure("G722").media_format.sample_rate == 16000


# ---------------------------------------------------------------- every rate survives

def _codec_payloads(codec, frames, seed):
    """20 ms payloads of `codec` with some odd sizes where the codec has
    sample units (PCMU/PCMA/G722: 159..161 bytes; L16: an odd length, which
    the codec refuses and the session conceals in place)."""
    from streamcodec.signals import speech_like
    if codec in ("OPUS", "AMR-WB"):
        return encoded(codec, 16000, frames)
    rng = np.random.default_rng(seed)
    sizes = rng.choice([160, 161, 159, 80, 163], frames)
    if codec == "L16":
        pcm = speech_like(frames * 0.02, rate=8000, seed=seed)
        out = [pcm[160 * i:160 * (i + 1)].astype(">i2").tobytes() for i in range(frames)]
        out[3] = out[3][:-1]                                  # odd: refused, concealed
        return out
    return [bytes(rng.integers(0, 256, int(n), dtype=np.uint8)) for n in sizes]


_WIRE_RATE = {"PCMU": 8000, "PCMA": 8000, "G722": 8000, "OPUS": 48000, "AMR-WB": 16000,
              "L16": 8000}


@pytest.mark.parametrize("rate", sc.SUPPORTED_RATES)
@pytest.mark.parametrize("codec", ["PCMU", "PCMA", "G722", "OPUS", "AMR-WB", "L16"])
def test_every_rate_survives_loss_and_odd_payloads(codec, rate):
    """Concealment never raises into feed(): at 11025 Hz a 20 ms frame is
    220 or 221 samples and an odd payload size makes other counts, none of
    which conceal(n) can always make exactly."""
    frames = _codec_payloads(codec, 30, seed=rate)
    s = session(rate=rate, reorder_window=2)
    s.feed(start_msg(codec, _WIRE_RATE[codec]))
    arrival = [c for c in range(1, 31) if c % 7 not in (3, 4)]    # gaps of two
    arrival[5], arrival[6] = arrival[6], arrival[5]
    out = feed_all(s, [media_msg(frames[c - 1], c) for c in arrival])
    out += s.feed('{"event":"stop"}')
    assert isinstance(out[-1], telnyx.Stop)
    media = out[:-1]
    assert [m.chunk for m in media] == list(range(1, 31))
    st_ = s.stats["inbound"]
    assert st_.lost == 30 - len(arrival) == 8
    assert st_.concealed == st_.lost + st_.bad
    # every frame is about 20 ms (odd payloads: a sample or two either way)
    for m in media:
        assert abs(len(m.pcm) // 2 - rate / 50) <= rate / 50 / 2 + 2, (m.chunk, len(m.pcm))
    # and the session keeps taking messages
    assert s.feed('{"event":"dtmf","dtmf":{"digit":"1"}}')[0].digit == "1"


@pytest.mark.parametrize("codec, playback_rate", [("PCMU", 8000), ("G722", 16000),
                                                  ("OPUS", 16000), ("AMR-WB", 16000),
                                                  ("L16", 16000)])
def test_play_at_every_rate(codec, playback_rate):
    """PCM at any supported rate plays, also where 20 ms is not a whole
    number of samples (11025 Hz: 220.5)."""
    from streamcodec.signals import speech_like
    for rate in sc.SUPPORTED_RATES:
        s = MediaStream(rate=16000, playback_codec=codec, playback_rate=playback_rate)
        pcm = speech_like(0.5, rate=rate, seed=1)
        msgs, pos = [], 0
        for size in (333, 1, 4000, rate // 50, 2 * rate // 50 + 7, len(pcm)):
            msgs += s.play(pcm[pos:pos + size], rate)
            pos += size
        msgs += s.flush_playback()
        assert s.sent_ms == 20 * len(msgs)
        assert 500 <= s.sent_ms <= 540, (rate, s.sent_ms)
        wire = payloads(msgs)
        decoder = sc.Decoder(codec, rate=playback_rate, **(
            {"codec_rate": playback_rate} if codec == "L16" else {}))
        decoded = b"".join(decoder.decode(p) for p in wire)
        assert len(decoded) == 2 * playback_rate * s.sent_ms // 1000
        # the audio got through: the signal's level, not silence
        level = np.sqrt(np.mean(np.frombuffer(decoded, np.int16).astype(float) ** 2))
        reference = np.sqrt(np.mean(pcm.astype(float) ** 2))
        assert 0.5 * reference < level < 1.5 * reference, (rate, level, reference)


# ---------------------------------------------------------------- refused input changes nothing

def test_chunk_out_of_range_is_a_protocol_error():
    s = session()
    s.feed(start_msg())
    for chunk in (2 ** 63 - 1, 10 ** 18):
        with pytest.raises(ProtocolError, match="media.chunk"):
            s.feed(media_msg(b"\x00" * 160, chunk, seq=7, ts=140))
    assert s.rejected == 2
    # the largest chunk taken works, and so does the stream after it
    out = feed_all(s, [media_msg(b"\x00" * 160, 10 ** 18 - 2, seq=8, ts=160),
                       media_msg(b"\x00" * 160, 10 ** 18 - 1, seq=9, ts=180)])
    assert [m.chunk for m in out] == [10 ** 18 - 2, 10 ** 18 - 1]
    (stop,) = s.feed('{"event":"stop"}')
    assert isinstance(stop, telnyx.Stop)


def test_refused_second_start_changes_nothing():
    s = session(rate=8000)
    s.feed(start_msg("L16", 8000))
    pcm = np.arange(160, dtype=np.int16)
    (m,) = s.feed(media_msg(pcm.astype(">i2").tobytes(), 1))
    with pytest.raises(ProtocolError, match="11111"):
        s.feed(start_msg("L16", 11111))
    assert s.codec == "L16" and s.start.media_format.sample_rate == 8000
    # a track that begins now still decodes L16 at the 8000 Hz of the start in force
    (m,) = s.feed(media_msg(pcm.astype(">i2").tobytes(), 1, track="outbound"))
    assert np.array_equal(np.frombuffer(m.pcm, np.int16), pcm)


def test_stream_id_read_from_the_message_when_start_had_none():
    s = session()
    s.feed(json.dumps({"event": "start", "start": {"media_format": {"encoding": "PCMU",
                                                                    "sample_rate": 8000}}}))
    frame = {"event": "media", "stream_id": "", "media": {"chunk": "1", "payload": "AAAA"}}
    (m,) = s.feed(json.dumps(frame))
    assert m.stream_id == "" == telnyx.parse(json.dumps(frame)).stream_id
    del frame["stream_id"]
    frame["media"]["chunk"] = "2"
    (m,) = s.feed(json.dumps(frame))
    assert m.stream_id is None


def test_fast_path_protocol_errors_are_counted():
    s = session(strict=True)
    s.feed(start_msg())
    with pytest.raises(telnyx.PayloadError, match="empty"):
        s.feed(media_msg(b"", 1))              # the scanner reads it; Python refuses it
    assert s.rejected == 1
    for t in ("a", "b", "c"):                  # with "inbound": four tracks
        s.feed(media_msg(b"\x00" * 160, 1, track=t))
    with pytest.raises(ProtocolError, match="tracks"):
        s.feed(media_msg(b"\x00" * 160, 1, track="outbound"))
    assert s.rejected == 2


def test_failed_rate_change_keeps_the_held_audio():
    s = MediaStream()
    first = s.play(tone(30, rate=24000), 24000)        # 20 ms out, 10 ms held
    assert len(first) == 1 and s.sent_ms == 20
    with pytest.raises(ValueError, match="11111"):
        s.play(tone(20), 11111)
    with pytest.raises(ValueError, match="odd"):
        s.play(b"\x00" * 3, 16000)
    assert s.sent_ms == 20                               # nothing counted, nothing lost
    rest = s.flush_playback()
    assert len(rest) == 1 and s.sent_ms == 40
    reference = MediaStream()
    expected = reference.play(tone(30, rate=24000), 24000) + reference.flush_playback()
    assert first + rest == expected


# ---------------------------------------------------------------- chunk numbering of both tracks

def both_tracks_msgs(numbering, frames=50, lost=(), swaps=()):
    """Both tracks' media messages as they arrive (inbound then outbound,
    each 20 ms frame), with chunk counting per track or shared by the two
    tracks; `lost` drops (track, frame index) pairs, `swaps` exchanges the
    messages at two arrival positions."""
    data = {t: ulaw_frames(frames, seed=i + 1) for i, t in enumerate(("inbound", "outbound"))}
    msgs, meta = [], []
    for i in range(frames):
        for k, t in enumerate(("inbound", "outbound")):
            chunk = i + 1 if numbering == "per-track" else 2 * i + 1 + k
            if (t, i) in lost:
                continue
            msgs.append(media_msg(data[t][i], chunk, track=t, ts=1000 + 20 * i))
            meta.append((t, i))
    for a, b in swaps:
        msgs[a], msgs[b] = msgs[b], msgs[a]
    return msgs, data


@pytest.mark.parametrize("numbering", ["per-track", "shared"])
def test_both_tracks_either_numbering_gives_every_frame_once(numbering):
    msgs, data = both_tracks_msgs(numbering, swaps=[(10, 12), (41, 43), (70, 71)])
    s = session(rate=8000)
    s.feed(start_msg())
    out = feed_all(s, msgs) + s.drain()
    for t in ("inbound", "outbound"):
        mine = [m for m in out if m.track == t]
        assert len(mine) == 50 and not any(m.concealed for m in mine)
        assert [m.pcm for m in mine] == [ulaw_ref(f) for f in data[t]]
        assert [m.timestamp for m in mine] == [1000 + 20 * i for i in range(50)]
        st_ = s.stats[t]
        assert (st_.received, st_.lost, st_.concealed, st_.too_late) == (50, 0, 0, 0)
        # in-order frames of the learned stride take the C path again
        assert s._tracks[t].stride == (1 if numbering == "per-track" else 2)


@pytest.mark.parametrize("numbering", ["per-track", "shared"])
def test_both_tracks_either_numbering_conceals_a_real_gap(numbering):
    msgs, data = both_tracks_msgs(numbering, lost={("inbound", 10), ("outbound", 20),
                                                   ("outbound", 21)}, swaps=[(30, 32)])
    s = session(rate=8000)
    s.feed(start_msg())
    out = feed_all(s, msgs) + s.drain()
    step = 1 if numbering == "per-track" else 2
    for t, gap in (("inbound", [10]), ("outbound", [20, 21])):
        mine = [m for m in out if m.track == t]
        assert len(mine) == 50
        assert [i for i, m in enumerate(mine) if m.concealed] == gap
        first = mine[0].chunk
        assert [m.chunk for m in mine] == [first + step * i for i in range(50)]
        assert [m.payload for i, m in enumerate(mine) if i not in gap] == \
            [f for i, f in enumerate(data[t]) if i not in gap]
        assert [m.pcm for m in mine] == replayed(mine)
        assert [m.pcm for m in mine[:gap[0]]] == [ulaw_ref(f) for f in data[t][:gap[0]]]
        assert (s.stats[t].lost, s.stats[t].concealed) == (len(gap), len(gap))


@pytest.mark.parametrize("slow", [False, True])
def test_texml_track_names_are_the_two_tracks(slow):
    s = session()
    s.feed(start_msg())
    frames = ulaw_frames(2)
    msgs = [media_msg(frames[0], 1, track="inbound_track"),
            media_msg(frames[1], 1, track="outbound_track")]
    if slow:   # an escaped field: the json.loads path
        msgs = [m[:-1] + ',"x":"\\u0041"}' for m in msgs]
    out = feed_all(s, msgs)
    assert [m.track for m in out] == ["inbound", "outbound"]
    assert set(s.stats) == {"inbound", "outbound"}


def test_error_frames_reach_the_app():
    s = session()
    s.feed(start_msg())
    (bare,) = s.feed('{"event":"error"}')
    assert isinstance(bare, telnyx.Error) and bare.raw == {"event": "error"}
    (other,) = s.feed('{"event":"error","error":{"code":"42","detail":"d"}}')
    assert (other.code, other.detail) == (42, "d")
    assert s.rejected == 0


def test_l16_byteorder_choice_is_checked():
    assert MediaStream().l16_byteorder == "big"
    with pytest.raises(ValueError, match="l16_byteorder"):
        MediaStream(l16_byteorder="middle")
