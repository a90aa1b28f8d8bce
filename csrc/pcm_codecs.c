/*
 * The sample codecs of g711.h as sc_codec_ops: PCMU, PCMA (8000 Hz) and L16
 * (at the stream's own rate; big-endian, network order, unless
 * params->little_endian says the peer sends little-endian).  The codecs
 * themselves are stateless; their decoders keep the state of the loss
 * concealment params->concealment picks: G.711 Appendix I (g711_plc.h),
 * which delays the output by 3.75 ms, or silence (no state, no delay).
 * SC_CONCEAL_AUTO is Appendix I where it runs (codec rates that are
 * multiples of 8000 Hz up to 48000), delay-free until the first loss
 * (lazy, g711_plc.h), else silence.
 */
#include "codec_ops.h"
#include "g711.h"
#include "g711_plc.h"

#include <string.h>

static size_t no_size(const sc_params *p) { (void)p; return 0; }
static int no_init(void *st, const sc_params *p) { (void)st; (void)p; return SC_OK; }
static int32_t one_sample(const void *st) { (void)st; return 1; }

/* Decoder state: the byte order (L16) and, when it conceals by Appendix I,
 * that concealment's state right after this header. */
typedef struct {
    int32_t little_endian;
    int32_t plc;        /* 1: an sc_g711plc follows */
    double align;       /* keeps what follows 8-byte aligned */
} pcm_dec;

static sc_g711plc *plc_of(void *st)
{
    return ((pcm_dec *)st)->plc ? (sc_g711plc *)((pcm_dec *)st + 1) : NULL;
}

/* Whether these params conceal by Appendix I (the rate allowing it). */
static int wants_plc(const sc_params *p)
{
    if (p->concealment == SC_CONCEAL_APPENDIX_I)
        return 1;
    return p->concealment == SC_CONCEAL_AUTO && sc_g711plc_size(p->codec_rate) > 0;
}

static size_t dec_size(const sc_params *p)
{
    return sizeof(pcm_dec) + (wants_plc(p) ? sc_g711plc_size(p->codec_rate) : 0);
}

static int dec_init(void *st, const sc_params *p)
{
    pcm_dec *d = st;
    if (p->little_endian != 0 && p->little_endian != 1)
        return SC_EARG;
    if (p->concealment < SC_CONCEAL_AUTO || p->concealment > SC_CONCEAL_APPENDIX_I)
        return SC_EARG;
    d->little_endian = p->little_endian;
    d->plc = wants_plc(p);
    if (d->plc && sc_g711plc_init(plc_of(st), p->codec_rate,
                                  p->concealment == SC_CONCEAL_AUTO) < 0)
        return SC_EUNSUPPORTED;
    return SC_OK;
}

static int32_t dec_delay(const void *st)
{
    sc_g711plc *plc = plc_of((void *)st);
    return plc ? sc_g711plc_delay(plc) : 0;
}

static int64_t conceal(void *st, size_t n, int16_t *out, size_t cap)
{
    (void)cap;
    sc_g711plc *plc = plc_of(st);
    if (plc)
        sc_g711plc_lost(plc, out, n);
    else
        memset(out, 0, n * sizeof *out);
    return (int64_t)n;
}

/* Decoded samples through the concealment's delay line (in place). */
static int64_t received(void *st, int16_t *out, size_t n)
{
    sc_g711plc *plc = plc_of(st);
    if (plc)
        sc_g711plc_good(plc, out, n);
    return (int64_t)n;
}

static int64_t bytes_per_sample_bound(const void *st, const uint8_t *payload, size_t len)
{
    (void)st;
    (void)payload;
    return (int64_t)len;
}

static int64_t one_byte_each(const void *st, size_t n) { (void)st; return (int64_t)n; }
static int64_t two_bytes_each(const void *st, size_t n) { (void)st; return 2 * (int64_t)n; }

static int64_t pcmu_decode(void *st, const uint8_t *in, size_t len, int16_t *out, size_t cap)
{
    (void)cap;
    sc_ulaw_decode(in, len, out);
    return received(st, out, len);
}

static int64_t pcmu_encode(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    (void)st;
    (void)cap;
    sc_ulaw_encode(pcm, n, out);
    return (int64_t)n;
}

static int64_t pcma_decode(void *st, const uint8_t *in, size_t len, int16_t *out, size_t cap)
{
    (void)cap;
    sc_alaw_decode(in, len, out);
    return received(st, out, len);
}

static int64_t pcma_encode(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    (void)st;
    (void)cap;
    sc_alaw_encode(pcm, n, out);
    return (int64_t)n;
}

static int64_t l16_bound(const void *st, const uint8_t *payload, size_t len)
{
    (void)st;
    (void)payload;
    return (len % 2) ? SC_ECORRUPT : (int64_t)(len / 2);
}

typedef struct {
    int32_t little_endian;
} l16_state;

static size_t l16_size(const sc_params *p) { (void)p; return sizeof(l16_state); }

static int l16_init(void *st, const sc_params *p)
{
    if (p->little_endian != 0 && p->little_endian != 1)
        return SC_EARG;
    ((l16_state *)st)->little_endian = p->little_endian;
    return SC_OK;
}

static int64_t l16_decode(void *st, const uint8_t *in, size_t len, int16_t *out, size_t cap)
{
    (void)cap;
    if (((const pcm_dec *)st)->little_endian)
        sc_l16le_to_host(in, len / 2, out);
    else
        sc_l16_to_host(in, len / 2, out);
    return received(st, out, len / 2);
}

static int64_t l16_encode(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    (void)cap;
    if (((const l16_state *)st)->little_endian)
        sc_host_to_l16le(pcm, n, out);
    else
        sc_host_to_l16(pcm, n, out);
    return 2 * (int64_t)n;
}

const sc_codec_ops sc_pcmu_ops = {
    .info = { .native_rate = 8000, .rtp_clock = 8000, .frame_ms10 = 200, .available = 1 },
    .unit_bytes = 1, .unit_samples = 1,
    .dec_size = dec_size, .dec_init = dec_init, .dec_free = NULL, .dec_delay = dec_delay,
    .dec_bound = bytes_per_sample_bound, .decode = pcmu_decode, .conceal = conceal,
    .enc_size = no_size, .enc_init = no_init, .enc_free = NULL,
    .enc_frame = one_sample, .enc_bound = one_byte_each, .encode = pcmu_encode,
};

const sc_codec_ops sc_pcma_ops = {
    .info = { .native_rate = 8000, .rtp_clock = 8000, .frame_ms10 = 200, .available = 1 },
    .unit_bytes = 1, .unit_samples = 1,
    .dec_size = dec_size, .dec_init = dec_init, .dec_free = NULL, .dec_delay = dec_delay,
    .dec_bound = bytes_per_sample_bound, .decode = pcma_decode, .conceal = conceal,
    .enc_size = no_size, .enc_init = no_init, .enc_free = NULL,
    .enc_frame = one_sample, .enc_bound = one_byte_each, .encode = pcma_encode,
};

const sc_codec_ops sc_l16_ops = {
    .info = { .native_rate = 0, .rtp_clock = 0, .frame_ms10 = 200, .available = 1 },
    .unit_bytes = 2, .unit_samples = 1,
    .dec_size = dec_size, .dec_init = dec_init, .dec_free = NULL, .dec_delay = dec_delay,
    .dec_bound = l16_bound, .decode = l16_decode, .conceal = conceal,
    .enc_size = l16_size, .enc_init = l16_init, .enc_free = NULL,
    .enc_frame = one_sample, .enc_bound = two_bytes_each, .encode = l16_encode,
};
