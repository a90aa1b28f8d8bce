"""The server speaks every carrier: ``carrier="auto"`` tells each from its
first messages, the same application (play, mark, dtmf, events in order)
runs unchanged on every transport, replies go out in the carrier's
dialect, and verifiers refuse an unproven upgrade with 1008 and one log
line.  Each carrier's messages are those of its session tests (written
from the carrier's documentation)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from typing import Any, Optional

import pytest

import test_exotel_session as exo
import test_plivo_session as plv
import test_signalwire_session as sw
import test_twilio_session as twl
from streamcodec import stream
from streamtest import run
from test_transports import TRANSPORTS, _connect, serving  # noqa: F401  (kind fixture below)


@pytest.fixture(params=TRANSPORTS)
def kind(request):
    if request.param == "picows":
        pytest.importorskip("picows", reason="extra 'fast' not installed")
    return request.param


def _vonage_mark(message: Any) -> Optional[str]:
    if isinstance(message, str):
        frame = json.loads(message)
        if frame.get("action") == "notify":
            return frame["payload"]["name"]
    return None


def _json_mark(event: str, *path: str):
    def read(message: Any) -> Optional[str]:
        frame = json.loads(message)
        if frame.get("event") != event:
            return None
        for key in path:
            frame = frame[key]
        return frame
    return read


def _payload(event: str):
    def read(message: Any) -> Optional[bytes]:
        if not isinstance(message, str):
            return None
        frame = json.loads(message)
        return base64.b64decode(frame["media"]["payload"]) if frame.get("event") == event \
            else None
    return read


#: carrier -> (start, media(chunk, payload, seq), ack(name), stop or None, frame bytes
#: at the wire rate, the server's mark name in a message, the audio in a message,
#: what every outbound text message must hold)
CARRIERS = {
    "twilio": (twl.start_msg(), twl.media_msg, twl.mark_echo, twl.WIRE.stop, b"\xff" * 160,
               _json_mark("mark", "mark", "name"), _payload("media"), {"streamSid": twl.SID}),
    "signalwire": (sw.start_msg("L16", 16000), sw.media_msg, sw.WIRE.mark_echo, None,
                   bytes(640), _json_mark("mark", "mark", "name"), _payload("media"),
                   {"streamSid": sw.SID}),
    "plivo": (plv.start_msg("L16", 16000), plv.media_msg, plv.played, None, bytes(640),
              _json_mark("checkpoint", "name"), _payload("playAudio"), {}),
    "exotel": (exo.start_msg("L16", 8000), exo.media_msg, exo.mark_echo, exo.WIRE.stop,
               bytes(320), _json_mark("mark", "mark", "name"), _payload("media"),
               {"stream_sid": exo.SID}),
    "vonage": (json.dumps({"event": "websocket:connected",
                           "content-type": "audio/l16;rate=16000"}),
               lambda chunk, payload, seq: payload,
               lambda name: json.dumps({"event": "websocket:notify",
                                        "payload": {"name": name}}),
               None, bytes(640), _vonage_mark,
               lambda m: m if isinstance(m, bytes) else None, {}),
}


async def _app_events(call, seen: list) -> None:
    """The application every carrier runs: echo each frame, one mark after
    the third, note the events."""
    async for event in call:
        if isinstance(event, stream.Media):
            seen.append(("media", event.chunk))
            await call.play(event.pcm, call.rate)
            if event.chunk == 3:
                await call.mark("third")
        elif isinstance(event, stream.Mark):
            seen.append(("mark", event.name, event.played_ms is not None))
        elif isinstance(event, stream.Dtmf):
            seen.append(("dtmf", event.digit))
        else:
            seen.append((type(event).__name__,))


async def _call(url: str, carrier: str) -> tuple[list, list]:
    start, media, ack, stop, frame, mark_of, audio_of, must = CARRIERS[carrier]
    sent_audio, marks = [], []
    async with _connect(url) as ws:
        await ws.send(start)
        for seq, chunk in enumerate([2, 1, 3, 4, 5, 6], start=2):   # the first two swapped
            await ws.send(media(chunk, frame, seq))
        deadline = asyncio.get_running_loop().time() + 10
        while not marks and asyncio.get_running_loop().time() < deadline:
            message = await asyncio.wait_for(ws.recv(), 10)
            for key, value in must.items():
                assert json.loads(message)[key] == value
            name = mark_of(message)
            if name is not None:
                marks.append(name)
                await ws.send(ack(name))
            data = audio_of(message)
            if data is not None:
                sent_audio.append(data)
        await asyncio.sleep(0.2)
        if stop is not None:
            await ws.send(stop)
    return sent_audio, marks


@pytest.mark.parametrize("carrier", list(CARRIERS))
def test_auto_serves_every_carrier(kind, carrier):
    seen: list = []

    async def main():
        async with serving(kind, lambda call: _app_events(call, seen), rate=16000,
                           idle_timeout=5) as (server, url):
            audio, marks = await _call(url, carrier)
            for _ in range(100):
                if server.finished:
                    break
                await asyncio.sleep(0.05)
            return audio, marks, server.finished[-1]

    audio, marks, stats = run(main(), 60)
    assert stats.carrier == carrier
    assert [s[1] for s in seen if s[0] == "media"] == [1, 2, 3, 4, 5, 6]
    assert ("mark", "third", True) in seen and marks == ["third"]
    assert stats.media_in == 6 and stats.marks_echoed == 1 and stats.rejected == 0
    assert audio and all(len(a) == len(audio[0]) for a in audio[:-1])
    if carrier == "vonage":
        assert all(len(a) == 640 for a in audio)          # exact 20 ms binary frames
    if carrier == "exotel":
        assert all(len(a) >= 3200 and len(a) % 320 == 0 for a in audio)


class _Verifier:
    """Accepts the upgrade when header x-test-key is exactly once "good"."""

    def check(self, url: str, headers) -> Optional[str]:
        assert url.startswith("wss://voice.example/") and url.endswith("/call?x=1")
        values = [v for k, v in headers if k.lower() == "x-test-key"]
        if len(values) > 1:
            return "x-test-key given twice"
        return None if values == ["good"] else "bad or missing x-test-key"


@pytest.mark.parametrize("headers,accepted", [([("x-test-key", "good")], True),
                                              ([("x-test-key", "bad")], False),
                                              ([], False),
                                              ([("x-test-key", "good"), ("x-test-key", "good")],
                                               False)])
def test_verifiers_refuse_with_1008_and_one_line(kind, headers, accepted, caplog):
    seen: list = []

    async def main():
        async with serving(kind, lambda call: _app_events(call, seen), rate=16000,
                           verifiers=[_Verifier()], public_url="wss://voice.example/",
                           idle_timeout=5) as (server, url):
            from websockets.exceptions import ConnectionClosed
            async with _connect(url + "/call?x=1", additional_headers=headers) as ws:
                await ws.send(twl.start_msg())
                await ws.send(twl.media_msg(1, b"\xff" * 160, 2))
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), 3)
                except (ConnectionClosed, asyncio.TimeoutError):
                    pass
                return ws.close_code

    with caplog.at_level(logging.WARNING, logger="streamcodec.server"):
        code = run(main(), 30)
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    if accepted:
        assert code != 1008 and not refusals and ("media", 1) in seen
    else:
        assert code == 1008 and len(refusals) == 1 and "x-test-key" in refusals[0]
        assert not any(s[0] == "media" for s in seen)


def test_detect_tells_each_carrier_from_its_first_messages():
    from streamcodec.server.carriers import detect
    assert detect(json.loads(twl.start_msg())) == "twilio"
    assert detect(json.loads(sw.start_msg("L16", 16000))) == "signalwire"
    assert detect(json.loads(plv.start_msg())) == "plivo"
    assert detect(json.loads(exo.start_msg())) == "exotel"
    assert detect({"event": "websocket:connected", "content-type": "audio/l16;rate=8000"}) == \
        "vonage"
    assert detect({"event": "start", "stream_id": "s", "start": {"media_format": {}}}) == "telnyx"
    # a μ-law stream: SignalWire's UUID stream ids tell it from Twilio's MZ + 32 hex digits
    assert detect(json.loads(sw.start_msg())) == "signalwire"
    assert detect(json.loads(sw.media_msg(1, b"\xff" * 160, 2))) == "signalwire"
    for connected in ({"event": "connected", "protocol": "Call", "version": "1.0.0"},
                      {"event": "connected"}, {"event": "connected", "version": "1.0.0"}):
        assert detect(connected) is None          # the start tells


# --------------------------------------------------------------------------
# The simulator's carriers (written from the carriers' documentation,
# independently of the server's dialects) against the server
# --------------------------------------------------------------------------

def _offers():
    from streamcodec.simulate import CARRIERS as SIMULATED
    return [(name, codec, rate) for name, kind in SIMULATED.items() if name != "telnyx"
            for codec, rates in kind.offers.items() for rate in rates]


#: Stream ids shaped as each carrier's pages show them (auto-detection reads them).
_STREAM_IDS = {"twilio": "MZ" + "0f" * 16, "signalwire": "7d56cc11-536d-4a45-b4fb-ed3d55be843b"}


@pytest.mark.parametrize("carrier,codec,rate", _offers())
def test_simulated_carrier_through_the_server(carrier, codec, rate):
    import numpy as np

    from streamcodec.server.apps import EchoApp
    from streamcodec.signals import speech_like
    from streamcodec.simulate import simulate_call
    from test_simulate_carriers import local_roundtrip

    pcm = speech_like(1.0, rate, seed=3)
    app = EchoApp(record=True)

    async def main():
        async with serving("websockets", app, rate=rate) as (server, url):
            result = await simulate_call(url, pcm, rate, carrier=carrier, codec=codec,
                                         codec_rate=rate, custom_parameters={"k": "v"},
                                         expect_marks=1, linger_max=10,
                                         stream_id=_STREAM_IDS.get(carrier, "S9"))
            for _ in range(100):
                if server.finished:
                    break
                await asyncio.sleep(0.05)
            return result, server.finished[-1]

    r, stats = run(main(), 60)
    assert not r.errors and r.bad_frames == 0, r.errors
    assert stats.carrier == carrier     # SignalWire's μ-law too, by its UUID stream id
    assert stats.rejected == 0 and stats.codec == codec
    assert stats.media_in == r.frames and r.playback_mismatch is None
    expected = local_roundtrip(pcm, codec, rate)
    if codec == "G722":     # decoded and encoded again by the server: lossy twice
        n = len(pcm) - 128
        corr = max(np.corrcoef(r.heard[lag:lag + n].astype(float), pcm[:n].astype(float))[0, 1]
                   for lag in range(128))
        assert corr > 0.95, corr
    else:                   # G.711 codes and L16 come back unchanged
        np.testing.assert_array_equal(r.heard[:len(expected)], expected)
    if codec == "L16":      # the server read the simulator's byte order as it meant it
        (heard,) = app.recordings.values()
        np.testing.assert_array_equal(np.frombuffer(heard, np.int16)[:len(pcm)], pcm)
    assert r.marks_echoed >= 1 and stats.marks_echoed >= 1


@pytest.mark.parametrize("carrier", ["twilio", "signalwire", "plivo", "exotel", "vonage"])
def test_simulated_carrier_with_loss_and_reordering_on_every_transport(kind, carrier):
    """The simulator's carrier loses, duplicates and swaps frames (not
    Vonage: TCP keeps its order); the server's counters match what the
    caller did, and every frame's place is filled in order."""
    from streamcodec.server import echo_app
    from streamcodec.simulate import simulate_call

    impaired = carrier != "vonage"

    async def main():
        async with serving(kind, echo_app, rate=16000) as (server, url):
            # Exotel's messages are 100 ms: more seconds for as many frames
            r = await simulate_call(url, carrier=carrier, seed=7,
                                    seconds=8.0 if carrier == "exotel" else 2.0,
                                    loss=0.1 if impaired else 0.0,
                                    duplicate=0.1 if impaired else 0.0,
                                    reorder=0.1 if impaired else 0.0, linger_idle=0.1)
            for _ in range(100):
                if server.finished:
                    break
                await asyncio.sleep(0.05)
            return r, server.finished[-1]

    r, stats = run(main(), 60)
    assert not r.errors and stats.rejected == 0, r.errors
    track = stats.tracks["inbound"]
    assert track.received == r.sent and track.duplicate == r.duplicated
    if impaired:
        assert r.lost > 0 and r.duplicated > 0 and r.reordered > 0
        # every chunk but trailing losses gets its place: delivered or concealed
        assert track.lost + track.concealed > 0 and track.late + track.too_late > 0
    assert stats.media_in >= r.frames - r.lost
