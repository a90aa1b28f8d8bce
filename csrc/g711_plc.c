/*
 * ITU-T G.711 Appendix I packet-loss concealment: see g711_plc.h.
 *
 * The arithmetic is in doubles, in the order the Recommendation gives (the
 * overlap-add weights step by repeated addition, scaling truncates toward
 * zero), so that the reference's output comes out bit for bit.  Fused
 * multiply-adds would round differently: they are switched off here.
 */
#include "g711_plc.h"

#include <math.h>
#include <string.h>

#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

/* The 8 kHz lengths of the Recommendation; each is scaled by rate / 8000. */
enum {
    PITCH_MIN_8K = 40,    /* 5 ms, 200 Hz */
    PITCH_MAX_8K = 120,   /* 15 ms, 66 Hz */
    FRAME_8K = 80,        /* the 10 ms unit */
    CORR_LEN_8K = 160,    /* 20 ms matched against the past */
    END_STEP_8K = 32,     /* recovery overlap grows 4 ms per further lost unit */
    MAX_SCALE = 6         /* 48 kHz */
};
#define MIN_POWER 250.0   /* per 80 summed samples */
#define FADE_PER_UNIT 0.2 /* level lost per 10 ms after the first */
#define SILENT_AFTER 5    /* units 6.. (60 ms on) are silence */

struct sc_g711plc {
    int32_t k;          /* rate / 8000 */
    int32_t frame;      /* 10 ms */
    int32_t hist;       /* history: 3 longest periods + the delay (48.75 ms) */
    int32_t delay;      /* longest overlap, 1/4 of the longest period (3.75 ms) */
    int32_t pitch_min, pitch_max, corr_len, ndec, end_step;
    int32_t head;       /* history is a ring: index of its oldest sample */
    int32_t delayed;    /* 0 while a lazy state has seen no loss: output = input */
    int32_t bridge_pos; /* samples of the crossfade into the delay done (lazy) */
    int32_t concealing; /* 1 from the first lost sample to the first good one */
    int32_t lost;       /* lost units completed in this loss (saturates) */
    int32_t lost_pos;   /* samples into the current lost unit */
    int32_t pitch, overlap;
    int32_t offset;     /* next sample of the repeated periods */
    int32_t period_len; /* samples repeated: 1, 2 or 3 periods */
    int32_t join_len;   /* overlap-add into a grown repetition, this unit */
    int32_t rec_len, rec_pos; /* recovery overlap-add into good samples */
    double gain, gain_step;   /* level of the next lost sample, its fall */
    double join_l, join_r, join_incr;
    double rec_l, rec_r, rec_incr, rec_incr_l;
    /* then: double synth[hist], lastq[delay];
     *       int16_t history[hist] (a ring), join[delay], rec[frame], bridge[delay]; */
};

static double *synth(sc_g711plc *st) { return (double *)(st + 1); }
static double *lastq(sc_g711plc *st) { return synth(st) + st->hist; }
static int16_t *history(sc_g711plc *st) { return (int16_t *)(lastq(st) + st->delay); }
static int16_t *joinbuf(sc_g711plc *st) { return history(st) + st->hist; }
static int16_t *recbuf(sc_g711plc *st) { return joinbuf(st) + st->delay; }
static int16_t *bridgebuf(sc_g711plc *st) { return recbuf(st) + st->frame; }

static int32_t scale_of(int32_t rate)
{
    if (rate < 8000 || rate % 8000 || rate / 8000 > MAX_SCALE)
        return 0;
    return rate / 8000;
}

size_t sc_g711plc_size(int32_t rate)
{
    size_t k = (size_t)scale_of(rate);
    if (!k)
        return 0;
    size_t hist = k * (3 * PITCH_MAX_8K + PITCH_MAX_8K / 4), delay = k * (PITCH_MAX_8K / 4);
    return sizeof(sc_g711plc) + (hist + delay) * sizeof(double)
        + (hist + 2 * delay + k * FRAME_8K) * sizeof(int16_t);
}

