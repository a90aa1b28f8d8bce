/*
 * AMR-WB: RFC 4867 payload packing (pure C, always built) and
 * sc_amrwb_ops around libopencore-amrwb / libvo-amrwbenc (see amrwb.h).
 *
 * Bit positions below count from the first octet's most significant bit.
 * Both payload layouts are walked by the same code: the CMR at bit 0, TOC
 * entry i at toc0 + i * toc_step, then the frames' speech bits from
 * toc0 + frames * toc_step, each frame starting on an octet in the
 * octet-aligned layout.
 *
 *                          toc0  toc_step  frame start
 *   bandwidth-efficient      4      6       right after the previous frame
 *   octet-aligned            8      8       next octet boundary
 */
#include "amrwb.h"
#include "codec_ops.h"

#include <string.h>

#ifdef SC_HAVE_AMRWB_DEC
#include <opencore-amrwb/dec_if.h>
#endif
#ifdef SC_HAVE_AMRWB_ENC
#include <vo-amrwbenc/enc_if.h>
#endif

/* Speech bits per frame type; -1 marks the reserved types 10..13. */
static const int16_t FRAME_BITS[16] = {
    132, 177, 253, 285, 317, 365, 397, 461, 477, 40, -1, -1, -1, -1, 0, 0,
};

#define STORAGE_MAX 61 /* FT 8: header octet + 60 octets of speech bits */

int sc_amrwb_frame_bits(int ft)
{
    if (ft < 0 || ft > 15 || FRAME_BITS[ft] < 0)
        return SC_EARG;
    return FRAME_BITS[ft];
}

int sc_amrwb_storage_size(int ft)
{
    int bits = sc_amrwb_frame_bits(ft);
    return bits < 0 ? bits : 1 + (bits + 7) / 8;
}

/* ---- bit access (callers have checked every position against the length) ---- */

/* k (1..8) bits at `bit`, as an unsigned number. */
static unsigned get_bits(const uint8_t *src, size_t bit, unsigned k)
{
    size_t j = bit >> 3;
    unsigned s = (unsigned)(bit & 7);
    unsigned v = (unsigned)src[j] << 8;
    if (s + k > 8)
        v |= src[j + 1];
    return (v >> (16 - s - k)) & ((1u << k) - 1);
}

/* OR k (1..8) bits of v into zeroed dst at `bit`. */
static void put_bits(uint8_t *dst, size_t bit, unsigned v, unsigned k)
{
    size_t j = bit >> 3;
    unsigned s = (unsigned)(bit & 7);
    unsigned w = (v & ((1u << k) - 1)) << (16 - s - k);
    dst[j] |= (uint8_t)(w >> 8);
    if (s + k > 8)
        dst[j + 1] |= (uint8_t)(w & 0xff);
}

/* nbits from src at `bit` into dst from its first bit; the last octet's
 * unused bits come out zero. */
static void get_span(uint8_t *SC_RESTRICT dst, const uint8_t *SC_RESTRICT src, size_t bit,
                     unsigned nbits)
{
    unsigned whole = nbits / 8, i = 0;
    if ((bit & 7) == 0) {
        memcpy(dst, src + (bit >> 3), whole);
        i = whole;
    }
    for (; i < whole; i++)
        dst[i] = (uint8_t)get_bits(src, bit + 8 * (size_t)i, 8);
    unsigned rem = nbits & 7;
    if (rem)
        dst[whole] = (uint8_t)(get_bits(src, bit + 8 * (size_t)whole, rem) << (8 - rem));
}

/* The first nbits of src into zeroed dst at `bit`; src's padding bits are
 * dropped. */
static void put_span(uint8_t *SC_RESTRICT dst, size_t bit, const uint8_t *SC_RESTRICT src,
                     unsigned nbits)
{
    unsigned whole = nbits / 8, i = 0;
    if ((bit & 7) == 0) {
        memcpy(dst + (bit >> 3), src, whole);
        i = whole;
    }
    for (; i < whole; i++)
        put_bits(dst, bit + 8 * (size_t)i, src[i], 8);
    unsigned rem = nbits & 7;
    if (rem)
        put_bits(dst, bit + 8 * (size_t)whole, (unsigned)src[whole] >> (8 - rem), rem);
}

static size_t toc0(int oa) { return oa ? 8 : 4; }
static size_t toc_step(int oa) { return oa ? 8 : 6; }
/* Payload bits one frame of `bits` speech bits takes. */
static size_t frame_span(int oa, unsigned bits) { return oa ? (bits + 7) / 8 * 8 : bits; }

