#include "frame.h"
#include "cpu.h"

#include <string.h>

/*
 * x86-64: the string scan uses SSE2 (part of the baseline ABI); the base64
 * decoder has an SSSE3 block loop, installed by sc_base64_select() at the
 * avx2 level and above of cpu.h (every CPU with AVX2 has SSSE3).
 */
#if defined(SC_CPU_X86)
#define SC_FRAME_X86 1
#include <immintrin.h>
#endif

/* ------------------------------------------------------------------ base64 */

static const char b64_alphabet[65] = /* (and the terminating NUL) */
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Sextet of a character, or 0xFF outside the alphabet. */
#define B64_VAL(c) ((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' : (c) >= 'a' && (c) <= 'z' ? (c) - 'a' + 26 \
                    : (c) >= '0' && (c) <= '9' ? (c) - '0' + 52 : (c) == '+' ? 62 \
                    : (c) == '/' ? 63 : 0xFF)
/* The sextet of character k of a quad, already in place in the 24-bit
 * group; characters outside the alphabet set bit 24, so one OR over a
 * whole text tells whether any was invalid. */
#define B64_AT(c, shift) (B64_VAL(c) == 0xFF ? 0x01000000u : (uint32_t)B64_VAL(c) << (shift))
#define B64_D0(c) B64_AT(c, 18)
#define B64_D1(c) B64_AT(c, 12)
#define B64_D2(c) B64_AT(c, 6)
#define B64_D3(c) B64_AT(c, 0)
#define TAB4(F, b) F(b), F((b) + 1), F((b) + 2), F((b) + 3)
#define TAB16(F, b) TAB4(F, b), TAB4(F, (b) + 4), TAB4(F, (b) + 8), TAB4(F, (b) + 12)
#define TAB64(F, b) TAB16(F, b), TAB16(F, (b) + 16), TAB16(F, (b) + 32), TAB16(F, (b) + 48)
#define TAB256(F) TAB64(F, 0), TAB64(F, 64), TAB64(F, 128), TAB64(F, 192)
static const uint32_t b64_d0[256] = { TAB256(B64_D0) };
static const uint32_t b64_d1[256] = { TAB256(B64_D1) };
static const uint32_t b64_d2[256] = { TAB256(B64_D2) };
static const uint32_t b64_d3[256] = { TAB256(B64_D3) };

/* Sextet of each character; 0x80 marks characters outside the alphabet. */
#define B64_VAL8(c) (B64_VAL(c) == 0xFF ? 0x80 : B64_VAL(c))
static const uint8_t b64_value[256] = { TAB256(B64_VAL8) };

size_t sc_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

/* The two characters of every 12-bit value, so a 3-byte group takes two
 * lookups. */
#define B64_CHAR(v) ((char)((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + (v) - 26 \
                            : (v) < 62 ? '0' + (v) - 52 : (v) == 62 ? '+' : '/'))
#define B64_PAIR(i) { B64_CHAR((i) >> 6), B64_CHAR((i) & 63) }
static const char b64_pairs[4096][2] = {
#define PAIR_0(i) B64_PAIR(i)
#define PAIR_1(i) B64_PAIR((i) + 256)
#define PAIR_2(i) B64_PAIR((i) + 512)
#define PAIR_3(i) B64_PAIR((i) + 768)
#define PAIR_4(i) B64_PAIR((i) + 1024)
#define PAIR_5(i) B64_PAIR((i) + 1280)
#define PAIR_6(i) B64_PAIR((i) + 1536)
#define PAIR_7(i) B64_PAIR((i) + 1792)
#define PAIR_8(i) B64_PAIR((i) + 2048)
#define PAIR_9(i) B64_PAIR((i) + 2304)
#define PAIR_10(i) B64_PAIR((i) + 2560)
#define PAIR_11(i) B64_PAIR((i) + 2816)
#define PAIR_12(i) B64_PAIR((i) + 3072)
#define PAIR_13(i) B64_PAIR((i) + 3328)
#define PAIR_14(i) B64_PAIR((i) + 3584)
#define PAIR_15(i) B64_PAIR((i) + 3840)
    TAB256(PAIR_0), TAB256(PAIR_1), TAB256(PAIR_2), TAB256(PAIR_3),
    TAB256(PAIR_4), TAB256(PAIR_5), TAB256(PAIR_6), TAB256(PAIR_7),
    TAB256(PAIR_8), TAB256(PAIR_9), TAB256(PAIR_10), TAB256(PAIR_11),
    TAB256(PAIR_12), TAB256(PAIR_13), TAB256(PAIR_14), TAB256(PAIR_15),
};

