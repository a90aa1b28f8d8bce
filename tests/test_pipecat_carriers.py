"""streamcodec.pipecat's Twilio, Plivo, Exotel and Vonage serializers
against the real pipecat-ai: every codec and rate each carrier offers, both
ways; reordering and concealment; only the inbound track; playback marks;
hang-up as pipecat's; setup() with the old and the new argument."""

from __future__ import annotations

import asyncio
import base64
import json
import sys

import numpy as np
import pytest

if sys.version_info < (3, 11):    # the test extra installs pipecat-ai from 3.11 on
    pytest.skip("pipecat-ai needs Python >= 3.11", allow_module_level=True)

import streamcodec as sc  # noqa: E402
from streamcodec.signals import snr_db, speech_like  # noqa: E402

from pipecat.frames.frames import (  # noqa: E402
    CancelFrame,
    EndFrame,
    InputAudioRawFrame,
    InputTransportMessageFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    StartFrame,
)
from pipecat.processors.frame_processor import FrameProcessorSetup  # noqa: E402

from streamcodec.pipecat import (  # noqa: E402
    PLAYBACK_MARK,
    ExotelFrameSerializer,
    PlivoFrameSerializer,
    TwilioFrameSerializer,
    VonageFrameSerializer,
    playback_mark,
)

#: (carrier, codec, wire rate): every format each carrier streams.
FORMATS = [("twilio", "PCMU", 8000),
           ("plivo", "PCMU", 8000), ("plivo", "L16", 8000), ("plivo", "L16", 16000),
           ("exotel", "L16", 8000), ("exotel", "L16", 16000), ("exotel", "L16", 24000),
           ("exotel", "PCMU", 8000),
           ("vonage", "L16", 8000), ("vonage", "L16", 16000)]
#: Milliseconds of audio in one inbound message.
IN_MS = {"exotel": 100}


def make(carrier, codec="PCMU", rate=8000, pipeline=16000, **params):
    """Ours for ``carrier`` in ``codec`` at ``rate``, set up for a pipeline
    at ``pipeline`` Hz, no hang-up credentials."""
    if carrier == "twilio":
        s = TwilioFrameSerializer("MZ1", params=TwilioFrameSerializer.InputParams(
            auto_hang_up=False, **params))
    elif carrier == "plivo":
        kind = "mulaw" if codec == "PCMU" else "l16"
        s = PlivoFrameSerializer("ST1", params=PlivoFrameSerializer.InputParams(
            auto_hang_up=False, content_type=f"audio/x-{kind};rate={rate}", **params))
    elif carrier == "exotel":
        s = ExotelFrameSerializer("EX1", params=ExotelFrameSerializer.InputParams(
            exotel_sample_rate=rate, exotel_encoding=codec, **params))
    else:
        s = VonageFrameSerializer(params=VonageFrameSerializer.InputParams(
            vonage_sample_rate=rate, **params))
    asyncio.run(s.setup(FrameProcessorSetup(clock=None, task_manager=None,
                                            pipeline_worker=None,
                                            audio_in_sample_rate=pipeline)))
    return s


def wire_payload(carrier, codec, pcm):
    """The carrier's bytes for ``pcm`` (int16 at the wire rate): μ-law from
    streamcodec's G.711 encoder, L16 little-endian as Plivo, Exotel and
    Vonage send it."""
    if codec == "PCMU":
        return sc.Encoder("PCMU").encode(pcm)
    return pcm.astype("<i2").tobytes()


def wire_pcm(codec, payload):
    if codec == "PCMU":
        return np.frombuffer(sc.Decoder("PCMU").decode(payload), np.int16)
    return np.frombuffer(payload, "<i2").astype(np.int16)


def inbound(carrier, payload, chunk, track="inbound"):
    """One media message as ``carrier`` sends it (chunk numbers from 1)."""
    b64 = base64.b64encode(payload).decode()
    ms = IN_MS.get(carrier, 20)
    if carrier == "twilio":
        return json.dumps({"event": "media", "sequenceNumber": str(chunk + 1), "streamSid": "MZ1",
                           "media": {"track": track, "chunk": str(chunk),
                                     "timestamp": str(ms * (chunk - 1)), "payload": b64}})
    if carrier == "plivo":
        return json.dumps({"event": "media", "sequenceNumber": chunk, "streamId": "ST1",
                           "media": {"track": track, "chunk": chunk,
                                     "timestamp": str(1700000000000 + ms * chunk),
                                     "payload": b64}})
    if carrier == "exotel":
        return json.dumps({"event": "media", "sequence_number": chunk + 1, "stream_sid": "EX1",
                           "media": {"chunk": chunk, "timestamp": str(ms * (chunk - 1)),
                                     "payload": b64}})
    return payload


