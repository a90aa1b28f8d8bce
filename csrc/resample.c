/*
 * Polyphase FIR resampler (see resample.h for the contract and presets).
 *
 * Notation.  out/in = L/M after dividing by the gcd.  Conceptually the
 * input is upsampled by L (zeros between samples), filtered by the
 * prototype h[0..2c] at rate in*L, and every M-th sample kept.  Output j
 * is then
 *
 *     y[j] = sum_k h[p_j + k L] x[n_j - k],   n_j = floor(j M / L),
 *                                              p_j = j M mod L,
 *
 * which only reads inputs up to n_j: that is what lets a call emit every
 * output its inputs determine and nothing later.  The delay is c / M
 * output samples (c is chosen a multiple of M).
 *
 * Two engines compute that sum:
 *
 *  - period-major (L, M <= 8, which covers the six 8/16/24 kHz
 *    conversions): write j = L q + s.  For a fixed "class" s the phase and
 *    offset are fixed and consecutive q read inputs M apart, so the input
 *    is kept split into M substreams x_r[t] = x[M t + r]; each class is
 *    then a short list of "runs" (substream r, first offset, coefficients),
 *    each an ordinary FIR over contiguous floats, vectorised across 8 (16
 *    with AVX-512) consecutive q per register, up to 12 registers of
 *    outputs per block.  Zero taps are dropped when the runs are built, so
 *    the half-band (1:2) and third-band (1:3, 2:3) structure is exploited
 *    for free: the class holding the filter centre of an interpolator is a
 *    one-tap copy.  Long runs are computed from a table of shifted
 *    coefficients (aligned loads, one broadcast input per row) rather than
 *    from unaligned input vectors; see pm_kernel.  The symmetry of the
 *    linear-phase filter is not used: pairing x[a] + x[b] before the
 *    multiply trades each FMA for an add, which is no cheaper.
 *  - dot (everything else, e.g. 44100 <-> 48000 with L, M = 160, 147):
 *    per output, a dot product of the phase's (reversed, zero-padded to a
 *    multiple of 8) taps with a contiguous window of the input history.
 *
 * Both compute every output with the same sequence of floating-point
 * operations whatever the chunking (vector lanes are independent and the
 * order of the taps is fixed), so results are bit-identical for any
 * split of the input (of finite samples: float input must be finite, see
 * process()).  The kernels are compiled for each SIMD level of cpu.h
 * (on x86-64: baseline SSE2, AVX2 + FMA, AVX-512) and one set is installed
 * at start-up; at avx512 the period-major one also has a 16-lane form,
 * used by resamplers that ask for it (all do, from init).
 *
 * Per 20 ms chunk at 8/16/24 kHz (160 outputs per class) the C work is
 * 0.15-0.4 us on the development machine, about three quarters of it in
 * the kernel's FMAs; the rest of a Python call is the cffi call and
 * Python itself.  A chunk is computed in one pass: the history is
 * compacted before a chunk that would not fit (see run()).
 */
#include "resample.h"

#include <math.h>
#include <string.h>

#include "cpu.h"

/* Kernels are written once, as always-inline bodies, and compiled per SIMD
 * level of cpu.h by the wrappers near the end of this file; sc_cpu_select()
 * installs one set (rs_k).  The levels with FMA contract each a * b + c of
 * the kernels into one fused operation (gcc: the wrappers' optimize
 * attribute; clang: the pragma, which has no effect where the target has
 * no FMA), so avx2 and avx512 give the same bits as each other and,
 * compiler for compiler, as the same level of another build. */
#define RS_BODY static inline __attribute__((always_inline, unused))
#if defined(__clang__)
#pragma clang fp contract(fast)
#define RS_CONTRACT
#elif defined(__GNUC__)
#define RS_CONTRACT __attribute__((optimize("fp-contract=fast")))
#else
#define RS_CONTRACT
#endif

#ifndef RS_VECTOR   /* -DRS_VECTOR=0 builds the plain-C kernels (as on non-GNU compilers) */
#if defined(__GNUC__)
#define RS_VECTOR 1
#else
#define RS_VECTOR 0
#endif
#endif
#if RS_VECTOR
typedef float rs_v8 __attribute__((vector_size(32)));
typedef float rs_v8u __attribute__((vector_size(32), aligned(4)));
#endif
/* The 16-lane period-major kernel, for level avx512. */
#if RS_VECTOR && defined(SC_CPU_X86)
#define RS_HAVE_WIDE 1
#else
#define RS_HAVE_WIDE 0
#endif

#define RS_PI 3.14159265358979323846
#define RS_MAGIC 0x52534D50u   /* "RSMP" */
#define RS_PM_MAX 8            /* period-major engine: L and M at most this */
#define RS_BLOCK_PERIODS 256   /* period-major: periods of input per pass */
#define RS_DOT_BLOCK 1024      /* dot engine: inputs per pass */
#define RS_LANES 8
#define RS_WIDE 16             /* lanes of the AVX-512 kernel */
#define RS_TABLE_MIN 16        /* runs of at least this many taps use the shifted table */
#define RS_SLACK 96            /* floats read past the data by whole vectors */
#define RS_ALIGN 64

enum { ENGINE_COPY = 0, ENGINE_PM = 1, ENGINE_DOT = 2 };
enum { KIND_I16 = 0, KIND_F32 = 1 };

static const int32_t supported_rates[] = {
    8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000,
};
#define N_RATES ((int)(sizeof supported_rates / sizeof supported_rates[0]))

/* Preset: transition half-width around the lower Nyquist frequency (as a
 * fraction of it), target stopband attenuation (dB), delay cap (seconds,
 * 0 = none). */
typedef struct {
    double half_width;
    double atten_db;
    double max_delay_s;
} rs_preset;

static const rs_preset presets[3] = {
    { 0.25, 65.0, 0.001 },   /* low latency: 0.75 / 1.25, <= 1 ms */
    { 0.15, 94.0, 0.003 },   /* default: 0.85 / 1.15, <= 3 ms */
    { 0.10, 125.0, 0.0 },    /* high quality: 0.9 / 1.1 */
};

/* One run of the period-major engine: sum_m coef[m] * x_r[q + e0 + m]. */
typedef struct {
    int32_t r;
    int32_t e0;
    int32_t n;
    int32_t coef;   /* index into the coefficient array */
    int32_t tab;    /* index into the shifted-coefficient table, or -1 */
} rs_run;

struct sc_resampler {
    uint32_t magic;
    int32_t in_rate, out_rate, quality;
    int32_t L, M, K;
    int32_t engine;
    int32_t c;          /* centre of the prototype, upsampled samples */
    int32_t delay;      /* c / M, output samples */
    int32_t taps;       /* taps per phase, T */
    int32_t taps_pad;   /* dot engine: T rounded up to a multiple of 8 */
    double beta;        /* Kaiser window parameter actually used */
    double atten_db;    /* design attenuation actually aimed at */

    /* layout: offsets from the start of the block */
    size_t size;
    size_t off_coef, n_coef;
    size_t off_runs, n_runs;
    size_t off_buf, n_buf;
    size_t off_tmp, n_tmp;
    size_t off_tab, n_tab;
    size_t off_out;     /* the output area of process_bytes: [off_out, size) */
    int32_t run_start[RS_PM_MAX + 1];
    int32_t phase[RS_PM_MAX];   /* period-major: p_s */
    int32_t offset[RS_PM_MAX];  /* period-major: o_s */
    int32_t e_min;              /* period-major: lowest run offset (<= 0) */
    int32_t sub_cap;            /* period-major: floats per substream */
    int32_t hist;               /* entries kept when compacting */
    int32_t buf_cap;            /* dot engine: floats in the history buffer */
    int32_t wide;               /* period-major: use the 16-lane AVX-512 kernel */
    int32_t tcap;               /* period-major: floats per class in the work buffer */