/* Caller guarantees room for sc_base64_encoded_len(n) characters. */
static size_t b64_encode(const uint8_t *SC_RESTRICT in, size_t n, char *SC_RESTRICT out)
{
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3, o += 4) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        memcpy(out + o, b64_pairs[v >> 12], 2);
        memcpy(out + o + 2, b64_pairs[v & 0xFFF], 2);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o] = b64_alphabet[v >> 18];
        out[o + 1] = b64_alphabet[(v >> 12) & 63];
        out[o + 2] = '=';
        out[o + 3] = '=';
        o += 4;
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o] = b64_alphabet[v >> 18];
        out[o + 1] = b64_alphabet[(v >> 12) & 63];
        out[o + 2] = b64_alphabet[(v >> 6) & 63];
        out[o + 3] = '=';
        o += 4;
    }
    return o;
}

int64_t sc_base64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
    if (n > (SIZE_MAX / 4 - 1) * 3)
        return SC_EARG;
    if (sc_base64_encoded_len(n) > cap)
        return SC_EBUFFER;
    return (int64_t)b64_encode(in, n, out);
}

/* Bytes that n characters of valid base64 decode to (n a multiple of 4). */
static size_t b64_decoded_len(const uint8_t *in, size_t n)
{
    if (n == 0)
        return 0;
    size_t len = n / 4 * 3;
    if (in[n - 1] == '=')
        len -= (in[n - 2] == '=') ? 2 : 1;
    return len;
}

/* Strict decode of n characters into out (room for b64_decoded_len);
 * returns bytes written or SC_ECORRUPT. */
#ifdef SC_FRAME_X86
/*
 * 16 characters to 12 bytes per step.  A character is valid when no bit is
 * set in both lo_invalid[low nibble] and hi_class[high nibble]: the high
 * nibbles fall into five classes (0x01: 0-1 and 8-F, nothing valid;
 * 0x02: '+' '/'; 0x04: digits; 0x08: 4 and 6, all but nibble 0; 0x10: 5 and
 * 7, nibbles 0-A), and lo_invalid marks, per low nibble, the classes in
 * which it is invalid.  The sextet is the character plus an offset chosen
 * by its high nibble ('/' moved to its own slot, 1).  Returns the
 * characters consumed (whole blocks before the first invalid one).
 */
__attribute__((target("ssse3")))
static size_t b64_decode_ssse3(const uint8_t *in, size_t n, uint8_t *out)
{
    const __m128i lo_invalid = _mm_setr_epi8(0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
                                             0x03, 0x03, 0x07, 0x15, 0x17, 0x17, 0x17, 0x15);
    const __m128i hi_class = _mm_setr_epi8(0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x10,
                                           0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01);
    const __m128i offset = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71,
                                         0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i nibble = _mm_set1_epi8(0x0F), slash = _mm_set1_epi8('/');
    const __m128i pair = _mm_set1_epi32(0x01400140);  /* a * 64 + b per 16-bit lane */
    const __m128i quad = _mm_set1_epi32(0x00011000);  /* ab * 4096 + cd per 32-bit lane */
    const __m128i order = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    size_t i = 0;
    for (; i + 16 <= n; i += 16, out += 12) {
        __m128i v = _mm_loadu_si128((const __m128i *)(in + i));
        __m128i hi = _mm_and_si128(_mm_srli_epi32(v, 4), nibble);
        __m128i lo = _mm_and_si128(v, nibble);
        __m128i bad = _mm_and_si128(_mm_shuffle_epi8(lo_invalid, lo),
                                    _mm_shuffle_epi8(hi_class, hi));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(bad, _mm_setzero_si128())) != 0xFFFF)
            break;
        __m128i roll = _mm_shuffle_epi8(offset, _mm_add_epi8(hi, _mm_cmpeq_epi8(v, slash)));
        __m128i sextets = _mm_add_epi8(v, roll);
        __m128i groups = _mm_madd_epi16(_mm_maddubs_epi16(sextets, pair), quad);
        __m128i bytes = _mm_shuffle_epi8(groups, order);
        _mm_storel_epi64((__m128i *)out, bytes);
        uint32_t tail = (uint32_t)_mm_cvtsi128_si32(_mm_srli_si128(bytes, 8));
        memcpy(out + 8, &tail, 4);
    }
    return i;
}
#endif

