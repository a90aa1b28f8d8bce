/*
 * Per-stream decoders and encoders: one opaque object per direction of a
 * call, holding the codec state (and, where the API rate differs from the
 * codec's, the resampler state), so that a whole RTP payload is handled in
 * one call.  Each codec plugs in through an sc_codec_ops table (codec_ops.h);
 * this file is the only place that knows the list.
 */
#ifndef SC_CODEC_H
#define SC_CODEC_H

#include "sc_common.h"

/* cffi:begin */
enum {
    SC_CODEC_PCMU = 0,
    SC_CODEC_PCMA = 1,
    SC_CODEC_G722 = 2,
    SC_CODEC_OPUS = 3,
    SC_CODEC_AMRWB = 4,
    SC_CODEC_L16 = 5,
    SC_CODEC_COUNT = 6
};

/* Options for sc_decoder_new/sc_encoder_new.  sc_params_default() fills in
 * the defaults; a codec ignores the fields that are not its own. */
typedef struct sc_params {
    int32_t rate;        /* PCM rate at the API, Hz */
    int32_t codec_rate;  /* L16: rate on the wire; OPUS: 0 = decode/encode at `rate` */
    int32_t frame_ms10;  /* encoder frame in tenths of ms (OPUS 25..600, AMR-WB 200) */
    int32_t bitrate;     /* OPUS bits/s, 0 = library default */
    int32_t complexity;  /* OPUS 0..10, -1 = library default */
    int32_t fec;         /* OPUS in-band FEC: 0/1 */
    int32_t dtx;         /* OPUS, AMR-WB: discontinuous transmission 0/1 */
    int32_t mode;        /* AMR-WB encoder mode 0..8 */
    int32_t octet_align; /* AMR-WB payload: 1 octet-aligned, 0 bandwidth-efficient, -1 auto (decoder) */
    int32_t quality;     /* resampler preset: 0 low-latency, 1 default, 2 high quality */
    int32_t little_endian; /* L16 on the wire: 0 big-endian (network order, RFC 3551), 1 little */
    int32_t concealment; /* decoder, what stands in for lost audio: SC_CONCEAL_* */
} sc_params;

/* Loss concealment of a decoder (sc_params.concealment).  AUTO: PCMU,
 * PCMA and L16 conceal by G.711 Appendix I where their codec rate allows
 * it (a multiple of 8000 Hz up to 48000), with no delay until the first
 * loss and 3.75 ms from it on, else with silence; G722, OPUS and AMR-WB
 * with their own.  SILENCE: zeros, for every codec, leaving the
 * codec state as it was.  APPENDIX_I: PCMU, PCMA, L16 only (SC_EUNSUPPORTED
 * for other codecs or rates); it delays the output by 3.75 ms. */
enum {
    SC_CONCEAL_AUTO = 0,
    SC_CONCEAL_SILENCE = 1,
    SC_CONCEAL_APPENDIX_I = 2
};

typedef struct sc_codec_info {
    int32_t native_rate;   /* PCM rate the codec itself runs at (0: follows codec_rate) */
    int32_t rtp_clock;     /* RTP timestamp clock (0: follows codec_rate) */
    int32_t frame_ms10;    /* default frame duration, tenths of ms */
    int32_t available;     /* 1 when this build has the codec */
} sc_codec_info;

void sc_params_default(sc_params *p);
int sc_codec_info_get(int codec, sc_codec_info *info);

typedef struct sc_decoder sc_decoder;
typedef struct sc_encoder sc_encoder;

/* Create/destroy.  Return SC_OK and set *out, or a negative code. */
int sc_decoder_new(int codec, const sc_params *p, sc_decoder **out);
void sc_decoder_free(sc_decoder *d);
int sc_encoder_new(int codec, const sc_params *p, sc_encoder **out);
void sc_encoder_free(sc_encoder *e);

/* Upper bound of PCM samples (at the API rate) that decoding this payload
 * can produce; callers size `out` with it.  Negative on a corrupt payload. */
int64_t sc_decoder_bound(const sc_decoder *d, const uint8_t *payload, size_t len);
/* Decode one RTP payload.  Returns samples written, or a negative code; on
 * SC_EBUFFER nothing was consumed and the state is unchanged. */
int64_t sc_decoder_decode(sc_decoder *d, const uint8_t *payload, size_t len,
                          int16_t *out, size_t cap);
/* Start a new stream with the same settings, without reallocating: the
 * codec state as freshly created, the resampler's history cleared.  SC_OK,
 * or a negative code (SC_ENOMEM when a codec library could not allocate;
 * the old state is then kept). */
int sc_decoder_reset(sc_decoder *d);
int sc_encoder_reset(sc_encoder *e);
/* Synthesise n samples (API rate) for lost audio and keep the state sane.
 * Always exactly n samples: when the resampler's phase makes n unreachable
 * in whole codec units, the one or two synthesised samples past n are
 * dropped, so cap must hold n + 2 in that case (SC_EBUFFER otherwise, state
 * unchanged).  SC_EARG when n exceeds 2^32. */
int64_t sc_decoder_conceal(sc_decoder *d, size_t n, int16_t *out, size_t cap);
/* Synthesise one frame for a lost payload: as many codec-rate samples as
 * the last payload decoded held (20 ms before the first), resampled to the
 * API rate as a decoded payload would be, so the count follows the
 * resampler's phase and never has to be exact.  Returns samples written, or
 * SC_EBUFFER (state unchanged) when cap is short of
 * sc_decoder_conceal_frame_bound(d). */
int64_t sc_decoder_conceal_frame(sc_decoder *d, int16_t *out, size_t cap);
int64_t sc_decoder_conceal_frame_bound(const sc_decoder *d);
/* How many samples (API rate) the output lags the payloads by now: the
 * concealment's delay (3.75 ms for G.711 Appendix I, under AUTO only from
 * the first loss on; else 0) plus the
 * internal resampler's filter delay, rounded to a whole sample. */
int64_t sc_decoder_delay(const sc_decoder *d);
/* The frame lost just before `next` (the payload that followed the gap),
 * rebuilt from the in-band redundancy `next` carries (OPUS FEC), or by loss
 * concealment when it carries none; decode `next` itself afterwards as
 * usual.  Returns samples written (one frame of `next`'s duration),
 * SC_EUNSUPPORTED for codecs without in-band redundancy, SC_ECORRUPT when
 * `next` is malformed (state unchanged), SC_EBUFFER when cap is short. */
int64_t sc_decoder_recover(sc_decoder *d, const uint8_t *next, size_t len,
                           int16_t *out, size_t cap);

/* Input samples (API rate) that make one whole encoder frame; encode()
 * takes multiples of it. */
int64_t sc_encoder_quantum(const sc_encoder *e);
/* Upper bound of payload bytes for n input samples. */
int64_t sc_encoder_bound(const sc_encoder *e, size_t n);
/* Encode n samples (a multiple of the quantum) into one RTP payload.
 * pcm points to n int16 samples, 2-byte aligned; it is declared void so that
 * cffi passes a Python bytes object without wrapping it.  Returns bytes
 * written or a negative code. */
int64_t sc_encoder_encode(sc_encoder *e, const void *pcm, size_t n,
                          uint8_t *out, size_t cap);
/* cffi:end */

#endif