/* ---- reading a payload ---- */

typedef struct {
    int oa;           /* layout read */
    int cmr;
    int ambiguous;    /* both layouts fit the length and neither was cleaner */
    size_t frames;
    size_t storage;   /* storage-format octets the frames take */
} amrwb_scan;

/* Check that `p` is a well-formed payload in layout `oa`. */
static int scan(const uint8_t *p, size_t len, int oa, amrwb_scan *r, int *clean)
{
    if (!p || len == 0 || len > SIZE_MAX / 8)
        return SC_ECORRUPT;
    const size_t total = len * 8;
    size_t toc = toc0(oa), frames = 0, data = 0, storage = 0;
    int tidy = !(oa && (p[0] & 0x0f)); /* octet-aligned: 4 reserved bits after the CMR */
    for (;;) {
        if (toc + toc_step(oa) > total)
            return SC_ECORRUPT; /* the TOC runs off the end */
        unsigned entry = get_bits(p, toc, 6);
        if (oa && (p[toc >> 3] & 3))
            tidy = 0; /* the TOC entry's padding bits */
        int bits = FRAME_BITS[(entry >> 1) & 15];
        if (bits < 0 || ++frames > SC_AMRWB_MAX_FRAMES)
            return SC_ECORRUPT;
        data += frame_span(oa, (unsigned)bits);
        storage += 1 + ((size_t)bits + 7) / 8;
        toc += toc_step(oa);
        if (!(entry & 0x20))
            break; /* F = 0: the last entry */
    }
    const size_t end = toc + data;
    if ((end + 7) / 8 != len)
        return SC_ECORRUPT;
    if ((end & 7) && get_bits(p, end, (unsigned)(8 - (end & 7))))
        tidy = 0; /* the final padding bits */
    r->oa = oa;
    r->cmr = (int)get_bits(p, 0, 4);
    r->ambiguous = 0;
    r->frames = frames;
    r->storage = storage;
    *clean = tidy;
    return SC_OK;
}

/* Read `p` as layout oa (0/1), or infer it (-1) with `prefer` breaking a
 * tie that the reserved bits cannot. */
static int choose(const uint8_t *p, size_t len, int oa, int prefer, amrwb_scan *r)
{
    int clean;
    if (oa == 0 || oa == 1)
        return scan(p, len, oa, r, &clean);
    amrwb_scan be, al;
    int clean_be = 0, clean_al = 0;
    int rc_be = scan(p, len, 0, &be, &clean_be);
    int rc_al = scan(p, len, 1, &al, &clean_al);
    if (rc_be < 0 && rc_al < 0)
        return SC_ECORRUPT;
    if (rc_al < 0) {
        *r = be;
    } else if (rc_be < 0) {
        *r = al;
    } else if (clean_be != clean_al) {
        *r = clean_al ? al : be;
    } else {
        *r = prefer == 1 ? al : be;
        r->ambiguous = 1;
    }
    return SC_OK;
}

typedef struct {
    const uint8_t *p;
    int oa;
    size_t toc;
    size_t data;
} amrwb_reader;

static void reader_init(amrwb_reader *rd, const uint8_t *p, const amrwb_scan *r)
{
    rd->p = p;
    rd->oa = r->oa;
    rd->toc = toc0(r->oa);
    rd->data = rd->toc + r->frames * toc_step(r->oa);
}

/* The next frame as a storage-format frame in out (STORAGE_MAX octets of
 * room); returns its size.  Only call as many times as the scan found. */
static size_t reader_next(amrwb_reader *rd, uint8_t *out, int *ft, int *q)
{
    unsigned entry = get_bits(rd->p, rd->toc, 6);
    rd->toc += toc_step(rd->oa);
    *ft = (int)((entry >> 1) & 15);
    *q = (int)(entry & 1);
    unsigned bits = (unsigned)FRAME_BITS[*ft];
    out[0] = (uint8_t)(*ft << 3 | *q << 2);
    get_span(out + 1, rd->p, rd->data, bits);
    rd->data += frame_span(rd->oa, bits);
    return 1 + (bits + 7) / 8;
}

/* ---- writing a payload ---- */

typedef struct {
    uint8_t *out;
    int oa;
    size_t toc;
    size_t data;
} amrwb_writer;

/* Zeroes out[0..zero_len) (which must cover the whole payload) and writes
 * the CMR; the payload will hold `frames` frames. */
