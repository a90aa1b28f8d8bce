#include "g711.h"
#include "cpu.h"

#include <string.h>

/*
 * Hot loops are written branch-free so that compilers vectorise them; each
 * is compiled once per SIMD level of the architecture (see cpu.h) from the
 * same inline body, and sc_g711_select() installs one set at start-up.
 * Decoding differs by level in form only (see below): every form gives the
 * bits of the tables, as tests/test_simd.py checks for all 256 codes and
 * all 65,536 samples at every level.
 */
#define SC_BODY static inline __attribute__((always_inline, unused))

/* ---- decode tables, built by the compiler from G.191's expansion rules ---- */

/* mu-law: code c, bits inverted; segment e = bits 4..6, step 8 << e. */
#define ULAW_MAG(u) ((((((u) & 0x0F) << 3) + 0x84) << (((u) >> 4) & 7)) - 0x84)
#define ULAW_DEC(c) ((int16_t)(((c) & 0x80) ? ULAW_MAG((~(c)) & 0x7F) \
                                             : -ULAW_MAG((~(c)) & 0x7F)))
/* A-law: even bits inverted (xor 0x55); segment 0 has no implicit leading 1. */
#define ALAW_SEG(a) (((a) >> 4) & 7)
#define ALAW_MAG(a) ((ALAW_SEG(a) == 0) ? ((((a) & 0x0F) << 4) + 8) \
        : (((((a) & 0x0F) + 16) << 4) + 8) << (ALAW_SEG(a) - 1))
#define ALAW_DEC(c) ((int16_t)(((c) & 0x80) ? ALAW_MAG(((c) ^ 0x55) & 0x7F) \
                                             : -ALAW_MAG(((c) ^ 0x55) & 0x7F)))

#define TAB4(F, b) F(b), F((b) + 1), F((b) + 2), F((b) + 3)
#define TAB16(F, b) TAB4(F, b), TAB4(F, (b) + 4), TAB4(F, (b) + 8), TAB4(F, (b) + 12)
#define TAB64(F, b) TAB16(F, b), TAB16(F, (b) + 16), TAB16(F, (b) + 32), TAB16(F, (b) + 48)
#define TAB256(F) TAB64(F, 0), TAB64(F, 64), TAB64(F, 128), TAB64(F, 192)

static const int16_t ulaw_table[256] = { TAB256(ULAW_DEC) };
static const int16_t alaw_table[256] = { TAB256(ALAW_DEC) };

/* ---- encoders as constant expressions, for the transcoding tables ---- */

/* mu-law of a 16-bit value v (G.191): biased 13-bit magnitude m in 33..8191. */
#define UMAG(v) ((((v) < 0 ? ((~(v)) >> 2) : ((v) >> 2)) + 33) > 0x1FFF ? 0x1FFF \
                 : (((v) < 0 ? ((~(v)) >> 2) : ((v) >> 2)) + 33))
#define USEG(m) ((m) >= 4096 ? 7 : (m) >= 2048 ? 6 : (m) >= 1024 ? 5 : (m) >= 512 ? 4 \
                 : (m) >= 256 ? 3 : (m) >= 128 ? 2 : (m) >= 64 ? 1 : 0)
#define UCODE_M(m) ((USEG(m) << 4) | (((m) >> (USEG(m) + 1)) & 0x0F))
#define ULAW_ENC(v) ((uint8_t)(UCODE_M(UMAG(v)) ^ ((v) >= 0 ? 0xFF : 0x7F)))

/* A-law of a 16-bit value v (G.191): 11-bit magnitude i = |v| >> 4. */
#define AMAG(v) ((v) < 0 ? ((~(v)) >> 4) : ((v) >> 4))
#define ASEG(i) ((i) >= 1024 ? 7 : (i) >= 512 ? 6 : (i) >= 256 ? 5 : (i) >= 128 ? 4 \
                 : (i) >= 64 ? 3 : (i) >= 32 ? 2 : (i) >= 16 ? 1 : 0)
#define ACODE_I(i) (ASEG(i) == 0 ? (i) : ((ASEG(i) << 4) | (((i) >> (ASEG(i) - 1)) & 0x0F)))
#define ALAW_ENC(v) ((uint8_t)((ACODE_I(AMAG(v)) | ((v) >= 0 ? 0x80 : 0)) ^ 0x55))