    /* stream position */
    int64_t n_in;       /* inputs consumed since reset */
    int64_t n_out;      /* outputs produced since reset (skipped included) */
    int64_t skip;       /* outputs still to drop */
    int64_t base;       /* period-major: t of buffer index 0; dot: input index of index 0 */
};

/* The installed kernels of one SIMD level (sc_resample_select); defined
 * with the baseline set at the end of this file. */
typedef struct {
    void (*i16_to_f32)(const int16_t *, size_t, float *);
    void (*f32_to_i16_n)(const float *, size_t, int16_t *);
    void (*interleave2_i16)(const float *, const float *, size_t, int16_t *);
    void (*interleave3_i16)(const float *, const float *, const float *, size_t, int16_t *);
    void (*deinterleave2_i16)(const int16_t *, size_t, float *, float *);
    void (*deinterleave3_i16)(const int16_t *, size_t, float *, float *, float *);
    void (*pm_kernel)(const float *, size_t, const rs_run *, int, const float *, const float *,
                      int64_t, size_t, float *);
    /* the 16-lane form, NULL below level avx512 */
    void (*pm_kernel_wide)(const float *, size_t, const rs_run *, int, const float *,
                           const float *, int64_t, size_t, float *);
    void (*dot_outputs)(sc_resampler *, int64_t, int64_t, void *, int, int64_t);
    int (*all_finite)(const float *, size_t);
} rs_kernels;
static rs_kernels rs_k;

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

/* a / b truncated, b > 0.  The period-major engine divides by L or M,
 * both at most 8, several times per call: constant divisors become a
 * multiply and a shift instead of a 64-bit divide (tens of cycles each). */
static inline int64_t tdiv(int64_t a, int64_t b)
{
    switch (b) {
    case 1: return a;
    case 2: return a / 2;
    case 3: return a / 3;
    case 4: return a / 4;
    case 5: return a / 5;
    case 6: return a / 6;
    case 7: return a / 7;
    case 8: return a / 8;
    default: return a / b;
    }
}

static inline int64_t floor_div(int64_t a, int64_t b)   /* b > 0 */
{
    int64_t q = tdiv(a, b);
    return (q * b != a && a < 0) ? q - 1 : q;
}

static inline int64_t ceil_div(int64_t a, int64_t b)    /* b > 0 */
{
    return -floor_div(-a, b);
}

static size_t align_up(size_t n)
{
    return (n + RS_ALIGN - 1) & ~(size_t)(RS_ALIGN - 1);
}

static float *coefs(sc_resampler *st) { return (float *)((char *)st + st->off_coef); }
static rs_run *runs(sc_resampler *st) { return (rs_run *)((char *)st + st->off_runs); }
static float *buf(sc_resampler *st) { return (float *)((char *)st + st->off_buf); }
static float *tmp(sc_resampler *st) { return (float *)((char *)st + st->off_tmp); }
static float *tab(sc_resampler *st) { return (float *)((char *)st + st->off_tab); }

static int rate_index(int32_t rate)
{
    for (int i = 0; i < N_RATES; i++)
        if (supported_rates[i] == rate)
            return i;
    return -1;
}

int sc_resampler_rates(int32_t *rates, size_t cap)
{
    for (int i = 0; i < N_RATES && (size_t)i < cap; i++)
        rates[i] = supported_rates[i];
    return N_RATES;
}

int sc_resampler_rate_supported(int32_t rate)
{
    return rate_index(rate) >= 0;
}

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 500; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

/* ------------------------------------------------------------------ */
/* plan: every size and parameter, computed the same way by get_size   */
/* and init so that the two always agree                               */

typedef struct {
    int32_t L, M, K, engine, c, delay, taps, taps_pad;
    double beta, atten;
    size_t n_coef, n_runs, n_buf, n_tmp, n_tab;
    int32_t sub_cap, hist, buf_cap;
} rs_plan;

/* Whether prototype tap idx (0..2c) is non-zero: the sinc vanishes exactly
 * at the non-zero multiples of K (the Kaiser window never does). */
static int tap_nonzero(int64_t idx, int64_t c, int32_t K)
{
    int64_t n = idx - c;
    return idx >= 0 && idx <= 2 * c && (n == 0 || n % K != 0);
}

/* Period-major run of class s over substream r: the taps k with
 * o_s - k = M e + r, for e from first to last (non-zero taps only; 0 when
 * the run is empty). */
static int run_extent(int32_t L, int32_t M, int32_t K, int64_t c, int32_t T, int32_t s,
                      int32_t r, int32_t *first, int32_t *last)
{
    int32_t o = (int32_t)(((int64_t)s * M) / L);
    int32_t p = (int32_t)(((int64_t)s * M) % L);
    int32_t e_lo = (int32_t)ceil_div((int64_t)o - r - (T - 1), M);
    int32_t e_hi = (int32_t)floor_div((int64_t)o - r, M);
    int found = 0;
    for (int32_t e = e_lo; e <= e_hi; e++) {
        int64_t k = (int64_t)o - r - (int64_t)M * e;
        if (tap_nonzero(p + k * L, c, K)) {
            if (!found)
                *first = e;
            found = 1;
            *last = e;
        }
    }
    return found;
}

static int make_plan(int32_t in_rate, int32_t out_rate, int quality, rs_plan *pl)
{
    if (in_rate <= 0 || out_rate <= 0 || quality < 0 || quality > 2)
        return SC_EARG;
    if (rate_index(in_rate) < 0 || rate_index(out_rate) < 0)
        return SC_EUNSUPPORTED;
    memset(pl, 0, sizeof *pl);
    int64_t g = sc_gcd(in_rate, out_rate);
    pl->L = (int32_t)(out_rate / g);
    pl->M = (int32_t)(in_rate / g);
    pl->K = pl->L > pl->M ? pl->L : pl->M;
    if (pl->L == 1 && pl->M == 1) {
        pl->engine = ENGINE_COPY;
        pl->taps = 1;
        pl->atten = INFINITY;
        return SC_OK;
    }
    const rs_preset *pr = &presets[quality];
    /* Kaiser's estimate: length - 1 = (A - 7.95) / (2.285 * transition),
     * transition in rad per upsampled sample. */
    double transition = 2.0 * pr->half_width * RS_PI / pl->K;
    double c_req = (pr->atten_db - 7.95) / (2.285 * transition) / 2.0;
    int64_t c = ceil_div((int64_t)ceil(c_req - 1e-9), pl->M) * pl->M;
    double atten = pr->atten_db;
    if (pr->max_delay_s > 0) {
        int64_t d_max = (int64_t)floor(pr->max_delay_s * out_rate + 1e-9);
        if (c > d_max * pl->M) {
            c = d_max * pl->M;
            atten = 7.95 + 2.285 * transition * 2.0 * (double)c;
        }
    }
    pl->c = (int32_t)c;
    pl->delay = (int32_t)(c / pl->M);
    pl->atten = atten;
    pl->beta = atten > 50 ? 0.1102 * (atten - 8.7)
             : atten >= 21 ? 0.5842 * pow(atten - 21, 0.4) + 0.07886 * (atten - 21) : 0.0;
    int64_t n = 2 * c + 1;
    pl->taps = (int32_t)ceil_div(n, pl->L);
    if (pl->L <= RS_PM_MAX && pl->M <= RS_PM_MAX) {
        pl->engine = ENGINE_PM;
        pl->n_coef = (size_t)pl->L * (size_t)pl->taps;
        pl->n_runs = (size_t)pl->L * (size_t)pl->M;
        /* offsets e reach down to about -(T / M) - 1 */
        int32_t e_span = pl->taps / pl->M + 2;
        pl->hist = e_span + 2;
        pl->sub_cap = pl->hist + RS_BLOCK_PERIODS + RS_SLACK;
        pl->n_buf = (size_t)pl->M * (size_t)pl->sub_cap;
        pl->n_tmp = (size_t)pl->L * (size_t)(RS_BLOCK_PERIODS + 4 + RS_SLACK);
#if RS_VECTOR
        for (int32_t s = 0; s < pl->L; s++)
            for (int32_t r = 0; r < pl->M; r++) {
                int32_t first = 0, last = -1;
                if (run_extent(pl->L, pl->M, pl->K, c, pl->taps, s, r, &first, &last)
                    && last - first + 1 >= RS_TABLE_MIN)
                    pl->n_tab += (size_t)(last - first + 1 + RS_WIDE - 1) * RS_WIDE;
            }
#endif
    } else {
        pl->engine = ENGINE_DOT;
        pl->taps_pad = (pl->taps + RS_LANES - 1) / RS_LANES * RS_LANES;
        pl->n_coef = (size_t)pl->L * (size_t)pl->taps_pad;
        pl->n_runs = 0;
        pl->hist = pl->taps_pad + pl->M + 1;
        pl->buf_cap = pl->hist + RS_DOT_BLOCK;
        pl->n_buf = (size_t)pl->buf_cap;
        pl->n_tmp = 0;
    }
    return SC_OK;
}

