/*
 * G.722's SIMD kernels (the ADPCM recursion of both bands, the QMF),
 * included by g722.c once per instruction set, with G722_KERNEL 1 for SSE2
 * and 2 for AVX2 on x86, 3 for NEON on aarch64.  Without G722_KERNEL (as
 * when the cffi build includes every header) it is empty.
 *
 * Layout.  A vector V has 16 int16 lanes: lanes 0..7 (the "low half") for
 * the lower band, lanes 8..15 for the higher band (AVX2: one 256-bit
 * register, whose byte shifts and shuffles act on each 128-bit half alike;
 * SSE2 and NEON: two 128-bit registers).  A band's scalars (SL, SZL, AL1,
 * ...) are kept in every lane of its half, so that the pole section, the
 * quantisers and their comparisons run as plain lane-wise operations on
 * both bands at once; a band's zero section (BL(1..6), DLT(1..6)) lies in lanes 0..5 of
 * its half, lanes 6 and 7 of BL staying 0.  The pole sections' scalars use
 * the type P: V itself for AVX2, one 128-bit register for SSE2 and NEON
 * (lanes 0..3 the lower band, 4..7 the higher), converted at the few places
 * where the two meet.  The NEON kernel is the SSE2 one with each intrinsic
 * replaced by an exact equivalent (its section explains those that are
 * not a single instruction), so that one text serves all three.
 *
 * Every operation is the Recommendation's arithmetic, exactly: see the
 * scalar blocks in g722.c (uppol, poles, zupdate) for the forms used, and
 * tests/test_g722.py, which compares every path's bits.
 */
#if defined(G722_KERNEL)

#if G722_KERNEL == 1
/* ------------------------------------------------------------------ SSE2 */
#define K(name) name##_sse2
#define KINLINE SC_INLINE
#define KFUNC static

typedef struct { __m128i l, h; } v2x128;

SC_INLINE v2x128 v2_make(__m128i l, __m128i h)
{
    v2x128 r = { l, h };
    return r;
}

#define V2_BINARY(name, op) \
    SC_INLINE v2x128 name(v2x128 a, v2x128 b) { return v2_make(op(a.l, b.l), op(a.h, b.h)); }
V2_BINARY(v2_adds, _mm_adds_epi16)
V2_BINARY(v2_subs, _mm_subs_epi16)
V2_BINARY(v2_add, _mm_add_epi16)
V2_BINARY(v2_sub, _mm_sub_epi16)
V2_BINARY(v2_and, _mm_and_si128)
V2_BINARY(v2_or, _mm_or_si128)
V2_BINARY(v2_xor, _mm_xor_si128)
V2_BINARY(v2_mulhi, _mm_mulhi_epi16)
V2_BINARY(v2_mullo, _mm_mullo_epi16)
V2_BINARY(v2_cmpgt, _mm_cmpgt_epi16)
#undef V2_BINARY

/* UPZERO's step: 0 when d is 0, else +-128, + when the signs of d and the
 * old DLT(i) agree (sign bits: 0 counts as positive) */
SC_INLINE v2x128 v2_upzero_step(v2x128 zd, v2x128 d)
{
    const __m128i g128 = _mm_setr_epi16(128, 128, 128, 128, 128, 128, 0, 0);
    const __m128i zero = _mm_setzero_si128();
    __m128i dl = _mm_srai_epi16(_mm_xor_si128(zd.l, d.l), 15);
    __m128i dh = _mm_srai_epi16(_mm_xor_si128(zd.h, d.h), 15);
    __m128i gl = _mm_andnot_si128(_mm_cmpeq_epi16(d.l, zero), g128);
    __m128i gh = _mm_andnot_si128(_mm_cmpeq_epi16(d.h, zero), g128);
    return v2_make(_mm_sub_epi16(_mm_xor_si128(gl, dl), dl),
                   _mm_sub_epi16(_mm_xor_si128(gh, dh), dh));
}

/* DELAYA: the old DLT(1..5) one lane up, d into lane 0 */
SC_INLINE v2x128 v2_delaya(v2x128 zd, v2x128 d)
{
    const __m128i lane0 = _mm_setr_epi16(-1, 0, 0, 0, 0, 0, 0, 0);
    return v2_make(_mm_or_si128(_mm_slli_si128(zd.l, 2), _mm_and_si128(d.l, lane0)),
                   _mm_or_si128(_mm_slli_si128(zd.h, 2), _mm_and_si128(d.h, lane0)));
}

#define V v2x128
#define V_ADDS v2_adds
#define V_SUBS v2_subs
#define V_ADD v2_add
#define V_AND v2_and
#define V_OR v2_or
#define V_XOR v2_xor
#define V_MULHI v2_mulhi
#define V_MULLO v2_mullo
#define V_CMPGT v2_cmpgt
#define V_UPZERO_STEP v2_upzero_step
#define V_DELAYA v2_delaya
#define V_SRAI(a, n) v2_make(_mm_srai_epi16((a).l, n), _mm_srai_epi16((a).h, n))
#define V_SRLI(a, n) v2_make(_mm_srli_epi16((a).l, n), _mm_srli_epi16((a).h, n))
#define V_SLLI(a, n) v2_make(_mm_slli_epi16((a).l, n), _mm_slli_epi16((a).h, n))
#define V_BSRLI(a, n) v2_make(_mm_srli_si128((a).l, n), _mm_srli_si128((a).h, n))
#define V_SHUF32(a, n) v2_make(_mm_shuffle_epi32((a).l, n), _mm_shuffle_epi32((a).h, n))
#define V_SHUFLO(a, n) v2_make(_mm_shufflelo_epi16((a).l, n), _mm_shufflelo_epi16((a).h, n))
#define V_SHUFHI(a, n) v2_make(_mm_shufflehi_epi16((a).l, n), _mm_shufflehi_epi16((a).h, n))
#define V_SET1(x) v2_make(_mm_set1_epi16(x), _mm_set1_epi16(x))
#define V_HALVES v2_make
#define V_LOW(a) ((a).l)
#define V_HIGH(a) ((a).h)
#define V_MASK(a) ((uint32_t)_mm_movemask_epi8((a).l) | (uint32_t)_mm_movemask_epi8((a).h) << 16)
/* XL (XH) from the low (high) 16 bits of *x into every lane of its half */
#define V_XX(x) v2_make(_mm_set1_epi16((int16_t)*(x)), _mm_set1_epi16((int16_t)(*(x) >> 16)))
/* a lower-band row's 8 lanes and a higher-band row's 4 */
#define V_ROWS(lo, hi) v2_make(_mm_load_si128((const __m128i *)(lo)), \
                               _mm_loadl_epi64((const __m128i *)(hi)))
