//go:build amd64 && !purego

package kernels

// avx2Gemm is the AVX2+FMA micro-kernel, a 6 x 16 tile of C held in 12 ymm
// registers, with its blocking: a 6 x 256 panel of A stays in L1 while it
// sweeps a 256 x 1024 block of B held in L2.
var avx2Gemm = &gemmImpl{mr: 6, nr: 16, kc: 256, nc: 1024, strided: true, kernel: kernelAVX2}

func kernelAVX2(k int, a []float32, rsa, csa int, b []float32, c []float32, ldc, mr, nr int, alpha, beta float32) {
	sgemmKernel6x16(k, &a[0], rsa, csa, &b[0], &c[0], ldc, mr, nr, alpha, beta)
}

// sgemmKernel6x16 is the microKernel contract with MR = 6, NR = 16 and
// pointers to the first elements of the tile's A, B and C.
//
//go:noescape
func sgemmKernel6x16(k int, a *float32, rsa, csa int, b *float32, c *float32, ldc, mr, nr int, alpha, beta float32)