static size_t layout(const rs_plan *pl, size_t *off_coef, size_t *off_runs, size_t *off_buf,
                     size_t *off_tmp, size_t *off_tab, size_t *off_out)
{
    size_t off = align_up(sizeof(sc_resampler));
    *off_coef = off;
    off = align_up(off + pl->n_coef * sizeof(float));
    *off_runs = off;
    off = align_up(off + pl->n_runs * sizeof(rs_run));
    *off_buf = off;
    off = align_up(off + pl->n_buf * sizeof(float));
    *off_tmp = off;
    off = align_up(off + pl->n_tmp * sizeof(float));
    *off_tab = off;
    off = align_up(off + pl->n_tab * sizeof(float));
    *off_out = off;
    return off + RS_ALIGN;   /* room to align the block itself */
}

int64_t sc_resampler_get_size(int32_t in_rate, int32_t out_rate, int quality)
{
    rs_plan pl;
    int rc = make_plan(in_rate, out_rate, quality, &pl);
    if (rc < 0)
        return rc;
    size_t a, b, c, d, e, f;
    return (int64_t)layout(&pl, &a, &b, &c, &d, &e, &f);
}

/* Prototype tap i of 0..2c (double precision). */
static double proto_tap(const sc_resampler *st, int64_t i, double i0_beta)
{
    int64_t n = i - st->c;
    double w = 1.0;
    if (st->c > 0) {
        double r = (double)n / (double)st->c;
        double arg = 1.0 - r * r;
        w = bessel_i0(st->beta * sqrt(arg > 0 ? arg : 0)) / i0_beta;
    }
    if (n == 0)
        return (double)st->L / (double)st->K;
    if (n % st->K == 0)
        return 0.0;   /* exact zeros of the sinc: half-/third-band structure */
    double x = RS_PI * (double)n / (double)st->K;
    return (double)st->L / (double)st->K * sin(x) / x * w;
}

static void build_pm(sc_resampler *st)
{
    double i0_beta = bessel_i0(st->beta);
    float *cf = coefs(st);
    rs_run *rn = runs(st);
    int32_t L = st->L, M = st->M, T = st->taps;
    int32_t nr = 0, nc = 0, e_min = 0;
#if RS_VECTOR
    size_t nt = 0;   /* floats of the shifted table used so far */
#endif
    for (int32_t s = 0; s < L; s++) {
        int32_t o = (int32_t)(((int64_t)s * M) / L);
        int32_t p = (int32_t)(((int64_t)s * M) % L);
        st->offset[s] = o;
        st->phase[s] = p;
        st->run_start[s] = nr;
        for (int32_t r = 0; r < M; r++) {
            /* taps k with o - k = M e + r, i.e. e = (o - r - k) / M; walk e
             * upwards (k downwards) so that inputs are read in order. */
            int32_t first = 0, last = -1;
            if (!run_extent(L, M, st->K, st->c, T, s, r, &first, &last))
                continue;
            int32_t n = last - first + 1;
            rn[nr].r = r;
            rn[nr].e0 = first;
            rn[nr].n = n;
            rn[nr].coef = nc;
            rn[nr].tab = -1;
            for (int32_t e = first; e <= last; e++) {
                int64_t k = (int64_t)o - r - (int64_t)M * e;
                int64_t idx = p + k * L;
                cf[nc++] = tap_nonzero(idx, st->c, st->K)
                         ? (float)proto_tap(st, idx, i0_beta) : 0.0f;
            }
#if RS_VECTOR
            if (n >= RS_TABLE_MIN) {
                /* row j, lane i holds coefficient j - i (zero outside the
                 * run): lanes of a vector of consecutive outputs then take
                 * one broadcast input per row, in the run's tap order. */
                float *t = tab(st) + nt;
                const float *c = cf + rn[nr].coef;
                rn[nr].tab = (int32_t)nt;
                for (int32_t j = 0; j < n + RS_WIDE - 1; j++)
                    for (int32_t i = 0; i < RS_WIDE; i++)
                        t[(size_t)j * RS_WIDE + (size_t)i] = j - i >= 0 && j - i < n ? c[j - i] : 0.0f;
                nt += (size_t)(n + RS_WIDE - 1) * RS_WIDE;
            }
#endif
            if (first < e_min)
                e_min = first;
            nr++;
        }
    }
    st->run_start[L] = nr;
    st->e_min = e_min;
}

static void build_dot(sc_resampler *st)
{
    int64_t n_taps = 2 * (int64_t)st->c + 1;
    double i0_beta = bessel_i0(st->beta);
    float *cf = coefs(st);
    int32_t L = st->L, T = st->taps, TP = st->taps_pad;
    for (int32_t p = 0; p < L; p++) {
        float *g = cf + (size_t)p * TP;
        for (int32_t i = 0; i < TP; i++)
            g[i] = 0.0f;
        for (int32_t k = 0; k < T; k++) {
            int64_t idx = p + (int64_t)k * L;
            g[TP - 1 - k] = idx < n_taps ? (float)proto_tap(st, idx, i0_beta) : 0.0f;
        }
    }
}

