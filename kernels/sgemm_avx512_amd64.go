//go:build amd64 && !purego

package kernels

// avx512Gemm is the AVX-512 micro-kernel, a 14 x 32 tile of C held in 28
// zmm registers, with its blocking: a 14 x 256 panel of A (14 KiB) stays
// in L1 while it sweeps a 256 x 1024 block of B (1 MiB) held in L2.
var avx512Gemm = &gemmImpl{mr: 14, nr: 32, kc: 256, nc: 1024, strided: true, kernel: kernelAVX512}

func kernelAVX512(k int, a []float32, rsa, csa int, b []float32, c []float32, ldc, mr, nr int, alpha, beta float32) {
	sgemmKernel14x32(k, &a[0], rsa, csa, &b[0], &c[0], ldc, mr, nr, alpha, beta)
}

// sgemmKernel14x32 is the microKernel contract with MR = 14, NR = 32 and
// pointers to the first elements of the tile's A, B and C.
//
//go:noescape
func sgemmKernel14x32(k int, a *float32, rsa, csa int, b *float32, c *float32, ldc, mr, nr int, alpha, beta float32)
