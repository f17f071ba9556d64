//go:build amd64 && !purego

package kernels

// avx512Gemm is the AVX-512 micro-kernel, a 14 x 32 tile of C held in 28
// zmm registers, with its blocking: a 14 x 256 panel of A (14 KiB) stays
// in L1 while it sweeps a 256 x 1024 block of B (1 MiB) held in L2.
var avx512Gemm = &gemmImpl{
	mr: 14, nr: 32, kc: 192, kcSingle: 384, nc: 1024,
	strided:    true,
	maxPanelsA: 32, maxPanelsB: 4,
	kernel:   kernelAVX512,
	packRows: packRowsAVX512,
	packCols: packColsAVX512,
}

func kernelAVX512(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, mr, nr int, alpha, beta float32) {
	// Bounds checks: the last elements the kernel reads or writes.
	_ = a[13*rsa+(k-1)*csa]
	_ = b[(k-1)*rsb+31]
	_ = c[(mr-1)*ldc+nr-1]
	sgemmKernel14x32(k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, mr, nr, alpha, beta, 0)
}

func packRowsAVX512(dst, src []float32, rows, cols, srcStride, dstStride int) {
	if rows == 0 {
		return
	}
	_ = dst[rows*dstStride-1]
	_ = src[(rows-1)*srcStride+cols-1]
	packRows512(&dst[0], &src[0], rows, cols, srcStride, dstStride)
}

func packColsAVX512(dst, src []float32, rows, cols, srcStride, dstStride int) {
	if rows == 0 {
		return
	}
	if int64(cols)*int64(srcStride) >= 1<<31 {
		// Gather indexes are 32-bit.
		packColsGeneric(dst, src, rows, cols, srcStride, dstStride)
		return
	}
	_ = dst[rows*dstStride-1]
	_ = src[(cols-1)*srcStride+rows-1]
	packCols512(&dst[0], &src[0], rows, cols, srcStride, dstStride)
}

// sgemmKernel14x32 is the microKernel contract with MR = 14, NR = 32 and
// pointers to the first elements of the tile's A, B and C. With dot != 0
// the panels hold bfloat16 pairs and k counts pairs (see kernelBF16).
//
//go:noescape
func sgemmKernel14x32(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc, mr, nr int, alpha, beta float32, dot int)

// packRows512 is packFunc with pointers to the first elements.
//
//go:noescape
func packRows512(dst, src *float32, rows, cols, srcStride, dstStride int)

// packCols512 is packFunc (transposing) with pointers to the first
// elements; cols*srcStride must be below 1<<31.
//
//go:noescape
func packCols512(dst, src *float32, rows, cols, srcStride, dstStride int)