int sc_resampler_init(sc_resampler *st, size_t size, int32_t in_rate, int32_t out_rate,
                      int quality)
{
    if (!st)
        return SC_EARG;
    rs_plan pl;
    int rc = make_plan(in_rate, out_rate, quality, &pl);
    if (rc < 0)
        return rc;
    size_t off_coef, off_runs, off_buf, off_tmp, off_tab, off_out;
    size_t need = layout(&pl, &off_coef, &off_runs, &off_buf, &off_tmp, &off_tab, &off_out);
    if (size < need)
        return SC_EBUFFER;
    memset(st, 0, sizeof *st);
    /* Align the arrays relative to the block's real address; offsets (not
     * pointers) are stored, so a copied block still works. */
    size_t shift = (RS_ALIGN - ((uintptr_t)st % RS_ALIGN)) % RS_ALIGN;
    st->magic = RS_MAGIC;
    st->in_rate = in_rate;
    st->out_rate = out_rate;
    st->quality = quality;
    st->L = pl.L;
    st->M = pl.M;
    st->K = pl.K;
    st->engine = pl.engine;
    st->c = pl.c;
    st->delay = pl.delay;
    st->taps = pl.taps;
    st->taps_pad = pl.taps_pad;
    st->beta = pl.beta;
    st->atten_db = pl.atten;
    st->size = size;
    st->off_coef = off_coef + shift;
    st->n_coef = pl.n_coef;
    st->off_runs = off_runs + shift;
    st->n_runs = pl.n_runs;
    st->off_buf = off_buf + shift;
    st->n_buf = pl.n_buf;
    st->off_tmp = off_tmp + shift;
    st->n_tmp = pl.n_tmp;
    st->tcap = pl.L ? (int32_t)(pl.n_tmp / (size_t)pl.L) : 0;
    st->off_tab = off_tab + shift;
    st->n_tab = pl.n_tab;
    st->off_out = off_out + shift;
    st->sub_cap = pl.sub_cap;
    st->hist = pl.hist;
    st->buf_cap = pl.buf_cap;
    sc_resampler_set_wide(st, 1);

    if (pl.engine == ENGINE_PM)
        build_pm(st);
    else if (pl.engine == ENGINE_DOT)
        build_dot(st);
    sc_resampler_reset(st);
    return SC_OK;
}

void sc_resampler_reset(sc_resampler *st)
{
    st->n_in = 0;
    st->n_out = 0;
    st->skip = 0;
    if (st->n_buf)
        memset(buf(st), 0, st->n_buf * sizeof(float));
    if (st->n_tmp)
        memset(tmp(st), 0, st->n_tmp * sizeof(float));
    if (st->engine == ENGINE_PM)
        st->base = (int64_t)st->e_min - 1;            /* t = base..-1 are zeros */
    else if (st->engine == ENGINE_DOT)
        st->base = -(int64_t)st->hist;                 /* x[base..-1] are zeros */
}

int sc_resampler_set_wide(sc_resampler *st, int wide)
{
    /* the flag is kept either way: it takes effect whenever the installed
     * level has the 16-lane kernel */
    st->wide = wide != 0;
    return !wide || rs_k.pm_kernel_wide ? SC_OK : SC_EUNSUPPORTED;
}

int32_t sc_resampler_delay(const sc_resampler *st)
{
    return st->delay;
}

int sc_resampler_skip(sc_resampler *st, int64_t n)
{
    if (n < 0)
        return SC_EARG;
    st->skip += n;
    return SC_OK;
}

/* Outputs determined by n_in inputs in total. */
static int64_t produced_after(const sc_resampler *st, int64_t n_in)
{
    /* floor(n_in L / M) without overflow for any realistic stream */
    int64_t q = tdiv(n_in, st->M), r = n_in - q * st->M;
    return q * st->L + tdiv(r * st->L, st->M);
}

#define RS_MAX_INPUT ((size_t)1 << 40)

int64_t sc_resampler_out_count(const sc_resampler *st, size_t n)
{
    if (n > RS_MAX_INPUT)
        return SC_EARG;
    int64_t more = produced_after(st, st->n_in + (int64_t)n) - st->n_out;
    return more > st->skip ? more - st->skip : 0;
}

static int64_t tail_total(const sc_resampler *st)
{
    /* outputs for the whole signal plus the delay: ceil(n_in L / M) + delay
     * (nothing at all for a stream that has had no input) */
    if (st->n_in == 0)
        return st->n_out;
    int64_t q = tdiv(st->n_in, st->M), r = st->n_in - q * st->M;
    return q * st->L + ceil_div(r * st->L, st->M) + st->delay;
}

int64_t sc_resampler_flush_count(const sc_resampler *st)
{
    int64_t more = tail_total(st) - st->n_out;
    return more > st->skip ? more - st->skip : 0;
}

/* ------------------------------------------------------------------ */
/* conversions                                                         */

RS_BODY void i16_to_f32_body(const int16_t *SC_RESTRICT in, size_t n, float *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (float)in[i];
}

/* Round to nearest (ties to even) and saturate.  Adding 1.5 * 2^23 puts the
 * rounded integer in the low mantissa bits, valid for |v| < 2^22: always
 * true here, as the int16 path's outputs are int16 inputs times a filter
 * whose phases have absolute tap sums of a few units at most.  Clamping the
 * integer (not the float) keeps the vectorised loops below to plain
 * add / sub / min / max / narrow. */
static inline int16_t f32_to_i16(float v)
{
    float m = v + 12582912.0f;
    uint32_t u;
    memcpy(&u, &m, sizeof u);
    int32_t i = (int32_t)u - 0x4B400000;
    i = i < -32768 ? -32768 : i;
    i = i > 32767 ? 32767 : i;
    return (int16_t)i;
}

