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
