"""streamcodec.pipecat.StreamcodecResampler and use_streamcodec_resampler()
against the real pipecat-ai: pipecat's resample/flush/reset semantics, exact
lengths from the first call, no clearing across pauses (where pipecat's
SOXRStreamAudioResampler drops audio), and the reversible switch of every
resampler pipecat creates."""

from __future__ import annotations

import asyncio
import importlib
import re
import sys
import types
from pathlib import Path

import numpy as np
import pytest

if sys.version_info < (3, 11):    # the test extra installs pipecat-ai from 3.11 on
    pytest.skip("pipecat-ai needs Python >= 3.11", allow_module_level=True)

import streamcodec as sc  # noqa: E402
from streamcodec.signals import snr_db, speech_like, tone  # noqa: E402

import pipecat.audio.resamplers.soxr_stream_resampler as soxr_stream  # noqa: E402
import pipecat.audio.utils as pipecat_audio_utils  # noqa: E402
from pipecat.audio.resamplers.base_audio_resampler import BaseAudioResampler  # noqa: E402

from streamcodec.pipecat import (  # noqa: E402
    StreamcodecFileResampler,
    StreamcodecResampler,
    use_stock_resampler,
    use_streamcodec_resampler,
)

STOCK_STREAM = pipecat_audio_utils.create_stream_resampler
STOCK_FILE = pipecat_audio_utils.create_file_resampler
PAIRS = [(8000, 16000), (16000, 8000), (24000, 8000), (24000, 16000), (44100, 16000),
         (8000, 48000)]


@pytest.fixture(autouse=True)
def stock_again():
    """Every test starts and ends with pipecat's own factories."""
    use_stock_resampler()
    yield
    use_stock_resampler()
    assert pipecat_audio_utils.create_stream_resampler is STOCK_STREAM


class FakeClock:
    """time.time() for pipecat's stream resampler, advanced by the test:
    pauses without waiting, and no timing in the assertions."""

    def __init__(self):
        self.now = 1000.0

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(soxr_stream, "time", types.SimpleNamespace(time=fake.time))
    return fake


def chunks(pcm: np.ndarray, rate: int, ms: int = 20) -> list[bytes]:
    data = pcm.tobytes()
    step = rate * ms // 1000 * 2
    return [data[i:i + step] for i in range(0, len(data), step)]


def feed(resampler, pieces, in_rate, out_rate, clock=None, ms=20):
    async def main():
        out = []
        for piece in pieces:
            out.append(await resampler.resample(piece, in_rate, out_rate))
            if clock:
                clock.now += ms / 1000
        return out
    return asyncio.run(main())


def samples(pieces) -> np.ndarray:
    return np.frombuffer(b"".join(pieces), dtype=np.int16)


# --------------------------------------------------------------------------
# pipecat's BaseAudioResampler semantics
# --------------------------------------------------------------------------


def test_is_a_pipecat_resampler_with_async_methods():
    r = StreamcodecResampler()
    assert isinstance(r, BaseAudioResampler)
    for name in ("resample", "flush", "reset"):
        assert asyncio.iscoroutinefunction(getattr(r, name))
    assert isinstance(StreamcodecFileResampler(), BaseAudioResampler)