static void writer_init(amrwb_writer *w, uint8_t *out, size_t zero_len, int oa, int cmr,
                        size_t frames)
{
    memset(out, 0, zero_len);
    w->out = out;
    w->oa = oa;
    put_bits(out, 0, (unsigned)cmr, 4);
    w->toc = toc0(oa);
    w->data = w->toc + frames * toc_step(oa);
}

static void writer_frame(amrwb_writer *w, int ft, int q, int last, const uint8_t *speech)
{
    unsigned entry = (last ? 0u : 0x20u) | (unsigned)ft << 1 | (unsigned)(q & 1);
    put_bits(w->out, w->toc, entry, 6);
    w->toc += toc_step(w->oa);
    unsigned bits = (unsigned)FRAME_BITS[ft];
    put_span(w->out, w->data, speech, bits);
    w->data += frame_span(w->oa, bits);
}

static size_t writer_end(const amrwb_writer *w) { return (w->data + 7) / 8; }

/* ---- public packing ---- */

int64_t sc_amrwb_pack_bound(size_t storage_len)
{
    /* Octet-aligned: one CMR octet, and each frame's header octet becomes
     * its TOC octet; bandwidth-efficient is never longer. */
    return (int64_t)storage_len + 1;
}

int64_t sc_amrwb_pack(const uint8_t *storage, size_t len, int cmr, int octet_align,
                      uint8_t *out, size_t cap)
{
    if (octet_align != 0 && octet_align != 1)
        return SC_EARG;
    if (!((cmr >= 0 && cmr <= 8) || cmr == SC_AMRWB_CMR_NONE))
        return SC_EARG;
    if (!storage || len == 0)
        return SC_EARG;
    size_t pos = 0, frames = 0, data = 0;
    while (pos < len) {
        int bits = FRAME_BITS[(storage[pos] >> 3) & 15];
        if (bits < 0)
            return SC_ECORRUPT;
        size_t size = 1 + ((size_t)bits + 7) / 8;
        if (size > len - pos)
            return SC_ECORRUPT;
        if (++frames > SC_AMRWB_MAX_FRAMES)
            return SC_EARG;
        data += frame_span(octet_align, (unsigned)bits);
        pos += size;
    }
    const size_t out_len = (toc0(octet_align) + frames * toc_step(octet_align) + data + 7) / 8;
    if (out_len > cap)
        return SC_EBUFFER;
    amrwb_writer w;
    writer_init(&w, out, out_len, octet_align, cmr, frames);
    pos = 0;
    for (size_t i = 0; i < frames; i++) {
        int ft = (storage[pos] >> 3) & 15;
        int q = (storage[pos] >> 2) & 1;
        writer_frame(&w, ft, q, i + 1 == frames, storage + pos + 1);
        pos += 1 + ((size_t)FRAME_BITS[ft] + 7) / 8;
    }
    return (int64_t)writer_end(&w);
}

int64_t sc_amrwb_unpack_bound(size_t payload_len)
{
    /* Each frame's 6-bit TOC entry grows to a header octet and its speech
     * bits to whole octets (at most 1.5 octets more per frame, frames at
     * most len * 8 / 6); never more than the frame limit allows. */
    const size_t most = (size_t)SC_AMRWB_MAX_FRAMES * STORAGE_MAX;
    if (payload_len > most)
        return (int64_t)most;
    size_t bound = payload_len * 5 / 2 + 2;
    return (int64_t)(bound < most ? bound : most);
}

int64_t sc_amrwb_unpack(const uint8_t *payload, size_t len, int octet_align,
                        uint8_t *storage, size_t cap, sc_amrwb_info *info)
{
    if (octet_align < -1 || octet_align > 1)
        return SC_EARG;
    amrwb_scan r;
    int rc = choose(payload, len, octet_align, 0, &r);
    if (rc < 0)
        return rc;
    if (r.storage > cap)
        return SC_EBUFFER;
    amrwb_reader rd;
    reader_init(&rd, payload, &r);
    size_t pos = 0;
    for (size_t i = 0; i < r.frames; i++) {
        int ft, q;
        pos += reader_next(&rd, storage + pos, &ft, &q);
    }
    if (info) {
        info->cmr = r.cmr;
        info->octet_align = r.oa;
        info->frames = (int32_t)r.frames;
    }
    return (int64_t)pos;
}

/* ---- decoder ---- */

