/*
 * sc_opus_ops: libopus behind the sc_codec_ops table.  See opus_glue.h for
 * the behaviour and the defaults chosen.
 *
 * The state block codec.c allocates holds a small header followed, at a
 * 16-byte aligned offset, by libopus's own OpusDecoder / OpusEncoder
 * (opus_*_get_size + opus_*_init: libopus allocates nothing itself).
 */
#include "opus_glue.h"
#include "codec_ops.h"

#include <stdint.h>
#include <string.h>

/* Header space in front of the libopus state; keeps it 16-byte aligned
 * (calloc's alignment on every platform we build for). */
#define SC_OPUS_HDR 16

/* Decoder complexity when none is asked for: 5, the lowest at which
 * libopus 1.5 runs deep PLC (6 and 7 add OSCE, which needs --enable-osce;
 * our builds do not have it). */
#define SC_OPUS_DECODER_COMPLEXITY 5
/* Encoder bitrate (below 48 kHz) and complexity when none is asked for:
 * see opus_glue.h for the measurements. */
#define SC_OPUS_BITRATE 32000
#define SC_OPUS_ENCODER_COMPLEXITY 6

static int valid_rate(int32_t rate)
{
    return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

static int32_t opus_choose_rate(int32_t api_rate)
{
    return valid_rate(api_rate) ? api_rate : 48000;
}

#ifdef SC_HAVE_OPUS

#include <opus/opus.h>

typedef struct {
    int32_t rate;
} opus_dec_hdr;

typedef struct {
    int32_t rate;
    int32_t frame; /* samples per quantum */
} opus_enc_hdr;

_Static_assert(sizeof(opus_dec_hdr) <= SC_OPUS_HDR, "decoder header fits");
_Static_assert(sizeof(opus_enc_hdr) <= SC_OPUS_HDR, "encoder header fits");

static OpusDecoder *dec_of(void *st) { return (OpusDecoder *)((unsigned char *)st + SC_OPUS_HDR); }
static OpusEncoder *enc_of(void *st) { return (OpusEncoder *)((unsigned char *)st + SC_OPUS_HDR); }

/* libopus error -> ours.  Errors about the packet are the payload's fault. */
static int64_t map_error(int err)
{
    switch (err) {
    case OPUS_BAD_ARG:
    case OPUS_INVALID_PACKET:
    case OPUS_BUFFER_TOO_SMALL:
        return SC_ECORRUPT;
    case OPUS_ALLOC_FAIL:
        return SC_ENOMEM;
    default:
        return SC_EINTERNAL;
    }
}

int64_t sc_opus_packet_samples(const uint8_t *packet, size_t len, int32_t rate)
{
    if (!valid_rate(rate))
        return SC_EARG;
    if (!packet || len == 0 || len > INT32_MAX)
        return SC_ECORRUPT;
    int n = opus_packet_get_nb_samples(packet, (opus_int32)len, rate);
    return n < 0 ? SC_ECORRUPT : n;
}

/* ---- decoder ---- */

static size_t dec_size(const sc_params *p)
{
    (void)p;
    return SC_OPUS_HDR + (size_t)opus_decoder_get_size(1);
}

static int dec_init(void *st, const sc_params *p)
{
    if (!valid_rate(p->codec_rate))
        return SC_EUNSUPPORTED;
    if (p->complexity < -1 || p->complexity > 10)
        return SC_EARG;
    opus_dec_hdr *h = st;
    h->rate = p->codec_rate;
    if (opus_decoder_init(dec_of(st), h->rate, 1) != OPUS_OK)
        return SC_EINTERNAL;
    /* libopus >= 1.5 runs its neural concealment (deep PLC) at decoder
     * complexity >= 5 when built with it; older libopus has no decoder
     * complexity (OPUS_UNIMPLEMENTED) and keeps its classic PLC. */
    int complexity = p->complexity < 0 ? SC_OPUS_DECODER_COMPLEXITY : p->complexity;
    int rc = opus_decoder_ctl(dec_of(st), OPUS_SET_COMPLEXITY(complexity));
    return rc == OPUS_OK || rc == OPUS_UNIMPLEMENTED ? SC_OK : SC_EINTERNAL;
}

static int64_t dec_bound(const void *st, const uint8_t *payload, size_t len)
{
    const opus_dec_hdr *h = st;
    return sc_opus_packet_samples(payload, len, h->rate);
}

static int64_t dec_decode(void *st, const uint8_t *payload, size_t len, int16_t *out, size_t cap)
{
    const opus_dec_hdr *h = st;
    int64_t n = sc_opus_packet_samples(payload, len, h->rate);
    if (n < 0)
        return n;
    if ((uint64_t)n > cap)
        return SC_EBUFFER;
    /* On a malformed packet libopus returns before touching its state. */
    int got = opus_decode(dec_of(st), payload, (opus_int32)len, out, (int)n, 0);
    return got < 0 ? map_error(got) : got;
}

static int64_t dec_conceal(void *st, size_t n, int16_t *out, size_t cap)
{
    const opus_dec_hdr *h = st;
    if (n > cap)
        return SC_EBUFFER;
    const size_t step = (size_t)h->rate / 400;    /* 2.5 ms */
    const size_t chunk = (size_t)h->rate * 3 / 25; /* 120 ms, a multiple of step */
    size_t done = 0;
    while (n - done >= step) {
        size_t want = n - done;
        want = want > chunk ? chunk : want - want % step;
        int got = opus_decode(dec_of(st), NULL, 0, out + done, (int)want, 0);
        if (got < 0)
            return map_error(got);
        done += (size_t)got;
    }
    if (done < n) {
        int16_t tail[120]; /* one step at 48 kHz */
        int got = opus_decode(dec_of(st), NULL, 0, tail, (int)step, 0);
        if (got < 0)
            return map_error(got);
        memcpy(out + done, tail, (n - done) * sizeof *out);
    }
    return (int64_t)n;
}

static int64_t dec_recover(void *st, const uint8_t *next, size_t len, int16_t *out, size_t cap)
{
    const opus_dec_hdr *h = st;
    int64_t total = sc_opus_packet_samples(next, len, h->rate);
    if (total < 0)
        return total;
    /* The FEC in `next` covers one frame of next's frame duration. */
    int frame = opus_packet_get_samples_per_frame(next, h->rate);
    if (frame <= 0 || frame > total) /* e.g. a code-3 packet of zero frames */
        return SC_ECORRUPT;
    if ((size_t)frame > cap)
        return SC_EBUFFER;
    int got = opus_decode(dec_of(st), next, (opus_int32)len, out, frame, 1);
    return got < 0 ? map_error(got) : got;
}

/* ---- encoder ---- */

static size_t enc_size(const sc_params *p)
{
    (void)p;
    return SC_OPUS_HDR + (size_t)opus_encoder_get_size(1);
}

static int valid_frame_ms10(int32_t f)
{
    return f == 25 || f == 50 || f == 100 || f == 200 || f == 400 || f == 600;
}

static int enc_init(void *st, const sc_params *p)
{
    if (!valid_rate(p->codec_rate))
        return SC_EUNSUPPORTED;
    if (!valid_frame_ms10(p->frame_ms10))
        return SC_EARG;
    if (p->bitrate != 0 && (p->bitrate < 500 || p->bitrate > 512000))
        return SC_EARG;
    if (p->complexity < -1 || p->complexity > 10)
        return SC_EARG;
    if ((p->fec != 0 && p->fec != 1) || (p->dtx != 0 && p->dtx != 1))
        return SC_EARG;
    opus_enc_hdr *h = st;
    h->rate = p->codec_rate;
    h->frame = (int32_t)((int64_t)h->rate * p->frame_ms10 / 10000);
    OpusEncoder *enc = enc_of(st);
    if (opus_encoder_init(enc, h->rate, 1, OPUS_APPLICATION_VOIP) != OPUS_OK)
        return SC_EINTERNAL;
    int rc = OPUS_OK;
    if (p->bitrate)
        rc |= opus_encoder_ctl(enc, OPUS_SET_BITRATE(p->bitrate));
    else if (h->rate < 48000)
        rc |= opus_encoder_ctl(enc, OPUS_SET_BITRATE(SC_OPUS_BITRATE));
    rc |= opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(p->complexity < 0 ? SC_OPUS_ENCODER_COMPLEXITY
                                                                       : p->complexity));
    rc |= opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(p->fec));
    rc |= opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(p->fec ? 10 : 0));
    rc |= opus_encoder_ctl(enc, OPUS_SET_DTX(p->dtx));
    return rc == OPUS_OK ? SC_OK : SC_EINTERNAL;
}

