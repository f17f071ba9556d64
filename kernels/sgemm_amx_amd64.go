//go:build amd64 && !purego

package kernels

import "fmt"

// amxGemm is the AMX path of SgemmBF16: a 32 x 32 tile of C in four tile
// registers, each TDPBF16PS a 16 x 16 x 32 product of bfloat16 pairs
// summed in float32 (sixteen times the work of a VDPBF16PS). Its A panels
// are rows of pairs of consecutive k-steps (the tile's first operand) and
// its B micro-panels pairs of k-rows, 32 columns a row, as bf16Gemm packs
// them (the second operand's layout). B panels are twice as deep as
// bf16Gemm's: a tile step takes 16 pairs, and a deeper block saves passes
// over C.
var amxGemm = &gemmImpl{
	mr: 32, nr: 32, kc: 768, kcSingle: 1536, nc: 512,
	kernel:        kernelAMX,
	packRows:      packRowsBF16,
	packCols:      packColsBF16,
	panelA:        panelAAMX,
	even:          true,
	addTransposed: addTransposed512,
}

// kernelAMX is the microKernel for amxGemm's panels: A's rows of pairs
// rsa floats apart (csa = 1), B's rows rsb = 32 apart. The whole 32 x 32
// tile goes straight to and from the tile registers when C takes it all
// with alpha 1 and beta 0 or 1, through the kernel's frame otherwise.
func kernelAMX(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, mr, nr int, alpha, beta float32) {
	if csa != 1 || rsb != 32 {
		panic(fmt.Sprintf("kernels: AMX panel strides csa=%d rsb=%d, want 1 and 32", csa, rsb))
	}
	pairs := (k + 1) / 2
	_ = a[31*rsa+pairs-1]
	_ = b[(pairs-1)*32+31]
	_ = c[(mr-1)*ldc+nr-1]
	mode := 0
	if mr == 32 && nr == 32 && alpha == 1 {
		switch beta {
		case 0:
			mode = 1
		case 1:
			mode = 2
		}
	}
	amxKernel(pairs, &a[0], rsa, &b[0], &c[0], ldc, mr, nr, alpha, beta, mode, 0)
}

// panelAAMX is amxGemm's packA: rows of ceil(kc/2) pairs (rsa = that,
// csa = 1). A paired A is read in place when the panel has all 32 rows;
// a stored A is converted row by row; a transposed one is paired down its
// columns and then transposed, in the second half of dst's capacity
// (the scratch holds a B micro-panel after the A panel: room for it).
func panelAAMX(dst, a []float32, lda int, transA, pairedA bool, ir, mr, pc, kc int) (ap []float32, rsa, csa int) {
	pairs := (kc + 1) / 2
	switch {
	case transA:
		full := dst[:cap(dst)]
		if len(full) < 64*pairs {
			panic(fmt.Sprintf("kernels: AMX panel scratch of %d floats for %d pairs", len(full), pairs))
		}
		tmp := full[32*pairs : 64*pairs]
		packRowsBF16(tmp, a[pc*lda+ir:], kc, mr, lda, 32)
		transposePanel(full[:32*pairs], tmp, mr, pairs)
		return full, pairs, 1
	case pairedA && mr == 32:
		return a[ir*lda+pc/2:], lda, 1
	case pairedA:
		for i := range mr {
			copy(dst[i*pairs:(i+1)*pairs], a[(ir+i)*lda+pc/2:])
		}
		return dst, pairs, 1
	}
	src := a[ir*lda+pc:]
	_ = dst[32*pairs-1]
	_ = src[(mr-1)*lda+kc-1]
	cvtRowsBF16(&dst[0], &src[0], mr, kc, lda, pairs)
	return dst, pairs, 1
}

// transposePanel sets dst[i*pairs+q] = src[q*32+i] for i < mr, q < pairs.
func transposePanel(dst, src []float32, mr, pairs int) {
	transposeBlocks(dst, pairs, src, 32, pairs, mr, 0, false)
}

// addTransposed512 is amxGemm's addTransposed: C = Tᵀ + beta*C.
func addTransposed512(c []float32, ldc int, t []float32, m, n int, beta float32) {
	transposeBlocks(c, ldc, t, m, n, m, beta, beta != 0)
}

// amxKernel is the AMX tile kernel (sgemm_amx_amd64.s): pairs counts
// 32-bit elements of a row of A (bfloat16 pairs, or with int8 != 0 four
// bytes, A unsigned and B signed, int32 sums); mode 0 stores the mr x nr
// corner as alpha*acc + beta*C, mode 1 the whole 32 x 32 tile, mode 2
// adds it to C.
//
//go:noescape
func amxKernel(pairs int, a *float32, lda int, b *float32, c *float32, ldc, mr, nr int, alpha, beta float32, mode, int8 int)