#if defined(SC_CPU_ARM64)
#include <arm_neon.h>
/*
 * 64 characters to 48 bytes per step, for level neon: LD4 splits the
 * characters by their place in a quad (a, b, c, d), each becomes a sextet
 * with the nibble-class tables of b64_decode_ssse3 (TBL for PSHUFB), and ST3
 * interleaves the three bytes the four sextets make.  Returns the
 * characters consumed (whole blocks before the first invalid one).
 */
static const uint8_t b64_lo_invalid[16] = { 0x0B, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03, 0x03,
                                            0x03, 0x03, 0x07, 0x15, 0x17, 0x17, 0x17, 0x15 };
static const uint8_t b64_hi_class[16] = { 0x01, 0x01, 0x02, 0x04, 0x08, 0x10, 0x08, 0x10,
                                          0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01 };
static const uint8_t b64_offset[16] = { 0, 16, 19, 4, 0xBF, 0xBF, 0xB9, 0xB9,
                                        0, 0, 0, 0, 0, 0, 0, 0 };  /* -65, -71 mod 256 */

static inline uint8x16_t b64_sextets_neon(uint8x16_t v, uint8x16_t *bad)
{
    uint8x16_t hi = vshrq_n_u8(v, 4), lo = vandq_u8(v, vdupq_n_u8(0x0F));
    *bad = vorrq_u8(*bad, vandq_u8(vqtbl1q_u8(vld1q_u8(b64_lo_invalid), lo),
                                   vqtbl1q_u8(vld1q_u8(b64_hi_class), hi)));
    uint8x16_t roll = vqtbl1q_u8(vld1q_u8(b64_offset), vaddq_u8(hi, vceqq_u8(v, vdupq_n_u8('/'))));
    return vaddq_u8(v, roll);
}

static size_t b64_decode_neon(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0;
    for (; i + 64 <= n; i += 64, out += 48) {
        uint8x16x4_t q = vld4q_u8(in + i);
        uint8x16_t bad = vdupq_n_u8(0);
        uint8x16_t a = b64_sextets_neon(q.val[0], &bad), b = b64_sextets_neon(q.val[1], &bad);
        uint8x16_t c = b64_sextets_neon(q.val[2], &bad), d = b64_sextets_neon(q.val[3], &bad);
        if (vmaxvq_u8(bad))
            break;
        uint8x16x3_t bytes;
        bytes.val[0] = vorrq_u8(vshlq_n_u8(a, 2), vshrq_n_u8(b, 4));
        bytes.val[1] = vorrq_u8(vshlq_n_u8(b, 4), vshrq_n_u8(c, 2));
        bytes.val[2] = vorrq_u8(vshlq_n_u8(c, 6), d);
        vst3q_u8(out, bytes);
    }
    return i;
}
#endif

/* The installed block loop (16 or 64 characters a step), or none: then every
 * quad goes through the tables. */
static size_t (*b64_decode_block)(const uint8_t *, size_t, uint8_t *);

int sc_base64_select(int level)
{
#ifdef SC_FRAME_X86
    if (level >= SC_CPU_AVX2) {
        b64_decode_block = b64_decode_ssse3;
        return SC_CPU_AVX2;
    }
#elif defined(SC_CPU_ARM64)
    if (level >= SC_CPU_NEON) {
        b64_decode_block = b64_decode_neon;
        return SC_CPU_NEON;
    }
#endif
    (void)level;
    b64_decode_block = NULL;
    return SC_CPU_BASELINE;
}