static int32_t enc_frame(const void *st)
{
    const opus_enc_hdr *h = st;
    return h->frame;
}

/* n as a count of 2.5 ms steps when it is an Opus packet duration, else 0. */
static int64_t packet_steps(const opus_enc_hdr *h, size_t n)
{
    const size_t step = (size_t)h->rate / 400;
    if (n == 0 || n % step)
        return 0;
    switch (n / step) {
    case 1: case 2: case 4: case 8: case 16: case 24: case 32: case 40: case 48:
        return (int64_t)(n / step);
    default:
        return 0;
    }
}

static int64_t enc_bound(const void *st, size_t n)
{
    const opus_enc_hdr *h = st;
    if (n == 0)
        return 0;
    int64_t steps = packet_steps(h, n);
    if (!steps)
        return SC_EARG;
    /* At most 1275 bytes per 20 ms frame plus framing (RFC 6716 3.2). */
    int64_t frames = (steps + 7) / 8;
    return 1276 * frames + 8;
}

static int64_t enc_encode(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    if (n == 0)
        return 0;
    int64_t bound = enc_bound(st, n);
    if (bound < 0)
        return bound;
    if ((uint64_t)bound > cap)
        return SC_EBUFFER;
    opus_int32 got = opus_encode(enc_of(st), pcm, (int)n, out, (opus_int32)bound);
    return got < 0 ? (got == OPUS_BAD_ARG ? SC_EARG : SC_EINTERNAL) : got;
}