#define U2A(c) ALAW_ENC(ULAW_DEC(c))
#define A2U(c) ULAW_ENC(ALAW_DEC(c))
static const uint8_t ulaw_to_alaw_table[256] = { TAB256(U2A) };
static const uint8_t alaw_to_ulaw_table[256] = { TAB256(A2U) };

/* ---- vectorisable encoders ----
 *
 * The segment of a magnitude m is its highest set bit, and the four
 * mantissa bits are the four bits below it.  Converting m to float puts
 * exactly those in the float's exponent field and top mantissa bits, so
 * (bits >> 19) is (exponent + 127) << 4 | mantissa: one subtraction then
 * gives the G.711 code, with no branches and no per-lane variable shifts.
 */
SC_BODY uint32_t float_bits(float f)
{
    union { float f; uint32_t u; } v; /* type punning through a union is C11 */
    v.f = f;
    return v.u;
}

/* neg_offset: 0 for G.191's ~x, 1 for audioop's -x (see g711.h). */
SC_BODY uint8_t ulaw_one(int32_t x, int32_t neg_offset)
{
    int32_t s = x >> 31; /* -1 for negative samples, else 0 */
    /* G.191: (~x) >> 2 == (-x - 1) >> 2;  audioop: -(x >> 2) == (-x + 3) >> 2 */
    int32_t mag = (x ^ s) + (s & (4 * neg_offset));
    int32_t m = (mag >> 2) + 33;
    m = m < 0x1FFF ? m : 0x1FFF;
    int32_t code = (int32_t)(float_bits((float)m) >> 19) - ((127 + 5) << 4);
    return (uint8_t)(code ^ (0xFF ^ (s & 0x80)));
}

SC_BODY void ulaw_encode_body(const int16_t *SC_RESTRICT pcm, size_t n,
                              uint8_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = ulaw_one(pcm[i], 0);
}

SC_BODY void ulaw_encode_audioop_body(const int16_t *SC_RESTRICT pcm, size_t n,
                                      uint8_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = ulaw_one(pcm[i], 1);
}

SC_BODY uint8_t alaw_one(int32_t x)
{
    int32_t s = x >> 31;
    int32_t m = (x ^ s) >> 4; /* 0..2047 */
    /* segments 1..7 carry an implicit leading 1; segment 0 is linear */
    int32_t big = (int32_t)(float_bits((float)m) >> 19) - ((127 + 3) << 4);
    int32_t small = (m - 16) >> 31; /* -1 when m < 16: a mask, so it vectorises */
    int32_t code = (m & small) | (big & ~small);
    return (uint8_t)((code | (~s & 0x80)) ^ 0x55);
}

SC_BODY void alaw_encode_body(const int16_t *SC_RESTRICT pcm, size_t n,
                              uint8_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = alaw_one(pcm[i]);
}

/* Decoding computes what the tables hold: arithmetic vectorises where a
 * table lookup runs one sample at a time.  Each decoder comes in four
 * forms that give the same bits:
 *
 *  - shift16: 16-bit lanes shifted by the segment.  AVX-512BW has that
 *    per-lane variable shift (32 samples per instruction); AVX2 and SSE2
 *    have none for 16-bit lanes, and there gcc leaves this loop scalar
 *    (about 17 instructions a sample, slower than audioop's table).
 *  - mul16: the shift as a 16-bit multiplication by 2^segment, the power
 *    built from the segment's three bits by two more multiplications
 *    (pmullw is baseline SSE2), which vectorises on SSE2 and AVX2 (2 to 2.5
 *    instructions a sample with AVX2).  gcc's AVX-512 code for it is slower
 *    than shift16's.
 *
 *  - table: a lookup, the baseline form (clang's baseline SSE2 code for
 *    mul16 runs at half the speed of a lookup).
 *
 * Level avx512 runs shift16, avx2 mul16 (or shift32 below, with clang),
 * baseline the table. */
