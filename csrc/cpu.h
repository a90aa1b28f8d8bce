/*
 * Run-time CPU detection and kernel dispatch.
 *
 * Each SIMD kernel family (G.711, the resampler, G.722, base64) is compiled
 * in several forms in every build, each with a feature-list target
 * attribute that gcc and clang (zig cc) both honour, and one form per
 * family is chosen through function pointers.  The choice is made once, at
 * start-up: sc_cpu_select() (the Python package calls it on import) asks
 * the CPU itself (CPUID + XGETBV on x86-64, so an OS that does not save
 * the AVX / AVX-512 registers is respected) and never the compiler's CPU
 * model, whose placeholder in zig's runtime always says "baseline".
 * Until then every family runs its baseline form.
 *
 * Levels are small integers, each including the ones below it, and named
 * per architecture:
 *
 *   x86-64   0 "baseline" (SSE2)   1 "avx2" (AVX2, FMA, BMI1/2, F16C,
 *            LZCNT, MOVBE)         2 "avx512" (AVX-512 F, CD, BW, DQ, VL)
 *   aarch64  0 "baseline" (portable C)   1 "neon" (Advanced SIMD, which
 *            every AArch64 CPU has)
 *   other    0 "baseline"
 *
 * Kernels (the csrc files) test the level with the SC_CPU_* names below, which
 * exist only on their architecture.
 */
#ifndef SC_CPU_H
#define SC_CPU_H

#include "sc_common.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(SC_NO_SIMD)
#define SC_CPU_X86 1
enum { SC_CPU_BASELINE = 0, SC_CPU_AVX2 = 1, SC_CPU_AVX512 = 2, SC_CPU_TOP = 2 };
/* Feature lists (not "arch=" names: zig cc compiles those as baseline). */
#define SC_TARGET_AVX2_FEATURES "avx2,fma,bmi,bmi2,f16c,lzcnt,movbe,popcnt"
#define SC_TARGET_AVX2 __attribute__((target(SC_TARGET_AVX2_FEATURES)))
#define SC_TARGET_AVX512 \
    __attribute__((target(SC_TARGET_AVX2_FEATURES ",avx512f,avx512cd,avx512bw,avx512dq,avx512vl")))
#elif defined(__aarch64__) && !defined(SC_NO_SIMD)
#define SC_CPU_ARM64 1
enum { SC_CPU_BASELINE = 0, SC_CPU_NEON = 1, SC_CPU_TOP = 1 };
#else
enum { SC_CPU_BASELINE = 0, SC_CPU_TOP = 0 };
#endif

/* Families, in the order sc_cpu_family_name() lists them. */
enum { SC_FAMILY_G711 = 0, SC_FAMILY_RESAMPLE, SC_FAMILY_G722, SC_FAMILY_BASE64, SC_FAMILY_COUNT };

/* Each family's selector: install the family's best kernels of at most
 * `level` and return the level they were written for (a family with no
 * kernels of its own for a level runs those of the level below).  Called
 * only by sc_cpu_select(). */
int sc_g711_select(int level);
int sc_resample_select(int level);
int sc_g722_select(int level);
int sc_base64_select(int level);

/* cffi:begin */
/* The highest level this CPU and OS can run. */
int sc_cpu_detected(void);
/* Install every family's kernels for min(cap, detected) (cap < 0: no cap);
 * returns the level chosen.  Meant for start-up: switching while another
 * thread runs a kernel is not supported. */
int sc_cpu_select(int cap);
/* The level chosen by the last sc_cpu_select() (0 before any). */
int sc_cpu_level(void);
/* Name of level `level` on this architecture, NULL past the top one. */
const char *sc_cpu_level_name(int level);
/* Level named `name` on this architecture, or SC_EARG. */
int sc_cpu_level_from_name(const char *name);
/* Name of kernel family `family` ("g711", ...), NULL past the last. */
const char *sc_cpu_family_name(int family);
/* Level whose kernels family `family` runs (e.g. "avx2"), NULL past the last. */
const char *sc_cpu_family_kernel(int family);
/* The architecture the levels belong to: "x86_64", "aarch64" or "other". */
const char *sc_cpu_arch(void);
/* cffi:end */

#endif