static int64_t b64_decode(const uint8_t *SC_RESTRICT in, size_t n, uint8_t *SC_RESTRICT out)
{
    if (n % 4)
        return SC_ECORRUPT;
    if (n == 0)
        return 0;
    size_t full = n - 4; /* every quad but the last has no padding */
    size_t o = 0, start = 0;
    uint32_t bad = 0;
    if (full >= 16 && b64_decode_block) {
        start = b64_decode_block(in, full, out);
        o = start / 4 * 3;
    }
    for (size_t i = start; i < full; i += 4, o += 3) {
        uint32_t v = b64_d0[in[i]] | b64_d1[in[i + 1]] | b64_d2[in[i + 2]] | b64_d3[in[i + 3]];
        bad |= v;
        out[o] = (uint8_t)(v >> 16);
        out[o + 1] = (uint8_t)(v >> 8);
        out[o + 2] = (uint8_t)v;
    }
    if (bad & 0x01000000u)
        return SC_ECORRUPT;
    const uint8_t *q = in + full;
    uint32_t a = b64_value[q[0]], b = b64_value[q[1]];
    if ((a | b) & 0x80)
        return SC_ECORRUPT;
    if (q[2] == '=') {
        /* "xx==": one byte; the low four bits of the second sextet unused */
        if (q[3] != '=' || (b & 0x0F))
            return SC_ECORRUPT;
        out[o++] = (uint8_t)((a << 2) | (b >> 4));
        return (int64_t)o;
    }
    uint32_t c = b64_value[q[2]];
    if (c & 0x80)
        return SC_ECORRUPT;
    if (q[3] == '=') {
        /* "xxx=": two bytes; the low two bits of the third sextet unused */
        if (c & 0x03)
            return SC_ECORRUPT;
        uint32_t v = (a << 18) | (b << 12) | (c << 6);
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        return (int64_t)o;
    }
    uint32_t d = b64_value[q[3]];
    if (d & 0x80)
        return SC_ECORRUPT;
    uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = (uint8_t)(v >> 16);
    out[o++] = (uint8_t)(v >> 8);
    out[o++] = (uint8_t)v;
    return (int64_t)o;
}

int64_t sc_base64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    const uint8_t *text = (const uint8_t *)in;
    if (n % 4)
        return SC_ECORRUPT;
    if (b64_decoded_len(text, n) > cap)
        return SC_EBUFFER;
    return b64_decode(text, n, out);
}

/* ------------------------------------------------------------ JSON scanner */

/*
 * A validating scanner for the subset of JSON a media message is made of.
 * It returns SC_FRAME_OTHER for anything outside that subset, so only
 * messages it fully understands take the fast path.
 */

enum { OK = 0, OTHER = SC_FRAME_OTHER };
enum { MAX_DEPTH = 32, MAX_DIGITS = 18 };

typedef struct {
    const uint8_t *p;
    const uint8_t *end;
} cursor;

/* String bytes: 0 plain, 1 closing quote, 2 anything that needs the general
 * parser (backslash escapes, control characters, non-ASCII). */
static const uint8_t str_class[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static inline void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static inline int expect(cursor *c, uint8_t ch)
{
    skip_ws(c);
    if (c->p >= c->end || *c->p != ch)
        return OTHER;
    c->p++;
    return OK;
}

/* Eight bytes at once: nonzero when any of them is a quote, a backslash, a
 * control character or non-ASCII (the exact byte is then found one by one). */
static inline uint64_t special8(const uint8_t *p)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t w;
    memcpy(&w, p, 8);
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t zero_q = (q - ones) & ~q, zero_b = (b - ones) & ~b;
    uint64_t ctrl = (w - ones * 0x20) & ~w;
    return (zero_q | zero_b | ctrl | w) & high;
}

/* At an opening quote: the string's bytes (no escapes allowed). */
static inline int scan_string(cursor *c, const uint8_t **s, size_t *len)
{
    if (c->p >= c->end || *c->p != '"')
        return OTHER;
    const uint8_t *start = ++c->p;
    const uint8_t *p = start, *end = c->end;
#ifdef SC_FRAME_X86
    {
        /* signed compare: below 0x20 catches control bytes and, as
         * negative numbers, every non-ASCII byte */
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
        const __m128i space = _mm_set1_epi8(0x20);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                    _mm_cmpeq_epi8(v, backslash)),
                                       _mm_cmplt_epi8(v, space));
            int mask = _mm_movemask_epi8(hit);
            if (mask) {
                p += __builtin_ctz((unsigned)mask);
                break;
            }
            p += 16;
        }
    }
