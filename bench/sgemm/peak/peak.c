/*
 * peak.c estimates one core's clock and its float32 FMA peak, for the
 * SGEMM comparison (bench/sgemm/run.sh). Under a hypervisor /proc/cpuinfo
 * shows only the nominal (TSC) frequency, so both are measured:
 *
 *   - clock: a chain of dependent 64-bit integer adds, one per cycle on
 *     every x86 core since the Pentium 4, timed by the thread's CPU clock
 *     (so that time the thread spent preempted does not count);
 *   - fma: 14 independent chains of AVX-512 float32 FMAs (enough to hide
 *     the 4-cycle latency on 2 FMA units), 32 flops per instruction;
 *   - dpbf16, on CPUs with AVX512-BF16: the same with VDPBF16PS, 64 flops
 *     per instruction (16 lanes x 2 bfloat16 products x multiply-add).
 *
 * Build: gcc -O2 -o peak bench/sgemm/peak/peak.c
 * Usage: ./peak [seconds per measurement, default 0.5]; prints one JSON line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double cpu_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* adds runs iters x 100 dependent register-register adds and returns the
 * final value. (Not add with an immediate: Golden Cove and later cores
 * fold chains of those at rename, several per cycle.) */
static long adds(long iters, long one) {
	long x = 0;
	for (long i = 0; i < iters; i++) {
		__asm__ volatile(
#define A10 "addq %1, %0\n\t" "addq %1, %0\n\t" "addq %1, %0\n\t" "addq %1, %0\n\t" "addq %1, %0\n\t" \
            "addq %1, %0\n\t" "addq %1, %0\n\t" "addq %1, %0\n\t" "addq %1, %0\n\t" "addq %1, %0\n\t"
		    A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
		    : "+r"(x)
		    : "r"(one));
	}
	return x;
}

/* fmas runs iters x 8 x 14 independent AVX-512 FMAs (zmm0-13 += zmm14 *
 * zmm15) in inline assembly, so that the compiler cannot spill them; 14
 * chains hide the 4-cycle latency of 2 FMA units. */
static void fmas(long iters) {
	/* Zero all sixteen registers: no denormals, no NaNs. */
	__asm__ volatile(
#define Z(r) "vxorps %%zmm" #r ", %%zmm" #r ", %%zmm" #r "\n\t"
	    Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11) Z(12) Z(13) Z(14) Z(15) ::
	        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
	          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	for (long i = 0; i < iters; i++) {
		__asm__ volatile(
#define F14 "vfmadd231ps %%zmm14, %%zmm15, %%zmm0\n\t" "vfmadd231ps %%zmm14, %%zmm15, %%zmm1\n\t" \
            "vfmadd231ps %%zmm14, %%zmm15, %%zmm2\n\t" "vfmadd231ps %%zmm14, %%zmm15, %%zmm3\n\t" \
            "vfmadd231ps %%zmm14, %%zmm15, %%zmm4\n\t" "vfmadd231ps %%zmm14, %%zmm15, %%zmm5\n\t" \
            "vfmadd231ps %%zmm14, %%zmm15, %%zmm6\n\t" "vfmadd231ps %%zmm14, %%zmm15, %%zmm7\n\t" \
            "vfmadd231ps %%zmm14, %%zmm15, %%zmm8\n\t" "vfmadd231ps %%zmm14, %%zmm15, %%zmm9\n\t" \
            "vfmadd231ps %%zmm14, %%zmm15, %%zmm10\n\t" "vfmadd231ps %%zmm14, %%zmm15, %%zmm11\n\t" \
            "vfmadd231ps %%zmm14, %%zmm15, %%zmm12\n\t" "vfmadd231ps %%zmm14, %%zmm15, %%zmm13\n\t"
		    F14 F14 F14 F14 F14 F14 F14 F14 ::
		        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		          "xmm10", "xmm11", "xmm12", "xmm13");
	}
	__asm__ volatile("vzeroupper" ::: "memory");
}

