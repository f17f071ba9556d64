package kernels

import (
	"fmt"
	"math"
)

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
	sgemm(g, transA, transB, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmBF16Paired is SgemmBF16 for an A already rounded and packed by
// PackBF16: A is m x k, not transposed, its row i the ceil(k/2) pairs at
// a[i*lda:] (lda >= ceil(k/2)), each holding elements 2p (low 16 bits) and
// 2p+1 (high, zero past k) as bfloat16. The product reads A in place, so
// converting A once serves every product with it, and A takes half the
// memory. Without bfloat16 instructions (HasBF16) it unpacks A and calls
// Sgemm, allocating.
func SgemmBF16Paired(transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	g := active.gemmBF16
	if g != nil {
		sgemm(g, false, transB, true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels.SgemmBF16Paired: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	pairs := (k + 1) / 2
	checkMatrix("A", a, m, pairs, lda)
	full := make([]float32, m*k)
	for i := range m {
		UnpackBF16(full[i*k:(i+1)*k], a[i*lda:i*lda+pairs])
	}
	Sgemm(false, transB, m, n, k, alpha, full, max(k, 1), b, ldb, beta, c, ldc)
}

// PackBF16 rounds src to bfloat16 as RoundBF16 does and packs each two
// consecutive values into one 32-bit element of dst, the first in its low
// 16 bits: dst[i] holds src[2i] and src[2i+1] (zero past the end of src),
// for SgemmBF16Paired. It panics unless len(dst) == ceil(len(src)/2).
func PackBF16(dst, src []float32) {
	if len(dst) != (len(src)+1)/2 {
		panic(fmt.Sprintf("kernels.PackBF16: %d pairs for %d floats", len(dst), len(src)))
	}
	if len(src) == 0 {
		return
	}
	active.packBF16(dst, src)
}

// UnpackBF16 is the inverse of PackBF16: dst[j] is element j of the pairs
// in src, as a float32. It panics unless len(src) == ceil(len(dst)/2).
func UnpackBF16(dst, src []float32) {
	if len(src) != (len(dst)+1)/2 {
		panic(fmt.Sprintf("kernels.UnpackBF16: %d pairs for %d floats", len(src), len(dst)))
	}
	for j := range dst {
		w := math.Float32bits(src[j/2])
		if j&1 == 0 {
			w <<= 16
		} else {
			w &^= 0xffff
		}
		dst[j] = math.Float32frombits(w)
	}
}

// packBF16Generic is PackBF16 in Go.
func packBF16Generic(dst, src []float32) {
	for i := range dst {
		lo := math.Float32bits(RoundBF16(src[2*i])) >> 16
		var hi uint32
		if 2*i+1 < len(src) {
			hi = math.Float32bits(RoundBF16(src[2*i+1])) &^ 0xffff
		}
		dst[i] = math.Float32frombits(lo | hi)
	}
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