#endif
    while (end - p >= 8 && !special8(p))
        p += 8;
    while (p < end) {
        uint8_t k = str_class[*p];
        if (k == 0) {
            p++;
            continue;
        }
        if (k == 1) {
            *s = start;
            *len = (size_t)(p - start);
            c->p = p + 1;
            return OK;
        }
        return OTHER;
    }
    return OTHER;
}

static inline int is_digit(uint8_t ch) { return ch >= '0' && ch <= '9'; }

/* A JSON number, grammar checked (NaN and Infinity go to the general parser). */
static int skip_number(cursor *c)
{
    const uint8_t *p = c->p, *end = c->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return OTHER;
    if (*p == '0')
        p++;
    else
        while (p < end && is_digit(*p))
            p++;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            return OTHER;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return OTHER;
        while (p < end && is_digit(*p))
            p++;
    }
    c->p = p;
    return OK;
}

static int skip_literal(cursor *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
        return OTHER;
    c->p += n;
    return OK;
}

static int skip_value(cursor *c, int depth);

static int skip_container(cursor *c, int depth, uint8_t close, int keyed)
{
    if (depth >= MAX_DEPTH)
        return OTHER;
    c->p++; /* the opening bracket */
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return OK;
    }
    for (;;) {
        if (keyed) {
            const uint8_t *s;
            size_t n;
            skip_ws(c);
            if (scan_string(c, &s, &n) != OK || expect(c, ':') != OK)
                return OTHER;
        }
        if (skip_value(c, depth + 1) != OK)
            return OTHER;
        skip_ws(c);
        if (c->p >= c->end)
            return OTHER;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == close) {
            c->p++;
            return OK;
        }
        return OTHER;
    }
}

static int skip_value(cursor *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->end)
        return OTHER;
    const uint8_t *s;
    size_t n;
    switch (*c->p) {
    case '"': return scan_string(c, &s, &n);
    case '{': return skip_container(c, depth, '}', 1);
    case '[': return skip_container(c, depth, ']', 0);
    case 't': return skip_literal(c, "true", 4);
    case 'f': return skip_literal(c, "false", 5);
    case 'n': return skip_literal(c, "null", 4);
    default: return skip_number(c);
    }
}

/* A non-negative integer as the general parser reads it: a JSON integer
 * literal or a string of ASCII digits.  Longer than MAX_DIGITS, signed,
 * fractional or null: OTHER. */
static int scan_uint(cursor *c, int64_t *out)
{
    skip_ws(c);
    const uint8_t *p = c->p, *end = c->end;
    int quoted = p < end && *p == '"';
    p += quoted;
    const uint8_t *digits = p;
    int64_t v = 0;
    /* at most MAX_DIGITS digits are accumulated, so v stays below 10^18:
     * the count is checked before each multiplication, never after */
    while (p < end && is_digit(*p)) {
        if (p - digits == MAX_DIGITS)
            return OTHER;
        v = v * 10 + (*p - '0');
        p++;
    }
    size_t n = (size_t)(p - digits);
    if (n == 0)
        return OTHER;
    if (quoted) {
        if (p >= end || *p != '"')
            return OTHER;
        p++;
    } else if ((n > 1 && digits[0] == '0') ||
               (p < end && (*p == '.' || *p == 'e' || *p == 'E'))) {
        return OTHER; /* a leading zero (not JSON) or a fraction/exponent */
    }
    c->p = p;
    *out = v;
    return OK;
}

/* At an opening quote: when the string is exactly `word`, step past its
 * closing quote and return 1; else leave the cursor and return 0. */
static inline int take_word(cursor *c, const char *word, size_t n)
{
    if ((size_t)(c->end - c->p) < n + 2 || c->p[0] != '"' || c->p[n + 1] != '"' ||
        memcmp(c->p + 1, word, n) != 0)
        return 0;
    c->p += n + 2;
    return 1;
}
#define TAKE(c, literal) take_word((c), (literal), sizeof(literal) - 1)

/* The keys the scanner reads; any other key is scanned as a string and its
 * value skipped. */
enum {
    K_OTHER, K_EVENT, K_MEDIA, K_STREAM_ID, K_SEQUENCE, K_TRACK, K_CHUNK, K_TIMESTAMP, K_PAYLOAD
};

