#include "codec_ops.h"
#include "resample.h"

#include <stdlib.h>
#include <string.h>

/* The one list of codecs; unavailable ones keep their slot (NULL). */
static const sc_codec_ops *ops_for(int codec)
{
    switch (codec) {
    case SC_CODEC_PCMU: return &sc_pcmu_ops;
    case SC_CODEC_PCMA: return &sc_pcma_ops;
    case SC_CODEC_L16: return &sc_l16_ops;
    case SC_CODEC_G722: return &sc_g722_ops;
    case SC_CODEC_OPUS: return &sc_opus_ops;
    case SC_CODEC_AMRWB: return &sc_amrwb_ops;
    default: return NULL;
    }
}

/* Rate conversion between the codec's rate and the API's, when they differ:
 * the resampler state (kept per stream) and a scratch buffer of codec-rate
 * PCM.  Sample codecs go through the scratch in slices, so any payload size
 * works with a fixed buffer; packet codecs need a whole packet in it, and it
 * grows (rarely, never per sample) to fit. */
#define SC_SCRATCH_SAMPLES 2048

typedef struct {
    sc_resampler *rs;   /* NULL when the rates are equal */
    int16_t *scratch;
    size_t scratch_cap;
    int64_t up, down;   /* out/in of the resampler, reduced */
} sc_rate_bridge;

struct sc_decoder {
    const sc_codec_ops *ops;
    sc_params params;   /* with codec_rate resolved to the native rate */
    void *codec;        /* ops->dec_size() bytes */
    sc_rate_bridge bridge;  /* codec_rate -> rate */
    int64_t last_native;    /* codec-rate samples of the last payload decoded, 0 before */
};

struct sc_encoder {
    const sc_codec_ops *ops;
    sc_params params;
    void *codec;        /* ops->enc_size() bytes */
    int32_t frame;      /* native samples per encoder frame */
    int64_t quantum;    /* API-rate samples that make whole frames */
    sc_rate_bridge bridge;  /* rate -> codec_rate */
};

static int bridge_open(sc_rate_bridge *b, int32_t in_rate, int32_t out_rate, int quality,
                       size_t scratch)
{
    memset(b, 0, sizeof *b);
    if (in_rate == out_rate)
        return SC_OK;
    int64_t size = sc_resampler_get_size(in_rate, out_rate, quality);
    if (size < 0)
        return (int)size;
    b->rs = calloc(1, (size_t)size);
    b->scratch = calloc(scratch, sizeof *b->scratch);
    if (!b->rs || !b->scratch) {
        free(b->rs);
        free(b->scratch);
        b->rs = NULL;
        return SC_ENOMEM;
    }
    b->scratch_cap = scratch;
    int64_t g = sc_gcd(in_rate, out_rate);
    b->up = out_rate / g;
    b->down = in_rate / g;
    return sc_resampler_init(b->rs, (size_t)size, in_rate, out_rate, quality);
}

