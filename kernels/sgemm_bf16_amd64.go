//go:build amd64 && !purego

package kernels

// bf16Gemm is the AVX512-BF16 path of SgemmBF16: the AVX-512 driver and
// 14 x 32 tile, multiplying bfloat16 pairs with VDPBF16PS, which sums in
// float32. Each 32-bit element of a panel holds the bfloat16 values of two
// consecutive k-steps (the first in its low half), so the kernel runs
// ceil(k/2) steps. Both operands are always packed, since rounding them
// is part of packing; a pair panel takes half the cache of a float32 one,
// so the blocks are twice as deep.
var bf16Gemm = &gemmImpl{
	mr: 14, nr: 32, kc: 384, kcSingle: 768, nc: 1024,
	kernel:   kernelBF16,
	packRows: packRowsBF16,
	packCols: packColsBF16,
	panelA:   panelABF16,
	even:     true,
}

// kernelBF16 is the microKernel for bf16Gemm's panels, with the strides
// of the float32 layout they replace (rsb = NR; A packed with rsa = 1 and
// csa = MR, or converted in rows by panelABF16 with csa = 1).
func kernelBF16(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, mr, nr int, alpha, beta float32) {
	pairs := (k + 1) / 2
	_ = a[13*rsa+(pairs-1)*csa]
	_ = b[(pairs-1)*rsb+31]
	_ = c[(mr-1)*ldc+nr-1]
	sgemmKernel14x32(pairs, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, mr, nr, alpha, beta, 1)
}

// panelABF16 is bf16Gemm's packA. Stored A (not transposed) has the pairs
// of a row next to each other, so its rows are only converted, to rows of
// ceil(kc/2) pairs that the kernel reads with rsa = that and csa = 1; the
// rows past mr are left as they are. A paired A is read in place (pc is
// even: bf16Gemm's blocks are), a last panel of fewer than MR rows copied
// first. Transposed A is packed as a panel of pairs.
func panelABF16(dst, a []float32, lda int, transA, pairedA bool, ir, mr, pc, kc int) (ap []float32, rsa, csa int) {
	pairs := (kc + 1) / 2
	switch {
	case transA:
		packRowsBF16(dst, a[pc*lda+ir:], kc, mr, lda, 14)
		return dst, 1, 14
	case pairedA && mr == 14:
		return a[ir*lda+pc/2:], lda, 1
	case pairedA:
		for i := range mr {
			copy(dst[i*pairs:(i+1)*pairs], a[(ir+i)*lda+pc/2:])
		}
		return dst, pairs, 1
	}
	src := a[ir*lda+pc:]
	_ = dst[14*pairs-1]
	_ = src[(mr-1)*lda+kc-1]
	cvtRowsBF16(&dst[0], &src[0], mr, kc, lda, pairs)
	return dst, pairs, 1
}

// packRowsBF16 is packFunc for bfloat16 pair panels: each two rows of the
// block become one row of pairs.
func packRowsBF16(dst, src []float32, rows, cols, srcStride, dstStride int) {
	if rows == 0 {
		return
	}
	_ = dst[(rows+1)/2*dstStride-1]
	_ = src[(rows-1)*srcStride+cols-1]
	pairBF16(&dst[0], &src[0], rows, cols, srcStride, dstStride)
}

// packColsBF16 is packRowsBF16 for blocks copied transposed: the block is
// packed as float32 rows, which are then paired in place.
func packColsBF16(dst, src []float32, rows, cols, srcStride, dstStride int) {
	if rows == 0 {
		return
	}
	packColsAVX512(dst, src, rows, cols, srcStride, dstStride)
	pairBF16(&dst[0], &dst[0], rows, dstStride, dstStride, dstStride)
}

// pairBF16 turns rows of src into rows of bfloat16 pairs in dst: element j
// of dst's row r holds src's element (2r, j) rounded to bfloat16 in its low
// 16 bits and (2r+1, j) (zero past the last row) in its high 16 bits, for
// j < cols, and zero up to dstStride. dst may be src, with equal strides.
// cols <= dstStride <= 32.
//
//go:noescape
func pairBF16(dst, src *float32, rows, cols, srcStride, dstStride int)

// cvtRowsBF16 converts each of rows rows of cols floats of src (srcStride
// apart) to a row of ceil(cols/2) bfloat16 pairs of consecutive elements
// in dst (dstStride pairs apart), the high half of an odd last pair zero.
//
//go:noescape
func cvtRowsBF16(dst, src *float32, rows, cols, srcStride, dstStride int)

// packBF16AVX512 is PackBF16 with VCVTNE2PS2BF16, in rows of 4096 floats.
func packBF16AVX512(dst, src []float32) {
	const row = 4096
	full := len(src) / row
	if full > 0 {
		_ = dst[full*row/2-1]
		cvtRowsBF16(&dst[0], &src[0], full, row, row, row/2)
	}
	if rest := src[full*row:]; len(rest) > 0 {
		d := dst[full*row/2:]
		_ = d[(len(rest)+1)/2-1]
		cvtRowsBF16(&d[0], &rest[0], 1, len(rest), len(rest), len(d))
	}
}