int sc_g711plc_init(sc_g711plc *st, int32_t rate, int lazy)
{
    int32_t k = scale_of(rate);
    if (!k)
        return -1;
    memset(st, 0, sc_g711plc_size(rate));
    st->k = k;
    st->frame = k * FRAME_8K;
    st->pitch_min = k * PITCH_MIN_8K;
    st->pitch_max = k * PITCH_MAX_8K;
    st->delay = st->pitch_max / 4;
    st->hist = 3 * st->pitch_max + st->delay;
    st->corr_len = k * CORR_LEN_8K;
    st->ndec = 2 * k;
    st->end_step = k * END_STEP_8K;
    st->delayed = !lazy;
    st->bridge_pos = st->delay;
    return 0;
}

int32_t sc_g711plc_delay(const sc_g711plc *st)
{
    return st->delayed ? st->delay : 0;
}

static int16_t clamp16(double t)
{
    if (t > 32767.0)
        t = 32767.0;
    else if (t < -32768.0)
        t = -32768.0;
    return (int16_t)t;
}

/* Triangular overlap-add of n samples: l fading out, r fading in, into o. */
static void ola(const double *l, const double *r, double *o, int32_t n)
{
    double incr = 1.0 / n, lw = 1.0 - incr, rw = incr;
    for (int32_t i = 0; i < n; i++) {
        double t = lw * l[i] + rw * r[i];
        if (t > 32767.0)
            t = 32767.0;
        else if (t < -32768.0)
            t = -32768.0;
        o[i] = t;
        lw -= incr;
        rw += incr;
    }
}

/* Correlation of the last corr_len samples with the stretch `lag` earlier,
 * over every `step`-th sample, normalised by that stretch's power. */
static double score(const double *seg, const double *last, int32_t len, int32_t step,
                    double energy, double min_power)
{
    double corr = 0.0;
    for (int32_t i = 0; i < len; i += step)
        corr += seg[i] * last[i];
    return corr / sqrt(energy < min_power ? min_power : energy);
}

/* The pitch period of the history in synth[]: the lag of the best match of
 * its last 20 ms, searched every ndec samples, then around the best. */
static int32_t find_pitch(sc_g711plc *st)
{
    const double *end = synth(st) + st->hist;
    const double *last = end - st->corr_len;
    const double *oldest = last - st->pitch_max;  /* the match at the longest lag */
    int32_t span = st->pitch_max - st->pitch_min, len = st->corr_len, step = st->ndec;
    double coarse_floor = MIN_POWER, fine_floor = MIN_POWER * st->k;

    const double *seg = oldest;
    double energy = 0.0;
    for (int32_t i = 0; i < len; i += step)
        energy += seg[i] * seg[i];
    double best = score(seg, last, len, step, energy, coarse_floor);
    int32_t best_at = 0;
    for (int32_t j = step; j <= span; j += step) {
        energy -= seg[0] * seg[0];
        energy += seg[len] * seg[len];
        seg += step;
        double c = score(seg, last, len, step, energy, coarse_floor);
        if (c >= best) {  /* ties go to the shorter period */
            best = c;
            best_at = j;
        }
    }

    int32_t lo = best_at - (step - 1), hi = best_at + (step - 1);
    if (lo < 0)
        lo = 0;
    if (hi > span)
        hi = span;
    seg = oldest + lo;
    energy = 0.0;
    for (int32_t i = 0; i < len; i++)
        energy += seg[i] * seg[i];
    best = score(seg, last, len, 1, energy, fine_floor);
    best_at = lo;
    for (int32_t j = lo + 1; j <= hi; j++) {
        energy -= seg[0] * seg[0];
        energy += seg[len] * seg[len];
        seg++;
        double c = score(seg, last, len, 1, energy, fine_floor);
        if (c > best) {
            best = c;
            best_at = j;
        }
    }
    return st->pitch_max - best_at;
}

