package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// forEachPath runs f once for every kernel path this machine can run, with
// that path active.
func forEachPath(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	saved := active
	defer func() { active = saved }()
	for _, s := range available {
		active = s
		t.Run(s.name, f)
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// gemmCase is one Sgemm call to check.
type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // added to each of lda, ldb, ldc
	nanC           bool
}

func (c gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/m=%d,n=%d,k=%d/alpha=%g,beta=%g,pad=%d,nan=%v",
		t(c.transA), t(c.transB), c.m, c.n, c.k, c.alpha, c.beta, c.pad, c.nanC)
}

// check runs the case on every path and compares each result with a
// float64 triple loop, and SgemmBF16, on paths that have it, with the
// loop over the operands rounded to bfloat16. C's padding and the words
// after it must be left alone.
func (tc gemmCase) check(t *testing.T, r *rand.Rand) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.transB {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+tc.pad, bc+tc.pad, n+tc.pad
	a := randSlice(r, max(0, (ar-1)*lda+ac))
	b := randSlice(r, max(0, (br-1)*ldb+bc))
	const tail = 40 // guard words after C
	c0 := randSlice(r, max(0, (m-1)*ldc+n)+tail)
	if tc.nanC {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c0[i*ldc+j] = float32(math.NaN())
			}
		}
	}

	want, tol := tc.reference(a, b, c0, lda, ldb, ldc)
	// SgemmBF16 is checked against the product of the rounded operands.
	ab, bb := roundedBF16(a), roundedBF16(b)
	wantBF, tolBF := tc.reference(ab, bb, c0, lda, ldb, ldc)

	saved := active
	defer func() { active = saved }()
	c := make([]float32, len(c0))
	for _, s := range available {
		active = s
		copy(c, c0)
		Sgemm(tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		tc.compare(t, s.name, c, c0, want, tol, ldc)
		if s.gemmBF16 != nil {
			copy(c, c0)
			SgemmBF16(tc.transA, tc.transB, m, n, k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
			tc.compare(t, s.name+"/bf16", c, c0, wantBF, tolBF, ldc)
		}
	}
}

// roundedBF16 returns a copy of x with every element rounded to bfloat16.
func roundedBF16(x []float32) []float32 {
	r := make([]float32, len(x))
	for i, v := range x {
		r[i] = RoundBF16(v)
	}
	return r
}

// reference returns the case's expected C, from a float64 triple loop, and
// each element's error bound, row-major m x n.
func (tc gemmCase) reference(a, b, c0 []float32, lda, ldb, ldc int) (want, tol []float64) {
	m, n, k := tc.m, tc.n, tc.k
	const u = 1.0 / (1 << 24) // unit roundoff of float32
	want = make([]float64, m*n)
	tol = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum, abs float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if tc.transA {
					av = float64(a[p*lda+i])
				} else {
					av = float64(a[i*lda+p])
				}
				if tc.transB {
					bv = float64(b[j*ldb+p])
				} else {
					bv = float64(b[p*ldb+j])
				}
				sum += av * bv
				abs += math.Abs(av * bv)
			}
			w := float64(tc.alpha) * sum
			bound := math.Abs(float64(tc.alpha)) * abs
			if tc.beta != 0 {
				cv := float64(c0[i*ldc+j])
				w += float64(tc.beta) * cv
				bound += math.Abs(float64(tc.beta) * cv)
			}
			want[i*n+j] = w
			tol[i*n+j] = 2*float64(k+4)*u*bound + 1e-30
		}
	}
	return want, tol
}

// compare fails t unless C, computed by the named path from c0, is within
// tol of want and unchanged outside the matrix.
func (tc gemmCase) compare(t *testing.T, path string, c, c0 []float32, want, tol []float64, ldc int) {
	t.Helper()
	for idx := range c {
		i, j := idx/ldc, idx%ldc
		if i < tc.m && j < tc.n {
			got, w := float64(c[idx]), want[i*tc.n+j]
			if !(math.Abs(got-w) <= tol[i*tc.n+j]) {
				t.Fatalf("%s: %v: C[%d][%d] = %g, want %g (tolerance %g)", path, tc, i, j, got, w, tol[i*tc.n+j])
			}
			continue
		}
		if math.Float32bits(c[idx]) != math.Float32bits(c0[idx]) {
			t.Fatalf("%s: %v: C[%d] (row %d, column %d) outside the matrix changed from %g to %g",
				path, tc, idx, i, j, c0[idx], c[idx])
		}
	}
}