/* one band's 8 lanes of a zstate row, to and from a half */
#define H_LOADU(z) _mm_loadu_si128((const __m128i *)(z))
#define H_STOREU(z, a) _mm_storeu_si128((__m128i *)(z), a)
/* the movemask of the lanes of the fine levels (q6 * det) >> 16 above the
 * magnitude wd (a half), for rows det and q6 */
#define H_FINE_ABOVE(det, q6, wd)                                                       \
    ((uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi16(                                       \
        _mm_mulhi_epu16(_mm_load_si128((const __m128i *)(det)),                         \
                        _mm_load_si128((const __m128i *)(q6))), wd)))

#define P __m128i
#define P_ADDS _mm_adds_epi16
#define P_SUBS _mm_subs_epi16
#define P_ADD _mm_add_epi16
#define P_SUB _mm_sub_epi16
#define P_AND _mm_and_si128
#define P_OR _mm_or_si128
#define P_XOR _mm_xor_si128
#define P_MULHI _mm_mulhi_epi16
#define P_MULLO _mm_mullo_epi16
#define P_CMPEQ _mm_cmpeq_epi16
#define P_MIN _mm_min_epi16
#define P_MAX _mm_max_epi16
#define P_SRAI _mm_srai_epi16
#define P_SRLI _mm_srli_epi16
#define P_SLLI _mm_slli_epi16
#define P_ZERO _mm_setzero_si128
#define P_SET1 _mm_set1_epi16
#define P_PAIR(lo, hi) _mm_setr_epi16((int16_t)(lo), (int16_t)(lo), (int16_t)(lo), (int16_t)(lo), \
                                      (int16_t)(hi), (int16_t)(hi), (int16_t)(hi), (int16_t)(hi))
#define P_LANE_LO(a) ((int16_t)_mm_cvtsi128_si32(a))
#define P_LANE_HI(a) ((int16_t)_mm_extract_epi16(a, 4))
/* XL (XH) from the low (high) 16 bits of *x into lanes 0..3 (4..7) */
#define P_XX(x) _mm_shuffle_epi32(_mm_shufflelo_epi16(_mm_cvtsi32_si128((int32_t)*(x)), 0x50), 0x50)
#define P_TO_V(a) v2_make(_mm_shuffle_epi32(a, 0x00), _mm_shuffle_epi32(a, 0xAA))
#define V_TO_P(a) _mm_unpacklo_epi64((a).l, (a).h)
/* lane 0 of each half of a V into every lane of its half of a P */
#define P_LANES0(a) \
    _mm_shufflehi_epi16(_mm_shufflelo_epi16(_mm_unpacklo_epi64((a).l, (a).h), 0x00), 0x00)

#elif G722_KERNEL == 2
/* ------------------------------------------------------------------ AVX2 */
#define K(name) name##_avx2
#define KINLINE static inline __attribute__((always_inline)) SC_TARGET_AVX2
#define KFUNC static SC_TARGET_AVX2

#define V __m256i
#define V_ADDS _mm256_adds_epi16
#define V_SUBS _mm256_subs_epi16
#define V_ADD _mm256_add_epi16
#define V_AND _mm256_and_si256
#define V_OR _mm256_or_si256
#define V_XOR _mm256_xor_si256
#define V_MULHI _mm256_mulhi_epi16
#define V_MULLO _mm256_mullo_epi16
#define V_CMPGT _mm256_cmpgt_epi16
/* UPZERO's step: +-128 by the sign of the old DLT(i) (0 counting as
 * positive), times the sign of d (0 when d is 0) */
#define V_UPZERO_STEP(zd, d)                                                             \
    _mm256_sign_epi16(_mm256_sign_epi16(_mm256_setr_epi16(128, 128, 128, 128, 128, 128,  \
                                                          0, 0, 128, 128, 128, 128, 128,  \
                                                          128, 0, 0),                     \
                                        _mm256_or_si256(zd, _mm256_set1_epi16(1))), d)
/* DELAYA: the old DLT(1..5) one lane up, d into lane 0 */
#define V_DELAYA(zd, d) _mm256_blend_epi16(_mm256_bslli_epi128(zd, 2), d, 0x01)
#define V_SRAI _mm256_srai_epi16
#define V_SRLI _mm256_srli_epi16
#define V_SLLI _mm256_slli_epi16
#define V_BSRLI _mm256_bsrli_epi128
#define V_SHUF32 _mm256_shuffle_epi32
#define V_SHUFLO _mm256_shufflelo_epi16
#define V_SHUFHI _mm256_shufflehi_epi16
#define V_SET1 _mm256_set1_epi16
#define V_HALVES(l, h) _mm256_inserti128_si256(_mm256_castsi128_si256(l), h, 1)
#define V_LOW _mm256_castsi256_si128
#define V_HIGH(a) _mm256_extracti128_si256(a, 1)
#define V_MASK(a) ((uint32_t)_mm256_movemask_epi8(a))
/* XL (XH) from the low (high) 16 bits of *x into every lane of its half */
#define V_XX(x) _mm256_shuffle_epi8(_mm256_set1_epi32((int32_t)*(x)),                 \
    _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1,                  \
                     2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3))
/* a lower-band row's 8 lanes and a higher-band row's 4 */
#define V_ROWS(lo, hi) V_HALVES(_mm_load_si128((const __m128i *)(lo)), \
                                _mm_loadl_epi64((const __m128i *)(hi)))