/* The carrier's top-level key names (sc_frame_in.id_key, seq_key). */
typedef struct {
    const char *id;
    size_t id_len;
    const char *seq;
    size_t seq_len;
} key_names;

/* At an opening quote: which key this is, and the cursor past it.  `keys`
 * is NULL for Telnyx's names, else the carrier's stream id and sequence
 * number keys (looked for before any other at the top level). */
static int scan_key(cursor *c, int inner, const key_names *keys)
{
    if (c->end - c->p < 2 || *c->p != '"')
        return -1;
    if (keys && !inner) {
        if (take_word(c, keys->id, keys->id_len)) return K_STREAM_ID;
        if (take_word(c, keys->seq, keys->seq_len)) return K_SEQUENCE;
    }
    switch (c->p[1]) {
    case 'e':
        if (!inner && TAKE(c, "event")) return K_EVENT;
        break;
    case 'm':
        if (!inner && TAKE(c, "media")) return K_MEDIA;
        break;
    case 's':
        if (!inner && !keys && TAKE(c, "stream_id")) return K_STREAM_ID;
        if (!inner && !keys && TAKE(c, "sequence_number")) return K_SEQUENCE;
        break;
    case 't':
        if (inner && TAKE(c, "track")) return K_TRACK;
        if (inner && TAKE(c, "timestamp")) return K_TIMESTAMP;
        break;
    case 'c':
        if (inner && TAKE(c, "chunk")) return K_CHUNK;
        break;
    case 'p':
        if (inner && TAKE(c, "payload")) return K_PAYLOAD;
        break;
    default:
        break;
    }
    const uint8_t *s;
    size_t n;
    return scan_string(c, &s, &n) == OK ? K_OTHER : -1;
}

typedef struct {
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *stream_id;
    size_t stream_id_len;
    int64_t chunk, timestamp, sequence_number;
    int32_t track;
} scanned;

enum {
    SEEN_EVENT = 1, SEEN_MEDIA = 2, SEEN_STREAM = 4, SEEN_SEQ = 8,
    SEEN_TRACK = 16, SEEN_CHUNK = 32, SEEN_TS = 64, SEEN_PAYLOAD = 128
};

static int scan_media_object(cursor *c, scanned *out, unsigned *seen)
{
    if (expect(c, '{') != OK)
        return OTHER;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') {
        c->p++;
        return OK;
    }
    for (;;) {
        skip_ws(c);
        int key = scan_key(c, 1, NULL);
        if (key < 0 || expect(c, ':') != OK)
            return OTHER;
        unsigned bit = 0;
        int rc = OTHER;
        skip_ws(c);
        switch (key) {
        case K_PAYLOAD:
            /* Only the closing quote is looked for here: the strict base64
             * decode that follows refuses every other special byte. */
            bit = SEEN_PAYLOAD;
            if (c->p < c->end && *c->p == '"') {
                const uint8_t *q = memchr(c->p + 1, '"', (size_t)(c->end - c->p - 1));
                if (q) {
                    out->payload = c->p + 1;
                    out->payload_len = (size_t)(q - c->p - 1);
                    c->p = q + 1;
                    rc = OK;
                }
            }
            break;
        case K_CHUNK:
            bit = SEEN_CHUNK;
            rc = scan_uint(c, &out->chunk);
            break;
        case K_TIMESTAMP:
            bit = SEEN_TS;
            rc = scan_uint(c, &out->timestamp);
            break;
        case K_TRACK:
            bit = SEEN_TRACK;
            if (TAKE(c, "inbound")) {
                out->track = 0;
                rc = OK;
            } else if (TAKE(c, "outbound")) {
                out->track = 1;
                rc = OK;
            } else if (TAKE(c, "inbound_track")) {   /* the TeXML spelling */
                out->track = 0;
                rc = OK;
            } else if (TAKE(c, "outbound_track")) {
                out->track = 1;
                rc = OK;
            }
            break;
        default:
            rc = skip_value(c, 2);
            break;
        }
        if (rc != OK || (*seen & bit))
            return OTHER;
        *seen |= bit;
        skip_ws(c);
        if (c->p >= c->end)
            return OTHER;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p == '}') {
            c->p++;
            return OK;
        }
        return OTHER;
    }
}

