/*
 * ITU-T G.722: 7 kHz audio, sub-band ADPCM at 64 kbit/s (decoding also at
 * 56 and 48 kbit/s).
 *
 * Written from the Recommendation's block descriptions and fixed-point
 * arithmetic: the 24-tap transmit/receive QMF, the lower sub-band 6-bit
 * ADPCM (QUANTL, INVQAL, INVQBL with 6/5/4-bit reconstruction, LOGSCL,
 * SCALEL) and the higher sub-band 2-bit ADPCM (QUANTH, INVQAH, LOGSCH,
 * SCALEH), each with the pole-zero predictor (UPPOL1, UPPOL2, UPZERO,
 * FILTEP, FILTEZ, PREDIC) in 16-bit saturating arithmetic.  Input is
 * 16-bit PCM at 16 kHz fed to the QMF as is; the QMF outputs are limited
 * to the 15-bit range [-16384, 16383] as in the ITU-T G.191 reference,
 * so full-scale input is coded exactly as the reference codes it.
 *
 * One code byte carries one pair of 16 kHz samples: bits 0..5 the lower
 * band code IL, bits 6..7 the higher band code IH.  In the 56 and 48
 * kbit/s modes the decoder ignores the lowest one or two bits of IL
 * (the auxiliary data channel of the Recommendation).
 *
 * States are opaque blocks of *_get_size() bytes that the caller owns
 * (no allocation here); *_init() resets one to the Recommendation's reset
 * state.  Encoding in pieces gives exactly the bytes of encoding in one
 * call, and likewise for decoding.
 *
 * Concealment (sc_g722_conceal): for audio lost in transit the decoder
 * repeats the last pitch period of its lower-band output (the period is
 * estimated once per loss, by normalised autocorrelation over 50..400
 * Hz), at full level for the first 10 ms of a loss, fading linearly to
 * silence at 60 ms and silent after that; the higher band fades out by
 * itself.  The concealed signal is coded through the decoder's own ADPCM
 * state (exactly as an encoder sharing that state would code it) and
 * the resulting codes are decoded as if received, so the output joins the
 * audio before the loss without a step, and the state stays a legal
 * G.722 decoder state whose step sizes have decayed with the fade: the
 * next real payload then starts quiet and its own codes raise the step
 * size within a few milliseconds, instead of bursting.
 */
#ifndef SC_G722_H
#define SC_G722_H

#include "sc_common.h"

/* cffi:begin */
typedef struct sc_g722_encoder sc_g722_encoder;
typedef struct sc_g722_decoder sc_g722_decoder;

/* Bytes of caller-owned memory for one encoder / decoder state. */
size_t sc_g722_encoder_get_size(void);
size_t sc_g722_decoder_get_size(void);

/* Reset a state.  The encoder always codes at 64 kbit/s; the decoder's
 * bitrate is 64000, 56000 or 48000 (bit/s).  SC_OK, or SC_EARG for
 * another bitrate. */
int sc_g722_encoder_init(sc_g722_encoder *st);
int sc_g722_decoder_init(sc_g722_decoder *st, int32_t bitrate);

/* Encode n samples of 16 kHz PCM (n even) into n/2 code bytes.  Returns
 * the bytes written, SC_EARG for an odd n, SC_EBUFFER when cap < n/2
 * (then nothing was written and the state is unchanged). */
int64_t sc_g722_encode(sc_g722_encoder *st, const int16_t *pcm, size_t n,
                       uint8_t *out, size_t cap);

/* Decode n code bytes into 2n samples of 16 kHz PCM.  Every byte value is
 * valid.  Returns the samples written, or SC_EBUFFER when cap < 2n. */
int64_t sc_g722_decode(sc_g722_decoder *st, const uint8_t *codes, size_t n,
                       int16_t *out, size_t cap);

/* Synthesise n samples (n even) standing in for lost audio, as described
 * above; consecutive calls continue one loss, a decode ends it.  Returns
 * n, SC_EARG for an odd n, or SC_EBUFFER when cap < n. */
int64_t sc_g722_conceal(sc_g722_decoder *st, size_t n, int16_t *out, size_t cap);
/* cffi:end */

#endif