typedef struct {
    void *lib;           /* D_IF_init's state */
    int32_t octet_align; /* -1 infer, 0, 1 */
    int32_t prefer;      /* inferring: the layout last read unambiguously */
    int32_t last_cmr;    /* -1 before the first payload */
} amrwb_dec;

static void lib_decode(void *lib, const uint8_t *frame, int16_t *out)
{
#ifdef SC_HAVE_AMRWB_DEC
    D_IF_decode(lib, frame, out, _good_frame);
#else
    (void)lib;
    (void)frame;
    memset(out, 0, SC_AMRWB_FRAME_SAMPLES * sizeof *out);
#endif
}

static size_t dec_size(const sc_params *p)
{
    (void)p;
    return sizeof(amrwb_dec);
}

static int dec_init(void *st, const sc_params *p)
{
    amrwb_dec *s = st;
    if (p->octet_align < -1 || p->octet_align > 1)
        return SC_EARG;
    if (p->codec_rate != 16000)
        return SC_EUNSUPPORTED;
#ifdef SC_HAVE_AMRWB_DEC
    s->octet_align = p->octet_align;
    s->prefer = 0;
    s->last_cmr = -1;
    s->lib = D_IF_init();
    return s->lib ? SC_OK : SC_ENOMEM;
#else
    (void)s;
    return SC_EUNAVAILABLE;
#endif
}

static void dec_free(void *st)
{
#ifdef SC_HAVE_AMRWB_DEC
    amrwb_dec *s = st;
    if (s->lib)
        D_IF_exit(s->lib);
    s->lib = NULL;
#else
    (void)st;
#endif
}

static int64_t dec_bound(const void *st, const uint8_t *payload, size_t len)
{
    const amrwb_dec *s = st;
    amrwb_scan r;
    int rc = choose(payload, len, s->octet_align, s->prefer, &r);
    if (rc < 0)
        return rc;
    return (int64_t)r.frames * SC_AMRWB_FRAME_SAMPLES;
}

static int64_t dec_decode(void *st, const uint8_t *payload, size_t len, int16_t *out, size_t cap)
{
    amrwb_dec *s = st;
    amrwb_scan r;
    int rc = choose(payload, len, s->octet_align, s->prefer, &r);
    if (rc < 0)
        return rc;
    if (r.frames * SC_AMRWB_FRAME_SAMPLES > cap)
        return SC_EBUFFER;
    amrwb_reader rd;
    reader_init(&rd, payload, &r);
    uint8_t frame[64];
    for (size_t i = 0; i < r.frames; i++) {
        int ft, q;
        memset(frame, 0, sizeof frame);
        reader_next(&rd, frame, &ft, &q);
        if (!q) /* damaged: the library cannot be told, so treat it as lost */
            frame[0] = (uint8_t)((ft == SC_AMRWB_FT_SID ? SC_AMRWB_FT_NO_DATA
                                                        : SC_AMRWB_FT_SPEECH_LOST) << 3);
        lib_decode(s->lib, frame, out + i * SC_AMRWB_FRAME_SAMPLES);
    }
    s->last_cmr = r.cmr;
    if (s->octet_align < 0 && !r.ambiguous)
        s->prefer = r.oa;
    return (int64_t)(r.frames * SC_AMRWB_FRAME_SAMPLES);
}

static int64_t dec_conceal(void *st, size_t n, int16_t *out, size_t cap)
{
    amrwb_dec *s = st;
    if (n > cap)
        return SC_EBUFFER;
    uint8_t lost[64] = { SC_AMRWB_FT_SPEECH_LOST << 3 };
    size_t done = 0;
    for (; n - done >= SC_AMRWB_FRAME_SAMPLES; done += SC_AMRWB_FRAME_SAMPLES)
        lib_decode(s->lib, lost, out + done);
    if (done < n) {
        int16_t tail[SC_AMRWB_FRAME_SAMPLES];
        lib_decode(s->lib, lost, tail);
        memcpy(out + done, tail, (n - done) * sizeof *out);
    }
    return (int64_t)n;
}

int sc_amrwb_decoder_last_cmr(struct sc_decoder *d)
{
    const amrwb_dec *s = sc_decoder_state(d, &sc_amrwb_ops);
    return s ? s->last_cmr : SC_EARG;
}

/* ---- encoder ---- */

typedef struct {
    void *lib; /* E_IF_init's state */
    int32_t mode;
    int32_t dtx;
    int32_t octet_align;
    int32_t cmr;
} amrwb_enc;

static size_t enc_size(const sc_params *p)
{
    (void)p;
    return sizeof(amrwb_enc);
}