static void bridge_close(sc_rate_bridge *b)
{
    free(b->rs);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

/* Make the scratch hold at least n samples. */
static int bridge_reserve(sc_rate_bridge *b, size_t n)
{
    if (n <= b->scratch_cap)
        return SC_OK;
    int16_t *p = realloc(b->scratch, n * sizeof *p);
    if (!p)
        return SC_ENOMEM;
    b->scratch = p;
    b->scratch_cap = n;
    return SC_OK;
}

void sc_params_default(sc_params *p)
{
    memset(p, 0, sizeof *p);
    p->rate = 8000;
    p->frame_ms10 = 200;
    p->complexity = -1;
    p->mode = 8;
    p->octet_align = -1;
    p->quality = 1;
}

int sc_codec_info_get(int codec, sc_codec_info *info)
{
    if (codec < 0 || codec >= SC_CODEC_COUNT)
        return SC_EARG;
    const sc_codec_ops *ops = ops_for(codec);
    if (!ops) {
        memset(info, 0, sizeof *info);
        return SC_OK;
    }
    *info = ops->info;
    return SC_OK;
}

/* Validate the codec and params; resolve the native rate. */
static int resolve(int codec, const sc_params *in, const sc_codec_ops **ops, sc_params *out)
{
    if (codec < 0 || codec >= SC_CODEC_COUNT || !in)
        return SC_EARG;
    *ops = ops_for(codec);
    if (!*ops || !(*ops)->info.available)
        return SC_EUNAVAILABLE;
    if (in->rate <= 0 || in->codec_rate < 0)
        return SC_EARG;
    if (in->concealment < SC_CONCEAL_AUTO || in->concealment > SC_CONCEAL_APPENDIX_I)
        return SC_EARG;
    if (in->concealment == SC_CONCEAL_APPENDIX_I && codec != SC_CODEC_PCMU
        && codec != SC_CODEC_PCMA && codec != SC_CODEC_L16)
        return SC_EUNSUPPORTED;
    *out = *in;
    if ((*ops)->info.native_rate)
        out->codec_rate = (*ops)->info.native_rate;
    else if (!out->codec_rate)
        out->codec_rate = (*ops)->choose_rate ? (*ops)->choose_rate(out->rate) : out->rate;
    if (out->codec_rate != out->rate) {
        /* resampled inside: both rates must be ones the resampler takes */
        if (out->quality < 0 || out->quality > 2)
            return SC_EARG;
        if (!sc_resampler_rate_supported(out->rate) || !sc_resampler_rate_supported(out->codec_rate))
            return SC_EUNSUPPORTED;
    }
    return SC_OK;
}

int sc_decoder_new(int codec, const sc_params *p, sc_decoder **out)
{
    const sc_codec_ops *ops;
    sc_params params;
    int rc = resolve(codec, p, &ops, &params);
    if (rc < 0)
        return rc;
    size_t size = ops->dec_size(&params);
    sc_decoder *d = calloc(1, sizeof *d);
    void *st = size ? calloc(1, size) : NULL;
    if (!d || (size && !st)) {
        free(d);
        free(st);
        return SC_ENOMEM;
    }
    d->ops = ops;
    d->params = params;
    d->codec = st;
    rc = ops->dec_init(st, &params);
    if (rc >= 0) {
        rc = bridge_open(&d->bridge, params.codec_rate, params.rate, params.quality,
                         SC_SCRATCH_SAMPLES);
        if (rc < 0 && ops->dec_free)
            ops->dec_free(st);
    }
    if (rc < 0) {
        bridge_close(&d->bridge);
        free(st);
        free(d);
        return rc;
    }
    *out = d;
    return SC_OK;
}

void sc_decoder_free(sc_decoder *d)
{
    if (!d)
        return;
    if (d->ops->dec_free)
        d->ops->dec_free(d->codec);
    bridge_close(&d->bridge);
    free(d->codec);
    free(d);
}

/* Re-run a codec's init on its block (see codec_ops.h): in place when the
 * codec owns nothing outside it; otherwise into a fresh copy that replaces
 * the old contents only once init succeeded. */
static int codec_reinit(void *st, size_t size, const sc_params *p,
                        int (*init)(void *, const sc_params *), void (*release)(void *))
{
    if (!release) {
        if (size)
            memset(st, 0, size);
        return init(st, p);
    }
    void *fresh = calloc(1, size ? size : 1);
    if (!fresh)
        return SC_ENOMEM;
    int rc = init(fresh, p);
    if (rc >= 0) {
        release(st);
        memcpy(st, fresh, size);
    }
    free(fresh);
    return rc;
}

int sc_decoder_reset(sc_decoder *d)
{
    int rc = codec_reinit(d->codec, d->ops->dec_size(&d->params), &d->params,
                          d->ops->dec_init, d->ops->dec_free);
    if (rc >= 0 && d->bridge.rs)
        sc_resampler_reset(d->bridge.rs);
    return rc < 0 ? rc : SC_OK;
}

int64_t sc_decoder_bound(const sc_decoder *d, const uint8_t *payload, size_t len)
{
    int64_t bound = d->ops->dec_bound(d->codec, payload, len);
    if (bound < 0 || !d->bridge.rs)
        return bound;
    return sc_resampler_out_count(d->bridge.rs, (size_t)bound);
}

/* Decode into the scratch at the codec's rate, resample into out. */
static int64_t decode_resampled(sc_decoder *d, const uint8_t *payload, size_t len,
                                int16_t *out, size_t cap)
{
    sc_rate_bridge *b = &d->bridge;
    const sc_codec_ops *ops = d->ops;
    int64_t written = 0, native = 0;
    if (ops->unit_bytes > 0 && ops->unit_samples > 0) {
        size_t units = b->scratch_cap / (size_t)ops->unit_samples;
        size_t slice = units * (size_t)ops->unit_bytes;
        for (size_t off = 0; off < len; off += slice) {
            size_t nb = len - off < slice ? len - off : slice;
            int64_t n = ops->decode(d->codec, payload + off, nb, b->scratch, b->scratch_cap);
            if (n < 0)
                return n;
            int64_t w = sc_resampler_process(b->rs, b->scratch, (size_t)n, out + written,
                                             cap - (size_t)written);
            if (w < 0)
                return w;
            written += w;
            native += n;
        }
        if (native > 0)
            d->last_native = native;
        return written;
    }
    int64_t bound = ops->dec_bound(d->codec, payload, len);
    if (bound < 0)
        return bound;
    int rc = bridge_reserve(b, (size_t)bound);
    if (rc < 0)
        return rc;
    int64_t n = ops->decode(d->codec, payload, len, b->scratch, b->scratch_cap);
    if (n < 0)
        return n;
    if (n > 0)
        d->last_native = n;
    return sc_resampler_process(b->rs, b->scratch, (size_t)n, out, cap);
}

int64_t sc_decoder_decode(sc_decoder *d, const uint8_t *payload, size_t len,
                          int16_t *out, size_t cap)
{
    int64_t bound = sc_decoder_bound(d, payload, len);
    if (bound < 0)
        return bound;
    if ((uint64_t)bound > cap)
        return SC_EBUFFER;
    if (!d->bridge.rs) {
        int64_t n = d->ops->decode(d->codec, payload, len, out, cap);
        if (n > 0)
            d->last_native = n;
        return n;
    }
    return decode_resampled(d, payload, len, out, cap);
}

/* n codec-rate samples for lost audio: silence when asked for (the codec's
 * state left as it was), else the codec's own concealment. */
static int64_t conceal_codec(sc_decoder *d, size_t n, int16_t *out, size_t cap)
{
    if (d->params.concealment == SC_CONCEAL_SILENCE) {
        memset(out, 0, n * sizeof *out);
        return (int64_t)n;
    }
    return d->ops->conceal(d->codec, n, out, cap);
}

int64_t sc_decoder_delay(const sc_decoder *d)
{
    int64_t native = d->ops->dec_delay ? d->ops->dec_delay(d->codec) : 0;
    const sc_rate_bridge *b = &d->bridge;
    if (!b->rs)
        return native;
    return (native * b->up + b->down / 2) / b->down + sc_resampler_delay(b->rs);
}

/* Conceal m codec-rate samples through the resampler into out (room for
 * sc_resampler_out_count(m) samples, checked by the caller). */
static int64_t conceal_native(sc_decoder *d, int64_t m, int16_t *out, size_t cap)
{
    sc_rate_bridge *b = &d->bridge;
    const sc_codec_ops *ops = d->ops;
    int64_t written = 0;
    if (!(ops->unit_bytes > 0 && ops->unit_samples > 0)) {
        int rc = bridge_reserve(b, (size_t)m);
        if (rc < 0)
            return rc;
    }
    size_t slice = b->scratch_cap;
    if (ops->unit_samples > 1)
        slice -= slice % (size_t)ops->unit_samples;
    for (int64_t done = 0; done < m; ) {
        size_t k = (size_t)(m - done) < slice ? (size_t)(m - done) : slice;
        int64_t got = conceal_codec(d, k, b->scratch, b->scratch_cap);
        if (got < 0)
            return got;
        int64_t w = sc_resampler_process(b->rs, b->scratch, (size_t)got, out + written,
                                         cap - (size_t)written);
        if (w < 0)
            return w;
        written += w;
        done += (int64_t)k;
    }
    return written;
}

int64_t sc_decoder_conceal(sc_decoder *d, size_t n, int16_t *out, size_t cap)
{
    if (n > cap)
        return SC_EBUFFER;
    sc_rate_bridge *b = &d->bridge;
    if (!b->rs)
        return conceal_codec(d, n, out, cap);
    /* The smallest codec-rate count m, in whole codec units (G722 codes
     * sample pairs), whose resampled length reaches n.  The resampler's phase
     * decides the length, so an exact n is not always reachable (at 11025 Hz
     * G722's pairs step the output by 1 or 2 samples); then the last one or
     * two synthesised samples are dropped: the caller gets exactly n samples
     * of stand-in audio and the decoder state stays continuous. */
    if (n > ((size_t)1 << 32))
        return SC_EARG;
    int64_t unit = d->ops->unit_samples > 1 ? d->ops->unit_samples : 1;
    int64_t guess = (int64_t)n * b->down / b->up;
    guess -= guess % unit;
    int64_t m = -1, got = -1;
    for (int64_t k = guess > 4 * unit ? guess - 4 * unit : 0; k <= guess + 8 * unit; k += unit) {
        got = sc_resampler_out_count(b->rs, (size_t)k);
        if (got >= (int64_t)n) {
            m = k;
            break;
        }
    }
    if (m < 0)
        return SC_EARG;
    if ((uint64_t)got > cap)
        return SC_EBUFFER;
    int64_t written = conceal_native(d, m, out, cap);
    return written < 0 ? written : (written > (int64_t)n ? (int64_t)n : written);
}

/* Codec-rate samples one concealed frame takes: the last payload's, or
 * 20 ms; whole units of a sample codec (G722 pairs). */
static int64_t conceal_frame_native(const sc_decoder *d)
{
    int64_t m = d->last_native > 0 ? d->last_native : d->params.codec_rate / 50;
    int32_t unit = d->ops->unit_samples;
    if (unit > 1)
        m -= m % unit;
    return m > 0 ? m : (unit > 1 ? unit : 1);
}

int64_t sc_decoder_conceal_frame_bound(const sc_decoder *d)
{
    int64_t m = conceal_frame_native(d);
    return d->bridge.rs ? sc_resampler_out_count(d->bridge.rs, (size_t)m) : m;
}

int64_t sc_decoder_conceal_frame(sc_decoder *d, int16_t *out, size_t cap)
{
    int64_t m = conceal_frame_native(d);
    int64_t bound = sc_decoder_conceal_frame_bound(d);
    if (bound < 0)
        return bound;
    if ((uint64_t)bound > cap)
        return SC_EBUFFER;
    if (!d->bridge.rs)
        return conceal_codec(d, (size_t)m, out, cap);
    return conceal_native(d, m, out, cap);
}

int64_t sc_decoder_recover(sc_decoder *d, const uint8_t *next, size_t len,
                           int16_t *out, size_t cap)
{
    if (!d->ops->recover)
        return SC_EUNSUPPORTED;
    sc_rate_bridge *b = &d->bridge;
    if (!b->rs)
        return d->ops->recover(d->codec, next, len, out, cap);
    /* Rebuild at the codec's rate into the scratch, then resample, checking
     * room first so a short buffer leaves the state untouched. */
    int64_t bound = d->ops->dec_bound(d->codec, next, len);
    if (bound < 0)
        return bound;
    if (sc_resampler_out_count(b->rs, (size_t)bound) > (int64_t)cap)
        return SC_EBUFFER;
    int rc = bridge_reserve(b, (size_t)bound);
    if (rc < 0)
        return rc;
    int64_t n = d->ops->recover(d->codec, next, len, b->scratch, b->scratch_cap);
    if (n < 0)
        return n;
    return sc_resampler_process(b->rs, b->scratch, (size_t)n, out, cap);
}

void *sc_decoder_state(sc_decoder *d, const sc_codec_ops *ops)
{
    return (d && d->ops == ops) ? d->codec : NULL;
}

void *sc_encoder_state(sc_encoder *e, const sc_codec_ops *ops)
{
    return (e && e->ops == ops) ? e->codec : NULL;
}

int sc_encoder_new(int codec, const sc_params *p, sc_encoder **out)
{
    const sc_codec_ops *ops;
    sc_params params;
    int rc = resolve(codec, p, &ops, &params);
    if (rc < 0)
        return rc;
    size_t size = ops->enc_size(&params);
    sc_encoder *e = calloc(1, sizeof *e);
    void *st = size ? calloc(1, size) : NULL;
    if (!e || (size && !st)) {
        free(e);
        free(st);
        return SC_ENOMEM;
    }
    e->ops = ops;
    e->params = params;
    e->codec = st;
    rc = ops->enc_init(st, &params);
    if (rc >= 0) {
        e->frame = ops->enc_frame(st);
        size_t scratch = SC_SCRATCH_SAMPLES;
        if ((size_t)e->frame * 2 > scratch)
            scratch = (size_t)e->frame * 2;
        rc = bridge_open(&e->bridge, params.rate, params.codec_rate, params.quality, scratch);
        if (rc < 0 && ops->enc_free)
            ops->enc_free(st);
    }
    if (rc < 0) {
        bridge_close(&e->bridge);
        free(st);
        free(e);
        return rc;
    }
    e->quantum = e->frame;
    if (e->bridge.rs) {
        /* a multiple of `down` keeps the resampler's phase at zero, and then
         * n inputs give exactly n * up / down codec-rate samples: whole
         * frames when that is a multiple of the frame */
        int64_t f = e->frame, up = e->bridge.up;
        e->quantum = e->bridge.down * (f / sc_gcd(f, up));
    }
    *out = e;
    return SC_OK;
}

void sc_encoder_free(sc_encoder *e)
{
    if (!e)
        return;
    if (e->ops->enc_free)
        e->ops->enc_free(e->codec);
    bridge_close(&e->bridge);
    free(e->codec);
    free(e);
}

int sc_encoder_reset(sc_encoder *e)
{
    int rc = codec_reinit(e->codec, e->ops->enc_size(&e->params), &e->params,
                          e->ops->enc_init, e->ops->enc_free);
    if (rc >= 0 && e->bridge.rs)
        sc_resampler_reset(e->bridge.rs);
    return rc < 0 ? rc : SC_OK;
}

int64_t sc_encoder_quantum(const sc_encoder *e)
{
    return e->quantum;
}

int64_t sc_encoder_bound(const sc_encoder *e, size_t n)
{
    if (!e->bridge.rs)
        return e->ops->enc_bound(e->codec, n);
    int64_t native = sc_resampler_out_count(e->bridge.rs, n);
    if (native < 0)
        return native;
    return e->ops->enc_bound(e->codec, (size_t)native);
}

/* Resample into the scratch at the codec's rate, encode into out. */
static int64_t encode_resampled(sc_encoder *e, const int16_t *pcm, size_t n,
                                uint8_t *out, size_t cap)
{
    sc_rate_bridge *b = &e->bridge;
    const sc_codec_ops *ops = e->ops;
    size_t slice = n;
    if (ops->unit_bytes > 0 && ops->unit_samples > 0) {
        /* whole quanta whose codec-rate output fits the scratch */
        size_t per = (size_t)(e->quantum * b->up / b->down);
        size_t fit = b->scratch_cap / per;
        slice = (fit ? fit : 1) * (size_t)e->quantum;
        if (per > b->scratch_cap) {
            int rc = bridge_reserve(b, per);
            if (rc < 0)
                return rc;
        }
    } else {
        int rc = bridge_reserve(b, (size_t)(n / (size_t)b->down * (size_t)b->up));
        if (rc < 0)
            return rc;
    }
    int64_t written = 0;
    for (size_t off = 0; off < n; off += slice) {
        size_t k = n - off < slice ? n - off : slice;
        int64_t m = sc_resampler_process(b->rs, pcm + off, k, b->scratch, b->scratch_cap);
        if (m < 0)
            return m;
        int64_t w = ops->encode(e->codec, b->scratch, (size_t)m, out + written,
                                cap - (size_t)written);
        if (w < 0)
            return w;
        written += w;
    }
    return written;
}

int64_t sc_encoder_encode(sc_encoder *e, const void *pcm_bytes, size_t n,
                          uint8_t *out, size_t cap)
{
    const int16_t *pcm = pcm_bytes;
    if (n % (uint64_t)e->quantum)
        return SC_EARG;
    int64_t bound = sc_encoder_bound(e, n);
    if (bound < 0)
        return bound;
    if ((uint64_t)bound > cap)
        return SC_EBUFFER;
    if (!e->bridge.rs)
        return e->ops->encode(e->codec, pcm, n, out, cap);
    return encode_resampled(e, pcm, n, out, cap);
}
