package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the products benchmarked: a square one and those of the
// engine's convolutions (im2col with batch 20 and 256): forward C = X*W,
// weight gradient dW = X^T*dY (transA) and input gradient dX = dY*W^T
// (transB).
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"square", false, false, 1024, 1024, 1024},
}

func init() {
	// FastNet's heaviest convolutions, a slice of the batch at a time as
	// nn.Conv2D runs them (im2col buffers of at most 4M floats).
	for _, l := range []struct {
		name             string
		rows, cout, kdim int
	}{
		{"fast1", 19220, 64, 216},
		{"fast2", 7200, 256, 576},
		{"fast3", 1813, 256, 2304},
	} {
		benchShapes = append(benchShapes,
			struct {
				name           string
				transA, transB bool
				m, n, k        int
			}{l.name + "-fwd", false, false, l.rows, l.cout, l.kdim},
			struct {
				name           string
				transA, transB bool
				m, n, k        int
			}{l.name + "-dW", true, false, l.kdim, l.cout, l.rows},
			struct {
				name           string
				transA, transB bool
				m, n, k        int
			}{l.name + "-dX", false, true, l.rows, l.kdim, l.cout},
		)
	}
	for _, batch := range []int{20, 256} {
		for _, l := range []struct{ pixels, cout, kdim int }{
			{225, 32, 27},
			{49, 64, 288},
			{9, 128, 576},
		} {
			rows := l.pixels * batch
			benchShapes = append(benchShapes,
				struct {
					name           string
					transA, transB bool
					m, n, k        int
				}{fmt.Sprintf("fwd-b%d", batch), false, false, rows, l.cout, l.kdim},
				struct {
					name           string
					transA, transB bool
					m, n, k        int
				}{fmt.Sprintf("dW-b%d", batch), true, false, l.kdim, l.cout, rows},
				struct {
					name           string
					transA, transB bool
					m, n, k        int
				}{fmt.Sprintf("dX-b%d", batch), false, true, rows, l.kdim, l.cout},
			)
		}
	}
}

// BenchmarkSgemm reports GFLOP/s for each path and shape. Run it with
// -cpu 1,2 to compare one and two cores. Besides GFLOP per second of wall
// time it reports GFLOP per second of CPU time used by the process
// ("GFLOP/cpu-s", where the platform tells), which other processes on a
// shared machine disturb much less.
func BenchmarkSgemm(b *testing.B) {
	saved := active
	defer func() { active = saved }()
	for _, s := range available {
		for _, bf16 := range []bool{false, true} {
			if bf16 && s.gemmBF16 == nil {
				continue
			}
			gemm, path := Sgemm, s.name
			if bf16 {
				gemm, path = SgemmBF16, s.name+"-bf16"
			}
			for _, sh := range benchShapes {
				name := fmt.Sprintf("%s/%s/%dx%dx%d", path, sh.name, sh.m, sh.n, sh.k)
				b.Run(name, func(b *testing.B) {
					active = s
					benchGemm(b, gemm, sh.transA, sh.transB, sh.m, sh.n, sh.k)
				})
			}
		}
	}
}

// gemmFunc is the signature of Sgemm and SgemmBF16.
type gemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

func benchGemm(b *testing.B, gemm gemmFunc, transA, transB bool, m, n, k int) {
	r := rand.New(rand.NewPCG(1, 1))
	a, bm, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	gemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		gemm(transA, transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
	}
	gflop := 2 * float64(m) * float64(n) * float64(k) * float64(b.N) / 1e9
	b.ReportMetric(gflop/b.Elapsed().Seconds(), "GFLOP/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(gflop/cpu.Seconds(), "GFLOP/cpu-s")
	}
}
