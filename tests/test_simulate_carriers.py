"""The simulator's carriers: their messages against the carriers' documented
examples, their numbering and pacing, their acknowledgements of marks,
checkpoints and notifies, their answer to clear, and the rules they hold
the server's messages to; whole calls through echo servers written from
the docs (carrier_fakes.py) for every codec and rate each carrier offers.

Sources are quoted at each example (CARRIERS.md has the addresses)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import numpy as np
import pytest

import streamcodec as sc
from streamcodec.signals import speech_like
from streamcodec.simulate import CARRIERS, RuleBroken, simulate_call
from streamcodec.simulate.exotel import ExotelCaller
from streamcodec.simulate.plivo import PlivoCaller
from streamcodec.simulate.signalwire import SignalWireCaller
from streamcodec.simulate.twilio import TwilioCaller, twilio_signature
from streamcodec.simulate.vonage import VonageCaller

from carrier_fakes import FakeCarrierServer
from streamtest import run

#: (carrier, codec, rate): every codec and rate each carrier offers.
OFFERS = [(name, codec, rate) for name, kind in CARRIERS.items() if name != "telnyx"
          for codec, rates in kind.offers.items() for rate in rates]


def shape(value):
    """The structure of a JSON value: keys and value types, not values."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


def caller(kind, codec, rate, **kw):
    return kind(codec, rate, stream_id=kw.pop("stream_id", "S1"), **kw)


# --------------------------------------------------------------------------
# Messages against the documented examples
# --------------------------------------------------------------------------

# Twilio, "Media Streams - WebSocket Messages" (twilio.com/docs/voice/media-streams/
# websocket-messages): "An example connected message is shown below."
TWILIO_CONNECTED = {"event": "connected", "protocol": "Call", "version": "1.0.0"}
# Same page, field tables of start ("sequenceNumber ... The first message has a
# value of 1"), media, dtmf (bidirectional only, "track":"inbound_track"),
# mark and stop; values here are placeholders of the documented types.
TWILIO_START = {"event": "start", "sequenceNumber": "1",
                "start": {"accountSid": "AC", "streamSid": "MZ", "callSid": "CA",
                          "tracks": ["inbound"], "customParameters": {"a": "b"},
                          "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000,
                                          "channels": 1}},
                "streamSid": "MZ"}
TWILIO_MEDIA = {"event": "media", "sequenceNumber": "3",
                "media": {"track": "inbound", "chunk": "1", "timestamp": "5",
                          "payload": "no+J"},
                "streamSid": "MZ"}
TWILIO_DTMF = {"event": "dtmf", "sequenceNumber": "5",
               "dtmf": {"track": "inbound_track", "digit": "1"}, "streamSid": "MZ"}
TWILIO_MARK = {"event": "mark", "sequenceNumber": "4", "mark": {"name": "my label"},
               "streamSid": "MZ"}
TWILIO_STOP = {"event": "stop", "sequenceNumber": "5",
               "stop": {"accountSid": "AC", "callSid": "CA"}, "streamSid": "MZ"}


def test_twilio_messages_have_the_documented_shapes():
    c = caller(TwilioCaller, "PCMU", 8000, custom_parameters={"a": "b"})
    connected, start = (json.loads(m) for m in c.opening())
    assert connected == TWILIO_CONNECTED
    assert shape(start) == shape(TWILIO_START) and start["sequenceNumber"] == "1"
    assert start["start"]["mediaFormat"] == TWILIO_START["start"]["mediaFormat"]
    assert start["start"]["customParameters"] == {"a": "b"}
    assert start["streamSid"] == start["start"]["streamSid"] == "S1"
    media = json.loads(c.media("inbound", 1, 0, b"\xff" * 160))
    assert shape(media) == shape(TWILIO_MEDIA)
    assert (media["sequenceNumber"], media["media"]["chunk"], media["media"]["timestamp"]) == \
        ("2", "1", "0")
    assert base64.b64decode(media["media"]["payload"]) == b"\xff" * 160
    assert shape(json.loads(c.dtmf("1"))) == shape(TWILIO_DTMF)
    assert shape(json.loads(c.played("my label"))) == shape(TWILIO_MARK)
    stop = json.loads(c.stop())
    assert shape(stop) == shape(TWILIO_STOP) and stop["sequenceNumber"] == "5"


