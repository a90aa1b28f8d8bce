/*
 * ITU-T G.722 sub-band ADPCM: see g722.h for the interface and the
 * concealment.  Block names in comments (SUBTRA, QUANTL, ...) are the
 * Recommendation's.  Arithmetic is the Recommendation's 16-bit
 * fixed-point: "sat16" marks its saturating additions, ">> 15" its
 * multiplications of two 16-bit words (truncating, arithmetic shift).
 *
 * Work is done in chunks of up to CHUNK sample pairs: the QMF, which does
 * not depend on the ADPCM state, runs over a whole chunk as two 12-tap
 * polyphase filters; the ADPCM recursion runs per pair.  On x86 both run
 * in the SIMD kernels of g722_kernel.h (AVX2 at the avx2 and avx512 levels
 * of cpu.h, chosen at start-up, else SSE2), which keep one band in each 128-bit half of
 * their vectors; on aarch64 in its NEON kernel at the neon level, and in
 * the scalar blocks at baseline.  The scalar blocks below are the
 * reference for the kernels, the portable path (SC_G722_SCALAR forces it)
 * and what concealment uses.  All paths give the same bits.
 */
#include "g722.h"
#include "codec_ops.h"
#include "cpu.h"

#include <string.h>

#if defined(__SSE2__) && !defined(SC_G722_SCALAR)
#define G722_SIMD 1
#include <emmintrin.h>
/* The AVX2 kernel is compiled as well, for run-time selection, where the
 * compiler has per-function targets (SC_NO_CLONES leaves it out). */
#if defined(SC_CPU_X86) && !defined(SC_NO_CLONES)
#define G722_AVX2 1
#include <immintrin.h>
#endif
#endif

/* aarch64: the NEON kernel, for level neon only (baseline keeps the scalar
 * blocks, so that STREAMCODEC_SIMD=baseline can check it).  Its QMF copies
 * vectors to memory as arrays of lanes, which holds on little-endian only. */
#if defined(SC_CPU_ARM64) && !defined(SC_G722_SCALAR) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define G722_NEON 1
#include <arm_neon.h>
#endif

/* The kernels' tables and dispatch exist with either instruction set. */
#if defined(G722_SIMD) || defined(G722_NEON)
#define G722_KERNELS 1
#endif

#if defined(__GNUC__)
#define SC_INLINE static inline __attribute__((always_inline))
#else
#define SC_INLINE static inline
#endif

/* The arithmetic below relies on >> of a negative int being an arithmetic
 * shift, as on every compiler streamcodec targets. */
_Static_assert((-3 >> 1) == -2, "arithmetic right shift required");

enum {
    CHUNK = 160,      /* sample pairs per QMF block (20 ms) */
    TAPS = 12,        /* taps of each polyphase half of the 24-tap QMF */
    HIST = TAPS - 1,  /* QMF history kept per phase */
    QPAD = 16,        /* spare zeroed elements after a QMF input block */
    LHIST = 320,      /* lower-band output kept for concealment (40 ms) */
    MIN_LAG = 20,     /* pitch search at 8 kHz: 400 Hz ... */
    MAX_LAG = 160,    /* ... 50 Hz */
    CORR_LEN = 160,   /* samples correlated per candidate lag */
    HOLD = 80,        /* concealment at full level for 10 ms, */
    FADE = 400        /* then fading to silence over 50 ms */
};

/* ---------------------------------------------------------------- tables */

/* QMF coefficients h(0), h(2), ..., h(22) (Table of the QMF coefficients;
 * h(2i+1) = h(22-2i) by the filter's symmetry).  QMF_E[k] weighs the
 * sample k pairs back of one phase; QMF_R is the same reversed, for the
 * other phase. */
#if !defined(G722_SIMD)
static const int16_t QMF_E[TAPS] = { 3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11 };
static const int16_t QMF_R[TAPS] = { -11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3 };
#endif

/* QUANTL decision levels Q6(1..29), times 16 so that an unsigned 16x16
 * high multiply gives (Q6 * DETL) >> 12; the three last lanes are padding
 * (threshold 0, never above the magnitude). */
#if defined(G722_SIMD)
__attribute__((aligned(16)))
#endif
static const uint16_t Q6X16[32] = {
    35 * 16, 72 * 16, 110 * 16, 150 * 16, 190 * 16, 233 * 16, 276 * 16, 323 * 16,
    370 * 16, 422 * 16, 473 * 16, 530 * 16, 587 * 16, 650 * 16, 714 * 16, 786 * 16,
    858 * 16, 940 * 16, 1023 * 16, 1121 * 16, 1219 * 16, 1339 * 16, 1458 * 16, 1612 * 16,
    1765 * 16, 1980 * 16, 2195 * 16, 2557 * 16, 2919 * 16, 0, 0, 0
};

/* QUANTL output code IL for interval mi = 1..30: [0] for a negative
 * difference, [1] for a non-negative one. */
static const uint8_t IL_CODE[2][32] = {
    { 0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
      18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0 },
    { 0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
      46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0 }
};

/* Per 4-bit code IL >> 2: INVQAL's quantised difference (x DETL >> 15)
 * and LOGSCL's log scale factor multiplier W(IL4). */
typedef struct { int16_t q; int16_t w; } qw_t;
static const qw_t LOW4[16] = {
    { 0, -60 }, { -20456, 3042 }, { -12896, 1198 }, { -8968, 538 },
    { -6288, 334 }, { -4240, 172 }, { -2584, 58 }, { -1200, -30 },
    { 20456, 3042 }, { 12896, 1198 }, { 8968, 538 }, { 6288, 334 },
    { 4240, 172 }, { 2584, 58 }, { 1200, -30 }, { 0, -60 }
};

/* QUANTL and INVQAL/LOGSCL in one look-up for the encoder: by the sign
 * row of IL_CODE and the interval mi, the code IL with LOW4[IL >> 2]. */
#if !defined(G722_SIMD)
typedef struct { int16_t q; int16_t w; int16_t il; } lenc_t;
static const lenc_t LOW_ENC[2][32] = {
    { { 0, -60, 0 }, { 0, -60, 63 }, { 0, -60, 62 }, { -1200, -30, 31 },
      { -1200, -30, 30 }, { -1200, -30, 29 }, { -1200, -30, 28 }, { -2584, 58, 27 },
      { -2584, 58, 26 }, { -2584, 58, 25 }, { -2584, 58, 24 }, { -4240, 172, 23 },
      { -4240, 172, 22 }, { -4240, 172, 21 }, { -4240, 172, 20 }, { -6288, 334, 19 },
      { -6288, 334, 18 }, { -6288, 334, 17 }, { -6288, 334, 16 }, { -8968, 538, 15 },
      { -8968, 538, 14 }, { -8968, 538, 13 }, { -8968, 538, 12 }, { -12896, 1198, 11 },
      { -12896, 1198, 10 }, { -12896, 1198, 9 }, { -12896, 1198, 8 }, { -20456, 3042, 7 },
      { -20456, 3042, 6 }, { -20456, 3042, 5 }, { -20456, 3042, 4 }, { 0, -60, 0 } },
    { { 0, -60, 0 }, { 0, -60, 61 }, { 0, -60, 60 }, { 1200, -30, 59 },
      { 1200, -30, 58 }, { 1200, -30, 57 }, { 1200, -30, 56 }, { 2584, 58, 55 },
      { 2584, 58, 54 }, { 2584, 58, 53 }, { 2584, 58, 52 }, { 4240, 172, 51 },
      { 4240, 172, 50 }, { 4240, 172, 49 }, { 4240, 172, 48 }, { 6288, 334, 47 },
      { 6288, 334, 46 }, { 6288, 334, 45 }, { 6288, 334, 44 }, { 8968, 538, 43 },
      { 8968, 538, 42 }, { 8968, 538, 41 }, { 8968, 538, 40 }, { 12896, 1198, 39 },
      { 12896, 1198, 38 }, { 12896, 1198, 37 }, { 12896, 1198, 36 }, { 20456, 3042, 35 },
      { 20456, 3042, 34 }, { 20456, 3042, 33 }, { 20456, 3042, 32 }, { 0, -60, 0 } }
};
#endif

