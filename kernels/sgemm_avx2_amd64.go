//go:build amd64 && !purego

package kernels

// avx2Gemm is the AVX2+FMA micro-kernel, a 6 x 16 tile of C held in 12 ymm
// registers, with its blocking: a 6 x 256 panel of A stays in L1 while it
// sweeps a 256 x 1024 block of B held in L2.
var avx2Gemm = &gemmImpl{
	mr: 6, nr: 16, kc: 192, kcSingle: 384, nc: 1024,
	strided:    true,
	maxPanelsA: 32, maxPanelsB: 4,
	kernel:   kernelAVX2,
	packRows: packRowsAVX2,
	packCols: packColsGeneric,
}

func kernelAVX2(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, mr, nr int, alpha, beta float32) {
	// Bounds checks: the last elements the kernel reads or writes.
	_ = a[5*rsa+(k-1)*csa]
	_ = b[(k-1)*rsb+15]
	_ = c[(mr-1)*ldc+nr-1]
	sgemmKernel6x16(k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, mr, nr, alpha, beta)
}

func packRowsAVX2(dst, src []float32, rows, cols, srcStride, dstStride int) {
	if rows == 0 {
		return
	}
	_ = dst[rows*dstStride-1]
	_ = src[(rows-1)*srcStride+cols-1]
	packRows256(&dst[0], &src[0], rows, cols, srcStride, dstStride)
}

// sgemmKernel6x16 is the microKernel contract with MR = 6, NR = 16 and
// pointers to the first elements of the tile's A, B and C.
//
//go:noescape
func sgemmKernel6x16(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc, mr, nr int, alpha, beta float32)

// packRows256 is packFunc with pointers to the first elements, for
// dstStride <= 16.
//
//go:noescape
func packRows256(dst, src *float32, rows, cols, srcStride, dstStride int)