/* n samples of the repeated periods, going round them. */
static void repeat_periods(sc_g711plc *st, int16_t *out, int32_t n)
{
    const double *start = synth(st) + st->hist - st->period_len;
    while (n > 0) {
        int32_t cnt = st->period_len - st->offset;
        if (cnt > n)
            cnt = n;
        for (int32_t i = 0; i < cnt; i++)
            out[i] = (int16_t)start[st->offset + i];
        st->offset += cnt;
        if (st->offset == st->period_len)
            st->offset = 0;
        out += cnt;
        n -= cnt;
    }
}

/* Let the repetition reach one period further back, overlap-adding the
 * saved last 1/4 period over the 1/4 period before it. */
static void blend_tail(sc_g711plc *st)
{
    double *end = synth(st) + st->hist;
    ola(lastq(st), end - st->period_len - st->overlap, end - st->overlap, st->overlap);
}

/* History sample i, 0 the oldest and hist - 1 the newest. */
static int16_t *hist_at(sc_g711plc *st, int32_t i)
{
    int32_t k = st->head + i;
    return history(st) + (k >= st->hist ? k - st->hist : k);
}

/* Copy n samples between pcm and the ring from ring position `at` on
 * (wrapping): into the ring, or out of it. */
static void ring_copy(sc_g711plc *st, int32_t at, int16_t *pcm, int32_t n, int into_ring)
{
    int16_t *ring = history(st);
    int32_t first = st->hist - at < n ? st->hist - at : n;
    if (into_ring) {
        memcpy(ring + at, pcm, (size_t)first * sizeof *pcm);
        memcpy(ring, pcm + first, (size_t)(n - first) * sizeof *pcm);
    } else {
        memcpy(pcm, ring + at, (size_t)first * sizeof *pcm);
        memcpy(pcm + first, ring, (size_t)(n - first) * sizeof *pcm);
    }
}

/* Append n (<= hist - delay) samples to the history (in place of its n oldest);
 * pcm gets the samples that leave the delay line (a lazy state before its
 * first loss has none: pcm is left as it is). */
static void push(sc_g711plc *st, int16_t *pcm, int32_t n)
{
    ring_copy(st, st->head, pcm, n, 1);
    st->head += n;
    if (st->head >= st->hist)
        st->head -= st->hist;
    if (!st->delayed)
        return;
    int32_t out = st->head - n - st->delay;  /* newest n samples but `delay` */
    if (out < 0)
        out += st->hist;
    ring_copy(st, out, pcm, n, 0);
    /* lazy, at its first loss: the delay line replays the last 3.75 ms
     * already heard; crossfade into it from the last period continued */
    const int16_t *bridge = bridgebuf(st);
    for (int32_t j = 0; j < n && st->bridge_pos < st->delay; j++, st->bridge_pos++) {
        double w = (st->bridge_pos + 1.0) / (st->delay + 1.0);
        pcm[j] = clamp16((1.0 - w) * bridge[st->bridge_pos] + w * pcm[j]);
    }
}

/* Set up the lost unit that starts now (st->lost of them done before it). */
static void start_unit(sc_g711plc *st)
{
    st->join_len = 0;
    if (st->lost == 0) {
        double *s = synth(st);
        for (int32_t i = 0; i < st->hist; i++)
            s[i] = *hist_at(st, i);
        st->pitch = find_pitch(st);
        st->overlap = st->pitch >> 2;
        if (!st->delayed) {
            /* a lazy state's first loss: from here on the output lags by
             * the delay; until the delay line has caught up it plays the
             * last period continued (pitch >= delay), fading into it */
            for (int32_t i = 0; i < st->delay; i++)
                bridgebuf(st)[i] = *hist_at(st, st->hist - st->pitch + i);
            st->delayed = 1;
            st->bridge_pos = 0;
        }
        memcpy(lastq(st), s + st->hist - st->overlap, (size_t)st->overlap * sizeof(double));
        st->offset = 0;
        st->period_len = st->pitch;
        blend_tail(st);
        /* the last good samples, still in the delay line, lead into it */
        for (int32_t i = 0; i < st->overlap; i++)
            *hist_at(st, st->hist - st->overlap + i) = (int16_t)s[st->hist - st->overlap + i];
        return;
    }
    if (st->lost > SILENT_AFTER)
        return;
    st->gain = 1.0 - (st->lost - 1) * FADE_PER_UNIT;
    st->gain_step = FADE_PER_UNIT / st->frame;
    if (st->lost <= 2) {
        /* one more period: carry on with the old one for 1/4 period and
         * fade into the longer one */
        int32_t offset = st->offset;
        repeat_periods(st, joinbuf(st), st->overlap);
        st->offset = offset;
        while (st->offset > st->pitch)
            st->offset -= st->pitch;
        st->period_len += st->pitch;
        blend_tail(st);
        st->join_len = st->overlap;
        st->join_incr = 1.0 / st->overlap;
        st->join_l = 1.0 - st->join_incr;
        st->join_r = st->join_incr;
    }
}