static int enc_init(void *st, const sc_params *p)
{
    amrwb_enc *s = st;
    if (p->mode < 0 || p->mode > 8 || (p->dtx != 0 && p->dtx != 1))
        return SC_EARG;
    if (p->octet_align < -1 || p->octet_align > 1)
        return SC_EARG;
    if (p->codec_rate != 16000)
        return SC_EUNSUPPORTED;
#ifdef SC_HAVE_AMRWB_ENC
    s->mode = p->mode;
    s->dtx = p->dtx;
    s->octet_align = p->octet_align == 1; /* unset: bandwidth-efficient, RFC 4867's default */
    s->cmr = SC_AMRWB_CMR_NONE;
    s->lib = E_IF_init();
    return s->lib ? SC_OK : SC_ENOMEM;
#else
    (void)s;
    return SC_EUNAVAILABLE;
#endif
}

static void enc_free(void *st)
{
#ifdef SC_HAVE_AMRWB_ENC
    amrwb_enc *s = st;
    if (s->lib)
        E_IF_exit(s->lib);
    s->lib = NULL;
#else
    (void)st;
#endif
}

static int32_t enc_frame(const void *st)
{
    (void)st;
    return SC_AMRWB_FRAME_SAMPLES;
}

static int64_t enc_bound(const void *st, size_t n)
{
    (void)st;
    size_t frames = (n + SC_AMRWB_FRAME_SAMPLES - 1) / SC_AMRWB_FRAME_SAMPLES;
    if (frames > SC_AMRWB_MAX_FRAMES)
        return SC_EARG;
    return frames ? 1 + (int64_t)frames * STORAGE_MAX : 0;
}

static int64_t enc_encode(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    amrwb_enc *s = st;
    int64_t bound = enc_bound(st, n);
    if (bound <= 0)
        return bound;
    if ((uint64_t)bound > cap)
        return SC_EBUFFER;
    const size_t frames = n / SC_AMRWB_FRAME_SAMPLES;
    amrwb_writer w;
    writer_init(&w, out, (size_t)bound, s->octet_align, s->cmr, frames);
    for (size_t i = 0; i < frames; i++) {
        uint8_t frame[128];
#ifdef SC_HAVE_AMRWB_ENC
        int got = E_IF_encode(s->lib, s->mode, pcm + i * SC_AMRWB_FRAME_SAMPLES, frame, s->dtx);
#else
        int got = 0;
        (void)pcm;
#endif
        if (got < 1)
            return SC_EINTERNAL;
        int ft = (frame[0] >> 3) & 15;
        int bits = FRAME_BITS[ft];
        if (bits < 0 || got < 1 + (bits + 7) / 8)
            return SC_EINTERNAL;
        writer_frame(&w, ft, (frame[0] >> 2) & 1, i + 1 == frames, frame + 1);
    }
    return (int64_t)writer_end(&w);
}

int sc_amrwb_encoder_set_cmr(struct sc_encoder *e, int cmr)
{
    amrwb_enc *s = sc_encoder_state(e, &sc_amrwb_ops);
    if (!s || !((cmr >= 0 && cmr <= 8) || cmr == SC_AMRWB_CMR_NONE))
        return SC_EARG;
    s->cmr = cmr;
    return SC_OK;
}

int sc_amrwb_encoder_get_cmr(struct sc_encoder *e)
{
    const amrwb_enc *s = sc_encoder_state(e, &sc_amrwb_ops);
    return s ? s->cmr : SC_EARG;
}

#if defined(SC_HAVE_AMRWB_DEC) && defined(SC_HAVE_AMRWB_ENC)
#define SC_AMRWB_AVAILABLE 1
#else
#define SC_AMRWB_AVAILABLE 0
#endif

const sc_codec_ops sc_amrwb_ops = {
    .info = { .native_rate = 16000, .rtp_clock = 16000, .frame_ms10 = 200,
              .available = SC_AMRWB_AVAILABLE },
    .unit_bytes = 0, .unit_samples = 0,
    .choose_rate = NULL,
    .dec_size = dec_size, .dec_init = dec_init, .dec_free = dec_free,
    .dec_bound = dec_bound, .decode = dec_decode, .conceal = dec_conceal,
    .enc_size = enc_size, .enc_init = enc_init, .enc_free = enc_free,
    .enc_frame = enc_frame, .enc_bound = enc_bound, .encode = enc_encode,
    .recover = NULL,
};
