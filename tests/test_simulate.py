"""The call simulator against scripted servers written here with plain
``websockets`` (not streamcodec.server), so what it sends and how it plays
back are checked on their own: frame shapes as the telnyx parser reads them,
sequence and chunk numbering, tracks, impairments, dtmf, the auth token,
decoding of played-back audio, mark echoes after the audio before them has
"played", and clear."""

from __future__ import annotations

import asyncio
import base64
import json
import time

import numpy as np
import pytest

import streamcodec as sc
from streamcodec import telnyx
from streamcodec.signals import speech_like
from streamcodec.simulate import (
    connected_frame,
    dtmf_frame,
    mark_frame,
    media_frame,
    simulate_call,
    start_frame,
    stop_frame,
    wire_rate,
)
from streamcodec.telnyx import clear_message, mark_message, media_message

import g711_reference as g711
from streamtest import run


class Recorder:
    """A scripted Telnyx-facing server: records every frame; ``script(ws)``
    runs once the start frame has arrived."""

    def __init__(self, script=None):
        self.frames: list[dict] = []
        self.times: list[float] = []
        self.headers = {}
        self.script = script
        self.server = None
        self.port = None

    async def handler(self, ws):
        self.headers = dict(ws.request.headers)
        task = None
        async for message in ws:
            self.frames.append(json.loads(message))
            self.times.append(time.monotonic())
            if self.frames[-1]["event"] == "start" and self.script is not None:
                task = asyncio.create_task(self.script(ws))
            if self.frames[-1]["event"] == "stop":
                break
        if task is not None:
            await task
        await ws.close()

    async def __aenter__(self):
        from websockets.asyncio.server import serve
        self.server = await serve(self.handler, "127.0.0.1", 0, compression=None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc):
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}"

    def events(self, kind):
        return [f for f in self.frames if f["event"] == kind]


def test_frames_are_what_the_telnyx_parser_reads():
    c = telnyx.parse(connected_frame("tok"))
    assert isinstance(c, telnyx.Connected) and c.version == "1.0.0"
    assert c.raw["x-telnyx-streaming-auth-token"] == "tok"
    s = telnyx.parse(start_frame("S1", 1, "G722", 16000, call_control_id="v3:x",
                                 custom_parameters={"customer_id": "12345"}, tags=["a"]))
    assert isinstance(s, telnyx.Start)
    assert (s.stream_id, s.sequence_number, s.call_control_id) == ("S1", 1, "v3:x")
    assert s.media_format == telnyx.MediaFormat("G722", 16000, 1)
    assert s.custom_parameters == {"customer_id": "12345"} and s.tags == ("a",)
    m = telnyx.parse(media_frame("S1", 7, "outbound", 5, 80, b"\x01\x02\xff"))
    assert isinstance(m, telnyx.Media)
    assert (m.track, m.chunk, m.timestamp, m.payload, m.sequence_number) == \
        ("outbound", 5, 80, b"\x01\x02\xff", 7)
    # Numbers travel as strings of digits, as Telnyx sends them.
    raw = json.loads(media_frame("S1", 7, "inbound", 5, 80, b"\x00"))
    assert raw["sequence_number"] == "7" and raw["media"]["chunk"] == "5"
    d = telnyx.parse(dtmf_frame("S1", 8, "#"))
    assert isinstance(d, telnyx.Dtmf) and d.digit == "#"
    k = telnyx.parse(mark_frame("S1", 9, "greeting"))
    assert isinstance(k, telnyx.Mark) and k.name == "greeting"
    e = telnyx.parse(stop_frame("S1", 10, "v3:x"))
    assert isinstance(e, telnyx.Stop) and e.call_control_id == "v3:x"