/* one band's 8 lanes of a zstate row, to and from a half */
#define H_LOADU(z) _mm_loadu_si128((const __m128i *)(z))
#define H_STOREU(z, a) _mm_storeu_si128((__m128i *)(z), a)
/* the movemask of the lanes of the fine levels (q6 * det) >> 16 above the
 * magnitude wd (a half), for rows det and q6 */
#define H_FINE_ABOVE(det, q6, wd)                                                       \
    ((uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi16(                                       \
        _mm_mulhi_epu16(_mm_load_si128((const __m128i *)(det)),                         \
                        _mm_load_si128((const __m128i *)(q6))), wd)))

#define P __m256i
#define P_ADDS V_ADDS
#define P_SUBS V_SUBS
#define P_ADD V_ADD
#define P_SUB _mm256_sub_epi16
#define P_AND V_AND
#define P_OR V_OR
#define P_XOR V_XOR
#define P_MULHI V_MULHI
#define P_MULLO V_MULLO
#define P_CMPEQ _mm256_cmpeq_epi16
#define P_MIN _mm256_min_epi16
#define P_MAX _mm256_max_epi16
#define P_SRAI V_SRAI
#define P_SRLI V_SRLI
#define P_SLLI V_SLLI
#define P_ZERO _mm256_setzero_si256
#define P_SET1 V_SET1
#define P_PAIR(lo, hi) V_HALVES(_mm_set1_epi16((int16_t)(lo)), _mm_set1_epi16((int16_t)(hi)))
#define P_LANE_LO(a) ((int16_t)_mm256_extract_epi16(a, 0))
#define P_LANE_HI(a) ((int16_t)_mm256_extract_epi16(a, 8))
#define P_XX V_XX
#define P_TO_V(a) (a)
#define V_TO_P(a) (a)
#define P_LANES0(a) V_SHUF32(V_SHUFLO(a, 0x00), 0x00)

#elif G722_KERNEL == 3
/* ------------------------------------------------------------------ NEON */
#define K(name) name##_neon
#define KINLINE SC_INLINE
#define KFUNC static

typedef struct { int16x8_t l, h; } n2x128;

SC_INLINE n2x128 n2_make(int16x8_t l, int16x8_t h)
{
    n2x128 r = { l, h };
    return r;
}

/* _mm_mulhi_epi16: the high halves of the 32-bit products.  Not SQDMULH,
 * which doubles the product and saturates. */
SC_INLINE int16x8_t nh_mulhi(int16x8_t a, int16x8_t b)
{
    return vshrn_high_n_s32(vshrn_n_s32(vmull_s16(vget_low_s16(a), vget_low_s16(b)), 16),
                            vmull_high_s16(a, b), 16);
}

SC_INLINE int16x8_t nh_cmpgt(int16x8_t a, int16x8_t b)
{
    return vreinterpretq_s16_u16(vcgtq_s16(a, b));
}

SC_INLINE int16x8_t nh_cmpeq(int16x8_t a, int16x8_t b)
{
    return vreinterpretq_s16_u16(vceqq_s16(a, b));
}

/* _mm_movemask_epi8 exactly, bit i the top bit of byte i: the encoder reads
 * SSE2's bit positions (2 a lane) */
SC_INLINE uint32_t nh_movemask(int16x8_t a)
{
    static const int8_t place[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7 };
    uint8x16_t bits = vshlq_u8(vshrq_n_u8(vreinterpretq_u8_s16(a), 7), vld1q_s8(place));
    return (uint32_t)vaddv_u8(vget_low_u8(bits)) | (uint32_t)vaddv_u8(vget_high_u8(bits)) << 8;
}

/* _mm_srli_si128 and _mm_slli_si128: bytes in from a zero vector */
#define NH_BSRLI(a, n) \
    vreinterpretq_s16_s8(vextq_s8(vreinterpretq_s8_s16(a), vdupq_n_s8(0), n))
#define NH_BSLLI(a, n) \
    vreinterpretq_s16_s8(vextq_s8(vdupq_n_s8(0), vreinterpretq_s8_s16(a), 16 - (n)))
#define NH_SRLI(a, n) vreinterpretq_s16_u16(vshrq_n_u16(vreinterpretq_u16_s16(a), n))

#define N2_BINARY(name, op) \
    SC_INLINE n2x128 name(n2x128 a, n2x128 b) { return n2_make(op(a.l, b.l), op(a.h, b.h)); }
N2_BINARY(n2_adds, vqaddq_s16)
N2_BINARY(n2_subs, vqsubq_s16)
N2_BINARY(n2_add, vaddq_s16)
N2_BINARY(n2_sub, vsubq_s16)
N2_BINARY(n2_and, vandq_s16)
N2_BINARY(n2_or, vorrq_s16)
N2_BINARY(n2_xor, veorq_s16)
N2_BINARY(n2_mulhi, nh_mulhi)
N2_BINARY(n2_mullo, vmulq_s16)
N2_BINARY(n2_cmpgt, nh_cmpgt)
#undef N2_BINARY

/* UPZERO's step as v2_upzero_step: _mm_andnot_si128(m, g) is BIC(g, m) */
SC_INLINE n2x128 n2_upzero_step(n2x128 zd, n2x128 d)
{
    static const int16_t g128_lanes[8] = { 128, 128, 128, 128, 128, 128, 0, 0 };
    const int16x8_t g128 = vld1q_s16(g128_lanes);
    const int16x8_t zero = vdupq_n_s16(0);
    int16x8_t dl = vshrq_n_s16(veorq_s16(zd.l, d.l), 15);
    int16x8_t dh = vshrq_n_s16(veorq_s16(zd.h, d.h), 15);
    int16x8_t gl = vbicq_s16(g128, nh_cmpeq(d.l, zero));
    int16x8_t gh = vbicq_s16(g128, nh_cmpeq(d.h, zero));
    return n2_make(vsubq_s16(veorq_s16(gl, dl), dl), vsubq_s16(veorq_s16(gh, dh), dh));
}