static int scan_message(const uint8_t *msg, size_t len, scanned *out, const key_names *keys)
{
    cursor c = { msg, msg + len };
    unsigned seen = 0;
    if (expect(&c, '{') != OK)
        return OTHER;
    skip_ws(&c);
    if (c.p < c.end && *c.p == '}')
        return OTHER; /* no event */
    for (;;) {
        skip_ws(&c);
        int key = scan_key(&c, 0, keys);
        if (key < 0 || expect(&c, ':') != OK)
            return OTHER;
        unsigned bit = 0;
        int rc = OTHER;
        skip_ws(&c);
        switch (key) {
        case K_EVENT:
            bit = SEEN_EVENT;
            rc = TAKE(&c, "media") ? OK : OTHER;
            break;
        case K_MEDIA:
            bit = SEEN_MEDIA;
            rc = scan_media_object(&c, out, &seen);
            break;
        case K_STREAM_ID:
            bit = SEEN_STREAM;
            rc = scan_string(&c, &out->stream_id, &out->stream_id_len);
            break;
        case K_SEQUENCE:
            bit = SEEN_SEQ;
            rc = scan_uint(&c, &out->sequence_number);
            break;
        default:
            rc = skip_value(&c, 1);
            break;
        }
        if (rc != OK || (seen & bit))
            return OTHER;
        seen |= bit;
        skip_ws(&c);
        if (c.p >= c.end)
            return OTHER;
        if (*c.p == ',') {
            c.p++;
            continue;
        }
        if (*c.p == '}') {
            c.p++;
            break;
        }
        return OTHER;
    }
    skip_ws(&c);
    if (c.p != c.end)
        return OTHER; /* trailing data */
    unsigned need = SEEN_EVENT | SEEN_MEDIA | SEEN_PAYLOAD | SEEN_CHUNK;
    if ((seen & need) != need)
        return OTHER;
    return OK;
}

int sc_frame_media_in(sc_frame_in *f, const uint8_t *msg, size_t len)
{
    if (!f || !msg || !f->payload || !f->pcm)
        return SC_EARG;
    scanned s = { NULL, 0, NULL, 0, -1, -1, -1, 0 };
    key_names names, *keys = NULL;
    if (f->id_key || f->seq_key) {
        if (!f->id_key || !f->seq_key || !f->id_key_len || !f->seq_key_len)
            return SC_EARG;
        names.id = f->id_key;
        names.id_len = f->id_key_len;
        names.seq = f->seq_key;
        names.seq_len = f->seq_key_len;
        keys = &names;
    }
    if (scan_message(msg, len, &s, keys) != OK)
        return SC_FRAME_OTHER;
    if (s.payload_len % 4 || b64_decoded_len(s.payload, s.payload_len) > f->payload_cap)
        return SC_FRAME_OTHER;
    int64_t got = b64_decode(s.payload, s.payload_len, f->payload);
    if (got < 0)
        return SC_FRAME_OTHER;

    f->samples = -1;
    f->track = s.track;
    f->chunk = s.chunk;
    f->timestamp = s.timestamp;
    f->sequence_number = s.sequence_number;
    f->payload_len = got;
    f->decode_error = 0;
    if (s.stream_id) {
        f->stream_id_off = (int64_t)(s.stream_id - msg);
        f->stream_id_len = (int64_t)s.stream_id_len;
        f->stream_id_same = f->stream_id && f->stream_id_cap == s.stream_id_len &&
                            memcmp(f->stream_id, s.stream_id, s.stream_id_len) == 0;
    } else {
        f->stream_id_off = -1;
        f->stream_id_len = 0;
        f->stream_id_same = 0;
    }

    sc_decoder *d = f->decoders[s.track];
    sc_frame_track *t = &f->tracks[s.track];
    int64_t next = t->next_chunk;
    if (d && got > 0 && (next < 0 || next == s.chunk)) {
        int64_t n = sc_decoder_decode(d, f->payload, (size_t)got, f->pcm, f->pcm_cap);
        if (n >= 0) {
            f->samples = n;
            int64_t stride = t->stride > 0 && t->stride <= 1000 ? t->stride : 1;
            t->next_chunk = s.chunk + stride;
            if (!t->hold && s.chunk > t->last_chunk) {
                /* in order and nothing waiting: the whole decision is here */
                t->received++;
                t->last_chunk = s.chunk;
                t->history[s.chunk % SC_FRAME_HISTORY] = s.chunk;
                if (n > 0)
                    t->frame_samples = n;
                if (s.timestamp >= 0)
                    t->last_ts = s.timestamp;
                return SC_FRAME_NEXT;
            }
        } else {
            f->decode_error = n;
        }
    }
    return SC_FRAME_MEDIA;
}

