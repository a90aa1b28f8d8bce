/*
 * Internal: how one codec plugs into sc_decoder / sc_encoder (codec.c).
 * Not part of the cffi binding.
 *
 * A codec's state is an opaque block of dec_size()/enc_size() bytes that
 * codec.c allocates and hands to init(); free() releases anything the
 * codec's library allocated on its own (may be NULL).  All counts are in
 * native-rate samples.
 *
 * sc_*_reset() re-runs init() on the same block.  A codec with a free()
 * (its library allocates) is initialised into a copy first and moved in
 * only when that succeeded, so its block must hold no pointers into
 * itself.
 */
#ifndef SC_CODEC_OPS_H
#define SC_CODEC_OPS_H

#include "codec.h"

typedef struct sc_codec_ops {
    sc_codec_info info;
    /* Sample codecs map a fixed number of payload bytes to a fixed number
     * of samples (PCMU 1:1, L16 2:1, G722 1:2) and can be split anywhere on
     * those units; packet codecs (0, 0) decode a payload whole. */
    int32_t unit_bytes;
    int32_t unit_samples;

    /* Codecs whose info.native_rate is 0 run at params->codec_rate when it
     * is set, else at choose_rate(api_rate) (NULL: at the API rate itself). */
    int32_t (*choose_rate)(int32_t api_rate);

    size_t (*dec_size)(const sc_params *p);
    int (*dec_init)(void *st, const sc_params *p);
    void (*dec_free)(void *st);
    /* Upper bound of native samples from this payload, or negative. */
    int64_t (*dec_bound)(const void *st, const uint8_t *payload, size_t len);
    int64_t (*decode)(void *st, const uint8_t *payload, size_t len,
                      int16_t *out, size_t cap);
    int64_t (*conceal)(void *st, size_t n, int16_t *out, size_t cap);
    /* Optional (NULL: none): native samples the decoder's output lags by. */
    int32_t (*dec_delay)(const void *st);

    size_t (*enc_size)(const sc_params *p);
    int (*enc_init)(void *st, const sc_params *p);
    void (*enc_free)(void *st);
    /* Native samples per encoder frame for these params. */
    int32_t (*enc_frame)(const void *st);
    int64_t (*enc_bound)(const void *st, size_t n);
    int64_t (*encode)(void *st, const int16_t *pcm, size_t n,
                      uint8_t *out, size_t cap);

    /* Optional (NULL: SC_EUNSUPPORTED): rebuild the frame lost just before
     * `next` from the redundancy `next` carries (PLC when it carries none);
     * returns native samples written. */
    int64_t (*recover)(void *st, const uint8_t *next, size_t len,
                       int16_t *out, size_t cap);
} sc_codec_ops;

/* The codec state of d / e when it runs the codec of `ops`, else NULL: for
 * codec-specific accessors such as the AMR-WB CMR. */
void *sc_decoder_state(sc_decoder *d, const sc_codec_ops *ops);
void *sc_encoder_state(sc_encoder *e, const sc_codec_ops *ops);

/* Each codec's table, defined in its own file. */
extern const sc_codec_ops sc_pcmu_ops;
extern const sc_codec_ops sc_pcma_ops;
extern const sc_codec_ops sc_l16_ops;
extern const sc_codec_ops sc_g722_ops;
extern const sc_codec_ops sc_opus_ops;
extern const sc_codec_ops sc_amrwb_ops;

#endif