#if defined(SC_CPU_X86) /* the forms of levels avx2 and avx512 */
SC_BODY void ulaw_decode_shift16(const uint8_t *SC_RESTRICT codes, size_t n,
                                       int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t u = (uint16_t)(~codes[i] & 0x7F);
        uint16_t mag = (uint16_t)(((((u & 15) << 3) + 0x84) << (u >> 4)) - 0x84);
        out[i] = (int16_t)((codes[i] & 0x80) ? mag : (uint16_t)-mag);
    }
}

SC_BODY void alaw_decode_shift16(const uint8_t *SC_RESTRICT codes, size_t n,
                                       int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t c = codes[i];
        uint16_t a = (uint16_t)((c ^ 0x55) & 0x7F);
        uint16_t seg = a >> 4;
        /* segment 0 is linear; the others add the implicit leading 1 (0x100)
         * and double with each segment: all as masks, no branches */
        uint16_t lin = (uint16_t)(((a & 15) << 4) + 8);
        uint16_t big = (uint16_t)(((lin + 0x100) << seg) >> 1);
        uint16_t seg0 = (uint16_t)-(uint16_t)(seg == 0);
        uint16_t mag = (uint16_t)((lin & seg0) | (big & ~seg0));
        uint16_t neg = (uint16_t)((c >> 7) - 1); /* 0xFFFF for negative codes */
        out[i] = (int16_t)(uint16_t)((mag ^ neg) - neg);
    }
}

/* 2^e for e in 0..7: the product of 2, 4 and 16 for the bits that are set */
SC_BODY uint16_t pow2_16(uint16_t e)
{
    return (uint16_t)((1 + (e & 1)) * (1 + 3 * ((e >> 1) & 1)) * (1 + 15 * ((e >> 2) & 1)));
}

SC_BODY void ulaw_decode_mul16(const uint8_t *SC_RESTRICT codes, size_t n,
                                     int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t c = codes[i];
        uint16_t u = (uint16_t)(~c & 0x7F);
        /* ((mantissa << 3) + 0x84) << segment, less the bias 0x84 */
        uint16_t mag = (uint16_t)((uint16_t)((((u & 15) << 3) + 0x84) * pow2_16((uint16_t)(u >> 4)))
                                  - 0x84);
        uint16_t neg = (uint16_t)((c >> 7) - 1); /* 0xFFFF for negative codes */
        out[i] = (int16_t)(uint16_t)((mag ^ neg) - neg);
    }
}

SC_BODY void alaw_decode_mul16(const uint8_t *SC_RESTRICT codes, size_t n,
                                     int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t c = codes[i];
        uint16_t a = (uint16_t)((c ^ 0x55) & 0x7F);
        uint16_t seg = (uint16_t)(a >> 4);
        /* segment 0 is ((a & 15) << 4) + 8; the others add the implicit
         * leading 1 (0x100) and double with each segment after the first */
        uint16_t above0 = (uint16_t)-(uint16_t)(seg != 0);
        uint16_t lin = (uint16_t)(((a & 15) << 4) + 8 + (0x100 & above0));
        uint16_t mag = (uint16_t)(lin * pow2_16((uint16_t)(seg + above0)));
        uint16_t neg = (uint16_t)((c >> 7) - 1); /* 0xFFFF for negative codes */
        out[i] = (int16_t)(uint16_t)((mag ^ neg) - neg);
    }
}

/* shift32: shift16 in 32-bit lanes, which AVX2 shifts each by its own
 * count (vpsllvd); clang vectorises it (about 1.7 instructions a sample),
 * gcc leaves it scalar. */
SC_BODY void ulaw_decode_shift32(const uint8_t *SC_RESTRICT codes, size_t n,
                                 int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = codes[i];
        uint32_t u = ~c & 0x7F;
        uint32_t mag = ((((u & 15) << 3) + 0x84) << (u >> 4)) - 0x84;
        uint32_t neg = (c >> 7) - 1; /* all ones for negative codes */
        out[i] = (int16_t)(uint16_t)((mag ^ neg) - neg);
    }
}