// TestSgemmShapes checks, on every path, all transpose combinations on small and edge
// shapes, cycling through alpha, beta, stride padding and NaN-filled C.
func TestSgemmShapes(t *testing.T) {
	sizes := []int{1, 2, 7, 15, 16, 17, 33, 64, 100}
	ks := []int{1, 2, 7, 16, 33, 100}
	alphas := []float32{1, 0.5}
	betas := []float32{0, 1, -0.7}
	r := rand.New(rand.NewPCG(1, 2))
	i := 0
	for _, m := range sizes {
		for _, n := range sizes {
			for _, k := range ks {
				for tr := range 4 {
					tc := gemmCase{
						transA: tr&1 != 0, transB: tr&2 != 0,
						m: m, n: n, k: k,
						alpha: alphas[i%2],
						beta:  betas[(i/2)%3],
						pad:   (i / 6) % 3 * 3,
					}
					tc.nanC = tc.beta == 0 && i%4 == 0
					tc.check(t, r)
					i++
				}
			}
		}
	}
}

// TestSgemmLarge checks shapes that span several cache blocks, fill only
// part of the last register tile, or are split between goroutines.
func TestSgemmLarge(t *testing.T) {
	shapes := [][3]int{
		{1000, 33, 100},
		{17, 1000, 64},
		{100, 100, 1000},
		{257, 300, 513},
		{29, 1100, 300},
		{1000, 1, 300},
		{1, 1000, 300},
		{45, 27, 4500},
		{300, 130, 288},
		{64, 96, 3001},
		{2304, 64, 700},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i, s := range shapes {
		for tr := range 4 {
			tc := gemmCase{
				transA: tr&1 != 0, transB: tr&2 != 0,
				m: s[0], n: s[1], k: s[2],
				alpha: []float32{1, 0.5}[(i+tr)%2],
				beta:  []float32{0, 1, -0.7}[(i+tr)%3],
				pad:   tr % 2 * 5,
			}
			tc.nanC = tc.beta == 0
			tc.check(t, r)
		}
	}
}

// TestSgemmStrideAliasing uses strides that are multiples of 4 KiB and
// other large strides, where A is packed rather than read in place.
func TestSgemmStrideAliasing(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tr := range []bool{false, true} {
		for _, pad := range []int{1024 - 50, 2048 - 50, 1000} {
			tc := gemmCase{transA: tr, m: 50, n: 40, k: 50, alpha: 1, beta: 0.5, pad: pad}
			tc.check(t, r)
		}
	}
}

// TestSgemmSpecial checks the cases that do not run the kernels: empty
// products, k == 0 and alpha == 0, which must not read A or B.
func TestSgemmSpecial(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		nan := float32(math.NaN())
		a := []float32{nan, nan, nan, nan}
		b := []float32{nan, nan, nan, nan}
		for _, beta := range []float32{0, 1, -0.7} {
			c := []float32{nan, 2, 3, 4}
			if beta != 0 {
				c[0] = 1
			}
			Sgemm(false, false, 2, 2, 2, 0, a, 2, b, 2, beta, c, 2)
			for i, want := range []float32{1 * beta, 2 * beta, 3 * beta, 4 * beta} {
				if c[i] != want {
					t.Errorf("alpha=0, beta=%g: C[%d] = %g, want %g", beta, i, c[i], want)
				}
			}
			c = []float32{5, 6, 7, 8}
			Sgemm(true, true, 2, 2, 0, 1, nil, 2, nil, 1, beta, c, 2)
			for i, want := range []float32{5 * beta, 6 * beta, 7 * beta, 8 * beta} {
				if c[i] != want {
					t.Errorf("k=0, beta=%g: C[%d] = %g, want %g", beta, i, c[i], want)
				}
			}
		}
		Sgemm(false, false, 0, 5, 5, 1, nil, 5, make([]float32, 25), 5, 0, nil, 5)
		Sgemm(false, false, 5, 0, 5, 1, make([]float32, 25), 5, nil, 1, 0, nil, 1)
	})
}

func TestSgemmPanics(t *testing.T) {
	x := make([]float32, 16)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"negative", func() { Sgemm(false, false, -1, 2, 2, 1, x, 2, x, 2, 0, x, 2) }},
		{"lda", func() { Sgemm(false, false, 2, 2, 3, 1, x, 2, x, 2, 0, x, 2) }},
		{"ldaTrans", func() { Sgemm(true, false, 3, 2, 2, 1, x, 2, x, 2, 0, x, 2) }},
		{"shortB", func() { Sgemm(false, false, 2, 2, 2, 1, x, 2, x[:3], 2, 0, x, 2) }},
		{"shortC", func() { Sgemm(false, false, 4, 4, 2, 1, x, 2, x, 4, 0, x[:15], 4) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("no panic")
				}
			}()
			tc.f()
		})
	}
}