/* DELAYA as v2_delaya */
SC_INLINE n2x128 n2_delaya(n2x128 zd, n2x128 d)
{
    static const int16_t lane0_lanes[8] = { -1, 0, 0, 0, 0, 0, 0, 0 };
    const int16x8_t lane0 = vld1q_s16(lane0_lanes);
    return n2_make(vorrq_s16(NH_BSLLI(zd.l, 2), vandq_s16(d.l, lane0)),
                   vorrq_s16(NH_BSLLI(zd.h, 2), vandq_s16(d.h, lane0)));
}

/* The shuffles, for the immediates the kernel uses (another is a compile
 * error): _mm_shuffle_epi32 0x4E swaps the 64-bit halves, 0xB1 the 32-bit
 * lanes of each; _mm_shufflelo_epi16 / _mm_shufflehi_epi16 0xB1 swap the
 * 16-bit lanes of each 32-bit pair in lanes 0..3 / 4..7. */
SC_INLINE int16x8_t nh_shuf32_0x4E(int16x8_t a) { return vextq_s16(a, a, 4); }
SC_INLINE int16x8_t nh_shuf32_0xB1(int16x8_t a)
{
    return vreinterpretq_s16_s32(vrev64q_s32(vreinterpretq_s32_s16(a)));
}
SC_INLINE int16x8_t nh_shuflo_0xB1(int16x8_t a)
{
    return vcombine_s16(vrev32_s16(vget_low_s16(a)), vget_high_s16(a));
}
SC_INLINE int16x8_t nh_shufhi_0xB1(int16x8_t a)
{
    return vcombine_s16(vget_low_s16(a), vrev32_s16(vget_high_s16(a)));
}

/* _mm_shuffle_epi32(a, 0x00), (a, 0xAA) of a P: its 32-bit lanes 0 and 2
 * in every 32-bit lane of the low and high half */
SC_INLINE n2x128 n2_from_p(int16x8_t a)
{
    int32x4_t w = vreinterpretq_s32_s16(a);
    return n2_make(vreinterpretq_s16_s32(vdupq_laneq_s32(w, 0)),
                   vreinterpretq_s16_s32(vdupq_laneq_s32(w, 2)));
}

#define V n2x128
#define V_ADDS n2_adds
#define V_SUBS n2_subs
#define V_ADD n2_add
#define V_AND n2_and
#define V_OR n2_or
#define V_XOR n2_xor
#define V_MULHI n2_mulhi
#define V_MULLO n2_mullo
#define V_CMPGT n2_cmpgt
#define V_UPZERO_STEP n2_upzero_step
#define V_DELAYA n2_delaya
#define V_SRAI(a, n) n2_make(vshrq_n_s16((a).l, n), vshrq_n_s16((a).h, n))
#define V_SRLI(a, n) n2_make(NH_SRLI((a).l, n), NH_SRLI((a).h, n))
#define V_SLLI(a, n) n2_make(vshlq_n_s16((a).l, n), vshlq_n_s16((a).h, n))
#define V_BSRLI(a, n) n2_make(NH_BSRLI((a).l, n), NH_BSRLI((a).h, n))
#define V_SHUF32(a, n) n2_make(nh_shuf32_##n((a).l), nh_shuf32_##n((a).h))
#define V_SHUFLO(a, n) n2_make(nh_shuflo_##n((a).l), nh_shuflo_##n((a).h))
#define V_SHUFHI(a, n) n2_make(nh_shufhi_##n((a).l), nh_shufhi_##n((a).h))
#define V_SET1(x) n2_make(vdupq_n_s16(x), vdupq_n_s16(x))
#define V_HALVES n2_make
#define V_LOW(a) ((a).l)
#define V_HIGH(a) ((a).h)
#define V_MASK(a) (nh_movemask((a).l) | nh_movemask((a).h) << 16)
/* XL (XH) from the low (high) 16 bits of *x into every lane of its half */
#define V_XX(x) n2_make(vdupq_n_s16((int16_t)*(x)), vdupq_n_s16((int16_t)(*(x) >> 16)))
/* a lower-band row's 8 lanes and a higher-band row's 4 (_mm_loadl_epi64
 * zeroes the rest) */
#define V_ROWS(lo, hi) n2_make(vld1q_s16(lo), vcombine_s16(vld1_s16(hi), vdup_n_s16(0)))
/* one band's 8 lanes of a zstate row, to and from a half */
#define H_LOADU(z) vld1q_s16(z)
#define H_STOREU(z, a) vst1q_s16(z, a)

/* H_FINE_ABOVE: _mm_mulhi_epu16 is the high halves of the unsigned
 * products, then the signed comparison and movemask of SSE2 */
SC_INLINE uint32_t nh_fine_above(const int16_t *det, const uint16_t *q6, int16x8_t wd)
{
    uint16x8_t d = vreinterpretq_u16_s16(vld1q_s16(det)), q = vld1q_u16(q6);
    uint16x8_t fine = vshrn_high_n_u32(
        vshrn_n_u32(vmull_u16(vget_low_u16(d), vget_low_u16(q)), 16), vmull_high_u16(d, q), 16);
    return nh_movemask(nh_cmpgt(vreinterpretq_s16_u16(fine), wd));
}
#define H_FINE_ABOVE nh_fine_above

#define P int16x8_t
#define P_ADDS vqaddq_s16
#define P_SUBS vqsubq_s16
#define P_ADD vaddq_s16
#define P_SUB vsubq_s16
#define P_AND vandq_s16
#define P_OR vorrq_s16
#define P_XOR veorq_s16
#define P_MULHI nh_mulhi
#define P_MULLO vmulq_s16
#define P_CMPEQ nh_cmpeq
#define P_MIN vminq_s16
#define P_MAX vmaxq_s16
#define P_SRAI vshrq_n_s16
#define P_SRLI NH_SRLI
#define P_SLLI vshlq_n_s16
#define P_ZERO() vdupq_n_s16(0)
#define P_SET1 vdupq_n_s16
#define P_PAIR(lo, hi) vcombine_s16(vdup_n_s16((int16_t)(lo)), vdup_n_s16((int16_t)(hi)))
#define P_LANE_LO(a) vgetq_lane_s16(a, 0)
#define P_LANE_HI(a) vgetq_lane_s16(a, 4)
/* XL (XH) from the low (high) 16 bits of *x into lanes 0..3 (4..7) */
#define P_XX(x) vcombine_s16(vdup_n_s16((int16_t)*(x)), vdup_n_s16((int16_t)(*(x) >> 16)))
#define P_TO_V n2_from_p
/* _mm_unpacklo_epi64 */
#define V_TO_P(a) vcombine_s16(vget_low_s16((a).l), vget_low_s16((a).h))
/* lane 0 of each half of a V into every lane of its half of a P */
#define P_LANES0(a) vcombine_s16(vdup_laneq_s16((a).l, 0), vdup_laneq_s16((a).h, 0))
#endif

