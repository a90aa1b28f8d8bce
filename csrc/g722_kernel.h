/*
 * G.722 ADPCM kernels for x86 SIMD, included by g722.c once per instruction
 * set (no include guard; without G722_KERNEL defined, as when the cffi
 * build includes every header, it is empty).  The includer defines:
 *
 *   V             a vector of 16 int16 lanes: lanes 0..7 (the "low half")
 *                 hold the lower band, lanes 8..15 the higher band
 *   K(name)       the name with the instruction set's suffix
 *   KINLINE       attributes of the inlined helpers (always inline, target)
 *   KFUNC         attributes of the kernels (static, target)
 *   V_*           the operations used below, each acting on both halves
 *                 alike (byte shifts and shuffles stay within a half)
 *
 * Layout: a band's scalars (SL, SZL, AL1, ...) are kept in every lane of
 * its half, so that the pole section, the quantisers and the comparisons
 * run as plain lane-wise operations on both bands at once; a band's zero
 * section (BL(1..6), DLT(1..6)) lies in lanes 0..5 of its half, lanes 6
 * and 7 of BL staying 0.
 *
 * Every operation is the Recommendation's arithmetic, exactly: see the
 * scalar blocks in g722.c (uppol, poles, zupdate) for the forms used.
 */
#if defined(G722_KERNEL)

typedef struct {
    V s, sz;     /* SL, SZL */
    V a1, a2;    /* AL1, AL2 */
    V ps1, ps2;  /* signs of PLT(1), PLT(2): -1 negative, 0 not */
    V q1;        /* sat(RLT(1) + RLT(1)) */
    V zb, zd;    /* BL(1..6), DLT(1..6) */
} K(pstate);

KINLINE K(pstate) K(pload)(const band *lo, const band *hi, const zstate zlo,
                                const zstate zhi)
{
    K(pstate) p;
    p.s = V_PAIR(lo->s, hi->s);
    p.sz = V_PAIR(lo->sz, hi->sz);
    p.a1 = V_PAIR(lo->a1, hi->a1);
    p.a2 = V_PAIR(lo->a2, hi->a2);
    p.ps1 = V_PAIR(lo->p1 >> 31, hi->p1 >> 31);
    p.ps2 = V_PAIR(lo->p2 >> 31, hi->p2 >> 31);
    p.q1 = V_PAIR(lo->q1, hi->q1);
    p.zb = V_HALVES(_mm_loadu_si128((const __m128i *)zlo[0]),
                    _mm_loadu_si128((const __m128i *)zhi[0]));
    p.zd = V_HALVES(_mm_loadu_si128((const __m128i *)zlo[1]),
                    _mm_loadu_si128((const __m128i *)zhi[1]));
    return p;
}

KINLINE void K(pstore)(const K(pstate) *p, band *lo, band *hi, zstate zlo, zstate zhi)
{
    lo->s = V_LANE0(p->s);    hi->s = V_LANE8(p->s);
    lo->sz = V_LANE0(p->sz);  hi->sz = V_LANE8(p->sz);
    lo->a1 = V_LANE0(p->a1);  hi->a1 = V_LANE8(p->a1);
    lo->a2 = V_LANE0(p->a2);  hi->a2 = V_LANE8(p->a2);
    lo->p1 = V_LANE0(p->ps1); hi->p1 = V_LANE8(p->ps1);
    lo->p2 = V_LANE0(p->ps2); hi->p2 = V_LANE8(p->ps2);
    lo->q1 = V_LANE0(p->q1);  hi->q1 = V_LANE8(p->q1);
    _mm_storeu_si128((__m128i *)zlo[0], V_LOW(p->zb));
    _mm_storeu_si128((__m128i *)zhi[0], V_HIGH(p->zb));
    _mm_storeu_si128((__m128i *)zlo[1], V_LOW(p->zd));
    _mm_storeu_si128((__m128i *)zhi[1], V_HIGH(p->zd));
}

