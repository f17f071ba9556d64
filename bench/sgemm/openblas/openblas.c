/*
 * openblas.c times OpenBLAS's cblas_sgemm on C = A*B with row-major
 * float32 matrices, for comparison with lookalike's kernels.Sgemm
 * (bench/sgemm/main.go). It prints one JSON line in the same format.
 *
 * Build (Debian's libopenblas-dev; the rpath picks OpenBLAS whatever the
 * libblas.so.3 alternative points to):
 *
 *	gcc -O2 -o openblas bench/sgemm/openblas/openblas.c \
 *	    -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *	    -L/usr/lib/x86_64-linux-gnu/openblas-pthread \
 *	    -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas
 *
 * Usage: OPENBLAS_NUM_THREADS=2 ./openblas [m n k [min_seconds]]
 *
 * The matrices hold small multiples of 1/16 (see fill), so every product
 * and every partial sum is exact in float32: the checksum (the sum of C)
 * must equal the Go program's exactly.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(clockid_t clock) {
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* fill sets A and B to the same values as fill in main.go. */
static void fill(float *a, float *b, int m, int n, int k) {
	for (int i = 0; i < m; i++)
		for (int p = 0; p < k; p++)
			a[(size_t)i * k + p] = (float)((i * 3 + p * 5) % 17 - 8) / 16;
	for (int p = 0; p < k; p++)
		for (int j = 0; j < n; j++)
			b[(size_t)p * n + j] = (float)((p * 7 + j * 11) % 19 - 9) / 16;
}

int main(int argc, char **argv) {
	int m = 1024, n = 1024, k = 1024;
	double minSec = 3;
	if (argc >= 4) {
		m = atoi(argv[1]);
		n = atoi(argv[2]);
		k = atoi(argv[3]);
	}
	if (argc >= 5)
		minSec = atof(argv[4]);
	if (m <= 0 || n <= 0 || k <= 0 || minSec < 0) {
		fprintf(stderr, "usage: openblas [m n k [min_seconds]]\n");
		return 2;
	}
	float *a = malloc(sizeof(float) * (size_t)m * k);
	float *b = malloc(sizeof(float) * (size_t)k * n);
	float *c = malloc(sizeof(float) * (size_t)m * n);
	if (!a || !b || !c) {
		fprintf(stderr, "openblas: out of memory\n");
		return 1;
	}
	fill(a, b, m, n, k);
	/* Warm-up: starts OpenBLAS's threads and faults the pages in. */
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
	int reps = 0;
	double cpu0 = now(CLOCK_PROCESS_CPUTIME_ID), t0 = now(CLOCK_MONOTONIC), sec;
	do {
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1, a, k, b, n, 0, c, n);
		reps++;
		sec = now(CLOCK_MONOTONIC) - t0;
	} while (sec < minSec || reps < 3);
	double cpu = now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	double sum = 0;
	for (size_t i = 0; i < (size_t)m * n; i++)
		sum += c[i];
	double gflop = 2.0 * m * n * k * reps / 1e9;
	char *cfg = openblas_get_config();
	printf("{\"engine\":\"openblas\",\"m\":%d,\"n\":%d,\"k\":%d,\"reps\":%d,"
	       "\"seconds\":%.4f,\"cpu_seconds\":%.4f,\"gflops\":%.1f,\"gflops_per_cpu_sec\":%.1f,"
	       "\"threads\":%d,\"core\":\"%s\",\"config\":\"%s\",\"checksum\":%.1f}\n",
	       m, n, k, reps, sec, cpu, gflop / sec, gflop / cpu,
	       openblas_get_num_threads(), openblas_get_corename(), cfg, sum);
	free(a);
	free(b);
	free(c);
	return 0;
}