/* Per 2-bit code IH: INVQAH's quantised difference and LOGSCH's W(IH). */
static const qw_t HIGH2[4] = { { -7408, 798 }, { -1616, -214 }, { 7408, 798 }, { 1616, -214 } };

/* INVQBL, the decoder's lower-band output difference per 6-bit code, for
 * 64 kbit/s (6-bit code), 56 kbit/s (IL >> 1) and 48 kbit/s (IL >> 2). */
static const int16_t INVQBL[3][64] = {
    {   -136,   -136,   -136,   -136, -24808, -21904, -19008, -16704,
      -14984, -13512, -12280, -11192, -10232,  -9360,  -8576,  -7856,
       -7192,  -6576,  -6000,  -5456,  -4944,  -4464,  -4008,  -3576,
       -3168,  -2776,  -2400,  -2032,  -1688,  -1360,  -1040,   -728,
       24808,  21904,  19008,  16704,  14984,  13512,  12280,  11192,
       10232,   9360,   8576,   7856,   7192,   6576,   6000,   5456,
        4944,   4464,   4008,   3576,   3168,   2776,   2400,   2032,
        1688,   1360,   1040,    728,    432,    136,   -432,   -136 },
    {   -280,   -280,   -280,   -280, -23352, -23352, -17560, -17560,
      -14120, -14120, -11664, -11664,  -9752,  -9752,  -8184,  -8184,
       -6864,  -6864,  -5712,  -5712,  -4696,  -4696,  -3784,  -3784,
       -2960,  -2960,  -2208,  -2208,  -1520,  -1520,   -880,   -880,
       23352,  23352,  17560,  17560,  14120,  14120,  11664,  11664,
        9752,   9752,   8184,   8184,   6864,   6864,   5712,   5712,
        4696,   4696,   3784,   3784,   2960,   2960,   2208,   2208,
        1520,   1520,    880,    880,    280,    280,   -280,   -280 },
    {      0,      0,      0,      0, -20456, -20456, -20456, -20456,
      -12896, -12896, -12896, -12896,  -8968,  -8968,  -8968,  -8968,
       -6288,  -6288,  -6288,  -6288,  -4240,  -4240,  -4240,  -4240,
       -2584,  -2584,  -2584,  -2584,  -1200,  -1200,  -1200,  -1200,
       20456,  20456,  20456,  20456,  12896,  12896,  12896,  12896,
        8968,   8968,   8968,   8968,   6288,   6288,   6288,   6288,
        4240,   4240,   4240,   4240,   2584,   2584,   2584,   2584,
        1200,   1200,   1200,   1200,      0,      0,      0,      0 }
};

/* SCALEL and SCALEH, tabulated by NB >> 6: DET = (ILB(NB >> 6 & 31) >>
 * (8 - (NB >> 11))) << 2 for the lower band (NB <= 18432) and the same with
 * 10 for the higher band (NB <= 22528), where ILB(i) is the antilog table
 * 2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599,
 * 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
 * 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008 and a negative shift
 * shifts left.  As X-macro lists, so that the SIMD encoder's tables of
 * decision levels and steps (LOW_ROWS, HIGH_ROWS) are built from the same
 * values by the compiler. */
#define DET_LOW_LIST(X) \
    X(32) X(32) X(32) X(32) X(32) X(32) X(36) X(36) X(36) X(36) \
    X(36) X(40) X(40) X(40) X(40) X(44) X(44) X(44) X(44) X(48) \
    X(48) X(48) X(48) X(52) X(52) X(52) X(56) X(56) X(56) X(56) \
    X(60) X(60) X(64) X(64) X(64) X(68) X(68) X(68) X(72) X(72) \
    X(76) X(76) X(76) X(80) X(80) X(84) X(84) X(88) X(88) X(92) \
    X(92) X(96) X(96) X(100) X(100) X(104) X(104) X(108) X(112) X(112) \
    X(116) X(116) X(120) X(124) X(128) X(128) X(132) X(136) X(136) X(140) \
    X(144) X(148) X(152) X(152) X(156) X(160) X(164) X(168) X(172) X(176) \
    X(180) X(184) X(188) X(192) X(196) X(200) X(204) X(208) X(212) X(220) \
    X(224) X(228) X(232) X(236) X(244) X(248) X(256) X(260) X(264) X(272) \
    X(276) X(284) X(288) X(296) X(304) X(308) X(316) X(324) X(332) X(336) \
    X(344) X(352) X(360) X(368) X(376) X(384) X(392) X(400) X(412) X(420) \
    X(428) X(440) X(448) X(456) X(468) X(476) X(488) X(500) X(512) X(520) \
    X(532) X(544) X(556) X(568) X(580) X(592) X(608) X(620) X(632) X(648) \
    X(664) X(676) X(692) X(708) X(724) X(740) X(756) X(772) X(788) X(804) \
    X(824) X(840) X(860) X(880) X(896) X(916) X(936) X(956) X(980) X(1000) \
    X(1024) X(1044) X(1068) X(1092) X(1116) X(1140) X(1164) X(1188) X(1216) X(1244) \
    X(1268) X(1296) X(1328) X(1356) X(1384) X(1416) X(1448) X(1480) X(1512) X(1544) \
    X(1576) X(1612) X(1648) X(1684) X(1720) X(1760) X(1796) X(1836) X(1876) X(1916) \
    X(1960) X(2004) X(2048) X(2092) X(2136) X(2184) X(2232) X(2280) X(2332) X(2380) \
    X(2432) X(2488) X(2540) X(2596) X(2656) X(2712) X(2772) X(2832) X(2896) X(2960) \
    X(3024) X(3088) X(3156) X(3228) X(3296) X(3368) X(3444) X(3520) X(3596) X(3676) \
    X(3756) X(3836) X(3920) X(4008) X(4096) X(4184) X(4276) X(4372) X(4464) X(4564) \
    X(4664) X(4764) X(4868) X(4976) X(5084) X(5196) X(5312) X(5428) X(5548) X(5668) \
    X(5792) X(5920) X(6048) X(6180) X(6316) X(6456) X(6596) X(6740) X(6888) X(7040) \
    X(7192) X(7352) X(7512) X(7676) X(7844) X(8016) X(8192) X(8372) X(8556) X(8744) \
    X(8932) X(9128) X(9328) X(9532) X(9740) X(9956) X(10172) X(10396) X(10624) X(10856) \
    X(11096) X(11336) X(11584) X(11840) X(12100) X(12364) X(12632) X(12912) X(13192) X(13484) \
    X(13776) X(14080) X(14388) X(14704) X(15024) X(15352) X(15688) X(16032) X(16384)

