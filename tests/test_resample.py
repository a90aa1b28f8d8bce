"""The streaming resampler: measured quality, exact lengths, chunk-size
invariance, flush/reset, int16 rounding, bad input, and resampling inside
Decoder/Encoder.

Quality is measured on the float32 path (int16 output would bury anything
below about -100 dB in quantisation noise) with pure tones: the passband
gain is a least-squares fit of the tone at its own frequency; rejection is
the RMS of everything else that comes out (aliases of a stopband tone when
downsampling, images of a passband tone when upsampling), relative to the
tone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import streamcodec as sc

SIX = [(8000, 16000), (16000, 8000), (8000, 24000), (24000, 8000), (16000, 24000),
       (24000, 16000)]
QUALITIES = ["low-latency", "default", "high-quality"]

#: Claims per preset: (passband edge, stopband edge) as fractions of the lower
#: Nyquist frequency, max passband deviation (dB), min rejection (dB), max
#: group delay (ms) when 8 kHz is the lower rate.
CLAIMS = {
    "low-latency": (0.75, 1.25, 0.01, 62.0, 1.0),
    "default": (0.85, 1.15, 0.1, 90.0, 3.0),
    "high-quality": (0.90, 1.10, 0.001, 120.0, 5.2),
}


# ---------------------------------------------------------------- helpers

def run_float(r: sc.Resampler, x: np.ndarray) -> np.ndarray:
    return np.concatenate([r.process(x.astype(np.float32)), r.flush()])


def tone(freq: float, rate: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def fit_tone(y: np.ndarray, freq: float, rate: int) -> tuple[float, np.ndarray]:
    """Amplitude of the component at freq, and the residual without it."""
    t = np.arange(len(y)) / rate
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t),
                      np.ones_like(t)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, y, rcond=None)
    return float(np.hypot(coef[0], coef[1])), y - basis @ coef


def steady(y: np.ndarray, delay: int, rate: int) -> np.ndarray:
    """Drop the filter's start-up and ring-down (2 x delay plus 2 ms)."""
    edge = 2 * delay + rate // 500
    return y[edge:len(y) - edge].astype(np.float64)


def measure(in_rate: int, out_rate: int, quality: str) -> dict[str, float]:
    """Passband deviation and alias/image rejection of one conversion."""
    p_edge, s_edge, *_ = CLAIMS[quality]
    nyq = min(in_rate, out_rate) / 2
    r = sc.Resampler(in_rate, out_rate, quality)
    d = r.delay
    seconds = 0.12
    pass_freqs = np.linspace(0.02, p_edge, 14) * nyq
    dev = 0.0
    worst = math.inf
    for f in pass_freqs:
        y = steady(run_float(r, tone(f, in_rate, seconds)), d, out_rate)
        amp, resid = fit_tone(y, f, out_rate)
        dev = max(dev, abs(20 * math.log10(amp / 0.5)))
        if out_rate > in_rate and in_rate - f >= s_edge * nyq:
            # upsampling: what is left are the images of f
            rms = np.sqrt(np.mean(resid ** 2))
            worst = min(worst, -20 * math.log10(max(rms, 1e-30) / (0.5 / math.sqrt(2))))
    if in_rate > out_rate and s_edge * nyq < 0.99 * in_rate / 2:
        # downsampling: tones from the stopband edge to the input Nyquist
        # (48000 -> 44100 has none: everything it folds lands in the transition band)
        for f in np.linspace(s_edge * nyq, 0.995 * in_rate / 2, 12):
            y = steady(run_float(r, tone(f, in_rate, seconds)), d, out_rate)
            rms = np.sqrt(np.mean(y ** 2))
            worst = min(worst, -20 * math.log10(max(rms, 1e-30) / (0.5 / math.sqrt(2))))
    return {"passband_dev_db": dev, "rejection_db": worst,
            "delay_ms": 1000 * d / out_rate}


# ---------------------------------------------------------------- quality

@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("in_rate,out_rate", SIX)
def test_measured_quality(in_rate, out_rate, quality):
    p_edge, s_edge, max_dev, min_rej, max_delay_8k = CLAIMS[quality]
    m = measure(in_rate, out_rate, quality)
    assert m["passband_dev_db"] <= max_dev, m
    assert m["rejection_db"] >= min_rej, m
    assert m["delay_ms"] <= max_delay_8k * 8000 / min(in_rate, out_rate) + 1e-9, m