def test_twilio_signs_the_upgrade_like_twilio():
    # X-Twilio-Signature: base64 HMAC-SHA1 of the URL, keyed by the auth token
    # (twilio.com/docs/usage/security); no POST parameters on an upgrade.
    url = "wss://example.com/media"
    c = caller(TwilioCaller, "PCMU", 8000, auth_token="12345", url=url)
    want = base64.b64encode(hmac.new(b"12345", url.encode(), hashlib.sha1).digest()).decode()
    assert c.headers() == {"X-Twilio-Signature": want}
    # The example of twilio-php's docs (docs/usage/validation.rst): token
    # '12345', this URL and these POST variables, signature
    # 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' (URL, then parameters sorted by name).
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    assert twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
                            params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


# SignalWire, cXML "<Stream>" page (signalwire/docs,
# website/docs/main/compatibility-api/cxml/voice/stream.mdx), "Example Connected
# message": "rawEvent": {"event": "connected", "protocol": "Call", "version": "0.2.0"};
# "Example Start message": "streamSid": "7d56cc11-536d-4a45-b4fb-ed3d55be843b",
# "accountSid": "b08dacad-2f6c-4de1-93d6-cc732e0c69c5", "callSid":
# "76ac3c36-56da-4a3e-a0d6-b5f8df6da9ad", "mediaFormat": {"encoding": "audio/x-L16",
# "sampleRate": 24000, "channels": 1}; the field table: encoding "Varies by codec:
# \"audio/x-mulaw\", \"audio/x-L16\", etc.".  (The outer timestamp/direction/
# eventType/rawEvent wrapper of those examples is a log record; rawEvent is the
# message.)
SIGNALWIRE_CONNECTED = {"event": "connected", "protocol": "Call", "version": "0.2.0"}
SIGNALWIRE_FORMAT = {"encoding": "audio/x-L16", "sampleRate": 24000, "channels": 1}
# The same page's media, dtmf, mark and stop examples: media {"event", "sequenceNumber",
# "media": {"track", "chunk", "timestamp", "payload"}} (chunk from "1"), dtmf {"event",
# "streamSid", "dtmf": {"duration": 2700, "digit": "8"}}, mark {"event", "streamSid",
# "mark": {"name"}}, stop {"event", "sequenceNumber"}: no streamSid at the top of the
# numbered ones (start has it inside), no sequenceNumber on dtmf and mark.
SIGNALWIRE_START = {"event": "start", "sequenceNumber": "1",
                    "start": {**TWILIO_START["start"], "mediaFormat": SIGNALWIRE_FORMAT}}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_signalwire_is_twilio_with_codecs_and_a_bearer_token():
    import re
    c = caller(SignalWireCaller, "L16", 24000, auth_token="tok", custom_parameters={"a": "b"},
               stream_id="7d56cc11-536d-4a45-b4fb-ed3d55be843b")
    assert c.headers() == {"Authorization": "Bearer tok"}
    connected, start = map(json.loads, c.opening())
    assert connected == SIGNALWIRE_CONNECTED
    assert shape(start) == shape(SIGNALWIRE_START)
    assert start["start"]["mediaFormat"] == SIGNALWIRE_FORMAT
    assert re.fullmatch(UUID, start["start"]["accountSid"])
    assert re.fullmatch(UUID, start["start"]["callSid"])
    assert start["start"]["accountSid"] != start["start"]["callSid"]
    assert json.loads(c.media("inbound", 1, 0, b"\x01\x02")) == {
        "event": "media", "sequenceNumber": "2",
        "media": {"track": "inbound", "chunk": "1", "timestamp": "0", "payload": "AQI="}}
    assert json.loads(c.dtmf("8")) == {"event": "dtmf", "streamSid": c.stream_id,
                                       "dtmf": {"duration": 250, "digit": "8"}}
    assert json.loads(c.played("m1")) == {"event": "mark", "streamSid": c.stream_id,
                                          "mark": {"name": "m1"}}
    assert json.loads(c.stop()) == {"event": "stop", "sequenceNumber": "3"}
    assert json.loads(caller(SignalWireCaller, "PCMU", 8000).opening()[1])["start"][
        "mediaFormat"] == {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}
    # the field table: customParameters "Appears only when parameters are defined"
    assert "customParameters" not in json.loads(
        caller(SignalWireCaller, "PCMU", 8000).opening()[1])["start"]
    with pytest.raises(ValueError, match="24000"):
        caller(SignalWireCaller, "PCMU", 24000)
    with pytest.raises(ValueError, match="not OPUS"):
        caller(TwilioCaller, "OPUS", 16000)