#define DET_HIGH_LIST(X) \
    X(8) X(8) X(8) X(8) X(8) X(8) X(8) X(8) X(8) X(8) \
    X(8) X(8) X(8) X(8) X(8) X(8) X(8) X(8) X(8) X(12) \
    X(12) X(12) X(12) X(12) X(12) X(12) X(12) X(12) X(12) X(12) \
    X(12) X(12) X(16) X(16) X(16) X(16) X(16) X(16) X(16) X(16) \
    X(16) X(16) X(16) X(20) X(20) X(20) X(20) X(20) X(20) X(20) \
    X(20) X(24) X(24) X(24) X(24) X(24) X(24) X(24) X(28) X(28) \
    X(28) X(28) X(28) X(28) X(32) X(32) X(32) X(32) X(32) X(32) \
    X(36) X(36) X(36) X(36) X(36) X(40) X(40) X(40) X(40) X(44) \
    X(44) X(44) X(44) X(48) X(48) X(48) X(48) X(52) X(52) X(52) \
    X(56) X(56) X(56) X(56) X(60) X(60) X(64) X(64) X(64) X(68) \
    X(68) X(68) X(72) X(72) X(76) X(76) X(76) X(80) X(80) X(84) \
    X(84) X(88) X(88) X(92) X(92) X(96) X(96) X(100) X(100) X(104) \
    X(104) X(108) X(112) X(112) X(116) X(116) X(120) X(124) X(128) X(128) \
    X(132) X(136) X(136) X(140) X(144) X(148) X(152) X(152) X(156) X(160) \
    X(164) X(168) X(172) X(176) X(180) X(184) X(188) X(192) X(196) X(200) \
    X(204) X(208) X(212) X(220) X(224) X(228) X(232) X(236) X(244) X(248) \
    X(256) X(260) X(264) X(272) X(276) X(284) X(288) X(296) X(304) X(308) \
    X(316) X(324) X(332) X(336) X(344) X(352) X(360) X(368) X(376) X(384) \
    X(392) X(400) X(412) X(420) X(428) X(440) X(448) X(456) X(468) X(476) \
    X(488) X(500) X(512) X(520) X(532) X(544) X(556) X(568) X(580) X(592) \
    X(608) X(620) X(632) X(648) X(664) X(676) X(692) X(708) X(724) X(740) \
    X(756) X(772) X(788) X(804) X(824) X(840) X(860) X(880) X(896) X(916) \
    X(936) X(956) X(980) X(1000) X(1024) X(1044) X(1068) X(1092) X(1116) X(1140) \
    X(1164) X(1188) X(1216) X(1244) X(1268) X(1296) X(1328) X(1356) X(1384) X(1416) \
    X(1448) X(1480) X(1512) X(1544) X(1576) X(1612) X(1648) X(1684) X(1720) X(1760) \
    X(1796) X(1836) X(1876) X(1916) X(1960) X(2004) X(2048) X(2092) X(2136) X(2184) \
    X(2232) X(2280) X(2332) X(2380) X(2432) X(2488) X(2540) X(2596) X(2656) X(2712) \
    X(2772) X(2832) X(2896) X(2960) X(3024) X(3088) X(3156) X(3228) X(3296) X(3368) \
    X(3444) X(3520) X(3596) X(3676) X(3756) X(3836) X(3920) X(4008) X(4096) X(4184) \
    X(4276) X(4372) X(4464) X(4564) X(4664) X(4764) X(4868) X(4976) X(5084) X(5196) \
    X(5312) X(5428) X(5548) X(5668) X(5792) X(5920) X(6048) X(6180) X(6316) X(6456) \
    X(6596) X(6740) X(6888) X(7040) X(7192) X(7352) X(7512) X(7676) X(7844) X(8016) \
    X(8192) X(8372) X(8556) X(8744) X(8932) X(9128) X(9328) X(9532) X(9740) X(9956) \
    X(10172) X(10396) X(10624) X(10856) X(11096) X(11336) X(11584) X(11840) X(12100) X(12364) \
    X(12632) X(12912) X(13192) X(13484) X(13776) X(14080) X(14388) X(14704) X(15024) X(15352) \
    X(15688) X(16032) X(16384)

#define DET_ITEM(det) det,
static const int16_t DET_LOW[289] = { DET_LOW_LIST(DET_ITEM) };
static const int16_t DET_HIGH[353] = { DET_HIGH_LIST(DET_ITEM) };
#undef DET_ITEM

/* ----------------------------------------------------------------- state */

/* One sub-band's ADPCM state but its zero section (zstate below).  Only
 * scalars, so that a loop's local copy lives in registers. */
typedef struct band {
    int32_t s;        /* SL: signal estimate */
    int32_t sz;       /* SZL: its zero-section part */
    int32_t nb;       /* NBL: log scale factor */
    int32_t det;      /* DETL: quantiser scale factor */
    int32_t a1, a2;   /* AL1, AL2: pole coefficients */
    int32_t p1, p2;   /* PLT(1), PLT(2): partial reconstructions, of which
                         only the signs are used (kept unsaturated) */
    int32_t q1;       /* sat(RLT(1) + RLT(1)): the doubled reconstruction
                         FILTEP multiplies by AL2 next time */
} band;

/* A sub-band's zero section as 16-bit lanes for the SIMD update: [0] the
 * coefficients BL(1..6), [1] the differences DLT(1..6), newest first;
 * lanes 6 and 7 unused (BL held at 0 there). */
typedef int16_t zstate[2][8];

struct sc_g722_encoder {
    band lo, hi;
    zstate zlo, zhi;
    int16_t x1[HIST]; /* QMF history: first sample of each pair */
    int16_t x2[HIST]; /* second sample of each pair */
};

struct sc_g722_decoder {
    band lo, hi;
    zstate zlo, zhi;
    int16_t dif[HIST];     /* receive QMF history: RL - RH */
    int16_t sum[HIST];     /* RL + RH */
    int32_t mode;          /* 0: 64, 1: 56, 2: 48 kbit/s (row of INVQBL) */
    int16_t lhist[LHIST];  /* last lower-band outputs (YL), oldest first */
    int16_t period[MAX_LAG]; /* concealment: one pitch period of YL */
    int32_t lag;           /* its length */
    int32_t pos;           /* next sample of period[] to use */
    int32_t lost;          /* pairs concealed in the current loss */
};