@pytest.mark.parametrize("in_rate,out_rate", [(44100, 48000), (48000, 44100), (8000, 11025),
                                              (22050, 16000), (8000, 48000), (12000, 8000)])
def test_measured_quality_other_rates(in_rate, out_rate):
    m = measure(in_rate, out_rate, "default")
    assert m["passband_dev_db"] <= 0.1, m
    assert m["rejection_db"] >= 90.0, m
    assert m["delay_ms"] <= 3.0, m


def test_stopband_tone_is_removed_int16():
    """A 5 kHz tone into 16 -> 8 kHz (beyond 1.15 x 4 kHz) vanishes below the
    int16 noise floor, while a 1 kHz tone passes at its level."""
    r = sc.Resampler(16000, 8000)
    loud = np.round(tone(5000, 16000, 0.2, 30000)).astype(np.int16)
    y = np.frombuffer(r.process(loud), np.int16)[100:]
    assert np.max(np.abs(y)) <= 1
    r.reset()
    x = np.round(tone(1000, 16000, 0.2, 30000)).astype(np.int16)
    y = np.frombuffer(r.process(x), np.int16)[100:].astype(float)
    amp, _ = fit_tone(y, 1000, 8000)
    assert abs(amp - 30000) < 3


@pytest.mark.parametrize("quality", QUALITIES)
@pytest.mark.parametrize("in_rate,out_rate", SIX)
def test_impulse_gives_delay(in_rate, out_rate, quality):
    r = sc.Resampler(in_rate, out_rate, quality)
    g = math.gcd(in_rate, out_rate)
    up, down = out_rate // g, in_rate // g
    at = 10 * down                       # lands on an output sample: at * up / down
    x = np.zeros(in_rate // 10, np.float32)
    x[at] = 1.0
    y = run_float(r, x)
    peak = int(np.argmax(np.abs(y)))
    assert peak == at * up // down + r.delay
    # linear phase: the response is symmetric about the peak
    k = np.arange(1, r.delay + 1)
    np.testing.assert_allclose(y[peak - k], y[peak + k], atol=1e-6)


@pytest.mark.parametrize("in_rate", sc.SUPPORTED_RATES)
@pytest.mark.parametrize("out_rate", sc.SUPPORTED_RATES)
def test_delay_budget_every_pair(in_rate, out_rate):
    for quality, budget in (("low-latency", 1.0), ("default", 3.0)):
        r = sc.Resampler(in_rate, out_rate, quality)
        assert 1000 * r.delay / out_rate <= budget + 1e-9
        if in_rate == out_rate:
            assert r.delay == 0


def test_tone_level_and_phase_against_exact_reference():
    """8 -> 24 kHz of a 1 kHz tone equals the tone itself sampled at 24 kHz
    and shifted by the reported delay, within -90 dB."""
    r = sc.Resampler(8000, 24000)
    x = tone(1000, 8000, 0.3)
    y = run_float(r, x).astype(np.float64)
    t = (np.arange(len(y)) - r.delay) / 24000
    ref = 0.5 * np.sin(2 * np.pi * 1000 * t)
    sl = slice(4 * r.delay, len(x) * 3 - 4 * r.delay)
    err = np.max(np.abs(y[sl] - ref[sl]))
    assert 20 * math.log10(err / 0.5) < -90


# ---------------------------------------------------------------- lengths

@pytest.mark.parametrize("in_rate,out_rate", SIX + [(44100, 48000), (8000, 11025),
                                                    (48000, 22050)])
def test_exact_lengths_per_chunk(in_rate, out_rate):
    r = sc.Resampler(in_rate, out_rate)
    rng = np.random.default_rng(in_rate + out_rate)
    total = 0
    for _ in range(200):
        n = int(rng.integers(0, 700))
        expect = (total + n) * out_rate // in_rate - total * out_rate // in_rate
        assert r.out_count(n) == expect
        out = r.process(rng.integers(-3000, 3000, n, dtype=np.int16))
        assert len(out) == 2 * expect
        total += n


@pytest.mark.parametrize("in_rate,out_rate", SIX)
def test_20ms_chunks_give_20ms(in_rate, out_rate):
    r = sc.Resampler(in_rate, out_rate)
    chunk = np.ones(in_rate // 50, np.int16)
    assert [len(r.process(chunk)) // 2 for _ in range(5)] == [out_rate // 50] * 5


@pytest.mark.parametrize("in_rate,out_rate", SIX + [(8000, 48000), (48000, 8000)])
def test_20ms_messages_equal_one_call(in_rate, out_rate):
    """The per-message path (bytes or numpy chunks, written to the output
    area) and the general path (one call too long for that area) give the
    same bytes, for a few seconds of loud noise."""
    x = np.random.default_rng(abs(out_rate - in_rate)).integers(-32768, 32768, 3 * in_rate,
                                                            dtype=np.int16)
    whole = sc.Resampler(in_rate, out_rate).process(x)
    assert len(whole) // 2 > 8192   # longer than the output area: the general path
    step = in_rate // 50
    for as_bytes in (False, True):
        r = sc.Resampler(in_rate, out_rate)
        parts = [r.process(x[i:i + step].tobytes() if as_bytes else x[i:i + step])
                 for i in range(0, len(x), step)]
        assert b"".join(parts) == whole


def test_strided_int16_array_is_its_samples():
    x = np.random.default_rng(5).integers(-20000, 20000, 2000, dtype=np.int16)
    assert sc.Resampler(8000, 16000).process(x[::2]) == \
        sc.Resampler(8000, 16000).process(np.ascontiguousarray(x[::2]))


def _stream(r: sc.Resampler, x: np.ndarray, cuts: list[int]):
    parts = []
    prev = 0
    for c in sorted(cuts) + [len(x)]:
        parts.append(r.process(x[prev:c]))
        prev = c
    parts.append(r.flush())
    if x.dtype == np.float32:
        return np.concatenate(parts)
    return b"".join(parts)


PAIRS = st.sampled_from(SIX + [(44100, 48000), (8000, 11025), (32000, 12000), (22050, 8000)])


@settings(max_examples=40, deadline=None)
@given(pair=PAIRS, quality=st.sampled_from(QUALITIES),
       cuts=st.lists(st.integers(0, 3000), max_size=12), seed=st.integers(0, 2 ** 16),
       as_float=st.booleans())
def test_chunk_size_invariance(pair, quality, cuts, seed, as_float):
    in_rate, out_rate = pair
    rng = np.random.default_rng(seed)
    if as_float:
        x = rng.standard_normal(3000).astype(np.float32)
    else:
        x = rng.integers(-32768, 32768, 3000, dtype=np.int16)
    whole = _stream(sc.Resampler(in_rate, out_rate, quality), x, [])
    split = _stream(sc.Resampler(in_rate, out_rate, quality), x, cuts)
    if as_float:
        assert np.array_equal(whole, split)
    else:
        assert whole == split


@settings(max_examples=15, deadline=None)
@given(pair=st.sampled_from(SIX + [(8000, 48000), (32000, 12000)]),
       quality=st.sampled_from(QUALITIES), seed=st.integers(0, 2 ** 16),
       cuts=st.lists(st.integers(0, 2000), max_size=6))
def test_wide_and_narrow_kernels_agree(pair, quality, seed, cuts):
    """On AVX-512 machines the period-major engine runs a 16-lane kernel; the
    8-lane one must give bit-identical output (same per-lane operations)."""
    from streamcodec._core import lib
    x = np.random.default_rng(seed).standard_normal(2000).astype(np.float32)
    narrow = sc.Resampler(*pair, quality)
    assert lib.sc_resampler_set_wide(narrow._st, 0) == lib.SC_OK
    wide = sc.Resampler(*pair, quality)
    if lib.sc_resampler_set_wide(wide._st, 1) != lib.SC_OK:
        return   # this CPU has no AVX-512: only the 8-lane kernel exists here
    assert np.array_equal(_stream(narrow, x, cuts), _stream(wide, x, []))


# ---------------------------------------------------------------- flush / reset

@pytest.mark.parametrize("in_rate,out_rate", SIX + [(44100, 48000), (11025, 8000)])
def test_flush_emits_tail_and_resets(in_rate, out_rate):
    r = sc.Resampler(in_rate, out_rate)
    rng = np.random.default_rng(7)
    x = rng.integers(-10000, 10000, 1001, dtype=np.int16)
    first = r.process(x) + r.flush()
    n_out = -(-len(x) * out_rate // in_rate)
    assert len(first) // 2 == n_out + r.delay
    assert r.flush() == b""
    # after flush the stream starts over: the same input gives the same output
    assert r.process(x) + r.flush() == first
    # reset mid-stream forgets everything
    r.process(x[:333])
    r.reset()
    assert r.process(x) + r.flush() == first
    # one-shot resample() is the same stream with the delay removed
    one = sc.resample(x, in_rate, out_rate)
    assert len(one) // 2 == n_out
    assert one == first[2 * r.delay:]


def test_flush_float_and_tail_content():
    r = sc.Resampler(8000, 16000)
    x = tone(500, 8000, 0.05).astype(np.float32)
    y = np.concatenate([r.process(x), r.flush()])
    assert y.dtype == np.float32
    # the tail carries the end of the signal, then the output is complete
    assert len(y) == 2 * len(x) + r.delay
    ref = 0.5 * np.sin(2 * np.pi * 500 * (np.arange(len(y)) - r.delay) / 16000)
    mid = slice(2 * r.delay, 2 * len(x) - 20)
    assert np.max(np.abs(y[mid] - ref[mid])) < 1e-4


def test_resample_float_and_identity():
    x = tone(1000, 16000, 0.1).astype(np.float32)
    y = sc.resample(x, 16000, 8000)
    assert y.dtype == np.float32 and len(y) == 800
    amp, _ = fit_tone(y[50:-50].astype(float), 1000, 8000)
    assert abs(amp - 0.5) < 1e-4
    pcm = np.arange(-500, 500, dtype=np.int16)
    assert sc.resample(pcm, 16000, 16000) == pcm.tobytes()
    assert sc.Resampler(16000, 16000).delay == 0


# ---------------------------------------------------------------- int16

@pytest.mark.parametrize("in_rate,out_rate", [(8000, 16000), (24000, 8000), (44100, 48000)])
def test_int16_is_rounded_and_saturated_float(in_rate, out_rate):
    """The int16 path is the float path rounded to nearest (ties to even) and
    clipped; a full-scale square wave overshoots and must saturate."""
    n = in_rate // 10
    square = np.where((np.arange(n) // 37) % 2, 32767, -32768).astype(np.int16)
    rng = np.random.default_rng(3)
    noise = rng.integers(-20000, 20000, n, dtype=np.int16)
    for x in (square, noise):
        a = np.frombuffer(sc.Resampler(in_rate, out_rate).process(x), np.int16)
        f = sc.Resampler(in_rate, out_rate).process(x.astype(np.float32))
        expect = np.clip(np.rint(f.astype(np.float64)), -32768, 32767).astype(np.int16)
        assert np.array_equal(a, expect)
    f = sc.Resampler(in_rate, out_rate).process(square.astype(np.float32))
    assert f.max() > 32767.5 and f.min() < -32768.5   # Gibbs overshoot happened


def test_int16_input_types_agree():
    x = np.arange(-800, 800, 3, dtype=np.int16)
    outs = [sc.Resampler(8000, 24000).process(v)
            for v in (x, x.tobytes(), bytearray(x.tobytes()), memoryview(x.tobytes()))]
    assert all(o == outs[0] for o in outs) and isinstance(outs[0], bytes)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("rate", [0, -8000, 44000, 96000, 7999])
def test_bad_rates_list_supported(rate):
    with pytest.raises(ValueError, match="8000, 11025, 12000, 16000, 22050, 24000, 32000, "
                                         "44100, 48000"):
        sc.Resampler(rate, 16000)
    with pytest.raises(ValueError, match="44100"):
        sc.Resampler(8000, rate)
    with pytest.raises(ValueError, match="44100"):
        sc.resample(b"\0\0", rate, 8000)


@pytest.mark.parametrize("rate", ["8000", 8000.0, None, True])
def test_rate_types(rate):
    with pytest.raises(TypeError, match="int"):
        sc.Resampler(rate, 16000)


def test_bad_quality_lists_presets():
    with pytest.raises(ValueError, match="'low-latency', 'default', 'high-quality'"):
        sc.Resampler(8000, 16000, "best")
    with pytest.raises(ValueError, match="high-quality"):
        sc.Decoder("PCMU", rate=16000, quality=2)


def test_bad_buffers():
    r = sc.Resampler(8000, 16000)
    with pytest.raises(ValueError, match="odd"):
        r.process(b"\0\0\0")
    with pytest.raises(TypeError, match="int16.*float32"):
        r.process(np.zeros(10, np.float64))
    with pytest.raises(TypeError, match="int16.*float32"):
        r.process(np.zeros(10, np.int32))
    with pytest.raises(ValueError, match="one-dimensional"):
        r.process(np.zeros((2, 10), np.float32))
    with pytest.raises(ValueError, match="one-dimensional"):
        r.process(np.zeros((2, 10), np.int16))
    with pytest.raises(TypeError):
        r.process("abc")
    with pytest.raises(TypeError, match="int16.*float32"):
        sc.resample(np.zeros(10, np.float64), 8000, 16000)
    # nothing above disturbed the stream
    assert len(r.process(b"\0\0" * 80)) == 320


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_float_input_must_be_finite(bad):
    r = sc.Resampler(16000, 8000)
    good = tone(440, 16000, 0.02).astype(np.float32)
    first = r.process(good)
    x = good.copy()
    x[100] = bad
    with pytest.raises(ValueError, match="finite"):
        r.process(x)
    with pytest.raises(ValueError, match="finite"):
        sc.resample(x, 16000, 8000)
    # nothing was consumed: the stream goes on as if the bad chunk never came
    ref = sc.Resampler(16000, 8000)
    ref.process(good)
    assert np.array_equal(r.process(good), ref.process(good))
    assert np.array_equal(first, sc.Resampler(16000, 8000).process(good))


def test_c_layer_rejects_bad_calls():
    from streamcodec._core import ffi, lib
    assert lib.sc_resampler_get_size(8000, 16000, 3) == lib.SC_EARG
    assert lib.sc_resampler_get_size(0, 16000, 1) == lib.SC_EARG
    assert lib.sc_resampler_get_size(8000, 96000, 1) == lib.SC_EUNSUPPORTED
    size = lib.sc_resampler_get_size(8000, 16000, 1)
    mem = ffi.new("char[]", size)
    st_ = ffi.cast("sc_resampler *", mem)
    assert lib.sc_resampler_init(st_, size - 1, 8000, 16000, 1) == lib.SC_EBUFFER
    assert lib.sc_resampler_init(st_, size, 8000, 16000, 1) == lib.SC_OK
    x = ffi.new("int16_t[]", 100)
    out = ffi.new("int16_t[]", 200)
    assert lib.sc_resampler_process(st_, x, 100, out, 199) == lib.SC_EBUFFER
    assert lib.sc_resampler_process(st_, x, 100, out, 200) == 200
    assert lib.sc_resampler_skip(st_, -1) == lib.SC_EARG
    assert lib.sc_resampler_flush(st_, out, 10) == lib.SC_EBUFFER
    # the bytes path: even byte counts only; its output area is what the
    # block has beyond get_size(), next to nothing here
    assert lib.sc_resampler_process_bytes(st_, bytes(201), 201) == lib.SC_EARG
    assert lib.sc_resampler_process_bytes(st_, bytes(200), 200) == lib.SC_EBUFFER
    assert 0 < lib.sc_resampler_out_area(st_) <= size
    big = ffi.new("char[]", size + 4096)
    st2 = ffi.cast("sc_resampler *", big)
    assert lib.sc_resampler_init(st2, size + 4096, 8000, 16000, 1) == lib.SC_OK
    pcm = np.arange(-5000, 5000, 100, dtype=np.int16)
    got = lib.sc_resampler_process_bytes(st2, pcm.tobytes(), 200)
    assert got == 400
    area = ffi.buffer(big + lib.sc_resampler_out_area(st2), got)[:]
    assert area == sc.Resampler(8000, 16000).process(pcm)


# ---------------------------------------------------------------- codecs

def _ulaw_tone(freq: float, seconds: float, amp: float) -> bytes:
    pcm = np.round(tone(freq, 8000, seconds, amp)).astype(np.int16)
    return sc.Encoder("PCMU").encode(pcm)


def test_pcmu_decoder_at_16k_one_call():
    d = sc.Decoder("PCMU", rate=16000)
    assert len(d.decode(bytes(range(160)))) == 640
    payload = _ulaw_tone(1000, 0.5, 10000)
    pcm = np.frombuffer(d.decode(payload), np.int16).astype(float)
    assert len(pcm) == 8000
    spec = np.abs(np.fft.rfft(pcm[400:] * np.hanning(len(pcm) - 400)))
    peak_hz = np.argmax(spec) * 16000 / (len(pcm) - 400)
    assert abs(peak_hz - 1000) < 3
    amp, resid = fit_tone(pcm[400:], 1000, 16000)
    assert abs(20 * math.log10(amp / 10000)) < 0.1       # G.711 keeps the level
    # nothing above 4.6 kHz: the image at 7 kHz is gone
    assert spec[int(6000 * (len(pcm) - 400) / 16000):].max() < spec.max() * 1e-3


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
@pytest.mark.parametrize("rate", [16000, 24000, 11025, 48000])
def test_decoder_equals_decode_then_resample(codec, rate):
    """Whatever the payload size (sliced inside), Decoder(rate=...) equals the
    8 kHz decode fed through one Resampler stream."""
    rng = np.random.default_rng(rate)
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (160, 1, 7000, 333)]
    d = sc.Decoder(codec, rate=rate)
    plain = sc.Decoder(codec)
    r = sc.Resampler(8000, rate)
    for p in payloads:
        assert d.decode(p) == r.process(plain.decode(p))


def test_l16_codec_rate_resampled():
    d = sc.Decoder("L16", rate=16000, codec_rate=8000)
    x = np.arange(-160, 160, 2, dtype=np.int16)
    out = d.decode(x.astype(">i2").tobytes())
    assert out == sc.Resampler(8000, 16000).process(x)
    e = sc.Encoder("L16", rate=16000, codec_rate=8000)
    assert e.quantum == 2
    pcm16 = np.round(tone(1000, 16000, 0.1, 8000)).astype(np.int16)
    wire = e.encode(pcm16)
    assert wire == np.frombuffer(sc.Resampler(16000, 8000).process(pcm16),
                                 np.int16).astype(">i2").tobytes()


def test_conceal_resampled():
    d = sc.Decoder("PCMU", rate=16000)
    assert d.conceal(320) == bytes(640)
    # 3 samples at 16 kHz are 1.5 at 8 kHz: two are made, one dropped, so
    # the caller still gets exactly what it asked for.
    assert d.conceal(3) == bytes(6)
    d24 = sc.Decoder("PCMA", rate=24000)
    assert len(d24.conceal(480)) == 960


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
def test_encoder_at_24k(codec):
    e = sc.Encoder(codec, rate=24000)
    assert e.quantum == 3
    pcm = np.round(tone(1000, 24000, 0.5, 10000)).astype(np.int16)
    payload = e.encode(pcm[:480])
    assert len(payload) == 160
    rest = e.encode(pcm[480:])
    back = np.frombuffer(sc.Decoder(codec).decode(payload + rest), np.int16).astype(float)
    amp, _ = fit_tone(back[200:], 1000, 8000)
    assert abs(20 * math.log10(amp / 10000)) < 0.1
    with pytest.raises(ValueError, match="whole frames of 3"):
        e.encode(pcm[:100])
    assert len(e.packetize(pcm[:500])) == 1 and len(e.flush()) == 1


def test_encoder_quantum_other_rates():
    assert sc.Encoder("PCMU", rate=11025, ptime=40).quantum == 441
    assert sc.Encoder("PCMU", rate=16000).quantum == 2
    assert sc.Encoder("PCMA", rate=48000).quantum == 6


def test_codec_rates_validated():
    with pytest.raises(ValueError, match="11025, 12000"):
        sc.Decoder("PCMU", rate=44000)
    with pytest.raises(ValueError, match="11025, 12000"):
        sc.Encoder("PCMA", rate=96000)
    with pytest.raises(ValueError, match="11025, 12000"):
        sc.Decoder("L16", rate=16000, codec_rate=9000)
    # no resampling needed: L16 runs at any rate of its own
    assert len(sc.Decoder("L16", rate=96000).decode(bytes(4))) == 4


def test_supported_rates_constant():
    assert sc.SUPPORTED_RATES == (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
