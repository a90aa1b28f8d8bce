/*
 * Streaming sample-rate conversion: a polyphase FIR resampler with exact
 * output lengths and no withholding.
 *
 * Filter: a Kaiser-windowed sinc designed at init for the gcd-reduced ratio
 * out/in = L/M, cut off at the lower of the two Nyquist frequencies (so it is
 * a half-band filter for 1:2, a third-band one for 1:3 and 2:3, and every
 * K-th tap, K = max(L, M), is zero), linear phase, odd length 2c+1 with the
 * centre c a whole number of output samples.
 *
 * Streaming contract.  After k input samples in total, exactly
 * floor(k * L / M) output samples have been emitted: a call never holds
 * back output that its inputs determine, so a 20 ms chunk at 8/16/24 kHz
 * always gives exactly 20 ms.  Output sample j stands for input time
 * j / out_rate seconds minus the filter delay, sc_resampler_delay() output
 * samples; that delay is the only latency.  Output for a signal fed in
 * chunks of any sizes is bit-identical
 * to one call on the whole signal.  sc_resampler_flush() emits the tail
 * (the delay, plus the final partial sample) and starts over;
 * sc_resampler_reset() starts over without emitting.
 *
 * Presets (measured by tests/test_resample.py with pure tones on the
 * float32 path: passband gain by least-squares fit, rejection = RMS of the
 * aliases / images relative to the tone; "lower Nyquist" is
 * min(in, out) / 2; delays are for 8 kHz as the lower rate and scale as
 * 8000 / min(in, out)):
 *
 *   0 low-latency   passband to 0.75 x lower Nyquist, stopband from 1.25 x.
 *                   Measured: deviation <= 0.005 dB, rejection >= 63.5 dB
 *                   (64.6..69.5 dB on the six 8/16/24 kHz conversions),
 *                   delay 1.0 ms (0.5 ms for 16 <-> 24 kHz).
 *   1 default       passband to 0.85 x lower Nyquist (3.4 kHz when 8 kHz
 *                   is involved), stopband from 1.15 x.
 *                   Measured: deviation <= 0.0002 dB, rejection >= 94.7 dB
 *                   (94.9..95.6 dB on the six), delay 2.5 ms (1.25 ms for
 *                   16 <-> 24 kHz).
 *   2 high-quality  passband to 0.9 x lower Nyquist, stopband from 1.1 x.
 *                   Measured: deviation < 0.00001 dB, rejection >= 125.9 dB
 *                   (128.9..134.0 dB on the six), delay 5.125 ms (2.6 ms
 *                   for 16 <-> 24 kHz).
 *
 * The filter is designed by Kaiser's formulas for the preset's target
 * (65 / 94 / 125 dB), its length rounded up so the delay is a whole number
 * of output samples; low-latency is capped at 1 ms.
 *
 * Rates: 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000 Hz,
 * any pair (equal rates copy with zero delay).  The six conversions among
 * 8000, 16000 and 24000 Hz (and every other pair whose reduced L and M are
 * at most 8) run a vectorised period-major kernel; the rest a vectorised
 * per-output dot product.  float32 input must be finite (NaN or infinity:
 * SC_EARG, nothing consumed).
 *
 * Memory: sc_resampler_get_size() bytes owned by the caller (Python or
 * codec.c), handed to sc_resampler_init(); the block holds the filter,
 * the history and the work buffers, and contains no pointers, so nothing
 * needs freeing.  A caller may hand over more than that: the excess is the
 * output area of sc_resampler_process_bytes().
 */
#ifndef SC_RESAMPLE_H
#define SC_RESAMPLE_H

#include "sc_common.h"

/* cffi:begin */
typedef struct sc_resampler sc_resampler;

enum {
    SC_RESAMPLE_LOW_LATENCY = 0,
    SC_RESAMPLE_DEFAULT = 1,
    SC_RESAMPLE_HIGH_QUALITY = 2
};

/* Write the supported rates (ascending) to rates[0..cap) and return how many
 * there are (call with cap 0 to ask). */
int sc_resampler_rates(int32_t *rates, size_t cap);
/* 1 when rate is one of them, else 0. */
int sc_resampler_rate_supported(int32_t rate);

/* Bytes of state for this conversion, or SC_EARG (non-positive rate, bad
 * quality) / SC_EUNSUPPORTED (a rate not in the list). */
int64_t sc_resampler_get_size(int32_t in_rate, int32_t out_rate, int quality);
/* Design the filter into st (size bytes, at least get_size()); SC_OK or a
 * negative code. */
int sc_resampler_init(sc_resampler *st, size_t size, int32_t in_rate, int32_t out_rate,
                      int quality);

/* Use (1) or not (0) the 16-lane AVX-512 kernel, which init asks for; it
 * runs while the installed SIMD level (cpu.h) is avx512, and asking for it
 * at another level gives SC_EUNSUPPORTED.  Both give identical output;
 * this exists so tests can prove it. */
int sc_resampler_set_wide(sc_resampler *st, int wide);

/* Filter delay in output samples. */
int32_t sc_resampler_delay(const sc_resampler *st);
/* Exactly how many samples the next process call with n inputs writes. */
int64_t sc_resampler_out_count(const sc_resampler *st, size_t n);
/* Exactly how many samples sc_resampler_flush() writes now. */
int64_t sc_resampler_flush_count(const sc_resampler *st);

/* Resample n samples; returns the count written (sc_resampler_out_count(n))
 * or SC_EBUFFER when cap is smaller (nothing consumed).  int16 output is
 * rounded to nearest and saturated. */
int64_t sc_resampler_process(sc_resampler *st, const int16_t *in, size_t n,
                             int16_t *out, size_t cap);
/* The per-message path of the Python layer, with as few arguments as cffi
 * can convert: 16-bit PCM given as nbytes bytes (an even count, else
 * SC_EARG) through a void pointer (so a bytes object passes as is), and
 * the output written to the block's own output area: the bytes from
 * sc_resampler_out_area(st) (an offset from st) to the end of the size
 * given to sc_resampler_init (a block of exactly get_size() bytes has
 * next to none; allocate more to use this).  Returns the count of BYTES
 * written there, or SC_EBUFFER (nothing consumed) when they do not fit. */
int64_t sc_resampler_out_area(const sc_resampler *st);
int64_t sc_resampler_process_bytes(sc_resampler *st, const void *in, size_t nbytes);
/* float32 samples of any scale; SC_EARG (nothing consumed) when one is
 * infinite or NaN. */
int64_t sc_resampler_process_float(sc_resampler *st, const float *in, size_t n,
                                   float *out, size_t cap);
/* Emit the tail (the filter's delay plus the final partial sample, as if
 * silence followed), then reset.  Returns the count written or SC_EBUFFER. */
int64_t sc_resampler_flush(sc_resampler *st, int16_t *out, size_t cap);
int64_t sc_resampler_flush_float(sc_resampler *st, float *out, size_t cap);
/* Forget all input: as freshly initialised. */
void sc_resampler_reset(sc_resampler *st);
/* Drop the next n output samples (n >= 0) instead of emitting them; one-shot
 * resampling skips the delay this way.  Counts above include the drop. */
int sc_resampler_skip(sc_resampler *st, int64_t n);
/* cffi:end */

#endif