SC_INLINE int32_t sat16(int32_t x)
{
    return x > 32767 ? 32767 : (x < -32768 ? -32768 : x);
}

SC_INLINE int32_t clamp(int32_t x, int32_t lo, int32_t hi)
{
    return x > hi ? hi : (x < lo ? lo : x);
}

static void band_reset(band *b, int32_t det)
{
    memset(b, 0, sizeof *b);
    b->det = det;
}

/*
 * The zero section (UPZERO, DELAYA of DLT, FILTEZ) is the bulk of the work;
 * it lives in registers while a loop runs: zload() before, zstore() after.
 */
#if defined(G722_SIMD)
typedef struct { __m128i b, d; } zsec;

SC_INLINE zsec zload(const zstate zs)
{
    zsec z = { _mm_loadu_si128((const __m128i *)zs[0]), _mm_loadu_si128((const __m128i *)zs[1]) };
    return z;
}

SC_INLINE void zstore(zstate zs, zsec z)
{
    _mm_storeu_si128((__m128i *)zs[0], z.b);
    _mm_storeu_si128((__m128i *)zs[1], z.d);
}

/* Take the new difference d; return SZ. */
SC_INLINE int32_t zupdate(zsec *z, int32_t d)
{
    const __m128i zero = _mm_setzero_si128();
    const __m128i g128 = _mm_setr_epi16(128, 128, 128, 128, 128, 128, 0, 0);
    const __m128i km256 = _mm_set1_epi16(-256);
    __m128i dv = _mm_set1_epi16((int16_t)d);

    /* UPZERO: BL(i) = BL(i)*32640 >> 15 +- 128 (0 when d is 0), + when
     * the signs of d and the old DLT(i) agree; saturating. */
    __m128i differ = _mm_srai_epi16(_mm_xor_si128(z->d, dv), 15);
    __m128i g = _mm_andnot_si128(_mm_cmpeq_epi16(dv, zero), g128);
    __m128i u = _mm_sub_epi16(_mm_xor_si128(g, differ), differ);
    /* BL*32640 >> 15 = BL + floor(-BL/256), exactly, for every 16-bit BL */
    __m128i leak = _mm_add_epi16(z->b, _mm_mulhi_epi16(z->b, km256));
    z->b = _mm_adds_epi16(u, leak);

    /* DELAYA */
    z->d = _mm_insert_epi16(_mm_slli_si128(z->d, 2), d, 0);

    /* FILTEZ: (2 DLT(i)) * BL(i) >> 15, summed with saturation from i = 6
     * down to 1 (lane 5 down to lane 0). */
    __m128i ph = _mm_mulhi_epi16(z->d, z->b), pl = _mm_mullo_epi16(z->d, z->b);
    __m128i w = _mm_or_si128(_mm_slli_epi16(ph, 2), _mm_srli_epi16(pl, 14));
    __m128i acc = _mm_adds_epi16(w, _mm_srli_si128(w, 2));
    acc = _mm_adds_epi16(w, _mm_srli_si128(acc, 2));
    acc = _mm_adds_epi16(w, _mm_srli_si128(acc, 2));
    acc = _mm_adds_epi16(w, _mm_srli_si128(acc, 2));
    acc = _mm_adds_epi16(w, _mm_srli_si128(acc, 2));
    return (int16_t)_mm_cvtsi128_si32(acc);
}
#else
typedef struct { int32_t b[6], d[6]; } zsec;

SC_INLINE zsec zload(const zstate zs)
{
    zsec z;
    for (int i = 0; i < 6; i++) {
        z.b[i] = zs[0][i];
        z.d[i] = zs[1][i];
    }
    return z;
}

SC_INLINE void zstore(zstate zs, zsec z)
{
    for (int i = 0; i < 6; i++) {
        zs[0][i] = (int16_t)z.b[i];
        zs[1][i] = (int16_t)z.d[i];
    }
}

SC_INLINE int32_t zupdate(zsec *z, int32_t d)
{
    int32_t g = d ? 128 : 0;
    for (int i = 0; i < 6; i++) {
        int32_t u = ((d ^ z->d[i]) >= 0) ? g : -g;
        z->b[i] = sat16(u + ((z->b[i] * 32640) >> 15));
    }
    for (int i = 5; i > 0; i--)
        z->d[i] = z->d[i - 1];
    z->d[0] = d;
    int32_t sz = 0;
    for (int i = 5; i >= 0; i--)
        sz = sat16(sz + ((2 * z->d[i] * z->b[i]) >> 15));
    return sz;
}
#endif

/*
 * RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, DELAYA, FILTEZ, FILTEP, PREDIC:
 * the predictor update shared by both bands, encoder and decoder, for the
 * new quantised difference d.  |d| <= 16384 * 20456 >> 15 = 10228, so
 * doubling it never saturates.
 */
/* UPPOL2 and UPPOL1: new AL2, AL1 from the signs of PLT(0..2).  Sign
 * comparisons are masks (0: SG0 == SGi, -1: they differ) and conditional
 * negation is (x ^ m) - m, so no branch depends on data. */
SC_INLINE void uppol(int32_t p0, int32_t p1, int32_t p2, int32_t *a1, int32_t *a2)
{
    int32_t diff1 = (p0 ^ p1) >> 31;
    int32_t diff2 = (p0 ^ p2) >> 31;

    /* UPPOL2.  WD2 = sat(-+sat(4 AL1)) >> 7 equals clamp(-+4 AL1 >> 7)
     * to [-256, 255]: saturation commutes with the floor shift. */
    int32_t same1 = ~diff1;
    int32_t wd2 = clamp((((4 * *a1) ^ same1) - same1) >> 7, -256, 255);
    int32_t apl2 = wd2 + ((128 ^ diff2) - diff2) + ((*a2 * 32512) >> 15);
    apl2 = clamp(apl2, -12288, 12288);

    /* UPPOL1 */
    int32_t apl1 = ((192 ^ diff1) - diff1) + ((*a1 * 32640) >> 15);
    int32_t lim = 15360 - apl2;
    *a1 = clamp(apl1, -lim, lim);
    *a2 = apl2;
}

/* FILTEP and PREDIC: the new SL from AL1, AL2, the doubled reconstructions
 * q0 (new) and q1 (previous), and SZ. */
SC_INLINE int32_t filtep(int32_t a1, int32_t a2, int32_t q0, int32_t q1, int32_t sz)
{
    int32_t sp = sat16(((a1 * q0) >> 15) + ((a2 * q1) >> 15));
    return sat16(sp + sz);
}

/* RECONS doubled for FILTEP: sat(sat(x) + sat(x)) = sat(2x). */
SC_INLINE int32_t recons2(int32_t s, int32_t d)
{
    return sat16(2 * (s + d));
}

/* PARREC, UPPOL2, UPPOL1, FILTEP, PREDIC for difference d and the zero
 * section's new SZ.  PLT is kept unsaturated: only its sign is used and
 * saturation keeps signs. */