/* The predictor update of both bands for the new differences d (in every
 * lane of each half): UPZERO, DELAYA, FILTEZ, then PARREC, UPPOL2, UPPOL1,
 * RECONS, FILTEP, PREDIC. */
KINLINE void K(predict)(K(pstate) *p, V d)
{
    const V zero = V_ZERO();

    /* UPZERO: BL(i) = BL(i) + floor(-BL(i) / 256) +- 128 (+ when the signs
     * of d and DLT(i) agree, 0 when d is 0); the sum never saturates */
    V differ = V_SRAI(V_XOR(p->zd, d), 15);
    V g = V_ANDN(V_CMPEQ(d, zero), V_SETR6(128));
    V u = V_SUB(V_XOR(g, differ), differ);
    V b = V_ADDS(V_ADD(p->zb, V_MULHI(p->zb, V_SET1(-256))), u);
    /* DELAYA */
    V dl = V_OR(V_BSLLI(p->zd, 2), V_AND(d, V_SETR1(-1)));
    /* FILTEZ: (2 DLT(i)) * BL(i) >> 15 in lane i - 1, summed with
     * saturation from i = 6 down to 1, the sum then in every lane */
    V w = V_OR(V_SLLI(V_MULHI(dl, b), 2), V_SRLI(V_MULLO(dl, b), 14));
    V acc = V_ADDS(w, V_BSRLI(w, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    acc = V_ADDS(w, V_BSRLI(acc, 2));
    V sz = V_SHUF32(V_SHUFLO(acc, 0x00), 0x00);
    p->zb = b;
    p->zd = dl;

    /* PARREC: only the sign of PLT is used, and saturation keeps it */
    V ps0 = V_SRAI(V_ADDS(d, p->sz), 15);
    V same1 = V_CMPEQ(ps0, p->ps1);
    V same2 = V_CMPEQ(ps0, p->ps2);
    /* UPPOL2: WD2 = sat(-+sat(4 AL1)) >> 7 (minus when SG0 = SG1),
     * WD3 = +-128, AL2 * 32512 >> 15 = AL2 + (-AL2 >> 7) */
    V a1x2 = V_ADDS(p->a1, p->a1);
    V wd1 = V_ADDS(a1x2, a1x2);
    V wd2 = V_SRAI(V_SUBS(V_XOR(wd1, same1), same1), 7);
    V wd3 = V_ADD(V_AND(same2, V_SET1(256)), V_SET1(-128));
    V a2x = V_ADD(p->a2, V_SRAI(V_SUB(zero, p->a2), 7));
    V a2 = V_ADDS(V_ADDS(wd2, wd3), a2x);
    a2 = V_MIN(V_MAX(a2, V_SET1(-12288)), V_SET1(12288));
    /* UPPOL1: +-192 + AL1 * 32640 >> 15, limited to +-sat(15360 - AL2) */
    V w192 = V_ADD(V_AND(same1, V_SET1(384)), V_SET1(-192));
    V a1x = V_ADD(p->a1, V_SRAI(V_SUB(zero, p->a1), 8));
    V lim = V_SUBS(V_SET1(15360), a2);
    V a1 = V_MAX(V_MIN(V_ADDS(w192, a1x), lim), V_SUB(zero, lim));
    /* RECONS (doubled for FILTEP), FILTEP, PREDIC.  AL1 * RLT2 >> 15 from
     * the high and low halves of the product; |AL2| <= 12288, so
     * AL2 * RLT2 >> 15 is the high half of (2 AL2) * RLT2. */
    V r = V_ADDS(p->s, d);
    V q0 = V_ADDS(r, r);
    V m1 = V_OR(V_SLLI(V_MULHI(a1, q0), 1), V_SRLI(V_MULLO(a1, q0), 15));
    V m2 = V_MULHI(V_ADD(a2, a2), p->q1);
    p->s = V_ADDS(V_ADDS(m1, m2), sz);
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
        const low_row *rl = &LOW_ROWS[nbl >> 6];
        const high_row *rh = &HIGH_ROWS[nbh >> 6];

        /* SUBTRA, saturated (which changes no decision: every level is
         * below 32767), and the magnitude WD = E or -E - 1 */
        V e = V_SUBS(V_XX(&xx[t]), p.s);
        V neg = V_SRAI(e, 15);
        V wd = V_XOR(e, neg);

        /* QUANTL/QUANTH's decisions, INVQAL/INVQAH's differences */
        V at = V_CMPGT(wd, V_ROWS(rl->t, rh->t));
        V v = V_AND(at, V_XOR(V_ROWS(rl->dp, rh->dp), V_AND(V_ROWS(rl->dx, rh->dx), neg)));
        v = V_ADD(v, V_SHUF32(v, 0x4E));
        v = V_ADD(v, V_SHUF32(v, 0xB1));
        v = V_ADD(v, V_SHUFHI(V_SHUFLO(v, 0xB1), 0xB1));
        K(predict)(&p, v);

        /* The codes.  k: IL >> 2 folded to 0..7, the levels the lower
         * band's WD reaches; its 6-bit interval mi = 4k - 1 + the number
         * of the three finer levels of class k that WD reaches. */
        uint32_t reach = V_MASK(at), negs = V_MASK(neg);
        uint32_t k = (uint32_t)__builtin_ctz(~reach) >> 1;
        uint32_t big = reach >> 18 & 1;
        __m128i fine = _mm_mulhi_epu16(_mm_load_si128((const __m128i *)rl->det),
                                       _mm_load_si128((const __m128i *)FINE_Q6[k]));
        uint32_t above = (uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi16(fine, V_LOW(wd)));
        uint32_t mi = 4 * k - 1 + ((uint32_t)__builtin_ctz(above | 0x40) >> 1);
        uint32_t il = IL_CODE[(negs & 1) ^ 1][mi];
        uint32_t ih = (((negs >> 16 & 1) ^ 1) << 1) | (big ^ 1);
        out[t] = (uint8_t)(ih << 6 | il);

        /* LOGSCL, LOGSCH (SCALEL, SCALEH are the rows' look-up) */
        nbl = (uint32_t)clamp((int32_t)((nbl * 127) >> 7) + CLASS_W[k], 0, 18432);
        nbh = (uint32_t)clamp((int32_t)((nbh * 127) >> 7) - 214 + (int32_t)(-big & (798 + 214)),
                              0, 22528);
    }
    K(pstore)(&p, &st->lo, &st->hi, st->zlo, st->zhi);
    st->lo.nb = (int32_t)nbl;
    st->lo.det = DET_LOW[nbl >> 6];
    st->hi.nb = (int32_t)nbh;
    st->hi.det = DET_HIGH[nbh >> 6];
}

/*
 * Decoder: dd[t][0] holds the predictors' differences of pair t (DLT in
 * the low 16 bits, DH in the high), dd[t][1] the output differences (the
 * lower band's from the mode's INVQBL, DH).  Writes YL and YH.
 */
KFUNC void K(decode_adpcm)(sc_g722_decoder *restrict st, const uint32_t (*restrict dd)[2],
                                  int m, int16_t *restrict yl, int16_t *restrict yh)
{
    K(pstate) p = K(pload)(&st->lo, &st->hi, st->zlo, st->zhi);
    for (int t = 0; t < m; t++) {
        /* RECONS and LIMIT of the outputs, then the adaptation */
        V y = V_MIN(V_MAX(V_ADDS(p.s, V_XX(&dd[t][1])), V_SET1(-16384)), V_SET1(16383));
        yl[t] = V_LANE0(y);
        yh[t] = V_LANE8(y);
        K(predict)(&p, V_XX(&dd[t][0]));
    }
    K(pstore)(&p, &st->lo, &st->hi, st->zlo, st->zhi);
}
#endif
