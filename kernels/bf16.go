package kernels

import "math"

// SgemmBF16 is Sgemm with the elements of A and B rounded to bfloat16 (to
// nearest even; subnormals become zero) and the products summed in
// float32, on CPUs with bfloat16 dot-product instructions (AVX512-BF16),
// where it does about twice the multiply-adds per cycle of Sgemm. This is
// the mixed precision of PyTorch's bfloat16 autocast: the operands keep 8
// bits of mantissa, the sums and C keep 24. Elsewhere (see HasBF16) it is
// Sgemm.
func SgemmBF16(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := active.gemmBF16
	if g == nil {
		g = active.gemm
	}
	sgemm(g, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// HasBF16 reports whether SgemmBF16 runs in bfloat16 on this machine, with
// the kernel path in use.
func HasBF16() bool {
	return active.gemmBF16 != nil
}

// RoundBF16 returns x rounded to bfloat16 as SgemmBF16 rounds its
// operands: to nearest, ties to even, with subnormals flushed to zero of
// the same sign, infinities kept and NaNs kept NaN.
func RoundBF16(x float32) float32 {
	b := math.Float32bits(x)
	switch {
	case b&0x7f800000 == 0: // zero or subnormal
		b &= 0x80000000
	case b&0x7fffffff > 0x7f800000: // NaN: keep it quiet
		b = (b | 0x00400000) &^ 0xffff
	default:
		b += 0x7fff + (b>>16)&1
		b &^= 0xffff
	}
	return math.Float32frombits(b)
}