SC_INLINE void poles(band *restrict b, int32_t d, int32_t sz)
{
    int32_t p0 = d + b->sz;
    int32_t q0 = recons2(b->s, d);
    uppol(p0, b->p1, b->p2, &b->a1, &b->a2);
    b->p2 = b->p1;
    b->p1 = p0;
    b->sz = sz;
    b->s = filtep(b->a1, b->a2, q0, b->q1, sz);
    b->q1 = q0;
}

/* The whole predictor update: the zero section gives the new SZ, the pole
 * section the new SL. */
SC_INLINE void predict(band *restrict b, zsec *restrict z, int32_t d)
{
    poles(b, d, zupdate(z, d));
}

/* QUANTL: the interval mi (1..30) of the magnitude wd for scale det. */
SC_INLINE int32_t quantl_interval(int32_t wd, int32_t det)
{
#if defined(G722_SIMD)
    const __m128i *q = (const __m128i *)Q6X16;
    __m128i dv = _mm_set1_epi16((int16_t)det);
    __m128i wv = _mm_set1_epi16((int16_t)wd);
    __m128i g0 = _mm_cmpgt_epi16(_mm_mulhi_epu16(q[0], dv), wv);
    __m128i g1 = _mm_cmpgt_epi16(_mm_mulhi_epu16(q[1], dv), wv);
    __m128i g2 = _mm_cmpgt_epi16(_mm_mulhi_epu16(q[2], dv), wv);
    __m128i g3 = _mm_cmpgt_epi16(_mm_mulhi_epu16(q[3], dv), wv);
    __m128i zero = _mm_setzero_si128();
    /* lanes of -1 per level above wd; count them */
    __m128i n = _mm_sub_epi16(zero, _mm_add_epi16(_mm_add_epi16(g0, g1), _mm_add_epi16(g2, g3)));
    __m128i s = _mm_sad_epu8(n, zero);
    int32_t above = _mm_cvtsi128_si32(s) + _mm_extract_epi16(s, 4);
    return 30 - above;
#else
    int32_t above = 0;
    for (int m = 0; m < 29; m++)
        above += (((int32_t)Q6X16[m] * det) >> 16) > wd;
    return 30 - above;
#endif
}

/* ------------------------------------------------------------------- QMF */

#if defined(G722_KERNELS)
/* The coefficients as pairs (coef[2k], coef[2k+1]) for pmaddwd (the SIMD
 * QMF is with the kernels below). */
#define PAIR(a, b) { a, b, a, b, a, b, a, b }
_Alignas(16) static const int16_t QMF_E2[6][8] = {
    PAIR(3, -11), PAIR(12, 32), PAIR(-210, 951), PAIR(3876, -805), PAIR(362, -156), PAIR(53, -11)
};
_Alignas(16) static const int16_t QMF_R2[6][8] = {
    PAIR(-11, 53), PAIR(-156, 362), PAIR(-805, 3876), PAIR(951, -210), PAIR(32, 12), PAIR(-11, 3)
};
#undef PAIR
#endif
#if !defined(G722_SIMD)
/* acc[t] = sum_j coef[j] * x[t + j], t < m: one 12-tap polyphase half. */
SC_INLINE void fir12(const int16_t *restrict x, const int16_t *restrict coef,
                     int32_t *restrict acc, int m)
{
    for (int t = 0; t < m; t++)
        acc[t] = coef[0] * x[t];
    for (int j = 1; j < TAPS; j++) {
        int32_t c = coef[j];
        for (int t = 0; t < m; t++)
            acc[t] += c * x[t + j];
    }
}
#endif

/* ------------------------------------------------------------ sub-bands */

/* SUBTRA, QUANTL: the lower-band code IL of sample xl. */
SC_INLINE int32_t code_low(const band *b, int32_t xl)
{
    int32_t el = sat16(xl - b->s);
    int32_t neg = el >> 31;                         /* 0 or -1 */
    int32_t mi = quantl_interval(el ^ neg, b->det); /* magnitude ~el when negative */
    return IL_CODE[neg + 1][mi];
}

/* SUBTRA, QUANTH: the higher-band code IH of sample xh. */
SC_INLINE int32_t code_high(const band *b, int32_t xh)
{
    int32_t eh = sat16(xh - b->s);
    int32_t neg = eh >> 31;
    int32_t big = (eh ^ neg) >= ((564 * b->det) >> 12);
    return ((neg + 1) << 1) | (big ^ 1);
}

/* INVQAL, LOGSCL, SCALEL and the predictor, for lower-band code il. */
SC_INLINE void adapt_low(band *restrict b, zsec *restrict z, int32_t il)
{
    qw_t lq = LOW4[il >> 2];
    int32_t dl = (b->det * lq.q) >> 15;
    b->nb = clamp(((b->nb * 127) >> 7) + lq.w, 0, 18432);
    b->det = DET_LOW[b->nb >> 6];
    predict(b, z, dl);
}

/* INVQAH, LOGSCH, SCALEH and the predictor, for higher-band code ih. */
SC_INLINE void adapt_high(band *restrict b, zsec *restrict z, int32_t ih)
{
    qw_t hq = HIGH2[ih];
    int32_t dh = (b->det * hq.q) >> 15;
    b->nb = clamp(((b->nb * 127) >> 7) + hq.w, 0, 22528);
    b->det = DET_HIGH[b->nb >> 6];
    predict(b, z, dh);
}

/* --------------------------------------------------------- SIMD kernels */

#if defined(G722_KERNELS)
/*
 * The quantisers of the SIMD encoder as table rows, built by the compiler
 * from the same scale factors as DET_LOW and DET_HIGH.  For each row, a
 * magnitude WD "reaches" lane j when WD > t[j]; the quantised difference
 * is the sum of the steps of the lanes reached, dp[] for E >= 0 and
 * dp[] ^ dx[] for E < 0.
 *
 * LOW_ROWS (by NBL >> 6): t = the levels where IL >> 2 changes,
 * (Q6(m) * DETL) >> 12 for m = 2, 6, ..., 26, minus 1, then a level never
 * reached; the steps go from one INVQAL difference to the next, D(k) =
 * (DETL * +-Q(k)) >> 15 for the magnitudes Q(k) = 0, 1200, 2584, 4240,
 * 6288, 8968, 12896, 20456 of LOW4; det = DETL, for the 6-bit interval.
 *
 * HIGH_ROWS (by NBH >> 6): lane 0 always reached with INVQAH's smaller
 * difference (DETH * +-1616) >> 15, lane 1 at (564 * DETH) >> 12 with the
 * step to the larger one, (DETH * +-7408) >> 15.
 */
typedef struct { int16_t t[8], dp[8], dx[8], det[8]; } low_row;
typedef struct { int16_t t[4], dp[4], dx[4], pad[4]; } high_row;