def deserialize_all(s, messages):
    async def main():
        return [await s.deserialize(m) for m in messages]
    return asyncio.run(main())


def serialize_all(s, frames):
    async def main():
        return [await s.serialize(f) for f in frames]
    return asyncio.run(main())


def played_payload(carrier, message):
    if carrier == "vonage":
        assert isinstance(message, bytes)
        return message
    return base64.b64decode(json.loads(message)["media"]["payload"])


@pytest.mark.parametrize("carrier,codec,rate", FORMATS)
def test_inbound_every_format_decoded_from_the_first_message(carrier, codec, rate):
    """Each inbound message gives its own audio at the pipeline's 16 kHz at
    once, the samples of streamcodec's decoder + resampler on the whole."""
    ms = IN_MS.get(carrier, 20)
    pcm = speech_like(0.5, rate, seed=1)
    n = rate * ms // 1000
    payloads = [wire_payload(carrier, codec, pcm[i:i + n]) for i in range(0, len(pcm), n)]
    frames = deserialize_all(make(carrier, codec, rate),
                             [inbound(carrier, p, k + 1) for k, p in enumerate(payloads)])
    assert all(isinstance(f, InputAudioRawFrame) and f.sample_rate == 16000 for f in frames)
    assert [len(f.audio) // 2 for f in frames] == [16 * ms] * len(payloads)
    heard = np.frombuffer(b"".join(f.audio for f in frames), np.int16)
    said = np.concatenate([wire_pcm(codec, p) for p in payloads])
    expected = np.frombuffer(sc.Resampler(rate, 16000).process(said.tobytes()), np.int16) \
        if rate != 16000 else said
    np.testing.assert_array_equal(heard, expected)


@pytest.mark.parametrize("carrier,codec,rate", FORMATS)
def test_outbound_every_format_from_24k_tts(carrier, codec, rate):
    """40 ms frames at 24 kHz (pipecat's transport default) become the
    carrier's messages in its format; decoded they are the speech sent."""
    s = make(carrier, codec, rate)
    tts = speech_like(1.2, 24000, seed=2)
    frames = [OutputAudioRawFrame(tts[i:i + 960].tobytes(), 24000, 1)
              for i in range(0, len(tts), 960)]
    messages = [m for m in serialize_all(s, frames) if m]
    payloads = [played_payload(carrier, m) for m in messages]
    heard = np.concatenate([wire_pcm(codec, p) for p in payloads])
    ref = np.frombuffer(sc.resample(tts.tobytes(), 24000, rate), np.int16)
    assert len(heard) >= len(ref) - rate // 5               # at most one message held
    floor = 30 if codec == "PCMU" else 60
    assert snr_db(ref[:len(heard)], heard, max_lag=rate // 100) > floor
    if carrier == "exotel":       # whole messages of >= 3.2 KB, multiples of 320 bytes
        assert all(len(p) >= 3200 and len(p) % 320 == 0 for p in payloads)
    if carrier == "vonage":       # whole 20 ms frames
        assert all(len(p) % (2 * rate // 50) == 0 for p in payloads)


@pytest.mark.parametrize("carrier", ["twilio", "plivo", "exotel"])
def test_reordered_media_comes_out_in_order_and_gaps_are_concealed(carrier):
    ms = IN_MS.get(carrier, 20)
    codec = "L16" if carrier == "exotel" else "PCMU"
    pcm = speech_like(8 * ms / 1000, 8000, seed=3)
    n = 8 * ms
    p = [wire_payload(carrier, codec, pcm[i:i + n]) for i in range(0, len(pcm), n)]
    s = make(carrier, codec, 8000, pipeline=8000)
    frames = deserialize_all(s, [inbound(carrier, p[0], 1), inbound(carrier, p[2], 3),
                                 inbound(carrier, p[1], 2), inbound(carrier, p[4], 5),
                                 inbound(carrier, p[5], 6), inbound(carrier, p[6], 7),
                                 inbound(carrier, p[7], 8)])
    assert frames[1] is None                       # 3 waits for 2
    audio = b"".join(f.audio for f in frames[:3] if f)
    assert audio == b"".join(wire_pcm(codec, x).tobytes() for x in p[:3])
    # 4 never comes: concealed once three later frames wait.
    assert s.stats["inbound"].lost == s.stats["inbound"].concealed == 1
    assert sum(len(f.audio) for f in frames if f) == 8 * n * 2         # 7 heard, 1 concealed


def test_only_the_inbound_track_reaches_the_pipeline():
    pin, pout = (sc.Encoder("PCMU").encode(speech_like(0.02, 8000, seed=k)) for k in (1, 2))
    s = make("twilio", pipeline=8000)
    frames = deserialize_all(s, [inbound("twilio", pin, 1), inbound("twilio", pout, 1,
                                                                      track="outbound")])
    assert frames[1] is None
    assert frames[0].audio == sc.Decoder("PCMU").decode(pin)
    assert set(s.stats) == {"inbound", "outbound"}


ECHO = {"twilio": lambda name: {"event": "mark", "streamSid": "MZ1", "sequenceNumber": "9",
                                "mark": {"name": name}},
        "plivo": lambda name: {"event": "playedStream", "streamId": "ST1", "sequenceNumber": 9,
                               "name": name},
        "exotel": lambda name: {"event": "mark", "stream_sid": "EX1", "sequence_number": 9,
                                "mark": {"name": name}},
        "vonage": lambda name: {"event": "websocket:notify", "payload": {"name": name}}}
MARK = {"twilio": {"event": "mark", "streamSid": "MZ1", "mark": {"name": "turn-1"}},
        "plivo": {"event": "checkpoint", "streamId": "ST1", "name": "turn-1"},
        "exotel": {"event": "mark", "stream_sid": "EX1", "mark": {"name": "turn-1"}},
        "vonage": {"action": "notify", "payload": {"name": "turn-1"}}}


@pytest.mark.parametrize("carrier", list(ECHO))
def test_playback_marks_and_their_acks_on_every_carrier(carrier):
    """A playback_mark frame becomes the carrier's mark (Plivo checkpoint,
    Vonage notify); the carrier's ack comes into the pipeline as an
    InputTransportMessageFrame with the milliseconds the caller has heard."""
    s = make(carrier, "L16" if carrier in ("exotel", "vonage") else "PCMU", 8000)
    ms = 200 if carrier == "exotel" else 40                 # one whole message
    assert serialize_all(s, [OutputAudioRawFrame(speech_like(ms / 1000, 16000).tobytes(),
                                                 16000, 1)])[0]
    mark = serialize_all(s, [playback_mark("turn-1")])[0]
    assert json.loads(mark) == MARK[carrier]
    (ack,) = deserialize_all(s, [json.dumps(ECHO[carrier]("turn-1"))])
    assert isinstance(ack, InputTransportMessageFrame)
    assert ack.message == {"type": PLAYBACK_MARK, "name": "turn-1", "played_ms": ms,
                           "cleared": False}


@pytest.mark.parametrize("kind", ["FrameProcessorSetup", "StartFrame"])
@pytest.mark.parametrize("cls", [TwilioFrameSerializer, PlivoFrameSerializer,
                                 ExotelFrameSerializer, VonageFrameSerializer])
def test_setup_takes_the_new_and_the_old_argument(cls, kind):
    arg = (FrameProcessorSetup(clock=None, task_manager=None, pipeline_worker=None,
                               audio_in_sample_rate=24000) if kind == "FrameProcessorSetup"
           else StartFrame(audio_in_sample_rate=24000))
    carrier = cls.__name__[:-len("FrameSerializer")].lower()
    s = make(carrier, "L16" if carrier in ("exotel", "vonage") else "PCMU", 8000)
    asyncio.run(s.setup(arg))
    ms = IN_MS.get(carrier, 20)
    pcm = speech_like(ms / 1000, 8000, seed=1)
    codec = "L16" if carrier in ("exotel", "vonage") else "PCMU"
    (frame,) = deserialize_all(s, [inbound(carrier, wire_payload(carrier, codec, pcm), 1)])
    assert frame.sample_rate == 24000 and len(frame.audio) == 48 * ms


def test_constructors_and_hang_up_as_pipecat(monkeypatch):
    from pipecat.serializers.plivo import PlivoFrameSerializer as StockPlivo
    from pipecat.serializers.twilio import TwilioFrameSerializer as StockTwilio
    for ours, stock, args in ((TwilioFrameSerializer, StockTwilio, ("MZ1",)),
                              (PlivoFrameSerializer, StockPlivo, ("ST1",))):
        assert issubclass(ours, stock)
        with pytest.raises(ValueError) as mine:
            ours(*args)
        with pytest.raises(ValueError) as theirs:
            stock(*args)
        assert str(mine.value) == str(theirs.value)
    # pipecat's own InputParams are accepted too (the session's options default).
    for ours, params in ((TwilioFrameSerializer, StockTwilio.InputParams(auto_hang_up=False)),
                         (PlivoFrameSerializer, StockPlivo.InputParams(auto_hang_up=False))):
        s = ours("S1", params=params)
        assert s.stream.reorder_window == 3 and s.stream.playback_codec == "PCMU"
    s = PlivoFrameSerializer("ST1", call_id="CALL", auth_id="MA1", auth_token="tok")
    hung_up = []

    async def record():
        hung_up.append(s._call_id)
    monkeypatch.setattr(s, "_hang_up_call", record)

    async def main():
        assert await s.serialize(EndFrame()) is None
        assert await s.serialize(CancelFrame()) is None      # once only
    asyncio.run(main())
    assert hung_up == ["CALL"]


def test_bad_settings_fail_at_construction():
    with pytest.raises(ValueError, match="8000"):
        TwilioFrameSerializer("MZ1", params=TwilioFrameSerializer.InputParams(
            auto_hang_up=False, twilio_sample_rate=16000))
    with pytest.raises(ValueError, match="contentType|content_type"):
        make("plivo", "L16", 24000)
    with pytest.raises(ValueError, match="8000, 16000 or 24000"):
        make("exotel", "L16", 11025)
    with pytest.raises(ValueError, match="audio/l16"):
        make("vonage", "L16", 24000)
    with pytest.raises(ValueError, match="audio_track"):
        make("twilio", audio_track="both")


def test_interruption_drops_held_audio():
    """Exotel holds audio until a whole message; an interruption drops it."""
    s = make("exotel", "L16", 8000)
    frame = OutputAudioRawFrame(speech_like(0.04, 8000).tobytes(), 8000, 1)
    assert serialize_all(s, [frame, frame])[1] is None              # 80 ms held
    assert json.loads(serialize_all(s, [InterruptionFrame()])[0])["event"] == "clear"
    out = serialize_all(s, [frame] * 5)                              # 200 ms anew
    assert out[:4] == [None] * 4 and out[4] is not None


def test_stereo_audio_is_refused():
    with pytest.raises(ValueError, match="mono"):
        serialize_all(make("vonage", "L16", 16000), [OutputAudioRawFrame(bytes(640), 16000, 2)])


def test_a_start_fed_before_setup_still_holds_after_it():
    """The Plivo bot hands Plivo's start to the serializer before the
    pipeline runs setup(); a pipeline at another rate keeps its format."""
    s = PlivoFrameSerializer("ST1", params=PlivoFrameSerializer.InputParams(auto_hang_up=False))
    start = json.dumps({"event": "start", "sequenceNumber": 0, "start": {
        "callId": "CALL", "streamId": "ST1", "accountId": "MA1", "tracks": ["inbound"],
        "mediaFormat": {"encoding": "audio/x-l16", "sampleRate": 16000}}})
    assert deserialize_all(s, [start]) == [None]
    asyncio.run(s.setup(StartFrame(audio_in_sample_rate=8000)))
    pcm = speech_like(0.02, 16000, seed=2)
    (frame,) = deserialize_all(s, [inbound("plivo", pcm.astype("<i2").tobytes(), 1)])
    assert frame.sample_rate == 8000
    np.testing.assert_array_equal(np.frombuffer(frame.audio, np.int16), np.frombuffer(
        sc.Resampler(16000, 8000).process(pcm.tobytes()), np.int16))


@pytest.mark.parametrize("concealment", ["silence", "appendix-i"])
def test_concealment_option_reaches_the_session(concealment):
    """InputParams(concealment=) goes to the session's decoders: a lost
    frame is filled with silence, or by G.711 Appendix I from the speech
    before it; a value the decoder does not know fails at construction."""
    s = make("twilio", pipeline=8000, concealment=concealment, reorder_window=0)
    pcm = speech_like(0.5, 8000, seed=8)[1600:]          # mid-word
    assert np.abs(pcm[:480]).max() > 1000
    p = [sc.Encoder("PCMU").encode(pcm[i:i + 160]) for i in range(0, 800, 160)]
    frames = deserialize_all(s, [inbound("twilio", p[0], 1), inbound("twilio", p[1], 2),
                                 inbound("twilio", p[3], 4)])          # 3 is lost
    filled = np.frombuffer(frames[2].audio, np.int16)[:160]
    assert s.stats["inbound"].concealed == 1
    if concealment == "silence":
        assert not filled.any()
    else:
        assert np.abs(filled).max() > 100
    with pytest.raises(ValueError, match="concealment must be one of"):
        make("twilio", concealment="loud")


def test_stop_ends_the_pipeline_without_hanging_up(monkeypatch):
    """The carrier's stop becomes an EndWorkerFrame; the EndFrame that
    follows makes no REST call (after <Stop><Stream> the call goes on)."""
    from pipecat.frames.frames import EndWorkerFrame
    s = TwilioFrameSerializer("MZ1", call_sid="CA1", account_sid="AC1", auth_token="tok")
    hung_up = []

    async def record():
        hung_up.append(True)
    monkeypatch.setattr(s, "_hang_up_call", record)
    (frame,) = deserialize_all(s, [json.dumps({"event": "stop", "sequenceNumber": "5",
                                               "streamSid": "MZ1", "stop": {
                                                   "accountSid": "AC1", "callSid": "CA1"}})])
    assert isinstance(frame, EndWorkerFrame)
    assert serialize_all(s, [EndFrame()]) == [None]
    assert hung_up == []