# Plivo, "Audio Streams" reference (plivo.com/docs/voice/audio-streaming/audio-streaming):
PLIVO_START = {
    "event": "start",
    "sequenceNumber": 1,
    "start": {
        "callId": "12345678-1234-1234-1234-123456789abc",
        "streamId": "87654321-4321-4321-4321-cba987654321",
        "accountId": "MAXXXXXXXXXXXXXXXXXX",
        "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000},
    },
    "extra_headers": "userId=12345;sessionId=abc-xyz",
}
# "Checkpoint event" (plivo.com/docs/voice/xml/the-stream-element/checkpoint-event):
# request and response.
PLIVO_CHECKPOINT = {"event": "checkpoint", "streamId": "20170ada-f610-433b-8758-c02a2aab3662",
                    "name": "customer greeting audio"}
PLIVO_PLAYED = {"event": "playedStream", "streamId": "20170ada-f610-433b-8758-c02a2aab3662",
                "name": "customer greeting audio"}
# "Play audio event" (plivo.com/docs/voice/xml/the-stream-element/play-audio-event):
PLIVO_PLAY = {"event": "playAudio", "media": {"contentType": "audio/x-l16", "sampleRate": 8000,
                                              "payload": "base64 encoded raw audio.."}}


def test_plivo_messages_have_the_documented_shapes():
    c = caller(PlivoCaller, "PCMU", 8000, stream_id=PLIVO_START["start"]["streamId"],
               custom_parameters={"userId": "12345", "sessionId": "abc-xyz"})
    (start,) = (json.loads(m) for m in c.opening())
    assert shape(start) == shape(PLIVO_START)
    assert start["sequenceNumber"] == 1 and start["extra_headers"] == PLIVO_START["extra_headers"]
    assert start["start"]["mediaFormat"] == PLIVO_START["start"]["mediaFormat"]
    media = json.loads(c.media("inbound", 1, 0, b"\xff" * 160))
    assert media["sequenceNumber"] == 2 and media["media"]["chunk"] == 1
    assert media["streamId"] == PLIVO_START["start"]["streamId"]
    assert int(media["media"]["timestamp"]) > 1_600_000_000_000      # Unix milliseconds
    played = json.loads(c.played("customer greeting audio"))
    del played["sequenceNumber"]
    assert played == dict(PLIVO_PLAYED, streamId=PLIVO_START["start"]["streamId"])
    assert c.stop() is None                                     # Plivo just closes


def test_plivo_reads_the_documented_server_messages():
    c = caller(PlivoCaller, "L16", 8000, stream_id=PLIVO_CHECKPOINT["streamId"])
    assert c.read(json.dumps(PLIVO_CHECKPOINT)) == ("mark", "customer greeting audio")
    payload = np.arange(160, dtype="<i2").tobytes()
    play = json.loads(json.dumps(PLIVO_PLAY))
    play["media"]["payload"] = base64.b64encode(payload).decode()
    assert c.read(json.dumps(play)) == ("media", payload)
    # Little-endian on the wire, streamcodec's L16 (big-endian) inside.
    assert c.from_wire(payload, "L16") == np.arange(160, dtype=">i2").tobytes()
    for media, why in [({"contentType": "audio/x-mulaw", "sampleRate": 16000}, "Plivo plays"),
                       ({"contentType": "audio/x-l16", "sampleRate": 16000}, "on a stream of"),
                       ({"contentType": "audio/wav", "sampleRate": 8000}, "Plivo plays")]:
        with pytest.raises(RuleBroken, match=why):
            c.read(json.dumps({"event": "playAudio", "media": dict(media, payload="AAAA")}))
    with pytest.raises(RuleBroken, match="streamId"):
        c.read(json.dumps({"event": "clearAudio", "streamId": "other"}))


# Exotel, "AgentStream WebSocket protocol" (developer.exotel.com/docs/agentstream/
# websocket-protocol) as CARRIERS.md 1.4 lists its fields.
EXOTEL_START = {"event": "start", "sequence_number": 1, "stream_sid": "S",
                "start": {"stream_sid": "S", "call_sid": "C", "account_sid": "A",
                          "from": "0", "to": "0", "custom_parameters": {"k": "v"},
                          "media_format": {"encoding": "audio/x-raw", "sample_rate": "8000",
                                           "bit_rate": "16"}}}


def test_exotel_messages_are_snake_case_100_ms_and_numbered():
    c = caller(ExotelCaller, "L16", 8000, custom_parameters={"k": "v"})
    connected, start = (json.loads(m) for m in c.opening())
    assert connected == {"event": "connected"}
    assert shape(start) == shape(EXOTEL_START)
    assert start["start"]["media_format"] == EXOTEL_START["start"]["media_format"]
    assert c.message_ms == 100                     # "streams raw PCM audio every ~100 ms"
    media = json.loads(c.media("inbound", 3, 200, b"\x01\x00" * 800))
    assert set(media) == {"event", "sequence_number", "stream_sid", "media"}
    assert media["media"]["chunk"] == 3 and media["sequence_number"] == 2
    assert json.loads(c.played("m"))["mark"] == {"name": "m"}
    assert json.loads(c.stop())["event"] == "stop"