#define QD(det, q) (((det) * (q)) >> 15)
#define QN(det, q) ((-(det) * (q)) >> 15)
#define STEP_P(det, a, b) (QD(det, b) - QD(det, a))
#define STEP_X(det, a, b) (STEP_P(det, a, b) ^ (QN(det, b) - QN(det, a)))
#define LEVEL(det, q6) ((((q6) * (det)) >> 12) - 1)
#define LOW_ROW(det) {                                                        \
    { LEVEL(det, 72), LEVEL(det, 233), LEVEL(det, 422), LEVEL(det, 650),      \
      LEVEL(det, 940), LEVEL(det, 1339), LEVEL(det, 1980), 32767 },           \
    { STEP_P(det, 0, 1200), STEP_P(det, 1200, 2584), STEP_P(det, 2584, 4240), \
      STEP_P(det, 4240, 6288), STEP_P(det, 6288, 8968),                       \
      STEP_P(det, 8968, 12896), STEP_P(det, 12896, 20456), 0 },               \
    { STEP_X(det, 0, 1200), STEP_X(det, 1200, 2584), STEP_X(det, 2584, 4240), \
      STEP_X(det, 4240, 6288), STEP_X(det, 6288, 8968),                       \
      STEP_X(det, 8968, 12896), STEP_X(det, 12896, 20456), 0 },               \
    { det, det, det, det, det, det, det, det } },
#define HIGH_ROW(det) {                                                       \
    { -1, ((564 * (det)) >> 12) - 1, 32767, 32767 },                          \
    { QD(det, 1616), STEP_P(det, 1616, 7408), 0, 0 },                         \
    { QD(det, 1616) ^ QN(det, 1616), STEP_X(det, 1616, 7408), 0, 0 },         \
    { 0, 0, 0, 0 } },
_Alignas(64) static const low_row LOW_ROWS[289] = { DET_LOW_LIST(LOW_ROW) };
_Alignas(32) static const high_row HIGH_ROWS[353] = { DET_HIGH_LIST(HIGH_ROW) };
#undef QD
#undef QN
#undef STEP_P
#undef STEP_X
#undef LEVEL
#undef LOW_ROW
#undef HIGH_ROW

/* QUANTL's 6-bit interval within class k (IL >> 2 folded to 0..7): the
 * three finer levels Q6(4k - 1), Q6(4k), Q6(4k + 1) (Q6(-1) = Q6(0) = 0),
 * times 16 for an unsigned high multiply by DETL. */
_Alignas(16) static const uint16_t FINE_Q6[8][8] = {
    { 0, 0, 35 * 16 }, { 110 * 16, 150 * 16, 190 * 16 }, { 276 * 16, 323 * 16, 370 * 16 },
    { 473 * 16, 530 * 16, 587 * 16 }, { 714 * 16, 786 * 16, 858 * 16 },
    { 1023 * 16, 1121 * 16, 1219 * 16 }, { 1458 * 16, 1612 * 16, 1765 * 16 },
    { 2195 * 16, 2557 * 16, 2919 * 16 }
};

/* QUANTL's code IL by sign of EL (E >= 0 first) and interval mi, flat */
static const uint8_t IL_BY_SIGN[64] = {
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
    46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0,
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
    18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0
};

/* LOGSCL's W per class k */
static const int16_t CLASS_W[8] = { -60, -30, 58, 172, 334, 538, 1198, 3042 };

/* The kernels: on x86 SSE2 always, AVX2 where the compiler can target it;
 * NEON on aarch64 */
#if defined(G722_SIMD)
#define G722_KERNEL 1
#include "g722_kernel.h"
#undef G722_KERNEL
#endif

#if defined(G722_AVX2)
#define G722_KERNEL 2
#include "g722_kernel.h"
#undef G722_KERNEL
#endif

#if defined(G722_NEON)
#define G722_KERNEL 3
#include "g722_kernel.h"
#undef G722_KERNEL
#endif

/* The installed kernels (sc_g722_select). */
typedef struct {
    void (*transmit_qmf)(const int16_t *, const int16_t *, int, uint32_t *);
    void (*encode_adpcm)(sc_g722_encoder *restrict, const uint32_t *restrict, int,
                         uint8_t *restrict);
    void (*receive_qmf)(const int16_t *, const int16_t *, int, int16_t *);
    void (*decode_adpcm)(sc_g722_decoder *restrict, const uint8_t *restrict,
                         const int16_t *restrict, int, int16_t *restrict, int16_t *restrict);
} g722_kernels;
#if defined(G722_SIMD)
static g722_kernels g722_k = { transmit_qmf_sse2, encode_adpcm_sse2, receive_qmf_sse2,
                               decode_adpcm_sse2 };
/* x86's baseline is a kernel too */
#define G722_KERNELS_ON 1
#else
/* aarch64's baseline installs none: the scalar blocks run */
static g722_kernels g722_k;
#define G722_KERNELS_ON (g722_k.encode_adpcm != NULL)
#endif
#endif

int sc_g722_select(int level)
{
#if defined(G722_AVX2)
    if (level >= SC_CPU_AVX2) {
        g722_k.transmit_qmf = transmit_qmf_avx2;
        g722_k.encode_adpcm = encode_adpcm_avx2;
        g722_k.receive_qmf = receive_qmf_avx2;
        g722_k.decode_adpcm = decode_adpcm_avx2;
        return SC_CPU_AVX2;
    }
#endif
#if defined(G722_NEON)
    if (level >= SC_CPU_NEON) {
        g722_k.transmit_qmf = transmit_qmf_neon;
        g722_k.encode_adpcm = encode_adpcm_neon;
        g722_k.receive_qmf = receive_qmf_neon;
        g722_k.decode_adpcm = decode_adpcm_neon;
        return SC_CPU_NEON;
    }
    g722_k.transmit_qmf = NULL;
    g722_k.encode_adpcm = NULL;
    g722_k.receive_qmf = NULL;
    g722_k.decode_adpcm = NULL;
#endif
#if defined(G722_SIMD)
    g722_k.transmit_qmf = transmit_qmf_sse2;
    g722_k.encode_adpcm = encode_adpcm_sse2;
    g722_k.receive_qmf = receive_qmf_sse2;
    g722_k.decode_adpcm = decode_adpcm_sse2;
#endif
    (void)level;
    return SC_CPU_BASELINE;
}

/* ---------------------------------------------------------------- encoder */

size_t sc_g722_encoder_get_size(void) { return sizeof(sc_g722_encoder); }

int sc_g722_encoder_init(sc_g722_encoder *st)
{
    memset(st, 0, sizeof *st);
    band_reset(&st->lo, 32);
    band_reset(&st->hi, 8);
    return SC_OK;
}