/* ------------------------------------------------------------ predictors */

typedef struct {
    P s, sz;     /* SL, SZL */
    P a1, a2;    /* AL1, AL2 */
    P ps1, ps2;  /* signs of PLT(1), PLT(2): -1 negative, 0 not */
    P q1;        /* sat(RLT(1) + RLT(1)) */
    V zb, zd;    /* BL(1..6), DLT(1..6) */
} K(pstate);

KINLINE K(pstate) K(pload)(const band *lo, const band *hi, const zstate zlo,
                           const zstate zhi)
{
    K(pstate) p;
    p.s = P_PAIR(lo->s, hi->s);
    p.sz = P_PAIR(lo->sz, hi->sz);
    p.a1 = P_PAIR(lo->a1, hi->a1);
    p.a2 = P_PAIR(lo->a2, hi->a2);
    p.ps1 = P_PAIR(lo->p1 >> 31, hi->p1 >> 31);
    p.ps2 = P_PAIR(lo->p2 >> 31, hi->p2 >> 31);
    p.q1 = P_PAIR(lo->q1, hi->q1);
    p.zb = V_HALVES(H_LOADU(zlo[0]), H_LOADU(zhi[0]));
    p.zd = V_HALVES(H_LOADU(zlo[1]), H_LOADU(zhi[1]));
    return p;
}

KINLINE void K(pstore)(const K(pstate) *p, band *lo, band *hi, zstate zlo, zstate zhi)
{
    lo->s = P_LANE_LO(p->s);    hi->s = P_LANE_HI(p->s);
    lo->sz = P_LANE_LO(p->sz);  hi->sz = P_LANE_HI(p->sz);
    lo->a1 = P_LANE_LO(p->a1);  hi->a1 = P_LANE_HI(p->a1);
    lo->a2 = P_LANE_LO(p->a2);  hi->a2 = P_LANE_HI(p->a2);
    lo->p1 = P_LANE_LO(p->ps1); hi->p1 = P_LANE_HI(p->ps1);
    lo->p2 = P_LANE_LO(p->ps2); hi->p2 = P_LANE_HI(p->ps2);
    lo->q1 = P_LANE_LO(p->q1);  hi->q1 = P_LANE_HI(p->q1);
    H_STOREU(zlo[0], V_LOW(p->zb));
    H_STOREU(zhi[0], V_HIGH(p->zb));
    H_STOREU(zlo[1], V_LOW(p->zd));
    H_STOREU(zhi[1], V_HIGH(p->zd));
}

/* The predictor update of both bands for the new differences, d in every
 * lane of each half and dp the same as P: UPZERO, DELAYA, FILTEZ, then
 * PARREC, UPPOL2, UPPOL1, RECONS, FILTEP, PREDIC. */
