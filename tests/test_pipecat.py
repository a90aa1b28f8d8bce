"""streamcodec.pipecat.TelnyxFrameSerializer against the real pipecat-ai:
the example echo bot (pipecat's FastAPIWebsocketTransport and pipeline)
under uvicorn, called by streamcodec.simulate over 127.0.0.1 in every codec,
and the serializer on its own next to pipecat's stock one."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import socket
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

if sys.version_info < (3, 11):    # the test extra installs pipecat-ai from 3.11 on
    pytest.skip("pipecat-ai needs Python >= 3.11", allow_module_level=True)

import streamcodec as sc  # noqa: E402
from streamcodec import amrwb  # noqa: E402
from streamcodec.signals import snr_db, speech_like  # noqa: E402
from streamcodec.simulate import dtmf_frame, media_frame, simulate_call, stop_frame  # noqa: E402

from pipecat.frames.frames import (  # noqa: E402
    CancelFrame,
    EndFrame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
)
from pipecat.serializers.telnyx import TelnyxFrameSerializer as StockSerializer  # noqa: E402

from g711_reference import ulaw_decode, ulaw_encode  # noqa: E402
from streamcodec.pipecat import TelnyxFrameSerializer  # noqa: E402
from streamtest import available_codecs, local_echo, run, uvicorn_on_loopback, wire  # noqa: E402

CODECS = available_codecs()
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "pipecat_echo.py"


def load_example():
    spec = importlib.util.spec_from_file_location("pipecat_echo", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    sys.modules["pipecat_echo"] = module   # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def serializer(outbound="PCMU", inbound="PCMU", rate=16000, **params):
    """Ours, set up as pipecat's transports do, without hang-up credentials."""
    s = TelnyxFrameSerializer("S", outbound, inbound,
                              params=TelnyxFrameSerializer.InputParams(auto_hang_up=False,
                                                                       **params))
    asyncio.run(s.setup(types.SimpleNamespace(audio_in_sample_rate=rate)))
    return s


def payloads_of(codec, pcm, rate, codec_rate=None):
    options = {"codec_rate": codec_rate} if codec_rate else {}
    enc = sc.Encoder(codec, rate=rate, **options)
    return enc.packetize(pcm) + enc.flush()


def feed_all(s, messages):
    async def main():
        return [await s.deserialize(m) for m in messages]
    return asyncio.run(main())


def serialize(s, frame):
    return asyncio.run(s.serialize(frame))


def payload(message):
    return base64.b64decode(json.loads(message)["media"]["payload"])


# --------------------------------------------------------------------------
# The example bot under uvicorn, called by the simulator
# --------------------------------------------------------------------------


async def _calls(app_options, calls_options):
    """Run the example bot and place the given calls concurrently; returns
    [(CallResult, CallLog)] in the order given."""
    logs: list = []
    app = load_example().create_app(calls=logs, **app_options)
    async with uvicorn_on_loopback(app) as port:
        results = await asyncio.gather(*(
            simulate_call(f"ws://127.0.0.1:{port}/ws?" + options.pop("query"), **options)
            for options in calls_options))
        for _ in range(200):                     # the bot logs a call when its pipeline ends
            if len(logs) == len(results):
                break
            await asyncio.sleep(0.025)
    by_stream = {log.stream_id: log for log in logs}
    return [(r, by_stream[r.stream_id]) for r in results]


#: SNR floors of the round trip (two codec passes) against what was said.
FLOOR = {"L16": 80, "PCMU": 30, "PCMA": 30, "G722": 15, "AMR-WB": 5, "OPUS": 5}