/* Encode m <= CHUNK pairs. */
static void encode_chunk(sc_g722_encoder *restrict st, const int16_t *restrict pcm,
                         int m, uint8_t *restrict out)
{
    int16_t x1[HIST + CHUNK + QPAD], x2[HIST + CHUNK + QPAD];

    memcpy(x1, st->x1, sizeof st->x1);
    memcpy(x2, st->x2, sizeof st->x2);
    for (int t = 0; t < m; t++) {
        x1[HIST + t] = pcm[2 * t];
        x2[HIST + t] = pcm[2 * t + 1];
    }
    memcpy(st->x1, x1 + m, sizeof st->x1);
    memcpy(st->x2, x2 + m, sizeof st->x2);

    /* Transmit QMF: xA over the second samples, xB over the first. */
    memset(x1 + HIST + m, 0, QPAD * sizeof *x1);
    memset(x2 + HIST + m, 0, QPAD * sizeof *x2);
#if defined(G722_KERNELS)
    if (G722_KERNELS_ON) {
        uint32_t xx[CHUNK + 16]; /* XL in the low 16 bits, XH in the high */
        g722_k.transmit_qmf(x1, x2, m, xx);
        g722_k.encode_adpcm(st, xx, m, out);
        return;
    }
#endif
#if !defined(G722_SIMD)
    int32_t a[CHUNK], b[CHUNK];
    fir12(x2, QMF_R, a, m);
    fir12(x1, QMF_E, b, m);
    int16_t xl[CHUNK], xh[CHUNK];
    for (int t = 0; t < m; t++) {
        xl[t] = (int16_t)clamp((a[t] + b[t]) >> 14, -16384, 16383);
        xh[t] = (int16_t)clamp((a[t] - b[t]) >> 14, -16384, 16383);
    }

    /* Both bands in one loop: the lower band's recursion (through the
     * quantiser) is the longer chain, the higher band fills its gaps. */
    band lo = st->lo, hi = st->hi;
    zsec zl = zload(st->zlo), zh = zload(st->zhi);
    for (int t = 0; t < m; t++) {
        /* Lower band: SUBTRA, QUANTL, then INVQAL, LOGSCL, SCALEL from one
         * look-up, and the predictor */
        int32_t el = sat16(xl[t] - lo.s);
        int32_t neg = el >> 31;
        const lenc_t *e = &LOW_ENC[neg + 1][quantl_interval(el ^ neg, lo.det)];
        int32_t dl = (lo.det * e->q) >> 15;
        lo.nb = clamp(((lo.nb * 127) >> 7) + e->w, 0, 18432);
        lo.det = DET_LOW[lo.nb >> 6];
        predict(&lo, &zl, dl);

        int32_t ih = code_high(&hi, xh[t]);
        adapt_high(&hi, &zh, ih);
        out[t] = (uint8_t)((ih << 6) | e->il);
    }
    zstore(st->zlo, zl);
    zstore(st->zhi, zh);
    st->lo = lo;
    st->hi = hi;
#endif
}

int64_t sc_g722_encode(sc_g722_encoder *st, const int16_t *pcm, size_t n,
                       uint8_t *out, size_t cap)
{
    if (n % 2)
        return SC_EARG;
    size_t pairs = n / 2;
    if (pairs > cap)
        return SC_EBUFFER;
    for (size_t done = 0; done < pairs; done += CHUNK) {
        int m = (int)(pairs - done < CHUNK ? pairs - done : CHUNK);
        encode_chunk(st, pcm + 2 * done, m, out + done);
    }
    return (int64_t)pairs;
}

/* ---------------------------------------------------------------- decoder */

size_t sc_g722_decoder_get_size(void) { return sizeof(sc_g722_decoder); }

int sc_g722_decoder_init(sc_g722_decoder *st, int32_t bitrate)
{
    int32_t mode;
    switch (bitrate) {
    case 64000: mode = 0; break;
    case 56000: mode = 1; break;
    case 48000: mode = 2; break;
    default: return SC_EARG;
    }
    memset(st, 0, sizeof *st);
    band_reset(&st->lo, 32);
    band_reset(&st->hi, 8);
    st->mode = mode;
    st->lag = MIN_LAG;
    return SC_OK;
}

/* INVQBL, RECONS, LIMIT (lower band, output table dq) and INVQAH, RECONS,
 * LIMIT (higher band) for one code byte, then both bands' adaptation. */
static void decode_pair(sc_g722_decoder *st, const int16_t *restrict dq,
                        int32_t code, int32_t *yl, int32_t *yh)
{
    band *lo = &st->lo, *hi = &st->hi;
    int32_t il = code & 63, ih = code >> 6;
    *yl = clamp(lo->s + ((lo->det * dq[il]) >> 15), -16384, 16383);
    *yh = clamp(hi->s + ((hi->det * HIGH2[ih].q) >> 15), -16384, 16383);
    zsec zl = zload(st->zlo), zh = zload(st->zhi);
    adapt_low(lo, &zl, il);
    adapt_high(hi, &zh, ih);
    zstore(st->zlo, zl);
    zstore(st->zhi, zh);
}

/* Receive QMF over m pairs whose RL - RH and RL + RH follow the history in
 * dif[] and sum[]; writes 2m samples and keeps the new history. */
static void receive_qmf(sc_g722_decoder *restrict st, int16_t *restrict dif,
                        int16_t *restrict sum, int m, int16_t *restrict out)
{
    memset(dif + HIST + m, 0, QPAD * sizeof *dif);
    memset(sum + HIST + m, 0, QPAD * sizeof *sum);
#if defined(G722_KERNELS)
    if (G722_KERNELS_ON)
        g722_k.receive_qmf(dif, sum, m, out);
    else
#endif
    {
#if !defined(G722_SIMD)
        int32_t a[CHUNK], b[CHUNK];
        fir12(dif, QMF_R, a, m);
        fir12(sum, QMF_E, b, m);
        for (int t = 0; t < m; t++) {
            out[2 * t] = (int16_t)sat16(a[t] >> 11);
            out[2 * t + 1] = (int16_t)sat16(b[t] >> 11);
        }
#endif
    }
    memcpy(st->dif, dif + m, sizeof st->dif);
    memcpy(st->sum, sum + m, sizeof st->sum);
}

/* Keep the last LHIST lower-band outputs for concealment. */
static void remember(sc_g722_decoder *restrict st, const int16_t *restrict yl, int m)
{
    if (m >= LHIST) {
        memcpy(st->lhist, yl + m - LHIST, sizeof st->lhist);
    } else {
        memmove(st->lhist, st->lhist + m, (size_t)(LHIST - m) * sizeof *yl);
        memcpy(st->lhist + LHIST - m, yl, (size_t)m * sizeof *yl);
    }
}

/* Both bands in one loop: two independent recursions side by side. */
static void decode_chunk(sc_g722_decoder *restrict st, const uint8_t *restrict codes,
                         int m, int16_t *restrict out)
{
    int16_t dif[HIST + CHUNK + QPAD], sum[HIST + CHUNK + QPAD], yls[CHUNK], yhs[CHUNK];
    const int16_t *dq = INVQBL[st->mode];

#if defined(G722_KERNELS)
    if (G722_KERNELS_ON)
        g722_k.decode_adpcm(st, codes, dq, m, yls, yhs);
    else
#endif
    {
#if !defined(G722_SIMD)
        band lo = st->lo, hi = st->hi;
        zsec zl = zload(st->zlo), zh = zload(st->zhi);
        for (int t = 0; t < m; t++) {
            int32_t il = codes[t] & 63, ih = codes[t] >> 6;
            /* INVQBL / INVQAH, RECONS, LIMIT, then the adaptation */
            yls[t] = (int16_t)clamp(lo.s + ((lo.det * dq[il]) >> 15), -16384, 16383);
            yhs[t] = (int16_t)clamp(hi.s + ((hi.det * HIGH2[ih].q) >> 15), -16384, 16383);
            adapt_low(&lo, &zl, il);
            adapt_high(&hi, &zh, ih);
        }
        zstore(st->zlo, zl);
        zstore(st->zhi, zh);
        st->lo = lo;
        st->hi = hi;
#endif
    }

    memcpy(dif, st->dif, sizeof st->dif);
    memcpy(sum, st->sum, sizeof st->sum);
    for (int t = 0; t < m; t++) {
        dif[HIST + t] = (int16_t)(yls[t] - yhs[t]);
        sum[HIST + t] = (int16_t)(yls[t] + yhs[t]);
    }
    receive_qmf(st, dif, sum, m, out);
    remember(st, yls, m);
}