def test_exotel_holds_playback_to_its_chunk_rules():
    # "Minimum chunk size: 3.2k [100ms data] / Maximum chunk size: 100k /
    # Chunk size should always be in multiple of 320 bytes." (Exotel support
    # article 3000108630)
    c = caller(ExotelCaller, "L16", 16000)

    def media(n):
        return json.dumps({"event": "media", "stream_sid": "S1",
                           "media": {"payload": base64.b64encode(bytes(n)).decode()}})

    assert c.read(media(3200)) == ("media", bytes(3200))
    assert c.read(media(99_840)) == ("media", bytes(99_840))       # 312 x 320
    for n in (320, 3000, 3360 - 2, 100_000, 100_160):
        with pytest.raises(RuleBroken, match=f"{n} bytes"):
            c.read(media(n))
    with pytest.raises(RuleBroken, match="stream_sid"):
        c.read(json.dumps({"event": "clear"}))


# Vonage, "WebSockets" guide (developer.vonage.com/en/voice/voice-api/concepts/websockets):
# the first message is text with the content type; audio is binary 16-bit
# little-endian PCM, 20 ms per frame (320 bytes at 8 kHz, 640 at 16 kHz).
VONAGE_CONNECTED = {"event": "websocket:connected", "content-type": "audio/l16;rate=16000"}