def test_call_sends_connected_start_media_dtmf_stop_in_order():
    pcm = speech_like(1.0, 8000, seed=4)

    async def main():
        async with Recorder() as rec:
            result = await simulate_call(rec.url, pcm, 8000, codec="PCMU", dtmf="12",
                                         auth_token="tok", stream_id="sid",
                                         custom_parameters={"customer_id": "c1"},
                                         linger_idle=0.05)
            return rec, result

    rec, result = run(main())
    kinds = [f["event"] for f in rec.frames]
    assert kinds[0] == "connected" and kinds[1] == "start" and kinds[-1] == "stop"
    assert rec.frames[0]["x-telnyx-streaming-auth-token"] == "tok"
    assert rec.headers["x-telnyx-streaming-auth-token"] == "tok"
    start = rec.frames[1]["start"]
    assert start["media_format"] == {"encoding": "PCMU", "sample_rate": 8000, "channels": 1}
    assert start["custom_parameters"] == {"customer_id": "c1"}
    seqs = [int(f["sequence_number"]) for f in rec.frames[1:]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert all(f.get("stream_id") == "sid" for f in rec.frames[1:])
    media = rec.events("media")
    assert [int(f["media"]["chunk"]) for f in media] == list(range(1, 51))
    assert [int(f["media"]["timestamp"]) for f in media] == [20 * k for k in range(50)]
    assert {f["media"]["track"] for f in media} == {"inbound"}
    payload = b"".join(base64.b64decode(f["media"]["payload"]) for f in media)
    assert payload == bytes(g711.ulaw_encode(int(x)) for x in pcm)
    assert [f["dtmf"]["digit"] for f in rec.events("dtmf")] == ["1", "2"]
    # Digits spread through the call: each between media frames, in order.
    positions = [kinds.index("dtmf"), len(kinds) - 1 - kinds[::-1].index("dtmf")]
    assert kinds[2] == "media" and all(p < kinds.index("stop") for p in positions)
    assert result.frames == 50 and result.sent == 50 and result.dtmf_sent == 2


def test_token_only_in_the_header_or_only_in_connected():
    async def main(where):
        async with Recorder() as rec:
            await simulate_call(rec.url, codec="PCMU", seconds=0.1, auth_token="t",
                                token_in=where, linger_idle=0.01)
            return rec

    header = run(main("header"))
    assert header.headers.get("x-telnyx-streaming-auth-token") == "t"
    assert "x-telnyx-streaming-auth-token" not in header.frames[0]
    connected = run(main("connected"))
    assert "x-telnyx-streaming-auth-token" not in connected.headers
    assert connected.frames[0]["x-telnyx-streaming-auth-token"] == "t"


def test_both_tracks_are_numbered_separately():
    a, b = speech_like(0.4, 16000, seed=1), speech_like(0.4, 16000, seed=2)

    async def main():
        async with Recorder() as rec:
            await simulate_call(rec.url, a, 16000, codec="L16", codec_rate=16000,
                                track="both_tracks", outbound_pcm=b, linger_idle=0.01)
            return rec

    rec = run(main())
    for track, pcm in (("inbound", a), ("outbound", b)):
        frames = [f["media"] for f in rec.events("media") if f["media"]["track"] == track]
        assert [int(f["chunk"]) for f in frames] == list(range(1, 21))
        payload = b"".join(base64.b64decode(f["payload"]) for f in frames)
        assert payload == pcm.astype(">i2").tobytes()     # L16 is big-endian on the wire


def test_loss_duplicates_and_reordering_on_the_wire():
    async def main():
        async with Recorder() as rec:
            result = await simulate_call(rec.url, codec="PCMA", seconds=4.0, loss=0.1,
                                         duplicate=0.1, reorder=0.1, seed=3, linger_idle=0.01)
            return rec, result

    rec, result = run(main())
    chunks = [int(f["media"]["chunk"]) for f in rec.events("media")]
    assert result.lost > 0 and result.duplicated > 0 and result.reordered > 0
    assert len(chunks) == result.sent == 200 - result.lost + result.duplicated
    assert sorted(set(range(1, 201)) - set(chunks)) == sorted(result.lost_chunks)
    assert len(chunks) - len(set(chunks)) == result.duplicated
    inversions = sum(1 for i in range(1, len(chunks)) if chunks[i] < chunks[i - 1])
    assert inversions == result.reordered
    seqs = [int(f["sequence_number"]) for f in rec.frames[1:]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)


def test_playback_is_decoded_in_the_bidirectional_codec():
    out = speech_like(0.5, 16000, seed=8)
    encoder = sc.Encoder("L16", rate=16000, codec_rate=16000)
    payloads = encoder.packetize(out)

    async def script(ws):
        await ws.send('{"event":"media","media":{"payload":"%%%"}}')   # unreadable: counted
        for p in payloads:
            await ws.send(media_message(p))

    async def main():
        async with Recorder(script) as rec:
            return await simulate_call(rec.url, codec="PCMU", seconds=0.6, playback_codec="L16",
                                       playback_rate=16000, expect_media=25, linger_max=20)

    result = run(main())
    assert result.received_media == 25 and result.bad_frames == 1
    np.testing.assert_array_equal(result.heard, out)
    assert result.heard_rate == 16000


def test_marks_echo_after_the_audio_before_them_has_played_in_real_time():
    one_second = [bytes([0xFF]) * 160] * 50         # PCMU silence, 50 x 20 ms

    async def script(ws):
        await ws.send(mark_message("nothing-queued"))
        for p in one_second:
            await ws.send(media_message(p))
        await ws.send(mark_message("after-1s"))
        script.sent_at = time.monotonic()

    async def main():
        async with Recorder(script) as rec:
            result = await simulate_call(rec.url, codec="PCMU", seconds=2.0, realtime=True,
                                         linger_idle=0.2)
            return rec, result

    rec, result = run(main())
    marks = rec.events("mark")
    assert [m["mark"]["name"] for m in marks] == ["nothing-queued", "after-1s"]
    echo_time = rec.times[rec.frames.index(marks[1])]
    # A lower bound only: the second of audio had to play out first.
    assert echo_time - script.sent_at >= 0.9
    assert result.marks == ["nothing-queued", "after-1s"]


def test_marks_echo_at_once_as_fast_as_possible():
    async def script(ws):
        await ws.send(media_message(bytes([0xFF]) * 160))
        await ws.send(mark_message("m1"))

    async def main():
        async with Recorder(script) as rec:
            return rec, await simulate_call(rec.url, codec="PCMU", seconds=0.2,
                                            expect_marks=1, linger_max=20)

    rec, result = run(main())
    assert [m["mark"]["name"] for m in rec.events("mark")] == ["m1"]
    assert rec.events("mark")[0]["stream_id"] == result.stream_id


def test_clear_drops_unplayed_audio_and_returns_queued_marks():
    five_seconds = [bytes([0x80]) * 160] * 250      # loud PCMU, 5 s

    async def script(ws):
        for p in five_seconds:
            await ws.send(media_message(p))
        await ws.send(mark_message("end-of-speech"))
        await asyncio.sleep(0.3)
        await ws.send(clear_message())

    async def main():
        async with Recorder(script) as rec:
            return rec, await simulate_call(rec.url, codec="PCMU", seconds=1.0, realtime=True,
                                            linger_idle=0.3)

    rec, result = run(main())
    assert result.clears == 1
    assert [m["mark"]["name"] for m in rec.events("mark")] == ["end-of-speech"]
    assert 0 < result.heard_seconds < 5.0             # cut where playback had got to
    assert result.received_media == 250


def test_bad_arguments():
    with pytest.raises(ValueError, match="track"):
        run(simulate_call("ws://127.0.0.1:9", track="left"))
    with pytest.raises(ValueError, match="probability"):
        run(simulate_call("ws://127.0.0.1:9", loss=2))
    with pytest.raises(ValueError, match="dtmf"):
        run(simulate_call("ws://127.0.0.1:9", dtmf="x"))
    with pytest.raises(ValueError, match="rate of pcm"):
        run(simulate_call("ws://127.0.0.1:9", pcm=np.zeros(160, np.int16)))
    with pytest.raises(ValueError, match="unknown codec"):
        run(simulate_call("ws://127.0.0.1:9", codec="GSM"))


def test_wire_rates():
    assert wire_rate("PCMU") == 8000 and wire_rate("pcma", 24000) == 8000
    assert wire_rate("G722") == 16000 and wire_rate("AMR-WB", 8000) == 16000
    assert wire_rate("L16", 24000) == 24000 and wire_rate("OPUS") == 16000


# --------------------------------------------------------------------------
# Many calls at once: encoding must not hold the event loop
# --------------------------------------------------------------------------


class _CountingEncoder(sc.Encoder):
    """An Encoder that counts the payloads it has made, in ``made``."""

    made: list = []

    def encode(self, pcm):
        _CountingEncoder.made.append(1)
        return super().encode(pcm)


def test_payloads_are_encoded_as_they_are_sent(monkeypatch):
    # Encoding a whole call before connecting held the event loop ~70 ms per
    # 10 s OPUS call: 200 concurrent calls then timed out in their handshakes.
    # Counted when the server reads each frame of a paced 1 s call (50 frames).
    import streamcodec.simulate._call as engine
    monkeypatch.setattr(engine, "Encoder", _CountingEncoder)
    monkeypatch.setattr(_CountingEncoder, "made", [])
    made_at: dict[str, int] = {}

    class Watching(Recorder):
        async def handler(self, ws):
            self.headers = dict(ws.request.headers)
            async for message in ws:
                frame = json.loads(message)
                self.frames.append(frame)
                made_at.setdefault(frame["event"], len(_CountingEncoder.made))
                if frame["event"] == "stop":
                    break
            await ws.close()

    async def main():
        async with Watching() as rec:
            return await simulate_call(rec.url, codec="OPUS", seconds=1.0, realtime=True,
                                       linger_idle=0.01)

    result = run(main())
    assert result.frames == 50 and result.sent == 50
    assert made_at["start"] <= 2, made_at          # was 50: the whole call up front
    assert made_at["stop"] == 50


def test_fifty_concurrent_opus_calls_all_complete():
    # The bounded form of 200 concurrent OPUS calls (figure in the report):
    # every call gets through its handshake and hears all of its echo.
    from streamcodec.server import EchoApp, StreamServer

    async def main():
        async with StreamServer(EchoApp(), rate=16000, playback_codec="PCMU",
                                playback_rate=8000) as server:
            calls = [simulate_call(server.url, codec="OPUS", seconds=2.0, seed=i,
                                   linger_idle=0.2, timeout=60) for i in range(50)]
            return await asyncio.gather(*calls)

    results = run(main(), timeout=120)
    assert [r.close_code for r in results] == [1000] * 50
    assert all(r.frames == 100 and r.sent == 100 for r in results)
    assert all(r.received_media >= 100 and r.bad_frames == 0 for r in results)


# --------------------------------------------------------------------------
# Played-back audio in another codec than the caller was told
# --------------------------------------------------------------------------


def _played(codec, seconds=2.0, seed=5):
    rate = 16000 if codec in ("G722", "L16", "OPUS", "AMR-WB") else 8000
    encoder = sc.Encoder(codec, rate=rate)
    return encoder.packetize(speech_like(seconds, rate, seed=seed)) + encoder.flush()


def _hear(payloads, told, told_rate=None):
    async def script(ws):
        for p in payloads:
            await ws.send(media_message(p))

    async def main():
        async with Recorder(script) as rec:
            return await simulate_call(rec.url, codec="PCMU", seconds=0.4, playback_codec=told,
                                       playback_rate=told_rate, expect_media=len(payloads),
                                       linger_max=20)

    return run(main())


@pytest.mark.parametrize("sent,told", [(a, b) for a in ("PCMU", "PCMA", "G722")
                                       for b in ("PCMU", "PCMA", "G722")])
def test_g711_and_g722_playback_is_judged_by_content(sent, told):
    # All three make 160-byte payloads and decode any bytes: without a check
    # the caller heard noise and the call "succeeded".
    result = _hear(_played(sent), told)
    assert result.received_media == 100 and result.misfit_sizes == 0
    if sent == told:
        assert result.playback_mismatch is None
    else:
        assert result.playback_mismatch.startswith(f"the payloads do not fit {told}:")


def test_playback_of_the_wrong_size_or_undecodable_is_refused():
    result = _hear(_played("PCMU"), "L16", 16000)           # 160 B against 640 B frames
    assert result.misfit_sizes == 100
    assert "100 of 100 payloads are not whole 20 ms L16 frames of 640 bytes (sizes 160)" \
        in result.playback_mismatch
    result = _hear(_played("G722"), "AMR-WB")
    assert result.undecodable > 0 and result.bad_frames >= result.undecodable
    assert "could not be decoded as AMR-WB" in result.playback_mismatch
    result = _hear(_played("OPUS"), "OPUS", 16000)
    assert result.playback_mismatch is None and result.undecodable == 0


def test_playback_check_raises_no_false_alarm():
    from streamcodec.signals import tone
    from streamcodec.simulate import playback_misfit
    rng = np.random.default_rng(0)
    for codec, rate in (("PCMU", 8000), ("PCMA", 8000), ("G722", 16000)):
        for audio in (speech_like(2.0, rate, seed=1), speech_like(2.0, rate, 2, level_dbfs=-35),
                      tone(440, 1.0, rate, -20), tone(3000, 1.0, rate, -3),
                      (rng.standard_normal(rate) * 300).astype(np.int16),
                      np.clip(rng.standard_normal(rate) * 12000, -32768, 32767).astype(np.int16),
                      np.zeros(rate, np.int16)):
            payloads = sc.Encoder(codec).packetize(audio)
            assert playback_misfit(payloads, codec) is None, (codec, audio[:4])


@pytest.mark.parametrize("track,sent", [("inbound", {"inbound"}), ("inbound_track", {"inbound"}),
                                        ("outbound", {"outbound"}),
                                        ("outbound_track", {"outbound"}),
                                        ("both_tracks", {"inbound", "outbound"})])
def test_track_spellings_of_texml_are_accepted(track, sent):
    pcm = speech_like(0.2, 8000, seed=6)

    async def main():
        async with Recorder() as rec:
            result = await simulate_call(rec.url, pcm, 8000, track=track, loss=0.3, seed=2,
                                         linger_idle=0.01)
            return rec, result

    rec, result = run(main())
    media = [f["media"] for f in rec.events("media")]
    assert {m["track"] for m in media} == sent
    first = "outbound" if sent == {"outbound"} else "inbound"
    chunks = {int(m["chunk"]) for m in media if m["track"] == first}
    assert sorted(set(range(1, 11)) - chunks) == result.lost_chunks and result.frames == 10
    mine = b"".join(base64.b64decode(m["payload"]) for m in media if m["track"] == first)
    expected = bytes(g711.ulaw_encode(int(x)) for x in pcm)
    assert mine == b"".join(expected[160 * (c - 1):160 * c] for c in sorted(chunks))