SC_BODY void alaw_decode_shift32(const uint8_t *SC_RESTRICT codes, size_t n,
                                 int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t c = codes[i];
        uint32_t a = (c ^ 0x55) & 0x7F;
        uint32_t seg = a >> 4;
        uint32_t lin = ((a & 15) << 4) + 8;
        uint32_t big = ((lin + 0x100) << seg) >> 1;
        uint32_t seg0 = -(uint32_t)(seg == 0);
        uint32_t mag = (lin & seg0) | (big & ~seg0);
        uint32_t neg = (c >> 7) - 1;
        out[i] = (int16_t)(uint16_t)((mag ^ neg) - neg);
    }
}
#endif

SC_BODY void ulaw_decode_table(const uint8_t *SC_RESTRICT codes, size_t n,
                               int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = ulaw_table[codes[i]];
}

SC_BODY void alaw_decode_table(const uint8_t *SC_RESTRICT codes, size_t n,
                               int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = alaw_table[codes[i]];
}

void sc_ulaw_to_alaw(const uint8_t *SC_RESTRICT in, size_t n, uint8_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = ulaw_to_alaw_table[in[i]];
}

void sc_alaw_to_ulaw(const uint8_t *SC_RESTRICT in, size_t n, uint8_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = alaw_to_ulaw_table[in[i]];
}

SC_BODY void l16_to_host_body(const uint8_t *SC_RESTRICT wire, size_t n_samples, int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n_samples; i++)
        out[i] = (int16_t)(uint16_t)(((uint16_t)wire[2 * i] << 8) | wire[2 * i + 1]);
}

SC_BODY void host_to_l16_body(const int16_t *SC_RESTRICT pcm, size_t n_samples, uint8_t *SC_RESTRICT wire)
{
    for (size_t i = 0; i < n_samples; i++) {
        uint16_t u = (uint16_t)pcm[i];
        wire[2 * i] = (uint8_t)(u >> 8);
        wire[2 * i + 1] = (uint8_t)(u & 0xFF);
    }
}

SC_BODY void l16le_to_host_body(const uint8_t *SC_RESTRICT wire, size_t n_samples, int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n_samples; i++)
        out[i] = (int16_t)(uint16_t)(((uint16_t)wire[2 * i + 1] << 8) | wire[2 * i]);
}

SC_BODY void host_to_l16le_body(const int16_t *SC_RESTRICT pcm, size_t n_samples, uint8_t *SC_RESTRICT wire)
{
    for (size_t i = 0; i < n_samples; i++) {
        uint16_t u = (uint16_t)pcm[i];
        wire[2 * i] = (uint8_t)(u & 0xFF);
        wire[2 * i + 1] = (uint8_t)(u >> 8);
    }
}

/* ---- float32 PCM ---- */

SC_BODY int pcm16_from_float_body(const float *SC_RESTRICT in, size_t n, int16_t *SC_RESTRICT out)
{
    /* Adding and subtracting 1.5 * 2^23 rounds a float of magnitude below
     * 2^22 to an integer, ties to even, in the default rounding mode; the
     * clamp comes first so the conversion to int is always in range.  A
     * NaN or infinity makes x - x a NaN: it is counted and replaced by 0
     * (converting it would be undefined). */
    const float magic = 12582912.0f;
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        float d = x - x;
        int finite = d == d;
        bad |= !finite;
        float v = finite ? x * 32768.0f : 0.0f;
        v = v > 32767.0f ? 32767.0f : v;
        v = v < -32768.0f ? -32768.0f : v;
        v = (v + magic) - magic;
        out[i] = (int16_t)(int32_t)v;
    }
    return bad ? SC_EARG : SC_OK;
}

/* ---- the kernels of each level, and the entry points through them ---- */

typedef struct {
    void (*ulaw_encode)(const int16_t *, size_t, uint8_t *);
    void (*ulaw_encode_audioop)(const int16_t *, size_t, uint8_t *);
    void (*alaw_encode)(const int16_t *, size_t, uint8_t *);
    void (*ulaw_decode)(const uint8_t *, size_t, int16_t *);
    void (*alaw_decode)(const uint8_t *, size_t, int16_t *);
    void (*l16_to_host)(const uint8_t *, size_t, int16_t *);
    void (*host_to_l16)(const int16_t *, size_t, uint8_t *);
    void (*l16le_to_host)(const uint8_t *, size_t, int16_t *);
    void (*host_to_l16le)(const int16_t *, size_t, uint8_t *);
    int (*pcm16_from_float)(const float *, size_t, int16_t *);
} g711_kernels;