KINLINE void K(predict)(K(pstate) *p, V d, P dp)
{
    /* UPZERO: BL(i) = BL(i) + floor(-BL(i) / 256) +- 128 (+ when the signs
     * of d and DLT(i) agree, 0 when d is 0); the sum never saturates */
    V b = V_ADDS(V_ADD(p->zb, V_MULHI(p->zb, V_SET1(-256))), V_UPZERO_STEP(p->zd, d));
    /* DELAYA */
    V dn = V_DELAYA(p->zd, d);
    /* FILTEZ: (2 DLT(i)) * BL(i) >> 15 in lane i - 1, summed with
     * saturation from i = 6 down to 1 into lane 0 */
    V w = V_OR(V_SLLI(V_MULHI(dn, b), 2), V_SRLI(V_MULLO(dn, b), 14));
    V acc = V_ADDS(w, V_BSRLI(w, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    P sz = P_LANES0(acc);
    p->zb = b;
    p->zd = dn;

    /* PARREC: only the sign of PLT is used, and saturation keeps it */
    const P zero = P_ZERO();
    P ps0 = P_SRAI(P_ADDS(dp, p->sz), 15);
    P same1 = P_CMPEQ(ps0, p->ps1);
    P same2 = P_CMPEQ(ps0, p->ps2);
    /* UPPOL2: WD2 = sat(-+sat(4 AL1)) >> 7 (minus when SG0 = SG1),
     * WD3 = +-128, AL2 * 32512 >> 15 = AL2 + (-AL2 >> 7) */
    P a1x2 = P_ADDS(p->a1, p->a1);
    P wd1 = P_ADDS(a1x2, a1x2);
    P wd2 = P_SRAI(P_SUBS(P_XOR(wd1, same1), same1), 7);
    P wd3 = P_ADD(P_AND(same2, P_SET1(256)), P_SET1(-128));
    P a2x = P_ADD(p->a2, P_SRAI(P_SUB(zero, p->a2), 7));
    P a2 = P_ADDS(P_ADDS(wd2, wd3), a2x);
    a2 = P_MIN(P_MAX(a2, P_SET1(-12288)), P_SET1(12288));
    /* UPPOL1: +-192 + AL1 * 32640 >> 15, limited to +-sat(15360 - AL2) */
    P w192 = P_ADD(P_AND(same1, P_SET1(384)), P_SET1(-192));
    P a1x = P_ADD(p->a1, P_SRAI(P_SUB(zero, p->a1), 8));
    P lim = P_SUBS(P_SET1(15360), a2);
    P a1 = P_MAX(P_MIN(P_ADDS(w192, a1x), lim), P_SUB(zero, lim));
    /* RECONS (doubled for FILTEP), FILTEP, PREDIC.  AL1 * RLT2 >> 15 from
     * the high and low halves of the product; |AL2| <= 12288, so
     * AL2 * RLT2 >> 15 is the high half of (2 AL2) * RLT2. */
    P r = P_ADDS(p->s, dp);
    P q0 = P_ADDS(r, r);
    P m1 = P_OR(P_SLLI(P_MULHI(a1, q0), 1), P_SRLI(P_MULLO(a1, q0), 15));
    P m2 = P_MULHI(P_ADD(a2, a2), p->q1);
    p->s = P_ADDS(P_ADDS(m1, m2), sz);
    p->sz = sz;
    p->a1 = a1;
    p->a2 = a2;
    p->ps2 = p->ps1;
    p->ps1 = ps0;
    p->q1 = q0;
}

/*
 * Encoder: xx[t] holds XL (low 16 bits) and XH (high 16 bits) of pair t.
 * Both quantisers at once: per band a row of decision levels (the lower
 * band's seven levels where IL >> 2 changes, the higher band's one) is
 * compared with WD, and the quantised difference is the sum, over the
 * levels WD reaches, of the steps in the row for the sign of E (see
 * LOW_ROW and HIGH_ROW in g722.c).  The codes and the scale factors
 * follow in scalar code.
 */
KFUNC void K(encode_adpcm)(sc_g722_encoder *restrict st, const uint32_t *restrict xx,
                           int m, uint8_t *restrict out)
{
    K(pstate) p = K(pload)(&st->lo, &st->hi, st->zlo, st->zhi);
    uint32_t nbl = (uint32_t)st->lo.nb, nbh = (uint32_t)st->hi.nb;
    for (int t = 0; t < m; t++) {
        const low_row *rl = LOW_ROWS + (nbl >> 6);
        const high_row *rh = HIGH_ROWS + (nbh >> 6);
#if defined(__GNUC__)
        /* the rows' addresses in registers, their fields by displacement
         * (instead of an address per field and pair) */
        __asm__("" : "+r"(rl), "+r"(rh));
#endif

        /* SUBTRA, saturated (which changes no decision: every level is
         * below 32767), and the magnitude WD = E or -E - 1 */
        V e = V_SUBS(V_XX(&xx[t]), P_TO_V(p.s));
        V neg = V_SRAI(e, 15);
        V wd = V_XOR(e, neg);

        /* QUANTL/QUANTH's decisions, INVQAL/INVQAH's differences */
        V at = V_CMPGT(wd, V_ROWS(rl->t, rh->t));
        V v = V_AND(at, V_XOR(V_ROWS(rl->dp, rh->dp), V_AND(V_ROWS(rl->dx, rh->dx), neg)));
        v = V_ADD(v, V_SHUF32(v, 0x4E));
        v = V_ADD(v, V_SHUF32(v, 0xB1));
        v = V_ADD(v, V_SHUFHI(V_SHUFLO(v, 0xB1), 0xB1));
        K(predict)(&p, v, V_TO_P(v));

        /* The codes.  k: IL >> 2 folded to 0..7, the levels the lower
         * band's WD reaches (half the trailing ones of the mask, 2 bits a
         * lane); its 6-bit interval mi = 4k - 1 + the number of the three
         * finer levels of class k that WD reaches.  IH = 3 - 2 (EH < 0) -
         * the higher band's decision. */
        uint32_t reach = V_MASK(at), negs = V_MASK(neg);
        uint32_t k2 = (uint32_t)__builtin_ctz(~reach);
        uint32_t above = H_FINE_ABOVE(rl->det, FINE_Q6[k2 >> 1], V_LOW(wd));
        uint32_t mi = 2 * k2 - 1 + ((uint32_t)__builtin_ctz(above | 0x40) >> 1);
        out[t] = (uint8_t)(IL_BY_SIGN[(negs & 1) << 5 | mi] + 192 - (negs >> 9 & 128) -
                           (reach >> 12 & 64));

        /* LOGSCL, LOGSCH (SCALEL, SCALEH are the rows' look-up) */
        int32_t wh = (int32_t)(reach >> 18 & 1) * (798 + 214) - 214;
        nbl = (uint32_t)clamp((int32_t)((nbl * 127) >> 7) + CLASS_W[k2 >> 1], 0, 18432);
        nbh = (uint32_t)clamp((int32_t)((nbh * 127) >> 7) + wh, 0, 22528);
    }
    K(pstore)(&p, &st->lo, &st->hi, st->zlo, st->zhi);
    st->lo.nb = (int32_t)nbl;
    st->lo.det = DET_LOW[nbl >> 6];
    st->hi.nb = (int32_t)nbh;
    st->hi.det = DET_HIGH[nbh >> 6];
}

/*
 * Decoder, for the codes of m pairs and INVQBL's row of the mode (dq).
 * The quantised differences depend only on the codes and the scale
 * factors: scalar code works them out (INVQAL, INVQBL, INVQAH, LOGSCL,
 * LOGSCH, SCALEL, SCALEH) and passes them through dd[t] (DLT | DH << 16 for
 * the predictors, the lower band's INVQBL difference | DH << 16 for the
 * outputs), so that it runs alongside the SIMD predictor.  Writes YL, YH.
 */
KFUNC void K(decode_adpcm)(sc_g722_decoder *restrict st, const uint8_t *restrict codes,
                           const int16_t *restrict dq, int m, int16_t *restrict yl,
                           int16_t *restrict yh)
{
    uint32_t dd[CHUNK][2];
    K(pstate) p = K(pload)(&st->lo, &st->hi, st->zlo, st->zhi);
    int32_t nbl = st->lo.nb, nbh = st->hi.nb;
    for (int t = 0; t < m; t++) {
        uint32_t il = codes[t] & 63, ih = codes[t] >> 6;
        int32_t detl = DET_LOW[nbl >> 6], deth = DET_HIGH[nbh >> 6];
        qw_t lq = LOW4[il >> 2], hq = HIGH2[ih];
        uint32_t dh = (uint32_t)(uint16_t)((deth * hq.q) >> 15) << 16;
        dd[t][0] = (uint16_t)((detl * lq.q) >> 15) | dh;
        dd[t][1] = (uint16_t)((detl * dq[il]) >> 15) | dh;
        nbl = clamp(((nbl * 127) >> 7) + lq.w, 0, 18432);
        nbh = clamp(((nbh * 127) >> 7) + hq.w, 0, 22528);

        /* RECONS and LIMIT of the outputs, then the adaptation */
        P y = P_MIN(P_MAX(P_ADDS(p.s, P_XX(&dd[t][1])), P_SET1(-16384)), P_SET1(16383));
        yl[t] = P_LANE_LO(y);
        yh[t] = P_LANE_HI(y);
        P d = P_XX(&dd[t][0]);
        K(predict)(&p, P_TO_V(d), d);
    }
    K(pstore)(&p, &st->lo, &st->hi, st->zlo, st->zhi);
    st->lo.nb = nbl;
    st->lo.det = DET_LOW[nbl >> 6];
    st->hi.nb = nbh;
    st->hi.det = DET_HIGH[nbh >> 6];
}

/* ------------------------------------------------------------------- QMF */

/*
 * Output t of a 12-tap polyphase half is the sum over k of (c(2k), c(2k+1))
 * . (x[t+2k], x[t+2k+1]), and those sample pairs lie side by side: pmaddwd
 * of a load from x + t + 2k gives the products of the even outputs t, t+2,
 * ..., of a load one sample on those of the odd ones.  8 (SSE2) or 16
 * (AVX2) outputs a step; reads x[] up to index 26 past a step's first
 * output, hence QPAD zeroed elements after the data.
 */
#if G722_KERNEL == 1
#define Q __m128i
#define Q_STEP 8
#define Q_LOADU(x) _mm_loadu_si128((const __m128i *)(x))
#define Q_PAIRS(c) _mm_load_si128((const __m128i *)(c))
#define Q_ZERO _mm_setzero_si128
#define Q_MADD _mm_madd_epi16
#define Q_ADD32 _mm_add_epi32
#define Q_SUB32 _mm_sub_epi32
#define Q_SRAI32 _mm_srai_epi32
#define Q_PACKS32 _mm_packs_epi32
#define Q_MIN16 _mm_min_epi16
#define Q_MAX16 _mm_max_epi16
#define Q_SET16 _mm_set1_epi16
#define Q_UNPACKLO16 _mm_unpacklo_epi16
#define Q_UNPACKHI16 _mm_unpackhi_epi16
#define Q_UNPACKLO32 _mm_unpacklo_epi32
#define Q_UNPACKHI32 _mm_unpackhi_epi32
/* the step's outputs in order: pairs of words 0..3 in lo, 4..7 in hi */
#define Q_ORDER(o, lo, hi) ((o)[0] = (lo), (o)[1] = (hi))
#elif G722_KERNEL == 2
#define Q __m256i
#define Q_STEP 16
#define Q_LOADU(x) _mm256_loadu_si256((const __m256i *)(x))
#define Q_PAIRS(c) _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)(c)))
#define Q_ZERO _mm256_setzero_si256
#define Q_MADD _mm256_madd_epi16
#define Q_ADD32 _mm256_add_epi32
#define Q_SUB32 _mm256_sub_epi32
#define Q_SRAI32 _mm256_srai_epi32
#define Q_PACKS32 _mm256_packs_epi32
#define Q_MIN16 _mm256_min_epi16
#define Q_MAX16 _mm256_max_epi16
#define Q_SET16 _mm256_set1_epi16
#define Q_UNPACKLO16 _mm256_unpacklo_epi16
#define Q_UNPACKHI16 _mm256_unpackhi_epi16
#define Q_UNPACKLO32 _mm256_unpacklo_epi32
#define Q_UNPACKHI32 _mm256_unpackhi_epi32
/* each 128-bit half is a step of 8: lo = pairs 0..3 | 8..11, hi = 4..7 | 12..15 */
#define Q_ORDER(o, lo, hi) ((o)[0] = _mm256_permute2x128_si256(lo, hi, 0x20), \
                            (o)[1] = _mm256_permute2x128_si256(lo, hi, 0x31))
#elif G722_KERNEL == 3
/* NEON: Q is a 128-bit register seen as 32-bit lanes; the 16-bit views are
 * reinterpretations, as __m128i has none */
SC_INLINE int16x8_t nq_s16(int32x4_t a) { return vreinterpretq_s16_s32(a); }
SC_INLINE int32x4_t nq_s32(int16x8_t a) { return vreinterpretq_s32_s16(a); }

/* _mm_madd_epi16: the products of lanes 2i and 2i+1, added (ADDP; both
 * wrap alike where pmaddwd does, at 2 x -32768 * -32768) */
SC_INLINE int32x4_t nq_madd(int32x4_t a, int32x4_t b)
{
    int16x8_t x = nq_s16(a), y = nq_s16(b);
    return vpaddq_s32(vmull_s16(vget_low_s16(x), vget_low_s16(y)), vmull_high_s16(x, y));
}

/* _mm_packs_epi32: a's lanes then b's, each saturated to 16 bits */
SC_INLINE int32x4_t nq_packs32(int32x4_t a, int32x4_t b)
{
    return nq_s32(vcombine_s16(vqmovn_s32(a), vqmovn_s32(b)));
}

#define NQ_BINARY16(name, op) \
    SC_INLINE int32x4_t name(int32x4_t a, int32x4_t b) { return nq_s32(op(nq_s16(a), nq_s16(b))); }
NQ_BINARY16(nq_min16, vminq_s16)
NQ_BINARY16(nq_max16, vmaxq_s16)
/* _mm_unpacklo_epi16 / _mm_unpackhi_epi16: ZIP1 / ZIP2 of 16-bit lanes */
NQ_BINARY16(nq_unpacklo16, vzip1q_s16)
NQ_BINARY16(nq_unpackhi16, vzip2q_s16)
#undef NQ_BINARY16

#define Q int32x4_t
#define Q_STEP 8
#define Q_LOADU(x) nq_s32(vld1q_s16(x))
#define Q_PAIRS(c) nq_s32(vld1q_s16(c))
#define Q_ZERO() vdupq_n_s32(0)
#define Q_MADD nq_madd
#define Q_ADD32 vaddq_s32
#define Q_SUB32 vsubq_s32
#define Q_SRAI32 vshrq_n_s32
#define Q_PACKS32 nq_packs32
#define Q_MIN16 nq_min16
#define Q_MAX16 nq_max16
#define Q_SET16(x) nq_s32(vdupq_n_s16(x))
#define Q_UNPACKLO16 nq_unpacklo16
#define Q_UNPACKHI16 nq_unpackhi16
/* _mm_unpacklo_epi32 / _mm_unpackhi_epi32 */
#define Q_UNPACKLO32 vzip1q_s32
#define Q_UNPACKHI32 vzip2q_s32
#define Q_ORDER(o, lo, hi) ((o)[0] = (lo), (o)[1] = (hi))
#endif

KINLINE void K(qmf_half)(const int16_t *x, const int16_t (*pairs)[8], Q *even, Q *odd)
{
    Q e = Q_ZERO(), o = Q_ZERO();
    for (int k = 0; k < 6; k++) {
        Q c = Q_PAIRS(pairs[k]);
        e = Q_ADD32(e, Q_MADD(Q_LOADU(x + 2 * k), c));
        o = Q_ADD32(o, Q_MADD(Q_LOADU(x + 2 * k + 1), c));
    }
    *even = e;
    *odd = o;
}

/* Transmit QMF: xA over the second samples of the pairs (x2), xB over the
 * first (x1); XL = (xA + xB) >> 14 and XH = (xA - xB) >> 14, limited to 15
 * bits (neither ever needs more than 16), as XL | XH << 16 in xx[0..m),
 * which has room for a whole last step. */
KFUNC void K(transmit_qmf)(const int16_t *x1, const int16_t *x2, int m, uint32_t *xx)
{
    const Q lo = Q_SET16(-16384), hi = Q_SET16(16383);
    for (int t = 0; t < m; t += Q_STEP) {
        Q ae, ao, be, bo, o[2];
        K(qmf_half)(x2 + t, QMF_R2, &ae, &ao);
        K(qmf_half)(x1 + t, QMF_E2, &be, &bo);
        /* words t, t+2, t+4, t+6, t+1, t+3, ... (per step of 8) */
        Q xl = Q_PACKS32(Q_SRAI32(Q_ADD32(ae, be), 14), Q_SRAI32(Q_ADD32(ao, bo), 14));
        Q xh = Q_PACKS32(Q_SRAI32(Q_SUB32(ae, be), 14), Q_SRAI32(Q_SUB32(ao, bo), 14));
        xl = Q_MIN16(Q_MAX16(xl, lo), hi);
        xh = Q_MIN16(Q_MAX16(xh, lo), hi);
        Q even = Q_UNPACKLO16(xl, xh), odd = Q_UNPACKHI16(xl, xh);
        Q_ORDER(o, Q_UNPACKLO32(even, odd), Q_UNPACKHI32(even, odd));
        memcpy(xx + t, o, sizeof o);
    }
}

/* Receive QMF: xA over RL - RH, xB over RL + RH; the output pair is
 * sat(xA >> 11), sat(xB >> 11).  Writes exactly 2m samples. */
KFUNC void K(receive_qmf)(const int16_t *dif, const int16_t *sum, int m, int16_t *out)
{
    for (int t = 0; t < m; t += Q_STEP) {
        Q ae, ao, be, bo, o[2];
        K(qmf_half)(dif + t, QMF_R2, &ae, &ao);
        K(qmf_half)(sum + t, QMF_E2, &be, &bo);
        Q a = Q_PACKS32(Q_SRAI32(ae, 11), Q_SRAI32(ao, 11));
        Q b = Q_PACKS32(Q_SRAI32(be, 11), Q_SRAI32(bo, 11));
        Q even = Q_UNPACKLO16(a, b), odd = Q_UNPACKHI16(a, b);
        Q_ORDER(o, Q_UNPACKLO32(even, odd), Q_UNPACKHI32(even, odd));
        memcpy(out + 2 * t, o, (size_t)(m - t < Q_STEP ? m - t : Q_STEP) * 2 * sizeof *out);
    }
}

#undef K
#undef KINLINE
#undef KFUNC
#undef V
#undef V_ADDS
#undef V_SUBS
#undef V_ADD
#undef V_AND
#undef V_OR
#undef V_XOR
#undef V_MULHI
#undef V_MULLO
#undef V_CMPGT
#undef V_UPZERO_STEP
#undef V_DELAYA
#undef V_SRAI
#undef V_SRLI
#undef V_SLLI
#undef V_BSRLI
#undef V_SHUF32
#undef V_SHUFLO
#undef V_SHUFHI
#undef V_SET1
#undef V_HALVES
#undef V_LOW
#undef V_HIGH
#undef V_MASK
#undef V_XX
#undef V_ROWS
#undef H_LOADU
#undef H_STOREU
#undef H_FINE_ABOVE
#undef P
#undef P_ADDS
#undef P_SUBS
#undef P_ADD
#undef P_SUB
#undef P_AND
#undef P_OR
#undef P_XOR
#undef P_MULHI
#undef P_MULLO
#undef P_CMPEQ
#undef P_MIN
#undef P_MAX
#undef P_SRAI
#undef P_SRLI
#undef P_SLLI
#undef P_ZERO
#undef P_SET1
#undef P_PAIR
#undef P_LANE_LO
#undef P_LANE_HI
#undef P_XX
#undef P_TO_V
#undef V_TO_P
#undef P_LANES0
#undef Q
#undef Q_STEP
#undef Q_LOADU
#undef Q_PAIRS
#undef Q_ZERO
#undef Q_MADD
#undef Q_ADD32
#undef Q_SUB32
#undef Q_SRAI32
#undef Q_PACKS32
#undef Q_MIN16
#undef Q_MAX16
#undef Q_SET16
#undef Q_UNPACKLO16
#undef Q_UNPACKHI16
#undef Q_UNPACKLO32
#undef Q_UNPACKHI32
#undef Q_ORDER
#endif
