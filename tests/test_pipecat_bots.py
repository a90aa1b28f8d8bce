"""The example bots (examples/<carrier>_bot.py: FastAPI, pipecat's
FastAPIWebsocketTransport and streamcodec's serializer) called by
streamcodec's simulator of each carrier over 127.0.0.1, in every codec and
rate the carrier offers: frames in equal frames the pipeline hears, the
round trip is the speech sent, DTMF and the interruption's clear reach
pipecat and the carrier as frames, and what the bot plays back follows the
carrier's rules (the simulator checks them).  tests/test_pipecat.py runs a
bot from the command line against `streamcodec simulate --carrier twilio`."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

import pytest

if sys.version_info < (3, 11):    # the test extra installs pipecat-ai from 3.11 on
    pytest.skip("pipecat-ai needs Python >= 3.11", allow_module_level=True)

from streamcodec.signals import snr_db, speech_like  # noqa: E402
from streamcodec.simulate import simulate_call  # noqa: E402

from streamtest import run, uvicorn_on_loopback  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: (codec, wire rate) each carrier streams; every one is called.
FORMATS = {"twilio": [("PCMU", 8000)],
           "plivo": [("PCMU", 8000), ("L16", 8000), ("L16", 16000)],
           "exotel": [("L16", 8000), ("L16", 16000), ("L16", 24000)],
           "vonage": [("L16", 8000), ("L16", 16000)]}
#: Milliseconds of audio per inbound message.
MESSAGE_MS = {"exotel": 100}
#: Round-trip SNR floors (dB) against what was said: μ-law twice; 16-bit PCM
#: through the 16 kHz pipeline (lossless at 16 kHz, resampled otherwise).
FLOOR = {("PCMU", 8000): 25, ("L16", 8000): 50, ("L16", 16000): 90, ("L16", 24000): 15}


def load_bot(carrier):
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))        # the bots import pipecat_echo
    name = f"{carrier}_bot"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def query(carrier, codec, rate):
    if carrier == "exotel":
        return f"?sample-rate={rate}"
    if carrier == "vonage":
        return f"?rate={rate}"
    return ""


async def calls(carrier, options):
    """The carrier's bot under uvicorn; the given calls placed at once.
    Returns [(CallResult, CallLog)] in order."""
    logs: list = []
    app = load_bot(carrier).create_app(calls=logs)
    async with uvicorn_on_loopback(app) as port:
        results = await asyncio.gather(*(
            simulate_call(f"ws://127.0.0.1:{port}/ws" + o.pop("query"), carrier=carrier, **o)
            for o in options))
        for _ in range(200):                    # a call is logged when its pipeline ends
            if len(logs) == len(results):
                break
            await asyncio.sleep(0.025)
    assert len(logs) == len(results)
    if carrier == "vonage":                     # no stream id on Vonage's wire: one call each
        return list(zip(results, logs))
    by_stream = {log.stream_id: log for log in logs}
    return [(r, by_stream[r.stream_id]) for r in results]


@pytest.mark.parametrize("carrier", list(FORMATS))
def test_every_format_round_trip_through_pipecat(carrier):
    formats = FORMATS[carrier] if carrier != "vonage" else FORMATS[carrier][:1]
    pcm = {f: speech_like(1.0, f[1], seed=3) for f in formats}
    options = [dict(pcm=pcm[(c, r)], rate=r, codec=c, codec_rate=r, linger_idle=0.5,
                    query=query(carrier, c, r)) for c, r in formats]
    out = run(calls(carrier, options), timeout=120)
    ms = MESSAGE_MS.get(carrier, 20)
    for (codec, rate), (result, log) in zip(formats, out):
        what = f"{carrier} {codec} {rate}"
        assert result.bad_frames == 0, (what, result.errors)
        # Frames in = frames pipecat got, every one, from the first.
        assert result.frames == 1000 // ms
        assert log.samples_in == result.frames * 16 * ms, what
        assert log.first_frame_samples == 16 * ms, what
        assert log.media["inbound"].lost == 0
        # The bot marks each half second it plays; the carrier's acks come
        # back into the pipeline with the audio heard before each.
        assert result.marks_echoed == len(log.acks) == 2, what
        assert [a["name"] for a in log.acks] == ["500 ms", "1000 ms"], what
        assert all(abs(a["played_ms"] - int(a["name"][:-3])) <= 100 and not a["cleared"]
                   for a in log.acks), (what, log.acks)
        # What the caller hears back is what it said.
        assert result.heard_seconds >= 0.9, what
        assert snr_db(pcm[(codec, rate)], result.heard, max_lag=rate // 20) > \
            FLOOR[(codec, rate)], what


def test_vonage_at_8k():
    """Vonage's other rate, in its own call (Vonage's wire has no stream id
    to tell concurrent calls' logs apart)."""
    pcm = speech_like(1.0, 8000, seed=4)
    ((result, log),) = run(calls("vonage", [dict(pcm=pcm, rate=8000, codec="L16",
                                                 codec_rate=8000, linger_idle=0.5,
                                                 query="?rate=8000")]), timeout=60)
    assert result.bad_frames == 0, result.errors
    assert log.samples_in == 50 * 320 and log.first_frame_samples == 320
    assert snr_db(pcm, result.heard, max_lag=400) > FLOOR[("L16", 8000)]


@pytest.mark.parametrize("carrier", list(FORMATS))
def test_dtmf_and_clear_reach_pipecat_and_the_carrier(carrier):
    """Keys become InputDTMFFrames in the pipeline; '#' makes the bot
    interrupt itself, which reaches the carrier as its clear."""
    codec, rate = FORMATS[carrier][0]
    options = [dict(pcm=speech_like(1.0, rate, seed=6), rate=rate, codec=codec, codec_rate=rate,
                    dtmf="12#", linger_idle=0.5, query=query(carrier, codec, rate))]
    ((result, log),) = run(calls(carrier, options), timeout=60)
    assert log.keys == ["1", "2", "#"]
    assert log.interruptions == 1 and result.clears == 1
    assert result.bad_frames == 0, result.errors


@pytest.mark.parametrize("carrier", ["twilio", "plivo", "exotel"])
def test_reordering_and_loss_concealed_before_pipecat(carrier):
    codec, rate = FORMATS[carrier][0]
    ms = MESSAGE_MS.get(carrier, 20)
    options = [dict(pcm=speech_like(0.1 * ms, rate, seed=7), rate=rate, codec=codec,
                    codec_rate=rate, reorder=0.1, loss=0.05, seed=11, linger_idle=0.5,
                    query=query(carrier, codec, rate))]
    ((result, log),) = run(calls(carrier, options), timeout=60)
    stats = log.media["inbound"]
    assert result.reordered > 0 and result.lost > 0
    tail = 0                         # lost chunks at the very end leave no gap to fill
    while result.frames - tail in result.lost_chunks:
        tail += 1
    assert stats.lost == len(result.lost_chunks) - tail and stats.concealed == stats.lost
    assert log.samples_in == (result.frames - tail) * 16 * ms