// TestSgemmConcurrent runs large products from several goroutines at once,
// so that parts of different calls meet in the worker pool.
func TestSgemmConcurrent(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const m, n, k = 200, 150, 100
		r := rand.New(rand.NewPCG(7, 8))
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		want := make([]float32, m*n)
		naiveGemm(m, n, k, a, b, want)
		var wg sync.WaitGroup
		errs := make(chan string, 4)
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := make([]float32, m*n)
				for it := range 20 {
					Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
					for i := range c {
						if d := c[i] - want[i]; d > 1e-3 || d < -1e-3 {
							errs <- fmt.Sprintf("goroutine %d, iteration %d: C[%d] = %g, want %g", g, it, i, c[i], want[i])
							return
						}
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
}

// naiveGemm computes C = A*B in float64, rounding once.
func naiveGemm(m, n, k int, a, b, c []float32) {
	for i := range m {
		for j := range n {
			var s float64
			for p := range k {
				s += float64(a[i*k+p]) * float64(b[p*n+j])
			}
			c[i*n+j] = float32(s)
		}
	}
}

func TestSgemmAllocs(t *testing.T) {
	if testing.CoverMode() != "" || raceEnabled {
		t.Skip("instrumented build")
	}
	forEachPath(t, func(t *testing.T) {
		sizes := [][3]int{{64, 64, 64}, {225 * 20, 32, 27}, {256, 256, 256}}
		if active == genericSet {
			sizes = sizes[:2]
		}
		for _, sz := range sizes {
			m, n, k := sz[0], sz[1], sz[2]
			a, b, c := make([]float32, m*k), make([]float32, k*n), make([]float32, m*n)
			allocs := testing.AllocsPerRun(50, func() {
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			})
			if allocs != 0 {
				t.Errorf("%dx%dx%d: %v allocations per call, want 0", m, n, k, allocs)
			}
		}
	})
}

func TestPath(t *testing.T) {
	if got := choose("generic"); got != genericSet {
		t.Errorf(`choose("generic") = %s`, got.name)
	}
	if got := choose(" GENERIC "); got != genericSet {
		t.Errorf(`choose(" GENERIC ") = %s`, got.name)
	}
	if got := choose(""); got != available[0] {
		t.Errorf(`choose("") = %s, want %s`, got.name, available[0].name)
	}
	if got := choose("nonsense"); got != available[0] {
		t.Errorf(`choose("nonsense") = %s, want %s`, got.name, available[0].name)
	}
	var names []string
	for _, s := range available {
		names = append(names, s.name)
		if got := choose(s.name); got != s {
			t.Errorf("choose(%q) = %s", s.name, got.name)
		}
	}
	t.Logf("paths: %v; default %s", names, Path())
}

// TestPathEnv checks that LOOKALIKE_KERNELS=generic, read at init, selects
// the portable path, by running this test binary again.
func TestPathEnv(t *testing.T) {
	if os.Getenv("LOOKALIKE_KERNELS_CHILD") != "" {
		fmt.Printf("path=%s\n", Path())
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestPathEnv$")
	cmd.Env = append(os.Environ(), "LOOKALIKE_KERNELS=generic", "LOOKALIKE_KERNELS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(string(out), "path=generic\n") {
		t.Errorf("with LOOKALIKE_KERNELS=generic: %s", out)
	}
}

// TestPack checks each path's packing routines, padding included, against
// the definitions, for every destination stride up to a B micro-panel's
// (panels of A and B use MR and NR; the assembly takes other ways for
// strides below 4, up to 8 and above), and that nothing past the block is
// written.
func TestPack(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, s := range available {
		g := s.gemm
		for dstStride := 1; dstStride <= g.nr; dstStride++ {
			for cols := 1; cols <= dstStride; cols++ {
				for _, rows := range []int{1, 2, 5, 37} {
					srcStride := max(cols, rows) + r.IntN(3)
					src := randSlice(r, srcStride*max(cols, rows))
					for _, transposed := range []bool{false, true} {
						dst := randSlice(r, rows*dstStride+8)
						dst0 := append([]float32(nil), dst...)
						if transposed {
							g.packCols(dst, src, rows, cols, srcStride, dstStride)
						} else {
							g.packRows(dst, src, rows, cols, srcStride, dstStride)
						}
						for i := range dst {
							q, j := i/dstStride, i%dstStride
							want := dst0[i]
							switch {
							case q >= rows:
							case j >= cols:
								want = 0
							case transposed:
								want = src[j*srcStride+q]
							default:
								want = src[q*srcStride+j]
							}
							if dst[i] != want {
								t.Fatalf("%s: transposed=%v rows=%d cols=%d strides %d, %d: dst[%d] = %g, want %g",
									s.name, transposed, rows, cols, srcStride, dstStride, i, dst[i], want)
							}
						}
					}
				}
			}
		}
	}
}