int sc_frame_audio_in(sc_frame_in *f, const uint8_t *msg, size_t len)
{
    if (!f || !msg || !f->payload || !f->pcm)
        return SC_EARG;
    sc_decoder *d = f->decoders[0];
    sc_frame_track *t = &f->tracks[0];
    f->decode_error = 0;
    if (!d || t->hold || len == 0 || len > f->payload_cap)
        return SC_FRAME_OTHER;
    int64_t chunk = (t->last_chunk > 0 ? t->last_chunk : 0) + 1;
    if (chunk > INT64_MAX / 20)
        return SC_FRAME_OTHER;
    int64_t n = sc_decoder_decode(d, msg, len, f->pcm, f->pcm_cap);
    if (n < 0) {
        f->decode_error = n;
        return SC_FRAME_OTHER;
    }
    t->received++;
    t->last_chunk = chunk;
    t->next_chunk = chunk + 1;
    t->history[chunk % SC_FRAME_HISTORY] = chunk;
    if (n > 0)
        t->frame_samples = n;
    t->last_ts = 20 * (chunk - 1);
    memcpy(f->payload, msg, len);
    f->samples = n;
    f->track = 0;
    f->chunk = chunk;
    f->timestamp = t->last_ts;
    f->sequence_number = -1;
    f->payload_len = (int64_t)len;
    f->stream_id_same = 0;
    f->stream_id_off = -1;
    f->stream_id_len = 0;
    return SC_FRAME_NEXT;
}

/* ---------------------------------------------------------------- outbound */

static const char media_head[] = "{\"event\":\"media\",\"media\":{\"payload\":\"";
static const char media_tail[] = "\"}}";
#define HEAD_LEN (sizeof media_head - 1)
#define TAIL_LEN (sizeof media_tail - 1)

size_t sc_frame_media_len(size_t payload_bytes)
{
    return HEAD_LEN + sc_base64_encoded_len(payload_bytes) + TAIL_LEN;
}

size_t sc_frame_out_len(const sc_frame_out *f, size_t payload_bytes)
{
    size_t head = f && f->head ? f->head_len : HEAD_LEN;
    size_t tail = f && f->tail ? f->tail_len : TAIL_LEN;
    return head + sc_base64_encoded_len(payload_bytes) + tail;
}

int64_t sc_frame_media_out(sc_frame_out *f, const void *pcm, size_t n)
{
    if (!f || !f->encoder || (!pcm && n) || !f->scratch || !f->out || !f->ends ||
        f->packet == 0 || n % f->packet)
        return SC_EARG;
    size_t count = n / f->packet;
    if (count > f->ends_cap)
        return SC_EBUFFER;
    const int16_t *samples = (const int16_t *)pcm;
    const char *head = f->head ? f->head : media_head, *tail = f->tail ? f->tail : media_tail;
    size_t head_len = f->head ? f->head_len : HEAD_LEN, tail_len = f->tail ? f->tail_len : TAIL_LEN;
    size_t o = 0;
    for (size_t i = 0; i < count; i++) {
        int64_t bytes = sc_encoder_encode(f->encoder, samples + i * f->packet, f->packet,
                                          f->scratch, f->scratch_cap);
        if (bytes < 0)
            return bytes;
        size_t need = head_len + sc_base64_encoded_len((size_t)bytes) + tail_len;
        if (need > f->out_cap - o)
            return SC_EBUFFER;
        memcpy(f->out + o, head, head_len);
        o += head_len;
        o += b64_encode(f->scratch, (size_t)bytes, f->out + o);
        memcpy(f->out + o, tail, tail_len);
        o += tail_len;
        f->ends[i] = (int64_t)o;
    }
    f->sent += (int64_t)count;
    return (int64_t)o;
}