int64_t sc_g722_decode(sc_g722_decoder *st, const uint8_t *codes, size_t n,
                       int16_t *out, size_t cap)
{
    if (n > cap / 2)
        return SC_EBUFFER;
    for (size_t done = 0; done < n; done += CHUNK) {
        int m = (int)(n - done < CHUNK ? n - done : CHUNK);
        decode_chunk(st, codes + done, m, out + 2 * done);
    }
    if (n)
        st->lost = 0;
    return 2 * (int64_t)n;
}

/* ------------------------------------------------------------ concealment */

/* Choose the pitch lag of the lower-band history by normalised
 * autocorrelation and copy the last period. */
static void start_loss(sc_g722_decoder *st)
{
    const int16_t *h = st->lhist;
    const int16_t *cur = h + LHIST - CORR_LEN;
    int64_t e0 = 0;
    for (int i = 0; i < CORR_LEN; i++)
        e0 += (int32_t)cur[i] * cur[i];
    int best = MAX_LAG;
    double best_score = -2.0;
    if (e0 > 0) {
        for (int lag = MIN_LAG; lag <= MAX_LAG; lag++) {
            const int16_t *past = cur - lag;
            int64_t c = 0, e = 0;
            for (int i = 0; i < CORR_LEN; i++) {
                c += (int32_t)cur[i] * past[i];
                e += (int32_t)past[i] * past[i];
            }
            double score = e > 0 ? (double)c / __builtin_sqrt((double)e * (double)e0) : -1.0;
            if (score > best_score + 1e-9) {
                best_score = score;
                best = lag;
            }
        }
    }
    st->lag = best;
    memcpy(st->period, h + LHIST - best, (size_t)best * sizeof *h);
    st->pos = 0;
}

/* Gain of concealed pair number k of a loss, in Q15. */
SC_INLINE int32_t conceal_gain(int32_t k)
{
    if (k < HOLD)
        return 32768;
    if (k >= HOLD + FADE)
        return 0;
    return (int32_t)(((int64_t)(HOLD + FADE - k) << 15) / FADE);
}

int64_t sc_g722_conceal(sc_g722_decoder *st, size_t n, int16_t *out, size_t cap)
{
    if (n % 2)
        return SC_EARG;
    if (n > cap)
        return SC_EBUFFER;
    size_t pairs = n / 2;
    const int16_t *dq = INVQBL[st->mode];
    int16_t dif[HIST + CHUNK + QPAD], sum[HIST + CHUNK + QPAD], yls[CHUNK];

    for (size_t done = 0; done < pairs; done += CHUNK) {
        int m = (int)(pairs - done < CHUNK ? pairs - done : CHUNK);
        memcpy(dif, st->dif, sizeof st->dif);
        memcpy(sum, st->sum, sizeof st->sum);
        for (int t = 0; t < m; t++) {
            if (st->lost == 0)
                start_loss(st);
            int32_t g = conceal_gain(st->lost);
            int32_t xl = (int32_t)(((int64_t)st->period[st->pos] * g) >> 15);
            st->pos = st->pos + 1 == st->lag ? 0 : st->pos + 1;
            if (st->lost < HOLD + FADE)
                st->lost++;
            else
                st->lost = HOLD + FADE; /* stays silent; never wraps to 0 */

            /* Code the target through the decoder's own state: the lower
             * band towards xl, the higher band towards silence. */
            int32_t code = (code_high(&st->hi, 0) << 6) | code_low(&st->lo, xl);
            int32_t yl, yh;
            decode_pair(st, dq, code, &yl, &yh);
            yls[t] = (int16_t)yl;
            dif[HIST + t] = (int16_t)(yl - yh);
            sum[HIST + t] = (int16_t)(yl + yh);
        }
        receive_qmf(st, dif, sum, m, out + 2 * done);
        remember(st, yls, m);
    }
    return (int64_t)n;
}

/* -------------------------------------------------------- sc_codec_ops */

static size_t ops_dec_size(const sc_params *p) { (void)p; return sizeof(sc_g722_decoder); }
static size_t ops_enc_size(const sc_params *p) { (void)p; return sizeof(sc_g722_encoder); }

/* bitrate 0 (default) or 64000: 64 kbit/s; 56000 and 48000 decode the
 * lower-rate modes; anything else is an argument error. */
static int ops_dec_init(void *st, const sc_params *p)
{
    return sc_g722_decoder_init(st, p->bitrate ? p->bitrate : 64000);
}

static int ops_enc_init(void *st, const sc_params *p)
{
    if (p->bitrate != 0 && p->bitrate != 64000)
        return SC_EARG;
    return sc_g722_encoder_init(st);
}

static int64_t ops_dec_bound(const void *st, const uint8_t *payload, size_t len)
{
    (void)st;
    (void)payload;
    return 2 * (int64_t)len;
}

static int64_t ops_decode(void *st, const uint8_t *payload, size_t len, int16_t *out, size_t cap)
{
    return sc_g722_decode(st, payload, len, out, cap);
}

static int64_t ops_conceal(void *st, size_t n, int16_t *out, size_t cap)
{
    return sc_g722_conceal(st, n, out, cap);
}

static int32_t ops_enc_frame(const void *st) { (void)st; return 2; }

static int64_t ops_enc_bound(const void *st, size_t n) { (void)st; return (int64_t)(n / 2); }

static int64_t ops_encode(void *st, const int16_t *pcm, size_t n, uint8_t *out, size_t cap)
{
    return sc_g722_encode(st, pcm, n, out, cap);
}

const sc_codec_ops sc_g722_ops = {
    .info = { .native_rate = 16000, .rtp_clock = 8000, .frame_ms10 = 200, .available = 1 },
    .unit_bytes = 1, .unit_samples = 2,
    .choose_rate = NULL,
    .dec_size = ops_dec_size, .dec_init = ops_dec_init, .dec_free = NULL,
    .dec_bound = ops_dec_bound, .decode = ops_decode, .conceal = ops_conceal,
    .enc_size = ops_enc_size, .enc_init = ops_enc_init, .enc_free = NULL,
    .enc_frame = ops_enc_frame, .enc_bound = ops_enc_bound, .encode = ops_encode,
};