RS_BODY void f32_to_i16_n_body(const float *SC_RESTRICT in, size_t n, int16_t *SC_RESTRICT out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = f32_to_i16(in[i]);
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && defined(__GNUC__)
/* Pairs of int16 handled as one 32-bit word (first sample in the low half):
 * shifts and masks instead of shuffles. */
#define RS_WORD_PAIRS 1
typedef uint32_t rs_u32a2 __attribute__((aligned(2)));
#else
#define RS_WORD_PAIRS 0
#endif

RS_BODY void interleave2_i16_body(const float *SC_RESTRICT c0, const float *SC_RESTRICT c1, size_t n,
                            int16_t *SC_RESTRICT o)
{
#if RS_WORD_PAIRS
    rs_u32a2 *w = (rs_u32a2 *)o;
    for (size_t k = 0; k < n; k++)
        w[k] = (uint32_t)(uint16_t)f32_to_i16(c0[k]) | (uint32_t)(uint16_t)f32_to_i16(c1[k]) << 16;
#else
    for (size_t k = 0; k < n; k++) {
        o[2 * k] = f32_to_i16(c0[k]);
        o[2 * k + 1] = f32_to_i16(c1[k]);
    }
#endif
}

RS_BODY void interleave3_i16_body(const float *SC_RESTRICT c0, const float *SC_RESTRICT c1,
                            const float *SC_RESTRICT c2, size_t n, int16_t *SC_RESTRICT o)
{
    for (size_t k = 0; k < n; k++) {
        o[3 * k] = f32_to_i16(c0[k]);
        o[3 * k + 1] = f32_to_i16(c1[k]);
        o[3 * k + 2] = f32_to_i16(c2[k]);
    }
}

RS_BODY void deinterleave2_i16_body(const int16_t *SC_RESTRICT x, size_t n, float *SC_RESTRICT d0,
                              float *SC_RESTRICT d1)
{
#if RS_WORD_PAIRS
    const rs_u32a2 *w = (const rs_u32a2 *)x;
    for (size_t k = 0; k < n; k++) {
        uint32_t v = w[k];
        d0[k] = (float)(int16_t)(uint16_t)v;
        d1[k] = (float)((int32_t)v >> 16);
    }
#else
    for (size_t k = 0; k < n; k++) {
        d0[k] = (float)x[2 * k];
        d1[k] = (float)x[2 * k + 1];
    }
#endif
}

RS_BODY void deinterleave3_i16_body(const int16_t *SC_RESTRICT x, size_t n, float *SC_RESTRICT d0,
                              float *SC_RESTRICT d1, float *SC_RESTRICT d2)
{
    for (size_t k = 0; k < n; k++) {
        d0[k] = (float)x[3 * k];
        d1[k] = (float)x[3 * k + 1];
        d2[k] = (float)x[3 * k + 2];
    }
}

/* Fetch input element i of either kind as float. */
static inline float in_at(const void *in, int kind, size_t i)
{
    return kind == KIND_I16 ? (float)((const int16_t *)in)[i] : ((const float *)in)[i];
}

/* ------------------------------------------------------------------ */
/* period-major engine                                                 */

/* dst[i] = sum over runs of sum_m coef[m] * sub_r[i0 + i + e0 + m], for i in
 * [0, nq) rounded up to whole vectors (dst and the substreams have slack).
 *
 * Every output lane keeps ONE running sum, fed the run's taps in order,
 * run after run: that fixed sequence is what makes the result independent
 * of how outputs are blocked (so of the chunking) and of the vector width.
 * A block of nv vectors of consecutive outputs keeps nv sums in registers,
 * nv independent FMA chains (enough to hide the FMA latency from about 8).
 *
 * A run is computed in one of two forms with the same per-lane sequence:
 *  - direct: for each tap m, coefficient m broadcast times the input
 *    vector starting at tap m's offset (an unaligned load per FMA, which
 *    for 64-byte vectors almost always spans two cache lines);
 *  - table (runs of at least RS_TABLE_MIN taps): for each input j of the
 *    block's span, that input broadcast times table row j, whose lane i
 *    holds coefficient j - i (zero outside the run).  Lane i meets its taps
 *    in the same order, plus exact zeros (c * 0 adds nothing to a finite
 *    sum); the row loads are aligned and shared by the nv vectors.  It
 *    costs n + W - 1 FMAs per vector instead of n, but runs at the FMA
 *    units' full rate instead of the split loads'.  (Non-finite float
 *    input makes outputs up to W - 1 samples further than its own reach
 *    non-finite too.) */
#define RS_NV_MAX 12   /* accumulators per block */

#if RS_VECTOR
/* Indices in the loops below are pointer-sized and unsigned: Python builds
 * extensions with -fwrapv, under which 32-bit signed indices cost a
 * sign extension per load and keep offsets out of the addressing. */
#define RS_DEFINE_BLOCK(NAME, VT, VTU, W)                                                      \
static inline __attribute__((always_inline)) void NAME(                                       \
    const float *SC_RESTRICT sub, size_t sub_cap, const rs_run *rn, int nruns,                 \
    const float *SC_RESTRICT cf, const float *SC_RESTRICT tb, int64_t at,                      \
    float *SC_RESTRICT dst, const int nv)                                                      \
{                                                                                              \
    VT a[RS_NV_MAX];                                                                           \
    _Pragma("GCC unroll 16")                                                                   \
    for (int v = 0; v < nv; v++)                                                               \
        a[v] = (VT){ 0 };                                                                      \
    for (int k = 0; k < nruns; k++) {                                                          \
        const float *xp = sub + (size_t)rn[k].r * sub_cap + (at + rn[k].e0);                   \
        size_t n = (size_t)rn[k].n;                                                            \
        if (rn[k].tab >= 0) {                                                                  \
            const float *t = tb + rn[k].tab;                                                   \
            const float *end = xp + n + (W) - 1;                                               \
            for (; xp < end; xp++, t += RS_WIDE) {                                             \
                VT cj = *(const VT *)t;                                                        \
                _Pragma("GCC unroll 16")                                                       \
                for (int v = 0; v < nv; v++)                                                   \
                    a[v] += cj * xp[(size_t)(W) * (size_t)v];                                  \
            }                                                                                  \
        } else {                                                                               \
            const float *c = cf + rn[k].coef;                                                  \
            for (size_t m = 0; m < n; m++) {                                                   \
                float cm = c[m];                                                               \
                _Pragma("GCC unroll 16")                                                       \
                for (int v = 0; v < nv; v++)                                                   \
                    a[v] += cm * *(const VTU *)(xp + m + (size_t)(W) * (size_t)v);             \
            }                                                                                  \
        }                                                                                      \
    }                                                                                          \
    _Pragma("GCC unroll 16")                                                                   \
    for (int v = 0; v < nv; v++)                                                               \
        *(VTU *)(dst + (size_t)(W) * (size_t)v) = a[v];                                        \
}

/* Split nq outputs into blocks of at most RS_NV_MAX vectors, as even as
 * possible (a short tail block would be latency-bound). */
#define RS_DEFINE_KERNEL(NAME, BLOCK, W)                                                       \
RS_BODY void NAME(const float *SC_RESTRICT sub, size_t sub_cap, const rs_run *rn,             \
                  int nruns, const float *SC_RESTRICT cf, const float *SC_RESTRICT tb,         \
                  int64_t i0, size_t nq, float *SC_RESTRICT dst)                               \
{                                                                                              \
    size_t nvec = (nq + (W) - 1) / (W), done = 0;                                              \
    size_t blocks = (nvec + RS_NV_MAX - 1) / RS_NV_MAX;                                        \
    for (size_t b = 0; b < blocks; b++) {                                                      \
        size_t nv = (nvec - done + (blocks - b) - 1) / (blocks - b);                           \
        int64_t at = i0 + (int64_t)(done * (W));                                               \
        float *d = dst + done * (W);                                                           \
        switch (nv) {                                                                          \
        case 1: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 1); break;                       \
        case 2: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 2); break;                       \
        case 3: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 3); break;                       \
        case 4: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 4); break;                       \
        case 5: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 5); break;                       \
        case 6: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 6); break;                       \
        case 7: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 7); break;                       \
        case 8: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 8); break;                       \
        case 9: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 9); break;                       \
        case 10: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 10); break;                     \
        case 11: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 11); break;                     \
        default: BLOCK(sub, sub_cap, rn, nruns, cf, tb, at, d, 12); break;                     \
        }                                                                                      \
        done += nv;                                                                            \
    }                                                                                          \
}

RS_DEFINE_BLOCK(pm_block, rs_v8, rs_v8u, RS_LANES)
RS_DEFINE_KERNEL(pm_kernel_body, pm_block, RS_LANES)
#else
RS_BODY void pm_kernel_body(const float *SC_RESTRICT sub, size_t sub_cap, const rs_run *rn, int nruns,
                      const float *SC_RESTRICT cf, const float *SC_RESTRICT tb, int64_t i0,
                      size_t nq, float *SC_RESTRICT dst)
{
    (void)tb;
    for (size_t i = 0; i < nq; i++) {
        float a = 0.0f;
        for (int k = 0; k < nruns; k++) {
            const float *xp = sub + (size_t)rn[k].r * sub_cap + (i0 + (int64_t)i + rn[k].e0);
            const float *c = cf + rn[k].coef;
            for (int32_t m = 0; m < rn[k].n; m++)
                a += c[m] * xp[m];
        }
        dst[i] = a;
    }
}
#endif

#if RS_VECTOR && defined(SC_CPU_ARM64)
#include <arm_neon.h>
/* pm_block for level neon in Advanced SIMD intrinsics: each 8-lane vector
 * of the generic form is two float32x4_t (lanes 0-3, 4-7), and each
 * a += c * x one FMLA, so every lane meets the same fused multiply-adds in
 * the same order as in the avx2 and avx512 kernels: the same bits. */