/* dpbf16s is fmas with VDPBF16PS. */
static void dpbf16s(long iters) {
	__asm__ volatile(
	    Z(0) Z(1) Z(2) Z(3) Z(4) Z(5) Z(6) Z(7) Z(8) Z(9) Z(10) Z(11) Z(12) Z(13) Z(14) Z(15) ::
	        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
	          "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	for (long i = 0; i < iters; i++) {
		__asm__ volatile(
#define D14 "vdpbf16ps %%zmm14, %%zmm15, %%zmm0\n\t" "vdpbf16ps %%zmm14, %%zmm15, %%zmm1\n\t" \
            "vdpbf16ps %%zmm14, %%zmm15, %%zmm2\n\t" "vdpbf16ps %%zmm14, %%zmm15, %%zmm3\n\t" \
            "vdpbf16ps %%zmm14, %%zmm15, %%zmm4\n\t" "vdpbf16ps %%zmm14, %%zmm15, %%zmm5\n\t" \
            "vdpbf16ps %%zmm14, %%zmm15, %%zmm6\n\t" "vdpbf16ps %%zmm14, %%zmm15, %%zmm7\n\t" \
            "vdpbf16ps %%zmm14, %%zmm15, %%zmm8\n\t" "vdpbf16ps %%zmm14, %%zmm15, %%zmm9\n\t" \
            "vdpbf16ps %%zmm14, %%zmm15, %%zmm10\n\t" "vdpbf16ps %%zmm14, %%zmm15, %%zmm11\n\t" \
            "vdpbf16ps %%zmm14, %%zmm15, %%zmm12\n\t" "vdpbf16ps %%zmm14, %%zmm15, %%zmm13\n\t"
		    D14 D14 D14 D14 D14 D14 D14 D14 ::
		        : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		          "xmm10", "xmm11", "xmm12", "xmm13");
	}
	__asm__ volatile("vzeroupper" ::: "memory");
}

/* measure returns the best GFLOP/s of f over about target CPU-seconds, at
 * flops per call of f(1). */
static double measure(void (*f)(long), double flops, double target) {
	long n = 100000;
	double t0 = cpu_now();
	f(n);
	double t = cpu_now() - t0;
	n = (long)(n * target / (t > 1e-6 ? t : 1e-6));
	t0 = cpu_now();
	f(n);
	t = cpu_now() - t0;
	return n * flops / t / 1e9;
}

int main(int argc, char **argv) {
	double target = argc > 1 ? atof(argv[1]) : 0.5;
	/* Calibrate, then measure for about target CPU-seconds each; best of 3. */
	double ghz = 0, gflops = 0, bgflops = 0;
	int bf16 = __builtin_cpu_supports("avx512bf16");
	long sink = 0;
	for (int rep = 0; rep < 3; rep++) {
		long n = 1000000;
		double t0 = cpu_now();
		sink += adds(n, argc);
		double t = cpu_now() - t0;
		n = (long)(n * target / (t > 1e-6 ? t : 1e-6));
		t0 = cpu_now();
		sink += adds(n, argc);
		t = cpu_now() - t0;
		if (100.0 * n / t / 1e9 > ghz)
			ghz = 100.0 * n / t / 1e9;

		double g = measure(fmas, 14.0 * 8 * 32, target);
		if (g > gflops)
			gflops = g;
		if (bf16 && (g = measure(dpbf16s, 14.0 * 8 * 64, target)) > bgflops)
			bgflops = g;
	}
	printf("{\"engine\":\"peak\",\"clock_ghz\":%.3f,\"fma_gflops_per_core\":%.1f,"
	       "\"fma_flops_per_cycle\":%.1f,\"bf16_gflops_per_core\":%.1f}\n",
	       ghz, gflops, gflops / ghz, bgflops);
	if (sink == 42)
		fprintf(stderr, "\n");
	return 0;
}