def test_vonage_speaks_binary_frames_after_a_text_connected():
    c = caller(VonageCaller, "L16", 16000, custom_parameters={"caller": "447700900000"})
    (connected,) = (json.loads(m) for m in c.opening())
    assert {k: connected[k] for k in VONAGE_CONNECTED} == VONAGE_CONNECTED
    assert connected["caller"] == "447700900000"           # the NCCO endpoint's headers
    frame = c.media("inbound", 1, 0, b"\x00\x01" * 320)
    assert isinstance(frame, bytes) and len(frame) == 640
    assert c.read(bytes(640)) == ("media", bytes(640))
    with pytest.raises(RuleBroken, match="exactly 20 ms"):
        c.read(bytes(320))
    with pytest.raises(RuleBroken, match="exactly 20 ms"):
        c.read(bytes(1280))
    assert c.read('{"action":"clear"}') == ("clear", None)
    assert c.read('{"action":"notify","payload":{"name":"n1","x":2}}') == ("mark", "n1")
    # The notify comes back with the payload the server sent.
    assert json.loads(c.played("n1")) == {"event": "websocket:notify",
                                          "payload": {"name": "n1", "x": 2}}
    assert json.loads(c.cleared()[0]) == {"event": "websocket:cleared"}
    assert json.loads(c.dtmf("5"))["digit"] == "5"
    assert c.stop() is None
    token = caller(VonageCaller, "L16", 8000, auth_token="secret").headers()["Authorization"]
    head, body, sig = token.removeprefix("Bearer ").split(".")
    want = hmac.new(b"secret", f"{head}.{body}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(sig + "==") == want


def test_twilio_refuses_what_twilio_would():
    c = caller(TwilioCaller, "PCMU", 8000)
    assert c.read('{"event":"media","streamSid":"S1","media":{"payload":"/w=="}}') == \
        ("media", b"\xff")
    for message, why in [('{"event":"media","media":{"payload":"/w=="}}', "streamSid"),
                         ('{"event":"clear","streamSid":"S2"}', "streamSid"),
                         ('{"event":"media","streamSid":"S1","media":{"payload":"!!"}}',
                          "base64"),
                         ('{"event":"playAudio","streamSid":"S1"}', "not 'playAudio'"),
                         (b"\xff" * 160, "binary frame")]:
        with pytest.raises(RuleBroken, match=why):
            c.read(message)


# --------------------------------------------------------------------------
# Whole calls through the docs' echo servers
# --------------------------------------------------------------------------


def local_roundtrip(pcm, codec, rate):
    """What the caller hears when the server returns its payloads unchanged."""
    enc = sc.Encoder(codec, rate=rate, **({"codec_rate": rate} if codec == "L16" else {}))
    dec = sc.Decoder(codec, rate=rate, **({"codec_rate": rate} if codec == "L16" else {}))
    payload = b"".join(enc.packetize(pcm) + enc.flush())
    return np.frombuffer(dec.decode(payload), np.int16)


@pytest.mark.parametrize("carrier,codec,rate", OFFERS)
def test_call_through_the_docs_echo_server(carrier, codec, rate):
    pcm = speech_like(1.0, rate, seed=3)

    async def main():
        async with FakeCarrierServer(carrier) as fake:
            result = await simulate_call(fake.url, pcm, rate, carrier=carrier, codec=codec,
                                         codec_rate=rate, custom_parameters={"k": "v"},
                                         expect_marks=1, linger_max=10, stream_id="S9")
            return fake, result

    fake, r = run(main())
    step = CARRIERS[carrier].message_ms
    assert not fake.problems and not r.errors and r.bad_frames == 0, (fake.problems, r.errors)
    assert r.frames == 1000 // step and r.sent == r.frames and fake.media_in == r.frames
    assert r.playback_mismatch is None
    expected = local_roundtrip(pcm, codec, rate)
    heard = r.heard[:len(expected)]
    if codec == "L16":
        np.testing.assert_array_equal(heard, pcm)         # lossless both ways
    np.testing.assert_array_equal(heard, expected)
    # Round trip against what was said, at the codec's delay (G.722: 22 samples).
    n = len(pcm) - 64
    corr = max(np.corrcoef(heard[lag:lag + n].astype(float), pcm[:n].astype(float))[0, 1]
               for lag in range(64))
    assert corr > (0.99 if codec in ("L16", "PCMU", "PCMA") else 0.95), corr
    assert r.marks_echoed >= 1 and r.marks == fake.marks_sent[:len(r.marks)]
    acks = fake.acks if carrier != "plivo" else [a["name"] for a in fake.acks]
    if carrier == "vonage":
        acks = [a["payload"]["name"] for a in fake.acks]
    assert acks == r.marks


@pytest.mark.parametrize("carrier,codec,rate,seconds,count,size", [
    ("exotel", "L16", 16000, 1.0, 10, 3200),     # "streams raw PCM audio every ~100 ms"
    ("twilio", "PCMU", 8000, 0.5, 25, 160),
    ("vonage", "L16", 8000, 0.5, 25, 320)])
def test_media_is_paced_in_real_time(carrier, codec, rate, seconds, count, size):
    # Real time: each message carries its share of audio and none is sent
    # before its time (a lower bound: the sender never runs ahead).
    async def main():
        async with FakeCarrierServer(carrier, script=lambda ws, fake: asyncio.sleep(0)) as fake:
            began = time.monotonic()
            await simulate_call(fake.url, carrier=carrier, codec=codec, codec_rate=rate,
                                seconds=seconds, realtime=True, linger_idle=0.05)
            return fake, began

    fake, began = run(main())
    media = [m if isinstance(m, bytes) else base64.b64decode(m["media"]["payload"])
             for m in fake.messages if isinstance(m, bytes) or m.get("event") == "media"]
    assert len(media) == count and {len(m) for m in media} == {size} and not fake.problems
    # Message k leaves no sooner than k steps after the call began: however
    # late any arrives, none arrives early.
    step = CARRIERS[carrier].message_ms / 1000
    early = [k for k, t in enumerate(fake.media_times) if t < began + k * step - 0.001]
    assert not early


@pytest.mark.parametrize("carrier", ["twilio", "signalwire", "plivo", "exotel"])
def test_loss_duplicates_and_reordering_on_every_json_carrier(carrier):
    async def main():
        async with FakeCarrierServer(carrier, script=lambda ws, fake: asyncio.sleep(0),
                                     in_order=False) as fake:
            r = await simulate_call(fake.url, carrier=carrier, seconds=4.0, loss=0.1,
                                    duplicate=0.1, reorder=0.1, seed=5, linger_idle=0.05)
            return fake, r

    fake, r = run(main())
    assert not fake.problems and not r.errors
    assert r.lost > 0 and r.duplicated > 0 and r.reordered > 0
    assert len(fake.chunks) == r.sent == r.frames - r.lost + r.duplicated
    assert sorted(set(fake.chunks)) == sorted(set(range(1, r.frames + 1)) - set(r.lost_chunks))
    assert len(fake.chunks) - len(set(fake.chunks)) == r.duplicated
    swaps = sum(1 for a, b in zip(fake.chunks, fake.chunks[1:]) if b < a)
    assert swaps == r.reordered


# --------------------------------------------------------------------------
# Acknowledgements and clear
# --------------------------------------------------------------------------

def _clear_script(carrier):
    """Queue 10 s of audio and a mark, then clear at once."""

    async def script(ws, fake):
        await asyncio.sleep(0.05)
        if carrier == "plivo":
            fmt = fake.format
            audio = base64.b64encode(bytes(10 * fmt["sampleRate"] * 2)).decode()
            msgs = [{"event": "playAudio", "media": {"contentType": fmt["encoding"],
                                                     "sampleRate": fmt["sampleRate"],
                                                     "payload": audio}},
                    {"event": "checkpoint", "streamId": fake.sid, "name": "queued"},
                    {"event": "clearAudio", "streamId": fake.sid}]
        elif carrier == "vonage":
            msgs = [bytes(640)] * 500 + [{"action": "notify", "payload": {"name": "queued"}},
                                         {"action": "clear"}]
        else:
            sid = {"exotel": "stream_sid"}.get(carrier, "streamSid")
            audio = base64.b64encode(bytes(32000)).decode()     # 5 of them: >= 10 s
            msgs = [{"event": "media", sid: fake.sid, "media": {"payload": audio}}] * 5 + [
                {"event": "mark", sid: fake.sid, "mark": {"name": "queued"}},
                {"event": "clear", sid: fake.sid}]
        for m in msgs:
            await fake.send(m)

    return script


@pytest.mark.parametrize("carrier,codec,rate,returned", [
    ("twilio", "PCMU", 8000, True), ("signalwire", "PCMA", 8000, True),
    ("exotel", "L16", 8000, True), ("plivo", "L16", 16000, False),
    ("vonage", "L16", 16000, False)])
def test_clear_returns_or_drops_queued_marks_as_the_carrier_does(carrier, codec, rate,
                                                                 returned):
    async def main():
        async with FakeCarrierServer(carrier, script=_clear_script(carrier)) as fake:
            r = await simulate_call(fake.url, carrier=carrier, codec=codec, codec_rate=rate,
                                    seconds=0.4, realtime=True, linger_idle=0.3)
            return fake, r

    fake, r = run(main())
    assert not r.errors and r.clears == 1 and r.marks_received == 1
    assert r.marks == (["queued"] if returned else [])
    # Most of what was queued was never heard: clear dropped it.
    assert r.heard_seconds < 5.0
    if carrier == "plivo":
        assert [a["event"] for a in fake.acks] == ["clearedAudio"]
    elif carrier == "vonage":
        assert fake.acks == [{"event": "websocket:cleared"}]
    else:
        assert fake.acks == ["queued"]


@pytest.mark.parametrize("frames,overflows", [(3000, False), (3200, True)])
def test_vonage_drops_what_overflows_its_3072_frame_buffer(frames, overflows):
    # "Vonage buffers only 3072 messages (~60 s)" (its play-audio tutorial):
    # a server sending a minute of speech at once is told, in real time.
    async def script(ws, fake):
        for _ in range(frames):
            await fake.send(bytes(320))

    async def main():
        async with FakeCarrierServer("vonage", script=script) as fake:
            return await simulate_call(fake.url, carrier="vonage", codec_rate=8000,
                                       seconds=0.2, realtime=True, linger_idle=0.3,
                                       linger_max=1.0)

    r = run(main())
    assert r.received_media == frames and r.overflowed == overflows
    assert any("vonage keeps at most 61.44 s" in e for e in r.errors) == overflows


def test_broken_playback_is_counted_with_its_reason():
    async def script(ws, fake):
        await fake.send({"event": "media", "media": {"payload": "/w=="}})   # no streamSid
        await fake.send(b"\x00" * 160)                                     # binary

    async def main():
        async with FakeCarrierServer("twilio", script=script) as fake:
            return await simulate_call(fake.url, carrier="twilio", seconds=0.2,
                                       linger_idle=0.2)

    r = run(main())
    assert r.bad_frames == 2
    assert "streamSid" in r.errors[0] and "binary frame" in r.errors[1]


def test_waits_for_expected_marks_not_for_quiet():
    # A server that answers late (here 0.6 s after the last frame, as a
    # loaded machine may): with expect_marks the caller waits and echoes it;
    # with the quiet rule alone it has hung up.
    async def script(ws, fake):
        while fake.media_in < 10:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.6)
        await fake.send({"event": "mark", "streamSid": fake.sid, "mark": {"name": "late"}})

    async def main(**kw):
        async with FakeCarrierServer("twilio", script=script) as fake:
            return await simulate_call(fake.url, carrier="twilio", seconds=0.2,
                                       linger_idle=0.05, **kw)

    waited = run(main(expect_marks=1, linger_max=20))
    assert waited.marks == ["late"] and not waited.errors
    hurried = run(main())
    assert hurried.marks == []
    short = run(main(expect_marks=2, linger_max=3.0))
    assert short.marks == ["late"] and "expected 0 media messages and 2 marks" in short.errors[0]


