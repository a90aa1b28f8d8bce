#include "codec_ops.h"

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
    default: return NULL;
    }
}

struct sc_decoder {
    const sc_codec_ops *ops;
    sc_params params;   /* with codec_rate resolved to the native rate */
    void *codec;        /* ops->dec_size() bytes */
};

struct sc_encoder {
    const sc_codec_ops *ops;
    sc_params params;
    void *codec;        /* ops->enc_size() bytes */
    int32_t frame;      /* native samples per encoder frame */
};

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
    if (!*ops)
        return SC_EUNAVAILABLE;
    if (in->rate <= 0 || in->codec_rate < 0)
        return SC_EARG;
    *out = *in;
    if ((*ops)->info.native_rate)
        out->codec_rate = (*ops)->info.native_rate;
    else if (!out->codec_rate)
        out->codec_rate = (*ops)->choose_rate ? (*ops)->choose_rate(out->rate) : out->rate;
    /* Resampling between the API rate and the codec's joins here. */
    if (out->codec_rate != out->rate)
        return SC_EUNSUPPORTED;
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
    if (rc < 0) {
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
    free(d->codec);
    free(d);
}

int64_t sc_decoder_bound(const sc_decoder *d, const uint8_t *payload, size_t len)
{
    return d->ops->dec_bound(d->codec, payload, len);
}

int64_t sc_decoder_decode(sc_decoder *d, const uint8_t *payload, size_t len,
                          int16_t *out, size_t cap)
{
    int64_t bound = d->ops->dec_bound(d->codec, payload, len);
    if (bound < 0)
        return bound;
    if ((uint64_t)bound > cap)
        return SC_EBUFFER;
    return d->ops->decode(d->codec, payload, len, out, cap);
}

int64_t sc_decoder_conceal(sc_decoder *d, size_t n, int16_t *out, size_t cap)
{
    if (n > cap)
        return SC_EBUFFER;
    return d->ops->conceal(d->codec, n, out, cap);
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
    if (rc < 0) {
        free(st);
        free(e);
        return rc;
    }
    e->frame = ops->enc_frame(st);
    *out = e;
    return SC_OK;
}

void sc_encoder_free(sc_encoder *e)
{
    if (!e)
        return;
    if (e->ops->enc_free)
        e->ops->enc_free(e->codec);
    free(e->codec);
    free(e);
}

int64_t sc_encoder_quantum(const sc_encoder *e)
{
    return e->frame;
}

int64_t sc_encoder_bound(const sc_encoder *e, size_t n)
{
    return e->ops->enc_bound(e->codec, n);
}

int64_t sc_encoder_encode(sc_encoder *e, const int16_t *pcm, size_t n,
                          uint8_t *out, size_t cap)
{
    if (n % (size_t)e->frame)
        return SC_EARG;
    int64_t bound = e->ops->enc_bound(e->codec, n);
    if (bound < 0)
        return bound;
    if ((uint64_t)bound > cap)
        return SC_EBUFFER;
    return e->ops->encode(e->codec, pcm, n, out, cap);
}