def test_echo_bot_every_codec_both_ways_through_pipecat():
    pcm = {codec: speech_like(1.0, wire(codec), seed=3) for codec in CODECS}
    calls = [dict(pcm=pcm[c], rate=wire(c), codec=c, codec_rate=wire(c), playback_codec=c,
                  playback_rate=wire(c), linger_idle=0.3,
                  query=f"playback_codec={c}&playback_rate={wire(c)}") for c in CODECS]
    out = run(_calls({"sample_rate": 16000}, calls), timeout=120)
    for codec, (result, log) in zip(CODECS, out):
        assert (log.encoding, log.playback_codec) == (codec, codec)
        # Frames in = frames pipecat got: every 20 ms, none withheld, from the first.
        assert result.frames == 50 and log.media["inbound"].received == 50
        assert log.samples_in == 50 * 320 and log.first_frame_samples == 320
        assert log.media["inbound"].lost == log.media["inbound"].concealed == 0
        # Frames heard = frames sent, the audio the same as the in-process pipeline.
        assert result.bad_frames == 0, result.errors
        assert result.received_media == (50 if codec == "OPUS" else 25)   # 20 / 40 ms each
        expected = local_echo(pcm[codec], wire(codec), codec, 16000)
        np.testing.assert_array_equal(result.heard, expected, err_msg=codec)
        assert snr_db(pcm[codec], result.heard, max_lag=wire(codec) // 10) > FLOOR[codec]


@pytest.mark.parametrize("rate", [8000, 24000])
def test_pipeline_rates_8k_and_24k(rate):
    """The pipeline hears and plays at 8 or 24 kHz; the serializer resamples
    both ways inside the codec calls."""
    codecs = [c for c in ("PCMU", "G722", "OPUS") if c in CODECS]
    pcm = {c: speech_like(0.6, wire(c), seed=4) for c in codecs}
    calls = [dict(pcm=pcm[c], rate=wire(c), codec=c, codec_rate=wire(c), playback_codec=c,
                  playback_rate=wire(c), linger_idle=0.3,
                  query=f"playback_codec={c}&playback_rate={wire(c)}") for c in codecs]
    out = run(_calls({"sample_rate": rate}, calls), timeout=90)
    for codec, (result, log) in zip(codecs, out):
        assert log.samples_in == 30 * rate // 50 and log.first_frame_samples == rate // 50
        np.testing.assert_array_equal(result.heard, local_echo(pcm[codec], wire(codec), codec,
                                                               rate), err_msg=codec)
        floor = {"PCMU": 25, "G722": 12 if rate == 8000 else 15, "OPUS": 4}[codec]
        assert snr_db(pcm[codec], result.heard, max_lag=wire(codec) // 10) > floor, codec


def test_dtmf_and_clear_reach_pipecat_and_only_the_inbound_track_is_heard():
    """Keys become InputDTMFFrames; '#' makes the bot interrupt, which goes
    to Telnyx as clear; with both_tracks, reordering and loss the bot gets
    exactly the inbound track's 20 ms frames, gaps concealed."""
    pcm = speech_like(1.0, 8000, seed=6)
    calls = [dict(pcm=pcm, rate=8000, codec="PCMU", track="both_tracks", dtmf="12#",
                  reorder=0.1, loss=0.05, seed=12, linger_idle=0.3, query="")]
    ((result, log),) = run(_calls({"sample_rate": 16000}, calls), timeout=60)
    assert log.keys == ["1", "2", "#"]
    assert log.interruptions >= 1 and result.clears == 1
    stats = log.media["inbound"]
    assert result.reordered > 0 and result.lost > 0
    tail = 0                         # lost chunks at the very end leave no gap to fill
    while 50 - tail in result.lost_chunks:
        tail += 1
    assert stats.late > 0 and stats.lost == len(result.lost_chunks) - tail
    assert stats.concealed == stats.lost
    assert set(log.media) == {"inbound", "outbound"}
    # The inbound track's frames up to the last one, gaps concealed; none of the outbound.
    assert log.samples_in == (50 - tail) * 320


@pytest.mark.parametrize("example,bot_args,call_args,logged", [
    ("pipecat_echo.py", ["--playback-codec", "G722"],
     ["--codec", "PCMA", "--playback-codec", "G722"], "PCMA in, G722 out, 0.50 s heard, keys 12"),
    ("twilio_bot.py", [], ["--carrier", "twilio"], "PCMU in, PCMU out, 0.50 s heard, keys 12"),
])
def test_example_runs_from_the_command_line_and_streamcodec_simulate_calls_it(
        tmp_path, example, bot_args, call_args, logged):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    bot_log = tmp_path / "bot.log"        # a file, not a pipe: pipecat logs a lot
    bot = subprocess.Popen([sys.executable, str(EXAMPLE.with_name(example)), "--port", str(port),
                            *bot_args], stdout=bot_log.open("w"),
                           stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                assert bot.poll() is None, bot_log.read_text()
                time.sleep(0.05)
        out = tmp_path / "heard.wav"
        cli = Path(sys.executable).with_name("streamcodec")
        done = subprocess.run([str(cli), "simulate", f"ws://127.0.0.1:{port}/ws", *call_args,
                               "--fast", "--seconds", "0.5", "--dtmf", "12", "--out", str(out)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert out.stat().st_size > 44 + 0.4 * 8000 * 2   # ~0.5 s heard
    finally:
        bot.terminate()
        bot.wait(timeout=20)
    assert logged in bot_log.read_text()


# --------------------------------------------------------------------------
# The serializer on its own
# --------------------------------------------------------------------------


def test_import_without_pipecat_names_the_extra():
    code = ("import sys; sys.modules['pipecat'] = None\n"
            "try:\n    import streamcodec.pipecat\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd="/")
    assert "pip install 'streamcodec[pipecat]'" in out.stdout, out.stdout + out.stderr


def test_same_constructor_and_hang_up_as_pipecat(monkeypatch):
    assert issubclass(TelnyxFrameSerializer, StockSerializer)
    with pytest.raises(ValueError) as ours:
        TelnyxFrameSerializer("S", "PCMU", "PCMU")
    with pytest.raises(ValueError) as stock:
        StockSerializer("S", "PCMU", "PCMU")
    assert str(ours.value) == str(stock.value)
    assert "call_control_id, api_key" in str(ours.value)
    s = TelnyxFrameSerializer("S", "PCMU", "PCMU", call_control_id="v3:x", api_key="KEY")
    hung_up = []

    async def record():
        hung_up.append(s._call_control_id)
    monkeypatch.setattr(s, "_hang_up_call", record)

    async def main():
        assert await s.serialize(EndFrame()) is None
        assert await s.serialize(CancelFrame()) is None     # once only
    asyncio.run(main())
    assert hung_up == ["v3:x"]
    # pipecat's own InputParams are accepted too.
    TelnyxFrameSerializer("S", "pcma", "g722",
                          params=StockSerializer.InputParams(auto_hang_up=False))


def test_bad_settings_fail_at_construction():
    with pytest.raises(ValueError, match="MP3"):
        serializer(outbound="MP3")
    with pytest.raises(ValueError, match="OPUS runs at"):
        serializer(inbound="OPUS", telnyx_sample_rate=22050)
    with pytest.raises(ValueError, match="audio_track"):
        serializer(audio_track="both")


def test_first_message_gives_its_audio_and_g711_matches_stock_and_reference():
    """Ours returns 20 ms for the first message; pipecat's stock serializer
    (at 8 kHz, where it does not resample) gives the same samples, and both
    equal the G.711 reference."""
    pcm = speech_like(0.2, 8000, seed=1)
    messages = [media_frame("S", k + 2, "inbound", k + 1, 20 * k, p)
                for k, p in enumerate(payloads_of("PCMU", pcm, 8000))]
    ours = feed_all(serializer(rate=8000), messages)
    stock = StockSerializer("S", "PCMU", "PCMU",
                            params=StockSerializer.InputParams(auto_hang_up=False))
    asyncio.run(stock.setup(types.SimpleNamespace(audio_in_sample_rate=8000)))
    theirs = feed_all(stock, messages)
    assert all(isinstance(f, InputAudioRawFrame) and len(f.audio) == 320 for f in ours)
    assert [f.sample_rate for f in ours] == [8000] * 10
    assert b"".join(f.audio for f in ours) == b"".join(f.audio for f in theirs)
    reference = np.array([ulaw_decode(ulaw_encode(int(x))) for x in pcm], dtype=np.int16)
    np.testing.assert_array_equal(np.frombuffer(b"".join(f.audio for f in ours), np.int16),
                                  reference)


def test_stock_withholds_ours_does_not_at_16k():
    pcm = speech_like(0.4, 8000, seed=2)
    messages = [media_frame("S", k + 2, "inbound", k + 1, 20 * k, p)
                for k, p in enumerate(payloads_of("PCMU", pcm, 8000))]
    ours = feed_all(serializer(rate=16000), messages)
    assert [len(f.audio) for f in ours] == [640] * 20
    stock = StockSerializer("S", "PCMU", "PCMU",
                            params=StockSerializer.InputParams(auto_hang_up=False))
    asyncio.run(stock.setup(types.SimpleNamespace(audio_in_sample_rate=16000)))
    theirs = feed_all(stock, messages)
    assert theirs[0] is None          # soxr's stream holds the start back
    assert sum(len(f.audio) for f in theirs if f) < 20 * 640


def test_reordered_media_comes_out_in_order_as_one_frame():
    pcm = speech_like(0.1, 8000, seed=3)
    p = payloads_of("PCMU", pcm, 8000)
    frames = feed_all(serializer(rate=8000), [
        media_frame("S", 2, "inbound", 1, 0, p[0]),
        media_frame("S", 3, "inbound", 3, 40, p[2]),    # 2 is late
        media_frame("S", 4, "inbound", 2, 20, p[1]),
        media_frame("S", 5, "inbound", 4, 60, p[3])])
    assert frames[1] is None                          # waits for chunk 2
    assert len(frames[2].audio) == 640                # chunks 2 and 3 together
    audio = b"".join(f.audio for f in frames if f)
    assert audio == b"".join(sc.Decoder("PCMU").decode(x) for x in p[:4])


def test_stop_releases_the_reorder_window_and_other_events_give_none():
    p = payloads_of("PCMU", speech_like(0.1, 8000, seed=3), 8000)
    s = serializer(rate=8000)
    frames = feed_all(s, [
        '{"event":"connected","version":"1.0.0"}',
        "this is not JSON",
        media_frame("S", 2, "inbound", 1, 0, p[0]),
        media_frame("S", 3, "inbound", 3, 40, p[2]),
        json.dumps({"event": "mark", "stream_id": "S", "mark": {"name": "m"}}),
        dtmf_frame("S", 4, "5"),
        dtmf_frame("S", 5, "A"),                      # pipecat has no key A
        stop_frame("S", 6)])
    assert frames[0] is None and frames[1] is None and frames[3] is None
    assert frames[6] is None
    # A mark this serializer did not send: passed on, with no position.
    assert frames[4].message == {"type": "streamcodec-mark", "name": "m", "played_ms": None,
                                 "cleared": False}
    assert isinstance(frames[5], InputDTMFFrame) and frames[5].button.value == "5"
    assert len(frames[7].audio) == 640                # chunk 2 concealed, then 3
    assert s.stats["inbound"].concealed == 1 and s.stream.rejected == 1


def test_audio_track_outbound_takes_the_other_leg():
    pin, pout = (payloads_of("PCMU", speech_like(0.06, 8000, seed=k), 8000) for k in (1, 2))
    messages = []
    for k in range(3):
        messages.append(media_frame("S", 2 * k + 2, "inbound", k + 1, 20 * k, pin[k]))
        messages.append(media_frame("S", 2 * k + 3, "outbound", k + 1, 20 * k, pout[k]))
    for track, wanted in (("inbound", pin), ("outbound", pout)):
        frames = feed_all(serializer(rate=8000, audio_track=track), messages)
        audio = b"".join(f.audio for f in frames if f)
        assert audio == b"".join(sc.Decoder("PCMU").decode(x) for x in wanted[:3])


def test_l16_at_its_own_inbound_rate():
    pcm = speech_like(0.1, 24000, seed=5)
    p = payloads_of("L16", pcm, 24000, codec_rate=24000)
    frames = feed_all(serializer(outbound="L16", rate=24000, outbound_sample_rate=24000),
                      [media_frame("S", k + 2, "inbound", k + 1, 20 * k, x)
                       for k, x in enumerate(p)])
    assert b"".join(f.audio for f in frames) == pcm.tobytes()


def pcm_frame(seconds, rate, seed=0):
    return OutputAudioRawFrame(audio=speech_like(seconds, rate, seed=seed).tobytes(),
                               sample_rate=rate, num_channels=1)


@pytest.mark.parametrize("codec", [c for c in ("PCMU", "PCMA", "G722", "L16") if c in CODECS])
def test_a_40ms_frame_is_one_media_message(codec):
    w = wire(codec)
    s = serializer(inbound=codec, telnyx_sample_rate=w)
    frame = pcm_frame(0.04, 24000, seed=7)
    message = serialize(s, frame)
    enc = sc.Encoder(codec, rate=24000, **({"codec_rate": w} if codec == "L16" else {}))
    assert payload(message) == b"".join(enc.packetize(frame.audio))
    assert s.stream.sent_ms == 40


def test_g711_playback_equals_the_reference():
    pcm = speech_like(0.04, 8000, seed=8)
    message = serialize(serializer(), OutputAudioRawFrame(pcm.tobytes(), 8000, 1))
    assert payload(message) == bytes(ulaw_encode(int(x)) for x in pcm)


@pytest.mark.skipif("AMR-WB" not in CODECS, reason="built without libvo-amrwbenc")
def test_amrwb_40ms_is_one_payload_with_two_frames():
    s = serializer(inbound="AMR-WB")
    frame = pcm_frame(0.04, 16000, seed=9)
    p = payload(serialize(s, frame))
    assert len(amrwb.unpack(p).frames) == 2
    enc = sc.Encoder("AMR-WB")
    dec_ours, dec_ref = sc.Decoder("AMR-WB"), sc.Decoder("AMR-WB")
    assert dec_ours.decode(p) == b"".join(dec_ref.decode(x) for x in enc.packetize(frame.audio))


@pytest.mark.skipif("OPUS" not in CODECS, reason="built without libopus")
def test_opus_playback_20ms_frames_and_a_clear_error_beyond():
    s = serializer(inbound="OPUS", telnyx_sample_rate=16000)
    one = serialize(s, pcm_frame(0.02, 24000))
    assert sc.Decoder("OPUS", rate=16000).decode(payload(one))
    assert serialize(s, pcm_frame(0.01, 24000)) is None       # half a packet waits
    assert payload(serialize(s, pcm_frame(0.01, 24000, seed=1)))
    with pytest.raises(ValueError, match="audio_out_10ms_chunks=2"):
        serialize(s, pcm_frame(0.04, 24000))


def test_interruption_is_clear_and_drops_held_audio():
    s = serializer(inbound="OPUS", telnyx_sample_rate=16000)
    assert serialize(s, pcm_frame(0.01, 16000)) is None
    assert json.loads(serialize(s, InterruptionFrame())) == {"event": "clear"}
    assert serialize(s, pcm_frame(0.01, 16000)) is None      # the held 10 ms went


def test_stereo_audio_is_refused():
    with pytest.raises(ValueError, match="mono"):
        serialize(serializer(), OutputAudioRawFrame(bytes(640), 8000, 2))


def test_playback_marks_go_out_and_their_echoes_reach_pipecat():
    from pipecat.frames.frames import InputTransportMessageFrame, OutputTransportMessageFrame

    from streamcodec.pipecat import PLAYBACK_MARK, playback_mark
    s = serializer()
    assert payload(serialize(s, pcm_frame(0.04, 16000)))
    assert json.loads(serialize(s, playback_mark("one"))) == {"event": "mark",
                                                              "mark": {"name": "one"}}
    echo = json.dumps({"event": "mark", "stream_id": "S", "mark": {"name": "one"}})
    (one,) = feed_all(s, [echo])
    assert isinstance(one, InputTransportMessageFrame)
    assert one.message == {"type": PLAYBACK_MARK, "name": "one", "played_ms": 40,
                           "cleared": False}
    assert serialize(s, pcm_frame(0.04, 16000, seed=1))
    serialize(s, playback_mark("two"))          # then the bot is interrupted
    assert json.loads(serialize(s, InterruptionFrame())) == {"event": "clear"}
    (two,) = feed_all(s, [echo.replace("one", "two")])
    assert two.message == {"type": PLAYBACK_MARK, "name": "two", "played_ms": None,
                           "cleared": True}
    with pytest.raises(ValueError, match="non-empty str name"):
        playback_mark("")
    with pytest.raises(ValueError, match="needs a non-empty str 'name'"):
        serialize(s, OutputTransportMessageFrame(message={"type": PLAYBACK_MARK}))
    # Other transport messages still pass through as pipecat's do.
    assert json.loads(serialize(s, OutputTransportMessageFrame(message={"x": 1}))) == {"x": 1}


@pytest.mark.parametrize("kind", ["FrameProcessorSetup", "StartFrame"])
def test_setup_takes_the_new_and_the_old_argument(kind):
    from pipecat.frames.frames import StartFrame
    from pipecat.processors.frame_processor import FrameProcessorSetup
    arg = (FrameProcessorSetup(clock=None, task_manager=None, pipeline_worker=None,
                               audio_in_sample_rate=24000) if kind == "FrameProcessorSetup"
           else StartFrame(audio_in_sample_rate=24000))
    s = TelnyxFrameSerializer("S", "PCMU", "PCMU",
                              params=TelnyxFrameSerializer.InputParams(auto_hang_up=False))
    asyncio.run(s.setup(arg))
    p = payloads_of("PCMU", speech_like(0.02, 8000, seed=1), 8000)
    frame = feed_all(s, [media_frame("S", 2, "inbound", 1, 0, p[0])])[0]
    assert frame.sample_rate == 24000 and len(frame.audio) == 960