/* One set of kernels, each compiled with ATTR; DECODE names the decoders'
 * form (table, mul16 or shift16). */
#define G711_KERNELS(SFX, ATTR, DECODE)                                                         \
ATTR static void ulaw_encode_##SFX(const int16_t *SC_RESTRICT p, size_t n,                    \
                                   uint8_t *SC_RESTRICT o) { ulaw_encode_body(p, n, o); }      \
ATTR static void ulaw_encode_audioop_##SFX(const int16_t *SC_RESTRICT p, size_t n,            \
                                           uint8_t *SC_RESTRICT o)                             \
{ ulaw_encode_audioop_body(p, n, o); }                                                         \
ATTR static void alaw_encode_##SFX(const int16_t *SC_RESTRICT p, size_t n,                    \
                                   uint8_t *SC_RESTRICT o) { alaw_encode_body(p, n, o); }      \
ATTR static void ulaw_decode_##SFX(const uint8_t *SC_RESTRICT c, size_t n,                    \
                                   int16_t *SC_RESTRICT o) { ulaw_decode_##DECODE(c, n, o); }  \
ATTR static void alaw_decode_##SFX(const uint8_t *SC_RESTRICT c, size_t n,                    \
                                   int16_t *SC_RESTRICT o) { alaw_decode_##DECODE(c, n, o); }  \
ATTR static void l16_to_host_##SFX(const uint8_t *SC_RESTRICT w, size_t n,                    \
                                   int16_t *SC_RESTRICT o) { l16_to_host_body(w, n, o); }      \
ATTR static void host_to_l16_##SFX(const int16_t *SC_RESTRICT p, size_t n,                    \
                                   uint8_t *SC_RESTRICT w) { host_to_l16_body(p, n, w); }      \
ATTR static void l16le_to_host_##SFX(const uint8_t *SC_RESTRICT w, size_t n,                  \
                                     int16_t *SC_RESTRICT o) { l16le_to_host_body(w, n, o); }  \
ATTR static void host_to_l16le_##SFX(const int16_t *SC_RESTRICT p, size_t n,                  \
                                     uint8_t *SC_RESTRICT w) { host_to_l16le_body(p, n, w); }  \
ATTR static int pcm16_from_float_##SFX(const float *SC_RESTRICT f, size_t n,                  \
                                       int16_t *SC_RESTRICT o)                                 \
{ return pcm16_from_float_body(f, n, o); }                                                     \
static const g711_kernels g711_##SFX = {                                                       \
    ulaw_encode_##SFX, ulaw_encode_audioop_##SFX, alaw_encode_##SFX, ulaw_decode_##SFX,        \
    alaw_decode_##SFX, l16_to_host_##SFX, host_to_l16_##SFX, l16le_to_host_##SFX,              \
    host_to_l16le_##SFX, pcm16_from_float_##SFX                                                \
};

G711_KERNELS(baseline, , table)
#if defined(SC_CPU_X86)
/* avx2: each compiler's best vectorised form (counted with callgrind on
 * 60 s: mu-law 1.9 instructions a sample for gcc's mul16, 1.7 for clang's
 * shift32, where clang's mul16 takes 2.5 and gcc's shift32 18) */
#if defined(__clang__)
G711_KERNELS(avx2, SC_TARGET_AVX2, shift32)
#else
G711_KERNELS(avx2, SC_TARGET_AVX2, mul16)
#endif
G711_KERNELS(avx512, SC_TARGET_AVX512, shift16)
#endif

#if defined(SC_CPU_ARM64)
/*
 * Level neon: Advanced SIMD intrinsics, 16 samples a step (the tail through
 * the scalar forms above, which give the same bits).  The encoders are the
 * float-exponent method of ulaw_one / alaw_one in 32-bit lanes; the
 * decoders are shift16, since NEON shifts each 16-bit lane by its own count
 * (USHL), which SSE2 and AVX2 cannot.
 */
#include <arm_neon.h>

