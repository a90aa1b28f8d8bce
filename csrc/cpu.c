#include "cpu.h"

#include <string.h>

#if defined(SC_CPU_X86)
#include <cpuid.h>

/* XCR0: which register states the OS saves on a context switch. */
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static int detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return SC_CPU_BASELINE;
    unsigned c1 = c;
    /* AVX needs the OS to save XMM and YMM (XCR0 bits 1, 2): OSXSAVE says
     * XGETBV may be asked. */
    int osxsave = (c1 >> 27) & 1, avx = (c1 >> 28) & 1;
    if (!osxsave || !avx)
        return SC_CPU_BASELINE;
    uint64_t xcr0 = xgetbv0();
    if ((xcr0 & 0x6) != 0x6)
        return SC_CPU_BASELINE;
    int fma = (c1 >> 12) & 1, movbe = (c1 >> 22) & 1, popcnt = (c1 >> 23) & 1,
        f16c = (c1 >> 29) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return SC_CPU_BASELINE;
    unsigned b7 = b;
    int bmi1 = (b7 >> 3) & 1, avx2 = (b7 >> 5) & 1, bmi2 = (b7 >> 8) & 1;
    int lzcnt = 0;
    if (__get_cpuid(0x80000001u, &a, &b, &c, &d))
        lzcnt = (c >> 5) & 1;
    if (!(fma && movbe && popcnt && f16c && bmi1 && avx2 && bmi2 && lzcnt))
        return SC_CPU_BASELINE;
    /* AVX-512: F, DQ, CD, BW, VL, and the OS saving opmask and ZMM state
     * (XCR0 bits 5-7) as well. */
    int avx512 = ((b7 >> 16) & 1) && ((b7 >> 17) & 1) && ((b7 >> 28) & 1)
                 && ((b7 >> 30) & 1) && ((b7 >> 31) & 1);
    if (avx512 && (xcr0 & 0xE6) == 0xE6)
        return SC_CPU_AVX512;
    return SC_CPU_AVX2;
}

static const char *const level_names[] = { "baseline", "avx2", "avx512" };
static const char arch_name[] = "x86_64";
#elif defined(SC_CPU_ARM64)
/* Advanced SIMD is part of the AArch64 base architecture (Linux, macOS and
 * Windows all require it), so there is nothing to ask; features beyond it
 * (SVE, dot product) would be read from getauxval(AT_HWCAP) here. */
static int detect(void) { return SC_CPU_NEON; }
static const char *const level_names[] = { "baseline", "neon" };
static const char arch_name[] = "aarch64";
#else
static int detect(void) { return SC_CPU_BASELINE; }
static const char *const level_names[] = { "baseline" };
static const char arch_name[] = "other";
#endif

_Static_assert(sizeof level_names / sizeof level_names[0] == SC_CPU_TOP + 1,
               "one name per level");

static const char *const family_names[SC_FAMILY_COUNT] = { "g711", "resample", "g722", "base64" };

/* Written by sc_cpu_select() only (start-up, or a test re-selecting). */
static int chosen_level;
static int family_levels[SC_FAMILY_COUNT];

int sc_cpu_detected(void)
{
    return detect();
}

int sc_cpu_select(int cap)
{
    int level = detect();
    if (cap >= 0 && cap < level)
        level = cap;
    family_levels[SC_FAMILY_G711] = sc_g711_select(level);
    family_levels[SC_FAMILY_RESAMPLE] = sc_resample_select(level);
    family_levels[SC_FAMILY_G722] = sc_g722_select(level);
    family_levels[SC_FAMILY_BASE64] = sc_base64_select(level);
    chosen_level = level;
    return level;
}

int sc_cpu_level(void)
{
    return chosen_level;
}

const char *sc_cpu_level_name(int level)
{
    return level >= 0 && level <= SC_CPU_TOP ? level_names[level] : NULL;
}

int sc_cpu_level_from_name(const char *name)
{
    if (!name)
        return SC_EARG;
    for (int level = 0; level <= SC_CPU_TOP; level++)
        if (strcmp(name, level_names[level]) == 0)
            return level;
    return SC_EARG;
}

const char *sc_cpu_family_name(int family)
{
    return family >= 0 && family < SC_FAMILY_COUNT ? family_names[family] : NULL;
}

const char *sc_cpu_family_kernel(int family)
{
    if (family < 0 || family >= SC_FAMILY_COUNT)
        return NULL;
    return level_names[family_levels[family]];
}

const char *sc_cpu_arch(void)
{
    return arch_name;
}