static inline __attribute__((always_inline)) void pm_block_neon(
    const float *SC_RESTRICT sub, size_t sub_cap, const rs_run *rn, int nruns,
    const float *SC_RESTRICT cf, const float *SC_RESTRICT tb, int64_t at,
    float *SC_RESTRICT dst, const int nv)
{
    float32x4_t lo[RS_NV_MAX], hi[RS_NV_MAX];
    _Pragma("GCC unroll 16")
    for (int v = 0; v < nv; v++)
        lo[v] = hi[v] = vdupq_n_f32(0.0f);
    for (int k = 0; k < nruns; k++) {
        const float *xp = sub + (size_t)rn[k].r * sub_cap + (at + rn[k].e0);
        size_t n = (size_t)rn[k].n;
        if (rn[k].tab >= 0) {
            /* table rows are RS_WIDE floats apart; this kernel reads 8 */
            const float *t = tb + rn[k].tab;
            const float *end = xp + n + RS_LANES - 1;
            for (; xp < end; xp++, t += RS_WIDE) {
                float32x4_t c0 = vld1q_f32(t), c1 = vld1q_f32(t + 4);
                _Pragma("GCC unroll 16")
                for (int v = 0; v < nv; v++) {
                    float x = xp[(size_t)RS_LANES * (size_t)v];
                    lo[v] = vfmaq_n_f32(lo[v], c0, x);
                    hi[v] = vfmaq_n_f32(hi[v], c1, x);
                }
            }
        } else {
            const float *c = cf + rn[k].coef;
            for (size_t m = 0; m < n; m++) {
                float cm = c[m];
                _Pragma("GCC unroll 16")
                for (int v = 0; v < nv; v++) {
                    const float *x = xp + m + (size_t)RS_LANES * (size_t)v;
                    lo[v] = vfmaq_n_f32(lo[v], vld1q_f32(x), cm);
                    hi[v] = vfmaq_n_f32(hi[v], vld1q_f32(x + 4), cm);
                }
            }
        }
    }
    _Pragma("GCC unroll 16")
    for (int v = 0; v < nv; v++) {
        vst1q_f32(dst + (size_t)RS_LANES * (size_t)v, lo[v]);
        vst1q_f32(dst + (size_t)RS_LANES * (size_t)v + 4, hi[v]);
    }
}
RS_DEFINE_KERNEL(pm_kernel_neon_body, pm_block_neon, RS_LANES)
#endif

#if RS_HAVE_WIDE
typedef float rs_v16 __attribute__((vector_size(64)));
typedef float rs_v16u __attribute__((vector_size(64), aligned(4)));

/* pm_kernel with 16 lanes per register, for level avx512.  Same per-lane
 * sequence of operations as pm_kernel's. */
RS_DEFINE_BLOCK(pm_block_wide, rs_v16, rs_v16u, RS_WIDE)
RS_DEFINE_KERNEL(pm_kernel_wide_body, pm_block_wide, RS_WIDE)
#endif

/* Scatter inputs [from, from + n) (global indices) into the substreams. */
static void pm_store(sc_resampler *st, const void *in, int kind, int64_t from, size_t n)
{
    float *b = buf(st);
    int32_t M = st->M;
    size_t cap = (size_t)st->sub_cap;
    int64_t t0 = floor_div(from, M);
    int64_t t = t0 - st->base;
    int32_t r = (int32_t)(from - t0 * M);
    size_t i = 0;
    if (M == 1) {
        if (kind == KIND_I16)
            rs_k.i16_to_f32((const int16_t *)in, n, b + t);
        else
            memcpy(b + t, in, n * sizeof(float));
        return;
    }
    /* leading partial period */
    while (i < n && r != 0) {
        b[(size_t)r * cap + (size_t)t] = in_at(in, kind, i++);
        if (++r == M) {
            r = 0;
            t++;
        }
    }
    size_t whole = (size_t)tdiv((int64_t)(n - i), M);
    if (M == 2 && kind == KIND_I16) {
        rs_k.deinterleave2_i16((const int16_t *)in + i, whole, b + t, b + cap + t);
    } else if (M == 3 && kind == KIND_I16) {
        rs_k.deinterleave3_i16((const int16_t *)in + i, whole, b + t, b + cap + t, b + 2 * cap + t);
    } else {
        for (size_t k = 0; k < whole; k++)
            for (int32_t rr = 0; rr < M; rr++)
                b[(size_t)rr * cap + (size_t)t + k] = in_at(in, kind, i + k * (size_t)M + (size_t)rr);
    }
    i += whole * (size_t)M;
    t += (int64_t)whole;
    while (i < n) {
        b[(size_t)r * cap + (size_t)t] = in_at(in, kind, i++);
        r++;
    }
}

/* Write outputs [j0, j1) from the class buffers (q relative to q0). */
static void pm_emit(sc_resampler *st, int64_t j0, int64_t j1, int64_t q0, void *out, int kind)
{
    const float *tb = tmp(st);
    int32_t L = st->L;
    size_t tcap = (size_t)st->tcap;
    size_t n = (size_t)(j1 - j0);
    if (L == 1) {
        const float *src = tb + (j0 - q0);
        if (kind == KIND_I16)
            rs_k.f32_to_i16_n(src, n, (int16_t *)out);
        else
            memcpy(out, src, n * sizeof(float));
        return;
    }
    int64_t q = floor_div(j0, L);
    int32_t s = (int32_t)(j0 - q * L);
    size_t i = 0;
    if (kind == KIND_I16) {
        int16_t *o = (int16_t *)out;
        while (i < n && s != 0) {
            o[i++] = f32_to_i16(tb[(size_t)s * tcap + (size_t)(q - q0)]);
            if (++s == L) {
                s = 0;
                q++;
            }
        }
        size_t whole = (size_t)tdiv((int64_t)(n - i), L);
        const float *c0 = tb + (q - q0), *c1 = tb + tcap + (q - q0), *c2 = tb + 2 * tcap + (q - q0);
        if (L == 2) {
            rs_k.interleave2_i16(c0, c1, whole, o + i);
        } else if (L == 3) {
            rs_k.interleave3_i16(c0, c1, c2, whole, o + i);
        } else {
            for (size_t k = 0; k < whole; k++)
                for (int32_t ss = 0; ss < L; ss++)
                    o[i + k * (size_t)L + (size_t)ss] = f32_to_i16(tb[(size_t)ss * tcap + (size_t)(q - q0) + k]);
        }
        i += whole * (size_t)L;
        q += (int64_t)whole;
        while (i < n) {
            o[i++] = f32_to_i16(tb[(size_t)s * tcap + (size_t)(q - q0)]);
            s++;
        }
    } else {
        float *o = (float *)out;
        for (; i < n; i++) {
            o[i] = tb[(size_t)s * tcap + (size_t)(q - q0)];
            if (++s == L) {
                s = 0;
                q++;
            }
        }
    }
}

/* Compute outputs [j0, j1) into the class buffers; all their inputs are in
 * the substreams. */
static void pm_compute(sc_resampler *st, int64_t j0, int64_t j1, int64_t q0)
{
    int32_t L = st->L;
    size_t tcap = (size_t)st->tcap;
    const rs_run *rn = runs(st);
    for (int32_t s = 0; s < L; s++) {
        int64_t qa = ceil_div(j0 - s, L), qb = ceil_div(j1 - s, L);
        if (qb <= qa)
            continue;
        if (st->wide && rs_k.pm_kernel_wide) {
            rs_k.pm_kernel_wide(buf(st), (size_t)st->sub_cap, rn + st->run_start[s],
                           st->run_start[s + 1] - st->run_start[s], coefs(st), tab(st),
                           qa - st->base,
                                (size_t)(qb - qa), tmp(st) + (size_t)s * tcap + (size_t)(qa - q0));
            continue;
        }
        rs_k.pm_kernel(buf(st), (size_t)st->sub_cap, rn + st->run_start[s],
                  st->run_start[s + 1] - st->run_start[s], coefs(st), tab(st), qa - st->base,
                  (size_t)(qb - qa), tmp(st) + (size_t)s * tcap + (size_t)(qa - q0));
    }
}