/* ulaw_one for four lanes; neg_offset as there. */
static inline uint32x4_t ulaw_neon4(int32x4_t x, int32_t neg_offset)
{
    int32x4_t s = vshrq_n_s32(x, 31);
    int32x4_t mag = vaddq_s32(veorq_s32(x, s), vandq_s32(s, vdupq_n_s32(4 * neg_offset)));
    int32x4_t m = vminq_s32(vaddq_s32(vshrq_n_s32(mag, 2), vdupq_n_s32(33)), vdupq_n_s32(0x1FFF));
    int32x4_t code = vsubq_s32(
        vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_f32(vcvtq_f32_s32(m)), 19)),
        vdupq_n_s32((127 + 5) << 4));
    int32x4_t flip = veorq_s32(vdupq_n_s32(0xFF), vandq_s32(s, vdupq_n_s32(0x80)));
    return vreinterpretq_u32_s32(veorq_s32(code, flip));
}

/* alaw_one for four lanes. */
static inline uint32x4_t alaw_neon4(int32x4_t x)
{
    int32x4_t s = vshrq_n_s32(x, 31);
    int32x4_t m = vshrq_n_s32(veorq_s32(x, s), 4);
    int32x4_t big = vsubq_s32(
        vreinterpretq_s32_u32(vshrq_n_u32(vreinterpretq_u32_f32(vcvtq_f32_s32(m)), 19)),
        vdupq_n_s32((127 + 3) << 4));
    uint32x4_t small = vcltq_s32(m, vdupq_n_s32(16));
    int32x4_t code = vbslq_s32(small, m, big);
    code = vorrq_s32(code, vbicq_s32(vdupq_n_s32(0x80), s));
    return vreinterpretq_u32_s32(veorq_s32(code, vdupq_n_s32(0x55)));
}

/* 16 samples to 16 codes through ENC4 (a function of an int32x4_t). */
#define G711_NEON_ENCODE16(ENC4, pcm, out)                                                     \
    do {                                                                                       \
        int16x8_t a = vld1q_s16(pcm), b = vld1q_s16((pcm) + 8);                                \
        uint16x8_t lo = vcombine_u16(vmovn_u32(ENC4(vmovl_s16(vget_low_s16(a)))),              \
                                     vmovn_u32(ENC4(vmovl_s16(vget_high_s16(a)))));            \
        uint16x8_t hi = vcombine_u16(vmovn_u32(ENC4(vmovl_s16(vget_low_s16(b)))),              \
                                     vmovn_u32(ENC4(vmovl_s16(vget_high_s16(b)))));            \
        vst1q_u8(out, vcombine_u8(vmovn_u16(lo), vmovn_u16(hi)));                              \
    } while (0)

#define ULAW_G191_4(x) ulaw_neon4(x, 0)
#define ULAW_AUDIOOP_4(x) ulaw_neon4(x, 1)

static void ulaw_encode_neon(const int16_t *SC_RESTRICT pcm, size_t n, uint8_t *SC_RESTRICT out)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        G711_NEON_ENCODE16(ULAW_G191_4, pcm + i, out + i);
    ulaw_encode_body(pcm + i, n - i, out + i);
}

static void ulaw_encode_audioop_neon(const int16_t *SC_RESTRICT pcm, size_t n,
                                     uint8_t *SC_RESTRICT out)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        G711_NEON_ENCODE16(ULAW_AUDIOOP_4, pcm + i, out + i);
    ulaw_encode_audioop_body(pcm + i, n - i, out + i);
}

static void alaw_encode_neon(const int16_t *SC_RESTRICT pcm, size_t n, uint8_t *SC_RESTRICT out)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        G711_NEON_ENCODE16(alaw_neon4, pcm + i, out + i);
    alaw_encode_body(pcm + i, n - i, out + i);
}

/* (mag ^ neg) - neg with neg all ones for codes below 0x80: the sign */
static inline int16x8_t g711_sign(uint16x8_t c, uint16x8_t mag)
{
    uint16x8_t neg = vsubq_u16(vshrq_n_u16(c, 7), vdupq_n_u16(1));
    return vreinterpretq_s16_u16(vsubq_u16(veorq_u16(mag, neg), neg));
}

