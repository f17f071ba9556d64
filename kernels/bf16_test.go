package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestRoundBF16 checks RoundBF16 on hand-computed cases: exact values,
// ties to even both ways, overflow, subnormals and specials.
func TestRoundBF16(t *testing.T) {
	cases := []struct{ in, want uint32 }{
		{0x3f800000, 0x3f800000}, // 1
		{0x3f808000, 0x3f800000}, // 1 + 2^-8: a tie, to the even 1
		{0x3f818000, 0x3f820000}, // 1 + 3*2^-8: a tie, up to the even neighbour
		{0x3f808001, 0x3f810000}, // just above the tie
		{0x3f807fff, 0x3f800000}, // just below it
		{0xc0490fdb, 0xc0490000}, // -pi
		{0x7f7fffff, 0x7f800000}, // the largest float rounds to +Inf
		{0x7f800000, 0x7f800000}, // +Inf
		{0xff800000, 0xff800000}, // -Inf
		{0x00000001, 0x00000000}, // subnormals flush to zero
		{0x807fffff, 0x80000000}, // with their sign
		{0x00800000, 0x00800000}, // the smallest normal stays
		{0x80000000, 0x80000000}, // -0
	}
	for _, c := range cases {
		got := math.Float32bits(RoundBF16(math.Float32frombits(c.in)))
		if got != c.want {
			t.Errorf("RoundBF16(%#08x) = %#08x, want %#08x", c.in, got, c.want)
		}
	}
	for _, nan := range []uint32{0x7fc00000, 0x7f800001, 0xffbfffff} {
		got := RoundBF16(math.Float32frombits(nan))
		if !math.IsNaN(float64(got)) || math.Float32bits(got)&0xffff != 0 {
			t.Errorf("RoundBF16(%#08x) = %#08x, want a NaN with 16 zero low bits", nan, math.Float32bits(got))
		}
	}
}

// TestSgemmBF16Error checks what the rounding costs on a typical product:
// against float64, SgemmBF16's relative error stays near bfloat16's unit
// roundoff (2^-9) times a small factor, and on CPUs without bfloat16 it
// is Sgemm's.
func TestSgemmBF16Error(t *testing.T) {
	forEachPath(t, func(t *testing.T) {
		const m, n, k = 64, 96, 512
		r := rand.New(rand.NewPCG(11, 11))
		a, b := randSlice(r, m*k), randSlice(r, k*n)
		c, ref := make([]float32, m*n), make([]float32, m*n)
		SgemmBF16(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
		Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, ref, n)
		var num, den float64
		for i := range c {
			d := float64(c[i] - ref[i])
			num += d * d
			den += float64(ref[i]) * float64(ref[i])
		}
		rel := math.Sqrt(num / den)
		switch {
		case !HasBF16() && rel != 0:
			t.Errorf("without bfloat16, SgemmBF16 differs from Sgemm (relative %g)", rel)
		case HasBF16() && (rel == 0 || rel > 4.0/512):
			t.Errorf("relative error %g, want in (0, %g]", rel, 4.0/512)
		}
		t.Logf("bf16=%v: relative RMS difference from float32 %.3g", HasBF16(), rel)
	})
}

// TestPackBF16 checks PackBF16 on every path bit for bit against RoundBF16
// (lengths odd and even, below and above the assembly's row of 4096), and
// that UnpackBF16 inverts it.
func TestPackBF16(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 12))
	forEachPath(t, func(t *testing.T) {
		for _, n := range []int{1, 2, 31, 32, 33, 4096, 8193, 10000} {
			src := randSlice(r, n)
			src[0] = math.Float32frombits(0x3f808000) // a tie
			dst := make([]float32, (n+1)/2)
			PackBF16(dst, src)
			back := make([]float32, n)
			UnpackBF16(back, dst)
			for j, v := range src {
				if math.Float32bits(back[j]) != math.Float32bits(RoundBF16(v)) {
					t.Fatalf("n=%d: element %d packs to %#08x, want %#08x", n, j, math.Float32bits(back[j]), math.Float32bits(RoundBF16(v)))
				}
			}
			if n%2 == 1 && math.Float32bits(dst[len(dst)-1])>>16 != 0 {
				t.Fatalf("n=%d: the last pair's high half is not zero", n)
			}
		}
	})
}

// TestSgemmBF16Paired checks that a product with A packed by PackBF16 is
// bit for bit SgemmBF16's on the same A (the same rounded values in the
// same order of summation), or, without bfloat16 instructions, Sgemm's on
// the unpacked A: partial register tiles, odd k, several cache blocks of
// k, both layouts of B, products split between goroutines.
func TestSgemmBF16Paired(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	forEachPath(t, func(t *testing.T) {
		for _, s := range [][3]int{{1, 1, 1}, {13, 31, 7}, {14, 32, 16}, {29, 70, 33}, {300, 130, 1601}, {1000, 64, 216}} {
			m, n, k := s[0], s[1], s[2]
			for _, transB := range []bool{false, true} {
				pairs := (k + 1) / 2
				lda := pairs + 3
				a := randSlice(r, m*k)
				ap := make([]float32, m*lda)
				for i := range m {
					PackBF16(ap[i*lda:i*lda+pairs], a[i*k:(i+1)*k])
				}
				ldb := n
				if transB {
					ldb = k
				}
				b := randSlice(r, k*n)
				c0 := randSlice(r, m*n)
				want, got := append([]float32(nil), c0...), append([]float32(nil), c0...)
				if HasBF16() {
					SgemmBF16(false, transB, m, n, k, 0.5, a, k, b, ldb, 1, want, n)
				} else {
					full := make([]float32, m*k)
					for i := range m {
						UnpackBF16(full[i*k:(i+1)*k], ap[i*lda:i*lda+pairs])
					}
					Sgemm(false, transB, m, n, k, 0.5, full, k, b, ldb, 1, want, n)
				}
				SgemmBF16Paired(transB, m, n, k, 0.5, ap, lda, b, ldb, 1, got, n)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%dx%dx%d transB=%v: C[%d] = %v, want %v", m, n, k, transB, i, got[i], want[i])
					}
				}
			}
		}
	})
}