def test_bad_arguments_name_what_is_wrong():
    for kwargs, why in [(dict(carrier="bandwidth"), "carrier must be one of"),
                        (dict(carrier="twilio", codec="G722"), "not G722"),
                        (dict(carrier="plivo", codec="L16", codec_rate=24000), "not 24000"),
                        (dict(carrier="vonage", loss=0.1), "no loss"),
                        (dict(carrier="exotel", track="both_tracks"), "inbound track only"),
                        (dict(carrier="twilio", playback_codec="PCMA"), "Telnyx's")]:
        with pytest.raises(ValueError, match=why):
            run(simulate_call("ws://127.0.0.1:9", seconds=0.1, **kwargs))


# --------------------------------------------------------------------------
# streamcodec simulate --carrier
# --------------------------------------------------------------------------


@pytest.mark.parametrize("carrier,extra,says", [
    ("vonage", ["--rate", "8000"], "vonage: L16 at 8000 Hz, 20 ms per media message"),
    ("exotel", [], "exotel: L16 at 8000 Hz, 100 ms per media message"),
    ("plivo", ["--codec", "pcmu"], "plivo: PCMU at 8000 Hz, 20 ms per media message")])
def test_cli_simulate_carrier(carrier, extra, says, capsys):
    import threading

    from streamcodec.cli import main

    ready = threading.Event()
    box = {}

    def serve():
        async def inner():
            async with FakeCarrierServer(carrier) as fake:
                box["fake"], box["stop"] = fake, asyncio.Event()
                ready.set()
                await box["stop"].wait()
        box["loop"] = asyncio.new_event_loop()
        box["loop"].run_until_complete(inner())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(20)
    try:
        code = main(["simulate", box["fake"].url, "--carrier", carrier, "--fast",
                     "--seconds", "0.6", "--dtmf", "1", *extra])
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(20)
    out = capsys.readouterr().out
    assert code == 0, out
    assert says in out, out
    assert "closed with 1000" in out and "0 unreadable" in out, out
    assert not box["fake"].problems, box["fake"].problems


