/*
 * The C kernels without Python: a driver that tests/test_platforms.py builds
 * with zig cc as a static musl program (x86-64 run here, aarch64 under
 * qemu-user) and whose outputs it compares with the installed package's.
 *
 *   kernels g711                     every int16 sample through the mu-law
 *                                    (G.191 and audioop rounding) and A-law
 *                                    encoders, then every code through the
 *                                    decoders; stdout: the codes and samples
 *   kernels g722 < PCM               16 kHz PCM -> G.722 codes -> PCM; stdout:
 *                                    the codes, then the decoded samples
 *   kernels resample IN OUT < PCM    PCM at IN Hz -> OUT Hz (default quality),
 *                                    in 20 ms calls then the flush; stdout:
 *                                    the samples
 *   kernels base64 < TEXT            strict base64 -> bytes on stdout, or
 *                                    "(corrupt)" when the text is refused
 *
 * Every SIMD level this CPU runs (csrc/cpu.h) is run in turn; the integer
 * kernels (G.711, G.722, base64) must give the same bytes at every level
 * (else exit 3, naming the level), and what is written is the top level's
 * output.  stderr names, per level, the level whose kernels each family ran
 * ("g722 neon"), so that a fall-back to a lower level's is seen.
 * Native-endian int16 in and out.  Exit 2 on bad usage or input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "frame.h"
#include "g711.h"
#include "g722.h"
#include "resample.h"

typedef struct {
    unsigned char *data;
    size_t len, cap;
} buffer;

static void put(buffer *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *grown = realloc(b->data, cap);
        if (!grown) {
            fprintf(stderr, "kernels: out of memory\n");
            exit(2);
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static buffer read_stdin(void)
{
    buffer in = { 0 };
    unsigned char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, stdin)) > 0)
        put(&in, chunk, got);
    return in;
}

static void run_g711(buffer *out)
{
    static int16_t pcm[65536], decoded[256];
    static uint8_t codes[65536], all_codes[256];
    for (int i = 0; i < 65536; i++)
        pcm[i] = (int16_t)(i - 32768);
    for (int i = 0; i < 256; i++)
        all_codes[i] = (uint8_t)i;
    sc_ulaw_encode(pcm, 65536, codes);
    put(out, codes, sizeof codes);
    sc_ulaw_encode_audioop(pcm, 65536, codes);
    put(out, codes, sizeof codes);
    sc_alaw_encode(pcm, 65536, codes);
    put(out, codes, sizeof codes);
    sc_ulaw_decode(all_codes, 256, decoded);
    put(out, decoded, sizeof decoded);
    sc_alaw_decode(all_codes, 256, decoded);
    put(out, decoded, sizeof decoded);
}

static int run_g722(const buffer *in, buffer *out)
{
    size_t n = in->len / 2 & ~(size_t)1; /* whole sample pairs */
    void *enc = malloc(sc_g722_encoder_get_size()), *dec = malloc(sc_g722_decoder_get_size());
    int16_t *pcm = malloc(n * 2 + 2), *pcm_out = malloc(n * 2 + 2);
    uint8_t *codes = malloc(n / 2 + 1);
    if (!enc || !dec || !pcm || !pcm_out || !codes)
        return 2;
    memcpy(pcm, in->data, n * 2);
    if (sc_g722_encoder_init(enc) != SC_OK || sc_g722_decoder_init(dec, 64000) != SC_OK)
        return 2;
    int64_t nc = sc_g722_encode(enc, pcm, n, codes, n / 2 + 1);
    int64_t np = nc < 0 ? nc : sc_g722_decode(dec, codes, (size_t)nc, pcm_out, n + 1);
    if (np < 0)
        return 2;
    put(out, codes, (size_t)nc);
    put(out, pcm_out, (size_t)np * 2);
    free(enc), free(dec), free(pcm), free(pcm_out), free(codes);
    return 0;
}

static int run_resample(const buffer *in, int32_t in_rate, int32_t out_rate, buffer *out)
{
    int64_t size = sc_resampler_get_size(in_rate, out_rate, SC_RESAMPLE_DEFAULT);
    if (size < 0)
        return 2;
    sc_resampler *st = malloc((size_t)size);
    size_t n = in->len / 2, step = (size_t)in_rate / 50;
    int16_t *pcm = malloc(n * 2 + 2), *res = malloc(65536 * 2);
    if (!st || !pcm || !res || sc_resampler_init(st, (size_t)size, in_rate, out_rate,
                                                 SC_RESAMPLE_DEFAULT) != SC_OK)
        return 2;
    memcpy(pcm, in->data, n * 2);
    for (size_t i = 0; i < n; i += step) {
        size_t take = n - i < step ? n - i : step;
        int64_t got = sc_resampler_process(st, pcm + i, take, res, 65536);
        if (got < 0)
            return 2;
        put(out, res, (size_t)got * 2);
    }
    int64_t got = sc_resampler_flush(st, res, 65536);
    if (got < 0)
        return 2;
    put(out, res, (size_t)got * 2);
    free(st), free(pcm), free(res);
    return 0;
}

static int run_base64(const buffer *in, buffer *out)
{
    size_t n = in->len;
    while (n && (in->data[n - 1] == '\n' || in->data[n - 1] == '\r'))
        n--;
    uint8_t *bytes = malloc(n / 4 * 3 + 1);
    if (!bytes)
        return 2;
    int64_t got = sc_base64_decode((const char *)in->data, n, bytes, n / 4 * 3 + 1);
    if (got < 0)
        put(out, "(corrupt)", 9); /* compared like any output: every level must refuse */
    else
        put(out, bytes, (size_t)got);
    free(bytes);
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    int integer = strcmp(what, "resample") != 0;
    if (!(strcmp(what, "g711") == 0 || strcmp(what, "g722") == 0 || strcmp(what, "base64") == 0
          || (strcmp(what, "resample") == 0 && argc == 4))) {
        fprintf(stderr, "usage: kernels g711 | g722 | base64 | resample IN_RATE OUT_RATE\n");
        return 2;
    }
    buffer in = { 0 }, first = { 0 };
    if (strcmp(what, "g711") != 0)
        in = read_stdin();
    int top = sc_cpu_detected();
    for (int level = 0; level <= top; level++) {
        buffer out = { 0 };
        sc_cpu_select(level);
        int rc = 0;
        if (strcmp(what, "g711") == 0)
            run_g711(&out);
        else if (strcmp(what, "g722") == 0)
            rc = run_g722(&in, &out);
        else if (strcmp(what, "base64") == 0)
            rc = run_base64(&in, &out);
        else
            rc = run_resample(&in, (int32_t)atoi(argv[2]), (int32_t)atoi(argv[3]), &out);
        if (rc)
            return rc;
        fprintf(stderr, "kernels: %s at level %s (%s): %zu bytes; ran", what,
                sc_cpu_level_name(level), sc_cpu_arch(), out.len);
        for (int family = 0; sc_cpu_family_name(family); family++)
            fprintf(stderr, " %s %s", sc_cpu_family_name(family), sc_cpu_family_kernel(family));
        fprintf(stderr, "\n");
        if (level > 0 && integer
            && (out.len != first.len || memcmp(out.data, first.data, out.len) != 0)) {
            fprintf(stderr, "kernels: %s: level %s differs from level %s\n", what,
                    sc_cpu_level_name(level), sc_cpu_level_name(0));
            return 3;
        }
        if (level == 0)
            first = out;
        if (level == top)
            fwrite(out.data, 1, out.len, stdout);
        if (level > 0)
            free(out.data);
    }
    return 0;
}