void sc_g711plc_lost(sc_g711plc *st, int16_t *out, size_t n)
{
    if (!st->concealing) {
        st->concealing = 1;
        st->lost = 0;
        st->lost_pos = 0;
        st->rec_len = st->rec_pos = 0;
    }
    while (n > 0) {
        if (st->lost_pos == 0)
            start_unit(st);
        int32_t k = st->frame - st->lost_pos;
        if ((size_t)k > n)
            k = (int32_t)n;
        if (st->lost > SILENT_AFTER) {
            memset(out, 0, (size_t)k * sizeof *out);
        } else {
            repeat_periods(st, out, k);
            if (st->lost > 0) {
                const int16_t *join = joinbuf(st);
                for (int32_t j = 0; j < k; j++) {
                    int32_t pos = st->lost_pos + j;
                    int16_t v = out[j];
                    if (pos < st->join_len) {
                        v = clamp16(st->join_l * join[pos] + st->join_r * v);
                        st->join_l -= st->join_incr;
                        st->join_r += st->join_incr;
                    }
                    out[j] = (int16_t)(v * st->gain);
                    st->gain -= st->gain_step;
                }
            }
        }
        push(st, out, k);
        out += k;
        n -= (size_t)k;
        st->lost_pos += k;
        if (st->lost_pos == st->frame) {
            st->lost_pos = 0;
            if (st->lost <= SILENT_AFTER + 1)  /* further units change nothing */
                st->lost++;
        }
    }
}

/* First good sample after a loss: the synthetic signal goes on, at the
 * level the loss reached, and fades out over the good samples. */
static void start_recovery(sc_g711plc *st)
{
    int32_t units = st->lost + (st->lost_pos > 0);
    int32_t len = st->overlap + (units - 1) * st->end_step;
    if (len > st->frame)
        len = st->frame;
    double gain;
    if (st->lost_pos == 0)
        gain = 1.0 - (st->lost - 1) * FADE_PER_UNIT;
    else if (st->lost == 0)
        gain = 1.0;
    else if (st->lost > SILENT_AFTER)
        gain = 0.0;
    else
        gain = st->gain;
    if (gain < 0.0)
        gain = 0.0;
    repeat_periods(st, recbuf(st), len);
    st->rec_len = len;
    st->rec_pos = 0;
    st->rec_incr = 1.0 / len;
    st->rec_incr_l = st->rec_incr * gain;
    st->rec_l = (1.0 - st->rec_incr) * gain;
    st->rec_r = st->rec_incr;
    st->concealing = 0;
    st->lost = 0;
    st->lost_pos = 0;
}

void sc_g711plc_good(sc_g711plc *st, int16_t *pcm, size_t n)
{
    if (n > 0 && st->concealing)
        start_recovery(st);
    while (n > 0) {
        int32_t k = st->hist - st->delay;  /* the most push() takes */
        if ((size_t)k > n)
            k = (int32_t)n;
        const int16_t *rec = recbuf(st);
        for (int32_t j = 0; j < k && st->rec_pos < st->rec_len; j++) {
            pcm[j] = clamp16(st->rec_l * rec[st->rec_pos] + st->rec_r * pcm[j]);
            st->rec_l -= st->rec_incr_l;
            st->rec_r += st->rec_incr;
            st->rec_pos++;
        }
        push(st, pcm, k);
        pcm += k;
        n -= (size_t)k;
    }
}