# --------------------------------------------------------------------------
# Through streamcodec's server (carrier="auto")
# --------------------------------------------------------------------------


def _echo_marking_the_last(n: int, heard: dict):
    """An application that echoes each inbound frame at the call's rate and
    marks after the ``n``-th: the caller waits for that mark, so it hangs
    up once all its audio has come back, however busy the machine."""
    from streamcodec.stream import Media

    async def app(call):
        count = 0
        got = heard.setdefault(call.stream_id or "", [])

        def on_event(event):
            nonlocal count
            if type(event) is Media and event.track == "inbound":
                got.append(event.pcm)
                call.play_nowait(event.pcm, call.rate)
                count += 1
                if count == n:
                    call.mark_nowait("last")

        await call.listen(on_event)
        await call.flush()

    return app


async def _through_server(carrier, codec, rate, pcm, n, **kwargs):
    from streamcodec.server import StreamServer

    heard = {}
    async with StreamServer(_echo_marking_the_last(n, heard), rate=16000) as server:
        before = {id(s) for s in server.finished}
        r = await simulate_call(server.url, pcm, rate, carrier=carrier, codec=codec,
                                codec_rate=rate, expect_marks=1, linger_max=30, **kwargs)
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            new = [s for s in server.finished if id(s) not in before]
            if new or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.01)
    (stats,) = new
    return r, stats, b"".join(heard.get(stats.stream_id or "", []))


#: Round-trip SNR floors (dB) of the built-in speech-like signal: the caller's
#: codec, the server's decode and resampling to 16 kHz and back, its encode.
SNR_FLOOR = {"PCMU": 30, "PCMA": 30, "G722": 25, "L16": 60}