static inline int16x8_t ulaw_decode8_neon(uint16x8_t c)
{
    uint16x8_t u = vandq_u16(vmvnq_u16(c), vdupq_n_u16(0x7F));
    uint16x8_t base = vaddq_u16(vshlq_n_u16(vandq_u16(u, vdupq_n_u16(15)), 3), vdupq_n_u16(0x84));
    uint16x8_t mag = vsubq_u16(vshlq_u16(base, vreinterpretq_s16_u16(vshrq_n_u16(u, 4))),
                               vdupq_n_u16(0x84));
    return g711_sign(c, mag);
}

static inline int16x8_t alaw_decode8_neon(uint16x8_t c)
{
    uint16x8_t a = vandq_u16(veorq_u16(c, vdupq_n_u16(0x55)), vdupq_n_u16(0x7F));
    uint16x8_t seg = vshrq_n_u16(a, 4);
    uint16x8_t lin = vaddq_u16(vshlq_n_u16(vandq_u16(a, vdupq_n_u16(15)), 4), vdupq_n_u16(8));
    uint16x8_t big = vshrq_n_u16(vshlq_u16(vaddq_u16(lin, vdupq_n_u16(0x100)),
                                           vreinterpretq_s16_u16(seg)), 1);
    return g711_sign(c, vbslq_u16(vceqzq_u16(seg), lin, big));
}

static void ulaw_decode_neon(const uint8_t *SC_RESTRICT codes, size_t n, int16_t *SC_RESTRICT out)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16_t c = vld1q_u8(codes + i);
        vst1q_s16(out + i, ulaw_decode8_neon(vmovl_u8(vget_low_u8(c))));
        vst1q_s16(out + i + 8, ulaw_decode8_neon(vmovl_u8(vget_high_u8(c))));
    }
    ulaw_decode_table(codes + i, n - i, out + i);
}

static void alaw_decode_neon(const uint8_t *SC_RESTRICT codes, size_t n, int16_t *SC_RESTRICT out)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16_t c = vld1q_u8(codes + i);
        vst1q_s16(out + i, alaw_decode8_neon(vmovl_u8(vget_low_u8(c))));
        vst1q_s16(out + i + 8, alaw_decode8_neon(vmovl_u8(vget_high_u8(c))));
    }
    alaw_decode_table(codes + i, n - i, out + i);
}

/* L16: the byte order within each 16-bit sample reversed (REV16), 16
 * samples a step; little-endian wire is the host's order (a copy). */
static void l16_to_host_neon(const uint8_t *SC_RESTRICT wire, size_t n, int16_t *SC_RESTRICT out)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        vst1q_u8((uint8_t *)(out + i), vrev16q_u8(vld1q_u8(wire + 2 * i)));
        vst1q_u8((uint8_t *)(out + i + 8), vrev16q_u8(vld1q_u8(wire + 2 * i + 16)));
    }
    l16_to_host_body(wire + 2 * i, n - i, out + i);
}

static void host_to_l16_neon(const int16_t *SC_RESTRICT pcm, size_t n, uint8_t *SC_RESTRICT wire)
{
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        vst1q_u8(wire + 2 * i, vrev16q_u8(vld1q_u8((const uint8_t *)(pcm + i))));
        vst1q_u8(wire + 2 * i + 16, vrev16q_u8(vld1q_u8((const uint8_t *)(pcm + i + 8))));
    }
    host_to_l16_body(pcm + i, n - i, wire + 2 * i);
}

static const g711_kernels g711_neon = {
    ulaw_encode_neon, ulaw_encode_audioop_neon, alaw_encode_neon, ulaw_decode_neon,
    alaw_decode_neon, l16_to_host_neon, host_to_l16_neon, l16le_to_host_baseline,
    host_to_l16le_baseline, pcm16_from_float_baseline
};
#endif

/* The installed set: a copy, so an entry point costs one indirect call. */
static g711_kernels g711_k = {
    ulaw_encode_baseline, ulaw_encode_audioop_baseline, alaw_encode_baseline,
    ulaw_decode_baseline, alaw_decode_baseline, l16_to_host_baseline, host_to_l16_baseline,
    l16le_to_host_baseline, host_to_l16le_baseline, pcm16_from_float_baseline
};

