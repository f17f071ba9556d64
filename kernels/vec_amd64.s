//go:build amd64 && !purego

#include "textflag.h"

// Vector kernels. The AVX-512 versions handle any n: a main loop over
// blocks of 64 floats (four zmm vectors), a loop over single vectors, and
// one vector for the last 1..15 floats with mask K1 (masked-off lanes are
// not accessed). No instruction is issued with an all-zero mask: those
// can cost a microcode assist when the address is in the next page.
// The AVX2 versions take n a multiple of 8 (blocks of 32, then of 8);
// their Go wrappers do the rest.

// TAILMASK sets K1 to the first CX lanes, for 0 < CX < 16. It clobbers AX.
#define TAILMASK \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K1

// func dotAVX512(x, y *float32, n int) float32
//
// SI x, DI y, CX floats left; Z0..Z3 partial sums, Z4..Z7 loads.
TEXT ·dotAVX512(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	CMPQ   CX, $64
	JLT    dot512tail

dot512loop:
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VFMADD231PS (DI), Z4, Z0
	VFMADD231PS 64(DI), Z5, Z1
	VFMADD231PS 128(DI), Z6, Z2
	VFMADD231PS 192(DI), Z7, Z3
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         dot512loop

dot512tail:
	CMPQ        CX, $16
	JLT         dot512last
	VMOVUPS     (SI), Z4
	VFMADD231PS (DI), Z4, Z0
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         dot512tail

dot512last:
	TESTQ       CX, CX
	JZ          dot512sum
	TAILMASK
	VMOVUPS.Z   (SI), K1, Z4
	VFMADD231PS (DI), Z4, K1, Z0

dot512sum:

	// Sum the four accumulators, then the 16 lanes.
	VADDPS       Z1, Z0, Z0
	VADDPS       Z3, Z2, Z2
	VADDPS       Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPS       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX512(alpha float32, x, y *float32, n int)
//
// SI x, DI y, CX floats left; Z31 alpha, Z0..Z3 rows of y.
TEXT ·axpyAVX512(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Z31
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	CMPQ         CX, $64
	JLT          axpy512tail

axpy512loop:
	VMOVUPS     (DI), Z0
	VMOVUPS     64(DI), Z1
	VMOVUPS     128(DI), Z2
	VMOVUPS     192(DI), Z3
	VFMADD231PS (SI), Z31, Z0
	VFMADD231PS 64(SI), Z31, Z1
	VFMADD231PS 128(SI), Z31, Z2
	VFMADD231PS 192(SI), Z31, Z3
	VMOVUPS     Z0, (DI)
	VMOVUPS     Z1, 64(DI)
	VMOVUPS     Z2, 128(DI)
	VMOVUPS     Z3, 192(DI)
	ADDQ        $256, SI
	ADDQ        $256, DI
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         axpy512loop

axpy512tail:
	CMPQ        CX, $16
	JLT         axpy512last
	VMOVUPS     (DI), Z0
	VFMADD231PS (SI), Z31, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpy512tail

axpy512last:
	TESTQ       CX, CX
	JZ          axpy512done
	TAILMASK
	VMOVUPS.Z   (DI), K1, Z0
	VFMADD231PS (SI), Z31, K1, Z0
	VMOVUPS     Z0, K1, (DI)

axpy512done:
	VZEROUPPER
	RET

// func scaleAVX512(alpha float32, x *float32, n int)
//
// SI x, CX floats left; Z31 alpha, Z0..Z3 rows of x.
TEXT ·scaleAVX512(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Z31
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	CMPQ         CX, $64
	JLT          scale512tail

scale512loop:
	VMULPS  (SI), Z31, Z0
	VMULPS  64(SI), Z31, Z1
	VMULPS  128(SI), Z31, Z2
	VMULPS  192(SI), Z31, Z3
	VMOVUPS Z0, (SI)
	VMOVUPS Z1, 64(SI)
	VMOVUPS Z2, 128(SI)
	VMOVUPS Z3, 192(SI)
	ADDQ    $256, SI
	SUBQ    $64, CX
	CMPQ    CX, $64
	JGE     scale512loop

scale512tail:
	CMPQ    CX, $16
	JLT     scale512last
	VMULPS  (SI), Z31, Z0
	VMOVUPS Z0, (SI)
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     scale512tail

scale512last:
	TESTQ    CX, CX
	JZ       scale512done
	TAILMASK
	VMULPS.Z (SI), Z31, K1, Z0
	VMOVUPS  Z0, K1, (SI)

scale512done:
	VZEROUPPER
	RET

// func addAVX512(dst, x *float32, n int)
//
// DI dst, SI x, CX floats left; Z0..Z3 rows of dst.
TEXT ·addAVX512(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	CMPQ CX, $64
	JLT  add512tail

add512loop:
	VMOVUPS (DI), Z0
	VMOVUPS 64(DI), Z1
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	VADDPS  (SI), Z0, Z0
	VADDPS  64(SI), Z1, Z1
	VADDPS  128(SI), Z2, Z2
	VADDPS  192(SI), Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	SUBQ    $64, CX
	CMPQ    CX, $64
	JGE     add512loop

add512tail:
	CMPQ    CX, $16
	JLT     add512last
	VMOVUPS (DI), Z0
	VADDPS  (SI), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     add512tail

add512last:
	TESTQ     CX, CX
	JZ        add512done
	TAILMASK
	VMOVUPS.Z (DI), K1, Z0
	VADDPS    (SI), Z0, K1, Z0
	VMOVUPS   Z0, K1, (DI)

add512done:
	VZEROUPPER
	RET

// func mulAddAVX512(dst, x, w *float32, n int)
//
// DI dst, SI x, DX w, CX floats left; Z0..Z3 rows of dst.
TEXT ·mulAddAVX512(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX
	CMPQ CX, $64
	JLT  muladd512tail

muladd512loop:
	VMOVUPS     (DI), Z0
	VMOVUPS     64(DI), Z1
	VMOVUPS     128(DI), Z2
	VMOVUPS     192(DI), Z3
	VMOVUPS     (SI), Z4
	VMOVUPS     64(SI), Z5
	VMOVUPS     128(SI), Z6
	VMOVUPS     192(SI), Z7
	VFMADD231PS (DX), Z4, Z0
	VFMADD231PS 64(DX), Z5, Z1
	VFMADD231PS 128(DX), Z6, Z2
	VFMADD231PS 192(DX), Z7, Z3
	VMOVUPS     Z0, (DI)
	VMOVUPS     Z1, 64(DI)
	VMOVUPS     Z2, 128(DI)
	VMOVUPS     Z3, 192(DI)
	ADDQ        $256, SI
	ADDQ        $256, DI
	ADDQ        $256, DX
	SUBQ        $64, CX
	CMPQ        CX, $64
	JGE         muladd512loop

muladd512tail:
	CMPQ        CX, $16
	JLT         muladd512last
	VMOVUPS     (DI), Z0
	VMOVUPS     (SI), Z4
	VFMADD231PS (DX), Z4, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	ADDQ        $64, DX
	SUBQ        $16, CX
	JMP         muladd512tail

muladd512last:
	TESTQ       CX, CX
	JZ          muladd512done
	TAILMASK
	VMOVUPS.Z   (DI), K1, Z0
	VMOVUPS.Z   (SI), K1, Z4
	VMOVUPS.Z   (DX), K1, Z5
	VFMADD231PS Z5, Z4, K1, Z0
	VMOVUPS     Z0, K1, (DI)

muladd512done:
	VZEROUPPER
	RET

// func reluAVX512(dst, x *float32, n int)
//
// DI dst, SI x, CX floats left; Z31 zero, Z0..Z3 rows of x.
// VMAXPS returns its second source (zero) when x is not greater, NaN
// included, as the Go version does.
TEXT ·reluAVX512(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	VPXORD Z31, Z31, Z31
	CMPQ   CX, $64
	JLT    relu512tail

relu512loop:
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMAXPS  Z31, Z0, Z0
	VMAXPS  Z31, Z1, Z1
	VMAXPS  Z31, Z2, Z2
	VMAXPS  Z31, Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	SUBQ    $64, CX
	CMPQ    CX, $64
	JGE     relu512loop

relu512tail:
	CMPQ    CX, $16
	JLT     relu512last
	VMOVUPS (SI), Z0
	VMAXPS  Z31, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     relu512tail

relu512last:
	TESTQ     CX, CX
	JZ        relu512done
	TAILMASK
	VMOVUPS.Z (SI), K1, Z0
	VMAXPS    Z31, Z0, Z0
	VMOVUPS   Z0, K1, (DI)

relu512done:
	VZEROUPPER
	RET

// RELUB512 stores to off(DI) the floats of dy at off(SI) whose y at
// off(BX) is > 0, and zeros elsewhere, in the lanes of the mask km, using
// ky as scratch mask.
#define RELUB512(off, km, ky) \
	VMOVUPS.Z off(BX), km, Z0; \
	VCMPPS    $0x1e, Z31, Z0, ky; \
	VMOVUPS.Z off(SI), ky, Z1; \
	VMOVUPS   Z1, km, off(DI)

// func reluBackwardAVX512(dx, dy, y *float32, n int)
//
// DI dx, SI dy, BX y, CX floats left; Z31 zero. K5 is all ones in the main
// loop; K6 holds y > 0 (ordered, so NaN gives 0), selecting lanes of dy.
TEXT ·reluBackwardAVX512(SB), NOSPLIT, $0-32
	MOVQ     dx+0(FP), DI
	MOVQ     dy+8(FP), SI
	MOVQ     y+16(FP), BX
	MOVQ     n+24(FP), CX
	VPXORD   Z31, Z31, Z31
	KXNORW   K5, K5, K5
	CMPQ     CX, $64
	JLT      reluB512tail

reluB512loop:
	RELUB512(0, K5, K6)
	RELUB512(64, K5, K6)
	RELUB512(128, K5, K6)
	RELUB512(192, K5, K6)
	ADDQ $256, SI
	ADDQ $256, DI
	ADDQ $256, BX
	SUBQ $64, CX
	CMPQ CX, $64
	JGE  reluB512loop

reluB512tail:
	CMPQ CX, $16
	JLT  reluB512last
	RELUB512(0, K5, K6)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, BX
	SUBQ $16, CX
	JMP  reluB512tail

reluB512last:
	TESTQ CX, CX
	JZ    reluB512done
	TAILMASK
	RELUB512(0, K1, K6)

reluB512done:
	VZEROUPPER
	RET

// adamParams offsets: beta1, 1-beta1, beta2, 1-beta2, lr/bc1,
// 1/sqrt(bc2), eps.
#define ADAM_B1 0
#define ADAM_C1 4
#define ADAM_B2 8
#define ADAM_C2 12
#define ADAM_STEP 16
#define ADAM_ISB 20
#define ADAM_EPS 24

// ADAM512 updates one vector at byte offset off under mask km (the main
// loop passes K5, all ones):
//
//	m = b1*m + c1*g
//	v = b2*v + c2*g*g
//	p -= step * m / (sqrt(v)*isb + eps)
#define ADAM512(off, km) \
	VMOVUPS.Z   off(SI), km, Z0; \
	VMOVUPS.Z   off(DX), km, Z1; \
	VMOVUPS.Z   off(BX), km, Z2; \
	VMULPS      Z24, Z1, Z1; \
	VFMADD231PS Z25, Z0, Z1; \
	VMULPS      Z0, Z0, Z3; \
	VMULPS      Z26, Z2, Z2; \
	VFMADD231PS Z27, Z3, Z2; \
	VMOVUPS     Z1, km, off(DX); \
	VMOVUPS     Z2, km, off(BX); \
	VSQRTPS     Z2, Z3; \
	VFMADD213PS Z30, Z29, Z3; \
	VDIVPS      Z3, Z1, Z1; \
	VMOVUPS.Z   off(DI), km, Z4; \
	VFNMADD231PS Z28, Z1, Z4; \
	VMOVUPS     Z4, km, off(DI)

// func adamAVX512(p, grad, m, v *float32, n int, hp *adamParams)
//
// DI p, SI grad, DX m, BX v, CX floats left. Z24..Z30 hold the parameters
// b1, c1, b2, c2, step, isb and eps broadcast; Z0 g, Z1 m, Z2 v, Z3 and
// Z4 temporaries.
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), BX
	MOVQ         n+32(FP), CX
	MOVQ         hp+40(FP), AX
	VBROADCASTSS ADAM_B1(AX), Z24
	VBROADCASTSS ADAM_C1(AX), Z25
	VBROADCASTSS ADAM_B2(AX), Z26
	VBROADCASTSS ADAM_C2(AX), Z27
	VBROADCASTSS ADAM_STEP(AX), Z28
	VBROADCASTSS ADAM_ISB(AX), Z29
	VBROADCASTSS ADAM_EPS(AX), Z30
	KXNORW       K5, K5, K5
	CMPQ         CX, $16
	JLT          adam512tail

adam512loop:
	ADAM512(0, K5)
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, BX
	SUBQ $16, CX
	CMPQ CX, $16
	JGE  adam512loop

adam512tail:
	TESTQ CX, CX
	JZ    adam512done
	TAILMASK
	ADAM512(0, K1)

adam512done:
	VZEROUPPER
	RET

// func dotAVX2(x, y *float32, n int) float32
//
// n is a multiple of 8. SI x, DI y, CX floats left; Y0..Y3 partial sums,
// Y4..Y7 loads.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DI
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	CMPQ   CX, $32
	JLT    dot256by8

dot256loop:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         dot256loop

dot256by8:
	TESTQ       CX, CX
	JZ          dot256sum
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot256by8

dot256sum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VADDPS       X1, X0, X0
	VMOVSHDUP    X0, X1
	VADDSS       X1, X0, X0
	VMOVSS       X0, ret+24(FP)
	VZEROUPPER
	RET

// func axpyAVX2(alpha float32, x, y *float32, n int)
//
// n is a multiple of 8. SI x, DI y, CX floats left; Y15 alpha, Y0..Y3
// rows of y.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DI
	MOVQ         n+24(FP), CX
	CMPQ         CX, $32
	JLT          axpy256by8

axpy256loop:
	VMOVUPS     (DI), Y0
	VMOVUPS     32(DI), Y1
	VMOVUPS     64(DI), Y2
	VMOVUPS     96(DI), Y3
	VFMADD231PS (SI), Y15, Y0
	VFMADD231PS 32(SI), Y15, Y1
	VFMADD231PS 64(SI), Y15, Y2
	VFMADD231PS 96(SI), Y15, Y3
	VMOVUPS     Y0, (DI)
	VMOVUPS     Y1, 32(DI)
	VMOVUPS     Y2, 64(DI)
	VMOVUPS     Y3, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	CMPQ        CX, $32
	JGE         axpy256loop

axpy256by8:
	TESTQ       CX, CX
	JZ          axpy256done
	VMOVUPS     (DI), Y0
	VFMADD231PS (SI), Y15, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpy256by8

axpy256done:
	VZEROUPPER
	RET

// func scaleAVX2(alpha float32, x *float32, n int)
//
// n is a multiple of 8. SI x, CX floats left; Y15 alpha, Y0..Y3 rows.
TEXT ·scaleAVX2(SB), NOSPLIT, $0-24
	VBROADCASTSS alpha+0(FP), Y15
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	CMPQ         CX, $32
	JLT          scale256by8

scale256loop:
	VMULPS  (SI), Y15, Y0
	VMULPS  32(SI), Y15, Y1
	VMULPS  64(SI), Y15, Y2
	VMULPS  96(SI), Y15, Y3
	VMOVUPS Y0, (SI)
	VMOVUPS Y1, 32(SI)
	VMOVUPS Y2, 64(SI)
	VMOVUPS Y3, 96(SI)
	ADDQ    $128, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JGE     scale256loop

scale256by8:
	TESTQ   CX, CX
	JZ      scale256done
	VMULPS  (SI), Y15, Y0
	VMOVUPS Y0, (SI)
	ADDQ    $32, SI
	SUBQ    $8, CX
	JMP     scale256by8

scale256done:
	VZEROUPPER
	RET

// func mulAddAVX2(dst, x, w *float32, n int)
//
// n is a multiple of 8. DI dst, SI x, DX w, CX floats left.
TEXT ·mulAddAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ w+16(FP), DX
	MOVQ n+24(FP), CX

muladd256by8:
	TESTQ       CX, CX
	JZ          muladd256done
	VMOVUPS     (DI), Y0
	VMOVUPS     (SI), Y1
	VFMADD231PS (DX), Y1, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         muladd256by8

muladd256done:
	VZEROUPPER
	RET

// func addAVX2(dst, x *float32, n int)
//
// n is a multiple of 8. DI dst, SI x, CX floats left; Y0..Y3 rows of dst.
TEXT ·addAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	CMPQ CX, $32
	JLT  add256by8

add256loop:
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VADDPS  (SI), Y0, Y0
	VADDPS  32(SI), Y1, Y1
	VADDPS  64(SI), Y2, Y2
	VADDPS  96(SI), Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JGE     add256loop

add256by8:
	TESTQ   CX, CX
	JZ      add256done
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     add256by8

add256done:
	VZEROUPPER
	RET

// func reluAVX2(dst, x *float32, n int)
//
// n is a multiple of 8. DI dst, SI x, CX floats left; Y15 zero, Y0..Y3
// rows of x. VMAXPS returns zero when x is not greater, NaN included.
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS Y15, Y15, Y15
	CMPQ   CX, $32
	JLT    relu256by8

relu256loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS 64(SI), Y2
	VMOVUPS 96(SI), Y3
	VMAXPS  Y15, Y0, Y0
	VMAXPS  Y15, Y1, Y1
	VMAXPS  Y15, Y2, Y2
	VMAXPS  Y15, Y3, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JGE     relu256loop

relu256by8:
	TESTQ   CX, CX
	JZ      relu256done
	VMOVUPS (SI), Y0
	VMAXPS  Y15, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JMP     relu256by8

relu256done:
	VZEROUPPER
	RET

// RELUB256 stores to off(DI) the floats of dy at off(SI) whose y at
// off(BX) is > 0 (ordered: NaN gives 0), and zeros elsewhere.
#define RELUB256(off) \
	VMOVUPS off(BX), Y0; \
	VCMPPS  $0x1e, Y15, Y0, Y0; \
	VANDPS  off(SI), Y0, Y0; \
	VMOVUPS Y0, off(DI)

// func reluBackwardAVX2(dx, dy, y *float32, n int)
//
// n is a multiple of 8. DI dx, SI dy, BX y, CX floats left; Y15 zero.
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-32
	MOVQ   dx+0(FP), DI
	MOVQ   dy+8(FP), SI
	MOVQ   y+16(FP), BX
	MOVQ   n+24(FP), CX
	VXORPS Y15, Y15, Y15
	CMPQ   CX, $32
	JLT    reluB256by8

reluB256loop:
	RELUB256(0)
	RELUB256(32)
	RELUB256(64)
	RELUB256(96)
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, BX
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  reluB256loop

reluB256by8:
	TESTQ CX, CX
	JZ    reluB256done
	RELUB256(0)
	ADDQ  $32, SI
	ADDQ  $32, DI
	ADDQ  $32, BX
	SUBQ  $8, CX
	JMP   reluB256by8

reluB256done:
	VZEROUPPER
	RET

// func adamAVX2(p, grad, m, v *float32, n int, hp *adamParams)
//
// n is a multiple of 8. DI p, SI grad, DX m, BX v, CX floats left. Y8..Y14
// hold b1, c1, b2, c2, step, isb and eps broadcast; Y0 g, Y1 m, Y2 v, Y3
// and Y4 temporaries. The update is ADAM512's.
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         m+16(FP), DX
	MOVQ         v+24(FP), BX
	MOVQ         n+32(FP), CX
	MOVQ         hp+40(FP), AX
	VBROADCASTSS ADAM_B1(AX), Y8
	VBROADCASTSS ADAM_C1(AX), Y9
	VBROADCASTSS ADAM_B2(AX), Y10
	VBROADCASTSS ADAM_C2(AX), Y11
	VBROADCASTSS ADAM_STEP(AX), Y12
	VBROADCASTSS ADAM_ISB(AX), Y13
	VBROADCASTSS ADAM_EPS(AX), Y14
	TESTQ        CX, CX
	JZ           adam256done

adam256loop:
	VMOVUPS      (SI), Y0
	VMULPS       (DX), Y8, Y1
	VFMADD231PS  Y9, Y0, Y1
	VMULPS       Y0, Y0, Y3
	VMULPS       (BX), Y10, Y2
	VFMADD231PS  Y11, Y3, Y2
	VMOVUPS      Y1, (DX)
	VMOVUPS      Y2, (BX)
	VSQRTPS      Y2, Y3
	VFMADD213PS  Y14, Y13, Y3
	VDIVPS       Y3, Y1, Y1
	VMOVUPS      (DI), Y4
	VFNMADD231PS Y12, Y1, Y4
	VMOVUPS      Y4, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, BX
	SUBQ         $8, CX
	JNZ          adam256loop

adam256done:
	VZEROUPPER
	RET