@pytest.mark.parametrize("carrier,codec,rate", OFFERS)
def test_every_carrier_codec_and_rate_through_the_server(carrier, codec, rate):
    from streamcodec.signals import snr_db

    pcm = speech_like(1.0, rate, seed=7)
    n = 1000 // CARRIERS[carrier].message_ms
    r, stats, app_heard = run(_through_server(carrier, codec, rate, pcm, n,
                                              custom_parameters={"k": "v"}, dtmf="5"))
    assert r.close_code == 1000 and not r.errors and r.bad_frames == 0, r.errors
    assert r.playback_mismatch is None
    # auto told it right (SignalWire's μ-law stream too, by its UUID stream id)
    assert stats.carrier == carrier and stats.error is None
    # Every frame sent reached the application, none lost or concealed ...
    assert r.frames == r.sent == n and stats.media_in == n
    assert stats.tracks["inbound"].lost == 0 and stats.tracks["inbound"].concealed == 0
    assert len(app_heard) == 2 * 16000 * 1                        # 1 s at 16 kHz
    # ... and every sample of it came back: the mark after the last frame
    # was acknowledged once the audio before it had played.
    assert r.marks == ["last"] and len(r.heard) >= len(pcm)
    if codec == "L16" and rate == 16000:
        np.testing.assert_array_equal(r.heard[:len(pcm)], pcm)    # lossless both ways
    snr = snr_db(pcm[:-rate // 50], r.heard[:len(pcm) - rate // 50], max_lag=rate // 100)
    assert snr > SNR_FLOOR[codec], snr


@pytest.mark.parametrize("carrier,codec,rate", [
    ("twilio", "PCMU", 8000), ("signalwire", "L16", 16000), ("plivo", "L16", 16000),
    ("exotel", "L16", 16000)])
def test_reordered_and_duplicated_frames_are_heard_as_sent_on_every_json_carrier(
        carrier, codec, rate):
    pcm = speech_like(2.0, rate, seed=2)
    n = 2000 // CARRIERS[carrier].message_ms
    clean = run(_through_server(carrier, codec, rate, pcm, n))
    mixed = run(_through_server(carrier, codec, rate, pcm, n, reorder=0.15, duplicate=0.15,
                                seed=4))
    (r, stats, app), (r0, _, app0) = mixed, clean
    assert r.reordered > 0 and r.duplicated > 0 and not r.errors
    track = stats.tracks["inbound"]
    assert track.lost == 0 and track.duplicate == r.duplicated and stats.media_in == n
    assert app == app0                                # the application heard the same
    np.testing.assert_array_equal(r.heard, r0.heard)  # and so did the caller


def test_demo_places_calls_through_every_carrier(tmp_path):
    import io

    from streamcodec.demo import run_demo

    out = io.StringIO()
    rows = run_demo(out_dir=str(tmp_path), seconds=1.0, codecs=["PCMU", "L16"], rates=[16000],
                    png=False, out=out)
    text = out.getvalue()
    assert {r.carrier for r in rows} == set(CARRIERS)
    offered = {(c, k, w) for c, k, w in OFFERS if k in ("PCMU", "L16")}
    assert {(r.carrier, r.codec, r.in_wire) for r in rows if r.carrier != "telnyx"} == offered
    table = text[text.index("carrier    codec"):].splitlines()
    assert sum(line.startswith("carrier ") for line in text.splitlines()) == 1   # one table
    for r in rows:
        assert not r.error, (r.carrier, r.codec, r.error)
        assert r.frames_in == r.frames_sent == 1000 // CARRIERS[r.carrier].message_ms
        assert r.lost == r.concealed == 0 and r.frames_out > 0
        done, sent = map(int, r.marks.split("/"))
        assert done == sent
        assert r.snr > 25, (r.carrier, r.codec, r.in_wire, r.snr)
        assert any(line.startswith(f"{r.carrier:<10} {r.codec:<7}") for line in table)
        assert (tmp_path / f"{r.name}_caller.wav").exists()


@pytest.mark.parametrize("carrier", ["twilio", "signalwire", "exotel", "vonage"])
def test_each_carrier_credential_passes_the_servers_verifier(carrier):
    # The simulator's credentials (written from the carriers' docs) against
    # the server's verifiers (the carriers' auth modules): the right one is
    # let in, a wrong one closed with 1008.
    from streamcodec.exotel.auth import BasicAuth
    from streamcodec.server import StreamServer, echo_app
    from streamcodec.signalwire.auth import BearerTokenAuth
    from streamcodec.twilio.auth import SignatureAuth
    from streamcodec.vonage.auth import JwtAuth

    verifier, good, bad = {
        "twilio": (SignatureAuth("tw-auth-token"), "tw-auth-token", "other-token"),
        "signalwire": (BearerTokenAuth("sw-token"), "sw-token", "sw-other"),
        "exotel": (BasicAuth("KEY", "TOKEN"), "KEY:TOKEN", "KEY:WRONG"),
        "vonage": (JwtAuth(signature_secret="vonage-secret"), "vonage-secret", "not-it"),
    }[carrier]
    public = "wss://voice.example.com"

    async def main():
        async with StreamServer(echo_app, rate=16000, verifiers=[verifier],
                                public_url=public) as server:
            calls = []
            for token, wait in ((good, dict(expect_media=1, linger_max=20)), (bad, {})):
                calls.append(await simulate_call(
                    server.url + "/media", carrier=carrier, seconds=0.3, auth_token=token,
                    signed_url=public + "/media", linger_idle=0.05, **wait))
            return calls

    ok, refused = run(main())
    assert ok.close_code == 1000 and ok.received_media >= 1 and not ok.errors
    assert refused.close_code == 1008 and refused.received_media == 0