const sc_codec_ops sc_opus_ops = {
    .info = { .native_rate = 0, .rtp_clock = 48000, .frame_ms10 = 200, .available = 1 },
    .unit_bytes = 0, .unit_samples = 0,
    .choose_rate = opus_choose_rate,
    .dec_size = dec_size, .dec_init = dec_init, .dec_free = NULL,
    .dec_bound = dec_bound, .decode = dec_decode, .conceal = dec_conceal,
    .enc_size = enc_size, .enc_init = enc_init, .enc_free = NULL,
    .enc_frame = enc_frame, .enc_bound = enc_bound, .encode = enc_encode,
    .recover = dec_recover,
};

#else /* !SC_HAVE_OPUS: the slot exists, reports itself unavailable */

int64_t sc_opus_packet_samples(const uint8_t *packet, size_t len, int32_t rate)
{
    (void)packet;
    (void)len;
    (void)rate;
    return SC_EUNAVAILABLE;
}

static size_t none_size(const sc_params *p) { (void)p; return 0; }
static int none_init(void *st, const sc_params *p) { (void)st; (void)p; return SC_EUNAVAILABLE; }
static int32_t none_frame(const void *st) { (void)st; return 1; }

static int64_t none_bound(const void *st, const uint8_t *payload, size_t len)
{
    (void)st; (void)payload; (void)len;
    return SC_EUNAVAILABLE;
}

static int64_t none_decode(void *st, const uint8_t *payload, size_t len, int16_t *out, size_t cap)
{
    (void)st; (void)payload; (void)len; (void)out; (void)cap;
    return SC_EUNAVAILABLE;
}

static int64_t none_conceal(void *st, size_t n, int16_t *out, size_t cap)
{
    (void)st; (void)n; (void)out; (void)cap;
    return SC_EUNAVAILABLE;
}

static int64_t none_enc_bound(const void *st, size_t n)
{
    (void)st; (void)n;
    return SC_EUNAVAILABLE;
}

static int64_t none_encode(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    (void)st; (void)pcm; (void)n; (void)out; (void)cap;
    return SC_EUNAVAILABLE;
}

const sc_codec_ops sc_opus_ops = {
    .info = { .native_rate = 0, .rtp_clock = 48000, .frame_ms10 = 200, .available = 0 },
    .unit_bytes = 0, .unit_samples = 0,
    .choose_rate = opus_choose_rate,
    .dec_size = none_size, .dec_init = none_init, .dec_free = NULL,
    .dec_bound = none_bound, .decode = none_decode, .conceal = none_conceal,
    .enc_size = none_size, .enc_init = none_init, .enc_free = NULL,
    .enc_frame = none_frame, .enc_bound = none_enc_bound, .encode = none_encode,
    .recover = none_decode,
};

#endif