/* Drop substream entries no future output reads. */
static void pm_compact(sc_resampler *st)
{
    int64_t keep = floor_div(st->n_out, st->L) + st->e_min - 1;
    int64_t fill = ceil_div(st->n_in, st->M);    /* t of the first unwritten period */
    if (keep <= st->base)
        return;
    size_t len = (size_t)(fill - keep), from = (size_t)(keep - st->base);
    float *b = buf(st);
    for (int32_t r = 0; r < st->M; r++) {
        float *sb = b + (size_t)r * (size_t)st->sub_cap;
        memmove(sb, sb + from, len * sizeof(float));
    }
    st->base = keep;
}

/* ------------------------------------------------------------------ */
/* dot engine                                                          */

RS_BODY float dot_kernel(const float *SC_RESTRICT g, const float *SC_RESTRICT x, int32_t n)
{
#if RS_VECTOR
    rs_v8 a = { 0 };
    for (int32_t i = 0; i < n; i += RS_LANES)
        a += *(const rs_v8u *)(g + i) * *(const rs_v8u *)(x + i);
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
#else
    float l[RS_LANES] = { 0 };
    for (int32_t i = 0; i < n; i += RS_LANES)
        for (int k = 0; k < RS_LANES; k++)
            l[k] += g[i + k] * x[i + k];
    return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
#endif
}

RS_BODY void dot_outputs_body(sc_resampler *st, int64_t j0, int64_t j1, void *out,
                              int kind, int64_t drop)
{
    const float *cf = coefs(st);
    const float *b = buf(st);
    int32_t L = st->L, M = st->M, TP = st->taps_pad;
    int64_t q = floor_div(j0, L);
    int32_t s = (int32_t)(j0 - q * L);
    int64_t w = q * M - st->base - TP + 1;   /* window start for o_s = 0 */
    for (int64_t j = j0; j < j1; j++) {
        int32_t o = (int32_t)(((int64_t)s * M) / L);
        int32_t p = (int32_t)(((int64_t)s * M) % L);
        float v = dot_kernel(cf + (size_t)p * TP, b + w + o, TP);
        if (j - j0 >= drop) {
            size_t at = (size_t)(j - j0 - drop);
            if (kind == KIND_I16)
                ((int16_t *)out)[at] = f32_to_i16(v);
            else
                ((float *)out)[at] = v;
        }
        if (++s == L) {
            s = 0;
            w += M;
        }
    }
}

/* ------------------------------------------------------------------ */
/* driver                                                              */

/* Consume n inputs, emitting outputs up to index j_limit (exclusive) or as
 * many as the inputs determine; returns the count written to out. */
static int64_t run(sc_resampler *st, const void *in, int kind, size_t n, void *out,
                   int64_t j_limit)
{
    size_t esize = kind == KIND_I16 ? sizeof(int16_t) : sizeof(float);
    const char *ip = (const char *)in;
    char *op = (char *)out;
    int64_t written = 0;

    if (st->engine == ENGINE_COPY) {
        int64_t j1 = st->n_in + (int64_t)n;
        if (j1 > j_limit)
            j1 = j_limit;
        int64_t count = j1 - st->n_out;
        int64_t drop = count < st->skip ? count : st->skip;
        if (count - drop > 0) {
            if (in)
                memcpy(op, ip + (size_t)drop * esize, (size_t)(count - drop) * esize);
            else
                memset(op, 0, (size_t)(count - drop) * esize);
        }
        st->skip -= drop;
        st->n_in += (int64_t)n;
        st->n_out = j1;
        return count - drop;
    }

    size_t done = 0;
    while (done < n) {
        size_t room;
        if (st->engine == ENGINE_PM) {
            /* compact as soon as the rest of the call does not fit, so a
             * chunk is computed in one pass (blocks of many vectors) rather
             * than two short ones */
            int64_t end = (st->base + (int64_t)(st->sub_cap - RS_SLACK)) * st->M;
            if (end - st->n_in < st->M || (uint64_t)(end - st->n_in) < (uint64_t)(n - done)) {
                pm_compact(st);
                end = (st->base + (int64_t)(st->sub_cap - RS_SLACK)) * st->M;
            }
            room = (size_t)(end - st->n_in);
        } else {
            int64_t end = st->base + st->buf_cap;
            if (end - st->n_in < st->M || (uint64_t)(end - st->n_in) < (uint64_t)(n - done)) {
                /* keep the last hist inputs */
                int64_t keep = st->n_in - st->hist;
                float *b = buf(st);
                memmove(b, b + (keep - st->base), (size_t)st->hist * sizeof(float));
                st->base = keep;
                end = st->base + st->buf_cap;
            }
            room = (size_t)(end - st->n_in);
        }
        size_t chunk = n - done < room ? n - done : room;
        const void *src = in ? (const void *)(ip + done * esize) : NULL;
        if (st->engine == ENGINE_PM) {
            if (src) {
                pm_store(st, src, kind, st->n_in, chunk);
            } else {
                /* zeros: the flush tail */
                static const float zeros[256];
                size_t k = 0;
                while (k < chunk) {
                    size_t m = chunk - k < 256 ? chunk - k : 256;
                    pm_store(st, zeros, KIND_F32, st->n_in + (int64_t)k, m);
                    k += m;
                }
            }
        } else {
            float *dst = buf(st) + (st->n_in - st->base);
            if (!src)
                memset(dst, 0, chunk * sizeof(float));
            else if (kind == KIND_I16)
                rs_k.i16_to_f32((const int16_t *)src, chunk, dst);
            else
                memcpy(dst, src, chunk * sizeof(float));
        }
        st->n_in += (int64_t)chunk;
        done += chunk;

        int64_t j0 = st->n_out, j1 = produced_after(st, st->n_in);
        if (j1 > j_limit)
            j1 = j_limit;
        if (j1 <= j0)
            continue;
        int64_t drop = j1 - j0 < st->skip ? j1 - j0 : st->skip;
        if (st->engine == ENGINE_PM) {
            int64_t q0 = floor_div(j0, st->L);
            pm_compute(st, j0, j1, q0);
            if (j1 - j0 > drop)
                pm_emit(st, j0 + drop, j1, q0, op + (size_t)written * esize, kind);
        } else {
            rs_k.dot_outputs(st, j0, j1, op + (size_t)written * esize, kind, drop);
        }
        written += j1 - j0 - drop;
        st->skip -= drop;
        st->n_out = j1;
    }
    return written;
}

/* 1 when no sample is an infinity or a NaN (exponent bits all ones). */
RS_BODY int all_finite_body(const float *SC_RESTRICT x, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        bad |= (u & 0x7F800000u) == 0x7F800000u;
    }
    return !bad;
}

static int64_t process(sc_resampler *st, const void *in, int kind, size_t n, void *out,
                       size_t cap)
{
    if (!st || st->magic != RS_MAGIC || (n && (!in || !out)))
        return SC_EARG;
    int64_t count = sc_resampler_out_count(st, n);
    if (count < 0)
        return count;
    if ((uint64_t)count > cap)
        return SC_EBUFFER;
    /* The table form multiplies exact zeros with inputs near each output's
     * reach (see pm_kernel); 0 * inf is a NaN, so non-finite float input
     * is refused rather than let it spread past its reach. */
    if (kind == KIND_F32 && !rs_k.all_finite((const float *)in, n))
        return SC_EARG;
    return run(st, in, kind, n, out, INT64_MAX);
}

int64_t sc_resampler_process(sc_resampler *st, const int16_t *in, size_t n, int16_t *out,
                             size_t cap)
{
    return process(st, in, KIND_I16, n, out, cap);
}

int64_t sc_resampler_out_area(const sc_resampler *st)
{
    if (!st || st->magic != RS_MAGIC)
        return SC_EARG;
    return (int64_t)st->off_out;
}

