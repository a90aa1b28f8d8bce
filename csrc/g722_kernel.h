/*
 * G.722 ADPCM kernels for x86 SIMD, included by g722.c once per instruction
 * set (no include guard; without G722_KERNEL defined, as when the cffi
 * build includes every header, it is empty).  The includer defines:
 *
 *   V             a vector of 16 int16 lanes: lanes 0..7 (the "low half")
 *                 hold the lower band, lanes 8..15 the higher band
 *   P             the vector for the bands' scalars (the pole sections):
 *                 V itself, or for SSE2 one 128-bit register, lanes 0..3
 *                 for the lower band and 4..7 for the higher
 *   K(name)       the name with the instruction set's suffix
 *   KINLINE       attributes of the inlined helpers (always inline, target)
 *   KFUNC         attributes of the kernels (static, target)
 *   V_*, P_*      the operations used below, each acting on both halves
 *                 alike (byte shifts and shuffles stay within a half), and
 *                 conversions between V and P
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
    p.zb = V_HALVES(_mm_loadu_si128((const __m128i *)zlo[0]),
                    _mm_loadu_si128((const __m128i *)zhi[0]));
    p.zd = V_HALVES(_mm_loadu_si128((const __m128i *)zlo[1]),
                    _mm_loadu_si128((const __m128i *)zhi[1]));
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
    _mm_storeu_si128((__m128i *)zlo[0], V_LOW(p->zb));
    _mm_storeu_si128((__m128i *)zhi[0], V_HIGH(p->zb));
    _mm_storeu_si128((__m128i *)zlo[1], V_LOW(p->zd));
    _mm_storeu_si128((__m128i *)zhi[1], V_HIGH(p->zd));
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
        /* the rows' addresses in registers, their fields by displacement
         * (instead of an address per field and pair) */
        __asm__("" : "+r"(rl), "+r"(rh));

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
        __m128i fine = _mm_mulhi_epu16(_mm_load_si128((const __m128i *)rl->det),
                                       _mm_load_si128((const __m128i *)FINE_Q6[k2 >> 1]));
        uint32_t above = (uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi16(fine, V_LOW(wd)));
        uint32_t mi = 2 * k2 - 1 + ((uint32_t)__builtin_ctz(above | 0x40) >> 1);
        out[t] = (uint8_t)(IL_BY_SIGN[(negs & 1) << 5 | mi] + 192 - (negs >> 9 & 128) -
                           (reach >> 12 & 64));

        /* LOGSCL, LOGSCH (SCALEL, SCALEH are the rows' look-up) */
        nbl = (uint32_t)clamp((int32_t)((nbl * 127) >> 7) + CLASS_W[k2 >> 1], 0, 18432);
        nbh = (uint32_t)clamp((int32_t)((nbh * 127) >> 7) - 214 + (int32_t)(reach >> 18 & 1) * (798 + 214),
                              0, 22528);
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
#endif