@pytest.mark.parametrize("in_rate,out_rate", PAIRS)
def test_exact_lengths_from_the_first_call(in_rate, out_rate):
    """After k input samples in all, exactly floor(k * out / in) have come
    out, whatever the chunking (here 20 ms, then 7 ms, then odd sizes), and
    the samples equal streamcodec.Resampler's on the whole input."""
    pcm = speech_like(0.3, in_rate, seed=1)
    data = pcm.tobytes()
    cuts = [0, in_rate // 50, in_rate // 50 + in_rate * 7 // 1000, 2 * in_rate // 50 + 1]
    cuts += list(range(cuts[-1] + 333, len(pcm), 333)) + [len(pcm)]
    pieces = [data[2 * a:2 * b] for a, b in zip(cuts, cuts[1:])]
    out = feed(StreamcodecResampler(), pieces, in_rate, out_rate)
    total = 0
    for k, piece in zip(np.cumsum([len(p) // 2 for p in pieces]), out):
        total += len(piece) // 2
        assert total == k * out_rate // in_rate
    assert len(out[0]) // 2 == in_rate // 50 * out_rate // in_rate   # 20 ms -> 20 ms
    whole = sc.Resampler(in_rate, out_rate, "high-quality").process(data)
    assert b"".join(out) == whole


def test_equal_rates_pass_through_and_any_buffer_is_taken():
    r = StreamcodecResampler()
    pcm = speech_like(0.02, 16000, seed=2).tobytes()
    assert asyncio.run(r.resample(pcm, 16000, 16000)) is pcm
    one = feed(StreamcodecResampler(), [memoryview(pcm)], 16000, 8000)[0]
    two = feed(StreamcodecResampler(), [bytearray(pcm)], 16000, 8000)[0]
    assert one == two == sc.Resampler(16000, 8000, "high-quality").process(pcm)
    assert isinstance(one, bytes)


def test_flush_gives_the_tail_and_starts_over():
    pcm = speech_like(0.1, 8000, seed=3).tobytes()
    r = StreamcodecResampler()
    assert asyncio.run(r.flush()) == b""               # nothing yet
    head = feed(r, [pcm], 8000, 16000)[0]
    tail = asyncio.run(r.flush())
    ref = sc.Resampler(8000, 16000, "high-quality")
    assert head == ref.process(pcm) and tail == ref.flush()
    assert len(tail) // 2 == ref.delay > 0
    # After the flush the next stream starts from a clean filter.
    assert feed(r, [pcm], 8000, 16000)[0] == head


def test_reset_forgets_and_starts_over():
    a, b = (speech_like(0.06, 16000, seed=s).tobytes() for s in (4, 5))
    r = StreamcodecResampler()
    feed(r, [a], 16000, 24000)
    asyncio.run(r.reset())
    assert feed(r, [b], 16000, 24000)[0] == sc.Resampler(16000, 24000, "high-quality").process(b)


def test_a_new_rate_pair_starts_over_where_stock_refuses():
    pcm = speech_like(0.04, 16000, seed=6).tobytes()
    r = StreamcodecResampler()
    feed(r, [pcm], 16000, 8000)
    assert feed(r, [pcm], 16000, 24000)[0] == \
        sc.Resampler(16000, 24000, "high-quality").process(pcm)
    stock = STOCK_STREAM()
    feed(stock, [pcm], 16000, 8000)
    with pytest.raises(ValueError, match="different sample rates"):
        feed(stock, [pcm], 16000, 24000)


def test_quality_names_and_bad_arguments():
    pcm = speech_like(0.04, 16000, seed=7).tobytes()
    for soxr_name, ours in (("VHQ", "high-quality"), ("HQ", "default"), ("QQ", "low-latency"),
                            ("default", "default")):
        got = feed(StreamcodecResampler(quality=soxr_name, clear_after_secs=0.2), [pcm],
                   16000, 8000)[0]
        assert got == sc.Resampler(16000, 8000, ours).process(pcm), soxr_name
    with pytest.raises(ValueError, match="quality must be one of"):
        StreamcodecResampler(quality="best")
    with pytest.raises(ValueError, match="in_rate=22000 Hz is not supported"):
        feed(StreamcodecResampler(), [pcm], 22000, 16000)
    with pytest.raises(ValueError, match="out_rate=96000 Hz is not supported"):
        asyncio.run(StreamcodecFileResampler().resample(pcm, 16000, 96000))


def test_file_resampler_is_whole_signal_and_close_to_soxr():
    pcm = speech_like(0.5, 24000, seed=8)
    ours = asyncio.run(StreamcodecFileResampler().resample(pcm.tobytes(), 24000, 16000))
    theirs = asyncio.run(STOCK_FILE().resample(pcm.tobytes(), 24000, 16000))
    assert ours == sc.resample(pcm.tobytes(), 24000, 16000, "high-quality")
    assert len(ours) == len(theirs) == 2 * 8000
    # Two different high-quality filters: close, not equal.
    assert snr_db(np.frombuffer(theirs, np.int16), np.frombuffer(ours, np.int16)) > 40


def test_stream_output_is_close_to_soxr_once_both_are_aligned():
    """Same signal through ours and pipecat's stock stream resampler, no
    pauses: the same audio; soxr VHQ still holds 50 ms of it back."""
    pcm = speech_like(1.0, 8000, seed=9)
    ours = samples(feed(StreamcodecResampler(), chunks(pcm, 8000), 8000, 16000))
    stock = samples(feed(STOCK_STREAM(clear_after_secs=None), chunks(pcm, 8000), 8000, 16000))
    assert len(ours) == 16000 and len(stock) <= 16000 - 800       # soxr still holds >= 50 ms
    ref = np.frombuffer(sc.resample(pcm.tobytes(), 8000, 16000, "high-quality"), np.int16)
    delay = sc.Resampler(8000, 16000, "high-quality").delay
    assert snr_db(ref[:16000 - delay], ours[delay:]) > 90     # same filter: to rounding
    assert snr_db(ref[:len(stock)], stock) > 40                # soxr: aligned with its input


# --------------------------------------------------------------------------
# Pauses longer than 0.2 s: where pipecat's stream resampler loses audio
# --------------------------------------------------------------------------


def spoken_with_pauses(resampler, in_rate, out_rate, clock, segments=3, pause=0.3):
    """Segments of speech in 20 ms calls, with ``pause`` seconds between
    them in which nobody calls (as between TTS sentences or STT turns).
    The first segment ends in 40 ms of a 3 kHz tone, to be found again."""
    said, heard = [], []
    for k in range(segments):
        pcm = speech_like(0.5, in_rate, seed=10 + k)
        if k == 0:
            pcm[-in_rate // 25:] = tone(3000, 0.04, in_rate)
        said.append(pcm)
        heard.append(samples(feed(resampler, chunks(pcm, in_rate), in_rate, out_rate, clock)))
        clock.now += pause
    return said, heard


@pytest.mark.parametrize("in_rate,out_rate", [(8000, 16000), (24000, 16000), (24000, 8000)])
def test_pauses_lose_nothing_where_stock_drops_each_segments_end(clock, in_rate, out_rate):
    ours_said, ours_heard = spoken_with_pauses(StreamcodecResampler(), in_rate, out_rate, clock)
    stock_said, stock_heard = spoken_with_pauses(STOCK_STREAM(), in_rate, out_rate, clock)
    per_segment = 0.5 * out_rate
    # Ours: every segment's samples out = samples in x ratio, from the first call.
    assert [len(h) for h in ours_heard] == [per_segment] * 3
    # All of it lines up with the whole speech resampled at once: the pause
    # cleared nothing and shifted nothing.
    whole = np.concatenate(ours_said).tobytes()
    ref = np.frombuffer(sc.resample(whole, in_rate, out_rate, "high-quality"), np.int16)
    delay = sc.Resampler(in_rate, out_rate, "high-quality").delay
    assert snr_db(ref[:len(ref) - delay], np.concatenate(ours_heard)[delay:]) > 90
    # Stock: each segment comes out short, the end of the one before the
    # pause is never heard (soxr's held samples are cleared), and the
    # pipeline hears more than 15 ms less of every half second of speech.
    lost_ms = [(per_segment - len(h)) * 1000 / out_rate for h in stock_heard]
    assert all(ms > 15 for ms in lost_ms), lost_ms
    # The tone that ends the first segment: ours plays all 40 ms of it,
    # stock loses the part soxr held when the pause cleared it.
    assert 38 <= tone_ms(np.concatenate(ours_heard), out_rate) <= 41
    assert tone_ms(np.concatenate(stock_heard), out_rate) < 40 - 15


def tone_ms(signal: np.ndarray, rate: int, freq: int = 3000) -> float:
    """Milliseconds of ``signal`` that are a pure ``freq`` tone: 5 ms
    windows whose energy is more than 95 % at that frequency (phase-free)."""
    n = rate // 200
    x = signal.astype(np.float64)
    phasor = np.exp(-2j * np.pi * freq * np.arange(len(x)) / rate)
    along = np.abs(np.convolve(x * phasor, np.ones(n), "valid")) ** 2 * 2 / n
    energy = np.convolve(x * x, np.ones(n), "valid")
    pure = along > 0.95 * np.maximum(energy, 1.0)
    return (int(pure.sum()) + n) * 1000 / rate if pure.any() else 0.0


def test_pipecat_output_transport_setting_does_not_save_stock_at_the_start(clock):
    """Even with clear_after_secs=None (pipecat's output transport), the
    stock resampler's first calls return nothing: the start is withheld."""
    pcm = speech_like(0.2, 24000, seed=20)
    stock = feed(STOCK_STREAM(clear_after_secs=None), chunks(pcm, 24000), 24000, 16000, clock)
    ours = feed(StreamcodecResampler(), chunks(pcm, 24000), 24000, 16000, clock)
    assert stock[0] == b"" and all(len(p) == 640 for p in ours)


# --------------------------------------------------------------------------
# use_streamcodec_resampler(): every pipecat module, and back
# --------------------------------------------------------------------------

PIPECAT_ROOT = Path(pipecat_audio_utils.__file__).resolve().parent.parent


def modules_importing_by_name() -> dict[str, set[str]]:
    """pipecat's modules that do ``from pipecat.audio.utils import`` a
    resampler factory at module level, read from the installed sources."""
    found = {}
    for path in PIPECAT_ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^from pipecat\.audio\.utils import (\([^)]*\)|[^\n]*)",
                                 text, re.M):
            names = set(re.findall(r"create_(?:stream|file)_resampler", match.group(1)))
            if names:
                rel = path.relative_to(PIPECAT_ROOT.parent).with_suffix("")
                found.setdefault(".".join(rel.parts), set()).update(names)
    return found


def importable(names) -> dict[str, types.ModuleType]:
    """The given modules that import here (some need optional extras)."""
    out = {}
    for name in names:
        try:
            out[name] = importlib.import_module(name)
        except Exception:      # a missing optional dependency of that service
            continue
    return out


def test_every_module_that_imported_the_factories_by_name_gets_ours_and_back():
    wanted = modules_importing_by_name()
    assert len(wanted) >= 20          # pipecat 1.14 has about 25
    modules = importable(wanted)
    core = {"pipecat.transports.base_output", "pipecat.services.tts_service",
            "pipecat.processors.audio.audio_buffer_processor", "pipecat.serializers.twilio",
            "pipecat.serializers.plivo", "pipecat.serializers.exotel",
            "pipecat.serializers.vonage", "pipecat.audio.dtmf.utils"}
    assert core <= set(modules), core - set(modules)
    for name, module in modules.items():
        for fn in wanted[name]:
            assert getattr(module, fn) in (STOCK_STREAM, STOCK_FILE), name

    changed = use_streamcodec_resampler()
    assert set(modules) | {"pipecat.audio.utils"} <= set(changed)
    assert use_streamcodec_resampler() == []                       # already on
    for name, module in modules.items():
        assert isinstance(module.create_stream_resampler() if "create_stream_resampler"
                          in wanted[name] else module.create_file_resampler(),
                          (StreamcodecResampler, StreamcodecFileResampler)), name
    assert isinstance(pipecat_audio_utils.create_file_resampler(), StreamcodecFileResampler)

    back = use_stock_resampler()
    assert set(back) == set(changed)
    assert use_stock_resampler() == []
    for name, module in modules.items():
        for fn in wanted[name]:
            assert getattr(module, fn) is getattr(pipecat_audio_utils, fn), name
    assert pipecat_audio_utils.create_stream_resampler is STOCK_STREAM


def test_a_module_imported_while_on_gets_ours_and_is_restored_by_the_undo(monkeypatch):
    name = "pipecat.serializers.exotel"
    monkeypatch.delitem(sys.modules, name)
    use_streamcodec_resampler()
    module = importlib.import_module(name)
    assert isinstance(module.create_stream_resampler(), StreamcodecResampler)
    assert name in use_stock_resampler()
    assert module.create_stream_resampler is STOCK_STREAM


def test_stock_twilio_serializer_hears_the_first_message_once_switched():
    """pipecat's own Twilio serializer, built after the switch: its first
    20 ms media message gives 20 ms at 16 kHz (stock soxr gives nothing)."""
    from pipecat.processors.frame_processor import FrameProcessorSetup
    from pipecat.serializers.twilio import TwilioFrameSerializer as Stock

    def first_frame():
        s = Stock("MZ1", params=Stock.InputParams(auto_hang_up=False))
        asyncio.run(s.setup(FrameProcessorSetup(clock=None, task_manager=None,
                                                pipeline_worker=None,
                                                audio_in_sample_rate=16000)))
        payload = sc.Encoder("PCMU").encode(speech_like(0.02, 8000, seed=21))
        import base64
        import json
        message = json.dumps({"event": "media", "streamSid": "MZ1", "media": {
            "payload": base64.b64encode(payload).decode()}})
        return asyncio.run(s.deserialize(message))

    assert first_frame() is None
    use_streamcodec_resampler()
    frame = first_frame()
    assert frame is not None and len(frame.audio) == 640 and frame.sample_rate == 16000


def test_lazy_modules_are_left_alone(monkeypatch):
    """A module whose attribute access would load it (LazyLoader) is not
    touched: switching must not import anything."""
    loaded = []

    class Lazy(types.ModuleType):
        def __getattribute__(self, name):
            loaded.append(name)
            return super().__getattribute__(name)
    monkeypatch.setitem(sys.modules, "some_lazy_module", Lazy("some_lazy_module"))
    assert "some_lazy_module" not in use_streamcodec_resampler()
    use_stock_resampler()
    assert loaded == []


def test_stock_twilio_serializer_sends_every_utterance_whole_once_switched(clock):
    """pipecat's own Twilio serializer playing two utterances of TTS (24 kHz,
    40 ms frames) with a 0.3 s pause: stock loses the end of the first (its
    resampler is cleared in the pause) and holds back the start of each;
    built after use_streamcodec_resampler() it sends all of it."""
    import base64
    import json

    from pipecat.frames.frames import OutputAudioRawFrame
    from pipecat.serializers.twilio import TwilioFrameSerializer as Stock

    def sent_samples():
        s = Stock("MZ1", params=Stock.InputParams(auto_hang_up=False))
        total = 0
        for k in range(2):
            tts = speech_like(0.6, 24000, seed=30 + k).tobytes()
            for i in range(0, len(tts), 1920):
                out = asyncio.run(s.serialize(OutputAudioRawFrame(tts[i:i + 1920], 24000, 1)))
                if out:
                    total += len(base64.b64decode(json.loads(out)["media"]["payload"]))
                clock.now += 0.04
            clock.now += 0.3
        return total
    stock = sent_samples()
    use_streamcodec_resampler()
    ours = sent_samples()
    assert ours == 2 * 4800                       # 1.2 s of 8 kHz μ-law, every sample
    assert stock < 2 * 4800 - 2 * 8 * 40          # > 40 ms short per utterance
