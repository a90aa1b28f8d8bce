/*
 * Packet-loss concealment of ITU-T G.711 Appendix I (09/1999), written from
 * the Recommendation's description: on a loss, find the pitch of the last
 * 20 ms by normalised cross-correlation (lags 5..15 ms, a coarse search at
 * 2:1 decimation, then +-1 sample), repeat the last pitch period with a
 * 1/4-period triangular overlap-add at every joint, add a second and a third
 * period at the start of the 2nd and 3rd lost 10 ms, keep full level for
 * the first 10 ms, then fall linearly by 20 % per 10 ms to silence after
 * 60 ms; on the first good samples, keep the synthetic signal going and
 * overlap-add it into them (1/4 period + 4 ms per further lost 10 ms, at
 * most 10 ms).  The output lags the input by 3.75 ms (sc_g711plc_delay()),
 * so that the start of a loss can overlap-add into the last good samples
 * (or, lazily, from the first loss on: see sc_g711plc_init).
 *
 * At 8000 Hz it is equal, sample for sample, to the reference of the ITU-T
 * Software Tool Library once that delay is accounted for (the reference
 * drops the first 3.75 ms of its output).  At 16000..48000 Hz (any multiple
 * k of 8000) every length in samples is k times the 8 kHz one, so the
 * algorithm is the same in time: pitch 5..15 ms, 10 ms units, 3.75 ms delay,
 * coarse search every 0.25 ms (2k samples) with a fine search of +-(2k-1)
 * samples around its best lag; the minimum power the correlation is
 * normalised by is per summed sample, as at 8 kHz (250 per 80 samples).
 *
 * Unlike the reference, which takes whole 10 ms frames, calls take any
 * number of samples: the state keeps its place inside the current lost
 * 10 ms and inside the recovery overlap, so whole 10 ms calls give exactly
 * the reference's output and other sizes give the same algorithm.  A loss
 * that ends part-way into a 10 ms unit counts that unit as lost for the
 * recovery overlap's length and ends at the level reached.
 *
 * The state is one block of sc_g711plc_size() bytes with no pointers in it
 * (it can be copied or reset with memset + init).
 */
#ifndef SC_G711_PLC_H
#define SC_G711_PLC_H

#include <stddef.h>
#include <stdint.h>

typedef struct sc_g711plc sc_g711plc;

/* Bytes of state for this rate, or 0 when the rate is not a multiple of
 * 8000 in 8000..48000 Hz. */
size_t sc_g711plc_size(int32_t rate);
/* Initialise st (sc_g711plc_size(rate) bytes): an empty (silent) history.
 * lazy = 0: the output lags by 3.75 ms from the start, as in the
 * Recommendation.  lazy = 1: the output is the input, undelayed, until the
 * first loss; there the delay line starts (the first 3.75 ms of the
 * concealment crossfade from the last pitch period continued into the
 * delayed signal, which replays the last 3.75 ms heard with the
 * Recommendation's overlap-add into the loss), and from 3.75 ms into that
 * loss on the output is the Recommendation's, sample for sample. */
int sc_g711plc_init(sc_g711plc *st, int32_t rate, int lazy);
/* Output lag in samples now: 3.75 ms at the state's rate (0 for a lazy
 * state before its first loss). */
int32_t sc_g711plc_delay(const sc_g711plc *st);
/* n received samples, in place: on return pcm holds the output (the input
 * delayed, joined smoothly to a concealment that came just before). */
void sc_g711plc_good(sc_g711plc *st, int16_t *pcm, size_t n);
/* n samples standing in for lost audio. */
void sc_g711plc_lost(sc_g711plc *st, int16_t *out, size_t n);

#endif