int sc_g711_select(int level)
{
#if defined(SC_CPU_X86)
    if (level >= SC_CPU_AVX512) {
        g711_k = g711_avx512;
        return SC_CPU_AVX512;
    }
    if (level >= SC_CPU_AVX2) {
        g711_k = g711_avx2;
        return SC_CPU_AVX2;
    }
#elif defined(SC_CPU_ARM64)
    if (level >= SC_CPU_NEON) {
        g711_k = g711_neon;
        return SC_CPU_NEON;
    }
#endif
    (void)level;
    g711_k = g711_baseline;
    return SC_CPU_BASELINE;
}

void sc_ulaw_encode(const int16_t *pcm, size_t n, uint8_t *out)
{
    g711_k.ulaw_encode(pcm, n, out);
}

void sc_ulaw_encode_audioop(const int16_t *pcm, size_t n, uint8_t *out)
{
    g711_k.ulaw_encode_audioop(pcm, n, out);
}

void sc_alaw_encode(const int16_t *pcm, size_t n, uint8_t *out)
{
    g711_k.alaw_encode(pcm, n, out);
}

void sc_ulaw_decode(const uint8_t *codes, size_t n, int16_t *out)
{
    g711_k.ulaw_decode(codes, n, out);
}

void sc_alaw_decode(const uint8_t *codes, size_t n, int16_t *out)
{
    g711_k.alaw_decode(codes, n, out);
}

void sc_l16_to_host(const uint8_t *wire, size_t n_samples, int16_t *out)
{
    g711_k.l16_to_host(wire, n_samples, out);
}

void sc_host_to_l16(const int16_t *pcm, size_t n_samples, uint8_t *wire)
{
    g711_k.host_to_l16(pcm, n_samples, wire);
}

void sc_l16le_to_host(const uint8_t *wire, size_t n_samples, int16_t *out)
{
    g711_k.l16le_to_host(wire, n_samples, out);
}

void sc_host_to_l16le(const int16_t *pcm, size_t n_samples, uint8_t *wire)
{
    g711_k.host_to_l16le(pcm, n_samples, wire);
}

int sc_pcm16_from_float(const float *in, size_t n, int16_t *out)
{
    return g711_k.pcm16_from_float(in, n, out);
}

/* ---- audioop sample widths ---- */

/* Top 16 bits of a little- or big-endian sample of `width` bytes. */
static inline int16_t read_top16(const uint8_t *p, int width)
{
    int16_t v;
    switch (width) {
    case 1: return (int16_t)((int16_t)(int8_t)p[0] * 256);
    case 2: memcpy(&v, p, 2); return v;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    default: return (int16_t)(uint16_t)(((uint16_t)p[0] << 8) | p[1]);
#else
    default: return (int16_t)(uint16_t)(((uint16_t)p[width - 1] << 8) | p[width - 2]);
#endif
    }
}

static inline void write_top16(uint8_t *p, int width, int16_t v)
{
    uint16_t u = (uint16_t)v;
    switch (width) {
    case 1: p[0] = (uint8_t)(u >> 8); return;
    case 2: memcpy(p, &v, 2); return;
    default:
        memset(p, 0, (size_t)width);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        p[0] = (uint8_t)(u >> 8); p[1] = (uint8_t)u;
#else
        p[width - 1] = (uint8_t)(u >> 8); p[width - 2] = (uint8_t)u;
#endif
        return;
    }
}

int sc_g711_encode_width(int law, const uint8_t *in, size_t n_samples, int width, uint8_t *out)
{
    if (width < 1 || width > 4 || (law != 0 && law != 1))
        return SC_EARG;
    for (size_t i = 0; i < n_samples; i++) {
        int16_t v = read_top16(in + i * (size_t)width, width);
        out[i] = law == 0 ? ulaw_one(v, 1) : alaw_one(v);
    }
    return SC_OK;
}

int sc_g711_decode_width(int law, const uint8_t *in, size_t n_samples, int width, uint8_t *out)
{
    if (width < 1 || width > 4 || (law != 0 && law != 1))
        return SC_EARG;
    const int16_t *table = law == 0 ? ulaw_table : alaw_table;
    for (size_t i = 0; i < n_samples; i++)
        write_top16(out + i * (size_t)width, width, table[in[i]]);
    return SC_OK;
}