int64_t sc_resampler_process_bytes(sc_resampler *st, const void *in, size_t nbytes)
{
    if (!st || st->magic != RS_MAGIC || (nbytes & 1))
        return SC_EARG;
    size_t n = nbytes >> 1;
    int64_t count = sc_resampler_out_count(st, n);
    if (count < 0)
        return count;
    if ((uint64_t)count > (st->size - st->off_out) / sizeof(int16_t))
        return SC_EBUFFER;
    if (n && !in)
        return SC_EARG;
    return 2 * run(st, in, KIND_I16, n, (char *)st + st->off_out, INT64_MAX);
}

int64_t sc_resampler_process_float(sc_resampler *st, const float *in, size_t n, float *out,
                                   size_t cap)
{
    return process(st, in, KIND_F32, n, out, cap);
}

static int64_t flush(sc_resampler *st, int kind, void *out, size_t cap)
{
    if (!st || st->magic != RS_MAGIC)
        return SC_EARG;
    int64_t count = sc_resampler_flush_count(st);
    if ((uint64_t)count > cap)
        return SC_EBUFFER;
    if (count && !out)
        return SC_EARG;
    int64_t limit = tail_total(st);
    /* zeros needed so that the limit is determined: produced_after(n_in + z) >= limit */
    int64_t need_in = ceil_div(limit * st->M, st->L);
    int64_t z = need_in - st->n_in;
    int64_t written = 0;
    if (z > 0)
        written = run(st, NULL, kind, (size_t)z, out, limit);
    sc_resampler_reset(st);
    return written;
}

int64_t sc_resampler_flush(sc_resampler *st, int16_t *out, size_t cap)
{
    return flush(st, KIND_I16, out, cap);
}

int64_t sc_resampler_flush_float(sc_resampler *st, float *out, size_t cap)
{
    return flush(st, KIND_F32, out, cap);
}

/* ------------------------------------------------------------------ */
/* the kernels of each level                                           */

#define RS_LEVEL_KERNELS(SFX, ATTR)                                                             \
ATTR static void i16_to_f32_##SFX(const int16_t *SC_RESTRICT in, size_t n,                    \
                                  float *SC_RESTRICT out) { i16_to_f32_body(in, n, out); }     \
ATTR static void f32_to_i16_n_##SFX(const float *SC_RESTRICT in, size_t n,                    \
                                    int16_t *SC_RESTRICT out) { f32_to_i16_n_body(in, n, out); } \
ATTR static void interleave2_i16_##SFX(const float *SC_RESTRICT c0, const float *SC_RESTRICT c1, \
                                       size_t n, int16_t *SC_RESTRICT o)                       \
{ interleave2_i16_body(c0, c1, n, o); }                                                        \
ATTR static void interleave3_i16_##SFX(const float *SC_RESTRICT c0, const float *SC_RESTRICT c1, \
                                       const float *SC_RESTRICT c2, size_t n,                  \
                                       int16_t *SC_RESTRICT o)                                 \
{ interleave3_i16_body(c0, c1, c2, n, o); }                                                    \
ATTR static void deinterleave2_i16_##SFX(const int16_t *SC_RESTRICT x, size_t n,              \
                                         float *SC_RESTRICT d0, float *SC_RESTRICT d1)         \
{ deinterleave2_i16_body(x, n, d0, d1); }                                                      \
ATTR static void deinterleave3_i16_##SFX(const int16_t *SC_RESTRICT x, size_t n,              \
                                         float *SC_RESTRICT d0, float *SC_RESTRICT d1,        \
                                         float *SC_RESTRICT d2)                                \
{ deinterleave3_i16_body(x, n, d0, d1, d2); }                                                  \
ATTR static void pm_kernel_##SFX(const float *SC_RESTRICT sub, size_t sub_cap,                \
                                 const rs_run *rn, int nruns, const float *SC_RESTRICT cf,     \
                                 const float *SC_RESTRICT tb, int64_t i0, size_t nq,           \
                                 float *SC_RESTRICT dst)                                       \
{ pm_kernel_body(sub, sub_cap, rn, nruns, cf, tb, i0, nq, dst); }                              \
ATTR static void dot_outputs_##SFX(sc_resampler *st, int64_t j0, int64_t j1, void *out,       \
                                   int kind, int64_t drop)                                     \
{ dot_outputs_body(st, j0, j1, out, kind, drop); }                                             \
ATTR static int all_finite_##SFX(const float *SC_RESTRICT x, size_t n)                        \
{ return all_finite_body(x, n); }

#define RS_KERNEL_SET(SFX, WIDE)                                                                \
    { i16_to_f32_##SFX, f32_to_i16_n_##SFX, interleave2_i16_##SFX, interleave3_i16_##SFX,      \
      deinterleave2_i16_##SFX, deinterleave3_i16_##SFX, pm_kernel_##SFX, WIDE,                 \
      dot_outputs_##SFX, all_finite_##SFX }

RS_LEVEL_KERNELS(baseline, )
static const rs_kernels rs_baseline = RS_KERNEL_SET(baseline, NULL);
static rs_kernels rs_k = RS_KERNEL_SET(baseline, NULL);

#if defined(SC_CPU_X86)
RS_LEVEL_KERNELS(avx2, SC_TARGET_AVX2 RS_CONTRACT)
RS_LEVEL_KERNELS(avx512, SC_TARGET_AVX512 RS_CONTRACT)
#if RS_HAVE_WIDE
SC_TARGET_AVX512 RS_CONTRACT
static void pm_kernel_wide_avx512(const float *SC_RESTRICT sub, size_t sub_cap, const rs_run *rn,
                                  int nruns, const float *SC_RESTRICT cf,
                                  const float *SC_RESTRICT tb, int64_t i0, size_t nq,
                                  float *SC_RESTRICT dst)
{
    pm_kernel_wide_body(sub, sub_cap, rn, nruns, cf, tb, i0, nq, dst);
}
#else
#define pm_kernel_wide_avx512 NULL
#endif
static const rs_kernels rs_avx2 = RS_KERNEL_SET(avx2, NULL);
static const rs_kernels rs_avx512 = RS_KERNEL_SET(avx512, pm_kernel_wide_avx512);
#endif

#if RS_VECTOR && defined(SC_CPU_ARM64)
/* Level neon: the period-major kernel in NEON intrinsics; the rest (the
 * dot engine, conversions) is baseline's vector code, which on AArch64
 * compiles to NEON as well. */
static void pm_kernel_neon(const float *SC_RESTRICT sub, size_t sub_cap, const rs_run *rn,
                           int nruns, const float *SC_RESTRICT cf, const float *SC_RESTRICT tb,
                           int64_t i0, size_t nq, float *SC_RESTRICT dst)
{
    pm_kernel_neon_body(sub, sub_cap, rn, nruns, cf, tb, i0, nq, dst);
}
static const rs_kernels rs_neon = {
    i16_to_f32_baseline, f32_to_i16_n_baseline, interleave2_i16_baseline,
    interleave3_i16_baseline, deinterleave2_i16_baseline, deinterleave3_i16_baseline,
    pm_kernel_neon, NULL, dot_outputs_baseline, all_finite_baseline
};
#endif

int sc_resample_select(int level)
{
#if defined(SC_CPU_X86)
    if (level >= SC_CPU_AVX512) {
        rs_k = rs_avx512;
        return SC_CPU_AVX512;
    }
    if (level >= SC_CPU_AVX2) {
        rs_k = rs_avx2;
        return SC_CPU_AVX2;
    }
#elif RS_VECTOR && defined(SC_CPU_ARM64)
    if (level >= SC_CPU_NEON) {
        rs_k = rs_neon;
        return SC_CPU_NEON;
    }
#endif
    (void)level;
    rs_k = rs_baseline;
    return SC_CPU_BASELINE;
}
